//! Report pages: the unit's queue with deadlines and overdue highlight, the hotline's call
//! form, a report's page (narrative, persons recorded from it, triage actions).

use crate::extract::{UiForm, Viewer};
use crate::i18n::Tr;
use crate::ui::persons::PersonForm;
use crate::ui::{Errors, Nav, fmt_time, options, render, see_other, with_errors};
use crate::{AppState, WebError};
use amparo_core::usecases::intake::{ReportDetail, ReportView, TriageInput};
use amparo_domain::intake::{Exploitation, ReportInput};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use std::collections::HashMap;

/// Departments and provinces of the default country, for place pickers.
pub async fn places(state: &AppState, v: &Viewer) -> Result<Vec<(String, String)>, WebError> {
    let mut out = Vec::new();
    for d in state.app.system().list_areas(&v.ctx, &state.app.profile().country, None).await.map_err(|e| v.err(e))? {
        out.push((d.code.clone(), d.name.clone()));
        for p in state.app.system().list_areas(&v.ctx, &state.app.profile().country, Some(&d.code)).await.map_err(|e| v.err(e))? {
            out.push((p.code.clone(), format!("{} › {}", d.name, p.name)));
        }
    }
    Ok(out)
}

/// Organisation names by id, for showing where a report sits.
pub async fn org_names(state: &AppState, v: &Viewer) -> Result<HashMap<String, String>, WebError> {
    Ok(state.app.administration().list_orgs(&v.ctx).await.map_err(|e| v.err(e))?.into_iter().map(|o| (o.id.to_string(), o.name)).collect())
}

pub struct Row {
    pub id: String,
    pub reference: String,
    pub channel: String,
    pub status: String,
    pub status_key: String,
    pub priority: String,
    pub priority_key: String,
    pub place: String,
    pub unit: String,
    pub received: String,
    pub to_ack: String,
    pub to_act: String,
    pub overdue: bool,
}

fn duration(t: Tr, secs: i64) -> String {
    let h = secs / 3_600;
    if h >= 48 {
        t.t_args("dur-days", &[("n", (h / 24).to_string())])
    } else {
        t.t_args("dur-hours", &[("n", h.to_string()), ("m", ((secs % 3_600) / 60).to_string())])
    }
}

/// A readable name for an area code: "Loreto › Maynas" from the pickers, or the area's own
/// name with its parent's for a district.
pub async fn place_names(state: &AppState, v: &Viewer, codes: impl Iterator<Item = String>) -> Result<HashMap<String, String>, WebError> {
    let mut out: HashMap<String, String> = places(state, v).await?.into_iter().collect();
    for code in codes {
        if out.contains_key(&code) {
            continue;
        }
        if let Ok(Some(a)) = state.app.system().get_area(&code).await {
            let parent = match &a.parent_code {
                Some(p) => out.get(p).cloned().unwrap_or_default(),
                None => String::new(),
            };
            let label = if parent.is_empty() { a.name.clone() } else { format!("{parent} › {}", a.name) };
            out.insert(code, label);
        }
    }
    Ok(out)
}

fn row(t: Tr, r: &ReportView, names: &HashMap<String, String>) -> Row {
    let open = r.status != "closed";
    Row {
        id: r.id.clone(),
        reference: r.reference.clone().unwrap_or_else(|| r.id.get(..8).unwrap_or("").to_uppercase()),
        channel: t.t(&format!("channel-{}", r.channel.replace('_', "-"))),
        status: t.t(&format!("rstatus-{}", r.status)),
        status_key: r.status.clone(),
        priority: t.t(&format!("priority-{}", r.priority.as_str())),
        priority_key: r.priority.as_str().to_owned(),
        place: names.get(&r.place).cloned().unwrap_or_else(|| r.place.clone()),
        unit: names.get(r.org_id.as_str()).cloned().unwrap_or_default(),
        received: fmt_time(r.received_at),
        to_ack: duration(t, r.timeliness.to_acknowledge),
        to_act: duration(t, r.timeliness.to_act),
        overdue: open && (r.timeliness.ack_overdue || (r.timeliness.act_overdue && r.acted_at.is_none())),
    }
}

#[derive(Template)]
#[template(path = "reports.html")]
struct QueuePage {
    nav: Nav,
    queue: Vec<Row>,
    sent: Vec<Row>,
    can_create: bool,
    form: ReportInput,
    errors: Errors,
    channels: Vec<(String, String)>,
    exploitations: Vec<(String, String)>,
    places: Vec<(String, String)>,
    notice: Option<String>,
    pager: crate::ui::pager::Pager,
}

