//! National statistics: the annual report reproduces the seed's 2008 figures from the demo
//! data through the `amparo report annual` command (on SQLite and PostgreSQL alike), every
//! format is a real file, and readers who may not see persons get no cell under k.

use crate::cli::{amparo, ok, out};
use crate::helpers::*;
use amparo_core::Ctx;
use amparo_core::store::{AuditFilter, ports::*};
use amparo_demo::DemoExt;
use amparo_testkit::TempDir;
use serde_json::Value;
use std::path::Path;

fn report(dir: &Path, url: Option<&str>, extra: &[&str]) -> Value {
    let mut args = vec!["report", "annual", "--year", "2008", "--format", "json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&ok(amparo(dir, url, &args, None))).unwrap()
}

fn n(v: &Value, path: &str) -> i64 {
    let mut cur = v;
    for p in path.split('.') {
        cur = &cur[p];
    }
    cur.as_i64().unwrap_or_else(|| panic!("{path} is not a number: {cur}"))
}

/// The seed's 2008 facts (DOMAIN.md §7) in the report of the demo data.
fn assert_seed_figures(r: &Value) {
    assert_eq!(n(r, "year"), 2008);
    assert_eq!(n(r, "prosecutions.cases.sexual"), 54, "54 sex-trafficking prosecutions opened in 2008");
    assert_eq!(n(r, "previous.prosecutions.cases.sexual"), 15, "against 15 in 2007");
    assert!(n(r, "prosecutions.cases.labour") <= 2, "very few forced-labour prosecutions");
    assert!(n(r, "prosecutions.defendants.total") >= n(r, "prosecutions.cases.total"), "defendants are counted too");
    assert_eq!(n(r, "convictions.defendants.sexual"), 5, "5 sex-trafficking offenders convicted");
    assert_eq!(n(r, "previous.convictions.defendants.total"), 0, "none in 2007");
    assert_eq!(n(r, "sentences.min_months.sexual"), 8 * 12, "sentences of 8…");
    assert_eq!(n(r, "sentences.max_months.sexual"), 12 * 12, "…to 12 years");
    assert!(r["previous"]["sentences"]["min_months"]["total"].is_null(), "no sentence in 2007 is no value, not zero");
    assert_eq!(n(r, "persons_rescued_in_operations.total"), 56, "the new unit's raids rescued 56");
    assert_eq!(n(r, "victims_identified.total"), 153, "153 victims identified");
    assert!(n(r, "victims_identified.records") > 153, "some victims were recorded by two organisations and count once");
    // Iquitos (Loreto), Madre de Dios and Cusco are prominent.
    let regions = r["victims_identified"]["region"].as_object().unwrap();
    let mut by_count: Vec<(&String, i64)> = regions.iter().map(|(k, v)| (k, v.as_i64().unwrap())).collect();
    by_count.sort_by_key(|(_, c)| -c);
    let top: Vec<&str> = by_count.iter().take(3).map(|(k, _)| k.as_str()).collect();
    assert_eq!(top, ["PE-16", "PE-17", "PE-08"], "{regions:?}");
    assert_eq!(r["region_names"]["PE-16"], "Loreto");
    let by_type = &r["victims_identified"]["by_type"];
    assert!(n(by_type, "sexual") > n(by_type, "labour"), "{by_type}");
    for key in ["possible_victims", "victims_referred", "foreign_victims_repatriated"] {
        assert!(n(r, &format!("{key}.total")) > 0, "{key} is reported");
    }
    assert!(n(r, "trainings.persons_trained") > 0);
}

#[test]
fn the_annual_report_for_2008_shows_the_seeds_figures_in_every_format() {
    let d = TempDir::new("report");
    let dir = d.path().join("data");
    let loaded = ok(amparo(&dir, None, &["demo", "--no-serve"], None));
    assert!(loaded.contains("demo data loaded"), "{loaded}");
    let r = report(&dir, None, &[]);
    assert_seed_figures(&r);
    assert_eq!(r["schema"], "amparo.annual-report/1");
    assert!(r["suppressed"].as_array().unwrap().is_empty(), "the operator sees every cell");
    // The police screened the rescued before deciding (screenings entered later, dated the
    // day of the interview): the case flow shows them, two days before identification.
    assert!(n(&r, "case_flow.screened") > 100, "{}", r["case_flow"]);
    assert_eq!(r["case_flow"]["median_days_screening_to_identification"], 2);
    // Calls to the hotline start the flow (70 in 2008, 14 in 2007).
    assert_eq!((n(&r, "case_flow.reported"), n(&r, "previous.case_flow.reported")), (70, 14));

    // A region by its UBIGEO code: only what happened there.
    let loreto = report(&dir, None, &["--region", "16"]);
    assert_eq!(loreto["scope"]["region"], "PE-16");
    assert_eq!(n(&loreto, "victims_identified.total"), n(&r, "victims_identified.region.PE-16"));
    assert!(n(&loreto, "prosecutions.cases.total") < n(&r, "prosecutions.cases.total"));
    assert!(n(&loreto, "prosecutions.cases.total") > 0);
    // Running it again gives the same figures (it counts, it does not change anything).
    assert_eq!(report(&dir, None, &[])["victims_identified"], r["victims_identified"]);

    let csv = ok(amparo(&dir, None, &["report", "annual", "--year", "2008", "--format", "csv", "--lang", "en"], None));
    let header = csv.lines().next().unwrap();
    assert_eq!(header, "metric,label,2008,2007");
    let line = csv.lines().find(|l| l.starts_with("prosecutions.cases.sexual,")).unwrap();
    assert!(line.ends_with(",54,15") && line.contains("Prosecutions"), "{line}");

    for (fmt, magic) in [("pdf", &b"%PDF-"[..]), ("xlsx", &b"PK"[..])] {
        let file = d.path().join(format!("r.{fmt}"));
        let f = file.to_str().unwrap();
        ok(amparo(&dir, None, &["report", "annual", "--year", "2008", "--format", fmt, "--out", f], None));
        let bytes = std::fs::read(&file).unwrap();
        assert!(bytes.starts_with(magic), "{fmt} file");
        assert!(bytes.len() > 4000, "{fmt} has content: {} bytes", bytes.len());
        if fmt == "pdf" {
            let text = String::from_utf8_lossy(&bytes);
            assert!(text.contains("(Informe anual 2008)"), "Spanish title in the PDF");
            assert!(text.matches("/Type /Page").count() >= 3, "a page tree with at least two pages");
        }
    }

    // Bad input: a clear message and exit code 2, nothing written.
    let bad = amparo(&dir, None, &["report", "annual", "--year", "2008", "--format", "docx"], None);
    assert_eq!(bad.status.code(), Some(2), "{}", out(&bad));
    assert!(out(&bad).contains("use json, csv, xlsx or pdf"));
    let bad = amparo(&dir, None, &["report", "annual", "--year", "2008", "--region", "99"], None);
    assert_eq!(bad.status.code(), Some(2));
    assert!(out(&bad).contains("--region: unknown_area"), "{}", out(&bad));
    let bad = amparo(&dir, None, &["report", "annual", "--year", "2008", "--format", "pdf"], None);
    assert_eq!(bad.status.code(), Some(2), "binary formats need --out");
}

/// Group sizes over the quasi-identifiers of a CTDC CSV.
fn group_sizes(csv_text: &str) -> (usize, std::collections::BTreeMap<Vec<String>, usize>) {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    let idx: Vec<usize> = amparo_domain::ctdc::QUASI_IDENTIFIERS.iter().map(|q| header.iter().position(|h| h == q).unwrap()).collect();
    let mut groups = std::collections::BTreeMap::new();
    let mut rows = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        rows += 1;
        *groups.entry(idx.iter().map(|i| rec[*i].to_owned()).collect::<Vec<_>>()).or_insert(0) += 1;
    }
    (rows, groups)
}

