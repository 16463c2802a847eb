//! The store conformance suite: the same stories, unchanged, against SQLite and against a
//! throwaway PostgreSQL cluster. A backend that drifts from the other fails here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use amparo_core::clock::ManualClock;
use amparo_core::config::AuthConfig;
use amparo_core::crypto::keyring::Keyring;
use amparo_core::random::SeededRandom;
use amparo_core::store::ports::*;
use amparo_core::store::{Backend, Batch, RecordTable, RowFilter, StatScan};
use amparo_core::{Amparo, CoreError, Ctx};
use amparo_domain::audit::{AuditEvent, BreakReason, entry_hash};
use amparo_domain::intake::ReportInput;
use amparo_domain::org::OrgInput;
use amparo_domain::person::PersonInput;
use amparo_domain::policy::{Actor, UserActor};
use amparo_domain::protection::ServiceInput;
use amparo_domain::user::UserInput;
use amparo_domain::{OrgId, PersonId, Role};
use amparo_store::{MIGRATIONS_POSTGRES, MIGRATIONS_SQLITE, SqlStore, connect};
use amparo_testkit::{PgCluster, TempDir};
use std::sync::Arc;

const KNOWN_NAME: &str = "Xiomara Quispecahuana";
const KNOWN_DOC: &str = "DNI-40912377";

