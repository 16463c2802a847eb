-- Amparo schema v1 (SQLite). Keep in step with ../postgres/0001_init.sql: same tables, same columns.
CREATE TABLE countries (
    alpha2 TEXT PRIMARY KEY,
    alpha3 TEXT NOT NULL,
    name_es TEXT NOT NULL,
    name_en TEXT NOT NULL
);

CREATE TABLE areas (
    code TEXT PRIMARY KEY,
    country TEXT NOT NULL,
    level BIGINT NOT NULL,
    parent_code TEXT,
    name TEXT NOT NULL
);
CREATE INDEX areas_by_parent ON areas (country, parent_code);

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    parent_id TEXT REFERENCES organisations (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    jurisdiction TEXT NOT NULL REFERENCES areas (code),
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    roles TEXT NOT NULL,
    locale TEXT,
    disabled BIGINT NOT NULL DEFAULT 0,
    mfa_exempt_demo BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    password_hash TEXT NOT NULL,
    totp_secret BLOB,
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    recovery_hashes TEXT NOT NULL DEFAULT ''
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    mfa_ok BIGINT NOT NULL DEFAULT 0,
    pending_totp BLOB,
    locale TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE persons (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    code TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    sex TEXT,
    approx_age BIGINT,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    given_names BLOB,
    first_surname BLOB,
    second_surname BLOB,
    aliases BLOB,
    document_number BLOB,
    phone BLOB,
    address BLOB,
    narrative BLOB
);
CREATE INDEX persons_by_org ON persons (org_id);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    occurred_at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    actor_org TEXT NOT NULL,
    actor_roles TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    client_ip TEXT NOT NULL,
    operation_id TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE INDEX audit_by_time ON audit_log (occurred_at);
CREATE INDEX audit_by_record ON audit_log (record_id);
CREATE INDEX audit_by_actor ON audit_log (actor);

-- The head of the chain, updated in the same transaction as every append. Locking this one
-- row is also what serialises writers on both backends.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash BLOB NOT NULL
);

CREATE TABLE audit_checkpoints (
    seq BIGINT PRIMARY KEY,
    hash BLOB NOT NULL,
    key_version BIGINT NOT NULL,
    signature BLOB NOT NULL,
    created_at BIGINT NOT NULL
);

-- Background work shared by every server instance (claimed with a lease).
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    run_after BIGINT NOT NULL,
    leased_until BIGINT NOT NULL DEFAULT 0,
    attempts BIGINT NOT NULL DEFAULT 0,
    done_at BIGINT
);

INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, X'0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
