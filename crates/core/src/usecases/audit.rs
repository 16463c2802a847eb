//! Reading and verifying the audit trail.

use crate::Amparo;
use crate::app::CHECKPOINT_PURPOSE;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::store::AuditFilter;
use amparo_domain::Role;
use amparo_domain::audit::{AuditEntry, BreakReason, ChainBreak, ChainVerifier, checkpoint_message};
use amparo_domain::policy::{Action, Actor, Relation};
use ed25519_dalek::{Signature, SigningKey, Verifier};
use std::collections::HashMap;

#[derive(Clone, Debug, serde::Serialize)]
pub struct VerifyReport {
    pub entries: i64,
    pub checkpoints: usize,
    pub broken: Option<ChainBreak>,
}

impl Amparo {
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

    /// Walk the whole chain and every checkpoint. Reports the first break.
    pub async fn verify_audit(&self) -> CoreResult<VerifyReport> {
        let checkpoints = self.store.list_checkpoints().await?;
        let mut pinned: HashMap<i64, Vec<u8>> = HashMap::new();
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
                    broken = Some(ChainBreak { seq: e.seq, reason: BreakReason::CheckpointMismatch });
                    break 'walk;
                }
            }
        }
        if broken.is_none()
            && let Some(seq) = first_bad_cp
        {
            broken = Some(ChainBreak { seq, reason: BreakReason::CheckpointMismatch });
        }
        if broken.is_none() {
            let last_cp = checkpoints.iter().map(|c| c.seq).max().unwrap_or(0);
            let (head_seq, head_hash) = self.store.audit_head().await?;
            if v.last_seq() > head_seq {
                // Entries beyond the head recorded with every append: written outside the app.
                broken = Some(ChainBreak { seq: head_seq + 1, reason: BreakReason::BrokenLink });
            } else if v.last_seq() < last_cp || v.last_seq() < head_seq {
                broken = Some(ChainBreak { seq: v.last_seq() + 1, reason: BreakReason::Truncated });
            } else if head_seq == v.last_seq() && head_seq > 0 && head_hash.as_slice() != v.last_hash() {
                broken = Some(ChainBreak { seq: head_seq, reason: BreakReason::HashMismatch });
            }
        }
        Ok(VerifyReport { entries: v.last_seq(), checkpoints: checkpoints.len(), broken })
    }
}
