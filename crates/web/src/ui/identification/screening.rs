//! The screening form (indicators grouped by dimension, live result through htmx), saving a
//! draft or a final screening, and recording an identification decision.
//!
//! The live panel says which dimensions are positive and why (the counts by strength and the
//! pattern that matched), and calls the outcome "indicators present / not present", never a
//! verdict.

use crate::extract::{UiForm, Viewer};
use crate::i18n::Tr;
use crate::ui::{Errors, Nav, fmt_time, render, see_other, with_errors};
use crate::{AppState, WebError};
use amparo_core::CoreError;
use amparo_core::usecases::identification::{ScreeningInput, ScreeningView};
use amparo_domain::PersonId;
use amparo_domain::protection::DecisionInput;
use amparo_domain::screening::{Evaluation, Instrument};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

pub fn row(t: Tr, s: &ScreeningView) -> crate::ui::persons::ScreeningRow {
    crate::ui::persons::ScreeningRow {
        id: s.id.clone(),
        when: fmt_time(s.created_at),
        set: crate::ui::set_label(t, &s.set),
        status: t.t(&format!("sstatus-{}", s.status)),
        outcome: t.t(&format!("outcome-{}", s.evaluation.outcome.as_str())),
        present: s.evaluation.outcome == amparo_domain::screening::Outcome::IndicatorsPresent,
    }
}

pub struct Indicator {
    pub id: String,
    pub label: String,
    pub strength: String,
    pub strength_key: String,
    pub checked: bool,
}

pub struct Group {
    pub key: String,
    pub label: String,
    pub indicators: Vec<Indicator>,
}

pub struct DimRow {
    pub key: String,
    pub label: String,
    pub positive: bool,
    pub why: String,
}

/// The live result panel.
#[derive(Template)]
#[template(path = "screening_result.html")]
pub struct ResultPanel {
    pub t: Tr,
    pub dims: Vec<DimRow>,
    pub present: bool,
    pub outcome: String,
    pub version: String,
}

fn panel(t: Tr, i: &Instrument, e: &Evaluation) -> ResultPanel {
    let es = t.code() == "es";
    let dims = i
        .dimensions
        .iter()
        .map(|d| {
            let r = e.dimensions.get(&d.key);
            let (s, m, w) = r.map(|r| (r.strong, r.medium, r.weak)).unwrap_or((0, 0, 0));
            let why = t.t_args("screen-why", &[("s", s.to_string()), ("m", m.to_string()), ("w", w.to_string())]);
            DimRow {
                key: d.key.clone(),
                label: if es { d.label_es.clone() } else { d.label_en.clone() },
                positive: r.is_some_and(|r| r.positive),
                why,
            }
        })
        .collect();
    let present = e.outcome == amparo_domain::screening::Outcome::IndicatorsPresent;
    ResultPanel { t, dims, present, outcome: t.t(&format!("outcome-{}", e.outcome.as_str())), version: e.instrument_version.clone() }
}

#[derive(Template)]
#[template(path = "screening.html")]
struct FormPage {
    nav: Nav,
    person_id: String,
    person_code: String,
    instrument_id: String,
    instrument_title: String,
    set_key: String,
    set_label: String,
    age: String,
    exploitation: String,
    groups: Vec<Group>,
    notes: String,
    screened_on: String,
    /// Posting target: a new screening or an existing draft.
    action: String,
    version: String,
    read_only: bool,
    /// The live panel, rendered by its own template (the same one htmx swaps in).
    result: String,
    errors: Errors,
}

#[derive(Deserialize, Default)]
pub struct Choose {
    #[serde(default)]
    instrument: String,
    #[serde(default)]
    set: String,
    #[serde(default)]
    age_at_exploitation: String,
    #[serde(default)]
    exploitation: String,
}

struct Draft<'a> {
    person: &'a PersonId,
    set: String,
    age: String,
    exploitation: String,
    indicators: Vec<String>,
    notes: String,
    /// When the interview took place, if not today (`screened_on`).
    screened_on: String,
    action: String,
    version: String,
    read_only: bool,
}

