//! The three roles nobody had walked — the labour inspector, the NGO case worker and an
//! organisation's admin — and the defects found walking them: an admin who could mint
//! national roles, a referral form that lost what was typed, an admin who could lock herself
//! out, links and buttons that led to 403s, codes where people expect words, a search that
//! missed names typed from speech, and a language choice lost at sign-in.

use crate::cli::{amparo, ok, out};
use crate::helpers::*;
use amparo_core::Ctx;
use amparo_core::store::{AuditFilter, ports::*};
use amparo_demo::DemoExt;
use amparo_testkit::TempDir;
use serde_json::{Value, json};

async fn org_id(t: &TestApp, kind: &str, region: &str) -> String {
    t.store.list_orgs().await.unwrap().into_iter().find(|o| o.kind.as_str() == kind && o.jurisdiction == region).unwrap().id.to_string()
}

async fn audit_count(t: &TestApp, action: &str) -> usize {
    t.store.audit_page(&AuditFilter { action: Some(action.into()), limit: 500, ..Default::default() }).await.unwrap().len()
}

/// An organisation's admin grants only roles her organisation's kind may hold, never a
/// national role, through the API and the UI alike; nothing is written when refused.
#[tokio::test]
async fn an_org_admin_cannot_grant_national_or_misfit_roles() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let admin = token(&t, "admin-loreto@demo.amparo.pe").await;
    let police = org_id(&t, "police_unit", "PE-16").await;
    let users_before = t.store.list_users().await.unwrap().len();
    let creates_before = audit_count(&t, "create_user").await;
    for (role, code) in [
        ("coordinator", "not_allowed_to_grant"),
        ("analyst", "not_allowed_to_grant"),
        ("system_admin", "not_allowed_to_grant"),
        ("prosecutor", "role_does_not_fit_organisation"),
        ("shelter_staff", "role_does_not_fit_organisation"),
        ("labour_inspector", "role_does_not_fit_organisation"),
        ("hotline_operator", "role_does_not_fit_organisation"),
    ] {
        let body = json!({ "email": format!("nuevo.{role}@pnp.gob.pe"), "display_name": "Nueva cuenta", "org_id": police, "roles": [role], "password": "una clave bastante larga" });
        let (status, j) = call(&t, &admin, "POST", "/api/v1/users", body).await;
        assert_eq!(status, 422, "{role}: {j}");
        assert_eq!(j["fields"][0]["field"], "roles");
        assert_eq!(j["fields"][0]["code"], code, "{role}");
        assert_eq!(j["fields"][0]["detail"], role);
    }
    assert_eq!(t.store.list_users().await.unwrap().len(), users_before, "nothing written");
    assert_eq!(audit_count(&t, "create_user").await, creates_before);
    // What fits is granted.
    let body = json!({ "email": "agente.nuevo@pnp.gob.pe", "display_name": "Agente Nuevo", "org_id": police, "roles": ["investigator"], "password": "una clave bastante larga" });
    let (status, created) = call(&t, &admin, "POST", "/api/v1/users", body).await;
    assert_eq!(status, 201, "{created}");
    // Editing cannot add a national role either.
    let id = created["id"].as_str().unwrap();
    let upd = json!({ "display_name": "Agente Nuevo", "roles": ["investigator", "coordinator"], "version": created["version"] });
    let (status, j) = call(&t, &admin, "PUT", &format!("/api/v1/users/{id}"), upd).await;
    assert_eq!((status, j["fields"][0]["code"].as_str()), (422, Some("not_allowed_to_grant")), "{j}");
    let now = t.store.get_user(&amparo_domain::UserId::parse(id).unwrap()).await.unwrap().unwrap().user;
    assert_eq!(now.roles, vec![amparo_domain::Role::Investigator], "unchanged");
    // The system administrator may grant a national role in a coordinating body, but not
    // one that does not fit: an analyst in a police unit.
    let sys = token(&t, "admin@demo.amparo.pe").await;
    let body = json!({ "email": "analista.pnp@pnp.gob.pe", "display_name": "X", "org_id": police, "roles": ["analyst"], "password": "una clave bastante larga" });
    let (status, j) = call(&t, &sys, "POST", "/api/v1/users", body).await;
    assert_eq!((status, j["fields"][0]["code"].as_str()), (422, Some("role_does_not_fit_organisation")));
    // The UI offers only what she may grant, and refuses the rest with nothing written.
    let (mut b, _) = login(&t, "admin-loreto@demo.amparo.pe", DEMO_PW).await;
    b.refresh_csrf().await;
    let page = b.get("/users").await.text().await.unwrap();
    for absent in ["role-coordinator", "role-analyst", "role-system_admin", "role-prosecutor", "role-shelter_staff"] {
        assert!(!page.contains(absent), "{absent} is not offered");
    }
    assert!(page.contains("role-investigator") && page.contains("role-org_admin"));
    let r = b
        .post(
            "/users",
            &[
                ("display_name", "Coordinadora Falsa"),
                ("email", "falsa@pnp.gob.pe"),
                ("org_id", &police),
                ("roles", "coordinator"),
                ("password", "una clave bastante larga"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("No puede otorgar esa función"), "the refusal names the problem");
    assert!(html.contains("falsa@pnp.gob.pe") && html.contains("Coordinadora Falsa"), "what was typed comes back");
    assert!(t.store.find_user_by_email("falsa@pnp.gob.pe").await.unwrap().is_none());
}

/// The console may override the kind check only explicitly, and it is audited; check-config
/// and the admin's list flag accounts whose roles do not fit.
#[test]
fn the_console_overrides_only_explicitly_and_misfits_are_flagged() {
    let d = TempDir::new("misfit");
    ok(amparo(d.path(), None, &["migrate"], None));
    let o = ok(amparo(
        d.path(),
        None,
        &["org", "add", "--name", "Comisaría de Nauta", "--kind", "police_unit", "--jurisdiction", "PE-16"],
        None,
    ));
    let org = o.rsplit('(').next().unwrap().trim().trim_end_matches(')').to_owned();
    let clean = ok(amparo(d.path(), None, &["check-config"], None));
    assert!(!clean.contains("may not hold"), "{clean}");
    let refused = amparo(
        d.path(),
        None,
        &["user", "add", "--email", "f@x.pe", "--name", "F", "--org", &org, "--role", "prosecutor", "--password-stdin"],
        Some("una clave larga de verdad"),
    );
    assert_eq!(refused.status.code(), Some(2), "{}", out(&refused));
    assert!(
        out(&refused).contains("role_does_not_fit_organisation (prosecutor)") && out(&refused).contains("--allow-role-misfit"),
        "{}",
        out(&refused)
    );
    ok(amparo(
        d.path(),
        None,
        &[
            "user",
            "add",
            "--email",
            "f@x.pe",
            "--name",
            "F",
            "--org",
            &org,
            "--role",
            "prosecutor",
            "--password-stdin",
            "--allow-role-misfit",
        ],
        Some("una clave larga de verdad"),
    ));
    let warned = ok(amparo(d.path(), None, &["check-config"], None));
    assert!(warned.contains("account f@x.pe holds prosecutor which a police_unit may not hold"), "{warned}");
    // The override is on the record.
    let v = ok(amparo(d.path(), None, &["audit", "verify"], None));
    assert!(v.contains("intact"));
}

/// Nobody disables themself or takes away their own admin role; the last system
/// administrator stays; disabling asks first, says it was done, and is its own audit action.
#[tokio::test]
async fn disabling_asks_first_and_never_locks_out_the_last_admin() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let (mut b, _) = login(&t, "admin-loreto@demo.amparo.pe", DEMO_PW).await;
    b.refresh_csrf().await;
    let me = t.store.find_user_by_email("admin-loreto@demo.amparo.pe").await.unwrap().unwrap().user;
    let page = b.get("/users").await.text().await.unwrap();
    let own_row = page.split(&format!("id=\"user-{}\"", me.id)).nth(1).and_then(|r| r.split("</tr>").next()).unwrap_or("");
    assert!(!own_row.contains("/status"), "no disable button on her own row");
    let v = me.version.to_string();
    let r = b.post(&format!("/users/{}/status", me.id), &[("disabled", "1"), ("version", &v), ("confirm", "1")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("No puede desactivar su propia cuenta"));
    assert!(!t.store.get_user(&me.id).await.unwrap().unwrap().user.disabled);
    let tok = token(&t, "admin-loreto@demo.amparo.pe").await;
    let upd = json!({ "display_name": me.display_name, "roles": ["investigator"], "version": me.version });
    let (status, j) = call(&t, &tok, "PUT", &format!("/api/v1/users/{}", me.id), upd).await;
    assert_eq!(status, 422);
    assert!(j["fields"].as_array().unwrap().iter().any(|f| f["code"] == "cannot_remove_own_admin"), "{j}");
    // Disabling a colleague: a confirmation first, then the notice; audited as disable_user.
    let inv = t.store.find_user_by_email("investigador@demo.amparo.pe").await.unwrap().unwrap().user;
    let v = inv.version.to_string();
    let r = b.post(&format!("/users/{}/status", inv.id), &[("disabled", "1"), ("version", &v)]).await;
    assert_eq!(r.status(), 200);
    let confirm = r.text().await.unwrap();
    assert!(confirm.contains("id=\"confirm-disable\"") && confirm.contains("investigador@demo.amparo.pe"));
    assert!(!t.store.get_user(&inv.id).await.unwrap().unwrap().user.disabled, "nothing done before confirming");
    let r = b.post(&format!("/users/{}/status", inv.id), &[("disabled", "1"), ("version", &v), ("confirm", "1")]).await;
    assert_eq!(r.status(), 303);
    let loc = r.headers().get("location").unwrap().to_str().unwrap().to_owned();
    assert!(b.get(&loc).await.text().await.unwrap().contains("Cuenta desactivada"));
    assert!(t.store.get_user(&inv.id).await.unwrap().unwrap().user.disabled);
    let trail = t.store.audit_page(&AuditFilter { record_id: Some(inv.id.to_string()), limit: 20, ..Default::default() }).await.unwrap();
    assert!(trail.iter().any(|e| e.event.action == "disable_user"), "{:?}", trail.iter().map(|e| &e.event.action).collect::<Vec<_>>());
    // The only system administrator cannot be disabled, even from the console.
    let last = t.app.administration().disable_user(&Ctx::system("t"), "admin@demo.amparo.pe").await;
    assert!(
        matches!(last, Err(amparo_core::CoreError::Validation(ref f)) if f.0.iter().any(|e| e.code == "last_system_admin")),
        "{last:?}"
    );
}

/// Every link and button the org admin is shown opens: notifications only for what she may
/// open, edit links only on organisations she may edit, a refused page keeps the menu.
#[tokio::test]
async fn the_org_admin_is_never_shown_a_link_that_refuses_her() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let (mut b, _) = login(&t, "admin-loreto@demo.amparo.pe", DEMO_PW).await;
    b.refresh_csrf().await;
    let mut opened = 0;
    for page in ["/", "/notifications", "/orgs", "/users", "/audit", "/services"] {
        let html = b.get(page).await.text().await.unwrap();
        for href in html.split("href=\"").skip(1).filter_map(|s| s.split('"').next()) {
            if !href.starts_with('/') || href.starts_with("/assets/") || href.contains('#') {
                continue;
            }
            let r = b.get(href).await;
            assert!(r.status() != 403 && r.status() != 404, "{page} links to {href}: {}", r.status());
            opened += 1;
        }
    }
    assert!(opened > 10, "{opened} links followed");
    let orgs = b.get("/orgs").await.text().await.unwrap();
    let edit_links = orgs.matches("href=\"/orgs/").count();
    assert!((1..10).contains(&edit_links), "edit links only where she may edit: {edit_links}");
    // A refused page keeps the menu, the sign-out and the language switch.
    let (analyst, _) = login(&t, "analista@demo.amparo.pe", DEMO_PW).await;
    let r = analyst.get("/audit").await;
    assert_eq!(r.status(), 403);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"logout\"") && html.contains("id=\"lang-switch\"") && html.contains("href=\"/statistics\""), "{html}");
}

