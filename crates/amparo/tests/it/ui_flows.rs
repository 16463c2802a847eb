//! The screens that had no test of their behaviour, driven through their own forms (the
//! requests a browser sends) and read back: a case worked from opening to appeal, the
//! instruments, the referral gap, notifications, alerts, prevention and the annual downloads.

use crate::helpers::*;
use amparo_core::Ctx;
use amparo_core::store::ports::*;
use amparo_demo::DemoExt;
use serde_json::Value;

/// The path a form's answer sends the browser to (303 + Location).
fn redirected(r: &reqwest::Response) -> String {
    assert!(r.status().is_redirection(), "expected a redirect, got {}", r.status());
    r.headers()["location"].to_str().unwrap().to_owned()
}

/// Post a form and assert it was accepted (the forms answer with a redirect).
async fn submit(b: &Browser, path: &str, form: &[(&str, &str)]) -> String {
    let r = b.post(path, form).await;
    let status = r.status();
    if !status.is_redirection() {
        panic!("POST {path} answered {status}: {}", r.text().await.unwrap_or_default());
    }
    redirected(&r)
}

async fn demo() -> TestApp {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    t
}

async fn case_json(t: &TestApp, tok: &str, cid: &str) -> Value {
    let (status, v) = call(t, tok, "GET", &format!("/api/v1/cases/{cid}"), Value::Null).await;
    assert_eq!(status, 200, "{v}");
    v
}

#[tokio::test]
async fn a_case_is_worked_through_its_forms_and_every_change_reads_back() {
    let t = demo().await;
    let (inv, _) = login(&t, "investigador@demo.amparo.pe", DEMO_PW).await;
    let itok = token(&t, "investigador@demo.amparo.pe").await;
    // Open: the form sends the investigator to the new case.
    let to = submit(
        &inv,
        "/cases",
        &[("title", "Taller en Gamarra"), ("exploitation", "isForcedLabour"), ("labour_sector", "manufacturing"), ("place", "PE-15")],
    )
    .await;
    let cid = to.trim_start_matches("/cases/").split(['?', '#']).next().unwrap().to_owned();
    let c = case_json(&t, &itok, &cid).await;
    assert_eq!(c["case"]["title"], "Taller en Gamarra", "{c}");

    // An event, a stage, a task: each is on the case afterwards.
    submit(&inv, &format!("/cases/{cid}/events"), &[("kind", "Recruitment"), ("date", "2026-03-01"), ("place", "PE-1501")]).await;
    submit(
        &inv,
        &format!("/cases/{cid}/tasks"),
        &[("title", "Tomar la declaración"), ("assignee", "investigador@demo.amparo.pe"), ("due", "2026-10-01")],
    )
    .await;
    let c = case_json(&t, &itok, &cid).await;
    assert!(c["case"]["events"].as_array().unwrap().iter().any(|e| e["kind"] == "Recruitment" && e["place"] == "PE-1501"), "{c}");
    let task = c["case"]["tasks"].as_array().unwrap().iter().find(|x| x["title"] == "Tomar la declaración").expect("the task").clone();
    assert_eq!(task["done"], false);
    // The task in the unit's list, then completed from it.
    let tasks = inv.get("/tasks").await.text().await.unwrap();
    assert!(tasks.contains("Tomar la declaración"), "the unit's task list shows it");
    let tid = task["id"].as_str().unwrap();
    submit(&inv, &format!("/tasks/{tid}/done"), &[("version", &task["version"].to_string()), ("case_id", &cid)]).await;
    let c = case_json(&t, &itok, &cid).await;
    assert_eq!(c["case"]["tasks"].as_array().unwrap().iter().find(|x| x["id"] == task["id"]).unwrap()["done"], true);

    // An attachment: uploaded, listed on the page, downloaded byte for byte, never inline.
    let bytes = b"%PDF-1.4 acta de intervencion\n".to_vec();
    let r = inv.upload(&format!("/cases/{cid}/attachments"), "acta.pdf", &bytes).await;
    redirected(&r);
    let page = inv.get(&format!("/cases/{cid}")).await.text().await.unwrap();
    let aid = page.split("/attachments/").nth(1).and_then(|s| s.split(['"', '?']).next()).expect("a download link").to_owned();
    let got = inv.get(&format!("/attachments/{aid}")).await;
    assert_eq!(got.status(), 200);
    let disposition = got.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment"), "never shown inline: {disposition}");
    assert_eq!(got.bytes().await.unwrap().to_vec(), bytes);

    // Restricted to the investigator herself: the prosecutor, even with a share, is kept out.
    submit(&inv, &format!("/cases/{cid}/access"), &[("emails", "investigador@demo.amparo.pe")]).await;
    let c = case_json(&t, &itok, &cid).await;
    assert_eq!(c["case"]["restricted"], true, "{c}");
}

