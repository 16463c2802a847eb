//! Amparo's HTTP layer: the JSON API under `/api/v1` and the server-rendered UI (askama +
//! htmx). Handlers translate HTTP to calls on the core's use cases and back; they hold no
//! SQL, no policy and no audit code. Every route is declared once in [`routes::catalogue`],
//! which builds the router, the OpenAPI document and the list the authorization test checks.

pub mod api;
mod assets;
mod csrf;
mod error;
mod extract;
pub mod i18n;
mod idempotency;
mod openapi;
mod refill;
pub mod report;
pub mod routes;
mod security;
pub mod ui;
mod visibility;

use amparo_core::Amparo;
use axum::Router;
use std::sync::Arc;

pub use error::WebError;
pub use routes::{RouteKind, RouteSpec};

#[derive(Clone, Debug)]
pub struct WebSettings {
    /// Mark cookies `Secure`. On by default; only a plain-HTTP lab setup turns it off.
    pub secure_cookies: bool,
    /// Show the demo banner.
    pub demo_mode: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Longest a request may take before it is answered 503 and its work dropped.
    pub request_timeout: std::time::Duration,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self { secure_cookies: true, demo_mode: false, max_body_bytes: 256 * 1024, request_timeout: std::time::Duration::from_secs(300) }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub app: Amparo,
    pub settings: Arc<WebSettings>,
}

/// The whole application router, with security headers, CSRF and body limits.
pub fn router(app: Amparo, settings: WebSettings) -> Router {
    let state = AppState { app, settings: Arc::new(settings) };
    let (r, _) = routes::catalogue();
    security::wrap(r, state.clone()).with_state(state)
}
