//! Case pages: the list (owned and shared cases, open a case, ask for a share), and the
//! case page with everything that happens to a case: persons in roles, events, notes and
//! status, charges with verdicts and sentences (flagged when out of range), appeals, stage,
//! shares and transfer, tasks, the timeline and — for the owner — who has seen it.

use crate::extract::{UiForm, Viewer};
use crate::ui::pager::Pager;
use crate::ui::{Errors, Nav, fmt_time, options, render, see_other, with_errors};
use crate::{AppState, WebError};
use amparo_core::usecases::cases::{CaseUpdate, CaseView, LinkInput, TaskInput};
use amparo_core::usecases::prosecution::{AppealInput, ChargeView};
use amparo_core::usecases::sharing::{SeenEntry, ShareInput, ShareView};
use amparo_core::usecases::timeline::TimelineItem;
use amparo_domain::cases::{
    AppealResult, CaseExploitation, CaseInput, CaseRole, CaseStatus, ChargeInput, DecisionOnChargeInput, EventInput, EventKind,
    LabourSector, SentenceFlag, SexualForm, Stage, Statute, Verdict,
};
use amparo_domain::paging::ListParams;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use std::collections::HashMap;

fn labels<T: Copy>(t: crate::i18n::Tr, prefix: &str, all: &[T], key: impl Fn(T) -> &'static str) -> Vec<(String, String)> {
    options(t, prefix, &all.iter().map(|x| key(*x)).collect::<Vec<_>>())
}