/// Where a story's database lives, so it can look under the application.
enum Db {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

struct Env {
    app: Amparo,
    store: Arc<SqlStore>,
    db: Db,
}

fn cfg() -> AuthConfig {
    AuthConfig { argon2_memory_kib: 256, argon2_iterations: 1, checkpoint_every: 5, ..AuthConfig::default() }
}

async fn env_with(store: SqlStore, db: Db, ring: Keyring) -> Env {
    let store = Arc::new(store);
    store.migrate().await.unwrap();
    let app = Amparo::new(store.clone(), Arc::new(ManualClock::new(1_700_000_000)), Arc::new(SeededRandom::new(7)), Arc::new(ring), cfg())
        .unwrap();
    app.system().ensure_reference_data(&Ctx::system("t")).await.unwrap();
    Env { app, store, db }
}

fn ring() -> Keyring {
    Keyring::from_keys(vec![(1, [11; 32])]).unwrap()
}

/// Make an organisation and a user in it, and a context acting as that user.
async fn org_and_actor(app: &Amparo, name: &str, role: Role) -> (OrgId, Ctx) {
    let sys = Ctx::system("t");
    // An organisation whose kind may hold the role (`domain/grant.rs`).
    let kind = if matches!(role, Role::SystemAdmin | Role::Analyst | Role::Coordinator) { "ministry" } else { "police_unit" };
    let org = app
        .administration()
        .create_org(&sys, &OrgInput { name: name.into(), kind: kind.into(), jurisdiction: "PE-16".into(), parent_id: None })
        .await
        .unwrap();
    let u = app
        .administration()
        .create_user(
            &sys,
            &UserInput {
                email: format!("{}@x.pe", name.to_lowercase().replace(' ', "")),
                display_name: name.into(),
                org_id: org.id.to_string(),
                roles: vec![role.as_str().into()],
                password: "correct horse battery".into(),
                locale: None,
            },
        )
        .await
        .unwrap();
    let ctx = Ctx {
        actor: Some(Actor::User(UserActor { user_id: u.id, org_id: org.id.clone(), roles: vec![role], mfa_satisfied: true })),
        client_ip: "127.0.0.1".into(),
        operation_id: "op".into(),
    };
    (org.id, ctx)
}

async fn known_person(app: &Amparo, ctx: &Ctx) -> PersonId {
    let p = PersonInput {
        role: "possible_victim".into(),
        given_names: KNOWN_NAME.into(),
        document_number: KNOWN_DOC.into(),
        narrative: format!("{KNOWN_NAME} was found in a bar"),
        phone: "+51 987 654 321".into(),
        ..Default::default()
    };
    app.protection().create_person(ctx, &p).await.unwrap().id
}

async fn raw(store: &SqlStore, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(store.pool()).await.unwrap();
}

async fn drop_audit_guards(e: &Env) {
    match e.store.backend() {
        Backend::Sqlite => raw(&e.store, "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;").await,
        Backend::Postgres => raw(&e.store, "DROP TRIGGER audit_log_no_change ON audit_log;").await,
    }
}

// ---------------------------------------------------------------------------------------
// The stories. Each takes a fresh environment.

/// Migrations: two servers starting at once on an empty database both come up, each
/// migration applied once; an applied migration that changed is refused at the next start;
/// a database migrated by the earlier runner moves to sqlx's ledger without re-running
/// anything.
async fn story_migrations_race_checksums_and_the_old_ledger(empty: String, old: String) {
    let tree = |s: &SqlStore| if s.backend() == Backend::Sqlite { MIGRATIONS_SQLITE } else { MIGRATIONS_POSTGRES };
    let (a, b) = (connect(&empty).await.unwrap(), connect(&empty).await.unwrap());
    let (ra, rb) = tokio::join!(a.migrate(), b.migrate());
    let all: Vec<i64> = tree(&a).iter().map(|m| m.0).collect();
    assert_eq!((ra.unwrap(), rb.unwrap()), (all.clone(), all.clone()));
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(a.pool()).await.unwrap();
    assert_eq!(rows, all.len() as i64, "each migration recorded once");
    assert_eq!(a.applied_migrations().await.unwrap(), all);

    raw(&a, "UPDATE _sqlx_migrations SET checksum = checksum || checksum WHERE version = 3").await;
    let err = a.migrate().await.unwrap_err().to_string();
    assert!(err.contains("migration 3 differs"), "{err}");

    // The earlier runner's database: the first ten migrations and its own ledger, with a row.
    let o = connect(&old).await.unwrap();
    for (_, _, sql) in &tree(&o)[..10] {
        raw(&o, sql).await;
    }
    raw(&o, "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)").await;
    for (v, name, _) in &tree(&o)[..10] {
        raw(&o, &format!("INSERT INTO schema_migrations VALUES ({v}, '{name}', 0)")).await;
    }
    raw(&o, "INSERT INTO countries (alpha2, alpha3, name_es, name_en) VALUES ('ZZ', 'ZZZ', 'Prueba', 'Test')").await;
    assert_eq!(o.migrate().await.unwrap(), all, "the rest applied, the first ten not again");
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM countries WHERE alpha2 = 'ZZ'").fetch_one(o.pool()).await.unwrap();
    assert_eq!(kept, 1);
    assert!(o.persons_page(None, 1).await.is_ok(), "the later migrations' tables are there");
}

async fn story_orgs_users_and_stale_edits(e: Env) {
    let (org, ctx) = org_and_actor(&e.app, "Unidad Iquitos", Role::SystemAdmin).await;
    let got = e.app.administration().get_org(&ctx, &org).await.unwrap();
    assert_eq!(got.name, "Unidad Iquitos");
    let edit =
        OrgInput { name: "Unidad Iquitos Norte".into(), kind: "police_unit".into(), jurisdiction: "PE-160101".into(), parent_id: None };
    let v2 = e.app.administration().update_org(&ctx, &org, &edit, 1).await.unwrap();
    assert_eq!(v2.version, 2);
    // A second editor still holding version 1 gets a conflict showing the current record.
    match e.app.administration().update_org(&ctx, &org, &edit, 1).await {
        Err(CoreError::Conflict { current }) => assert_eq!(current["name"], "Unidad Iquitos Norte"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let dup = UserInput {
        email: "unidadiquitos@x.pe".into(),
        display_name: "dup".into(),
        org_id: org.to_string(),
        roles: vec!["analyst".into()],
        password: "another long password".into(),
        locale: None,
    };
    assert!(matches!(e.app.administration().create_user(&Ctx::system("t"), &dup).await, Err(CoreError::Validation(_))));
}

async fn story_geography_is_complete(e: Env) {
    let counts = e.app.system().area_counts("PE").await.unwrap();
    assert_eq!(counts, vec![(1, 25), (2, 196), (3, 1893)]);
    let csv = b"country,level,code,parent,name\nBO,1,01,,Chuquisaca\nBO,2,0101,01,Oropeza\n";
    assert_eq!(e.app.system().import_areas(&Ctx::system("t"), csv).await.unwrap(), 2);
    let bad = b"country,level,code,parent,name\nBO,2,0999,77,Nowhere\n";
    assert!(e.app.system().import_areas(&Ctx::system("t"), bad).await.is_err());
    assert!(e.store.get_area("BO-0999").await.unwrap().is_none(), "a bad file changes nothing");
}

async fn story_no_plaintext_at_rest(e: Env) {
    let (_, ctx) = org_and_actor(&e.app, "Unidad Loreto", Role::Investigator).await;
    let id = known_person(&e.app, &ctx).await;
    let (_, identity) = e.app.protection().reveal_person(&ctx, &id, "verificar identidad para derivación").await.unwrap();
    assert_eq!(identity.given_names.as_deref(), Some(KNOWN_NAME));
    protection_records(&e.app, &ctx).await;
    let mut haystack = Vec::new();
    match &e.db {
        Db::Sqlite(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let p = format!("{}{}", path.display(), suffix);
                if let Ok(bytes) = std::fs::read(&p) {
                    haystack.extend(bytes);
                }
            }
            assert!(!haystack.is_empty());
        }
        Db::Postgres(url) => haystack = pg_cluster().map(|c| c.dump(url)).unwrap_or_default(),
    }
    for needle in [KNOWN_NAME, "Quispecahuana", KNOWN_DOC, "987 654 321", KNOWN_NARRATIVE, "Los Delfines", KNOWN_ADDRESS] {
        assert!(!haystack.windows(needle.len()).any(|w| w == needle.as_bytes()), "found {needle:?} in clear at rest");
    }
}

/// A report narrative and a shelter address, written through the use cases.
const KNOWN_NARRATIVE: &str = "Adolescentes encerradas en el bar Los Delfines";
const KNOWN_ADDRESS: &str = "Jirón Secreto 777";

async fn protection_records(app: &Amparo, ctx: &Ctx) -> (String, String) {
    let shelter =
        Ctx { actor: Some(Actor::User(UserActor { roles: vec![Role::ShelterStaff], ..ctx.user().unwrap().clone() })), ..ctx.clone() };
    let svc = ServiceInput {
        name: "CAR".into(),
        kind: "shelter".into(),
        region: "PE-16".into(),
        capacity: "3".into(),
        contact_protocol: "Llamar".into(),
        address: KNOWN_ADDRESS.into(),
        ..Default::default()
    };
    let svc = app.referrals().create_service(&shelter, None, &svc).await.unwrap();
    let hotline =
        Ctx { actor: Some(Actor::User(UserActor { roles: vec![Role::HotlineOperator], ..ctx.user().unwrap().clone() })), ..ctx.clone() };
    let rep = ReportInput { channel: "hotline".into(), place: "PE-16".into(), narrative: KNOWN_NARRATIVE.into(), ..Default::default() };
    let rep = app.intake().create_report(&hotline, &rep).await.unwrap();
    (rep.id, svc.id)
}

async fn story_protection_records_and_instruments(e: Env) {
    let (_, ctx) = org_and_actor(&e.app, "Unidad Prot", Role::Investigator).await;
    let (rid, sid) = protection_records(&e.app, &ctx).await;
    let row = e.store.get_row(RecordTable::Reports, &rid).await.unwrap().unwrap();
    assert_eq!((row.kind.as_str(), row.status.as_str(), row.version), ("hotline", "new", 1));
    let found = e
        .store
        .find_rows(RecordTable::Reports, &RowFilter { orgs: vec![row.org_id.clone()], statuses: vec!["new".into()], ..Default::default() })
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert!(
        e.store
            .find_rows(RecordTable::Reports, &RowFilter { statuses: vec!["closed".into()], ..Default::default() })
            .await
            .unwrap()
            .is_empty()
    );
    // A stale update fails as a whole: the insert in the same batch is not kept.
    let stale = amparo_core::store::RecordRow { status: "closed".into(), version: 5, ..row.clone() };
    let extra = amparo_core::store::RecordRow { id: "extra".into(), ..row.clone() };
    let batch = Batch { inserts: vec![(RecordTable::Reports, extra)], updates: vec![(RecordTable::Reports, stale)] };
    let ev = ctx.event(1, "t", "ok", "t", "");
    assert!(matches!(e.store.write(&batch, &ev).await, Err(amparo_core::store::StoreError::Conflict)));
    assert!(e.store.get_row(RecordTable::Reports, "extra").await.unwrap().is_none());
    assert_eq!(e.store.get_row(RecordTable::Services, &sid).await.unwrap().unwrap().kind, "shelter");
    // A published instrument cannot be edited or deleted, even from under the application.
    let upd = sqlx::raw_sql("UPDATE screening_instruments SET body = '{}'").execute(e.store.pool()).await;
    assert!(upd.is_err(), "an instrument version is never edited in place");
    let del = sqlx::raw_sql("DELETE FROM screening_instruments").execute(e.store.pool()).await;
    assert!(del.is_err());
    assert_eq!(e.store.list_instruments().await.unwrap().len(), 1);
}

/// Bulk loads (the generator, imports) are all or nothing, and the lean statistics reads see
/// the same rows without the sealed parts.
async fn story_bulk_writes_and_statistics_reads(e: Env) {
    let (org, ctx) = org_and_actor(&e.app, "Unidad Bulk", Role::Investigator).await;
    let pid = known_person(&e.app, &ctx).await;
    let mut p = e.store.get_person(&pid).await.unwrap().unwrap();
    p.id = amparo_domain::PersonId::from_trusted("bulk-person-1".to_owned());
    p.code = "P-BULK-0001".into();
    p.match_doc = Some("doc-hash".into());
    let row = amparo_core::store::RecordRow {
        id: "bulk-case-1".into(),
        org_id: org.clone(),
        party_org: None,
        subject_id: None,
        kind: "isSexualExploit".into(),
        status: "open".into(),
        area_code: Some("PE-1601".into()),
        lookup: None,
        occurred_at: Some(1_200_000_000),
        version: 1,
        created_at: 1_200_000_000,
        created_by: "t".into(),
        updated_at: 1_200_000_000,
        attrs: r#"{"title":"Secreto del caso","labour_sector":null,"sexual_form":"brothel","history":[{"at":1}]}"#.into(),
        sealed: Some(vec![1, 2, 3]),
    };
    let batch = Batch { inserts: vec![(RecordTable::Cases, row.clone())], updates: vec![] };
    e.store.write_bulk(std::slice::from_ref(&p), &batch, &ctx.event(1, "bulk", "ok", "t", "")).await.unwrap();
    let back = e.store.get_person(&p.id).await.unwrap().unwrap();
    assert_eq!((back.sealed.len(), back.match_doc.as_deref()), (p.sealed.len(), Some("doc-hash")), "every field in one statement");
    // A duplicate anywhere fails the whole load: the second case is not kept.
    let again = Batch {
        inserts: vec![(RecordTable::Cases, amparo_core::store::RecordRow { id: "bulk-case-2".into(), ..row.clone() })],
        updates: vec![],
    };
    assert!(e.store.write_bulk(std::slice::from_ref(&p), &again, &ctx.event(1, "bulk", "ok", "t", "")).await.is_err());
    assert!(e.store.get_row(RecordTable::Cases, "bulk-case-2").await.unwrap().is_none(), "nothing half-loaded");
    // Statistics reads: only the fields asked for, never the sealed part or an identity.
    let cases = e.store.stat_rows(RecordTable::Cases, &["sexual_form", "labour_sector"]).await.unwrap();
    let c = cases.iter().find(|c| c.id == "bulk-case-1").unwrap();
    let attrs: serde_json::Value = serde_json::from_str(&c.attrs).unwrap();
    assert_eq!(attrs, serde_json::json!({ "sexual_form": "brothel", "labour_sector": null }));
    assert_eq!((c.sealed.as_ref(), c.area_code.as_deref(), c.occurred_at), (None, Some("PE-1601"), Some(1_200_000_000)));
    // Re-imports find their own persons by source, in their own organisation only.
    let mut src = p.clone();
    src.id = amparo_domain::PersonId::from_trusted("bulk-person-src".to_owned());
    src.code = "P-BULK-0002".into();
    src.match_doc = None;
    src.profile.source_type = Some("htcds".into());
    src.profile.source_id = Some("LEGACY-7".into());
    e.store.write_bulk(std::slice::from_ref(&src), &Batch::default(), &ctx.event(1, "bulk", "ok", "t", "")).await.unwrap();
    assert_eq!(e.store.persons_by_source(&org, "htcds").await.unwrap(), [("LEGACY-7".to_owned(), "bulk-person-src".to_owned())]);
    assert!(e.store.persons_by_source(&org, "other").await.unwrap().is_empty());
    assert!(e.store.stat_rows(RecordTable::Cases, &["bad field'"]).await.is_err(), "field names are checked");
    // A national dashboard asks for tens of thousands of persons at once (SQLite binds at
    // most 32,766 variables per statement).
    let mut ids: Vec<String> = (0..40_000).map(|k| format!("nobody-{k}")).collect();
    ids.push(p.id.to_string());
    let found = e.store.persons_by_ids(&ids).await.unwrap();
    assert_eq!(found.iter().map(|x| x.id.to_string()).collect::<Vec<_>>(), [p.id.to_string()]);
    let rows = e.store.find_rows(RecordTable::Cases, &RowFilter { subject_ids: ids.clone(), ..Default::default() }).await.unwrap();
    assert!(rows.is_empty());
}

/// Record linkage reads every person a page at a time, each once, and learns from the
/// changed ones alone whether it has anything to do.
async fn story_persons_in_pages_and_changes(e: Env) {
    let (_org, ctx) = org_and_actor(&e.app, "Unidad Páginas", Role::Investigator).await;
    let pid = known_person(&e.app, &ctx).await;
    let template = e.store.get_person(&pid).await.unwrap().unwrap();
    let persons: Vec<_> = (0..7)
        .map(|k| {
            let mut p = template.clone();
            p.id = amparo_domain::PersonId::from_trusted(format!("page-person-{k}"));
            p.code = format!("P-PAGE-{k:04}");
            p.match_doc = None;
            p.updated_at = 1_000 + k;
            p
        })
        .collect();
    e.store.write_bulk(&persons, &Batch::default(), &ctx.event(1, "bulk", "ok", "t", "")).await.unwrap();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = e.store.persons_page(after.as_ref(), 3).await.unwrap();
        assert!(page.len() <= 3);
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        seen.extend(page.iter().map(|p| p.id.to_string()));
    }
    let mut all: Vec<String> = persons.iter().map(|p| p.id.to_string()).chain([pid.to_string()]).collect();
    all.sort();
    assert_eq!(seen, all, "every person once, in id order");
    let changed = e.store.persons_changed_since(1_005).await.unwrap();
    let mut ids: Vec<(String, i64)> =
        changed.into_iter().filter(|(id, _)| id.as_str().starts_with("page-")).map(|(id, at)| (id.to_string(), at)).collect();
    ids.sort();
    assert_eq!(ids, [("page-person-5".to_owned(), 1_005), ("page-person-6".to_owned(), 1_006)]);
}

/// Statistics scans see every row once, chunk after chunk, with only the columns, rows and
/// `attrs` fields asked for, and the subject person's clear columns when asked.
async fn story_statistics_scans_in_chunks(e: Env) {
    let (org, ctx) = org_and_actor(&e.app, "Unidad Escaneo", Role::Investigator).await;
    let pid = known_person(&e.app, &ctx).await;
    let mut p = e.store.get_person(&pid).await.unwrap().unwrap();
    p.id = amparo_domain::PersonId::from_trusted("scan-person".to_owned());
    p.code = "P-SCAN-0001".into();
    p.sex = Some("F".into());
    p.approx_age = Some(16);
    p.profile.nationality = Some("VE".into());
    p.match_doc = Some("shared-doc".into());
    let mut twin = p.clone();
    twin.id = amparo_domain::PersonId::from_trusted("scan-twin".to_owned());
    twin.code = "P-SCAN-0002".into();
    let row = |k: usize| amparo_core::store::RecordRow {
        id: format!("scan-{k:02}"),
        org_id: org.clone(),
        party_org: None,
        subject_id: Some(if k.is_multiple_of(2) { "scan-person".into() } else { "nobody".into() }),
        kind: if k < 7 { "ActualVictim".into() } else { "PossibleVictim".into() },
        status: "final".into(),
        area_code: Some("PE-1601".into()),
        lookup: None,
        occurred_at: Some(1_200_000_000 + k as i64),
        version: 1,
        created_at: 1_200_000_000,
        created_by: "t".into(),
        updated_at: 1_200_000_000,
        attrs: format!(r#"{{"n":{k},"secret":"no"}}"#),
        sealed: Some(vec![9; 4]),
    };
    let batch = Batch { inserts: (0..10).map(|k| (RecordTable::Decisions, row(k))).collect(), updates: vec![] };
    e.store.write_bulk(&[p.clone(), twin], &batch, &ctx.event(1, "bulk", "ok", "t", "")).await.unwrap();

    let mut seen = Vec::new();
    let mut scan =
        StatScan { attrs: &["n"], chunk: 3, person: true, ..StatScan::new(RecordTable::Decisions, &["id", "kind", "occurred_at"]) };
    e.store.stat_scan(&scan, &mut |r| seen.push(r)).await.unwrap();
    let mut ids: Vec<&str> = seen.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..10).map(|k| format!("scan-{k:02}")).collect::<Vec<_>>(), "every row once, over four chunks");
    let r4 = seen.iter().find(|r| r.id == "scan-04").unwrap();
    assert_eq!(
        (r4.kind.as_str(), r4.occurred_at, r4.status.as_str(), r4.area_code.as_deref()),
        ("ActualVictim", Some(1_200_000_004), "", None)
    );
    let attrs: serde_json::Value = serde_json::from_str(r4.attrs.as_deref().unwrap()).unwrap();
    assert_eq!(attrs, serde_json::json!({ "n": 4 }), "only the fields asked for");
    let person = r4.person.clone().unwrap();
    assert_eq!(
        (person.org_id.as_deref(), person.sex.as_deref(), person.approx_age, person.nationality.as_deref()),
        (Some(org.as_str()), Some("F"), Some(16), Some("VE"))
    );
    let r5 = seen.iter().find(|r| r.id == "scan-05").unwrap();
    assert!(r5.person.as_ref().is_none_or(|p| p.org_id.is_none()), "a subject that is no person joins nothing");

