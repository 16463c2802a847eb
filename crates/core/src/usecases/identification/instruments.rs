//! Screening instruments: the built-in ILO/EC 2009 instrument shipped as data, publishing a
//! new version (system administrators; a version is never edited), and evaluation.

use super::Identification;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::store::InstrumentRecord;
use amparo_domain::FieldErrors;
use amparo_domain::policy::{Action, Relation};
use amparo_domain::screening::{DimensionDef, Evaluation, IndicatorDef, Instrument, Rules, SetDef, Strength};
use serde::Deserialize;

const INDICATORS_CSV: &str = include_str!("../../../../../data/screening/ilo-ec-2009-indicators.csv");
const RULES_JSON: &str = include_str!("../../../../../data/screening/ilo-ec-2009-rules.json");

/// The instrument shipped in `data/screening/`: indicators from the CSV (ids carried over),
/// sets, dimensions and rules from the JSON beside it.
pub fn builtin_instrument() -> CoreResult<Instrument> {
    #[derive(Deserialize, schemars::JsonSchema)]
    struct Meta {
        family: String,
        version: i64,
        title_en: String,
        title_es: String,
        source_note: String,
        sets: Vec<SetDef>,
        dimensions: Vec<DimensionDef>,
        rules: Rules,
    }
    let meta: Meta = serde_json::from_str(RULES_JSON).map_err(CoreError::internal)?;
    let mut rdr = csv::Reader::from_reader(INDICATORS_CSV.as_bytes());
    let mut indicators = Vec::new();
    for rec in rdr.records() {
        let r = rec.map_err(CoreError::internal)?;
        let g = |n: usize| r.get(n).unwrap_or("").to_owned();
        let strength = Strength::parse(&g(6)).ok_or_else(|| CoreError::Internal(format!("bad strength for {}", g(3))))?;
        indicators.push(IndicatorDef {
            set: g(0),
            dimension: g(1),
            id: g(3),
            label_en: g(4),
            label_es: g(5),
            strength,
            strength_source: g(7),
        });
    }
    let i = Instrument {
        id: format!("{}-v{}", meta.family, meta.version),
        family: meta.family,
        version: meta.version,
        title_en: meta.title_en,
        title_es: meta.title_es,
        source_note: meta.source_note,
        sets: meta.sets,
        dimensions: meta.dimensions,
        indicators,
        rules: meta.rules,
    };
    i.validate().map_err(|e| CoreError::Internal(format!("built-in instrument invalid: {e:?}")))?;
    Ok(i)
}

fn parse(rec: &InstrumentRecord) -> CoreResult<Instrument> {
    serde_json::from_str(&rec.body).map_err(CoreError::internal)
}

impl Identification {
    /// Install the built-in instrument if no version of its family exists (run at start-up).
    pub async fn ensure_builtin_instrument(&self, ctx: &Ctx) -> CoreResult<()> {
        let i = builtin_instrument()?;
        if self.store.list_instruments().await?.iter().any(|r| r.family == i.family) {
            return Ok(());
        }
        let rec = InstrumentRecord {
            id: i.id.clone(),
            family: i.family.clone(),
            version: i.version,
            published_at: self.now(),
            published_by: "system".into(),
            body: serde_json::to_string(&i).map_err(CoreError::internal)?,
        };
        let ev = ctx.event(self.now(), "publish_instrument", "ok", "screening_instrument", &i.id);
        match self.store.insert_instrument(&rec, &ev).await {
            // Two servers starting at once: the other one installed it.
            Ok(_) | Err(crate::store::StoreError::Duplicate(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn list_instruments(&self, ctx: &Ctx) -> CoreResult<Vec<Instrument>> {
        self.authorize(ctx, Action::ViewDirectory, Relation::OwnOrgScope, "screening_instrument", "").await?;
        self.store.list_instruments().await?.iter().map(parse).collect()
    }

    /// An instrument by version id (`ilo-ec-2009-v1`) or by family (its newest version).
    pub async fn get_instrument(&self, ctx: &Ctx, id: &str) -> CoreResult<Instrument> {
        self.authorize(ctx, Action::ViewDirectory, Relation::OwnOrgScope, "screening_instrument", id).await?;
        self.instrument(id).await
    }

    pub(crate) async fn instrument(&self, id: &str) -> CoreResult<Instrument> {
        if let Some(rec) = self.store.get_instrument(id).await? {
            return parse(&rec);
        }
        let newest = self.store.list_instruments().await?.into_iter().filter(|r| r.family == id).max_by_key(|r| r.version);
        newest.as_ref().map(parse).transpose()?.ok_or(CoreError::NotFound)
    }

    /// Evaluate without storing anything (training, tests, the live form).
    pub async fn evaluate_screening(&self, ctx: &Ctx, id: &str, set: &str, indicators: &[String]) -> CoreResult<Evaluation> {
        self.authorize(ctx, Action::ViewDirectory, Relation::OwnOrgScope, "screening_instrument", id).await?;
        let i = self.instrument(id).await?;
        Ok(i.evaluate(set, indicators)?)
    }

    /// Publish a new version of a family from a draft (its `id` and `version` are ignored and
    /// assigned here). Earlier versions stay as they were.
    pub async fn publish_instrument(&self, ctx: &Ctx, draft: Instrument) -> CoreResult<Instrument> {
        self.authorize(ctx, Action::PublishInstrument, Relation::OwnOrgScope, "screening_instrument", "").await?;
        let version =
            self.store.list_instruments().await?.iter().filter(|r| r.family == draft.family).map(|r| r.version).max().unwrap_or(0) + 1;
        let i = Instrument {
            id: format!("{}-v{version}", draft.family.trim()),
            family: draft.family.trim().to_owned(),
            version,
            title_en: draft.title_en,
            title_es: draft.title_es,
            source_note: draft.source_note,
            sets: draft.sets,
            dimensions: draft.dimensions,
            indicators: draft.indicators,
            rules: draft.rules,
        };
        i.validate()?;
        if i.title_en.trim().is_empty() || i.title_es.trim().is_empty() {
            let mut e = FieldErrors::new();
            e.add("title_en", "required");
            return Err(e.into());
        }
        let rec = InstrumentRecord {
            id: i.id.clone(),
            family: i.family.clone(),
            version,
            published_at: self.now(),
            published_by: ctx.user().map(|u| u.user_id.to_string()).unwrap_or_default(),
            body: serde_json::to_string(&i).map_err(CoreError::internal)?,
        };
        let ev = ctx.event(self.now(), "publish_instrument", "ok", "screening_instrument", &i.id);
        let seq = self.store.insert_instrument(&rec, &ev).await?;
        self.maybe_checkpoint(seq).await;
        Ok(i)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_instrument_carries_every_row_of_the_reference_table() {
        let i = builtin_instrument().unwrap();
        assert_eq!(i.id, "ilo-ec-2009-v1");
        assert_eq!(i.indicators.len(), 264);
        assert_eq!(i.indicators_of("adult_labour").count(), 67);
        assert_eq!(i.indicators_of("child_sexual").count(), 65);
        let d1 = i.indicators_of("adult_labour").find(|x| x.id == "d1.deceived_nature_job").unwrap();
        assert_eq!((d1.strength, d1.strength_source.as_str()), (Strength::Strong, "secondary"));
    }
}
