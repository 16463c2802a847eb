//! The dashboard's "work waiting" counts: reports open and overdue in the caller's unit,
//! referrals waiting for the caller's organisation's answer, and identified victims without
//! referral. Counts only — no record is shown — so they are not audited as reads; each count
//! appears only if the caller's role may see the records behind it.

use crate::Amparo;
use crate::ctx::Ctx;
use crate::error::CoreResult;
use crate::store::{RecordTable, RowFilter};
use amparo_domain::policy::{Action, Relation, authorize};
use serde::Serialize;

/// The most open reports read to find the overdue ones.
const OVERDUE_SCAN: i64 = 2_000;

#[derive(Clone, Debug, Default, Serialize)]
pub struct WorkSummary {
    pub reports_open: Option<usize>,
    pub reports_overdue: Option<usize>,
    pub referrals_waiting: Option<usize>,
    pub gap: Option<usize>,
}

impl Amparo {
    pub async fn work_summary(&self, ctx: &Ctx) -> CoreResult<WorkSummary> {
        let (Some(actor), Some(org)) = (&ctx.actor, ctx.org_id()) else { return Ok(WorkSummary::default()) };
        let may = |a: Action| authorize(actor, a, Relation::OwnOrgScope).is_ok();
        let mut out = WorkSummary::default();
        if may(Action::ViewReports) {
            // Counted by the database; the overdue check reads the open queue, newest
            // first, up to a bound (an open queue is a unit's day, not its history).
            let open = RowFilter { owners: vec![org.clone()], statuses: vec!["new".into(), "acknowledged".into()], ..Default::default() };
            out.reports_open = Some(usize::try_from(self.store.count_rows(RecordTable::Reports, &open).await?).unwrap_or(0));
            let rows = self.store.find_rows(RecordTable::Reports, &RowFilter { limit: Some(OVERDUE_SCAN), ..open }).await?;
            out.reports_overdue = Some(self.overdue_count(&rows));
        }
        if may(Action::ViewReferrals) {
            let f = RowFilter { parties: vec![org.clone()], statuses: vec!["requested".into()], ..Default::default() };
            out.referrals_waiting = Some(usize::try_from(self.store.count_rows(RecordTable::Referrals, &f).await?).unwrap_or(0));
        }
        if may(Action::ViewReferralGap) {
            out.gap = Some(self.gap_count(ctx, 7).await?);
        }
        Ok(out)
    }
}