#[test]
fn the_ctdc_export_is_k_anonymous_has_no_identifiers_and_reports_what_it_suppressed() {
    let d = TempDir::new("ctdc");
    let dir = d.path().join("data");
    ok(amparo(&dir, None, &["demo", "--no-serve"], None));
    for k in ["11", "25"] {
        let file = d.path().join(format!("ctdc-{k}.csv"));
        let o = amparo(&dir, None, &["export", "ctdc", "--year", "2008", "--k", k, "--out", file.to_str().unwrap()], None);
        let said = out(&o);
        assert!(o.status.success(), "{said}");
        let text = std::fs::read_to_string(&file).unwrap();
        let header = text.lines().next().unwrap();
        for col in ["yearOfRegistration", "gender", "ageBroad", "citizenship", "CountryOfExploitation", "isForcedLabour", "isSexualExploit"]
        {
            assert!(header.split(',').any(|h| h == col), "CTDC column {col}");
        }
        for forbidden in ["name", "id", "code", "document", "birth", "org"] {
            assert!(
                !header
                    .to_lowercase()
                    .split(',')
                    .any(|h| h.contains(forbidden) && !h.contains("ofexploit") && !h.starts_with("meansofcontrol")),
                "{forbidden} in {header}"
            );
        }
        assert!(!text.contains("Tapullima") && !text.contains("demo.amparo.pe"), "no direct identifier");
        // Means of control come from the screenings' coercion indicators.
        let cols: Vec<&str> = header.split(',').collect();
        let at = |c: &str| cols.iter().position(|h| *h == c).unwrap();
        let (debt, unspecified) = (at("meansOfControlDebtBondage"), at("meansOfControlNotSpecified"));
        let lines: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split(',').collect()).collect();
        assert!(lines.iter().any(|l| l[debt] == "1" && l[unspecified] == "0"), "debt bondage recorded at screening");
        assert!(lines.iter().all(|l| (l[unspecified] == "1") == (l[debt].is_empty())), "not specified means empty, not 0");
        let (rows, groups) = group_sizes(&text);
        let k: usize = k.parse().unwrap();
        assert!(rows > 0, "something is published");
        assert!(groups.values().all(|n| *n >= k), "every combination of quasi-identifiers occurs at least {k} times: {groups:?}");
        // The command says how many rows went and why.
        let suppressed: usize = said.split("suppressed ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
        assert_eq!(rows + suppressed, 153, "{said}");
        assert!(suppressed > 0 && said.contains("rows in groups of 1"), "{said}");
    }
    let never = dir.join("never.csv");
    let bad = amparo(&dir, None, &["export", "ctdc", "--year", "2008", "--k", "1", "--out", never.to_str().unwrap()], None);
    assert_eq!(bad.status.code(), Some(2), "k = 1 would publish every row: {}", out(&bad));
    assert!(!never.exists());
}

