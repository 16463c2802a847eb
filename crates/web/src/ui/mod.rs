//! Server-rendered pages. Each page struct carries a `Nav` with the translator, the CSRF
//! token and what the viewer may see in the menu; the base template renders it.

pub mod administration;
pub mod coordination;
pub mod identification;
pub mod intake;
pub mod linkage;
pub mod prosecution;
pub mod protection;
pub mod statistics;
// Every screen module keeps its path (`ui::referrals`), whatever pillar holds it.
pub use administration::{audit, login, mfa, orgs, users};
pub use identification::{instruments, screening};
pub use intake::{fieldwork, public, reports};
pub use linkage::matches;
pub use prosecution::cases;
pub use protection::{persons, referrals};
pub mod dashboard;
pub mod misc;
pub mod pager;

use crate::extract::{Meta, PRE_COOKIE, SESSION_COOKIE, Viewer};
use crate::i18n::Tr;
use crate::{AppState, WebError};
use amparo_domain::FieldErrors;
use askama::Template;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

/// What the layout needs.
#[derive(Debug)]
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
    pub show_operations: bool,
    pub show_inspections: bool,
    pub show_tasks: bool,
    /// Everything the viewer may do (pages use it for their buttons).
    pub can: amparo_core::usecases::capabilities::Capabilities,
    pub unread: usize,
}

impl Nav {
    pub fn anonymous(state: &AppState, t: Tr, csrf_binding: &str) -> Self {
        Nav {
            t,
            csrf: state.app.system().csrf_token(csrf_binding),
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
            show_operations: false,
            show_inspections: false,
            show_tasks: false,
            can: Default::default(),
            unread: 0,
        }
    }

    pub fn for_viewer(v: &Viewer, active: &'static str) -> Self {
        let c = v.can;
        let t = v.tr();
        Nav {
            t,
            csrf: v.csrf.clone(),
            user: Some(v.session.user.display_name.clone()),
            roles: v.session.user.roles.iter().map(|r| t.t(&r.label_key())).collect(),
            demo: v.demo_mode || v.session.user.mfa_exempt_demo,
            active,
            show_orgs: c.view_directory,
            show_users: c.list_users,
            show_audit: c.read_audit,
            show_persons: c.list_persons,
            show_reports: c.view_reports,
            show_referrals: c.view_referrals,
            show_gap: c.view_referral_gap,
            show_cases: c.view_cases,
            show_alerts: c.handle_alerts,
            // System admins see the page for its run panel only.
            show_matches: c.view_matches || c.run_linkage,
            show_statistics: c.view_statistics,
            show_operations: c.record_operation,
            show_inspections: c.record_inspection,
            show_tasks: c.view_cases,
            can: c,
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
    /// Every message for `field`, translated; a detail that names a role or a code is shown
    /// by its label.
    pub fn get(&self, field: &str) -> String {
        self.fields.0.iter().filter(|e| e.field == field).map(|e| self.message(e)).collect::<Vec<_>>().join(" ")
    }
    pub fn any(&self) -> bool {
        !self.fields.is_empty()
    }
    fn message(&self, e: &amparo_domain::validation::FieldError) -> String {
        let m = self.t.err(&e.code);
        match e.detail.as_deref().and_then(amparo_domain::Role::parse) {
            Some(r) => format!("{m} ({})", self.t.t(&r.label_key())),
            None => m,
        }
    }
    /// The field's label for an error summary (`field-<name>`), never its internal name
    /// when a label exists.
    pub fn label(&self, field: &str) -> String {
        let key = format!("field-{field}");
        if self.t.has(&key) { self.t.t(&key) } else { field.replace('_', " ") }
    }
    /// Translated messages with the field's label, for a summary at the top of a form.
    pub fn all(&self) -> Vec<String> {
        self.fields.0.iter().map(|e| format!("{}: {}", self.label(&e.field), self.message(e))).collect()
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

/// A sort key that orders Spanish and English labels as people expect (accents and case
/// ignored): "Émiratos" between "Egipto" and "España".
pub fn sort_key(label: &str) -> String {
    label
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' | 'Á' | 'À' | 'Ä' | 'Â' => 'a',
            'é' | 'è' | 'ë' | 'ê' | 'É' | 'È' | 'Ë' | 'Ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' | 'Í' | 'Ì' | 'Ï' | 'Î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'Ó' | 'Ò' | 'Ö' | 'Ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' | 'Ú' | 'Ù' | 'Ü' | 'Û' => 'u',
            'ñ' | 'Ñ' => 'n',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Countries as (code, name in the viewer's language), sorted by name.
pub fn country_choices(t: Tr, countries: &[amparo_domain::geo::Country]) -> Vec<(String, String)> {
    let es = t.code() == "es";
    let mut out: Vec<(String, String)> =
        countries.iter().map(|c| (c.alpha2.clone(), if es { c.name_es.clone() } else { c.name_en.clone() })).collect();
    out.sort_by_cached_key(|(_, name)| sort_key(name));
    out
}

/// An ISIC section by its name ("B — Explotación de minas y canteras").
pub fn isic_label(t: Tr, code: &str) -> String {
    let es = t.code() == "es";
    amparo_domain::intake::ISIC_SECTIONS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(c, en, sp)| format!("{c} — {}", if es { sp } else { en }))
        .unwrap_or_else(|| code.to_owned())
}

/// A screening set's name from the built-in instrument (a set a later version added keeps
/// its key).
pub fn set_label(t: Tr, key: &str) -> String {
    static SETS: std::sync::OnceLock<Vec<(String, String, String)>> = std::sync::OnceLock::new();
    let sets = SETS.get_or_init(|| {
        amparo_core::usecases::instruments::builtin_instrument()
            .map(|i| i.sets.iter().map(|s| (s.key.clone(), s.label_es.clone(), s.label_en.clone())).collect())
            .unwrap_or_default()
    });
    sets.iter()
        .find(|(k, _, _)| k == key)
        .map(|(_, es, en)| if t.code() == "es" { es.clone() } else { en.clone() })
        .unwrap_or_else(|| key.to_owned())
}
