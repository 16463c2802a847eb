//! Record linkage in the product: the job finds the same victim recorded by the police and by
//! a shelter; only an organisation that may see both records sees identities and decides;
//! a confirmed link makes statistics count the person once, and undoing it counts them twice.

use crate::helpers::*;
use amparo_core::Ctx;
use amparo_core::store::{AuditFilter, RecordTable, RowFilter, ports::*};
use amparo_demo::DemoExt;
use serde_json::{Value, json};

async fn identified_2008(t: &TestApp, tok: &str) -> (i64, i64) {
    let (status, n) = call(t, tok, "GET", "/api/v1/statistics/victims-identified?year=2008", Value::Null).await;
    assert_eq!(status, 200, "{n}");
    (n["persons"].as_i64().unwrap(), n["records"].as_i64().unwrap())
}

async fn record_victim(t: &TestApp, tok: &str, given: &str, first: &str, second: &str) -> String {
    let (status, p) = call(
        t,
        tok,
        "POST",
        "/api/v1/persons",
        json!({ "role": "victim", "sex": "female", "approx_age": "19", "given_names": given, "first_surname": first,
                "second_surname": second, "birth_date": "1989-03-14", "nationality": "PE" }),
    )
    .await;
    assert_eq!(status, 201, "{p}");
    let pid = p["id"].as_str().unwrap().to_owned();
    let (status, d) = call(
        t,
        tok,
        "POST",
        &format!("/api/v1/persons/{pid}/decisions"),
        json!({ "status": "ActualVictim", "decided_on": "2008-06-02", "basis": "Declaración" }),
    )
    .await;
    assert_eq!(status, 201, "{d}");
    pid
}

