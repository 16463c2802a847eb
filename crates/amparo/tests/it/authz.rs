//! The authorization matrix: every route in the catalogue, against every role, for a record
//! of the caller's own organisation and of another one. A route missing from `EXPECT` fails
//! `every_route_has_a_row_in_the_matrix`, so nobody can add a route without deciding who
//! may use it.

use crate::helpers::*;
use amparo_core::Ctx;
use amparo_core::store::ports::*;
use amparo_core::store::{Batch, RecordRow, RecordTable};
use amparo_core::usecases::identification::ScreeningInput;
use amparo_demo::DemoExt;
use amparo_domain::PersonId;
use amparo_domain::person::PersonInput;
use amparo_domain::policy::{Actor, UserActor};
use amparo_domain::protection::{ReferralInput, ServiceInput};
use amparo_domain::user::User;
use amparo_domain::{OrgId, Role};
use amparo_web::routes::{RouteKind, catalogue};
use std::collections::{BTreeSet, HashMap};

/// Who may use a route. `Own`/`Other` say whether the target record belongs to the caller's
/// organisation (or, for user records, is the caller) or to an unrelated organisation.
#[derive(Clone, Copy)]
enum Who {
    Public,
    AllSignedIn,
    /// Roles allowed on their own organisation's record, and on another's.
    Roles(&'static [Role], &'static [Role]),
}

use Role::*;
const IDENTITY: &[Role] = &[HotlineOperator, Investigator, Prosecutor, LabourInspector, CaseWorker, ShelterStaff, Coordinator];
const WRITERS: &[Role] = &[HotlineOperator, Investigator, Prosecutor, LabourInspector, CaseWorker, ShelterStaff];
const ADMINS: &[Role] = &[OrgAdmin, SystemAdmin];
const SYS: &[Role] = &[SystemAdmin];
const NONE: &[Role] = &[];
const INTAKE: &[Role] = &[HotlineOperator, Investigator, LabourInspector, CaseWorker, Coordinator];
const INTAKE_READERS: &[Role] = &[HotlineOperator, Investigator, Prosecutor, LabourInspector, CaseWorker, Coordinator];
const TRIAGERS: &[Role] = &[HotlineOperator, Investigator, LabourInspector, Coordinator];
const PROTECTORS: &[Role] = &[Investigator, Prosecutor, LabourInspector, CaseWorker, ShelterStaff];
const SERVICE_STAFF: &[Role] = &[CaseWorker, ShelterStaff];
const SERVICE_MANAGERS: &[Role] = &[CaseWorker, ShelterStaff, OrgAdmin, SystemAdmin];
const INVESTIGATORS: &[Role] = &[Investigator, Prosecutor, LabourInspector];
const REQUESTERS: &[Role] = &[Investigator, Prosecutor, LabourInspector, Coordinator];
const PREVENTION: &[Role] = &[Coordinator, CaseWorker, Investigator, Prosecutor, LabourInspector, OrgAdmin];
const PROSECUTOR: &[Role] = &[Prosecutor];
const GAP: &[Role] = &[Investigator, Prosecutor, LabourInspector, CaseWorker, ShelterStaff, Coordinator, Analyst];

const LINKAGE_RUNNERS: &[Role] = &[Coordinator, SystemAdmin];
/// The queue page: those who see the queue, and system admins, who see only the run panel.
const MATCH_PAGE: &[Role] =
    &[HotlineOperator, Investigator, Prosecutor, LabourInspector, CaseWorker, ShelterStaff, Coordinator, SystemAdmin];
const STATISTICS: &[Role] = &[Coordinator, Analyst, SystemAdmin];
const EXPORTERS: &[Role] = &[Coordinator, Analyst];

