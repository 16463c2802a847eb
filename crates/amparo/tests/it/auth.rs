//! Authentication: passwords, throttling, sessions, two-factor, CSRF.

use crate::helpers::*;
use crate::world::{FIXTURE_PW, account_in, org_in, signed_in};
use amparo_core::Ctx;
use amparo_core::store::ports::*;
use amparo_demo::DemoExt;
use amparo_domain::user::UserInput;
use totp_rs::{Algorithm, Secret, TOTP};

async fn demo(t: &TestApp) {
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
}

/// A non-demo investigator (two-factor required) in the Loreto police unit.
async fn mfa_user(t: &TestApp, email: &str) -> String {
    demo(t).await;
    let orgs = t.store.list_orgs().await.unwrap();
    let org = orgs.iter().find(|o| o.jurisdiction == "PE-16" && o.kind.as_str() == "police_unit").unwrap();
    let pw = "clave-larga-de-prueba-1";
    t.app
        .administration()
        .create_user(
            &Ctx::system("t"),
            &UserInput {
                email: email.into(),
                display_name: "Inv".into(),
                org_id: org.id.to_string(),
                roles: vec!["investigator".into()],
                password: pw.into(),
                locale: None,
            },
        )
        .await
        .unwrap();
    pw.into()
}

fn code_at(secret_b32: &str, t: i64) -> String {
    let bytes = Secret::Encoded(secret_b32.to_owned()).to_bytes().unwrap();
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, None, "x".into()).unwrap().generate(t as u64)
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let s = html.find(start).map(|i| i + start.len()).unwrap();
    let e = html[s..].find(end).unwrap();
    &html[s..s + e]
}

#[tokio::test]
async fn wrong_password_and_unknown_account_look_the_same() {
    let t = spawn_app().await;
    let org = org_in(&t, "Observatorio", "coordinating_body", "PE-15", None).await;
    account_in(&t, "analista@x.pe", &org, &["analyst"]).await;
    let (_, a) = login(&t, "analista@x.pe", "wrong password here").await;
    let (_, b) = login(&t, "nobody@x.pe", "wrong password here").await;
    assert_eq!(a.status(), 401);
    assert_eq!(b.status(), 401);
    let (ta, tb) = (a.text().await.unwrap(), b.text().await.unwrap());
    assert!(ta.contains("Correo o contraseña incorrectos"));
    assert_eq!(between(&ta, "id=\"login-error\">", "<"), between(&tb, "id=\"login-error\">", "<"));
}

