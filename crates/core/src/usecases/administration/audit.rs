//! Reading and verifying the audit trail.

use super::System;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::kernel::{CHECKPOINT_PURPOSE, HEAD_PURPOSE};
use crate::store::AuditFilter;
use amparo_domain::Role;
use amparo_domain::audit::{AuditEntry, BreakReason, ChainBreak, ChainVerifier, checkpoint_message, head_message};
use amparo_domain::policy::{Action, Actor, Relation};
use ed25519_dalek::{Signature, SigningKey, Verifier};
use std::collections::HashMap;

#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct VerifyReport {
    pub entries: i64,
    pub checkpoints: usize,
    /// Anchors (kept outside the database) found in the chain.
    pub anchors: usize,
    pub broken: Option<ChainBreak>,
}

/// A signed head to keep outside the database (`amparo audit anchor`): an external log, a
/// ticket, a printed page. `amparo audit verify --anchor FILE` checks that the chain still
/// holds it, which detects rolling the whole database back or putting an older signed head
/// back after cutting the tail. It says nothing about anyone (a sequence number and hashes).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Anchor {
    pub format: String,
    pub seq: i64,
    /// Hex SHA-256 of the entry at `seq`.
    pub hash: String,
    pub key_version: i64,
    /// Hex Ed25519 signature of the head message.
    pub signature: String,
    /// Hex Ed25519 public key, so a witness can check the signature without the master key.
    pub public_key: String,
}

pub const ANCHOR_FORMAT: &str = "amparo-audit-anchor-v1";

impl Anchor {
    /// Anchors from a file: one JSON object per line (blank lines and `#` comments skipped).
    pub fn parse_lines(text: &str) -> Result<Vec<Anchor>, String> {
        let mut out = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let a: Anchor = serde_json::from_str(line).map_err(|e| format!("line {}: not an anchor ({e})", n + 1))?;
            if a.format != ANCHOR_FORMAT {
                return Err(format!("line {}: unknown anchor format {:?}", n + 1, a.format));
            }
            out.push(a);
        }
        Ok(out)
    }
}

impl System {
    /// Filtered audit entries, newest first. Organisation admins see their organisation's
    /// entries only; the system admin sees all.
    pub async fn list_audit(&self, ctx: &Ctx, mut filter: AuditFilter) -> CoreResult<Vec<AuditEntry>> {
        self.authorize(ctx, Action::ReadAudit, Relation::OwnOrgScope, "audit", "").await?;
        if let Some(Actor::User(u)) = &ctx.actor
            && !u.roles.contains(&Role::SystemAdmin)
        {
            filter.actor_org = Some(u.org_id.to_string());
        }
        filter.limit = filter.limit.clamp(1, 500);
        let page = self.store.audit_page(&filter).await?;
        // Who looked at the trail is itself part of the trail.
        self.append(&ctx.event(self.now(), "read_audit", "ok", "audit", "")).await?;
        Ok(page)
    }

    fn head_signature_ok(&self, seq: i64, hash: &[u8], key_version: Option<i64>, signature: Option<&[u8]>) -> bool {
        let (Some(v), Some(sig)) = (key_version, signature) else { return false };
        let Ok(v) = u32::try_from(v) else { return false };
        let Ok(seed) = self.keys.derive(v, HEAD_PURPOSE) else { return false };
        let Ok(sig) = <[u8; 64]>::try_from(sig) else { return false };
        SigningKey::from_bytes(&seed).verifying_key().verify(&head_message(seq, hash), &Signature::from_bytes(&sig)).is_ok()
    }

    /// Sign the head as it stands. Only for the upgrade that introduced signed heads (the
    /// command line calls it when it has just applied that migration): signing whatever
    /// head is found at any later start would bless a head rewritten outside the application.
    pub async fn sign_audit_head_after_upgrade(&self) -> CoreResult<()> {
        Ok(self.store.sign_head().await?)
    }

    /// The latest signed head, to keep outside the database. Refused if the head's signature
    /// does not hold (an anchor of a forged head would vouch for it).
    pub async fn audit_anchor(&self) -> CoreResult<Anchor> {
        let head = self.store.audit_head_signed().await?;
        if head.seq == 0 {
            return Err(CoreError::field("audit", "empty"));
        }
        if !self.head_signature_ok(head.seq, &head.hash, head.key_version, head.signature.as_deref()) {
            return Err(CoreError::Internal("the audit head's signature does not hold: run amparo audit verify".into()));
        }
        let version = u32::try_from(head.key_version.unwrap_or(0)).map_err(CoreError::internal)?;
        let seed = self.keys.derive(version, HEAD_PURPOSE).map_err(CoreError::internal)?;
        Ok(Anchor {
            format: ANCHOR_FORMAT.into(),
            seq: head.seq,
            hash: hex::encode(&head.hash),
            key_version: i64::from(version),
            signature: hex::encode(head.signature.unwrap_or_default()),
            public_key: hex::encode(SigningKey::from_bytes(&seed).verifying_key().to_bytes()),
        })
    }