/// The inspector's menu reaches inspections; codes are shown by their names.
#[tokio::test]
async fn menus_reach_the_work_and_codes_read_as_words() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let (b, _) = login(&t, "inspectora@demo.amparo.pe", DEMO_PW).await;
    let home = b.get("/").await.text().await.unwrap();
    assert!(home.contains("href=\"/inspections\""), "the inspector's menu has Inspections");
    let (inv, _) = login(&t, "investigador@demo.amparo.pe", DEMO_PW).await;
    assert!(inv.get("/").await.text().await.unwrap().contains("href=\"/operations\""));
    let list = b.get("/inspections").await.text().await.unwrap();
    let id = list.split("href=\"/inspections/").nth(1).and_then(|s| s.split('"').next()).unwrap().to_owned();
    let page = b.get(&format!("/inspections/{id}")).await.text().await.unwrap();
    assert!(!page.contains(">PE-17") && page.contains("Madre de Dios"), "the place by name");
    assert!(page.contains(" — "), "the sector by name");
    // A person found there: the link back to the inspection, the nationality by name.
    let pid = page.split("href=\"/persons/").nth(1).and_then(|s| s.split('"').next()).unwrap().to_owned();
    let person = b.get(&format!("/persons/{pid}")).await.text().await.unwrap();
    assert!(person.contains(&format!("href=\"/inspections/{id}\"")), "the source is a link");
    assert!(person.contains("Perú") && !person.contains("<dd>PE</dd>"), "nationality by name");
    // Countries sorted by name: "Emiratos" is not before "Alemania".
    let alemania = person.find(">Alemania<").unwrap();
    let emiratos = person.find(">Emiratos Árabes Unidos<").unwrap_or(usize::MAX);
    assert!(alemania < emiratos);
    // The audit viewer in Spanish.
    let (admin, _) = login(&t, "admin@demo.amparo.pe", DEMO_PW).await;
    let audit = admin.get("/audit?action=login").await.text().await.unwrap();
    assert!(audit.contains("Inicio de sesión") && audit.contains("correcto"), "actions and outcomes by name");
}

