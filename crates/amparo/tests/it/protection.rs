//! The protection pillar through the JSON API and the public form: the screening rule engine
//! against a table of cases on the shipped instrument, instrument versioning, the path from
//! a report to an accepted referral, consent and capacity rules, the shelter address, the
//! referral gap, and the anonymous report form.

use crate::helpers::*;
use amparo_core::Ctx;
use amparo_core::store::{AuditFilter, ports::*};
use amparo_demo::DemoExt;
use serde_json::{Value, json};

/// Post an urlencoded form (optionally as a cross-site request).
async fn post_form<K: AsRef<str>, V: AsRef<str>>(
    c: &reqwest::Client,
    url: String,
    pairs: &[(K, V)],
    cross_site: bool,
) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
    let mut req = c.post(url).header("content-type", "application/x-www-form-urlencoded").body(serde_urlencoded_encode(&pairs));
    if cross_site {
        req = req.header("Sec-Fetch-Site", "cross-site");
    }
    req.send().await.unwrap()
}

async fn demo(t: &TestApp) {
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
}

/// (case, set, indicators, expected positive dimensions, expected outcome)
type Case = (&'static str, &'static str, &'static [&'static str], &'static [&'static str], &'static str);
const CASES: &[Case] = &[
    // The four positivity patterns, each alone in a dimension.
    ("two strong", "adult_labour", &["d5.confiscation_documents", "d5.debt_bondage"], &["D5"], "indicators_not_present"),
    ("strong + medium", "adult_labour", &["d1.deceived_nature_job", "d1.deceived_conditions_work"], &["D1"], "indicators_not_present"),
    ("strong + weak", "adult_labour", &["d1.deceived_nature_job", "d1.deceived_education"], &["D1"], "indicators_not_present"),
    (
        "three medium",
        "adult_labour",
        &["d1.deceived_conditions_work", "d1.deceived_contract", "d1.deceived_family_reunification"],
        &["D1"],
        "indicators_not_present",
    ),
    (
        "two medium + weak",
        "adult_labour",
        &["d1.deceived_conditions_work", "d1.deceived_contract", "d1.deceived_education"],
        &["D1"],
        "indicators_not_present",
    ),
    // Near misses.
    ("one strong alone", "adult_labour", &["d1.deceived_nature_job"], &[], "indicators_not_present"),
    (
        "medium + two weak",
        "adult_labour",
        &["d3.abuse_family_situation", "d3.abuse_cultural_beliefs", "d3.general_context"],
        &[],
        "indicators_not_present",
    ),
    (
        "weak only",
        "adult_labour",
        &["d3.abuse_cultural_beliefs", "d3.general_context", "d4.no_access_education"],
        &[],
        "indicators_not_present",
    ),
    ("two medium", "adult_labour", &["d6.dependency_on_exploiters", "d6.economic_reasons"], &[], "indicators_not_present"),
    // The adult rule: (D1|D2|D3) & D4 & (D5|D6).
    (
        "adult: recruitment, exploitation, coercion",
        "adult_labour",
        &[
            "d1.deceived_nature_job",
            "d1.deceived_wages",
            "d4.excessive_hours",
            "d4.bad_living_conditions",
            "d5.confiscation_documents",
            "d5.debt_bondage",
        ],
        &["D1", "D4", "D5"],
        "indicators_present",
    ),
    (
        "adult: abuse of vulnerability at destination instead of coercion",
        "adult_labour",
        &[
            "d1.deceived_nature_job",
            "d1.deceived_wages",
            "d4.excessive_hours",
            "d4.bad_living_conditions",
            "d6.dependency_on_exploiters",
            "d6.difficulty_unknown_area",
            "d6.economic_reasons",
        ],
        &["D1", "D4", "D6"],
        "indicators_present",
    ),
    (
        "adult: no coercion or abuse at destination",
        "adult_labour",
        &["d1.deceived_nature_job", "d1.deceived_wages", "d4.excessive_hours", "d4.bad_living_conditions"],
        &["D1", "D4"],
        "indicators_not_present",
    ),
    (
        "adult: no recruitment dimension",
        "adult_labour",
        &["d4.excessive_hours", "d4.bad_living_conditions", "d5.confiscation_documents", "d5.debt_bondage"],
        &["D4", "D5"],
        "indicators_not_present",
    ),
    // The child rule: (D1|D2|D3) & D4 — no means needed.
    (
        "child: recruitment and exploitation suffice",
        "child_labour",
        &["d1.deceived_nature_job", "d1.deceived_education", "d4.excessive_hours", "d4.bad_living_conditions"],
        &["D1", "D4"],
        "indicators_present",
    ),
    (
        "child: exploitation and coercion without recruitment",
        "child_labour",
        &["d4.excessive_hours", "d4.bad_living_conditions", "d5.confiscation_documents", "d5.debt_bondage"],
        &["D4", "D5"],
        "indicators_not_present",
    ),
    (
        "child sexual: D2 and D4",
        "child_sexual",
        &["d2.violence_on_victim", "d2.threats_violence", "d4.excessive_hours", "d4.hazardous_work"],
        &["D2", "D4"],
        "indicators_present",
    ),
    (
        "adult sexual: the same set of facts as a child needs coercion",
        "adult_sexual",
        &["d2.violence_on_victim", "d2.abduction_sale", "d4.excessive_hours", "d4.bad_living_conditions", "d4.hazardous_work"],
        &["D2", "D4"],
        "indicators_not_present",
    ),
];