#[test]
fn the_annual_report_is_the_same_on_postgres() {
    let Some(cluster) = pg() else { return };
    let d = TempDir::new("reportpg");
    let url = cluster.new_database("report_pg");
    let dir = d.path().join("data");
    ok(amparo(&dir, Some(&url), &["demo", "--no-serve"], None));
    let r = report(&dir, Some(&url), &[]);
    assert_seed_figures(&r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_who_may_not_see_persons_get_no_cell_under_k() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    t.app.demo().load_demo_history(&Ctx::system("t")).await.unwrap();

    // The analyst: aggregates only; small cells hidden, with a second cell when one alone
    // could be worked out from the total.
    let analyst = token(&t, "analista@demo.amparo.pe").await;
    let (st, a) = call(&t, &analyst, "GET", "/api/v1/statistics/annual?year=2008", Value::Null).await;
    assert_eq!(st, 200, "{a}");
    assert_eq!(n(&a, "victims_identified.total"), 153, "totals are published");
    assert_eq!(a["small_cell_k"], 11);
    let hidden: Vec<&str> = a["suppressed"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(hidden.contains(&"victims_identified.region"), "{hidden:?}");
    for b in ["sex", "age_group", "age_broad", "nationality", "region", "labour_sectors"] {
        for (cell, v) in a["victims_identified"][b].as_object().unwrap() {
            let v = v.as_i64().unwrap();
            assert!(v == 0 || v >= 11, "{b}.{cell} = {v} shown to the analyst");
        }
        let shown = a["victims_identified"][b].as_object().unwrap().len();
        let full = a["victims_identified"][b].as_object().unwrap().values().filter(|v| v.as_i64().unwrap() > 0).count();
        assert_eq!(shown, full);
    }
    let region = a["victims_identified"]["region"].as_object().unwrap();
    assert!(!region.contains_key("PE-21"), "Puno's 8 victims are hidden from the analyst");
    let shown_sum: i64 = region.values().map(|v| v.as_i64().unwrap()).sum();
    assert!(153 - shown_sum >= 11, "what is hidden cannot be worked out as one cell: {region:?}");

    // Nothing the caller sends turns suppression off: the core decides from the actor.
    for q in ["small_cells=false", "small_cells=true", "hide_small_cells=false", "suppress=0&k=1"] {
        let (st, again) = call(&t, &analyst, "GET", &format!("/api/v1/statistics/annual?year=2008&{q}"), Value::Null).await;
        assert_eq!(st, 200, "{q}: {again}");
        assert_eq!(again["suppressed"], a["suppressed"], "{q}");
        assert_eq!(again["victims_identified"]["region"], a["victims_identified"]["region"], "{q}");
    }
    let said = |who: &'static str| {
        let store = t.store.clone();
        async move {
            let rows =
                store.audit_page(&AuditFilter { action: Some("view_statistics".into()), limit: 500, ..Default::default() }).await.unwrap();
            rows.into_iter()
                .filter(|r| r.event.record_id == "annual_report" && r.event.outcome == "ok")
                .filter(|r| r.event.actor_roles == who)
                .map(|r| r.event.details)
                .collect::<Vec<_>>()
        }
    };

    // The coordinator may see persons: every cell.
    let coord = token(&t, "coordinadora@demo.amparo.pe").await;
    let (_, c) = call(&t, &coord, "GET", "/api/v1/statistics/annual?year=2008", Value::Null).await;
    assert_eq!(n(&c, "victims_identified.region.PE-21"), 8);
    assert!(c["suppressed"].as_array().unwrap().is_empty());
    // The audit trail says who saw small cells and who did not.
    let analyst_saw = said("analyst").await;
    assert_eq!(analyst_saw.len(), 5, "{analyst_saw:?}");
    assert!(analyst_saw.iter().all(|d| d.contains("\"small_cells\":\"hidden\"")), "{analyst_saw:?}");
    let coord_saw = said("coordinator").await;
    assert!(coord_saw.len() == 1 && coord_saw[0].contains("\"small_cells\":\"shown\""), "{coord_saw:?}");
    // Counts run one at a time in a process (memory); requests made together queue and all
    // get the same, whole answer.
    let (a, b, d) = tokio::join!(
        call(&t, &coord, "GET", "/api/v1/statistics/annual?year=2008", Value::Null),
        call(&t, &coord, "GET", "/api/v1/statistics/annual?year=2008", Value::Null),
        call(&t, &analyst, "GET", "/api/v1/statistics/annual?year=2008", Value::Null),
    );
    assert_eq!((a.0, b.0, d.0), (200, 200, 200));
    assert_eq!((&a.1["victims_identified"], &b.1["victims_identified"]), (&c["victims_identified"], &c["victims_identified"]));
    assert_eq!(n(&d.1, "victims_identified.total"), 153);

    // Bad input is a clear 422, and other roles are refused.
    let (st, e) = call(&t, &coord, "GET", "/api/v1/statistics/annual?year=20x8", Value::Null).await;
    assert_eq!(st, 422, "{e}");
    let (st, _) = call(&t, &coord, "GET", "/api/v1/statistics/annual?year=2008&region=PE-99", Value::Null).await;
    assert_eq!(st, 422);
    let police = token(&t, "investigador@demo.amparo.pe").await;
    let (st, _) = call(&t, &police, "GET", "/api/v1/statistics/annual?year=2008", Value::Null).await;
    assert_eq!(st, 403);

    // The analyst downloads the anonymised microdata from the web; the police may not.
    let (browser, _) = login(&t, "analista@demo.amparo.pe", DEMO_PW).await;
    let resp = browser.get("/statistics/ctdc?year=2008&k=11").await;
    assert_eq!(resp.status(), 200);
    let kept: usize = resp.headers()["x-amparo-rows"].to_str().unwrap().parse().unwrap();
    let text = resp.text().await.unwrap();
    let (rows, groups) = group_sizes(&text);
    assert_eq!(rows, kept);
    assert!(groups.values().all(|n| *n >= 11));
    let (police, _) = login(&t, "investigador@demo.amparo.pe", DEMO_PW).await;
    assert_eq!(police.get("/statistics/ctdc?year=2008").await.status(), 403);

    // Every view of the statistics is audited.
    let audit = t
        .store
        .audit_page(&amparo_core::store::AuditFilter { action: Some("view_statistics".into()), limit: 50, ..Default::default() })
        .await
        .unwrap();
    assert!(audit.len() >= 3, "statistics views are in the audit trail");
}

#[test]
fn demo_generate_builds_a_reproducible_data_set_that_the_report_counts() {
    let d = TempDir::new("generate");
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    let gen_ = |dir: &Path| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_amparo"))
            .args(["demo", "generate", "--cases", "400", "--seed", "3", "--out"])
            .arg(dir)
            .env("AMPARO_LOG", "warn")
            .env_remove("AMPARO_DATABASE_URL")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", out(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let said = gen_(&a);
    assert!(said.contains("generated 400 cases"), "{said}");
    gen_(&b);
    let year = |dir: &Path, y: &str| -> Value {
        let mut r: Value =
            serde_json::from_str(&ok(amparo(dir, None, &["report", "annual", "--year", y, "--format", "json"], None))).unwrap();
        r.as_object_mut().unwrap().remove("generated_at");
        r
    };
    let (ra, rb) = (year(&a, "2020"), year(&b, "2020"));
    assert_eq!(ra, rb, "the same size and seed give the same data");
    assert!(n(&ra, "prosecutions.cases.total") > 0 && n(&ra, "victims_identified.total") > 0, "{ra}");
    // Spread over the years, and shaped like real data.
    let years: Vec<Value> = (2005..=2025).map(|y| year(&a, &y.to_string())).collect();
    let total: i64 = years.iter().map(|r| n(r, "victims_identified.total")).sum();
    assert!(total > 400, "victims across the years: {total}");
    let foreign: i64 = years.iter().map(|r| n(r, "victims_identified.foreign")).sum();
    assert!(foreign > 0 && foreign < total / 4, "some foreign victims, most Peruvian: {foreign} of {total}");
    let labour: i64 = years.iter().map(|r| n(r, "victims_identified.by_type.labour")).sum();
    let sexual: i64 = years.iter().map(|r| n(r, "victims_identified.by_type.sexual")).sum();
    assert!(sexual > labour && labour > 0, "sexual {sexual}, labour {labour}");
    let records: i64 = years.iter().map(|r| n(r, "victims_identified.records")).sum();
    assert!(records > total, "some victims are recorded twice and counted once: {records} records, {total} persons");
    // Every stage of the case flow has data at scale: hotline calls, screenings with the
    // instrument, referrals, repatriation of foreign victims.
    let sum = |path: &str| -> i64 { years.iter().map(|r| n(r, path)).sum() };
    assert!(sum("case_flow.reported") > 400 / 8, "hotline calls before about a quarter of the cases");
    assert!(sum("case_flow.screened") > total / 2, "most victims screened");
    assert!(sum("case_flow.referred") > 0 && sum("foreign_victims_repatriated.total") > 0, "{ra}");
    assert!(years.iter().any(|r| r["case_flow"]["median_days_screening_to_identification"].is_i64()));
    // A different seed, different data.
    let c = d.path().join("c");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_amparo"))
        .args(["demo", "generate", "--cases", "400", "--seed", "4", "--out"])
        .arg(&c)
        .env("AMPARO_LOG", "warn")
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_ne!(year(&c, "2020")["victims_identified"], ra["victims_identified"]);
    let z = d.path().join("z");
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_amparo"))
        .args(["demo", "generate", "--cases", "0", "--out"])
        .arg(&z)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(out(&bad).contains("--cases must be at least 1"), "{}", out(&bad));
    assert!(!z.exists(), "nothing created");
}

const HTCDS_GOOD: &str = "\
cas_CaseId,cas_Status,cas_CreatedDate,vic_TypeOfExploitation,vic_TypeOfLabourExploitation,vic_TypeOfSexExploitation,hte_Type,hte_State,prs_PersonId,prs_FirstName,prs_SecondName,prs_Gender,prs_Nationality,vic_TraffickingStatus,vic_DateOfIdentification,per_RoleInProcess
LEG-001,Closed,2008-02-10,isSexualExploit,,Prostitution,Exploitation,PE-1601,V-1,Ximena,Ruiz Tello,Female,PE,ActualVictim,2008-02-12,
LEG-001,Closed,2008-02-10,isSexualExploit,,Prostitution,Exploitation,PE-1601,V-2,Kiara,Soria,Female,EC,ActualVictim,2008-02-12,
LEG-001,Closed,2008-02-10,isSexualExploit,,Prostitution,Exploitation,PE-1601,S-1,Teófilo,Ramos,Male,PE,,,Exploiter
LEG-002,Active,2008-06-01,isForcedLabour,MiningOrDrilling,,Exploitation,PE-1701,V-3,Edson,Quispe,Male,PE,PossibleVictim,2008-06-03,
";

fn org_id(dir: &Path, kind: &str, region: &str) -> String {
    let list = ok(amparo(dir, None, &["org", "list"], None));
    list.lines().find(|l| l.contains(&format!("\t{kind}\t{region}\t"))).unwrap().split('\t').next().unwrap().to_owned()
}

#[test]
fn htcds_import_is_all_or_nothing_idempotent_and_export_is_encrypted() {
    let d = TempDir::new("htcds");
    let dir = d.path().join("data");
    ok(amparo(&dir, None, &["demo", "--no-serve"], None));
    let org = org_id(&dir, "ngo", "PE-17");
    let before = report(&dir, None, &[]);

    // A bad file: every problem by row and field, and nothing written.
    let bad = HTCDS_GOOD
        .replace("Kiara,Soria,Female", "Kiara,Soria,F")
        .replace("PE-1701,V-3", "PE-9999,V-3")
        .replace("2008-02-12,\nLEG-001", "2099-02-12,\nLEG-001");
    let bad_file = d.path().join("bad.csv");
    std::fs::write(&bad_file, &bad).unwrap();
    let o = amparo(&dir, None, &["import", "htcds", "--org", &org, "--file", bad_file.to_str().unwrap()], None);
    let said = out(&o);
    assert_eq!(o.status.code(), Some(2), "{said}");
    for want in [
        "nothing imported",
        "row 2, prs_Gender: invalid_choice",
        "row 4, hte_State: unknown_area",
        "row 1, vic_DateOfIdentification: date_in_future",
    ] {
        assert!(said.contains(want), "{want} in {said}");
    }
    let missing = HTCDS_GOOD.replacen("hte_State", "hte_Estado", 1);
    std::fs::write(&bad_file, &missing).unwrap();
    let said = out(&amparo(&dir, None, &["import", "htcds", "--org", &org, "--file", bad_file.to_str().unwrap()], None));
    assert!(said.contains("header, hte_State: missing_column") && said.contains("header, hte_Estado: unknown_column"), "{said}");
    assert_eq!(report(&dir, None, &[])["victims_identified"], before["victims_identified"], "a bad file changes nothing");

    // A dry run says what would happen and writes nothing.
    let good_file = d.path().join("good.csv");
    std::fs::write(&good_file, HTCDS_GOOD).unwrap();
    let said = ok(amparo(&dir, None, &["import", "htcds", "--org", &org, "--file", good_file.to_str().unwrap(), "--dry-run"], None));
    assert!(said.contains("dry run, nothing written: 4 rows: 2 new cases (0 already there), 4 new persons"), "{said}");
    assert_eq!(report(&dir, None, &[])["victims_identified"], before["victims_identified"]);

    // The real import, then the same file again: nothing new the second time.
    let said = ok(amparo(&dir, None, &["import", "htcds", "--org", &org, "--file", good_file.to_str().unwrap()], None));
    assert!(
        said.contains("imported 4 rows: 2 new cases (0 already there), 4 new persons (0 already there), 4 new links, 3 decisions"),
        "{said}"
    );
    let after = report(&dir, None, &[]);
    assert_eq!(n(&after, "victims_identified.total"), n(&before, "victims_identified.total") + 2, "two actual victims in 2008");
    assert_eq!(n(&after, "possible_victims.total"), n(&before, "possible_victims.total") + 1);
    let said = ok(amparo(&dir, None, &["import", "htcds", "--org", &org, "--file", good_file.to_str().unwrap()], None));
    assert!(said.contains("0 new cases (2 already there), 0 new persons (4 already there), 0 new links, 0 decisions"), "{said}");
    assert_eq!(report(&dir, None, &[])["victims_identified"], after["victims_identified"], "idempotent");

    // The same standard from a spreadsheet (first sheet; dates as Excel dates, ids as numbers).
    let xlsx = d.path().join("legacy.xlsx");
    {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        for (r, line) in HTCDS_GOOD.lines().enumerate() {
            for (c, cell) in line.split(',').enumerate() {
                let (r, c) = (r as u32, c as u16);
                if r > 0 && (cell.starts_with("2008-")) {
                    let dt = rust_xlsxwriter::ExcelDateTime::parse_from_str(cell).unwrap();
                    ws.write_datetime_with_format(r, c, &dt, &date).unwrap();
                } else if r > 0 && c == 0 {
                    ws.write_number(r, c, 9000.0 + f64::from(r)).unwrap();
                } else {
                    ws.write_string(r, c, cell).unwrap();
                }
            }
        }
        wb.save(&xlsx).unwrap();
    }
    let other = org_id(&dir, "ngo", "PE-08");
    let said = ok(amparo(&dir, None, &["import", "htcds", "--org", &other, "--file", xlsx.to_str().unwrap()], None));
    // Each row got its own numeric case id here: 4 cases.
    assert!(said.contains("imported 4 rows: 4 new cases (0 already there), 4 new persons"), "{said}");
    assert_eq!(n(&report(&dir, None, &[]), "victims_identified.total"), n(&after, "victims_identified.total") + 2);

    // Export: HTCDS columns, identities included, only readable with the recipient's key.
    let key = age::x25519::Identity::generate();
    let recipient = key.to_public().to_string();
    let file = d.path().join("export.csv.age");
    ok(amparo(&dir, None, &["export", "htcds", "--recipient", &recipient, "--out", file.to_str().unwrap()], None));
    let sealed = std::fs::read(&file).unwrap();
    assert!(!String::from_utf8_lossy(&sealed).contains("Ximena"), "no plaintext on disk");
    let dec = age::Decryptor::new_buffered(&sealed[..]).unwrap();
    let mut plain = String::new();
    use std::io::Read;
    dec.decrypt(std::iter::once(&key as &dyn age::Identity)).unwrap().read_to_string(&mut plain).unwrap();
    assert!(plain.starts_with("cas_CaseId,cas_Status,cas_CreatedDate,vic_TypeOfExploitation"), "{}", &plain[..80]);
    // Ximena came in twice (the CSV's LEG-001 and the spreadsheet's 9001): rows made in
    // the same second have no defined order between them, so pick the CSV's by its case id.
    assert_eq!(plain.lines().filter(|l| l.contains("Ximena")).count(), 2, "one row per import");
    let line = plain.lines().find(|l| l.contains("Ximena") && l.starts_with("LEG-001,")).unwrap();
    assert!(line.starts_with("LEG-001,Closed,2008-02-10,isSexualExploit,") && line.contains("ActualVictim,2008-02-12"), "{line}");
    assert!(plain.lines().any(|l| l.contains("Teófilo") && l.ends_with(",Exploiter")));
    // The JSON form (written a row at a time) is one document with the same rows.
    let jfile = d.path().join("export.json.age");
    ok(amparo(&dir, None, &["export", "htcds", "--recipient", &recipient, "--format", "json", "--out", jfile.to_str().unwrap()], None));
    let sealed = std::fs::read(&jfile).unwrap();
    let dec = age::Decryptor::new_buffered(&sealed[..]).unwrap();
    let mut json = String::new();
    dec.decrypt(std::iter::once(&key as &dyn age::Identity)).unwrap().read_to_string(&mut json).unwrap();
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["standard"], "HTCDS 2.0");
    let rows = doc["rows"].as_array().unwrap();
    assert_eq!(rows.len(), csv::Reader::from_reader(plain.as_bytes()).records().count(), "the same rows as the CSV");
    assert!(
        rows.iter().any(|r| r["cas_CaseId"] == "LEG-001" && r["prs_FirstName"] == "Ximena" && r["vic_TraffickingStatus"] == "ActualVictim")
    );
    let bad = amparo(&dir, None, &["export", "htcds", "--recipient", "not-a-key", "--out", file.to_str().unwrap()], None);
    assert_eq!(bad.status.code(), Some(2));
}

