//! Screening instruments: the versions published, and one version's sets, dimensions,
//! indicators with their strength and how sure we are of it, and the combination rules —
//! shown in full so that the rule is never hidden behind a score.

use crate::extract::{UiForm, Viewer};
use crate::ui::{Errors, Nav, render, see_other, with_errors};
use crate::{AppState, WebError};
use amparo_core::CoreError;
use amparo_domain::screening::Instrument;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "instruments.html")]
struct ListPage {
    nav: Nav,
    rows: Vec<(String, String, i64)>,
    /// For system administrators: the JSON of a new version to publish (starts as a copy of
    /// the newest version).
    draft: Option<String>,
    errors: Errors,
}

async fn list_page(state: &AppState, v: &Viewer, draft: Option<String>, errors: Errors) -> Result<Response, WebError> {
    let es = v.tr().code() == "es";
    let list = state.app.identification().list_instruments(&v.ctx).await.map_err(|e| v.err(e))?;
    let draft = match draft {
        Some(d) => Some(d),
        None if v.can.publish_instrument => list.iter().max_by_key(|i| i.version).and_then(|i| serde_json::to_string_pretty(i).ok()),
        None => None,
    };
    render(&ListPage {
        nav: Nav::for_viewer(v, "instruments"),
        rows: list.iter().map(|i| (i.id.clone(), if es { i.title_es.clone() } else { i.title_en.clone() }, i.version)).collect(),
        draft,
        errors,
    })
}

pub async fn list(State(state): State<AppState>, v: Viewer) -> Result<Response, WebError> {
    list_page(&state, &v, None, Errors::none(v.tr())).await
}

#[derive(Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    body: String,
}

/// Publish a new version from the JSON in the form. A body that does not parse is a field
/// error on `body`, and the text comes back so nothing is lost.
pub async fn publish(State(state): State<AppState>, v: Viewer, UiForm(f): UiForm<PublishForm>) -> Result<Response, WebError> {
    let parsed: Result<Instrument, _> = serde_json::from_str(&f.body);
    let result = match parsed {
        Ok(d) => state.app.identification().publish_instrument(&v.ctx, d).await,
        Err(_) => Err(CoreError::field("body", "invalid_instrument_json")),
    };
    match result {
        Ok(i) => Ok(see_other(&format!("/instruments/{}", i.id))),
        Err(e) => with_errors(&v, e, |errors| list_page(&state, &v, Some(f.body.clone()), errors)).await,
    }
}

#[derive(Template)]
#[template(path = "instrument.html")]
struct ShowPage {
    nav: Nav,
    id: String,
    title: String,
    note: String,
    current_set: String,
    sets: Vec<(String, String)>,
    rows: Vec<(String, String, String, String, String)>,
    patterns: Vec<String>,
    outcomes: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
pub struct SetQuery {
    #[serde(default)]
    set: String,
}

pub async fn show(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<SetQuery>,
) -> Result<Response, WebError> {
    let t = v.tr();
    let es = t.code() == "es";
    let i = state.app.identification().get_instrument(&v.ctx, &id).await.map_err(|e| v.err(e))?;
    let set = if i.set(&q.set).is_some() { q.set } else { i.sets.first().map(|s| s.key.clone()).unwrap_or_default() };
    let rows = i
        .indicators_of(&set)
        .map(|x| {
            (
                x.dimension.clone(),
                x.id.clone(),
                if es { x.label_es.clone() } else { x.label_en.clone() },
                t.t(&format!("strength-{}", x.strength.as_str())),
                // Known provenance words in the reader's language; an instrument's own words as
                // it wrote them.
                {
                    let key = format!("strength-source-{}", x.strength_source.trim());
                    if t.has(&key) { t.t(&key) } else { x.strength_source.clone() }
                },
            )
        })
        .collect();
    let patterns = i
        .rules
        .dimension_positive_if_any
        .iter()
        .map(|p| {
            p.iter()
                .map(|r| {
                    format!("{} × {}", r.count, r.of.iter().map(|s| t.t(&format!("strength-{}", s.as_str()))).collect::<Vec<_>>().join("/"))
                })
                .collect::<Vec<_>>()
                .join(" + ")
        })
        .collect();
    let outcomes = i
        .rules
        .outcome_if_all
        .iter()
        .map(|(group, clauses)| {
            (t.t(&format!("agegroup-{group}")), clauses.iter().map(|c| format!("({})", c.join(" ∨ "))).collect::<Vec<_>>().join(" ∧ "))
        })
        .collect();
    render(&ShowPage {
        nav: Nav::for_viewer(&v, "instruments"),
        title: if es { i.title_es.clone() } else { i.title_en.clone() },
        note: i.source_note.clone(),
        sets: i.sets.iter().map(|s| (s.key.clone(), if es { s.label_es.clone() } else { s.label_en.clone() })).collect(),
        id: i.id.clone(),
        current_set: set,
        rows,
        patterns,
        outcomes,
    })
}