/// Without consent, a role that may not refer without it is told to record the consent, and
/// the chosen service and notes come back.
#[tokio::test]
async fn a_referral_without_consent_says_what_is_missing_and_keeps_the_form() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let (mut b, _) = login(&t, "inspectora@demo.amparo.pe", DEMO_PW).await;
    b.refresh_csrf().await;
    let inspector = token(&t, "inspectora@demo.amparo.pe").await;
    let (_, persons) = call(&t, &inspector, "GET", "/api/v1/persons", Value::Null).await;
    let pid = persons["items"].as_array().unwrap()[0]["id"].as_str().unwrap().to_owned();
    let page = b.get(&format!("/persons/{pid}")).await.text().await.unwrap();
    let service =
        page.split("id=\"r-service\"").nth(1).unwrap().split("<option value=\"").nth(2).unwrap().split('"').next().unwrap().to_owned();
    let r = b
        .post(
            &format!("/persons/{pid}/referrals"),
            &[("service_id", &service), ("consent_by", ""), ("notes", "Necesita albergue esta noche")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Registre el consentimiento"), "the missing consent is named");
    assert!(!html.contains("no_consent_reason"), "no internal field name");
    assert!(html.contains("Necesita albergue esta noche</textarea>"), "the notes come back");
    assert!(html.contains(&format!("<option value=\"{service}\" selected")), "the service comes back");
    // With consent recorded, it goes.
    let r = b
        .post(
            &format!("/persons/{pid}/referrals"),
            &[
                ("service_id", &service),
                ("consent_by", "guardian"),
                ("consent_name", "Su madre"),
                ("consent_method", "verbal"),
                ("consent_on", "2026-09-01"),
                ("notes", "x"),
            ],
        )
        .await;
    let status = r.status();
    assert_eq!(
        status,
        303,
        "{}",
        r.text()
            .await
            .unwrap()
            .split(r#"field-error">"#)
            .skip(1)
            .map(|s| s.split('<').next().unwrap_or(""))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" | ")
    );
}

/// Names as people type them from speech.
#[tokio::test]
async fn search_finds_names_typed_from_speech() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let cw = token(&t, "trabajadora-social@demo.amparo.pe").await;
    let (status, p) = call(
        &t,
        &cw,
        "POST",
        "/api/v1/persons",
        json!({ "role": "victim", "given_names": "Érika", "first_surname": "Saavedra", "approx_age": "24" }),
    )
    .await;
    assert_eq!(status, 201, "{p}");
    t.app.coordination().rebuild_search().await.unwrap();
    for q in ["Erika Saavedra", "saavedra", "Érika", "Erica Saavedra", "Saavedr"] {
        let (status, hits) = call(&t, &cw, "GET", &format!("/api/v1/search?q={}", q.replace(' ', "+")), Value::Null).await;
        assert_eq!(status, 200);
        assert!(hits.as_array().unwrap().iter().any(|h| h["id"] == p["id"]), "{q} finds her: {hits}");
    }
    // Another organisation does not find her, however it spells her.
    let other = token(&t, "albergue@demo.amparo.pe").await;
    let (_, hits) = call(&t, &other, "GET", "/api/v1/search?q=Erica+Saavedra", Value::Null).await;
    assert!(!hits.as_array().unwrap().iter().any(|h| h["id"] == p["id"]));
}

