//! Person pages: pseudonymous list, creation (also from a report, operation or inspection),
//! the person's file (screenings, decisions, referrals, assistance), purpose-gated identity
//! reveal, and editing (reached only through a reveal, since the form shows the identity).

use crate::extract::{UiForm, Viewer};
use crate::ui::fmt_time;
use crate::ui::pager::Pager;
use crate::ui::{Errors, Nav, render};
use crate::{AppState, WebError};
use amparo_core::CoreError;
use amparo_core::usecases::referrals::PersonFile;
use amparo_domain::PersonId;
use amparo_domain::paging::ListParams;
use amparo_domain::person::{DOCUMENT_TYPES, Identity, LANGUAGES, Person, PersonInput, PersonRole};
use amparo_domain::protection::{AssistanceKind, TraffickingStatus, assistance_details};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

pub struct Row {
    pub id: String,
    pub code: String,
    pub role: String,
    pub sex: String,
    pub age: String,
}

/// The person form's data, shared by every page that embeds it (`person_fields.html`).
pub struct PersonForm {
    pub form: PersonInput,
    pub errors: Errors,
    pub roles: Vec<(String, String)>,
    pub sexes: Vec<(String, String)>,
    pub languages: Vec<(String, String, bool)>,
    pub doc_types: Vec<(String, String)>,
    pub countries: Vec<(String, String)>,
    pub places: Vec<(String, String)>,
}

impl PersonForm {
    pub async fn new(state: &AppState, v: &Viewer, form: PersonInput, errors: Errors) -> Result<Self, WebError> {
        let t = v.tr();
        let chosen: Vec<&str> = form.languages.split(',').map(str::trim).collect();
        let lang = |l: &str| t.t(&format!("language-{l}"));
        let countries = state.app.system().list_countries(&v.ctx).await.map_err(|e| v.err(e))?;

        Ok(PersonForm {
            roles: PersonRole::ALL.iter().map(|r| (r.as_str().to_owned(), role_label(t, *r))).collect(),
            sexes: ["female", "male", "other", "unknown"].iter().map(|s| ((*s).to_owned(), t.t(&format!("sex-{s}")))).collect(),
            languages: LANGUAGES.iter().map(|l| ((*l).to_owned(), lang(l), chosen.contains(l))).collect(),
            doc_types: crate::ui::options(t, "doctype", DOCUMENT_TYPES),
            countries: crate::ui::country_choices(t, &countries),
            places: crate::ui::reports::places(state, v).await?,
            form,
            errors,
        })
    }
}

#[derive(Template)]
#[template(path = "persons.html")]
struct ListPage {
    nav: Nav,
    rows: Vec<Row>,
    can_create: bool,
    /// The new-person form, with what the user typed when it comes back with errors.
    pf: PersonForm,
    notice: Option<String>,
    pager: Pager,
}

/// An assistance type (code, label) and its details as (code, label).
type DetailGroup = (String, String, Vec<(String, String)>);

#[derive(Template)]
#[template(path = "person.html")]
struct ShowPage {
    /// Where the record came from: its kind's label, and a link to it when there is a page.
    source_link: Option<(String, Option<String>)>,
    nav: Nav,
    id: String,
    code: String,
    role: String,
    sex: String,
    age: String,
    profile: Vec<(String, String)>,
    identity: Vec<(String, String)>,
    file: PersonFile,
    screenings: Vec<ScreeningRow>,
    decisions: Vec<(String, String, String, String, bool)>,
    referrals: Vec<crate::ui::referrals::ReferralRow>,
    assistance: Vec<(String, String, String, String)>,
    decision_statuses: Vec<(String, String)>,
    services: Vec<(String, String)>,
    consent_by: Vec<(String, String)>,
    consent_methods: Vec<(String, String)>,
    assistance_kinds: Vec<(String, String)>,
    /// (type, its label, its details as (code, label)).
    assistance_details: Vec<DetailGroup>,
    countries: Vec<(String, String)>,
    final_screenings: Vec<(String, String)>,
    /// The edit form, shown after a reveal by those who may edit.
    edit: Option<PersonForm>,
    errors: Errors,
}

pub struct ScreeningRow {
    pub id: String,
    pub when: String,
    pub set: String,
    pub status: String,
    pub outcome: String,
    pub present: bool,
}

