//! Prosecution and trial: statutes (data with effective dates, shipped in `data/statutes`),
//! charges per defendant under a statute in force on the offence date, the stage of the
//! proceedings, decisions per defendant with sentences checked against the statute's range,
//! reviews of flagged sentences, and appeals.

use super::Prosecution;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;
use crate::records::to_json;
use crate::rows::case::{Case, CaseLink, LinkStatus};
use crate::rows::charge::{Charge, ChargeAttrs, ChargeStatus};
use crate::rows::{self, Stamp};
use crate::store::{Batch, RowFilter};
use crate::usecases::case_views::CaseStep;
use crate::usecases::redaction::{Redact, Sight};
use amparo_domain::PersonId;
use amparo_domain::cases::{
    AppealResult, ChargeInput, DecisionOnChargeInput, Stage, Statute, sentence_check, statute_for_charge, validate_charge,
};
use amparo_domain::cases::{CaseRole, CaseStatus};
use amparo_domain::policy::{Action, Relation};
use amparo_domain::protection::{date_field, days_from_civil};
use amparo_domain::validation::FieldErrors;
use serde::Deserialize;

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

pub use crate::usecases::case_views::{Appeal, ChargeView};

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct AppealInput {
    #[serde(default)]
    pub filed_on: String,
    #[serde(default)]
    pub result: String,
    #[serde(default)]
    pub decided_on: String,
    #[schemars(schema_with = "amparo_domain::intake::number_text_schema")]
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

    fn charge_view(&self, c: &Charge) -> ChargeView {
        let a = &c.attrs;
        ChargeView {
            id: c.id.clone(),
            case_id: c.case_id.clone(),
            person_id: c.defendant.to_string(),
            statute_id: c.statute.clone(),
            offence_date: a.offence_date.clone(),
            filed_on: a.filed_on.clone(),
            status: c.status.as_str().into(),
            decision: a.decision.clone(),
            flag: a.flag.clone(),
            reviewed: a.reviewed_by.is_some(),
            appeals: a.appeals.clone(),
            version: c.stamp.version,
        }
    }

    pub async fn case_charges(&self, ctx: &Ctx, case_id: &str) -> CoreResult<Vec<ChargeView>> {
        let (_, access) = self.scope().case_for(ctx, case_id, Action::ViewCase).await?;
        let charges =
            rows::find::<Charge>(&*self.store, &RowFilter { subject_ids: vec![case_id.to_owned()], ..Default::default() }).await?;
        let out: Vec<ChargeView> = charges.iter().map(|c| self.charge_view(c)).collect();
        Ok(out.redact(access.sight(ctx)))
    }

    /// File a charge against a defendant linked to the case as suspect, under a statute in
    /// force on the offence date. The case moves to prosecution.
    pub async fn file_charge(&self, ctx: &Ctx, case_id: &str, input: &ChargeInput) -> CoreResult<ChargeView> {
        let (person, statute_id, offence, filed) = validate_charge(input, &self.today())?;
        let statutes = self.statutes().await?;
        statute_for_charge(&statutes, &statute_id, &offence)?;
        let (case, _) = self.scope().case_for(ctx, case_id, Action::Prosecute).await?;
        let of_person = RowFilter { subject_ids: vec![case_id.to_owned()], lookup: Some(person.clone()), ..Default::default() };
        let links = rows::find::<CaseLink>(&*self.store, &of_person).await?;
        if !links.iter().any(|l| l.role == CaseRole::Suspect && l.status == LinkStatus::Active) {
            return Err(CoreError::field("person_id", "not_a_suspect_in_this_case"));
        }
        let dup = rows::find::<Charge>(&*self.store, &of_person).await?;
        if dup.iter().any(|c| c.status == ChargeStatus::Filed) {
            return Err(CoreError::field("person_id", "already_charged"));
        }
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let id = self.random.new_id();
        let charge = Charge {
            id: id.clone(),
            org_id: case.org_id.clone(),
            case_id: case_id.to_owned(),
            defendant: PersonId::from_trusted(person.clone()),
            statute: statute_id.clone(),
            status: ChargeStatus::Filed,
            place: case.place.clone(),
            filed_at: days_from_civil(&filed).map(|d| d * 86_400),
            attrs: ChargeAttrs { offence_date: offence, filed_on: filed.clone(), ..Default::default() },
            stamp: Stamp::new(self.now(), me.user_id.as_str()),
        };
        let mut updated = Case { status: CaseStatus::Prosecution, stamp: case.stamp.next(self.now()), ..case };
        let ca = &mut updated.attrs;
        ca.history.push(CaseStep {
            at: self.now(),
            by: me.user_id.to_string(),
            what: "charge_filed".into(),
            detail: Some(statute_id.clone()),
        });
        if ca.stage.is_none() {
            ca.stage = Some(Stage::Preliminary);
        }
        let mut ev = ctx.event(self.now(), "file_charge", "ok", "case", case_id);
        ev.details = serde_json::json!({ "charge": id, "defendant": person, "statute": statute_id }).to_string();
        self.commit(&Batch { inserts: vec![rows::entry(&charge)?], updates: vec![rows::entry(&updated)?] }, &ev).await?;
        Ok(self.charge_view(&charge))
    }

    /// A charge and what the caller may see of it, through its case's relation.
    async fn charge_for<'a>(&self, ctx: &'a Ctx, charge_id: &str) -> CoreResult<(Charge, Sight<'a>)> {
        let found = rows::get::<Charge>(&*self.store, charge_id).await?;
        let case_id = found.as_ref().map(|c| c.case_id.clone()).unwrap_or_default();
        let (_, access) = self.scope().case_for(ctx, &case_id, Action::Prosecute).await?;
        Ok((found.ok_or(CoreError::NotFound)?, access.sight(ctx)))
    }

    /// The charge as the caller may see it (also what a conflict sends back).
    fn charge_view_for(&self, c: &Charge, sight: Sight<'_>) -> ChargeView {
        self.charge_view(c).redact(sight)
    }

    fn conflict_with(&self, c: &Charge, sight: Sight<'_>) -> CoreError {
        CoreError::Conflict { current: serde_json::to_value(self.charge_view_for(c, sight)).unwrap_or_default() }
    }

    /// Record the decision for one defendant. A sentence outside the statute's range is stored
    /// *with* a flag for review, and the response says so.
    pub async fn decide_charge(&self, ctx: &Ctx, charge_id: &str, input: &DecisionOnChargeInput) -> CoreResult<ChargeView> {
        let d = input.validate(&self.today())?;
        let version: i64 = input.version.trim().parse().map_err(|_| CoreError::field("version", "required"))?;
        let (c, sight) = self.charge_for(ctx, charge_id).await?;
        if c.stamp.version != version {
            return Err(self.conflict_with(&c, sight));
        }
        if d.decided_on < c.attrs.offence_date {
            return Err(CoreError::field("decided_on", "ends_before_start"));
        }
        let statute = self.statutes().await?.into_iter().find(|s| s.id == c.statute).ok_or(CoreError::NotFound)?;
        let mut updated = Charge { status: ChargeStatus::Decided(d.verdict), stamp: c.stamp.next(self.now()), ..c.clone() };
        let a = &mut updated.attrs;
        a.flag = d.sentence_months.and_then(|m| sentence_check(&statute, m));
        a.reviewed_by = None;
        a.decision = Some(d.clone());
        let case_id = c.case_id.clone();
        let mut ev = ctx.event(self.now(), "decide_charge", "ok", "case", &case_id);
        ev.details =
            serde_json::json!({ "charge": charge_id, "verdict": d.verdict, "months": d.sentence_months, "flagged": a.flag.is_some() })
                .to_string();
        let mut inserts = Vec::new();
        if a.flag.is_some() {
            // Someone must look at it: the owning organisation is told.
            inserts.push(self.notify(&c.org_id, "sentence_flagged", &format!("/cases/{case_id}")));
        }
        self.commit(&Batch { inserts, updates: vec![rows::entry(&updated)?] }, &ev).await?;
        Ok(self.charge_view_for(&updated, sight))
    }

    /// Mark a flagged sentence as reviewed (the flag itself stays on record).
    pub async fn review_sentence(&self, ctx: &Ctx, charge_id: &str, version: i64) -> CoreResult<ChargeView> {
        let (c, sight) = self.charge_for(ctx, charge_id).await?;
        if c.stamp.version != version {
            return Err(self.conflict_with(&c, sight));
        }
        if c.attrs.flag.is_none() {
            return Err(CoreError::field("charge", "nothing_to_review"));
        }
        let mut updated = Charge { stamp: c.stamp.next(self.now()), ..c };
        updated.attrs.reviewed_by = ctx.user().map(|u| u.user_id.to_string());
        self.commit(
            &Batch { inserts: vec![], updates: vec![rows::entry(&updated)?] },
            &ctx.event(self.now(), "review_sentence", "ok", "case", &updated.case_id),
        )
        .await?;
        Ok(self.charge_view_for(&updated, sight))
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
        let (c, sight) = self.charge_for(ctx, charge_id).await?;
        if Some(c.stamp.version) != version {
            return Err(self.conflict_with(&c, sight));
        }
        if c.attrs.decision.is_none() {
            return Err(CoreError::field("charge", "no_decision_to_appeal"));
        }
        let (Some(filed_on), Some(result)) = (filed_on, result) else { return Err(CoreError::field("result", "invalid_choice")) };
        let mut updated = Charge { stamp: c.stamp.next(self.now()), ..c };
        updated.attrs.appeals.push(Appeal { filed_on, result, decided_on });
        self.commit(
            &Batch { inserts: vec![], updates: vec![rows::entry(&updated)?] },
            &ctx.event(self.now(), "add_appeal", "ok", "case", &updated.case_id),
        )
        .await?;
        Ok(self.charge_view_for(&updated, sight))
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
        if case.stamp.version != version {
            return Err(CoreError::Conflict { current: serde_json::Value::Null });
        }
        let mut updated = Case { stamp: case.stamp.next(self.now()), ..case };
        let a = &mut updated.attrs;
        a.hearings.push(crate::usecases::case_views::Hearing { date: date.trim().to_owned(), kind });
        a.hearings.sort_by(|x, y| x.date.cmp(&y.date));
        let mut ev = ctx.event(self.now(), "add_hearing", "ok", "case", case_id);
        ev.details = serde_json::json!({ "kind": kind, "date": date.trim() }).to_string();
        self.commit(&Batch { inserts: vec![], updates: vec![rows::entry(&updated)?] }, &ev).await
    }

    /// Move the proceedings forward: preliminary → formal → accusation → trial.
    pub async fn set_stage(&self, ctx: &Ctx, case_id: &str, stage: &str, version: i64) -> CoreResult<()> {
        let stage = Stage::parse(stage.trim()).ok_or_else(|| CoreError::field("stage", "invalid_choice"))?;
        let (case, _) = self.scope().case_for(ctx, case_id, Action::Prosecute).await?;
        if case.stamp.version != version {
            return Err(CoreError::Conflict { current: serde_json::Value::Null });
        }
        if case.attrs.stage.is_some_and(|s| s.rank() >= stage.rank()) {
            return Err(CoreError::field("stage", "stages_only_move_forward"));
        }
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let status = if stage == Stage::Trial { CaseStatus::Trial } else { CaseStatus::Prosecution };
        let mut updated = Case { status, stamp: case.stamp.next(self.now()), ..case };
        updated.attrs.stage = Some(stage);
        updated.attrs.history.push(CaseStep {
            at: self.now(),
            by: me.user_id.to_string(),
            what: "stage".into(),
            detail: Some(stage.as_str().into()),
        });
        self.commit(
            &Batch { inserts: vec![], updates: vec![rows::entry(&updated)?] },
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
