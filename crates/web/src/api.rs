//! JSON API handlers under `/api/v1`. Each is a thin translation to one core use case.

use crate::extract::{ApiCaller, ApiJson};
use crate::{AppState, WebError};
use amparo_core::store::AuditFilter;
use amparo_core::usecases::users::UserUpdate;
use amparo_domain::org::OrgInput;
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

pub async fn orgs_list(State(s): State<AppState>, c: ApiCaller) -> ApiResult {
    ok(s.app.list_orgs(&c.ctx).await.map_err(|e| c.err(e))?)
}

pub async fn orgs_create(State(s): State<AppState>, c: ApiCaller, ApiJson(input): ApiJson<OrgInput>) -> ApiResult {
    created(s.app.create_org(&c.ctx, &input).await.map_err(|e| c.err(e))?)
}

pub async fn orgs_get(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> ApiResult {
    let id = org_id(&c, &id)?;
    ok(s.app.get_org(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize)]
pub struct OrgUpdateBody {
    #[serde(flatten)]
    input: OrgInput,
    version: i64,
}

pub async fn orgs_update(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>, ApiJson(b): ApiJson<OrgUpdateBody>) -> ApiResult {
    let id = org_id(&c, &id)?;
    ok(s.app.update_org(&c.ctx, &id, &b.input, b.version).await.map_err(|e| c.err(e))?)
}

pub async fn users_list(State(s): State<AppState>, c: ApiCaller) -> ApiResult {
    ok(s.app.list_users(&c.ctx).await.map_err(|e| c.err(e))?)
}

pub async fn users_create(State(s): State<AppState>, c: ApiCaller, ApiJson(input): ApiJson<UserInput>) -> ApiResult {
    created(s.app.create_user(&c.ctx, &input).await.map_err(|e| c.err(e))?)
}

pub async fn users_get(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> ApiResult {
    let id = user_id(&c, &id)?;
    ok(s.app.get_user(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

pub async fn users_update(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>, ApiJson(b): ApiJson<UserUpdate>) -> ApiResult {
    let id = user_id(&c, &id)?;
    ok(s.app.update_user(&c.ctx, &id, &b).await.map_err(|e| c.err(e))?)
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
    ok(s.app.list_audit(&c.ctx, q.filter()).await.map_err(|e| c.err(e))?)
}

pub async fn persons_list(State(s): State<AppState>, c: ApiCaller) -> ApiResult {
    ok(s.app.list_persons(&c.ctx).await.map_err(|e| c.err(e))?)
}

pub async fn persons_create(State(s): State<AppState>, c: ApiCaller, ApiJson(input): ApiJson<PersonInput>) -> ApiResult {
    created(s.app.create_person(&c.ctx, &input).await.map_err(|e| c.err(e))?)
}

pub async fn persons_get(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>) -> ApiResult {
    let id = person_id(&c, &id)?;
    ok(s.app.get_person(&c.ctx, &id).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize)]
pub struct RevealBody {
    purpose: String,
}

pub async fn persons_reveal(State(s): State<AppState>, c: ApiCaller, Path(id): Path<String>, ApiJson(b): ApiJson<RevealBody>) -> ApiResult {
    let id = person_id(&c, &id)?;
    let (person, identity) = s.app.reveal_person(&c.ctx, &id, &b.purpose).await.map_err(|e| c.err(e))?;
    ok(json!({ "person": person, "identity": identity }))
}

pub async fn countries(State(s): State<AppState>, c: ApiCaller) -> ApiResult {
    ok(s.app.list_countries(&c.ctx).await.map_err(|e| c.err(e))?)
}

#[derive(Deserialize)]
pub struct AreaQuery {
    country: Option<String>,
    parent: Option<String>,
}

pub async fn areas(State(s): State<AppState>, c: ApiCaller, Query(q): Query<AreaQuery>) -> ApiResult {
    let country = q.country.unwrap_or_else(|| "PE".into()).to_ascii_uppercase();
    ok(s.app.list_areas(&c.ctx, &country, q.parent.as_deref()).await.map_err(|e| c.err(e))?)
}
