//! Field records: police operations (date, place, unit, persons found, rescued) and labour
//! inspections (workplace, ISIC sector, workers found, forced-labour indicators observed).
//! Persons found are recorded from the record's page, so each keeps its source.

use crate::extract::{UiForm, Viewer};
use crate::ui::pager::Pager;
use crate::ui::persons::PersonForm;
use crate::ui::{Errors, Nav, options, render, see_other, with_errors};
use crate::{AppState, WebError};
use amparo_domain::intake::{Exploitation, FORCED_LABOUR_INDICATORS, ISIC_SECTIONS, InspectionInput, OperationInput};
use amparo_domain::paging::ListParams;
use amparo_domain::person::PersonInput;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;

#[derive(Template)]
#[template(path = "operations.html")]
struct OperationsPage {
    nav: Nav,
    rows: Vec<(String, String, String, String, i64, i64)>,
    can_create: bool,
    form: OperationInput,
    errors: Errors,
    exploitations: Vec<(String, String)>,
    pager: Pager,
    places: Vec<(String, String)>,
}

async fn operations_page(state: &AppState, v: &Viewer, q: &ListParams, form: OperationInput, errors: Errors) -> Result<Response, WebError> {
    let t = v.tr();
    let page = state.app.intake().operations_page(&v.ctx, q).await.map_err(|e| v.err(e))?;
    let places = crate::ui::reports::places(state, v).await?;
    let pager = Pager::new("/operations", q, page.next_cursor.as_deref(), page.items.len()).with_regions(places.clone());
    // Places by name, as people say them; the code only where no name is known.
    let names = crate::ui::reports::place_names(state, v, page.items.iter().map(|o| o.fields.place.clone())).await?;
    render(&OperationsPage {
        nav: Nav::for_viewer(v, "operations"),
        rows: page
            .items
            .iter()
            .map(|o| {
                let f = &o.fields;
                let ex = t.t(&format!("exploitation-{}", f.exploitation.as_str().replace('_', "-")));
                let place = names.get(&f.place).cloned().unwrap_or_else(|| f.place.clone());
                (o.id.clone(), f.date.clone(), place, ex, f.persons_found, f.rescued)
            })
            .collect(),
        pager,
        can_create: v.can.record_operation,
        form,
        errors,
        exploitations: options(t, "exploitation", &Exploitation::ALL.iter().map(|e| e.as_str()).collect::<Vec<_>>()),
        places,
    })
}

pub async fn operations(State(state): State<AppState>, v: Viewer, Query(q): Query<ListParams>) -> Result<Response, WebError> {
    operations_page(&state, &v, &q, OperationInput::default(), Errors::none(v.tr())).await
}

pub async fn create_operation(
    State(state): State<AppState>,
    v: Viewer,
    UiForm(input): UiForm<OperationInput>,
) -> Result<Response, WebError> {
    match state.app.intake().create_operation(&v.ctx, &input).await {
        Ok(o) => Ok(see_other(&format!("/operations/{}", o.id))),
        Err(e) => {
            let first = ListParams::default();
            with_errors(&v, e, |errors| operations_page(&state, &v, &first, input.clone(), errors)).await
        }
    }
}

#[derive(Template)]
#[template(path = "fieldwork_record.html")]
struct RecordPage {
    nav: Nav,
    title: String,
    facts: Vec<(String, String)>,
    notes: String,
    persons: Vec<crate::ui::persons::Row>,
    can_add_person: bool,
    pf: PersonForm,
}

