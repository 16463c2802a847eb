-- Candidate and confirmed links between person records (record linkage). A link is a row
-- whose status says so; nothing is ever merged. org_id / party_org are the two owners;
-- subject_id and lookup the two persons; attrs the score and field contributions.
CREATE TABLE person_matches (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    party_org TEXT REFERENCES organisations (id),
    subject_id TEXT,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    area_code TEXT,
    lookup TEXT,
    occurred_at BIGINT,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    attrs TEXT NOT NULL,
    sealed BYTEA
);
CREATE UNIQUE INDEX person_matches_pair ON person_matches (subject_id, lookup);
CREATE INDEX person_matches_by_lookup ON person_matches (lookup);
