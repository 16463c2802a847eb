//! Two server instances on one PostgreSQL database serve the same users consistently:
//! sessions and throttling counters live in the database, not in either process.

use crate::helpers::*;
use amparo_core::Ctx;
use amparo_demo::DemoExt;
use amparo_testkit::TempDir;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_sessions_and_lockouts() {
    let Some(cluster) = pg() else { return };
    let url = cluster.new_database("two_servers");
    let a = spawn_on(TempDir::new("a"), &url, 1).await;
    let b = spawn_on(TempDir::new("b"), &url, 2).await;
    a.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    // Sign in through A, keep working through B with the same cookie and CSRF token.
    let (mut on_a, _) = login(&a, "admin@demo.amparo.pe", DEMO_PW).await;
    on_a.refresh_csrf().await;
    let on_b = Browser { base: b.base.clone(), c: on_a.c.clone(), cookie: on_a.cookie.clone(), csrf: on_a.csrf.clone() };
    assert_eq!(on_b.get("/users").await.status(), 200);
    let r = on_b.post("/orgs", &[("name", "Creada en B"), ("kind", "ngo"), ("jurisdiction", "PE-17")]).await;
    assert_eq!(r.status(), 200);
    assert!(on_a.get("/orgs").await.text().await.unwrap().contains("Creada en B"));
    // Logging out on B ends the session on A too.
    assert_eq!(on_b.post("/logout", &[]).await.status(), 303);
    assert_eq!(on_a.get("/").await.status(), 303);
    // Failures spread over both instances add up to one lockout.
    for (i, t) in [&a, &b, &a, &b, &a].iter().enumerate() {
        let (_, r) = login(t, "fiscal@demo.amparo.pe", "wrong wrong wrong").await;
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    let (_, r) = login(&b, "fiscal@demo.amparo.pe", DEMO_PW).await;
    assert_eq!(r.status(), 429);
    // And the one audit chain stays intact with both writing to it.
    assert!(a.app.system().verify_audit().await.unwrap().broken.is_none());
}

/// A case written through one instance is found through the other: each keeps its own
/// in-memory index and catches up from the shared audit trail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_written_on_one_instance_is_found_on_the_other() {
    let Some(cluster) = pg() else { return };
    let url = cluster.new_database("two_search");
    let a = spawn_on(TempDir::new("a"), &url, 3).await;
    let b = spawn_on(TempDir::new("b"), &url, 4).await;
    a.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    a.app.coordination().rebuild_search().await.unwrap();
    b.app.coordination().rebuild_search().await.unwrap();
    let tok = a.app.access().create_token(&Ctx::system("t"), "investigador@demo.amparo.pe", "t", 1).await.unwrap().0;
    let r = client()
        .post(format!("{}/api/v1/cases", a.base))
        .bearer_auth(&tok)
        .json(&serde_json::json!({ "title": "Ladrillera clandestina en Nauta", "exploitation": "isForcedLabour", "labour_sector": "brick_making", "place": "PE-16" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let found: serde_json::Value =
        client().get(format!("{}/api/v1/search?q=ladrilleras", b.base)).bearer_auth(&tok).send().await.unwrap().json().await.unwrap();
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found[0]["kind"], "case");
}
