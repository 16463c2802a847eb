//! Prosecution and coordination through the API: a case shared with the prosecutor, charges
//! under the statute in force, sentences in and out of range, concurrent edits, shares that
//! hide identities, transfer, official-complicity restriction, and cross-agency alerts between
//! two organisations that reveal nothing of the other's record.

use crate::helpers::*;
use amparo_core::Ctx;
use amparo_core::store::{AuditFilter, RecordTable, RowFilter, ports::*};
use amparo_demo::DemoExt;
use amparo_domain::user::UserInput;
use serde_json::{Value, json};

async fn org_of(t: &TestApp, kind: &str, region: &str) -> String {
    t.store.list_orgs().await.unwrap().into_iter().find(|o| o.kind.as_str() == kind && o.jurisdiction == region).unwrap().id.to_string()
}

/// An investigator's case with a victim and a suspect, shared with the Loreto prosecutor.
async fn shared_case(t: &TestApp, inv: &str) -> (String, String, String) {
    let (status, c) = call(
        t,
        inv,
        "POST",
        "/api/v1/cases",
        json!({ "title": "Bar en Belén", "exploitation": "isSexualExploit", "sexual_form": "bar_or_nightclub", "place": "PE-1601" }),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    let cid = c["id"].as_str().unwrap().to_owned();
    let (_, victim) = call(t, inv, "POST", "/api/v1/persons", json!({ "role": "victim", "aliases": "Kely", "approx_age": "16" })).await;
    let (_, suspect) =
        call(t, inv, "POST", "/api/v1/persons", json!({ "role": "suspect", "aliases": "El Chato", "approx_age": "45" })).await;
    for (p, role) in [(&victim, "victim"), (&suspect, "suspect")] {
        let (status, _) = call(t, inv, "POST", &format!("/api/v1/cases/{cid}/links"), json!({ "person_id": p["id"], "role": role })).await;
        assert_eq!(status, 201);
    }
    let fiscalia = org_of(t, "prosecutor_office", "PE-16").await;
    let (status, s) = call(
        t,
        inv,
        "POST",
        &format!("/api/v1/cases/{cid}/shares"),
        json!({ "to_org": fiscalia, "purpose": "Investigación fiscal", "until": "2027-12-31" }),
    )
    .await;
    assert_eq!(status, 201, "{s}");
    (cid, victim["id"].as_str().unwrap().to_owned(), suspect["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_prosecutor_charges_under_the_statute_in_force_and_out_of_range_sentences_are_flagged() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let inv = token(&t, "investigador@demo.amparo.pe").await;
    let fiscal = token(&t, "fiscal@demo.amparo.pe").await;
    let (cid, victim, suspect) = shared_case(&t, &inv).await;
    // The investigator cannot charge; the prosecutor can, on the shared case.
    let charge = json!({ "person_id": suspect, "statute_id": "pe-cp-129a-2021", "offence_date": "2026-03-01", "filed_on": "2026-05-01" });
    assert_eq!(call(&t, &inv, "POST", &format!("/api/v1/cases/{cid}/charges"), charge.clone()).await.0, 403);
    // A statute not in force on the offence date is refused by name.
    let old = json!({ "person_id": suspect, "statute_id": "pe-cp-153-2007", "offence_date": "2026-03-01" });
    let (status, body) = call(&t, &fiscal, "POST", &format!("/api/v1/cases/{cid}/charges"), old).await;
    assert_eq!((status, body["fields"][0]["code"].as_str()), (422, Some("statute_not_in_force_on_offence_date")));
    // A victim is not a defendant.
    let wrong = json!({ "person_id": victim, "statute_id": "pe-cp-129a-2021", "offence_date": "2026-03-01" });
    assert_eq!(
        call(&t, &fiscal, "POST", &format!("/api/v1/cases/{cid}/charges"), wrong).await.1["fields"][0]["code"],
        "not_a_suspect_in_this_case"
    );
    let (status, ch) = call(&t, &fiscal, "POST", &format!("/api/v1/cases/{cid}/charges"), charge).await;
    assert_eq!(status, 201, "{ch}");
    let chid = ch["id"].as_str().unwrap().to_owned();
    // In range (8–15 years): no flag.
    let (status, d) = call(
        &t,
        &fiscal,
        "POST",
        &format!("/api/v1/charges/{chid}/decision"),
        json!({ "verdict": "convicted", "decided_on": "2026-08-01", "years": "12", "months": "0", "version": "1" }),
    )
    .await;
    assert_eq!(status, 200, "{d}");
    assert!(d["flag"].is_null());
    assert_eq!(d["decision"]["sentence_months"], 144);
    // Out of range: stored, flagged for review, and the owner is notified.
    let (status, d) = call(
        &t,
        &fiscal,
        "POST",
        &format!("/api/v1/charges/{chid}/decision"),
        json!({ "verdict": "convicted", "decided_on": "2026-08-01", "years": "4", "version": "2" }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(d["flag"]["BelowMinimum"]["min_months"], 96, "{d}");
    assert_eq!(d["reviewed"], false);
    let police = org_of(&t, "police_unit", "PE-16").await;
    let notes = t
        .store
        .find_rows(RecordTable::Notifications, &RowFilter { orgs: vec![amparo_domain::OrgId::from_trusted(police)], ..Default::default() })
        .await
        .unwrap();
    // The flag on this case (the demo flags another sentence of its own).
    assert!(
        notes.iter().any(|n| n.kind == "sentence_flagged" && n.lookup.as_deref() == Some(format!("/cases/{cid}").as_str())),
        "{notes:?}"
    );
    // An appeal, and the timeline shows the whole path.
    let (status, _) = call(
        &t,
        &fiscal,
        "POST",
        &format!("/api/v1/charges/{chid}/appeals"),
        json!({ "filed_on": "2026-08-10", "result": "pending", "version": "3" }),
    )
    .await;
    assert_eq!(status, 200);
    let (_, c) = call(&t, &fiscal, "GET", &format!("/api/v1/cases/{cid}"), Value::Null).await;
    let (status, _) = call(
        &t,
        &fiscal,
        "POST",
        &format!("/api/v1/cases/{cid}/hearings"),
        json!({ "kind": "trial", "date": "2026-07-20", "version": c["case"]["version"] }),
    )
    .await;
    assert_eq!(status, 201);
    let (_, tl) = call(&t, &inv, "GET", &format!("/api/v1/cases/{cid}/timeline"), Value::Null).await;
    let whats: Vec<&str> = tl.as_array().unwrap().iter().filter_map(|i| i["what"].as_str()).collect();
    for w in ["case_opened", "case_linked_victim", "case_charge_filed", "hearing_trial", "verdict_convicted", "appeal"] {
        assert!(whats.contains(&w), "{w} in {whats:?}");
    }
    // The owning organisation sees who has seen the case; the prosecutor's reads are there.
    let (status, seen) = call(&t, &inv, "GET", &format!("/api/v1/cases/{cid}/seen"), Value::Null).await;
    assert_eq!(status, 200);
    let fiscalia = org_of(&t, "prosecutor_office", "PE-16").await;
    assert!(seen.as_array().unwrap().iter().any(|e| e["org_id"] == fiscalia.as_str()), "{seen}");
    assert_eq!(call(&t, &fiscal, "GET", &format!("/api/v1/cases/{cid}/seen"), Value::Null).await.0, 403, "only the owner");
}

#[tokio::test]
async fn concurrent_edits_to_a_case_get_409_not_lost_data() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let inv = token(&t, "investigador@demo.amparo.pe").await;
    let fiscal = token(&t, "fiscal@demo.amparo.pe").await;
    let (cid, _, _) = shared_case(&t, &inv).await;
    let (_, c) = call(&t, &inv, "GET", &format!("/api/v1/cases/{cid}"), Value::Null).await;
    let v = c["case"]["version"].as_i64().unwrap().to_string();
    let (a, _) = call(&t, &inv, "POST", &format!("/api/v1/cases/{cid}"), json!({ "note": "Nota de la policía", "version": v })).await;
    let (b, body) =
        call(&t, &fiscal, "POST", &format!("/api/v1/cases/{cid}"), json!({ "note": "Nota de la fiscalía", "version": v })).await;
    assert_eq!((a, b), (200, 409));
    assert_eq!(body["code"], "version_conflict");
    let (_, c) = call(&t, &inv, "GET", &format!("/api/v1/cases/{cid}"), Value::Null).await;
    let notes: Vec<&str> = c["case"]["notes"].as_array().unwrap().iter().filter_map(|n| n["text"].as_str()).collect();
    assert_eq!(notes, ["Nota de la policía"], "the first note is kept; the second writer was told, not silently overwritten");
    // Notes are sealed at rest.
    let row = t.store.get_row(RecordTable::Cases, &cid).await.unwrap().unwrap();
    assert!(!String::from_utf8_lossy(row.sealed.as_ref().unwrap()).contains("Nota de la"));
}

#[tokio::test]
async fn a_share_can_hide_identities_and_a_transfer_keeps_history_and_sight() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let inv = token(&t, "investigador@demo.amparo.pe").await;
    let coord = token(&t, "coordinadora@demo.amparo.pe").await;
    let (cid, victim, _) = shared_case(&t, &inv).await;
    let coordination =
        t.store.list_orgs().await.unwrap().into_iter().find(|o| o.kind.as_str() == "coordinating_body").unwrap().id.to_string();
    assert_eq!(call(&t, &coord, "GET", &format!("/api/v1/cases/{cid}"), Value::Null).await.0, 403, "no share yet");
    let (status, _) = call(
        &t,
        &inv,
        "POST",
        &format!("/api/v1/cases/{cid}/shares"),
        json!({ "to_org": coordination, "purpose": "Seguimiento nacional", "until": "2027-01-01", "hide_identities": true }),
    )
    .await;
    assert_eq!(status, 201);
    let (status, c) = call(&t, &coord, "GET", &format!("/api/v1/cases/{cid}"), Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(c["case"]["identities_hidden"], true);
    assert!(
        c["case"]["links"].as_array().unwrap().iter().all(|l| l["person_code"] == "" && l["person_id"] == ""),
        "{}",
        c["case"]["links"]
    );
    assert_eq!(call(&t, &coord, "GET", &format!("/api/v1/persons/{victim}/file"), Value::Null).await.0, 403);
    // Transfer to the prosecutor: ownership moves, history stays, the police keep sight.
    let fiscalia = org_of(&t, "prosecutor_office", "PE-16").await;
    let (status, _) = call(
        &t,
        &inv,
        "POST",
        &format!("/api/v1/cases/{cid}/transfer"),
        json!({ "to_org": fiscalia, "purpose": "Formalización de la investigación", "until": "2028-01-01" }),
    )
    .await;
    assert_eq!(status, 200);
    let (status, c) = call(&t, &inv, "GET", &format!("/api/v1/cases/{cid}"), Value::Null).await;
    assert_eq!(status, 200, "the previous owner keeps a share");
    assert_eq!(c["case"]["org_id"], fiscalia.as_str());
    assert!(c["case"]["history"].as_array().unwrap().iter().any(|h| h["what"] == "transferred"));
    assert_eq!(call(&t, &inv, "GET", &format!("/api/v1/cases/{cid}/seen"), Value::Null).await.0, 403, "no longer the owner");
    // A share request never confirms whether a case exists.
    let (a, ra) = call(
        &t,
        &coord,
        "POST",
        "/api/v1/share-requests",
        json!({ "reference": c["case"]["reference"], "purpose": "Seguimiento", "until": "2027-01-01" }),
    )
    .await;
    let (b, rb) = call(
        &t,
        &coord,
        "POST",
        "/api/v1/share-requests",
        json!({ "reference": "C-2026-NOSUCH", "purpose": "Seguimiento", "until": "2027-01-01" }),
    )
    .await;
    assert_eq!(a, 202, "{ra}");
    assert_eq!((a, &ra), (b, &rb));
}

#[tokio::test]
async fn official_complicity_restricts_the_case_and_reports_every_access() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let inv = token(&t, "investigador@demo.amparo.pe").await;
    let (cid, _, suspect) = shared_case(&t, &inv).await;
    // A colleague in the same unit.
    let police = org_of(&t, "police_unit", "PE-16").await;
    let input = UserInput {
        email: "colega@demo.amparo.pe".into(),
        display_name: "Colega".into(),
        org_id: police,
        roles: vec!["investigator".into()],
        password: "una clave bastante larga".into(),
        locale: None,
    };
    t.app.administration().create_user(&Ctx::system("t"), &input).await.unwrap();
    enrolled(&t, "colega@demo.amparo.pe").await;
    let col = token(&t, "colega@demo.amparo.pe").await;
    assert_eq!(call(&t, &col, "GET", &format!("/api/v1/cases/{cid}"), Value::Null).await.0, 200);
    // A second suspect, a police officer, is flagged.
    let (_, officer) =
        call(&t, &inv, "POST", "/api/v1/persons", json!({ "role": "suspect", "aliases": "Suboficial", "approx_age": "39" })).await;
    let (status, _) = call(
        &t,
        &inv,
        "POST",
        &format!("/api/v1/cases/{cid}/links"),
        json!({ "person_id": officer["id"], "role": "suspect", "official_complicity": true }),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(call(&t, &col, "GET", &format!("/api/v1/cases/{cid}"), Value::Null).await.0, 403, "the colleague is not on the list");
    let fiscal = token(&t, "fiscal@demo.amparo.pe").await;
    assert_eq!(
        call(&t, &fiscal, "GET", &format!("/api/v1/cases/{cid}"), Value::Null).await.0,
        403,
        "a share does not open a restricted case"
    );
    let (_, list) = call(&t, &col, "GET", "/api/v1/cases", Value::Null).await;
    assert!(!list["items"].as_array().unwrap().iter().any(|c| c["id"] == cid.as_str()), "not even listed");
    // The investigator reads it: the access is reported to the coordinating body.
    assert_eq!(call(&t, &inv, "GET", &format!("/api/v1/cases/{cid}"), Value::Null).await.0, 200);
    let coordination = t.store.list_orgs().await.unwrap().into_iter().find(|o| o.kind.as_str() == "coordinating_body").unwrap().id;
    let notes = t.store.find_rows(RecordTable::Notifications, &RowFilter { orgs: vec![coordination], ..Default::default() }).await.unwrap();
    assert!(notes.iter().any(|n| n.kind == "restricted_case_access"));
    let audit =
        t.store.audit_page(&AuditFilter { action: Some("restricted_case_access".into()), limit: 10, ..Default::default() }).await.unwrap();
    assert!(!audit.is_empty());
    // The owner names the colleague; now the colleague may read it.
    t.app
        .prosecution()
        .set_case_access(
            &t.app
                .access()
                .authenticate_token(&inv)
                .await
                .map(|(_, a)| Ctx { actor: Some(a), client_ip: "t".into(), operation_id: "t".into() })
                .unwrap(),
            &cid,
            &["colega@demo.amparo.pe".into()],
        )
        .await
        .unwrap();
    assert_eq!(call(&t, &col, "GET", &format!("/api/v1/cases/{cid}"), Value::Null).await.0, 200);
    let _ = suspect;
}

#[tokio::test]
async fn a_match_across_two_organisations_alerts_both_and_reveals_nothing_else() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let inv = token(&t, "investigador@demo.amparo.pe").await;
    let ngo = token(&t, "trabajadora-social@demo.amparo.pe").await;
    let (status, _) = call(&t, &inv, "POST", "/api/v1/persons", json!({ "role": "victim", "given_names": "Rosa", "first_surname": "Quispe", "birth_date": "2009-04-12", "document_number": "DNI 45.678.901" })).await;
    assert_eq!(status, 201);
    let before = call(&t, &ngo, "GET", "/api/v1/alerts", Value::Null).await.1["items"].as_array().unwrap().len();
    // The NGO records the same girl with the number typed differently, and no name.
    let (_, mine) =
        call(&t, &ngo, "POST", "/api/v1/persons", json!({ "role": "possible_victim", "aliases": "Rosita", "document_number": "45678901" }))
            .await;
    let (_, alerts) = call(&t, &ngo, "GET", "/api/v1/alerts", Value::Null).await;
    let alerts = alerts["items"].as_array().unwrap();
    assert_eq!(alerts.len(), before + 1);
    let a = alerts.iter().find(|a| a["person_id"] == mine["id"]).unwrap();
    let police = org_of(&t, "police_unit", "PE-16").await;
    assert_eq!(a["other_org"], police.as_str(), "tells whom to contact");
    assert_eq!(a["basis"], "document");
    let text = serde_json::to_string(a).unwrap();
    assert!(!text.contains("Rosa") && !text.contains("Quispe"), "nothing of the other's record: {text}");
    // The police get their own alert about their own person.
    let (_, theirs) = call(&t, &inv, "GET", "/api/v1/alerts", Value::Null).await;
    let ngo_org = t
        .store
        .list_orgs()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.kind.as_str() == "ngo" && o.jurisdiction == "PE-16")
        .unwrap()
        .id
        .to_string();
    assert!(theirs["items"].as_array().unwrap().iter().any(|x| x["other_org"] == ngo_org.as_str() && x["status"] == "open"));
    // Same name + date of birth also matches; a different date does not.
    let (_, named) = call(
        &t,
        &ngo,
        "POST",
        "/api/v1/persons",
        json!({ "role": "victim", "given_names": "ROSA elena", "first_surname": "quispe", "birth_date": "2009-04-12" }),
    )
    .await;
    let (_, other) = call(
        &t,
        &ngo,
        "POST",
        "/api/v1/persons",
        json!({ "role": "victim", "given_names": "Rosa", "first_surname": "Quispe", "birth_date": "2010-04-12" }),
    )
    .await;
    let (_, alerts) = call(&t, &ngo, "GET", "/api/v1/alerts", Value::Null).await;
    let has = |p: &Value| alerts["items"].as_array().unwrap().iter().any(|a| a["person_id"] == p["id"]);
    assert!(has(&named) && !has(&other));
    // The decision is recorded; a witness or reporter never raises an alert.
    let (status, _) = call(
        &t,
        &ngo,
        "POST",
        &format!("/api/v1/alerts/{}", a["id"].as_str().unwrap()),
        json!({ "decision": "confirm", "version": a["version"] }),
    )
    .await;
    assert_eq!(status, 200);
    let (_, after) = call(&t, &ngo, "GET", "/api/v1/alerts", Value::Null).await;
    assert!(after["items"].as_array().unwrap().iter().any(|x| x["id"] == a["id"] && x["status"] == "confirmed"));
    let n = after["items"].as_array().unwrap().len();
    let (status, w) =
        call(&t, &ngo, "POST", "/api/v1/persons", json!({ "role": "witness", "aliases": "Testigo", "document_number": "45678901" })).await;
    assert_eq!(status, 201, "{w}");
    assert_eq!(call(&t, &ngo, "GET", "/api/v1/alerts", Value::Null).await.1["items"].as_array().unwrap().len(), n);
    // The hashes in the database are not the document number.
    let rows: Vec<(Option<String>,)> =
        sqlx::query_as("SELECT match_doc FROM persons WHERE match_doc IS NOT NULL").fetch_all(t.store.pool()).await.unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|(h,)| !h.as_deref().unwrap_or("").contains("45678901")));
}

