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
use crate::rows::decision::{Decision, DecisionAttrs, DecisionSecrets};
use crate::rows::screening::{Screening, ScreeningAttrs, ScreeningNotes, ScreeningStatus};
use crate::rows::{self, Row, Stamp};
use crate::store::{Batch, RowFilter};
use amparo_domain::policy::{Action, Relation};
use amparo_domain::protection::{DecidingOrg, DecisionInput, TraffickingStatus};
use amparo_domain::screening::Evaluation;
use amparo_domain::validation::{FieldErrors, optional_text};
use amparo_domain::{OrgId, PersonId};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct ScreeningInput {
    /// Instrument version id or family; default: the newest ILO/EC 2009 version.
    #[serde(default)]
    pub instrument: String,
    /// A set key; when empty it is chosen from the age at exploitation and the exploitation.
    #[serde(default)]
    #[schemars(required, extend("pattern" = "\\S"))]
    pub set: String,
    #[schemars(schema_with = "amparo_domain::intake::number_text_schema")]
    #[serde(default, deserialize_with = "amparo_domain::intake::number_text")]
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
    #[schemars(schema_with = "amparo_domain::intake::number_text_schema")]
    #[serde(default, deserialize_with = "amparo_domain::intake::version_text")]
    pub version: String,
    /// When the screening interview took place (ISO date, not in the future; default
    /// today): a screening done on paper in the field is often entered later, and counts in
    /// the statistics on the day it was done.
    #[serde(default)]
    pub screened_on: String,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
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

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
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

impl Identification {
    fn screening_view(&self, sc: &Screening, evaluation: Evaluation) -> CoreResult<ScreeningView> {
        let n: ScreeningNotes = self.open_sealed(Screening::TABLE, &sc.id, sc.sealed.as_deref())?;
        Ok(ScreeningView {
            id: sc.id.clone(),
            person_id: sc.person.to_string(),
            org_id: sc.org_id.to_string(),
            status: sc.status.as_str().into(),
            instrument_id: sc.attrs.instrument_id.clone(),
            set: sc.attrs.set.clone(),
            age_at_exploitation: sc.attrs.age_at_exploitation,
            indicators: sc.attrs.indicators.clone(),
            evaluation,
            notes: n.notes,
            created_at: sc.stamp.created_at,
            created_by: sc.stamp.created_by.clone(),
            version: sc.stamp.version,
        })
    }

    async fn screening_with_eval(&self, sc: &Screening) -> CoreResult<ScreeningView> {
        let a = &sc.attrs;
        let evaluation = match &a.evaluation {
            Some(e) => e.clone(),
            None => self.instrument(&a.instrument_id).await?.evaluate(&a.set, &a.indicators)?,
        };
        self.screening_view(sc, evaluation)
    }

    /// Validate a screening form against its instrument: the set and every indicator id.
    async fn screening_fields(
        &self,
        input: &ScreeningInput,
        fallback_age: Option<i64>,
    ) -> CoreResult<(ScreeningAttrs, Evaluation, Option<String>, ScreeningStatus, Option<i64>)> {
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
        let status = match input.status.trim() {
            "" => ScreeningStatus::Draft,
            s => ScreeningStatus::parse(s).unwrap_or_else(|| {
                e.add("status", "invalid_choice");
                ScreeningStatus::Draft
            }),
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
            evaluation: (status == ScreeningStatus::Final).then(|| evaluation.clone()),
        };
        Ok((a, evaluation, notes, status, screened_on))
    }

    /// A final screening for synthetic data sets (the generator's id, organisation and
    /// person, screened and recorded on day `on`); the indicators are evaluated by the
    /// instrument, as for a screening entered on the form.
    pub fn generated_screening(
        &self,
        instrument: &amparo_domain::screening::Instrument,
        (set, age, indicators): (&str, Option<i64>, Vec<String>),
        (id, org_id, person): (String, OrgId, PersonId),
        on: i64,
    ) -> CoreResult<Screening> {
        let evaluation = instrument.evaluate(set, &indicators)?;
        Ok(Screening {
            sealed: Some(self.seal_json(Screening::TABLE, &id, &ScreeningNotes { notes: None })?),
            attrs: ScreeningAttrs {
                instrument_id: instrument.id.clone(),
                set: set.to_owned(),
                age_at_exploitation: age,
                indicators,
                evaluation: Some(evaluation),
            },
            status: ScreeningStatus::Final,
            screened_at: Some(on),
            id,
            org_id,
            person,
            stamp: Stamp { version: 1, created_at: on, created_by: "generator".into(), updated_at: on },
        })
    }

    /// Record a screening of a person: a draft (may be half filled) or final.
    pub async fn create_screening(&self, ctx: &Ctx, person: &PersonId, input: &ScreeningInput) -> CoreResult<ScreeningView> {
        let (p, _) = self.scope().person_for(ctx, person, Action::Screen).await?;
        let (a, evaluation, notes, status, screened_on) = self.screening_fields(input, p.approx_age).await?;
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let now = self.now();
        let id = self.random.new_id();
        let final_ = status == ScreeningStatus::Final;
        let mut ev = ctx.event(now, if final_ { "finish_screening" } else { "save_screening_draft" }, "ok", "screening", &id);
        ev.details = serde_json::json!({ "person": person, "instrument": a.instrument_id, "set": a.set, "outcome": final_.then_some(evaluation.outcome) }).to_string();
        let sc = Screening {
            sealed: Some(self.seal_json(Screening::TABLE, &id, &ScreeningNotes { notes })?),
            id,
            org_id: me.org_id.clone(),
            person: person.clone(),
            status,
            screened_at: Some(screened_on.unwrap_or(now)),
            attrs: a,
            stamp: Stamp::new(now, me.user_id.as_str()),
        };
        self.commit(&Batch { inserts: vec![rows::entry(&sc)?], updates: vec![] }, &ev).await?;
        self.screening_view(&sc, evaluation)
    }

    async fn screening_for(&self, ctx: &Ctx, id: &str, action: Action) -> CoreResult<Screening> {
        let found = rows::get::<Screening>(&*self.store, id).await?;
        match &found {
            Some(sc) => {
                self.scope().person_for(ctx, &sc.person, action).await?;
            }
            None => self.authorize(ctx, action, Relation::Unrelated, "screening", id).await?,
        }
        found.ok_or(CoreError::NotFound)
    }

    pub async fn get_screening(&self, ctx: &Ctx, id: &str) -> CoreResult<ScreeningView> {
        let sc = self.screening_for(ctx, id, Action::ListPersons).await?;
        self.append(&ctx.event(self.now(), "read_screening", "ok", "screening", id)).await?;
        self.screening_with_eval(&sc).await
    }

    /// Update a draft (or finish it). A final screening is never edited: make a new one.
    pub async fn update_screening(&self, ctx: &Ctx, id: &str, input: &ScreeningInput) -> CoreResult<ScreeningView> {
        let version: i64 = input.version.trim().parse().map_err(|_| CoreError::field("version", "required"))?;
        let sc = self.screening_for(ctx, id, Action::Screen).await?;
        if sc.status == ScreeningStatus::Final {
            return Err(CoreError::field("status", "screening_is_final"));
        }
        if sc.stamp.version != version {
            let cur = self.screening_with_eval(&sc).await?;
            return Err(CoreError::Conflict { current: serde_json::to_value(cur).unwrap_or_default() });
        }
        let (a, evaluation, notes, status, screened_on) = self.screening_fields(input, None).await?;
        let now = self.now();
        let final_ = status == ScreeningStatus::Final;
        let mut ev = ctx.event(now, if final_ { "finish_screening" } else { "save_screening_draft" }, "ok", "screening", id);
        ev.details = serde_json::json!({ "set": a.set, "outcome": final_.then_some(evaluation.outcome) }).to_string();
        let updated = Screening {
            screened_at: screened_on.or(sc.screened_at),
            sealed: Some(self.seal_json(Screening::TABLE, id, &ScreeningNotes { notes })?),
            status,
            attrs: a,
            stamp: sc.stamp.next(now),
            ..sc
        };
        self.commit(&Batch { inserts: vec![], updates: vec![rows::entry(&updated)?] }, &ev).await?;
        self.screening_view(&updated, evaluation)
    }

    pub(crate) async fn screenings_of(&self, person: &str) -> CoreResult<Vec<ScreeningView>> {
        let f = RowFilter { subject_ids: vec![person.to_owned()], ..Default::default() };
        let mut out = Vec::new();
        for sc in rows::find::<Screening>(&*self.store, &f).await? {
            out.push(self.screening_with_eval(&sc).await?);
        }
        Ok(out)
    }

    /// Record an identification decision. It may rest on a final screening of the same person.
    pub async fn record_decision(&self, ctx: &Ctx, person: &PersonId, input: &DecisionInput) -> CoreResult<DecisionView> {
        let f = input.validate(&self.today())?;
        self.scope().person_for(ctx, person, Action::Decide).await?;
        if let Some(sid) = &f.screening_id {
            let sc = rows::get::<Screening>(&*self.store, sid).await?;
            if !sc.as_ref().is_some_and(|sc| &sc.person == person && sc.status == ScreeningStatus::Final) {
                return Err(CoreError::field("screening_id", "not_a_final_screening_of_this_person"));
            }
        }
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let org = self.store.get_org(&me.org_id).await?.ok_or(CoreError::NotFound)?;
        let now = self.now();
        let id = self.random.new_id();
        let d = Decision {
            sealed: Some(self.seal_json(Decision::TABLE, &id, &DecisionSecrets { basis: f.basis.clone() })?),
            id: id.clone(),
            org_id: me.org_id.clone(),
            person: person.clone(),
            status: f.status,
            area: Some(org.jurisdiction.clone()),
            decided_at: amparo_domain::protection::days_from_civil(&f.decided_on).map(|d| d * 86_400),
            attrs: DecisionAttrs {
                deciding_org_type: DecidingOrg::for_org_kind(org.kind),
                decided_on: f.decided_on.clone(),
                screening_id: f.screening_id.clone(),
            },
            stamp: Stamp::new(now, me.user_id.as_str()),
        };
        let mut ev = ctx.event(now, "record_decision", "ok", "decision", &id);
        ev.details =
            serde_json::json!({ "person": person, "status": f.status, "deciding_org_type": d.attrs.deciding_org_type }).to_string();
        self.commit(&Batch { inserts: vec![rows::entry(&d)?], updates: vec![] }, &ev).await?;
        self.decision_views(&[d])?.into_iter().next().ok_or(CoreError::NotFound)
    }

    /// Decisions newest first; the first is current.
    fn decision_views(&self, decisions: &[Decision]) -> CoreResult<Vec<DecisionView>> {
        let mut out = Vec::new();
        for (k, d) in decisions.iter().enumerate() {
            let s: DecisionSecrets = self.open_sealed(Decision::TABLE, &d.id, d.sealed.as_deref())?;
            out.push(DecisionView {
                id: d.id.clone(),
                person_id: d.person.to_string(),
                status: d.status,
                deciding_org_type: d.attrs.deciding_org_type,
                org_id: d.org_id.to_string(),
                decided_on: d.attrs.decided_on.clone(),
                decider: d.stamp.created_by.clone(),
                screening_id: d.attrs.screening_id.clone(),
                basis: s.basis,
                created_at: d.stamp.created_at,
                current: k == 0,
            });
        }
        Ok(out)
    }

    pub(crate) async fn decisions_of(&self, person: &str) -> CoreResult<Vec<DecisionView>> {
        let mut found =
            rows::find::<Decision>(&*self.store, &RowFilter { subject_ids: vec![person.to_owned()], ..Default::default() }).await?;
        // Newest decision date first, then newest record: that one is current.
        found.sort_by(|a, b| b.decided_at.cmp(&a.decided_at).then(b.stamp.created_at.cmp(&a.stamp.created_at)).then(b.id.cmp(&a.id)));
        self.decision_views(&found)
    }
}