fn role_label(t: crate::i18n::Tr, r: PersonRole) -> String {
    t.t(&format!("personrole-{}", r.as_str().replace('_', "-")))
}
fn sex_label(t: crate::i18n::Tr, s: &Option<String>) -> String {
    s.as_ref().map(|s| t.t(&format!("sex-{s}"))).unwrap_or_default()
}
pub fn row(t: crate::i18n::Tr, p: &Person) -> Row {
    Row {
        id: p.id.to_string(),
        code: p.code.clone(),
        role: role_label(t, p.role),
        sex: sex_label(t, &p.sex),
        age: p.approx_age.map(|a| a.to_string()).unwrap_or_default(),
    }
}

async fn list_page(
    state: &AppState,
    v: &Viewer,
    q: &ListParams,
    form: PersonInput,
    errors: Errors,
    notice: Option<String>,
) -> Result<Response, WebError> {
    let t = v.tr();
    let page = state.app.protection().list_persons(&v.ctx, q).await.map_err(|e| v.err(e))?;
    let roles: Vec<&str> = amparo_domain::person::PersonRole::ALL.iter().map(|r| r.as_str()).collect();
    let pager = Pager::new("/persons", q, page.next_cursor.as_deref(), page.items.len()).with_statuses(t, "personrole", &roles);
    let persons = page.items;
    let can_create = v.can.create_person;
    render(&ListPage {
        nav: Nav::for_viewer(v, "persons"),
        rows: persons.iter().map(|p| row(t, p)).collect(),
        can_create,
        pf: PersonForm::new(state, v, form, errors).await?,
        notice,
        pager,
    })
}

pub async fn list(State(state): State<AppState>, v: Viewer, Query(q): Query<ListParams>) -> Result<Response, WebError> {
    list_page(&state, &v, &q, PersonInput::default(), Errors::none(v.tr()), None).await
}

