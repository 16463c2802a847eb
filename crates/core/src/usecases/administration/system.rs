//! Operator work: key rotation and snapshots (backup/restore).

use super::System;
use crate::crypto::field;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;
use crate::store::{ENCRYPTED_COLUMNS, EncryptedCell, TableRows};
use amparo_domain::policy::{Action, Relation};

#[derive(Clone, Debug, Default, serde::Serialize, schemars::JsonSchema)]
pub struct RotationReport {
    pub new_version: u32,
    pub cells_reencrypted: usize,
}

impl System {
    /// Whether the database answers (`/healthz`, `/readyz`); reads, never migrates.
    pub async fn database_ok(&self) -> bool {
        self.store.applied_migrations().await.is_ok_and(|v| !v.is_empty())
    }

    /// Sign the current head of the audit chain now (the CLI's audit checkpoint).
    pub async fn checkpoint_now(&self) -> CoreResult<Option<crate::store::Checkpoint>> {
        self.k.checkpoint_now().await
    }

    /// Re-encrypt every encrypted cell under the keyring's active key. The caller has already
    /// added the new key to the key file (old keys stay, so a crash midway leaves every cell
    /// readable). One transaction and one audit event per column.
    pub async fn reencrypt_all(&self, ctx: &Ctx) -> CoreResult<RotationReport> {
        self.authorize(ctx, Action::ManageSystem, Relation::OwnOrgScope, "keys", "").await?;
        let active = self.keys.active_version();
        let mut total = 0;
        for (table, column) in ENCRYPTED_COLUMNS {
            let cells = self.store.encrypted_cells(table, column).await?;
            let mut out = Vec::with_capacity(cells.len());
            for c in cells {
                if field::key_version(&c.value).ok() == Some(active) {
                    continue;
                }
                let plain =
                    zeroize::Zeroizing::new(field::open(&self.keys, table, column, &c.row_id, &c.value).map_err(CoreError::internal)?);
                let value =
                    field::seal(&self.keys, self.random.bytes::<24>(), table, column, &c.row_id, &plain).map_err(CoreError::internal)?;
                out.push(EncryptedCell { row_id: c.row_id, value });
            }
            if out.is_empty() {
                continue;
            }
            total += out.len();
            let mut ev = ctx.event(self.now(), "rotate_key", "ok", "keys", &format!("{table}.{column}"));
            ev.details = serde_json::json!({ "cells": out.len(), "key_version": active }).to_string();
            let seq = self.store.rewrite_cells(table, column, &out, &ev).await?;
            self.maybe_checkpoint(seq).await;
        }
        Ok(RotationReport { new_version: active, cells_reencrypted: total })
    }

    /// A consistent snapshot for backup. Audited.
    /// The passphrase a backup file is encrypted under: derived from the master key of
    /// `version` (`None`: the active one), so the key file alone opens a backup and the
    /// backup alone opens nothing. Operator work: the console only. It writes no audit
    /// entry of its own: `snapshot` and `restore` record the backup and the restore, and a
    /// restore must find its target's trail empty.
    pub async fn backup_passphrase(&self, ctx: &Ctx, version: Option<u32>) -> CoreResult<(u32, zeroize::Zeroizing<String>)> {
        self.authorize(ctx, Action::ManageSystem, Relation::OwnOrgScope, "backup", "").await?;
        let version = version.unwrap_or_else(|| self.keys.active_version());
        let k = self.keys.derive(version, "amparo backup v1").map_err(|_| CoreError::field("key_version", "unknown_key_version"))?;
        Ok((version, zeroize::Zeroizing::new(base64::Engine::encode(&base64::engine::general_purpose::STANDARD, k.as_slice()))))
    }

    /// The CSRF token for a session (or a pre-session cookie on the login form): an HMAC
    /// under a key derived from the master key, so every instance checks it and nothing is
    /// stored.
    pub fn csrf_token(&self, binding: &str) -> String {
        crate::crypto::csrf_token(&self.keys, binding)
    }

    /// Housekeeping: drop sessions idle or older than the configured limits.
    pub async fn purge_stale_sessions(&self) -> CoreResult<u64> {
        let now = self.now();
        Ok(self.store.delete_stale_sessions(now - self.cfg.session_idle_secs, now - self.cfg.session_absolute_secs).await?)
    }

    pub async fn snapshot(&self, ctx: &Ctx) -> CoreResult<Vec<TableRows>> {
        self.authorize(ctx, Action::ManageSystem, Relation::OwnOrgScope, "backup", "").await?;
        self.append(&ctx.event(self.now(), "backup", "ok", "database", "")).await?;
        Ok(self.store.export_snapshot().await?)
    }

    /// Restore a snapshot into an empty database (the audit trail comes back exactly as it
    /// was, so `amparo audit verify` still passes afterwards).
    pub async fn restore(&self, ctx: &Ctx, tables: &[TableRows]) -> CoreResult<()> {
        self.authorize(ctx, Action::ManageSystem, Relation::OwnOrgScope, "backup", "").await?;
        if !self.store.list_orgs().await?.is_empty() || self.store.audit_head().await?.0 > 0 {
            return Err(CoreError::field("target", "database_not_empty"));
        }
        self.store.import_snapshot(tables).await?;
        self.append(&ctx.event(self.now(), "restore", "ok", "database", "")).await?;
        Ok(())
    }
}
