//! `SqlStore`: the `Store` port implemented once over `sqlx::Any` for both backends.

use crate::audit::{FilterValue, append_in, entry, page_query};
use crate::decode::{b, be, flag, i, ob, oi, os, s};
use crate::{migrate, records, snapshot, stat_projection};
use amparo_core::store::*;
use amparo_domain::audit::{AuditEntry, AuditEvent};
use amparo_domain::geo::{Area, Country};
use amparo_domain::org::{OrgKind, Organisation};
use amparo_domain::user::{Locale, User};
use amparo_domain::{OrgId, PersonId, Role, UserId};
use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

#[derive(Clone)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    /// Signs the audit head in every append (installed by the core; see `HeadSigner`).
    signer: std::sync::Arc<std::sync::RwLock<Option<std::sync::Arc<dyn HeadSigner>>>>,
}

impl SqlStore {
    pub fn new(pool: AnyPool, backend: Backend) -> Self {
        Self { pool, backend, signer: Default::default() }
    }
    fn signer(&self) -> Option<std::sync::Arc<dyn HeadSigner>> {
        self.signer.read().ok().and_then(|s| s.clone())
    }
    /// The pool, for tests that must reach under the application (tampering tests).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Rows in one bulk write above which the statistics projection is rebuilt rather than
/// refreshed record by record.
const BULK_REBUILD_ROWS: usize = 5_000;

/// The statistics projection's change keys of a batch.
fn batch_keys(batch: &Batch) -> Vec<String> {
    let mut keys: Vec<String> = batch.inserts.iter().chain(&batch.updates).flat_map(|(t, r)| stat_projection::dirty_keys(*t, r)).collect();
    keys.sort();
    keys.dedup();
    keys
}

fn org(r: &AnyRow) -> StoreResult<Organisation> {
    Ok(Organisation {
        id: OrgId::from_trusted(s(r, "id")?),
        parent_id: os(r, "parent_id")?.map(OrgId::from_trusted),
        name: s(r, "name")?,
        kind: OrgKind::parse(&s(r, "kind")?).ok_or_else(|| StoreError::Backend("unknown organisation kind".into()))?,
        jurisdiction: s(r, "jurisdiction")?,
        version: i(r, "version")?,
        created_at: i(r, "created_at")?,
    })
}

fn user(r: &AnyRow) -> StoreResult<UserRecord> {
    let roles = s(r, "roles")?.split(',').filter_map(Role::parse).collect();
    let totp_secret = ob(r, "totp_secret")?;
    Ok(UserRecord {
        user: User {
            id: UserId::from_trusted(s(r, "id")?),
            org_id: OrgId::from_trusted(s(r, "org_id")?),
            email: s(r, "email")?,
            display_name: s(r, "display_name")?,
            roles,
            locale: os(r, "locale")?.as_deref().and_then(Locale::parse),
            disabled: flag(r, "disabled")?,
            mfa_enrolled: totp_secret.is_some(),
            mfa_exempt_demo: flag(r, "mfa_exempt_demo")?,
            version: i(r, "version")?,
            created_at: i(r, "created_at")?,
        },
        password_hash: s(r, "password_hash")?,
        totp_secret,
        totp_last_step: i(r, "totp_last_step")?,
        recovery_hashes: s(r, "recovery_hashes")?.split(',').filter(|h| !h.is_empty()).map(str::to_owned).collect(),
    })
}

fn session(r: &AnyRow) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        id_hash: s(r, "id_hash")?,
        user_id: UserId::from_trusted(s(r, "user_id")?),
        created_at: i(r, "created_at")?,
        last_seen_at: i(r, "last_seen_at")?,
        mfa_ok: flag(r, "mfa_ok")?,
        pending_totp: ob(r, "pending_totp")?,
        locale: os(r, "locale")?,
    })
}

fn token(r: &AnyRow) -> StoreResult<TokenRecord> {
    Ok(TokenRecord {
        id: s(r, "id")?,
        user_id: UserId::from_trusted(s(r, "user_id")?),
        name: s(r, "name")?,
        secret_hash: s(r, "secret_hash")?,
        created_at: i(r, "created_at")?,
        expires_at: i(r, "expires_at")?,
        revoked_at: oi(r, "revoked_at")?,
    })
}

fn roles_text(roles: &[Role]) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}

/// The id column of each table with encrypted columns.
fn id_column(table: &str) -> Option<&'static str> {
    match table {
        "persons" | "users" | "reports" | "operations" | "inspections" | "screenings" | "decisions" | "services" | "referrals"
        | "assistance" | "notifications" | "cases" | "case_links" | "case_events" | "charges" | "shares" | "tasks" | "alerts"
        | "prevention" | "attachments" | "person_matches" => Some("id"),
        "sessions" => Some("id_hash"),
        "idempotency_keys" => Some("key_hash"),
        _ => None,
    }
}

fn encrypted_target(table: &str, column: &str) -> StoreResult<&'static str> {
    if !ENCRYPTED_COLUMNS.iter().any(|(t, c)| *t == table && *c == column) {
        return Err(StoreError::Backend(format!("{table}.{column} is not an encrypted column")));
    }
    id_column(table).ok_or_else(|| StoreError::Backend("no id column".into()))
}

