//! The search index's sealed snapshot: a server started from it serves search at once,
//! and finds what was written after it; a damaged snapshot or one from another database is
//! refused and the index is built instead. (That the sealed bytes open under no other key,
//! and that a changed or cut stream does not open, is `crypto::sealed_files`'s tests.)

use crate::helpers::*;
use amparo_core::Ctx;
use amparo_demo::DemoExt;
use amparo_testkit::TempDir;

async fn search(t: &TestApp, tok: &str, q: &str) -> Vec<serde_json::Value> {
    let r = client().get(format!("{}/api/v1/search?q={q}", t.base)).bearer_auth(tok).send().await.unwrap();
    assert_eq!(r.status(), 200, "search {q} on {}", t.base);
    r.json::<serde_json::Value>().await.unwrap().as_array().cloned().unwrap()
}

async fn new_case(t: &TestApp, tok: &str, title: &str) {
    let r = client()
        .post(format!("{}/api/v1/cases", t.base))
        .bearer_auth(tok)
        .json(&serde_json::json!({ "title": title, "exploitation": "isForcedLabour", "labour_sector": "brick_making", "place": "PE-16" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{title}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_starts_from_the_sealed_snapshot_and_catches_up_from_the_trail() {
    let dir = TempDir::new("snap");
    let url = format!("sqlite://{}", dir.path().join("amparo.db").display());
    let a = spawn_on(dir, &url, 3).await;
    a.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    a.app.coordination().rebuild_search().await.unwrap();
    let tok = a.app.access().create_token(&Ctx::system("t"), "investigador@demo.amparo.pe", "t", 1).await.unwrap().0;
    new_case(&a, &tok, "Ladrillera clandestina en Nauta").await;
    assert_eq!(search(&a, &tok, "ladrilleras").await.len(), 1);

    let mut snapshot = Vec::new();
    let saved = a.app.coordination().save_search_snapshot(&mut snapshot).await.unwrap().expect("the index is built");
    assert!(saved.docs > 10 && saved.bytes == snapshot.len() as u64, "{saved:?}");
    // Written after the snapshot: the next server must find it through the audit trail.
    new_case(&a, &tok, "Taller textil en Gamarra").await;

    let b = spawn_on(TempDir::new("snap-b"), &url, 4).await;
    assert!(!b.app.coordination().search_ready());
    let docs = b.app.coordination().load_search_snapshot(&mut snapshot.as_slice()).await.unwrap().expect("the snapshot is used");
    assert_eq!(docs, saved.docs);
    assert!(b.app.coordination().search_ready(), "ready without a build");
    assert_eq!(search(&b, &tok, "ladrilleras").await.len(), 1, "what the snapshot holds");
    assert_eq!(search(&b, &tok, "gamarra").await.len(), 1, "what the trail added after it");
    use amparo_core::store::ports::AuditStore;
    let f = amparo_core::store::AuditFilter { action: Some("load_search_snapshot".into()), limit: 5, ..Default::default() };
    assert_eq!(b.store.audit_page(&f).await.unwrap().len(), 1, "the load is on the trail");

    // The next start's snapshot, saved by a server that itself started from one, holds
    // everything: what it loaded and what it caught up with.
    let mut second = Vec::new();
    b.app.coordination().save_search_snapshot(&mut second).await.unwrap().expect("ready");
    let d = spawn_on(TempDir::new("snap-d"), &url, 6).await;
    d.app.coordination().load_search_snapshot(&mut second.as_slice()).await.unwrap().expect("the second snapshot is used");
    assert_eq!(search(&d, &tok, "ladrilleras").await.len(), 1);
    assert_eq!(search(&d, &tok, "gamarra").await.len(), 1);

    // A flipped byte, or a cut file: refused, and the index stays unbuilt (the server builds).
    for broken in [
        {
            let mut s = snapshot.clone();
            let mid = s.len() / 2;
            s[mid] ^= 0x40;
            s
        },
        snapshot[..snapshot.len() - 100].to_vec(),
    ] {
        let c = spawn_on(TempDir::new("snap-c"), &url, 5).await;
        let r = c.app.coordination().load_search_snapshot(&mut broken.as_slice()).await.unwrap();
        assert!(r.is_err(), "a damaged snapshot was used");
        assert!(!c.app.coordination().search_ready());
    }

    // Another database's trail: refused.
    let other = spawn_app().await;
    other.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    let r = other.app.coordination().load_search_snapshot(&mut snapshot.as_slice()).await.unwrap();
    assert_eq!(r, Err("the snapshot was taken from another database".to_owned()));
    assert!(!other.app.coordination().search_ready());
}
