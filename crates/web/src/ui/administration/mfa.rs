//! Two-factor verification and enrolment pages.

use crate::extract::{Pending, UiForm};
use crate::ui::{Nav, render, set_session_cookie};
use crate::{AppState, WebError};
use amparo_core::CoreError;
use amparo_core::usecases::auth::LoginStage;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "mfa_verify.html")]
struct VerifyPage {
    nav: Nav,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "mfa_enrol.html")]
struct EnrolPage {
    nav: Nav,
    qr_svg: String,
    secret: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "mfa_recovery.html")]
struct RecoveryPage {
    nav: Nav,
    codes: Vec<String>,
}

fn nav(state: &AppState, p: &Pending, cookie: &str) -> Nav {
    let mut n = Nav::anonymous(state, p.meta.tr, cookie);
    n.csrf = state.app.system().csrf_token(cookie);
    // Signed in but not through two-factor yet: show who, and a way out, but no menu.
    n.user = Some(p.session.user.display_name.clone());
    n
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn verify_form(State(state): State<AppState>, p: Pending) -> Result<Response, WebError> {
    match p.session.stage {
        LoginStage::Complete => Ok(Redirect::to("/").into_response()),
        LoginStage::NeedsEnrolment => Ok(Redirect::to("/mfa/enrol").into_response()),
        LoginStage::NeedsMfa => render(&VerifyPage { nav: nav(&state, &p, &p.cookie), error: None }),
    }
}

pub async fn verify_submit(State(state): State<AppState>, p: Pending, UiForm(f): UiForm<CodeForm>) -> Result<Response, WebError> {
    match state.app.access().verify_mfa(&p.ctx(), &p.session, &f.code).await {
        Ok(issued) => {
            let mut resp = Redirect::to("/").into_response();
            set_session_cookie(&mut resp, &state, &issued.cookie);
            Ok(resp)
        }
        Err(e @ (CoreError::Validation(_) | CoreError::Throttled { .. })) => {
            let msg = p.meta.tr.err(if matches!(e, CoreError::Throttled { .. }) { "too_many_attempts" } else { "invalid_code" });
            let mut resp = render(&VerifyPage { nav: nav(&state, &p, &p.cookie), error: Some(msg) })?;
            *resp.status_mut() = crate::error::status_of(&e);
            Ok(resp)
        }
        Err(e) => Err(p.meta.page_err(e)),
    }
}

pub async fn enrol_form(State(state): State<AppState>, p: Pending) -> Result<Response, WebError> {
    if p.session.stage == LoginStage::NeedsMfa {
        return Ok(Redirect::to("/mfa").into_response());
    }
    if p.session.user.mfa_enrolled {
        return Ok(Redirect::to("/").into_response());
    }
    let e = state.app.access().start_enrolment(&p.session).await.map_err(|e| p.meta.page_err(e))?;
    render(&EnrolPage { nav: nav(&state, &p, &p.cookie), qr_svg: e.qr_svg, secret: e.secret_base32, error: None })
}

pub async fn enrol_submit(State(state): State<AppState>, p: Pending, UiForm(f): UiForm<CodeForm>) -> Result<Response, WebError> {
    match state.app.access().confirm_enrolment(&p.ctx(), &p.session, &f.code).await {
        Ok((issued, codes)) => {
            let mut resp = render(&RecoveryPage { nav: nav(&state, &p, &issued.cookie), codes })?;
            set_session_cookie(&mut resp, &state, &issued.cookie);
            Ok(resp)
        }
        Err(e @ CoreError::Validation(_)) => {
            let en = state.app.access().start_enrolment(&p.session).await.map_err(|e| p.meta.page_err(e))?;
            let mut resp = render(&EnrolPage {
                nav: nav(&state, &p, &p.cookie),
                qr_svg: en.qr_svg,
                secret: en.secret_base32,
                error: Some(p.meta.tr.err("invalid_code")),
            })?;
            *resp.status_mut() = crate::error::status_of(&e);
            Ok(resp)
        }
        Err(e) => Err(p.meta.page_err(e)),
    }
}
