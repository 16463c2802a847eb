//! Idempotency keys for the API's create routes. A client that did not hear the answer to
//! a create (a dropped link, a server that died after committing) sends the same request
//! again with the same `Idempotency-Key`; it must not create the record twice. Offline sync
//! replays its queue this way.
//!
//! - The key is scoped to the bearer token that sent it (a keyed hash of token and key is
//!   stored, never either) and bound to a hash of the request (method, path, body): the same
//!   key with another request is refused (`idempotency_key_reused`).
//! - The first request claims the key in its own transaction before it runs; its answer
//!   (status and body, never a 5xx) is stored when it ends, and replayed to every retry.
//! - A retry that finds the key still claimed asks the audit trail whether the first attempt
//!   committed (every write commits with its audit entry, under the request's operation id).
//!   If it did, the retry is told which records it wrote (`idempotent_request_committed`)
//!   rather than writing them again. If not, it gets `idempotency_in_progress` while the
//!   first attempt may still be running, and once that is impossible (the claim is older
//!   than the longest a request may run) it takes the claim over and runs.
//! - Keys are kept for at least 24 hours (purged after [`KEEP_SECS`]).

use super::Access;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;
use crate::store::IdemRecord;
use sha2::{Digest, Sha256};

/// Keys are forgotten after two days (the promise is at least one).
pub const KEEP_SECS: i64 = 2 * 86_400;

/// A request is cut off after the request time-out; a claim older than that plus this margin
/// (to store the answer) belongs to a request that will never answer.
const STALE_MARGIN_SECS: i64 = 5;

/// What the web layer should do with a request that carries a key.
#[derive(Debug, PartialEq, Eq)]
pub enum IdemDecision {
    /// Run it, then call [`Access::idempotency_done`] or [`Access::idempotency_failed`].
    Run,
    /// Answer with this stored response.
    Replay { status: u16, body: Vec<u8> },
    /// The key was used for another request.
    Reused,
    /// The first request with this key is still running.
    InProgress,
    /// The first request committed but its answer was never stored: the records it wrote.
    Committed { records: Vec<(String, String)> },
}

/// A key as clients may send it: 1–255 visible ASCII characters.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 255 && key.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

impl Access {
    fn idem_key_hash(&self, scope: &str, key: &str) -> String {
        crate::crypto::csrf_token(&self.keys, &format!("idempotency:{}:{key}", hex::encode(Sha256::digest(scope.as_bytes()))))
    }

    /// The request's fingerprint.
    pub fn idempotency_request_hash(method: &str, path: &str, body: &[u8]) -> String {
        let mut h = Sha256::new();
        for part in [method.as_bytes(), b"\0", path.as_bytes(), b"\0", body] {
            h.update(part);
        }
        hex::encode(h.finalize())
    }

    /// Claim or look up `key` for a request (`scope`: the bearer token; `max_request_secs`:
    /// the longest a request may run before it is cut off).
    pub async fn idempotency_begin(
        &self,
        scope: &str,
        key: &str,
        request_hash: &str,
        operation_id: &str,
        max_request_secs: i64,
    ) -> CoreResult<IdemDecision> {
        if !valid_key(key) {
            return Err(CoreError::field("idempotency_key", "invalid_idempotency_key"));
        }
        let kh = self.idem_key_hash(scope, key);
        let now = self.now();
        Ok(match self.store.idempotency_claim(&kh, request_hash, operation_id, now).await? {
            IdemRecord::Claimed => IdemDecision::Run,
            IdemRecord::OtherRequest => IdemDecision::Reused,
            IdemRecord::Done { status, body } => {
                // The stored answer may name a person: it is sealed like any identity.
                let body = crate::crypto::field::open(&self.keys, "idempotency_keys", "body", &kh, &body).map_err(CoreError::internal)?;
                IdemDecision::Replay { status: u16::try_from(status).unwrap_or(500), body }
            }
            IdemRecord::Pending { operation_id: first, since } => {
                // What the first attempt committed is in the audit trail under its operation
                // id (every write commits with its entry).
                let written: Vec<(String, String)> = self
                    .store
                    .audit_of_operation(&first)
                    .await?
                    .into_iter()
                    .filter(|(action, _, _)| !action.starts_with("read_") && !action.starts_with("list_"))
                    .map(|(_, t, id)| (t, id))
                    .collect();
                if !written.is_empty() {
                    IdemDecision::Committed { records: written }
                } else if now - since <= max_request_secs + STALE_MARGIN_SECS {
                    IdemDecision::InProgress
                } else {
                    // The first attempt was cut off (or its server died) before it wrote
                    // anything: this one takes the key over.
                    self.store.idempotency_release(&kh, operation_id, now).await?;
                    IdemDecision::Run
                }
            }
        })
    }

    /// Store the answer to a request that ran (not for 5xx: those release the key).
    pub async fn idempotency_done(&self, scope: &str, key: &str, status: u16, body: &[u8]) -> CoreResult<()> {
        let kh = self.idem_key_hash(scope, key);
        let sealed = crate::crypto::field::seal(&self.keys, self.random.bytes::<24>(), "idempotency_keys", "body", &kh, body)
            .map_err(CoreError::internal)?;
        Ok(self.store.idempotency_finish(&kh, i64::from(status), &sealed, self.now()).await?)
    }

    /// The request failed on the server's side (5xx): the key may be used again.
    pub async fn idempotency_failed(&self, scope: &str, key: &str) -> CoreResult<()> {
        let kh = self.idem_key_hash(scope, key);
        Ok(self.store.idempotency_release(&kh, "", self.now()).await?)
    }

    /// Forget old keys (housekeeping).
    pub async fn purge_idempotency_keys(&self) -> CoreResult<u64> {
        Ok(self.store.idempotency_purge(self.now() - KEEP_SECS).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_ascii() {
        assert!(valid_key("9f1c-4a7e"));
        assert!(!valid_key(""));
        assert!(!valid_key("has space"));
        assert!(!valid_key(&"x".repeat(256)));
        assert!(!valid_key("ñ"));
    }

    #[test]
    fn the_fingerprint_covers_method_path_and_body() {
        let a = Access::idempotency_request_hash("POST", "/api/v1/persons", b"{}");
        assert_ne!(a, Access::idempotency_request_hash("POST", "/api/v1/reports", b"{}"));
        assert_ne!(a, Access::idempotency_request_hash("POST", "/api/v1/persons", b"{ }"));
        assert_eq!(a, Access::idempotency_request_hash("POST", "/api/v1/persons", b"{}"));
    }
}
