//! Intake: reports (staff-taken and anonymous web tips), police operations and labour
//! inspections, and the triage of reports in each unit's queue.
//!
//! A report is routed, at creation, to the unit competent for its place through the
//! jurisdiction tree. The unit holding it is `org_id`; the organisation that took it (the
//! hotline) is `party_org` and keeps sight of it. Narratives and reporter contacts are sealed.

use super::Intake;
use crate::crypto::sha256_hex;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::paging::{Page, merge_rows, row_key, scanned};
use crate::random::RandomExt;
use crate::rows::intake::{Held, Inspection, Operation, Report, ReportAttrs};
use crate::rows::{self, Row, Stamp};
use crate::store::{Batch, RowFilter, RowOrder, ThrottleState};
use amparo_domain::OrgId;
use amparo_domain::intake::{
    Channel, Exploitation, FollowUp, InspectionFields, InspectionInput, OperationFields, OperationInput, Priority, ReportInput,
    ReportSecrets, ReportStatus, ReportStep, Timeliness, reason, reference_code, route, timeliness,
};
use amparo_domain::org::{OrgKind, Organisation};
use amparo_domain::paging::{After, ListParams};
use amparo_domain::person::Person;
use amparo_domain::policy::{Action, Relation};
use amparo_domain::validation::{FieldErrors, required_text};
use serde::{Deserialize, Serialize};

/// A report as shown in queues (no narrative).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ReportView {
    pub id: String,
    pub reference: Option<String>,
    pub org_id: OrgId,
    pub origin_org: Option<OrgId>,
    pub channel: String,
    pub status: String,
    pub priority: Priority,
    pub exploitation: Exploitation,
    pub place: String,
    pub imminent_danger: bool,
    pub child_involved: bool,
    pub received_at: i64,
    pub acknowledged_at: Option<i64>,
    pub acted_at: Option<i64>,
    pub timeliness: Timeliness,
    pub steps: Vec<ReportStep>,
    pub version: i64,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ReportDetail {
    #[serde(flatten)]
    pub report: ReportView,
    pub secrets: ReportSecrets,
    pub persons: Vec<Person>,
    /// Whether the caller may triage it (acknowledge, act, reassign, close).
    pub can_triage: bool,
}

/// What an anonymous reporter gets back, once.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct PublicReceipt {
    pub reference: String,
    pub secret: String,
}

