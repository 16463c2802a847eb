//! Appending to and reading the audit chain.
//!
//! `append_in` must be the first statement of every audited write transaction: its UPDATE of
//! the single `audit_head` row takes the write lock (SQLite) or row lock (PostgreSQL), so
//! appends are strictly ordered and each entry links to the one committed before it.

use crate::decode::{b, be, i, s};
use amparo_core::store::{AuditFilter, HeadSigner, StoreError, StoreResult};
use amparo_domain::audit::{AuditEntry, AuditEvent, entry_hash};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

/// Append `ev` and sign the new head with `signer` in the same transaction. Without a
/// signer (a store used without the core) the head is left unsigned, which verification
/// reports.
pub async fn append_in(conn: &mut AnyConnection, ev: &AuditEvent, signer: Option<&dyn HeadSigner>) -> StoreResult<i64> {
    let row =
        sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash").fetch_one(&mut *conn).await.map_err(be)?;
    let seq = i(&row, "seq")?;
    let prev = b(&row, "hash")?;
    let hash = entry_hash(seq, &prev, ev).to_vec();
    sqlx::query(
        "INSERT INTO audit_log (seq, prev_hash, hash, occurred_at, actor, actor_org, actor_roles, action, outcome, \
         record_type, record_id, purpose, client_ip, operation_id, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(seq)
    .bind(prev)
    .bind(hash.clone())
    .bind(ev.occurred_at)
    .bind(ev.actor.clone())
    .bind(ev.actor_org.clone())
    .bind(ev.actor_roles.clone())
    .bind(ev.action.clone())
    .bind(ev.outcome.clone())
    .bind(ev.record_type.clone())
    .bind(ev.record_id.clone())
    .bind(ev.purpose.clone())
    .bind(ev.client_ip.clone())
    .bind(ev.operation_id.clone())
    .bind(ev.details.clone())
    .execute(&mut *conn)
    .await
    .map_err(be)?;
    write_head(conn, seq, hash, signer).await?;
    Ok(seq)
}

/// Record the head (already locked by the caller's transaction), signed when a signer is
/// installed.
pub async fn write_head(conn: &mut AnyConnection, seq: i64, hash: Vec<u8>, signer: Option<&dyn HeadSigner>) -> StoreResult<()> {
    let (version, signature) = match signer {
        Some(s) => {
            let (v, sig) = s.sign_head(seq, &hash).map_err(StoreError::Backend)?;
            (Some(v), Some(sig))
        }
        None => (None, None),
    };
    sqlx::query("UPDATE audit_head SET hash = $1, key_version = $2, signature = $3 WHERE id = 1")
        .bind(hash)
        .bind(version)
        .bind(signature)
        .execute(&mut *conn)
        .await
        .map_err(be)?;
    Ok(())
}

pub fn entry(r: &AnyRow) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        seq: i(r, "seq")?,
        prev_hash: b(r, "prev_hash")?,
        hash: b(r, "hash")?,
        event: AuditEvent {
            occurred_at: i(r, "occurred_at")?,
            actor: s(r, "actor")?,
            actor_org: s(r, "actor_org")?,
            actor_roles: s(r, "actor_roles")?,
            action: s(r, "action")?,
            outcome: s(r, "outcome")?,
            record_type: s(r, "record_type")?,
            record_id: s(r, "record_id")?,
            purpose: s(r, "purpose")?,
            client_ip: s(r, "client_ip")?,
            operation_id: s(r, "operation_id")?,
            details: s(r, "details")?,
        },
    })
}

/// Build the filtered query. Values are always bound, never spliced into the SQL.
pub fn page_query(f: &AuditFilter) -> (String, Vec<FilterValue>) {
    let mut sql = String::from("SELECT * FROM audit_log WHERE 1 = 1");
    let mut vals = Vec::new();
    let mut add = |clause: &str, v: FilterValue, vals: &mut Vec<FilterValue>| {
        vals.push(v);
        sql.push_str(&format!(" AND {clause} ${}", vals.len()));
    };
    if let Some(v) = &f.actor {
        add("actor =", FilterValue::Text(v.clone()), &mut vals);
    }
    if let Some(v) = &f.actor_org {
        add("actor_org =", FilterValue::Text(v.clone()), &mut vals);
    }
    if let Some(v) = &f.action {
        add("action =", FilterValue::Text(v.clone()), &mut vals);
    }
    if let Some(v) = &f.record_id {
        add("record_id =", FilterValue::Text(v.clone()), &mut vals);
    }
    if let Some(v) = &f.outcome {
        add("outcome =", FilterValue::Text(v.clone()), &mut vals);
    }
    if let Some(v) = f.since {
        add("occurred_at >=", FilterValue::Int(v), &mut vals);
    }
    if let Some(v) = f.until {
        add("occurred_at <", FilterValue::Int(v), &mut vals);
    }
    if let Some(v) = f.before_seq {
        add("seq <", FilterValue::Int(v), &mut vals);
    }
    vals.push(FilterValue::Int(f.limit.clamp(1, 1000)));
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${}", vals.len()));
    (sql, vals)
}

pub enum FilterValue {
    Text(String),
    Int(i64),
}