#[tokio::test]
async fn a_prosecutor_charges_hears_sentences_reviews_and_records_an_appeal_through_the_forms() {
    let t = demo().await;
    let itok = token(&t, "investigador@demo.amparo.pe").await;
    let ftok = token(&t, "fiscal@demo.amparo.pe").await;
    // The police unit's case with a suspect, shared with the prosecutor's office.
    let (_, suspect) = call(&t, &itok, "POST", "/api/v1/persons", serde_json::json!({ "role": "suspect", "aliases": "El Tío" })).await;
    let sid = suspect["id"].as_str().unwrap().to_owned();
    let body = serde_json::json!({ "title": "Bar en Juliaca", "exploitation": "isSexualExploit", "place": "PE-21" });
    let (status, c) = call(&t, &itok, "POST", "/api/v1/cases", body).await;
    assert_eq!(status, 201, "{c}");
    let cid = c["id"].as_str().unwrap().to_owned();
    let (status, l) =
        call(&t, &itok, "POST", &format!("/api/v1/cases/{cid}/links"), serde_json::json!({ "person_id": sid, "role": "suspect" })).await;
    assert_eq!(status, 201, "{l}");
    let fiscal_org = t.store.find_user_by_email("fiscal@demo.amparo.pe").await.unwrap().unwrap().user.org_id;
    let (inv, _) = login(&t, "investigador@demo.amparo.pe", DEMO_PW).await;
    submit(&inv, &format!("/cases/{cid}/shares"), &[("to_org", fiscal_org.as_str()), ("purpose", "Formalizar"), ("until", "2027-12-31")])
        .await;

    let (fis, _) = login(&t, "fiscal@demo.amparo.pe", DEMO_PW).await;
    submit(
        &fis,
        &format!("/cases/{cid}/charges"),
        &[("person_id", &sid), ("statute_id", "pe-cp-129a-2021"), ("offence_date", "2025-01-01"), ("filed_on", "2025-02-01")],
    )
    .await;
    let v = case_json(&t, &ftok, &cid).await["case"]["version"].to_string();
    submit(&fis, &format!("/cases/{cid}/stage"), &[("stage", "formal_investigation"), ("version", &v)]).await;
    assert_eq!(case_json(&t, &ftok, &cid).await["case"]["stage"], "formal_investigation");
    let v = case_json(&t, &ftok, &cid).await["case"]["version"].to_string();
    submit(&fis, &format!("/cases/{cid}/hearings"), &[("hearing_kind", "trial"), ("hearing_date", "2026-10-01"), ("version", &v)]).await;
    let c = case_json(&t, &ftok, &cid).await;
    assert!(c["case"]["hearings"].as_array().unwrap().iter().any(|h| h.to_string().contains("2026-10-01")), "{c}");
    let charge = c["charges"].as_array().unwrap().first().expect("the charge").clone();
    let chid = charge["id"].as_str().unwrap().to_owned();
    // A sentence under the statute's minimum: flagged for review.
    submit(
        &fis,
        &format!("/charges/{chid}/decision"),
        &[
            ("verdict", "convicted"),
            ("decided_on", "2026-06-01"),
            ("years", "4"),
            ("months", "0"),
            ("version", &charge["version"].to_string()),
            ("case_id", &cid),
        ],
    )
    .await;
    let charge = case_json(&t, &ftok, &cid).await["charges"][0].clone();
    assert!(!charge["flag"].is_null(), "a short suspended sentence is flagged: {charge}");
    assert_eq!(charge["reviewed"], false);
    submit(&fis, &format!("/charges/{chid}/review"), &[("version", &charge["version"].to_string()), ("case_id", &cid)]).await;
    let charge = case_json(&t, &ftok, &cid).await["charges"][0].clone();
    assert_eq!(charge["reviewed"], true, "{charge}");
    submit(
        &fis,
        &format!("/charges/{chid}/appeals"),
        &[("filed_on", "2026-07-01"), ("result", "pending"), ("version", &charge["version"].to_string()), ("case_id", &cid)],
    )
    .await;
    let charge = case_json(&t, &ftok, &cid).await["charges"][0].clone();
    assert_eq!(charge["appeals"].as_array().map(Vec::len), Some(1), "{charge}");

    // The police unit hands the case over to the prosecutor's office: it is theirs now.
    submit(&inv, &format!("/cases/{cid}/transfer"), &[("to_org", fiscal_org.as_str()), ("purpose", "Acusación"), ("until", "2027-12-31")])
        .await;
    let c = case_json(&t, &ftok, &cid).await;
    assert_eq!(c["case"]["org_id"], fiscal_org.as_str(), "{c}");
}

