//! A charge: one defendant of a case charged under one statute (by its id, which is data),
//! filed on a day; then the decision on it (a verdict, with the sentence checked against
//! the statute's range), reviews of a flagged sentence, and appeals.

use super::{Row, Stamp, read_attrs, required, stored, unreadable, write_attrs};
use crate::error::CoreResult;
use crate::store::{RecordRow, RecordTable};
use amparo_domain::cases::{AppealResult, DecisionOnCharge, SentenceFlag, Verdict};
use amparo_domain::{OrgId, PersonId, Timestamp};
use serde::{Deserialize, Serialize};

/// Where a charge stands: filed and undecided, or decided with a verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChargeStatus {
    Filed,
    Decided(Verdict),
}

impl ChargeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeStatus::Filed => "filed",
            ChargeStatus::Decided(v) => v.as_str(),
        }
    }
    pub fn parse(s: &str) -> Option<ChargeStatus> {
        if s == "filed" { Some(ChargeStatus::Filed) } else { Verdict::parse(s).map(ChargeStatus::Decided) }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Appeal {
    pub filed_on: String,
    pub result: AppealResult,
    pub decided_on: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChargeAttrs {
    pub offence_date: String,
    pub filed_on: String,
    pub decision: Option<DecisionOnCharge>,
    pub flag: Option<SentenceFlag>,
    pub reviewed_by: Option<String>,
    pub appeals: Vec<Appeal>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Charge {
    pub id: String,
    /// The case's owner when charged.
    pub org_id: OrgId,
    pub case_id: String,
    pub defendant: PersonId,
    /// The statute's id (data, e.g. `pe-cp-153-2007`).
    pub statute: String,
    pub status: ChargeStatus,
    /// The case's place, for the statistics.
    pub place: Option<String>,
    /// The day it was filed.
    pub filed_at: Option<Timestamp>,
    pub attrs: ChargeAttrs,
    pub stamp: Stamp,
}

impl Row for Charge {
    const TABLE: RecordTable = RecordTable::Charges;

    fn id(&self) -> &str {
        &self.id
    }

    fn from_row(r: RecordRow) -> CoreResult<Charge> {
        let t = Self::TABLE;
        Ok(Charge {
            status: ChargeStatus::parse(&r.status).ok_or_else(|| unreadable(t, &r.id, "status"))?,
            case_id: required(t, &r, "subject_id", r.subject_id.clone())?,
            defendant: PersonId::from_trusted(required(t, &r, "lookup", r.lookup.clone())?),
            attrs: read_attrs(t, &r)?,
            stamp: Stamp::of(&r),
            id: r.id,
            org_id: r.org_id,
            statute: r.kind,
            place: r.area_code,
            filed_at: r.occurred_at,
        })
    }

    fn to_row(&self) -> CoreResult<RecordRow> {
        Ok(RecordRow {
            subject_id: Some(self.case_id.clone()),
            lookup: Some(self.defendant.to_string()),
            area_code: self.place.clone(),
            occurred_at: self.filed_at,
            attrs: write_attrs(&self.attrs)?,
            ..stored(&self.id, &self.org_id, &self.statute, self.status.as_str(), &self.stamp)
        })
    }
}
