//! Referral pages: the services directory, referrals received and sent, a referral's page
//! with its lifecycle actions, referring a person and recording assistance (from the person's
//! page), the referral-gap view and notifications.

use crate::extract::{UiForm, Viewer};
use crate::i18n::Tr;
use crate::ui::{Errors, Nav, fmt_time, options, render, see_other, with_errors};
use crate::{AppState, WebError};
use amparo_core::CoreError;
use amparo_core::usecases::referrals::{ReferralActInput, ReferralView, ServiceView};
use amparo_domain::PersonId;
use amparo_domain::protection::{AssistanceInput, ReferralInput, ServiceInput, ServiceKind, Specialisation};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use std::collections::HashMap;

pub struct ReferralRow {
    pub id: String,
    pub person_id: String,
    pub person_code: String,
    pub service: String,
    pub from: String,
    pub to: String,
    pub status: String,
    pub status_key: String,
    pub consent: String,
    pub requested: String,
}

pub fn referral_row(t: Tr, r: &ReferralView, names: &HashMap<String, String>) -> ReferralRow {
    ReferralRow {
        id: r.id.clone(),
        person_id: r.person_id.clone(),
        person_code: r.person_code.clone(),
        service: r.service_name.clone(),
        from: names.get(r.from_org.as_str()).cloned().unwrap_or_default(),
        to: r.to_org.as_ref().and_then(|o| names.get(o.as_str())).cloned().unwrap_or_default(),
        status: t.t(&format!("refstatus-{}", r.status.as_str().replace('_', "-"))),
        status_key: r.status.as_str().to_owned(),
        consent: match &r.consent {
            Some(c) => format!(
                "{} · {} · {}",
                t.t(&format!("consentby-{}", c.by.as_str())),
                t.t(&format!("consentmethod-{}", c.method.as_str())),
                c.given_on
            ),
            None => t.t("referral-no-consent"),
        },
        requested: fmt_time(r.requested_at),
    }
}

pub struct ServiceRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub org: String,
    pub region: String,
    pub specialisations: String,
    pub capacity: i64,
    pub occupancy: i64,
    pub full: bool,
    pub contact_protocol: String,
    pub address: Option<String>,
}

fn service_row(t: Tr, s: &ServiceView, names: &HashMap<String, String>, areas: &HashMap<String, String>) -> ServiceRow {
    ServiceRow {
        id: s.id.clone(),
        name: s.name.clone(),
        kind: t.t(&format!("skind-{}", s.kind.replace('_', "-"))),
        org: names.get(s.org_id.as_str()).cloned().unwrap_or_default(),
        region: areas.get(&s.region).cloned().unwrap_or_else(|| s.region.clone()),
        specialisations: s
            .specialisations
            .iter()
            .map(|x| t.t(&format!("spec-{}", x.as_str().replace('_', "-"))))
            .collect::<Vec<_>>()
            .join(", "),
        capacity: s.capacity,
        occupancy: s.occupancy,
        full: s.occupancy >= s.capacity,
        contact_protocol: s.contact_protocol.clone(),
        address: s.address.clone(),
    }
}

#[derive(Template)]
#[template(path = "services.html")]
struct ServicesPage {
    nav: Nav,
    rows: Vec<ServiceRow>,
    kinds: Vec<(String, String)>,
    kind: String,
    can_create: bool,
    specs: Vec<(String, String)>,
    places: Vec<(String, String)>,
    form: ServiceForm,
    errors: Errors,
    pager: crate::ui::pager::Pager,
}

#[derive(Deserialize, Default, Clone)]
pub struct ServiceForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    contact_protocol: String,
    #[serde(default)]
    address: String,
}

#[derive(Deserialize, Default)]
pub struct KindQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    limit: Option<String>,
    #[serde(default)]
    cursor: Option<String>,
}

async fn services_page(
    state: &AppState,
    v: &Viewer,
    kind: String,
    q: &amparo_domain::paging::ListParams,
    form: ServiceForm,
    errors: Errors,
) -> Result<Response, WebError> {
    let t = v.tr();
    let page = state.app.referrals().services_page(&v.ctx, Some(&kind), q).await.map_err(|e| v.err(e))?;
    let pager =
        crate::ui::pager::Pager::with_extra("/services", &[("kind", kind.clone())], q, page.next_cursor.as_deref(), page.items.len());
    let list = page.items;
    let names = crate::ui::reports::org_names(state, v).await?;
    let places = crate::ui::reports::places(state, v).await?;
    let areas: HashMap<String, String> = places.iter().cloned().collect();
    let kinds: Vec<&str> = ServiceKind::ALL.iter().map(|k| k.as_str()).collect();
    let specs: Vec<&str> = Specialisation::ALL.iter().map(|k| k.as_str()).collect();
    render(&ServicesPage {
        nav: Nav::for_viewer(v, "services"),
        rows: list.iter().map(|s| service_row(t, s, &names, &areas)).collect(),
        kinds: options(t, "skind", &kinds),
        kind,
        can_create: v.can.manage_services,
        specs: options(t, "spec", &specs),
        places,
        form,
        errors,
        pager,
    })
}

