//! `Idempotency-Key` on the API's POST routes (`usecases/idempotency.rs` says what it
//! promises). A request without the header is untouched. With it, the body is read here
//! (bounded), the key is claimed or looked up through the core, and the answer is stored
//! for retries — or a stored answer is replayed, marked `Idempotent-Replayed: true`.

use crate::extract::OpId;
use crate::i18n::{Lang, Tr};
use crate::{AppState, WebError};
use amparo_core::usecases::idempotency::IdemDecision;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

const HEADER: &str = "idempotency-key";
/// Answers larger than this are not stored (the key is given back; a retry runs again).
const MAX_STORED_ANSWER: usize = 1024 * 1024;

fn error(status: StatusCode, code: &str, op: &str, extra: Option<serde_json::Value>) -> Response {
    let tr = Tr::new(Lang::En);
    let mut body = json!({ "code": code, "message": tr.err(code), "operation_id": op });
    if let (Some(obj), Some(extra)) = (body.as_object_mut(), extra) {
        obj.insert("records".into(), extra);
    }
    (status, axum::Json(body)).into_response()
}

pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST || !req.uri().path().starts_with("/api/v1/") {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get(HEADER).map(|v| v.to_str().map(str::to_owned)) else { return next.run(req).await };
    let op = req.extensions().get::<OpId>().map(|o| o.0.clone()).unwrap_or_default();
    let Some(key) = key.ok().filter(|k| amparo_core::usecases::idempotency::valid_key(k)) else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_idempotency_key", &op, None);
    };
    // Keys are per token; without one the request is refused further in (401) anyway.
    let Some(scope) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
    else {
        return next.run(req).await;
    };
    let path = req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let (parts, body) = req.into_parts();
    let limit = state.settings.max_body_bytes.max(amparo_domain::attachment::MAX_ATTACHMENT_BYTES + 64 * 1024);
    let Ok(bytes) = to_bytes(body, limit).await else {
        return WebError::BadRequest { code: "payload_too_large", op, api: true, tr: Tr::new(Lang::En) }.into_response();
    };
    let request_hash = amparo_core::usecases::administration::Access::idempotency_request_hash("POST", &path, &bytes);
    let max_secs = i64::try_from(state.settings.request_timeout.as_secs()).unwrap_or(i64::MAX);
    let decision = match state.app.access().idempotency_begin(&scope, &key, &request_hash, &op, max_secs).await {
        Ok(d) => d,
        Err(err) => return WebError::Api { err, op }.into_response(),
    };
    match decision {
        IdemDecision::Run => {
            let resp = next.run(Request::from_parts(parts, Body::from(bytes))).await;
            let (mut rparts, rbody) = resp.into_parts();
            let Ok(rbytes) = to_bytes(rbody, MAX_STORED_ANSWER).await else {
                let _ = state.app.access().idempotency_failed(&scope, &key).await;
                return error(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", &op, None);
            };
            let stored = if rparts.status.is_server_error() {
                state.app.access().idempotency_failed(&scope, &key).await
            } else {
                state.app.access().idempotency_done(&scope, &key, rparts.status.as_u16(), &rbytes).await
            };
            if let Err(e) = stored {
                // The request itself succeeded: say so; a retry may then find the key pending
                // and be settled from the audit trail.
                tracing::warn!(operation_id = %op, error = %e, "could not store an idempotent answer");
            }
            rparts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(rparts, Body::from(rbytes))
        }
        IdemDecision::Replay { status, body } => {
            let mut r = (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r.headers_mut().insert(HeaderName::from_static("idempotent-replayed"), HeaderValue::from_static("true"));
            r
        }
        IdemDecision::Reused => error(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused", &op, None),
        IdemDecision::InProgress => {
            let mut r = error(StatusCode::CONFLICT, "idempotency_in_progress", &op, None);
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            r
        }
        IdemDecision::Committed { records } => {
            let list = records.into_iter().map(|(t, id)| json!({ "type": t, "id": id })).collect::<Vec<_>>();
            error(StatusCode::CONFLICT, "idempotent_request_committed", &op, Some(serde_json::Value::Array(list)))
        }
    }
}