/// A language chosen on the login page wins over the account's and is saved.
#[tokio::test]
async fn the_language_chosen_at_sign_in_wins() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let c = client();
    let page = c.get(format!("{}/login", t.base)).header("cookie", "amparo_lang=en").send().await.unwrap();
    let pre = set_cookie(&page, "amparo_pre").unwrap();
    let csrf = csrf_from(&page.text().await.unwrap());
    let body = serde_urlencoded_encode(&[("email", "fiscal@demo.amparo.pe"), ("password", DEMO_PW), ("_csrf", &csrf)]);
    let r = c
        .post(format!("{}/login", t.base))
        .header("cookie", format!("amparo_pre={pre}; amparo_lang=en"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let session = set_cookie(&r, "amparo_session").unwrap();
    // Even a page requested without the language cookie is in English now.
    let home =
        c.get(format!("{}/", t.base)).header("cookie", format!("amparo_session={session}")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("lang=\"en\""), "the session is in English");
    let u = t.store.find_user_by_email("fiscal@demo.amparo.pe").await.unwrap().unwrap().user;
    assert_eq!(u.locale, Some(amparo_domain::user::Locale::En), "and the account keeps it");
}

/// An attribute's value in one tag's text (`name="x"`).
fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    Some(tag[start..].split('"').next()?.replace("&amp;", "&"))
}