#[tokio::test]
async fn a_confirmed_link_counts_the_victim_once_and_only_those_who_see_both_decide() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let police = token(&t, "investigador@demo.amparo.pe").await;
    let shelter = token(&t, "albergue@demo.amparo.pe").await;
    let coordinator = token(&t, "coordinadora@demo.amparo.pe").await;
    let ngo = token(&t, "trabajadora-social@demo.amparo.pe").await;
    let before = identified_2008(&t, &coordinator).await;

    // The police identify Rosa and refer her to the shelter, which registers her on arrival
    // with its own spelling and decides too: two records, one person.
    let rosa = record_victim(&t, &police, "Rosa Elena", "Quispe", "Mamani").await;
    let (_, services) = call(&t, &police, "GET", "/api/v1/services?kind=shelter", Value::Null).await;
    let car = services["items"].as_array().unwrap().iter().find(|s| s["name"] == "CAR Señor de los Milagros").unwrap()["id"].clone();
    let (status, r) = call(
        &t,
        &police,
        "POST",
        &format!("/api/v1/persons/{rosa}/referrals"),
        json!({ "service_id": car, "consent_by": "person", "consent_method": "written" }),
    )
    .await;
    assert_eq!(status, 201, "{r}");
    let roza = record_victim(&t, &shelter, "Elena Roza", "Quispe", "Mamany").await;
    let two = identified_2008(&t, &coordinator).await;
    assert_eq!(two, (before.0 + 2, before.1 + 2), "without a link, two records are two victims");

    // Only coordinators and system admins run linkage on demand.
    let (status, _) = call(&t, &police, "POST", "/api/v1/linkage/run", Value::Null).await;
    assert_eq!(status, 403);
    let (status, run) = call(&t, &coordinator, "POST", "/api/v1/linkage/run", Value::Null).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["mode"], "full");
    assert!(run["pairs_compared"].as_i64().unwrap() > 0, "{run}");

    let pair_of = |list: &Value| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| {
                let ids = [m["left"]["person_id"].as_str().unwrap_or(""), m["right"]["person_id"].as_str().unwrap_or("")];
                ids.contains(&rosa.as_str()) || ids.contains(&roza.as_str())
            })
            .cloned()
    };
    // The shelter sees both records (its own, and Rosa through the referral): it decides.
    let (_, queue) = call(&t, &shelter, "GET", "/api/v1/matches", Value::Null).await;
    let m = pair_of(&queue).unwrap_or_else(|| panic!("the pair is in the shelter's queue: {queue}"));
    assert_eq!(m["can_decide"], true);
    assert!(m["probability"].as_f64().unwrap() > 0.9, "{m}");
    let id = m["id"].as_str().unwrap().to_owned();
    let (status, plain) = call(&t, &shelter, "GET", &format!("/api/v1/matches/{id}"), Value::Null).await;
    assert_eq!(status, 200);
    assert!(plain["left"]["identity"].is_null(), "identities only for a stated purpose: {plain}");
    let (status, body) = call(&t, &shelter, "POST", &format!("/api/v1/matches/{id}/reveal"), json!({ "purpose": "ver" })).await;
    assert_eq!((status, body["fields"][0]["field"].as_str()), (422, Some("purpose")));
    let (status, side) =
        call(&t, &shelter, "POST", &format!("/api/v1/matches/{id}/reveal"), json!({ "purpose": "Revisar si es la misma persona" })).await;
    assert_eq!(status, 200, "{side}");
    let names: Vec<&str> = [&side["left"], &side["right"]].iter().map(|s| s["identity"]["given_names"].as_str().unwrap()).collect();
    assert!(names.contains(&"Rosa Elena") && names.contains(&"Elena Roza"), "side by side: {side}");
    assert!(side["contributions"].as_array().unwrap().iter().any(|c| c["field"] == "birth" && c["weight"].as_f64().unwrap() > 0.0));

    // The new cross-organisation candidate also raised the cross-agency alert on both sides.
    for tok in [&police, &shelter] {
        let (_, alerts) = call(&t, tok, "GET", "/api/v1/alerts", Value::Null).await;
        assert!(
            alerts["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["basis"] == "record_linkage" && (a["person_id"] == rosa.as_str() || a["person_id"] == roza.as_str())),
            "{alerts}"
        );
    }

    // The police see their side only: who to contact, no identity, no explanation.
    let (_, queue) = call(&t, &police, "GET", "/api/v1/matches", Value::Null).await;
    let theirs = pair_of(&queue).unwrap_or_else(|| panic!("the pair is in the police queue: {queue}"));
    assert_eq!(theirs["can_decide"], false);
    assert!(theirs["review_by"][0].as_str().unwrap().contains("Centro de Acogida"), "{theirs}");
    let (status, view) = call(&t, &police, "GET", &format!("/api/v1/matches/{id}"), Value::Null).await;
    assert_eq!(status, 200);
    assert!(view["left"]["identity"].is_null() && view["right"]["identity"].is_null(), "{view}");
    assert_eq!(view["contributions"], json!([]));
    assert!(view["probability"].is_null(), "no score to probe the other record with: {view}");
    let hidden = if view["left"]["visible"] == true { &view["right"] } else { &view["left"] };
    assert_eq!((hidden["person_id"].as_str(), hidden["code"].as_str(), hidden["role"].as_str()), (Some(""), Some(""), Some("")));
    let (status, _) =
        call(&t, &police, "POST", &format!("/api/v1/matches/{id}/reveal"), json!({ "purpose": "Revisar si es la misma persona" })).await;
    assert_eq!(status, 403, "no identities for one side");
    let (status, _) =
        call(&t, &police, "POST", &format!("/api/v1/matches/{id}/decision"), json!({ "decision": "confirm", "version": 1 })).await;
    assert_eq!(status, 403, "deciding needs both records");
    // An organisation with neither record learns nothing, not even that the pair exists.
    let (status, _) = call(&t, &ngo, "GET", &format!("/api/v1/matches/{id}"), Value::Null).await;
    assert_eq!(status, 403);

    // Confirmed: counted once. Both records stay as they were.
    let (status, linked) =
        call(&t, &shelter, "POST", &format!("/api/v1/matches/{id}/decision"), json!({ "decision": "confirm", "version": 1 })).await;
    assert_eq!((status, linked["status"].as_str()), (200, Some("linked")), "{linked}");
    assert_eq!(identified_2008(&t, &coordinator).await, (before.0 + 1, before.1 + 2));
    let (status, _) =
        call(&t, &shelter, "POST", &format!("/api/v1/matches/{id}/decision"), json!({ "decision": "confirm", "version": 1 })).await;
    assert_eq!(status, 409, "a stale version is refused");

    // Undoing a link needs a reason; then the two records count twice again.
    let (status, body) =
        call(&t, &shelter, "POST", &format!("/api/v1/matches/{id}/decision"), json!({ "decision": "unlink", "version": 2 })).await;
    assert_eq!((status, body["fields"][0]["field"].as_str()), (422, Some("reason")));
    let (status, undone) = call(
        &t,
        &shelter,
        "POST",
        &format!("/api/v1/matches/{id}/decision"),
        json!({ "decision": "unlink", "reason": "Hermanas, no la misma persona", "version": 2 }),
    )
    .await;
    assert_eq!((status, undone["status"].as_str()), (200, Some("unlinked")), "{undone}");
    let (_, view) = call(&t, &shelter, "GET", &format!("/api/v1/matches/{id}"), Value::Null).await;
    assert_eq!(view["decisions"].as_array().unwrap().len(), 2, "both decisions kept: {view}");
    assert_eq!(view["decisions"][1]["reason"], "Hermanas, no la misma persona");
    let (_, theirs) = call(&t, &police, "GET", &format!("/api/v1/matches/{id}"), Value::Null).await;
    assert_eq!(theirs["decisions"], json!([]), "another organisation's reasons are not shown: {theirs}");
    assert_eq!(identified_2008(&t, &coordinator).await, two);

    // A later run leaves the people's decision alone.
    let (status, _) = call(&t, &coordinator, "POST", "/api/v1/linkage/run", Value::Null).await;
    assert_eq!(status, 200);
    let (_, view) = call(&t, &shelter, "GET", &format!("/api/v1/matches/{id}"), Value::Null).await;
    assert_eq!(view["status"], "unlinked");

    // Every decision and every look at identities is in the audit trail.
    let trail = t.store.audit_page(&AuditFilter { limit: 2000, ..Default::default() }).await.unwrap();
    let count = |a: &str| trail.iter().filter(|e| e.event.action == a && e.event.record_id == id && e.event.outcome == "ok").count();
    assert_eq!(count("decide_match"), 2);
    let revealed: Vec<&str> = trail
        .iter()
        .filter(|e| e.event.action == "reveal_person" && e.event.purpose == "Revisar si es la misma persona")
        .map(|e| e.event.record_id.as_str())
        .collect();
    assert!(revealed.contains(&rosa.as_str()) && revealed.contains(&roza.as_str()), "one reveal per person, with the purpose");
    assert!(
        trail.iter().any(|e| e.event.action == "decide_match" && e.event.outcome == "denied"),
        "the police's attempt is recorded as refused"
    );
    let runs = |a: &str| trail.iter().filter(|e| e.event.action == a && e.event.actor != "system").count();
    assert_eq!((runs("link_persons_start"), runs("link_persons")), (2, 2), "each on-demand run is audited before and after");
}