const EXPECT: &[(&str, &str, Who)] = &[
    ("GET", "/healthz", Who::Public),
    ("GET", "/readyz", Who::Public),
    ("GET", "/assets/{file}", Who::Public),
    ("GET", "/favicon.ico", Who::Public),
    ("GET", "/login", Who::Public),
    ("POST", "/login", Who::Public),
    ("POST", "/locale", Who::Public),
    ("POST", "/logout", Who::AllSignedIn),
    ("GET", "/mfa", Who::AllSignedIn),
    ("POST", "/mfa", Who::AllSignedIn),
    ("GET", "/mfa/enrol", Who::AllSignedIn),
    ("POST", "/mfa/enrol", Who::AllSignedIn),
    ("GET", "/", Who::AllSignedIn),
    ("GET", "/orgs", Who::AllSignedIn),
    ("POST", "/orgs", Who::Roles(ADMINS, SYS)),
    ("GET", "/orgs/{id}", Who::Roles(ADMINS, SYS)),
    ("POST", "/orgs/{id}", Who::Roles(ADMINS, SYS)),
    ("GET", "/users", Who::Roles(ADMINS, ADMINS)),
    ("POST", "/users", Who::Roles(ADMINS, SYS)),
    ("GET", "/users/{id}", Who::Roles(ADMINS, SYS)),
    ("POST", "/users/{id}", Who::Roles(ADMINS, SYS)),
    ("POST", "/users/{id}/status", Who::Roles(ADMINS, SYS)),
    ("POST", "/users/{id}/reset", Who::Roles(ADMINS, SYS)),
    ("GET", "/audit", Who::Roles(ADMINS, ADMINS)),
    ("GET", "/persons", Who::Roles(IDENTITY, IDENTITY)),
    ("POST", "/persons", Who::Roles(WRITERS, WRITERS)),
    ("GET", "/persons/{id}", Who::Roles(IDENTITY, NONE)),
    ("POST", "/persons/{id}/reveal", Who::Roles(IDENTITY, NONE)),
    ("POST", "/persons/{id}", Who::Roles(WRITERS, NONE)),
    ("GET", "/persons/{id}/screening", Who::Roles(IDENTITY, NONE)),
    ("POST", "/persons/{id}/screenings", Who::Roles(PROTECTORS, NONE)),
    ("POST", "/persons/{id}/decisions", Who::Roles(PROTECTORS, NONE)),
    ("POST", "/persons/{id}/referrals", Who::Roles(PROTECTORS, NONE)),
    ("POST", "/persons/{id}/assistance", Who::Roles(PROTECTORS, NONE)),
    ("GET", "/screenings/{id}", Who::Roles(IDENTITY, NONE)),
    ("POST", "/screenings/{id}", Who::Roles(PROTECTORS, NONE)),
    ("POST", "/screening/evaluate", Who::AllSignedIn),
    ("GET", "/instruments", Who::AllSignedIn),
    ("GET", "/instruments/{id}", Who::AllSignedIn),
    ("POST", "/instruments", Who::Roles(SYS, SYS)),
    ("GET", "/reports", Who::Roles(INTAKE_READERS, INTAKE_READERS)),
    ("POST", "/reports", Who::Roles(INTAKE, INTAKE)),
    ("GET", "/reports/{id}", Who::Roles(INTAKE_READERS, NONE)),
    ("POST", "/reports/{id}/triage", Who::Roles(TRIAGERS, NONE)),
    ("GET", "/operations", Who::Roles(INTAKE_READERS, INTAKE_READERS)),
    ("POST", "/operations", Who::Roles(&[Investigator], &[Investigator])),
    ("GET", "/operations/{id}", Who::Roles(INTAKE_READERS, NONE)),
    ("GET", "/inspections", Who::Roles(INTAKE_READERS, INTAKE_READERS)),
    ("POST", "/inspections", Who::Roles(&[LabourInspector], &[LabourInspector])),
    ("GET", "/inspections/{id}", Who::Roles(INTAKE_READERS, NONE)),
    ("GET", "/services", Who::AllSignedIn),
    ("POST", "/services", Who::Roles(SERVICE_MANAGERS, SERVICE_MANAGERS)),
    ("GET", "/services/{id}", Who::AllSignedIn),
    ("POST", "/services/{id}", Who::Roles(SERVICE_MANAGERS, SYS)),
    ("GET", "/referrals", Who::Roles(IDENTITY, IDENTITY)),
    ("GET", "/referrals/{id}", Who::Roles(IDENTITY, NONE)),
    ("POST", "/referrals/{id}/act", Who::Roles(SERVICE_STAFF, NONE)),
    ("GET", "/referral-gap", Who::Roles(GAP, GAP)),
    ("GET", "/notifications", Who::AllSignedIn),
    ("POST", "/notifications/read", Who::AllSignedIn),
    ("GET", "/cases", Who::Roles(IDENTITY, IDENTITY)),
    ("POST", "/cases", Who::Roles(INVESTIGATORS, INVESTIGATORS)),
    ("POST", "/share-requests", Who::Roles(REQUESTERS, REQUESTERS)),
    ("GET", "/cases/{id}", Who::Roles(IDENTITY, NONE)),
    ("POST", "/cases/{id}", Who::Roles(INVESTIGATORS, NONE)),
    ("POST", "/cases/{id}/links", Who::Roles(INVESTIGATORS, NONE)),
    ("POST", "/cases/{id}/events", Who::Roles(INVESTIGATORS, NONE)),
    ("POST", "/cases/{id}/charges", Who::Roles(PROSECUTOR, NONE)),
    ("POST", "/cases/{id}/stage", Who::Roles(PROSECUTOR, NONE)),
    ("POST", "/cases/{id}/hearings", Who::Roles(PROSECUTOR, NONE)),
    ("POST", "/cases/{id}/shares", Who::Roles(INVESTIGATORS, NONE)),
    ("POST", "/cases/{id}/transfer", Who::Roles(INVESTIGATORS, NONE)),
    ("POST", "/cases/{id}/access", Who::Roles(INVESTIGATORS, NONE)),
    ("POST", "/cases/{id}/tasks", Who::Roles(INVESTIGATORS, NONE)),
    ("POST", "/cases/{id}/attachments", Who::Roles(INVESTIGATORS, NONE)),
    ("GET", "/attachments/{id}", Who::Roles(IDENTITY, NONE)),
    ("POST", "/charges/{id}/decision", Who::Roles(PROSECUTOR, NONE)),
    ("POST", "/charges/{id}/review", Who::Roles(PROSECUTOR, NONE)),
    ("POST", "/charges/{id}/appeals", Who::Roles(PROSECUTOR, NONE)),
    ("POST", "/shares/{id}", Who::Roles(INVESTIGATORS, NONE)),
    ("GET", "/search", Who::AllSignedIn),
    ("GET", "/tasks", Who::Roles(IDENTITY, IDENTITY)),
    ("POST", "/tasks/{id}/done", Who::Roles(INVESTIGATORS, NONE)),
    ("GET", "/statistics", Who::Roles(STATISTICS, STATISTICS)),
    ("GET", "/statistics/annual/{format}", Who::Roles(STATISTICS, STATISTICS)),
    ("GET", "/statistics/ctdc", Who::Roles(EXPORTERS, EXPORTERS)),
    ("GET", "/matches", Who::Roles(MATCH_PAGE, MATCH_PAGE)),
    ("POST", "/matches/run", Who::Roles(LINKAGE_RUNNERS, LINKAGE_RUNNERS)),
    ("GET", "/matches/run-status", Who::Roles(LINKAGE_RUNNERS, LINKAGE_RUNNERS)),
    ("GET", "/matches/{id}", Who::Roles(IDENTITY, NONE)),
    ("POST", "/matches/{id}/reveal", Who::Roles(IDENTITY, NONE)),
    ("POST", "/matches/{id}/decision", Who::Roles(IDENTITY, NONE)),
    ("GET", "/alerts", Who::Roles(WRITERS, WRITERS)),
    ("POST", "/alerts/{id}", Who::Roles(WRITERS, NONE)),
    ("GET", "/prevention", Who::AllSignedIn),
    ("POST", "/prevention", Who::Roles(PREVENTION, PREVENTION)),
    ("GET", "/public/report", Who::Public),
    ("POST", "/public/report", Who::Public),
    ("GET", "/public/status", Who::Public),
    ("POST", "/public/status", Who::Public),
    ("POST", "/public/follow-up", Who::Public),
    ("GET", "/api/v1/openapi.json", Who::Public),
    ("GET", "/api/v1/me", Who::AllSignedIn),
    ("GET", "/api/v1/organisations", Who::AllSignedIn),
    ("POST", "/api/v1/organisations", Who::Roles(ADMINS, SYS)),
    ("GET", "/api/v1/organisations/{id}", Who::AllSignedIn),
    ("PUT", "/api/v1/organisations/{id}", Who::Roles(ADMINS, SYS)),
    ("GET", "/api/v1/users", Who::Roles(ADMINS, ADMINS)),
    ("POST", "/api/v1/users", Who::Roles(ADMINS, SYS)),
    (
        "GET",
        "/api/v1/users/{id}",
        Who::Roles(
            &[
                HotlineOperator,
                Investigator,
                Prosecutor,
                LabourInspector,
                CaseWorker,
                ShelterStaff,
                Analyst,
                Coordinator,
                OrgAdmin,
                SystemAdmin,
            ],
            SYS,
        ),
    ),
    ("PUT", "/api/v1/users/{id}", Who::Roles(ADMINS, SYS)),
    ("GET", "/api/v1/audit", Who::Roles(ADMINS, ADMINS)),
    ("GET", "/api/v1/persons", Who::Roles(IDENTITY, IDENTITY)),
    ("POST", "/api/v1/persons", Who::Roles(WRITERS, WRITERS)),
    ("GET", "/api/v1/persons/{id}", Who::Roles(IDENTITY, NONE)),
    ("POST", "/api/v1/persons/{id}/reveal", Who::Roles(IDENTITY, NONE)),
    ("PUT", "/api/v1/persons/{id}", Who::Roles(WRITERS, NONE)),
    ("GET", "/api/v1/persons/{id}/file", Who::Roles(IDENTITY, NONE)),
    ("POST", "/api/v1/persons/{id}/screenings", Who::Roles(PROTECTORS, NONE)),
    ("POST", "/api/v1/persons/{id}/decisions", Who::Roles(PROTECTORS, NONE)),
    ("POST", "/api/v1/persons/{id}/referrals", Who::Roles(PROTECTORS, NONE)),
    ("POST", "/api/v1/persons/{id}/assistance", Who::Roles(PROTECTORS, NONE)),
    ("GET", "/api/v1/screenings/{id}", Who::Roles(IDENTITY, NONE)),
    ("PUT", "/api/v1/screenings/{id}", Who::Roles(PROTECTORS, NONE)),
    ("GET", "/api/v1/screening-instruments", Who::AllSignedIn),
    ("POST", "/api/v1/screening-instruments", Who::Roles(SYS, SYS)),
    ("GET", "/api/v1/screening-instruments/{id}", Who::AllSignedIn),
    ("POST", "/api/v1/screening-instruments/{id}/evaluate", Who::AllSignedIn),
    ("GET", "/api/v1/reports", Who::Roles(INTAKE_READERS, INTAKE_READERS)),
    ("POST", "/api/v1/reports", Who::Roles(INTAKE, INTAKE)),
    ("GET", "/api/v1/reports/{id}", Who::Roles(INTAKE_READERS, NONE)),
    ("POST", "/api/v1/reports/{id}/triage", Who::Roles(TRIAGERS, NONE)),
    ("POST", "/api/v1/operations", Who::Roles(&[Investigator], &[Investigator])),
    ("POST", "/api/v1/inspections", Who::Roles(&[LabourInspector], &[LabourInspector])),
    ("GET", "/api/v1/services", Who::AllSignedIn),
    ("POST", "/api/v1/services", Who::Roles(SERVICE_MANAGERS, SERVICE_MANAGERS)),
    ("GET", "/api/v1/services/{id}", Who::AllSignedIn),
    ("PUT", "/api/v1/services/{id}", Who::Roles(SERVICE_MANAGERS, SYS)),
    ("GET", "/api/v1/referrals", Who::Roles(IDENTITY, IDENTITY)),
    ("POST", "/api/v1/referrals/{id}/act", Who::Roles(SERVICE_STAFF, NONE)),
    ("GET", "/api/v1/referral-gap", Who::Roles(GAP, GAP)),
    ("GET", "/api/v1/cases", Who::Roles(IDENTITY, IDENTITY)),
    ("POST", "/api/v1/cases", Who::Roles(INVESTIGATORS, INVESTIGATORS)),
    ("GET", "/api/v1/cases/{id}", Who::Roles(IDENTITY, NONE)),
    ("POST", "/api/v1/cases/{id}", Who::Roles(INVESTIGATORS, NONE)),
    ("POST", "/api/v1/cases/{id}/links", Who::Roles(INVESTIGATORS, NONE)),
    ("POST", "/api/v1/cases/{id}/events", Who::Roles(INVESTIGATORS, NONE)),
    ("GET", "/api/v1/cases/{id}/timeline", Who::Roles(IDENTITY, NONE)),
    ("GET", "/api/v1/cases/{id}/seen", Who::Roles(INVESTIGATORS, NONE)),
    ("POST", "/api/v1/cases/{id}/charges", Who::Roles(PROSECUTOR, NONE)),
    ("POST", "/api/v1/cases/{id}/hearings", Who::Roles(PROSECUTOR, NONE)),
    ("POST", "/api/v1/cases/{id}/shares", Who::Roles(INVESTIGATORS, NONE)),
    ("POST", "/api/v1/cases/{id}/transfer", Who::Roles(INVESTIGATORS, NONE)),
    ("POST", "/api/v1/cases/{id}/attachments", Who::Roles(INVESTIGATORS, NONE)),
    ("GET", "/api/v1/attachments/{id}", Who::Roles(IDENTITY, NONE)),
    ("POST", "/api/v1/charges/{id}/decision", Who::Roles(PROSECUTOR, NONE)),
    ("POST", "/api/v1/charges/{id}/appeals", Who::Roles(PROSECUTOR, NONE)),
    ("POST", "/api/v1/shares/{id}", Who::Roles(INVESTIGATORS, NONE)),
    ("POST", "/api/v1/share-requests", Who::Roles(REQUESTERS, REQUESTERS)),
    ("GET", "/api/v1/matches", Who::Roles(IDENTITY, IDENTITY)),
    ("GET", "/api/v1/matches/{id}", Who::Roles(IDENTITY, NONE)),
    ("POST", "/api/v1/matches/{id}/reveal", Who::Roles(IDENTITY, NONE)),
    ("POST", "/api/v1/matches/{id}/decision", Who::Roles(IDENTITY, NONE)),
    ("POST", "/api/v1/linkage/run", Who::Roles(LINKAGE_RUNNERS, LINKAGE_RUNNERS)),
    ("GET", "/api/v1/linkage/status", Who::Roles(LINKAGE_RUNNERS, LINKAGE_RUNNERS)),
    ("GET", "/api/v1/statistics/victims-identified", Who::Roles(STATISTICS, STATISTICS)),
    ("GET", "/api/v1/statistics/annual", Who::Roles(STATISTICS, STATISTICS)),
    ("GET", "/api/v1/alerts", Who::Roles(WRITERS, WRITERS)),
    ("POST", "/api/v1/alerts/{id}", Who::Roles(WRITERS, NONE)),
    ("GET", "/api/v1/search", Who::AllSignedIn),
    ("GET", "/api/v1/statutes", Who::AllSignedIn),
    ("GET", "/api/v1/prevention", Who::AllSignedIn),
    ("POST", "/api/v1/prevention", Who::Roles(PREVENTION, PREVENTION)),
    ("GET", "/api/v1/countries", Who::AllSignedIn),
    ("GET", "/api/v1/areas", Who::AllSignedIn),
];

