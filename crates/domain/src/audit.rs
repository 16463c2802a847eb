//! The audit trail's hash chain.
//!
//! Every entry hashes a canonical, length-prefixed encoding of its fields together with the
//! previous entry's hash. Editing, deleting, inserting or reordering entries therefore breaks
//! the chain at the first changed position. Signed checkpoints (made by the core with a key
//! derived from the master key) pin the head so that rewriting the whole chain, or cutting its
//! tail, is also detected. JSON text is not used for hashing: its encoding is not canonical.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const GENESIS_HASH: [u8; 32] = [0u8; 32];
const DOMAIN_TAG: &[u8] = b"amparo-audit-v1";

/// What happened. Contains no personal data: records are named by id and type only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditEvent {
    pub occurred_at: i64,
    /// User id, or `system` for the console operator, or empty for anonymous requests.
    pub actor: String,
    pub actor_org: String,
    /// Comma-separated role names held at the time.
    pub actor_roles: String,
    pub action: String,
    /// `ok`, `denied`, `failed`.
    pub outcome: String,
    pub record_type: String,
    pub record_id: String,
    pub purpose: String,
    pub client_ip: String,
    pub operation_id: String,
    /// Extra structured facts (JSON text), never personal data.
    pub details: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
    pub event: AuditEvent,
}

fn put(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_be_bytes());
    h.update(bytes);
}

/// The hash of entry `seq` holding `event`, chained to `prev`.
pub fn entry_hash(seq: i64, prev: &[u8], event: &AuditEvent) -> [u8; 32] {
    let mut h = Sha256::new();
    put(&mut h, DOMAIN_TAG);
    h.update(seq.to_be_bytes());
    put(&mut h, prev);
    h.update(event.occurred_at.to_be_bytes());
    for f in [
        &event.actor,
        &event.actor_org,
        &event.actor_roles,
        &event.action,
        &event.outcome,
        &event.record_type,
        &event.record_id,
        &event.purpose,
        &event.client_ip,
        &event.operation_id,
        &event.details,
    ] {
        put(&mut h, f.as_bytes());
    }
    h.finalize().into()
}

/// The message a checkpoint signs: the sequence number and the hash of the entry there.
pub fn checkpoint_message(seq: i64, hash: &[u8]) -> Vec<u8> {
    let mut m = b"amparo-checkpoint-v1".to_vec();
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(hash);
    m
}

/// What signs the head of the chain with every append. Its own tag, so a checkpoint's
/// signature cannot be copied into the head after cutting the chain back to that checkpoint.
pub fn head_message(seq: i64, hash: &[u8]) -> Vec<u8> {
    let mut m = b"amparo-head-v1".to_vec();
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(hash);
    m
}

/// Where and why the chain is broken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ChainBreak {
    pub seq: i64,
    pub reason: BreakReason,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BreakReason {
    /// The entry's contents no longer match its hash (edited).
    HashMismatch,
    /// The entry does not chain to the one before it (deleted, inserted or reordered).
    BrokenLink,
    /// Sequence numbers skip or repeat (deleted or inserted).
    SequenceGap,
    /// A signed checkpoint names a hash the chain no longer has, or its signature is bad.
    CheckpointMismatch,
    /// The chain ends before the last checkpoint or the recorded head (tail cut off).
    Truncated,
    /// The head recorded beside the chain is not signed, or its signature is bad: it was
    /// rewritten outside the application (to hide a cut tail).
    HeadSignature,
    /// An anchor kept outside the database names an entry the chain no longer has (the
    /// database was rolled back, or its tail cut and an older signed head put back).
    AnchorMismatch,
}

/// Incremental verifier: feed entries in storage order (by seq); it remembers where it is.
#[derive(Debug)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev: Vec<u8>,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self { expected_seq: 1, prev: GENESIS_HASH.to_vec() }
    }
}

impl ChainVerifier {
    pub fn push(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        if e.seq != self.expected_seq {
            return Err(ChainBreak { seq: self.expected_seq.min(e.seq), reason: BreakReason::SequenceGap });
        }
        if e.prev_hash != self.prev {
            return Err(ChainBreak { seq: e.seq, reason: BreakReason::BrokenLink });
        }
        if entry_hash(e.seq, &e.prev_hash, &e.event).as_slice() != e.hash.as_slice() {
            return Err(ChainBreak { seq: e.seq, reason: BreakReason::HashMismatch });
        }
        self.prev.clone_from(&e.hash);
        self.expected_seq += 1;
        Ok(())
    }
    /// Sequence number of the last entry accepted (0 when none).
    pub fn last_seq(&self) -> i64 {
        self.expected_seq - 1
    }
    pub fn last_hash(&self) -> &[u8] {
        &self.prev
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS_HASH.to_vec();
        (1..=n)
            .map(|seq| {
                let event = AuditEvent { occurred_at: seq, action: format!("a{seq}"), ..Default::default() };
                let hash = entry_hash(seq, &prev, &event).to_vec();
                let e = AuditEntry { seq, prev_hash: prev.clone(), hash: hash.clone(), event };
                prev = hash;
                e
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry]) -> Result<(), ChainBreak> {
        let mut v = ChainVerifier::default();
        entries.iter().try_for_each(|e| v.push(e))
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(()));
    }

    #[test]
    fn an_edited_entry_is_detected() {
        let mut c = chain(5);
        if let Some(e) = c.get_mut(2) {
            e.event.action = "forged".into();
        }
        assert_eq!(verify(&c), Err(ChainBreak { seq: 3, reason: BreakReason::HashMismatch }));
    }

    #[test]
    fn a_deleted_entry_is_detected() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(verify(&c).map_err(|b| b.seq), Err(2));
    }

    #[test]
    fn a_reordered_pair_is_detected() {
        let mut c = chain(5);
        c.swap(1, 2);
        assert!(verify(&c).is_err());
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        let a = AuditEvent { actor: "ab".into(), actor_org: "c".into(), ..Default::default() };
        let b = AuditEvent { actor: "a".into(), actor_org: "bc".into(), ..Default::default() };
        assert_ne!(entry_hash(1, &GENESIS_HASH, &a), entry_hash(1, &GENESIS_HASH, &b));
    }
}
