//! Coordination pages: the unit's tasks with procedural deadlines (overdue first),
//! cross-agency match alerts ("a possible match exists in organisation X, contact them"),
//! and the prevention register (campaigns and trainings).

use crate::extract::{UiForm, Viewer};
use crate::ui::pager::Pager;
use crate::ui::{Errors, Nav, options, render, see_other, with_errors};
use crate::{AppState, WebError};
use amparo_core::usecases::prevention::PreventionInput;
use amparo_domain::cases::{Audience, PreventionKind};
use amparo_domain::paging::ListParams;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "tasks.html")]
struct TasksPage {
    nav: Nav,
    rows: Vec<amparo_core::usecases::cases::TaskView>,
    pager: Pager,
}

pub async fn tasks(State(state): State<AppState>, v: Viewer, Query(q): Query<ListParams>) -> Result<Response, WebError> {
    let page = state.app.prosecution().unit_tasks(&v.ctx, &q).await.map_err(|e| v.err(e))?;
    let pager =
        Pager::new("/tasks", &q, page.next_cursor.as_deref(), page.items.len()).with_statuses(v.tr(), "taskstatus", &["open", "done"]);
    render(&TasksPage { nav: Nav::for_viewer(&v, "tasks"), rows: page.items, pager })
}

#[derive(Deserialize, Default)]
pub struct DoneForm {
    #[serde(default)]
    version: i64,
    #[serde(default)]
    back: String,
}

pub async fn task_done(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(f): UiForm<DoneForm>,
) -> Result<Response, WebError> {
    let t = state.app.prosecution().complete_task(&v.ctx, &id, f.version).await.map_err(|e| v.err(e))?;
    // Only ever back to a page of ours.
    let back = if f.back == "tasks" { "/tasks".to_owned() } else { format!("/cases/{}", t.case_id) };
    Ok(see_other(&back))
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    nav: Nav,
    rows: Vec<(amparo_core::usecases::alerts::AlertView, String)>,
    pager: Pager,
}

pub async fn alerts(State(state): State<AppState>, v: Viewer, Query(q): Query<ListParams>) -> Result<Response, WebError> {
    let page = state.app.coordination().list_alerts(&v.ctx, &q).await.map_err(|e| v.err(e))?;
    let names = crate::ui::reports::org_names(&state, &v).await?;
    let pager = Pager::new("/alerts", &q, page.next_cursor.as_deref(), page.items.len()).with_statuses(
        v.tr(),
        "alertstatus",
        &["open", "confirmed", "not_same"],
    );
    render(&AlertsPage {
        nav: Nav::for_viewer(&v, "alerts"),
        pager,
        rows: page
            .items
            .into_iter()
            .map(|a| {
                let n = names.get(a.other_org.as_str()).cloned().unwrap_or_default();
                (a, n)
            })
            .collect(),
    })
}

#[derive(Deserialize, Default)]
pub struct AlertForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    version: i64,
}

pub async fn decide_alert(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(f): UiForm<AlertForm>,
) -> Result<Response, WebError> {
    state.app.coordination().decide_alert(&v.ctx, &id, &f.decision, f.version).await.map_err(|e| v.err(e))?;
    Ok(see_other("/alerts"))
}

#[derive(Template)]
#[template(path = "prevention.html")]
struct PreventionPage {
    nav: Nav,
    rows: Vec<amparo_core::usecases::prevention::PreventionView>,
    can_record: bool,
    form: PreventionInput,
    errors: Errors,
    kinds: Vec<(String, String)>,
    audiences: Vec<(String, String)>,
    places: Vec<(String, String)>,
    pager: Pager,
}

async fn prevention_page(
    state: &AppState,
    v: &Viewer,
    q: &ListParams,
    form: PreventionInput,
    errors: Errors,
) -> Result<Response, WebError> {
    let t = v.tr();
    let page = state.app.protection().prevention_page(&v.ctx, q).await.map_err(|e| v.err(e))?;
    let places = crate::ui::reports::places(state, v).await?;
    let pager = Pager::new("/prevention", q, page.next_cursor.as_deref(), page.items.len()).with_regions(places.clone());
    render(&PreventionPage {
        nav: Nav::for_viewer(v, "prevention"),
        rows: page.items,
        pager,
        can_record: v.can.record_prevention,
        form,
        errors,
        kinds: options(t, "prevkind", &PreventionKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>()),
        audiences: options(t, "audience", &Audience::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>()),
        places,
    })
}

pub async fn prevention(State(state): State<AppState>, v: Viewer, Query(q): Query<ListParams>) -> Result<Response, WebError> {
    prevention_page(&state, &v, &q, PreventionInput::default(), Errors::none(v.tr())).await
}

pub async fn record_prevention(
    State(state): State<AppState>,
    v: Viewer,
    UiForm(input): UiForm<PreventionInput>,
) -> Result<Response, WebError> {
    match state.app.protection().record_prevention(&v.ctx, &input).await {
        Ok(_) => Ok(see_other("/prevention")),
        Err(e) => {
            let q = ListParams::default();
            with_errors(&v, e, |errors| prevention_page(&state, &v, &q, input.clone(), errors)).await
        }
    }
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    nav: Nav,
    q: String,
    hits: Vec<amparo_core::usecases::search::SearchHit>,
    searched: bool,
    errors: Errors,
}

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub async fn search(
    State(state): State<AppState>,
    v: Viewer,
    axum::extract::Query(q): axum::extract::Query<SearchQuery>,
) -> Result<Response, WebError> {
    if q.q.trim().is_empty() {
        return render(&SearchPage {
            nav: Nav::for_viewer(&v, "search"),
            q: String::new(),
            hits: vec![],
            searched: false,
            errors: Errors::none(v.tr()),
        });
    }
    match state.app.coordination().search(&v.ctx, &q.q, 50).await {
        Ok(hits) => {
            render(&SearchPage { nav: Nav::for_viewer(&v, "search"), q: q.q.clone(), hits, searched: true, errors: Errors::none(v.tr()) })
        }
        Err(e) => {
            with_errors(&v, e, |errors| async {
                render(&SearchPage { nav: Nav::for_viewer(&v, "search"), q: q.q.clone(), hits: vec![], searched: false, errors })
            })
            .await
        }
    }
}
