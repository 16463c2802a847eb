//! The server as a process under stress: files only its owner can read, slow and idle
//! clients that cannot take it down, a database that goes away and comes back, and
//! `kill -9` under concurrent writers with nothing acknowledged lost and nothing duplicated
//! by a retry. Every loop here is bounded in count and time, and every connection goes to
//! this machine's loopback addresses only.

use crate::cli::{amparo, ok, out};
use crate::helpers::*;
use amparo_core::Ctx;
use amparo_demo::DemoExt;
use amparo_testkit::{PgCluster, TempDir};
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn serve(dir: &Path, url: Option<&str>, env: &[(&str, &str)]) -> ServerProcess {
    let dir = dir.to_str().unwrap().to_owned();
    let mut all: Vec<(&str, &str)> = vec![("AMPARO_LINKAGE_INTERVAL_SECS", "0")];
    if let Some(u) = url {
        all.push(("AMPARO_DATABASE_URL", u));
    }
    all.extend_from_slice(env);
    start_amparo(&["serve", "--listen", "127.0.0.1:0", "--data-dir", &dir], &all, "listening on http://")
}

/// Everything `amparo` writes is readable by its owner only; `check-config` names anything
/// looser and how to fix it.
#[test]
fn every_file_amparo_writes_is_private() {
    let d = TempDir::new("modes");
    let dir = d.path().join("data");
    let log = d.path().join("amparo.log");
    let mut c = Command::new(env!("CARGO_BIN_EXE_amparo"));
    c.args(["migrate", "--data-dir"]).arg(&dir).env("AMPARO_LOG", "info").env("AMPARO_LOG_FILE", &log).env_remove("AMPARO_DATABASE_URL");
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", out(&o));
    let backup = d.path().join("copia.age");
    ok(amparo(&dir, None, &["backup", "--out", backup.to_str().unwrap()], None));
    assert_eq!(mode(&dir), 0o700, "the data directory");
    let mut files = vec![dir.join("master.key"), dir.join("amparo.db"), backup.clone(), log.clone()];
    for extra in ["amparo.db-wal", "amparo.db-shm"] {
        if dir.join(extra).exists() {
            files.push(dir.join(extra));
        }
    }
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    assert!(std::fs::read_to_string(&log).unwrap().contains("applied migration"), "the log file is written");
    let clean = ok(amparo(&dir, None, &["check-config"], None));
    assert!(!clean.contains("others can read"), "{clean}");
    std::fs::set_permissions(dir.join("amparo.db"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let warned = ok(amparo(&dir, None, &["check-config"], None));
    assert!(warned.contains("amparo.db has mode 644") && warned.contains("chmod 600"), "{warned}");
}

/// Slow-loris from one loopback address: idle and half-sent connections are closed after
/// the header time-out, connections over the per-address limit are closed at once, and a
/// normal client on another address is served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_cannot_take_the_server_down() {
    let d = TempDir::new("loris");
    ok(amparo(d.path(), None, &["migrate"], None));
    let server = serve(
        d.path(),
        None,
        &[("AMPARO_HEADER_TIMEOUT_SECS", "2"), ("AMPARO_MAX_CONNECTIONS_PER_IP", "64"), ("AMPARO_MAX_CONNECTIONS", "256")],
    );
    let addr: std::net::SocketAddr = server.base.trim_start_matches("http://").parse().unwrap();
    // 300 connections from 127.0.0.2, each sending half a request head and then nothing.
    let mut slow = Vec::new();
    for _ in 0..300 {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        if let Ok(Ok(mut s)) = tokio::time::timeout(Duration::from_secs(2), sock.connect(addr)).await {
            use tokio::io::AsyncWriteExt;
            let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await;
            slow.push(s);
        }
    }
    // A normal client from 127.0.0.1 is served at once.
    let started = Instant::now();
    let r = client().get(format!("{}/healthz", server.base)).timeout(Duration::from_secs(5)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(2), "served in {:?}", started.elapsed());
    eprintln!("measured: {} slow connections held open; a normal client served in {:?}", slow.len(), started.elapsed());
    // After the header time-out every slow connection has been closed by the server.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut closed = 0;
    for s in &mut slow {
        use tokio::io::AsyncReadExt;
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(200), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => closed += 1,
            // The server may answer 408 before closing.
            Ok(Ok(_)) => closed += 1,
            Err(_) => {}
        }
    }
    assert_eq!(closed, slow.len(), "every slow connection was closed");
    eprintln!("measured: all {closed} slow connections closed by the server within 4 s (header time-out 2 s)");
    let r = client().get(format!("{}/healthz", server.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

/// While PostgreSQL restarts, requests get `503 database_unavailable` with `Retry-After`
/// (never a 500), `/readyz` says not ready, and the server recovers by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_a_503_and_passes_by_itself() {
    let Some(cluster) = PgCluster::start() else { return };
    let url = cluster.new_database("outage");
    let t = spawn_on(TempDir::new("outage"), &url, 9).await;
    t.app.demo().load_demo(&Ctx::system("t")).await.unwrap();
    t.app.coordination().rebuild_search().await.unwrap();
    let tok = token(&t, "investigador@demo.amparo.pe").await;
    assert_eq!(call(&t, &tok, "GET", "/api/v1/persons", Value::Null).await.0, 200);
    assert_eq!(client().get(format!("{}/readyz", t.base)).send().await.unwrap().status(), 200);
    cluster.stop();
    let outage = Instant::now();
    let r = client().get(format!("{}/api/v1/persons", t.base)).bearer_auth(&tok).send().await.unwrap();
    eprintln!("measured: first answer during the outage in {:?}: {}", outage.elapsed(), r.status());
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("5"));
    let j: Value = r.json().await.unwrap();
    assert_eq!(j["code"], "database_unavailable");
    assert!(!j.to_string().contains("127.0.0.1"), "no connection detail reaches the client: {j}");
    assert_eq!(client().get(format!("{}/readyz", t.base)).send().await.unwrap().status(), 503);
    let (b, _) = login(&t, "investigador@demo.amparo.pe", DEMO_PW).await;
    assert!(b.cookie.ends_with('='), "no session could be made meanwhile");
    cluster.start_again();
    let back = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _) = call(&t, &tok, "GET", "/api/v1/persons", Value::Null).await;
        if status == 200 {
            break;
        }
        assert!(status == 503, "only 503 while it comes back, got {status}");
        assert!(Instant::now() < deadline, "recovered within 30 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(client().get(format!("{}/readyz", t.base)).send().await.unwrap().status(), 200);
    eprintln!("measured: served again {:?} after PostgreSQL was back", back.elapsed());
}

/// Concurrent writers against a real `amparo serve`, killed with SIGKILL three times and
/// restarted: every create the client saw acknowledged is there, the audit trail verifies,
/// and retrying every request (acknowledged or not) with its idempotency key creates nothing
/// twice. On SQLite and on PostgreSQL.
fn crash_story(dir: &Path, url: Option<&str>) {
    // The demo's accounts skip two-factor, so an operator's token for one works (a token of an
    // account that must enrol and has not does not).
    ok(amparo(dir, url, &["demo", "--no-serve"], None));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    // Requests are cut off after 2 s, so a claim left by a killed server is settled from the
    // audit trail 7 s later (2 s + the 5 s margin) instead of minutes later.
    let env = [("AMPARO_REQUEST_TIMEOUT_SECS", "2")];
    let tok_out =
        ok(amparo(dir, url, &["token", "create", "--user", "investigador@demo.amparo.pe", "--name", "carga", "--expires", "1"], None));
    let tok = tok_out.split_whitespace().find(|w| w.starts_with("amp_")).unwrap_or_else(|| panic!("token in: {tok_out}")).to_owned();
    let mut server = serve(dir, url, &env);
    let persons_before = rt.block_on(all_pages(&server.base, &tok, "/api/v1/persons")).len();
    let mut acked: Vec<(String, String)> = Vec::new(); // (idempotency key, person id)
    let mut sent: Vec<String> = Vec::new();
    for round in 0..3 {
        let base = server.base.clone();
        let stop_at = Instant::now() + Duration::from_millis(1500);
        let writers: Vec<_> = (0..6)
            .map(|w| {
                let (base, tok) = (base.clone(), tok.clone());
                rt.spawn(async move {
                    let mut mine = Vec::new();
                    let c = client();
                    for i in 0..10_000 {
                        let key = format!("r{round}-w{w}-{i}");
                        let body = json!({ "role": "victim", "aliases": format!("Carga {key}"), "approx_age": "30" });
                        let r = tokio::time::timeout(
                            Duration::from_secs(5),
                            c.post(format!("{base}/api/v1/persons")).bearer_auth(&tok).header("idempotency-key", &key).json(&body).send(),
                        )
                        .await;
                        let acked = match r {
                            Ok(Ok(resp)) if resp.status() == 201 => {
                                resp.json::<Value>().await.ok().and_then(|v| v["id"].as_str().map(str::to_owned))
                            }
                            _ => None,
                        };
                        let killed = acked.is_none();
                        mine.push((key, acked));
                        if killed || Instant::now() > stop_at + Duration::from_secs(3) {
                            break;
                        }
                    }
                    mine
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(1500));
        // SIGKILL in the middle of the writes.
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        for w in writers {
            for (key, id) in rt.block_on(w).unwrap() {
                sent.push(key.clone());
                if let Some(id) = id {
                    acked.push((key, id));
                }
            }
        }
        server = serve(dir, url, &env);
    }
    // Let any claim a killed server left behind go stale (see `env` above).
    std::thread::sleep(Duration::from_secs(8));
    assert!(acked.len() >= 20, "writes were acknowledged: {}", acked.len());
    eprintln!("measured: {} creates sent over 3 kill -9 rounds, {} acknowledged", sent.len(), acked.len());
    // Retry everything that was sent, with the same keys and bodies.
    let base = server.base.clone();
    let retried: Vec<(String, u16, Option<String>)> = rt.block_on(async {
        let c = client();
        let mut out = Vec::new();
        for key in &sent {
            let body = json!({ "role": "victim", "aliases": format!("Carga {key}"), "approx_age": "30" });
            let r =
                c.post(format!("{base}/api/v1/persons")).bearer_auth(&tok).header("idempotency-key", key).json(&body).send().await.unwrap();
            let status = r.status().as_u16();
            let j: Value = r.json().await.unwrap_or(Value::Null);
            out.push((key.clone(), status, j["id"].as_str().map(str::to_owned)));
        }
        out
    });
    // Every retry ends in one record: a replay, a first run (the first attempt never
    // committed), or "already committed" with the record it wrote.
    for (key, status, _) in &retried {
        assert!(matches!(status, 201 | 409), "retry of {key}: {status}");
    }
    let all = rt.block_on(all_pages(&base, &tok, "/api/v1/persons"));
    // Every acknowledged create is there, and its retry gave back the same record.
    for (key, id) in &acked {
        assert!(all.iter().any(|p| p["id"] == id.as_str()), "acknowledged {key} ({id}) is missing");
        let again = retried.iter().find(|(k, _, _)| k == key).unwrap();
        assert_eq!(again.2.as_deref(), Some(id.as_str()), "the retry of {key} gave another record");
    }
    // One record per key, however many times it was sent: as many persons as keys.
    let mut keys = sent.clone();
    keys.sort();
    keys.dedup();
    assert_eq!(all.len() - persons_before, keys.len(), "{} new persons for {} keys", all.len() - persons_before, keys.len());
    drop(server);
    let v = ok(amparo(dir, url, &["audit", "verify"], None));
    assert!(v.contains("intact"), "{v}");
}

#[test]
fn kill_9_under_writers_loses_nothing_acknowledged_on_sqlite() {
    let d = TempDir::new("crash");
    crash_story(d.path(), None);
}

#[test]
fn kill_9_under_writers_loses_nothing_acknowledged_on_postgres() {
    let Some(cluster) = pg() else { return };
    let url = cluster.new_database("crash");
    let d = TempDir::new("crashpg");
    crash_story(d.path(), Some(&url));
}
