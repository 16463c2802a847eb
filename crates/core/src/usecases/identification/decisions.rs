//! Screening a person with an instrument (draft, then final) and recording the
//! identification decision that rests on it.
//!
//! A final screening stores the instrument version, the per-dimension result and the
//! outcome, and is never edited. A decision is a separate, human act with its own history:
//! a new decision supersedes the previous one, which stays on record.

use super::Identification;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;
use crate::records::{attrs, to_json};
use crate::store::{Batch, RecordRow, RecordTable, RowFilter};
use amparo_domain::PersonId;
use amparo_domain::policy::{Action, Relation};
use amparo_domain::protection::{DecidingOrg, DecisionInput, TraffickingStatus};
use amparo_domain::screening::Evaluation;
use amparo_domain::validation::{FieldErrors, optional_text};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ScreeningInput {
    /// Instrument version id or family; default: the newest ILO/EC 2009 version.
    #[serde(default)]
    pub instrument: String,
    /// A set key; when empty it is chosen from the age at exploitation and the exploitation.
    #[serde(default)]
    pub set: String,
    #[serde(default)]
    pub age_at_exploitation: String,
    /// `labour` or `sexual`, used to choose the set.
    #[serde(default)]
    pub exploitation: String,
    #[serde(default)]
    pub indicators: Vec<String>,
    /// `draft` (default) or `final`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub notes: String,
    /// For updating a draft.
    #[serde(default, deserialize_with = "amparo_domain::intake::version_text")]
    pub version: String,
    /// When the screening interview took place (ISO date, not in the future; default
    /// today): a screening done on paper in the field is often entered later, and counts in
    /// the statistics on the day it was done.
    #[serde(default)]
    pub screened_on: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct ScreeningAttrs {
    instrument_id: String,
    set: String,
    age_at_exploitation: Option<i64>,
    indicators: Vec<String>,
    evaluation: Option<Evaluation>,
}

#[derive(Default, Serialize, Deserialize)]
struct Notes {
    notes: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScreeningView {
    pub id: String,
    pub person_id: String,
    pub org_id: String,
    /// `draft` or `final`.
    pub status: String,
    pub instrument_id: String,
    pub set: String,
    pub age_at_exploitation: Option<i64>,
    pub indicators: Vec<String>,
    /// Stored for a final screening; computed afresh for a draft.
    pub evaluation: Evaluation,
    pub notes: Option<String>,
    pub created_at: i64,
    pub created_by: String,
    pub version: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct DecisionView {
    pub id: String,
    pub person_id: String,
    /// HTCDS `vic_TraffickingStatus`.
    pub status: TraffickingStatus,
    /// HTCDS `vic_TraffickingStatusDecisionMakingOrg`.
    pub deciding_org_type: DecidingOrg,
    pub org_id: String,
    pub decided_on: String,
    pub decider: String,
    pub screening_id: Option<String>,
    pub basis: Option<String>,
    pub created_at: i64,
    /// False once a later decision supersedes it.
    pub current: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct DecisionAttrs {
    deciding_org_type: DecidingOrg,
    decided_on: String,
    screening_id: Option<String>,
}

#[derive(Default, Serialize, Deserialize)]
struct DecisionSecrets {
    basis: Option<String>,
}

impl Identification {
    fn screening_view(&self, row: &RecordRow, evaluation: Evaluation) -> CoreResult<ScreeningView> {
        let a: ScreeningAttrs = attrs(row)?;
        let n: Notes = self.open_json(RecordTable::Screenings, row)?;
        Ok(ScreeningView {
            id: row.id.clone(),
            person_id: row.subject_id.clone().unwrap_or_default(),
            org_id: row.org_id.to_string(),
            status: row.status.clone(),
            instrument_id: a.instrument_id,
            set: a.set,
            age_at_exploitation: a.age_at_exploitation,
            indicators: a.indicators,
            evaluation,
            notes: n.notes,
            created_at: row.created_at,
            created_by: row.created_by.clone(),
            version: row.version,
        })
    }

    async fn screening_with_eval(&self, row: &RecordRow) -> CoreResult<ScreeningView> {
        let a: ScreeningAttrs = attrs(row)?;
        let evaluation = match a.evaluation {
            Some(e) => e,
            None => self.instrument(&a.instrument_id).await?.evaluate(&a.set, &a.indicators)?,
        };
        self.screening_view(row, evaluation)
    }

    /// Validate a screening form against its instrument: the set and every indicator id.
    async fn screening_fields(
        &self,
        input: &ScreeningInput,
        fallback_age: Option<i64>,
    ) -> CoreResult<(ScreeningAttrs, Evaluation, Option<String>, bool, Option<i64>)> {
        let mut e = FieldErrors::new();
        // Empty: now, to the second, as before; a date: that day.
        let screened_on = match input.screened_on.trim() {
            "" => None,
            d => amparo_domain::protection::date_field(&mut e, "screened_on", d, &self.today())
                .and_then(|d| amparo_domain::protection::days_from_civil(&d))
                .map(|d| d * 86_400),
        };
        let instrument_id = if input.instrument.trim().is_empty() { "ilo-ec-2009" } else { input.instrument.trim() };
        let instrument = self.instrument(instrument_id).await.map_err(|_| CoreError::field("instrument", "unknown_instrument"))?;
        let age = match input.age_at_exploitation.trim() {
            "" => fallback_age,
            a => match a.parse::<i64>() {
                Ok(n @ 0..=120) => Some(n),
                _ => {
                    e.add("age_at_exploitation", "invalid_number");
                    None
                }
            },
        };
        let set = match input.set.trim() {
            "" => instrument.choose_set(age, input.exploitation.trim()).map(|s| s.key.clone()),
            s => Some(s.to_owned()),
        };
        let final_ = match input.status.trim() {
            "" | "draft" => false,
            "final" => true,
            _ => {
                e.add("status", "invalid_choice");
                false
            }
        };
        let notes = optional_text(&mut e, "notes", &input.notes, 10_000);
        let Some(set) = set else {
            e.add("set", "required");
            return Err(e.into());
        };
        e.into_result()?;
        let mut indicators: Vec<String> = input.indicators.iter().map(|i| i.trim().to_owned()).filter(|i| !i.is_empty()).collect();
        indicators.sort();
        indicators.dedup();
        let evaluation = instrument.evaluate(&set, &indicators)?;
        let a = ScreeningAttrs {
            instrument_id: instrument.id.clone(),
            set,
            age_at_exploitation: age,
            indicators,
            evaluation: final_.then(|| evaluation.clone()),
        };
        Ok((a, evaluation, notes, final_, screened_on))
    }

    /// A final screening row for synthetic data sets: `row` carries the generator's id,
    /// organisation, person and day; the set is chosen and the indicators evaluated by the
    /// instrument, as for a screening entered on the form.
    pub(crate) fn generated_screening(
        &self,
        instrument: &amparo_domain::screening::Instrument,
        set: &str,
        age: Option<i64>,
        indicators: Vec<String>,
        row: RecordRow,
    ) -> CoreResult<RecordRow> {
        let evaluation = instrument.evaluate(set, &indicators)?;
        let a = ScreeningAttrs {
            instrument_id: instrument.id.clone(),
            set: set.to_owned(),
            age_at_exploitation: age,
            indicators,
            evaluation: Some(evaluation),
        };
        Ok(RecordRow {
            sealed: Some(self.seal_json(RecordTable::Screenings, &row.id, &Notes { notes: None })?),
            lookup: Some(a.instrument_id.clone()),
            kind: a.set.clone(),
            status: "final".into(),
            attrs: to_json(&a)?,
            ..row
        })
    }

    /// Record a screening of a person: a draft (may be half filled) or final.
    pub async fn create_screening(&self, ctx: &Ctx, person: &PersonId, input: &ScreeningInput) -> CoreResult<ScreeningView> {
        let (p, _) = self.scope().person_for(ctx, person, Action::Screen).await?;
        let (a, evaluation, notes, final_, screened_on) = self.screening_fields(input, p.approx_age).await?;
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let now = self.now();
        let id = self.random.new_id();
        let row = RecordRow {
            occurred_at: Some(screened_on.unwrap_or(now)),
            sealed: Some(self.seal_json(RecordTable::Screenings, &id, &Notes { notes })?),
            subject_id: Some(person.to_string()),
            lookup: Some(a.instrument_id.clone()),
            attrs: to_json(&a)?,
            ..self.new_row(&id, &me.org_id, me.user_id.as_str(), &a.set, if final_ { "final" } else { "draft" })
        };
        let mut ev = ctx.event(now, if final_ { "finish_screening" } else { "save_screening_draft" }, "ok", "screening", &id);
        ev.details = serde_json::json!({ "person": person, "instrument": a.instrument_id, "set": a.set, "outcome": final_.then_some(evaluation.outcome) }).to_string();
        self.commit(&Batch { inserts: vec![(RecordTable::Screenings, row.clone())], updates: vec![] }, &ev).await?;
        self.screening_view(&row, evaluation)
    }

    async fn screening_for(&self, ctx: &Ctx, id: &str, action: Action) -> CoreResult<RecordRow> {
        let row = self.store.get_row(RecordTable::Screenings, id).await?;
        let person = row.as_ref().and_then(|r| r.subject_id.clone()).map(PersonId::from_trusted);
        match person {
            Some(p) => {
                self.scope().person_for(ctx, &p, action).await?;
            }
            None => self.authorize(ctx, action, Relation::Unrelated, "screening", id).await?,
        }
        row.ok_or(CoreError::NotFound)
    }

    pub async fn get_screening(&self, ctx: &Ctx, id: &str) -> CoreResult<ScreeningView> {
        let row = self.screening_for(ctx, id, Action::ListPersons).await?;
        self.append(&ctx.event(self.now(), "read_screening", "ok", "screening", id)).await?;
        self.screening_with_eval(&row).await
    }

    /// Update a draft (or finish it). A final screening is never edited: make a new one.
    pub async fn update_screening(&self, ctx: &Ctx, id: &str, input: &ScreeningInput) -> CoreResult<ScreeningView> {
        let version: i64 = input.version.trim().parse().map_err(|_| CoreError::field("version", "required"))?;
        let row = self.screening_for(ctx, id, Action::Screen).await?;
        if row.status == "final" {
            return Err(CoreError::field("status", "screening_is_final"));
        }
        if row.version != version {
            let cur = self.screening_with_eval(&row).await?;
            return Err(CoreError::Conflict { current: serde_json::to_value(cur).unwrap_or_default() });
        }
        let (a, evaluation, notes, final_, screened_on) = self.screening_fields(input, None).await?;
        let now = self.now();
        let updated = RecordRow {
            occurred_at: screened_on.or(row.occurred_at),
            sealed: Some(self.seal_json(RecordTable::Screenings, id, &Notes { notes })?),
            kind: a.set.clone(),
            status: if final_ { "final".into() } else { "draft".into() },
            lookup: Some(a.instrument_id.clone()),
            version: row.version + 1,
            updated_at: now,
            attrs: to_json(&a)?,
            ..row.clone()
        };
        let mut ev = ctx.event(now, if final_ { "finish_screening" } else { "save_screening_draft" }, "ok", "screening", id);
        ev.details = serde_json::json!({ "set": a.set, "outcome": final_.then_some(evaluation.outcome) }).to_string();
        self.commit(&Batch { inserts: vec![], updates: vec![(RecordTable::Screenings, updated.clone())] }, &ev).await?;
        self.screening_view(&updated, evaluation)
    }

    pub(crate) async fn screenings_of(&self, person: &str) -> CoreResult<Vec<ScreeningView>> {
        let f = RowFilter { subject_ids: vec![person.to_owned()], ..Default::default() };
        let mut out = Vec::new();
        for r in self.store.find_rows(RecordTable::Screenings, &f).await? {
            out.push(self.screening_with_eval(&r).await?);
        }
        Ok(out)
    }

    /// Record an identification decision. It may rest on a final screening of the same person.
    pub async fn record_decision(&self, ctx: &Ctx, person: &PersonId, input: &DecisionInput) -> CoreResult<DecisionView> {
        let f = input.validate(&self.today())?;
        self.scope().person_for(ctx, person, Action::Decide).await?;
        if let Some(sid) = &f.screening_id {
            let s = self.store.get_row(RecordTable::Screenings, sid).await?;
            if !s.as_ref().is_some_and(|s| s.subject_id.as_deref() == Some(person.as_str()) && s.status == "final") {
                return Err(CoreError::field("screening_id", "not_a_final_screening_of_this_person"));
            }
        }
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let org = self.store.get_org(&me.org_id).await?.ok_or(CoreError::NotFound)?;
        let now = self.now();
        let id = self.random.new_id();
        let a = DecisionAttrs {
            deciding_org_type: DecidingOrg::for_org_kind(org.kind),
            decided_on: f.decided_on.clone(),
            screening_id: f.screening_id.clone(),
        };
        let row = RecordRow {
            sealed: Some(self.seal_json(RecordTable::Decisions, &id, &DecisionSecrets { basis: f.basis.clone() })?),
            subject_id: Some(person.to_string()),
            area_code: Some(org.jurisdiction.clone()),
            lookup: f.screening_id.clone(),
            occurred_at: amparo_domain::protection::days_from_civil(&f.decided_on).map(|d| d * 86_400),
            attrs: to_json(&a)?,
            ..self.new_row(&id, &me.org_id, me.user_id.as_str(), f.status.as_str(), "recorded")
        };
        let mut ev = ctx.event(now, "record_decision", "ok", "decision", &id);
        ev.details = serde_json::json!({ "person": person, "status": f.status, "deciding_org_type": a.deciding_org_type }).to_string();
        self.commit(&Batch { inserts: vec![(RecordTable::Decisions, row.clone())], updates: vec![] }, &ev).await?;
        self.decision_views(&[row])?.into_iter().next().ok_or(CoreError::NotFound)
    }

    /// Decisions newest first; the first is current.
    fn decision_views(&self, rows: &[RecordRow]) -> CoreResult<Vec<DecisionView>> {
        let mut out = Vec::new();
        for (k, r) in rows.iter().enumerate() {
            let a: DecisionAttrs = attrs(r)?;
            let s: DecisionSecrets = self.open_json(RecordTable::Decisions, r)?;
            out.push(DecisionView {
                id: r.id.clone(),
                person_id: r.subject_id.clone().unwrap_or_default(),
                status: TraffickingStatus::parse(&r.kind).unwrap_or(TraffickingStatus::PossibleVictim),
                deciding_org_type: a.deciding_org_type,
                org_id: r.org_id.to_string(),
                decided_on: a.decided_on,
                decider: r.created_by.clone(),
                screening_id: a.screening_id,
                basis: s.basis,
                created_at: r.created_at,
                current: k == 0,
            });
        }
        Ok(out)
    }

    pub(crate) async fn decisions_of(&self, person: &str) -> CoreResult<Vec<DecisionView>> {
        let mut rows =
            self.store.find_rows(RecordTable::Decisions, &RowFilter { subject_ids: vec![person.to_owned()], ..Default::default() }).await?;
        // Newest decision date first, then newest record: that one is current.
        rows.sort_by(|a, b| b.occurred_at.cmp(&a.occurred_at).then(b.created_at.cmp(&a.created_at)).then(b.id.cmp(&a.id)));
        self.decision_views(&rows)
    }
}
