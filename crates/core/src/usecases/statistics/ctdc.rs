//! The anonymised victim microdata export in CTDC's columns: one row per victim identified in
//! the year (unique persons, after linkage), no direct identifier, rows in groups of fewer
//! than k over the quasi-identifiers suppressed, and the suppressions reported.
//!
//! Rows are sorted by their values, so their order says nothing about when or by whom each
//! victim was recorded.

use super::Statistics;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use amparo_domain::ctdc::{Suppression, VictimRecord, columns, k_anonymise, row};
use amparo_domain::policy::{Action, Relation};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub const DEFAULT_K: usize = 11;

#[derive(Clone, Debug, Serialize)]
pub struct CtdcExport {
    pub year: i32,
    pub columns: Vec<&'static str>,
    #[serde(skip)]
    pub rows: Vec<BTreeMap<&'static str, String>>,
    pub suppression: Suppression,
}

impl CtdcExport {
    /// The export as CSV (header = CTDC column names).
    pub fn csv(&self) -> CoreResult<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&self.columns).map_err(CoreError::internal)?;
        for r in &self.rows {
            w.write_record(self.columns.iter().map(|c| r.get(c).map(String::as_str).unwrap_or(""))).map_err(CoreError::internal)?;
        }
        w.into_inner().map_err(CoreError::internal)
    }
}

impl Statistics {
    /// Victims identified in `year` as k-anonymised CTDC rows.
    pub async fn export_ctdc(&self, ctx: &Ctx, year: i32, k: usize) -> CoreResult<CtdcExport> {
        self.authorize(ctx, Action::ExportAnonymised, Relation::OwnOrgScope, "statistics", "ctdc").await?;
        if !(1900..=2200).contains(&year) {
            return Err(CoreError::field("year", "invalid_number"));
        }
        // k = 1 would publish every row as it is; very large k publishes nothing useful.
        if !(2..=1000).contains(&k) {
            return Err(CoreError::field("k", "invalid_number"));
        }
        let _one_count_at_a_time = self.statistics_gate.lock().await;
        let alpha3: HashMap<String, String> = self.store.list_countries().await?.into_iter().map(|c| (c.alpha2, c.alpha3)).collect();
        let home3 = alpha3.get(&self.home_country().await?).cloned();
        // The year's victims from the projection, two thousand at a time with their own
        // cases and screenings: memory is the year's rows, never the country's tables.
        let mut rows = Vec::new();
        self.identified_in_year(year, 2000, &mut |victims, facts| {
            for v in victims {
                let cases: Vec<&amparo_domain::statistics::CaseFact> =
                    facts.victim_cases.get(&v.group).map(|ids| ids.iter().filter_map(|c| facts.cases.get(c)).collect()).unwrap_or_default();
                let abroad = cases.iter().find_map(|c| c.exploited_in.as_ref()).and_then(|c| alpha3.get(c).cloned());
                let rec = VictimRecord {
                    year,
                    sex: v.sex.clone(),
                    age: v.age,
                    citizenship: v.nationality.clone(),
                    country_of_exploitation: abroad.or_else(|| home3.clone()),
                    types: v.types,
                    labour_sector: v.labour_sector.clone(),
                    sexual_form: cases.iter().find_map(|c| c.sexual_form.clone()),
                    indicators: facts.screening_indicators.get(&v.group).cloned(),
                };
                rows.push(row(&rec, "Amparo"));
            }
            Ok(())
        })
        .await?;
        let (mut kept, suppression) = k_anonymise(rows, k);
        let cols = columns();
        kept.sort_by(|a, b| cols.iter().map(|c| a.get(c)).cmp(cols.iter().map(|c| b.get(c))));
        let mut ev = ctx.event(self.now(), "export_ctdc", "ok", "statistics", "ctdc");
        ev.details = serde_json::json!({
            "year": year, "k": k, "rows_in": suppression.rows_in, "rows_out": suppression.rows_out,
            "rows_suppressed": suppression.rows_suppressed,
        })
        .to_string();
        self.append(&ev).await?;
        Ok(CtdcExport { year, columns: cols, rows: kept, suppression })
    }
}