    /// Walk the whole chain and every checkpoint. Reports the first break.
    pub async fn verify_audit(&self) -> CoreResult<VerifyReport> {
        self.verify_audit_with(&[]).await
    }

    /// Walk the whole chain, every checkpoint and the signed head, and check that it still
    /// holds every anchor given. Reports the first break.
    pub async fn verify_audit_with(&self, anchors: &[Anchor]) -> CoreResult<VerifyReport> {
        let checkpoints = self.store.list_checkpoints().await?;
        let mut pinned: HashMap<i64, Vec<u8>> = HashMap::new();
        // An anchor pins its entry like a checkpoint, and the chain may not end before it.
        let mut last_anchor = 0;
        let mut bad_anchor: Option<i64> = None;
        for a in anchors {
            let hash = hex::decode(&a.hash).unwrap_or_default();
            let sig = hex::decode(&a.signature).ok();
            if !self.head_signature_ok(a.seq, &hash, Some(a.key_version), sig.as_deref()) {
                bad_anchor = Some(bad_anchor.map_or(a.seq, |s: i64| s.min(a.seq)));
            }
            pinned.insert(a.seq, hash);
            last_anchor = last_anchor.max(a.seq);
        }
        let mut first_bad_cp: Option<i64> = None;
        for cp in &checkpoints {
            let version = u32::try_from(cp.key_version).map_err(CoreError::internal)?;
            let ok = match self.keys.derive(version, CHECKPOINT_PURPOSE) {
                Ok(seed) => {
                    let vk = SigningKey::from_bytes(&seed).verifying_key();
                    let sig: Option<[u8; 64]> = cp.signature.as_slice().try_into().ok();
                    sig.map(|s| vk.verify(&checkpoint_message(cp.seq, &cp.hash), &Signature::from_bytes(&s)).is_ok()).unwrap_or(false)
                }
                Err(_) => false,
            };
            if !ok {
                first_bad_cp = Some(first_bad_cp.map_or(cp.seq, |s: i64| s.min(cp.seq)));
            }
            pinned.insert(cp.seq, cp.hash.clone());
        }
        let mut v = ChainVerifier::default();
        let mut broken = None;
        'walk: loop {
            let page = self.store.audit_after(v.last_seq(), 2000).await?;
            if page.is_empty() {
                break;
            }
            for e in &page {
                if let Err(b) = v.push(e) {
                    broken = Some(b);
                    break 'walk;
                }
                if let Some(h) = pinned.get(&e.seq)
                    && h != &e.hash
                {
                    let anchored = anchors.iter().any(|a| a.seq == e.seq);
                    let reason = if anchored { BreakReason::AnchorMismatch } else { BreakReason::CheckpointMismatch };
                    broken = Some(ChainBreak { seq: e.seq, reason });
                    break 'walk;
                }
            }
        }
        if broken.is_none()
            && let Some(seq) = first_bad_cp
        {
            broken = Some(ChainBreak { seq, reason: BreakReason::CheckpointMismatch });
        }
        if broken.is_none()
            && let Some(seq) = bad_anchor
        {
            broken = Some(ChainBreak { seq, reason: BreakReason::AnchorMismatch });
        }
        if broken.is_none() && v.last_seq() < last_anchor {
            broken = Some(ChainBreak { seq: v.last_seq() + 1, reason: BreakReason::AnchorMismatch });
        }
        if broken.is_none() {
            let last_cp = checkpoints.iter().map(|c| c.seq).max().unwrap_or(0);
            let head = self.store.audit_head_signed().await?;
            let (head_seq, head_hash) = (head.seq, head.hash.clone());
            if head_seq > 0 && !self.head_signature_ok(head_seq, &head_hash, head.key_version, head.signature.as_deref()) {
                // The head beside the chain is rewritten with every append and signed in the
                // same transaction: an unsigned or badly signed head was written outside.
                broken = Some(ChainBreak { seq: head_seq, reason: BreakReason::HeadSignature });
            } else if v.last_seq() > head_seq {
                // Entries beyond the head recorded with every append: written outside the app.
                broken = Some(ChainBreak { seq: head_seq + 1, reason: BreakReason::BrokenLink });
            } else if v.last_seq() < last_cp || v.last_seq() < head_seq {
                broken = Some(ChainBreak { seq: v.last_seq() + 1, reason: BreakReason::Truncated });
            } else if head_seq == v.last_seq() && head_seq > 0 && head_hash.as_slice() != v.last_hash() {
                broken = Some(ChainBreak { seq: head_seq, reason: BreakReason::HashMismatch });
            }
        }
        Ok(VerifyReport { entries: v.last_seq(), checkpoints: checkpoints.len(), anchors: anchors.len(), broken })
    }
}
