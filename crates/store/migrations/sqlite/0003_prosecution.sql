-- Prosecution and coordination: cases and their links, events, charges, shares,
-- tasks, cross-agency alerts and the prevention register (same record shape as 0002),
-- statutes as data with effective dates, and blind indexes on persons for alerts.

CREATE TABLE cases (
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
    sealed BLOB
);
CREATE INDEX cases_by_org ON cases (org_id, status);
CREATE INDEX cases_by_party ON cases (party_org, status);
CREATE INDEX cases_by_subject ON cases (subject_id);
CREATE INDEX cases_by_lookup ON cases (lookup);

CREATE TABLE case_links (
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
    sealed BLOB
);
CREATE INDEX case_links_by_org ON case_links (org_id, status);
CREATE INDEX case_links_by_party ON case_links (party_org, status);
CREATE INDEX case_links_by_subject ON case_links (subject_id);
CREATE INDEX case_links_by_lookup ON case_links (lookup);

CREATE TABLE case_events (
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
    sealed BLOB
);
CREATE INDEX case_events_by_org ON case_events (org_id, status);
CREATE INDEX case_events_by_party ON case_events (party_org, status);
CREATE INDEX case_events_by_subject ON case_events (subject_id);
CREATE INDEX case_events_by_lookup ON case_events (lookup);

CREATE TABLE charges (
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
    sealed BLOB
);
CREATE INDEX charges_by_org ON charges (org_id, status);
CREATE INDEX charges_by_party ON charges (party_org, status);
CREATE INDEX charges_by_subject ON charges (subject_id);
CREATE INDEX charges_by_lookup ON charges (lookup);

CREATE TABLE shares (
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
    sealed BLOB
);
CREATE INDEX shares_by_org ON shares (org_id, status);
CREATE INDEX shares_by_party ON shares (party_org, status);
CREATE INDEX shares_by_subject ON shares (subject_id);
CREATE INDEX shares_by_lookup ON shares (lookup);

CREATE TABLE tasks (
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
    sealed BLOB
);
CREATE INDEX tasks_by_org ON tasks (org_id, status);
CREATE INDEX tasks_by_party ON tasks (party_org, status);
CREATE INDEX tasks_by_subject ON tasks (subject_id);
CREATE INDEX tasks_by_lookup ON tasks (lookup);

CREATE TABLE alerts (
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
    sealed BLOB
);
CREATE INDEX alerts_by_org ON alerts (org_id, status);
CREATE INDEX alerts_by_party ON alerts (party_org, status);
CREATE INDEX alerts_by_subject ON alerts (subject_id);
CREATE INDEX alerts_by_lookup ON alerts (lookup);

CREATE TABLE prevention (
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
    sealed BLOB
);
CREATE INDEX prevention_by_org ON prevention (org_id, status);
CREATE INDEX prevention_by_party ON prevention (party_org, status);
CREATE INDEX prevention_by_subject ON prevention (subject_id);
CREATE INDEX prevention_by_lookup ON prevention (lookup);

CREATE TABLE statutes (
    id TEXT PRIMARY KEY,
    country TEXT NOT NULL,
    body TEXT NOT NULL
);

-- Keyed hashes (HMAC) of a normalised document number and of normalised name + date of birth:
-- equal values mean a possible match; the values say nothing without the key.
ALTER TABLE persons ADD COLUMN match_doc TEXT;
ALTER TABLE persons ADD COLUMN match_name_dob TEXT;
CREATE INDEX persons_by_match_doc ON persons (match_doc);
CREATE INDEX persons_by_match_name_dob ON persons (match_name_dob);