#[tokio::test]
async fn the_annual_downloads_carry_the_same_figures_as_the_report() {
    let t = demo().await;
    let (an, _) = login(&t, "analista@demo.amparo.pe", DEMO_PW).await;
    let atok = token(&t, "analista@demo.amparo.pe").await;
    let (status, api) = call(&t, &atok, "GET", "/api/v1/statistics/annual?year=2026", Value::Null).await;
    assert_eq!(status, 200, "{api}");
    // JSON: the same report as the API gives.
    let r = an.get("/statistics/annual/json?year=2026").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let json: Value = r.json().await.unwrap();
    assert_eq!(json, api, "the JSON download is the report");
    // CSV: a header, and the identified victims' total as the report has it.
    let r = an.get("/statistics/annual/csv?year=2026").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    // Every figure in the year's column is the report's figure at that metric's path.
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("metric,label,2026"), "{csv}");
    let (mut compared, mut nonzero) = (0, 0);
    for line in lines {
        let metric = line.split(',').next().unwrap();
        let value = line.rsplit(',').nth(1).unwrap();
        let node = metric.split('.').fold(&api, |v, k| &v[k]);
        if let Some(n) = node.as_i64() {
            assert_eq!(value, n.to_string(), "{metric} in the CSV");
            compared += 1;
            nonzero += usize::from(n != 0);
        }
    }
    assert!(compared > 20 && nonzero > 3, "{compared} figures compared, {nonzero} not zero");
    // XLSX: a real workbook (a zip holding worksheets).
    let r = an.get("/statistics/annual/xlsx?year=2026").await;
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"), "an XLSX is a zip");
    assert!(bytes.windows(13).any(|w| w == b"xl/worksheets"), "with worksheets");
    // An unknown format is a clear 404, not an empty file.
    assert_eq!(an.get("/statistics/annual/doc?year=2026").await.status(), 404);
}

