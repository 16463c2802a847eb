//! Server-rendered pages. Each page struct carries a `Nav` with the translator, the CSRF
//! token and what the viewer may see in the menu; the base template renders it.

pub mod audit;
pub mod cases;
pub mod coordination;
pub mod dashboard;
pub mod fieldwork;
pub mod instruments;
pub mod login;
pub mod matches;
pub mod mfa;
pub mod misc;
pub mod orgs;
pub mod persons;
pub mod public;
pub mod referrals;
pub mod reports;
pub mod screening;
pub mod statistics;
pub mod users;

use crate::extract::{Meta, PRE_COOKIE, SESSION_COOKIE, Viewer};
use crate::i18n::Tr;
use crate::{AppState, WebError};
use amparo_core::crypto::csrf_token;
use amparo_domain::FieldErrors;
use amparo_domain::policy::{Action, Relation, authorize};
use askama::Template;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

/// What the layout needs.
pub struct Nav {
    pub t: Tr,
    pub csrf: String,
    pub user: Option<String>,
    pub roles: Vec<String>,
    pub demo: bool,
    pub active: &'static str,
    pub show_orgs: bool,
    pub show_users: bool,
    pub show_audit: bool,
    pub show_persons: bool,
    pub show_reports: bool,
    pub show_referrals: bool,
    pub show_gap: bool,
    pub show_cases: bool,
    pub show_alerts: bool,
    pub show_matches: bool,
    pub show_statistics: bool,
    pub unread: usize,
}

impl Nav {
    pub fn anonymous(state: &AppState, t: Tr, csrf_binding: &str) -> Self {
        Nav {
            t,
            csrf: csrf_token(state.app.keys(), csrf_binding),
            user: None,
            roles: vec![],
            demo: state.settings.demo_mode,
            active: "",
            show_orgs: false,
            show_users: false,
            show_audit: false,
            show_persons: false,
            show_reports: false,
            show_referrals: false,
            show_gap: false,
            show_cases: false,
            show_alerts: false,
            show_matches: false,
            show_statistics: false,
            unread: 0,
        }
    }

    pub fn for_viewer(v: &Viewer, active: &'static str) -> Self {
        let can = |a: Action| v.ctx.actor.as_ref().map(|actor| authorize(actor, a, Relation::OwnOrgScope).is_ok()).unwrap_or(false);
        let t = v.tr();
        Nav {
            t,
            csrf: v.csrf.clone(),
            user: Some(v.session.user.display_name.clone()),
            roles: v.session.user.roles.iter().map(|r| t.t(&r.label_key())).collect(),
            demo: v.demo_mode || v.session.user.mfa_exempt_demo,
            active,
            show_orgs: can(Action::ViewDirectory),
            show_users: can(Action::ListUsers),
            show_audit: can(Action::ReadAudit),
            show_persons: can(Action::ListPersons),
            show_reports: can(Action::ViewReports),
            show_referrals: can(Action::ViewReferrals),
            show_gap: can(Action::ViewReferralGap),
            show_cases: can(Action::ViewCase),
            show_alerts: can(Action::HandleAlerts),
            // System admins see the page for its run panel only.
            show_matches: can(Action::ViewMatches) || can(Action::RunLinkage),
            show_statistics: can(Action::ViewStatistics),
            unread: v.unread,
        }
    }
}

pub fn render(tpl: &impl Template) -> Result<Response, WebError> {
    match tpl.render() {
        Ok(body) => Ok(Html(body).into_response()),
        Err(e) => Err(WebError::Api { err: amparo_core::CoreError::internal(e), op: String::new() }),
    }
}

/// Field error messages, translated, by field name.
pub struct Errors {
    pub t: Tr,
    pub fields: FieldErrors,
}

