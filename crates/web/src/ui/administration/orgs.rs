//! Organisation pages: the directory, creation, and editing with conflict display.

use crate::extract::{UiForm, Viewer};
use crate::ui::{Errors, Nav, render};
use crate::{AppState, WebError};
use amparo_core::CoreError;
use amparo_domain::OrgId;
use amparo_domain::org::{OrgInput, OrgKind, Organisation};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;

pub struct Row {
    id: String,
    can_edit: bool,
    name: String,
    kind: String,
    jurisdiction: String,
    area: String,
    parent: String,
}

#[derive(Default, Deserialize, Clone)]
pub struct OrgForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    jurisdiction: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    version: i64,
}

impl OrgForm {
    fn input(&self) -> OrgInput {
        OrgInput {
            name: self.name.clone(),
            kind: self.kind.clone(),
            jurisdiction: self.jurisdiction.clone(),
            parent_id: Some(self.parent_id.clone()),
        }
    }
    fn of(o: &Organisation) -> Self {
        OrgForm {
            name: o.name.clone(),
            kind: o.kind.as_str().into(),
            jurisdiction: o.jurisdiction.clone(),
            parent_id: o.parent_id.as_ref().map(|p| p.to_string()).unwrap_or_default(),
            version: o.version,
        }
    }
}

#[derive(Template)]
#[template(path = "orgs.html")]
struct ListPage {
    nav: Nav,
    rows: Vec<Row>,
    can_edit: bool,
    form: OrgForm,
    errors: Errors,
    kinds: Vec<(String, String)>,
    areas: Vec<(String, String)>,
    parents: Vec<(String, String)>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "org_edit.html")]
struct EditPage {
    nav: Nav,
    id: String,
    title: String,
    version: i64,
    form: OrgForm,
    errors: Errors,
    kinds: Vec<(String, String)>,
    areas: Vec<(String, String)>,
    parents: Vec<(String, String)>,
    conflict: Option<(String, String)>,
    notice: Option<String>,
}

struct Choices {
    orgs: Vec<Organisation>,
    /// Per organisation: (may edit it, may put a new organisation under it).
    caps: HashMap<OrgId, (bool, bool)>,
    kinds: Vec<(String, String)>,
    areas: Vec<(String, String)>,
    area_names: HashMap<String, String>,
}

/// The choices forms need: kinds, Peru's departments and the demo provinces, and orgs.
async fn choices(state: &AppState, v: &Viewer) -> Result<Choices, WebError> {
    let t = v.tr();
    let dir = state.app.administration().org_directory(&v.ctx).await.map_err(|e| v.err(e))?;
    let caps = dir.iter().map(|r| (r.org.id.clone(), (r.can_edit, r.can_be_parent))).collect();
    let orgs: Vec<Organisation> = dir.into_iter().map(|r| r.org).collect();
    let kinds = OrgKind::ALL.iter().map(|k| (k.as_str().to_owned(), t.t(&k.label_key()))).collect();
    // The profile's country (Peru by default) and its first two levels of areas.
    let country = state.app.profile().country.clone();
    let countries = state.app.system().list_countries(&v.ctx).await.map_err(|e| v.err(e))?;
    let name = countries
        .iter()
        .find(|c| c.alpha2 == country)
        .map(|c| if t.code() == "es" { c.name_es.clone() } else { c.name_en.clone() })
        .unwrap_or_else(|| country.clone());
    let mut areas = vec![(country.clone(), t.t_args("area-national", &[("country", name)]))];
    let depts = state.app.system().list_areas(&v.ctx, &country, None).await.map_err(|e| v.err(e))?;
    for d in depts {
        areas.push((d.code.clone(), d.name.clone()));
        for p in state.app.system().list_areas(&v.ctx, &country, Some(&d.code)).await.map_err(|e| v.err(e))? {
            areas.push((p.code.clone(), format!("{} › {}", d.name, p.name)));
        }
    }
    // Areas an org already uses (e.g. a district) must stay selectable.
    for o in &orgs {
        if !areas.iter().any(|(c, _)| c == &o.jurisdiction)
            && let Ok(Some(a)) = state.app.system().get_area(&o.jurisdiction).await
        {
            areas.push((a.code, a.name));
        }
    }
    let area_names = areas.iter().cloned().collect();
    Ok(Choices { orgs, caps, kinds, areas, area_names })
}

fn rows(c: &Choices, t: crate::i18n::Tr) -> Vec<Row> {
    let names: HashMap<&OrgId, &str> = c.orgs.iter().map(|o| (&o.id, o.name.as_str())).collect();
    c.orgs
        .iter()
        .map(|o| Row {
            id: o.id.to_string(),
            can_edit: c.caps.get(&o.id).is_some_and(|x| x.0),
            name: o.name.clone(),
            kind: t.t(&o.kind.label_key()),
            jurisdiction: o.jurisdiction.clone(),
            area: c.area_names.get(&o.jurisdiction).cloned().unwrap_or_default(),
            parent: o.parent_id.as_ref().and_then(|p| names.get(p)).map(|s| (*s).to_owned()).unwrap_or_default(),
        })
        .collect()
}

