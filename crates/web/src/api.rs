//! JSON API handlers under `/api/v1`. Each is a thin translation to one core use case.

use crate::extract::{ApiCaller, ApiJson};
use crate::{AppState, WebError};
use amparo_core::store::AuditFilter;
use amparo_core::usecases::users::UserUpdate;
use amparo_domain::org::OrgInput;
use amparo_domain::paging::ListParams;
use amparo_domain::person::PersonInput;
use amparo_domain::user::UserInput;
use amparo_domain::{OrgId, PersonId, UserId};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

type ApiResult = Result<(StatusCode, Json<Value>), WebError>;

fn ok(v: impl serde::Serialize) -> ApiResult {
    Ok((StatusCode::OK, Json(serde_json::to_value(v).unwrap_or(Value::Null))))
}
fn created(v: impl serde::Serialize) -> ApiResult {
    Ok((StatusCode::CREATED, Json(serde_json::to_value(v).unwrap_or(Value::Null))))
}

fn org_id(c: &ApiCaller, s: &str) -> Result<OrgId, WebError> {
    OrgId::parse(s).ok_or_else(|| c.err(amparo_core::CoreError::NotFound))
}
fn user_id(c: &ApiCaller, s: &str) -> Result<UserId, WebError> {
    UserId::parse(s).ok_or_else(|| c.err(amparo_core::CoreError::NotFound))
}
fn person_id(c: &ApiCaller, s: &str) -> Result<PersonId, WebError> {
    PersonId::parse(s).ok_or_else(|| c.err(amparo_core::CoreError::NotFound))
}

pub async fn me(c: ApiCaller) -> ApiResult {
    ok(
        json!({ "id": c.user.id, "email": c.user.email, "display_name": c.user.display_name, "org_id": c.user.org_id, "roles": c.user.roles }),
    )
}

pub async fn orgs_list(State(s): State<AppState>, c: ApiCaller, Query(q): Query<ListParams>) -> ApiResult {
    let all = s.app.administration().list_orgs(&c.ctx).await.map_err(|e| c.err(e))?;
    let key = |o: &amparo_domain::org::Organisation| format!("{}\u{1f}{}", o.name.to_lowercase(), o.id);
    ok(s.app.page_in_memory(&c.ctx, "organisations", all, key, &q).map_err(|e| c.err(e))?)
}

pub async fn orgs_create(State(s): State<AppState>, c: ApiCaller, ApiJson(input): ApiJson<OrgInput>) -> ApiResult {
    created(s.app.administration().create_org(&c.ctx, &input).await.map_err(|e| c.err(e))?)
}

