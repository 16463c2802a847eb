//! `spawn_app`: the real router on port 0 with a fresh database per test, plus small
//! helpers to act as a browser (cookies + CSRF tokens) or as an API client.

use amparo_core::clock::ManualClock;
use amparo_core::config::AuthConfig;
use amparo_core::crypto::keyring::Keyring;
use amparo_core::random::SeededRandom;
use amparo_core::store::ports::*;
use amparo_core::{Amparo, Ctx};
use amparo_store::SqlStore;
use amparo_testkit::{PgCluster, TempDir};
use amparo_web::WebSettings;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

pub const NOW: i64 = 1_790_000_000;

pub struct TestApp {
    pub base: String,
    pub app: Amparo,
    pub store: Arc<SqlStore>,
    pub clock: Arc<ManualClock>,
    pub _dir: TempDir,
    pub server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub fn test_cfg() -> AuthConfig {
    AuthConfig { argon2_memory_kib: 256, argon2_iterations: 1, checkpoint_every: 20, ..AuthConfig::default() }
}

pub async fn spawn_app() -> TestApp {
    let dir = TempDir::new("it");
    let url = format!("sqlite://{}", dir.path().join("amparo.db").display());
    spawn_on(dir, &url, 1).await
}

/// One PostgreSQL cluster for the whole test binary (started lazily), a database per test.
pub fn pg() -> Option<&'static PgCluster> {
    static PG: OnceLock<Option<PgCluster>> = OnceLock::new();
    PG.get_or_init(PgCluster::start).as_ref()
}

pub async fn spawn_on(dir: TempDir, url: &str, seed: u64) -> TestApp {
    let store = Arc::new(amparo_store::connect(url).await.unwrap());
    store.migrate().await.unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let ring = Keyring::from_keys(vec![(1, [5; 32])]).unwrap();
    let app = Amparo::new(store.clone(), clock.clone(), Arc::new(SeededRandom::new(seed)), Arc::new(ring), test_cfg()).unwrap();
    app.system().ensure_reference_data(&Ctx::system("t")).await.unwrap();
    let router = amparo_web::router(app.clone(), WebSettings { max_body_bytes: 64 * 1024, ..WebSettings::default() });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    TestApp { base: format!("http://{addr}"), app, store, clock, _dir: dir, server }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Pull `name=value` for a cookie out of a response's Set-Cookie headers.
pub fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        let first = v.split(';').next()?;
        let (k, val) = first.split_once('=')?;
        (k == name && !val.is_empty()).then(|| val.to_owned())
    })
}

pub fn csrf_from(html: &str) -> String {
    let marker = "name=\"csrf-token\" content=\"";
    let start = html.find(marker).map(|i| i + marker.len()).unwrap_or(0);
    html[start..].split('"').next().unwrap_or("").to_owned()
}

/// A browser-like session: a cookie jar of one session cookie and the current CSRF token.
pub struct Browser {
    pub base: String,
    pub c: reqwest::Client,
    pub cookie: String,
    pub csrf: String,
}

impl Browser {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.c.get(format!("{}{}", self.base, path)).header("cookie", &self.cookie).send().await.unwrap()
    }
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut f: Vec<(&str, &str)> = form.to_vec();
        f.push(("_csrf", &self.csrf));
        let body = serde_urlencoded_encode(&f);
        self.c
            .post(format!("{}{}", self.base, path))
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }
    /// Upload a file the way the case page's form does: multipart, token in the query string.
    pub async fn upload(&self, path: &str, filename: &str, bytes: &[u8]) -> reqwest::Response {
        let boundary = "amparo-test-boundary-7f3a";
        let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.c
            .post(format!("{}{}?_csrf={}", self.base, path, self.csrf))
            .header("cookie", &self.cookie)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await
            .unwrap()
    }
    /// Refresh the CSRF token from a page (it changes when the session id is renewed).
    /// Every page carries the session's token in <meta name="csrf-token">; follow
    /// redirects (e.g. to two-factor pages) until one is found.
    pub async fn refresh_csrf(&mut self) {
        let mut path = "/".to_owned();
        for _ in 0..4 {
            let r = self.get(&path).await;
            if let Some(loc) = r.headers().get("location") {
                path = loc.to_str().unwrap().to_owned();
                continue;
            }
            self.csrf = csrf_from(&r.text().await.unwrap());
            return;
        }
    }
}