#[tokio::test]
async fn the_evaluate_endpoint_matches_the_rules_on_a_table_of_cases() {
    let t = spawn_app().await;
    let org = crate::world::org_in(&t, "Fiscalía de Lima", "prosecutor_office", "PE-15", None).await;
    let tok = crate::world::account_in(&t, "fiscal@x.pe", &org, &["prosecutor"]).await.token;
    let screenings_before = t.store.find_rows(amparo_core::store::RecordTable::Screenings, &Default::default()).await.unwrap().len();
    for (name, set, indicators, positive, outcome) in CASES {
        let (status, body) = call(
            &t,
            &tok,
            "POST",
            "/api/v1/screening-instruments/ilo-ec-2009-v1/evaluate",
            json!({ "set": set, "indicators": indicators }),
        )
        .await;
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!(body["outcome"], *outcome, "{name}");
        assert_eq!(body["instrument_version"], "ilo-ec-2009-v1", "{name}");
        for d in ["D1", "D2", "D3", "D4", "D5", "D6"] {
            assert_eq!(body["dimensions"][d]["positive"], positive.contains(&d), "{name}: {d} in {}", body["dimensions"]);
            assert!(body["dimensions"][d]["present"].is_array(), "{name}: {d}");
        }
    }
    // Nothing was stored by evaluating (counted before the first evaluation, above).
    let (status, _) =
        call(&t, &tok, "POST", "/api/v1/screening-instruments/ilo-ec-2009/evaluate", json!({ "set": "adult_labour", "indicators": [] }))
            .await;
    assert_eq!(status, 200);
    assert_eq!(t.store.find_rows(amparo_core::store::RecordTable::Screenings, &Default::default()).await.unwrap().len(), screenings_before);
}

#[tokio::test]
async fn unknown_or_foreign_indicators_get_422_naming_them() {
    let t = spawn_app().await;
    let org = crate::world::org_in(&t, "Fiscalía de Lima", "prosecutor_office", "PE-15", None).await;
    let tok = crate::world::account_in(&t, "fiscal@x.pe", &org, &["prosecutor"]).await.token;
    let (status, body) = call(
        &t,
        &tok,
        "POST",
        "/api/v1/screening-instruments/ilo-ec-2009-v1/evaluate",
        json!({ "set": "child_labour", "indicators": ["d4.no_social_protection", "d9.invented", "d1.deceived_nature_job"] }),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["code"], "validation_failed");
    let fields = body["fields"].as_array().unwrap();
    assert!(fields.iter().any(|f| f["code"] == "indicator_of_another_set" && f["detail"] == "d4.no_social_protection"), "{body}");
    assert!(fields.iter().any(|f| f["code"] == "unknown_indicator" && f["detail"] == "d9.invented"), "{body}");
    assert_eq!(fields.len(), 2, "the valid id is not reported");
    let (status, body) = call(&t, &tok, "POST", "/api/v1/screening-instruments/ilo-ec-2009-v1/evaluate", json!({ "set": "martian" })).await;
    assert_eq!((status, body["fields"][0]["code"].as_str()), (422, Some("unknown_set")));
}

