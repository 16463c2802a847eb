//! A candidate pair from record linkage: two person records the engine thinks may be the
//! same person, the evidence field by field, and the decisions people took on it (their
//! free-text reasons sealed). The pair is stored once, smaller person id on the left.
//!
//! The linkage job and the statistics read pairs lean, without their attrs (ids, status
//! and at most the probability): `PairState` is that lean read.

use super::{Row, Stamp, read_attrs, required, stored, unreadable, write_attrs};
use crate::error::CoreResult;
use crate::store::{RecordRow, RecordTable};
use amparo_domain::{OrgId, PersonId, Timestamp};
use serde::{Deserialize, Serialize};

pub use amparo_domain::states::MatchStatus;

/// The only kind of pair there is (the column is kept for the shared row shape).
const KIND: &str = "record_linkage";

/// One field's part in the score.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Contribution {
    pub field: String,
    pub level: String,
    /// Bits of evidence: positive for a match, negative against, 0 when a value is missing.
    pub weight: f64,
}

/// One decision on a pair (its reason is sealed apart, see `MatchSecrets`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MatchDecision {
    pub decision: String,
    pub by: String,
    pub at: Timestamp,
    /// Why. Free text may describe the person: sealed in the row, shown only to those who
    /// may decide.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// What a pair keeps in clear.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MatchAttrs {
    pub probability: f64,
    pub contributions: Vec<Contribution>,
    #[serde(default)]
    pub decisions: Vec<MatchDecision>,
}

/// The decisions' free-text reasons, in order (sealed).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MatchSecrets {
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PersonMatch {
    pub id: String,
    /// The left person (the smaller id) and its organisation.
    pub left: PersonId,
    pub left_org: OrgId,
    pub right: PersonId,
    pub right_org: OrgId,
    pub status: MatchStatus,
    pub attrs: MatchAttrs,
    /// `MatchSecrets`, sealed to this row.
    pub sealed: Option<Vec<u8>>,
    pub stamp: Stamp,
}

impl Row for PersonMatch {
    const TABLE: RecordTable = RecordTable::PersonMatches;

    fn id(&self) -> &str {
        &self.id
    }

    fn from_row(r: RecordRow) -> CoreResult<PersonMatch> {
        let t = Self::TABLE;
        if r.kind != KIND {
            return Err(unreadable(t, &r.id, "kind"));
        }
        Ok(PersonMatch {
            status: MatchStatus::parse(&r.status).ok_or_else(|| unreadable(t, &r.id, "status"))?,
            attrs: read_attrs(t, &r)?,
            left: PersonId::from_trusted(required(t, &r, "subject_id", r.subject_id.clone())?),
            right: PersonId::from_trusted(required(t, &r, "lookup", r.lookup.clone())?),
            right_org: r.party_org.clone().ok_or_else(|| unreadable(t, &r.id, "party_org"))?,
            stamp: Stamp::of(&r),
            id: r.id,
            left_org: r.org_id,
            sealed: r.sealed,
        })
    }

    fn to_row(&self) -> CoreResult<RecordRow> {
        Ok(RecordRow {
            party_org: Some(self.right_org.clone()),
            subject_id: Some(self.left.to_string()),
            lookup: Some(self.right.to_string()),
            attrs: write_attrs(&self.attrs)?,
            sealed: self.sealed.clone(),
            ..stored(&self.id, &self.left_org, KIND, self.status.as_str(), &self.stamp)
        })
    }
}

/// A pair read lean: its two persons, where it stands, and its probability when the read
/// asked for it.
#[derive(Clone, Debug, PartialEq)]
pub struct PairState {
    pub id: String,
    pub left: String,
    pub right: String,
    pub status: MatchStatus,
    pub probability: Option<f64>,
}

impl PairState {
    /// From a lean read (`attrs` holds at most `probability`) or a whole row.
    pub fn from_lean(r: &RecordRow) -> CoreResult<PairState> {
        let t = RecordTable::PersonMatches;
        #[derive(Deserialize)]
        struct Scored {
            probability: Option<f64>,
        }
        let probability = serde_json::from_str::<Scored>(&r.attrs).ok().and_then(|s| s.probability);
        Ok(PairState {
            id: r.id.clone(),
            left: required(t, r, "subject_id", r.subject_id.clone())?,
            right: required(t, r, "lookup", r.lookup.clone())?,
            status: MatchStatus::parse(&r.status).ok_or_else(|| unreadable(t, &r.id, "status"))?,
            probability,
        })
    }
}

impl From<&PersonMatch> for PairState {
    fn from(m: &PersonMatch) -> PairState {
        PairState {
            id: m.id.clone(),
            left: m.left.to_string(),
            right: m.right.to_string(),
            status: m.status,
            probability: Some(m.attrs.probability),
        }
    }
}
