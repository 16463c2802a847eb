//! Person pages: pseudonymous list, creation, and purpose-gated identity reveal.

use super::{Errors, Nav, render};
use crate::extract::{UiForm, Viewer};
use crate::{AppState, WebError};
use amparo_core::CoreError;
use amparo_domain::PersonId;
use amparo_domain::person::{Person, PersonInput, PersonRole};
use amparo_domain::policy::{Action, Relation, authorize};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

pub struct Row {
    id: String,
    code: String,
    role: String,
    sex: String,
    age: String,
}

#[derive(Template)]
#[template(path = "persons.html")]
struct ListPage {
    nav: Nav,
    rows: Vec<Row>,
    can_create: bool,
    /// What the user typed, kept when the form comes back with errors.
    form: PersonInput,
    errors: Errors,
    roles: Vec<(String, String)>,
    sexes: Vec<(String, String)>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "person.html")]
struct ShowPage {
    nav: Nav,
    id: String,
    code: String,
    role: String,
    sex: String,
    age: String,
    identity: Vec<(String, String)>,
    errors: Errors,
}

fn role_label(t: crate::i18n::Tr, r: PersonRole) -> String {
    t.t(&format!("personrole-{}", r.as_str().replace('_', "-")))
}
fn sex_label(t: crate::i18n::Tr, s: &Option<String>) -> String {
    s.as_ref().map(|s| t.t(&format!("sex-{s}"))).unwrap_or_default()
}
fn row(t: crate::i18n::Tr, p: &Person) -> Row {
    Row {
        id: p.id.to_string(),
        code: p.code.clone(),
        role: role_label(t, p.role),
        sex: sex_label(t, &p.sex),
        age: p.approx_age.map(|a| a.to_string()).unwrap_or_default(),
    }
}

async fn list_page(state: &AppState, v: &Viewer, form: PersonInput, errors: Errors, notice: Option<String>) -> Result<Response, WebError> {
    let t = v.tr();
    let persons = state.app.list_persons(&v.ctx).await.map_err(|e| v.err(e))?;
    let can_create = v.ctx.actor.as_ref().map(|a| authorize(a, Action::CreatePerson, Relation::OwnOrgScope).is_ok()).unwrap_or(false);
    render(&ListPage {
        nav: Nav::for_viewer(v, "persons"),
        rows: persons.iter().map(|p| row(t, p)).collect(),
        can_create,
        form,
        errors,
        roles: PersonRole::ALL.iter().map(|r| (r.as_str().to_owned(), role_label(t, *r))).collect(),
        sexes: ["female", "male", "other", "unknown"].iter().map(|s| ((*s).to_owned(), t.t(&format!("sex-{s}")))).collect(),
        notice,
    })
}

pub async fn list(State(state): State<AppState>, v: Viewer) -> Result<Response, WebError> {
    list_page(&state, &v, PersonInput::default(), Errors::none(v.tr()), None).await
}

pub async fn create(State(state): State<AppState>, v: Viewer, UiForm(input): UiForm<PersonInput>) -> Result<Response, WebError> {
    match state.app.create_person(&v.ctx, &input).await {
        Ok(p) => {
            list_page(&state, &v, PersonInput::default(), Errors::none(v.tr()), Some(format!("{} {}", v.tr().t("person-created"), p.code)))
                .await
        }
        Err(CoreError::Validation(fields)) => {
            let mut r = list_page(&state, &v, input, Errors { t: v.tr(), fields }, None).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(v.err(e)),
    }
}

fn show_page(v: &Viewer, p: &Person, identity: Vec<(String, String)>, errors: Errors) -> Result<Response, WebError> {
    let t = v.tr();
    render(&ShowPage {
        nav: Nav::for_viewer(v, "persons"),
        id: p.id.to_string(),
        code: p.code.clone(),
        role: role_label(t, p.role),
        sex: sex_label(t, &p.sex),
        age: p.approx_age.map(|a| a.to_string()).unwrap_or_default(),
        identity,
        errors,
    })
}

pub async fn show(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = PersonId::parse(&id).ok_or_else(|| v.err(CoreError::NotFound))?;
    let p = state.app.get_person(&v.ctx, &id).await.map_err(|e| v.err(e))?;
    show_page(&v, &p, vec![], Errors::none(v.tr()))
}

#[derive(Deserialize)]
pub struct RevealForm {
    #[serde(default)]
    purpose: String,
}

pub async fn reveal(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(f): UiForm<RevealForm>,
) -> Result<Response, WebError> {
    let id = PersonId::parse(&id).ok_or_else(|| v.err(CoreError::NotFound))?;
    let t = v.tr();
    match state.app.reveal_person(&v.ctx, &id, &f.purpose).await {
        Ok((p, identity)) => {
            let labels = [
                ("given_names", "person-given"),
                ("first_surname", "person-surname1"),
                ("second_surname", "person-surname2"),
                ("aliases", "person-aliases"),
                ("document_number", "person-doc"),
                ("phone", "person-phone"),
                ("address", "person-address"),
                ("narrative", "person-narrative"),
            ];
            let fields = identity.columns();
            let shown = labels
                .iter()
                .filter_map(|(col, key)| fields.iter().find(|(c, _)| c == col).and_then(|(_, v)| v.map(|v| (t.t(key), v.to_owned()))))
                .collect();
            show_page(&v, &p, shown, Errors::none(t))
        }
        Err(CoreError::Validation(fields)) => {
            let p = state.app.get_person(&v.ctx, &id).await.map_err(|e| v.err(e))?;
            let mut r = show_page(&v, &p, vec![], Errors { t, fields })?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(v.err(e)),
    }
}