#[tokio::test]
async fn a_case_share_opens_linked_persons_unless_it_hides_identities() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let inv = token(&t, "investigador@demo.amparo.pe").await;
    let fiscal = token(&t, "fiscal@demo.amparo.pe").await;
    let coord = token(&t, "coordinadora@demo.amparo.pe").await;
    let (cid, victim, _) = shared_case(&t, &inv).await;
    let (status, _) =
        call(&t, &fiscal, "POST", &format!("/api/v1/persons/{victim}/reveal"), json!({ "purpose": "preparar la acusación fiscal" })).await;
    assert_eq!(status, 200, "the prosecutor holds a share that shows identities");
    let coordination =
        t.store.list_orgs().await.unwrap().into_iter().find(|o| o.kind.as_str() == "coordinating_body").unwrap().id.to_string();
    let (status, s) = call(
        &t,
        &inv,
        "POST",
        &format!("/api/v1/cases/{cid}/shares"),
        json!({ "to_org": coordination, "purpose": "Seguimiento nacional", "until": "2027-01-01", "hide_identities": true }),
    )
    .await;
    assert_eq!(status, 201, "the hiding share is granted: {s}");
    assert_eq!(call(&t, &coord, "GET", &format!("/api/v1/cases/{cid}"), Value::Null).await.0, 200, "the coordinator sees the case");
    let (status, _) =
        call(&t, &coord, "POST", &format!("/api/v1/persons/{victim}/reveal"), json!({ "purpose": "curiosidad institucional" })).await;
    // Refused like a person who does not exist: 404 (a state-changing route on a record the
    // caller may not see says nothing about whether it exists).
    assert_eq!(status, 404, "a hiding share opens nothing about persons");
}