    // Filters on kind and status; a chunk size that divides the rows exactly ends cleanly.
    scan = StatScan { kind: Some("PossibleVictim"), status: Some("final"), chunk: 3, ..StatScan::new(RecordTable::Decisions, &["id"]) };
    let mut n = 0;
    e.store.stat_scan(&scan, &mut |_| n += 1).await.unwrap();
    assert_eq!(n, 3);
    scan.status = Some("draft");
    let mut n = 0;
    e.store.stat_scan(&scan, &mut |_| n += 1).await.unwrap();
    assert_eq!(n, 0);
    scan.status = None;
    scan.org = Some("another-org");
    let mut n = 0;
    e.store.stat_scan(&scan, &mut |_| n += 1).await.unwrap();
    assert_eq!(n, 0, "only the organisation's own rows");
    let own = org.to_string();
    scan.org = Some(&own);
    let mut n = 0;
    e.store.stat_scan(&scan, &mut |_| n += 1).await.unwrap();
    assert_eq!(n, 3);
    assert!(e.store.stat_scan(&StatScan::new(RecordTable::Decisions, &["sealed"]), &mut |_| ()).await.is_err(), "columns are checked");

    let shared = e.store.stat_shared_documents().await.unwrap();
    let mut names: Vec<&str> = shared.iter().filter(|s| s.0 == "shared-doc").map(|s| s.1.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["scan-person", "scan-twin"], "the two persons with the same document");
}