/// A legacy file imported at the command line while the server runs is found by search
/// through that server within seconds (the import is one audit event for the whole file).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persons_imported_while_the_server_runs_are_found_by_search() {
    let d = TempDir::new("htcds-search");
    let dir = d.path().join("data");
    ok(amparo(&dir, None, &["demo", "--no-serve"], None));
    let org = org_id(&dir, "ngo", "PE-16");
    let server = crate::helpers::start_amparo(
        &["serve", "--listen", "127.0.0.1:0", "--data-dir", dir.to_str().unwrap()],
        &[("AMPARO_SECURE_COOKIES", "0")],
        "listening on http://",
    );
    let base = server.base.clone();
    // The server answers at once and builds its search index in the background; search
    // before then says so instead of answering from part of the records.
    let mut ready = false;
    for _ in 0..600 {
        let r = reqwest::get(format!("{base}/readyz")).await.unwrap();
        if r.status() == 200 {
            ready = true;
            break;
        }
        assert_eq!(r.status(), 503, "not ready yet is 503");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ready, "the search index was built within a minute");

    let (b, _) = login_at(&base, "trabajadora-social@demo.amparo.pe", DEMO_PW).await;
    let page = b.get("/search?q=Huamanchumo").await.text().await.unwrap();
    assert!(page.contains("id=\"no-hits\""), "nobody of that name before the import");

    let file = d.path().join("legacy.csv");
    std::fs::write(&file, HTCDS_GOOD.replace("Kiara,Soria", "Zoraida,Huamanchumo")).unwrap();
    ok(amparo(&dir, None, &["import", "htcds", "--org", &org, "--file", file.to_str().unwrap()], None));
    let page = b.get("/search?q=Huamanchumo").await.text().await.unwrap();
    drop(server);
    let hits = page.split("<ul id=\"hits\">").nth(1).unwrap_or_default();
    assert_eq!(hits.matches("<li>").count(), 1, "the imported person is found: {page}");
}

