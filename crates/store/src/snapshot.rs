//! Logical snapshots for backup and restore, identical on both backends, so a backup taken
//! on SQLite restores into PostgreSQL (that is also the migration path to production).

use crate::decode::be;
use amparo_core::store::{CellValue, StoreError, StoreResult, TableRows};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Column, Row};

/// Tables in foreign-key order. Sessions, throttling counters and jobs are transient and
/// are not backed up.
pub const TABLES: &[(&str, &str)] = &[
    ("countries", "alpha2"),
    ("areas", "code"),
    ("organisations", "created_at, id"),
    ("users", "id"),
    ("api_tokens", "id"),
    ("persons", "id"),
    ("screening_instruments", "id"),
    ("services", "id"),
    ("reports", "id"),
    ("operations", "id"),
    ("inspections", "id"),
    ("screenings", "id"),
    ("decisions", "id"),
    ("referrals", "id"),
    ("assistance", "id"),
    ("notifications", "id"),
    ("statutes", "id"),
    ("cases", "id"),
    ("case_links", "id"),
    ("case_events", "id"),
    ("charges", "id"),
    ("shares", "id"),
    ("tasks", "id"),
    ("alerts", "id"),
    ("prevention", "id"),
    ("attachments", "id"),
    ("person_matches", "id"),
    ("audit_log", "seq"),
    ("audit_head", "id"),
    ("audit_checkpoints", "seq"),
];

/// Nullable columns that are not TEXT: a NULL must be bound with the column's type, or
/// PostgreSQL refuses it.
const BYTES_COLUMNS: &[&str] = &[
    "totp_secret",
    "pending_totp",
    "given_names",
    "first_surname",
    "second_surname",
    "aliases",
    "document_number",
    "phone",
    "address",
    "narrative",
    "birth_date",
    "sealed",
    "prev_hash",
    "hash",
    "signature",
];
const INT_COLUMNS: &[&str] = &["approx_age", "revoked_at", "done_at", "occurred_at", "updated_at", "key_version", "queue_key"];

/// Columns the database derives from other rows by trigger (migration 0015): not in a
/// snapshot, and not restored from one, so that restoring the rows they derive from
/// computes them once (a count restored and then incremented again would be wrong).
const DERIVED: &[(&str, &str)] =
    &[("persons", "gap_kind"), ("persons", "gap_at"), ("persons", "gap_created"), ("persons", "gap_decision"), ("persons", "referred_n")];

fn derived(table: &str, column: &str) -> bool {
    DERIVED.iter().any(|(t, c)| *t == table && *c == column)
}

fn cell(r: &AnyRow, idx: usize) -> CellValue {
    if let Ok(v) = r.try_get::<Option<i64>, _>(idx) {
        return v.map(CellValue::Int).unwrap_or(CellValue::Null);
    }
    if let Ok(v) = r.try_get::<Option<String>, _>(idx) {
        return v.map(CellValue::Text).unwrap_or(CellValue::Null);
    }
    if let Ok(v) = r.try_get::<Option<Vec<u8>>, _>(idx) {
        return v.map(|b| CellValue::Bytes { b64: B64.encode(b) }).unwrap_or(CellValue::Null);
    }
    CellValue::Null
}

pub async fn export(conn: &mut AnyConnection) -> StoreResult<Vec<TableRows>> {
    let mut out = Vec::new();
    for (table, order) in TABLES {
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table} ORDER BY {order}"))).fetch_all(&mut *conn).await.map_err(be)?;
        let all: Vec<String> = rows.first().map(|r| r.columns().iter().map(|c| c.name().to_owned()).collect()).unwrap_or_default();
        let keep: Vec<usize> = (0..all.len()).filter(|i| all.get(*i).is_some_and(|c| !derived(table, c))).collect();
        let columns: Vec<String> = keep.iter().filter_map(|i| all.get(*i).cloned()).collect();
        let data = rows.iter().map(|r| keep.iter().map(|i| cell(r, *i)).collect()).collect();
        out.push(TableRows { table: (*table).to_owned(), columns, rows: data });
    }
    Ok(out)
}

