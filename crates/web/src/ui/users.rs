//! User administration pages.

use super::{Errors, Nav, render};
use crate::extract::{UiForm, Viewer};
use crate::{AppState, WebError};
use amparo_core::CoreError;
use amparo_core::usecases::users::UserUpdate;
use amparo_domain::policy::{Action, Relation, authorize};
use amparo_domain::user::{User, UserInput};
use amparo_domain::{Role, UserId};
use askama::Template;
use axum::extract::{Path, RawForm, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;

pub struct Row {
    id: String,
    editable: bool,
    name: String,
    email: String,
    org: String,
    roles: String,
    mfa: String,
    status: String,
    disabled: bool,
    version: i64,
}

#[derive(Default, Clone)]
pub struct UserFormData {
    email: String,
    display_name: String,
    org_id: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct Page {
    nav: Nav,
    rows: Vec<Row>,
    form: UserFormData,
    form_roles: Vec<String>,
    errors: Errors,
    orgs: Vec<(String, String)>,
    roles: Vec<(String, String)>,
    notice: Option<String>,
}

async fn page(
    state: &AppState,
    v: &Viewer,
    form: UserFormData,
    form_roles: Vec<String>,
    errors: Errors,
    notice: Option<String>,
) -> Result<Response, WebError> {
    let t = v.tr();
    let users = state.app.list_users(&v.ctx).await.map_err(|e| v.err(e))?;
    let all_orgs = state.app.list_orgs(&v.ctx).await.map_err(|e| v.err(e))?;
    let names: HashMap<String, String> = all_orgs.iter().map(|o| (o.id.to_string(), o.name.clone())).collect();
    // Offer only organisations the viewer may create accounts in.
    let actor = v.ctx.actor.clone();
    let mut orgs = Vec::new();
    let parents: HashMap<_, _> = all_orgs.iter().map(|x| (x.id.clone(), x.parent_id.clone())).collect();
    let is_sys = v.session.user.has_role(Role::SystemAdmin);
    for o in &all_orgs {
        let rel = if Some(&o.id) == v.ctx.org_id() { Relation::SameOrg } else { Relation::SubOrg };
        let below = is_sys
            || rel == Relation::SameOrg
            || v.ctx
                .org_id()
                .map(|mine| amparo_domain::org::is_within(&o.id, mine, |x| parents.get(x).cloned().flatten()))
                .unwrap_or(false);
        if below && actor.as_ref().map(|a| authorize(a, Action::CreateUser, rel).is_ok()).unwrap_or(false) {
            orgs.push((o.id.to_string(), o.name.clone()));
        }
    }
    let rows = users
        .iter()
        .map(|u: &User| Row {
            id: u.id.to_string(),
            editable: u.id != v.session.user.id,
            name: u.display_name.clone(),
            email: u.email.clone(),
            org: names.get(u.org_id.as_str()).cloned().unwrap_or_default(),
            roles: u.roles.iter().map(|r| t.t(&r.label_key())).collect::<Vec<_>>().join(", "),
            mfa: t.t(if u.mfa_exempt_demo {
                "user-mfa-demo"
            } else if u.mfa_enrolled {
                "user-mfa-on"
            } else {
                "user-mfa-off"
            }),
            status: t.t(if u.disabled { "user-disabled" } else { "user-active" }),
            disabled: u.disabled,
            version: u.version,
        })
        .collect();
    let roles = Role::ALL
        .iter()
        .filter(|r| **r != Role::SystemAdmin || v.session.user.has_role(Role::SystemAdmin))
        .map(|r| (r.as_str().to_owned(), t.t(&r.label_key())))
        .collect();
    render(&Page { nav: Nav::for_viewer(v, "users"), rows, form, form_roles, errors, orgs, roles, notice })
}

pub async fn list(State(state): State<AppState>, v: Viewer) -> Result<Response, WebError> {
    let form = UserFormData { org_id: v.session.user.org_id.to_string(), ..Default::default() };
    page(&state, &v, form, vec![], Errors::none(v.tr()), None).await
}

/// Forms with repeated `roles` fields: parse the raw body, since `roles=a&roles=b` does not
/// map onto a struct with serde_urlencoded.
pub async fn create(State(state): State<AppState>, v: Viewer, RawForm(body): RawForm) -> Result<Response, WebError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let roles: Vec<String> = pairs.iter().filter(|(n, _)| n == "roles").map(|(_, v)| v.clone()).collect();
    let input = UserInput {
        email: get("email"),
        display_name: get("display_name"),
        org_id: get("org_id"),
        roles: roles.clone(),
        password: get("password"),
        locale: None,
    };
    match state.app.create_user(&v.ctx, &input).await {
        Ok(_) => {
            let form = UserFormData { org_id: v.session.user.org_id.to_string(), ..Default::default() };
            page(&state, &v, form, vec![], Errors::none(v.tr()), Some(v.tr().t("user-created"))).await
        }
        Err(CoreError::Validation(fields)) => {
            let form = UserFormData { email: input.email, display_name: input.display_name, org_id: input.org_id };
            let mut r = page(&state, &v, form, roles, Errors { t: v.tr(), fields }, None).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(v.err(e)),
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    disabled: String,
    #[serde(default)]
    version: i64,
}

pub async fn set_status(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(f): UiForm<StatusForm>,
) -> Result<Response, WebError> {
    let id = UserId::parse(&id).ok_or_else(|| v.err(CoreError::NotFound))?;
    let u = state.app.get_user(&v.ctx, &id).await.map_err(|e| v.err(e))?;
    let upd = UserUpdate {
        display_name: u.display_name.clone(),
        roles: u.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        locale: u.locale.map(|l| l.as_str().to_owned()),
        disabled: f.disabled == "1",
        version: f.version,
    };
    state.app.update_user(&v.ctx, &id, &upd).await.map_err(|e| v.err(e))?;
    Ok(Redirect::to("/users").into_response())
}

#[derive(Template)]
#[template(path = "user_edit.html")]
struct EditPage {
    nav: Nav,
    id: String,
    email: String,
    version: i64,
    display_name: String,
    form_roles: Vec<String>,
    locale: String,
    roles: Vec<(String, String)>,
    errors: Errors,
    conflict: Option<(String, String)>,
    notice: Option<String>,
    temp_password: Option<String>,
}

fn role_choices(v: &Viewer) -> Vec<(String, String)> {
    let t = v.tr();
    Role::ALL
        .iter()
        .filter(|r| **r != Role::SystemAdmin || v.session.user.has_role(Role::SystemAdmin))
        .map(|r| (r.as_str().to_owned(), t.t(&r.label_key())))
        .collect()
}

fn describe(t: crate::i18n::Tr, name: &str, roles: &[String]) -> String {
    let labels: Vec<String> = roles.iter().filter_map(|r| Role::parse(r)).map(|r| t.t(&r.label_key())).collect();
    format!("{name} · {}", labels.join(", "))
}

fn edit_page(
    v: &Viewer,
    u: &User,
    errors: Errors,
    conflict: Option<(String, String)>,
    notice: Option<String>,
    temp_password: Option<String>,
) -> EditPage {
    EditPage {
        nav: Nav::for_viewer(v, "users"),
        id: u.id.to_string(),
        email: u.email.clone(),
        version: u.version,
        display_name: u.display_name.clone(),
        form_roles: u.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        locale: u.locale.map(|l| l.as_str().to_owned()).unwrap_or_default(),
        roles: role_choices(v),
        errors,
        conflict,
        notice,
        temp_password,
    }
}

fn parse_user_id(v: &Viewer, id: &str) -> Result<UserId, WebError> {
    UserId::parse(id).ok_or_else(|| v.err(CoreError::NotFound))
}

pub async fn edit_form(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = parse_user_id(&v, &id)?;
    let u = state.app.user_for_edit(&v.ctx, &id).await.map_err(|e| v.err(e))?;
    render(&edit_page(&v, &u, Errors::none(v.tr()), None, None, None))
}

pub async fn edit_submit(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    RawForm(body): RawForm,
) -> Result<Response, WebError> {
    let id = parse_user_id(&v, &id)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let roles: Vec<String> = pairs.iter().filter(|(n, _)| n == "roles").map(|(_, v)| v.clone()).collect();
    let current = state.app.user_for_edit(&v.ctx, &id).await.map_err(|e| v.err(e))?;
    let upd = UserUpdate {
        display_name: get("display_name"),
        roles: roles.clone(),
        locale: Some(get("locale")).filter(|l| !l.is_empty()),
        disabled: current.disabled,
        version: get("version").parse().unwrap_or(-1),
    };
    match state.app.update_user(&v.ctx, &id, &upd).await {
        Ok(u) => render(&edit_page(&v, &u, Errors::none(v.tr()), None, Some(v.tr().t("user-saved")), None)),
        Err(CoreError::Validation(fields)) => {
            let mut page = edit_page(&v, &current, Errors { t: v.tr(), fields }, None, None, None);
            page.display_name = upd.display_name;
            page.form_roles = roles;
            let mut r = render(&page)?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(CoreError::Conflict { .. }) => {
            let fresh = state.app.user_for_edit(&v.ctx, &id).await.map_err(|e| v.err(e))?;
            let theirs = describe(v.tr(), &fresh.display_name, &fresh.roles.iter().map(|r| r.as_str().to_owned()).collect::<Vec<_>>());
            let yours = describe(v.tr(), &upd.display_name, &roles);
            let mut page = edit_page(&v, &fresh, Errors::none(v.tr()), Some((theirs, yours)), None, None);
            page.display_name = upd.display_name;
            page.form_roles = roles;
            let mut r = render(&page)?;
            *r.status_mut() = StatusCode::CONFLICT;
            Ok(r)
        }
        Err(e) => Err(v.err(e)),
    }
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    reset_mfa: String,
}

pub async fn reset(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(f): UiForm<ResetForm>,
) -> Result<Response, WebError> {
    let id = parse_user_id(&v, &id)?;
    match state.app.reset_access(&v.ctx, &id, f.reset_mfa == "1").await {
        Ok((u, temp)) => {
            let u = state.app.user_for_edit(&v.ctx, &u.id).await.map_err(|e| v.err(e))?;
            render(&edit_page(&v, &u, Errors::none(v.tr()), None, Some(v.tr().t("user-reset-done")), Some(temp)))
        }
        Err(CoreError::Validation(fields)) => {
            let u = state.app.user_for_edit(&v.ctx, &id).await.map_err(|e| v.err(e))?;
            let mut r = render(&edit_page(&v, &u, Errors { t: v.tr(), fields }, None, None, None))?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(v.err(e)),
    }
}
