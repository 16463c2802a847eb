//! Running the server: bind, serve with client addresses, housekeeping in the background,
//! graceful shutdown on Ctrl-C or SIGTERM (in-flight requests finish; nothing is cut off
//! mid-transaction).

use crate::runtime::{Fallible, Runtime};
use crate::settings::ServerLimits;
use amparo_core::Ctx;
use amparo_web::WebSettings;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    eprintln!("shutting down: finishing requests in flight");
}

/// Bind and serve until a signal. `on_bound` prints what a newcomer needs to know.
pub async fn run(rt: Runtime, listen: &str, web: WebSettings, on_bound: impl FnOnce(SocketAddr)) -> Fallible<()> {
    rt.app.system().ensure_reference_data(&Ctx::system("startup")).await?;
    // The search index comes from this server's sealed snapshot when it has a usable one
    // (seconds, at any size), and is built otherwise — in the background: at a national
    // scale (millions of persons, each decrypted) that takes many minutes, and the server
    // must not be down meanwhile.
    let app = rt.app.clone();
    let snapshot = SearchSnapshot::at(&rt.data_dir);
    let search_build = tokio::spawn(async move {
        let started = std::time::Instant::now();
        if snapshot.load(&app).await {
            tracing::info!(ms = started.elapsed().as_millis() as u64, "search index loaded from its snapshot");
            return;
        }
        match app.coordination().rebuild_search().await {
            Ok(n) => {
                tracing::info!(records = n, ms = started.elapsed().as_millis() as u64, "search index built in memory");
                snapshot.save(&app).await;
            }
            Err(e) => tracing::error!(error = %e, "search index build failed: search stays unavailable until a restart"),
        }
    });
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr()?;
    on_bound(addr);
    let app = rt.app.clone();
    // Housekeeping: drop expired sessions and sign the audit head. Safe to run on every
    // instance at once: both operations are idempotent.
    let housekeeping = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(300));
        loop {
            tick.tick().await;
            if let Err(e) = app.system().purge_stale_sessions().await {
                tracing::warn!(error = %e, "session cleanup failed");
            }
            if let Err(e) = app.system().checkpoint_now().await {
                tracing::warn!(error = %e, "audit checkpoint failed");
            }
            if let Err(e) = app.access().purge_idempotency_keys().await {
                tracing::warn!(error = %e, "idempotency key purge failed");
            }
        }
    });
    // Keep the in-memory search index current with writes made through other instances,
    // and its snapshot within ten minutes of it.
    let app = rt.app.clone();
    let snapshot = SearchSnapshot::at(&rt.data_dir);
    let search_refresh = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        let mut since_save = 0u32;
        let mut changed = false;
        loop {
            tick.tick().await;
            match app.coordination().refresh_search().await {
                Ok(n) => changed |= n > 0,
                Err(e) => tracing::warn!(error = %e, "search refresh failed"),
            }
            since_save += 1;
            if since_save >= 300 && changed {
                snapshot.save(&app).await;
                (since_save, changed) = (0, false);
            }
        }
    });
    // Record linkage: persons new or changed since the last run, against everyone (the first
    // run in a process is a full one). Several instances take turns: one links at a time
    // (a job lease in the database), and the others try again at their next tick.
    let app = rt.app.clone();
    let every = rt.settings.linkage_interval_secs;
    let linkage = tokio::spawn(async move {
        if every == 0 {
            return;
        }
        let mut tick = tokio::time::interval(Duration::from_secs(every));
        loop {
            tick.tick().await;
            match app.linkage().linkage_tick().await {
                Ok(Some(s)) => tracing::info!(
                    mode = s.mode,
                    persons = s.persons,
                    pairs = s.pairs_compared,
                    skipped_pairs = s.skipped_pairs,
                    new_candidates = s.new_candidates,
                    ms = s.millis as u64,
                    "record linkage"
                ),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "record linkage failed"),
            }
        }
    });
    let router = amparo_web::router(rt.app.clone(), web);
    serve_connections(listener, router, &rt.settings.server).await;
    housekeeping.abort();
    search_refresh.abort();
    search_build.abort();
    linkage.abort();
    SearchSnapshot::at(&rt.data_dir).save(&rt.app).await;
    if let Err(e) = rt.app.system().checkpoint_now().await {
        tracing::warn!(error = %e, "final audit checkpoint failed");
    }
    rt.store.close().await;
    Ok(())
}

/// The search index's sealed snapshot, `search.snapshot` in the data directory: written
/// after a build, every ten minutes while the index changes and at shutdown; read at start.
/// It is sealed under the master key (`amparo_core::crypto::sealed_files`), written to a
/// private temporary file and renamed into place, so a reader never sees half of one.
#[derive(Clone)]
struct SearchSnapshot {
    path: Option<std::path::PathBuf>,
}

impl SearchSnapshot {
    fn at(data_dir: &std::path::Path) -> Self {
        // With PostgreSQL the data directory may not exist: then there is no snapshot, and
        // every start builds.
        Self { path: data_dir.is_dir().then(|| data_dir.join("search.snapshot")) }
    }

