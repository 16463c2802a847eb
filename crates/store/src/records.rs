//! The protection record tables (`RecordRow`), persons' protection fields and the
//! insert-only screening instruments, for both backends.
//!
//! Every record table has the same columns, so one set of statements serves all of them; the
//! table name comes only from the fixed `RecordTable` enum, never from input.

use crate::audit::append_in;
use crate::decode::{be, i, ob, oi, os, s};
use amparo_core::store::{
    Backend, Batch, InstrumentRecord, PersonRecord, RecordRow, RecordTable, RowFilter, RowOrder, StoreError, StoreResult,
};
use amparo_domain::person::{Identity, PersonProfile, PersonRole};
use amparo_domain::{OrgId, PersonId, UserId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool};

pub fn row(r: &AnyRow) -> StoreResult<RecordRow> {
    Ok(RecordRow {
        id: s(r, "id")?,
        org_id: OrgId::from_trusted(s(r, "org_id")?),
        party_org: os(r, "party_org")?.map(OrgId::from_trusted),
        subject_id: os(r, "subject_id")?,
        kind: s(r, "kind")?,
        status: s(r, "status")?,
        area_code: os(r, "area_code")?,
        lookup: os(r, "lookup")?,
        occurred_at: oi(r, "occurred_at")?,
        version: i(r, "version")?,
        created_at: i(r, "created_at")?,
        created_by: s(r, "created_by")?,
        updated_at: i(r, "updated_at")?,
        attrs: s(r, "attrs")?,
        sealed: ob(r, "sealed")?,
    })
}

pub fn person(r: &AnyRow) -> StoreResult<PersonRecord> {
    let mut sealed = Vec::new();
    for col in Identity::COLUMNS {
        if let Some(v) = ob(r, col)? {
            sealed.push((col.to_owned(), v));
        }
    }
    let created_at = i(r, "created_at")?;
    Ok(PersonRecord {
        id: PersonId::from_trusted(s(r, "id")?),
        org_id: OrgId::from_trusted(s(r, "org_id")?),
        code: s(r, "code")?,
        match_doc: os(r, "match_doc")?,
        match_name_dob: os(r, "match_name_dob")?,
        role: PersonRole::parse(&s(r, "role")?).ok_or_else(|| StoreError::Backend("unknown person role".into()))?,
        sex: os(r, "sex")?,
        approx_age: oi(r, "approx_age")?,
        version: i(r, "version")?,
        created_at,
        created_by: UserId::from_trusted(s(r, "created_by")?),
        updated_at: oi(r, "updated_at")?.unwrap_or(created_at),
        profile: PersonProfile {
            source_type: os(r, "source_type")?,
            source_id: os(r, "source_id")?,
            nationality: os(r, "nationality")?,
            languages: os(r, "languages")?,
            document_type: os(r, "document_type")?,
            origin_area: os(r, "origin_area")?,
            origin_country: os(r, "origin_country")?,
        },
        sealed,
    })
}

fn sealed_of(p: &PersonRecord, c: &str) -> Option<Vec<u8>> {
    p.sealed.iter().find(|(k, _)| k == c).map(|(_, v)| v.clone())
}

/// Insert a person: the row's fixed part here, every editable field through `set_fields`, in
/// the caller's transaction — so insert and update can never drift apart.
pub async fn insert_person(conn: &mut AnyConnection, p: &PersonRecord) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO persons (id, org_id, code, role, version, created_at, created_by, source_type, source_id, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(p.id.to_string())
    .bind(p.org_id.to_string())
    .bind(p.code.clone())
    .bind(p.role.as_str())
    .bind(p.version)
    .bind(p.created_at)
    .bind(p.created_by.to_string())
    .bind(p.profile.source_type.clone())
    .bind(p.profile.source_id.clone())
    .bind(p.updated_at)
    .execute(&mut *conn)
    .await
    .map_err(be)?;
    set_fields(conn, p, p.version).await
}