#[async_trait]
impl SchemaStore for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn migrate(&self) -> StoreResult<Vec<i64>> {
        migrate::run(&self.pool, self.backend).await
    }

    async fn applied_migrations(&self) -> StoreResult<Vec<i64>> {
        migrate::applied(&self.pool).await
    }
}

#[async_trait]
impl ReferenceStore for SqlStore {
    async fn upsert_countries(&self, countries: &[Country], audit: &AuditEvent) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(be)?;
        append_in(&mut tx, audit, self.signer().as_deref()).await?;
        for c in countries {
            sqlx::query(
                "INSERT INTO countries (alpha2, alpha3, name_es, name_en) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (alpha2) DO UPDATE SET alpha3 = excluded.alpha3, name_es = excluded.name_es, name_en = excluded.name_en",
            )
            .bind(c.alpha2.clone())
            .bind(c.alpha3.clone())
            .bind(c.name_es.clone())
            .bind(c.name_en.clone())
            .execute(&mut *tx)
            .await
            .map_err(be)?;
        }
        tx.commit().await.map_err(be)?;
        Ok(countries.len() as u64)
    }

    async fn upsert_areas(&self, areas: &[Area], audit: &AuditEvent) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(be)?;
        append_in(&mut tx, audit, self.signer().as_deref()).await?;
        for a in areas {
            sqlx::query(
                "INSERT INTO areas (code, country, level, parent_code, name) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (code) DO UPDATE SET country = excluded.country, level = excluded.level, \
                 parent_code = excluded.parent_code, name = excluded.name",
            )
            .bind(a.code.clone())
            .bind(a.country.clone())
            .bind(a.level)
            .bind(a.parent_code.clone())
            .bind(a.name.clone())
            .execute(&mut *tx)
            .await
            .map_err(be)?;
        }
        tx.commit().await.map_err(be)?;
        Ok(areas.len() as u64)
    }

    async fn list_countries(&self) -> StoreResult<Vec<Country>> {
        let rows = sqlx::query("SELECT * FROM countries ORDER BY alpha2").fetch_all(&self.pool).await.map_err(be)?;
        rows.iter()
            .map(|r| Ok(Country { alpha2: s(r, "alpha2")?, alpha3: s(r, "alpha3")?, name_es: s(r, "name_es")?, name_en: s(r, "name_en")? }))
            .collect()
    }

    async fn list_areas(&self, country: &str, parent: Option<&str>) -> StoreResult<Vec<Area>> {
        let rows = match parent {
            Some(p) => {
                sqlx::query("SELECT * FROM areas WHERE country = $1 AND parent_code = $2 ORDER BY code")
                    .bind(country.to_owned())
                    .bind(p.to_owned())
                    .fetch_all(&self.pool)
                    .await
            }
            None => {
                sqlx::query("SELECT * FROM areas WHERE country = $1 AND parent_code IS NULL ORDER BY code")
                    .bind(country.to_owned())
                    .fetch_all(&self.pool)
                    .await
            }
        }
        .map_err(be)?;
        rows.iter().map(area).collect()
    }

    async fn get_area(&self, code: &str) -> StoreResult<Option<Area>> {
        let row = sqlx::query("SELECT * FROM areas WHERE code = $1").bind(code.to_owned()).fetch_optional(&self.pool).await.map_err(be)?;
        row.as_ref().map(area).transpose()
    }

    async fn count_areas(&self, country: &str) -> StoreResult<Vec<(i64, i64)>> {
        let rows = sqlx::query("SELECT level, COUNT(*) AS n FROM areas WHERE country = $1 GROUP BY level ORDER BY level")
            .bind(country.to_owned())
            .fetch_all(&self.pool)
            .await
            .map_err(be)?;
        rows.iter().map(|r| Ok((i(r, "level")?, i(r, "n")?))).collect()
    }

    async fn add_statutes(&self, rows: &[(String, String, String)], audit: &AuditEvent) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(be)?;
        append_in(&mut tx, audit, self.signer().as_deref()).await?;
        let mut n = 0;
        for (id, country, body) in rows {
            let done = sqlx::query("INSERT INTO statutes (id, country, body) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING")
                .bind(id.clone())
                .bind(country.clone())
                .bind(body.clone())
                .execute(&mut *tx)
                .await
                .map_err(be)?;
            n += done.rows_affected();
        }
        tx.commit().await.map_err(be)?;
        Ok(n)
    }

    async fn list_statutes(&self) -> StoreResult<Vec<(String, String, String)>> {
        let rows = sqlx::query("SELECT id, country, body FROM statutes ORDER BY country, id").fetch_all(&self.pool).await.map_err(be)?;
        rows.iter().map(|r| Ok((s(r, "id")?, s(r, "country")?, s(r, "body")?))).collect()
    }

    async fn insert_instrument(&self, rec: &InstrumentRecord, audit: &AuditEvent) -> StoreResult<i64> {
        records::insert_instrument(&self.pool, rec, audit, self.signer().as_deref()).await
    }

    async fn list_instruments(&self) -> StoreResult<Vec<InstrumentRecord>> {
        records::list_instruments(&self.pool).await
    }

    async fn get_instrument(&self, id: &str) -> StoreResult<Option<InstrumentRecord>> {
        records::get_instrument(&self.pool, id).await
    }
}