/// The post forms of a page: (action, the form's inner HTML).
fn post_forms(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<form") {
        rest = &rest[i..];
        let tag_end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..tag_end];
        let end = rest.find("</form>").unwrap_or(rest.len());
        let inner = &rest[tag_end..end];
        if attr(tag, "method").is_some_and(|m| m.eq_ignore_ascii_case("post"))
            && let Some(action) = attr(tag, "action")
        {
            out.push((action, inner.to_owned()));
        }
        rest = &rest[end.min(rest.len())..];
        if rest.len() <= 7 {
            break;
        }
        rest = &rest[7..];
    }
    out
}

/// Every form a role is shown keeps what was typed when a save is refused: each form is
/// posted with its text fields filled with markers and a date that cannot be right, and on
/// every 422 each marker comes back. Forms are found by walking the pages each role uses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refused_form_keeps_what_was_typed() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let (_, specs) = amparo_web::routes::catalogue();
    let pages: Vec<&str> = specs
        .iter()
        .filter(|s| s.method == "GET" && s.kind == amparo_web::RouteKind::Ui && !s.path.contains('{'))
        .map(|s| s.path)
        .collect();
    let skip = ["/logout", "/locale", "/notifications/read", "/mfa", "/linkage"];
    let mut checked = std::collections::BTreeSet::new();
    let mut refused = 0;
    for email in ["inspectora", "trabajadora-social", "admin-loreto", "investigador", "operadora", "fiscal", "admin", "coordinadora"] {
        let (mut b, _) = login(&t, &format!("{email}@demo.amparo.pe"), DEMO_PW).await;
        b.refresh_csrf().await;
        let mut to_visit: Vec<String> = pages.iter().map(|p| (*p).to_owned()).collect();
        // One record page of each kind the role can reach from its lists.
        for list in ["/persons", "/cases", "/reports", "/inspections", "/operations", "/referrals"] {
            let html = b.get(list).await.text().await.unwrap_or_default();
            if let Some(id) = html.split(&format!("href=\"{list}/")).nth(1).and_then(|s| s.split('"').next()) {
                to_visit.push(format!("{list}/{id}"));
            }
        }
        for page in to_visit {
            let r = b.get(&page).await;
            if r.status() != 200 {
                continue;
            }
            let html = r.text().await.unwrap();
            for (action, inner) in post_forms(&html) {
                if skip.iter().any(|s| action.starts_with(s)) || checked.contains(&(email, action.clone())) {
                    continue;
                }
                let mut fields: Vec<(String, String)> = Vec::new();
                let mut markers = Vec::new();
                for (n, piece) in inner.split('<').enumerate() {
                    let kind = piece.split([' ', '>']).next().unwrap_or("");
                    let Some(name) = attr(&format!(" {piece}"), "name") else { continue };
                    match kind {
                        "input" => match attr(&format!(" {piece}"), "type").as_deref().unwrap_or("text") {
                            "hidden" => fields.push((name, attr(&format!(" {piece}"), "value").unwrap_or_default())),
                            "text" | "search" | "tel" => {
                                let m = format!("Marca{n}x");
                                markers.push(m.clone());
                                fields.push((name, m));
                            }
                            "date" => fields.push((name, "2099-13-45".into())),
                            "number" => fields.push((name, "-7".into())),
                            "email" => fields.push((name, format!("marca{n}@x.pe"))),
                            _ => {}
                        },
                        "textarea" => {
                            let m = format!("Relato{n}x");
                            markers.push(m.clone());
                            fields.push((name, m));
                        }
                        "select" => {
                            let first = piece.split("<option").nth(1).and_then(|o| attr(&format!(" {o}"), "value"));
                            let opt = inner
                                .split(&format!("name=\"{name}\""))
                                .nth(1)
                                .and_then(|s| s.split("<option").nth(2))
                                .and_then(|o| attr(&format!(" {o}"), "value"));
                            fields.push((name, first.or(opt).unwrap_or_default()));
                        }
                        _ => {}
                    }
                }
                if markers.is_empty() {
                    continue;
                }
                checked.insert((email, action.clone()));
                let pairs: Vec<(&str, &str)> = fields.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
                let body = serde_urlencoded_encode(&pairs);
                let r =
                    b.c.post(format!("{}{}", t.base, action))
                        .header("cookie", &b.cookie)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(body)
                        .send()
                        .await
                        .unwrap();
                assert!(r.status().as_u16() < 500, "{email} {action}: {}", r.status());
                if r.status() == 422 {
                    refused += 1;
                    let back = r.text().await.unwrap();
                    for m in &markers {
                        assert!(back.contains(m.as_str()), "{email} posting {action}: {m} did not come back");
                    }
                }
            }
        }
    }
    assert!(checked.len() >= 15, "forms checked: {}", checked.len());
    assert!(refused >= 10, "refused saves checked: {refused} of {}", checked.len());
}
