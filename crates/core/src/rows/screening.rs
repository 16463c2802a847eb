//! A screening of a person with the identification instrument: the instrument version and
//! indicator set used, the indicators observed and, once final, the per-dimension result.
//! A draft may be half filled and edited; a final one never changes. Notes are sealed.

use super::{Row, Stamp, read_attrs, required, stored, unreadable, write_attrs};
use crate::error::CoreResult;
use crate::store::{RecordRow, RecordTable};
use amparo_domain::screening::Evaluation;
use amparo_domain::{OrgId, PersonId, Timestamp};
use serde::{Deserialize, Serialize};

pub use amparo_domain::states::ScreeningStatus;

/// What a screening keeps in clear.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScreeningAttrs {
    pub instrument_id: String,
    /// The indicator set (instrument data, e.g. `adult_labour`).
    pub set: String,
    pub age_at_exploitation: Option<i64>,
    pub indicators: Vec<String>,
    /// Stored once final; a draft's is computed when shown.
    pub evaluation: Option<Evaluation>,
}

/// What a screening seals.
#[derive(Default, Serialize, Deserialize)]
pub struct ScreeningNotes {
    pub notes: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Screening {
    pub id: String,
    /// The screening organisation.
    pub org_id: OrgId,
    pub person: PersonId,
    pub status: ScreeningStatus,
    /// The day (or, entered the same day, the moment) of the interview.
    pub screened_at: Option<Timestamp>,
    /// Instrument, set (also the `kind` and `lookup` columns), indicators, result.
    pub attrs: ScreeningAttrs,
    /// `ScreeningNotes`, sealed to this row.
    pub sealed: Option<Vec<u8>>,
    pub stamp: Stamp,
}

impl Row for Screening {
    const TABLE: RecordTable = RecordTable::Screenings;

    fn id(&self) -> &str {
        &self.id
    }

    fn from_row(r: RecordRow) -> CoreResult<Screening> {
        let t = Self::TABLE;
        let attrs: ScreeningAttrs = read_attrs(t, &r)?;
        // The clear columns the lists and statistics read must say what the record says.
        if r.kind != attrs.set || r.lookup.as_deref() != Some(attrs.instrument_id.as_str()) {
            return Err(unreadable(t, &r.id, "kind"));
        }
        Ok(Screening {
            status: ScreeningStatus::parse(&r.status).ok_or_else(|| unreadable(t, &r.id, "status"))?,
            person: PersonId::from_trusted(required(t, &r, "subject_id", r.subject_id.clone())?),
            stamp: Stamp::of(&r),
            attrs,
            id: r.id,
            org_id: r.org_id,
            screened_at: r.occurred_at,
            sealed: r.sealed,
        })
    }

    fn to_row(&self) -> CoreResult<RecordRow> {
        Ok(RecordRow {
            subject_id: Some(self.person.to_string()),
            lookup: Some(self.attrs.instrument_id.clone()),
            occurred_at: self.screened_at,
            attrs: write_attrs(&self.attrs)?,
            sealed: self.sealed.clone(),
            ..stored(&self.id, &self.org_id, &self.attrs.set, self.status.as_str(), &self.stamp)
        })
    }
}