pub async fn operation(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Result<Response, WebError> {
    let t = v.tr();
    let o = state.app.intake().get_operation(&v.ctx, &id).await.map_err(|e| v.err(e))?;
    let f = &o.fields;
    let place = crate::ui::reports::place_names(&state, &v, std::iter::once(f.place.clone()))
        .await?
        .get(&f.place)
        .cloned()
        .unwrap_or_else(|| f.place.clone());
    let facts = vec![
        (t.t("op-date"), f.date.clone()),
        (t.t("report-place"), place),
        (t.t("op-place-detail"), o.place_detail.clone().unwrap_or_default()),
        (t.t("report-exploitation"), t.t(&format!("exploitation-{}", f.exploitation.as_str().replace('_', "-")))),
        (t.t("op-found"), f.persons_found.to_string()),
        (t.t("op-rescued"), f.rescued.to_string()),
    ];
    let form = PersonInput { role: "possible_victim".into(), source_type: "operation".into(), source_id: id.clone(), ..Default::default() };
    render(&RecordPage {
        nav: Nav::for_viewer(&v, "operations"),
        title: format!("{} {}", t.t("op-title-one"), f.date),
        facts,
        notes: o.notes.clone().unwrap_or_default(),
        persons: o.persons.iter().map(|p| crate::ui::persons::row(t, p)).collect(),
        can_add_person: v.can.create_person,
        pf: PersonForm::new(&state, &v, form, Errors::none(t)).await?,
    })
}

#[derive(Template)]
#[template(path = "inspections.html")]
struct InspectionsPage {
    nav: Nav,
    rows: Vec<(String, String, String, String, i64, usize)>,
    can_create: bool,
    form: InspectionInput,
    errors: Errors,
    sectors: Vec<(String, String)>,
    indicators: Vec<(String, String, bool)>,
    places: Vec<(String, String)>,
    pager: Pager,
}

async fn inspections_page(
    state: &AppState,
    v: &Viewer,
    q: &ListParams,
    form: InspectionInput,
    errors: Errors,
) -> Result<Response, WebError> {
    let t = v.tr();
    let es = t.code() == "es";
    let page = state.app.intake().inspections_page(&v.ctx, q).await.map_err(|e| v.err(e))?;
    let places = crate::ui::reports::places(state, v).await?;
    let pager = Pager::new("/inspections", q, page.next_cursor.as_deref(), page.items.len()).with_regions(places.clone());
    let names = crate::ui::reports::place_names(state, v, page.items.iter().map(|i| i.fields.place.clone())).await?;
    render(&InspectionsPage {
        nav: Nav::for_viewer(v, "inspections"),
        rows: page
            .items
            .iter()
            .map(|i| {
                let f = &i.fields;
                let place = names.get(&f.place).cloned().unwrap_or_else(|| f.place.clone());
                (i.id.clone(), f.date.clone(), place, f.isic.clone(), f.workers_found, f.indicators.len())
            })
            .collect(),
        pager,
        can_create: v.can.record_inspection,
        sectors: ISIC_SECTIONS.iter().map(|(c, en, sp)| ((*c).to_owned(), format!("{c} — {}", if es { sp } else { en }))).collect(),
        indicators: FORCED_LABOUR_INDICATORS
            .iter()
            .map(|(id, en, sp)| ((*id).to_owned(), (if es { *sp } else { *en }).to_owned(), form.indicators.iter().any(|x| x == id)))
            .collect(),
        form,
        errors,
        places,
    })
}

pub async fn inspections(State(state): State<AppState>, v: Viewer, Query(q): Query<ListParams>) -> Result<Response, WebError> {
    inspections_page(&state, &v, &q, InspectionInput::default(), Errors::none(v.tr())).await
}

pub async fn create_inspection(
    State(state): State<AppState>,
    v: Viewer,
    UiForm(form): UiForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let get = |k: &str| crate::ui::field(&form, k);
    let input = InspectionInput {
        date: get("date"),
        place: get("place"),
        workplace: get("workplace"),
        isic: get("isic"),
        workers_found: get("workers_found"),
        indicators: crate::ui::fields(&form, "indicators"),
        report_id: get("report_id"),
        notes: get("notes"),
    };
    match state.app.intake().create_inspection(&v.ctx, &input).await {
        Ok(i) => Ok(see_other(&format!("/inspections/{}", i.id))),
        Err(e) => {
            let first = ListParams::default();
            with_errors(&v, e, |errors| inspections_page(&state, &v, &first, input.clone(), errors)).await
        }
    }
}

pub async fn inspection(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Result<Response, WebError> {
    let t = v.tr();
    let es = t.code() == "es";
    let i = state.app.intake().get_inspection(&v.ctx, &id).await.map_err(|e| v.err(e))?;
    let f = &i.fields;
    let ind: Vec<String> = f
        .indicators
        .iter()
        .filter_map(|x| {
            FORCED_LABOUR_INDICATORS.iter().find(|(id, _, _)| id == x).map(|(_, en, sp)| (if es { *sp } else { *en }).to_owned())
        })
        .collect();
    let place = crate::ui::reports::place_names(&state, &v, std::iter::once(f.place.clone()))
        .await?
        .get(&f.place)
        .cloned()
        .unwrap_or_else(|| f.place.clone());
    let facts = vec![
        (t.t("op-date"), f.date.clone()),
        (t.t("report-place"), place),
        (t.t("insp-workplace"), i.workplace.clone()),
        (t.t("insp-isic"), crate::ui::isic_label(t, &f.isic)),
        (t.t("insp-workers"), f.workers_found.to_string()),
        (t.t("insp-indicators"), ind.join("; ")),
    ];
    let form =
        PersonInput { role: "possible_victim".into(), source_type: "inspection".into(), source_id: id.clone(), ..Default::default() };
    render(&RecordPage {
        nav: Nav::for_viewer(&v, "inspections"),
        title: format!("{} {}", t.t("insp-title-one"), f.date),
        facts,
        notes: i.notes.clone().unwrap_or_default(),
        persons: i.persons.iter().map(|p| crate::ui::persons::row(t, p)).collect(),
        can_add_person: v.can.create_person,
        pf: PersonForm::new(&state, &v, form, Errors::none(t)).await?,
    })
}
