//! The JSON API: error shape, validation, conflicts, limits, tokens, OpenAPI.

use crate::helpers::*;
use amparo_core::Ctx;
use amparo_core::store::ports::*;
use amparo_demo::DemoExt;
use serde_json::{Value, json};

/// One organisation and its system administrator, with a day's token: enough for the error
/// shapes and token checks, and nothing of the demo's that could answer for them.
async fn admin_token(t: &TestApp) -> String {
    let org = crate::world::org_in(t, "Unidad de prueba", "coordinating_body", "PE-15", None).await;
    crate::world::account_in(t, "admin@x.pe", &org, &["system_admin"]).await;
    t.app.access().create_token(&Ctx::system("t"), "admin@x.pe", "t", 1).await.unwrap().0
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    let t = spawn_app().await;
    let doc: Value = client().get(format!("{}/api/v1/openapi.json", t.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for s in amparo_web::routes::catalogue().1.iter().filter(|s| s.path.starts_with("/api/")) {
        assert!(doc["paths"][s.path][s.method.to_lowercase()].is_object(), "{} {} missing", s.method, s.path);
    }
}

#[tokio::test]
async fn errors_are_json_with_a_stable_code_a_safe_message_and_an_operation_id() {
    let t = spawn_app().await;
    let tok = admin_token(&t).await;
    let r = client().get(format!("{}/api/v1/organisations/doesnotexist", t.base)).bearer_auth(&tok).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let op_header = r.headers()["x-operation-id"].to_str().unwrap().to_owned();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["operation_id"], op_header);
    assert!(body["message"].as_str().unwrap().len() > 3);
}

#[tokio::test]
async fn invalid_input_gets_422_with_every_bad_field_named() {
    let t = spawn_app().await;
    let tok = admin_token(&t).await;
    let r = client()
        .post(format!("{}/api/v1/users", t.base))
        .bearer_auth(&tok)
        .json(&json!({ "email": "not-an-email", "display_name": "", "org_id": "x", "roles": ["wizard"], "password": "short" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "validation_failed");
    let fields: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    for f in ["email", "display_name", "roles", "password"] {
        assert!(fields.contains(&f), "{f} not reported: {fields:?}");
    }
}

#[tokio::test]
async fn a_stale_update_gets_409_with_the_current_record_and_nothing_is_lost() {
    let t = spawn_app().await;
    let tok = admin_token(&t).await;
    let c = client();
    let orgs: Value = c.get(format!("{}/api/v1/organisations", t.base)).bearer_auth(&tok).send().await.unwrap().json().await.unwrap();
    let org = &orgs["items"][0];
    let url = format!("{}/api/v1/organisations/{}", t.base, org["id"].as_str().unwrap());
    let edit = |name: &str, v: i64| json!({ "name": name, "kind": org["kind"], "jurisdiction": org["jurisdiction"], "parent_id": org["parent_id"], "version": v });
    let first = c.put(&url).bearer_auth(&tok).json(&edit("Primera edición", 1)).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let second = c.put(&url).bearer_auth(&tok).json(&edit("Segunda edición", 1)).send().await.unwrap();
    assert_eq!(second.status(), 409);
    let body: Value = second.json().await.unwrap();
    assert_eq!(body["code"], "version_conflict");
    assert_eq!(body["current"]["name"], "Primera edición");
    assert_eq!(body["current"]["version"], 2);
}

#[tokio::test]
async fn malformed_and_oversized_bodies_get_clear_errors() {
    let t = spawn_app().await;
    let tok = admin_token(&t).await;
    let c = client();
    let r = c
        .post(format!("{}/api/v1/organisations", t.base))
        .bearer_auth(&tok)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "bad_request");
    let huge = format!("{{\"name\":\"{}\"}}", "a".repeat(200_000));
    let r = c
        .post(format!("{}/api/v1/organisations", t.base))
        .bearer_auth(&tok)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "payload_too_large");
}

#[tokio::test]
async fn expired_revoked_and_forged_tokens_are_refused() {
    let t = spawn_app().await;
    let tok = admin_token(&t).await;
    let c = client();
    let me = |tk: String| c.get(format!("{}/api/v1/me", t.base)).bearer_auth(tk).send();
    assert_eq!(me(tok.clone()).await.unwrap().status(), 200);
    assert_eq!(me(format!("{tok}x")).await.unwrap().status(), 401);
    assert_eq!(me("amp_nothing_here".into()).await.unwrap().status(), 401);
    t.clock.advance(2 * 86_400);
    assert_eq!(me(tok).await.unwrap().status(), 401, "expired after one day");
    let (tok2, rec) = t.app.access().create_token(&Ctx::system("t"), "admin@x.pe", "t", 5).await.unwrap();
    assert_eq!(me(tok2.clone()).await.unwrap().status(), 200);
    t.app.access().revoke_token(&Ctx::system("t"), &rec.id).await.unwrap();
    assert_eq!(me(tok2).await.unwrap().status(), 401);
    let stored = t.store.find_token(&rec.id).await.unwrap().unwrap();
    assert!(!stored.secret_hash.is_empty() && stored.secret_hash.len() == 64, "only a hash is stored");
}

#[tokio::test]
async fn internal_failures_never_leak_their_cause() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let tok = t.app.access().create_token(&Ctx::system("t"), "investigador@demo.amparo.pe", "t", 1).await.unwrap().0;
    let c = client();
    let persons: Value = c.get(format!("{}/api/v1/persons", t.base)).bearer_auth(&tok).send().await.unwrap().json().await.unwrap();
    let id = persons["items"][0]["id"].as_str().unwrap().to_owned();
    // Corrupt a ciphertext under the application: decryption fails inside the core.
    sqlx::query("UPDATE persons SET given_names = $1 WHERE id = $2")
        .bind(vec![1u8; 60])
        .bind(id.clone())
        .execute(t.store.pool())
        .await
        .unwrap();
    let r = c
        .post(format!("{}/api/v1/persons/{id}/reveal", t.base))
        .bearer_auth(&tok)
        .json(&json!({ "purpose": "probar errores internos" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    let text = r.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["code"], "internal_error");
    for leak in ["ciphertext", "authenticate", "sqlx", "persons", "panicked"] {
        assert!(!text.to_lowercase().contains(leak), "{leak} leaked: {text}");
    }
}

#[tokio::test]
async fn revealing_an_identity_requires_a_purpose_and_is_audited_with_it() {
    let t = spawn_app().await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let tok = t.app.access().create_token(&Ctx::system("t"), "investigador@demo.amparo.pe", "t", 1).await.unwrap().0;
    let c = client();
    let persons: Value = c.get(format!("{}/api/v1/persons", t.base)).bearer_auth(&tok).send().await.unwrap().json().await.unwrap();
    assert!(persons["items"][0].get("given_names").is_none(), "lists show no identity");
    let id = persons["items"][0]["id"].as_str().unwrap();
    let r =
        c.post(format!("{}/api/v1/persons/{id}/reveal", t.base)).bearer_auth(&tok).json(&json!({ "purpose": "" })).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let r = c
        .post(format!("{}/api/v1/persons/{id}/reveal", t.base))
        .bearer_auth(&tok)
        .json(&json!({ "purpose": "preparar derivación al CAR" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert!(body["identity"]["given_names"].is_string() || body["identity"]["aliases"].is_string());
    let audit = t
        .store
        .audit_page(&amparo_core::store::AuditFilter { action: Some("reveal_person".into()), limit: 5, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(audit[0].event.purpose, "preparar derivación al CAR");
    assert_eq!(audit[0].event.record_id, id);
    assert!(!audit[0].event.operation_id.is_empty());
}

#[tokio::test]
async fn assets_are_compressed_for_slow_links_but_pages_are_not() {
    let t = spawn_app().await;
    let c = client();
    let js = c.get(format!("{}/assets/htmx-2.0.4.min.js", t.base)).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(js.status(), 200);
    assert_eq!(js.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"));
    let page = c.get(format!("{}/login", t.base)).header("accept-encoding", "gzip").send().await.unwrap();
    assert!(page.headers().get("content-encoding").is_none(), "pages with CSRF tokens are never compressed (BREACH)");
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
    // A traversal sent as is (an HTTP client would normalise `..` away before sending, so
    // the assets handler would never see it): the handler gets `../../etc/passwd` and finds
    // no such embedded file.
    let addr = t.base.trim_start_matches("http://").to_owned();
    for path in ["/assets/..%2f..%2f..%2fetc%2fpasswd", "/assets/%2e%2e%2f%2e%2e%2fCargo.toml", "/assets/..%5c..%5cCargo.toml"] {
        let raw = raw_get(&addr, path).await;
        assert!(raw.starts_with("HTTP/1.1 404"), "{path}: {}", raw.lines().next().unwrap_or(""));
        assert!(!raw.contains("root:") && !raw.contains("[workspace]"), "{path} served a file from outside the assets");
    }
    assert!(raw_get(&addr, "/assets/app.css").await.starts_with("HTTP/1.1 200"), "the same request for a real asset works");
    // The icon every browser asks for on every page: an answer, not a 404 per page.
    let icon = c.get(format!("{}/favicon.ico", t.base)).send().await.unwrap();
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    assert!(icon.text().await.unwrap().starts_with("<svg"));
    assert!(page_text(&c, &format!("{}/login", t.base)).await.contains(r#"<link rel="icon" href="/assets/favicon.svg""#));
}

async fn page_text(c: &reqwest::Client, url: &str) -> String {
    c.get(url).send().await.unwrap().text().await.unwrap()
}

/// A GET sent byte for byte, as written (no client-side path normalisation).
async fn raw_get(addr: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    String::from_utf8_lossy(&buf).into_owned()
}
