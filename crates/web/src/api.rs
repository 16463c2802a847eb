//! JSON API handlers under `/api/v1`. Each is a thin translation to one core use case.

use crate::extract::{ApiCaller, ApiJson};
use crate::openapi::describe::Reply;
use crate::{AppState, WebError};
use amparo_core::paging::Page;
use amparo_core::store::AuditFilter;
use amparo_core::usecases::case_views::{CaseSummary, ChargeView};
use amparo_core::usecases::identification::ScreeningView;
use amparo_core::usecases::intake::ReportView;
use amparo_core::usecases::linkage::MatchView;
use amparo_core::usecases::referrals::{ReferralView, ServiceView};
use amparo_core::usecases::sharing::ShareView;
use amparo_core::usecases::users::UserUpdate;
use amparo_domain::org::OrgInput;
use amparo_domain::org::Organisation;
use amparo_domain::paging::ListParams;
use amparo_domain::person::Person;
use amparo_domain::person::PersonInput;
use amparo_domain::screening::Instrument;
use amparo_domain::user::User;
use amparo_domain::user::UserInput;
use amparo_domain::{OrgId, PersonId, UserId};
use axum::extract::{Path, Query, State};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A 200 reply of `T`; `ApiCreated` a 201. The types are what the OpenAPI document shows.
type Api<T> = Result<Reply<T>, WebError>;
type ApiCreated<T> = Result<Reply<T, 201>, WebError>;

fn ok<T>(v: T) -> Api<T> {
    Ok(Reply(v))
}
fn created<T>(v: T) -> ApiCreated<T> {
    Ok(Reply(v))
}

/// `GET /api/v1/me`.
#[derive(Serialize, JsonSchema)]
pub struct Me {
    id: UserId,
    email: String,
    display_name: String,
    org_id: OrgId,
    roles: Vec<amparo_domain::role::Role>,
}

/// A person with the identity revealed for the stated purpose.
#[derive(Serialize, JsonSchema)]
pub struct Revealed {
    person: Person,
    identity: amparo_domain::person::Identity,
}

/// An instrument in the list: its sets by key, not their indicators.
#[derive(Serialize, JsonSchema)]
pub struct InstrumentSummary {
    id: String,
    family: String,
    version: i64,
    title_en: String,
    title_es: String,
    sets: Vec<String>,
}

/// A case with its charges and the organisations it is shared with.
#[derive(Serialize, JsonSchema)]
pub struct CaseDetail {
    case: amparo_core::usecases::case_views::CaseView,
    charges: Vec<ChargeView>,
    shares: Vec<ShareView>,
}

/// `{"transferred": true}`.
#[derive(Serialize, JsonSchema)]
pub struct Transferred {
    transferred: bool,
}

/// `{"decided": true}`.
#[derive(Serialize, JsonSchema)]
pub struct Decided {
    decided: bool,
}

/// `{"recorded": true}`.
#[derive(Serialize, JsonSchema)]
pub struct Recorded {
    recorded: bool,
}