/// Insert a person with every field and its document match hash in one statement (bulk
/// loads; `insert_person` + `set_fields` is two statements per person).
pub async fn insert_person_whole(conn: &mut AnyConnection, p: &PersonRecord) -> StoreResult<()> {
    let pr = &p.profile;
    sqlx::query(
        "INSERT INTO persons (id, org_id, code, role, version, created_at, created_by, source_type, source_id, updated_at, \
         sex, approx_age, given_names, first_surname, second_surname, aliases, document_number, phone, address, narrative, \
         birth_date, nationality, languages, document_type, origin_area, origin_country, match_doc, match_name_dob) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, \
         $24, $25, $26, $27, $28)",
    )
    .bind(p.id.to_string())
    .bind(p.org_id.to_string())
    .bind(p.code.clone())
    .bind(p.role.as_str())
    .bind(p.version)
    .bind(p.created_at)
    .bind(p.created_by.to_string())
    .bind(pr.source_type.clone())
    .bind(pr.source_id.clone())
    .bind(p.updated_at)
    .bind(p.sex.clone())
    .bind(p.approx_age)
    .bind(sealed_of(p, "given_names"))
    .bind(sealed_of(p, "first_surname"))
    .bind(sealed_of(p, "second_surname"))
    .bind(sealed_of(p, "aliases"))
    .bind(sealed_of(p, "document_number"))
    .bind(sealed_of(p, "phone"))
    .bind(sealed_of(p, "address"))
    .bind(sealed_of(p, "narrative"))
    .bind(sealed_of(p, "birth_date"))
    .bind(pr.nationality.clone())
    .bind(pr.languages.clone())
    .bind(pr.document_type.clone())
    .bind(pr.origin_area.clone())
    .bind(pr.origin_country.clone())
    .bind(p.match_doc.clone())
    .bind(p.match_name_dob.clone())
    .execute(&mut *conn)
    .await
    .map_err(be)?;
    Ok(())
}

/// Replace the editable fields. `Conflict` unless the stored version is `p.version - 1`.
pub async fn update_person(conn: &mut AnyConnection, p: &PersonRecord) -> StoreResult<()> {
    set_fields(conn, p, p.version - 1).await
}

/// Write every editable field of `p` where the stored version is `expected`.
async fn set_fields(conn: &mut AnyConnection, p: &PersonRecord, expected: i64) -> StoreResult<()> {
    let pr = &p.profile;
    let done = sqlx::query(
        "UPDATE persons SET role = $1, sex = $2, approx_age = $3, version = $4, given_names = $5, first_surname = $6, \
         second_surname = $7, aliases = $8, document_number = $9, phone = $10, address = $11, narrative = $12, birth_date = $13, \
         nationality = $14, languages = $15, document_type = $16, origin_area = $17, origin_country = $18, updated_at = $19 \
         WHERE id = $20 AND version = $21",
    )
    .bind(p.role.as_str())
    .bind(p.sex.clone())
    .bind(p.approx_age)
    .bind(p.version)
    .bind(sealed_of(p, "given_names"))
    .bind(sealed_of(p, "first_surname"))
    .bind(sealed_of(p, "second_surname"))
    .bind(sealed_of(p, "aliases"))
    .bind(sealed_of(p, "document_number"))
    .bind(sealed_of(p, "phone"))
    .bind(sealed_of(p, "address"))
    .bind(sealed_of(p, "narrative"))
    .bind(sealed_of(p, "birth_date"))
    .bind(pr.nationality.clone())
    .bind(pr.languages.clone())
    .bind(pr.document_type.clone())
    .bind(pr.origin_area.clone())
    .bind(pr.origin_country.clone())
    .bind(p.updated_at)
    .bind(p.id.to_string())
    .bind(expected)
    .execute(&mut *conn)
    .await
    .map_err(be)?;
    if done.rows_affected() == 1 { Ok(()) } else { Err(StoreError::Conflict) }
}

/// Bind a list as `$n, $n+1, …`, returning the placeholder text.
fn placeholders(start: usize, n: usize) -> String {
    (start..start + n).map(|k| format!("${k}")).collect::<Vec<_>>().join(", ")
}