    async fn load(&self, app: &amparo_core::Amparo) -> bool {
        let Some(path) = &self.path else { return false };
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return false,
            Err(e) => {
                tracing::warn!(error = %e, "search snapshot unreadable; building the index instead");
                return false;
            }
        };
        let mut input = std::io::BufReader::with_capacity(1 << 20, file);
        match app.coordination().load_search_snapshot(&mut input).await {
            Ok(Ok(docs)) => {
                tracing::info!(docs, "search snapshot loaded");
                true
            }
            Ok(Err(why)) => {
                tracing::warn!(reason = %why, "search snapshot not used; building the index instead");
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "search snapshot not used; building the index instead");
                false
            }
        }
    }

    async fn save(&self, app: &amparo_core::Amparo) {
        let Some(path) = &self.path else { return };
        let tmp = path.with_extension(format!("snapshot.{}.tmp", std::process::id()));
        let write = async {
            use std::os::unix::fs::OpenOptionsExt;
            let file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
            let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
            let saved = app.coordination().save_search_snapshot(&mut out).await.map_err(|e| e.to_string())?;
            let file = out.into_inner().map_err(|e| e.to_string())?;
            file.sync_all()?;
            if saved.is_some() {
                std::fs::rename(&tmp, path)?;
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(saved)
        };
        match write.await {
            Ok(Some(s)) => tracing::info!(docs = s.docs, bytes = s.bytes, seq = s.seq, "search snapshot saved"),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "search snapshot not saved"),
        }
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Connections held at once, in all and per client address. A permit is held for as long
/// as its connection lives.
struct ConnLimiter {
    max: usize,
    per_ip: usize,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

struct ConnPermit {
    limiter: Arc<ConnLimiter>,
    ip: IpAddr,
}

impl ConnLimiter {
    fn try_acquire(self: &Arc<Self>, ip: IpAddr) -> Option<ConnPermit> {
        let mut open = self.open.lock().ok()?;
        let (total, by_ip) = &mut *open;
        let mine = by_ip.get(&ip).copied().unwrap_or(0);
        if *total >= self.max || (self.per_ip > 0 && mine >= self.per_ip) {
            return None;
        }
        *total += 1;
        by_ip.insert(ip, mine + 1);
        Some(ConnPermit { limiter: self.clone(), ip })
    }
}

impl Drop for ConnPermit {
    fn drop(&mut self) {
        if let Ok(mut open) = self.limiter.open.lock() {
            let (total, by_ip) = &mut *open;
            *total = total.saturating_sub(1);
            if let Some(n) = by_ip.get_mut(&self.ip) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    by_ip.remove(&self.ip);
                }
            }
        }
    }
}

/// Raise the soft open-file limit to the hard one (each connection holds a descriptor; the
/// usual soft limit of 1,024 let 1,100 idle connections take the server down) and return
/// the limit now in force.
pub fn raise_open_file_limit() -> u64 {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) => {
            if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
                return hard;
            }
            soft
        }
        Err(_) => 1024,
    }
}

/// The connection limit when none is configured: most of the descriptors, keeping 256 for
/// the database pool, the log and files, and never more than 16,384 (memory per connection).
fn default_max_connections(nofile: u64) -> usize {
    let n = nofile.saturating_sub(256).clamp(64, 16_384);
    usize::try_from(n).unwrap_or(16_384)
}

/// Accept and serve HTTP/1.1 connections until a shutdown signal, with a header-read
/// time-out that also closes idle kept-alive connections (hyper starts it whenever it waits
/// for a request head), and a limit on connections in all and per client address. A
/// connection over the limit is closed at once rather than left waiting in the backlog.
/// (`axum::serve` sets no timer, so none of its connections ever timed out.)
async fn serve_connections(listener: tokio::net::TcpListener, router: axum::Router, limits: &ServerLimits) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;
    let nofile = raise_open_file_limit();
    let max = if limits.max_connections == 0 { default_max_connections(nofile) } else { limits.max_connections };
    tracing::info!(max_connections = max, per_ip = limits.max_connections_per_ip, open_files = nofile, "connection limits");
    let limiter = Arc::new(ConnLimiter { max, per_ip: limits.max_connections_per_ip, open: Mutex::new((0, HashMap::new())) });
    let header_timeout = Duration::from_secs(limits.header_timeout_secs);
    let body_timeout = Duration::from_secs(limits.body_timeout_secs);
    use tower_http::timeout::RequestBodyTimeoutLayer;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown_signal());
    let mut refused: u64 = 0;
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of descriptors or a connection reset before accept: back off briefly
                    // instead of spinning, and keep serving the connections already open.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Some(permit) = limiter.try_acquire(peer.ip()) else {
            refused += 1;
            if refused.is_power_of_two() {
                tracing::warn!(refused, "connection limit reached: closing new connections");
            }
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        // A body must keep arriving: no gap between its pieces over the body time-out.
        let svc = tower::ServiceBuilder::new().layer(RequestBodyTimeoutLayer::new(body_timeout)).service(router.clone());
        let svc = svc.map_request(move |mut req: axum::http::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            req
        });
        let svc = hyper_util::service::TowerToHyperService::new(svc);
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(header_timeout).max_buf_size(64 * 1024);
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), svc));
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    // In-flight requests finish; idle connections are closed. A client that never finishes
    // does not hold the shutdown past half a minute.
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(30)) => tracing::warn!("shutdown: some connections did not finish in 30 s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_counts_per_address_and_in_all() {
        let l = Arc::new(ConnLimiter { max: 3, per_ip: 2, open: Mutex::new((0, HashMap::new())) });
        let a: IpAddr = [127, 0, 0, 2].into();
        let b: IpAddr = [127, 0, 0, 1].into();
        let a1 = l.try_acquire(a);
        let a2 = l.try_acquire(a);
        assert!(a1.is_some() && a2.is_some());
        assert!(l.try_acquire(a).is_none(), "a third from one address is refused");
        let b1 = l.try_acquire(b);
        assert!(b1.is_some(), "another address is still served");
        assert!(l.try_acquire(b).is_none(), "the total is reached");
        drop(a1);
        assert!(l.try_acquire(b).is_some(), "a closed connection frees its place");
    }

    #[test]
    fn the_default_limit_follows_the_descriptors() {
        assert_eq!(default_max_connections(1024), 768);
        assert_eq!(default_max_connections(100), 64);
        assert_eq!(default_max_connections(1 << 20), 16_384);
    }
}