/// The statistics projection's tables: every write lists what it touched, in its own
/// transaction; one refresher holds the lease at a time; rows go in and come back by year,
/// by group, and with the defendant's group joined.
async fn story_statistics_projection_tables(e: Env) {
    use amparo_core::store::{StatChargeRow, StatVictimQuery, StatVictimRow, StatWrite};
    let (org, ctx) = org_and_actor(&e.app, "Unidad Proyección", Role::Investigator).await;
    let pid = known_person(&e.app, &ctx).await;
    // Whatever the set-up wrote is listed; start from an empty list.
    while !e.store.stat_take_dirty(1000).await.unwrap().is_empty() {}
    let row = |t: &str, id: &str, subject: Option<&str>, lookup: Option<&str>| amparo_core::store::RecordRow {
        id: id.into(),
        org_id: org.clone(),
        party_org: None,
        subject_id: subject.map(str::to_owned),
        kind: t.into(),
        status: "final".into(),
        area_code: None,
        lookup: lookup.map(str::to_owned),
        occurred_at: Some(1_200_000_000),
        version: 1,
        created_at: 1_200_000_000,
        created_by: "t".into(),
        updated_at: 1_200_000_000,
        attrs: "{}".into(),
        sealed: None,
    };
    let batch = Batch {
        inserts: vec![
            (RecordTable::Decisions, row("ActualVictim", "pj-dec", Some("pj-person"), None)),
            (RecordTable::Charges, row("pe-cp-153", "pj-charge", Some("pj-case"), Some("pj-suspect"))),
            (RecordTable::Cases, row("isSexualExploit", "pj-case", None, None)),
            (RecordTable::Reports, row("hotline", "pj-report", None, None)),
            (RecordTable::CaseLinks, row("victim", "pj-link", Some("pj-case"), Some("pj-person"))),
            (RecordTable::Notifications, row("x", "pj-note", Some("pj-person-2"), None)),
        ],
        updates: vec![],
    };
    assert!(!e.store.stat_dirty_waiting().await.unwrap());
    e.store.write(&batch, &ctx.event(1, "t", "ok", "t", "")).await.unwrap();
    assert!(e.store.stat_dirty_waiting().await.unwrap(), "the write listed what it touched");
    let keys = e.store.stat_take_dirty(1000).await.unwrap();
    assert_eq!(keys, ["c:pj-case", "h:pj-charge", "p:pj-person", "s:pj-report"], "a notification touches no figure");
    assert!(e.store.stat_take_dirty(1000).await.unwrap().is_empty(), "taken keys are gone");
    let mut p = e.store.get_person(&pid).await.unwrap().unwrap();
    p.version += 1;
    e.store.update_person(&p, &ctx.event(1, "t", "ok", "t", "")).await.unwrap();
    e.store.set_person_match(&pid, Some("pj-doc"), None).await.unwrap();
    assert_eq!(e.store.stat_take_dirty(1000).await.unwrap(), [format!("p:{pid}")]);
    // A bulk load asks for a full rebuild instead of listing its rows.
    let many = Batch {
        inserts: (0..5_001).map(|k| (RecordTable::Notifications, row("x", &format!("pj-n{k}"), None, None))).collect(),
        updates: vec![],
    };
    e.store.write_bulk(&[], &many, &ctx.event(1, "t", "ok", "t", "")).await.unwrap();
    assert_eq!(e.store.stat_take_dirty(1000).await.unwrap(), ["*"]);

    // Job leases: one holder at a time until it expires, each job on its own.
    let j = "statistics";
    assert!(e.store.lease(j, "a", 100, 200).await.unwrap());
    assert!(!e.store.lease(j, "b", 150, 250).await.unwrap(), "held by a");
    assert!(e.store.lease("linkage", "b", 150, 250).await.unwrap(), "another job's lease is another row");
    assert!(e.store.lease(j, "a", 150, 300).await.unwrap(), "a renews");
    assert!(e.store.lease(j, "b", 301, 400).await.unwrap(), "a's lease ran out");
    e.store.release_lease(j, "a").await.unwrap();
    assert!(!e.store.lease(j, "a", 302, 400).await.unwrap(), "only the holder releases");
    e.store.release_lease(j, "b").await.unwrap();
    assert!(e.store.lease(j, "a", 303, 400).await.unwrap());
    e.store.release_lease(j, "a").await.unwrap();
    assert!(!e.store.lease("linkage", "a", 200, 300).await.unwrap(), "the other job's lease is still held");
    e.store.release_lease("linkage", "b").await.unwrap();

    // Version.
    assert_eq!(e.store.stat_version().await.unwrap(), None);
    e.store.stat_set_version("1").await.unwrap();
    assert_eq!(e.store.stat_version().await.unwrap().as_deref(), Some("1"));

    // Rows in, rows out.
    let victim = |g: &str, identified: Option<i64>, possible: Option<(i64, i64)>| StatVictimRow {
        group_id: g.into(),
        identified_year: identified,
        possible_first: possible.map(|p| p.0),
        possible_last: possible.map(|p| p.1),
        area_code: Some("PE-1601".into()),
        region: Some("PE-16".into()),
        orgs: format!("|{org}|"),
        body: format!(r#"{{"g":"{g}"}}"#),
    };
    let charge = |id: &str, person: &str, filed: Option<i64>, decided: Option<i64>| StatChargeRow {
        id: id.into(),
        case_id: "pj-case".into(),
        case_kind: Some("isSexualExploit".into()),
        labour_sector: None,
        sexual_form: Some("brothel".into()),
        person_id: person.into(),
        filed_day: filed,
        decided_day: decided,
        verdict: decided.map(|_| "convicted".into()),
        sentence_months: decided.map(|_| 96),
        area_code: Some("PE-1601".into()),
        org_id: org.to_string(),
        group_id: None,
    };
    let w = StatWrite {
        grouped: vec![("pj-a".into(), "pj-a".into()), ("pj-b".into(), "pj-a".into())],
        victims: vec![victim("pj-a", Some(2008), None), victim("pj-z", None, Some((2007, 2009))), victim("pj-y", Some(2011), None)],
        charges: vec![charge("pj-c1", "pj-b", Some(100), Some(500)), charge("pj-c2", "pj-x", Some(1000), None)],
        ..Default::default()
    };
    e.store.stat_write(&w).await.unwrap();
    assert_eq!(e.store.stat_groups_of(&["pj-b".into()]).await.unwrap(), [("pj-a".into(), "pj-a".into()), ("pj-b".into(), "pj-a".into())]);
    let groups_in = |q: StatVictimQuery<'static>| {
        let store = e.store.clone();
        async move {
            let mut out: Vec<String> = Vec::new();
            store
                .stat_victims(q, &mut |json: &str| {
                    let v: Vec<serde_json::Value> = serde_json::from_str(json).unwrap();
                    out.extend(v.iter().map(|x| x["g"].as_str().unwrap().to_owned()));
                })
                .await
                .unwrap();
            out.sort();
            out
        }
    };
    assert_eq!(groups_in(StatVictimQuery::Years(2008, 2008)).await, ["pj-a", "pj-z"], "identified, or possibly a victim, then");
    assert_eq!(groups_in(StatVictimQuery::Years(2007, 2011)).await, ["pj-a", "pj-y", "pj-z"], "each once");
    assert!(groups_in(StatVictimQuery::Years(2012, 2020)).await.is_empty());
    static Z: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| vec!["pj-z".into(), "pj-nobody".into()]);
    assert_eq!(groups_in(StatVictimQuery::Groups(&Z)).await, ["pj-z"]);
    let charges_in = |a: i64, b: i64| {
        let store = e.store.clone();
        async move {
            let mut out = Vec::new();
            store.stat_charges(a, b, &mut |c| out.push((c.person_id, c.group_id))).await.unwrap();
            out.sort();
            out
        }
    };
    assert_eq!(charges_in(0, 200).await, [("pj-b".to_owned(), Some("pj-a".to_owned()))], "the defendant's group comes along");
    assert_eq!(charges_in(400, 600).await, [("pj-b".to_owned(), Some("pj-a".to_owned()))], "decided in the span");
    // The trend's counts: by filing day, by verdict day, by year identified, within a scope.
    let years = [(1970, 0, 364), (1971, 365, 729), (2008, 13879, 14244)];
    let q = amparo_core::store::StatTrendQuery { years: &years, region: None, org: None };
    let t = e.store.stat_trend(&q).await.unwrap();
    let counts: Vec<(i32, u64, u64, u64)> = t.iter().map(|r| (r.year, r.prosecutions, r.convictions, r.victims)).collect();
    assert_eq!(counts, [(1970, 1, 0, 0), (1971, 0, 1, 0), (2008, 0, 0, 1)]);
    let own = org.to_string();
    for (region, org_scope, expect) in
        [(Some("PE-16"), None, 1), (Some("PE-1601"), Some(own.as_str()), 1), (Some("PE-15"), None, 0), (None, Some("other"), 0)]
    {
        let q = amparo_core::store::StatTrendQuery { years: &years[2..], region, org: org_scope };
        assert_eq!(e.store.stat_trend(&q).await.unwrap()[0].victims, expect, "{region:?} {org_scope:?}");
    }
    assert_eq!(charges_in(0, 2000).await.len(), 2, "filed and decided in the span: once");
    assert!(charges_in(2001, 3000).await.is_empty());
    // Ungrouping, dropping and replacing.
    let w = StatWrite {
        ungrouped: vec!["pj-b".into()],
        dropped_victims: vec!["pj-z".into()],
        victims: vec![victim("pj-a", Some(2009), None)],
        ..Default::default()
    };
    e.store.stat_write(&w).await.unwrap();
    assert_eq!(e.store.stat_groups_of(&["pj-b".into()]).await.unwrap(), []);
    assert_eq!(groups_in(StatVictimQuery::Years(2007, 2009)).await, ["pj-a"]);
    assert_eq!(charges_in(0, 200).await, [("pj-b".to_owned(), None)]);
    // Screening days: a count of distinct groups over days; a group's days are replaced whole.
    let w = StatWrite { screened: vec![("pj-a".into(), 100), ("pj-a".into(), 120), ("pj-q".into(), 130)], ..Default::default() };
    e.store.stat_write(&w).await.unwrap();
    assert_eq!(e.store.stat_screened(&[(1970, 0, 364), (1971, 365, 729)]).await.unwrap(), [(1970, 2), (1971, 0)]);
    let w = StatWrite { dropped_screened: vec!["pj-a".into()], screened: vec![("pj-a".into(), 400)], ..Default::default() };
    e.store.stat_write(&w).await.unwrap();
    assert_eq!(e.store.stat_screened(&[(1970, 0, 364), (1971, 365, 729)]).await.unwrap(), [(1970, 1), (1971, 1)]);
    // A defendant grouped after their charge was written: the charge follows.
    e.store.stat_write(&StatWrite { grouped: vec![("pj-x".into(), "pj-a".into())], ..Default::default() }).await.unwrap();
    assert_eq!(charges_in(900, 1100).await, [("pj-x".to_owned(), Some("pj-a".to_owned()))], "grouped later");
    e.store.stat_write(&StatWrite { ungrouped: vec!["pj-x".into()], ..Default::default() }).await.unwrap();
    assert_eq!(charges_in(900, 1100).await, [("pj-x".to_owned(), None)], "and ungrouped");

    // Scans by a list of values, by a span of time, with the person's group.
    let w = StatWrite { grouped: vec![("pj-person".into(), "pj-g".into())], ..Default::default() };
    e.store.stat_write(&w).await.unwrap();
    let ids: Vec<String> = vec!["pj-person".into()];
    let scan = StatScan {
        among: Some(("subject_id", &ids)),
        between: Some((1_199_999_000, 1_200_000_500)),
        group_of: Some("subject_id"),
        ..StatScan::new(RecordTable::Decisions, &["id"])
    };
    let mut seen = Vec::new();
    e.store.stat_scan(&scan, &mut |r| seen.push((r.id, r.group_id))).await.unwrap();
    assert_eq!(seen, [("pj-dec".to_owned(), Some("pj-g".to_owned()))]);
    let scan = StatScan { between: Some((1_200_000_001, 1_300_000_000)), ..StatScan::new(RecordTable::Decisions, &["id"]) };
    let mut n = 0;
    e.store.stat_scan(&scan, &mut |_| n += 1).await.unwrap();
    assert_eq!(n, 0, "outside the span");
    let scan = StatScan { between: Some((1_000_000_000, 1_300_000_000)), ..StatScan::new(RecordTable::Notifications, &["id"]) };
    let mut n = 0;
    e.store.stat_scan(&scan, &mut |_| n += 1).await.unwrap();
    assert_eq!(n, 5_002, "a span of years, read a month at a time");
    let many_ids: Vec<String> = (0..700).map(|k| format!("pj-n{k}")).collect();
    let scan = StatScan { among: Some(("id", &many_ids)), ..StatScan::new(RecordTable::Notifications, &["id"]) };
    let mut n = 0;
    e.store.stat_scan(&scan, &mut |_| n += 1).await.unwrap();
    assert_eq!(n, 700, "a long list of values, a slice at a time");

    // The neighbourhood of a person: those sharing a document, and their matches.
    let (docs, _) = e.store.stat_person_edges(&[pid.to_string()]).await.unwrap();
    assert_eq!(docs, [("pj-doc".to_owned(), pid.to_string(), org.to_string())]);

    // A reset empties it all.
    e.store.stat_reset().await.unwrap();
    assert_eq!(e.store.stat_version().await.unwrap(), None);
    assert!(groups_in(StatVictimQuery::Years(2000, 2020)).await.is_empty());
    assert!(charges_in(0, 5000).await.is_empty());
    assert_eq!(e.store.stat_screened(&[(1971, 365, 729)]).await.unwrap(), [(1971, 0)]);
}