pub async fn services(State(state): State<AppState>, v: Viewer, Query(q): Query<KindQuery>) -> Result<Response, WebError> {
    let page = amparo_domain::paging::ListParams { limit: q.limit.clone(), cursor: q.cursor.clone(), ..Default::default() };
    services_page(&state, &v, q.kind, &page, ServiceForm::default(), Errors::none(v.tr())).await
}

pub async fn create_service(
    State(state): State<AppState>,
    v: Viewer,
    UiForm(form): UiForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let get = |k: &str| crate::ui::field(&form, k);
    let input = ServiceInput {
        name: get("name"),
        kind: get("kind"),
        specialisations: crate::ui::fields(&form, "specialisations"),
        region: get("region"),
        capacity: get("capacity"),
        contact_protocol: get("contact_protocol"),
        address: get("address"),
    };
    match state.app.referrals().create_service(&v.ctx, None, &input).await {
        Ok(_) => Ok(see_other("/services")),
        Err(e) => {
            let f = ServiceForm {
                name: input.name.clone(),
                kind: input.kind.clone(),
                region: input.region.clone(),
                capacity: input.capacity.clone(),
                contact_protocol: input.contact_protocol.clone(),
                address: input.address.clone(),
            };
            let q = amparo_domain::paging::ListParams::default();
            with_errors(&v, e, |errors| services_page(&state, &v, String::new(), &q, f, errors)).await
        }
    }
}

#[derive(Template)]
#[template(path = "service.html")]
struct ServicePage {
    nav: Nav,
    s: ServiceRow,
    id: String,
    version: i64,
    active: bool,
    can_edit: bool,
    kinds: Vec<(String, String)>,
    kind_key: String,
    region_key: String,
    specs: Vec<(String, String, bool)>,
    places: Vec<(String, String)>,
    errors: Errors,
}

async fn service_page(state: &AppState, v: &Viewer, id: &str, errors: Errors) -> Result<Response, WebError> {
    let t = v.tr();
    let s = state.app.referrals().get_service(&v.ctx, id).await.map_err(|e| v.err(e))?;
    let names = crate::ui::reports::org_names(state, v).await?;
    let places = crate::ui::reports::places(state, v).await?;
    let areas: HashMap<String, String> = places.iter().cloned().collect();
    let kinds: Vec<&str> = ServiceKind::ALL.iter().map(|k| k.as_str()).collect();
    render(&ServicePage {
        nav: Nav::for_viewer(v, "services"),
        id: s.id.clone(),
        version: s.version,
        active: s.active,
        can_edit: s.can_edit,
        kinds: options(t, "skind", &kinds),
        kind_key: s.kind.clone(),
        region_key: s.region.clone(),
        specs: Specialisation::ALL
            .iter()
            .map(|x| (x.as_str().to_owned(), t.t(&format!("spec-{}", x.as_str().replace('_', "-"))), s.specialisations.contains(x)))
            .collect(),
        places,
        s: service_row(t, &s, &names, &areas),
        errors,
    })
}

