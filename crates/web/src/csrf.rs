//! CSRF protection for every state-changing request outside the bearer-token API.
//!
//! Two checks: the browser's own signals (a cross-site `Sec-Fetch-Site`, or an `Origin` that
//! is not this host, is refused), and a token that must match an HMAC of the caller's cookie
//! (session cookie when signed in, pre-session cookie on the login form). The token comes in
//! the `X-CSRF-Token` header (htmx) or the `_csrf` form field.

use crate::extract::{OpId, PRE_COOKIE, SESSION_COOKIE};
use crate::i18n::{Lang, Tr};
use crate::{AppState, WebError};
use amparo_core::crypto::ct_eq;
use amparo_core::usecases::refusals::{Refusal, RefusalReason};
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

fn header_str<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

fn cookie_of(req: &Request, name: &str) -> Option<String> {
    crate::extract::cookie_in(req.headers(), name)
}

/// The value the CSRF token is bound to for this request.
pub fn binding(session: Option<&str>, pre: Option<&str>) -> Option<String> {
    session.or(pre).map(str::to_owned)
}

/// Refuse the request, and record the refusal in the audit trail (bounded per source; a
/// failure to record is logged and the request is refused all the same).
/// Who sent the request and where to: owned, because a borrowed request (its body) may not be
/// held across an await.
fn source_of(req: &Request) -> (String, String, String) {
    let ip = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_else(|| "unknown".into());
    (ip, req.method().as_str().to_owned(), req.uri().path().to_owned())
}

async fn refused(state: &AppState, (ip, method, path): (String, String, String), op: &str, lang: Lang, reason: RefusalReason) -> Response {
    record(state, ip, method, path, op.to_owned(), reason).await;
    WebError::Csrf { op: op.to_owned(), api: false, tr: Tr::new(lang) }.into_response()
}

async fn record(state: &AppState, ip: String, method: String, path: String, op: String, reason: RefusalReason) {
    let r = Refusal { reason, method: &method, path: &path, token_id: None, token_owner_org: None };
    if let Err(e) = state.app.access().record_refusal(&ip, &op, &r).await {
        tracing::warn!(operation_id = %op, error = %e, "could not record a CSRF refusal");
    }
}

pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let op = req.extensions().get::<OpId>().map(|o| o.0.clone()).unwrap_or_default();
    let lang = cookie_of(&req, crate::extract::LANG_COOKIE).and_then(|c| Lang::parse(&c)).unwrap_or(Lang::Es);
    if header_str(&req, "sec-fetch-site") == Some("cross-site") {
        return refused(&state, source_of(&req), &op, lang, RefusalReason::CrossSite).await;
    }
    if let (Some(origin), Some(host)) = (header_str(&req, "origin"), header_str(&req, "host")) {
        let origin_host = origin.split("://").nth(1).unwrap_or("");
        // A page under a strict referrer policy (or a privacy extension) makes the browser
        // send `Origin: null`; the browser's own fetch metadata then says where the post
        // came from. Without it, `null` could be any sandboxed frame, so it is refused.
        let null_but_same = origin == "null" && header_str(&req, "sec-fetch-site") == Some("same-origin");
        if origin_host != host && !null_but_same {
            return refused(&state, source_of(&req), &op, lang, RefusalReason::OriginMismatch).await;
        }
    }
    // The anonymous public form sets no cookie at all (no tracking), so it has nothing to bind
    // a token to; there is also no session to ride. The browser checks above still refuse
    // cross-site posts, which stops other sites from submitting reports in a visitor's name.
    if req.uri().path().starts_with("/public/") {
        return next.run(req).await;
    }
    let Some(bound) = binding(cookie_of(&req, SESSION_COOKIE).as_deref(), cookie_of(&req, PRE_COOKIE).as_deref()) else {
        return refused(&state, source_of(&req), &op, lang, RefusalReason::NoCsrfBinding).await;
    };
    let expected = state.app.system().csrf_token(&bound);
    // A file upload is a multipart body; its form puts the token in the query string instead
    // of making this guard buffer megabytes to find it.
    if header_str(&req, "content-type").is_some_and(|c| c.starts_with("multipart/form-data")) {
        let token = req
            .uri()
            .query()
            .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
            .and_then(|p| p.into_iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v));
        return match token {
            Some(t) if ct_eq(t.as_bytes(), expected.as_bytes()) => next.run(req).await,
            _ => refused(&state, source_of(&req), &op, lang, RefusalReason::BadCsrfToken).await,
        };
    }
    if let Some(h) = header_str(&req, "x-csrf-token") {
        if ct_eq(h.as_bytes(), expected.as_bytes()) {
            return next.run(req).await;
        }
        return refused(&state, source_of(&req), &op, lang, RefusalReason::BadCsrfToken).await;
    }
    // Read the form body (bounded) to find `_csrf`, then hand the same bytes on.
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, state.settings.max_body_bytes).await else {
        return WebError::BadRequest { code: "payload_too_large", op, api: false, tr: Tr::new(lang) }.into_response();
    };
    let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v));
    let req = Request::from_parts(parts, Body::from(bytes));
    match token {
        Some(t) if ct_eq(t.as_bytes(), expected.as_bytes()) => next.run(req).await,
        _ => refused(&state, source_of(&req), &op, lang, RefusalReason::BadCsrfToken).await,
    }
}
