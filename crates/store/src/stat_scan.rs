//! Statistics scans: the rows a national count needs, read a chunk at a time.
//!
//! A row-by-row read through the `Any` driver costs about 10 µs a row, which at a million
//! cases (some 9 million rows) is most of the report's time, and holding whole tables as
//! `RecordRow`s took gigabytes. So the database builds each chunk of rows into one JSON
//! document (SQLite `json_group_array`, PostgreSQL `json_agg`) holding only the columns and
//! `attrs` fields asked for, and the caller folds each row into its counts as it goes.
//! Chunks follow the primary order (SQLite `rowid`, PostgreSQL `id`) with a keyset cursor,
//! so each one is an index range, whatever the table's size.

use crate::decode::be;
use amparo_core::store::{Backend, STAT_COLUMNS, StatRow, StatScan, StoreError, StoreResult};
use amparo_domain::OrgId;
use sqlx::{AnyPool, Row};

/// Where a chunked scan has got to.
enum Cursor {
    Rowid(i64),
    Id(String),
}

fn checked(names: &[&str], allowed: impl Fn(&str) -> bool) -> StoreResult<()> {
    // Names are string literals in the core, never user input; checked all the same, since
    // they are written into SQL.
    match names.iter().find(|n| !allowed(n)) {
        Some(n) => Err(StoreError::Backend(format!("statistics scan: bad column or field name {n:?}"))),
        None => Ok(()),
    }
}

/// Values per statement for `StatScan::among`.
const AMONG_CHUNK: usize = 300;
/// Seconds per statement for `StatScan::between` (a month of rows is one JSON document).
const BETWEEN_SLICE: i64 = 31 * 86_400;