#[async_trait]
impl OrgStore for SqlStore {
    async fn insert_org(&self, o: &Organisation, audit: &AuditEvent) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await.map_err(be)?;
        let seq = append_in(&mut tx, audit, self.signer().as_deref()).await?;
        sqlx::query(
            "INSERT INTO organisations (id, parent_id, name, kind, jurisdiction, version, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(o.id.to_string())
        .bind(o.parent_id.as_ref().map(|p| p.to_string()))
        .bind(o.name.clone())
        .bind(o.kind.as_str())
        .bind(o.jurisdiction.clone())
        .bind(o.version)
        .bind(o.created_at)
        .execute(&mut *tx)
        .await
        .map_err(be)?;
        tx.commit().await.map_err(be)?;
        Ok(seq)
    }
    async fn update_org(&self, o: &Organisation, audit: &AuditEvent) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await.map_err(be)?;
        let seq = append_in(&mut tx, audit, self.signer().as_deref()).await?;
        let done = sqlx::query(
            "UPDATE organisations SET parent_id = $1, name = $2, kind = $3, jurisdiction = $4, version = $5 WHERE id = $6 AND version = $7",
        )
        .bind(o.parent_id.as_ref().map(|p| p.to_string()))
        .bind(o.name.clone())
        .bind(o.kind.as_str())
        .bind(o.jurisdiction.clone())
        .bind(o.version)
        .bind(o.id.to_string())
        .bind(o.version - 1)
        .execute(&mut *tx)
        .await
        .map_err(be)?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        tx.commit().await.map_err(be)?;
        Ok(seq)
    }
    async fn get_org(&self, id: &OrgId) -> StoreResult<Option<Organisation>> {
        let row =
            sqlx::query("SELECT * FROM organisations WHERE id = $1").bind(id.to_string()).fetch_optional(&self.pool).await.map_err(be)?;
        row.as_ref().map(org).transpose()
    }
    async fn list_orgs(&self) -> StoreResult<Vec<Organisation>> {
        let rows = sqlx::query("SELECT * FROM organisations ORDER BY name").fetch_all(&self.pool).await.map_err(be)?;
        rows.iter().map(org).collect()
    }
}