async fn story_audit_verifies_and_names_reads(e: Env) {
    let (_, ctx) = org_and_actor(&e.app, "Unidad Cusco", Role::Investigator).await;
    let id = known_person(&e.app, &ctx).await;
    e.app.protection().reveal_person(&ctx, &id, "preparar informe fiscal").await.unwrap();
    let report = e.app.system().verify_audit().await.unwrap();
    assert!(report.broken.is_none(), "{report:?}");
    assert!(report.checkpoints >= 1);
    let page = e
        .store
        .audit_page(&amparo_core::store::AuditFilter { action: Some("reveal_person".into()), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].event.purpose, "preparar informe fiscal");
    assert_eq!(page[0].event.record_id, id.to_string());
}

async fn story_application_cannot_alter_audit(e: Env) {
    org_and_actor(&e.app, "Unidad Puno", Role::Investigator).await;
    let upd = sqlx::raw_sql("UPDATE audit_log SET action = 'x' WHERE seq = 1").execute(e.store.pool()).await;
    assert!(upd.is_err(), "the database itself refuses edits to the audit log");
    let del = sqlx::raw_sql("DELETE FROM audit_log WHERE seq = 1").execute(e.store.pool()).await;
    assert!(del.is_err());
}

async fn tampered(e: &Env) -> (i64, BreakReason) {
    let b = e.app.system().verify_audit().await.unwrap().broken.expect("tampering must be detected");
    (b.seq, b.reason)
}

async fn story_edited_entry_detected(e: Env) {
    org_and_actor(&e.app, "Unidad A", Role::Investigator).await;
    drop_audit_guards(&e).await;
    raw(&e.store, "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3").await;
    assert_eq!(tampered(&e).await, (3, BreakReason::HashMismatch));
}

async fn story_deleted_entry_detected(e: Env) {
    org_and_actor(&e.app, "Unidad B", Role::Investigator).await;
    drop_audit_guards(&e).await;
    raw(&e.store, "DELETE FROM audit_log WHERE seq = 3").await;
    assert_eq!(tampered(&e).await.0, 3);
}

async fn story_reordered_entries_detected(e: Env) {
    org_and_actor(&e.app, "Unidad C", Role::Investigator).await;
    drop_audit_guards(&e).await;
    raw(&e.store, "UPDATE audit_log SET seq = -3 WHERE seq = 3").await;
    raw(&e.store, "UPDATE audit_log SET seq = 3 WHERE seq = 4").await;
    raw(&e.store, "UPDATE audit_log SET seq = 4 WHERE seq = -3").await;
    assert_eq!(tampered(&e).await, (3, BreakReason::BrokenLink));
}

async fn story_inserted_entry_detected(e: Env) {
    org_and_actor(&e.app, "Unidad D", Role::Investigator).await;
    drop_audit_guards(&e).await;
    // The attacker appends a perfectly chained entry straight into the table.
    let (head, _) = e.store.audit_head().await.unwrap();
    let last = e.store.audit_after(head - 1, 1).await.unwrap().remove(0);
    let forged = AuditEvent { occurred_at: 1, action: "create_user".into(), actor: "system".into(), ..Default::default() };
    let seq = head + 1;
    let h = entry_hash(seq, &last.hash, &forged);
    sqlx::query(
        "INSERT INTO audit_log (seq, prev_hash, hash, occurred_at, actor, actor_org, actor_roles, action, outcome, record_type, record_id, purpose, client_ip, operation_id, details) \
         VALUES ($1, $2, $3, 1, 'system', '', '', 'create_user', '', '', '', '', '', '', '')",
    )
    .bind(seq)
    .bind(last.hash.clone())
    .bind(h.to_vec())
    .execute(e.store.pool())
    .await
    .unwrap();
    assert_eq!(tampered(&e).await, (head + 1, BreakReason::BrokenLink));
}

async fn story_key_rotation_reencrypts_everything(e: Env, key_file: std::path::PathBuf) {
    let (_, ctx) = org_and_actor(&e.app, "Unidad Rot", Role::Investigator).await;
    let id = known_person(&e.app, &ctx).await;
    let (rid, _) = protection_records(&e.app, &ctx).await;
    let mut ring = Keyring::load(&key_file).unwrap();
    ring.add_key_and_save(&key_file, [99; 32]).unwrap();
    let app2 =
        Amparo::new(e.store.clone(), Arc::new(ManualClock::new(1_700_000_100)), Arc::new(SeededRandom::new(8)), Arc::new(ring), cfg())
            .unwrap();
    let report = app2.system().reencrypt_all(&Ctx::system("rotate")).await.unwrap();
    assert!(report.cells_reencrypted >= 4, "{report:?}");
    for c in e.store.encrypted_cells("persons", "given_names").await.unwrap() {
        assert_eq!(amparo_core::crypto::field::key_version(&c.value), Ok(2));
    }
    let (_, identity) = app2.protection().reveal_person(&ctx, &id, "comprobar tras rotación").await.unwrap();
    assert_eq!(identity.document_number.as_deref(), Some(KNOWN_DOC));
    for c in e.store.encrypted_cells("reports", "sealed").await.unwrap() {
        assert_eq!(amparo_core::crypto::field::key_version(&c.value), Ok(2), "report narratives are rotated too");
    }
    let hotline =
        Ctx { actor: Some(Actor::User(UserActor { roles: vec![Role::HotlineOperator], ..ctx.user().unwrap().clone() })), ..ctx.clone() };
    assert_eq!(app2.intake().get_report(&hotline, &rid).await.unwrap().secrets.narrative, KNOWN_NARRATIVE);
    assert!(app2.system().verify_audit().await.unwrap().broken.is_none());
}

