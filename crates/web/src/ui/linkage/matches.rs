//! The record-linkage review queue: candidate pairs of person records that may be the same
//! person, side by side with the field contributions, for users whose organisation may see
//! both; everyone else sees only "a match needs review by organisation X".

use crate::extract::{UiForm, Viewer};
use crate::ui::{Errors, Nav, render, see_other, with_errors};
use crate::{AppState, WebError};
use amparo_core::usecases::linkage::{LinkRunStatus, LinkRunSummary, MatchView};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "matches.html")]
struct MatchesPage {
    nav: Nav,
    rows: Vec<MatchView>,
    /// Pairs in the whole queue, and the first shown (1-based), for "21–40 of 460".
    total: usize,
    first: usize,
    /// Links to the previous and next pages, when there are.
    prev: Option<String>,
    next: Option<String>,
    /// The viewer may see the queue (a system admin sees only the run panel).
    queue: bool,
    /// The run panel and its button, rendered, when the viewer may run linkage.
    run: Option<String>,
}

/// The on-demand run's panel: under way (the page polls it), or what the last run found.
#[derive(Template)]
#[template(path = "matches_run.html")]
struct RunPanel {
    nav: Nav,
    status: LinkRunStatus,
}

impl RunPanel {
    fn when(&self, at: &i64) -> String {
        crate::ui::fmt_time(*at)
    }
    fn seconds(&self, s: &LinkRunSummary) -> String {
        format!("{:.1}", s.millis as f64 / 1000.0)
    }
}

fn percent(p: f64) -> String {
    format!("{:.0} %", p * 100.0)
}

/// Pairs per page of the queue: a reviewer works from the top, and a slow link should not
/// carry hundreds of rows to show the first.
const QUEUE_PAGE: usize = 50;

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    /// 1-based; anything unreadable is the first page.
    page: Option<usize>,
}

pub async fn matches(
    State(state): State<AppState>,
    v: Viewer,
    q: Result<Query<QueueQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let page = q.map(|Query(q)| q).unwrap_or_default().page.unwrap_or(1).max(1);
    let run = if v.can.run_linkage {
        let status = state.app.linkage().linkage_run_status(&v.ctx).await.map_err(|e| v.err(e))?;
        let panel = RunPanel { nav: Nav::for_viewer(&v, "matches"), status };
        Some(panel.render().map_err(|e| v.err(amparo_core::CoreError::internal(e)))?)
    } else {
        None
    };
    // A system admin may run linkage but sees no persons' pairs: the run panel only.
    let queue = run.is_none() || v.can.view_matches;
    let offset = (page - 1).saturating_mul(QUEUE_PAGE);
    let (rows, total) = if queue {
        let p = state.app.linkage().list_matches_page(&v.ctx, offset, QUEUE_PAGE).await.map_err(|e| v.err(e))?;
        (p.rows, p.total)
    } else {
        (Vec::new(), 0)
    };
    let link = |n: usize| format!("/matches?page={n}");
    let prev = (page > 1 && total > 0).then(|| link((page - 1).min(total.div_ceil(QUEUE_PAGE))));
    let next = (offset + rows.len() < total && !rows.is_empty()).then(|| link(page + 1));
    // Saturating: a page number near usize::MAX is a page past the end, not an overflow.
    let first = offset.saturating_add(1);
    render(&MatchesPage { nav: Nav::for_viewer(&v, "matches"), rows, total, first, prev, next, queue, run })
}

/// Start a full run (or join the one under way) and go back to the queue, whose panel
/// follows the run. The run goes on if the browser goes away; a reload does not start another.
pub async fn run(State(state): State<AppState>, v: Viewer) -> Result<Response, WebError> {
    state.app.linkage().start_linkage_run(&v.ctx).await.map_err(|e| v.err(e))?;
    Ok(see_other("/matches"))
}