pub async fn create(State(state): State<AppState>, v: Viewer, UiForm(form): UiForm<Vec<(String, String)>>) -> Result<Response, WebError> {
    let input = person_input(&form);
    match state.app.protection().create_person(&v.ctx, &input).await {
        Ok(p) => Ok(crate::ui::see_other(&format!("/persons/{}", p.id))),
        Err(CoreError::Validation(fields)) => {
            let mut r = list_page(&state, &v, &ListParams::default(), input, Errors { t: v.tr(), fields }, None).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(v.err(e)),
    }
}

pub(crate) async fn show_page(
    state: &AppState,
    v: &Viewer,
    id: &PersonId,
    identity: Option<Identity>,
    errors: Errors,
    edit_form: Option<PersonInput>,
) -> Result<Response, WebError> {
    let t = v.tr();
    let file = state.app.referrals().person_file(&v.ctx, id).await.map_err(|e| v.err(e))?;
    let p = &file.person;
    let names = crate::ui::reports::org_names(state, v).await?;
    let mut profile = Vec::new();
    let pr = &p.profile;
    let all_countries = state.app.system().list_countries(&v.ctx).await.map_err(|e| v.err(e))?;
    let country_name = |code: &str| {
        all_countries
            .iter()
            .find(|c| c.alpha2 == code)
            .map(|c| if t.code() == "es" { c.name_es.clone() } else { c.name_en.clone() })
            .unwrap_or_else(|| code.to_owned())
    };
    if let Some(n) = &pr.nationality {
        profile.push((t.t("person-nationality"), country_name(n)));
    }
    if let Some(l) = &pr.languages {
        profile.push((t.t("person-languages"), l.split(',').map(|x| t.t(&format!("language-{x}"))).collect::<Vec<_>>().join(", ")));
    }
    if let Some(d) = &pr.document_type {
        profile.push((t.t("person-doctype"), t.t(&format!("doctype-{}", d.replace('_', "-")))));
    }
    if let Some(a) = &pr.origin_area {
        let names = crate::ui::reports::place_names(state, v, std::iter::once(a.clone())).await?;
        profile.push((t.t("person-origin"), names.get(a).cloned().unwrap_or_else(|| a.clone())));
    } else if let Some(c) = &pr.origin_country {
        profile.push((t.t("person-origin"), country_name(c)));
    }
    // Where the record came from, as a link (an inspection, an operation, a report).
    let source_link = match (&pr.source_type, &pr.source_id) {
        (Some(st), Some(sid)) => {
            let path = match st.as_str() {
                "inspection" => Some(format!("/inspections/{sid}")),
                "operation" => Some(format!("/operations/{sid}")),
                "report" => Some(format!("/reports/{sid}")),
                _ => None,
            };
            Some((t.t(&format!("source-{st}")), path))
        }
        _ => None,
    };
    let shown = identity.as_ref().map(|i| identity_rows(t, i)).unwrap_or_default();
    let edit = match (identity.as_ref(), file.can_edit, edit_form) {
        (_, true, Some(form)) => Some(PersonForm::new(state, v, form, Errors::none(t)).await?),
        (Some(i), true, None) => Some(PersonForm::new(state, v, input_of(p, i), Errors::none(t)).await?),
        _ => None,
    };
    // The referral picker: a page of the directory (the newest 200 services), not the whole
    // country's.
    let first = amparo_domain::paging::ListParams { limit: Some(amparo_domain::paging::MAX_LIMIT.to_string()), ..Default::default() };
    let mut services = state.app.referrals().services_page(&v.ctx, None, &first).await.map_err(|e| v.err(e))?.items;
    services.sort_by(|a, b| a.region.cmp(&b.region).then_with(|| a.name.cmp(&b.name)));
    let countries = state.app.system().list_countries(&v.ctx).await.map_err(|e| v.err(e))?;
    let kinds: Vec<&str> = AssistanceKind::ALL.iter().map(|k| k.as_str()).collect();
    // Details grouped by their type: the form shows only the chosen type's details (a small
    // script; without it the groups still say which detail belongs to which type).
    let mut details = Vec::new();
    for k in AssistanceKind::ALL {
        details.push((
            k.as_str().to_owned(),
            t.t(&format!("akind-{}", k.as_str().replace('_', "-"))),
            assistance_details(*k).iter().map(|d| ((*d).to_owned(), t.t(&format!("adetail-{}", d.replace('_', "-"))))).collect::<Vec<_>>(),
        ));
    }
    render(&ShowPage {
        nav: Nav::for_viewer(v, "persons"),
        id: p.id.to_string(),
        code: p.code.clone(),
        role: role_label(t, p.role),
        sex: sex_label(t, &p.sex),
        age: p.approx_age.map(|a| a.to_string()).unwrap_or_default(),
        profile,
        source_link,
        identity: shown,
        screenings: file.screenings.iter().map(|s| crate::ui::screening::row(t, s)).collect(),
        decisions: file
            .decisions
            .iter()
            .map(|d| {
                (
                    d.decided_on.clone(),
                    t.t(&format!("tstatus-{}", d.status.as_str())),
                    names.get(&d.org_id).cloned().unwrap_or_default(),
                    d.basis.clone().unwrap_or_default(),
                    d.current,
                )
            })
            .collect(),
        referrals: file.referrals.iter().map(|r| crate::ui::referrals::referral_row(t, r, &names)).collect(),
        assistance: file
            .assistance
            .iter()
            .map(|a| {
                (
                    a.fields.started_on.clone(),
                    t.t(&format!("akind-{}", a.fields.kind.as_str().replace('_', "-"))),
                    t.t(&format!("adetail-{}", a.fields.detail.replace('_', "-"))),
                    a.fields.country.clone().unwrap_or_default(),
                )
            })
            .collect(),
        decision_statuses: TraffickingStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), t.t(&format!("tstatus-{}", s.as_str()))))
            .collect(),
        services: services
            .iter()
            .map(|s| {
                (
                    s.id.clone(),
                    format!("{} — {} ({}/{})", s.name, t.t(&format!("skind-{}", s.kind.replace('_', "-"))), s.occupancy, s.capacity),
                )
            })
            .collect(),
        consent_by: crate::ui::options(t, "consentby", &["person", "guardian", "authority"]),
        consent_methods: crate::ui::options(t, "consentmethod", &["written", "verbal", "recorded"]),
        assistance_kinds: crate::ui::options(t, "akind", &kinds),
        assistance_details: details,
        countries: crate::ui::country_choices(t, &countries),
        final_screenings: file
            .screenings
            .iter()
            .filter(|s| s.status == "final")
            .map(|s| (s.id.clone(), format!("{} · {}", fmt_time(s.created_at), t.t(&format!("outcome-{}", s.evaluation.outcome.as_str())))))
            .collect(),
        edit,
        file,
        errors,
    })
}

