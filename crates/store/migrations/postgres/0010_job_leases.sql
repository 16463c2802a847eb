-- Jobs that must not run twice at once, across every server on this database (the
-- statistics projection's refresh, record linkage), take a named lease. It expires, so a
-- server that died holding one does not block the job for ever; an empty owner is free.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    until_at BIGINT NOT NULL
);
-- The statistics refresh kept its lease in stat_state before.
DELETE FROM stat_state WHERE k = 'lease';