/// Most values one statement binds: SQLite refuses more than 32,766 variables, so long id
/// lists (a national dashboard's persons) go in chunks.
const MAX_BINDS: usize = 1_000;

pub async fn persons_where(pool: &AnyPool, column: &str, values: &[String]) -> StoreResult<Vec<PersonRecord>> {
    let mut out = Vec::new();
    for chunk in values.chunks(MAX_BINDS) {
        // `column` is one of two fixed names chosen by the caller in this crate.
        let sql = format!("SELECT * FROM persons WHERE {column} IN ({})", placeholders(1, chunk.len()));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in chunk {
            q = q.bind(v.clone());
        }
        for r in q.fetch_all(pool).await.map_err(be)? {
            out.push(person(&r)?);
        }
    }
    // Newest first, as one statement would have ordered them.
    out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.as_str().cmp(b.id.as_str())));
    Ok(out)
}

/// A page of the persons a list shows: the owned ones and the referred ones, each an index
/// walk in the list order stopping at the limit, merged.
pub async fn persons_listed(pool: &AnyPool, f: &amparo_core::store::PersonListFilter) -> StoreResult<Vec<PersonRecord>> {
    let limit = f.limit.clamp(1, 1_000);
    let mut out: Vec<PersonRecord> = Vec::new();
    // Two sides, each one index range in the list's order: the persons an organisation owns
    // (`persons (org_id, created_at DESC, id)`), and those referred to it (`referred_to`,
    // kept by triggers on referrals, migration 0017, in the same order).
    let sides: [(&str, &str, Vec<String>); 2] = [
        ("persons p", "p.org_id IN ({})", f.owners.iter().map(ToString::to_string).collect()),
        ("referred_to x JOIN persons p ON p.id = x.person_id", "x.org_id IN ({})", f.referred_to.iter().map(ToString::to_string).collect()),
    ];
    for (k, (from, shape, orgs)) in sides.into_iter().enumerate() {
        if orgs.is_empty() {
            continue;
        }
        // The order's columns: the person's own, or their copies in `referred_to` (so the
        // index gives the order without a sort).
        let (at_col, id_col) = if k == 0 { ("p.created_at", "p.id") } else { ("x.person_created", "x.person_id") };
        let mut binds: Vec<String> = orgs.clone();
        let mut n = 1 + orgs.len();
        let mut cond = shape.replacen("{}", &placeholders(1, orgs.len()), 1);
        if let Some(role) = &f.role {
            cond.push_str(&format!(" AND p.role = ${n}"));
            binds.push(role.clone());
            n += 1;
        }
        for (op, v) in [(">=", f.created_from), ("<", f.created_before)] {
            if let Some(v) = v {
                cond.push_str(&format!(" AND {at_col} {op} {v}"));
            }
        }
        if let Some(a) = &f.after {
            // A position from a cursor this server sealed; the timestamp is a number.
            cond.push_str(&format!(" AND ({at_col} < {at} OR ({at_col} = {at} AND {id_col} > ${n}))", at = a.at));
            binds.push(a.id.clone());
        }
        let sql = format!("SELECT p.* FROM {from} WHERE {cond} ORDER BY {at_col} DESC, {id_col} LIMIT {limit}");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in binds {
            q = q.bind(v);
        }
        for r in q.fetch_all(pool).await.map_err(be)? {
            let p = person(&r)?;
            if !out.iter().any(|x| x.id == p.id) {
                out.push(p);
            }
        }
    }
    out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.as_str().cmp(b.id.as_str())));
    out.truncate(limit as usize);
    Ok(out)
}

/// A page of persons in id order (the primary key's index: no sort, however many there are).
pub async fn persons_page(pool: &AnyPool, after: Option<&str>, limit: usize) -> StoreResult<Vec<PersonRecord>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = match after {
        Some(a) => sqlx::query("SELECT * FROM persons WHERE id > $1 ORDER BY id LIMIT $2").bind(a.to_owned()).bind(limit),
        None => sqlx::query("SELECT * FROM persons ORDER BY id LIMIT $1").bind(limit),
    }
    .fetch_all(pool)
    .await
    .map_err(be)?;
    rows.iter().map(person).collect()
}