impl Errors {
    pub fn none(t: Tr) -> Self {
        Self { t, fields: FieldErrors::new() }
    }
    pub fn get(&self, field: &str) -> String {
        self.fields.for_field(field).map(|c| self.t.err(c)).unwrap_or_default()
    }
    pub fn any(&self) -> bool {
        !self.fields.is_empty()
    }
    /// Translated messages for fields the form does not show (e.g. import line errors).
    pub fn all(&self) -> Vec<String> {
        self.fields.0.iter().map(|e| format!("{}: {}", e.field, self.t.err(&e.code))).collect()
    }
}

pub fn cookie_header(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(a) = max_age {
        c.push_str(&format!("; Max-Age={a}"));
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("amparo_invalid=1"))
}

pub fn set_session_cookie(resp: &mut Response, state: &AppState, value: &str) {
    resp.headers_mut().append(header::SET_COOKIE, cookie_header(SESSION_COOKIE, value, state.settings.secure_cookies, None));
    resp.headers_mut().append(header::SET_COOKIE, cookie_header(PRE_COOKIE, "", state.settings.secure_cookies, Some(0)));
}

pub fn clear_session_cookie(resp: &mut Response, state: &AppState) {
    resp.headers_mut().append(header::SET_COOKIE, cookie_header(SESSION_COOKIE, "", state.settings.secure_cookies, Some(0)));
}

/// For anonymous forms: the existing pre-session cookie, or a new one to set.
pub fn pre_binding(state: &AppState, meta: &Meta) -> (String, Option<HeaderValue>) {
    if let Some(s) = &meta.session_cookie {
        return (s.clone(), None);
    }
    match &meta.pre_cookie {
        Some(p) => (p.clone(), None),
        None => {
            let fresh = state_random_token(state);
            let h = cookie_header(PRE_COOKIE, &fresh, state.settings.secure_cookies, None);
            (fresh, Some(h))
        }
    }
}

fn state_random_token(state: &AppState) -> String {
    // The operation id source is the core's injected randomness; two of them make 128 bits.
    format!("{}{}", state.app.new_operation_id(), state.app.new_operation_id())
}

/// Format epoch seconds as `YYYY-MM-DD HH:MM` UTC.
pub fn fmt_time(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]")).ok())
        .unwrap_or_default()
}

/// Re-render a form page with field errors and 422, or pass any other error on.
pub async fn with_errors<F, Fut>(v: &Viewer, err: amparo_core::CoreError, page: F) -> Result<Response, WebError>
where
    F: FnOnce(Errors) -> Fut,
    Fut: std::future::Future<Output = Result<Response, WebError>>,
{
    match err {
        amparo_core::CoreError::Validation(fields) => {
            let mut r = page(Errors { t: v.tr(), fields }).await?;
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        amparo_core::CoreError::Conflict { .. } => {
            let mut fields = FieldErrors::new();
            fields.add("version", "version_conflict");
            let mut r = page(Errors { t: v.tr(), fields }).await?;
            *r.status_mut() = axum::http::StatusCode::CONFLICT;
            Ok(r)
        }
        e => Err(v.err(e)),
    }
}

/// See other: after a successful form post, go to the record's page.
pub fn see_other(to: &str) -> Response {
    axum::response::Redirect::to(to).into_response()
}

/// Whether the viewer may do `action` with `relation`, for showing buttons and forms. The
/// core decides again when the form is submitted.
pub fn may(v: &Viewer, action: Action, relation: Relation) -> bool {
    v.ctx.actor.as_ref().is_some_and(|a| authorize(a, action, relation).is_ok())
}

/// (value, label) pairs for a select, labels from `prefix-value` keys.
pub fn options(t: Tr, prefix: &str, values: &[&str]) -> Vec<(String, String)> {
    values.iter().map(|v| ((*v).to_owned(), t.t(&format!("{prefix}-{}", v.replace('_', "-"))))).collect()
}

/// One value from a form read as pairs (forms with repeated fields come in as pairs).
pub fn field(form: &[(String, String)], key: &str) -> String {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default()
}

/// Every value of a repeated form field (checkbox groups).
pub fn fields(form: &[(String, String)], key: &str) -> Vec<String> {
    form.iter().filter(|(k, _)| k == key).map(|(_, v)| v.clone()).collect()
}
