-- Amparo schema v1 (PostgreSQL 15). Keep in step with ../sqlite/0001_init.sql: same tables, same columns.
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
    totp_secret BYTEA,
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    recovery_hashes TEXT NOT NULL DEFAULT ''
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    mfa_ok BIGINT NOT NULL DEFAULT 0,
    pending_totp BYTEA,
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
    given_names BYTEA,
    first_surname BYTEA,
    second_surname BYTEA,
    aliases BYTEA,
    document_number BYTEA,
    phone BYTEA,
    address BYTEA,
    narrative BYTEA
);
CREATE INDEX persons_by_org ON persons (org_id);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL,
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
    hash BYTEA NOT NULL
);

CREATE TABLE audit_checkpoints (
    seq BIGINT PRIMARY KEY,
    hash BYTEA NOT NULL,
    key_version BIGINT NOT NULL,
    signature BYTEA NOT NULL,
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

INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode('0000000000000000000000000000000000000000000000000000000000000000', 'hex'));

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
