//! Health check and language switch.

use super::cookie_header;
use crate::AppState;
use crate::extract::{LANG_COOKIE, Meta, UiForm};
use crate::i18n::Lang;
use amparo_domain::user::Locale;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

pub async fn healthz(State(state): State<AppState>) -> Response {
    if state.app.system().database_ok().await { (StatusCode::OK, "ok").into_response() } else { unavailable("database unavailable") }
}

/// Ready when the database answers and the search index has been built after start-up (the
/// server answers, and `/healthz` says ok, while it is being built; search then says it is
/// not ready yet). A load balancer takes an instance out while its database is away.
pub async fn readyz(State(state): State<AppState>) -> Response {
    if !state.app.system().database_ok().await {
        unavailable("database unavailable")
    } else if state.app.coordination().search_ready() {
        (StatusCode::OK, "ready").into_response()
    } else {
        unavailable("starting: search index being built")
    }
}

fn unavailable(why: &'static str) -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "5")], why).into_response()
}

#[derive(Deserialize)]
pub struct LangForm {
    #[serde(default)]
    lang: String,
}

/// Switch language: remembered in a cookie, and for a signed-in user in their session and
/// profile. Returns to the page the user came from (same-site paths only).
pub async fn switch_locale(State(state): State<AppState>, meta: Meta, headers: HeaderMap, UiForm(f): UiForm<LangForm>) -> Response {
    let lang = Lang::parse(&f.lang).unwrap_or(Lang::Es);
    if let Some(cookie) = &meta.session_cookie
        && let Ok(Some(s)) = state.app.access().resolve_session(cookie).await
    {
        let _ = state.app.access().set_session_locale(&s, lang.code()).await;
        if s.stage == amparo_core::usecases::auth::LoginStage::Complete {
            let ctx = amparo_core::Ctx { actor: Some(s.actor()), client_ip: meta.ip.clone(), operation_id: meta.op.clone() };
            let l = if lang == Lang::En { Locale::En } else { Locale::Es };
            if let Err(e) = state.app.access().set_own_locale(&ctx, l).await {
                tracing::warn!(operation_id = %meta.op, error = %e, "could not save language preference");
            }
        }
    }
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    let mut resp = Redirect::to(&back).into_response();
    resp.headers_mut().append(header::SET_COOKIE, cookie_header(LANG_COOKIE, lang.code(), state.settings.secure_cookies, Some(31_536_000)));
    resp
}
