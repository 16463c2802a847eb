//! The authorization matrix by relation, with effects read back: a parent organisation and
//! its child, a case shared with and without identities, a share that has expired, and
//! accounts holding two roles. Every permitted write is read back; every refused write leaves
//! the record as it was and a `denied` entry on the trail. Built with small fixtures (no demo),
//! so nothing but what each test made can answer for it.

use crate::world::*;
use serde_json::{Value, json};

/// The police tree: a national directorate with a regional station below it, and an
/// unrelated unit elsewhere.
#[tokio::test]
async fn a_parent_organisation_reads_below_it_and_a_child_not_above() {
    let w = World::new().await;
    let parent = w.org("Dirección contra la Trata", "police_unit", "PE-15", None).await;
    let child = w.org("Comisaría de Pucallpa", "police_unit", "PE-25", Some(&parent)).await;
    let other = w.org("Comisaría de Juliaca", "police_unit", "PE-21", None).await;
    let inv_parent = w.account("inv.dirtrata@x.pe", &parent, &["investigator"]).await;
    let inv_child = w.account("inv.pucallpa@x.pe", &child, &["investigator"]).await;
    let inv_other = w.account("inv.juliaca@x.pe", &other, &["investigator"]).await;
    let admin_parent = w.account("admin.dirtrata@x.pe", &parent, &["org_admin"]).await;
    let admin_child = w.account("admin.pucallpa@x.pe", &child, &["org_admin"]).await;

    // A report taken at the station.
    let body = json!({ "channel": "walk_in", "place": "PE-25", "narrative": "Denuncia en la comisaría" });
    let rep = w.ok(&inv_child, "POST", "/api/v1/reports", body, 201).await;
    let rid = rep["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/reports/{rid}");
    // The directorate above reads it (sub-organisation); the unrelated unit may not.
    let read = w.ok(&inv_parent, "GET", &path, Value::Null, 200).await;
    assert_eq!(read["id"], rep["id"], "{read}");
    assert!(matches!(w.call(&inv_other, "GET", &path, Value::Null).await.0, 403 | 404));
    // Triage belongs to the unit holding the report: the directorate is refused, and the
    // report is unchanged, with the refusal on the trail.
    let before = w.ok(&inv_child, "GET", &path, Value::Null, 200).await;
    let triage = json!({ "action": "acknowledge", "version": before["version"] });
    let refused = w.call(&inv_parent, "POST", &format!("{path}/triage"), triage.clone()).await;
    assert_eq!(refused.0, 403, "{refused:?}");
    let after = w.ok(&inv_child, "GET", &path, Value::Null, 200).await;
    assert_eq!((&after["status"], &after["version"]), (&before["status"], &before["version"]), "a refused triage changed nothing");
    let trail = w.audit_of(&inv_parent, &rid).await;
    assert!(trail.iter().any(|e| e.action == "triage_report" && e.outcome == "denied"), "the refusal is audited: {trail:?}");
    // The station triages it itself, and the change is there to read.
    let done = w.ok(&inv_child, "POST", &format!("{path}/triage"), triage, 200).await;
    assert_ne!(done["status"], before["status"], "{done}");
    assert_eq!(w.ok(&inv_child, "GET", &path, Value::Null, 200).await["status"], done["status"]);

    // Nothing flows upwards: the directorate's own report stays out of the station's sight.
    let body = json!({ "channel": "walk_in", "place": "PE-15", "narrative": "Denuncia nacional" });
    let up = w.ok(&inv_parent, "POST", "/api/v1/reports", body, 201).await;
    let up_path = format!("/api/v1/reports/{}", up["id"].as_str().unwrap());
    assert!(matches!(w.call(&inv_child, "GET", &up_path, Value::Null).await.0, 403 | 404));

    // Accounts: the directorate's admin edits the station's investigator (read back); the
    // station's admin may not edit the directorate's, and that account stays as it was.
    let upath = format!("/api/v1/users/{}", inv_child.id);
    let u = w.ok(&admin_parent, "GET", &upath, Value::Null, 200).await;
    let upd = json!({ "display_name": "Investigadora de Pucallpa", "roles": ["investigator"], "version": u["version"] });
    w.ok(&admin_parent, "PUT", &upath, upd, 200).await;
    assert_eq!(w.ok(&admin_child, "GET", &upath, Value::Null, 200).await["display_name"], "Investigadora de Pucallpa");
    let ppath = format!("/api/v1/users/{}", inv_parent.id);
    let p = w.ok(&admin_parent, "GET", &ppath, Value::Null, 200).await;
    let upd = json!({ "display_name": "Cambiado desde abajo", "roles": ["org_admin"], "version": p["version"] });
    assert!(matches!(w.call(&admin_child, "PUT", &ppath, upd).await.0, 403 | 404));
    let p2 = w.ok(&admin_parent, "GET", &ppath, Value::Null, 200).await;
    assert_eq!((&p2["display_name"], &p2["roles"], &p2["version"]), (&p["display_name"], &p["roles"], &p["version"]));
    // An admin's user list reaches down the tree and no further.
    let list = w.ok(&admin_parent, "GET", "/api/v1/users", Value::Null, 200).await;
    let emails: Vec<&str> = list["items"].as_array().unwrap().iter().filter_map(|u| u["email"].as_str()).collect();
    assert!(emails.contains(&"inv.pucallpa@x.pe") && emails.contains(&"inv.dirtrata@x.pe"), "{emails:?}");
    assert!(!emails.contains(&"inv.juliaca@x.pe"), "not the unrelated unit: {emails:?}");
    let list = w.ok(&admin_child, "GET", "/api/v1/users", Value::Null, 200).await;
    let emails: Vec<&str> = list["items"].as_array().unwrap().iter().filter_map(|u| u["email"].as_str()).collect();
    assert!(!emails.contains(&"inv.dirtrata@x.pe") && emails.contains(&"inv.pucallpa@x.pe"), "{emails:?}");
}

