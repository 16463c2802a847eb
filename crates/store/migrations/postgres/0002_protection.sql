-- Protection pillar: intake, screening, identification, referral, assistance.
-- Each record table has the same shape: the columns that queries filter and count on,
-- `attrs` (JSON, non-identifying) and `sealed` (encrypted JSON of identifying fields).

CREATE TABLE reports (
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
CREATE INDEX reports_by_org ON reports (org_id, status);
CREATE INDEX reports_by_party ON reports (party_org, status);
CREATE INDEX reports_by_subject ON reports (subject_id);
CREATE INDEX reports_by_lookup ON reports (lookup);

CREATE TABLE operations (
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
CREATE INDEX operations_by_org ON operations (org_id, status);
CREATE INDEX operations_by_party ON operations (party_org, status);
CREATE INDEX operations_by_subject ON operations (subject_id);
CREATE INDEX operations_by_lookup ON operations (lookup);

CREATE TABLE inspections (
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
CREATE INDEX inspections_by_org ON inspections (org_id, status);
CREATE INDEX inspections_by_party ON inspections (party_org, status);
CREATE INDEX inspections_by_subject ON inspections (subject_id);
CREATE INDEX inspections_by_lookup ON inspections (lookup);

CREATE TABLE screenings (
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
CREATE INDEX screenings_by_org ON screenings (org_id, status);
CREATE INDEX screenings_by_party ON screenings (party_org, status);
CREATE INDEX screenings_by_subject ON screenings (subject_id);
CREATE INDEX screenings_by_lookup ON screenings (lookup);

CREATE TABLE decisions (
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
CREATE INDEX decisions_by_org ON decisions (org_id, status);
CREATE INDEX decisions_by_party ON decisions (party_org, status);
CREATE INDEX decisions_by_subject ON decisions (subject_id);
CREATE INDEX decisions_by_lookup ON decisions (lookup);

CREATE TABLE services (
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
CREATE INDEX services_by_org ON services (org_id, status);
CREATE INDEX services_by_party ON services (party_org, status);
CREATE INDEX services_by_subject ON services (subject_id);
CREATE INDEX services_by_lookup ON services (lookup);

CREATE TABLE referrals (
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
CREATE INDEX referrals_by_org ON referrals (org_id, status);
CREATE INDEX referrals_by_party ON referrals (party_org, status);
CREATE INDEX referrals_by_subject ON referrals (subject_id);
CREATE INDEX referrals_by_lookup ON referrals (lookup);

CREATE TABLE assistance (
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
CREATE INDEX assistance_by_org ON assistance (org_id, status);
CREATE INDEX assistance_by_party ON assistance (party_org, status);
CREATE INDEX assistance_by_subject ON assistance (subject_id);
CREATE INDEX assistance_by_lookup ON assistance (lookup);

CREATE TABLE notifications (
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
CREATE INDEX notifications_by_org ON notifications (org_id, status);
CREATE INDEX notifications_by_party ON notifications (party_org, status);
CREATE INDEX notifications_by_subject ON notifications (subject_id);
CREATE INDEX notifications_by_lookup ON notifications (lookup);

CREATE TABLE screening_instruments (
    id TEXT PRIMARY KEY,
    family TEXT NOT NULL,
    version BIGINT NOT NULL,
    published_at BIGINT NOT NULL,
    published_by TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (family, version)
);

CREATE FUNCTION screening_instruments_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a published screening instrument is never edited';
END
$$;
CREATE TRIGGER screening_instruments_no_change BEFORE UPDATE OR DELETE ON screening_instruments
FOR EACH ROW EXECUTE FUNCTION screening_instruments_immutable();

ALTER TABLE persons ADD COLUMN source_type TEXT;
ALTER TABLE persons ADD COLUMN source_id TEXT;
ALTER TABLE persons ADD COLUMN nationality TEXT;
ALTER TABLE persons ADD COLUMN languages TEXT;
ALTER TABLE persons ADD COLUMN document_type TEXT;
ALTER TABLE persons ADD COLUMN origin_area TEXT;
ALTER TABLE persons ADD COLUMN origin_country TEXT;
ALTER TABLE persons ADD COLUMN birth_date BYTEA;
ALTER TABLE persons ADD COLUMN updated_at BIGINT;
CREATE INDEX persons_by_source ON persons (source_id);
