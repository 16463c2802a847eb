//! Before a state-changing request on a record (`/…/{id}…`) is read any further, the core
//! says whether the caller may see that record at all (`usecases/visibility.rs`). A record
//! that does not exist and one the caller may not see both get `404 not_found`, before the
//! body is parsed: a stranger learns nothing from a 400 or 422 about a body that would have
//! been checked against a real record. The route's use case then authorizes the change
//! itself, as always.
//!
//! Every such route goes through here because the layer wraps the whole catalogue and the
//! record kind comes from the path; `RecordKind::of_path` names every kind a route can have,
//! and a test walks the catalogue to check that none is missed.

use crate::AppState;
use crate::extract::{ApiCaller, Viewer};
use amparo_core::CoreError;
use amparo_core::usecases::visibility::{RecordKind, is_record_refusal};
use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

fn as_seen_by_stranger(e: CoreError) -> CoreError {
    if is_record_refusal(&e) { CoreError::NotFound } else { e }
}

pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let Some(path) = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()) else { return next.run(req).await };
    let Some(kind) = RecordKind::of_path(&path) else { return next.run(req).await };
    if kind == RecordKind::Directory {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let id = match RawPathParams::from_request_parts(&mut parts, &state).await {
        Ok(p) => p.iter().next().map(|(_, v)| v.to_owned()).unwrap_or_default(),
        // Not UTF-8 and the like: the framework's answer, rewritten with a code by `security`.
        Err(rej) => return rej.into_response(),
    };
    let refused = if path.starts_with("/api/") {
        match ApiCaller::from_request_parts(&mut parts, &state).await {
            Ok(c) => state.app.coordination().require_visible(&c.ctx, kind, &id).await.err().map(|e| c.err(as_seen_by_stranger(e))),
            Err(e) => Some(e),
        }
    } else {
        match Viewer::from_request_parts(&mut parts, &state).await {
            Ok(v) => state.app.coordination().require_visible(&v.ctx, kind, &id).await.err().map(|e| v.err(as_seen_by_stranger(e))),
            Err(e) => Some(e),
        }
    };
    match refused {
        Some(e) => e.into_response(),
        None => next.run(Request::from_parts(parts, body)).await,
    }
}