#[async_trait]
impl AccountStore for SqlStore {
    async fn insert_user(&self, u: &UserRecord, audit: &AuditEvent) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await.map_err(be)?;
        let seq = append_in(&mut tx, audit, self.signer().as_deref()).await?;
        sqlx::query(
            "INSERT INTO users (id, org_id, email, display_name, roles, locale, disabled, mfa_exempt_demo, version, created_at, \
             password_hash, totp_secret, totp_last_step, recovery_hashes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(u.user.id.to_string())
        .bind(u.user.org_id.to_string())
        .bind(u.user.email.clone())
        .bind(u.user.display_name.clone())
        .bind(roles_text(&u.user.roles))
        .bind(u.user.locale.map(|l| l.as_str().to_owned()))
        .bind(i64::from(u.user.disabled))
        .bind(i64::from(u.user.mfa_exempt_demo))
        .bind(u.user.version)
        .bind(u.user.created_at)
        .bind(u.password_hash.clone())
        .bind(u.totp_secret.clone())
        .bind(u.totp_last_step)
        .bind(u.recovery_hashes.join(","))
        .execute(&mut *tx)
        .await
        .map_err(|e| match be(e) {
            StoreError::Duplicate(_) => StoreError::Duplicate("email"),
            other => other,
        })?;
        tx.commit().await.map_err(be)?;
        Ok(seq)
    }
    async fn update_user(&self, u: &User, audit: &AuditEvent) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await.map_err(be)?;
        let seq = append_in(&mut tx, audit, self.signer().as_deref()).await?;
        let done = sqlx::query(
            "UPDATE users SET display_name = $1, roles = $2, locale = $3, disabled = $4, version = $5 WHERE id = $6 AND version = $7",
        )
        .bind(u.display_name.clone())
        .bind(roles_text(&u.roles))
        .bind(u.locale.map(|l| l.as_str().to_owned()))
        .bind(i64::from(u.disabled))
        .bind(u.version)
        .bind(u.id.to_string())
        .bind(u.version - 1)
        .execute(&mut *tx)
        .await
        .map_err(be)?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        tx.commit().await.map_err(be)?;
        Ok(seq)
    }
    async fn set_password(&self, id: &UserId, hash: &str, audit: &AuditEvent) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await.map_err(be)?;
        let seq = append_in(&mut tx, audit, self.signer().as_deref()).await?;
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash.to_owned())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(be)?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await.map_err(be)?;
        Ok(seq)
    }
    async fn set_mfa(&self, id: &UserId, secret: Option<&[u8]>, recovery: &[String], audit: &AuditEvent) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await.map_err(be)?;
        let seq = append_in(&mut tx, audit, self.signer().as_deref()).await?;
        let done = sqlx::query("UPDATE users SET totp_secret = $1, recovery_hashes = $2, totp_last_step = 0 WHERE id = $3")
            .bind(secret.map(<[u8]>::to_vec))
            .bind(recovery.join(","))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(be)?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await.map_err(be)?;
        Ok(seq)
    }
    async fn advance_totp_step(&self, id: &UserId, step: i64) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $3")
            .bind(step)
            .bind(id.to_string())
            .bind(step)
            .execute(&self.pool)
            .await
            .map_err(be)?;
        Ok(done.rows_affected() == 1)
    }
    async fn consume_recovery_code(&self, id: &UserId, code_hash: &str, audit: &AuditEvent) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(be)?;
        append_in(&mut tx, audit, self.signer().as_deref()).await?;
        let row = sqlx::query("SELECT recovery_hashes FROM users WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(be)?;
        let Some(row) = row else { return Ok(false) };
        let hashes: Vec<String> = s(&row, "recovery_hashes")?.split(',').filter(|h| !h.is_empty()).map(str::to_owned).collect();
        if !hashes.iter().any(|h| h == code_hash) {
            return Ok(false);
        }
        let left: Vec<String> = hashes.into_iter().filter(|h| h != code_hash).collect();
        sqlx::query("UPDATE users SET recovery_hashes = $1 WHERE id = $2")
            .bind(left.join(","))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(be)?;
        tx.commit().await.map_err(be)?;
        Ok(true)
    }
    async fn get_user(&self, id: &UserId) -> StoreResult<Option<UserRecord>> {
        let row = sqlx::query("SELECT * FROM users WHERE id = $1").bind(id.to_string()).fetch_optional(&self.pool).await.map_err(be)?;
        row.as_ref().map(user).transpose()
    }
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>> {
        let row =
            sqlx::query("SELECT * FROM users WHERE email = $1").bind(email.to_owned()).fetch_optional(&self.pool).await.map_err(be)?;
        row.as_ref().map(user).transpose()
    }
    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let rows = sqlx::query("SELECT * FROM users ORDER BY email").fetch_all(&self.pool).await.map_err(be)?;
        rows.iter().map(|r| user(r).map(|u| u.user)).collect()
    }
    async fn insert_token(&self, t: &TokenRecord, audit: &AuditEvent) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await.map_err(be)?;
        let seq = append_in(&mut tx, audit, self.signer().as_deref()).await?;
        sqlx::query("INSERT INTO api_tokens (id, user_id, name, secret_hash, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(t.id.clone())
            .bind(t.user_id.to_string())
            .bind(t.name.clone())
            .bind(t.secret_hash.clone())
            .bind(t.created_at)
            .bind(t.expires_at)
            .bind(t.revoked_at)
            .execute(&mut *tx)
            .await
            .map_err(be)?;
        tx.commit().await.map_err(be)?;
        Ok(seq)
    }
    async fn find_token(&self, id: &str) -> StoreResult<Option<TokenRecord>> {
        let row = sqlx::query("SELECT * FROM api_tokens WHERE id = $1").bind(id.to_owned()).fetch_optional(&self.pool).await.map_err(be)?;
        row.as_ref().map(token).transpose()
    }
    async fn revoke_token(&self, id: &str, at: i64, audit: &AuditEvent) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await.map_err(be)?;
        let seq = append_in(&mut tx, audit, self.signer().as_deref()).await?;
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(at)
            .bind(id.to_owned())
            .execute(&mut *tx)
            .await
            .map_err(be)?;
        tx.commit().await.map_err(be)?;
        Ok(seq)
    }
    async fn list_tokens(&self, user_id: &UserId) -> StoreResult<Vec<TokenRecord>> {
        let rows = sqlx::query("SELECT * FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC")
            .bind(user_id.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(be)?;
        rows.iter().map(token).collect()
    }
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn insert_session(&self, x: &SessionRecord) -> StoreResult<()> {
        sqlx::query("INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, mfa_ok, pending_totp, locale) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(x.id_hash.clone())
            .bind(x.user_id.to_string())
            .bind(x.created_at)
            .bind(x.last_seen_at)
            .bind(i64::from(x.mfa_ok))
            .bind(x.pending_totp.clone())
            .bind(x.locale.clone())
            .execute(&self.pool)
            .await
            .map_err(be)?;
        Ok(())
    }

    async fn get_session(&self, id_hash: &str) -> StoreResult<Option<SessionRecord>> {
        let row = sqlx::query("SELECT * FROM sessions WHERE id_hash = $1")
            .bind(id_hash.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(be)?;
        row.as_ref().map(session).transpose()
    }

    async fn update_session(&self, x: &SessionRecord) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1, mfa_ok = $2, pending_totp = $3, locale = $4 WHERE id_hash = $5")
            .bind(x.last_seen_at)
            .bind(i64::from(x.mfa_ok))
            .bind(x.pending_totp.clone())
            .bind(x.locale.clone())
            .bind(x.id_hash.clone())
            .execute(&self.pool)
            .await
            .map_err(be)?;
        Ok(())
    }

    async fn set_pending_totp_if_absent(&self, id_hash: &str, blob: &[u8]) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE sessions SET pending_totp = $1 WHERE id_hash = $2 AND pending_totp IS NULL")
            .bind(blob.to_vec())
            .bind(id_hash.to_owned())
            .execute(&self.pool)
            .await
            .map_err(be)?;
        Ok(r.rows_affected() == 1)
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash.to_owned()).execute(&self.pool).await.map_err(be)?;
        Ok(())
    }

    async fn delete_user_sessions(&self, user_id: &UserId) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id.to_string()).execute(&self.pool).await.map_err(be)?;
        Ok(r.rows_affected())
    }

    async fn delete_stale_sessions(&self, idle_before: i64, created_before: i64) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
            .bind(idle_before)
            .bind(created_before)
            .execute(&self.pool)
            .await
            .map_err(be)?;
        Ok(r.rows_affected())
    }

    async fn throttle_get(&self, key: &str) -> StoreResult<Option<ThrottleState>> {
        let row = sqlx::query("SELECT * FROM throttle WHERE key = $1").bind(key.to_owned()).fetch_optional(&self.pool).await.map_err(be)?;
        row.map(|r| {
            Ok(ThrottleState { failures: i(&r, "failures")?, window_start: i(&r, "window_start")?, locked_until: i(&r, "locked_until")? })
        })
        .transpose()
    }

    async fn throttle_put(&self, key: &str, t: &ThrottleState) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO throttle (key, failures, window_start, locked_until) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, locked_until = excluded.locked_until",
        )
        .bind(key.to_owned())
        .bind(t.failures)
        .bind(t.window_start)
        .bind(t.locked_until)
        .execute(&self.pool)
        .await
        .map_err(be)?;
        Ok(())
    }

    async fn throttle_clear(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM throttle WHERE key = $1").bind(key.to_owned()).execute(&self.pool).await.map_err(be)?;
        Ok(())
    }
}

