//! Running the server: bind, serve with client addresses, housekeeping in the background,
//! graceful shutdown on Ctrl-C or SIGTERM (in-flight requests finish; nothing is cut off
//! mid-transaction).

use crate::runtime::{Fallible, Runtime};
use amparo_core::Ctx;
use amparo_web::WebSettings;
use std::net::SocketAddr;
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
    rt.app.ensure_reference_data(&Ctx::system("startup")).await?;
    // The search index is built in the background: at a national scale (millions of persons,
    // each decrypted) that takes many minutes, and the server must not be down meanwhile.
    let app = rt.app.clone();
    let search_build = tokio::spawn(async move {
        let started = std::time::Instant::now();
        match app.rebuild_search().await {
            Ok(n) => tracing::info!(records = n, ms = started.elapsed().as_millis() as u64, "search index built in memory"),
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
            let now = app.now();
            let cfg = app.config().clone();
            if let Err(e) = app.store().delete_stale_sessions(now - cfg.session_idle_secs, now - cfg.session_absolute_secs).await {
                tracing::warn!(error = %e, "session cleanup failed");
            }
            if let Err(e) = app.checkpoint_now().await {
                tracing::warn!(error = %e, "audit checkpoint failed");
            }
        }
    });
    // Keep the in-memory search index current with writes made through other instances.
    let app = rt.app.clone();
    let search_refresh = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        loop {
            tick.tick().await;
            if let Err(e) = app.refresh_search().await {
                tracing::warn!(error = %e, "search refresh failed");
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
            match app.linkage_tick().await {
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
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(shutdown_signal()).await?;
    housekeeping.abort();
    search_refresh.abort();
    search_build.abort();
    linkage.abort();
    if let Err(e) = rt.app.checkpoint_now().await {
        tracing::warn!(error = %e, "final audit checkpoint failed");
    }
    rt.store.close().await;
    Ok(())
}
