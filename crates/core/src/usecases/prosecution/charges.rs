//! Prosecution and trial: statutes (data with effective dates, shipped in `data/statutes`),
//! charges per defendant under a statute in force on the offence date, the stage of the
//! proceedings, decisions per defendant with sentences checked against the statute's range,
//! reviews of flagged sentences, and appeals.

use super::Prosecution;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;
use crate::records::{attrs, to_json};
use crate::store::{Batch, RecordRow, RecordTable, RowFilter};
use crate::usecases::case_views::{CaseAttrs, CaseStep};
use crate::usecases::redaction::{Redact, Sight};
use amparo_domain::cases::{
    AppealResult, ChargeInput, DecisionOnCharge, DecisionOnChargeInput, SentenceFlag, Stage, Statute, sentence_check, statute_for_charge,
    validate_charge,
};
use amparo_domain::policy::{Action, Relation};
use amparo_domain::protection::{date_field, days_from_civil};
use amparo_domain::validation::FieldErrors;
use serde::{Deserialize, Serialize};

const PERU_STATUTES: &str = include_str!("../../../../../data/statutes/pe.csv");

/// Parse a statutes CSV (`id,country,article,title_es,title_en,in_force_from,in_force_to,
/// min_months,max_months,source`).
pub fn parse_statutes(text: &str) -> CoreResult<Vec<Statute>> {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let mut out = Vec::new();
    for rec in rdr.records() {
        let r = rec.map_err(CoreError::internal)?;
        let g = |n: usize| r.get(n).unwrap_or("").trim().to_owned();
        let num = |n: usize| g(n).parse::<i64>().ok();
        out.push(Statute {
            id: g(0),
            country: g(1),
            article: g(2),
            title_es: g(3),
            title_en: g(4),
            in_force_from: g(5),
            in_force_to: Some(g(6)).filter(|s| !s.is_empty()),
            min_months: num(7).ok_or_else(|| CoreError::Internal(format!("statute {} has no minimum", g(0))))?,
            max_months: num(8),
            source: g(9),
        });
    }
    Ok(out)
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct ChargeAttrs {
    offence_date: String,
    filed_on: String,
    decision: Option<DecisionOnCharge>,
    flag: Option<SentenceFlag>,
    reviewed_by: Option<String>,
    appeals: Vec<Appeal>,
}

pub use crate::usecases::case_views::{Appeal, ChargeView};

#[derive(Clone, Debug, Default, Deserialize)]
pub struct AppealInput {
    #[serde(default)]
    pub filed_on: String,
    #[serde(default)]
    pub result: String,
    #[serde(default)]
    pub decided_on: String,
    #[serde(default, deserialize_with = "amparo_domain::intake::version_text")]
    pub version: String,
}

impl Prosecution {
    /// Install shipped statutes that are missing (start-up). Existing rows are never changed.
    pub async fn ensure_statutes(&self, ctx: &Ctx) -> CoreResult<()> {
        let have = self.store.list_statutes().await?;
        let rows: Vec<(String, String, String)> = parse_statutes(PERU_STATUTES)?
            .into_iter()
            .filter(|s| !have.iter().any(|(id, _, _)| id == &s.id))
            .map(|s| Ok((s.id.clone(), s.country.clone(), to_json(&s)?)))
            .collect::<CoreResult<_>>()?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut ev = ctx.event(self.now(), "load_statutes", "ok", "statute", "");
        ev.details = serde_json::json!({ "added": rows.len() }).to_string();
        self.store.add_statutes(&rows, &ev).await?;
        Ok(())
    }

    pub async fn list_statutes(&self, ctx: &Ctx) -> CoreResult<Vec<Statute>> {
        self.authorize(ctx, Action::ViewDirectory, Relation::OwnOrgScope, "statute", "").await?;
        self.statutes().await
    }

    async fn statutes(&self) -> CoreResult<Vec<Statute>> {
        self.store.list_statutes().await?.iter().map(|(_, _, body)| serde_json::from_str(body).map_err(CoreError::internal)).collect()
    }

    fn charge_view(&self, row: &RecordRow) -> CoreResult<ChargeView> {
        let a: ChargeAttrs = attrs(row)?;
        Ok(ChargeView {
            id: row.id.clone(),
            case_id: row.subject_id.clone().unwrap_or_default(),
            person_id: row.lookup.clone().unwrap_or_default(),
            statute_id: row.kind.clone(),
            offence_date: a.offence_date,
            filed_on: a.filed_on,
            status: row.status.clone(),
            decision: a.decision,
            flag: a.flag,
            reviewed: a.reviewed_by.is_some(),
            appeals: a.appeals,
            version: row.version,
        })
    }

    pub async fn case_charges(&self, ctx: &Ctx, case_id: &str) -> CoreResult<Vec<ChargeView>> {
        let (_, access) = self.scope().case_for(ctx, case_id, Action::ViewCase).await?;
        let rows =
            self.store.find_rows(RecordTable::Charges, &RowFilter { subject_ids: vec![case_id.to_owned()], ..Default::default() }).await?;
        let out: Vec<ChargeView> = rows.iter().map(|r| self.charge_view(r)).collect::<CoreResult<_>>()?;
        Ok(out.redact(access.sight(ctx)))
    }

    /// File a charge against a defendant linked to the case as suspect, under a statute in
    /// force on the offence date. The case moves to prosecution.
    pub async fn file_charge(&self, ctx: &Ctx, case_id: &str, input: &ChargeInput) -> CoreResult<ChargeView> {
        let (person, statute_id, offence, filed) = validate_charge(input, &self.today())?;
        let statutes = self.statutes().await?;
        statute_for_charge(&statutes, &statute_id, &offence)?;
        let (case, _) = self.scope().case_for(ctx, case_id, Action::Prosecute).await?;
        let links = self
            .store
            .find_rows(
                RecordTable::CaseLinks,
                &RowFilter { subject_ids: vec![case_id.to_owned()], lookup: Some(person.clone()), ..Default::default() },
            )
            .await?;
        if !links.iter().any(|l| l.kind == "suspect" && l.status == "active") {
            return Err(CoreError::field("person_id", "not_a_suspect_in_this_case"));
        }
        let dup = self
            .store
            .find_rows(
                RecordTable::Charges,
                &RowFilter { subject_ids: vec![case_id.to_owned()], lookup: Some(person.clone()), ..Default::default() },
            )
            .await?;
        if dup.iter().any(|c| c.status == "filed") {
            return Err(CoreError::field("person_id", "already_charged"));
        }
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let id = self.random.new_id();
        let a = ChargeAttrs { offence_date: offence, filed_on: filed.clone(), ..Default::default() };
        let row = RecordRow {
            subject_id: Some(case_id.to_owned()),
            lookup: Some(person.clone()),
            area_code: case.area_code.clone(),
            occurred_at: days_from_civil(&filed).map(|d| d * 86_400),
            attrs: to_json(&a)?,
            ..self.new_row(&id, &case.org_id, me.user_id.as_str(), &statute_id, "filed")
        };
        let mut ca: CaseAttrs = attrs(&case)?;
        ca.history.push(CaseStep {
            at: self.now(),
            by: me.user_id.to_string(),
            what: "charge_filed".into(),
            detail: Some(statute_id.clone()),
        });
        if ca.stage.is_none() {
            ca.stage = Some(Stage::Preliminary);
        }
        let updated =
            RecordRow { status: "prosecution".into(), attrs: to_json(&ca)?, version: case.version + 1, updated_at: self.now(), ..case };
        let mut ev = ctx.event(self.now(), "file_charge", "ok", "case", case_id);
        ev.details = serde_json::json!({ "charge": id, "defendant": person, "statute": statute_id }).to_string();
        self.commit(&Batch { inserts: vec![(RecordTable::Charges, row.clone())], updates: vec![(RecordTable::Cases, updated)] }, &ev)
            .await?;
        self.charge_view(&row)
    }

    /// A charge and what the caller may see of it, through its case's relation.
    async fn charge_for<'a>(&self, ctx: &'a Ctx, charge_id: &str) -> CoreResult<(RecordRow, Sight<'a>)> {
        let row = self.store.get_row(RecordTable::Charges, charge_id).await?;
        let case_id = row.as_ref().and_then(|r| r.subject_id.clone()).unwrap_or_default();
        let (_, access) = self.scope().case_for(ctx, &case_id, Action::Prosecute).await?;
        Ok((row.ok_or(CoreError::NotFound)?, access.sight(ctx)))
    }

    /// The charge as the caller may see it (also what a conflict sends back).
    fn charge_view_for(&self, row: &RecordRow, sight: Sight<'_>) -> CoreResult<ChargeView> {
        Ok(self.charge_view(row)?.redact(sight))
    }

    fn conflict_with(&self, row: &RecordRow, sight: Sight<'_>) -> CoreError {
        CoreError::Conflict {
            current: self.charge_view_for(row, sight).ok().and_then(|v| serde_json::to_value(v).ok()).unwrap_or_default(),
        }
    }

    /// Record the decision for one defendant. A sentence outside the statute's range is stored
    /// *with* a flag for review, and the response says so.
    pub async fn decide_charge(&self, ctx: &Ctx, charge_id: &str, input: &DecisionOnChargeInput) -> CoreResult<ChargeView> {
        let d = input.validate(&self.today())?;
        let version: i64 = input.version.trim().parse().map_err(|_| CoreError::field("version", "required"))?;
        let (row, sight) = self.charge_for(ctx, charge_id).await?;
        if row.version != version {
            return Err(self.conflict_with(&row, sight));
        }
        let mut a: ChargeAttrs = attrs(&row)?;
        if d.decided_on < a.offence_date {
            return Err(CoreError::field("decided_on", "ends_before_start"));
        }
        let statute = self.statutes().await?.into_iter().find(|s| s.id == row.kind).ok_or(CoreError::NotFound)?;
        a.flag = d.sentence_months.and_then(|m| sentence_check(&statute, m));
        a.reviewed_by = None;
        a.decision = Some(d.clone());
        let updated = RecordRow {
            status: d.verdict.as_str().into(),
            attrs: to_json(&a)?,
            version: row.version + 1,
            updated_at: self.now(),
            ..row.clone()
        };
        let case_id = row.subject_id.clone().unwrap_or_default();
        let mut ev = ctx.event(self.now(), "decide_charge", "ok", "case", &case_id);
        ev.details =
            serde_json::json!({ "charge": charge_id, "verdict": d.verdict, "months": d.sentence_months, "flagged": a.flag.is_some() })
                .to_string();
        let mut inserts = Vec::new();
        if a.flag.is_some() {
            // Someone must look at it: the owning organisation is told.
            inserts.push(self.notify(&row.org_id, "sentence_flagged", &format!("/cases/{case_id}")));
        }
        self.commit(&Batch { inserts, updates: vec![(RecordTable::Charges, updated.clone())] }, &ev).await?;
        self.charge_view_for(&updated, sight)
    }

    /// Mark a flagged sentence as reviewed (the flag itself stays on record).
    pub async fn review_sentence(&self, ctx: &Ctx, charge_id: &str, version: i64) -> CoreResult<ChargeView> {
        let (row, sight) = self.charge_for(ctx, charge_id).await?;
        if row.version != version {
            return Err(self.conflict_with(&row, sight));
        }
        let mut a: ChargeAttrs = attrs(&row)?;
        if a.flag.is_none() {
            return Err(CoreError::field("charge", "nothing_to_review"));
        }
        a.reviewed_by = ctx.user().map(|u| u.user_id.to_string());
        let updated = RecordRow { attrs: to_json(&a)?, version: row.version + 1, updated_at: self.now(), ..row.clone() };
        let case_id = row.subject_id.clone().unwrap_or_default();
        self.commit(
            &Batch { inserts: vec![], updates: vec![(RecordTable::Charges, updated.clone())] },
            &ctx.event(self.now(), "review_sentence", "ok", "case", &case_id),
        )
        .await?;
        self.charge_view_for(&updated, sight)
    }

    pub async fn add_appeal(&self, ctx: &Ctx, charge_id: &str, input: &AppealInput) -> CoreResult<ChargeView> {
        let today = self.today();
        let mut e = FieldErrors::new();
        let filed_on = date_field(&mut e, "filed_on", &input.filed_on, &today);
        let result = AppealResult::parse(input.result.trim());
        if result.is_none() {
            e.add("result", "invalid_choice");
        }
        let decided_on = match input.decided_on.trim() {
            "" => None,
            d => date_field(&mut e, "decided_on", d, &today),
        };
        if result.is_some_and(|r| r != AppealResult::Pending) && decided_on.is_none() {
            e.add("decided_on", "required");
        }
        let version: Option<i64> = input.version.trim().parse().ok();
        if version.is_none() {
            e.add("version", "required");
        }
        e.into_result()?;
        let (row, sight) = self.charge_for(ctx, charge_id).await?;
        if Some(row.version) != version {
            return Err(self.conflict_with(&row, sight));
        }
        let mut a: ChargeAttrs = attrs(&row)?;
        if a.decision.is_none() {
            return Err(CoreError::field("charge", "no_decision_to_appeal"));
        }
        let (Some(filed_on), Some(result)) = (filed_on, result) else { return Err(CoreError::field("result", "invalid_choice")) };
        a.appeals.push(Appeal { filed_on, result, decided_on });
        let updated = RecordRow { attrs: to_json(&a)?, version: row.version + 1, updated_at: self.now(), ..row.clone() };
        let case_id = row.subject_id.clone().unwrap_or_default();
        self.commit(
            &Batch { inserts: vec![], updates: vec![(RecordTable::Charges, updated.clone())] },
            &ctx.event(self.now(), "add_appeal", "ok", "case", &case_id),
        )
        .await?;
        self.charge_view_for(&updated, sight)
    }

    /// Record a hearing (held or scheduled) of the proceedings.
    pub async fn add_hearing(&self, ctx: &Ctx, case_id: &str, kind: &str, date: &str, version: i64) -> CoreResult<()> {
        let mut e = FieldErrors::new();
        let kind = amparo_domain::cases::HearingKind::parse(kind.trim());
        if kind.is_none() {
            e.add("hearing_kind", "invalid_choice");
        }
        if !amparo_domain::protection::is_iso_date(date.trim()) {
            e.add("hearing_date", "invalid_date");
        }
        e.into_result()?;
        let Some(kind) = kind else { return Err(CoreError::field("hearing_kind", "invalid_choice")) };
        let (case, _) = self.scope().case_for(ctx, case_id, Action::Prosecute).await?;
        if case.version != version {
            return Err(CoreError::Conflict { current: serde_json::Value::Null });
        }
        let mut a: CaseAttrs = attrs(&case)?;
        a.hearings.push(crate::usecases::case_views::Hearing { date: date.trim().to_owned(), kind });
        a.hearings.sort_by(|x, y| x.date.cmp(&y.date));
        let updated = RecordRow { attrs: to_json(&a)?, version: case.version + 1, updated_at: self.now(), ..case };
        let mut ev = ctx.event(self.now(), "add_hearing", "ok", "case", case_id);
        ev.details = serde_json::json!({ "kind": kind, "date": date.trim() }).to_string();
        self.commit(&Batch { inserts: vec![], updates: vec![(RecordTable::Cases, updated)] }, &ev).await
    }

    /// Move the proceedings forward: preliminary → formal → accusation → trial.
    pub async fn set_stage(&self, ctx: &Ctx, case_id: &str, stage: &str, version: i64) -> CoreResult<()> {
        let stage = Stage::parse(stage.trim()).ok_or_else(|| CoreError::field("stage", "invalid_choice"))?;
        let (case, _) = self.scope().case_for(ctx, case_id, Action::Prosecute).await?;
        if case.version != version {
            return Err(CoreError::Conflict { current: serde_json::Value::Null });
        }
        let mut a: CaseAttrs = attrs(&case)?;
        if a.stage.is_some_and(|s| s.rank() >= stage.rank()) {
            return Err(CoreError::field("stage", "stages_only_move_forward"));
        }
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        a.stage = Some(stage);
        a.history.push(CaseStep { at: self.now(), by: me.user_id.to_string(), what: "stage".into(), detail: Some(stage.as_str().into()) });
        let status = if stage == Stage::Trial { "trial" } else { "prosecution" };
        let updated = RecordRow { status: status.into(), attrs: to_json(&a)?, version: case.version + 1, updated_at: self.now(), ..case };
        self.commit(
            &Batch { inserts: vec![], updates: vec![(RecordTable::Cases, updated)] },
            &ctx.event(self.now(), "set_stage", "ok", "case", case_id),
        )
        .await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_statutes_parse_and_cover_2007_to_today() {
        let s = parse_statutes(PERU_STATUTES).unwrap();
        assert_eq!(s.len(), 11);
        let basic = |d: &str| s.iter().filter(|x| x.min_months == 96 && x.max_months == Some(180) && x.in_force_on(d)).count();
        for d in ["2008-06-01", "2014-10-21", "2019-01-01", "2021-03-30", "2026-01-01"] {
            assert_eq!(basic(d), 1, "exactly one basic trafficking provision in force on {d}");
        }
        let second = s.iter().find(|x| x.id == "pe-cp-153a-2-2007").unwrap();
        assert_eq!((second.min_months, second.max_months), (300, None));
    }
}