/// All an anonymous reporter may learn: that the report was received, and when.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct PublicStatus {
    pub reference: String,
    pub received_on: String,
    pub follow_ups: usize,
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct TriageInput {
    /// `acknowledge`, `act`, `reassign` or `close`.
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub to_org: String,
    #[serde(default)]
    pub reason: String,
    #[schemars(schema_with = "amparo_domain::intake::number_text_schema")]
    #[serde(default, deserialize_with = "amparo_domain::intake::version_text")]
    #[schemars(required)]
    pub version: String,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct OperationView {
    pub id: String,
    pub org_id: OrgId,
    #[serde(flatten)]
    pub fields: OperationFields,
    pub place_detail: Option<String>,
    pub notes: Option<String>,
    pub persons: Vec<Person>,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct InspectionView {
    pub id: String,
    pub org_id: OrgId,
    #[serde(flatten)]
    pub fields: InspectionFields,
    pub workplace: String,
    pub notes: Option<String>,
    pub persons: Vec<Person>,
}

#[derive(Default, Serialize, Deserialize, schemars::JsonSchema)]
struct OperationSecrets {
    place_detail: Option<String>,
    notes: Option<String>,
}

#[derive(Default, Serialize, Deserialize, schemars::JsonSchema)]
struct InspectionSecrets {
    workplace: String,
    notes: Option<String>,
}

/// Anonymous reports allowed per network address per hour. The address is only ever kept as
/// a keyed hash, and only in the throttling table.
const PUBLIC_REPORTS_PER_HOUR: i64 = 5;

/// A unit's queue page and what it sent on; `next_cursor` pages the queue.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ReportQueue {
    pub queue: Vec<ReportView>,
    pub sent: Vec<ReportView>,
    pub next_cursor: Option<String>,
}

impl Intake {
    /// The unit competent for a place: the most specific police unit; failing that, the
    /// root of the police tree (the national directorate).
    pub(crate) async fn route_report(&self, place: &str) -> CoreResult<Organisation> {
        let chain = self.scope().place_chain(place).await?;
        let orgs = self.store.list_orgs().await?;
        if let Some(o) = route(&chain, &orgs, &[OrgKind::PoliceUnit]) {
            return Ok(o.clone());
        }
        orgs.iter()
            .filter(|o| o.kind == OrgKind::PoliceUnit && o.parent_id.is_none())
            .chain(orgs.iter().filter(|o| o.kind == OrgKind::CoordinatingBody))
            .min_by_key(|o| o.created_at)
            .cloned()
            .ok_or_else(|| CoreError::field("place", "no_competent_unit"))
    }

    fn report_view(&self, r: &Report) -> ReportView {
        let a = &r.attrs;
        let priority = a.priority.unwrap_or(Priority::Normal);
        ReportView {
            id: r.id.clone(),
            reference: r.reference.clone(),
            org_id: r.queue.clone(),
            origin_org: r.taken_by.clone(),
            channel: r.channel.as_str().into(),
            status: r.status.as_str().into(),
            priority,
            exploitation: a.exploitation.unwrap_or(Exploitation::Unknown),
            place: r.place.clone().unwrap_or_default(),
            imminent_danger: a.imminent_danger,
            child_involved: a.child_involved,
            received_at: r.received_at,
            acknowledged_at: a.acknowledged_at,
            acted_at: a.acted_at.or(a.closed_at),
            timeliness: timeliness(priority, r.received_at, a.acknowledged_at, a.acted_at.or(a.closed_at), self.now()),
            steps: a.steps.clone(),
            version: r.stamp.version,
        }
    }

    /// How many of these stored reports are past a deadline now.
    pub(crate) fn overdue_count(&self, stored: Vec<crate::store::RecordRow>) -> CoreResult<usize> {
        Ok(rows::typed::<Report>(stored)?
            .iter()
            .map(|r| self.report_view(r))
            .filter(|v| v.timeliness.ack_overdue || (v.timeliness.act_overdue && v.acted_at.is_none()))
            .count())
    }

    fn new_report(
        &self,
        f: &amparo_domain::intake::ReportFields,
        queue: &Organisation,
        origin: Option<&OrgId>,
        by: &str,
    ) -> CoreResult<Report> {
        self.report(self.random.new_id(), self.now(), f, queue, origin, by)
    }

    /// A report received at `now` (the generator passes its own ids and past days).
    fn report(
        &self,
        id: String,
        now: i64,
        f: &amparo_domain::intake::ReportFields,
        queue: &Organisation,
        origin: Option<&OrgId>,
        by: &str,
    ) -> CoreResult<Report> {
        let a = ReportAttrs {
            priority: Some(Priority::from_urgency(f.imminent_danger, f.child_involved)),
            exploitation: Some(f.exploitation),
            imminent_danger: f.imminent_danger,
            child_involved: f.child_involved,
            steps: vec![ReportStep {
                at: now,
                by: by.to_owned(),
                step: "received".into(),
                from_org: None,
                to_org: Some(queue.id.clone()),
                reason: None,
            }],
            ..Default::default()
        };
        Ok(Report {
            sealed: Some(self.seal_json(Report::TABLE, &id, &f.secrets)?),
            id,
            queue: queue.id.clone(),
            taken_by: origin.cloned(),
            channel: f.channel,
            status: ReportStatus::New,
            place: Some(f.place.clone()),
            reference: None,
            received_at: now,
            attrs: a,
            stamp: Stamp::new(now, by),
        })
    }

    /// A report received in the past and acted on and closed since, for synthetic data sets:
    /// the same row and steps a unit's staff would have left, with the generator's id and days.
    pub fn closed_report_row(
        &self,
        id: String,
        received: i64,
        closed: i64,
        f: &amparo_domain::intake::ReportFields,
        queue: &Organisation,
        origin: Option<&OrgId>,
    ) -> CoreResult<Report> {
        let by = "generator";
        let mut r = self.report(id, received, f, queue, origin, by)?;
        let a = &mut r.attrs;
        a.acknowledged_at = Some(received);
        a.acted_at = Some(closed);
        a.closed_at = Some(closed);
        for step in ["act", "close"] {
            a.steps.push(ReportStep { at: closed, by: by.into(), step: step.into(), from_org: None, to_org: None, reason: None });
        }
        r.status = ReportStatus::Closed;
        r.stamp.updated_at = closed;
        Ok(r)
    }

    /// A report taken by staff (a hotline call, a walk-in, a referral from abroad).
    pub async fn create_report(&self, ctx: &Ctx, input: &ReportInput) -> CoreResult<ReportView> {
        let f = input.validate()?;
        if f.channel == Channel::Web {
            return Err(CoreError::field("channel", "invalid_choice"));
        }
        self.authorize(ctx, Action::CreateReport, Relation::OwnOrgScope, "report", "").await?;
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let queue = self.route_report(&f.place).await?;
        let report = self.new_report(&f, &queue, Some(&me.org_id), me.user_id.as_str())?;
        let mut batch = Batch { inserts: vec![rows::entry(&report)?], updates: vec![] };
        if queue.id != me.org_id {
            batch.inserts.push(self.notify(&queue.id, "report_routed", &format!("/reports/{}", report.id)));
        }
        let mut ev = ctx.event(self.now(), "create_report", "ok", "report", &report.id);
        ev.details = serde_json::json!({ "routed_to": queue.id, "channel": f.channel, "place": f.place }).to_string();
        self.commit(&batch, &ev).await?;
        Ok(self.report_view(&report))
    }

    fn public_key(&self, client_ip: &str) -> String {
        format!("public:{}", self.address_hash("public-report-ip", client_ip))
    }

    /// Count one public attempt against the keyed hash of the address; refuse over the limit.
    async fn public_throttle(&self, client_ip: &str) -> CoreResult<()> {
        let key = self.public_key(client_ip);
        let now = self.now();
        let mut t = self.store.throttle_get(&key).await?.unwrap_or_default();
        if now - t.window_start > 3_600 {
            t = ThrottleState { failures: 0, window_start: now, locked_until: 0 };
        }
        if t.failures >= PUBLIC_REPORTS_PER_HOUR {
            return Err(CoreError::Throttled { retry_after: (t.window_start + 3_600 - now).max(1) });
        }
        t.failures += 1;
        self.store.throttle_put(&key, &t).await?;
        Ok(())
    }

    /// An anonymous web report. `client_ip` is used only for the keyed-hash rate limit; the
    /// audit entry records no address and no actor.
    pub async fn submit_public_report(&self, operation_id: &str, client_ip: &str, input: &ReportInput) -> CoreResult<PublicReceipt> {
        let input = ReportInput { channel: "web".into(), ..input.clone() };
        let f = input.validate()?;
        self.public_throttle(client_ip).await?;
        let queue = self.route_report(&f.place).await?;
        let mut report = self.new_report(&f, &queue, None, "public")?;
        let reference = reference_code(&self.random.bytes::<10>());
        let secret = self.random.token();
        report.attrs.secret_hash = Some(sha256_hex(secret.as_bytes()));
        report.reference = Some(reference.clone());
        let batch = Batch {
            inserts: vec![rows::entry(&report)?, self.notify(&queue.id, "report_routed", &format!("/reports/{}", report.id))],
            updates: vec![],
        };
        let ctx = Ctx::anonymous("", operation_id);
        let mut ev = ctx.event(self.now(), "submit_public_report", "ok", "report", &report.id);
        ev.details = serde_json::json!({ "routed_to": queue.id }).to_string();
        self.commit(&batch, &ev).await?;
        Ok(PublicReceipt { reference, secret })
    }

    async fn public_report(&self, client_ip: &str, reference: &str, secret: &str) -> CoreResult<Report> {
        let f = RowFilter {
            lookup: Some(reference.trim().to_uppercase()),
            kind: Some(Channel::Web.as_str().into()),
            limit: Some(1),
            ..Default::default()
        };
        let found = rows::find::<Report>(&*self.store, &f).await?.into_iter().next().filter(|r| {
            r.attrs
                .secret_hash
                .as_deref()
                .is_some_and(|h| crate::crypto::ct_eq(h.as_bytes(), sha256_hex(secret.trim().as_bytes()).as_bytes()))
        });
        match found {
            Some(x) => Ok(x),
            None => {
                // Wrong codes count against the same limit, so codes cannot be guessed.
                self.public_throttle(client_ip).await?;
                Err(CoreError::NotFound)
            }
        }
    }

    pub async fn public_report_status(&self, client_ip: &str, reference: &str, secret: &str) -> CoreResult<PublicStatus> {
        let r = self.public_report(client_ip, reference, secret).await?;
        let secrets: ReportSecrets = self.open_sealed(Report::TABLE, &r.id, r.sealed.as_deref())?;
        Ok(PublicStatus {
            reference: r.reference.clone().unwrap_or_default(),
            received_on: amparo_domain::protection::iso_date(r.stamp.created_at),
            follow_ups: secrets.follow_ups.len(),
        })
    }

    /// The anonymous reporter adds information. Nothing of the case is shown back.
    pub async fn public_report_add(
        &self,
        operation_id: &str,
        client_ip: &str,
        reference: &str,
        secret: &str,
        text: &str,
    ) -> CoreResult<PublicStatus> {
        let mut e = FieldErrors::new();
        let text = required_text(&mut e, "text", text, 10_000);
        e.into_result()?;
        let r = self.public_report(client_ip, reference, secret).await?;
        let mut secrets: ReportSecrets = self.open_sealed(Report::TABLE, &r.id, r.sealed.as_deref())?;
        if secrets.follow_ups.len() >= 50 {
            return Err(CoreError::field("text", "too_many_follow_ups"));
        }
        secrets.follow_ups.push(FollowUp { at: self.now(), text });
        let updated =
            Report { sealed: Some(self.seal_json(Report::TABLE, &r.id, &secrets)?), stamp: r.stamp.next(self.now()), ..r.clone() };
        let batch = Batch {
            inserts: vec![self.notify(&r.queue, "report_follow_up", &format!("/reports/{}", r.id))],
            updates: vec![rows::entry(&updated)?],
        };
        let ctx = Ctx::anonymous("", operation_id);
        let seq = self.store.write(&batch, &ctx.event(self.now(), "add_public_follow_up", "ok", "report", &r.id)).await?;
        self.maybe_checkpoint(seq).await;
        Ok(PublicStatus {
            reference: r.reference.unwrap_or_default(),
            received_on: amparo_domain::protection::iso_date(r.stamp.created_at),
            follow_ups: secrets.follow_ups.len(),
        })
    }

    /// A page of the caller's unit queue — open reports (new, acknowledged, actioned) unless
    /// `?status=` says otherwise, most urgent first, oldest received first within a priority
    /// — and the fifty reports it most recently took and sent on.
    pub async fn report_queue(&self, ctx: &Ctx, q: &ListParams) -> CoreResult<ReportQueue> {
        self.authorize(ctx, Action::ViewReports, Relation::OwnOrgScope, "report", "").await?;
        let org = ctx.org_id().ok_or(CoreError::Unauthenticated)?.clone();
        let page = self.page_request(ctx, "reports", q.limit.as_deref(), q.cursor.as_deref())?;
        let statuses: Vec<&str> = ReportStatus::ALL.iter().map(|s| s.as_str()).collect();
        let filter = q.filter(&statuses).map_err(CoreError::Validation)?;
        let open =
            vec![ReportStatus::New.as_str().into(), ReportStatus::Acknowledged.as_str().into(), ReportStatus::Actioned.as_str().into()];
        let base = RowFilter { owners: vec![org.clone()], statuses: open, order: RowOrder::Queue, ..Default::default() };
        let found = rows::typed::<Report>(self.scan_rows(Report::TABLE, base, &filter, &page).await?)?;
        let key = |r: &Report| {
            let rank = r.attrs.priority.unwrap_or(Priority::Normal) as i64;
            After { at: crate::store::report_queue_key(rank, r.received_at), id: r.id.clone() }
        };
        let seen = crate::paging::scanned(found, page.limit, key);
        let queue: Vec<ReportView> = seen.rows.iter().map(|r| self.report_view(r)).collect();
        let sent_to = RowFilter { parties: vec![org], limit: Some(50), ..Default::default() };
        let sent: Vec<ReportView> = rows::find::<Report>(&*self.store, &sent_to).await?.iter().map(|r| self.report_view(r)).collect();
        let mut ev = ctx.event(self.now(), "list_reports", "ok", "report", "");
        ev.details = serde_json::json!({ "count": queue.len() + sent.len() }).to_string();
        self.append(&ev).await?;
        let queue = self.page_of(ctx, "reports", queue, seen.next);
        Ok(ReportQueue { queue: queue.items, sent, next_cursor: queue.next_cursor })
    }

    async fn report_for(&self, ctx: &Ctx, id: &str, action: Action) -> CoreResult<(Report, Relation)> {
        let found = rows::get::<Report>(&*self.store, id).await?;
        let rel = match &found {
            Some(r) => self.scope().report_relation(ctx, &r.queue, r.taken_by.as_ref()).await?,
            None => Relation::Unrelated,
        };
        self.authorize(ctx, action, rel, "report", id).await?;
        Ok((found.ok_or(CoreError::NotFound)?, rel))
    }

    /// A report with its narrative and the persons recorded from it. An audited read.
    pub async fn get_report(&self, ctx: &Ctx, id: &str) -> CoreResult<ReportDetail> {
        let (r, rel) = self.report_for(ctx, id, Action::ViewReports).await?;
        self.append(&ctx.event(self.now(), "read_report", "ok", "report", id)).await?;
        let can_triage = match &ctx.actor {
            Some(a) => amparo_domain::policy::authorize(a, Action::TriageReport, rel).is_ok(),
            None => false,
        };
        Ok(ReportDetail {
            report: self.report_view(&r),
            secrets: self.open_sealed(Report::TABLE, &r.id, r.sealed.as_deref())?,
            persons: self.protection().persons_of_source(ctx, id).await?,
            can_triage,
        })
    }

    /// Acknowledge, mark acted on, reassign (with a reason) or close (with a reason).
    pub async fn triage_report(&self, ctx: &Ctx, id: &str, input: &TriageInput) -> CoreResult<ReportView> {
        let mut e = FieldErrors::new();
        let version: Option<i64> = input.version.trim().parse().ok();
        if version.is_none() {
            e.add("version", "required");
        }
        let action = input.action.trim();
        let why = match action {
            "reassign" | "close" => Some(reason(&mut e, "reason", &input.reason)),
            "acknowledge" | "act" => None,
            _ => {
                e.add("action", "invalid_choice");
                None
            }
        };
        let to_org = if action == "reassign" {
            let t = OrgId::parse(input.to_org.trim());
            if t.is_none() {
                e.add("to_org", "required");
            }
            t
        } else {
            None
        };
        e.into_result()?;
        let (r, _) = self.report_for(ctx, id, Action::TriageReport).await?;
        if Some(r.stamp.version) != version {
            return Err(CoreError::Conflict { current: serde_json::to_value(self.report_view(&r)).unwrap_or_default() });
        }
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let now = self.now();
        let mut updated = Report { stamp: r.stamp.next(now), ..r.clone() };
        let mut notify = None;
        let mut step =
            ReportStep { at: now, by: me.user_id.to_string(), step: action.to_owned(), from_org: None, to_org: None, reason: why };
        if r.status == ReportStatus::Closed {
            return Err(CoreError::field("action", "report_closed"));
        }
        let a = &mut updated.attrs;
        match action {
            "acknowledge" => {
                a.acknowledged_at.get_or_insert(now);
                if r.status == ReportStatus::New {
                    updated.status = ReportStatus::Acknowledged;
                }
            }
            "act" => {
                a.acknowledged_at.get_or_insert(now);
                a.acted_at.get_or_insert(now);
                updated.status = ReportStatus::Actioned;
            }
            "close" => {
                a.acknowledged_at.get_or_insert(now);
                a.closed_at = Some(now);
                updated.status = ReportStatus::Closed;
            }
            _ => {
                let Some(to) = to_org else { return Err(CoreError::field("to_org", "required")) };
                let target = self.store.get_org(&to).await?.ok_or_else(|| CoreError::field("to_org", "invalid_choice"))?;
                if target.id == r.queue {
                    return Err(CoreError::field("to_org", "same_unit"));
                }
                step.from_org = Some(r.queue.clone());
                step.to_org = Some(target.id.clone());
                updated.queue = target.id.clone();
                // The new unit's clock starts again for acknowledgement, not for acting.
                updated.attrs.acknowledged_at = None;
                updated.status = ReportStatus::New;
                notify = Some(self.notify(&target.id, "report_routed", &format!("/reports/{}", r.id)));
            }
        }
        updated.attrs.steps.push(step);
        let batch = Batch { inserts: notify.into_iter().collect(), updates: vec![rows::entry(&updated)?] };
        let mut ev = ctx.event(now, &format!("{action}_report"), "ok", "report", id);
        if action == "reassign" {
            ev.details = serde_json::json!({ "from": r.queue, "to": updated.queue }).to_string();
        }
        match self.store.write(&batch, &ev).await {
            Ok(seq) => self.maybe_checkpoint(seq).await,
            Err(crate::store::StoreError::Conflict) => {
                let cur = rows::get::<Report>(&*self.store, id).await?.ok_or(CoreError::NotFound)?;
                return Err(CoreError::Conflict { current: serde_json::to_value(self.report_view(&cur)).unwrap_or_default() });
            }
            Err(e) => return Err(e.into()),
        }
        Ok(self.report_view(&updated))
    }

    /// Mark the report an operation or inspection came from as acted on, in the same batch.
    async fn act_on_report(&self, ctx: &Ctx, report_id: &str, batch: &mut Batch) -> CoreResult<()> {
        let (r, rel) = self.report_for(ctx, report_id, Action::ViewReports).await?;
        if rel != Relation::SameOrg || r.status == ReportStatus::Closed {
            return Ok(());
        }
        let now = self.now();
        let mut updated = Report { status: ReportStatus::Actioned, stamp: r.stamp.next(now), ..r };
        let a = &mut updated.attrs;
        a.acknowledged_at.get_or_insert(now);
        a.acted_at.get_or_insert(now);
        a.steps.push(ReportStep {
            at: now,
            by: ctx.user().map(|u| u.user_id.to_string()).unwrap_or_default(),
            step: "act".into(),
            from_org: None,
            to_org: None,
            reason: None,
        });
        batch.updates.push(rows::entry(&updated)?);
        Ok(())
    }

    pub async fn create_operation(&self, ctx: &Ctx, input: &OperationInput) -> CoreResult<OperationView> {
        let f = input.validate(&self.today())?;
        self.scope().place_chain(&f.place).await?;
        self.authorize(ctx, Action::RecordOperation, Relation::OwnOrgScope, "operation", "").await?;
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let now = self.now();
        let id = self.random.new_id();
        let secrets = OperationSecrets { place_detail: f.place_detail.clone(), notes: f.notes.clone() };
        let op = Operation {
            sealed: Some(self.seal_json(Operation::TABLE, &id, &secrets)?),
            id: id.clone(),
            org_id: me.org_id.clone(),
            report_id: f.report_id.clone(),
            place: f.place.clone(),
            on: amparo_domain::protection::days_from_civil(&f.date).map(|d| d * 86_400),
            fields: f.clone(),
            stamp: Stamp::new(now, me.user_id.as_str()),
        };
        let mut batch = Batch { inserts: vec![rows::entry(&op)?], updates: vec![] };
        if let Some(r) = &f.report_id {
            self.act_on_report(ctx, r, &mut batch).await?;
        }
        let mut ev = ctx.event(now, "record_operation", "ok", "operation", &id);
        ev.details = serde_json::json!({ "persons_found": f.persons_found, "rescued": f.rescued }).to_string();
        self.commit(&batch, &ev).await?;
        Ok(OperationView {
            id,
            org_id: me.org_id.clone(),
            place_detail: secrets.place_detail,
            notes: secrets.notes,
            fields: f,
            persons: vec![],
        })
    }

    pub async fn create_inspection(&self, ctx: &Ctx, input: &InspectionInput) -> CoreResult<InspectionView> {
        let f = input.validate(&self.today())?;
        self.scope().place_chain(&f.place).await?;
        self.authorize(ctx, Action::RecordInspection, Relation::OwnOrgScope, "inspection", "").await?;
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let now = self.now();
        let id = self.random.new_id();
        let secrets = InspectionSecrets { workplace: f.workplace.clone(), notes: f.notes.clone() };
        // Forced-labour indicators observed: the police unit competent for the place is told
        // and may read the inspection. The seed reports that forced labour is rarely
        // investigated; this is the hand-over that was missing.
        let police = if f.indicators.is_empty() { None } else { Some(self.route_report(&f.place).await?) };
        let inspection = Inspection {
            sealed: Some(self.seal_json(Inspection::TABLE, &id, &secrets)?),
            id: id.clone(),
            org_id: me.org_id.clone(),
            police: police.as_ref().map(|p| p.id.clone()),
            report_id: f.report_id.clone(),
            place: f.place.clone(),
            on: amparo_domain::protection::days_from_civil(&f.date).map(|d| d * 86_400),
            fields: f.clone(),
            stamp: Stamp::new(now, me.user_id.as_str()),
        };
        let mut batch = Batch { inserts: vec![rows::entry(&inspection)?], updates: vec![] };
        if let Some(p) = &police {
            batch.inserts.push(self.notify(&p.id, "inspection_indicators", &format!("/inspections/{id}")));
        }
        if let Some(r) = &f.report_id {
            self.act_on_report(ctx, r, &mut batch).await?;
        }
        let mut ev = ctx.event(now, "record_inspection", "ok", "inspection", &id);
        ev.details = serde_json::json!({ "workers_found": f.workers_found, "indicators": f.indicators.len(), "shared_with": police.as_ref().map(|p| &p.id) }).to_string();
        self.commit(&batch, &ev).await?;
        Ok(InspectionView { id, org_id: me.org_id.clone(), workplace: secrets.workplace, notes: secrets.notes, fields: f, persons: vec![] })
    }

    /// A page of the operations the caller's organisation recorded, newest first, filtered
    /// by place and date; no sealed field.
    pub async fn operations_page(&self, ctx: &Ctx, q: &ListParams) -> CoreResult<Page<OperationView>> {
        let (found, next) = self.field_page::<Operation>(ctx, q).await?;
        let items = found
            .into_iter()
            .map(|o| OperationView { id: o.id, org_id: o.org_id, fields: o.fields, place_detail: None, notes: None, persons: vec![] })
            .collect();
        Ok(self.page_of(ctx, Operation::TABLE.name(), items, next))
    }

    /// A page of the inspections the caller's organisation recorded or was handed (forced
    /// labour indicators), newest first, filtered by place and date; no sealed field.
    pub async fn inspections_page(&self, ctx: &Ctx, q: &ListParams) -> CoreResult<Page<InspectionView>> {
        let (found, next) = self.field_page::<Inspection>(ctx, q).await?;
        let items = found
            .into_iter()
            .map(|i| InspectionView {
                id: i.id,
                org_id: i.org_id,
                fields: i.fields,
                workplace: String::new(),
                notes: None,
                persons: vec![],
            })
            .collect();
        Ok(self.page_of(ctx, Inspection::TABLE.name(), items, next))
    }

    /// A page of operations or inspections held by or handed to the caller's organisation:
    /// two index walks (held, handed), merged in the list order. An audited read.
    async fn field_page<T: Row>(&self, ctx: &Ctx, q: &ListParams) -> CoreResult<(Vec<T>, Option<After>)> {
        let list = T::TABLE.name();
        self.authorize(ctx, Action::ViewReports, Relation::OwnOrgScope, list, "").await?;
        let org = ctx.org_id().ok_or(CoreError::Unauthenticated)?.clone();
        let page = self.page_request(ctx, list, q.limit.as_deref(), q.cursor.as_deref())?;
        let filter = q.filter(&[]).map_err(CoreError::Validation)?;
        let held = self.scan_rows(T::TABLE, RowFilter { owners: vec![org.clone()], ..Default::default() }, &filter, &page).await?;
        let handed = self.scan_rows(T::TABLE, RowFilter { parties: vec![org], ..Default::default() }, &filter, &page).await?;
        let seen = scanned(merge_rows(held.into_iter().chain(handed).collect()), page.limit, row_key);
        self.append(&ctx.event(self.now(), &format!("list_{list}"), "ok", list, "")).await?;
        Ok((rows::typed::<T>(seen.rows)?, seen.next))
    }

    pub async fn get_operation(&self, ctx: &Ctx, id: &str) -> CoreResult<OperationView> {
        let o: Operation = self.field_record(ctx, id).await?;
        let s: OperationSecrets = self.open_sealed(Operation::TABLE, id, o.sealed.as_deref())?;
        Ok(OperationView {
            id: o.id,
            org_id: o.org_id,
            fields: o.fields,
            place_detail: s.place_detail,
            notes: s.notes,
            persons: self.protection().persons_of_source(ctx, id).await?,
        })
    }

    pub async fn get_inspection(&self, ctx: &Ctx, id: &str) -> CoreResult<InspectionView> {
        let i: Inspection = self.field_record(ctx, id).await?;
        let s: InspectionSecrets = self.open_sealed(Inspection::TABLE, id, i.sealed.as_deref())?;
        Ok(InspectionView {
            id: i.id,
            org_id: i.org_id,
            fields: i.fields,
            workplace: s.workplace,
            notes: s.notes,
            persons: self.protection().persons_of_source(ctx, id).await?,
        })
    }

    /// An operation or inspection, authorized like the report it may have come from: its
    /// organisation, and the police unit an inspection was handed to. An audited read.
    async fn field_record<T: Row + Held>(&self, ctx: &Ctx, id: &str) -> CoreResult<T> {
        let table = T::TABLE;
        let found = rows::get::<T>(&*self.store, id).await?;
        let rel = match &found {
            Some(r) => self.scope().report_relation(ctx, r.holder(), r.party()).await?,
            None => Relation::Unrelated,
        };
        self.authorize(ctx, Action::ViewReports, rel, table.name(), id).await?;
        self.append(&ctx.event(self.now(), &format!("read_{}", table.name()), "ok", table.name(), id)).await?;
        found.ok_or(CoreError::NotFound)
    }
}
