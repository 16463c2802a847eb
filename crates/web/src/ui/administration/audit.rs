//! The audit viewer: filterable, newest first, paged by sequence number.

use crate::extract::Viewer;
use crate::ui::{Nav, fmt_time, render};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

pub struct Row {
    seq: i64,
    time: String,
    actor: String,
    action: String,
    /// The action's name in the viewer's language (the code stays beside it, searchable).
    action_label: String,
    outcome: String,
    outcome_label: String,
    record: String,
    purpose: String,
    ip: String,
    op: String,
}

/// The viewer's filter form: like the API's query, but with calendar dates (UTC).
#[derive(serde::Deserialize, Default)]
pub struct ViewerQuery {
    action: Option<String>,
    actor: Option<String>,
    record_id: Option<String>,
    outcome: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before_seq: Option<i64>,
}

fn day_start(s: &Option<String>) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    s.as_deref().and_then(|d| time::Date::parse(d.trim(), fmt).ok()).map(|d| d.midnight().assume_utc().unix_timestamp())
}

#[derive(Template)]
#[template(path = "audit.html")]
struct Page {
    nav: Nav,
    rows: Vec<Row>,
    f_action: String,
    f_actor: String,
    f_record: String,
    f_outcome: String,
    f_from: String,
    f_to: String,
    older: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    v: Viewer,
    q: Result<Query<ViewerQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let nz = |o: &Option<String>| o.clone().filter(|s| !s.trim().is_empty());
    // Show people by e-mail where the viewer may see the account; ids otherwise.
    let emails: std::collections::HashMap<String, String> =
        state.app.administration().list_users(&v.ctx).await.unwrap_or_default().into_iter().map(|u| (u.id.to_string(), u.email)).collect();
    // The user filter takes an e-mail address or an id.
    let actor = nz(&q.actor).map(|a| {
        let a = a.trim().to_lowercase();
        emails.iter().find(|(_, e)| **e == a).map(|(id, _)| id.clone()).unwrap_or(a)
    });
    let limit = 100;
    let filter = amparo_core::store::AuditFilter {
        actor,
        actor_org: None,
        action: nz(&q.action),
        record_id: nz(&q.record_id),
        outcome: nz(&q.outcome),
        since: day_start(&q.from),
        // "to" is inclusive: up to the end of that day.
        until: day_start(&q.to).map(|t| t + 86_400),
        before_seq: q.before_seq,
        limit,
    };
    let entries = state.app.system().list_audit(&v.ctx, filter.clone()).await.map_err(|e| v.err(e))?;
    let enc = |s: &Option<String>| s.clone().unwrap_or_default();
    let older = (entries.len() as i64 == limit).then(|| {
        let last = entries.last().map(|e| e.seq).unwrap_or(0);
        let qs = serde_urlencoded::to_string([
            ("action", enc(&filter.action)),
            ("actor", enc(&q.actor)),
            ("record_id", enc(&filter.record_id)),
            ("outcome", enc(&filter.outcome)),
            ("from", enc(&q.from)),
            ("to", enc(&q.to)),
            ("before_seq", last.to_string()),
        ])
        .unwrap_or_default();
        format!("/audit?{qs}")
    });
    let t = v.tr();
    let rows = entries
        .into_iter()
        .map(|e| Row {
            seq: e.seq,
            time: fmt_time(e.event.occurred_at),
            actor: emails.get(&e.event.actor).cloned().unwrap_or(e.event.actor),
            action_label: label(t, "audit-action", &e.event.action),
            action: e.event.action,
            outcome_label: label(t, "audit-outcome", &e.event.outcome),
            outcome: e.event.outcome,
            record: format!("{} {}", e.event.record_type, e.event.record_id).trim().to_owned(),
            purpose: e.event.purpose,
            ip: e.event.client_ip,
            op: e.event.operation_id,
        })
        .collect();
    render(&Page {
        nav: Nav::for_viewer(&v, "audit"),
        rows,
        f_action: enc(&filter.action),
        f_actor: enc(&q.actor),
        f_record: enc(&filter.record_id),
        f_outcome: enc(&filter.outcome),
        f_from: enc(&q.from),
        f_to: enc(&q.to),
        older,
    })
}

/// A code's label (`{prefix}-{code}`), or the code itself when there is none.
fn label(t: crate::i18n::Tr, prefix: &str, code: &str) -> String {
    let key = format!("{prefix}-{}", code.replace('_', "-"));
    if t.has(&key) { t.t(&key) } else { code.to_owned() }
}
