//! The two-factor gate on every route. The demo's accounts are exempt from two-factor, so
//! the authorization matrix runs without the gate; this pass runs with it: an account that
//! must enrol and one that must verify, each holding a password-only session, and tokens of
//! an account with no second factor, against every route of the catalogue.

use crate::helpers::*;
use amparo_core::Ctx;
use amparo_demo::DemoExt;
use amparo_domain::user::UserInput;
use amparo_web::RouteKind;

/// Routes a password-only session may reach: the two-factor pages themselves, signing out,
/// the language switch, and what anyone may see.
fn open_to_pending(path: &str) -> bool {
    path.starts_with("/mfa") || path == "/logout" || path == "/locale"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_only_sessions_and_tokens_without_a_second_factor_reach_nothing() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let police = t
        .app
        .administration()
        .list_orgs(&Ctx::system("t"))
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.kind.as_str() == "police_unit" && o.jurisdiction == "PE-16")
        .unwrap();
    for email in ["sin.segundo@pnp.gob.pe", "con.segundo@pnp.gob.pe"] {
        let input = UserInput {
            email: email.into(),
            display_name: "Agente".into(),
            org_id: police.id.to_string(),
            roles: vec!["investigator".into(), "org_admin".into()],
            password: "una clave bastante larga".into(),
            locale: None,
        };
        t.app.administration().create_user(&Ctx::system("t"), &input).await.unwrap();
    }
    // The second enrols once (a complete session), then signs in again with the password.
    let (b, _) = login(&t, "con.segundo@pnp.gob.pe", "una clave bastante larga").await;
    let cookie = b.cookie.trim_start_matches("amparo_session=").to_owned();
    let s = t.app.access().resolve_session(&cookie).await.unwrap().unwrap();
    let e = t.app.access().start_enrolment(&s).await.unwrap();
    let bytes = totp_rs::Secret::Encoded(e.secret_base32.clone()).to_bytes().unwrap();
    let code = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, "x".into()).unwrap().generate(NOW as u64);
    let s = t.app.access().resolve_session(&cookie).await.unwrap().unwrap();
    t.app.access().confirm_enrolment(&Ctx::anonymous("t", "t"), &s, &code).await.unwrap();
    let (must_enrol, r1) = login(&t, "sin.segundo@pnp.gob.pe", "una clave bastante larga").await;
    let (must_verify, r2) = login(&t, "con.segundo@pnp.gob.pe", "una clave bastante larga").await;
    assert_eq!(r1.headers()["location"], "/mfa/enrol");
    assert_eq!(r2.headers()["location"], "/mfa");
    let no_factor_token = token(&t, "sin.segundo@pnp.gob.pe").await;

    let (_, specs) = amparo_web::routes::catalogue();
    let mut checked = 0;
    for s in &specs {
        let path = s.path.replace("{id}", "x").replace("{file}", "app.css").replace("{reference}", "x");
        match s.kind {
            RouteKind::Public => continue,
            RouteKind::Ui if open_to_pending(s.path) => continue,
            RouteKind::Ui => {
                for (who, b) in [("must enrol", &must_enrol), ("must verify", &must_verify)] {
                    let url = format!("{}{}", t.base, path);
                    let req = if s.method == "GET" { b.c.get(&url) } else { b.c.post(&url).header("x-csrf-token", &b.csrf).body("") };
                    let r = req.header("cookie", &b.cookie).send().await.unwrap();
                    let to = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                    assert!(
                        (r.status() == 303 && to.starts_with("/mfa")) || matches!(r.status().as_u16(), 401 | 403),
                        "{who}: {} {} answered {} {to}",
                        s.method,
                        s.path,
                        r.status()
                    );
                    checked += 1;
                }
            }
            RouteKind::Api => {
                if s.path == "/api/v1/openapi.json" {
                    continue;
                }
                let url = format!("{}{}", t.base, path);
                let req = match s.method {
                    "GET" => client().get(&url),
                    "PUT" => client().put(&url).json(&serde_json::json!({})),
                    _ => client().post(&url).json(&serde_json::json!({})),
                };
                let r = req.bearer_auth(&no_factor_token).send().await.unwrap();
                assert_eq!(r.status(), 401, "a token without a second factor: {} {}", s.method, s.path);
                checked += 1;
            }
        }
    }
    eprintln!("two-factor gate matrix: {checked} checks");
    assert!(checked > 150, "routes checked: {checked}");
    // Once the second factor is verified, the same account works.
    let done = t.app.access().resolve_session(must_verify.cookie.trim_start_matches("amparo_session=")).await.unwrap().unwrap();
    let next = totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        totp_rs::Secret::Encoded(e.secret_base32).to_bytes().unwrap(),
        None,
        "x".into(),
    )
    .unwrap()
    .generate(NOW as u64 + 30);
    t.clock.advance(30);
    let issued = t.app.access().verify_mfa(&Ctx::anonymous("t", "t"), &done, &next).await.unwrap();
    let full = Browser { cookie: format!("amparo_session={}", issued.cookie), ..must_verify };
    assert_eq!(full.get("/persons").await.status(), 200);
}