#[async_trait]
impl IdempotencyStore for SqlStore {
    async fn idempotency_claim(&self, key_hash: &str, request_hash: &str, operation_id: &str, now: i64) -> StoreResult<IdemRecord> {
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (key_hash, request_hash, state, operation_id, status, body, created_at, updated_at) \
             VALUES ($1, $2, 'pending', $3, 0, NULL, $4, $4) ON CONFLICT (key_hash) DO NOTHING",
        )
        .bind(key_hash.to_owned())
        .bind(request_hash.to_owned())
        .bind(operation_id.to_owned())
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(be)?
        .rows_affected();
        if inserted == 1 {
            return Ok(IdemRecord::Claimed);
        }
        let Some(r) =
            sqlx::query("SELECT request_hash, state, operation_id, status, body, updated_at FROM idempotency_keys WHERE key_hash = $1")
                .bind(key_hash.to_owned())
                .fetch_optional(&self.pool)
                .await
                .map_err(be)?
        else {
            // Purged between the two statements: claim again.
            return self.idempotency_claim(key_hash, request_hash, operation_id, now).await;
        };
        if s(&r, "request_hash")? != request_hash {
            return Ok(IdemRecord::OtherRequest);
        }
        if s(&r, "state")? == "done" {
            return Ok(IdemRecord::Done { status: i(&r, "status")?, body: ob(&r, "body")?.unwrap_or_default() });
        }
        Ok(IdemRecord::Pending { operation_id: s(&r, "operation_id")?, since: i(&r, "updated_at")? })
    }

    async fn idempotency_finish(&self, key_hash: &str, status: i64, body: &[u8], now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE idempotency_keys SET state = 'done', status = $2, body = $3, updated_at = $4 WHERE key_hash = $1")
            .bind(key_hash.to_owned())
            .bind(status)
            .bind(body.to_vec())
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(be)?;
        Ok(())
    }

    async fn idempotency_release(&self, key_hash: &str, operation_id: &str, now: i64) -> StoreResult<()> {
        if operation_id.is_empty() {
            sqlx::query("DELETE FROM idempotency_keys WHERE key_hash = $1 AND state = 'pending'")
                .bind(key_hash.to_owned())
                .execute(&self.pool)
                .await
                .map_err(be)?;
        } else {
            sqlx::query("UPDATE idempotency_keys SET operation_id = $2, updated_at = $3 WHERE key_hash = $1 AND state = 'pending'")
                .bind(key_hash.to_owned())
                .bind(operation_id.to_owned())
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(be)?;
        }
        Ok(())
    }

    async fn idempotency_purge(&self, before: i64) -> StoreResult<u64> {
        Ok(sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(be)?
            .rows_affected())
    }

    async fn audit_of_operation(&self, operation_id: &str) -> StoreResult<Vec<(String, String, String)>> {
        let rows = sqlx::query(
            "SELECT action, record_type, record_id FROM audit_log WHERE operation_id = $1 AND outcome = 'ok' ORDER BY seq LIMIT 100",
        )
        .bind(operation_id.to_owned())
        .fetch_all(&self.pool)
        .await
        .map_err(be)?;
        rows.iter().map(|r| Ok((s(r, "action")?, s(r, "record_type")?, s(r, "record_id")?))).collect()
    }
}

