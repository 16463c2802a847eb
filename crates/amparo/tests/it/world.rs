//! Small fixture builders: the organisations, accounts and tokens a test names, and nothing
//! else. A test built on them does not load the demo, so a demo edit cannot break it and the
//! demo's own records cannot mask what it asserts.

use crate::helpers::*;
use amparo_core::Ctx;
use amparo_core::store::{AuditFilter, ports::*};
use amparo_domain::OrgId;
use amparo_domain::audit::AuditEvent;
use amparo_domain::org::OrgInput;
use amparo_domain::user::UserInput;
use serde_json::{Value, json};

/// A test's world: an app with only what the test built in it.
pub struct World {
    pub t: TestApp,
}

/// An account made by [`World::account`]: its id, e-mail and a bearer token.
pub struct Account {
    pub id: String,
    pub email: String,
    pub token: String,
}

impl World {
    pub async fn new() -> World {
        World { t: spawn_app().await }
    }

    /// An organisation of `kind` in `region`, under `parent` if given.
    pub async fn org(&self, name: &str, kind: &str, region: &str, parent: Option<&OrgId>) -> OrgId {
        org_in(&self.t, name, kind, region, parent).await
    }

    /// An account holding `roles` in `org` (see [`account_in`]).
    pub async fn account(&self, email: &str, org: &OrgId, roles: &[&str]) -> Account {
        account_in(&self.t, email, org, roles).await
    }

    /// Call the API as `who`.
    pub async fn call(&self, who: &Account, method: &str, path: &str, body: Value) -> (u16, Value) {
        call(&self.t, &who.token, method, path, body).await
    }

    /// Call, assert the status (a failed setup must not pass for the behaviour under test),
    /// and return the body.
    pub async fn ok(&self, who: &Account, method: &str, path: &str, body: Value, want: u16) -> Value {
        let (status, out) = self.call(who, method, path, body).await;
        assert_eq!(status, want, "{method} {path} as {}: {out}", who.email);
        out
    }

    /// A person with a name, recorded by `who` in their organisation.
    pub async fn person(&self, who: &Account, given: &str, surname: &str) -> String {
        self.person_as(who, "possible_victim", given, surname).await
    }

    /// The same, in another role (`suspect`, `witness`).
    pub async fn person_as(&self, who: &Account, role: &str, given: &str, surname: &str) -> String {
        let body = json!({ "role": role, "given_names": given, "first_surname": surname, "sex": "female", "approx_age": "19" });
        let p = self.ok(who, "POST", "/api/v1/persons", body, 201).await;
        p["id"].as_str().unwrap().to_owned()
    }

    /// A case opened by `who`, with `person` linked to it as a victim.
    pub async fn case_with(&self, who: &Account, person: &str) -> Value {
        self.case_linking(who, &[(person, "victim")]).await
    }

    /// A case opened by `who`, with each (person, role) linked to it.
    pub async fn case_linking(&self, who: &Account, links: &[(&str, &str)]) -> Value {
        let body = json!({ "title": "Bar en Pucallpa", "exploitation": "isSexualExploit", "place": "PE-25" });
        let c = self.ok(who, "POST", "/api/v1/cases", body, 201).await;
        for (person, role) in links {
            let link = json!({ "person_id": person, "role": role });
            self.ok(who, "POST", &format!("/api/v1/cases/{}/links", c["id"].as_str().unwrap()), link, 201).await;
        }
        c
    }

    /// The audit entries about `record_id` written by `actor`, newest first.
    pub async fn audit_of(&self, actor: &Account, record_id: &str) -> Vec<AuditEvent> {
        let f = AuditFilter { actor: Some(actor.id.clone()), record_id: Some(record_id.into()), limit: 50, ..Default::default() };
        self.t.store.audit_page(&f).await.unwrap().into_iter().map(|e| e.event).collect()
    }
}

/// An organisation of `kind` in `region` in any test app, under `parent` if given.
pub async fn org_in(t: &TestApp, name: &str, kind: &str, region: &str, parent: Option<&OrgId>) -> OrgId {
    let input = OrgInput { name: name.into(), kind: kind.into(), jurisdiction: region.into(), parent_id: parent.map(|p| p.to_string()) };
    t.app.administration().create_org(&Ctx::system("fixture"), &input).await.unwrap().id
}

/// An account holding `roles` in `org`, enrolled in two-factor (so its token passes the
/// gate), with a year's token for the API (a test that moves the clock keeps its callers).
pub async fn account_in(t: &TestApp, email: &str, org: &OrgId, roles: &[&str]) -> Account {
    let input = UserInput {
        email: email.into(),
        display_name: email.split('@').next().unwrap_or(email).into(),
        org_id: org.to_string(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        password: "una clave bastante larga".into(),
        locale: None,
    };
    let u = t.app.administration().create_user_overriding_fit(&Ctx::system("fixture"), &input).await.unwrap();
    enrolled(t, email).await;
    let (token, _) = t.app.access().create_token(&Ctx::system("fixture"), email, "fixture", 365).await.unwrap();
    Account { id: u.id.to_string(), email: email.into(), token }
}

/// The password of every fixture account.
pub const FIXTURE_PW: &str = "una clave bastante larga";

/// A browser session of a new account holding `roles` in `org`, signed in through the real
/// login form; an account that must use two-factor enrols with a real TOTP code first, so
/// the session is a full one.
pub async fn signed_in(t: &TestApp, email: &str, org: &OrgId, roles: &[&str]) -> Browser {
    let input = UserInput {
        email: email.into(),
        display_name: email.split('@').next().unwrap_or(email).into(),
        org_id: org.to_string(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        password: FIXTURE_PW.into(),
        locale: None,
    };
    t.app.administration().create_user_overriding_fit(&Ctx::system("fixture"), &input).await.unwrap();
    let (b, r) = login(t, email, FIXTURE_PW).await;
    if r.headers().get("location").and_then(|l| l.to_str().ok()) != Some("/mfa/enrol") {
        return b;
    }
    let page = b.get("/mfa/enrol").await.text().await.unwrap();
    let start = page.find("id=\"totp-secret\">").map(|i| i + "id=\"totp-secret\">".len()).unwrap();
    let secret = &page[start..start + page[start..].find('<').unwrap()];
    let bytes = totp_rs::Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    let now = amparo_core::clock::Clock::now(t.clock.as_ref()) as u64;
    let code = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, "x".into()).unwrap().generate(now);
    let ok = b.post("/mfa/enrol", &[("code", &code)]).await;
    assert_eq!(ok.status(), 200, "two-factor enrolment of {email}");
    let cookie = set_cookie(&ok, "amparo_session").unwrap();
    let mut b = Browser { cookie: format!("amparo_session={cookie}"), ..b };
    b.refresh_csrf().await;
    b
}