fn identity_rows(t: crate::i18n::Tr, identity: &Identity) -> Vec<(String, String)> {
    let labels = [
        ("given_names", "person-given"),
        ("first_surname", "person-surname1"),
        ("second_surname", "person-surname2"),
        ("aliases", "person-aliases"),
        ("birth_date", "person-birthdate"),
        ("document_number", "person-doc"),
        ("phone", "person-phone"),
        ("address", "person-address"),
        ("narrative", "person-narrative"),
    ];
    let fields = identity.columns();
    labels
        .iter()
        .filter_map(|(col, key)| fields.iter().find(|(c, _)| c == col).and_then(|(_, v)| v.map(|v| (t.t(key), v.to_owned()))))
        .collect()
}

fn input_of(p: &Person, i: &Identity) -> PersonInput {
    let o = |x: &Option<String>| x.clone().unwrap_or_default();
    PersonInput {
        role: p.role.as_str().into(),
        sex: o(&p.sex),
        approx_age: p.approx_age.map(|a| a.to_string()).unwrap_or_default(),
        given_names: o(&i.given_names),
        first_surname: o(&i.first_surname),
        second_surname: o(&i.second_surname),
        aliases: o(&i.aliases),
        document_number: o(&i.document_number),
        phone: o(&i.phone),
        address: o(&i.address),
        narrative: o(&i.narrative),
        birth_date: o(&i.birth_date),
        nationality: o(&p.profile.nationality),
        languages: o(&p.profile.languages),
        document_type: o(&p.profile.document_type),
        origin_area: o(&p.profile.origin_area),
        origin_country: o(&p.profile.origin_country),
        source_type: String::new(),
        source_id: String::new(),
        version: p.version.to_string(),
    }
}

/// A person form arrives with `languages` repeated (checkboxes); fold it into one field.
pub fn person_input(form: &[(String, String)]) -> PersonInput {
    let get = |k: &str| crate::ui::field(form, k);
    PersonInput {
        role: get("role"),
        sex: get("sex"),
        approx_age: get("approx_age"),
        given_names: get("given_names"),
        first_surname: get("first_surname"),
        second_surname: get("second_surname"),
        aliases: get("aliases"),
        document_number: get("document_number"),
        phone: get("phone"),
        address: get("address"),
        narrative: get("narrative"),
        birth_date: get("birth_date"),
        nationality: get("nationality"),
        languages: form.iter().filter(|(k, _)| k == "languages").map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(","),
        document_type: get("document_type"),
        origin_area: get("origin_area"),
        origin_country: get("origin_country"),
        source_type: get("source_type"),
        source_id: get("source_id"),
        version: get("version"),
    }
}

pub async fn show(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Result<Response, WebError> {
    let id = PersonId::parse(&id).ok_or_else(|| v.err(CoreError::NotFound))?;
    show_page(&state, &v, &id, None, Errors::none(v.tr()), None).await
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
    match state.app.protection().reveal_person(&v.ctx, &id, &f.purpose).await {
        Ok((_, identity)) => show_page(&state, &v, &id, Some(identity), Errors::none(v.tr()), None).await,
        Err(e) => crate::ui::with_errors(&v, e, |errors| show_page(&state, &v, &id, None, errors, None)).await,
    }
}

/// Save the edit form. A stale version comes back as 409 with the user's input kept.
pub async fn update(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    UiForm(form): UiForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let id = PersonId::parse(&id).ok_or_else(|| v.err(CoreError::NotFound))?;
    let input = person_input(&form);
    match state.app.protection().update_person(&v.ctx, &id, &input).await {
        Ok(p) => Ok(crate::ui::see_other(&format!("/persons/{}", p.id))),
        Err(e) => crate::ui::with_errors(&v, e, |errors| show_page(&state, &v, &id, None, errors, Some(input.clone()))).await,
    }
}