/// Organisations the viewer may put a new one under (the form offers only those, and starts
/// on the first of them).
fn parent_choices(c: &Choices, except: Option<&OrgId>) -> Vec<(String, String)> {
    c.orgs
        .iter()
        .filter(|o| c.caps.get(&o.id).is_some_and(|x| x.1) && Some(&o.id) != except)
        .map(|o| (o.id.to_string(), o.name.clone()))
        .collect()
}

async fn list_page(state: &AppState, v: &Viewer, form: OrgForm, errors: Errors, notice: Option<String>) -> Result<Response, WebError> {
    let c = choices(state, v).await?;
    let parents = parent_choices(&c, None);
    // A new organisation starts under one the viewer may use (their own, for an org admin).
    let form = if form.parent_id.is_empty() && !v.session.user.has_role(amparo_domain::Role::SystemAdmin) {
        let own = v.session.user.org_id.to_string();
        let first = if parents.iter().any(|p| p.0 == own) { Some(own) } else { parents.first().map(|p| p.0.clone()) };
        OrgForm { parent_id: first.unwrap_or_default(), ..form }
    } else {
        form
    };
    render(&ListPage {
        nav: Nav::for_viewer(v, "orgs"),
        rows: rows(&c, v.tr()),
        can_edit: v.can.create_org,
        form,
        errors,
        kinds: c.kinds,
        areas: c.areas,
        parents,
        notice,
    })
}

pub async fn list(State(state): State<AppState>, v: Viewer) -> Result<Response, WebError> {
    let form = OrgForm { jurisdiction: "PE-15".into(), kind: "police_unit".into(), ..Default::default() };
    list_page(&state, &v, form, Errors::none(v.tr()), None).await
}

pub async fn create(State(state): State<AppState>, v: Viewer, UiForm(f): UiForm<OrgForm>) -> Result<Response, WebError> {
    match state.app.administration().create_org(&v.ctx, &f.input()).await {
        Ok(_) => {
            let notice = Some(v.tr().t("org-created"));
            let form = OrgForm { jurisdiction: "PE-15".into(), kind: "police_unit".into(), ..Default::default() };
            list_page(&state, &v, form, Errors::none(v.tr()), notice).await
        }
        Err(CoreError::Validation(fields)) => {
            let mut r = list_page(&state, &v, f, Errors { t: v.tr(), fields }, None).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(v.err(e)),
    }
}

async fn edit_page(
    state: &AppState,
    v: &Viewer,
    org: &Organisation,
    form: OrgForm,
    errors: Errors,
    conflict: Option<(String, String)>,
    notice: Option<String>,
) -> Result<Response, WebError> {
    let c = choices(state, v).await?;
    let mut parents = parent_choices(&c, Some(&org.id));
    // The current parent stays selectable even when the viewer could not choose it anew.
    if let Some(p) = &org.parent_id
        && !parents.iter().any(|x| x.0 == p.as_str())
        && let Some(o) = c.orgs.iter().find(|o| &o.id == p)
    {
        parents.push((o.id.to_string(), o.name.clone()));
    }
    render(&EditPage {
        nav: Nav::for_viewer(v, "orgs"),
        id: org.id.to_string(),
        title: org.name.clone(),
        version: org.version,
        form,
        errors,
        kinds: c.kinds,
        areas: c.areas,
        parents,
        conflict,
        notice,
    })
}

fn parse_id(v: &Viewer, id: &str) -> Result<OrgId, WebError> {
    OrgId::parse(id).ok_or_else(|| v.err(CoreError::NotFound))
}

pub async fn edit_form(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = parse_id(&v, &id)?;
    let org = state.app.administration().org_for_edit(&v.ctx, &id).await.map_err(|e| v.err(e))?;
    edit_page(&state, &v, &org, OrgForm::of(&org), Errors::none(v.tr()), None, None).await
}

fn describe(t: crate::i18n::Tr, f: &OrgForm) -> String {
    format!("{} · {} · {}", f.name, t.t(&OrgKind::parse(&f.kind).map(|k| k.label_key()).unwrap_or_default()), f.jurisdiction)
}

pub async fn edit_submit(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(f): UiForm<OrgForm>,
) -> Result<Response, WebError> {
    let id = parse_id(&v, &id)?;
    match state.app.administration().update_org(&v.ctx, &id, &f.input(), f.version).await {
        Ok(_) => Ok(Redirect::to("/orgs").into_response()),
        Err(CoreError::Validation(fields)) => {
            let org = state.app.administration().get_org(&v.ctx, &id).await.map_err(|e| v.err(e))?;
            let mut r = edit_page(&state, &v, &org, f, Errors { t: v.tr(), fields }, None, None).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(CoreError::Conflict { .. }) => {
            // Show both versions; the form keeps the user's text and takes the new version,
            // so saving again is a deliberate choice, and nothing is lost silently.
            let org = state.app.administration().get_org(&v.ctx, &id).await.map_err(|e| v.err(e))?;
            let theirs = describe(v.tr(), &OrgForm::of(&org));
            let yours = describe(v.tr(), &f);
            let mut r = edit_page(&state, &v, &org, f, Errors::none(v.tr()), Some((theirs, yours)), None).await?;
            *r.status_mut() = StatusCode::CONFLICT;
            Ok(r)
        }
        Err(e) => Err(v.err(e)),
    }
}
