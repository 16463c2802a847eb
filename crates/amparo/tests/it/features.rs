//! API features that had no test of their behaviour: users (list, read, update), the audit
//! trail over the API, assistance, a screening by id, the services directory, referrals,
//! case events, answering a share request, statutes, prevention, countries and areas. Each
//! test reads back what it changed.

use crate::helpers::*;
use amparo_core::Ctx;
use amparo_core::store::ports::*;
use amparo_demo::DemoExt;
use serde_json::{Value, json};

async fn demo_app() -> (TestApp, String) {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let inv = token(&t, "investigador@demo.amparo.pe").await;
    (t, inv)
}

#[tokio::test]
async fn users_are_listed_read_and_updated_within_the_admins_reach() {
    let (t, _) = demo_app().await;
    let admin = token(&t, "admin-loreto@demo.amparo.pe").await;
    let (status, list) = call(&t, &admin, "GET", "/api/v1/users", Value::Null).await;
    assert_eq!(status, 200);
    let emails: Vec<&str> = list["items"].as_array().unwrap().iter().filter_map(|u| u["email"].as_str()).collect();
    assert!(emails.contains(&"investigador@demo.amparo.pe"), "her unit's investigator: {emails:?}");
    assert!(!emails.contains(&"fiscal@demo.amparo.pe"), "not another organisation's staff");
    let inv = list["items"].as_array().unwrap().iter().find(|u| u["email"] == "investigador@demo.amparo.pe").unwrap().clone();
    let id = inv["id"].as_str().unwrap();
    let (status, one) = call(&t, &admin, "GET", &format!("/api/v1/users/{id}"), Value::Null).await;
    assert_eq!((status, &one["email"]), (200, &inv["email"]));
    let upd = json!({ "display_name": "Investigador Iquitos", "roles": ["investigator"], "locale": "en", "version": one["version"] });
    let (status, saved) = call(&t, &admin, "PUT", &format!("/api/v1/users/{id}"), upd).await;
    assert_eq!(status, 200, "{saved}");
    let (_, again) = call(&t, &admin, "GET", &format!("/api/v1/users/{id}"), Value::Null).await;
    assert_eq!((again["display_name"].as_str(), again["locale"].as_str()), (Some("Investigador Iquitos"), Some("en")));
    let fiscal = t.store.find_user_by_email("fiscal@demo.amparo.pe").await.unwrap().unwrap().user;
    assert_eq!(call(&t, &admin, "GET", &format!("/api/v1/users/{}", fiscal.id), Value::Null).await.0, 403);
}

#[tokio::test]
async fn the_audit_trail_over_the_api_filters_and_is_itself_audited() {
    let (t, inv) = demo_app().await;
    assert_eq!(call(&t, &inv, "GET", "/api/v1/persons", Value::Null).await.0, 200);
    let admin = token(&t, "admin@demo.amparo.pe").await;
    let (status, page) = call(&t, &admin, "GET", "/api/v1/audit?action=list_persons&limit=5", Value::Null).await;
    assert_eq!(status, 200, "{page}");
    let rows = page.as_array().unwrap();
    assert!(!rows.is_empty() && rows.len() <= 5);
    assert!(rows.iter().all(|e| e["event"]["action"] == "list_persons" || e["action"] == "list_persons"), "{page}");
    let (_, reads) = call(&t, &admin, "GET", "/api/v1/audit?action=read_audit&limit=5", Value::Null).await;
    assert!(!reads.as_array().unwrap().is_empty(), "reading the trail is on the trail");
    assert_eq!(call(&t, &inv, "GET", "/api/v1/audit", Value::Null).await.0, 403, "an investigator may not read it");
}