#[tokio::test]
async fn an_account_locks_after_repeated_failures_and_the_lockout_is_audited() {
    let t = spawn_app().await;
    let org = org_in(&t, "Observatorio", "coordinating_body", "PE-15", None).await;
    account_in(&t, "analista@x.pe", &org, &["analyst"]).await;
    for _ in 0..5 {
        let (_, r) = login(&t, "analista@x.pe", "not the password!").await;
        assert_eq!(r.status(), 401);
    }
    let (_, r) = login(&t, "analista@x.pe", FIXTURE_PW).await;
    assert_eq!(r.status(), 429, "the right password is refused while locked");
    assert!(r.text().await.unwrap().contains("Demasiados intentos"));
    let entries = t
        .store
        .audit_page(&amparo_core::store::AuditFilter { action: Some("lockout".into()), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    t.clock.advance(16 * 60);
    let (_, r) = login(&t, "analista@x.pe", FIXTURE_PW).await;
    assert_eq!(r.status(), 303, "unlocked after the lockout period");
}

#[tokio::test]
async fn login_issues_a_new_session_id_and_cookies_are_locked_down() {
    let t = spawn_app().await;
    let org = org_in(&t, "Observatorio", "coordinating_body", "PE-15", None).await;
    account_in(&t, "analista@x.pe", &org, &["analyst"]).await;
    let (first, r1) = login(&t, "analista@x.pe", FIXTURE_PW).await;
    let set = r1.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>().join("\n");
    let sess = set.lines().find(|l| l.starts_with("amparo_session=")).unwrap();
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(sess.contains(flag), "{flag} missing in {sess}");
    }
    // Logging in again while holding a session replaces it: the old id stops working.
    let c = client();
    let page = c.get(format!("{}/login", t.base)).header("cookie", &first.cookie).send().await.unwrap();
    let csrf = csrf_from(&page.text().await.unwrap());
    let body = serde_urlencoded_encode(&[("email", "analista@x.pe"), ("password", FIXTURE_PW), ("_csrf", &csrf)]);
    let r2 = c
        .post(format!("{}/login", t.base))
        .header("cookie", &first.cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let second = set_cookie(&r2, "amparo_session").unwrap();
    assert_ne!(format!("amparo_session={second}"), first.cookie);
    assert_eq!(first.get("/").await.status(), 303, "the pre-login session id is dead");
}

#[tokio::test]
async fn sessions_end_after_idle_and_absolute_timeouts() {
    let t = spawn_app().await;
    let org = org_in(&t, "Observatorio", "coordinating_body", "PE-15", None).await;
    account_in(&t, "analista@x.pe", &org, &["analyst"]).await;
    let (b, _) = login(&t, "analista@x.pe", FIXTURE_PW).await;
    assert_eq!(b.get("/").await.status(), 200);
    t.clock.advance(29 * 60);
    assert_eq!(b.get("/").await.status(), 200, "activity within the idle window keeps it alive");
    t.clock.advance(31 * 60);
    assert_eq!(b.get("/").await.status(), 303, "idle too long");
    let (b, _) = login(&t, "analista@x.pe", FIXTURE_PW).await;
    for _ in 0..25 {
        t.clock.advance(29 * 60);
        let _ = b.get("/").await;
    }
    assert_eq!(b.get("/").await.status(), 303, "absolute lifetime reached");
}

#[tokio::test]
async fn two_factor_enrolment_verification_replay_and_recovery() {
    let t = spawn_app().await;
    let pw = mfa_user(&t, "inv2@policia.gob.pe").await;
    let (b, r) = login(&t, "inv2@policia.gob.pe", &pw).await;
    assert_eq!(r.headers()["location"], "/mfa/enrol");
    assert_eq!(b.get("/").await.headers()["location"], "/mfa/enrol", "nothing else is reachable before enrolment");
    let page = b.get("/mfa/enrol").await.text().await.unwrap();
    assert!(page.contains("<svg"), "a QR code is shown");
    let secret = between(&page, "id=\"totp-secret\">", "<").to_owned();
    let bad = b.post("/mfa/enrol", &[("code", "123456")]).await;
    assert_eq!(bad.status(), 422);
    let ok = b.post("/mfa/enrol", &[("code", &code_at(&secret, NOW))]).await;
    assert_eq!(ok.status(), 200);
    let new_cookie = set_cookie(&ok, "amparo_session").unwrap();
    let html = ok.text().await.unwrap();
    let codes: Vec<String> =
        between(&html, "id=\"recovery-codes\">", "</ul>").split("<li>").skip(1).map(|c| c.split('<').next().unwrap().to_owned()).collect();
    assert_eq!(codes.len(), 10);
    let user = t.store.find_user_by_email("inv2@policia.gob.pe").await.unwrap().unwrap();
    assert!(user.recovery_hashes.iter().all(|h| !codes.contains(h)), "only hashes are stored");
    let mut b2 = Browser { cookie: format!("amparo_session={new_cookie}"), ..b };
    assert_eq!(b2.get("/").await.status(), 200);
    // A signed-in session cannot move the second factor to another device.
    b2.refresh_csrf().await;
    assert_eq!(b2.get("/mfa/enrol").await.status(), 303);
    assert_eq!(b2.post("/mfa/enrol", &[("code", &code_at(&secret, NOW))]).await.status(), 422);

    // Sign in again: the code just used cannot be replayed; the next step's code works.
    let (b, r) = login(&t, "inv2@policia.gob.pe", &pw).await;
    assert_eq!(r.headers()["location"], "/mfa");
    assert_eq!(b.post("/mfa", &[("code", &code_at(&secret, NOW))]).await.status(), 422, "replayed code refused");
    t.clock.advance(30);
    let r = b.post("/mfa", &[("code", &code_at(&secret, NOW + 30))]).await;
    assert_eq!(r.status(), 303);
    assert!(set_cookie(&r, "amparo_session").is_some(), "two-factor completion renews the session id");

    // A recovery code works once.
    let (b, _) = login(&t, "inv2@policia.gob.pe", &pw).await;
    assert_eq!(b.post("/mfa", &[("code", &codes[0])]).await.status(), 303);
    let (b, _) = login(&t, "inv2@policia.gob.pe", &pw).await;
    assert_eq!(b.post("/mfa", &[("code", &codes[0])]).await.status(), 422);
}

#[tokio::test]
async fn state_changing_requests_need_a_csrf_token_and_same_origin() {
    let t = spawn_app().await;
    let org = org_in(&t, "Observatorio", "coordinating_body", "PE-15", None).await;
    let b = signed_in(&t, "admin@x.pe", &org, &["system_admin"]).await;
    let form = [("name", "Unidad X"), ("kind", "ngo"), ("jurisdiction", "PE-16")];
    let no_token =
        b.c.post(format!("{}/orgs", t.base))
            .header("cookie", &b.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded_encode(&form))
            .send()
            .await
            .unwrap();
    assert_eq!(no_token.status(), 403);
    let wrong = Browser { csrf: "0".repeat(64), base: b.base.clone(), c: b.c.clone(), cookie: b.cookie.clone() };
    assert_eq!(wrong.post("/orgs", &form).await.status(), 403);
    let mut f = form.to_vec();
    f.push(("_csrf", &b.csrf));
    let cross =
        b.c.post(format!("{}/orgs", t.base))
            .header("cookie", &b.cookie)
            .header("sec-fetch-site", "cross-site")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded_encode(&f))
            .send()
            .await
            .unwrap();
    assert_eq!(cross.status(), 403);
    let evil_origin =
        b.c.post(format!("{}/orgs", t.base))
            .header("cookie", &b.cookie)
            .header("origin", "https://evil.example")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded_encode(&f))
            .send()
            .await
            .unwrap();
    assert_eq!(evil_origin.status(), 403);
    assert_eq!(b.post("/orgs", &form).await.status(), 200, "the same request with its token goes through");
    assert_eq!(t.store.list_orgs().await.unwrap().iter().filter(|o| o.name == "Unidad X").count(), 1);
}