pub async fn persons_changed_since(pool: &AnyPool, since: i64) -> StoreResult<Vec<(PersonId, i64)>> {
    let rows = sqlx::query("SELECT id, updated_at FROM persons WHERE updated_at >= $1").bind(since).fetch_all(pool).await.map_err(be)?;
    rows.iter().map(|r| Ok((PersonId::from_trusted(s(r, "id")?), i(r, "updated_at")?))).collect()
}

/// The clear columns of every row, with a JSON object of the chosen `attrs` fields built by
/// the database (so long histories and titles never cross into the process).
pub async fn stat_rows(pool: &AnyPool, backend: Backend, t: RecordTable, fields: &[&str]) -> StoreResult<Vec<RecordRow>> {
    // Field names are ours (string literals in the core), never user input; checked anyway.
    if fields.iter().any(|f| !f.chars().all(|c| c.is_ascii_lowercase() || c == '_')) {
        return Err(StoreError::Backend("bad attrs field name".into()));
    }
    let attrs = if fields.is_empty() {
        "'{}'".to_owned()
    } else {
        let pairs: Vec<String> = fields
            .iter()
            .map(|f| match backend {
                Backend::Sqlite => format!("'{f}', attrs -> '$.{f}'"),
                Backend::Postgres => format!("'{f}', attrs::json -> '{f}'"),
            })
            .collect();
        match backend {
            Backend::Sqlite => format!("json_object({})", pairs.join(", ")),
            Backend::Postgres => format!("json_build_object({})::text", pairs.join(", ")),
        }
    };
    let sql = format!(
        "SELECT id, org_id, party_org, subject_id, kind, status, area_code, lookup, occurred_at, created_at, {attrs} AS attrs FROM {}",
        t.name()
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await.map_err(be)?;
    rows.iter()
        .map(|r| {
            Ok(RecordRow {
                id: s(r, "id")?,
                org_id: OrgId::from_trusted(s(r, "org_id")?),
                party_org: os(r, "party_org")?.map(OrgId::from_trusted),
                subject_id: os(r, "subject_id")?,
                kind: s(r, "kind")?,
                status: s(r, "status")?,
                area_code: os(r, "area_code")?,
                lookup: os(r, "lookup")?,
                occurred_at: oi(r, "occurred_at")?,
                version: 0,
                created_at: i(r, "created_at")?,
                created_by: String::new(),
                updated_at: 0,
                attrs: s(r, "attrs")?,
                sealed: None,
            })
        })
        .collect()
}

async fn insert_row(conn: &mut AnyConnection, t: RecordTable, r: &RecordRow) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO {} (id, org_id, party_org, subject_id, kind, status, area_code, lookup, occurred_at, version, created_at, \
         created_by, updated_at, attrs, sealed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        t.name()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(r.id.clone())
        .bind(r.org_id.to_string())
        .bind(r.party_org.as_ref().map(ToString::to_string))
        .bind(r.subject_id.clone())
        .bind(r.kind.clone())
        .bind(r.status.clone())
        .bind(r.area_code.clone())
        .bind(r.lookup.clone())
        .bind(r.occurred_at)
        .bind(r.version)
        .bind(r.created_at)
        .bind(r.created_by.clone())
        .bind(r.updated_at)
        .bind(r.attrs.clone())
        .bind(r.sealed.clone())
        .execute(&mut *conn)
        .await
        .map_err(be)?;
    Ok(())
}

async fn update_row(conn: &mut AnyConnection, t: RecordTable, r: &RecordRow) -> StoreResult<()> {
    let sql = format!(
        "UPDATE {} SET org_id = $1, party_org = $2, subject_id = $3, kind = $4, status = $5, area_code = $6, lookup = $7, \
         occurred_at = $8, version = $9, updated_at = $10, attrs = $11, sealed = $12 WHERE id = $13 AND version = $14",
        t.name()
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(r.org_id.to_string())
        .bind(r.party_org.as_ref().map(ToString::to_string))
        .bind(r.subject_id.clone())
        .bind(r.kind.clone())
        .bind(r.status.clone())
        .bind(r.area_code.clone())
        .bind(r.lookup.clone())
        .bind(r.occurred_at)
        .bind(r.version)
        .bind(r.updated_at)
        .bind(r.attrs.clone())
        .bind(r.sealed.clone())
        .bind(r.id.clone())
        .bind(r.version - 1)
        .execute(&mut *conn)
        .await
        .map_err(be)?;
    if done.rows_affected() == 1 { Ok(()) } else { Err(StoreError::Conflict) }
}

pub async fn write(conn: &mut AnyConnection, batch: &Batch) -> StoreResult<()> {
    for (t, r) in &batch.inserts {
        insert_row(conn, *t, r).await?;
    }
    for (t, r) in &batch.updates {
        update_row(conn, *t, r).await?;
    }
    Ok(())
}

pub async fn get_row(pool: &AnyPool, t: RecordTable, id: &str) -> StoreResult<Option<RecordRow>> {
    let sql = format!("SELECT * FROM {} WHERE id = $1", t.name());
    let r = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_owned()).fetch_optional(pool).await.map_err(be)?;
    r.as_ref().map(row).transpose()
}

pub async fn find_rows(pool: &AnyPool, t: RecordTable, f: &RowFilter) -> StoreResult<Vec<RecordRow>> {
    if f.subject_ids.len() > MAX_BINDS {
        // Too many ids for one statement: one per chunk, merged in the same order and limit.
        let mut out = Vec::new();
        for chunk in f.subject_ids.chunks(MAX_BINDS) {
            out.extend(Box::pin(find_rows(pool, t, &RowFilter { subject_ids: chunk.to_vec(), ..f.clone() })).await?);
        }
        return Ok(merged(out, f.order, f.limit));
    }
    if !f.orgs.is_empty() && f.limit.is_some() {
        // "Owned by or party to": two index walks (org_id, party_org), each stopping at the
        // limit, merged. One OR'ed statement would make the database sort every row the
        // organisation has ever touched before it could return the first page.
        let owned = RowFilter { orgs: Vec::new(), owners: f.orgs.clone(), ..f.clone() };
        let party = RowFilter { orgs: Vec::new(), parties: f.orgs.clone(), ..f.clone() };
        let mut out = Box::pin(find_rows(pool, t, &owned)).await?;
        let seen: std::collections::HashSet<String> = out.iter().map(|r| r.id.clone()).collect();
        out.extend(Box::pin(find_rows(pool, t, &party)).await?.into_iter().filter(|r| !seen.contains(&r.id)));
        return Ok(merged(out, f.order, f.limit));
    }
    let (where_sql, binds) = where_of(f, true);
    let order = match f.order {
        RowOrder::Newest => "created_at DESC, id",
        RowOrder::Soonest => "occurred_at, id",
        RowOrder::Oldest => "created_at, id",
        RowOrder::Queue => "queue_key, id",
    };
    let mut sql = format!("SELECT * FROM {} WHERE {where_sql} ORDER BY {order}", t.name());
    if let Some(limit) = f.limit {
        sql.push_str(&format!(" LIMIT {}", limit.clamp(1, 100_000)));
    }
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for v in binds {
        q = q.bind(v);
    }
    let rows = q.fetch_all(pool).await.map_err(be)?;
    rows.iter().map(row).collect()
}

/// Rows from several statements in the list order, cut at `limit`.
fn merged(mut out: Vec<RecordRow>, order: RowOrder, limit: Option<i64>) -> Vec<RecordRow> {
    match order {
        RowOrder::Newest => out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(&b.id))),
        RowOrder::Soonest => out.sort_by(|a, b| a.occurred_at.cmp(&b.occurred_at).then_with(|| a.id.cmp(&b.id))),
        RowOrder::Oldest => out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id))),
        // Only ever one statement (a unit's own queue): nothing to merge.
        RowOrder::Queue => {}
    }
    if let Some(limit) = limit {
        out.truncate(limit.clamp(1, 100_000) as usize);
    }
    out
}