/// A suspect imported by one organisation who is already held by another (same name and
/// birth date, however spelt) raises the cross-agency alert on both sides, as a person
/// recorded by hand would; importing the same file again raises nothing new.
#[test]
fn an_htcds_import_raises_cross_agency_alerts() {
    let d = TempDir::new("htcds-alerts");
    let dir = d.path().join("data");
    ok(amparo(&dir, None, &["demo", "--no-serve"], None));
    let header = "cas_CaseId,cas_CreatedDate,vic_TypeOfExploitation,hte_State,prs_PersonId,prs_FirstName,prs_SecondName,prs_Birthdate,prs_Gender,per_RoleInProcess";
    let a = d.path().join("a.csv");
    std::fs::write(&a, format!("{header}\nA-1,2008-03-01,isSexualExploit,PE-1701,S-9,Teófilo Jesús,Ramos,1970-05-04,Male,Exploiter\n"))
        .unwrap();
    let b = d.path().join("b.csv");
    std::fs::write(&b, format!("{header}\nB-7,2008-09-12,isSexualExploit,PE-1601,X-2,TEOFILO,RAMOS,1970-05-04,Male,Exploiter\n")).unwrap();
    let c = d.path().join("c.csv");
    std::fs::write(&c, format!("{header}\nC-3,2008-09-12,isSexualExploit,PE-1601,X-5,Teófilo,Ramos,1971-05-04,Male,Exploiter\n")).unwrap();

    let said = ok(amparo(&dir, None, &["import", "htcds", "--org", &org_id(&dir, "ngo", "PE-17"), "--file", a.to_str().unwrap()], None));
    assert!(said.contains("1 new persons") && said.contains("0 cross-agency alerts"), "{said}");
    let loreto = org_id(&dir, "ngo", "PE-16");
    let said = ok(amparo(&dir, None, &["import", "htcds", "--org", &loreto, "--file", b.to_str().unwrap()], None));
    assert!(said.contains("1 cross-agency alerts"), "the same suspect, spelt otherwise, held by Madre de Dios: {said}");
    let said = ok(amparo(&dir, None, &["import", "htcds", "--org", &loreto, "--file", b.to_str().unwrap()], None));
    assert!(said.contains("0 new persons") && said.contains("0 cross-agency alerts"), "nothing new the second time: {said}");
    let said = ok(amparo(&dir, None, &["import", "htcds", "--org", &loreto, "--file", c.to_str().unwrap()], None));
    assert!(said.contains("0 cross-agency alerts"), "another birth date is another person: {said}");
}