/// Put organisations' parents before their children.
fn parents_first(t: &TableRows) -> Vec<Vec<CellValue>> {
    let id_i = t.columns.iter().position(|c| c == "id");
    let parent_i = t.columns.iter().position(|c| c == "parent_id");
    let (Some(id_i), Some(parent_i)) = (id_i, parent_i) else { return t.rows.clone() };
    let mut placed: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut left: Vec<Vec<CellValue>> = t.rows.clone();
    let mut out = Vec::new();
    while !left.is_empty() {
        let before = left.len();
        left.retain(|row| {
            let ready = match row.get(parent_i) {
                Some(CellValue::Text(p)) => placed.contains(p),
                _ => true,
            };
            if ready {
                if let Some(CellValue::Text(id)) = row.get(id_i) {
                    placed.insert(id.clone());
                }
                out.push(row.clone());
            }
            !ready
        });
        if left.len() == before {
            out.append(&mut left);
        }
    }
    out
}

pub async fn import(conn: &mut AnyConnection, tables: &[TableRows]) -> StoreResult<()> {
    let allowed: Vec<&str> = TABLES.iter().map(|(t, _)| *t).collect();
    sqlx::query("DELETE FROM audit_head").execute(&mut *conn).await.map_err(be)?;
    // The statistics projection is not in a snapshot: restored records are counted afresh.
    sqlx::query("DELETE FROM stat_state WHERE k = 'version'").execute(&mut *conn).await.map_err(be)?;
    for (name, _) in TABLES {
        let Some(t) = tables.iter().find(|t| t.table == *name) else { continue };
        if !allowed.contains(&t.table.as_str())
            || t.columns.iter().any(|c| c.is_empty() || !c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit()))
        {
            return Err(StoreError::Backend(format!("snapshot has an unexpected table or column in {}", t.table)));
        }
        // Derived columns are computed again by the triggers as the rows they derive from
        // are restored (a snapshot from before they existed has none).
        let keep: Vec<usize> = (0..t.columns.len()).filter(|i| t.columns.get(*i).is_some_and(|c| !derived(name, c))).collect();
        let columns: Vec<&String> = keep.iter().filter_map(|i| t.columns.get(*i)).collect();
        let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
        // Reference data (geography, the shipped screening instrument) may already be installed
        // in the target by start-up; identical rows are skipped rather than refused.
        let skip_existing = matches!(t.table.as_str(), "countries" | "areas" | "screening_instruments" | "statutes");
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({}){}",
            t.table,
            columns.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "),
            placeholders.join(", "),
            if skip_existing { " ON CONFLICT DO NOTHING" } else { "" }
        );
        let rows = if t.table == "organisations" { parents_first(t) } else { t.rows.clone() };
        for row in rows {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            let row: Vec<CellValue> = row.into_iter().enumerate().filter(|(i, _)| keep.contains(i)).map(|(_, v)| v).collect();
            for (v, col) in row.into_iter().zip(columns.iter().copied()) {
                q = match v {
                    CellValue::Null if BYTES_COLUMNS.contains(&col.as_str()) => q.bind(Option::<Vec<u8>>::None),
                    CellValue::Null if INT_COLUMNS.contains(&col.as_str()) => q.bind(Option::<i64>::None),
                    CellValue::Null => q.bind(Option::<String>::None),
                    CellValue::Int(i) => q.bind(i),
                    CellValue::Text(s) => q.bind(s),
                    CellValue::Bytes { b64 } => q.bind(B64.decode(b64).map_err(|e| StoreError::Backend(e.to_string()))?),
                };
            }
            q.execute(&mut *conn).await.map_err(be)?;
        }
    }
    Ok(())
}