pub fn serde_urlencoded_encode(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Log in through the real login form. Returns the browser with its session cookie.
pub async fn login(t: &TestApp, email: &str, password: &str) -> (Browser, reqwest::Response) {
    login_at(&t.base, email, password).await
}

/// The same, against any running server (e.g. a separate `amparo serve` process).
pub async fn login_at(base: &str, email: &str, password: &str) -> (Browser, reqwest::Response) {
    let c = client();
    let page = c.get(format!("{base}/login")).send().await.unwrap();
    let pre = set_cookie(&page, "amparo_pre").unwrap();
    let csrf = csrf_from(&page.text().await.unwrap());
    let body = serde_urlencoded_encode(&[("email", email), ("password", password), ("_csrf", &csrf)]);
    let resp = c
        .post(format!("{base}/login"))
        .header("cookie", format!("amparo_pre={pre}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let session = set_cookie(&resp, "amparo_session").unwrap_or_default();
    let mut b = Browser { base: base.to_owned(), c, cookie: format!("amparo_session={session}"), csrf: String::new() };
    if !session.is_empty() {
        b.refresh_csrf().await;
    }
    (b, resp)
}

pub const DEMO_PW: &str = amparo_demo::DEMO_PASSWORD;

/// A bearer token for a demo or test account (as `amparo token create` would give).
pub async fn token(t: &TestApp, email: &str) -> String {
    t.app.access().create_token(&Ctx::system("t"), email, "t", 1).await.unwrap().0
}

/// Call the JSON API with a bearer token: (status, body or null).
pub async fn call(t: &TestApp, tok: &str, method: &str, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let url = format!("{}{}", t.base, path);
    let req = match method {
        "GET" => client().get(url),
        "PUT" => client().put(url).json(&body),
        _ => client().post(url).json(&body),
    };
    let r = req.bearer_auth(tok).send().await.unwrap();
    let status = r.status().as_u16();
    let answer = r.json().await.unwrap_or(serde_json::Value::Null);
    crate::contract::check(method, path, (method != "GET").then_some(&body), status, &answer);
    (status, answer)
}

/// A running `amparo` process (`serve`, `demo`), killed when dropped: a failing test leaves
/// no server behind.
pub struct ServerProcess {
    pub child: std::process::Child,
    /// `http://ADDR`.
    pub base: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `amparo ARGS…` with `env`, and wait (at most a minute) for the line carrying
/// `marker` followed by its address. The process is killed if it does not print one.
pub fn start_amparo(args: &[&str], env: &[(&str, &str)], marker: &'static str) -> ServerProcess {
    use std::io::BufRead;
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_amparo"));
    c.args(args).env_remove("AMPARO_DATABASE_URL").env("AMPARO_LOG", "warn");
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = std::io::BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.split(marker).nth(1) {
                let _ = tx.send(rest.trim().trim_end_matches('/').to_owned());
                break;
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        for _ in lines {}
    });
    let mut p = ServerProcess { child, base: String::new() };
    let addr = rx.recv_timeout(std::time::Duration::from_secs(60)).expect("the server printed its address within a minute");
    p.base = format!("http://{addr}");
    p
}

/// Mark an account as enrolled in two-factor (as if its owner had scanned the code): a
/// token of an account that must enrol and has not is refused.
pub async fn enrolled(t: &TestApp, email: &str) {
    let u = t.store.find_user_by_email(email).await.unwrap().unwrap().user;
    let ev = Ctx::system("t").event(NOW, "mfa_enrol", "ok", "user", u.id.as_str());
    t.store.set_mfa(&u.id, Some(b"test-secret-not-a-real-ciphertext"), &[], &ev).await.unwrap();
}

/// Every item of a paged API list, following `next_cursor` page by page (200 a page), with
/// a bound so a cursor that never ends fails the test instead of hanging it.
pub async fn all_pages(base: &str, tok: &str, path: &str) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10_000 {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut url = format!("{base}{path}{sep}limit=200");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: serde_json::Value = client().get(url).bearer_auth(tok).send().await.unwrap().json().await.unwrap();
        out.extend(page["items"].as_array().expect("a paged list").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
    panic!("{path} never reached its last page");
}
