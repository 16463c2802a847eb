//! The public, anonymous report form. No login, no cookies, no third-party anything, and
//! the address is used only as a keyed hash for the rate limit. The reporter gets a reference
//! code and a secret; with both they can add information later and see only that the report
//! was received. Language comes from `?lang=` or the browser, never from a cookie.

use crate::extract::Meta;
use crate::i18n::{Lang, Tr};
use crate::ui::{Errors, render};
use crate::{AppState, WebError};
use amparo_core::CoreError;
use amparo_domain::intake::{Exploitation, ReportInput};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct LangQuery {
    #[serde(default)]
    lang: String,
}

fn tr(meta: &Meta, q: &str) -> Tr {
    Lang::parse(q).map(Tr::new).unwrap_or(meta.tr)
}

#[derive(Template)]
#[template(path = "public_report.html")]
struct FormPage {
    t: Tr,
    form: ReportInput,
    errors: Errors,
    places: Vec<(String, String)>,
    exploitations: Vec<(String, String)>,
}

async fn form_page(state: &AppState, t: Tr, form: ReportInput, errors: Errors) -> Result<Response, WebError> {
    let mut places = Vec::new();
    for a in state.app.system().public_areas(&state.app.profile().country).await.map_err(|e| WebError::Page {
        err: e,
        op: String::new(),
        tr: t,
        frame: None,
    })? {
        places.push((a.code, a.name));
    }
    let ex: Vec<&str> = Exploitation::ALL.iter().map(|e| e.as_str()).collect();
    render(&FormPage { t, form, errors, places, exploitations: crate::ui::options(t, "exploitation", &ex) })
}

pub async fn form(State(state): State<AppState>, meta: Meta, Query(q): Query<LangQuery>) -> Result<Response, WebError> {
    let t = tr(&meta, &q.lang);
    // "Not known yet" until the reporter says otherwise, as on the staff form: a reporter who
    // leaves the field alone must not be counted under the first kind of exploitation listed.
    let form = ReportInput { exploitation: "unknown".into(), ..Default::default() };
    form_page(&state, t, form, Errors::none(t)).await
}

#[derive(Deserialize, Default, Clone)]
pub struct PublicForm {
    #[serde(default)]
    lang: String,
    /// A field people never see; bots fill it in.
    #[serde(default)]
    website: String,
    #[serde(flatten)]
    report: ReportInputForm,
}

#[derive(Deserialize, Default, Clone)]
pub struct ReportInputForm {
    #[serde(default)]
    place: String,
    #[serde(default)]
    place_detail: String,
    #[serde(default)]
    exploitation: String,
    #[serde(default)]
    imminent_danger: Option<String>,
    #[serde(default)]
    child_involved: Option<String>,
    #[serde(default)]
    narrative: String,
    #[serde(default)]
    reporter_contact: String,
}

impl ReportInputForm {
    fn input(&self) -> ReportInput {
        ReportInput {
            channel: "web".into(),
            place: self.place.clone(),
            place_detail: self.place_detail.clone(),
            exploitation: self.exploitation.clone(),
            imminent_danger: self.imminent_danger.is_some(),
            child_involved: self.child_involved.is_some(),
            narrative: self.narrative.clone(),
            reporter_name: String::new(),
            reporter_contact: self.reporter_contact.clone(),
            persons_described: String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "public_receipt.html")]
struct ReceiptPage {
    t: Tr,
    reference: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "public_status.html")]
struct StatusPage {
    t: Tr,
    reference: String,
    secret: String,
    received_on: String,
    follow_ups: usize,
    added: bool,
    errors: Errors,
}

fn page_err(t: Tr, op: &str, e: CoreError) -> WebError {
    WebError::Page { err: e, op: op.to_owned(), tr: t, frame: None }
}

pub async fn submit(State(state): State<AppState>, meta: Meta, axum::Form(f): axum::Form<PublicForm>) -> Result<Response, WebError> {
    let t = tr(&meta, &f.lang);
    let input = f.report.input();
    if !f.website.is_empty() {
        // Pretend success to the bot; store nothing.
        return render(&ReceiptPage { t, reference: "R-00000-00000".into(), secret: "-".into() });
    }
    match state.app.intake().submit_public_report(&meta.op, &meta.ip, &input).await {
        Ok(r) => render(&ReceiptPage { t, reference: r.reference, secret: r.secret }),
        Err(CoreError::Validation(fields)) => {
            let mut r = form_page(&state, t, input, Errors { t, fields }).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(page_err(t, &meta.op, e)),
    }
}

#[derive(Template)]
#[template(path = "public_lookup.html")]
struct LookupPage {
    t: Tr,
    not_found: bool,
}

pub async fn lookup(meta: Meta, Query(q): Query<LangQuery>) -> Result<Response, WebError> {
    render(&LookupPage { t: tr(&meta, &q.lang), not_found: false })
}

#[derive(Deserialize, Default)]
pub struct StatusForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    text: String,
}

pub async fn status(State(state): State<AppState>, meta: Meta, axum::Form(f): axum::Form<StatusForm>) -> Result<Response, WebError> {
    let t = tr(&meta, &f.lang);
    match state.app.intake().public_report_status(&meta.ip, &f.reference, &f.secret).await {
        Ok(s) => render(&StatusPage {
            t,
            reference: s.reference,
            secret: f.secret,
            received_on: s.received_on,
            follow_ups: s.follow_ups,
            added: false,
            errors: Errors::none(t),
        }),
        Err(CoreError::NotFound) => {
            let mut r = render(&LookupPage { t, not_found: true })?;
            *r.status_mut() = StatusCode::NOT_FOUND;
            Ok(r)
        }
        Err(e) => Err(page_err(t, &meta.op, e)),
    }
}

pub async fn follow_up(State(state): State<AppState>, meta: Meta, axum::Form(f): axum::Form<StatusForm>) -> Result<Response, WebError> {
    let t = tr(&meta, &f.lang);
    match state.app.intake().public_report_add(&meta.op, &meta.ip, &f.reference, &f.secret, &f.text).await {
        Ok(s) => render(&StatusPage {
            t,
            reference: s.reference,
            secret: f.secret,
            received_on: s.received_on,
            follow_ups: s.follow_ups,
            added: true,
            errors: Errors::none(t),
        }),
        Err(CoreError::Validation(fields)) => {
            let s =
                state.app.intake().public_report_status(&meta.ip, &f.reference, &f.secret).await.map_err(|e| page_err(t, &meta.op, e))?;
            let mut r = render(&StatusPage {
                t,
                reference: s.reference,
                secret: f.secret,
                received_on: s.received_on,
                follow_ups: s.follow_ups,
                added: false,
                errors: Errors { t, fields },
            })?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(CoreError::NotFound) => {
            let mut r = render(&LookupPage { t, not_found: true })?;
            *r.status_mut() = StatusCode::NOT_FOUND;
            Ok(r)
        }
        Err(e) => Err(page_err(t, &meta.op, e)),
    }
}
