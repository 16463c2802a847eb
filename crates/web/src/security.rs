//! Cross-cutting HTTP protections, applied to every route: an operation id per request,
//! strict security headers (CSP without inline script, no caching of pages on shared
//! computers), CSRF, body size limits, and a panic catcher that answers with a plain 500.

use crate::extract::OpId;
use crate::{AppState, csrf};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async fn operation_id(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let op = state.app.new_operation_id();
    req.extensions_mut().insert(OpId(op.clone()));
    let path = req.uri().path();
    let is_asset = path.starts_with("/assets/");
    let is_probe = path == "/healthz" || path == "/readyz";
    let api = path.starts_with("/api/");
    let lang = crate::extract::lang_of(req.headers());
    let resp = next.run(req).await;
    let mut resp = if is_probe { resp } else { framework_rejection(resp, api, lang, &op) };
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

/// A panic that got this far is a bug; the client gets the ordinary internal error (made by
/// `framework_rejection`, with the operation id), never the panic's text.
fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a handler panicked");
    axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// The stable code for a status that the framework (an extractor, the router, a body or time
/// limit) answered by itself.
fn code_for_status(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::SERVICE_UNAVAILABLE => "service_unavailable",
        s if s.is_server_error() => "internal_error",
        _ => "bad_request",
    }
}

/// Every error answer Amparo writes itself is JSON (API) or a translated page (UI). Anything
/// else with an error status came from the framework — a query string, path or body that
/// could not be decoded, a body over the limit, an unknown route or method, a time-out, a
/// panic — and would otherwise reach the client as plain text without a code. Rewriting it
/// here, in one place, covers every extractor, including ones added later.
fn framework_rejection(resp: Response, api: bool, lang: crate::i18n::Lang, op: &str) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let ours = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.starts_with("text/html"));
    if ours {
        return resp;
    }
    let code = code_for_status(status);
    tracing::debug!(operation_id = %op, status = status.as_u16(), code, "framework rejection rewritten");
    let tr = crate::i18n::Tr::new(if api { crate::i18n::Lang::En } else { lang });
    let mut out = if api {
        (status, axum::Json(serde_json::json!({ "code": code, "message": tr.err(code), "operation_id": op }))).into_response()
    } else {
        crate::error::error_page(status, tr, code, op)
    };
    // Keep what tells a client how to retry or which methods exist.
    for h in [header::RETRY_AFTER, header::ALLOW] {
        if let Some(v) = resp.headers().get(&h) {
            out.headers_mut().insert(h, v.clone());
        }
    }
    out
}

pub fn wrap(r: Router<AppState>, state: AppState) -> Router<AppState> {
    let max = state.settings.max_body_bytes;
    // A handler that runs past the limit is dropped (its transaction rolls back) and the
    // client gets 503 `service_unavailable`; work that must outlive a request (a linkage
    // run) runs as a task of its own.
    let timeout = tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, state.settings.request_timeout);
    // Innermost: whether the caller may see the record a state-changing route names, before
    // its body is read (a route layer, so the matched path is known).
    r.route_layer(from_fn_with_state(state.clone(), crate::visibility::guard))
        // A refused form comes back with what the user typed (every form, one place).
        .layer(from_fn_with_state(state.clone(), crate::refill::layer))
        .layer(from_fn_with_state(state.clone(), csrf::guard))
        // Outside the per-route body limits: it reads the body itself, bounded.
        .layer(from_fn_with_state(state.clone(), crate::idempotency::guard))
        .layer(DefaultBodyLimit::max(max))
        .layer(timeout)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panic_response))
        .layer(from_fn_with_state(state, operation_id))
}
