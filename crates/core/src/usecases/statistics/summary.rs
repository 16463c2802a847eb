//! The dashboard's "work waiting" counts: reports open and overdue in the caller's unit,
//! referrals waiting for the caller's organisation's answer, and identified victims without
//! referral. Counts only — no record is shown — so they are not audited as reads; each count
//! appears only if the caller's role may see the records behind it.

use super::Statistics;
use crate::ctx::Ctx;
use crate::error::CoreResult;
use crate::store::{RecordTable, RowFilter};
use amparo_domain::policy::{Action, Relation, authorize};
use serde::Serialize;

#[derive(Clone, Debug, Default, Serialize)]
pub struct WorkSummary {
    pub reports_open: Option<usize>,
    pub reports_overdue: Option<usize>,
    pub referrals_waiting: Option<usize>,
    pub gap: Option<usize>,
}

impl Statistics {
    /// The unit's open reports past a deadline, counted on the queue index: per priority, the
    /// new ones received longer ago than the time to acknowledge, and the acknowledged ones
    /// longer ago than the time to act; then, read one by one, the acknowledged ones still
    /// within the time to act (at most a week's) that were acknowledged late.
    async fn overdue_reports(&self, org: &amparo_domain::OrgId) -> CoreResult<usize> {
        use amparo_domain::intake::Priority;
        let now = self.now();
        let mut total = 0;
        let mut recent = Vec::new();
        for p in [Priority::Urgent, Priority::High, Priority::Normal] {
            let (ack, act) = p.deadlines();
            let base = crate::store::report_queue_key(p as i64, 0);
            let count = |status: &str, before: i64| RowFilter {
                owners: vec![org.clone()],
                statuses: vec![status.into()],
                queue_range: Some((base, base + before)),
                ..Default::default()
            };
            total += self.store.count_rows(RecordTable::Reports, &count("new", now - ack)).await?;
            total += self.store.count_rows(RecordTable::Reports, &count("acknowledged", now - act)).await?;
            let within = RowFilter { queue_range: Some((base + now - act, base + now + 1)), ..count("acknowledged", 0) };
            recent.extend(self.store.find_rows(RecordTable::Reports, &within).await?);
        }
        Ok(usize::try_from(total).unwrap_or(0) + self.intake().overdue_count(recent)?)
    }

    pub async fn work_summary(&self, ctx: &Ctx) -> CoreResult<WorkSummary> {
        let (Some(actor), Some(org)) = (&ctx.actor, ctx.org_id()) else { return Ok(WorkSummary::default()) };
        let may = |a: Action| authorize(actor, a, Relation::OwnOrgScope).is_ok();
        let mut out = WorkSummary::default();
        if may(Action::ViewReports) {
            // Counted by the database; the overdue check reads the open queue, newest
            // first, up to a bound (an open queue is a unit's day, not its history).
            let open = RowFilter { owners: vec![org.clone()], statuses: vec!["new".into(), "acknowledged".into()], ..Default::default() };
            out.reports_open = Some(usize::try_from(self.store.count_rows(RecordTable::Reports, &open).await?).unwrap_or(0));
            out.reports_overdue = Some(self.overdue_reports(org).await?);
        }
        if may(Action::ViewReferrals) {
            let f = RowFilter {
                parties: vec![org.clone()],
                statuses: vec![amparo_domain::protection::ReferralStatus::Requested.as_str().into()],
                ..Default::default()
            };
            out.referrals_waiting = Some(usize::try_from(self.store.count_rows(RecordTable::Referrals, &f).await?).unwrap_or(0));
        }
        if may(Action::ViewReferralGap) {
            out.gap = Some(self.referrals().gap_count(ctx, 7).await?);
        }
        Ok(out)
    }
}