pub async fn service(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Result<Response, WebError> {
    service_page(&state, &v, &id, Errors::none(v.tr())).await
}

fn service_input(form: &[(String, String)]) -> ServiceInput {
    let get = |k: &str| crate::ui::field(form, k);
    ServiceInput {
        name: get("name"),
        kind: get("kind"),
        specialisations: crate::ui::fields(form, "specialisations"),
        region: get("region"),
        capacity: get("capacity"),
        contact_protocol: get("contact_protocol"),
        address: get("address"),
    }
}

pub async fn update_service(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(form): UiForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let input = service_input(&form);
    let version: i64 = form.iter().find(|(k, _)| k == "version").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let active = form.iter().any(|(k, _)| k == "active");
    match state.app.referrals().update_service(&v.ctx, &id, &input, version, active).await {
        Ok(_) => Ok(see_other(&format!("/services/{id}"))),
        Err(e) => with_errors(&v, e, |errors| service_page(&state, &v, &id, errors)).await,
    }
}

#[derive(Template)]
#[template(path = "referrals.html")]
struct ListPage {
    nav: Nav,
    pager: crate::ui::pager::Pager,
    /// Which boxes this page shows: both on the first page, one when paging through it.
    show_incoming: bool,
    show_outgoing: bool,
    incoming: Vec<ReferralRow>,
    outgoing: Vec<ReferralRow>,
    incoming_next: Option<String>,
    outgoing_next: Option<String>,
    /// Back to both boxes' first pages (same filters), when paging one.
    first: Option<String>,
}

/// `/referrals?status=&from=&to=&limit=` and a box's cursor (`incoming_cursor` or
/// `outgoing_cursor`): the page's parameters and the API's (`/api/v1/referrals`), one type.
#[derive(Deserialize, Default, schemars::JsonSchema)]
pub struct ReferralsQuery {
    #[serde(flatten)]
    pub(crate) params: amparo_domain::paging::ListParams,
    #[serde(default)]
    pub(crate) incoming_cursor: Option<String>,
    #[serde(default)]
    pub(crate) outgoing_cursor: Option<String>,
}

pub async fn list(State(state): State<AppState>, v: Viewer, Query(q): Query<ReferralsQuery>) -> Result<Response, WebError> {
    let t = v.tr();
    let boxes = state
        .app
        .referrals()
        .list_referrals(&v.ctx, &q.params, q.incoming_cursor.as_deref(), q.outgoing_cursor.as_deref())
        .await
        .map_err(|e| v.err(e))?;
    let names = crate::ui::reports::org_names(&state, &v).await?;
    let given = |c: &Option<String>| c.as_deref().is_some_and(|c| !c.trim().is_empty());
    let paging = given(&q.incoming_cursor) || given(&q.outgoing_cursor);
    let statuses: Vec<&str> = amparo_domain::protection::ReferralStatus::ALL.iter().map(|s| s.as_str()).collect();
    let pager = crate::ui::pager::Pager::new("/referrals", &q.params, None, boxes.incoming.len() + boxes.outgoing.len()).with_statuses(
        t,
        "refstatus",
        &statuses,
    );
    let mut filters: Vec<(&str, String)> = Vec::new();
    for (k, val) in [("status", &q.params.status), ("from", &q.params.from), ("to", &q.params.to), ("limit", &q.params.limit)] {
        if let Some(val) = val.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
            filters.push((k, val.to_owned()));
        }
    }
    let link = |extra: Option<(&'static str, &str)>| {
        let mut pairs = filters.clone();
        if let Some((k, c)) = extra {
            pairs.push((k, c.to_owned()));
        }
        let qs = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if qs.is_empty() { "/referrals".to_owned() } else { format!("/referrals?{qs}") }
    };
    render(&ListPage {
        nav: Nav::for_viewer(&v, "referrals"),
        pager,
        show_incoming: !paging || given(&q.incoming_cursor),
        show_outgoing: !paging || given(&q.outgoing_cursor),
        incoming: boxes.incoming.iter().map(|r| referral_row(t, r, &names)).collect(),
        outgoing: boxes.outgoing.iter().map(|r| referral_row(t, r, &names)).collect(),
        incoming_next: boxes.incoming_cursor.as_deref().map(|c| link(Some(("incoming_cursor", c)))),
        outgoing_next: boxes.outgoing_cursor.as_deref().map(|c| link(Some(("outgoing_cursor", c)))),
        first: paging.then(|| link(None)),
    })
}

#[derive(Template)]
#[template(path = "referral.html")]
struct ShowPage {
    nav: Nav,
    r: ReferralRow,
    version: i64,
    actions: Vec<(String, String)>,
    steps: Vec<(String, String, String, bool)>,
    without_consent: bool,
    service_full: bool,
    errors: Errors,
}

async fn show_page(state: &AppState, v: &Viewer, id: &str, errors: Errors) -> Result<Response, WebError> {
    let t = v.tr();
    let r = state.app.referrals().get_referral(&v.ctx, id).await.map_err(|e| v.err(e))?;
    let names = crate::ui::reports::org_names(state, v).await?;
    let service = state.app.referrals().get_service(&v.ctx, &r.service_id).await.ok();
    render(&ShowPage {
        nav: Nav::for_viewer(v, "referrals"),
        version: r.version,
        actions: r.actions.iter().map(|a| ((*a).to_owned(), t.t(&format!("refact-{a}")))).collect(),
        steps: r
            .steps
            .iter()
            .map(|s| {
                (
                    fmt_time(s.at),
                    t.t(&format!("refstatus-{}", s.status.as_str().replace('_', "-"))),
                    s.reason.clone().unwrap_or_default(),
                    s.capacity_override,
                )
            })
            .collect(),
        without_consent: r.without_consent,
        service_full: service.is_some_and(|s| s.occupancy >= s.capacity),
        r: referral_row(t, &r, &names),
        errors,
    })
}