#[tokio::test]
async fn the_background_step_links_only_new_records_after_a_full_run() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    // load_demo ran the first (full) step; nothing changed since, so nothing runs.
    assert!(t.app.linkage().linkage_tick().await.unwrap().is_none());
    let police = token(&t, "investigador@demo.amparo.pe").await;
    t.clock.advance(5);
    // Like most victims: no document, no birthday, an approximate age.
    let (status, p) = call(
        &t,
        &police,
        "POST",
        "/api/v1/persons",
        json!({ "role": "victim", "sex": "female", "approx_age": "22", "given_names": "Wendy", "first_surname": "Mamani", "nationality": "BO" }),
    )
    .await;
    assert_eq!(status, 201, "{p}");
    let s = t.app.linkage().linkage_tick().await.unwrap().expect("a new person triggers a step");
    // A small installation runs with the reference model and relinks everyone each time
    // until EM has enough pairs to learn from; nothing changed → nothing runs.
    assert_eq!((s.mode, s.model), ("full", "reference"));
    assert!(t.app.linkage().linkage_tick().await.unwrap().is_none());
    assert!(s.persons > 1);
    assert!(s.candidates >= 1, "the demo's Wendy (police) and Wendi (hotline) are close: {s:?}");
}

/// A pair neither of whose records the shelter owns, but both of which were referred to it:
/// the shelter sees both, so the pair is in its queue and it decides.
#[tokio::test]
async fn an_organisation_both_records_were_referred_to_reviews_the_pair() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let police = token(&t, "investigador@demo.amparo.pe").await;
    let ngo = token(&t, "trabajadora-social@demo.amparo.pe").await;
    let shelter = token(&t, "albergue@demo.amparo.pe").await;
    let coordinator = token(&t, "coordinadora@demo.amparo.pe").await;
    let a = record_victim(&t, &police, "Ana Sofía", "Ccori", "Huillca").await;
    let b = record_victim(&t, &ngo, "Sofía Ana", "Ccori", "Huillca").await;
    let (_, services) = call(&t, &police, "GET", "/api/v1/services?kind=shelter", Value::Null).await;
    let car = services["items"].as_array().unwrap().iter().find(|s| s["name"] == "CAR Señor de los Milagros").unwrap()["id"].clone();
    for (tok, pid) in [(&police, &a), (&ngo, &b)] {
        let (status, r) = call(
            &t,
            tok,
            "POST",
            &format!("/api/v1/persons/{pid}/referrals"),
            json!({ "service_id": car, "consent_by": "person", "consent_method": "written" }),
        )
        .await;
        assert_eq!(status, 201, "{r}");
    }
    let (status, _) = call(&t, &coordinator, "POST", "/api/v1/linkage/run", Value::Null).await;
    assert_eq!(status, 200);
    let (_, queue) = call(&t, &shelter, "GET", "/api/v1/matches", Value::Null).await;
    let pair = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| {
            let ids = [m["left"]["person_id"].as_str().unwrap_or(""), m["right"]["person_id"].as_str().unwrap_or("")];
            ids.contains(&a.as_str()) && ids.contains(&b.as_str())
        })
        .cloned()
        .unwrap_or_else(|| panic!("the police/NGO pair is in the shelter's queue: {queue}"));
    assert_eq!(pair["can_decide"], true, "{pair}");
}