#[tokio::test]
async fn instruments_are_listed_described_and_versioned_never_edited() {
    let t = spawn_app().await;
    let org = crate::world::org_in(&t, "Comisaría de Iquitos", "police_unit", "PE-16", None).await;
    let admin = crate::world::account_in(&t, "admin@x.pe", &org, &["system_admin"]).await.token;
    let (status, list) = call(&t, &admin, "GET", "/api/v1/screening-instruments", Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(list["items"][0]["id"], "ilo-ec-2009-v1");
    let (_, v1) = call(&t, &admin, "GET", "/api/v1/screening-instruments/ilo-ec-2009-v1", Value::Null).await;
    assert_eq!(v1["sets"].as_array().unwrap().len(), 4);
    assert_eq!(v1["dimensions"].as_array().unwrap().len(), 6);
    assert_eq!(v1["indicators"].as_array().unwrap().len(), 264);
    let ind = v1["indicators"].as_array().unwrap().iter().find(|i| i["set"] == "adult_sexual" && i["id"] == "d5.debt_bondage").unwrap();
    assert_eq!((ind["strength"].as_str(), ind["strength_source"].as_str()), (Some("strong"), Some("unverified")));
    assert_eq!(v1["rules"]["outcome_if_all"]["child"].as_array().unwrap().len(), 2);

    // An administrator corrects the child rule: a new version; v1 stays as it was.
    let mut draft = v1.clone();
    draft["rules"]["outcome_if_all"]["child"] = json!([["D1", "D2", "D3"], ["D4"], ["D5", "D6"]]);
    let investigator = crate::world::account_in(&t, "inv@x.pe", &org, &["investigator"]).await.token;
    let (status, _) = call(&t, &investigator, "POST", "/api/v1/screening-instruments", draft.clone()).await;
    assert_eq!(status, 403, "only system administrators publish");
    let (status, v2) = call(&t, &admin, "POST", "/api/v1/screening-instruments", draft).await;
    assert_eq!(status, 201, "{v2}");
    assert_eq!(v2["id"], "ilo-ec-2009-v2");
    let (_, again) = call(&t, &admin, "GET", "/api/v1/screening-instruments/ilo-ec-2009-v1", Value::Null).await;
    assert_eq!(again, v1, "the published version is unchanged");
    let (_, newest) = call(&t, &admin, "GET", "/api/v1/screening-instruments/ilo-ec-2009", Value::Null).await;
    assert_eq!(newest["id"], "ilo-ec-2009-v2", "the family name gives the newest version");
    // The same child facts give different outcomes under the two versions, each reported with its version.
    let facts = json!({ "set": "child_labour", "indicators": ["d1.deceived_nature_job", "d1.deceived_education", "d4.excessive_hours", "d4.bad_living_conditions"] });
    let (_, a) = call(&t, &admin, "POST", "/api/v1/screening-instruments/ilo-ec-2009-v1/evaluate", facts.clone()).await;
    let (_, b) = call(&t, &admin, "POST", "/api/v1/screening-instruments/ilo-ec-2009-v2/evaluate", facts).await;
    assert_eq!((a["outcome"].as_str(), b["outcome"].as_str()), (Some("indicators_present"), Some("indicators_not_present")));
    // A broken instrument is refused with the reason.
    let mut bad = v1.clone();
    bad["rules"]["outcome_if_all"] = json!({ "adult": [["D1"], ["D9"]] });
    let (status, body) = call(&t, &admin, "POST", "/api/v1/screening-instruments", bad).await;
    assert_eq!(status, 422);
    let codes: Vec<&str> = body["fields"].as_array().unwrap().iter().filter_map(|f| f["code"].as_str()).collect();
    assert!(codes.contains(&"unknown_dimension") && codes.contains(&"no_outcome_rule_for_age_group"), "{codes:?}");
}

#[tokio::test]
async fn a_report_travels_to_an_accepted_referral_with_consent_capacity_and_gap_rules() {
    let t = spawn_app().await;
    demo(&t).await;
    // The demo writes most of these actions itself: only entries after this point count.
    let (demo_seq, _) = t.store.audit_head().await.unwrap();
    let operator = token(&t, "operadora@demo.amparo.pe").await;
    let investigator = token(&t, "investigador@demo.amparo.pe").await;
    let shelter = token(&t, "albergue@demo.amparo.pe").await;
    let coordinator = token(&t, "coordinadora@demo.amparo.pe").await;

    // The hotline takes a call about Iquitos: it is routed to the Loreto police queue, urgent.
    let (status, rep) = call(
        &t,
        &operator,
        "POST",
        "/api/v1/reports",
        json!({ "channel": "hotline", "place": "PE-160101", "imminent_danger": true, "child_involved": true, "narrative": "Una niña encerrada en un bar de Belén" }),
    )
    .await;
    assert_eq!(status, 201, "{rep}");
    assert_eq!(rep["priority"], "urgent");
    let rid = rep["id"].as_str().unwrap().to_owned();
    let (_, me) = call(&t, &investigator, "GET", "/api/v1/me", Value::Null).await;
    assert_eq!(rep["org_id"], me["org_id"], "routed to the investigator's unit (Loreto)");
    let (_, queue) = call(&t, &investigator, "GET", "/api/v1/reports", Value::Null).await;
    assert_eq!(queue["queue"][0]["id"], rid.as_str(), "urgent reports come first");
    // Time passes: the urgent report is overdue for acknowledgement.
    t.clock.advance(2 * 3600);
    let (_, queue) = call(&t, &investigator, "GET", "/api/v1/reports", Value::Null).await;
    assert_eq!(queue["queue"][0]["timeliness"]["ack_overdue"], true);
    let (status, acked) =
        call(&t, &investigator, "POST", &format!("/api/v1/reports/{rid}/triage"), json!({ "action": "acknowledge", "version": "1" })).await;
    assert_eq!((status, acked["status"].as_str()), (200, Some("acknowledged")));
    // A stale form gets 409; reassigning needs a reason.
    let (status, _) =
        call(&t, &investigator, "POST", &format!("/api/v1/reports/{rid}/triage"), json!({ "action": "act", "version": "1" })).await;
    assert_eq!(status, 409);
    let (status, body) = call(
        &t,
        &investigator,
        "POST",
        &format!("/api/v1/reports/{rid}/triage"),
        json!({ "action": "reassign", "to_org": me["org_id"], "version": "2" }),
    )
    .await;
    assert_eq!((status, body["fields"][0]["field"].as_str()), (422, Some("reason")));

    // The investigator records the girl from the report, with no document, and screens her.
    let (status, p) = call(
        &t,
        &investigator,
        "POST",
        "/api/v1/persons",
        json!({ "role": "possible_victim", "aliases": "La Niña", "approx_age": "14", "languages": "es,qu", "source_type": "report", "source_id": rid }),
    )
    .await;
    assert_eq!(status, 201, "{p}");
    let pid = p["id"].as_str().unwrap().to_owned();
    // A half-filled screening is saved as a draft, then finished; a stale update gets 409.
    let (status, draft) = call(
        &t,
        &investigator,
        "POST",
        &format!("/api/v1/persons/{pid}/screenings"),
        json!({ "exploitation": "sexual", "indicators": ["d1.deceived_nature_job"] }),
    )
    .await;
    assert_eq!(status, 201, "{draft}");
    assert_eq!((draft["status"].as_str(), draft["set"].as_str()), (Some("draft"), Some("child_sexual")), "the set follows the age");
    // A screening done on paper is entered later with its own date, never a future one.
    let (status, e) = call(
        &t,
        &investigator,
        "POST",
        &format!("/api/v1/persons/{pid}/screenings"),
        json!({ "exploitation": "sexual", "screened_on": "2099-01-01" }),
    )
    .await;
    assert_eq!(
        (status, e["fields"][0]["field"].as_str(), e["fields"][0]["code"].as_str()),
        (422, Some("screened_on"), Some("date_in_future")),
        "{e}"
    );
    let sid = draft["id"].as_str().unwrap().to_owned();
    let fin = json!({ "set": "child_sexual", "status": "final", "version": "1", "indicators": ["d1.deceived_nature_job", "d1.deceived_education", "d4.excessive_hours", "d4.hazardous_work"] });
    let (status, done) = call(&t, &investigator, "PUT", &format!("/api/v1/screenings/{sid}"), fin.clone()).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["evaluation"]["outcome"], "indicators_present");
    let (status, _) = call(&t, &investigator, "PUT", &format!("/api/v1/screenings/{sid}"), fin).await;
    assert_eq!(status, 422, "a final screening is never edited");

    // The decision rests on the screening; the person is now in the referral gap.
    let (status, d) = call(
        &t,
        &investigator,
        "POST",
        &format!("/api/v1/persons/{pid}/decisions"),
        json!({ "status": "PossibleVictim", "screening_id": sid }),
    )
    .await;
    assert_eq!(status, 201, "{d}");
    assert_eq!((d["deciding_org_type"].as_str(), d["current"].as_bool()), (Some("Police"), Some(true)));
    let (_, gap) = call(&t, &coordinator, "GET", "/api/v1/referral-gap?days=0", Value::Null).await;
    assert!(gap["items"].as_array().unwrap().iter().any(|g| g["person_id"] == pid.as_str()), "identified, not referred: in the gap");

    // The shelter's address is for its own staff only.
    let (_, services) = call(&t, &investigator, "GET", "/api/v1/services?kind=shelter", Value::Null).await;
    let car = services["items"].as_array().unwrap().iter().find(|s| s["name"] == "CAR Señor de los Milagros").unwrap().clone();
    assert!(car["address"].is_null(), "the police do not see the shelter's address");
    let (_, own) = call(&t, &shelter, "GET", "/api/v1/services?kind=shelter", Value::Null).await;
    let own_car = own["items"].as_array().unwrap().iter().find(|s| s["id"] == car["id"]).unwrap();
    assert_eq!(own_car["address"], "Calle Las Palmeras 412, Punchana");

    // Without consent the investigator may not refer; a child cannot consent alone.
    let svc = car["id"].as_str().unwrap();
    let (status, _) = call(
        &t,
        &investigator,
        "POST",
        &format!("/api/v1/persons/{pid}/referrals"),
        json!({ "service_id": svc, "no_consent_reason": "Riesgo inminente para la niña" }),
    )
    .await;
    assert_eq!(status, 403, "referring without consent needs the dedicated permission");
    let (status, body) = call(
        &t,
        &investigator,
        "POST",
        &format!("/api/v1/persons/{pid}/referrals"),
        json!({ "service_id": svc, "consent_by": "person", "consent_method": "verbal" }),
    )
    .await;
    assert_eq!((status, body["fields"][0]["code"].as_str()), (422, Some("child_consent_needs_guardian")));
    let (status, r) = call(
        &t,
        &investigator,
        "POST",
        &format!("/api/v1/persons/{pid}/referrals"),
        json!({ "service_id": svc, "consent_by": "authority", "consent_method": "written", "consent_name": "Fiscalía de Familia de Maynas" }),
    )
    .await;
    assert_eq!(status, 201, "{r}");
    let ref_id = r["id"].as_str().unwrap().to_owned();
    let (_, gap) = call(&t, &coordinator, "GET", "/api/v1/referral-gap?days=0", Value::Null).await;
    assert!(!gap["items"].as_array().unwrap().iter().any(|g| g["person_id"] == pid.as_str()), "referred: out of the gap");

    // The shelter sees the person (pseudonymous), can reveal for a purpose, and accepts.
    let (status, file) = call(&t, &shelter, "GET", &format!("/api/v1/persons/{pid}/file"), Value::Null).await;
    assert_eq!(status, 200, "a referral shares the person with the receiving shelter");
    assert_eq!(file["referrals"][0]["actions"], json!(["accept", "reject"]));
    let (status, _) =
        call(&t, &investigator, "POST", &format!("/api/v1/referrals/{ref_id}/act"), json!({ "action": "accept", "version": "1" })).await;
    assert_eq!(status, 403, "only the receiving organisation accepts");
    let (status, acc) =
        call(&t, &shelter, "POST", &format!("/api/v1/referrals/{ref_id}/act"), json!({ "action": "accept", "version": "1" })).await;
    assert_eq!((status, acc["status"].as_str()), (200, Some("accepted")), "{acc}");
    let (_, services) = call(&t, &shelter, "GET", "/api/v1/services?kind=shelter", Value::Null).await;
    let occ = services["items"].as_array().unwrap().iter().find(|s| s["id"] == svc).unwrap()["occupancy"].as_i64().unwrap();
    assert_eq!(occ, 2, "the demo's resident plus this child");

    // The small women's shelter fills up: acceptance beyond capacity needs the override.
    let women =
        own["items"].as_array().unwrap().iter().find(|s| s["name"] == "Casa Refugio Amazonía").unwrap()["id"].as_str().unwrap().to_owned();
    let mut ids = Vec::new();
    for alias in ["Ana", "Bea", "Cira"] {
        let (_, p) =
            call(&t, &investigator, "POST", "/api/v1/persons", json!({ "role": "possible_victim", "aliases": alias, "approx_age": "25" }))
                .await;
        let pid = p["id"].as_str().unwrap().to_owned();
        let (_, r) = call(
            &t,
            &investigator,
            "POST",
            &format!("/api/v1/persons/{pid}/referrals"),
            json!({ "service_id": women, "consent_by": "person", "consent_method": "written" }),
        )
        .await;
        ids.push(r["id"].as_str().unwrap().to_owned());
    }
    for id in &ids[..2] {
        let (status, _) =
            call(&t, &shelter, "POST", &format!("/api/v1/referrals/{id}/act"), json!({ "action": "accept", "version": "1" })).await;
        assert_eq!(status, 200);
    }
    let (status, body) =
        call(&t, &shelter, "POST", &format!("/api/v1/referrals/{}/act", ids[2]), json!({ "action": "accept", "version": "1" })).await;
    assert_eq!((status, body["fields"][0]["code"].as_str()), (422, Some("service_full")));
    let (status, body) = call(
        &t,
        &shelter,
        "POST",
        &format!("/api/v1/referrals/{}/act", ids[2]),
        json!({ "action": "accept", "version": "1", "capacity_override": true, "reason": "Emergencia nocturna, cama adicional" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["steps"][1]["capacity_override"], true);
    // Rejection needs a reason; the lifecycle refuses impossible moves.
    let (status, _) =
        call(&t, &shelter, "POST", &format!("/api/v1/referrals/{}/act", ids[0]), json!({ "action": "accept", "version": "2" })).await;
    assert_eq!(status, 422, "already accepted");

    // Every step this test took is in the audit trail (entries written after the demo).
    let actions: Vec<String> = t.store.audit_after(demo_seq, 5_000).await.unwrap().into_iter().map(|e| e.event.action).collect();
    for a in [
        "create_report",
        "acknowledge_report",
        "save_screening_draft",
        "finish_screening",
        "record_decision",
        "create_referral",
        "accept_referral",
        "refer_without_consent",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} audited");
    }
}

#[tokio::test]
async fn a_prosecutor_may_refer_without_consent_with_a_reason_and_it_is_audited_as_such() {
    let t = spawn_app().await;
    demo(&t).await;
    let fiscal = token(&t, "fiscal@demo.amparo.pe").await;
    let (_, p) =
        call(&t, &fiscal, "POST", "/api/v1/persons", json!({ "role": "possible_victim", "aliases": "Sin nombre", "approx_age": "13" }))
            .await;
    let pid = p["id"].as_str().unwrap().to_owned();
    let (_, services) = call(&t, &fiscal, "GET", "/api/v1/services?kind=shelter", Value::Null).await;
    let svc = services["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = call(&t, &fiscal, "POST", &format!("/api/v1/persons/{pid}/referrals"), json!({ "service_id": svc })).await;
    assert_eq!((status, body["fields"][0]["field"].as_str()), (422, Some("no_consent_reason")), "the reason is required");
    let (status, r) = call(
        &t,
        &fiscal,
        "POST",
        &format!("/api/v1/persons/{pid}/referrals"),
        json!({ "service_id": svc, "no_consent_reason": "Niña sin tutor ubicable, riesgo inminente" }),
    )
    .await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["without_consent"], true);
    let e =
        t.store.audit_page(&AuditFilter { action: Some("refer_without_consent".into()), limit: 5, ..Default::default() }).await.unwrap();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].event.record_id, r["id"].as_str().unwrap());
}

