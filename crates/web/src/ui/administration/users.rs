//! User administration pages.

use crate::extract::{UiForm, Viewer};
use crate::ui::{Errors, Nav, render};
use crate::{AppState, WebError};
use amparo_core::CoreError;
use amparo_core::usecases::users::UserUpdate;
use amparo_domain::user::{User, UserInput};
use amparo_domain::{Role, UserId};
use askama::Template;
use axum::extract::{Path, Query, RawForm, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;

pub struct Row {
    id: String,
    editable: bool,
    can_set_status: bool,
    name: String,
    email: String,
    org: String,
    roles: String,
    /// Roles the account holds that its organisation's kind may not (labels), if any.
    misfit: String,
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
    /// The roles this viewer may grant in the organisation selected in the form.
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
    let users = state.app.administration().users_for_admin(&v.ctx).await.map_err(|e| v.err(e))?;
    let all_orgs = state.app.administration().list_orgs(&v.ctx).await.map_err(|e| v.err(e))?;
    let names: HashMap<String, String> = all_orgs.iter().map(|o| (o.id.to_string(), o.name.clone())).collect();
    // Offer only organisations where the viewer may create an account with some role, and
    // for the selected one only the roles the viewer may grant there (core decides both).
    let targets = state.app.administration().user_creation_targets(&v.ctx).await.map_err(|e| v.err(e))?;
    let orgs: Vec<(String, String)> = targets.iter().map(|(o, _)| (o.id.to_string(), o.name.clone())).collect();
    let selected = targets.iter().find(|(o, _)| o.id.as_str() == form.org_id).or_else(|| targets.first());
    let form = UserFormData { org_id: selected.map(|(o, _)| o.id.to_string()).unwrap_or_default(), ..form };
    let roles = selected.map(|(_, r)| r.iter().map(|r| (r.as_str().to_owned(), t.t(&r.label_key()))).collect()).unwrap_or_default();
    let rows = users
        .iter()
        .map(|row| {
            let u: &User = &row.user;
            Row {
                id: u.id.to_string(),
                editable: row.can_edit,
                can_set_status: row.can_set_status,
                name: u.display_name.clone(),
                email: u.email.clone(),
                org: names.get(u.org_id.as_str()).cloned().unwrap_or_default(),
                roles: u.roles.iter().map(|r| t.t(&r.label_key())).collect::<Vec<_>>().join(", "),
                misfit: row.misfit_roles.iter().map(|r| t.t(&r.label_key())).collect::<Vec<_>>().join(", "),
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
            }
        })
        .collect();
    render(&Page { nav: Nav::for_viewer(v, "users"), rows, form, form_roles, errors, orgs, roles, notice })
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    /// The organisation to preselect in the new-account form (the roles follow it).
    #[serde(default)]
    org_id: String,
    /// What was just done (`disabled`, `enabled`), for the notice.
    #[serde(default)]
    done: String,
}

pub async fn list(State(state): State<AppState>, v: Viewer, Query(q): Query<ListQuery>) -> Result<Response, WebError> {
    let org_id = if q.org_id.is_empty() { v.session.user.org_id.to_string() } else { q.org_id };
    let form = UserFormData { org_id, ..Default::default() };
    let notice = match q.done.as_str() {
        "disabled" => Some(v.tr().t("user-disabled-notice")),
        "enabled" => Some(v.tr().t("user-enabled-notice")),
        _ => None,
    };
    page(&state, &v, form, vec![], Errors::none(v.tr()), notice).await
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
    match state.app.administration().create_user(&v.ctx, &input).await {
        Ok(_) => {
            let form = UserFormData { org_id: input.org_id, ..Default::default() };
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
    /// Set by the confirmation page: without it, disabling asks first.
    #[serde(default)]
    confirm: String,
}

#[derive(Template)]
#[template(path = "user_status_confirm.html")]
struct ConfirmPage {
    nav: Nav,
    id: String,
    name: String,
    email: String,
    version: i64,
    errors: Errors,
}

pub async fn set_status(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(f): UiForm<StatusForm>,
) -> Result<Response, WebError> {
    let id = UserId::parse(&id).ok_or_else(|| v.err(CoreError::NotFound))?;
    let u = state.app.administration().get_user(&v.ctx, &id).await.map_err(|e| v.err(e))?;
    let disable = f.disabled == "1";
    let confirm_page = |errors: Errors| ConfirmPage {
        nav: Nav::for_viewer(&v, "users"),
        id: u.id.to_string(),
        name: u.display_name.clone(),
        email: u.email.clone(),
        version: f.version,
        errors,
    };
    // Disabling ends the person's sessions and locks them out: ask first.
    if disable && f.confirm != "1" {
        return render(&confirm_page(Errors::none(v.tr())));
    }
    let upd = UserUpdate {
        display_name: u.display_name.clone(),
        roles: u.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        locale: u.locale.map(|l| l.as_str().to_owned()),
        disabled: disable,
        version: f.version,
    };
    match state.app.administration().update_user(&v.ctx, &id, &upd).await {
        Ok(_) => Ok(Redirect::to(if disable { "/users?done=disabled" } else { "/users?done=enabled" }).into_response()),
        Err(CoreError::Validation(fields)) => {
            let mut r = render(&confirm_page(Errors { t: v.tr(), fields }))?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(CoreError::Conflict { .. }) => Ok(Redirect::to("/users").into_response()),
        Err(e) => Err(v.err(e)),
    }
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

/// The roles the edit form offers: those the viewer may grant in the account's
/// organisation, and those the account already holds (which may be kept or taken away).
fn role_choices(v: &Viewer, grantable: &[Role], held: &[Role]) -> Vec<(String, String)> {
    let t = v.tr();
    Role::ALL.iter().filter(|r| grantable.contains(r) || held.contains(r)).map(|r| (r.as_str().to_owned(), t.t(&r.label_key()))).collect()
}

fn describe(t: crate::i18n::Tr, name: &str, roles: &[String]) -> String {
    let labels: Vec<String> = roles.iter().filter_map(|r| Role::parse(r)).map(|r| t.t(&r.label_key())).collect();
    format!("{name} · {}", labels.join(", "))
}

#[allow(clippy::too_many_arguments)]
fn edit_page(
    v: &Viewer,
    u: &User,
    grantable: &[Role],
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
        roles: role_choices(v, grantable, &u.roles),
        errors,
        conflict,
        notice,
        temp_password,
    }
}

/// The roles the viewer may grant in the account's organisation.
async fn grants(state: &AppState, v: &Viewer, u: &User) -> Result<Vec<Role>, WebError> {
    state.app.administration().grantable_roles(&v.ctx, &u.org_id).await.map_err(|e| v.err(e))
}

fn parse_user_id(v: &Viewer, id: &str) -> Result<UserId, WebError> {
    UserId::parse(id).ok_or_else(|| v.err(CoreError::NotFound))
}

pub async fn edit_form(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = parse_user_id(&v, &id)?;
    let u = state.app.administration().user_for_edit(&v.ctx, &id).await.map_err(|e| v.err(e))?;
    render(&edit_page(&v, &u, &grants(&state, &v, &u).await?, Errors::none(v.tr()), None, None, None))
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
    let current = state.app.administration().user_for_edit(&v.ctx, &id).await.map_err(|e| v.err(e))?;
    let upd = UserUpdate {
        display_name: get("display_name"),
        roles: roles.clone(),
        locale: Some(get("locale")).filter(|l| !l.is_empty()),
        disabled: current.disabled,
        version: get("version").parse().unwrap_or(-1),
    };
    match state.app.administration().update_user(&v.ctx, &id, &upd).await {
        Ok(u) => render(&edit_page(&v, &u, &grants(&state, &v, &u).await?, Errors::none(v.tr()), None, Some(v.tr().t("user-saved")), None)),
        Err(CoreError::Validation(fields)) => {
            let mut page = edit_page(&v, &current, &grants(&state, &v, &current).await?, Errors { t: v.tr(), fields }, None, None, None);
            page.display_name = upd.display_name;
            page.form_roles = roles;
            let mut r = render(&page)?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(CoreError::Conflict { .. }) => {
            let fresh = state.app.administration().user_for_edit(&v.ctx, &id).await.map_err(|e| v.err(e))?;
            let theirs = describe(v.tr(), &fresh.display_name, &fresh.roles.iter().map(|r| r.as_str().to_owned()).collect::<Vec<_>>());
            let yours = describe(v.tr(), &upd.display_name, &roles);
            let mut page =
                edit_page(&v, &fresh, &grants(&state, &v, &fresh).await?, Errors::none(v.tr()), Some((theirs, yours)), None, None);
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
    match state.app.administration().reset_access(&v.ctx, &id, f.reset_mfa == "1").await {
        Ok((u, temp)) => {
            let u = state.app.administration().user_for_edit(&v.ctx, &u.id).await.map_err(|e| v.err(e))?;
            render(&edit_page(
                &v,
                &u,
                &grants(&state, &v, &u).await?,
                Errors::none(v.tr()),
                None,
                Some(v.tr().t("user-reset-done")),
                Some(temp),
            ))
        }
        Err(CoreError::Validation(fields)) => {
            let u = state.app.administration().user_for_edit(&v.ctx, &id).await.map_err(|e| v.err(e))?;
            let mut r = render(&edit_page(&v, &u, &grants(&state, &v, &u).await?, Errors { t: v.tr(), fields }, None, None, None))?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(v.err(e)),
    }
}