/// The annual report from the statistics projection is the count from the records
/// themselves (`--from-records`), for every year shown, after each kind of change.
async fn projection_agrees_with_the_records(t: &TestApp, step: &str) {
    use amparo_core::usecases::statistics::ReportQuery;
    // The national police unit holds the 2007–2008 history.
    let unit = t.store.list_orgs().await.unwrap().into_iter().find(|o| o.kind.as_str() == "police_unit" && o.jurisdiction == "PE-15");
    let unit = unit.map(|o| o.id.to_string());
    let scopes = [(None, None), (Some("PE-16".to_owned()), None), (None, unit.clone())];
    // 2010's trend counts 2006–2008 in the database; 2008's and 2026's come from the facts.
    for (year, (region, org)) in [2008, 2010, 2025, 2026].into_iter().flat_map(|y| scopes.iter().map(move |s| (y, s))) {
        let report = |from_records| {
            let q = ReportQuery { year, region: region.clone(), org: org.clone(), from_records, hide_small_cells: false };
            async move {
                let mut v = serde_json::to_value(t.app.statistics().annual_report(&Ctx::system("t"), &q).await.unwrap()).unwrap();
                v.as_object_mut().unwrap().remove("generated_at");
                v
            }
        };
        let (projected, counted) = (report(false).await, report(true).await);
        assert_eq!(projected, counted, "{step}: the projection and the records disagree on {year} ({region:?}, {org:?})");
    }
}

