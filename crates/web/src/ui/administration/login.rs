//! Login and logout pages.

use crate::extract::{Meta, UiForm};
use crate::ui::{Nav, clear_session_cookie, pre_binding, render, set_session_cookie};
use crate::{AppState, WebError};
use amparo_core::CoreError;
use amparo_core::usecases::auth::LoginStage;
use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Nav,
    email: String,
    error: Option<String>,
}

pub async fn form(State(state): State<AppState>, meta: Meta) -> Result<Response, WebError> {
    let (binding, set) = pre_binding(&state, &meta);
    let mut resp = render(&LoginPage { nav: Nav::anonymous(&state, meta.tr, &binding), email: String::new(), error: None })?;
    if let Some(c) = set {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(resp)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn submit(
    State(state): State<AppState>,
    meta: Meta,
    headers: axum::http::HeaderMap,
    UiForm(f): UiForm<LoginForm>,
) -> Result<Response, WebError> {
    match state.app.access().login(&meta.ctx(), &f.email, &f.password, meta.session_cookie.as_deref()).await {
        Ok(issued) => {
            let to = match issued.stage {
                LoginStage::Complete => "/",
                LoginStage::NeedsMfa => "/mfa",
                LoginStage::NeedsEnrolment => "/mfa/enrol",
            };
            // A language chosen on this page (the language cookie) wins and is saved.
            if let Some(lang) = crate::extract::cookie_in(&headers, crate::extract::LANG_COOKIE).and_then(|c| crate::i18n::Lang::parse(&c))
            {
                let locale = if lang == crate::i18n::Lang::En { amparo_domain::user::Locale::En } else { amparo_domain::user::Locale::Es };
                if let Err(e) = state.app.access().keep_login_language(&issued.cookie, locale, &meta.ip, &meta.op).await {
                    tracing::warn!(operation_id = %meta.op, error = %e, "could not keep the language chosen at sign-in");
                }
            }
            let mut resp = Redirect::to(to).into_response();
            set_session_cookie(&mut resp, &state, &issued.cookie);
            Ok(resp)
        }
        Err(e @ (CoreError::BadCredentials | CoreError::Throttled { .. })) => {
            let key = if matches!(e, CoreError::Throttled { .. }) { "login-throttled" } else { "login-failed" };
            let (binding, _) = pre_binding(&state, &meta);
            let page = LoginPage {
                nav: Nav::anonymous(&state, meta.tr, &binding),
                email: f.email.chars().take(254).collect(),
                error: Some(meta.tr.t(key)),
            };
            let mut resp = render(&page)?;
            *resp.status_mut() = crate::error::status_of(&e);
            Ok(resp)
        }
        Err(e) => Err(meta.page_err(e)),
    }
}

pub async fn logout(State(state): State<AppState>, meta: Meta) -> Result<Response, WebError> {
    if let Some(c) = &meta.session_cookie {
        state.app.access().logout(&meta.ctx(), c).await.map_err(|e| meta.page_err(e))?;
    }
    let mut resp = Redirect::to("/login").into_response();
    clear_session_cookie(&mut resp, &state);
    Ok(resp)
}
