//! The national referral mechanism: the services directory, referrals with consent, the
//! assistance delivered, in-app notifications, and the "referral gap" — identified victims
//! with no referral N days after identification, the failure the seed reports.
//!
//! A shelter's exact address is sealed and opened only for that shelter's own staff; everyone
//! else sees the region and the contact protocol.

use super::Referrals;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::paging::{Page, row_key, scanned};
use crate::random::RandomExt;
use crate::rows::assistance::{Assistance, AssistanceSecrets};
use crate::rows::notification::{Notification, NotificationStatus};
use crate::rows::referral::{Referral, ReferralAttrs, ReferralId, ReferralSecrets};
use crate::rows::service::{Service, ServiceAttrs, ServiceId, ServiceSecrets, ServiceStatus};
use crate::rows::{self, Row, Stamp};
use crate::store::{Batch, GapCandidate, GapQuery, RecordTable, RowFilter};
use crate::usecases::identification::{DecisionView, ScreeningView};
use amparo_domain::paging::{After, ListParams};
use amparo_domain::person::Person;
use amparo_domain::policy::{Action, Relation, authorize};
use amparo_domain::protection::{
    AssistanceFields, AssistanceInput, Consent, ReferralAction, ReferralInput, ReferralStatus, ServiceFields, ServiceInput, ServiceKind,
    Specialisation, TraffickingStatus, days_from_civil, next_status,
};
use amparo_domain::validation::FieldErrors;
use amparo_domain::{OrgId, PersonId};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ServiceView {
    pub id: String,
    pub org_id: OrgId,
    pub name: String,
    pub kind: String,
    pub specialisations: Vec<Specialisation>,
    pub region: String,
    pub capacity: i64,
    /// Referrals accepted or in progress.
    pub occupancy: i64,
    pub contact_protocol: String,
    /// Only for the service's own staff.
    pub address: Option<String>,
    pub active: bool,
    pub version: i64,
    /// Whether the caller may edit this service (set by `get_service`, the page that edits
    /// it; the directory's rows leave it false). Not part of the API's JSON.
    #[serde(skip)]
    pub can_edit: bool,
}

/// An organisation's referrals: received and sent, each a page with its own cursor.
#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema)]
pub struct ReferralBoxes {
    pub incoming: Vec<ReferralView>,
    pub outgoing: Vec<ReferralView>,
    pub incoming_cursor: Option<String>,
    pub outgoing_cursor: Option<String>,
}