/// The SQL of one chunk: the JSON array of its rows, and the cursor of its last row. With
/// `among` or `between` a chunk is a slice of the values or of the time span instead (no
/// cursor: an ordered keyset would steer the planner away from the index that makes the
/// slice cheap); `$1` is then the first value or the start of the slice.
fn chunk_sql(backend: Backend, scan: &StatScan<'_>) -> StoreResult<String> {
    checked(scan.columns, |c| STAT_COLUMNS.contains(&c))?;
    checked(scan.attrs, |f| !f.is_empty() && f.chars().all(|c| c.is_ascii_lowercase() || c == '_'))?;
    let keyed = ["id", "subject_id", "lookup"];
    if let Some((col, _)) = scan.among {
        checked(&[col], |c| keyed.contains(&c))?;
    }
    if let Some(col) = scan.group_of {
        checked(&[col], |c| keyed.contains(&c))?;
    }
    let sqlite = backend == Backend::Sqlite;
    let mut inner: Vec<String> = scan.columns.iter().map(|c| (*c).to_owned()).collect();
    if !scan.attrs.is_empty() {
        inner.push("attrs".into());
    }
    for extra in [scan.person.then_some("subject_id"), scan.group_of] {
        if let Some(c) = extra
            && !inner.iter().any(|x| x == c)
        {
            inner.push(c.to_owned());
        }
    }
    // Each row is a JSON array in `StatRow`'s field order (positional: no key is written or
    // matched), with an empty value in the place of a column not asked for.
    let (object, array) = if sqlite { ("json_object", "json_array") } else { ("json_build_object", "json_build_array") };
    let column = |c: &str, empty: &str| if scan.columns.contains(&c) { format!("t.{c}") } else { empty.to_owned() };
    let mut values: Vec<String> = vec![
        column("id", "''"),
        column("org_id", "''"),
        column("subject_id", "NULL"),
        column("kind", "''"),
        column("status", "''"),
        column("area_code", "NULL"),
        column("lookup", "NULL"),
        column("occurred_at", "NULL"),
        column("created_at", "0"),
    ];
    if scan.attrs.is_empty() {
        values.push("NULL".into());
    } else {
        let fields: Vec<String> = scan
            .attrs
            .iter()
            .map(|f| if sqlite { format!("'{f}', t.attrs -> '$.{f}'") } else { format!("'{f}', t.attrs::json -> '{f}'") })
            .collect();
        // As text, so that it reaches the caller as the string `RecordRow::attrs` would be
        // (`|| ''` drops SQLite's JSON subtype; `::text` does it in PostgreSQL).
        let text = if sqlite { "|| ''" } else { "::text" };
        values.push(format!("{object}({}){text}", fields.join(", ")));
    }
    let mut join = String::new();
    if scan.person {
        values.push(format!(
            "{object}('org_id', p.org_id, 'sex', p.sex, 'approx_age', p.approx_age, 'nationality', p.nationality, \
             'source_id', p.source_id)"
        ));
        join.push_str(" LEFT JOIN persons p ON p.id = t.subject_id");
    } else {
        values.push("NULL".into());
    }
    if let Some(col) = scan.group_of {
        values.push("g.group_id".into());
        join.push_str(&format!(" LEFT JOIN stat_groups g ON g.person_id = t.{col}"));
    }
    let (key, agg) = if sqlite { ("rowid", "json_group_array") } else { ("id", "json_agg") };
    let (mut filter, mut n, tail) = match (scan.among, scan.between) {
        (Some((col, _)), _) => (
            format!("{col} IN ({})", (1..=AMONG_CHUNK).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")),
            AMONG_CHUNK,
            String::new(),
        ),
        (None, Some(_)) => ("COALESCE(occurred_at, created_at) BETWEEN $1 AND $2".to_owned(), 2, String::new()),
        (None, None) => (format!("{key} > $1"), 1, format!(" ORDER BY {key} LIMIT {}", scan.chunk.max(1))),
    };
    if scan.among.is_some()
        && let Some(_) = scan.between
    {
        filter.push_str(&format!(" AND COALESCE(occurred_at, created_at) BETWEEN ${} AND ${}", n + 1, n + 2));
        n += 2;
    }
    for (col, v) in [("kind", scan.kind), ("status", scan.status), ("org_id", scan.org)] {
        if v.is_some() {
            n += 1;
            filter.push_str(&format!(" AND {col} = ${n}"));
        }
    }
    let cast = if sqlite { "" } else { "::text" };
    Ok(format!(
        "SELECT {agg}({array}({values})){cast} AS rows, max(t.k) AS k FROM \
         (SELECT {key} AS k, {inner} FROM {table} WHERE {filter}{tail}) t{join}",
        values = values.join(", "),
        inner = inner.join(", "),
        table = scan.table.name(),
    ))
}

pub async fn stat_scan(pool: &AnyPool, backend: Backend, scan: &StatScan<'_>, each: &mut (dyn FnMut(StatRow) + Send)) -> StoreResult<()> {
    let sql = chunk_sql(backend, scan)?;
    let clock = std::time::Instant::now();
    let mut count = 0usize;
    let result = scan_chunks(pool, backend, scan, &sql, &mut |r| {
        count += 1;
        each(r)
    })
    .await;
    tracing::debug!(table = scan.table.name(), rows = count, elapsed_ms = clock.elapsed().as_millis() as u64, "statistics scan");
    result
}

fn parse_rows(json: &str) -> StoreResult<Vec<StatRow>> {
    serde_json::from_str(json).map_err(|e| StoreError::Backend(format!("statistics scan: {e}")))
}

async fn scan_chunks(
    pool: &AnyPool,
    backend: Backend,
    scan: &StatScan<'_>,
    sql: &str,
    each: &mut (dyn FnMut(StatRow) + Send),
) -> StoreResult<()> {
    if scan.among.is_some() || scan.between.is_some() {
        return scan_slices(pool, scan, sql, each).await;
    }
    let mut cursor = match backend {
        Backend::Sqlite => Cursor::Rowid(0),
        Backend::Postgres => Cursor::Id(String::new()),
    };
    loop {
        let q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
        let q = match &cursor {
            Cursor::Rowid(k) => q.bind(*k),
            Cursor::Id(k) => q.bind(k.clone()),
        };
        let q = q.bind_maybe(scan.kind).bind_maybe(scan.status).bind_maybe(scan.org);
        let row = q.fetch_one(pool).await.map_err(be)?;
        let Some(json) = row.try_get::<Option<String>, _>("rows").map_err(be)? else { return Ok(()) };
        cursor = match cursor {
            Cursor::Rowid(_) => match row.try_get::<Option<i64>, _>("k").map_err(be)? {
                Some(k) => Cursor::Rowid(k),
                None => return Ok(()),
            },
            Cursor::Id(_) => match row.try_get::<Option<String>, _>("k").map_err(be)? {
                Some(k) => Cursor::Id(k),
                None => return Ok(()),
            },
        };
        let rows = parse_rows(&json)?;
        let full = rows.len() >= scan.chunk.max(1);
        for r in rows {
            each(r);
        }
        if !full {
            return Ok(());
        }
    }
}

/// A scan by slices: of the `among` values (padded with the first one, so every statement
/// has the same placeholders), and within each, of the `between` span.
async fn scan_slices(pool: &AnyPool, scan: &StatScan<'_>, sql: &str, each: &mut (dyn FnMut(StatRow) + Send)) -> StoreResult<()> {
    let values: Vec<&[String]> = match scan.among {
        Some((_, [])) => return Ok(()),
        Some((_, v)) => v.chunks(AMONG_CHUNK).collect(),
        None => vec![&[]],
    };
    let spans: Vec<(i64, i64)> = match scan.between {
        Some((a, b)) if a > b => return Ok(()),
        Some((a, b)) if scan.among.is_none() => {
            (0..).map(|k| a + k * BETWEEN_SLICE).take_while(|s| *s <= b).map(|s| (s, (s + BETWEEN_SLICE - 1).min(b))).collect()
        }
        Some(span) => vec![span],
        None => vec![(0, 0)],
    };
    for chunk in values {
        for (a, b) in &spans {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
            if scan.among.is_some() {
                for k in 0..AMONG_CHUNK {
                    q = q.bind(chunk.get(k).or(chunk.first()).cloned().unwrap_or_default());
                }
            }
            if scan.between.is_some() {
                q = q.bind(*a).bind(*b);
            }
            let q = q.bind_maybe(scan.kind).bind_maybe(scan.status).bind_maybe(scan.org);
            let row = q.fetch_one(pool).await.map_err(be)?;
            if let Some(json) = row.try_get::<Option<String>, _>("rows").map_err(be)? {
                for r in parse_rows(&json)? {
                    each(r);
                }
            }
        }
    }
    Ok(())
}

/// Bind an optional filter value only when it is there (its placeholder is only then in the SQL).
trait BindMaybe<'q> {
    fn bind_maybe(self, v: Option<&'q str>) -> Self;
}

impl<'q> BindMaybe<'q> for sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    fn bind_maybe(self, v: Option<&'q str>) -> Self {
        match v {
            Some(v) => self.bind(v.to_owned()),
            None => self,
        }
    }
}