#[tokio::test]
async fn the_demo_gap_view_is_not_empty_and_local_users_see_only_their_own() {
    let t = spawn_app().await;
    demo(&t).await;
    let coordinator = token(&t, "coordinadora@demo.amparo.pe").await;
    let (status, gap) = call(&t, &coordinator, "GET", "/api/v1/referral-gap?days=7", Value::Null).await;
    assert_eq!(status, 200);
    let national = gap["items"].as_array().unwrap().len();
    assert!(national >= 2, "the demo has identified victims without referral: {gap}");
    let inspector = token(&t, "inspectora@demo.amparo.pe").await;
    let (_, local) = call(&t, &inspector, "GET", "/api/v1/referral-gap?days=7", Value::Null).await;
    let (_, me) = call(&t, &inspector, "GET", "/api/v1/me", Value::Null).await;
    assert!(!local["items"].as_array().unwrap().is_empty());
    assert!(local["items"].as_array().unwrap().iter().all(|g| g["org_id"] == me["org_id"]), "a labour inspector sees her own persons only");
    assert!(local["items"].as_array().unwrap().len() < national);
    let analyst = token(&t, "analista@demo.amparo.pe").await;
    let (_, a) = call(&t, &analyst, "GET", "/api/v1/referral-gap?days=7", Value::Null).await;
    assert!(a["items"].as_array().unwrap().iter().all(|g| g["person_code"].as_str().unwrap().starts_with("P-")), "pseudonymous codes only");
    let (status, _) =
        call(&t, &analyst, "GET", &format!("/api/v1/persons/{}/file", a["items"][0]["person_id"].as_str().unwrap()), Value::Null).await;
    assert_eq!(status, 403, "seeing the gap does not open the file");
}