pub use crate::rows::referral::ReferralStep;

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ReferralView {
    pub id: String,
    pub person_id: String,
    pub person_code: String,
    pub from_org: OrgId,
    pub to_org: Option<OrgId>,
    pub service_id: String,
    pub service_name: String,
    pub service_kind: String,
    pub status: ReferralStatus,
    pub consent: Option<Consent>,
    pub without_consent: bool,
    pub requested_at: i64,
    pub steps: Vec<ReferralStep>,
    pub version: i64,
    /// What the caller may do now: a subset of accept, reject, start, complete, revoke.
    pub actions: Vec<&'static str>,
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ReferralActInput {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub reason: String,
    #[schemars(schema_with = "amparo_domain::intake::flag_schema")]
    #[serde(default, deserialize_with = "amparo_domain::intake::flag")]
    pub capacity_override: bool,
    #[schemars(schema_with = "amparo_domain::intake::number_text_schema")]
    #[serde(default, deserialize_with = "amparo_domain::intake::version_text")]
    #[schemars(required)]
    pub version: String,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct AssistanceView {
    pub id: String,
    pub person_id: String,
    pub org_id: OrgId,
    #[serde(flatten)]
    pub fields: AssistanceFields,
    pub notes: Option<String>,
    pub created_at: i64,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct GapRow {
    pub person_id: String,
    pub person_code: String,
    pub org_id: OrgId,
    pub status: String,
    pub decided_on: String,
    pub days_since: i64,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct NotificationView {
    pub id: String,
    pub kind: String,
    pub link: String,
    pub at: i64,
    pub unread: bool,
    /// What it is about, without identities: a referral's service and person code, a case's
    /// or a report's reference. Empty when nothing more can be said.
    pub about: String,
}

/// The action a notification's link needs: a notification goes only to those in the
/// organisation who may open what it links to (an admin is not sent to a referral page).
/// The pages a notification can link to (each names the action its link needs).
const LINK_FAMILIES: [&str; 9] =
    ["/reports", "/referrals", "/cases", "/alerts", "/matches", "/persons", "/operations", "/inspections", "/statistics"];

pub(crate) fn action_for_link(link: &str) -> Action {
    let first = link.trim_start_matches('/').split(['/', '?', '#']).next().unwrap_or("");
    match first {
        "reports" => Action::ViewReports,
        "referrals" => Action::ViewReferrals,
        "cases" => Action::ViewCase,
        "alerts" => Action::HandleAlerts,
        "matches" => Action::ViewMatches,
        "persons" => Action::ListPersons,
        "operations" | "inspections" => Action::ViewReports,
        "statistics" => Action::ViewStatistics,
        _ => Action::ViewDirectory,
    }
}

/// Everything on a person's page, each part only if the caller may see it.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct PersonFile {
    pub person: Person,
    pub screenings: Vec<ScreeningView>,
    pub decisions: Vec<DecisionView>,
    pub referrals: Vec<ReferralView>,
    pub assistance: Vec<AssistanceView>,
    pub can_edit: bool,
    pub can_screen: bool,
    pub can_refer_without_consent: bool,
}

fn may(ctx: &Ctx, action: Action, rel: Relation) -> bool {
    ctx.actor.as_ref().is_some_and(|a| authorize(a, action, rel).is_ok())
}

impl Referrals {
    async fn occupancy(&self, service_id: &str) -> CoreResult<i64> {
        let f = RowFilter {
            lookup: Some(service_id.to_owned()),
            statuses: ReferralStatus::ALL.iter().filter(|s| s.occupies()).map(|s| s.as_str().into()).collect(),
            ..Default::default()
        };
        // Counted by the database: a busy shelter's referrals are not loaded to be counted.
        Ok(self.store.count_rows(RecordTable::Referrals, &f).await?)
    }

    async fn service_view(&self, ctx: &Ctx, s: &Service) -> CoreResult<ServiceView> {
        let rel = if ctx.org_id() == Some(&s.org_id) { Relation::SameOrg } else { Relation::Unrelated };
        let address = if may(ctx, Action::ViewServiceAddress, rel) {
            self.open_sealed::<ServiceSecrets>(Service::TABLE, &s.id.0, s.sealed.as_deref())?.address
        } else {
            None
        };
        Ok(ServiceView {
            id: s.id.0.clone(),
            org_id: s.org_id.clone(),
            name: s.attrs.name.clone(),
            kind: s.kind.as_str().into(),
            specialisations: s.attrs.specialisations.clone(),
            region: s.region.clone(),
            capacity: s.attrs.capacity,
            occupancy: self.occupancy(&s.id.0).await?,
            contact_protocol: s.attrs.contact_protocol.clone(),
            address,
            active: s.status == ServiceStatus::Active,
            version: s.stamp.version,
            can_edit: false,
        })
    }

    /// The directory. Filters are optional; addresses only for the caller's own services.
    pub async fn list_services(&self, ctx: &Ctx, kind: Option<&str>) -> CoreResult<Vec<ServiceView>> {
        self.authorize(ctx, Action::ViewDirectory, Relation::OwnOrgScope, "service", "").await?;
        let f = RowFilter {
            kind: kind.filter(|k| !k.is_empty()).map(str::to_owned),
            statuses: vec![ServiceStatus::Active.as_str().into()],
            ..Default::default()
        };
        let mut out = Vec::new();
        for s in rows::find::<Service>(&*self.store, &f).await? {
            out.push(self.service_view(ctx, &s).await?);
        }
        // Even the organisation's own addresses are sensitive: showing them is a recorded read.
        if out.iter().any(|s| s.address.is_some()) {
            self.append(&ctx.event(self.now(), "read_service_address", "ok", "service", "")).await?;
        }
        out.sort_by(|a, b| a.region.cmp(&b.region).then(a.name.cmp(&b.name)));
        Ok(out)
    }

    /// A page of the services directory (active services of every organisation), newest
    /// first, by kind and region.
    pub async fn services_page(&self, ctx: &Ctx, kind: Option<&str>, q: &ListParams) -> CoreResult<Page<ServiceView>> {
        self.authorize(ctx, Action::ViewDirectory, Relation::OwnOrgScope, "service", "").await?;
        let page = self.page_request(ctx, "services", q.limit.as_deref(), q.cursor.as_deref())?;
        let filter = q.filter(&["active", "inactive"]).map_err(CoreError::Validation)?;
        if let Some(k) = kind.filter(|k| !k.is_empty())
            && ServiceKind::parse(k).is_none()
        {
            return Err(CoreError::field("kind", "invalid_choice"));
        }
        let base = RowFilter {
            kind: kind.filter(|k| !k.is_empty()).map(str::to_owned),
            statuses: vec![ServiceStatus::Active.as_str().into()],
            ..Default::default()
        };
        let seen = scanned(self.scan_rows(Service::TABLE, base, &filter, &page).await?, page.limit, row_key);
        let mut out = Vec::with_capacity(seen.rows.len());
        for s in &rows::typed::<Service>(seen.rows)? {
            out.push(self.service_view(ctx, s).await?);
        }
        if out.iter().any(|s| s.address.is_some()) {
            self.append(&ctx.event(self.now(), "read_service_address", "ok", "service", "")).await?;
        }
        Ok(self.page_of(ctx, "services", out, seen.next))
    }

    pub async fn get_service(&self, ctx: &Ctx, id: &str) -> CoreResult<ServiceView> {
        self.authorize(ctx, Action::ViewDirectory, Relation::OwnOrgScope, "service", id).await?;
        let service = rows::get::<Service>(&*self.store, id).await?.ok_or(CoreError::NotFound)?;
        let mut v = self.service_view(ctx, &service).await?;
        if v.address.is_some() {
            self.append(&ctx.event(self.now(), "read_service_address", "ok", "service", id)).await?;
        }
        // The same relation `update_service` will authorize against (a parent's admin too).
        v.can_edit = may(ctx, Action::ManageServices, self.relation_to_org(ctx, &v.org_id).await?);
        Ok(v)
    }

    /// Add a service for an organisation (the caller's own by default).
    pub async fn create_service(&self, ctx: &Ctx, org: Option<&OrgId>, input: &ServiceInput) -> CoreResult<ServiceView> {
        let f = input.validate()?;
        self.scope().place_chain(&f.region).await.map_err(|_| CoreError::field("region", "unknown_area"))?;
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let owner = org.cloned().unwrap_or_else(|| me.org_id.clone());
        let rel = self.relation_to_org(ctx, &owner).await?;
        self.authorize(ctx, Action::ManageServices, rel, "service", "").await?;
        self.store.get_org(&owner).await?.ok_or_else(|| CoreError::field("org_id", "invalid_choice"))?;
        let now = self.now();
        let id = self.random.new_id();
        let service = self.service_row(&id, &owner, &f, Stamp::new(now, me.user_id.as_str()))?;
        let seq = self
            .store
            .write(
                &Batch { inserts: vec![rows::entry(&service)?], updates: vec![] },
                &ctx.event(now, "create_service", "ok", "service", &id),
            )
            .await?;
        self.maybe_checkpoint(seq).await;
        self.service_view(ctx, &service).await
    }

    /// Edit a service (capacity, protocol, address…) or withdraw it from the directory.
    /// A stale version gets `Conflict` with the current entry.
    pub async fn update_service(&self, ctx: &Ctx, id: &str, input: &ServiceInput, version: i64, active: bool) -> CoreResult<ServiceView> {
        let f = input.validate()?;
        self.scope().place_chain(&f.region).await.map_err(|_| CoreError::field("region", "unknown_area"))?;
        let current = rows::get::<Service>(&*self.store, id).await?;
        let rel = match &current {
            Some(s) => self.relation_to_org(ctx, &s.org_id).await?,
            None => Relation::Unrelated,
        };
        self.authorize(ctx, Action::ManageServices, rel, "service", id).await?;
        let current = current.ok_or(CoreError::NotFound)?;
        if current.stamp.version != version {
            return Err(CoreError::Conflict { current: serde_json::to_value(self.service_view(ctx, &current).await?).unwrap_or_default() });
        }
        let mut updated = self.service_row(id, &current.org_id, &f, current.stamp.next(self.now()))?;
        if !active {
            updated.status = ServiceStatus::Inactive;
        }
        let mut ev = ctx.event(self.now(), "update_service", "ok", "service", id);
        ev.details = serde_json::json!({ "capacity": f.capacity, "active": active }).to_string();
        self.commit(&Batch { inserts: vec![], updates: vec![rows::entry(&updated)?] }, &ev).await?;
        self.service_view(ctx, &updated).await
    }

    /// A service as the form's fields say, active, stamped as given.
    fn service_row(&self, id: &str, owner: &OrgId, f: &ServiceFields, stamp: Stamp) -> CoreResult<Service> {
        Ok(Service {
            id: ServiceId(id.to_owned()),
            org_id: owner.clone(),
            kind: f.kind,
            status: ServiceStatus::Active,
            region: f.region.clone(),
            attrs: ServiceAttrs {
                name: f.name.clone(),
                specialisations: f.specialisations.clone(),
                capacity: f.capacity,
                contact_protocol: f.contact_protocol.clone(),
            },
            sealed: Some(self.seal_json(Service::TABLE, id, &ServiceSecrets { address: f.address.clone() })?),
            stamp,
        })
    }

    fn referral_view(&self, ctx: &Ctx, r: &Referral, person_code: &str) -> CoreResult<ReferralView> {
        let status = r.status;
        let mine = ctx.org_id();
        let mut actions = Vec::new();
        for act in [ReferralAction::Accept, ReferralAction::Reject, ReferralAction::Start, ReferralAction::Complete, ReferralAction::Revoke]
        {
            let side = if act.by_receiver() { &r.to_org } else { &r.from_org };
            let rel = if Some(side) == mine { Relation::SameOrg } else { Relation::Unrelated };
            let needed = if act.by_receiver() { Action::RespondReferral } else { Action::RevokeReferral };
            if next_status(status, act).is_some() && may(ctx, needed, rel) {
                actions.push(act.as_str());
            }
        }
        Ok(ReferralView {
            id: r.id.0.clone(),
            person_id: r.person.to_string(),
            person_code: person_code.to_owned(),
            from_org: r.from_org.clone(),
            to_org: Some(r.to_org.clone()),
            service_id: r.service.0.clone(),
            service_name: r.attrs.service_name.clone(),
            service_kind: r.service_kind.as_str().into(),
            status,
            consent: r.attrs.consent.clone(),
            without_consent: r.attrs.without_consent,
            requested_at: r.stamp.created_at,
            steps: r.attrs.steps.clone(),
            version: r.stamp.version,
            actions,
        })
    }

    /// Refer a person to a service. Without recorded consent only a holder of the dedicated
    /// permission may refer, with a written reason; that is audited as its own action.
    pub async fn create_referral(&self, ctx: &Ctx, person: &PersonId, input: &ReferralInput) -> CoreResult<ReferralView> {
        let (p, rel) = self.scope().person_for(ctx, person, Action::Refer).await?;
        let is_child = p.approx_age.is_some_and(|a| a < 18);
        // Without consent, only a holder of the override may go on, with a reason; anyone
        // else is told to record the consent (not about a reason field they do not have).
        let may_override =
            ctx.actor.as_ref().is_some_and(|a| amparo_domain::policy::authorize(a, Action::ReferWithoutConsent, rel).is_ok());
        let f = match input.validate(&self.today(), is_child) {
            Ok(f) => f,
            Err(mut e) if !may_override && input.consent_by.trim().is_empty() => {
                e.0.retain(|x| x.field != "no_consent_reason");
                e.add("consent_by", "consent_required");
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        };
        if f.consent.is_none() {
            self.authorize(ctx, Action::ReferWithoutConsent, rel, "person", person.as_str()).await?;
        }
        let service = rows::get::<Service>(&*self.store, &f.service_id).await?.filter(|s| s.status == ServiceStatus::Active);
        let service = service.ok_or_else(|| CoreError::field("service_id", "invalid_choice"))?;
        let open = RowFilter {
            subject_ids: vec![person.to_string()],
            lookup: Some(service.id.0.clone()),
            statuses: ReferralStatus::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str().into()).collect(),
            limit: Some(1),
            ..Default::default()
        };
        if self.store.count_rows(Referral::TABLE, &open).await? > 0 {
            return Err(CoreError::field("service_id", "already_referred_to_this_service"));
        }
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let now = self.now();
        let id = self.random.new_id();
        let a = ReferralAttrs {
            service_name: service.attrs.name.clone(),
            consent: f.consent.clone(),
            without_consent: f.consent.is_none(),
            steps: vec![ReferralStep {
                at: now,
                by: me.user_id.to_string(),
                status: ReferralStatus::Requested,
                reason: None,
                capacity_override: false,
            }],
        };
        let secrets = ReferralSecrets {
            consent_name: f.consent_name.clone(),
            no_consent_reason: f.no_consent_reason.clone(),
            notes: f.notes.clone(),
        };
        let referral = Referral {
            id: ReferralId(id.clone()),
            from_org: me.org_id.clone(),
            to_org: service.org_id.clone(),
            person: person.clone(),
            service: service.id.clone(),
            service_kind: service.kind,
            status: ReferralStatus::Requested,
            region: Some(service.region.clone()),
            referred_at: days_from_civil(&f.referred_on).map(|d| d * 86_400),
            attrs: a,
            sealed: Some(self.seal_json(Referral::TABLE, &id, &secrets)?),
            stamp: Stamp::new(now, me.user_id.as_str()),
        };
        let batch = Batch {
            inserts: vec![rows::entry(&referral)?, self.notify(&service.org_id, "referral_requested", &format!("/referrals/{id}"))],
            updates: vec![],
        };
        let action = if f.consent.is_none() { "refer_without_consent" } else { "create_referral" };
        let mut ev = ctx.event(now, action, "ok", "referral", &id);
        ev.details = serde_json::json!({ "person": person, "service": service.id, "to_org": service.org_id, "consent": f.consent.as_ref().map(|c| c.by) }).to_string();
        self.commit(&batch, &ev).await?;
        self.referral_view(ctx, &referral, &p.code)
    }

    /// Move a referral along its lifecycle. Accepting beyond capacity needs `capacity_override`
    /// and a reason; the service row is version-bumped in the same transaction so two
    /// simultaneous acceptances cannot both take the last place.
    pub async fn act_on_referral(&self, ctx: &Ctx, id: &str, input: &ReferralActInput) -> CoreResult<ReferralView> {
        let mut e = FieldErrors::new();
        let action = ReferralAction::parse(input.action.trim());
        if action.is_none() {
            e.add("action", "invalid_choice");
        }
        let version: Option<i64> = input.version.trim().parse().ok();
        if version.is_none() {
            e.add("version", "required");
        }
        let reason = Some(input.reason.trim().to_owned()).filter(|r| !r.is_empty());
        if matches!(action, Some(ReferralAction::Reject | ReferralAction::Revoke)) || input.capacity_override {
            amparo_domain::intake::reason(&mut e, "reason", &input.reason);
        }
        e.into_result()?;
        let Some(action) = action else { return Err(CoreError::field("action", "invalid_choice")) };
        let current = rows::get::<Referral>(&*self.store, id).await?;
        let mine = ctx.org_id();
        let rel = match &current {
            Some(r) if action.by_receiver() && Some(&r.to_org) == mine => Relation::SameOrg,
            Some(r) if !action.by_receiver() && Some(&r.from_org) == mine => Relation::SameOrg,
            _ => Relation::Unrelated,
        };
        let needed = if action.by_receiver() { Action::RespondReferral } else { Action::RevokeReferral };
        self.authorize(ctx, needed, rel, "referral", id).await?;
        let current = current.ok_or(CoreError::NotFound)?;
        let code = self.store.get_person(&current.person).await?.map(|p| p.code).unwrap_or_default();
        if Some(current.stamp.version) != version {
            return Err(CoreError::Conflict {
                current: serde_json::to_value(self.referral_view(ctx, &current, &code)?).unwrap_or_default(),
            });
        }
        let status = current.status;
        let Some(next) = next_status(status, action) else { return Err(CoreError::field("action", "not_allowed_in_this_state")) };
        let now = self.now();
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let mut updates = Vec::new();
        let mut over = false;
        if action == ReferralAction::Accept {
            let service = rows::get::<Service>(&*self.store, &current.service.0).await?.ok_or(CoreError::NotFound)?;
            if self.occupancy(&service.id.0).await? >= service.attrs.capacity {
                if !input.capacity_override {
                    return Err(CoreError::field("capacity_override", "service_full"));
                }
                over = true;
            }
            // Bumped so that two acceptances at once cannot both take the last place.
            updates.push(rows::entry(&Service { stamp: service.stamp.next(now), ..service })?);
        }
        let mut updated = Referral { status: next, stamp: current.stamp.next(now), ..current.clone() };
        updated.attrs.steps.push(ReferralStep { at: now, by: me.user_id.to_string(), status: next, reason, capacity_override: over });
        updates.push(rows::entry(&updated)?);
        let notify_org = if action.by_receiver() { &current.from_org } else { &current.to_org };
        let note = self.notification(notify_org, &format!("referral_{}", next.as_str()), &format!("/referrals/{id}"));
        let batch = Batch { inserts: vec![rows::entry(&note)?], updates };
        let mut ev = ctx.event(now, &format!("{}_referral", action.as_str()), "ok", "referral", id);
        ev.details = serde_json::json!({ "from": status, "to": next, "capacity_override": over }).to_string();
        self.commit(&batch, &ev).await?;
        self.referral_view(ctx, &updated, &code)
    }

    async fn referral_views(&self, ctx: &Ctx, referrals: &[Referral]) -> CoreResult<Vec<ReferralView>> {
        let ids: Vec<String> = referrals.iter().map(|r| r.person.to_string()).collect();
        let persons = self.store.persons_by_ids(&ids).await?;
        referrals
            .iter()
            .map(|r| {
                let code = persons.iter().find(|p| p.id == r.person).map(|p| p.code.clone()).unwrap_or_default();
                self.referral_view(ctx, r, &code)
            })
            .collect()
    }

    /// Referrals received by and sent from the caller's organisation.
    /// The referrals the caller's organisation received (`incoming`) and sent (`outgoing`),
    /// newest first, each box a page at a time with its own cursor, filtered in the
    /// database by `?status=`, `?region=` and `?from=`/`?to=`. With no cursor both boxes
    /// start at their first page; given a cursor, only the boxes given one are read (so a
    /// client pages one box without being sent the other's first page again).
    pub async fn list_referrals(
        &self,
        ctx: &Ctx,
        q: &ListParams,
        incoming_cursor: Option<&str>,
        outgoing_cursor: Option<&str>,
    ) -> CoreResult<ReferralBoxes> {
        self.authorize(ctx, Action::ViewReferrals, Relation::OwnOrgScope, "referral", "").await?;
        let org = ctx.org_id().ok_or(CoreError::Unauthenticated)?.clone();
        let statuses: Vec<&str> = amparo_domain::protection::ReferralStatus::ALL.iter().map(|s| s.as_str()).collect();
        let filter = q.filter(&statuses).map_err(CoreError::Validation)?;
        let given = |c: Option<&str>| c.map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned);
        let (inc, out) = (given(incoming_cursor), given(outgoing_cursor));
        let both = inc.is_none() && out.is_none();
        let mut boxes = ReferralBoxes::default();
        for (list, cursor) in [("referrals_in", inc), ("referrals_out", out)] {
            if !both && cursor.is_none() {
                continue;
            }
            let mut page = self.page_request(ctx, list, q.limit.as_deref(), None)?;
            if let Some(c) = &cursor {
                let param = if list == "referrals_in" { "incoming_cursor" } else { "outgoing_cursor" };
                page.after = Some(self.open_cursor(ctx, list, c).ok_or_else(|| CoreError::field(param, "invalid_cursor"))?);
            }
            let incoming = list == "referrals_in";
            // Received: the organisation is the receiving party. Sent: it referred, to
            // someone else (a referral to one's own service is in the received box only).
            let base = if incoming {
                RowFilter { parties: vec![org.clone()], ..Default::default() }
            } else {
                RowFilter { owners: vec![org.clone()], ..Default::default() }
            };
            let seen = scanned(self.scan_rows(Referral::TABLE, base, &filter, &page).await?, page.limit, row_key);
            let mut listed = rows::typed::<Referral>(seen.rows)?;
            listed.retain(|r| incoming || r.to_org != org);
            let views = self.referral_views(ctx, &listed).await?;
            let p = self.page_of(ctx, list, views, seen.next);
            if incoming {
                (boxes.incoming, boxes.incoming_cursor) = (p.items, p.next_cursor);
            } else {
                (boxes.outgoing, boxes.outgoing_cursor) = (p.items, p.next_cursor);
            }
        }
        self.append(&ctx.event(self.now(), "list_referrals", "ok", "referral", "")).await?;
        Ok(boxes)
    }

    pub async fn get_referral(&self, ctx: &Ctx, id: &str) -> CoreResult<ReferralView> {
        let found = rows::get::<Referral>(&*self.store, id).await?;
        let mine = ctx.org_id();
        let rel = match &found {
            Some(r) if Some(&r.from_org) == mine || Some(&r.to_org) == mine => Relation::SameOrg,
            _ => Relation::Unrelated,
        };
        self.authorize(ctx, Action::ViewReferrals, rel, "referral", id).await?;
        let found = found.ok_or(CoreError::NotFound)?;
        self.append(&ctx.event(self.now(), "read_referral", "ok", "referral", id)).await?;
        self.referral_views(ctx, &[found]).await?.into_iter().next().ok_or(CoreError::NotFound)
    }

    pub async fn record_assistance(&self, ctx: &Ctx, person: &PersonId, input: &AssistanceInput) -> CoreResult<AssistanceView> {
        let f = input.validate(&self.today())?;
        self.scope().person_for(ctx, person, Action::RecordAssistance).await?;
        if let Some(c) = &f.country
            && !self.store.list_countries().await?.iter().any(|x| &x.alpha2 == c)
        {
            return Err(CoreError::field("country", "invalid_choice"));
        }
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let now = self.now();
        let id = self.random.new_id();
        let record = Assistance {
            id: id.clone(),
            org_id: me.org_id.clone(),
            person: person.clone(),
            started_at: days_from_civil(&f.started_on).map(|d| d * 86_400),
            sealed: Some(self.seal_json(Assistance::TABLE, &id, &AssistanceSecrets { notes: f.notes.clone() })?),
            fields: f.clone(),
            stamp: Stamp::new(now, me.user_id.as_str()),
        };
        let mut ev = ctx.event(now, "record_assistance", "ok", "assistance", &id);
        ev.details = serde_json::json!({ "person": person, "kind": f.kind, "detail": f.detail }).to_string();
        self.commit(&Batch { inserts: vec![rows::entry(&record)?], updates: vec![] }, &ev).await?;
        Ok(AssistanceView {
            id,
            person_id: person.to_string(),
            org_id: me.org_id.clone(),
            notes: f.notes.clone(),
            fields: f,
            created_at: now,
        })
    }

    /// An assistance record for synthetic data sets (the generator's id, organisation,
    /// person and stamp), validated as the form is.
    pub fn generated_assistance(
        &self,
        input: &AssistanceInput,
        id: String,
        org_id: OrgId,
        person: PersonId,
        stamp: Stamp,
    ) -> CoreResult<Assistance> {
        let f = input.validate(&self.today())?;
        Ok(Assistance {
            sealed: Some(self.seal_json(Assistance::TABLE, &id, &AssistanceSecrets { notes: None })?),
            started_at: days_from_civil(&f.started_on).map(|d| d * 86_400),
            fields: f,
            id,
            org_id,
            person,
            stamp,
        })
    }

    /// A person's whole file. One audited read.
    pub async fn person_file(&self, ctx: &Ctx, id: &PersonId) -> CoreResult<PersonFile> {
        let (rec, rel) = self.scope().person_for(ctx, id, Action::ListPersons).await?;
        self.append(&ctx.event(self.now(), "read_person", "ok", "person", id.as_str())).await?;
        let pid = id.to_string();
        let mut refs = rows::find::<Referral>(&*self.store, &RowFilter { subject_ids: vec![pid.clone()], ..Default::default() }).await?;
        // A receiving organisation sees the referrals addressed to it, not the person's others.
        let mine = ctx.org_id();
        refs.retain(|r| rel == Relation::SameOrg || Some(&r.to_org) == mine || Some(&r.from_org) == mine);
        let mut assistance = Vec::new();
        for a in rows::find::<Assistance>(&*self.store, &RowFilter { subject_ids: vec![pid.clone()], ..Default::default() }).await? {
            let s: AssistanceSecrets = self.open_sealed(Assistance::TABLE, &a.id, a.sealed.as_deref())?;
            assistance.push(AssistanceView {
                id: a.id,
                person_id: pid.clone(),
                org_id: a.org_id,
                fields: a.fields,
                notes: s.notes,
                created_at: a.stamp.created_at,
            });
        }
        Ok(PersonFile {
            person: crate::usecases::persons::public(&rec),
            screenings: self.identification().screenings_of(&pid).await?,
            decisions: self.identification().decisions_of(&pid).await?,
            referrals: self.referral_views(ctx, &refs).await?,
            assistance,
            can_edit: may(ctx, Action::UpdatePerson, rel),
            can_screen: may(ctx, Action::Screen, rel),
            can_refer_without_consent: may(ctx, Action::ReferWithoutConsent, rel),
        })
    }

    /// Identified victims (current decision Possible/Actual victim) with no standing referral
    /// `days` or more after the decision. Coordinators and analysts see the whole country;
    /// everyone else sees the persons of their own organisation.
    /// A page of the referral gap: identified victims not referred `days` after the latest
    /// decision, oldest decision first; the caller's organisation's persons, or everyone's
    /// for national roles.
    pub async fn referral_gap(&self, ctx: &Ctx, days: i64, q: &ListParams) -> CoreResult<Page<GapRow>> {
        self.authorize(ctx, Action::ViewReferralGap, Relation::OwnOrgScope, "referral_gap", "").await?;
        let page = self.page_request(ctx, "referral_gap", q.limit.as_deref(), q.cursor.as_deref())?;
        let query = GapQuery { after: page.after.clone(), limit: page.limit as i64 + 1, ..self.gap_query(ctx, days)? };
        let key = |c: &GapCandidate| After { at: c.decided_at, id: c.person_id.clone() };
        let seen = scanned(self.store.gap_page(&query).await?, page.limit, key);
        let today = days_from_civil(&self.today()).unwrap_or(0);
        let out: Vec<GapRow> = seen
            .rows
            .into_iter()
            .map(|c| {
                let day = c.decided_at.div_euclid(86_400);
                GapRow {
                    person_id: c.person_id,
                    person_code: c.code,
                    org_id: c.org_id,
                    status: c.status,
                    decided_on: amparo_domain::protection::iso_date(day * 86_400),
                    days_since: today - day,
                }
            })
            .collect();
        let mut ev = ctx.event(self.now(), "view_referral_gap", "ok", "referral_gap", "");
        ev.details = serde_json::json!({ "days": days, "count": out.len() }).to_string();
        self.append(&ev).await?;
        Ok(self.page_of(ctx, "referral_gap", out, seen.next))
    }

    /// How many persons are in the caller's referral gap in all (a count: not audited).
    pub async fn referral_gap_count(&self, ctx: &Ctx, days: i64) -> CoreResult<usize> {
        self.authorize(ctx, Action::ViewReferralGap, Relation::OwnOrgScope, "referral_gap", "").await?;
        self.gap_count(ctx, days).await
    }

    /// How many persons are in the caller's referral gap (counted by the database).
    pub(crate) async fn gap_count(&self, ctx: &Ctx, days: i64) -> CoreResult<usize> {
        let q = self.gap_query(ctx, days)?;
        Ok(usize::try_from(self.store.gap_count(&q).await?).unwrap_or(0))
    }

    /// The caller's gap question: their organisation's persons, or the country's for the
    /// national roles; decisions taken at least `days` whole days ago.
    fn gap_query(&self, ctx: &Ctx, days: i64) -> CoreResult<GapQuery> {
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let national = me.roles.iter().any(|r| matches!(r, amparo_domain::Role::Coordinator | amparo_domain::Role::Analyst));
        let days = days.clamp(0, 3_650);
        let today = days_from_civil(&self.today()).unwrap_or(0);
        Ok(GapQuery {
            org: (!national).then(|| me.org_id.clone()),
            identified: TraffickingStatus::ALL.iter().filter(|s| s.is_identified()).map(|s| s.as_str().to_owned()).collect(),
            // Decided on a day at least `days` before today.
            cutoff: (today - days + 1) * 86_400,
            after: None,
            limit: 0,
        })
    }

    /// Whether the caller's role may open what a notification links to.
    fn may_open_link(ctx: &Ctx, link: &str) -> bool {
        ctx.actor.as_ref().is_some_and(|a| authorize(a, action_for_link(link), Relation::OwnOrgScope).is_ok())
    }

    /// What a notification is about, without identities.
    async fn notification_about(&self, link: &str) -> CoreResult<String> {
        let mut parts = link.trim_start_matches('/').split(['/', '?', '#']);
        let (Some(kind), Some(id)) = (parts.next(), parts.next()) else { return Ok(String::new()) };
        Ok(match kind {
            "referrals" => match rows::get::<Referral>(&*self.store, id).await? {
                Some(r) => {
                    let code = self.store.get_person(&r.person).await?.map(|p| p.code).unwrap_or_default();
                    [r.attrs.service_name, code].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · ")
                }
                None => String::new(),
            },
            "cases" | "reports" => {
                let table = if kind == "cases" { RecordTable::Cases } else { RecordTable::Reports };
                self.store.get_row(table, id).await?.and_then(|r| r.lookup).unwrap_or_default()
            }
            "persons" => self.store.persons_by_ids(&[id.to_owned()]).await?.first().map(|p| p.code.clone()).unwrap_or_default(),
            _ => String::new(),
        })
    }

    pub async fn list_notifications(&self, ctx: &Ctx, q: &ListParams) -> CoreResult<Page<NotificationView>> {
        self.authorize(ctx, Action::ViewDirectory, Relation::OwnOrgScope, "notification", "").await?;
        let page = self.page_request(ctx, "notifications", q.limit.as_deref(), q.cursor.as_deref())?;
        let filter = q.filter(&[NotificationStatus::Unread.as_str(), NotificationStatus::Read.as_str()]).map_err(CoreError::Validation)?;
        let seen = scanned(self.scan_rows(Notification::TABLE, Self::notifications_of(ctx)?, &filter, &page).await?, page.limit, row_key);
        let mut out = Vec::with_capacity(seen.rows.len());
        for n in rows::typed::<Notification>(seen.rows)? {
            let about = self.notification_about(&n.link).await?;
            out.push(NotificationView {
                id: n.id.0,
                kind: n.kind,
                link: n.link,
                at: n.stamp.created_at,
                unread: n.status == NotificationStatus::Unread,
                about,
            });
        }
        Ok(self.page_of(ctx, "notifications", out, seen.next))
    }

    /// The organisation's notifications whose link the caller may open, as a filter: the
    /// policy decides which link families; the database keeps the rest out of every page
    /// and count.
    fn notifications_of(ctx: &Ctx) -> CoreResult<RowFilter> {
        let org = ctx.org_id().ok_or(CoreError::Unauthenticated)?.clone();
        let prefixes: Vec<String> = LINK_FAMILIES.iter().filter(|p| Self::may_open_link(ctx, p)).map(|p| format!("{p}/")).collect();
        let none = prefixes.is_empty();
        Ok(RowFilter { owners: vec![org], lookup_prefixes: prefixes, lookup_none: none, ..Default::default() })
    }

    /// Unread notifications for the organisation that the caller may open, for the
    /// navigation badge: counted by the database. Not audited: it reveals a count, not a record.
    pub async fn unread_notifications(&self, ctx: &Ctx) -> CoreResult<usize> {
        if ctx.org_id().is_none() {
            return Ok(0);
        }
        let f = RowFilter { statuses: vec![NotificationStatus::Unread.as_str().into()], ..Self::notifications_of(ctx)? };
        Ok(usize::try_from(self.store.count_rows(Notification::TABLE, &f).await?).unwrap_or(0))
    }

    pub async fn mark_notifications_read(&self, ctx: &Ctx) -> CoreResult<()> {
        self.authorize(ctx, Action::ViewDirectory, Relation::OwnOrgScope, "notification", "").await?;
        let org = ctx.org_id().ok_or(CoreError::Unauthenticated)?;
        // A chunk at a time, so an organisation with years of unread notifications is not
        // read into memory at once; each chunk read is no longer unread, so the loop ends.
        let f = RowFilter {
            orgs: vec![org.clone()],
            statuses: vec![NotificationStatus::Unread.as_str().into()],
            limit: Some(500),
            ..Default::default()
        };
        loop {
            let now = self.now();
            let updates = rows::find::<Notification>(&*self.store, &f)
                .await?
                .into_iter()
                .map(|n| rows::entry(&Notification { status: NotificationStatus::Read, stamp: n.stamp.next(now), ..n }))
                .collect::<CoreResult<Vec<_>>>()?;
            if updates.is_empty() {
                return Ok(());
            }
            let ev = ctx.event(now, "read_notifications", "ok", "notification", "");
            let seq = self.store.write(&Batch { inserts: vec![], updates }, &ev).await?;
            self.maybe_checkpoint(seq).await;
        }
    }
}

/// Service kinds and specialisations, for forms.
pub fn service_kinds() -> &'static [ServiceKind] {
    ServiceKind::ALL
}