/// A labour screening of `person` on `day`, saved as a draft and then finished.
async fn screen_final(t: &TestApp, tok: &str, person: &str, day: &str) {
    let body = serde_json::json!({ "exploitation": "labour", "indicators": ["d4.excessive_hours"], "screened_on": day });
    let (status, draft) = call(t, tok, "POST", &format!("/api/v1/persons/{person}/screenings"), body).await;
    assert_eq!(status, 201, "{draft}");
    let fin = serde_json::json!({ "set": draft["set"], "status": "final", "version": "1", "indicators": ["d4.excessive_hours"] });
    let (status, done) = call(t, tok, "PUT", &format!("/api/v1/screenings/{}", draft["id"].as_str().unwrap()), fin).await;
    assert_eq!(status, 200, "{done}");
}

async fn the_statistics_projection_follows_every_kind_of_change(t: TestApp) {
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    t.app.demo().load_demo_history(&Ctx::system("t")).await.unwrap();
    projection_agrees_with_the_records(&t, "built from the demo").await;
    let coord = token(&t, "coordinadora@demo.amparo.pe").await;
    let (_, before) = call(&t, &coord, "GET", "/api/v1/statistics/annual?year=2026", Value::Null).await;
    let inv = token(&t, "investigador@demo.amparo.pe").await;
    let fiscal = token(&t, "fiscal@demo.amparo.pe").await;
    let shelter = token(&t, "albergue@demo.amparo.pe").await;

    // A labour case with a victim identified this year, and a suspect.
    let (status, c) = call(
        &t,
        &inv,
        "POST",
        "/api/v1/cases",
        serde_json::json!({ "title": "Aserradero", "exploitation": "isForcedLabour", "labour_sector": "logging", "place": "PE-1601" }),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    let cid = c["id"].as_str().unwrap().to_owned();
    let person = |role: &str, doc: &str| {
        serde_json::json!({ "role": role, "given_names": "Wilber", "first_surname": "Tapullima",
        "sex": "male", "approx_age": "17", "nationality": "PE", "document_number": doc })
    };
    let (_, victim) = call(&t, &inv, "POST", "/api/v1/persons", person("victim", "71234567")).await;
    let (_, suspect) = call(&t, &inv, "POST", "/api/v1/persons", person("suspect", "")).await;
    let (vid, sid) = (victim["id"].as_str().unwrap().to_owned(), suspect["id"].as_str().unwrap().to_owned());
    for (p, role) in [(&vid, "victim"), (&sid, "suspect")] {
        let (status, _) =
            call(&t, &inv, "POST", &format!("/api/v1/cases/{cid}/links"), serde_json::json!({ "person_id": p, "role": role })).await;
        assert_eq!(status, 201);
    }
    let decide = |status: &str, on: &str| serde_json::json!({ "status": status, "decided_on": on, "basis": "Entrevista" });
    let (status, d) = call(&t, &inv, "POST", &format!("/api/v1/persons/{vid}/decisions"), decide("ActualVictim", "2026-03-02")).await;
    assert_eq!(status, 201, "{d}");
    projection_agrees_with_the_records(&t, "a victim identified in a new case").await;
    // Screened: a final screening (its group is renamed when a second record joins).
    screen_final(&t, &inv, &vid, "2026-02-27").await;
    projection_agrees_with_the_records(&t, "a final screening").await;
    let (_, screened) = call(&t, &coord, "GET", "/api/v1/statistics/annual?year=2026", Value::Null).await;
    // His document is that of a demo person already screened this year: one person screened.
    assert_eq!(n(&screened, "case_flow.screened"), n(&before, "case_flow.screened"), "{screened}");
    assert_eq!(screened["case_flow"]["median_days_screening_to_identification"], 3, "screened three days before identified");
    let (_, after) = call(&t, &coord, "GET", "/api/v1/statistics/annual?year=2026", Value::Null).await;
    assert_eq!(n(&after, "victims_identified.by_type.labour"), n(&before, "victims_identified.by_type.labour") + 1, "{after}");

    // Shared with the prosecutor, who charges the suspect and wins a conviction.
    let fiscalia = t
        .store
        .list_orgs()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.kind.as_str() == "prosecutor_office" && o.jurisdiction == "PE-16")
        .unwrap();
    let share = serde_json::json!({ "to_org": fiscalia.id, "purpose": "Investigación fiscal", "until": "2027-12-31" });
    assert_eq!(call(&t, &inv, "POST", &format!("/api/v1/cases/{cid}/shares"), share).await.0, 201);
    let charge =
        serde_json::json!({ "person_id": sid, "statute_id": "pe-cp-129a-2021", "offence_date": "2026-01-10", "filed_on": "2026-04-01" });
    let (status, ch) = call(&t, &fiscal, "POST", &format!("/api/v1/cases/{cid}/charges"), charge).await;
    assert_eq!(status, 201, "{ch}");
    projection_agrees_with_the_records(&t, "a charge filed").await;
    let chid = ch["id"].as_str().unwrap().to_owned();
    let verdict = serde_json::json!({ "verdict": "convicted", "decided_on": "2026-08-01", "years": "12", "months": "0", "version": "1" });
    assert_eq!(call(&t, &fiscal, "POST", &format!("/api/v1/charges/{chid}/decision"), verdict).await.0, 200);
    projection_agrees_with_the_records(&t, "a conviction").await;

    // The shelter records the same young man with the same document: one person, two records.
    let (_, again) = call(&t, &shelter, "POST", "/api/v1/persons", person("victim", "71.234.567")).await;
    let again = again["id"].as_str().unwrap().to_owned();
    let (status, _) = call(&t, &shelter, "POST", &format!("/api/v1/persons/{again}/decisions"), decide("ActualVictim", "2026-03-20")).await;
    assert_eq!(status, 201);
    projection_agrees_with_the_records(&t, "a second record of the same person").await;
    let (_, twice) = call(&t, &coord, "GET", "/api/v1/statistics/annual?year=2026", Value::Null).await;
    assert_eq!(n(&twice, "victims_identified.total"), n(&after, "victims_identified.total"), "counted once");
    assert_eq!(n(&twice, "victims_identified.records"), n(&after, "victims_identified.records") + 1);
    // The shelter screens its record of him too: still one person screened.
    screen_final(&t, &shelter, &again, "2026-03-21").await;
    projection_agrees_with_the_records(&t, "a second screening of the same person").await;
    let (_, again_screened) = call(&t, &coord, "GET", "/api/v1/statistics/annual?year=2026", Value::Null).await;
    assert_eq!(n(&again_screened, "case_flow.screened"), n(&screened, "case_flow.screened"), "screened once");

    // The police find he was not a victim after all; the shelter's decision still stands.
    let (status, _) = call(&t, &inv, "POST", &format!("/api/v1/persons/{vid}/decisions"), decide("NotAVictim", "2026-05-02")).await;
    assert_eq!(status, 201);
    projection_agrees_with_the_records(&t, "a later decision on one record").await;
    // Referred to a shelter.
    let (_, services) = call(&t, &inv, "GET", "/api/v1/services?kind=shelter", Value::Null).await;
    let car = services["items"].as_array().unwrap()[0]["id"].clone();
    let (status, r) = call(
        &t,
        &inv,
        "POST",
        &format!("/api/v1/persons/{vid}/referrals"),
        serde_json::json!({ "service_id": car, "consent_by": "guardian", "consent_name": "Madre", "consent_method": "written" }),
    )
    .await;
    assert_eq!(status, 201, "{r}");
    projection_agrees_with_the_records(&t, "a referral").await;
    // A report, an operation and prevention work of this year are read by date.
    let op =
        serde_json::json!({ "date": "2026-06-01", "place": "PE-1601", "exploitation": "labour", "persons_found": "5", "rescued": "4" });
    let (status, o) = call(&t, &inv, "POST", "/api/v1/operations", op).await;
    assert_eq!(status, 201, "{o}");
    projection_agrees_with_the_records(&t, "an operation").await;
    let (_, last) = call(&t, &coord, "GET", "/api/v1/statistics/annual?year=2026", Value::Null).await;
    assert_eq!(n(&last, "persons_rescued_in_operations.total"), n(&before, "persons_rescued_in_operations.total") + 4);
}

#[tokio::test]
async fn the_statistics_projection_follows_every_kind_of_change_on_sqlite() {
    the_statistics_projection_follows_every_kind_of_change(spawn_app().await).await;
}

#[tokio::test]
async fn the_statistics_projection_follows_every_kind_of_change_on_postgres() {
    let Some(cluster) = pg() else { return };
    let url = cluster.new_database("projection");
    the_statistics_projection_follows_every_kind_of_change(spawn_on(TempDir::new("it-pg"), &url, 1).await).await;
}