#[async_trait]
impl PersonStore for SqlStore {
    async fn insert_person(&self, p: &PersonRecord, audit: &AuditEvent) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await.map_err(be)?;
        let seq = append_in(&mut tx, audit, self.signer().as_deref()).await?;
        records::insert_person(&mut tx, p).await?;
        stat_projection::mark(&mut tx, &[format!("p:{}", p.id)]).await?;
        tx.commit().await.map_err(be)?;
        Ok(seq)
    }

    async fn get_person(&self, id: &PersonId) -> StoreResult<Option<PersonRecord>> {
        let row = sqlx::query("SELECT * FROM persons WHERE id = $1").bind(id.to_string()).fetch_optional(&self.pool).await.map_err(be)?;
        row.as_ref().map(records::person).transpose()
    }

    async fn list_persons(&self, org_id: &OrgId) -> StoreResult<Vec<PersonRecord>> {
        records::persons_where(&self.pool, "org_id", &[org_id.to_string()]).await
    }

    async fn persons_by_ids(&self, ids: &[String]) -> StoreResult<Vec<PersonRecord>> {
        records::persons_where(&self.pool, "id", ids).await
    }

    async fn persons_listed(&self, filter: &amparo_core::store::PersonListFilter) -> StoreResult<Vec<PersonRecord>> {
        records::persons_listed(&self.pool, filter).await
    }

    async fn persons_page(&self, after: Option<&PersonId>, limit: usize) -> StoreResult<Vec<PersonRecord>> {
        records::persons_page(&self.pool, after.map(PersonId::as_str), limit).await
    }

    async fn persons_changed_since(&self, since: amparo_domain::Timestamp) -> StoreResult<Vec<(PersonId, amparo_domain::Timestamp)>> {
        records::persons_changed_since(&self.pool, since).await
    }

    async fn persons_from_source(&self, source_id: &str) -> StoreResult<Vec<PersonRecord>> {
        records::persons_where(&self.pool, "source_id", &[source_id.to_owned()]).await
    }

    async fn update_person(&self, p: &PersonRecord, audit: &AuditEvent) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await.map_err(be)?;
        let seq = append_in(&mut tx, audit, self.signer().as_deref()).await?;
        records::update_person(&mut tx, p).await?;
        stat_projection::mark(&mut tx, &[format!("p:{}", p.id)]).await?;
        tx.commit().await.map_err(be)?;
        Ok(seq)
    }

    async fn persons_by_source(&self, org: &OrgId, source_type: &str) -> StoreResult<Vec<(String, String)>> {
        crate::stat_scan::persons_by_source(&self.pool, org, source_type).await
    }

    async fn persons_matching(&self, match_doc: Option<&str>, match_name_dob: Option<&str>) -> StoreResult<Vec<PersonRecord>> {
        let mut out = Vec::new();
        if let Some(d) = match_doc {
            out.extend(records::persons_where(&self.pool, "match_doc", &[d.to_owned()]).await?);
        }
        if let Some(n) = match_name_dob {
            for p in records::persons_where(&self.pool, "match_name_dob", &[n.to_owned()]).await? {
                if !out.iter().any(|x: &PersonRecord| x.id == p.id) {
                    out.push(p);
                }
            }
        }
        Ok(out)
    }

    async fn set_person_match(&self, id: &PersonId, match_doc: Option<&str>, match_name_dob: Option<&str>) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(be)?;
        sqlx::query("UPDATE persons SET match_doc = $1, match_name_dob = $2 WHERE id = $3")
            .bind(match_doc.map(str::to_owned))
            .bind(match_name_dob.map(str::to_owned))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(be)?;
        stat_projection::mark(&mut tx, &[format!("p:{id}")]).await?;
        tx.commit().await.map_err(be)
    }
}

