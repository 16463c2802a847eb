//! Search benchmark: 100,000 cases (plus the demo data) in a SQLite database, the in-memory
//! index built from them, then queries through `Coordination::search` as the demo investigator —
//! the same path as the API, including the policy check of every hit. Prints figures; it
//! asserts nothing (speed claims live here, not in tests).
//!
//! `cargo bench -p amparo --bench search` (AMPARO_BENCH_CASES=N to change the size).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use amparo_core::clock::SystemClock;
use amparo_core::config::AuthConfig;
use amparo_core::crypto::keyring::Keyring;
use amparo_core::random::OsRandom;
use amparo_core::store::{Batch, RecordRow, RecordTable, ports::*};
use amparo_core::{Amparo, Ctx};
use amparo_demo::DemoExt;
use amparo_domain::policy::{Actor, UserActor};
use amparo_testkit::TempDir;
use std::sync::Arc;
use std::time::Instant;

const PLACES: [&str; 8] = ["Iquitos", "Punchana", "Belén", "Nauta", "Puerto Maldonado", "Huepetuhe", "Cusco", "Juliaca"];
const WHAT: [&str; 8] = [
    "captación de adolescentes en un bar",
    "trabajo forzoso en minería aurífera",
    "servidumbre doméstica de niñas",
    "explotación sexual en discoteca",
    "tala ilegal con trabajadores endeudados",
    "ladrillera con menores de edad",
    "oferta falsa de empleo en restaurante",
    "mendicidad forzada en la plaza",
];

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("AMPARO_BENCH_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = TempDir::new("bench-search");
    let url = format!("sqlite://{}", dir.path().join("amparo.db").display());
    let store = Arc::new(amparo_store::connect(&url).await.unwrap());
    store.migrate().await.unwrap();
    let ring = Keyring::from_keys(vec![(1, [7; 32])]).unwrap();
    let cfg = AuthConfig { argon2_memory_kib: 256, argon2_iterations: 1, ..AuthConfig::default() };
    let app = Amparo::new(store.clone(), Arc::new(SystemClock), Arc::new(OsRandom), Arc::new(ring), cfg).unwrap();
    app.demo().load_demo(&Ctx::system("bench")).await.unwrap();
    let orgs = store.list_orgs().await.unwrap();
    let inv = store.list_users().await.unwrap().into_iter().find(|u| u.email == "investigador@demo.amparo.pe").unwrap();

    // Cases spread over every organisation: the investigator's unit owns about 1 in 33.
    let t0 = Instant::now();
    let now = app.now();
    let mut batch = Batch::default();
    for i in 0..n {
        let org = &orgs[i % orgs.len()];
        let title = format!("{} en {} (expediente {i})", WHAT[i % WHAT.len()], PLACES[(i / 8) % PLACES.len()]);
        batch.inserts.push((
            RecordTable::Cases,
            RecordRow {
                id: format!("bench{i:07}"),
                org_id: org.id.clone(),
                party_org: None,
                subject_id: None,
                kind: "isSexualExploit".into(),
                status: "open".into(),
                area_code: Some("PE-16".into()),
                lookup: Some(format!("C-BENCH-{i:07}")),
                occurred_at: Some(now),
                version: 1,
                created_at: now,
                created_by: "bench".into(),
                updated_at: now,
                attrs: serde_json::json!({ "title": title }).to_string(),
                sealed: None,
            },
        ));
        if batch.inserts.len() == 2_000 || i + 1 == n {
            store.write(&batch, &Ctx::system("bench").event(now, "bench_load", "ok", "bench", "")).await.unwrap();
            batch = Batch::default();
        }
    }
    println!("loaded {n} cases into SQLite in {:.1} s", t0.elapsed().as_secs_f64());

    let t1 = Instant::now();
    let rss_before = rss_mib();
    let indexed = app.coordination().rebuild_search().await.unwrap();
    println!(
        "index built from the database: {indexed} records in {:.1} s; resident memory {:.0} MiB (+{:.0} MiB)",
        t1.elapsed().as_secs_f64(),
        rss_mib(),
        rss_mib() - rss_before
    );

    let ctx = Ctx {
        actor: Some(Actor::User(UserActor {
            user_id: inv.id.clone(),
            org_id: inv.org_id.clone(),
            roles: inv.roles.clone(),
            mfa_satisfied: true,
        })),
        client_ip: "bench".into(),
        operation_id: "bench".into(),
    };
    let queries = [
        "captacion",
        "mineria aurifera",
        "Punchana",
        "ladrilleras menores",
        "oferta empleo restaurante",
        "expediente 4242",
        "discotecas",
        "zzzz nada",
    ];
    let mut times = Vec::new();
    let mut hits = 0usize;
    for round in 0..25 {
        for q in queries {
            let t = Instant::now();
            let r = app.coordination().search(&ctx, q, 50).await.unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            if round == 0 {
                hits += r.len();
            }
        }
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "search through Coordination::search (policy check per hit, audited), {} queries: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms; {hits} hits in the first round",
        times.len(),
        pct(&times, 0.5),
        pct(&times, 0.95),
        times.last().unwrap()
    );

    // A write, then how long until a search finds it (the refresh runs inside `search`).
    let t2 = Instant::now();
    let fresh = amparo_domain::cases::CaseInput {
        title: "Cantera de arena con trabajadores retenidos".into(),
        exploitation: "isForcedLabour".into(),
        labour_sector: "mining".into(),
        place: "PE-16".into(),
        ..Default::default()
    };
    app.prosecution().open_case(&ctx, &fresh).await.unwrap();
    let found = app.coordination().search(&ctx, "cantera arena", 5).await.unwrap();
    println!("write then find: {:.1} ms ({} hit)", t2.elapsed().as_secs_f64() * 1000.0, found.len());
}
