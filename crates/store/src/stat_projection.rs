//! The statistics projection's tables (migration 0006): its state, the list of
//! changes every write adds to, the person groups, and the victim and charge rows the
//! annual report reads a year at a time. What goes in them is decided in the core
//! (`usecases/stat_projection.rs`); this file only moves rows.

use crate::decode::be;
use amparo_core::store::{
    Backend, RecordRow, RecordTable, StatChargeRow, StatTrendQuery, StatTrendRow, StatVictimQuery, StatWrite, StoreResult,
};
use sqlx::{AnyConnection, AnyPool, Row};

/// Values per `IN (…)` list.
const IN_CHUNK: usize = 300;

fn placeholders(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// The keys a written row adds to the list of changes: the person a decision, screening,
/// referral or victim link is about; both persons of a link between records; the charge;
/// the case (its kind and place are its victims'); the source a person came from.
///
/// The match names every table, with no catch-all: a table added to `RecordTable` does not
/// compile until someone decides here whether the projection must hear of its writes.
pub fn dirty_keys(t: RecordTable, r: &RecordRow) -> Vec<String> {
    let p = |id: &Option<String>| id.as_ref().map(|x| format!("p:{x}"));
    match t {
        RecordTable::Decisions | RecordTable::Screenings | RecordTable::Referrals => p(&r.subject_id).into_iter().collect(),
        RecordTable::CaseLinks => p(&r.lookup).into_iter().collect(),
        RecordTable::PersonMatches => p(&r.subject_id).into_iter().chain(p(&r.lookup)).collect(),
        RecordTable::Charges => vec![format!("h:{}", r.id)],
        RecordTable::Cases => vec![format!("c:{}", r.id)],
        RecordTable::Reports | RecordTable::Operations | RecordTable::Inspections => vec![format!("s:{}", r.id)],
        // Read by the annual report straight from their own tables (a scan per year, no
        // person grouping), so the projection holds nothing of theirs to refresh.
        RecordTable::Assistance | RecordTable::Prevention | RecordTable::CaseEvents => Vec::new(),
        // Counted by no statistic: the directory, the inbox, the case's working papers and
        // the coordination records.
        RecordTable::Services
        | RecordTable::Notifications
        | RecordTable::Shares
        | RecordTable::Tasks
        | RecordTable::Alerts
        | RecordTable::Attachments => Vec::new(),
    }
}

/// Add keys to the list of changes, in the writer's transaction.
pub async fn mark(conn: &mut AnyConnection, keys: &[String]) -> StoreResult<()> {
    for k in keys {
        sqlx::query("INSERT INTO stat_dirty (k) VALUES ($1) ON CONFLICT (k) DO NOTHING")
            .bind(k.clone())
            .execute(&mut *conn)
            .await
            .map_err(be)?;
    }
    Ok(())
}

pub async fn version(pool: &AnyPool) -> StoreResult<Option<String>> {
    let r = sqlx::query("SELECT v FROM stat_state WHERE k = 'version'").fetch_optional(pool).await.map_err(be)?;
    r.map(|r| r.try_get::<String, _>("v").map_err(be)).transpose()
}

pub async fn reset(pool: &AnyPool) -> StoreResult<()> {
    let mut tx = pool.begin().await.map_err(be)?;
    for sql in [
        "DELETE FROM stat_state WHERE k = 'version'",
        "DELETE FROM stat_dirty",
        "DELETE FROM stat_groups",
        "DELETE FROM stat_victims",
        "DELETE FROM stat_charges",
        "DELETE FROM stat_screened",
    ] {
        sqlx::query(sql).execute(&mut *tx).await.map_err(be)?;
    }
    tx.commit().await.map_err(be)
}

pub async fn set_version(pool: &AnyPool, v: &str) -> StoreResult<()> {
    sqlx::query("INSERT INTO stat_state (k, v) VALUES ('version', $1) ON CONFLICT (k) DO UPDATE SET v = excluded.v")
        .bind(v.to_owned())
        .execute(pool)
        .await
        .map_err(be)?;
    Ok(())
}

pub async fn take_dirty(pool: &AnyPool, limit: usize) -> StoreResult<Vec<String>> {
    let mut tx = pool.begin().await.map_err(be)?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT k FROM stat_dirty ORDER BY k LIMIT {}", limit.clamp(1, 100_000))))
        .fetch_all(&mut *tx)
        .await
        .map_err(be)?;
    let keys: Vec<String> = rows.iter().map(|r| r.try_get::<String, _>("k").map_err(be)).collect::<StoreResult<_>>()?;
    for chunk in keys.chunks(IN_CHUNK) {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM stat_dirty WHERE k IN ({})", placeholders(1, chunk.len()))));
        for k in chunk {
            q = q.bind(k.clone());
        }
        q.execute(&mut *tx).await.map_err(be)?;
    }
    tx.commit().await.map_err(be)?;
    Ok(keys)
}

pub async fn dirty_waiting(pool: &AnyPool) -> StoreResult<bool> {
    Ok(sqlx::query("SELECT k FROM stat_dirty LIMIT 1").fetch_optional(pool).await.map_err(be)?.is_some())
}

fn pair(r: &sqlx::any::AnyRow, a: &str, b: &str) -> StoreResult<(String, String)> {
    Ok((r.try_get::<String, _>(a).map_err(be)?, r.try_get::<String, _>(b).map_err(be)?))
}

pub async fn groups_of(pool: &AnyPool, persons: &[String]) -> StoreResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for chunk in persons.chunks(IN_CHUNK) {
        let sql = format!(
            "SELECT person_id, group_id FROM stat_groups WHERE group_id IN \
             (SELECT group_id FROM stat_groups WHERE person_id IN ({}))",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for p in chunk {
            q = q.bind(p.clone());
        }
        for r in q.fetch_all(pool).await.map_err(be)? {
            out.push(pair(&r, "person_id", "group_id")?);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

pub async fn person_edges(pool: &AnyPool, persons: &[String]) -> StoreResult<(Vec<(String, String, String)>, Vec<RecordRow>)> {
    let mut docs = Vec::new();
    let mut links = Vec::new();
    for chunk in persons.chunks(IN_CHUNK) {
        let ph = placeholders(1, chunk.len());
        let sql = format!(
            "SELECT match_doc, id, org_id FROM persons WHERE match_doc IN \
             (SELECT match_doc FROM persons WHERE id IN ({ph}) AND match_doc IS NOT NULL)"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for p in chunk {
            q = q.bind(p.clone());
        }
        for r in q.fetch_all(pool).await.map_err(be)? {
            let (doc, id) = pair(&r, "match_doc", "id")?;
            docs.push((doc, id, r.try_get::<String, _>("org_id").map_err(be)?));
        }
        let ph2 = placeholders(chunk.len() + 1, chunk.len());
        let sql = format!("SELECT * FROM person_matches WHERE subject_id IN ({ph}) OR lookup IN ({ph2})");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for _ in 0..2 {
            for p in chunk {
                q = q.bind(p.clone());
            }
        }
        for r in q.fetch_all(pool).await.map_err(be)? {
            links.push(crate::records::row(&r)?);
        }
    }
    docs.sort();
    docs.dedup();
    links.sort_by(|a, b| a.id.cmp(&b.id));
    links.dedup_by(|a, b| a.id == b.id);
    Ok((docs, links))
}

pub async fn write(pool: &AnyPool, w: &StatWrite) -> StoreResult<()> {
    let mut tx = pool.begin().await.map_err(be)?;
    // A charge's group_id is its defendant's row in stat_groups: both change together here.
    for p in &w.ungrouped {
        sqlx::query("DELETE FROM stat_groups WHERE person_id = $1").bind(p.clone()).execute(&mut *tx).await.map_err(be)?;
        sqlx::query("UPDATE stat_charges SET group_id = NULL WHERE person_id = $1").bind(p.clone()).execute(&mut *tx).await.map_err(be)?;
    }
    for (p, g) in &w.grouped {
        sqlx::query(
            "INSERT INTO stat_groups (person_id, group_id) VALUES ($1, $2) ON CONFLICT (person_id) DO UPDATE SET group_id = excluded.group_id",
        )
        .bind(p.clone())
        .bind(g.clone())
        .execute(&mut *tx)
        .await
        .map_err(be)?;
        sqlx::query("UPDATE stat_charges SET group_id = $2 WHERE person_id = $1")
            .bind(p.clone())
            .bind(g.clone())
            .execute(&mut *tx)
            .await
            .map_err(be)?;
    }
    for g in &w.dropped_victims {
        sqlx::query("DELETE FROM stat_victims WHERE group_id = $1").bind(g.clone()).execute(&mut *tx).await.map_err(be)?;
    }
    for v in &w.victims {
        sqlx::query(
            "INSERT INTO stat_victims (group_id, identified_year, possible_first, possible_last, area_code, region, orgs, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (group_id) DO UPDATE SET identified_year = excluded.identified_year, \
             possible_first = excluded.possible_first, possible_last = excluded.possible_last, area_code = excluded.area_code, \
             region = excluded.region, orgs = excluded.orgs, body = excluded.body",
        )
        .bind(v.group_id.clone())
        .bind(v.identified_year)
        .bind(v.possible_first)
        .bind(v.possible_last)
        .bind(v.area_code.clone())
        .bind(v.region.clone())
        .bind(v.orgs.clone())
        .bind(v.body.clone())
        .execute(&mut *tx)
        .await
        .map_err(be)?;
    }
    for c in &w.charges {
        sqlx::query(
            "INSERT INTO stat_charges (id, case_id, case_kind, labour_sector, sexual_form, person_id, filed_day, decided_day, \
             verdict, sentence_months, area_code, org_id, group_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
             (SELECT g.group_id FROM stat_groups g WHERE g.person_id = $6)) \
             ON CONFLICT (id) DO UPDATE SET case_id = excluded.case_id, case_kind = excluded.case_kind, \
             labour_sector = excluded.labour_sector, sexual_form = excluded.sexual_form, \
             person_id = excluded.person_id, filed_day = excluded.filed_day, decided_day = excluded.decided_day, \
             verdict = excluded.verdict, sentence_months = excluded.sentence_months, area_code = excluded.area_code, \
             org_id = excluded.org_id, group_id = excluded.group_id",
        )
        .bind(c.id.clone())
        .bind(c.case_id.clone())
        .bind(c.case_kind.clone())
        .bind(c.labour_sector.clone())
        .bind(c.sexual_form.clone())
        .bind(c.person_id.clone())
        .bind(c.filed_day)
        .bind(c.decided_day)
        .bind(c.verdict.clone())
        .bind(c.sentence_months)
        .bind(c.area_code.clone())
        .bind(c.org_id.clone())
        .execute(&mut *tx)
        .await
        .map_err(be)?;
    }
    for g in &w.dropped_screened {
        sqlx::query("DELETE FROM stat_screened WHERE group_id = $1").bind(g.clone()).execute(&mut *tx).await.map_err(be)?;
    }
    for (g, day) in &w.screened {
        sqlx::query("INSERT INTO stat_screened (group_id, day) VALUES ($1, $2) ON CONFLICT (group_id, day) DO NOTHING")
            .bind(g.clone())
            .bind(*day)
            .execute(&mut *tx)
            .await
            .map_err(be)?;
    }
    tx.commit().await.map_err(be)
}

/// Run one aggregate statement; `each` gets its JSON array unless it found no rows.
async fn chunk(pool: &AnyPool, sql: &str, binds: &[BindValue], each: &mut (dyn for<'x> FnMut(&'x str) + Send)) -> StoreResult<()> {
    let r = bound(sql, binds).fetch_one(pool).await.map_err(be)?;
    if let Some(json) = r.try_get::<Option<String>, _>("rows").map_err(be)? {
        each(&json);
    }
    Ok(())
}

enum BindValue {
    Int(i64),
    Text(String),
}

/// A statement with its values bound in order.
fn bound<'q>(sql: &str, binds: &[BindValue]) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
    for b in binds {
        q = match b {
            BindValue::Int(i) => q.bind(*i),
            BindValue::Text(s) => q.bind(s.clone()),
        };
    }
    q
}

/// Victim facts per statement when reading a year.
const VICTIMS_PER_CHUNK: usize = 10_000;

pub async fn victims(
    pool: &AnyPool,
    backend: Backend,
    q: StatVictimQuery<'_>,
    each: &mut (dyn for<'x> FnMut(&'x str) + Send),
) -> StoreResult<()> {
    // The bodies are JSON already: joined as text, not parsed and rebuilt by the database.
    let agg = match backend {
        Backend::Sqlite => "'[' || group_concat(body, ',') || ']'",
        Backend::Postgres => "'[' || string_agg(body, ',') || ']'",
    };
    match q {
        StatVictimQuery::Years(a, b) => {
            // A year at a time (each an index range), then those with a PossibleVictim
            // decision in the span who were not identified in it.
            // Within a year, VICTIMS_PER_CHUNK at a time in group order (the index holds the
            // group after the year): a few megabytes of text per statement rather than one
            // string of a whole year, which was copied at each doubling as it grew.
            let sql = format!(
                "SELECT {agg} AS rows, max(group_id) AS k FROM (SELECT group_id, body FROM stat_victims \
                 WHERE identified_year = $1 AND group_id > $2 ORDER BY group_id LIMIT {VICTIMS_PER_CHUNK}) t"
            );
            for y in a..=b {
                let mut after = String::new();
                loop {
                    let r = bound(&sql, &[BindValue::Int(y), BindValue::Text(after)]).fetch_one(pool).await.map_err(be)?;
                    let (Some(json), Some(k)) =
                        (r.try_get::<Option<String>, _>("rows").map_err(be)?, r.try_get::<Option<String>, _>("k").map_err(be)?)
                    else {
                        break;
                    };
                    each(&json);
                    after = k;
                }
            }
            let sql = format!(
                "SELECT {agg} AS rows FROM stat_victims WHERE possible_last >= $1 AND possible_first <= $2 \
                 AND (identified_year IS NULL OR identified_year < $1 OR identified_year > $2)"
            );
            chunk(pool, &sql, &[BindValue::Int(a), BindValue::Int(b)], each).await
        }
        StatVictimQuery::Groups(groups) => {
            for c in groups.chunks(IN_CHUNK) {
                let sql = format!("SELECT {agg} AS rows FROM stat_victims WHERE group_id IN ({})", placeholders(1, c.len()));
                let binds: Vec<BindValue> = c.iter().map(|g| BindValue::Text(g.clone())).collect();
                chunk(pool, &sql, &binds, each).await?;
            }
            Ok(())
        }
    }
}

pub async fn charges(
    pool: &AnyPool,
    backend: Backend,
    from_day: i64,
    to_day: i64,
    each: &mut (dyn FnMut(StatChargeRow) + Send),
) -> StoreResult<()> {
    let (agg, array) = match backend {
        Backend::Sqlite => ("json_group_array", "json_array"),
        Backend::Postgres => ("json_agg", "json_build_array"),
    };
    let cast = if backend == Backend::Postgres { "::text" } else { "" };
    // Positional: a JSON array a row in `StatChargeRow`'s field order (a year has tens of
    // thousands; no key is written or matched). The id is left empty: a count needs none.
    let cols = [
        "case_id",
        "case_kind",
        "labour_sector",
        "sexual_form",
        "person_id",
        "filed_day",
        "decided_day",
        "verdict",
        "sentence_months",
        "area_code",
        "org_id",
    ];
    let values: Vec<String> = cols.iter().map(|c| format!("c.{c}")).collect();
    let select = format!("SELECT {agg}({array}('', {}, c.group_id)){cast} AS rows FROM stat_charges c WHERE ", values.join(", "));
    let mut bad = None;
    let mut parse = |json: &str| match serde_json::from_str::<Vec<StatChargeRow>>(json) {
        Ok(rows) => rows.into_iter().for_each(&mut *each),
        Err(e) => bad = Some(e.to_string()),
    };
    // A month at a time (a few megabytes of text per statement): filed in it, then decided
    // in it but filed outside the span.
    let mut a = from_day;
    while a <= to_day {
        let b = (a + 30).min(to_day);
        let sql = format!("{select}c.filed_day BETWEEN $1 AND $2");
        chunk(pool, &sql, &[BindValue::Int(a), BindValue::Int(b)], &mut parse).await?;
        let sql = format!("{select}c.decided_day BETWEEN $1 AND $2 AND (c.filed_day IS NULL OR c.filed_day < $3 OR c.filed_day > $4)");
        chunk(pool, &sql, &[BindValue::Int(a), BindValue::Int(b), BindValue::Int(from_day), BindValue::Int(to_day)], &mut parse).await?;
        a = b + 1;
    }
    match bad {
        Some(e) => Err(amparo_core::store::StoreError::Backend(format!("statistics projection: unreadable charges: {e}"))),
        None => Ok(()),
    }
}

/// Count with the report's scope, one statement per figure and year.
pub async fn trend(pool: &AnyPool, backend: Backend, q: &StatTrendQuery<'_>) -> StoreResult<Vec<StatTrendRow>> {
    // A fact is in a region when its place (or, for a victim, its region) starts with the
    // scope's code; in an organisation's scope when it is theirs (or, for a victim, when
    // they recorded the person).
    let mut out = Vec::new();
    for &(year, a, b) in q.years {
        let mut binds = vec![BindValue::Int(a), BindValue::Int(b)];
        let mut charge_scope = String::new();
        let mut victim_scope = String::new();
        if let Some(r) = q.region {
            binds.push(BindValue::Text(r.to_owned()));
            let n = binds.len();
            charge_scope.push_str(&format!(" AND substr(c.area_code, 1, length(${n})) = ${n}"));
            victim_scope.push_str(&format!(" AND (substr(area_code, 1, length(${n})) = ${n} OR substr(region, 1, length(${n})) = ${n})"));
        }
        if let Some(o) = q.org {
            binds.push(BindValue::Text(o.to_owned()));
            let n = binds.len();
            charge_scope.push_str(&format!(" AND c.org_id = ${n}"));
            binds.push(BindValue::Text(format!("|{o}|")));
            let n = binds.len();
            victim_scope.push_str(&match backend {
                Backend::Sqlite => format!(" AND instr(orgs, ${n}) > 0"),
                Backend::Postgres => format!(" AND strpos(orgs, ${n}) > 0"),
            });
        }
        let count = |sql: String, binds: &[BindValue]| {
            let q = bound(&sql, binds);
            async move {
                let r = q.fetch_one(pool).await.map_err(be)?;
                Ok::<u64, amparo_core::store::StoreError>(r.try_get::<i64, _>("n").map_err(be)?.max(0) as u64)
            }
        };
        let prosecutions = count(
            format!("SELECT count(DISTINCT c.case_id) AS n FROM stat_charges c WHERE c.filed_day BETWEEN $1 AND $2{charge_scope}"),
            &binds,
        )
        .await?;
        let convictions = count(
            format!(
                "SELECT count(DISTINCT c.case_id || '|' || COALESCE(c.group_id, c.person_id)) AS n FROM stat_charges c \
                 WHERE c.decided_day BETWEEN $1 AND $2 AND c.verdict = 'convicted'{charge_scope}"
            ),
            &binds,
        )
        .await?;
        // Victims count by year, not by day: $1 and $2 are bound all the same, so the
        // scope's placeholders keep their numbers.
        let victims =
            count(format!("SELECT count(*) AS n FROM stat_victims WHERE identified_year = {year} AND $1 <= $2{victim_scope}"), &binds)
                .await?;
        out.push(StatTrendRow { year, prosecutions, convictions, victims });
    }
    Ok(out)
}

/// Distinct persons (their group, or themselves) with a final screening in each span.
pub async fn screened(pool: &AnyPool, years: &[(i32, i64, i64)]) -> StoreResult<Vec<(i32, u64)>> {
    let mut out = Vec::new();
    for &(year, a, b) in years {
        let r = sqlx::query("SELECT count(DISTINCT group_id) AS n FROM stat_screened WHERE day BETWEEN $1 AND $2")
            .bind(a)
            .bind(b)
            .fetch_one(pool)
            .await
            .map_err(be)?;
        out.push((year, r.try_get::<i64, _>("n").map_err(be)?.max(0) as u64));
    }
    Ok(out)
}