/// A case shared with one prosecutor's office openly, with another hiding identities, and
/// then the shares expire.
#[tokio::test]
async fn a_share_opens_a_case_shows_or_hides_people_and_closes_when_it_expires() {
    let w = World::new().await;
    let police = w.org("Comisaría de Pucallpa", "police_unit", "PE-25", None).await;
    let open_office = w.org("Fiscalía de Ucayali", "prosecutor_office", "PE-25", None).await;
    let hiding_office = w.org("Fiscalía de Lima", "prosecutor_office", "PE-15", None).await;
    let far_office = w.org("Fiscalía de Puno", "prosecutor_office", "PE-21", None).await;
    let inv = w.account("inv@x.pe", &police, &["investigator"]).await;
    let open = w.account("fiscal.ucayali@x.pe", &open_office, &["prosecutor"]).await;
    let hiding = w.account("fiscal.lima@x.pe", &hiding_office, &["prosecutor"]).await;
    let far = w.account("fiscal.puno@x.pe", &far_office, &["prosecutor"]).await;
    let pid = w.person(&inv, "Rosa Elvira", "Quispe").await;
    let suspect = w.person_as(&inv, "suspect", "Julio", "Mamani").await;
    let case = w.case_linking(&inv, &[(&pid, "victim"), (&suspect, "suspect")]).await;
    let cid = case["id"].as_str().unwrap().to_owned();
    let cpath = format!("/api/v1/cases/{cid}");
    let ppath = format!("/api/v1/persons/{pid}");

    // Before any share: nobody outside the unit sees the case or the person.
    for who in [&open, &hiding, &far] {
        assert!(matches!(w.call(who, "GET", &cpath, Value::Null).await.0, 403 | 404), "{}", who.email);
        assert!(matches!(w.call(who, "GET", &ppath, Value::Null).await.0, 403 | 404), "{}", who.email);
    }
    let until = "2026-12-31";
    let share = |to: &amparo_domain::OrgId, hide: bool| json!({ "to_org": to.to_string(), "purpose": "Formalizar la denuncia", "until": until, "hide_identities": hide });
    w.ok(&inv, "POST", &format!("{cpath}/shares"), share(&open_office, false), 201).await;
    w.ok(&inv, "POST", &format!("{cpath}/shares"), share(&hiding_office, true), 201).await;

    // The open share: the case and the person behind it, and the prosecutor's work on it.
    let seen = w.ok(&open, "GET", &cpath, Value::Null, 200).await;
    assert!(seen.to_string().contains(&pid), "an open share shows who is in the case");
    w.ok(&open, "GET", &ppath, Value::Null, 200).await;
    let charge = json!({ "person_id": suspect, "statute_id": "pe-cp-129a-2021", "offence_date": "2025-01-01", "filed_on": "2025-02-01" });
    w.ok(&open, "POST", &format!("{cpath}/charges"), charge.clone(), 201).await;
    let owner_view = w.ok(&inv, "GET", &cpath, Value::Null, 200).await;
    let charges = |v: &Value| v["charges"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(charges(&owner_view), 1, "the charge is on the case: {owner_view}");

    // The hiding share: the case, but no one in it.
    let hidden = w.ok(&hiding, "GET", &cpath, Value::Null, 200).await;
    for secret in [pid.as_str(), "Rosa", "Quispe"] {
        assert!(!hidden.to_string().contains(secret), "a hiding share shows {secret}: {hidden}");
    }
    assert!(matches!(w.call(&hiding, "GET", &ppath, Value::Null).await.0, 403 | 404));
    // The unrelated office still sees nothing, and a charge it tries is not recorded.
    assert!(matches!(w.call(&far, "POST", &format!("{cpath}/charges"), charge.clone()).await.0, 403 | 404));
    assert_eq!(charges(&w.ok(&inv, "GET", &cpath, Value::Null, 200).await), 1);

    // A day past the share's end: both offices lose the case and the person, and a charge
    // they try is refused and not recorded.
    w.t.clock.advance(120 * 86_400);
    for who in [&open, &hiding] {
        assert!(matches!(w.call(who, "GET", &cpath, Value::Null).await.0, 403 | 404), "expired share: {}", who.email);
        assert!(matches!(w.call(who, "GET", &ppath, Value::Null).await.0, 403 | 404), "expired share: {}", who.email);
    }
    assert!(matches!(w.call(&open, "POST", &format!("{cpath}/charges"), charge).await.0, 403 | 404));
    assert_eq!(charges(&w.ok(&inv, "GET", &cpath, Value::Null, 200).await), 1, "nothing recorded after the end");
    let trail = w.audit_of(&open, &cid).await;
    assert!(trail.iter().any(|e| e.outcome == "denied"), "the late attempt is on the trail: {trail:?}");
}

/// Accounts holding two roles get the work of each, and no more.
#[tokio::test]
async fn two_roles_each_grant_their_own_work_and_no_more() {
    let w = World::new().await;
    let police = w.org("Comisaría de Iquitos", "police_unit", "PE-16", None).await;
    let ministry = w.org("Observatorio", "coordinating_body", "PE-15", None).await;
    let admin_inv = w.account("jefa@x.pe", &police, &["org_admin", "investigator"]).await;
    let coord_analyst = w.account("analista@x.pe", &ministry, &["coordinator", "analyst"]).await;

    // The admin half: an account in her unit, read back.
    let body = json!({ "email": "nuevo@x.pe", "display_name": "Nuevo", "org_id": police.to_string(), "roles": ["investigator"], "password": "una clave bastante larga" });
    let u = w.ok(&admin_inv, "POST", "/api/v1/users", body, 201).await;
    let read = w.ok(&admin_inv, "GET", &format!("/api/v1/users/{}", u["id"].as_str().unwrap()), Value::Null, 200).await;
    assert_eq!(read["email"], "nuevo@x.pe");
    // The investigator half: a person and a case, read back.
    let pid = w.person(&admin_inv, "Ana", "Torres").await;
    let case = w.case_with(&admin_inv, &pid).await;
    let c = w.ok(&admin_inv, "GET", &format!("/api/v1/cases/{}", case["id"].as_str().unwrap()), Value::Null, 200).await;
    assert!(c.to_string().contains(&pid));
    // Neither half reads national statistics.
    assert_eq!(w.call(&admin_inv, "GET", "/api/v1/statistics/annual?year=2026", Value::Null).await.0, 403);

    // Coordinator + analyst: the statistics, but no person may be recorded, and none is.
    w.ok(&coord_analyst, "GET", "/api/v1/statistics/annual?year=2026", Value::Null, 200).await;
    let body = json!({ "role": "witness", "aliases": "El Flaco" });
    assert_eq!(w.call(&coord_analyst, "POST", "/api/v1/persons", body).await.0, 403);
    let mine = w.ok(&coord_analyst, "GET", "/api/v1/persons", Value::Null, 200).await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(0), "no person was recorded: {mine}");
    // Nor does either hold the other organisation's records: the coordinator's case list is
    // empty, the admin's user list has no one from the observatory.
    let cases = w.ok(&coord_analyst, "GET", "/api/v1/cases", Value::Null, 200).await;
    assert!(!cases.to_string().contains(case["id"].as_str().unwrap()), "{cases}");
    let users = w.ok(&admin_inv, "GET", "/api/v1/users", Value::Null, 200).await;
    assert!(!users.to_string().contains("analista@x.pe"), "{users}");
}