async fn story_snapshot_round_trip(e: Env, fresh: Env) {
    let (org, ctx) = org_and_actor(&e.app, "Unidad Snap", Role::Investigator).await;
    let id = known_person(&e.app, &ctx).await;
    let other = known_person(&e.app, &ctx).await;
    // Both identified long ago; one referred (twice: a revoked and an accepted referral).
    let record = |table: RecordTable, rid: &str, person: &PersonId, kind: &str, status: &str| {
        (
            table,
            amparo_core::store::RecordRow {
                id: rid.into(),
                org_id: org.clone(),
                party_org: None,
                subject_id: Some(person.to_string()),
                kind: kind.into(),
                status: status.into(),
                area_code: None,
                lookup: None,
                occurred_at: Some(86_400),
                version: 1,
                created_at: 86_400,
                created_by: "t".into(),
                updated_at: 86_400,
                attrs: "{}".into(),
                sealed: None,
            },
        )
    };
    let inserts = vec![
        record(RecordTable::Decisions, "sd1", &id, "ActualVictim", "final"),
        record(RecordTable::Decisions, "sd2", &other, "ActualVictim", "final"),
        record(RecordTable::Referrals, "sr1", &id, "shelter", "revoked"),
        record(RecordTable::Referrals, "sr2", &id, "shelter", "accepted"),
    ];
    e.store.write(&Batch { inserts, updates: vec![] }, &ctx.event(1, "t", "ok", "t", "")).await.unwrap();
    let gap =
        amparo_core::store::GapQuery { identified: vec!["ActualVictim".into()], cutoff: 10 * 86_400, limit: 10, ..Default::default() };
    assert_eq!(e.store.gap_count(&gap).await.unwrap(), 1);
    let snap = e.app.system().snapshot(&Ctx::system("backup")).await.unwrap();
    let persons = snap.iter().find(|t| t.table == "persons").unwrap();
    assert!(!persons.columns.iter().any(|c| c.starts_with("gap_") || c == "referred_n"), "derived columns are not backed up");
    // The fresh database has reference geography already; restore requires no orgs and an
    // empty trail, so start from a truly empty one.
    fresh.store.import_snapshot(&snap).await.unwrap();
    let (_, identity) = fresh.app.protection().reveal_person(&ctx, &id, "verificar la restauración").await.unwrap();
    assert_eq!(identity.given_names.as_deref(), Some(KNOWN_NAME));
    assert!(fresh.app.system().verify_audit().await.unwrap().broken.is_none());
    // The gap is derived again as the decisions and referrals are restored, counted once.
    let page = fresh.store.gap_page(&gap).await.unwrap();
    assert_eq!(page.iter().map(|c| c.person_id.as_str()).collect::<Vec<_>>(), vec![other.as_str()]);
}

async fn story_throttle_and_sessions(e: Env) {
    let t = amparo_core::store::ThrottleState { failures: 3, window_start: 10, locked_until: 99 };
    e.store.throttle_put("ip:1.2.3.4", &t).await.unwrap();
    e.store.throttle_put("ip:1.2.3.4", &t).await.unwrap();
    assert_eq!(e.store.throttle_get("ip:1.2.3.4").await.unwrap(), Some(t));
    e.store.throttle_clear("ip:1.2.3.4").await.unwrap();
    assert_eq!(e.store.throttle_get("ip:1.2.3.4").await.unwrap(), None);
    let (_, ctx) = org_and_actor(&e.app, "Unidad Ses", Role::Analyst).await;
    let login = e.app.access().login(&ctx, "unidadses@x.pe", "correct horse battery", None).await.unwrap();
    let s = e.app.access().resolve_session(&login.cookie).await.unwrap().unwrap();
    assert_eq!(s.user.email, "unidadses@x.pe");
    assert!(e.app.access().resolve_session("forged-cookie").await.unwrap().is_none());
    // Only the first pending two-factor secret sticks.
    assert!(e.store.set_pending_totp_if_absent(&s.record.id_hash, b"first").await.unwrap());
    assert!(!e.store.set_pending_totp_if_absent(&s.record.id_hash, b"second").await.unwrap());
    let again = e.store.get_session(&s.record.id_hash).await.unwrap().unwrap();
    assert_eq!(again.pending_totp.as_deref(), Some(&b"first"[..]));
}

// ---------------------------------------------------------------------------------------
// Runners.

/// One PostgreSQL cluster for the whole test binary (started lazily), a database per story.
fn pg_cluster() -> Option<&'static PgCluster> {
    static PG: std::sync::OnceLock<Option<PgCluster>> = std::sync::OnceLock::new();
    PG.get_or_init(PgCluster::start).as_ref()
}

static DB_SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

struct Fresh {
    dir: TempDir,
    n: u32,
    pg: Option<&'static PgCluster>,
}

impl Fresh {
    fn sqlite(story: &str) -> Self {
        Fresh { dir: TempDir::new(story), n: 0, pg: None }
    }
    /// `None` (after the testkit's "skipped" line, or a failure with AMPARO_REQUIRE_PG=1)
    /// when PostgreSQL is not installed.
    fn postgres(story: &str) -> Option<Self> {
        Some(Fresh { dir: TempDir::new(story), n: 0, pg: Some(pg_cluster()?) })
    }
    async fn env(&mut self) -> Env {
        self.n += 1;
        if let Some(cluster) = self.pg {
            let n = DB_SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let url = cluster.new_database(&format!("story{n}"));
            env_with(connect(&url).await.unwrap(), Db::Postgres(url), ring()).await
        } else {
            let path = self.dir.path().join(format!("story{}.db", self.n));
            let store = connect(&format!("sqlite://{}", path.display())).await.unwrap();
            env_with(store, Db::Sqlite(path), ring()).await
        }
    }
    /// A database nothing has touched: not even migrated.
    fn untouched_url(&mut self) -> String {
        self.n += 1;
        match self.pg {
            Some(cluster) => cluster.new_database(&format!("bare{}", DB_SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst))),
            None => format!("sqlite://{}", self.dir.path().join(format!("bare{}.db", self.n)).display()),
        }
    }
    async fn empty_env(&mut self) -> Env {
        let e = self.env().await;
        // An empty target for restore: same schema, no rows.
        for t in ["audit_checkpoints", "audit_head", "areas", "countries"] {
            raw(&e.store, &format!("DELETE FROM {t}")).await;
        }
        drop_audit_guards(&e).await;
        raw(&e.store, "DELETE FROM audit_log").await;
        e
    }
    fn key_file(&self) -> std::path::PathBuf {
        let p = self.dir.path().join(format!("master{}.key", self.n));
        let _ = std::fs::remove_file(&p);
        Keyring::create(&p, [11; 32]).unwrap();
        p
    }
}