pub struct CaseRow {
    pub id: String,
    pub reference: String,
    pub title: String,
    pub exploitation: String,
    pub place: String,
    pub status: String,
    pub shared: bool,
    pub restricted: bool,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct ListPage {
    nav: Nav,
    rows: Vec<CaseRow>,
    can_open: bool,
    can_request: bool,
    form: CaseInput,
    errors: Errors,
    exploitations: Vec<(String, String)>,
    sectors: Vec<(String, String)>,
    forms: Vec<(String, String)>,
    places: Vec<(String, String)>,
    notice: Option<String>,
    pager: Pager,
}

async fn list_page(
    state: &AppState,
    v: &Viewer,
    q: &ListParams,
    form: CaseInput,
    errors: Errors,
    notice: Option<String>,
) -> Result<Response, WebError> {
    let t = v.tr();
    let page = state.app.prosecution().list_cases(&v.ctx, q).await.map_err(|e| v.err(e))?;
    let places = crate::ui::reports::places(state, v).await?;
    let statuses: Vec<&str> = amparo_domain::cases::CaseStatus::ALL.iter().map(|s| s.as_str()).collect();
    let pager = Pager::new("/cases", q, page.next_cursor.as_deref(), page.items.len())
        .with_statuses(t, "cstatus", &statuses)
        .with_regions(places.clone());
    let cases = page.items;
    let mut names = crate::ui::reports::org_names(state, v).await?;
    names.extend(crate::ui::reports::place_names(state, v, cases.iter().map(|c| c.place.clone())).await?);
    render(&ListPage {
        nav: Nav::for_viewer(v, "cases"),
        rows: cases
            .iter()
            .map(|c| CaseRow {
                id: c.id.clone(),
                reference: c.reference.clone(),
                title: c.title.clone(),
                exploitation: t.t(&format!("cexp-{}", c.exploitation)),
                place: names.get(&c.place).cloned().unwrap_or_else(|| c.place.clone()),
                status: t.t(&format!("cstatus-{}", c.status)),
                shared: c.shared_with_me,
                restricted: c.restricted,
            })
            .collect(),
        can_open: v.can.open_case,
        can_request: v.can.request_share,
        form,
        errors,
        exploitations: labels(t, "cexp", CaseExploitation::ALL, CaseExploitation::as_str),
        sectors: labels(t, "sector", LabourSector::ALL, LabourSector::as_str),
        forms: labels(t, "sexform", SexualForm::ALL, SexualForm::as_str),
        places,
        notice,
        pager,
    })
}

pub async fn list(State(state): State<AppState>, v: Viewer, Query(q): Query<ListParams>) -> Result<Response, WebError> {
    list_page(&state, &v, &q, CaseInput::default(), Errors::none(v.tr()), None).await
}

pub async fn open(State(state): State<AppState>, v: Viewer, UiForm(form): UiForm<Vec<(String, String)>>) -> Result<Response, WebError> {
    let get = |k: &str| crate::ui::field(&form, k);
    let input = CaseInput {
        title: get("title"),
        exploitation: get("exploitation"),
        labour_sector: get("labour_sector"),
        sexual_form: get("sexual_form"),
        place: get("place"),
        sources: crate::ui::fields(&form, "sources"),
        notes: get("notes"),
    };
    match state.app.prosecution().open_case(&v.ctx, &input).await {
        Ok(c) => Ok(see_other(&format!("/cases/{}", c.id))),
        Err(e) => {
            let q = ListParams::default();
            with_errors(&v, e, |errors| list_page(&state, &v, &q, input.clone(), errors, None)).await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct RequestForm {
    #[serde(default)]
    reference: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    until: String,
}

pub async fn request_share(State(state): State<AppState>, v: Viewer, UiForm(f): UiForm<RequestForm>) -> Result<Response, WebError> {
    match state.app.coordination().request_share(&v.ctx, &f.reference, &f.purpose, &f.until).await {
        Ok(()) => {
            let notice = Some(v.tr().t("share-requested"));
            list_page(&state, &v, &ListParams::default(), CaseInput::default(), Errors::none(v.tr()), notice).await
        }
        Err(e) => {
            let q = ListParams::default();
            with_errors(&v, e, |errors| list_page(&state, &v, &q, CaseInput::default(), errors, None)).await
        }
    }
}

pub struct ChargeRow {
    pub c: ChargeView,
    pub defendant: String,
    pub statute: String,
    pub verdict: String,
    pub sentence: String,
    pub flag: String,
}

#[derive(Template)]
#[template(path = "case.html")]
struct ShowPage {
    nav: Nav,
    c: CaseView,
    exploitation: String,
    place: String,
    status: String,
    stage: String,
    owner: String,
    charges: Vec<ChargeRow>,
    attachments: Vec<amparo_core::usecases::attachments::AttachmentInfo>,
    shares: Vec<(ShareView, String)>,
    timeline: Vec<TimelineItem>,
    seen: Vec<(String, String, String)>,
    statutes: Vec<(String, String)>,
    suspects: Vec<(String, String)>,
    persons: Vec<(String, String)>,
    orgs: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    stages: Vec<(String, String)>,
    hearing_kinds: Vec<(String, String)>,
    roles: Vec<(String, String)>,
    event_kinds: Vec<(String, String)>,
    verdicts: Vec<(String, String)>,
    appeal_results: Vec<(String, String)>,
    places: Vec<(String, String)>,
    countries: Vec<(String, String)>,
    errors: Errors,
}

fn statute_label(s: &Statute, es: bool) -> String {
    let range = match s.max_months {
        Some(max) => format!("{}–{}", s.min_months / 12, max / 12),
        None => format!("≥ {}", s.min_months / 12),
    };
    let to = s.in_force_to.clone().unwrap_or_else(|| "…".into());
    format!("{} {} — {} ({} → {}; {range})", s.country, s.article, if es { &s.title_es } else { &s.title_en }, s.in_force_from, to)
}

async fn show_page(state: &AppState, v: &Viewer, id: &str, errors: Errors) -> Result<Response, WebError> {
    let t = v.tr();
    let es = t.code() == "es";
    let c = state.app.prosecution().get_case(&v.ctx, id).await.map_err(|e| v.err(e))?;
    let charges = state.app.prosecution().case_charges(&v.ctx, id).await.map_err(|e| v.err(e))?;
    let shares = state.app.coordination().case_shares(&v.ctx, id).await.map_err(|e| v.err(e))?;
    let timeline = state.app.prosecution().case_timeline(&v.ctx, id).await.map_err(|e| v.err(e))?;
    let seen: Vec<SeenEntry> = if c.can_share && !c.summary.shared_with_me {
        state.app.coordination().who_has_seen(&v.ctx, id).await.map_err(|e| v.err(e))?
    } else {
        vec![]
    };
    let statutes = state.app.prosecution().list_statutes(&v.ctx).await.map_err(|e| v.err(e))?;
    let orgs = state.app.administration().list_orgs(&v.ctx).await.map_err(|e| v.err(e))?;
    let names: HashMap<String, String> = orgs.iter().map(|o| (o.id.to_string(), o.name.clone())).collect();
    let places = crate::ui::reports::places(state, v).await?;
    let place_names =
        crate::ui::reports::place_names(state, v, std::iter::once(c.summary.place.clone()).chain(c.events.iter().map(|e| e.place.clone())))
            .await?;
    let code_of = |pid: &str| c.links.iter().find(|l| l.person_id == pid).map(|l| l.person_code.clone()).unwrap_or_default();
    let charge_rows = charges
        .iter()
        .map(|ch| {
            let st = statutes.iter().find(|s| s.id == ch.statute_id);
            ChargeRow {
                defendant: code_of(&ch.person_id),
                statute: st
                    .map(|s| format!("{} {}", s.article, if es { &s.title_es } else { &s.title_en }))
                    .unwrap_or_else(|| ch.statute_id.clone()),
                verdict: ch
                    .decision
                    .as_ref()
                    .map(|d| format!("{} ({})", t.t(&format!("verdict-{}", d.verdict.as_str())), d.decided_on))
                    .unwrap_or_default(),
                sentence: ch
                    .decision
                    .as_ref()
                    .and_then(|d| d.sentence_months)
                    .map(|m| t.t_args("sentence", &[("y", (m / 12).to_string()), ("m", (m % 12).to_string())]))
                    .unwrap_or_default(),
                flag: match &ch.flag {
                    Some(SentenceFlag::BelowMinimum { min_months }) => t.t_args("flag-below", &[("n", (min_months / 12).to_string())]),
                    Some(SentenceFlag::AboveMaximum { max_months }) => t.t_args("flag-above", &[("n", (max_months / 12).to_string())]),
                    None => String::new(),
                },
                c: ch.clone(),
            }
        })
        .collect();
    let persons = if c.can_edit {
        // The newest persons of the unit (a page): the picker is for those just recorded.
        let q = ListParams { limit: Some(amparo_domain::paging::MAX_LIMIT.to_string()), ..Default::default() };
        state
            .app
            .protection()
            .list_persons(&v.ctx, &q)
            .await
            .map_err(|e| v.err(e))?
            .items
            .into_iter()
            .map(|p| (p.id.to_string(), p.code))
            .collect()
    } else {
        vec![]
    };
    let countries = state.app.system().list_countries(&v.ctx).await.map_err(|e| v.err(e))?;
    render(&ShowPage {
        nav: Nav::for_viewer(v, "cases"),
        exploitation: t.t(&format!("cexp-{}", c.summary.exploitation)),
        place: place_names.get(&c.summary.place).cloned().unwrap_or_else(|| c.summary.place.clone()),
        status: t.t(&format!("cstatus-{}", c.summary.status)),
        stage: c.summary.stage.map(|s| t.tk("stage", s.as_str())).unwrap_or_default(),
        owner: names.get(c.summary.org_id.as_str()).cloned().unwrap_or_default(),
        charges: charge_rows,
        attachments: state.app.protection().case_attachments(&v.ctx, id).await.map_err(|e| v.err(e))?,
        shares: shares
            .into_iter()
            .map(|s| {
                let n = names.get(s.to_org.as_str()).cloned().unwrap_or_default();
                (s, n)
            })
            .collect(),
        timeline: timeline.into_iter().map(|i| TimelineItem { what: t.t(&format!("tl-{}", i.what.replace('_', "-"))), ..i }).collect(),
        seen: seen
            .iter()
            .map(|s| (fmt_time(s.at), names.get(&s.org_id).cloned().unwrap_or_else(|| s.org_id.clone()), s.action.clone()))
            .collect(),
        statutes: statutes.iter().map(|s| (s.id.clone(), statute_label(s, es))).collect(),
        suspects: c
            .links
            .iter()
            .filter(|l| l.role == "suspect" && !l.person_id.is_empty())
            .map(|l| (l.person_id.clone(), l.person_code.clone()))
            .collect(),
        persons,
        orgs: orgs.iter().filter(|o| o.id != c.summary.org_id).map(|o| (o.id.to_string(), o.name.clone())).collect(),
        statuses: labels(t, "cstatus", CaseStatus::ALL, CaseStatus::as_str),
        stages: labels(t, "stage", Stage::ALL, Stage::as_str),
        hearing_kinds: labels(t, "hearing", amparo_domain::cases::HearingKind::ALL, amparo_domain::cases::HearingKind::as_str),
        roles: labels(t, "crole", CaseRole::ALL, CaseRole::as_str),
        event_kinds: labels(t, "event", EventKind::ALL, EventKind::as_str),
        verdicts: labels(t, "verdict", Verdict::ALL, Verdict::as_str),
        appeal_results: labels(t, "appeal", AppealResult::ALL, AppealResult::as_str),
        places,
        countries: countries.iter().map(|x| (x.alpha2.clone(), if es { x.name_es.clone() } else { x.name_en.clone() })).collect(),
        c,
        errors,
    })
}

pub async fn show(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Result<Response, WebError> {
    show_page(&state, &v, &id, Errors::none(v.tr())).await
}

/// Run a case action; back to the case page, or the page again with the errors.
async fn then_case<T>(state: &AppState, v: &Viewer, id: &str, r: Result<T, amparo_core::CoreError>) -> Result<Response, WebError> {
    match r {
        Ok(_) => Ok(see_other(&format!("/cases/{id}"))),
        Err(e) => with_errors(v, e, |errors| show_page(state, v, id, errors)).await,
    }
}

pub async fn update(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(input): UiForm<CaseUpdate>,
) -> Result<Response, WebError> {
    let r = state.app.prosecution().update_case(&v.ctx, &id, &input).await;
    then_case(&state, &v, &id, r).await
}

pub async fn link(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(input): UiForm<LinkInput>,
) -> Result<Response, WebError> {
    let r = state.app.prosecution().link_person(&v.ctx, &id, &input).await;
    then_case(&state, &v, &id, r).await
}

pub async fn event(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(input): UiForm<EventInput>,
) -> Result<Response, WebError> {
    let r = state.app.prosecution().add_event(&v.ctx, &id, &input).await;
    then_case(&state, &v, &id, r).await
}

pub async fn charge(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(input): UiForm<ChargeInput>,
) -> Result<Response, WebError> {
    let r = state.app.prosecution().file_charge(&v.ctx, &id, &input).await;
    then_case(&state, &v, &id, r).await
}

#[derive(Deserialize, Default)]
pub struct StageForm {
    #[serde(default)]
    stage: String,
    #[serde(default)]
    version: i64,
}

pub async fn stage(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(f): UiForm<StageForm>,
) -> Result<Response, WebError> {
    let r = state.app.prosecution().set_stage(&v.ctx, &id, &f.stage, f.version).await;
    then_case(&state, &v, &id, r).await
}

#[derive(Deserialize, Default)]
pub struct HearingForm {
    #[serde(default)]
    hearing_kind: String,
    #[serde(default)]
    hearing_date: String,
    #[serde(default)]
    version: i64,
}

pub async fn hearing(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(f): UiForm<HearingForm>,
) -> Result<Response, WebError> {
    let r = state.app.prosecution().add_hearing(&v.ctx, &id, &f.hearing_kind, &f.hearing_date, f.version).await;
    then_case(&state, &v, &id, r).await
}

#[derive(Deserialize, Default)]
pub struct ChargeForm {
    #[serde(default)]
    case_id: String,
    #[serde(flatten)]
    decision: DecisionOnChargeInput,
}

pub async fn decide(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(f): UiForm<ChargeForm>,
) -> Result<Response, WebError> {
    let r = state.app.prosecution().decide_charge(&v.ctx, &id, &f.decision).await;
    then_case(&state, &v, &f.case_id, r).await
}

#[derive(Deserialize, Default)]
pub struct ReviewForm {
    #[serde(default)]
    case_id: String,
    #[serde(default)]
    version: i64,
}

pub async fn review(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(f): UiForm<ReviewForm>,
) -> Result<Response, WebError> {
    let r = state.app.prosecution().review_sentence(&v.ctx, &id, f.version).await;
    then_case(&state, &v, &f.case_id, r).await
}

#[derive(Deserialize, Default)]
pub struct AppealForm {
    #[serde(default)]
    case_id: String,
    #[serde(flatten)]
    appeal: AppealInput,
}

pub async fn appeal(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(f): UiForm<AppealForm>,
) -> Result<Response, WebError> {
    let r = state.app.prosecution().add_appeal(&v.ctx, &id, &f.appeal).await;
    then_case(&state, &v, &f.case_id, r).await
}

pub async fn share(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(input): UiForm<ShareInput>,
) -> Result<Response, WebError> {
    let r = state.app.coordination().share_case(&v.ctx, &id, &input).await;
    then_case(&state, &v, &id, r).await
}

pub async fn transfer(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(input): UiForm<ShareInput>,
) -> Result<Response, WebError> {
    match state.app.coordination().transfer_case(&v.ctx, &id, &input).await {
        // After a transfer the case may only be visible through the share kept for us.
        Ok(()) => Ok(see_other(&format!("/cases/{id}"))),
        Err(e) => with_errors(&v, e, |errors| show_page(&state, &v, &id, errors)).await,
    }
}

#[derive(Deserialize, Default)]
pub struct AccessForm {
    #[serde(default)]
    emails: String,
}

pub async fn access(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(f): UiForm<AccessForm>,
) -> Result<Response, WebError> {
    let emails: Vec<String> = f.emails.split([',', '\n', ' ']).map(str::to_owned).collect();
    let r = state.app.prosecution().set_case_access(&v.ctx, &id, &emails).await;
    then_case(&state, &v, &id, r).await
}

#[derive(Deserialize, Default)]
pub struct ShareAnswer {
    #[serde(default)]
    case_id: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    version: i64,
}

pub async fn answer_share(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(f): UiForm<ShareAnswer>,
) -> Result<Response, WebError> {
    let r = state.app.coordination().answer_share(&v.ctx, &id, &f.action, f.version).await;
    then_case(&state, &v, &f.case_id, r).await
}

pub async fn task(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(input): UiForm<TaskInput>,
) -> Result<Response, WebError> {
    let r = state.app.prosecution().add_task(&v.ctx, &id, &input).await;
    then_case(&state, &v, &id, r).await
}

/// Upload an attachment (multipart field `file`).
pub async fn upload(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    mut form: axum::extract::Multipart,
) -> Result<Response, WebError> {
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("adjunto").to_owned();
            match field.bytes().await {
                Ok(b) => file = Some((name, b.to_vec())),
                Err(_) => return Err(WebError::BadRequest { code: "payload_too_large", op: v.meta.op.clone(), api: false, tr: v.tr() }),
            }
        }
    }
    let (name, bytes) = file.unwrap_or_default();
    let r = state.app.protection().add_attachment(&v.ctx, &id, &name, &bytes).await;
    then_case(&state, &v, &id, r).await
}

/// A download, never inline: a generic type, `attachment` disposition, and the site's CSP.
pub fn download(file: amparo_core::usecases::attachments::AttachmentFile) -> Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let ascii: String =
        file.filename.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{ascii}\"");
    let mut resp = file.bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&file.mime) {
        h.insert(axum::http::HeaderName::from_static("x-amparo-file-type"), v);
    }
    resp
}

pub async fn attachment(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Result<Response, WebError> {
    let file = state.app.protection().get_attachment(&v.ctx, &id).await.map_err(|e| v.err(e))?;
    Ok(download(file))
}