async fn form_page(state: &AppState, v: &Viewer, instrument: &str, d: Draft<'_>, errors: Errors) -> Result<Response, WebError> {
    let t = v.tr();
    let es = t.code() == "es";
    let p = state.app.protection().get_person(&v.ctx, d.person).await.map_err(|e| v.err(e))?;
    let i = state
        .app
        .identification()
        .get_instrument(&v.ctx, if instrument.is_empty() { "ilo-ec-2009" } else { instrument })
        .await
        .map_err(|e| v.err(e))?;
    let age: Option<i64> = d.age.trim().parse().ok().or(p.approx_age);
    let set = if i.set(&d.set).is_some() {
        d.set.clone()
    } else {
        i.choose_set(age, if d.exploitation.is_empty() { "labour" } else { &d.exploitation }).map(|s| s.key.clone()).unwrap_or_default()
    };
    let known: Vec<String> = d.indicators.iter().filter(|x| i.indicators_of(&set).any(|y| &y.id == *x)).cloned().collect();
    let evaluation = i.evaluate(&set, &known).map_err(|e| v.err(CoreError::Validation(e)))?;
    let groups = i
        .dimensions
        .iter()
        .map(|dim| Group {
            key: dim.key.clone(),
            label: if es { dim.label_es.clone() } else { dim.label_en.clone() },
            indicators: i
                .indicators_of(&set)
                .filter(|x| x.dimension == dim.key)
                .map(|x| Indicator {
                    id: x.id.clone(),
                    label: if es { x.label_es.clone() } else { x.label_en.clone() },
                    strength: t.t(&format!("strength-{}", x.strength.as_str())),
                    strength_key: x.strength.as_str().to_owned(),
                    checked: known.contains(&x.id),
                })
                .collect(),
        })
        .collect();
    render(&FormPage {
        nav: Nav::for_viewer(v, "persons"),
        person_id: p.id.to_string(),
        person_code: p.code.clone(),
        instrument_id: i.id.clone(),
        instrument_title: if es { i.title_es.clone() } else { i.title_en.clone() },
        set_label: i.set(&set).map(|s| if es { s.label_es.clone() } else { s.label_en.clone() }).unwrap_or_default(),
        set_key: set,
        age: age.map(|a| a.to_string()).unwrap_or_default(),
        exploitation: d.exploitation,
        groups,
        notes: d.notes,
        screened_on: d.screened_on,
        action: d.action,
        version: d.version,
        read_only: d.read_only,
        result: panel(t, &i, &evaluation).render().map_err(|e| v.err(CoreError::internal(e)))?,
        errors,
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(c): Query<Choose>,
) -> Result<Response, WebError> {
    let pid = PersonId::parse(&id).ok_or_else(|| v.err(CoreError::NotFound))?;
    let d = Draft {
        person: &pid,
        set: c.set,
        age: c.age_at_exploitation,
        exploitation: c.exploitation,
        indicators: vec![],
        notes: String::new(),
        screened_on: String::new(),
        action: format!("/persons/{id}/screenings"),
        version: String::new(),
        read_only: false,
    };
    form_page(&state, &v, &c.instrument, d, Errors::none(v.tr())).await
}

/// Form fields: `indicators` repeats, so the body is read as pairs.
fn screening_input(form: &[(String, String)]) -> ScreeningInput {
    let get = |k: &str| crate::ui::field(form, k);
    ScreeningInput {
        instrument: get("instrument"),
        set: get("set"),
        age_at_exploitation: get("age_at_exploitation"),
        exploitation: get("exploitation"),
        indicators: crate::ui::fields(form, "indicators"),
        status: get("status"),
        notes: get("notes"),
        version: get("version"),
        screened_on: get("screened_on"),
    }
}

fn draft_of<'a>(person: &'a PersonId, input: &ScreeningInput, action: String) -> Draft<'a> {
    Draft {
        person,
        set: input.set.clone(),
        age: input.age_at_exploitation.clone(),
        exploitation: input.exploitation.clone(),
        indicators: input.indicators.clone(),
        notes: input.notes.clone(),
        screened_on: input.screened_on.clone(),
        action,
        version: input.version.clone(),
        read_only: false,
    }
}

pub async fn create(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(form): UiForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let pid = PersonId::parse(&id).ok_or_else(|| v.err(CoreError::NotFound))?;
    let input = screening_input(&form);
    match state.app.identification().create_screening(&v.ctx, &pid, &input).await {
        Ok(s) if s.status == "final" => Ok(see_other(&format!("/persons/{id}"))),
        Ok(s) => Ok(see_other(&format!("/screenings/{}", s.id))),
        Err(e) => {
            with_errors(&v, e, |errors| {
                form_page(&state, &v, &input.instrument, draft_of(&pid, &input, format!("/persons/{id}/screenings")), errors)
            })
            .await
        }
    }
}

pub async fn show(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Result<Response, WebError> {
    let s = state.app.identification().get_screening(&v.ctx, &id).await.map_err(|e| v.err(e))?;
    let pid = PersonId::from_trusted(s.person_id.clone());
    let d = Draft {
        person: &pid,
        set: s.set.clone(),
        age: s.age_at_exploitation.map(|a| a.to_string()).unwrap_or_default(),
        exploitation: String::new(),
        indicators: s.indicators.clone(),
        notes: s.notes.clone().unwrap_or_default(),
        screened_on: String::new(),
        action: format!("/screenings/{id}"),
        version: s.version.to_string(),
        read_only: s.status == "final",
    };
    form_page(&state, &v, &s.instrument_id, d, Errors::none(v.tr())).await
}

pub async fn update(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(form): UiForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let input = screening_input(&form);
    match state.app.identification().update_screening(&v.ctx, &id, &input).await {
        Ok(s) if s.status == "final" => Ok(see_other(&format!("/persons/{}", s.person_id))),
        Ok(s) => Ok(see_other(&format!("/screenings/{}", s.id))),
        Err(e) => {
            let s = state.app.identification().get_screening(&v.ctx, &id).await.map_err(|e| v.err(e))?;
            let pid = PersonId::from_trusted(s.person_id.clone());
            let mut d = draft_of(&pid, &input, format!("/screenings/{id}"));
            d.version = s.version.to_string();
            with_errors(&v, e, |errors| form_page(&state, &v, &s.instrument_id, d, errors)).await
        }
    }
}

/// The live panel for htmx: evaluates the form as it stands, stores nothing.
pub async fn evaluate(State(state): State<AppState>, v: Viewer, UiForm(form): UiForm<Vec<(String, String)>>) -> Result<Response, WebError> {
    let input = screening_input(&form);
    let i = state.app.identification().get_instrument(&v.ctx, &input.instrument).await.map_err(|e| v.err(e))?;
    let e = state.app.identification().evaluate_screening(&v.ctx, &i.id, &input.set, &input.indicators).await.map_err(|e| v.err(e))?;
    render(&panel(v.tr(), &i, &e))
}

pub async fn decide(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(input): UiForm<DecisionInput>,
) -> Result<Response, WebError> {
    let pid = PersonId::parse(&id).ok_or_else(|| v.err(CoreError::NotFound))?;
    match state.app.identification().record_decision(&v.ctx, &pid, &input).await {
        Ok(_) => Ok(see_other(&format!("/persons/{id}#decisions"))),
        Err(e) => with_errors(&v, e, |errors| crate::ui::persons::show_page(&state, &v, &pid, None, errors, None)).await,
    }
}
