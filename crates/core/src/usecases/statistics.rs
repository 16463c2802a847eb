//! National statistics, counted from what the other pillars record, with the definitions of
//! DOMAIN.md §5 applied in one place.
//!
//! Persons are counted once per *person*, not per record: the hotline, the police and a
//! shelter may each hold a record of the same victim. `person_groups` (record linkage's
//! confirmed links, plus equal document numbers) says which records are one person.

use crate::Amparo;
use crate::ctx::Ctx;
use crate::error::CoreResult;
use crate::store::{RecordTable, RowFilter};
use amparo_domain::policy::{Action, Relation};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IdentifiedCount {
    /// Persons (after linkage) whose identification first became ActualVictim in the year.
    pub persons: usize,
    /// Person records behind them (what a count without linkage would have said).
    pub records: usize,
}

/// The civil year of a timestamp (seconds since the epoch, UTC).
pub fn year_of(ts: i64) -> i32 {
    let (y, _, _) = amparo_domain::protection::civil_from_days(ts.div_euclid(86_400));
    y
}

impl Amparo {
    /// Victims identified in `year`: unique persons whose earliest ActualVictim decision (by
    /// any organisation, on any of their records) falls in that year. A record whose latest
    /// decision is no longer ActualVictim (e.g. later NotAVictim) does not count.
    pub async fn victims_identified(&self, ctx: &Ctx, year: i32) -> CoreResult<IdentifiedCount> {
        self.authorize(ctx, Action::ViewStatistics, Relation::OwnOrgScope, "statistics", "victims_identified").await?;
        if !(1900..=2200).contains(&year) {
            return Err(crate::error::CoreError::field("year", "invalid_number"));
        }
        let groups = self.person_groups().await?;
        let decisions = self.store.find_rows(RecordTable::Decisions, &RowFilter::default()).await?;
        // The latest decision per person record (by decision date, then when recorded).
        let mut latest: HashMap<&str, (i64, i64, &str)> = HashMap::new();
        for d in &decisions {
            let (Some(person), Some(at)) = (d.subject_id.as_deref(), d.occurred_at) else { continue };
            let e = latest.entry(person).or_insert((at, d.created_at, d.kind.as_str()));
            if (at, d.created_at) >= (e.0, e.1) {
                *e = (at, d.created_at, d.kind.as_str());
            }
        }
        let mut first: HashMap<&str, i64> = HashMap::new();
        let mut records: HashMap<&str, Vec<&str>> = HashMap::new();
        for d in decisions.iter().filter(|d| d.kind == "ActualVictim") {
            let (Some(person), Some(at)) = (d.subject_id.as_deref(), d.occurred_at) else { continue };
            if latest.get(person).map(|l| l.2) != Some("ActualVictim") {
                continue;
            }
            let group = groups.get(person).map(String::as_str).unwrap_or(person);
            let e = first.entry(group).or_insert(at);
            *e = (*e).min(at);
            let r = records.entry(group).or_default();
            if !r.contains(&person) {
                r.push(person);
            }
        }
        let in_year: Vec<&str> = first.iter().filter(|(_, at)| year_of(**at) == year).map(|(g, _)| *g).collect();
        let count =
            IdentifiedCount { persons: in_year.len(), records: in_year.iter().map(|g| records.get(g).map(Vec::len).unwrap_or(0)).sum() };
        let mut ev = ctx.event(self.now(), "view_statistics", "ok", "statistics", "victims_identified");
        ev.details = serde_json::json!({ "year": year }).to_string();
        self.append(&ev).await?;
        Ok(count)
    }
}
