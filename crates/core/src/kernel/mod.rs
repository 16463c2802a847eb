//! The kernel every pillar service shares: the clock, randomness, keys and settings, and
//! the helpers each use case goes through — `authorize` (policy + audit of refusals),
//! `append`/`commit` (the audit event in the same transaction as the change) and field
//! sealing. The whole store is private to this module: a pillar's service reaches the
//! database only through its own narrow port (see `services.rs`), and its use cases reach
//! the full store only through these helpers.

pub mod job_lease;
pub mod paging;
pub mod records;
mod relations;
pub(crate) mod services;

pub(crate) use relations::relation_in;

use crate::clock::Clock;
use crate::config::AuthConfig;
use crate::crypto::field;
use crate::crypto::keyring::Keyring;
use crate::crypto::password::PasswordHasher;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::random::{Random, RandomExt};
use crate::store::{Checkpoint, Store};
use amparo_domain::Timestamp;
use amparo_domain::audit::{AuditEvent, checkpoint_message};
use amparo_domain::policy::{Action, Relation, authorize};
use ed25519_dalek::{Signer, SigningKey};
use std::sync::Arc;

pub(crate) const CHECKPOINT_PURPOSE: &str = "amparo audit checkpoint signing v1";
pub(crate) const HEAD_PURPOSE: &str = "amparo audit head signing v1";

/// Signs the audit head with a key derived from the master key (see `store::HeadSigner`).
struct KeyringHeadSigner(Arc<Keyring>);

impl crate::store::HeadSigner for KeyringHeadSigner {
    fn sign_head(&self, seq: i64, hash: &[u8]) -> Result<(i64, Vec<u8>), String> {
        let version = self.0.active_version();
        let seed = self.0.derive(version, HEAD_PURPOSE).map_err(|e| e.to_string())?;
        let sig = SigningKey::from_bytes(&seed).sign(&amparo_domain::audit::head_message(seq, hash));
        Ok((i64::from(version), sig.to_bytes().to_vec()))
    }
}

#[derive(Clone)]
pub struct Kernel {
    /// Private to the kernel: services get their narrow port from `services.rs`.
    store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) random: Arc<dyn Random>,
    pub(crate) keys: Arc<Keyring>,
    pub(crate) cfg: AuthConfig,
    pub(crate) hasher: PasswordHasher,
    /// This process's in-memory full-text index (see `usecases/search.rs`).
    pub(crate) search: Arc<crate::search_index::SearchIndex>,
    /// The record-linkage job's watermark and model; the lock also keeps runs one at a time.
    pub(crate) linkage: Arc<tokio::sync::Mutex<crate::usecases::linkage::LinkageState>>,
    /// On-demand linkage runs: the one under way, and what the last one found.
    pub(crate) linkage_runs: crate::usecases::linkage_runs::RunBoard,
    /// One national count at a time per process: a count holds every counted row's facts in
    /// memory (hundreds of megabytes at 100,000 cases), so two analysts opening the dashboard
    /// at once queue rather than double the server's memory.
    pub(crate) statistics_gate: Arc<tokio::sync::Mutex<()>>,
    /// The country profile (roles each kind of organisation may hold, time zone).
    pub(crate) profile: Arc<crate::profile::CountryProfile>,
}

impl Kernel {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        keys: Arc<Keyring>,
        cfg: AuthConfig,
    ) -> CoreResult<Self> {
        let hasher =
            PasswordHasher::new(cfg.argon2_memory_kib, cfg.argon2_iterations, random.bytes::<16>()).map_err(CoreError::Internal)?;
        let search = Arc::new(crate::search_index::SearchIndex::new().map_err(CoreError::Internal)?);
        store.set_head_signer(Arc::new(KeyringHeadSigner(keys.clone())));
        Ok(Self {
            store,
            clock,
            random,
            keys,
            cfg,
            hasher,
            search,
            linkage: Arc::default(),
            linkage_runs: crate::usecases::linkage_runs::new_board(),
            statistics_gate: Arc::default(),
            profile: Arc::new(crate::profile::CountryProfile::builtin()),
        })
    }

    pub(crate) fn profile(&self) -> &crate::profile::CountryProfile {
        &self.profile
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }
    pub(crate) fn config(&self) -> &AuthConfig {
        &self.cfg
    }
    pub(crate) fn new_operation_id(&self) -> String {
        hex::encode(self.random.bytes::<8>())
    }

    /// A keyed hash of a client address for one purpose (128 bits, hex): what the throttling
    /// and refusal counters are keyed by, so the table never holds an address.
    pub(crate) fn address_hash(&self, purpose: &str, ip: &str) -> String {
        crate::crypto::csrf_token(&self.keys, &format!("{purpose}:{ip}")).get(..32).unwrap_or("").to_owned()
    }

    /// Ask the policy. A refusal is itself audited (insiders probing for records show up in
    /// the trail), then returned as `Forbidden`.
    pub(crate) async fn authorize(
        &self,
        ctx: &Ctx,
        action: Action,
        relation: Relation,
        record_type: &str,
        record_id: &str,
    ) -> CoreResult<()> {
        let Some(actor) = &ctx.actor else { return Err(CoreError::Unauthenticated) };
        match authorize(actor, action, relation) {
            Ok(()) => Ok(()),
            Err(denial) => {
                let mut ev = ctx.event(self.now(), action.as_str(), "denied", record_type, record_id);
                ev.details = serde_json::json!({ "reason": denial }).to_string();
                self.append(&ev).await?;
                Err(CoreError::Forbidden(denial))
            }
        }
    }

    /// Append a stand-alone audit event (a read, a login, a refusal).
    pub(crate) async fn append(&self, ev: &AuditEvent) -> CoreResult<i64> {
        let seq = self.store.append_audit(ev).await?;
        self.maybe_checkpoint(seq).await;
        Ok(seq)
    }

    /// Called after every audited write with the new sequence number.
    pub(crate) async fn maybe_checkpoint(&self, seq: i64) {
        if self.cfg.checkpoint_every > 0
            && seq % self.cfg.checkpoint_every == 0
            && let Err(e) = self.checkpoint_now().await
        {
            tracing::warn!(error = %e, "audit checkpoint failed; will retry at the next interval");
        }
    }

    /// Sign the current head of the audit chain.
    pub(crate) async fn checkpoint_now(&self) -> CoreResult<Option<Checkpoint>> {
        let (seq, hash) = self.store.audit_head().await?;
        if seq == 0 {
            return Ok(None);
        }
        let version = self.keys.active_version();
        let seed = self.keys.derive(version, CHECKPOINT_PURPOSE).map_err(CoreError::internal)?;
        let key = SigningKey::from_bytes(&seed);
        let sig = key.sign(&checkpoint_message(seq, &hash));
        let cp = Checkpoint { seq, hash, key_version: i64::from(version), signature: sig.to_bytes().to_vec(), created_at: self.now() };
        self.store.insert_checkpoint(&cp).await?;
        Ok(Some(cp))
    }

    pub(crate) fn seal(&self, table: &str, column: &str, row_id: &str, plaintext: &str) -> CoreResult<Vec<u8>> {
        field::seal(&self.keys, self.random.bytes::<24>(), table, column, row_id, plaintext.as_bytes()).map_err(CoreError::internal)
    }

    pub(crate) fn open(&self, table: &str, column: &str, row_id: &str, blob: &[u8]) -> CoreResult<String> {
        let bytes = field::open(&self.keys, table, column, row_id, blob).map_err(CoreError::internal)?;
        String::from_utf8(bytes).map_err(CoreError::internal)
    }
}
