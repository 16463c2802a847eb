-- Case attachments: the file and its name sealed together (XChaCha20-Poly1305, bound to the
-- row); only the checked type, size and SHA-256 in clear.
CREATE TABLE attachments (
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
CREATE INDEX attachments_by_subject ON attachments (subject_id);
