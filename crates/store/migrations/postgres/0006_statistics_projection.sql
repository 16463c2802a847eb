-- The statistics projection (ARCHITECTURE.md, "Statistics projection"): what the annual
-- report needs about each person and each charge, kept up to date from the records so that
-- a report reads one year's rows instead of every table. It holds no identity and can
-- always be rebuilt from the records: a missing or old version is rebuilt on first use.

-- 'version' (the projection's schema, set when a build finishes) and 'lease' (who is
-- refreshing it, until when: one refresher at a time, across processes).
CREATE TABLE stat_state (
    k TEXT PRIMARY KEY,
    v TEXT NOT NULL,
    until_at BIGINT
);
-- What changed since the last refresh, written in the same transaction as the change:
-- 'p:' a person, 'c:' a case, 'h:' a charge, 's:' a source (report, operation, inspection).
CREATE TABLE stat_dirty (
    k TEXT PRIMARY KEY
);
-- Persons in a group of more than one record (linked, or sharing a document), and the
-- group's name (its smallest person id). Everyone else is a group of one.
CREATE TABLE stat_groups (
    person_id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL
);
CREATE INDEX stat_groups_by_group ON stat_groups (group_id);
-- One row per person (group) with an identification decision: the statistics' victim fact
-- as JSON, the years it counts in, and what a report's scope filters on (the place the
-- person was found or identified, its region, the organisations that recorded them).
CREATE TABLE stat_victims (
    group_id TEXT PRIMARY KEY,
    identified_year BIGINT,
    possible_first BIGINT,
    possible_last BIGINT,
    area_code TEXT,
    region TEXT,
    orgs TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX stat_victims_by_identified ON stat_victims (identified_year);
CREATE INDEX stat_victims_by_possible ON stat_victims (possible_last, possible_first);
-- One row per charge, with the day of its first-instance decision as a column, and its
-- case's exploitation type and sector (a report needs no other case column).
CREATE TABLE stat_charges (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    case_kind TEXT,
    labour_sector TEXT,
    sexual_form TEXT,
    person_id TEXT NOT NULL,
    filed_day BIGINT,
    decided_day BIGINT,
    verdict TEXT,
    sentence_months BIGINT,
    area_code TEXT,
    org_id TEXT NOT NULL
);
CREATE INDEX stat_charges_by_filed ON stat_charges (filed_day, case_id);
CREATE INDEX stat_charges_by_decided ON stat_charges (decided_day, verdict, case_id, person_id);
-- The day each countable record happened on, for reading one year of them.
CREATE INDEX reports_by_day ON reports ((COALESCE(occurred_at, created_at)));
CREATE INDEX operations_by_day ON operations ((COALESCE(occurred_at, created_at)));
CREATE INDEX screenings_by_day ON screenings ((COALESCE(occurred_at, created_at)), status, subject_id);
CREATE INDEX referrals_by_day ON referrals ((COALESCE(occurred_at, created_at)));
CREATE INDEX assistance_by_day ON assistance ((COALESCE(occurred_at, created_at)));
CREATE INDEX prevention_by_day ON prevention ((COALESCE(occurred_at, created_at)));