#[tokio::test]
async fn the_public_form_is_anonymous_gives_a_code_and_secret_and_is_rate_limited() {
    let t = spawn_app().await;
    demo(&t).await;
    let c = client();
    let form = |narrative: &str| {
        vec![
            ("place", "PE-16".to_owned()),
            ("exploitation", "sexual".to_owned()),
            ("narrative", narrative.to_owned()),
            ("lang", "en".to_owned()),
        ]
    };
    let r = c.get(format!("{}/public/report?lang=en", t.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("set-cookie").is_none(), "no cookie on the public form");
    let page = r.text().await.unwrap();
    assert!(page.contains("Report a possible case"));
    // A reporter who leaves the kind of exploitation alone reports "not known yet", not the
    // first kind listed (the national figures count it).
    let selected: Vec<&str> = page.match_indices(" selected>").map(|(i, _)| page[..i].rsplit("value=\"").next().unwrap_or("")).collect();
    assert_eq!(selected, vec!["unknown\""], "the options selected on the blank form");
    let r = post_form(&c, format!("{}/public/report", t.base), &form("Vi chicas menores en un hospedaje"), false).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("set-cookie").is_none());
    let html = r.text().await.unwrap();
    let grab = |id: &str| {
        let i = html.find(&format!("id=\"{id}\">")).unwrap() + id.len() + 6;
        html[i..].split('<').next().unwrap().to_owned()
    };
    let (reference, secret) = (grab("pub-reference"), grab("pub-secret"));
    assert!(reference.starts_with("R-") && secret.len() >= 20, "{reference} {secret}");
    // With both codes: only "received", and information can be added.
    let look = |s: &str| vec![("reference", reference.clone()), ("secret", s.to_owned()), ("lang", "es".to_owned())];
    let r = post_form(&c, format!("{}/public/status", t.base), &look(&secret), false).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("Recibida el") && !page.contains("hospedaje"), "the reporter sees receipt only, not the case");
    let r = post_form(&c, format!("{}/public/status", t.base), &look("wrong-secret"), false).await;
    assert_eq!(r.status(), 404);
    let mut add = look(&secret);
    add.push(("text", "El lugar se llama Hostal Las Brisas".to_owned()));
    let r = post_form(&c, format!("{}/public/follow-up", t.base), &add, false).await;
    assert_eq!(r.status(), 200);
    // The report is in the competent unit's queue, narrative sealed; the audit has no address.
    let rows = t
        .store
        .find_rows(
            amparo_core::store::RecordTable::Reports,
            &amparo_core::store::RowFilter { lookup: Some(reference.clone()), ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(!String::from_utf8_lossy(rows[0].sealed.as_ref().unwrap()).contains("hospedaje"), "sealed at rest");
    let inv = token(&t, "investigador@demo.amparo.pe").await;
    let (_, detail) = call(&t, &inv, "GET", &format!("/api/v1/reports/{}", rows[0].id), Value::Null).await;
    assert_eq!(detail["secrets"]["follow_ups"][0]["text"], "El lugar se llama Hostal Las Brisas");
    let audit =
        t.store.audit_page(&AuditFilter { action: Some("submit_public_report".into()), limit: 50, ..Default::default() }).await.unwrap();
    assert!(!audit.is_empty() && audit.iter().all(|e| e.event.client_ip.is_empty() && e.event.actor.is_empty()), "no address, no actor");
    // A cross-site post is refused; the rate limit stops a flood from one address.
    let r = post_form(&c, format!("{}/public/report", t.base), &form("spam"), true).await;
    assert_eq!(r.status(), 403);
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(post_form(&c, format!("{}/public/report", t.base), &form("otra vez"), false).await.status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    // Bad input loses nothing: the form comes back with what was typed.
    t.clock.advance(3_700);
    let r = post_form(&c, format!("{}/public/report", t.base), &[("place", ""), ("narrative", "Texto que no se pierde")], false).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Texto que no se pierde"));
}

#[tokio::test]
async fn stale_edits_of_persons_and_services_get_409_with_the_current_record() {
    let t = spawn_app().await;
    demo(&t).await;
    let inv = token(&t, "investigador@demo.amparo.pe").await;
    let (_, p) =
        call(&t, &inv, "POST", "/api/v1/persons", json!({ "role": "possible_victim", "aliases": "Flor", "approx_age": "17" })).await;
    let pid = p["id"].as_str().unwrap();
    let edit = json!({ "role": "possible_victim", "aliases": "Flor", "approx_age": "16", "nationality": "PE", "document_type": "national_id", "version": "1" });
    let (status, v2) = call(&t, &inv, "PUT", &format!("/api/v1/persons/{pid}"), edit.clone()).await;
    assert_eq!((status, v2["version"].as_i64(), v2["nationality"].as_str()), (200, Some(2), Some("PE")), "{v2}");
    let (status, body) = call(&t, &inv, "PUT", &format!("/api/v1/persons/{pid}"), edit).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("version_conflict")));
    assert_eq!(body["current"]["approx_age"], 16, "the conflict shows the current record");
    assert!(body["current"].get("aliases").is_none(), "…without the identity");

    let shelter = token(&t, "albergue@demo.amparo.pe").await;
    let (_, list) = call(&t, &shelter, "GET", "/api/v1/services?kind=shelter", Value::Null).await;
    let svc = list["items"].as_array().unwrap().iter().find(|s| s["name"] == "Casa Refugio Amazonía").unwrap().clone();
    let id = svc["id"].as_str().unwrap();
    let body = json!({ "name": "Casa Refugio Amazonía", "kind": "shelter", "region": "PE-16", "capacity": "4", "contact_protocol": "Derivación escrita", "version": svc["version"] });
    let (status, upd) = call(&t, &shelter, "PUT", &format!("/api/v1/services/{id}"), body.clone()).await;
    assert_eq!((status, upd["capacity"].as_i64()), (200, Some(4)), "{upd}");
    let (status, _) = call(&t, &shelter, "PUT", &format!("/api/v1/services/{id}"), body.clone()).await;
    assert_eq!(status, 409);
    let mut theirs = body.clone();
    theirs["version"] = upd["version"].clone();
    let (status, _) = call(&t, &inv, "PUT", &format!("/api/v1/services/{id}"), theirs).await;
    assert_eq!(status, 403, "the police cannot edit the shelter's entry");
}