#[tokio::test]
async fn disabling_an_account_ends_its_sessions() {
    let t = spawn_app().await;
    demo(&t).await;
    let (b, _) = login(&t, "operadora@demo.amparo.pe", DEMO_PW).await;
    assert_eq!(b.get("/").await.status(), 200);
    t.app.administration().disable_user(&Ctx::system("t"), "operadora@demo.amparo.pe").await.unwrap();
    assert_eq!(b.get("/").await.status(), 303);
    let (_, r) = login(&t, "operadora@demo.amparo.pe", DEMO_PW).await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn the_audit_viewer_filters_by_action_and_date_and_org_admins_see_only_their_organisation() {
    let t = spawn_app().await;
    demo(&t).await;
    let (b, _) = login(&t, "admin@demo.amparo.pe", DEMO_PW).await;
    let all = b.get("/audit?action=create_org").await.text().await.unwrap();
    let rows = audit_rows(&all);
    assert!(!rows.is_empty(), "the filter finds the organisations made");
    assert!(rows.iter().all(|r| r.contains("create_org")), "every row is a create_org: {rows:?}");
    // The clock stands at 2026-09-21 14:13 UTC.
    assert!(b.get("/audit?from=2026-09-22").await.text().await.unwrap().contains("id=\"audit-empty\""));
    assert!(b.get("/audit?from=2026-09-21&to=2026-09-21").await.text().await.unwrap().contains("id=\"audit-table\""));
    assert!(b.get("/audit?to=2026-09-20").await.text().await.unwrap().contains("id=\"audit-empty\""));
    let (lo, _) = login(&t, "admin-loreto@demo.amparo.pe", DEMO_PW).await;
    let mine = lo.get("/audit").await.text().await.unwrap();
    assert!(mine.contains("login"), "their own organisation's sign-ins");
    assert!(!mine.contains("create_demo_user"), "not the rest of the system's entries");
}

#[tokio::test]
async fn the_audit_viewer_names_people_by_email_and_filters_by_it() {
    let t = spawn_app().await;
    demo(&t).await;
    let (_, r) = login(&t, "fiscal@demo.amparo.pe", DEMO_PW).await;
    assert_eq!(r.status(), 303, "the sign-in that makes the entry");
    let (b, _) = login(&t, "admin@demo.amparo.pe", DEMO_PW).await;
    let page = b.get("/audit?actor=fiscal%40demo.amparo.pe").await.text().await.unwrap();
    let rows = audit_rows(&page);
    assert!(rows.iter().any(|r| r.contains("fiscal@demo.amparo.pe") && r.contains(">login<")), "her sign-in, named by e-mail: {rows:?}");
    assert!(rows.iter().all(|r| r.contains("fiscal@demo.amparo.pe") && !r.contains("admin@demo.amparo.pe")), "only her entries: {rows:?}");
}

#[tokio::test]
async fn an_admin_edits_roles_sees_conflicts_and_resets_a_users_access() {
    let t = spawn_app().await;
    demo(&t).await;
    let (b, _) = login(&t, "admin@demo.amparo.pe", DEMO_PW).await;
    let target = t.store.find_user_by_email("inspectora@demo.amparo.pe").await.unwrap().unwrap().user;
    let path = format!("/users/{}", target.id);
    let form = b.get(&path).await.text().await.unwrap();
    assert!(form.contains("inspectora@demo.amparo.pe"));
    let ok = b
        // A second role that a labour inspectorate may hold (a case worker may not be one
        // there: `domain/grant.rs`).
        .post(&path, &[("display_name", "Inspectora MDD"), ("roles", "labour_inspector"), ("roles", "org_admin"), ("version", "1")])
        .await;
    assert_eq!(ok.status(), 200);
    let now = t.store.find_user_by_email("inspectora@demo.amparo.pe").await.unwrap().unwrap().user;
    assert_eq!(now.roles.len(), 2);
    // A second admin still on version 1 sees both versions instead of overwriting.
    let stale = b.post(&path, &[("display_name", "Otra cosa"), ("roles", "labour_inspector"), ("version", "1")]).await;
    assert_eq!(stale.status(), 409);
    let html = stale.text().await.unwrap();
    assert!(html.contains("id=\"conflict\"") && html.contains("Inspectora MDD") && html.contains("Otra cosa"));
    assert_eq!(t.store.find_user_by_email("inspectora@demo.amparo.pe").await.unwrap().unwrap().user.display_name, "Inspectora MDD");
    // Reset access: a temporary password, shown once; the old password stops working.
    let (victim_session, _) = login(&t, "inspectora@demo.amparo.pe", DEMO_PW).await;
    let r = b.post(&format!("{path}/reset"), &[("reset_mfa", "1")]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let temp = html.split("id=\"temp-password\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert_eq!(temp.len(), 16);
    assert_eq!(victim_session.get("/").await.status(), 303, "their sessions ended");
    assert_eq!(login(&t, "inspectora@demo.amparo.pe", DEMO_PW).await.1.status(), 401);
    assert_eq!(login(&t, "inspectora@demo.amparo.pe", &temp).await.1.status(), 303);
    // Nobody resets their own account from the admin screen.
    let me = t.store.find_user_by_email("admin@demo.amparo.pe").await.unwrap().unwrap().user;
    assert_eq!(b.post(&format!("/users/{}/reset", me.id), &[]).await.status(), 422);
}

#[tokio::test]
async fn a_rejected_person_form_keeps_everything_the_user_typed() {
    let t = spawn_app().await;
    demo(&t).await;
    let (b, _) = login(&t, "operadora@demo.amparo.pe", DEMO_PW).await;
    let narrative = "Llamó una vecina de Belén: una adolescente trabaja de noche en un bar y no sale.";
    let r = b.post("/persons", &[("role", "possible_victim"), ("approx_age", "cien"), ("narrative", narrative)]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Llamó una vecina de Belén"), "the narrative is still in the form");
    assert!(html.contains("value=\"cien\""), "so is the bad value, next to its error");
    assert!(html.contains("Número no válido"));
}

#[tokio::test]
async fn a_stale_organisation_edit_in_the_ui_shows_both_versions() {
    let t = spawn_app().await;
    demo(&t).await;
    let (b, _) = login(&t, "admin@demo.amparo.pe", DEMO_PW).await;
    let org = t.store.list_orgs().await.unwrap().into_iter().find(|o| o.jurisdiction == "PE-21" && o.kind.as_str() == "ngo").unwrap();
    let path = format!("/orgs/{}", org.id);
    let edit = |name: &'static str| [("name", name), ("kind", "ngo"), ("jurisdiction", "PE-21"), ("version", "1")];
    assert_eq!(b.post(&path, &edit("ONG Puno – sede Juliaca")).await.status(), 303);
    let stale = b.post(&path, &edit("ONG Puno – sede Puno")).await;
    assert_eq!(stale.status(), 409);
    let html = stale.text().await.unwrap();
    assert!(html.contains("id=\"conflict\"") && html.contains("sede Juliaca") && html.contains("sede Puno"));
    assert!(html.contains("name=\"version\" value=\"2\""), "saving again is a deliberate overwrite of version 2");
    assert_eq!(t.store.get_org(&org.id).await.unwrap().unwrap().name, "ONG Puno – sede Juliaca");
}

/// The rows of the audit viewer's table (not the filter form, which echoes the filter).
fn audit_rows(html: &str) -> Vec<String> {
    let Some(body) = html.split("<tbody>").nth(1).and_then(|b| b.split("</tbody>").next()) else { return vec![] };
    body.split("<tr").skip(1).map(str::to_owned).collect()
}