#[tokio::test]
async fn search_finds_spanish_words_and_names_but_never_leaks_across_organisations() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let inv = token(&t, "investigador@demo.amparo.pe").await;
    // Until the index is built (in the background after start-up), search says so rather
    // than answer from part of the records.
    let r = client().get(format!("{}/api/v1/search?q=Punchana", t.base)).bearer_auth(&inv).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("search_index_building"));
    t.app.coordination().rebuild_search().await.unwrap();
    let ngo = token(&t, "trabajadora-social@demo.amparo.pe").await;
    let (_, p) = call(&t, &inv, "POST", "/api/v1/persons", json!({ "role": "victim", "given_names": "Xiomara", "first_surname": "Ñañez", "narrative": "Captación mediante oferta de trabajo en un restaurante" })).await;
    let search = |tok: String, q: &'static str| {
        let t = &t;
        async move {
            let url = format!("{}/api/v1/search?{}", t.base, serde_urlencoded_encode(&[("q", q)]));
            let r = client().get(url).bearer_auth(&tok).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, body) = search(inv.clone(), "captacion restaurantes").await;
    assert_eq!(status, 200);
    assert!(body.contains(p["id"].as_str().unwrap()), "stemmed and accent-folded: {body}");
    assert!(search(inv.clone(), "NANEZ xiomara").await.1.contains(p["id"].as_str().unwrap()), "names without accents or case");
    assert!(search(inv.clone(), "Punchana").await.1.contains("\"kind\":\"report\""), "the demo report narrative");
    // Another organisation gets exactly what a search for nothing gets: no count, no snippet.
    let (s1, leak) = search(ngo.clone(), "Xiomara").await;
    let (s2, nothing) = search(ngo.clone(), "zzzyyyxxx").await;
    assert_eq!((s1, &leak), (s2, &nothing));
    assert_eq!(leak, "[]");
    // The query text is not in the audit trail.
    let audit = t.store.audit_page(&AuditFilter { action: Some("search".into()), limit: 50, ..Default::default() }).await.unwrap();
    assert!(audit.len() >= 4 && audit.iter().all(|e| !e.event.details.contains("Xiomara") && !e.event.details.contains("captacion")));
    assert_eq!(search(inv.clone(), "x").await.0, 422, "too short");
}