#[async_trait]
impl RecordStore for SqlStore {
    async fn write(&self, batch: &Batch, audit: &AuditEvent) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await.map_err(be)?;
        let seq = append_in(&mut tx, audit, self.signer().as_deref()).await?;
        records::write(&mut tx, batch).await?;
        stat_projection::mark(&mut tx, &batch_keys(batch)).await?;
        tx.commit().await.map_err(be)?;
        Ok(seq)
    }

    async fn write_bulk(&self, persons: &[PersonRecord], batch: &Batch, audit: &AuditEvent) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await.map_err(be)?;
        let seq = append_in(&mut tx, audit, self.signer().as_deref()).await?;
        for p in persons {
            records::insert_person_whole(&mut tx, p).await?;
        }
        records::write(&mut tx, batch).await?;
        // A bulk load (a generated data set, a large import) asks for a full rebuild of the
        // statistics projection rather than listing every row it wrote.
        let keys = if persons.len() + batch.inserts.len() + batch.updates.len() > BULK_REBUILD_ROWS {
            vec!["*".to_owned()]
        } else {
            persons.iter().map(|p| format!("p:{}", p.id)).chain(batch_keys(batch)).collect()
        };
        stat_projection::mark(&mut tx, &keys).await?;
        tx.commit().await.map_err(be)?;
        Ok(seq)
    }

    async fn get_row(&self, table: RecordTable, id: &str) -> StoreResult<Option<RecordRow>> {
        records::get_row(&self.pool, table, id).await
    }

    async fn find_rows(&self, table: RecordTable, filter: &RowFilter) -> StoreResult<Vec<RecordRow>> {
        records::find_rows(&self.pool, table, filter).await
    }

    async fn gap_page(&self, q: &amparo_core::store::GapQuery) -> StoreResult<Vec<amparo_core::store::GapCandidate>> {
        records::gap_page(&self.pool, q).await
    }

    async fn gap_count(&self, q: &amparo_core::store::GapQuery) -> StoreResult<i64> {
        records::gap_count(&self.pool, q).await
    }

    async fn count_rows(&self, table: RecordTable, filter: &RowFilter) -> StoreResult<i64> {
        records::count_rows(&self.pool, table, filter).await
    }
}

#[async_trait]
impl StatStore for SqlStore {
    async fn stat_rows(&self, table: RecordTable, attrs_fields: &[&str]) -> StoreResult<Vec<RecordRow>> {
        records::stat_rows(&self.pool, self.backend, table, attrs_fields).await
    }

    async fn stat_scan(&self, scan: &StatScan<'_>, each: &mut (dyn FnMut(StatRow) + Send)) -> StoreResult<()> {
        crate::stat_scan::stat_scan(&self.pool, self.backend, scan, each).await
    }

    async fn stat_shared_documents(&self) -> StoreResult<Vec<(String, String, String)>> {
        crate::stat_scan::shared_documents(&self.pool).await
    }

    async fn stat_version(&self) -> StoreResult<Option<String>> {
        stat_projection::version(&self.pool).await
    }

    async fn stat_reset(&self) -> StoreResult<()> {
        stat_projection::reset(&self.pool).await
    }

    async fn stat_set_version(&self, version: &str) -> StoreResult<()> {
        stat_projection::set_version(&self.pool, version).await
    }

    async fn stat_take_dirty(&self, limit: usize) -> StoreResult<Vec<String>> {
        stat_projection::take_dirty(&self.pool, limit).await
    }

    async fn stat_dirty_waiting(&self) -> StoreResult<bool> {
        stat_projection::dirty_waiting(&self.pool).await
    }

    async fn stat_groups_of(&self, persons: &[String]) -> StoreResult<Vec<(String, String)>> {
        stat_projection::groups_of(&self.pool, persons).await
    }

    async fn stat_person_edges(&self, persons: &[String]) -> StoreResult<(Vec<(String, String, String)>, Vec<RecordRow>)> {
        stat_projection::person_edges(&self.pool, persons).await
    }

    async fn stat_write(&self, w: &StatWrite) -> StoreResult<()> {
        stat_projection::write(&self.pool, w).await
    }

    async fn stat_victims(&self, q: StatVictimQuery<'_>, each: &mut (dyn for<'x> FnMut(&'x str) + Send)) -> StoreResult<()> {
        stat_projection::victims(&self.pool, self.backend, q, each).await
    }

    async fn stat_screened(&self, years: &[(i32, i64, i64)]) -> StoreResult<Vec<(i32, u64)>> {
        stat_projection::screened(&self.pool, years).await
    }

    async fn stat_trend(&self, q: &StatTrendQuery<'_>) -> StoreResult<Vec<StatTrendRow>> {
        stat_projection::trend(&self.pool, self.backend, q).await
    }

    async fn stat_charges(&self, from_day: i64, to_day: i64, each: &mut (dyn FnMut(StatChargeRow) + Send)) -> StoreResult<()> {
        stat_projection::charges(&self.pool, self.backend, from_day, to_day, each).await
    }
}

#[async_trait]
impl LeaseStore for SqlStore {
    async fn lease(&self, job: &str, owner: &str, now: i64, until: i64) -> StoreResult<bool> {
        crate::leases::take(&self.pool, job, owner, now, until).await
    }

    async fn release_lease(&self, job: &str, owner: &str) -> StoreResult<()> {
        crate::leases::release(&self.pool, job, owner).await
    }
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn append_audit(&self, event: &AuditEvent) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await.map_err(be)?;
        let seq = append_in(&mut tx, event, self.signer().as_deref()).await?;
        tx.commit().await.map_err(be)?;
        Ok(seq)
    }

