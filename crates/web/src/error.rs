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
    /// A core error on a page.
    Page {
        err: CoreError,
        op: String,
        tr: Tr,
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
        CoreError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: Tr,
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
                if let CoreError::Internal(cause) = &err {
                    tracing::error!(operation_id = %op, cause = %cause, "internal error");
                }
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
                let mut resp = (status, axum::Json(body)).into_response();
                if let CoreError::Throttled { retry_after } = err
                    && let Ok(v) = HeaderValue::from_str(&retry_after.to_string())
                {
                    resp.headers_mut().insert(header::RETRY_AFTER, v);
                }
                resp
            }
            WebError::Page { err, op, tr } => {
                match &err {
                    CoreError::Unauthenticated => return Redirect::to("/login").into_response(),
                    CoreError::Forbidden(amparo_domain::policy::Denial::MfaRequired) => return Redirect::to("/mfa").into_response(),
                    CoreError::Internal(cause) => tracing::error!(operation_id = %op, cause = %cause, "internal error"),
                    _ => {}
                }
                page(status_of(&err), tr, err.code(), &op)
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