/// The run panel alone, polled by the queue page while a run is under way. Once it is done,
/// htmx is told to reload the page, so the queue shows the run's new pairs too.
pub async fn run_status(State(state): State<AppState>, v: Viewer) -> Result<Response, WebError> {
    let status = state.app.linkage().linkage_run_status(&v.ctx).await.map_err(|e| v.err(e))?;
    let done = status.running_since.is_none();
    let mut resp = render(&RunPanel { nav: Nav::for_viewer(&v, "matches"), status })?;
    if done {
        resp.headers_mut().insert("hx-refresh", axum::http::HeaderValue::from_static("true"));
    }
    Ok(resp)
}

#[derive(Template)]
#[template(path = "match.html")]
struct MatchPage {
    nav: Nav,
    m: MatchView,
    errors: Errors,
    /// The purpose the identities were shown for (empty before).
    purpose: String,
}

impl MatchPage {
    fn percent(&self) -> String {
        self.m.probability.map(percent).unwrap_or_default()
    }
    fn label(&self, prefix: &str, raw: &str) -> String {
        let mut key = format!("{prefix}-");
        for c in raw.chars() {
            if c.is_ascii_alphanumeric() {
                key.push(c);
            } else if !key.ends_with('-') {
                key.push('-');
            }
        }
        let key = key.trim_end_matches('-');
        if self.nav.t.has(key) { self.nav.t.t(key) } else { raw.to_owned() }
    }
    fn when(&self, at: &i64) -> String {
        crate::ui::fmt_time(*at)
    }
    fn field_label(&self, field: &str) -> String {
        self.label("linkfield", field)
    }
    fn level_label(&self, level: &str) -> String {
        self.label("linklevel", level)
    }
    /// Rows of the side-by-side table: label key, left value, right value.
    fn identity_rows(&self) -> Vec<(&'static str, String, String)> {
        let (Some(l), Some(r)) = (&self.m.left.identity, &self.m.right.identity) else { return Vec::new() };
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        vec![
            ("person-given", o(&l.given_names), o(&r.given_names)),
            ("person-surname1", o(&l.first_surname), o(&r.first_surname)),
            ("person-surname2", o(&l.second_surname), o(&r.second_surname)),
            ("person-aliases", o(&l.aliases), o(&r.aliases)),
            ("person-birthdate", o(&l.birth_date), o(&r.birth_date)),
            ("person-doc", o(&l.document_number), o(&r.document_number)),
        ]
    }
}

async fn match_page(state: &AppState, v: &Viewer, id: &str, errors: Errors) -> Result<Response, WebError> {
    let m = state.app.linkage().get_match(&v.ctx, id).await.map_err(|e| v.err(e))?;
    render(&MatchPage { nav: Nav::for_viewer(v, "matches"), m, errors, purpose: String::new() })
}

#[derive(Deserialize, Default, Clone)]
pub struct RevealForm {
    #[serde(default)]
    pub purpose: String,
}

/// Both identities side by side, for a stated purpose (audited per person).
pub async fn reveal(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(f): UiForm<RevealForm>,
) -> Result<Response, WebError> {
    match state.app.linkage().reveal_match(&v.ctx, &id, &f.purpose).await {
        Ok(m) => render(&MatchPage { nav: Nav::for_viewer(&v, "matches"), m, errors: Errors::none(v.tr()), purpose: f.purpose.clone() }),
        Err(e) => with_errors(&v, e, |errors| match_page(&state, &v, &id, errors)).await,
    }
}

pub async fn show(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Result<Response, WebError> {
    match_page(&state, &v, &id, Errors::none(v.tr())).await
}

#[derive(Deserialize, Default, Clone)]
pub struct DecisionForm {
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub version: i64,
}

pub async fn decide(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(f): UiForm<DecisionForm>,
) -> Result<Response, WebError> {
    match state.app.linkage().decide_match(&v.ctx, &id, &f.decision, &f.reason, f.version).await {
        Ok(_) => Ok(see_other(&format!("/matches/{id}"))),
        Err(e) => with_errors(&v, e, |errors| match_page(&state, &v, &id, errors)).await,
    }
}

/// Probability as a whole percentage, for templates (empty when not shown to the caller).
pub fn pct(p: &Option<f64>) -> String {
    p.map(percent).unwrap_or_default()
}