/// `{"status": "requested"}`, whether or not the reference exists.
#[derive(Serialize, JsonSchema)]
pub struct Requested {
    status: &'static str,
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

pub async fn me(c: ApiCaller) -> Api<Me> {
    let u = c.user;
    ok(Me { id: u.id, email: u.email, display_name: u.display_name, org_id: u.org_id, roles: u.roles })
}

pub async fn orgs_list(State(s): State<AppState>, c: ApiCaller, Query(q): Query<ListParams>) -> Api<Page<Organisation>> {
    let all = s.app.administration().list_orgs(&c.ctx).await.map_err(|e| c.err(e))?;
    let key = |o: &amparo_domain::org::Organisation| format!("{}\u{1f}{}", o.name.to_lowercase(), o.id);
    ok(s.app.page_in_memory(&c.ctx, "organisations", all, key, &q).map_err(|e| c.err(e))?)
}

pub async fn orgs_create(State(s): State<AppState>, c: ApiCaller, ApiJson(input): ApiJson<OrgInput>) -> ApiCreated<Organisation> {
    created(s.app.administration().create_org(&c.ctx, &input).await.map_err(|e| c.err(e))?)
}

pub async fn orgs_get(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> Api<Organisation> {
    let id = org_id(&c, &id)?;
    ok(s.app.administration().get_org(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize, JsonSchema)]
pub struct OrgUpdateBody {
    #[serde(flatten)]
    input: OrgInput,
    version: i64,
}

pub async fn orgs_update(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<OrgUpdateBody>,
) -> Api<Organisation> {
    let id = org_id(&c, &id)?;
    ok(s.app.administration().update_org(&c.ctx, &id, &b.input, b.version).await.map_err(|e| c.err(e))?)
}

pub async fn users_list(State(s): State<AppState>, c: ApiCaller, Query(q): Query<ListParams>) -> Api<Page<User>> {
    let all = s.app.administration().list_users(&c.ctx).await.map_err(|e| c.err(e))?;
    // By account id: a cursor never carries an e-mail address into a URL.
    ok(s.app.page_in_memory(&c.ctx, "users", all, |u| u.id.to_string(), &q).map_err(|e| c.err(e))?)
}

pub async fn users_create(State(s): State<AppState>, c: ApiCaller, ApiJson(input): ApiJson<UserInput>) -> ApiCreated<User> {
    created(s.app.administration().create_user(&c.ctx, &input).await.map_err(|e| c.err(e))?)
}

pub async fn users_get(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> Api<User> {
    let id = user_id(&c, &id)?;
    ok(s.app.administration().get_user(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

pub async fn users_update(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>, ApiJson(b): ApiJson<UserUpdate>) -> Api<User> {
    let id = user_id(&c, &id)?;
    ok(s.app.administration().update_user(&c.ctx, &id, &b).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize, Default, JsonSchema)]
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
) -> Api<Vec<amparo_domain::audit::AuditEntry>> {
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

pub async fn persons_list(State(s): State<AppState>, c: ApiCaller, Query(q): Query<ListParams>) -> Api<Page<Person>> {
    ok(s.app.protection().list_persons(&c.ctx, &q).await.map_err(|e| c.err(e))?)
}

pub async fn persons_create(State(s): State<AppState>, c: ApiCaller, ApiJson(input): ApiJson<PersonInput>) -> ApiCreated<Person> {
    created(s.app.protection().create_person(&c.ctx, &input).await.map_err(|e| c.err(e))?)
}

pub async fn persons_get(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> Api<Person> {
    let id = person_id(&c, &id)?;
    ok(s.app.protection().get_person(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize, JsonSchema)]
pub struct RevealBody {
    purpose: String,
}

pub async fn persons_reveal(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RevealBody>,
) -> Api<Revealed> {
    let id = person_id(&c, &id)?;
    let (person, identity) = s.app.protection().reveal_person(&c.ctx, &id, &b.purpose).await.map_err(|e| c.err(e))?;
    ok(Revealed { person, identity })
}

pub async fn countries(State(s): State<AppState>, c: ApiCaller, Query(q): Query<ListParams>) -> Api<Page<amparo_domain::geo::Country>> {
    let all = s.app.system().list_countries(&c.ctx).await.map_err(|e| c.err(e))?;
    ok(s.app.page_in_memory(&c.ctx, "countries", all, |x| x.alpha2.clone(), &q).map_err(|e| c.err(e))?)
}

#[derive(Deserialize, JsonSchema)]
pub struct AreaQuery {
    country: Option<String>,
    parent: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

pub async fn areas(State(s): State<AppState>, c: ApiCaller, Query(q): Query<AreaQuery>) -> Api<Page<amparo_domain::geo::Area>> {
    let country = q.country.unwrap_or_else(|| s.app.profile().country.clone()).to_ascii_uppercase();
    let all = s.app.system().list_areas(&c.ctx, &country, q.parent.as_deref()).await.map_err(|e| c.err(e))?;
    let page = ListParams { limit: q.limit, cursor: q.cursor, ..Default::default() };
    ok(s.app.page_in_memory(&c.ctx, "areas", all, |a| a.code.clone(), &page).map_err(|e| c.err(e))?)
}

// -- protection ----------------------------------------------------------------------------

pub async fn instruments_list(State(s): State<AppState>, c: ApiCaller, Query(q): Query<ListParams>) -> Api<Page<InstrumentSummary>> {
    let list = s.app.identification().list_instruments(&c.ctx).await.map_err(|e| c.err(e))?;
    let rows: Vec<InstrumentSummary> = list
        .into_iter()
        .map(|i| InstrumentSummary {
            sets: i.sets.iter().map(|s| s.key.clone()).collect(),
            id: i.id,
            family: i.family,
            version: i.version,
            title_en: i.title_en,
            title_es: i.title_es,
        })
        .collect();
    // Family, then version as a number (v10 after v9).
    let key = |v: &InstrumentSummary| format!("{}\u{1f}{:012}", v.family, v.version);
    ok(s.app.page_in_memory(&c.ctx, "instruments", rows, key, &q).map_err(|e| c.err(e))?)
}

pub async fn instruments_get(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> Api<Instrument> {
    ok(s.app.identification().get_instrument(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

pub async fn instruments_publish(
    State(s): State<AppState>,
    c: ApiCaller,
    ApiJson(d): ApiJson<amparo_domain::screening::Instrument>,
) -> ApiCreated<Instrument> {
    created(s.app.identification().publish_instrument(&c.ctx, d).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize, JsonSchema)]
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
) -> Api<amparo_domain::screening::Evaluation> {
    ok(s.app.identification().evaluate_screening(&c.ctx, &id, &b.set, &b.indicators).await.map_err(|e| c.err(e))?)
}

pub async fn persons_update(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PersonInput>,
) -> Api<Person> {
    let id = person_id(&c, &id)?;
    ok(s.app.protection().update_person(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn persons_file(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
) -> Api<amparo_core::usecases::referrals::PersonFile> {
    let id = person_id(&c, &id)?;
    ok(s.app.referrals().person_file(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

pub async fn screenings_create(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_core::usecases::identification::ScreeningInput>,
) -> ApiCreated<ScreeningView> {
    let id = person_id(&c, &id)?;
    created(s.app.identification().create_screening(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn screenings_get(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> Api<ScreeningView> {
    ok(s.app.identification().get_screening(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

pub async fn screenings_update(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_core::usecases::identification::ScreeningInput>,
) -> Api<ScreeningView> {
    ok(s.app.identification().update_screening(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn decisions_create(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_domain::protection::DecisionInput>,
) -> ApiCreated<amparo_core::usecases::identification::DecisionView> {
    let id = person_id(&c, &id)?;
    created(s.app.identification().record_decision(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

/// `{queue, sent, next_cursor}`: the queue is paged (`?limit=&cursor=&status=`), `sent` is the
/// fifty most recent.
pub async fn reports_list(
    State(s): State<AppState>,
    c: ApiCaller,
    Query(q): Query<ListParams>,
) -> Api<amparo_core::usecases::intake::ReportQueue> {
    ok(s.app.intake().report_queue(&c.ctx, &q).await.map_err(|e| c.err(e))?)
}

pub async fn reports_create(
    State(s): State<AppState>,
    c: ApiCaller,
    ApiJson(input): ApiJson<amparo_domain::intake::ReportInput>,
) -> ApiCreated<ReportView> {
    created(s.app.intake().create_report(&c.ctx, &input).await.map_err(|e| c.err(e))?)
}

pub async fn reports_get(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
) -> Api<amparo_core::usecases::intake::ReportDetail> {
    ok(s.app.intake().get_report(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

pub async fn reports_triage(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_core::usecases::intake::TriageInput>,
) -> Api<ReportView> {
    ok(s.app.intake().triage_report(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn operations_create(
    State(s): State<AppState>,
    c: ApiCaller,
    ApiJson(input): ApiJson<amparo_domain::intake::OperationInput>,
) -> ApiCreated<amparo_core::usecases::intake::OperationView> {
    created(s.app.intake().create_operation(&c.ctx, &input).await.map_err(|e| c.err(e))?)
}

pub async fn inspections_create(
    State(s): State<AppState>,
    c: ApiCaller,
    ApiJson(input): ApiJson<amparo_domain::intake::InspectionInput>,
) -> ApiCreated<amparo_core::usecases::intake::InspectionView> {
    created(s.app.intake().create_inspection(&c.ctx, &input).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize, JsonSchema)]
pub struct ServiceQuery {
    kind: Option<String>,
    region: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

pub async fn services_list(State(s): State<AppState>, c: ApiCaller, Query(q): Query<ServiceQuery>) -> Api<Page<ServiceView>> {
    let page = ListParams { limit: q.limit.clone(), cursor: q.cursor.clone(), region: q.region.clone(), ..Default::default() };
    ok(s.app.referrals().services_page(&c.ctx, q.kind.as_deref(), &page).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize, JsonSchema)]
pub struct ServiceBody {
    #[serde(flatten)]
    input: amparo_domain::protection::ServiceInput,
    #[serde(default)]
    org_id: Option<String>,
}

pub async fn services_create(State(s): State<AppState>, c: ApiCaller, ApiJson(b): ApiJson<ServiceBody>) -> ApiCreated<ServiceView> {
    let org = match b.org_id.as_deref().filter(|o| !o.is_empty()) {
        Some(o) => Some(org_id(&c, o)?),
        None => None,
    };
    created(s.app.referrals().create_service(&c.ctx, org.as_ref(), &b.input).await.map_err(|e| c.err(e))?)
}

/// `{incoming, outgoing, incoming_cursor, outgoing_cursor}`: each box a page (see
/// `Referrals::list_referrals`), `?limit=&status=&region=&from=&to=` for both, and
/// `?incoming_cursor=` / `?outgoing_cursor=` to page one.
pub async fn referrals_list(
    State(s): State<AppState>,
    c: ApiCaller,
    Query(q): Query<crate::ui::referrals::ReferralsQuery>,
) -> Api<amparo_core::usecases::referrals::ReferralBoxes> {
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
) -> ApiCreated<ReferralView> {
    let id = person_id(&c, &id)?;
    created(s.app.referrals().create_referral(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn referrals_act(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_core::usecases::referrals::ReferralActInput>,
) -> Api<ReferralView> {
    ok(s.app.referrals().act_on_referral(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn assistance_create(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_domain::protection::AssistanceInput>,
) -> ApiCreated<amparo_core::usecases::referrals::AssistanceView> {
    let id = person_id(&c, &id)?;
    created(s.app.referrals().record_assistance(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize, JsonSchema)]
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

pub async fn referral_gap(
    State(s): State<AppState>,
    c: ApiCaller,
    Query(q): Query<GapQuery>,
) -> Api<Page<amparo_core::usecases::referrals::GapRow>> {
    let days = gap_days(q.days.as_deref()).map_err(|e| c.err(e))?;
    let page = ListParams { limit: q.limit, cursor: q.cursor, ..Default::default() };
    ok(s.app.referrals().referral_gap(&c.ctx, days, &page).await.map_err(|e| c.err(e))?)
}

pub async fn services_get(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> Api<ServiceView> {
    ok(s.app.referrals().get_service(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize, JsonSchema)]
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
) -> Api<ServiceView> {
    ok(s.app.referrals().update_service(&c.ctx, &id, &b.input, b.version, b.active).await.map_err(|e| c.err(e))?)
}

// -- prosecution and coordination ---------------------------------------------------------

pub async fn cases_list(State(s): State<AppState>, c: ApiCaller, Query(q): Query<ListParams>) -> Api<Page<CaseSummary>> {
    ok(s.app.prosecution().list_cases(&c.ctx, &q).await.map_err(|e| c.err(e))?)
}

pub async fn cases_open(
    State(s): State<AppState>,
    c: ApiCaller,
    ApiJson(input): ApiJson<amparo_domain::cases::CaseInput>,
) -> ApiCreated<CaseSummary> {
    created(s.app.prosecution().open_case(&c.ctx, &input).await.map_err(|e| c.err(e))?)
}

pub async fn cases_get(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> Api<CaseDetail> {
    let case = s.app.prosecution().get_case(&c.ctx, &id).await.map_err(|e| c.err(e))?;
    let charges = s.app.prosecution().case_charges(&c.ctx, &id).await.map_err(|e| c.err(e))?;
    let shares = s.app.coordination().case_shares(&c.ctx, &id).await.map_err(|e| c.err(e))?;
    ok(CaseDetail { case, charges, shares })
}

pub async fn cases_update(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_core::usecases::cases::CaseUpdate>,
) -> Api<CaseSummary> {
    ok(s.app.prosecution().update_case(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn cases_link(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_core::usecases::cases::LinkInput>,
) -> ApiCreated<amparo_core::usecases::cases::LinkView> {
    created(s.app.prosecution().link_person(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn cases_event(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_domain::cases::EventInput>,
) -> ApiCreated<amparo_core::usecases::cases::EventView> {
    created(s.app.prosecution().add_event(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn cases_timeline(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
) -> Api<Vec<amparo_core::usecases::timeline::TimelineItem>> {
    ok(s.app.prosecution().case_timeline(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

pub async fn cases_seen(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
) -> Api<Vec<amparo_core::usecases::sharing::SeenEntry>> {
    ok(s.app.coordination().who_has_seen(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

pub async fn charges_file(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_domain::cases::ChargeInput>,
) -> ApiCreated<ChargeView> {
    created(s.app.prosecution().file_charge(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn charges_decide(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_domain::cases::DecisionOnChargeInput>,
) -> Api<ChargeView> {
    ok(s.app.prosecution().decide_charge(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn charges_appeal(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_core::usecases::prosecution::AppealInput>,
) -> Api<ChargeView> {
    ok(s.app.prosecution().add_appeal(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn cases_share(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_core::usecases::sharing::ShareInput>,
) -> ApiCreated<ShareView> {
    created(s.app.coordination().share_case(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?)
}

pub async fn cases_transfer(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<amparo_core::usecases::sharing::ShareInput>,
) -> Api<Transferred> {
    s.app.coordination().transfer_case(&c.ctx, &id, &input).await.map_err(|e| c.err(e))?;
    ok(Transferred { transferred: true })
}

#[derive(Deserialize, JsonSchema)]
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
) -> Api<ShareView> {
    ok(s.app.coordination().answer_share(&c.ctx, &id, &b.action, b.version).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize, JsonSchema)]
pub struct ShareRequestBody {
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    reference: String,
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    purpose: String,
    #[serde(default)]
    until: String,
}

/// Answers the same whether or not the reference exists.
pub async fn shares_request(
    State(s): State<AppState>,
    c: ApiCaller,
    ApiJson(b): ApiJson<ShareRequestBody>,
) -> Result<Reply<Requested, 202>, WebError> {
    s.app.coordination().request_share(&c.ctx, &b.reference, &b.purpose, &b.until).await.map_err(|e| c.err(e))?;
    Ok(Reply(Requested { status: "requested" }))
}

pub async fn alerts_list(
    State(s): State<AppState>,
    c: ApiCaller,
    Query(q): Query<ListParams>,
) -> Api<Page<amparo_core::usecases::alerts::AlertView>> {
    ok(s.app.coordination().list_alerts(&c.ctx, &q).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize, JsonSchema)]
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
) -> Api<Decided> {
    s.app.coordination().decide_alert(&c.ctx, &id, &b.decision, b.version).await.map_err(|e| c.err(e))?;
    ok(Decided { decided: true })
}

pub async fn matches_list(State(s): State<AppState>, c: ApiCaller, Query(q): Query<ListParams>) -> Api<Page<MatchView>> {
    let all = s.app.linkage().list_matches(&c.ctx).await.map_err(|e| c.err(e))?;
    // By id, a key no new candidate pair can shift (the review order is the UI's queue).
    ok(s.app.page_in_memory(&c.ctx, "matches", all, |m| m.id.clone(), &q).map_err(|e| c.err(e))?)
}

pub async fn matches_get(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> Api<MatchView> {
    ok(s.app.linkage().get_match(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize, JsonSchema)]
pub struct PurposeBody {
    #[serde(default)]
    purpose: String,
}

pub async fn matches_reveal(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PurposeBody>,
) -> Api<MatchView> {
    ok(s.app.linkage().reveal_match(&c.ctx, &id, &b.purpose).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize, JsonSchema)]
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
) -> Api<MatchView> {
    ok(s.app.linkage().decide_match(&c.ctx, &id, &b.decision, &b.reason, b.version).await.map_err(|e| c.err(e))?)
}

pub async fn linkage_run(State(s): State<AppState>, c: ApiCaller) -> Api<amparo_core::usecases::linkage::LinkRunSummary> {
    ok(s.app.linkage().run_linkage(&c.ctx).await.map_err(|e| c.err(e))?)
}

pub async fn linkage_status(State(s): State<AppState>, c: ApiCaller) -> Api<amparo_core::usecases::linkage::LinkRunStatus> {
    ok(s.app.linkage().linkage_run_status(&c.ctx).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize, JsonSchema)]
pub struct YearQuery {
    #[serde(default)]
    year: String,
}

pub async fn victims_identified(
    State(s): State<AppState>,
    c: ApiCaller,
    Query(q): Query<YearQuery>,
) -> Api<amparo_core::usecases::statistics::IdentifiedCount> {
    // A missing or malformed year reaches the core as 0: it authorizes first, then refuses it.
    let year: i32 = q.year.trim().parse().unwrap_or(0);
    ok(s.app.statistics().victims_identified(&c.ctx, year).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize, JsonSchema)]
pub struct AnnualQuery {
    #[serde(default)]
    year: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    org: String,
}

pub async fn annual_report(
    State(s): State<AppState>,
    c: ApiCaller,
    Query(q): Query<AnnualQuery>,
) -> Api<amparo_core::usecases::statistics::AnnualReport> {
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

pub async fn statutes_list(
    State(s): State<AppState>,
    c: ApiCaller,
    Query(q): Query<ListParams>,
) -> Api<Page<amparo_domain::cases::Statute>> {
    let all = s.app.prosecution().list_statutes(&c.ctx).await.map_err(|e| c.err(e))?;
    ok(s.app.page_in_memory(&c.ctx, "statutes", all, |x| format!("{}\u{1f}{}", x.country, x.id), &q).map_err(|e| c.err(e))?)
}

pub async fn prevention_list(
    State(s): State<AppState>,
    c: ApiCaller,
    Query(q): Query<ListParams>,
) -> Api<Page<amparo_core::usecases::prevention::PreventionView>> {
    ok(s.app.protection().prevention_page(&c.ctx, &q).await.map_err(|e| c.err(e))?)
}

pub async fn prevention_create(
    State(s): State<AppState>,
    c: ApiCaller,
    ApiJson(input): ApiJson<amparo_core::usecases::prevention::PreventionInput>,
) -> ApiCreated<amparo_core::usecases::prevention::PreventionView> {
    created(s.app.protection().record_prevention(&c.ctx, &input).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize, JsonSchema)]
pub struct SearchQuery {
    /// 2 to 200 characters (not counting spaces at either end).
    #[serde(default)]
    #[schemars(length(min = 2, max = 200))]
    q: String,
}

/// Only what the caller may open; no count or hint of anything else.
pub async fn search(
    State(s): State<AppState>,
    c: ApiCaller,
    Query(q): Query<SearchQuery>,
) -> Api<Vec<amparo_core::usecases::search::SearchHit>> {
    ok(s.app.coordination().search(&c.ctx, &q.q, 50).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize, JsonSchema)]
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
) -> ApiCreated<amparo_core::usecases::attachments::AttachmentInfo> {
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

#[derive(Deserialize, JsonSchema)]
pub struct HearingBody {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    version: i64,
}

pub async fn cases_hearing(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<HearingBody>,
) -> ApiCreated<Recorded> {
    s.app.prosecution().add_hearing(&c.ctx, &id, &b.kind, &b.date, b.version).await.map_err(|e| c.err(e))?;
    created(Recorded { recorded: true })
}