#[test]
fn every_route_has_a_row_in_the_matrix() {
    let (_, specs) = catalogue();
    let routes: BTreeSet<(String, String)> = specs.iter().map(|s| (s.method.to_owned(), s.path.to_owned())).collect();
    let rows: BTreeSet<(String, String)> = EXPECT.iter().map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned())).collect();
    let missing: Vec<_> = routes.difference(&rows).collect();
    let stale: Vec<_> = rows.difference(&routes).collect();
    assert!(missing.is_empty(), "routes without an authorization row: {missing:?}");
    assert!(stale.is_empty(), "rows for routes that no longer exist: {stale:?}");
}

struct Fixture {
    users: Vec<User>,
    /// An account in an organisation no demo user relates to (Puno's shelter).
    outsider: User,
    other_org_of: HashMap<String, OrgId>,
    person_of_org: HashMap<String, String>,
    /// (record kind, org id) → id of a record of that kind owned by that organisation.
    record_of: HashMap<(&'static str, String), String>,
}

fn row(id: &str, org: &OrgId, kind: &str, attrs: &str) -> RecordRow {
    RecordRow {
        id: id.to_owned(),
        org_id: org.clone(),
        party_org: None,
        subject_id: None,
        kind: kind.to_owned(),
        status: "new".into(),
        area_code: Some("PE-16".into()),
        lookup: None,
        occurred_at: Some(0),
        version: 1,
        created_at: 0,
        created_by: "t".into(),
        updated_at: 0,
        attrs: attrs.to_owned(),
        sealed: None,
    }
}

/// Demo data plus one person in every organisation, and another unrelated organisation.
async fn fixture(t: &TestApp) -> Fixture {
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    // As a server does after start-up (search and /readyz answer once it is built).
    t.app.coordination().rebuild_search().await.unwrap();
    let users: Vec<User> = t.store.list_users().await.unwrap();
    let orgs = t.store.list_orgs().await.unwrap();
    let mut person_of_org = HashMap::new();
    let mut record_of = HashMap::new();
    for o in &orgs {
        let ctx = Ctx {
            actor: Some(Actor::User(UserActor {
                user_id: users[0].id.clone(),
                org_id: o.id.clone(),
                roles: vec![Investigator],
                mfa_satisfied: true,
            })),
            client_ip: "t".into(),
            operation_id: "t".into(),
        };
        let p = PersonInput { role: "possible_victim".into(), aliases: "La Morena".into(), ..Default::default() };
        let p = t.app.protection().create_person(&ctx, &p).await.unwrap();
        person_of_org.insert(o.id.to_string(), p.id.to_string());
        // One record of each protection kind owned by this organisation.
        let oid = o.id.to_string();
        let (rid, opid, inid) = (format!("rep{oid}"), format!("op{oid}"), format!("in{oid}"));
        let op_attrs = r#"{"date":"2026-01-01","place":"PE-16","exploitation":"sexual","persons_found":1,"rescued":1,"report_id":null}"#;
        let in_attrs = r#"{"date":"2026-01-01","place":"PE-16","isic":"B","workers_found":1,"indicators":[],"report_id":null}"#;
        let batch = Batch {
            inserts: vec![
                (RecordTable::Reports, row(&rid, &o.id, "hotline", "{}")),
                // Each in the state its table keeps (typed rows refuse any other).
                (RecordTable::Operations, RecordRow { status: "recorded".into(), ..row(&opid, &o.id, "sexual", op_attrs) }),
                (RecordTable::Inspections, RecordRow { status: "no_indicators".into(), ..row(&inid, &o.id, "B", in_attrs) }),
            ],
            updates: vec![],
        };
        t.store.write(&batch, &Ctx::system("t").event(0, "fixture", "ok", "fixture", "")).await.unwrap();
        record_of.insert(("report", oid.clone()), rid);
        record_of.insert(("operation", oid.clone()), opid);
        record_of.insert(("inspection", oid.clone()), inid);
        let pid = PersonId::from_trusted(p.id.to_string());
        let draft = ScreeningInput { set: "adult_labour".into(), ..Default::default() };
        let sc = t.app.identification().create_screening(&ctx, &pid, &draft).await.unwrap();
        record_of.insert(("screening", oid.clone()), sc.id);
        let staff = Ctx { actor: Some(Actor::User(UserActor { roles: vec![ShelterStaff], ..ctx.user().unwrap().clone() })), ..ctx.clone() };
        let svc = ServiceInput {
            name: "Servicio".into(),
            kind: "shelter".into(),
            region: "PE-16".into(),
            capacity: "5".into(),
            contact_protocol: "Llamar".into(),
            ..Default::default()
        };
        let svc = t.app.referrals().create_service(&staff, None, &svc).await.unwrap();
        let r = ReferralInput {
            service_id: svc.id.clone(),
            consent_by: "person".into(),
            consent_method: "verbal".into(),
            ..Default::default()
        };
        let r = t.app.referrals().create_referral(&ctx, &pid, &r).await.unwrap();
        // A case with a charge, a requested share, a task and an alert, written under the
        // application (fixtures): the routes under test then find records in every state.
        let (cid, chid, shid, tkid, alid) =
            (format!("case{oid}"), format!("ch{oid}"), format!("sh{oid}"), format!("tk{oid}"), format!("al{oid}"));
        let mut charge = row(&chid, &o.id, "pe-cp-129a-2021", r#"{"offence_date":"2025-01-01","filed_on":"2025-02-01"}"#);
        charge.subject_id = Some(cid.clone());
        charge.lookup = Some(p.id.to_string());
        charge.status = "filed".into();
        let mut share = row(&shid, &o.id, "case", "{}");
        share.subject_id = Some(cid.clone());
        share.party_org = Some(o.id.clone());
        share.status = "requested".into();
        let mut task = row(&tkid, &o.id, "task", r#"{"title":"t"}"#);
        task.subject_id = Some(cid.clone());
        task.status = "open".into();
        task.lookup = Some("asignada@x.pe".into());
        let mut alert = row(&alid, &o.id, "document", "{}");
        alert.subject_id = Some(p.id.to_string());
        // Every alert names the other person (typed rows refuse one that does not).
        alert.lookup = Some(p.id.to_string());
        alert.party_org = Some(o.id.clone());
        alert.status = "open".into();
        // A candidate pair of the organisation's person with itself: enough for the policy.
        let mtid = format!("mt{oid}");
        let mut pair = row(&mtid, &o.id, "record_linkage", r#"{"probability":0.9,"contributions":[]}"#);
        pair.subject_id = Some(p.id.to_string());
        pair.lookup = Some(p.id.to_string());
        pair.party_org = Some(o.id.clone());
        pair.status = "pending".into();
        record_of.insert(("match", oid.clone()), mtid);
        let batch = Batch {
            inserts: vec![
                // A valid case: an open status and a reference (typed rows refuse anything else).
                (
                    RecordTable::Cases,
                    RecordRow { status: "open".into(), lookup: Some(format!("C-2026-{oid}")), ..row(&cid, &o.id, "isSexualExploit", "{}") },
                ),
                (RecordTable::Charges, charge),
                (RecordTable::Shares, share),
                (RecordTable::Tasks, task),
                (RecordTable::Alerts, alert),
                (RecordTable::PersonMatches, pair),
            ],
            updates: vec![],
        };
        t.store.write(&batch, &Ctx::system("t").event(0, "fixture", "ok", "fixture", "")).await.unwrap();
        let att = t.app.protection().add_attachment(&ctx, &cid, "acta.txt", b"acta de intervencion").await.unwrap();
        record_of.insert(("attachment", oid.clone()), att.id);
        for (k, v) in [("case", cid), ("charge", chid), ("share", shid), ("task", tkid), ("alert", alid)] {
            record_of.insert((k, oid.clone()), v);
        }
        record_of.insert(("service", oid.clone()), svc.id);
        record_of.insert(("referral", oid.clone()), r.id);
    }
    // "Other" = an organisation outside the caller's subtree: Puno's shelter for most, the
    // Lima hotline for users in Puno.
    let puno = orgs.iter().find(|o| o.jurisdiction == "PE-21" && o.kind.as_str() == "shelter").unwrap().id.clone();
    let lima_hotline = orgs.iter().find(|o| o.kind.as_str() == "hotline").unwrap().id.clone();
    let other_org_of =
        users.iter().map(|u| (u.id.to_string(), if u.org_id == puno { lima_hotline.clone() } else { puno.clone() })).collect();
    let outsider = t
        .app
        .administration()
        .create_user(
            &Ctx::system("t"),
            &amparo_domain::user::UserInput {
                email: "otra.persona@car-puno.pe".into(),
                display_name: "Otra persona".into(),
                org_id: puno.to_string(),
                roles: vec!["shelter_staff".into()],
                password: "una clave bastante larga".into(),
                locale: None,
            },
        )
        .await
        .unwrap();
    Fixture { users, outsider, other_org_of, person_of_org, record_of }
}

fn allowed(who: Who, role: Role, own: bool) -> bool {
    match who {
        Who::Public | Who::AllSignedIn => true,
        Who::Roles(o, x) => (if own { o } else { x }).contains(&role),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_every_role_as_the_policy_says() {
    let t = spawn_app().await;
    let fx = fixture(&t).await;
    let mut failures = Vec::new();
    let mut checked = 0;
    for user in fx.users.iter().filter(|u| u.id != fx.outsider.id).cloned().collect::<Vec<_>>() {
        let role = user.roles[0];
        let (browser, _) = login(&t, &user.email, DEMO_PW).await;
        let (token, _) = t.app.access().create_token(&Ctx::system("t"), &user.email, "matrix", 1).await.unwrap();
        let other_org = fx.other_org_of[user.id.as_str()].clone();
        let other_user = &fx.outsider;
        for own in [true, false] {
            let org = if own { user.org_id.clone() } else { other_org.clone() };
            let person = fx.person_of_org[org.as_str()].clone();
            let target_user = if own { user.clone() } else { other_user.clone() };
            for (method, path, who) in EXPECT {
                if *path == "/logout" || *path == "/login" {
                    continue; // exercised by the auth tests; would end this session
                }
                if path.starts_with("/public/") && *method == "POST" {
                    continue; // anonymous and rate-limited; exercised by the public-form tests
                }
                let concrete = path
                    .replace("{file}", "app.css")
                    .replace("{format}", "pdf")
                    .replace("/orgs/{id}", &format!("/orgs/{org}"))
                    .replace("/organisations/{id}", &format!("/organisations/{org}"))
                    .replace("/users/{id}", &format!("/users/{}", target_user.id))
                    .replace("/persons/{id}", &format!("/persons/{person}"))
                    .replace("/screenings/{id}", &format!("/screenings/{}", fx.record_of[&("screening", org.to_string())]))
                    .replace("/reports/{id}", &format!("/reports/{}", fx.record_of[&("report", org.to_string())]))
                    .replace("/operations/{id}", &format!("/operations/{}", fx.record_of[&("operation", org.to_string())]))
                    .replace("/inspections/{id}", &format!("/inspections/{}", fx.record_of[&("inspection", org.to_string())]))
                    .replace("/referrals/{id}", &format!("/referrals/{}", fx.record_of[&("referral", org.to_string())]))
                    .replace("/services/{id}", &format!("/services/{}", fx.record_of[&("service", org.to_string())]))
                    .replace("/cases/{id}", &format!("/cases/{}", fx.record_of[&("case", org.to_string())]))
                    .replace("/charges/{id}", &format!("/charges/{}", fx.record_of[&("charge", org.to_string())]))
                    .replace("/shares/{id}", &format!("/shares/{}", fx.record_of[&("share", org.to_string())]))
                    .replace("/tasks/{id}", &format!("/tasks/{}", fx.record_of[&("task", org.to_string())]))
                    .replace("/alerts/{id}", &format!("/alerts/{}", fx.record_of[&("alert", org.to_string())]))
                    .replace("/matches/{id}", &format!("/matches/{}", fx.record_of[&("match", org.to_string())]))
                    .replace("/attachments/{id}", &format!("/attachments/{}", fx.record_of[&("attachment", org.to_string())]))
                    .replace("instruments/{id}", "instruments/ilo-ec-2009-v1");
                let kind = catalogue().1.iter().find(|s| s.path == *path && s.method == *method).map(|s| s.kind).unwrap();
                let status = if *path == "/cases/{id}/attachments" {
                    browser.upload(&concrete, "acta.txt", b"acta de la matriz").await.status().as_u16()
                } else if kind == RouteKind::Api || path.starts_with("/api/") {
                    let body = api_body(path, &org, &target_user, &user, &fx);
                    let req = match *method {
                        "GET" => browser.c.get(format!("{}{}", t.base, concrete)),
                        "POST" if path.ends_with("/attachments") => {
                            browser.c.post(format!("{}{}?filename=acta.txt", t.base, concrete)).body(b"acta por la API".to_vec())
                        }
                        "POST" => browser.c.post(format!("{}{}", t.base, concrete)).json(&body),
                        _ => browser.c.put(format!("{}{}", t.base, concrete)).json(&body),
                    };
                    req.bearer_auth(&token).send().await.unwrap().status().as_u16()
                } else if *method == "GET" {
                    browser.get(&concrete).await.status().as_u16()
                } else {
                    let form = ui_form(path, &org, &target_user, &fx);
                    let f: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
                    browser.post(&concrete, &f).await.status().as_u16()
                };
                checked += 1;
                let expect_ok = allowed(*who, role, own);
                let got_ok = status != 403 && status != 401 && status != 404 && status < 500;
                if expect_ok != got_ok {
                    failures.push(format!(
                        "{method} {concrete} as {role:?} ({}) -> {status}, expected {}",
                        if own { "own" } else { "other" },
                        if expect_ok { "allowed" } else { "denied" }
                    ));
                }
            }
        }
    }
    eprintln!("authorization matrix: {checked} checks");
    assert!(checked > 700, "only {checked} checks ran");
    assert!(failures.is_empty(), "{} authorization mismatches:\n{}", failures.len(), failures.join("\n"));
}

fn api_body(path: &str, org: &OrgId, target: &User, me: &User, fx: &Fixture) -> serde_json::Value {
    let service = fx.record_of.get(&("service", org.to_string())).cloned().unwrap_or_default();
    match path {
        "/api/v1/persons/{id}" => serde_json::json!({ "role": "witness", "aliases": "El Flaco", "version": "999" }),
        "/api/v1/persons/{id}/screenings" => serde_json::json!({ "set": "adult_labour", "indicators": ["d1.deceived_nature_job"] }),
        "/api/v1/persons/{id}/decisions" => serde_json::json!({ "status": "PossibleVictim" }),
        "/api/v1/persons/{id}/referrals" => {
            serde_json::json!({ "service_id": service, "consent_by": "person", "consent_method": "verbal" })
        }
        "/api/v1/persons/{id}/assistance" => serde_json::json!({ "kind": "participation", "detail": "statement_given" }),
        "/api/v1/screenings/{id}" => serde_json::json!({ "set": "adult_labour", "version": "999" }),
        "/api/v1/screening-instruments" => {
            let mut i = serde_json::to_value(amparo_core::usecases::instruments::builtin_instrument().unwrap()).unwrap();
            i["family"] = serde_json::json!(format!("matrix-{}", me.id));
            i
        }
        "/api/v1/screening-instruments/{id}/evaluate" => serde_json::json!({ "set": "adult_labour", "indicators": [] }),
        "/api/v1/reports" => serde_json::json!({ "channel": "hotline", "place": "PE-16", "narrative": "Llamada de prueba" }),
        "/api/v1/reports/{id}/triage" => serde_json::json!({ "action": "acknowledge", "version": "999" }),
        "/api/v1/operations" => serde_json::json!({ "place": "PE-16", "persons_found": "2", "rescued": "1" }),
        "/api/v1/inspections" => serde_json::json!({ "place": "PE-17", "workplace": "Mina", "isic": "B" }),
        "/api/v1/services" => {
            serde_json::json!({ "name": "Nuevo servicio", "kind": "health", "region": "PE-16", "capacity": "3", "contact_protocol": "Llamar" })
        }
        "/api/v1/referrals/{id}/act" => serde_json::json!({ "action": "accept", "version": "999" }),
        "/api/v1/cases" => serde_json::json!({ "title": "Caso de prueba", "exploitation": "isSexualExploit", "place": "PE-16" }),
        "/api/v1/cases/{id}" => serde_json::json!({ "note": "nota", "version": "999" }),
        "/api/v1/cases/{id}/links" => serde_json::json!({ "person_id": fx.person_of_org[org.as_str()], "role": "witness" }),
        "/api/v1/cases/{id}/events" => serde_json::json!({ "kind": "Recruitment", "date": "2026-01-01", "place": "PE-16" }),
        "/api/v1/cases/{id}/charges" => {
            serde_json::json!({ "person_id": fx.person_of_org[org.as_str()], "statute_id": "pe-cp-129a-2021", "offence_date": "2025-01-01", "filed_on": "2025-02-01" })
        }
        "/api/v1/cases/{id}/shares" | "/api/v1/cases/{id}/transfer" => {
            serde_json::json!({ "to_org": "doesnotexist", "purpose": "Coordinación", "until": "2099-01-01" })
        }
        "/api/v1/cases/{id}/hearings" => serde_json::json!({ "kind": "trial", "date": "2026-10-01", "version": 999 }),
        "/api/v1/charges/{id}/decision" => serde_json::json!({ "verdict": "acquitted", "decided_on": "2026-01-01", "version": "999" }),
        "/api/v1/charges/{id}/appeals" => serde_json::json!({ "filed_on": "2026-01-01", "result": "pending", "version": "999" }),
        "/api/v1/shares/{id}" => serde_json::json!({ "action": "grant", "version": 999 }),
        "/api/v1/share-requests" => serde_json::json!({ "reference": "C-0000-NOPE00", "purpose": "Coordinación", "until": "2099-01-01" }),
        "/api/v1/alerts/{id}" => serde_json::json!({ "decision": "confirm", "version": 999 }),
        "/api/v1/matches/{id}/decision" => serde_json::json!({ "decision": "confirm", "version": 999 }),
        "/api/v1/matches/{id}/reveal" => serde_json::json!({ "purpose": "Revisar el par" }),
        "/api/v1/prevention" => {
            serde_json::json!({ "kind": "training", "title": "Taller", "date": "2026-01-01", "place": "PE-16", "audience": "police", "people": "10" })
        }
        "/api/v1/services/{id}" => {
            serde_json::json!({ "name": "Servicio", "kind": "shelter", "region": "PE-16", "capacity": "6", "contact_protocol": "Llamar", "version": 999 })
        }
        "/api/v1/organisations" => {
            serde_json::json!({ "name": "Nueva unidad", "kind": "police_unit", "jurisdiction": "PE-16", "parent_id": org })
        }
        "/api/v1/organisations/{id}" => {
            serde_json::json!({ "name": "Renombrada", "kind": "police_unit", "jurisdiction": "PE-16", "version": 999 })
        }
        "/api/v1/users" => {
            serde_json::json!({ "email": format!("nuevo-{}-{}@x.pe", me.id, org), "display_name": "Nuevo", "org_id": org, "roles": ["analyst"], "password": "una clave bastante larga" })
        }
        "/api/v1/users/{id}" => serde_json::json!({ "display_name": target.display_name, "roles": target.roles, "version": 999 }),
        "/api/v1/persons" => serde_json::json!({ "role": "witness", "aliases": "El Flaco" }),
        "/api/v1/persons/{id}/reveal" => serde_json::json!({ "purpose": "verificación de la matriz" }),
        _ => serde_json::json!({}),
    }
}

fn ui_form(path: &str, org: &OrgId, target: &User, fx: &Fixture) -> Vec<(String, String)> {
    let v = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    let service = fx.record_of.get(&("service", org.to_string())).cloned().unwrap_or_default();
    let case = fx.record_of.get(&("case", org.to_string())).cloned().unwrap_or_default();
    match path {
        "/persons/{id}" => vec![v("role", "witness"), v("aliases", "El Flaco"), v("version", "999")],
        "/persons/{id}/screenings" => vec![v("set", "adult_labour"), v("indicators", "d1.deceived_nature_job"), v("status", "draft")],
        "/persons/{id}/decisions" => vec![v("status", "PossibleVictim")],
        "/persons/{id}/referrals" => vec![v("service_id", &service), v("consent_by", "person"), v("consent_method", "verbal")],
        "/persons/{id}/assistance" => vec![v("kind", "participation"), v("detail", "statement_given")],
        "/screenings/{id}" => vec![v("set", "adult_labour"), v("version", "999")],
        "/screening/evaluate" => vec![v("instrument", "ilo-ec-2009"), v("set", "adult_labour")],
        "/instruments" => {
            // A small but valid instrument: one indicator per set keeps the form under the
            // test server's body limit.
            let mut i = amparo_core::usecases::instruments::builtin_instrument().unwrap();
            let mut seen = std::collections::HashSet::new();
            i.indicators.retain(|x| seen.insert(x.set.clone()));
            i.family = format!("matrix-ui-{}", target.id);
            vec![v("body", &serde_json::to_string(&i).unwrap())]
        }
        "/reports" => vec![v("channel", "hotline"), v("place", "PE-16"), v("narrative", "Llamada de prueba")],
        "/reports/{id}/triage" => vec![v("action", "acknowledge"), v("version", "999")],
        "/operations" => vec![v("place", "PE-16"), v("persons_found", "2"), v("rescued", "1")],
        "/inspections" => vec![v("place", "PE-17"), v("workplace", "Mina"), v("isic", "B")],
        "/services" => {
            vec![v("name", "Nuevo"), v("kind", "health"), v("region", "PE-16"), v("capacity", "3"), v("contact_protocol", "Llamar")]
        }
        "/referrals/{id}/act" => vec![v("action", "accept"), v("version", "999")],
        "/cases" => vec![v("title", "Caso de prueba"), v("exploitation", "isSexualExploit"), v("place", "PE-16")],
        "/share-requests" => vec![v("reference", "C-0000-NOPE00"), v("purpose", "Coordinación"), v("until", "2099-01-01")],
        "/cases/{id}" => vec![v("note", "nota"), v("version", "999")],
        "/cases/{id}/links" => vec![v("person_id", &fx.person_of_org[org.as_str()]), v("role", "witness")],
        "/cases/{id}/events" => vec![v("kind", "Recruitment"), v("date", "2026-01-01"), v("place", "PE-16")],
        "/cases/{id}/charges" => vec![
            v("person_id", &fx.person_of_org[org.as_str()]),
            v("statute_id", "pe-cp-129a-2021"),
            v("offence_date", "2025-01-01"),
            v("filed_on", "2025-02-01"),
        ],
        "/cases/{id}/stage" => vec![v("stage", "formal_investigation"), v("version", "999")],
        "/cases/{id}/hearings" => vec![v("hearing_kind", "trial"), v("hearing_date", "2026-10-01"), v("version", "999")],
        "/cases/{id}/shares" | "/cases/{id}/transfer" => {
            vec![v("to_org", "doesnotexist"), v("purpose", "Coordinación"), v("until", "2099-01-01")]
        }
        "/cases/{id}/access" => vec![v("emails", "nadie@x.pe")],
        "/cases/{id}/tasks" => vec![v("title", "Tarea"), v("assignee", "nadie@x.pe"), v("due", "2026-01-01")],
        "/charges/{id}/decision" => {
            vec![v("verdict", "acquitted"), v("decided_on", "2026-01-01"), v("version", "999"), v("case_id", &case)]
        }
        "/charges/{id}/review" | "/tasks/{id}/done" => vec![v("version", "999"), v("case_id", &case)],
        "/charges/{id}/appeals" => vec![v("filed_on", "2026-01-01"), v("result", "pending"), v("version", "999"), v("case_id", &case)],
        "/shares/{id}" => vec![v("action", "grant"), v("version", "999"), v("case_id", &case)],
        "/alerts/{id}" | "/matches/{id}/decision" => vec![v("decision", "confirm"), v("version", "999")],
        "/matches/{id}/reveal" => vec![v("purpose", "Revisar el par")],
        "/prevention" => vec![
            v("kind", "training"),
            v("title", "Taller"),
            v("date", "2026-01-01"),
            v("place", "PE-16"),
            v("audience", "police"),
            v("people", "10"),
        ],
        "/services/{id}" => vec![
            v("name", "Servicio"),
            v("kind", "shelter"),
            v("region", "PE-16"),
            v("capacity", "6"),
            v("contact_protocol", "Llamar"),
            v("version", "999"),
            v("active", "on"),
        ],
        "/orgs" => vec![v("name", "Nueva unidad"), v("kind", "police_unit"), v("jurisdiction", "PE-16"), v("parent_id", org.as_str())],
        "/orgs/{id}" => vec![v("name", "Renombrada"), v("kind", "police_unit"), v("jurisdiction", "PE-16"), v("version", "999")],
        "/users" => vec![
            v("email", &format!("ui-{}-{}@x.pe", target.id, org)),
            v("display_name", "Nueva"),
            v("org_id", org.as_str()),
            v("roles", "analyst"),
            v("password", "una clave bastante larga"),
        ],
        "/users/{id}/status" => vec![v("disabled", "0"), v("version", "999")],
        "/users/{id}" => vec![v("display_name", &target.display_name), v("roles", target.roles[0].as_str()), v("version", "999")],
        "/users/{id}/reset" => vec![v("reset_mfa", "0")],
        "/persons" => vec![v("role", "witness"), v("aliases", "El Flaco")],
        "/persons/{id}/reveal" => vec![v("purpose", "verificación de la matriz")],
        "/locale" => vec![v("lang", "en")],
        "/mfa" | "/mfa/enrol" => vec![v("code", "000000")],
        _ => vec![],
    }
}

#[tokio::test]
async fn anonymous_callers_are_sent_to_login_or_refused() {
    let t = spawn_app().await;
    let c = client();
    for (method, path, who) in EXPECT {
        if matches!(who, Who::Public) || path.contains('{') || *method != "GET" {
            continue;
        }
        let r = c.get(format!("{}{}", t.base, path)).send().await.unwrap();
        if path.starts_with("/api/") {
            assert_eq!(r.status().as_u16(), 401, "{path}");
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(body["code"], "unauthenticated");
        } else {
            assert_eq!(r.status().as_u16(), 303, "{path}");
            assert_eq!(r.headers()["location"], "/login");
        }
    }
}

/// No list or count shows another organisation's records: every list route of the
/// catalogue (every GET without a record id), in the UI and the API, as every account,
/// is searched for the ids of the fixture's records in organisations outside the account's
/// own subtree. Built from the catalogue, so a new list cannot skip it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_list_shows_another_organisations_records() {
    let t = spawn_app().await;
    let fx = fixture(&t).await;
    let orgs = t.store.list_orgs().await.unwrap();
    let parents: HashMap<OrgId, Option<OrgId>> = orgs.iter().map(|o| (o.id.clone(), o.parent_id.clone())).collect();
    let (_, specs) = amparo_web::routes::catalogue();
    let lists: Vec<_> = specs
        .iter()
        .filter(|s| s.method == "GET" && !s.path.contains('{') && s.kind != amparo_web::RouteKind::Public && !s.path.contains("openapi"))
        .collect();
    // Records only their organisation (or a parent) may list. Services are a public
    // directory; shares and matches name two organisations by design.
    let private = ["person", "report", "operation", "inspection", "screening", "referral", "case", "charge", "task", "alert", "attachment"];
    let mut checked = 0;
    let mut leaks = Vec::new();
    for user in &fx.users {
        let (browser, r) = login(&t, &user.email, DEMO_PW).await;
        if r.status() != 303 {
            continue;
        }
        let (token, _) = t.app.access().create_token(&Ctx::system("t"), &user.email, "lists", 1).await.unwrap();
        let mine = |org: &OrgId| amparo_domain::org::is_within(org, &user.org_id, |x| parents.get(x).cloned().flatten());
        let foreign: Vec<(String, &str, String)> = fx
            .record_of
            .iter()
            .filter(|((kind, org), _)| private.contains(kind) && !mine(&OrgId::from_trusted(org.clone())))
            .map(|((kind, org), id)| (id.clone(), *kind, org.clone()))
            .chain(
                fx.person_of_org
                    .iter()
                    .filter(|(org, _)| !mine(&OrgId::from_trusted((*org).clone())))
                    .map(|(org, id)| (id.clone(), "person", org.clone())),
            )
            .collect();
        for s in &lists {
            // The national referral gap lists every organisation's identified victims by
            // pseudonymous code, for the national roles: that is its purpose.
            if s.path.contains("referral-gap") {
                continue;
            }
            // The system administrator's audit trail names every record by id (never its
            // contents): that is what an audit trail is for.
            if s.path.ends_with("/audit") && user.roles.contains(&amparo_domain::Role::SystemAdmin) {
                continue;
            }
            let body = if s.path.starts_with("/api/") {
                let r = client().get(format!("{}{}", t.base, s.path)).bearer_auth(&token).send().await.unwrap();
                r.text().await.unwrap_or_default()
            } else {
                browser.get(s.path).await.text().await.unwrap_or_default()
            };
            for (id, kind, org) in &foreign {
                if body.contains(id.as_str()) {
                    leaks.push(format!("{} sees {kind} {id} of {org} on {}", user.email, s.path));
                }
            }
            checked += 1;
        }
    }
    eprintln!("list scope matrix: {checked} checks");
    assert!(checked > 200, "lists checked: {checked}");
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
}

/// Anonymous callers reach nothing but the public routes: every method and every `{id}`
/// route of the catalogue, with a body, gets 401 (API), a redirect to the sign-in page, or
/// the CSRF refusal (a form post without a session) — never a page or data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_callers_reach_only_public_routes() {
    let t = spawn_app().await;
    let fx = fixture(&t).await;
    let org = fx.users[0].org_id.to_string();
    let (_, specs) = amparo_web::routes::catalogue();
    let mut checked = 0;
    for s in specs.iter().filter(|s| s.kind != amparo_web::RouteKind::Public) {
        let path = s
            .path
            .replace("/persons/{id}", &format!("/persons/{}", fx.person_of_org[&org]))
            .replace("/cases/{id}", &format!("/cases/{}", fx.record_of[&("case", org.clone())]))
            .replace("{id}", &fx.record_of[&("report", org.clone())])
            .replace("{format}", "pdf");
        let url = format!("{}{}", t.base, path);
        let req = match s.method {
            "GET" => client().get(&url),
            "PUT" => client().put(&url),
            _ => client().post(&url),
        };
        let r = if s.path.starts_with("/api/") {
            req.header("content-type", "application/json").body("{\"role\":\"victim\"}")
        } else {
            req.header("content-type", "application/x-www-form-urlencoded").body("name=x&role=victim")
        }
        .send()
        .await
        .unwrap();
        let status = r.status().as_u16();
        let to = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let ok = if s.path.starts_with("/api/") { status == 401 } else { (status == 303 && to == "/login") || status == 403 };
        assert!(ok, "anonymous {} {}: {status} {to}", s.method, s.path);
        checked += 1;
    }
    assert!(checked > 150, "{checked}");
}
