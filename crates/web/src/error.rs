//! The web layer's one error type and its mapping to HTTP, in one place. API callers get
//! JSON `{code, message, operation_id}` (plus field errors); browsers get a page in their
//! language. Internal causes are logged with the operation id and never sent.

use crate::i18n::Tr;
use amparo_core::CoreError;
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::json;

#[derive(Debug)]
pub enum WebError {
    /// A core error in an API call.
    Api {
        err: CoreError,
        op: String,
    },
    /// A core error on a page. `frame` carries the signed-in viewer's menu, so an error page
    /// (a 403, a 404) keeps the menu, the sign-out button and the language switch.
    Page {
        err: CoreError,
        op: String,
        tr: Tr,
        frame: Option<Box<crate::ui::Nav>>,
    },
    /// Bad or missing CSRF token / cross-site request.
    Csrf {
        op: String,
        api: bool,
        tr: Tr,
    },
    /// Malformed body, wrong content type, too large.
    BadRequest {
        code: &'static str,
        op: String,
        api: bool,
        tr: Tr,
    },
    Redirect(String),
}

pub fn status_of(err: &CoreError) -> StatusCode {
    match err {
        CoreError::Unauthenticated | CoreError::BadCredentials => StatusCode::UNAUTHORIZED,
        CoreError::Forbidden(_) => StatusCode::FORBIDDEN,
        CoreError::NotFound => StatusCode::NOT_FOUND,
        CoreError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        CoreError::Conflict { .. } | CoreError::Duplicate(_) => StatusCode::CONFLICT,
        CoreError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        CoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        CoreError::StorageFull(_) => StatusCode::INSUFFICIENT_STORAGE,
        CoreError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Seconds a client should wait before retrying, for errors that pass by themselves.
fn retry_after(err: &CoreError) -> Option<i64> {
    match err {
        CoreError::Throttled { retry_after } => Some(*retry_after),
        CoreError::Unavailable(_) => Some(5),
        _ => None,
    }
}

/// Causes worth a line in the server log (never sent to the client).
fn log_cause(err: &CoreError, op: &str) {
    match err {
        CoreError::Internal(cause) => tracing::error!(operation_id = %op, cause = %cause, "internal error"),
        CoreError::Unavailable(cause) => tracing::warn!(operation_id = %op, cause = %cause, "database unavailable"),
        CoreError::StorageFull(cause) => tracing::error!(operation_id = %op, cause = %cause, "database full"),
        _ => {}
    }
}

fn with_retry_after(mut resp: Response, err: &CoreError) -> Response {
    if let Some(secs) = retry_after(err)
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: Tr,
    message: String,
    op: &'a str,
}

pub(crate) fn error_page(status: StatusCode, tr: Tr, code: &str, op: &str) -> Response {
    page(status, tr, code, op)
}

#[derive(Template)]
#[template(path = "error_framed.html")]
struct FramedErrorPage<'a> {
    nav: crate::ui::Nav,
    message: String,
    op: &'a str,
}

fn page(status: StatusCode, tr: Tr, code: &str, op: &str) -> Response {
    let body = ErrorPage { t: tr, message: tr.err(code), op }.render().unwrap_or_else(|_| "error".into());
    (status, Html(body)).into_response()
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::Redirect(to) => Redirect::to(&to).into_response(),
            WebError::Api { err, op } => {
                log_cause(&err, &op);
                let status = status_of(&err);
                let tr = Tr::new(crate::i18n::Lang::En);
                let mut body = json!({ "code": err.code(), "message": tr.err(err.code()), "operation_id": op });
                if let Some(obj) = body.as_object_mut() {
                    match &err {
                        CoreError::Validation(fields) => {
                            obj.insert("fields".into(), serde_json::to_value(fields).unwrap_or_default());
                        }
                        CoreError::Conflict { current } => {
                            obj.insert("current".into(), current.clone());
                        }
                        _ => {}
                    }
                }
                with_retry_after((status, axum::Json(body)).into_response(), &err)
            }
            WebError::Page { err, op, tr, frame } => {
                match &err {
                    CoreError::Unauthenticated => return Redirect::to("/login").into_response(),
                    CoreError::Forbidden(amparo_domain::policy::Denial::MfaRequired) => return Redirect::to("/mfa").into_response(),
                    _ => log_cause(&err, &op),
                }
                let resp = match frame {
                    Some(nav) => {
                        let message = tr.err(err.code());
                        match (FramedErrorPage { nav: *nav, message, op: &op }).render() {
                            Ok(body) => (status_of(&err), Html(body)).into_response(),
                            Err(_) => page(status_of(&err), tr, err.code(), &op),
                        }
                    }
                    None => page(status_of(&err), tr, err.code(), &op),
                };
                with_retry_after(resp, &err)
            }
            WebError::Csrf { op, api, tr } => {
                tracing::warn!(operation_id = %op, "csrf check failed");
                if api {
                    (
                        StatusCode::FORBIDDEN,
                        axum::Json(json!({ "code": "csrf", "message": "cross-site request refused", "operation_id": op })),
                    )
                        .into_response()
                } else {
                    page(StatusCode::FORBIDDEN, tr, "csrf", &op)
                }
            }
            WebError::BadRequest { code, op, api, tr } => {
                let status = if code == "payload_too_large" { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::BAD_REQUEST };
                if api {
                    (status, axum::Json(json!({ "code": code, "message": tr.err(code), "operation_id": op }))).into_response()
                } else {
                    page(status, tr, code, &op)
                }
            }
        }
    }
}