/// An organisation's persons from one outside source: `(source_id, id)`.
pub async fn persons_by_source(pool: &AnyPool, org: &OrgId, source_type: &str) -> StoreResult<Vec<(String, String)>> {
    let rows = sqlx::query("SELECT source_id, id FROM persons WHERE org_id = $1 AND source_type = $2 AND source_id IS NOT NULL")
        .bind(org.to_string())
        .bind(source_type.to_owned())
        .fetch_all(pool)
        .await
        .map_err(be)?;
    rows.iter().map(|r| Ok((r.try_get::<String, _>("source_id").map_err(be)?, r.try_get::<String, _>("id").map_err(be)?))).collect()
}

/// Persons who share a document hash with another person, by document, oldest first.
pub async fn shared_documents(pool: &AnyPool) -> StoreResult<Vec<(String, String, String)>> {
    let rows = sqlx::query(
        "SELECT match_doc, id, org_id FROM persons WHERE match_doc IN \
         (SELECT match_doc FROM persons WHERE match_doc IS NOT NULL GROUP BY match_doc HAVING COUNT(*) > 1) \
         ORDER BY match_doc, created_at, id",
    )
    .fetch_all(pool)
    .await
    .map_err(be)?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>("match_doc").map_err(be)?,
                r.try_get::<String, _>("id").map_err(be)?,
                r.try_get::<String, _>("org_id").map_err(be)?,
            ))
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use amparo_core::store::RecordTable;

    #[test]
    fn names_outside_the_allowed_lists_are_refused() {
        let bad_col = StatScan::new(RecordTable::Cases, &["sealed"]);
        assert!(chunk_sql(Backend::Sqlite, &bad_col).is_err());
        let bad_field = StatScan { attrs: &["x'); DROP TABLE cases; --"], ..StatScan::new(RecordTable::Cases, &["id"]) };
        assert!(chunk_sql(Backend::Postgres, &bad_field).is_err());
        let ok =
            StatScan { attrs: &["labour_sector"], person: true, kind: Some("victim"), ..StatScan::new(RecordTable::CaseLinks, &["id"]) };
        let sql = chunk_sql(Backend::Sqlite, &ok).unwrap();
        assert!(sql.contains("kind = $2") && sql.contains("LEFT JOIN persons") && !sql.contains("sealed"), "{sql}");
    }
}