/// How many rows match, counted by the database.
pub async fn count_rows(pool: &AnyPool, t: RecordTable, f: &RowFilter) -> StoreResult<i64> {
    // Too many subject ids for one statement: one count per chunk (subjects are disjoint).
    let chunks: Vec<Vec<String>> =
        if f.subject_ids.is_empty() { vec![Vec::new()] } else { f.subject_ids.chunks(MAX_BINDS).map(<[String]>::to_vec).collect() };
    let mut total = 0;
    for chunk in chunks {
        let f = RowFilter { subject_ids: chunk, after: None, limit: None, ..f.clone() };
        let (where_sql, binds) = where_of(&f, false);
        let sql = format!("SELECT COUNT(*) AS n FROM {} WHERE {where_sql}", t.name());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in binds {
            q = q.bind(v);
        }
        let r = q.fetch_one(pool).await.map_err(be)?;
        total += i(&r, "n")?;
    }
    Ok(total)
}

/// The WHERE clause of a filter and its bound values (`$1…`). `keyset` adds the position.
fn where_of(f: &RowFilter, keyset: bool) -> (String, Vec<String>) {
    let mut sql = String::from("1 = 1");
    let mut binds: Vec<String> = Vec::new();
    let mut n = 1;
    let list = |sql: &mut String, binds: &mut Vec<String>, n: &mut usize, col: &str, vals: Vec<String>| {
        if vals.is_empty() {
            return;
        }
        sql.push_str(&format!(" AND {col} IN ({})", placeholders(*n, vals.len())));
        *n += vals.len();
        binds.extend(vals);
    };
    if !f.orgs.is_empty() {
        let a = placeholders(n, f.orgs.len());
        let b = placeholders(n + f.orgs.len(), f.orgs.len());
        sql.push_str(&format!(" AND (org_id IN ({a}) OR party_org IN ({b}))"));
        for _ in 0..2 {
            binds.extend(f.orgs.iter().map(ToString::to_string));
        }
        n += 2 * f.orgs.len();
    }
    list(&mut sql, &mut binds, &mut n, "org_id", f.owners.iter().map(ToString::to_string).collect());
    list(&mut sql, &mut binds, &mut n, "party_org", f.parties.iter().map(ToString::to_string).collect());
    list(&mut sql, &mut binds, &mut n, "id", f.ids.clone());
    list(&mut sql, &mut binds, &mut n, "lookup", f.lookups.clone());
    list(&mut sql, &mut binds, &mut n, "subject_id", f.subject_ids.clone());
    list(&mut sql, &mut binds, &mut n, "status", f.statuses.clone());
    for (col, v) in [("kind", &f.kind), ("lookup", &f.lookup)] {
        if let Some(v) = v {
            sql.push_str(&format!(" AND {col} = ${n}"));
            binds.push(v.clone());
            n += 1;
        }
    }
    if f.lookup_none {
        sql.push_str(" AND 1 = 0");
    }
    if !f.lookup_prefixes.is_empty() {
        let alts: Vec<String> = (0..f.lookup_prefixes.len()).map(|k| format!("lookup LIKE ${}", n + k)).collect();
        sql.push_str(&format!(" AND ({})", alts.join(" OR ")));
        binds.extend(f.lookup_prefixes.iter().map(|p| format!("{}%", p.replace(['%', '_'], ""))));
        n += f.lookup_prefixes.len();
    }
    if let Some(prefix) = &f.area_prefix {
        // A region and the areas inside it: `PE-16` matches `PE-16` and `PE-1601`.
        sql.push_str(&format!(" AND area_code LIKE ${n}"));
        binds.push(format!("{}%", prefix.replace(['%', '_'], "")));
        n += 1;
    }
    for (op, v) in [(">=", f.created_from), ("<", f.created_before)] {
        if let Some(v) = v {
            // A number this process computed from a checked date, never client text.
            sql.push_str(&format!(" AND created_at {op} {v}"));
        }
    }
    if let Some(from) = &f.ids_from {
        let mut inner = format!("SELECT subject_id FROM {} WHERE 1 = 1", from.table.name());
        list(&mut inner, &mut binds, &mut n, "party_org", from.parties.iter().map(ToString::to_string).collect());
        list(&mut inner, &mut binds, &mut n, "status", from.statuses.clone());
        sql.push_str(&format!(" AND id IN ({inner})"));
    }
    if let Some(org) = &f.naming_referred_to {
        // One primary-key probe per row scanned: the rows (open pairs) are few, the persons
        // referred to a shelter many.
        let probe = |k: usize, col: &str| format!("EXISTS (SELECT 1 FROM referred_to x WHERE x.org_id = ${k} AND x.person_id = {col})");
        sql.push_str(&format!(" AND ({} OR {})", probe(n, "subject_id"), probe(n + 1, "lookup")));
        binds.extend([org.to_string(), org.to_string()]);
        n += 2;
    }
    if let Some((from, before)) = f.queue_range {
        // Numbers computed by core, never client text.
        sql.push_str(&format!(" AND queue_key >= {from} AND queue_key < {before}"));
    }
    if f.order == RowOrder::Soonest {
        sql.push_str(" AND occurred_at IS NOT NULL");
    }
    if keyset && let Some(a) = &f.after {
        // After (at, id) in the list order. The timestamp comes from a cursor this server
        // sealed (never client text): inlined, so both backends compare integers.
        let (col, cmp) = match f.order {
            RowOrder::Newest => ("created_at", "<"),
            RowOrder::Soonest => ("occurred_at", ">"),
            RowOrder::Oldest => ("created_at", ">"),
            RowOrder::Queue => ("queue_key", ">"),
        };
        sql.push_str(&format!(" AND ({col} {cmp} {at} OR ({col} = {at} AND id > ${n}))", at = a.at));
        binds.push(a.id.clone());
    }
    (sql, binds)
}