#[tokio::test]
async fn an_inspection_with_forced_labour_indicators_is_handed_to_the_competent_police_unit() {
    let t = spawn_app().await;
    demo(&t).await;
    let insp = token(&t, "inspectora@demo.amparo.pe").await;
    let (status, i) = call(
        &t,
        &insp,
        "POST",
        "/api/v1/inspections",
        json!({ "place": "PE-1601", "workplace": "Aserradero El Tigre", "isic": "A", "workers_found": "9", "indicators": ["fl07_retention_of_documents", "fl09_debt_bondage"] }),
    )
    .await;
    assert_eq!(status, 201, "{i}");
    let iid = i["id"].as_str().unwrap();
    // The Loreto police (competent for the place) are notified and may read it.
    let police =
        t.store.list_orgs().await.unwrap().into_iter().find(|o| o.kind.as_str() == "police_unit" && o.jurisdiction == "PE-16").unwrap();
    let notes = t
        .store
        .find_rows(
            amparo_core::store::RecordTable::Notifications,
            &amparo_core::store::RowFilter { orgs: vec![police.id.clone()], ..Default::default() },
        )
        .await
        .unwrap();
    assert!(notes.iter().any(|n| n.kind == "inspection_indicators" && n.lookup.as_deref() == Some(&format!("/inspections/{iid}")[..])));
    let (b, _) = login(&t, "investigador@demo.amparo.pe", DEMO_PW).await;
    let page = b.get(&format!("/inspections/{iid}")).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Aserradero El Tigre"));
    // A prosecutor elsewhere may not.
    let (f, _) = login(&t, "fiscal@demo.amparo.pe", DEMO_PW).await;
    assert_eq!(f.get(&format!("/inspections/{iid}")).await.status(), 403);
    // Bad input names every bad field and loses nothing.
    let (status, body) = call(
        &t,
        &insp,
        "POST",
        "/api/v1/inspections",
        json!({ "place": "PE-16", "isic": "Z", "indicators": ["fl99"], "workers_found": "-3" }),
    )
    .await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = body["fields"].as_array().unwrap().iter().filter_map(|f| f["field"].as_str()).collect();
    for f in ["workplace", "isic", "workers_found", "indicators"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
}