pub async fn show(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Result<Response, WebError> {
    show_page(&state, &v, &id, Errors::none(v.tr())).await
}

pub async fn act(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(input): UiForm<ReferralActInput>,
) -> Result<Response, WebError> {
    match state.app.referrals().act_on_referral(&v.ctx, &id, &input).await {
        Ok(_) => Ok(see_other(&format!("/referrals/{id}"))),
        Err(e) => with_errors(&v, e, |errors| show_page(&state, &v, &id, errors)).await,
    }
}

pub async fn refer(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(input): UiForm<ReferralInput>,
) -> Result<Response, WebError> {
    let pid = PersonId::parse(&id).ok_or_else(|| v.err(CoreError::NotFound))?;
    match state.app.referrals().create_referral(&v.ctx, &pid, &input).await {
        Ok(r) => Ok(see_other(&format!("/referrals/{}", r.id))),
        Err(e) => with_errors(&v, e, |errors| crate::ui::persons::show_page(&state, &v, &pid, None, errors, None)).await,
    }
}

pub async fn assist(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(input): UiForm<AssistanceInput>,
) -> Result<Response, WebError> {
    let pid = PersonId::parse(&id).ok_or_else(|| v.err(CoreError::NotFound))?;
    match state.app.referrals().record_assistance(&v.ctx, &pid, &input).await {
        Ok(_) => Ok(see_other(&format!("/persons/{id}#assistance"))),
        Err(e) => with_errors(&v, e, |errors| crate::ui::persons::show_page(&state, &v, &pid, None, errors, None)).await,
    }
}

#[derive(Template)]
#[template(path = "gap.html")]
struct GapPage {
    nav: Nav,
    days: i64,
    total: usize,
    rows: Vec<(String, String, String, String, String, i64)>,
    next: Option<String>,
    first: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct GapQuery {
    days: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

pub async fn gap(State(state): State<AppState>, v: Viewer, Query(q): Query<GapQuery>) -> Result<Response, WebError> {
    let t = v.tr();
    let days = crate::api::gap_days(q.days.as_deref()).map_err(|e| v.err(e))?;
    let params = amparo_domain::paging::ListParams { limit: q.limit.clone(), cursor: q.cursor.clone(), ..Default::default() };
    let page = state.app.referrals().referral_gap(&v.ctx, days, &params).await.map_err(|e| v.err(e))?;
    let total = state.app.referrals().referral_gap_count(&v.ctx, days).await.map_err(|e| v.err(e))?;
    let names = crate::ui::reports::org_names(&state, &v).await?;
    let link = |cursor: Option<&str>| {
        let mut pairs = vec![("days", days.to_string())];
        if let Some(c) = cursor {
            pairs.push(("cursor", c.to_owned()));
        }
        format!("/referral-gap?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    };
    let rows = page.items;
    render(&GapPage {
        nav: Nav::for_viewer(&v, "gap"),
        days,
        total,
        next: page.next_cursor.as_deref().map(|c| link(Some(c))),
        first: q.cursor.as_deref().filter(|c| !c.is_empty()).map(|_| link(None)),
        rows: rows
            .iter()
            .map(|r| {
                (
                    r.person_id.clone(),
                    r.person_code.clone(),
                    names.get(r.org_id.as_str()).cloned().unwrap_or_default(),
                    t.t(&format!("tstatus-{}", r.status)),
                    r.decided_on.clone(),
                    r.days_since,
                )
            })
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    nav: Nav,
    rows: Vec<(String, String, String, bool)>,
    pager: crate::ui::pager::Pager,
}

pub async fn notifications(
    State(state): State<AppState>,
    v: Viewer,
    axum::extract::Query(q): axum::extract::Query<amparo_domain::paging::ListParams>,
) -> Result<Response, WebError> {
    let t = v.tr();
    let page = state.app.referrals().list_notifications(&v.ctx, &q).await.map_err(|e| v.err(e))?;
    let pager = crate::ui::pager::Pager::new("/notifications", &q, page.next_cursor.as_deref(), page.items.len()).with_statuses(
        t,
        "notifstatus",
        &["unread", "read"],
    );
    render(&NotificationsPage {
        nav: Nav::for_viewer(&v, "notifications"),
        pager,
        rows: page
            .items
            .iter()
            .map(|n| {
                let what = t.t(&format!("notif-{}", n.kind.replace('_', "-")));
                let label = if n.about.is_empty() { what } else { format!("{what}: {}", n.about) };
                (fmt_time(n.at), label, n.link.clone(), n.unread)
            })
            .collect(),
    })
}

pub async fn mark_read(State(state): State<AppState>, v: Viewer) -> Result<Response, WebError> {
    state.app.referrals().mark_notifications_read(&v.ctx).await.map_err(|e| v.err(e))?;
    Ok(see_other("/notifications"))
}