#[tokio::test]
async fn services_are_created_read_and_listed_without_a_shelters_address() {
    let (t, _) = demo_app().await;
    let sys = token(&t, "admin@demo.amparo.pe").await;
    let body = json!({ "name": "Casa Refugio Amazonía", "kind": "shelter", "specialisations": ["adult_women"], "region": "PE-16", "capacity": "12", "contact_protocol": "Llamar a la coordinadora de turno", "address": "Jr. Secreto 123, Iquitos" });
    let (status, s) = call(&t, &sys, "POST", "/api/v1/services", body).await;
    assert_eq!(status, 201, "{s}");
    let (status, mine) = call(&t, &sys, "GET", &format!("/api/v1/services/{}", s["id"].as_str().unwrap()), Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!((mine["name"].as_str(), mine["capacity"].as_i64()), (Some("Casa Refugio Amazonía"), Some(12)), "{mine}");
    let (status, list) = call(&t, &sys, "GET", "/api/v1/services?kind=shelter", Value::Null).await;
    assert_eq!(status, 200);
    assert!(list["items"].as_array().unwrap().iter().all(|x| x["kind"] == "shelter"), "the filter by kind");
    assert!(!list.to_string().contains("Jr. Secreto"), "no shelter's address in the directory");
    let any = list["items"].as_array().unwrap().first().unwrap();
    let (status, one) = call(&t, &sys, "GET", &format!("/api/v1/services/{}", any["id"].as_str().unwrap()), Value::Null).await;
    assert_eq!((status, &one["id"]), (200, &any["id"]));
}

#[tokio::test]
async fn assistance_a_screening_by_id_and_referrals_are_read_back() {
    let (t, inv) = demo_app().await;
    let (_, p) = call(&t, &inv, "POST", "/api/v1/persons", json!({ "role": "victim", "aliases": "Asistida", "approx_age": "30" })).await;
    let pid = p["id"].as_str().unwrap();
    let body =
        json!({ "kind": "participation", "detail": "statement_given", "started_on": "2026-09-01", "notes": "Declaró ante la fiscalía" });
    let (status, a) = call(&t, &inv, "POST", &format!("/api/v1/persons/{pid}/assistance"), body).await;
    assert_eq!(status, 201, "{a}");
    let mismatch = json!({ "kind": "participation", "detail": "shelter", "started_on": "2026-09-01" });
    let (status, e) = call(&t, &inv, "POST", &format!("/api/v1/persons/{pid}/assistance"), mismatch).await;
    assert_eq!(status, 422, "a detail of another type: {e}");
    let (_, file) = call(&t, &inv, "GET", &format!("/api/v1/persons/{pid}/file"), Value::Null).await;
    assert_eq!(file["assistance"].as_array().unwrap().len(), 1, "{file}");
    let s = json!({ "set": "adult_labour", "indicators": ["d1.deceived_wages"], "age_at_exploitation": "30", "status": "draft" });
    let (status, sc) = call(&t, &inv, "POST", &format!("/api/v1/persons/{pid}/screenings"), s).await;
    assert_eq!(status, 201, "{sc}");
    let (status, read) = call(&t, &inv, "GET", &format!("/api/v1/screenings/{}", sc["id"].as_str().unwrap()), Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(read["status"], "draft");
    assert!(read.to_string().contains("d1.deceived_wages"), "{read}");
    let (status, refs) = call(&t, &inv, "GET", "/api/v1/referrals", Value::Null).await;
    assert_eq!(status, 200);
    assert!(refs.is_object() || refs.is_array(), "{refs}");
}

#[tokio::test]
async fn case_events_and_a_share_request_answered_by_the_owner() {
    let (t, inv) = demo_app().await;
    let (_, c) = call(
        &t,
        &inv,
        "POST",
        "/api/v1/cases",
        json!({ "title": "Taller textil", "exploitation": "isForcedLabour", "labour_sector": "mining", "place": "PE-16" }),
    )
    .await;
    let cid = c["id"].as_str().unwrap().to_owned();
    let (status, ev) = call(
        &t,
        &inv,
        "POST",
        &format!("/api/v1/cases/{cid}/events"),
        json!({ "kind": "Recruitment", "date": "2026-05-01", "place": "PE-1601" }),
    )
    .await;
    assert_eq!(status, 201, "{ev}");
    let (_, read) = call(&t, &inv, "GET", &format!("/api/v1/cases/{cid}"), Value::Null).await;
    assert!(read["case"]["events"].as_array().unwrap().iter().any(|e| e["kind"] == "Recruitment" && e["place"] == "PE-1601"), "{read}");
    // The prosecutor asks by reference; the owner grants; the prosecutor then sees it.
    let fiscal = token(&t, "fiscal@demo.amparo.pe").await;
    assert_eq!(call(&t, &fiscal, "GET", &format!("/api/v1/cases/{cid}"), Value::Null).await.0, 403);
    let (status, _) = call(
        &t,
        &fiscal,
        "POST",
        "/api/v1/share-requests",
        json!({ "reference": c["reference"], "purpose": "Evaluar denuncia", "until": "2027-06-30" }),
    )
    .await;
    assert_eq!(status, 202);
    let (_, shares) = call(&t, &inv, "GET", &format!("/api/v1/cases/{cid}"), Value::Null).await;
    let req = shares["shares"].as_array().unwrap().iter().find(|s| s["status"] == "requested").expect("the request is on the case").clone();
    let (status, granted) = call(
        &t,
        &inv,
        "POST",
        &format!("/api/v1/shares/{}", req["id"].as_str().unwrap()),
        json!({ "action": "grant", "version": req["version"] }),
    )
    .await;
    assert_eq!(status, 200, "{granted}");
    assert_eq!(call(&t, &fiscal, "GET", &format!("/api/v1/cases/{cid}"), Value::Null).await.0, 200, "granted: she sees it");
    // A second request refused: nothing opens.
    let coord = token(&t, "coordinadora@demo.amparo.pe").await;
    call(
        &t,
        &coord,
        "POST",
        "/api/v1/share-requests",
        json!({ "reference": c["reference"], "purpose": "Seguimiento", "until": "2027-06-30" }),
    )
    .await;
    let (_, shares) = call(&t, &inv, "GET", &format!("/api/v1/cases/{cid}"), Value::Null).await;
    let req = shares["shares"].as_array().unwrap().iter().find(|s| s["status"] == "requested").unwrap().clone();
    let (status, _) = call(
        &t,
        &inv,
        "POST",
        &format!("/api/v1/shares/{}", req["id"].as_str().unwrap()),
        json!({ "action": "refuse", "version": req["version"] }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(call(&t, &coord, "GET", &format!("/api/v1/cases/{cid}"), Value::Null).await.0, 403, "refused: nothing opens");
}

#[tokio::test]
async fn statutes_prevention_countries_and_areas_are_reference_data_as_recorded() {
    let (t, _) = demo_app().await;
    let coord = token(&t, "coordinadora@demo.amparo.pe").await;
    let (_, statutes) = call(&t, &coord, "GET", "/api/v1/statutes", Value::Null).await;
    assert!(statutes.to_string().contains("pe-cp-153-2007") && statutes.to_string().contains("pe-cp-129a-2021"), "{statutes}");
    let (status, p) = call(&t, &coord, "POST", "/api/v1/prevention", json!({ "kind": "training", "title": "Identificar indicios", "date": "2026-08-10", "place": "PE-16", "audience": "police", "people": "35" })).await;
    assert_eq!(status, 201, "{p}");
    let (_, list) = call(&t, &coord, "GET", "/api/v1/prevention", Value::Null).await;
    assert!(list.to_string().contains("Identificar indicios"), "{list}");
    // Every country, a page at a time.
    let countries = all_pages(&t.base, &coord, "/api/v1/countries").await;
    assert!(countries.len() > 240, "{} countries", countries.len());
    assert!(countries.iter().any(|c| c["alpha2"] == "PE" && c["name_es"] == "Perú"));
    let (_, depts) = call(&t, &coord, "GET", "/api/v1/areas", Value::Null).await;
    assert_eq!(depts["items"].as_array().unwrap().len(), 25, "Peru's 25 regions");
    let (_, provs) = call(&t, &coord, "GET", "/api/v1/areas?parent=PE-16", Value::Null).await;
    assert!(
        provs["items"].as_array().unwrap().iter().all(|a| a["parent_code"] == "PE-16") && !provs["items"].as_array().unwrap().is_empty(),
        "{provs}"
    );
}