pub async fn orgs_get(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> ApiResult {
    let id = org_id(&c, &id)?;
    ok(s.app.administration().get_org(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize)]
pub struct OrgUpdateBody {
    #[serde(flatten)]
    input: OrgInput,
    version: i64,
}

pub async fn orgs_update(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>, ApiJson(b): ApiJson<OrgUpdateBody>) -> ApiResult {
    let id = org_id(&c, &id)?;
    ok(s.app.administration().update_org(&c.ctx, &id, &b.input, b.version).await.map_err(|e| c.err(e))?)
}

pub async fn users_list(State(s): State<AppState>, c: ApiCaller, Query(q): Query<ListParams>) -> ApiResult {
    let all = s.app.administration().list_users(&c.ctx).await.map_err(|e| c.err(e))?;
    // By account id: a cursor never carries an e-mail address into a URL.
    ok(s.app.page_in_memory(&c.ctx, "users", all, |u| u.id.to_string(), &q).map_err(|e| c.err(e))?)
}

pub async fn users_create(State(s): State<AppState>, c: ApiCaller, ApiJson(input): ApiJson<UserInput>) -> ApiResult {
    created(s.app.administration().create_user(&c.ctx, &input).await.map_err(|e| c.err(e))?)
}

pub async fn users_get(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> ApiResult {
    let id = user_id(&c, &id)?;
    ok(s.app.administration().get_user(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

pub async fn users_update(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>, ApiJson(b): ApiJson<UserUpdate>) -> ApiResult {
    let id = user_id(&c, &id)?;
    ok(s.app.administration().update_user(&c.ctx, &id, &b).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    record_id: Option<String>,
    outcome: Option<String>,
    since: Option<i64>,
    until: Option<i64>,
    before_seq: Option<i64>,
    limit: Option<i64>,
}

impl AuditQuery {
    pub fn filter(self) -> AuditFilter {
        let nz = |o: Option<String>| o.filter(|s| !s.trim().is_empty());
        AuditFilter {
            actor: nz(self.actor),
            actor_org: None,
            action: nz(self.action),
            record_id: nz(self.record_id),
            outcome: nz(self.outcome),
            since: self.since,
            until: self.until,
            before_seq: self.before_seq,
            limit: self.limit.unwrap_or(100),
        }
    }
}

pub async fn audit_list(
    State(s): State<AppState>,
    c: ApiCaller,
    q: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let Ok(Query(q)) = q else {
        return Err(WebError::BadRequest {
            code: "bad_request",
            op: c.op.clone(),
            api: true,
            tr: crate::i18n::Tr::new(crate::i18n::Lang::En),
        });
    };
    ok(s.app.system().list_audit(&c.ctx, q.filter()).await.map_err(|e| c.err(e))?)
}

pub async fn persons_list(State(s): State<AppState>, c: ApiCaller, Query(q): Query<ListParams>) -> ApiResult {
    ok(s.app.protection().list_persons(&c.ctx, &q).await.map_err(|e| c.err(e))?)
}

pub async fn persons_create(State(s): State<AppState>, c: ApiCaller, ApiJson(input): ApiJson<PersonInput>) -> ApiResult {
    created(s.app.protection().create_person(&c.ctx, &input).await.map_err(|e| c.err(e))?)
}

pub async fn persons_get(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> ApiResult {
    let id = person_id(&c, &id)?;
    ok(s.app.protection().get_person(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize)]
pub struct RevealBody {
    purpose: String,
}

pub async fn persons_reveal(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>, ApiJson(b): ApiJson<RevealBody>) -> ApiResult {
    let id = person_id(&c, &id)?;
    let (person, identity) = s.app.protection().reveal_person(&c.ctx, &id, &b.purpose).await.map_err(|e| c.err(e))?;
    ok(json!({ "person": person, "identity": identity }))
}

pub async fn countries(State(s): State<AppState>, c: ApiCaller, Query(q): Query<ListParams>) -> ApiResult {
    let all = s.app.system().list_countries(&c.ctx).await.map_err(|e| c.err(e))?;
    ok(s.app.page_in_memory(&c.ctx, "countries", all, |x| x.alpha2.clone(), &q).map_err(|e| c.err(e))?)
}

#[derive(Deserialize)]
pub struct AreaQuery {
    country: Option<String>,
    parent: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

pub async fn areas(State(s): State<AppState>, c: ApiCaller, Query(q): Query<AreaQuery>) -> ApiResult {
    let country = q.country.unwrap_or_else(|| s.app.profile().country.clone()).to_ascii_uppercase();
    let all = s.app.system().list_areas(&c.ctx, &country, q.parent.as_deref()).await.map_err(|e| c.err(e))?;
    let page = ListParams { limit: q.limit, cursor: q.cursor, ..Default::default() };
    ok(s.app.page_in_memory(&c.ctx, "areas", all, |a| a.code.clone(), &page).map_err(|e| c.err(e))?)
}

// -- protection ----------------------------------------------------------------------------

pub async fn instruments_list(State(s): State<AppState>, c: ApiCaller, Query(q): Query<ListParams>) -> ApiResult {
    let list = s.app.identification().list_instruments(&c.ctx).await.map_err(|e| c.err(e))?;
    let rows: Vec<Value> = list
        .iter()
        .map(|i| json!({ "id": i.id, "family": i.family, "version": i.version, "title_en": i.title_en, "title_es": i.title_es, "sets": i.sets.iter().map(|s| &s.key).collect::<Vec<_>>() }))
        .collect();
    // Family, then version as a number (v10 after v9).
    let key = |v: &Value| format!("{}\u{1f}{:012}", v["family"].as_str().unwrap_or(""), v["version"].as_i64().unwrap_or(0));
    ok(s.app.page_in_memory(&c.ctx, "instruments", rows, key, &q).map_err(|e| c.err(e))?)
}

pub async fn instruments_get(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> ApiResult {
    ok(s.app.identification().get_instrument(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

pub async fn instruments_publish(
    State(s): State<AppState>,
    c: ApiCaller,
    ApiJson(d): ApiJson<amparo_domain::screening::Instrument>,
) -> ApiResult {
    created(s.app.identification().publish_instrument(&c.ctx, d).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize)]
pub struct EvaluateBody {
    #[serde(default)]
    set: String,
    #[serde(default)]
    indicators: Vec<String>,
}

/// Stores nothing: for training, tests and the live form.
pub async fn instruments_evaluate(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<EvaluateBody>,
) -> ApiResult {
    ok(s.app.identification().evaluate_screening(&c.ctx, &id, &b.set, &b.indicators).await.map_err(|e| c.err(e))?)
}

pub async fn persons_update(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PersonInput>,
) -> ApiResult {
    let id = person_id(&c, &id)?;
    ok(s.app.protection().update_person(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn persons_file(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> ApiResult {
    let id = person_id(&c, &id)?;
    ok(s.app.referrals().person_file(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

pub async fn screenings_create(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_core::usecases::identification::ScreeningInput>,
) -> ApiResult {
    let id = person_id(&c, &id)?;
    created(s.app.identification().create_screening(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn screenings_get(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> ApiResult {
    ok(s.app.identification().get_screening(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

pub async fn screenings_update(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_core::usecases::identification::ScreeningInput>,
) -> ApiResult {
    ok(s.app.identification().update_screening(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn decisions_create(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_domain::protection::DecisionInput>,
) -> ApiResult {
    let id = person_id(&c, &id)?;
    created(s.app.identification().record_decision(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

/// `{queue, sent, next_cursor}`: the queue is paged (`?limit=&cursor=&status=`), `sent` is the
/// fifty most recent.
pub async fn reports_list(State(s): State<AppState>, c: ApiCaller, Query(q): Query<ListParams>) -> ApiResult {
    ok(s.app.intake().report_queue(&c.ctx, &q).await.map_err(|e| c.err(e))?)
}

pub async fn reports_create(
    State(s): State<AppState>,
    c: ApiCaller,
    ApiJson(input): ApiJson<amparo_domain::intake::ReportInput>,
) -> ApiResult {
    created(s.app.intake().create_report(&c.ctx, &input).await.map_err(|e| c.err(e))?)
}

pub async fn reports_get(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> ApiResult {
    ok(s.app.intake().get_report(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

pub async fn reports_triage(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_core::usecases::intake::TriageInput>,
) -> ApiResult {
    ok(s.app.intake().triage_report(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn operations_create(
    State(s): State<AppState>,
    c: ApiCaller,
    ApiJson(input): ApiJson<amparo_domain::intake::OperationInput>,
) -> ApiResult {
    created(s.app.intake().create_operation(&c.ctx, &input).await.map_err(|e| c.err(e))?)
}

pub async fn inspections_create(
    State(s): State<AppState>,
    c: ApiCaller,
    ApiJson(input): ApiJson<amparo_domain::intake::InspectionInput>,
) -> ApiResult {
    created(s.app.intake().create_inspection(&c.ctx, &input).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize)]
pub struct ServiceQuery {
    kind: Option<String>,
    region: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

pub async fn services_list(State(s): State<AppState>, c: ApiCaller, Query(q): Query<ServiceQuery>) -> ApiResult {
    let page = ListParams { limit: q.limit.clone(), cursor: q.cursor.clone(), region: q.region.clone(), ..Default::default() };
    ok(s.app.referrals().services_page(&c.ctx, q.kind.as_deref(), &page).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize)]
pub struct ServiceBody {
    #[serde(flatten)]
    input: amparo_domain::protection::ServiceInput,
    #[serde(default)]
    org_id: Option<String>,
}

pub async fn services_create(State(s): State<AppState>, c: ApiCaller, ApiJson(b): ApiJson<ServiceBody>) -> ApiResult {
    let org = match b.org_id.as_deref().filter(|o| !o.is_empty()) {
        Some(o) => Some(org_id(&c, o)?),
        None => None,
    };
    created(s.app.referrals().create_service(&c.ctx, org.as_ref(), &b.input).await.map_err(|e| c.err(e))?)
}

/// `{incoming, outgoing, incoming_cursor, outgoing_cursor}`: each box a page (see
/// `Referrals::list_referrals`), `?limit=&status=&region=&from=&to=` for both, and
/// `?incoming_cursor=` / `?outgoing_cursor=` to page one.
pub async fn referrals_list(State(s): State<AppState>, c: ApiCaller, Query(q): Query<crate::ui::referrals::ReferralsQuery>) -> ApiResult {
    let boxes = s
        .app
        .referrals()
        .list_referrals(&c.ctx, &q.params, q.incoming_cursor.as_deref(), q.outgoing_cursor.as_deref())
        .await
        .map_err(|e| c.err(e))?;
    ok(boxes)
}

pub async fn referrals_create(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_domain::protection::ReferralInput>,
) -> ApiResult {
    let id = person_id(&c, &id)?;
    created(s.app.referrals().create_referral(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn referrals_act(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_core::usecases::referrals::ReferralActInput>,
) -> ApiResult {
    ok(s.app.referrals().act_on_referral(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn assistance_create(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_domain::protection::AssistanceInput>,
) -> ApiResult {
    let id = person_id(&c, &id)?;
    created(s.app.referrals().record_assistance(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize)]
pub struct GapQuery {
    days: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// `?days=` (whole days since the decision, 0..3650, default 7).
pub fn gap_days(raw: Option<&str>) -> Result<i64, amparo_core::CoreError> {
    match raw.map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(7),
        Some(d) => {
            d.parse::<i64>().ok().filter(|n| (0..=3_650).contains(n)).ok_or_else(|| amparo_core::CoreError::field("days", "invalid_number"))
        }
    }
}

pub async fn referral_gap(State(s): State<AppState>, c: ApiCaller, Query(q): Query<GapQuery>) -> ApiResult {
    let days = gap_days(q.days.as_deref()).map_err(|e| c.err(e))?;
    let page = ListParams { limit: q.limit, cursor: q.cursor, ..Default::default() };
    ok(s.app.referrals().referral_gap(&c.ctx, days, &page).await.map_err(|e| c.err(e))?)
}

pub async fn services_get(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> ApiResult {
    ok(s.app.referrals().get_service(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize)]
pub struct ServiceUpdateBody {
    #[serde(flatten)]
    input: amparo_domain::protection::ServiceInput,
    version: i64,
    #[serde(default = "yes")]
    active: bool,
}

fn yes() -> bool {
    true
}

pub async fn services_update(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ServiceUpdateBody>,
) -> ApiResult {
    ok(s.app.referrals().update_service(&c.ctx, &id, &b.input, b.version, b.active).await.map_err(|e| c.err(e))?)
}

// -- prosecution and coordination ---------------------------------------------------------

pub async fn cases_list(State(s): State<AppState>, c: ApiCaller, Query(q): Query<ListParams>) -> ApiResult {
    ok(s.app.prosecution().list_cases(&c.ctx, &q).await.map_err(|e| c.err(e))?)
}

pub async fn cases_open(State(s): State<AppState>, c: ApiCaller, ApiJson(input): ApiJson<amparo_domain::cases::CaseInput>) -> ApiResult {
    created(s.app.prosecution().open_case(&c.ctx, &input).await.map_err(|e| c.err(e))?)
}

pub async fn cases_get(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> ApiResult {
    let case = s.app.prosecution().get_case(&c.ctx, &id).await.map_err(|e| c.err(e))?;
    let charges = s.app.prosecution().case_charges(&c.ctx, &id).await.map_err(|e| c.err(e))?;
    let shares = s.app.coordination().case_shares(&c.ctx, &id).await.map_err(|e| c.err(e))?;
    ok(json!({ "case": case, "charges": charges, "shares": shares }))
}

pub async fn cases_update(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_core::usecases::cases::CaseUpdate>,
) -> ApiResult {
    ok(s.app.prosecution().update_case(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn cases_link(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_core::usecases::cases::LinkInput>,
) -> ApiResult {
    created(s.app.prosecution().link_person(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn cases_event(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_domain::cases::EventInput>,
) -> ApiResult {
    created(s.app.prosecution().add_event(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn cases_timeline(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> ApiResult {
    ok(s.app.prosecution().case_timeline(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

pub async fn cases_seen(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> ApiResult {
    ok(s.app.coordination().who_has_seen(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

pub async fn charges_file(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_domain::cases::ChargeInput>,
) -> ApiResult {
    created(s.app.prosecution().file_charge(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn charges_decide(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_domain::cases::DecisionOnChargeInput>,
) -> ApiResult {
    ok(s.app.prosecution().decide_charge(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn charges_appeal(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_core::usecases::prosecution::AppealInput>,
) -> ApiResult {
    ok(s.app.prosecution().add_appeal(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn cases_share(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_core::usecases::sharing::ShareInput>,
) -> ApiResult {
    created(s.app.coordination().share_case(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn cases_transfer(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_core::usecases::sharing::ShareInput>,
) -> ApiResult {
    s.app.coordination().transfer_case(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?;
    ok(json!({ "transferred": true }))
}

#[derive(Deserialize)]
pub struct VersionedAction {
    #[serde(default)]
    action: String,
    #[serde(default)]
    version: i64,
}

pub async fn shares_answer(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<VersionedAction>,
) -> ApiResult {
    ok(s.app.coordination().answer_share(&c.ctx, &id, &b.action, b.version).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize)]
pub struct ShareRequestBody {
    #[serde(default)]
    reference: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    until: String,
}

/// Answers the same whether or not the reference exists.
pub async fn shares_request(State(s): State<AppState>, c: ApiCaller, ApiJson(b): ApiJson<ShareRequestBody>) -> ApiResult {
    s.app.coordination().request_share(&c.ctx, &b.reference, &b.purpose, &b.until).await.map_err(|e| c.err(e))?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "status": "requested" }))))
}

pub async fn alerts_list(State(s): State<AppState>, c: ApiCaller, Query(q): Query<ListParams>) -> ApiResult {
    ok(s.app.coordination().list_alerts(&c.ctx, &q).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize)]
pub struct AlertDecision {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    version: i64,
}

pub async fn alerts_decide(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AlertDecision>,
) -> ApiResult {
    s.app.coordination().decide_alert(&c.ctx, &id, &b.decision, b.version).await.map_err(|e| c.err(e))?;
    ok(json!({ "decided": true }))
}

pub async fn matches_list(State(s): State<AppState>, c: ApiCaller, Query(q): Query<ListParams>) -> ApiResult {
    let all = s.app.linkage().list_matches(&c.ctx).await.map_err(|e| c.err(e))?;
    // By id, a key no new candidate pair can shift (the review order is the UI's queue).
    ok(s.app.page_in_memory(&c.ctx, "matches", all, |m| m.id.clone(), &q).map_err(|e| c.err(e))?)
}

pub async fn matches_get(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> ApiResult {
    ok(s.app.linkage().get_match(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize)]
pub struct PurposeBody {
    #[serde(default)]
    purpose: String,
}

pub async fn matches_reveal(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PurposeBody>,
) -> ApiResult {
    ok(s.app.linkage().reveal_match(&c.ctx, &id, &b.purpose).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize)]
pub struct MatchDecisionBody {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    version: i64,
}

pub async fn matches_decide(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MatchDecisionBody>,
) -> ApiResult {
    ok(s.app.linkage().decide_match(&c.ctx, &id, &b.decision, &b.reason, b.version).await.map_err(|e| c.err(e))?)
}

pub async fn linkage_run(State(s): State<AppState>, c: ApiCaller) -> ApiResult {
    ok(s.app.linkage().run_linkage(&c.ctx).await.map_err(|e| c.err(e))?)
}

pub async fn linkage_status(State(s): State<AppState>, c: ApiCaller) -> ApiResult {
    ok(s.app.linkage().linkage_run_status(&c.ctx).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize)]
pub struct YearQuery {
    #[serde(default)]
    year: String,
}

pub async fn victims_identified(State(s): State<AppState>, c: ApiCaller, Query(q): Query<YearQuery>) -> ApiResult {
    // A missing or malformed year reaches the core as 0: it authorizes first, then refuses it.
    let year: i32 = q.year.trim().parse().unwrap_or(0);
    ok(s.app.statistics().victims_identified(&c.ctx, year).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize)]
pub struct AnnualQuery {
    #[serde(default)]
    year: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    org: String,
}

pub async fn annual_report(State(s): State<AppState>, c: ApiCaller, Query(q): Query<AnnualQuery>) -> ApiResult {
    let opt = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let query = amparo_core::usecases::statistics::ReportQuery {
        year: q.year.trim().parse().unwrap_or(0),
        region: opt(&q.region),
        org: opt(&q.org),
        from_records: false,
        hide_small_cells: false,
    };
    ok(s.app.statistics().annual_report(&c.ctx, &query).await.map_err(|e| c.err(e))?)
}

pub async fn statutes_list(State(s): State<AppState>, c: ApiCaller, Query(q): Query<ListParams>) -> ApiResult {
    let all = s.app.prosecution().list_statutes(&c.ctx).await.map_err(|e| c.err(e))?;
    ok(s.app.page_in_memory(&c.ctx, "statutes", all, |x| format!("{}\u{1f}{}", x.country, x.id), &q).map_err(|e| c.err(e))?)
}

pub async fn prevention_list(State(s): State<AppState>, c: ApiCaller, Query(q): Query<ListParams>) -> ApiResult {
    ok(s.app.protection().prevention_page(&c.ctx, &q).await.map_err(|e| c.err(e))?)
}

pub async fn prevention_create(
    State(s): State<AppState>,
    c: ApiCaller,
    ApiJson(input): ApiJson<amparo_core::usecases::prevention::PreventionInput>,
) -> ApiResult {
    created(s.app.protection().record_prevention(&c.ctx, &input).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// Only what the caller may open; no count or hint of anything else.
pub async fn search(State(s): State<AppState>, c: ApiCaller, Query(q): Query<SearchQuery>) -> ApiResult {
    ok(s.app.coordination().search(&c.ctx, &q.q, 50).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize)]
pub struct UploadQuery {
    #[serde(default)]
    filename: String,
}

/// The body is the file itself (any content type); `?filename=` names it.
pub async fn attachments_upload(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    Query(q): Query<UploadQuery>,
    body: axum::body::Bytes,
) -> ApiResult {
    created(s.app.protection().add_attachment(&c.ctx, &id, &q.filename, &body).await.map_err(|e| c.err(e))?)
}

pub async fn attachments_get(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
) -> Result<axum::response::Response, WebError> {
    let file = s.app.protection().get_attachment(&c.ctx, &id).await.map_err(|e| c.err(e))?;
    Ok(crate::ui::cases::download(file))
}

#[derive(Deserialize)]
pub struct HearingBody {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    version: i64,
}

pub async fn cases_hearing(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>, ApiJson(b): ApiJson<HearingBody>) -> ApiResult {
    s.app.prosecution().add_hearing(&c.ctx, &id, &b.kind, &b.date, b.version).await.map_err(|e| c.err(e))?;
    created(json!({ "recorded": true }))
}