/// Give a victim recorded by `record_victim` other names (the rest of the record unchanged).
async fn rename_victim(t: &TestApp, tok: &str, pid: &str, given: &str, first: &str, second: &str) {
    let (_, cur) = call(t, tok, "GET", &format!("/api/v1/persons/{pid}"), Value::Null).await;
    let (status, body) = call(
        t,
        tok,
        "PUT",
        &format!("/api/v1/persons/{pid}"),
        json!({ "role": "victim", "sex": "female", "approx_age": "19", "given_names": given, "first_surname": first,
                "second_surname": second, "birth_date": "1989-03-14", "nationality": "PE", "version": cur["version"].to_string() }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// Once EM has learnt from the installation's own pairs, a step links only what changed,
/// from the table the job keeps between runs: an edited person takes their new name there,
/// and is paired with the person they now resemble.
#[tokio::test]
async fn after_learning_a_step_relinks_an_edited_person_from_the_kept_table() {
    let t = spawn_app().await;
    let sys = Ctx::system("t");
    t.app.demo().load_demo(&sys).await.unwrap();
    t.app.demo().generate_dataset(&sys, 800, 5, &|_| {}).await.unwrap();
    let police = token(&t, "investigador@demo.amparo.pe").await;
    let a = record_victim(&t, &police, "Teodora", "Ccahuana", "Quenta").await;
    let b = record_victim(&t, &police, "Eulalia", "Villanueva", "Puma").await;
    t.clock.advance(5);
    let full = t.app.linkage().linkage_tick().await.unwrap().expect("new persons: a step");
    assert_eq!((full.mode, full.model), ("full", "em"), "enough pairs to learn from: {full:?}");
    let pair_of_a_and_b = |rows: &[amparo_core::store::RecordRow]| {
        let (l, r) = if a < b { (&a, &b) } else { (&b, &a) };
        rows.iter().any(|m| m.subject_id.as_ref() == Some(l) && m.lookup.as_ref() == Some(r) && m.status == "pending")
    };
    let rows = t.store.find_rows(RecordTable::PersonMatches, &RowFilter::default()).await.unwrap();
    assert!(!pair_of_a_and_b(&rows), "Teodora and Eulalia are not alike");
    assert!(t.app.linkage().linkage_tick().await.unwrap().is_none(), "nothing changed");

    // The police correct Eulalia's record: she is Teodora, written with a typo.
    t.clock.advance(5);
    rename_victim(&t, &police, &b, "Teodra", "Ccahuana", "Quenta").await;
    let step = t.app.linkage().linkage_tick().await.unwrap().expect("an edited person: a step");
    assert_eq!(
        (step.mode, step.focus, step.persons),
        ("incremental", 1, full.persons),
        "only the edited person is linked, no one is added"
    );
    let rows = t.store.find_rows(RecordTable::PersonMatches, &RowFilter::default()).await.unwrap();
    assert!(pair_of_a_and_b(&rows), "the kept table holds her new name: {step:?}");

    // The correction was wrong and is undone: the pending pair no longer scores, and is
    // withdrawn (kept, with its history, not deleted).
    t.clock.advance(5);
    rename_victim(&t, &police, &b, "Eulalia", "Villanueva", "Puma").await;
    let undone = t.app.linkage().linkage_tick().await.unwrap().expect("an edited person: a step");
    assert_eq!(undone.withdrawn, 1, "{undone:?}");
    let rows = t.store.find_rows(RecordTable::PersonMatches, &RowFilter::default()).await.unwrap();
    assert!(!pair_of_a_and_b(&rows));
    let (l, r) = if a < b { (&a, &b) } else { (&b, &a) };
    let row = rows.iter().find(|m| m.subject_id.as_ref() == Some(l) && m.lookup.as_ref() == Some(r)).expect("the pair is kept");
    assert_eq!((row.status.as_str(), row.version), ("withdrawn", 2));
}

/// "Run linkage now" in the browser: the run goes on in the background, the queue page
/// follows it (its panel is polled until the run is done, then htmx reloads the page), and
/// then shows what the run found, in the coordinator's language.
#[tokio::test]
async fn running_linkage_from_the_queue_page_shows_what_the_run_found() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let (b, _) = login(&t, "coordinadora@demo.amparo.pe", DEMO_PW).await;
    let resp = b.post("/matches/run", &[]).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers().get("location").and_then(|v| v.to_str().ok()), Some("/matches"));
    // The panel says the run is under way until it is done; then it asks for a reload.
    let mut polls = 0;
    loop {
        let panel = b.get("/matches/run-status").await;
        assert_eq!(panel.status(), 200);
        let done = panel.headers().get("hx-refresh").is_some();
        let body = panel.text().await.unwrap();
        if done {
            assert!(!body.contains("hx-trigger"), "a finished run's panel stops polling: {body}");
            break;
        }
        assert!(body.contains("Vinculación en curso") && body.contains("hx-trigger=\"every 3s\""), "{body}");
        polls += 1;
        assert!(polls < 600, "the run did not finish in a minute");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let page = b.get("/matches").await.text().await.unwrap();
    let summary = page.split("id=\"run-summary\">").nth(1).and_then(|s| s.split("</p>").next()).unwrap_or_default();
    assert!(summary.contains("Vinculación ejecutada") && summary.contains("pares comparados"), "no run summary on the page: {page}");
    assert!(page.contains("action=\"/matches/run\""), "the button is back once the run is done");

    // A system admin runs linkage too, and sees the run panel but no persons' pairs.
    let (admin, _) = login(&t, "admin@demo.amparo.pe", DEMO_PW).await;
    let page = admin.get("/matches").await.text().await.unwrap();
    assert!(page.contains("id=\"run-summary\"") && !page.contains("id=\"matches\""), "{page}");
}

/// Two coordinators asking at once get one run, and both get its figures; the run is the
/// server's, not the request's.
#[tokio::test]
async fn two_requests_for_a_run_share_one_run() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let coordinator = token(&t, "coordinadora@demo.amparo.pe").await;
    let (a, b) = tokio::join!(
        call(&t, &coordinator, "POST", "/api/v1/linkage/run", Value::Null),
        call(&t, &coordinator, "POST", "/api/v1/linkage/run", Value::Null)
    );
    assert_eq!((a.0, b.0), (200, 200), "{} {}", a.1, b.1);
    assert_eq!(a.1, b.1, "the same run's figures");
    let trail = t.store.audit_page(&AuditFilter { limit: 2000, ..Default::default() }).await.unwrap();
    let runs = |a: &str| trail.iter().filter(|e| e.event.action == a && e.event.actor != "system").count();
    assert_eq!((runs("link_persons_start"), runs("link_persons")), (1, 1), "one run, audited before and after");
    let (status, s) = call(&t, &coordinator, "GET", "/api/v1/linkage/status", Value::Null).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!((s["running_since"].clone(), s["finished_runs"].as_i64()), (Value::Null, Some(1)), "{s}");
    assert_eq!(s["last"]["summary"], a.1, "{s}");
}

/// Runs of the linkage job so far (each is audited before it reads anyone).
async fn link_runs(t: &TestApp) -> usize {
    let trail = t.store.audit_page(&AuditFilter { limit: 5000, ..Default::default() }).await.unwrap();
    trail.iter().filter(|e| e.event.action == "link_persons_start").count()
}

/// Several servers on one database link one at a time (a job lease): while another server
/// holds it, this one's job step waits for its next tick, and "Run linkage now" waits for
/// the other run to end, showing itself under way meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_server_links_at_a_time() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let now = t.app.now();
    assert!(t.store.lease("linkage", "another-server", now, now + 600).await.unwrap());
    t.clock.advance(5);
    let police = token(&t, "investigador@demo.amparo.pe").await;
    record_victim(&t, &police, "Wendy", "Mamani", "Quispe").await;
    let before = link_runs(&t).await;
    assert!(t.app.linkage().linkage_tick().await.unwrap().is_none(), "a step is due, but another server is linking");
    assert_eq!(link_runs(&t).await, before, "nothing was read or linked");

    let coordinator = token(&t, "coordinadora@demo.amparo.pe").await;
    let meanwhile = async {
        // Poll until the run is under way (it is then waiting for the other server's lease),
        // rather than sleeping and hoping it has started.
        let mut s = Value::Null;
        for _ in 0..200 {
            let (status, now) = call(&t, &coordinator, "GET", "/api/v1/linkage/status", Value::Null).await;
            assert_eq!(status, 200, "{now}");
            s = now;
            if s["running_since"].is_i64() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(s["running_since"].is_i64() && s["finished_runs"] == 0, "under way, waiting for the other server: {s}");
        assert_eq!(link_runs(&t).await, before, "and reading no one meanwhile");
        t.store.release_lease("linkage", "another-server").await.unwrap();
    };
    let ((status, s), ()) = tokio::join!(call(&t, &coordinator, "POST", "/api/v1/linkage/run", Value::Null), meanwhile);
    assert_eq!(status, 200, "the run goes ahead once the other server is done: {s}");
    assert!(s["persons"].as_i64().unwrap() > 1, "{s}");
    assert_eq!(link_runs(&t).await, before + 1, "one run");
    let now = t.app.now();
    assert!(t.store.lease("linkage", "another-server", now, now + 600).await.unwrap(), "the run gave the lease up");
}

/// Pair ids on a queue page, in order, with the probability shown.
fn queue_rows(page: &str) -> Vec<(String, String)> {
    page.split("<tr data-status=")
        .skip(1)
        .map(|row| {
            let pct = row.split("<td>").nth(1).and_then(|s| s.split("</td>").next()).unwrap_or_default().to_owned();
            let id = row.split("href=\"/matches/").nth(1).and_then(|s| s.split('"').next()).unwrap_or_default().to_owned();
            (id, pct)
        })
        .collect()
}

/// A unit's queue can hold hundreds of pairs: it comes 50 at a time, most probable first
/// across pages, and a page past the end (the queue shrank) says so and links to the first.
#[tokio::test]
async fn the_review_queue_comes_a_page_at_a_time() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let police = token(&t, "investigador@demo.amparo.pe").await;
    // Twelve records of one woman in one unit: 66 pairs, all for the unit to review.
    for _ in 0..12 {
        record_victim(&t, &police, "María", "Quispe", "Huamán").await;
    }
    t.clock.advance(5);
    t.app.linkage().linkage_tick().await.unwrap().expect("new persons: a step");
    let total = all_pages(&t.base, &police, "/api/v1/matches").await.len();
    assert!(total > 66, "{total}");

    let (b, _) = login(&t, "investigador@demo.amparo.pe", DEMO_PW).await;
    let one = b.get("/matches").await.text().await.unwrap();
    let first = queue_rows(&one);
    assert_eq!(first.len(), 50, "one page");
    assert!(one.contains(&format!("Pares 1–50 de {total}")), "{one}");
    assert!(one.contains("href=\"/matches?page=2\"") && !one.contains("id=\"queue-prev\""), "{one}");
    let two = b.get("/matches?page=2").await.text().await.unwrap();
    let second = queue_rows(&two);
    assert_eq!(second.len(), total - 50);
    assert!(two.contains(&format!("Pares 51–{total} de {total}")) && two.contains("href=\"/matches?page=1\""), "{two}");
    // Pairs the unit decides have a review link; no pair shows on both pages.
    let mut linked: Vec<&String> = first.iter().chain(&second).map(|(id, _)| id).filter(|id| !id.is_empty()).collect();
    let n = linked.len();
    assert!(n >= 66, "{n}");
    linked.sort();
    linked.dedup();
    assert_eq!(linked.len(), n, "every pair once across the pages");
    let pct = |p: &str| p.trim_end_matches(" %").parse::<u32>().unwrap_or_else(|_| panic!("not a percentage: {p:?}"));
    assert!(pct(&first[49].1) >= pct(&second[0].1), "most probable first across pages: {:?} {:?}", first[49], second[0]);

    let past = b.get("/matches?page=9").await.text().await.unwrap();
    assert!(past.contains("ya no tiene pares") && past.contains("<a href=\"/matches\">Ir a la primera página</a>"), "{past}");
    let huge = b.get(&format!("/matches?page={}", usize::MAX)).await;
    assert_eq!(huge.status(), 200, "a page number at the edge of the integers is a page past the end");
    assert!(huge.text().await.unwrap().contains("ya no tiene pares"));
    let odd = b.get("/matches?page=zz").await;
    assert_eq!(odd.status(), 200, "an unreadable page number is the first page");
    assert_eq!(queue_rows(&odd.text().await.unwrap()), first);
}
