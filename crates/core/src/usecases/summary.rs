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
            let f = RowFilter { orgs: vec![org.clone()], statuses: vec!["new".into(), "acknowledged".into()], ..Default::default() };
            let rows: Vec<_> = self.store.find_rows(RecordTable::Reports, &f).await?.into_iter().filter(|r| &r.org_id == org).collect();
            out.reports_overdue = Some(self.overdue_count(&rows));
            out.reports_open = Some(rows.len());
        }
        if may(Action::ViewReferrals) {
            let f = RowFilter { orgs: vec![org.clone()], statuses: vec!["requested".into()], ..Default::default() };
            let rows = self.store.find_rows(RecordTable::Referrals, &f).await?;
            out.referrals_waiting = Some(rows.iter().filter(|r| r.party_org.as_ref() == Some(org)).count());
        }
        if may(Action::ViewReferralGap) {
            out.gap = Some(self.gap_rows(ctx, 7).await?.len());
        }
        Ok(out)
    }
}