fn instrument(r: &AnyRow) -> StoreResult<InstrumentRecord> {
    Ok(InstrumentRecord {
        id: s(r, "id")?,
        family: s(r, "family")?,
        version: i(r, "version")?,
        published_at: i(r, "published_at")?,
        published_by: s(r, "published_by")?,
        body: s(r, "body")?,
    })
}

pub async fn insert_instrument(
    pool: &AnyPool,
    rec: &InstrumentRecord,
    audit: &amparo_domain::audit::AuditEvent,
    signer: Option<&dyn amparo_core::store::HeadSigner>,
) -> StoreResult<i64> {
    let mut tx = pool.begin().await.map_err(be)?;
    let seq = append_in(&mut tx, audit, signer).await?;
    sqlx::query(
        "INSERT INTO screening_instruments (id, family, version, published_at, published_by, body) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(rec.id.clone())
    .bind(rec.family.clone())
    .bind(rec.version)
    .bind(rec.published_at)
    .bind(rec.published_by.clone())
    .bind(rec.body.clone())
    .execute(&mut *tx)
    .await
    .map_err(be)?;
    tx.commit().await.map_err(be)?;
    Ok(seq)
}

pub async fn list_instruments(pool: &AnyPool) -> StoreResult<Vec<InstrumentRecord>> {
    let rows = sqlx::query("SELECT * FROM screening_instruments ORDER BY family, version").fetch_all(pool).await.map_err(be)?;
    rows.iter().map(instrument).collect()
}

pub async fn get_instrument(pool: &AnyPool, id: &str) -> StoreResult<Option<InstrumentRecord>> {
    let r = sqlx::query("SELECT * FROM screening_instruments WHERE id = $1").bind(id.to_owned()).fetch_optional(pool).await.map_err(be)?;
    r.as_ref().map(instrument).transpose()
}

/// A page of the referral gap from the person rows' own gap columns (migration 0015, kept
/// by triggers): each person's latest decision and how many of their referrals count as
/// referred. One index range, by organisation or nationally, in the gap's order.
fn gap_sql(q: &amparo_core::store::GapQuery) -> (String, Vec<String>) {
    let mut binds: Vec<String> = Vec::new();
    let mut n = 1;
    let kinds = placeholders(n, q.identified.len().max(1));
    binds.extend(if q.identified.is_empty() { vec![String::new()] } else { q.identified.clone() });
    n += q.identified.len().max(1);
    // The cutoff is a number core computed, never client text.
    let mut cond = format!("p.referred_n = 0 AND p.gap_at < {cutoff} AND p.gap_kind IN ({kinds})", cutoff = q.cutoff);
    if let Some(org) = &q.org {
        cond.push_str(&format!(" AND p.org_id = ${n}"));
        binds.push(org.to_string());
        n += 1;
    }
    if let Some(a) = &q.after {
        // A position from a sealed cursor: the time is a number, the id bound.
        cond.push_str(&format!(" AND (p.gap_at > {t} OR (p.gap_at = {t} AND p.id > ${n}))", t = a.at));
        binds.push(a.id.clone());
    }
    let sql = format!(
        "SELECT p.id AS pid, p.code AS code, p.org_id AS org, p.gap_kind AS kind, p.gap_at AS at \
         FROM persons p WHERE {cond} ORDER BY p.gap_at, p.id LIMIT {}",
        q.limit.clamp(1, 1_000)
    );
    (sql, binds)
}

pub async fn gap_page(pool: &AnyPool, q: &amparo_core::store::GapQuery) -> StoreResult<Vec<amparo_core::store::GapCandidate>> {
    let (sql, binds) = gap_sql(q);
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for v in binds {
        query = query.bind(v);
    }
    query
        .fetch_all(pool)
        .await
        .map_err(be)?
        .iter()
        .map(|r| {
            Ok(amparo_core::store::GapCandidate {
                person_id: s(r, "pid")?,
                code: s(r, "code")?,
                org_id: OrgId::from_trusted(s(r, "org")?),
                status: s(r, "kind")?,
                decided_at: i(r, "at")?,
            })
        })
        .collect()
}

/// How many persons are in the referral gap: the whole days before the cutoff's day from
/// the per-day counts (migration 0018, kept by triggers: a few thousand rows nationally
/// rather than every unreferred person), plus the cutoff's own part-day counted on the
/// persons index, so any cutoff is exact.
pub async fn gap_count(pool: &AnyPool, q: &amparo_core::store::GapQuery) -> StoreResult<i64> {
    let kinds: Vec<String> = if q.identified.is_empty() { vec![String::new()] } else { q.identified.clone() };
    let day = q.cutoff.div_euclid(86_400);
    // Numbers core computed, never client text; the scope and kinds are bound.
    let mut binds = vec![q.org.as_ref().map(ToString::to_string).unwrap_or_default()];
    let whole_kinds = placeholders(2, kinds.len());
    binds.extend(kinds.iter().cloned());
    let part_kinds = placeholders(2 + kinds.len(), kinds.len());
    binds.extend(kinds.iter().cloned());
    let mut part = format!(
        "p.referred_n = 0 AND p.gap_at >= {from} AND p.gap_at < {cutoff} AND p.gap_kind IN ({part_kinds})",
        from = day * 86_400,
        cutoff = q.cutoff
    );
    if let Some(org) = &q.org {
        part.push_str(&format!(" AND p.org_id = ${}", 2 + 2 * kinds.len()));
        binds.push(org.to_string());
    }
    let sql = format!(
        "SELECT CAST((SELECT COALESCE(SUM(g.n), 0) FROM gap_counts g \
           WHERE g.scope = $1 AND g.kind IN ({whole_kinds}) AND g.day < {day}) AS BIGINT) AS whole, \
         (SELECT COUNT(*) FROM persons p WHERE {part}) AS part"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for v in binds {
        query = query.bind(v);
    }
    let r = query.fetch_one(pool).await.map_err(be)?;
    Ok(i(&r, "whole")? + i(&r, "part")?)
}