#[tokio::test]
async fn attachments_are_checked_sealed_and_only_ever_downloaded() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let inv = token(&t, "investigador@demo.amparo.pe").await;
    let ngo = token(&t, "trabajadora-social@demo.amparo.pe").await;
    let (cid, _, _) = shared_case(&t, &inv).await;
    let upload = |tok: String, name: &'static str, body: Vec<u8>| {
        let url = format!("{}/api/v1/cases/{cid}/attachments?filename={name}", t.base);
        async move {
            let r = client().post(url).bearer_auth(&tok).body(body).send().await.unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let pdf = b"%PDF-1.4\nActa de intervencion policial en el bar Los Delfines\n%%EOF".to_vec();
    let (status, info) = upload(inv.clone(), "acta.pdf", pdf.clone()).await;
    assert_eq!(status, 201, "{info}");
    assert_eq!(info["mime"], "application/pdf");
    let (status, body) = upload(inv.clone(), "foto.pdf", b"MZ\x90\x00 not really a pdf".to_vec()).await;
    assert_eq!((status, body["fields"][0]["code"].as_str()), (422, Some("unsupported_file_type")));
    let (status, body) = upload(inv.clone(), "pagina.txt", b"<html><script>alert(1)</script></html>".to_vec()).await;
    assert_eq!((status, body["fields"][0]["code"].as_str()), (422, Some("unsupported_file_type")));
    let (status, _) = upload(ngo.clone(), "acta.pdf", pdf.clone()).await;
    assert_eq!(status, 404, "another organisation cannot add to the case (nor learn that it exists)");
    // Download: the same bytes, as an attachment with a generic type.
    let id = info["id"].as_str().unwrap();
    let r = client().get(format!("{}/api/v1/attachments/{id}", t.base)).bearer_auth(&inv).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"acta.pdf\""));
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf);
    assert_eq!(client().get(format!("{}/api/v1/attachments/{id}", t.base)).bearer_auth(&ngo).send().await.unwrap().status(), 403);
    // At rest: neither the content nor the name in clear.
    let row = t.store.get_row(RecordTable::Attachments, id).await.unwrap().unwrap();
    let raw = String::from_utf8_lossy(row.sealed.as_ref().unwrap()).to_string();
    assert!(!raw.contains("Delfines") && !raw.contains("acta.pdf"));
    // Too large for the route: refused before it reaches the use case.
    let (status, _) = upload(inv.clone(), "big.txt", vec![b'a'; amparo_domain::attachment::MAX_ATTACHMENT_BYTES + 100 * 1024]).await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn a_referral_makes_the_person_findable_by_the_receiving_shelter_and_nobody_else() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    t.app.coordination().rebuild_search().await.unwrap();
    let inv = token(&t, "investigador@demo.amparo.pe").await;
    let shelter = token(&t, "albergue@demo.amparo.pe").await;
    let (_, p) =
        call(&t, &inv, "POST", "/api/v1/persons", json!({ "role": "possible_victim", "given_names": "Yessenia", "approx_age": "25" }))
            .await;
    let find = |tok: &str| {
        let url = format!("{}/api/v1/search?q=yessenia", t.base);
        let tok = tok.to_owned();
        async move { client().get(url).bearer_auth(tok).send().await.unwrap().text().await.unwrap() }
    };
    assert_eq!(find(&shelter).await, "[]");
    let (_, services) = call(&t, &shelter, "GET", "/api/v1/services?kind=shelter", Value::Null).await;
    let svc = services["items"].as_array().unwrap().iter().find(|s| s["name"] == "Casa Refugio Amazonía").unwrap()["id"].clone();
    let (status, referral) = call(
        &t,
        &inv,
        "POST",
        &format!("/api/v1/persons/{}/referrals", p["id"].as_str().unwrap()),
        json!({ "service_id": svc, "consent_by": "person", "consent_method": "written" }),
    )
    .await;
    assert_eq!(status, 201);
    let got = find(&shelter).await;
    let inv_sees = find(&inv).await;
    assert!(got.contains(p["id"].as_str().unwrap()), "the receiving shelter finds the referred person: {got} (investigator: {inv_sees})");
    let cw = token(&t, "trabajadora-social@demo.amparo.pe").await;
    assert_eq!(find(&cw).await, "[]");
    // Revoked, the referral no longer opens the person to the shelter, though the index
    // still lists the shelter among those who once could.
    let act = json!({ "action": "revoke", "reason": "derivada por error", "version": referral["version"] });
    let (status, _) = call(&t, &inv, "POST", &format!("/api/v1/referrals/{}/act", referral["id"].as_str().unwrap()), act).await;
    assert_eq!(status, 200);
    assert_eq!(find(&shelter).await, "[]", "a revoked referral shows nothing");
    assert!(find(&inv).await.contains(p["id"].as_str().unwrap()), "the owner still finds the person");
}