/// One test per story and backend (`sqlite::…`, `postgres::…`), so one failure does not
/// hide the rest: each gets a fresh environment.
/// Keyset pages, owner/party sides, sub-selected ids, link families, counts and the referral
/// gap: the same answers from both backends, with ties on the sort key broken by id.
async fn story_pages_counts_and_the_gap(e: Env) {
    use amparo_core::store::{GapQuery, IdsFrom, RecordRow, RowOrder};
    use amparo_domain::paging::After;
    let (org, ctx) = org_and_actor(&e.app, "Unidad Paginada", Role::Investigator).await;
    let (other, _) = org_and_actor(&e.app, "Otra Unidad", Role::Investigator).await;
    let row = |id: &str, owner: &OrgId, party: Option<&OrgId>, at: i64, status: &str, lookup: Option<&str>| RecordRow {
        id: id.into(),
        org_id: owner.clone(),
        party_org: party.cloned(),
        subject_id: None,
        kind: "k".into(),
        status: status.into(),
        area_code: Some(if at % 2 == 0 { "PE-1601".into() } else { "PE-2101".into() }),
        lookup: lookup.map(str::to_owned),
        occurred_at: Some(2_000_000_000 - at),
        version: 1,
        created_at: at,
        created_by: "t".into(),
        updated_at: at,
        attrs: "{}".into(),
        sealed: None,
    };
    // 30 owned (pairs share a second), 5 where the unit is the second party, 5 of another unit.
    let mut inserts = Vec::new();
    for k in 0..30 {
        inserts.push((RecordTable::Tasks, row(&format!("t{k:02}"), &org, None, 1_000 + k / 2, "open", None)));
    }
    for k in 0..5 {
        inserts.push((RecordTable::Tasks, row(&format!("p{k}"), &other, Some(&org), 1_100 + k, "open", None)));
        inserts.push((RecordTable::Tasks, row(&format!("x{k}"), &other, None, 1_200 + k, "open", None)));
    }
    e.store.write(&Batch { inserts, updates: vec![] }, &ctx.event(1, "t", "ok", "t", "")).await.unwrap();
    // Pages of 7 over "owned or party": every row once, newest first, ties by id.
    let mut seen: Vec<String> = Vec::new();
    let mut after: Option<After> = None;
    loop {
        let f = RowFilter { orgs: vec![org.clone()], after: after.clone(), limit: Some(8), ..Default::default() };
        let mut page = e.store.find_rows(RecordTable::Tasks, &f).await.unwrap();
        let more = page.len() > 7;
        page.truncate(7);
        after = page.last().map(|r| After { at: r.created_at, id: r.id.clone() });
        seen.extend(page.iter().map(|r| r.id.clone()));
        if !more {
            break;
        }
    }
    assert_eq!(seen.len(), 35, "{seen:?}");
    assert_eq!(&seen[..6], &["p4", "p3", "p2", "p1", "p0", "t28"], "newest first, then by id");
    assert_eq!(&seen[5..7], &["t28", "t29"], "a tie broken by id");
    assert!(!seen.iter().any(|s| s.starts_with('x')), "never another unit's");
    // Sides, region, dates, order by due date, counts.
    let count = |f: RowFilter| {
        let store = e.store.clone();
        async move { store.count_rows(RecordTable::Tasks, &f).await.unwrap() }
    };
    assert_eq!(count(RowFilter { owners: vec![org.clone()], ..Default::default() }).await, 30);
    assert_eq!(count(RowFilter { parties: vec![org.clone()], ..Default::default() }).await, 5);
    assert_eq!(count(RowFilter { owners: vec![org.clone()], area_prefix: Some("PE-16".into()), ..Default::default() }).await, 16);
    assert_eq!(
        count(RowFilter { owners: vec![org.clone()], created_from: Some(1_010), created_before: Some(1_012), ..Default::default() }).await,
        4
    );
    let soonest = RowFilter { owners: vec![org.clone()], order: RowOrder::Soonest, limit: Some(3), ..Default::default() };
    let first = e.store.find_rows(RecordTable::Tasks, &soonest).await.unwrap();
    assert_eq!(first.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), vec!["t28", "t29", "t26"], "soonest due first");
    let next = RowFilter { after: Some(After { at: first[2].occurred_at.unwrap(), id: first[2].id.clone() }), ..soonest };
    assert_eq!(e.store.find_rows(RecordTable::Tasks, &next).await.unwrap()[0].id, "t27");
    // Link families and sub-selected ids.
    let notes = vec![
        (RecordTable::Notifications, row("n1", &org, None, 1, "unread", Some("/reports/r1"))),
        (RecordTable::Notifications, row("n2", &org, None, 2, "unread", Some("/cases/c1"))),
        (RecordTable::Notifications, row("n3", &org, None, 3, "read", Some("/reports/r2"))),
        (RecordTable::Shares, RecordRow { subject_id: Some("t03".into()), ..row("s1", &other, Some(&org), 4, "granted", None) }),
        (RecordTable::Shares, RecordRow { subject_id: Some("t05".into()), ..row("s2", &other, Some(&org), 5, "refused", None) }),
    ];
    e.store.write(&Batch { inserts: notes, updates: vec![] }, &ctx.event(1, "t", "ok", "t", "")).await.unwrap();
    let f = RowFilter { owners: vec![org.clone()], lookup_prefixes: vec!["/reports/".into()], ..Default::default() };
    assert_eq!(e.store.count_rows(RecordTable::Notifications, &f).await.unwrap(), 2);
    let f = RowFilter { statuses: vec!["unread".into()], ..f };
    assert_eq!(e.store.count_rows(RecordTable::Notifications, &f).await.unwrap(), 1);
    let f = RowFilter { lookups: vec!["/cases/c1".into(), "/nowhere".into()], ..Default::default() };
    assert_eq!(e.store.count_rows(RecordTable::Notifications, &f).await.unwrap(), 1);
    let f = RowFilter { ids: vec!["t03".into(), "t05".into(), "x0".into()], owners: vec![org.clone()], ..Default::default() };
    assert_eq!(e.store.count_rows(RecordTable::Tasks, &f).await.unwrap(), 2, "by id, within the owner");
    let f = RowFilter { owners: vec![org.clone()], lookup_none: true, ..Default::default() };
    assert_eq!(e.store.count_rows(RecordTable::Notifications, &f).await.unwrap(), 0);
    let shared = IdsFrom { table: RecordTable::Shares, parties: vec![org.clone()], statuses: vec!["granted".into()] };
    let f = RowFilter { ids_from: Some(shared), ..Default::default() };
    let got = e.store.find_rows(RecordTable::Tasks, &f).await.unwrap();
    assert_eq!(got.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), vec!["t03"]);

    // The referral gap: the latest decision counts, and a counting referral closes it.
    let pid = known_person(&e.app, &ctx).await;
    let decide = |id: &str, kind: &str, day: i64| RecordRow {
        subject_id: Some(pid.to_string()),
        kind: kind.into(),
        occurred_at: Some(day * 86_400),
        ..row(id, &org, None, day * 86_400, "final", None)
    };
    let q = |org: Option<OrgId>, cutoff: i64| GapQuery {
        org,
        identified: vec!["PossibleVictim".into(), "ActualVictim".into()],
        cutoff,
        after: None,
        limit: 10,
    };
    e.store
        .write(
            &Batch { inserts: vec![(RecordTable::Decisions, decide("d1", "NotAVictim", 100))], updates: vec![] },
            &ctx.event(1, "t", "ok", "t", ""),
        )
        .await
        .unwrap();
    assert_eq!(e.store.gap_count(&q(None, 1_000 * 86_400)).await.unwrap(), 0, "not identified");
    e.store
        .write(
            &Batch { inserts: vec![(RecordTable::Decisions, decide("d2", "ActualVictim", 200))], updates: vec![] },
            &ctx.event(1, "t", "ok", "t", ""),
        )
        .await
        .unwrap();
    let page = e.store.gap_page(&q(Some(org.clone()), 1_000 * 86_400)).await.unwrap();
    assert_eq!(
        page.iter().map(|c| (c.person_id.as_str(), c.status.as_str(), c.decided_at)).collect::<Vec<_>>(),
        vec![(pid.as_str(), "ActualVictim", 200 * 86_400)]
    );
    assert_eq!(e.store.gap_count(&q(Some(other.clone()), 1_000 * 86_400)).await.unwrap(), 0, "another unit's persons only");
    assert_eq!(e.store.gap_count(&q(None, 150 * 86_400)).await.unwrap(), 0, "decided too recently");
    let referral = RecordRow { subject_id: Some(pid.to_string()), ..row("ref1", &org, Some(&other), 300, "rejected", None) };
    e.store
        .write(&Batch { inserts: vec![(RecordTable::Referrals, referral)], updates: vec![] }, &ctx.event(1, "t", "ok", "t", ""))
        .await
        .unwrap();
    assert_eq!(e.store.gap_count(&q(None, 1_000 * 86_400)).await.unwrap(), 1, "a rejected referral does not close it");
    let referral = RecordRow { subject_id: Some(pid.to_string()), ..row("ref2", &org, Some(&other), 301, "accepted", None) };
    e.store
        .write(&Batch { inserts: vec![(RecordTable::Referrals, referral)], updates: vec![] }, &ctx.event(1, "t", "ok", "t", ""))
        .await
        .unwrap();
    assert_eq!(e.store.gap_count(&q(None, 1_000 * 86_400)).await.unwrap(), 0, "referred: out of the gap");
    // Every referral status, as the domain says it counts: a referral moved through each one
    // closes the gap exactly when `counts_as_referred` says so.
    let mut current = e.store.get_row(RecordTable::Referrals, "ref2").await.unwrap().unwrap();
    let e2 = e.store.get_row(RecordTable::Referrals, "ref1").await.unwrap().unwrap();
    assert_eq!(e2.status, "rejected");
    for status in amparo_domain::protection::ReferralStatus::ALL {
        let next = RecordRow { status: status.as_str().into(), version: current.version + 1, ..current.clone() };
        e.store
            .write(&Batch { inserts: vec![], updates: vec![(RecordTable::Referrals, next.clone())] }, &ctx.event(1, "t", "ok", "t", ""))
            .await
            .unwrap();
        current = next;
        let want = if status.counts_as_referred() { 0 } else { 1 };
        assert_eq!(e.store.gap_count(&q(None, 1_000 * 86_400)).await.unwrap(), want, "a referral {}", status.as_str());
    }
    // Revoked now: in the gap again. An older decision recorded late does not change the
    // latest; a newer one that does not identify takes the person out.
    let late_but_older = decide("d3", "NotAVictim", 150);
    e.store
        .write(&Batch { inserts: vec![(RecordTable::Decisions, late_but_older)], updates: vec![] }, &ctx.event(1, "t", "ok", "t", ""))
        .await
        .unwrap();
    assert_eq!(e.store.gap_count(&q(None, 1_000 * 86_400)).await.unwrap(), 1, "the latest decision is still ActualVictim");
    let newer = decide("d4", "NotAVictim", 250);
    e.store
        .write(&Batch { inserts: vec![(RecordTable::Decisions, newer)], updates: vec![] }, &ctx.event(1, "t", "ok", "t", ""))
        .await
        .unwrap();
    assert_eq!(e.store.gap_count(&q(None, 1_000 * 86_400)).await.unwrap(), 0, "a newer decision says not a victim");
    // The count sums whole days from the per-day counts and counts the cutoff's own day on
    // the persons: a decision at 01:00 of day 400 is in the gap from 01:00:01 on, not before.
    let at = 400 * 86_400 + 3_600;
    let later = RecordRow { occurred_at: Some(at), ..decide("d5", "PossibleVictim", 400) };
    e.store
        .write(&Batch { inserts: vec![(RecordTable::Decisions, later)], updates: vec![] }, &ctx.event(1, "t", "ok", "t", ""))
        .await
        .unwrap();
    for (cutoff, want) in [(at, 0), (at + 1, 1), (400 * 86_400, 0), (401 * 86_400, 1), (1_000 * 86_400, 1)] {
        assert_eq!(e.store.gap_count(&q(None, cutoff)).await.unwrap(), want, "nationally, cutoff {cutoff}");
        assert_eq!(e.store.gap_count(&q(Some(org.clone()), cutoff)).await.unwrap(), want, "the unit, cutoff {cutoff}");
        assert_eq!(e.store.gap_count(&q(Some(other.clone()), cutoff)).await.unwrap(), 0, "another unit, cutoff {cutoff}");
        let listed = e.store.gap_page(&q(None, cutoff)).await.unwrap().len();
        assert_eq!(listed as i64, want, "the page and the count agree, cutoff {cutoff}");
    }
    // Only identified kinds count: asking for another kind finds nobody.
    let other_kind = GapQuery { identified: vec!["ActualVictim".into()], ..q(None, 1_000 * 86_400) };
    assert_eq!(e.store.gap_count(&other_kind).await.unwrap(), 0, "the latest decision is PossibleVictim");
    let newer = decide("d6", "NotAVictim", 500);
    e.store
        .write(&Batch { inserts: vec![(RecordTable::Decisions, newer)], updates: vec![] }, &ctx.event(1, "t", "ok", "t", ""))
        .await
        .unwrap();
    assert_eq!(e.store.gap_count(&q(None, 1_000 * 86_400)).await.unwrap(), 0, "out again, and its old day's count with it");
    assert_eq!(e.store.gap_count(&q(None, 401 * 86_400)).await.unwrap(), 0, "its old day's count went back to zero");

    // The persons referred to an organisation (its list's second half) follow the same
    // rule, once per person however many referrals count.
    let listed = |org: &OrgId| amparo_core::store::PersonListFilter { referred_to: vec![org.clone()], limit: 10, ..Default::default() };
    let ids = |v: Vec<amparo_core::store::PersonRecord>| v.into_iter().map(|p| p.id.to_string()).collect::<Vec<_>>();
    assert!(ids(e.store.persons_listed(&listed(&other)).await.unwrap()).is_empty(), "its one referral is revoked");
    let set = |r: &RecordRow, status: &str| RecordRow { status: status.into(), version: r.version + 1, ..r.clone() };
    let save = |r: RecordRow| {
        let store = e.store.clone();
        let ev = ctx.event(1, "t", "ok", "t", "");
        async move { store.write(&Batch { inserts: vec![], updates: vec![(RecordTable::Referrals, r)] }, &ev).await.unwrap() }
    };
    let accepted = set(&current, "accepted");
    save(accepted.clone()).await;
    assert_eq!(ids(e.store.persons_listed(&listed(&other)).await.unwrap()), vec![pid.to_string()]);
    // Pairs naming a person referred to an organisation (its review queue), on either side.
    let pair =
        |id: &str, left: &str, right: &str| RecordRow { subject_id: Some(left.into()), ..row(id, &org, None, 400, "pending", Some(right)) };
    e.store
        .write(
            &Batch {
                inserts: vec![
                    (RecordTable::PersonMatches, pair("m1", "someone", pid.as_str())),
                    (RecordTable::PersonMatches, pair("m2", pid.as_str(), "someone-else")),
                    (RecordTable::PersonMatches, pair("m3", "someone", "someone-else")),
                ],
                updates: vec![],
            },
            &ctx.event(1, "t", "ok", "t", ""),
        )
        .await
        .unwrap();
    let naming = |o: &OrgId| RowFilter { naming_referred_to: Some(o.clone()), ..Default::default() };
    let pair_ids = |v: Vec<RecordRow>| {
        let mut v: Vec<String> = v.into_iter().map(|r| r.id).collect();
        v.sort();
        v
    };
    assert_eq!(pair_ids(e.store.find_rows(RecordTable::PersonMatches, &naming(&other)).await.unwrap()), vec!["m1", "m2"]);
    assert!(e.store.find_rows(RecordTable::PersonMatches, &naming(&org)).await.unwrap().is_empty(), "nobody was referred to the unit");
    let third = RecordRow { subject_id: Some(pid.to_string()), ..row("ref3", &org, Some(&other), 302, "requested", None) };
    e.store
        .write(&Batch { inserts: vec![(RecordTable::Referrals, third.clone())], updates: vec![] }, &ctx.event(1, "t", "ok", "t", ""))
        .await
        .unwrap();
    assert_eq!(ids(e.store.persons_listed(&listed(&other)).await.unwrap()), vec![pid.to_string()], "listed once");
    save(set(&accepted, "rejected")).await;
    assert_eq!(ids(e.store.persons_listed(&listed(&other)).await.unwrap()), vec![pid.to_string()], "the third still counts");
    save(set(&third, "revoked")).await;
    assert!(ids(e.store.persons_listed(&listed(&other)).await.unwrap()).is_empty(), "no referral counts any more");
    assert!(e.store.find_rows(RecordTable::PersonMatches, &naming(&other)).await.unwrap().is_empty(), "nor names a referred person");
    assert!(ids(e.store.persons_listed(&listed(&org)).await.unwrap()).is_empty(), "the referring unit is not a recipient");
}