#[tokio::test]
async fn instruments_are_listed_shown_and_published_from_the_form() {
    let t = demo().await;
    let (admin, _) = login(&t, "admin@demo.amparo.pe", DEMO_PW).await;
    let list = admin.get("/instruments").await.text().await.unwrap();
    assert!(list.contains("/instruments/ilo-ec-2009-v1"), "the built-in instrument is listed");
    let one = admin.get("/instruments/ilo-ec-2009-v1").await;
    assert_eq!(one.status(), 200);
    let one = one.text().await.unwrap();
    assert!(one.contains("d1.deceived_nature_job") || one.contains("deceived"), "its indicators are shown");
    // A new family published through the form is listed afterwards.
    let mut i = amparo_core::usecases::instruments::builtin_instrument().unwrap();
    let mut seen = std::collections::HashSet::new();
    i.indicators.retain(|x| seen.insert(x.set.clone()));
    i.family = "prueba-regional".into();
    submit(&admin, "/instruments", &[("body", &serde_json::to_string(&i).unwrap())]).await;
    let list = admin.get("/instruments").await.text().await.unwrap();
    assert!(list.contains("prueba-regional"), "the published family is listed");
    // Nobody else may publish.
    let (coord, _) = login(&t, "coordinadora@demo.amparo.pe", DEMO_PW).await;
    i.family = "no-autorizada".into();
    assert_eq!(coord.post("/instruments", &[("body", &serde_json::to_string(&i).unwrap())]).await.status(), 403);
    assert!(!admin.get("/instruments").await.text().await.unwrap().contains("no-autorizada"));
}

#[tokio::test]
async fn the_referral_gap_notifications_alerts_and_prevention_screens_show_what_is_recorded() {
    let t = demo().await;
    // The referral gap page lists the persons the API lists.
    let ctok = token(&t, "coordinadora@demo.amparo.pe").await;
    let (coord, _) = login(&t, "coordinadora@demo.amparo.pe", DEMO_PW).await;
    let (status, gap) = call(&t, &ctok, "GET", "/api/v1/referral-gap?days=7", Value::Null).await;
    assert_eq!(status, 200, "{gap}");
    let rows = gap["items"].as_array().unwrap();
    assert!(!rows.is_empty(), "the demo has identified victims waiting for a referral");
    let page = coord.get("/referral-gap?days=7").await.text().await.unwrap();
    for r in rows {
        assert!(page.contains(r["person_code"].as_str().unwrap()), "the page lists {}", r["person_code"]);
    }

    // Prevention: recorded from the form, on the page and in the API.
    submit(
        &coord,
        "/prevention",
        &[
            ("kind", "training"),
            ("title", "Taller para fiscales de Puno"),
            ("date", "2026-05-01"),
            ("place", "PE-21"),
            ("audience", "prosecutors"),
            ("people", "25"),
        ],
    )
    .await;
    assert!(coord.get("/prevention").await.text().await.unwrap().contains("Taller para fiscales de Puno"));
    let (_, prev) = call(&t, &ctok, "GET", "/api/v1/prevention", Value::Null).await;
    assert!(prev.to_string().contains("Taller para fiscales de Puno"), "{prev}");

    // Notifications: the shelter's unread ones are read after "mark read", none lost.
    let (shelter, _) = login(&t, "albergue@demo.amparo.pe", DEMO_PW).await;
    let before = shelter.get("/notifications").await.text().await.unwrap();
    let unread = before.matches("class=\"unread\"").count();
    let total = before.matches("<li").count();
    assert!(unread > 0, "the demo's referrals notified the shelter");
    assert_eq!(redirected(&shelter.post("/notifications/read", &[]).await), "/notifications");
    let after = shelter.get("/notifications").await.text().await.unwrap();
    assert_eq!((after.matches("class=\"unread\"").count(), after.matches("<li").count()), (0, total));

    // Alerts: one decided from the alerts page's form is decided in the API.
    let itok = token(&t, "investigador@demo.amparo.pe").await;
    let (inv, _) = login(&t, "investigador@demo.amparo.pe", DEMO_PW).await;
    let (_, alerts) = call(&t, &itok, "GET", "/api/v1/alerts", Value::Null).await;
    let open = alerts["items"].as_array().unwrap().iter().find(|a| a["status"] == "open").expect("the demo has an open alert").clone();
    let aid = open["id"].as_str().unwrap();
    assert!(inv.get("/alerts").await.text().await.unwrap().contains(aid), "the page offers it");
    submit(&inv, &format!("/alerts/{aid}"), &[("decision", "not_same"), ("version", &open["version"].to_string())]).await;
    let (_, alerts) = call(&t, &itok, "GET", "/api/v1/alerts", Value::Null).await;
    let now = alerts["items"].as_array().unwrap().iter().find(|a| a["id"] == open["id"]).map(|a| a["status"].clone());
    assert_eq!(now, Some(Value::from("not_same")), "decided: {alerts}");
}

