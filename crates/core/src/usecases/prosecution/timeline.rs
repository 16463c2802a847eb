//! One timeline per case, across the agencies that can see it: the reports it was opened
//! from, the case's own history, events, charges, decisions and appeals, and — for linked
//! persons the caller may see — screenings, identification decisions and referrals.
//! Items come sorted by date; each says what happened, never who the person is.

use super::Prosecution;
use crate::ctx::Ctx;
use crate::error::CoreResult;

use crate::rows;
use crate::store::{RecordTable, RowFilter};
use crate::usecases::redaction::Redact;
use amparo_domain::policy::{Action, Relation};
use amparo_domain::protection::{days_from_civil, iso_date};
use serde::Serialize;

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct TimelineItem {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// A stable key (`report_received`, `case_opened`, `event_Recruitment`, `charge_filed`, …).
    pub what: String,
    /// Non-identifying detail: a status, a statute id, a place code, a person's code.
    pub detail: String,
}

impl Prosecution {
    pub async fn case_timeline(&self, ctx: &Ctx, case_id: &str) -> CoreResult<Vec<TimelineItem>> {
        let (case, access) = self.scope().case_for(ctx, case_id, Action::ViewCase).await?;
        self.append(&ctx.event(self.now(), "read_case_timeline", "ok", "case", case_id)).await?;
        let a = &case.attrs;
        let mut out = Vec::new();
        for src in &a.sources {
            for t in [RecordTable::Reports, RecordTable::Operations, RecordTable::Inspections] {
                if let Some(r) = self.store.get_row(t, src).await? {
                    out.push(TimelineItem {
                        date: iso_date(r.occurred_at.unwrap_or(r.created_at)),
                        what: format!("{}_recorded", t.name()),
                        detail: r.kind.clone(),
                    });
                }
            }
        }
        let sight = access.sight(ctx);
        for step in a.history.iter().cloned().map(|s| s.redact(sight)) {
            out.push(TimelineItem {
                date: iso_date(step.at),
                what: format!("case_{}", step.what),
                detail: step.detail.unwrap_or_default(),
            });
        }
        for h in &a.hearings {
            out.push(TimelineItem { date: h.date.clone(), what: format!("hearing_{}", h.kind.as_str()), detail: String::new() });
        }
        let sub = RowFilter { subject_ids: vec![case_id.to_owned()], ..Default::default() };
        for e in rows::find::<crate::rows::case::CaseEvent>(&*self.store, &sub).await? {
            out.push(TimelineItem { date: e.date, what: format!("event_{}", e.kind.as_str()), detail: e.place.unwrap_or_default() });
        }
        for c in self.case_charges(ctx, case_id).await? {
            if let Some(d) = &c.decision {
                let months = d.sentence_months.map(|m| format!(" {}a {}m", m / 12, m % 12)).unwrap_or_default();
                out.push(TimelineItem {
                    date: d.decided_on.clone(),
                    what: format!("verdict_{}", d.verdict.as_str()),
                    detail: format!("{}{months}", c.statute_id),
                });
            }
            for ap in &c.appeals {
                out.push(TimelineItem { date: ap.filed_on.clone(), what: "appeal".into(), detail: ap.result.as_str().into() });
            }
        }
        if !access.hide_identities {
            use crate::rows::case::{CaseLink, LinkStatus};
            let links = rows::find::<CaseLink>(&*self.store, &sub).await?;
            for l in links.iter().filter(|l| l.status == LinkStatus::Active) {
                let pid = l.person.to_string();
                let Some(p) = self.store.get_person(&l.person).await? else { continue };
                if self.scope().person_relation(ctx, &p.id, &p.org_id).await? == Relation::Unrelated {
                    continue;
                }
                let psub = RowFilter { subject_ids: vec![pid.clone()], ..Default::default() };
                use crate::rows::screening::{Screening, ScreeningStatus};
                for s in rows::find::<Screening>(&*self.store, &psub).await?.iter().filter(|s| s.status == ScreeningStatus::Final) {
                    let outcome = s.attrs.evaluation.as_ref().map(|e| e.outcome.as_str()).unwrap_or_default();
                    out.push(TimelineItem {
                        date: iso_date(s.stamp.updated_at),
                        what: "screening".into(),
                        detail: format!("{} {outcome}", p.code),
                    });
                }
                for d in rows::find::<crate::rows::decision::Decision>(&*self.store, &psub).await? {
                    out.push(TimelineItem {
                        date: iso_date(d.decided_at.unwrap_or(d.stamp.created_at)),
                        what: "identification".into(),
                        detail: format!("{} {}", p.code, d.status.as_str()),
                    });
                }
                for r in rows::find::<crate::rows::referral::Referral>(&*self.store, &psub).await? {
                    out.push(TimelineItem {
                        date: iso_date(r.stamp.created_at),
                        what: "referral".into(),
                        detail: format!("{} {} {}", p.code, r.service_kind.as_str(), r.status.as_str()),
                    });
                }
            }
        }
        // Stable: within a day, items keep the order above (sources, case steps, events, …).
        out.sort_by_key(|x| days_from_civil(&x.date));
        Ok(out)
    }
}