    async fn audit_page(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditEntry>> {
        let (sql, vals) = page_query(filter);
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for v in vals {
            q = match v {
                FilterValue::Text(t) => q.bind(t),
                FilterValue::Int(n) => q.bind(n),
            };
        }
        let rows = q.fetch_all(&self.pool).await.map_err(be)?;
        rows.iter().map(entry).collect()
    }

    async fn audit_after(&self, after: i64, limit: i64) -> StoreResult<Vec<AuditEntry>> {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(be)?;
        rows.iter().map(entry).collect()
    }

    async fn audit_head(&self) -> StoreResult<(i64, Vec<u8>)> {
        let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_optional(&self.pool).await.map_err(be)?;
        match row {
            Some(r) => Ok((i(&r, "seq")?, b(&r, "hash")?)),
            None => Ok((0, vec![0; 32])),
        }
    }

    async fn audit_head_signed(&self) -> StoreResult<SignedHead> {
        let row = sqlx::query("SELECT seq, hash, key_version, signature FROM audit_head WHERE id = 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(be)?;
        match row {
            Some(r) => Ok(SignedHead {
                seq: i(&r, "seq")?,
                hash: b(&r, "hash")?,
                key_version: oi(&r, "key_version")?,
                signature: ob(&r, "signature")?,
            }),
            None => Ok(SignedHead { seq: 0, hash: vec![0; 32], key_version: None, signature: None }),
        }
    }

    fn set_head_signer(&self, signer: std::sync::Arc<dyn HeadSigner>) {
        if let Ok(mut s) = self.signer.write() {
            *s = Some(signer);
        }
    }

    async fn sign_head(&self) -> StoreResult<()> {
        let Some(signer) = self.signer() else { return Err(StoreError::Backend("no audit head signer installed".into())) };
        let mut tx = self.pool.begin().await.map_err(be)?;
        let row = sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash").fetch_one(&mut *tx).await.map_err(be)?;
        crate::audit::write_head(&mut tx, i(&row, "seq")?, b(&row, "hash")?, Some(signer.as_ref())).await?;
        tx.commit().await.map_err(be)
    }

    async fn insert_checkpoint(&self, cp: &Checkpoint) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_checkpoints (seq, hash, key_version, signature, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING",
        )
        .bind(cp.seq)
        .bind(cp.hash.clone())
        .bind(cp.key_version)
        .bind(cp.signature.clone())
        .bind(cp.created_at)
        .execute(&self.pool)
        .await
        .map_err(be)?;
        Ok(())
    }

    async fn list_checkpoints(&self) -> StoreResult<Vec<Checkpoint>> {
        let rows = sqlx::query("SELECT * FROM audit_checkpoints ORDER BY seq").fetch_all(&self.pool).await.map_err(be)?;
        rows.iter()
            .map(|r| {
                Ok(Checkpoint {
                    seq: i(r, "seq")?,
                    hash: b(r, "hash")?,
                    key_version: i(r, "key_version")?,
                    signature: b(r, "signature")?,
                    created_at: i(r, "created_at")?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl SnapshotStore for SqlStore {
    async fn encrypted_cells(&self, table: &str, column: &str) -> StoreResult<Vec<EncryptedCell>> {
        let idc = encrypted_target(table, column)?;
        // Table and column come from the fixed ENCRYPTED_COLUMNS list, checked above.
        let sql = format!("SELECT {idc} AS row_id, {column} AS value FROM {table} WHERE {column} IS NOT NULL ORDER BY {idc}");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).fetch_all(&self.pool).await.map_err(be)?;
        rows.iter().map(|r| Ok(EncryptedCell { row_id: s(r, "row_id")?, value: b(r, "value")? })).collect()
    }

    async fn rewrite_cells(&self, table: &str, column: &str, cells: &[EncryptedCell], audit: &AuditEvent) -> StoreResult<i64> {
        let idc = encrypted_target(table, column)?;
        let sql = format!("UPDATE {table} SET {column} = $1 WHERE {idc} = $2");
        let mut tx = self.pool.begin().await.map_err(be)?;
        let seq = append_in(&mut tx, audit, self.signer().as_deref()).await?;
        for c in cells {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(c.value.clone())
                .bind(c.row_id.clone())
                .execute(&mut *tx)
                .await
                .map_err(be)?;
        }
        tx.commit().await.map_err(be)?;
        Ok(seq)
    }

    async fn export_snapshot(&self) -> StoreResult<Vec<TableRows>> {
        let mut tx = self.pool.begin().await.map_err(be)?;
        if self.backend == Backend::Postgres {
            // One snapshot for every table, so the backup is consistent while writers run.
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await.map_err(be)?;
        }
        let out = snapshot::export(&mut tx).await?;
        tx.commit().await.map_err(be)?;
        Ok(out)
    }

    async fn import_snapshot(&self, tables: &[TableRows]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(be)?;
        snapshot::import(&mut tx, tables).await?;
        tx.commit().await.map_err(be)?;
        Ok(())
    }
}

fn area(r: &AnyRow) -> StoreResult<Area> {
    Ok(Area {
        code: s(r, "code")?,
        country: s(r, "country")?,
        level: i(r, "level")?,
        parent_code: os(r, "parent_code")?,
        name: s(r, "name")?,
    })
}

// Silence "unused" for the Row trait import when only used through helpers.
#[allow(dead_code)]
fn _row_trait_in_scope(r: &AnyRow) -> usize {
    r.len()
}