#[tokio::test]
async fn a_person_edited_a_screening_read_a_share_asked_and_an_organisation_shown_from_their_pages() {
    let t = demo().await;
    let (inv, _) = login(&t, "investigador@demo.amparo.pe", DEMO_PW).await;
    let itok = token(&t, "investigador@demo.amparo.pe").await;
    // A person edited through the form: the change is what the API reads back.
    let (_, p) = call(&t, &itok, "POST", "/api/v1/persons", serde_json::json!({ "role": "witness", "aliases": "La Flaca" })).await;
    let pid = p["id"].as_str().unwrap().to_owned();
    submit(
        &inv,
        &format!("/persons/{pid}"),
        &[("role", "possible_victim"), ("aliases", "La Flaca de Belén"), ("approx_age", "17"), ("version", &p["version"].to_string())],
    )
    .await;
    let (_, back) = call(&t, &itok, "GET", &format!("/api/v1/persons/{pid}"), Value::Null).await;
    assert_eq!((back["role"].as_str(), back["approx_age"].as_i64()), (Some("possible_victim"), Some(17)), "{back}");
    // A screening saved through the form, then read on its own page with its indicators.
    submit(
        &inv,
        &format!("/persons/{pid}/screenings"),
        &[("set", "child_sexual"), ("indicators", "d1.deceived_nature_job"), ("status", "draft")],
    )
    .await;
    let (_, file) = call(&t, &itok, "GET", &format!("/api/v1/persons/{pid}/file"), Value::Null).await;
    let sid = file["screenings"][0]["id"].as_str().expect("the screening is on the file").to_owned();
    let page = inv.get(&format!("/screenings/{sid}")).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("d1.deceived_nature_job") && page.contains("checked"), "the recorded indicator is ticked");

    // The prosecutor asks for a case by its reference from the cases page; the owner sees the request.
    let (_, c) = call(
        &t,
        &itok,
        "POST",
        "/api/v1/cases",
        serde_json::json!({ "title": "Hospedaje en Belén", "exploitation": "isSexualExploit", "place": "PE-16" }),
    )
    .await;
    let (fis, _) = login(&t, "fiscal@demo.amparo.pe", DEMO_PW).await;
    // The cases page answers in place (it does not say whether the reference exists).
    let r = fis
        .post(
            "/share-requests",
            &[("reference", c["reference"].as_str().unwrap()), ("purpose", "Evaluar la denuncia"), ("until", "2027-03-31")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let got = case_json(&t, &itok, c["id"].as_str().unwrap()).await;
    let req = got["shares"].as_array().unwrap().iter().find(|s| s["status"] == "requested").expect("the request is on the case").clone();
    assert!(req.to_string().contains("Evaluar la denuncia"), "{req}");

    // The organisation's own page names it, its place and its parent.
    let (admin, _) = login(&t, "admin-loreto@demo.amparo.pe", DEMO_PW).await;
    let me = call(&t, &itok, "GET", "/api/v1/me", Value::Null).await.1;
    let org = me["org_id"].as_str().unwrap();
    let page = admin.get(&format!("/orgs/{org}")).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    let (_, o) = call(&t, &itok, "GET", &format!("/api/v1/organisations/{org}"), Value::Null).await;
    assert!(page.contains(o["name"].as_str().unwrap()), "the page names the organisation");
    assert!(page.contains("Loreto"), "its place by name");
}
