//! An identification decision: a person is an actual, a possible or not a victim of
//! trafficking (HTCDS `vic_TraffickingStatus`), decided by an organisation on a day,
//! perhaps on a final screening. Decisions are never edited; the latest one stands, and
//! the person row's gap columns follow it by trigger. The basis is sealed.

use super::{Row, Stamp, read_attrs, required, stored, unreadable, write_attrs};
use crate::error::CoreResult;
use crate::store::{RecordRow, RecordTable};
use amparo_domain::protection::{DecidingOrg, TraffickingStatus};
use amparo_domain::{OrgId, PersonId, Timestamp};
use serde::{Deserialize, Serialize};

/// A decision's `status` column: decisions have no lifecycle.
const RECORDED: &str = "recorded";

/// What a decision keeps in clear.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecisionAttrs {
    /// HTCDS `vic_TraffickingStatusDecisionMakingOrg`.
    pub deciding_org_type: DecidingOrg,
    pub decided_on: String,
    pub screening_id: Option<String>,
}

/// What a decision seals.
#[derive(Default, Serialize, Deserialize)]
pub struct DecisionSecrets {
    pub basis: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub id: String,
    /// The deciding organisation.
    pub org_id: OrgId,
    pub person: PersonId,
    pub status: TraffickingStatus,
    /// Where it was decided (the deciding organisation's jurisdiction), for the statistics.
    pub area: Option<String>,
    /// The day it was decided on (midnight UTC).
    pub decided_at: Option<Timestamp>,
    pub attrs: DecisionAttrs,
    /// `DecisionSecrets`, sealed to this row.
    pub sealed: Option<Vec<u8>>,
    pub stamp: Stamp,
}

impl Row for Decision {
    const TABLE: RecordTable = RecordTable::Decisions;

    fn id(&self) -> &str {
        &self.id
    }

    fn from_row(r: RecordRow) -> CoreResult<Decision> {
        let t = Self::TABLE;
        if r.status != RECORDED {
            return Err(unreadable(t, &r.id, "status"));
        }
        let attrs: DecisionAttrs = read_attrs(t, &r)?;
        if r.lookup != attrs.screening_id {
            return Err(unreadable(t, &r.id, "lookup"));
        }
        Ok(Decision {
            status: TraffickingStatus::parse(&r.kind).ok_or_else(|| unreadable(t, &r.id, "kind"))?,
            person: PersonId::from_trusted(required(t, &r, "subject_id", r.subject_id.clone())?),
            stamp: Stamp::of(&r),
            attrs,
            id: r.id,
            org_id: r.org_id,
            area: r.area_code,
            decided_at: r.occurred_at,
            sealed: r.sealed,
        })
    }

    fn to_row(&self) -> CoreResult<RecordRow> {
        Ok(RecordRow {
            subject_id: Some(self.person.to_string()),
            area_code: self.area.clone(),
            lookup: self.attrs.screening_id.clone(),
            occurred_at: self.decided_at,
            attrs: write_attrs(&self.attrs)?,
            sealed: self.sealed.clone(),
            ..stored(&self.id, &self.org_id, self.status.as_str(), RECORDED, &self.stamp)
        })
    }
}