async fn queue_page(
    state: &AppState,
    v: &Viewer,
    q: &amparo_domain::paging::ListParams,
    form: ReportInput,
    errors: Errors,
    notice: Option<String>,
) -> Result<Response, WebError> {
    let t = v.tr();
    let got = state.app.intake().report_queue(&v.ctx, q).await.map_err(|e| v.err(e))?;
    let statuses: Vec<&str> = amparo_domain::intake::ReportStatus::ALL.iter().map(|s| s.as_str()).collect();
    let pager =
        crate::ui::pager::Pager::new("/reports", q, got.next_cursor.as_deref(), got.queue.len()).with_statuses(t, "rstatus", &statuses);
    let (queue, sent) = (got.queue, got.sent);
    let mut names = org_names(state, v).await?;
    names.extend(place_names(state, v, queue.iter().chain(sent.iter()).map(|r| r.place.clone())).await?);
    render(&QueuePage {
        nav: Nav::for_viewer(v, "reports"),
        queue: queue.iter().map(|r| row(t, r, &names)).collect(),
        sent: sent.iter().map(|r| row(t, r, &names)).collect(),
        can_create: v.can.create_report,
        form,
        errors,
        channels: options(t, "channel", &["hotline", "walk_in", "abroad"]),
        exploitations: options(t, "exploitation", &Exploitation::ALL.iter().map(|e| e.as_str()).collect::<Vec<_>>()),
        places: places(state, v).await?,
        notice,
        pager,
    })
}

pub async fn list(
    State(state): State<AppState>,
    v: Viewer,
    axum::extract::Query(q): axum::extract::Query<amparo_domain::paging::ListParams>,
) -> Result<Response, WebError> {
    let form = ReportInput { channel: "hotline".into(), exploitation: "unknown".into(), ..Default::default() };
    queue_page(&state, &v, &q, form, Errors::none(v.tr()), None).await
}

pub async fn create(State(state): State<AppState>, v: Viewer, UiForm(input): UiForm<ReportInput>) -> Result<Response, WebError> {
    match state.app.intake().create_report(&v.ctx, &input).await {
        Ok(r) => Ok(see_other(&format!("/reports/{}", r.id))),
        Err(e) => {
            let q = amparo_domain::paging::ListParams::default();
            with_errors(&v, e, |errors| queue_page(&state, &v, &q, input.clone(), errors, None)).await
        }
    }
}

#[derive(Template)]
#[template(path = "report.html")]
struct ShowPage {
    nav: Nav,
    r: Row,
    d: ReportDetail,
    exploitation: String,
    origin: String,
    steps: Vec<(String, String, String, String)>,
    follow_ups: Vec<(String, String)>,
    persons: Vec<crate::ui::persons::Row>,
    units: Vec<(String, String)>,
    pf: PersonForm,
    can_add_person: bool,
    /// Open a case from this report (police, prosecutors, labour inspectors).
    can_open_case: bool,
    case_exploitations: Vec<(String, String)>,
    errors: Errors,
}

async fn show_page(state: &AppState, v: &Viewer, id: &str, errors: Errors, pf: Option<PersonForm>) -> Result<Response, WebError> {
    let t = v.tr();
    let d = state.app.intake().get_report(&v.ctx, id).await.map_err(|e| v.err(e))?;
    let mut names = org_names(state, v).await?;
    names.extend(place_names(state, v, std::iter::once(d.report.place.clone())).await?);
    let orgs = state.app.administration().list_orgs(&v.ctx).await.map_err(|e| v.err(e))?;
    let steps = d
        .report
        .steps
        .iter()
        .map(|s| {
            let to = s.to_org.as_ref().and_then(|o| names.get(o.as_str())).cloned().unwrap_or_default();
            (fmt_time(s.at), t.t(&format!("rstep-{}", s.step)), to, s.reason.clone().unwrap_or_default())
        })
        .collect();
    let pf = match pf {
        Some(pf) => pf,
        None => {
            PersonForm::new(
                state,
                v,
                amparo_domain::person::PersonInput {
                    role: "possible_victim".into(),
                    source_type: "report".into(),
                    source_id: id.to_owned(),
                    ..Default::default()
                },
                Errors::none(t),
            )
            .await?
        }
    };
    render(&ShowPage {
        nav: Nav::for_viewer(v, "reports"),
        r: row(t, &d.report, &names),
        exploitation: t.t(&format!("exploitation-{}", d.report.exploitation.as_str().replace('_', "-"))),
        origin: d.report.origin_org.as_ref().and_then(|o| names.get(o.as_str())).cloned().unwrap_or_else(|| t.t("channel-web")),
        steps,
        follow_ups: d.secrets.follow_ups.iter().map(|f| (fmt_time(f.at), f.text.clone())).collect(),
        persons: d.persons.iter().map(|p| crate::ui::persons::row(t, p)).collect(),
        units: orgs.iter().filter(|o| o.id != d.report.org_id).map(|o| (o.id.to_string(), o.name.clone())).collect(),
        can_add_person: v.can.create_person,
        can_open_case: v.can.open_case,
        case_exploitations: options(t, "cexp", &amparo_domain::cases::CaseExploitation::ALL.iter().map(|e| e.as_str()).collect::<Vec<_>>()),
        pf,
        d,
        errors,
    })
}

pub async fn show(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Result<Response, WebError> {
    show_page(&state, &v, &id, Errors::none(v.tr()), None).await
}

pub async fn triage(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(input): UiForm<TriageInput>,
) -> Result<Response, WebError> {
    match state.app.intake().triage_report(&v.ctx, &id, &input).await {
        Ok(_) => Ok(see_other(&format!("/reports/{id}"))),
        Err(e) => with_errors(&v, e, |errors| show_page(&state, &v, &id, errors, None)).await,
    }
}
