//! Cross-cutting HTTP protections, applied to every route: an operation id per request,
//! strict security headers (CSP without inline script, no caching of pages on shared
//! computers), CSRF, body size limits, and a panic catcher that answers with a plain 500.

use crate::extract::OpId;
use crate::{AppState, csrf};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async fn operation_id(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let op = state.app.new_operation_id();
    req.extensions_mut().insert(OpId(op.clone()));
    let is_asset = req.uri().path().starts_with("/assets/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: HeaderName, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(h, HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
    set(h, HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=()");
    if !is_asset {
        // Pages carry personal data: never keep them in a shared computer's cache.
        set(h, header::CACHE_CONTROL, "no-store");
    }
    if let Ok(v) = HeaderValue::from_str(&op) {
        h.insert(HeaderName::from_static("x-operation-id"), v);
    }
    resp
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a handler panicked");
    (
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        axum::Json(serde_json::json!({ "code": "internal_error", "message": "An internal error occurred." })),
    )
        .into_response()
}

pub fn wrap(r: Router<AppState>, state: AppState) -> Router<AppState> {
    let max = state.settings.max_body_bytes;
    r.layer(from_fn_with_state(state.clone(), csrf::guard))
        .layer(DefaultBodyLimit::max(max))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panic_response))
        .layer(from_fn_with_state(state, operation_id))
}
