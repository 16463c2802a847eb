//! A cross-agency alert: a person of this organisation looks like a person another holds
//! (same document, same name and birth date, or a record-linkage match confirmed). One row
//! per side; each organisation decides on its own side and sees nothing of the other's
//! record, only whom to call.

use super::{Row, Stamp, required, stored, unreadable};
use crate::error::CoreResult;
use crate::store::{RecordRow, RecordTable};
use amparo_domain::{OrgId, PersonId};

pub use amparo_domain::states::{AlertBasis, AlertStatus};

#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub id: String,
    /// This side's organisation (the owner of `person`).
    pub org_id: OrgId,
    pub person: PersonId,
    pub other_org: OrgId,
    pub other_person: PersonId,
    pub basis: AlertBasis,
    pub status: AlertStatus,
    pub stamp: Stamp,
}

impl Row for Alert {
    const TABLE: RecordTable = RecordTable::Alerts;

    fn id(&self) -> &str {
        &self.id
    }

    fn from_row(r: RecordRow) -> CoreResult<Alert> {
        let t = Self::TABLE;
        Ok(Alert {
            basis: AlertBasis::parse(&r.kind).ok_or_else(|| unreadable(t, &r.id, "kind"))?,
            status: AlertStatus::parse(&r.status).ok_or_else(|| unreadable(t, &r.id, "status"))?,
            person: PersonId::from_trusted(required(t, &r, "subject_id", r.subject_id.clone())?),
            other_person: PersonId::from_trusted(required(t, &r, "lookup", r.lookup.clone())?),
            other_org: r.party_org.clone().ok_or_else(|| unreadable(t, &r.id, "party_org"))?,
            stamp: Stamp::of(&r),
            id: r.id,
            org_id: r.org_id,
        })
    }

    fn to_row(&self) -> CoreResult<RecordRow> {
        Ok(RecordRow {
            party_org: Some(self.other_org.clone()),
            subject_id: Some(self.person.to_string()),
            lookup: Some(self.other_person.to_string()),
            ..stored(&self.id, &self.org_id, self.basis.as_str(), self.status.as_str(), &self.stamp)
        })
    }
}
