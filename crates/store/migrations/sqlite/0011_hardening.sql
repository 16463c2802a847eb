-- The audit head is signed in the same transaction as every append (the key version and
-- the Ed25519 signature of its seq and hash), so cutting the newest entries and rewriting
-- the head is detected even between checkpoints.
ALTER TABLE audit_head ADD COLUMN key_version BIGINT;
ALTER TABLE audit_head ADD COLUMN signature BLOB;

-- Login throttling was keyed by the client's address in clear ("ip:127.0.0.1"); it is now
-- keyed by a keyed hash. The old counters are dropped (they only delay a retry).
DELETE FROM throttle WHERE key LIKE 'ip:%';

-- Idempotency keys of the API's create routes: the same key and body give the same answer
-- and one record, across processes; kept at least 24 hours.
CREATE TABLE idempotency_keys (
    key_hash TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    operation_id TEXT NOT NULL,
    status BIGINT NOT NULL,
    body BLOB,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

-- A retry whose first attempt may have committed before the server died is settled from the
-- audit trail by that attempt's operation id.
CREATE INDEX audit_by_operation ON audit_log (operation_id);
