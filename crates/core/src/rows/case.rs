//! A case (an investigation) and what hangs off it: the persons linked in a role, and the
//! events of the exploitation (recruitment, transit, exploitation) with dates and places.
//! The case's notes are sealed; who may see a case is decided in `scope`.

use super::{Row, Stamp, read_attrs, required, stored, unreadable, write_attrs};
use crate::error::CoreResult;
use crate::store::{RecordRow, RecordTable};
use amparo_domain::cases::{CaseExploitation, CaseRole, CaseStatus, EventKind, HearingKind, LabourSector, SexualForm, Stage};
use amparo_domain::{OrgId, PersonId, Timestamp};
use serde::{Deserialize, Serialize};

pub use amparo_domain::states::LinkStatus;

/// One step of a case's (or a share's) history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CaseStep {
    pub at: i64,
    pub by: String,
    pub what: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A hearing held or scheduled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Hearing {
    pub date: String,
    pub kind: HearingKind,
}

/// A note on a case (sealed with the case).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CaseNote {
    pub at: i64,
    pub by: String,
    pub org: String,
    pub text: String,
}

/// What a case keeps in clear.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CaseAttrs {
    pub title: String,
    pub labour_sector: Option<LabourSector>,
    pub sexual_form: Option<SexualForm>,
    pub sources: Vec<String>,
    pub stage: Option<Stage>,
    pub history: Vec<CaseStep>,
    /// Hearings held or scheduled, in date order.
    pub hearings: Vec<Hearing>,
    /// Set when a suspect carries the official-complicity flag.
    pub restricted: bool,
    /// User ids allowed on a restricted case.
    pub allowed_users: Vec<String>,
    /// The case's id in the system it was imported from (HTCDS `cas_CaseId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// What a case seals.
#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CaseSecrets {
    pub notes: Vec<CaseNote>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    pub id: String,
    /// The owning organisation (changes on transfer).
    pub org_id: OrgId,
    /// `C-YYYY-XXXXXX`, what people quote.
    pub reference: String,
    pub exploitation: CaseExploitation,
    pub status: CaseStatus,
    pub place: Option<String>,
    /// When it was opened (or created in the system it was imported from).
    pub opened_at: Option<Timestamp>,
    pub attrs: CaseAttrs,
    /// `CaseSecrets`, sealed to this row.
    pub sealed: Option<Vec<u8>>,
    pub stamp: Stamp,
}

impl Row for Case {
    const TABLE: RecordTable = RecordTable::Cases;

    fn id(&self) -> &str {
        &self.id
    }

    fn from_row(r: RecordRow) -> CoreResult<Case> {
        let t = Self::TABLE;
        Ok(Case {
            exploitation: CaseExploitation::parse(&r.kind).ok_or_else(|| unreadable(t, &r.id, "kind"))?,
            status: CaseStatus::parse(&r.status).ok_or_else(|| unreadable(t, &r.id, "status"))?,
            reference: required(t, &r, "lookup", r.lookup.clone())?,
            attrs: read_attrs(t, &r)?,
            stamp: Stamp::of(&r),
            id: r.id,
            org_id: r.org_id,
            place: r.area_code,
            opened_at: r.occurred_at,
            sealed: r.sealed,
        })
    }

    fn to_row(&self) -> CoreResult<RecordRow> {
        Ok(RecordRow {
            area_code: self.place.clone(),
            lookup: Some(self.reference.clone()),
            occurred_at: self.opened_at,
            attrs: write_attrs(&self.attrs)?,
            sealed: self.sealed.clone(),
            ..stored(&self.id, &self.org_id, self.exploitation.as_str(), self.status.as_str(), &self.stamp)
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CaseLinkAttrs {
    /// On a suspect: a public official is involved, which restricts the case.
    pub official_complicity: bool,
}

/// A person linked to a case in a role.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseLink {
    pub id: String,
    /// The case's owner when linked.
    pub org_id: OrgId,
    pub case_id: String,
    pub person: PersonId,
    pub role: CaseRole,
    pub status: LinkStatus,
    pub attrs: CaseLinkAttrs,
    pub stamp: Stamp,
}

impl Row for CaseLink {
    const TABLE: RecordTable = RecordTable::CaseLinks;

    fn id(&self) -> &str {
        &self.id
    }

    fn from_row(r: RecordRow) -> CoreResult<CaseLink> {
        let t = Self::TABLE;
        Ok(CaseLink {
            role: CaseRole::parse(&r.kind).ok_or_else(|| unreadable(t, &r.id, "kind"))?,
            status: LinkStatus::parse(&r.status).ok_or_else(|| unreadable(t, &r.id, "status"))?,
            case_id: required(t, &r, "subject_id", r.subject_id.clone())?,
            person: PersonId::from_trusted(required(t, &r, "lookup", r.lookup.clone())?),
            attrs: read_attrs(t, &r)?,
            stamp: Stamp::of(&r),
            id: r.id,
            org_id: r.org_id,
        })
    }

    fn to_row(&self) -> CoreResult<RecordRow> {
        Ok(RecordRow {
            subject_id: Some(self.case_id.clone()),
            lookup: Some(self.person.to_string()),
            attrs: write_attrs(&self.attrs)?,
            ..stored(&self.id, &self.org_id, self.role.as_str(), self.status.as_str(), &self.stamp)
        })
    }
}

/// A recruitment, transit or exploitation event of a case: when and where (an area code
/// or a foreign country's code). Its date is kept as written in the `status` column and as
/// a day in `occurred_at`.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseEvent {
    pub id: String,
    pub org_id: OrgId,
    pub case_id: String,
    pub kind: EventKind,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub place: Option<String>,
    pub on: Option<Timestamp>,
    pub stamp: Stamp,
}

impl Row for CaseEvent {
    const TABLE: RecordTable = RecordTable::CaseEvents;

    fn id(&self) -> &str {
        &self.id
    }

    fn from_row(r: RecordRow) -> CoreResult<CaseEvent> {
        let t = Self::TABLE;
        if !amparo_domain::protection::is_iso_date(&r.status) {
            return Err(unreadable(t, &r.id, "status"));
        }
        Ok(CaseEvent {
            kind: EventKind::parse(&r.kind).ok_or_else(|| unreadable(t, &r.id, "kind"))?,
            case_id: required(t, &r, "subject_id", r.subject_id.clone())?,
            stamp: Stamp::of(&r),
            id: r.id,
            org_id: r.org_id,
            date: r.status,
            place: r.area_code,
            on: r.occurred_at,
        })
    }

    fn to_row(&self) -> CoreResult<RecordRow> {
        Ok(RecordRow {
            subject_id: Some(self.case_id.clone()),
            area_code: self.place.clone(),
            occurred_at: self.on,
            ..stored(&self.id, &self.org_id, self.kind.as_str(), &self.date, &self.stamp)
        })
    }
}