macro_rules! stories {
    ($($name:ident: |$f:ident| $body:expr;)*) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "current_thread")]
                async fn $name() {
                    let mut $f = Fresh::sqlite(stringify!($name));
                    $body;
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "current_thread")]
                async fn $name() {
                    let Some(mut $f) = Fresh::postgres(stringify!($name)) else { return };
                    $body;
                }
            )*
        }
    };
}

stories! {
    migrations_race_checksums_and_the_old_ledger: |f| {
        let (a, b) = (f.untouched_url(), f.untouched_url());
        story_migrations_race_checksums_and_the_old_ledger(a, b).await
    };
    orgs_users_and_stale_edits: |f| story_orgs_users_and_stale_edits(f.env().await).await;
    geography_is_complete: |f| story_geography_is_complete(f.env().await).await;
    no_plaintext_at_rest: |f| story_no_plaintext_at_rest(f.env().await).await;
    audit_verifies_and_names_reads: |f| story_audit_verifies_and_names_reads(f.env().await).await;
    application_cannot_alter_audit: |f| story_application_cannot_alter_audit(f.env().await).await;
    edited_entry_detected: |f| story_edited_entry_detected(f.env().await).await;
    deleted_entry_detected: |f| story_deleted_entry_detected(f.env().await).await;
    reordered_entries_detected: |f| story_reordered_entries_detected(f.env().await).await;
    inserted_entry_detected: |f| story_inserted_entry_detected(f.env().await).await;
    key_rotation_reencrypts_everything: |f| {
        let e = f.env().await;
        let kf = f.key_file();
        story_key_rotation_reencrypts_everything(e, kf).await
    };
    snapshot_round_trip: |f| {
        let a = f.env().await;
        let b = f.empty_env().await;
        story_snapshot_round_trip(a, b).await
    };
    throttle_and_sessions: |f| story_throttle_and_sessions(f.env().await).await;
    protection_records_and_instruments: |f| story_protection_records_and_instruments(f.env().await).await;
    bulk_writes_and_statistics_reads: |f| story_bulk_writes_and_statistics_reads(f.env().await).await;
    statistics_scans_in_chunks: |f| story_statistics_scans_in_chunks(f.env().await).await;
    persons_in_pages_and_changes: |f| story_persons_in_pages_and_changes(f.env().await).await;
    statistics_projection_tables: |f| story_statistics_projection_tables(f.env().await).await;
    pages_counts_and_the_gap: |f| story_pages_counts_and_the_gap(f.env().await).await;
}

#[test]
fn migration_versions_match_across_backends() {
    let s: Vec<i64> = MIGRATIONS_SQLITE.iter().map(|m| m.0).collect();
    let p: Vec<i64> = MIGRATIONS_POSTGRES.iter().map(|m| m.0).collect();
    assert_eq!(s, p);
}
