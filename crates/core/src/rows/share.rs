//! A share of a case with another organisation: for a stated purpose, until a date, maybe
//! hiding identities. Offered by the owner (granted at once) or requested by the other
//! organisation; the owner grants, refuses or revokes it. A transfer leaves the previous
//! owner a granted share.

use super::case::CaseStep;
use super::{Row, Stamp, read_attrs, required, stored, unreadable, write_attrs};
use crate::error::CoreResult;
use crate::store::{RecordRow, RecordTable};
use amparo_domain::OrgId;
use serde::{Deserialize, Serialize};

pub use amparo_domain::states::ShareStatus;

/// The only thing shared today (the column is kept for the shared row shape).
const KIND: &str = "case";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShareAttrs {
    pub purpose: String,
    /// The last day it holds (`YYYY-MM-DD`).
    pub until: String,
    pub hide_identities: bool,
    /// Asked for by the recipient rather than offered by the owner.
    pub requested: bool,
    pub history: Vec<CaseStep>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Share {
    pub id: String,
    /// The case's owner.
    pub owner: OrgId,
    pub case_id: String,
    /// Who it is shared with.
    pub to_org: OrgId,
    pub status: ShareStatus,
    pub attrs: ShareAttrs,
    pub stamp: Stamp,
}

impl Row for Share {
    const TABLE: RecordTable = RecordTable::Shares;

    fn id(&self) -> &str {
        &self.id
    }

    fn from_row(r: RecordRow) -> CoreResult<Share> {
        let t = Self::TABLE;
        if r.kind != KIND {
            return Err(unreadable(t, &r.id, "kind"));
        }
        Ok(Share {
            status: ShareStatus::parse(&r.status).ok_or_else(|| unreadable(t, &r.id, "status"))?,
            case_id: required(t, &r, "subject_id", r.subject_id.clone())?,
            to_org: r.party_org.clone().ok_or_else(|| unreadable(t, &r.id, "party_org"))?,
            attrs: read_attrs(t, &r)?,
            stamp: Stamp::of(&r),
            id: r.id,
            owner: r.org_id,
        })
    }

    fn to_row(&self) -> CoreResult<RecordRow> {
        Ok(RecordRow {
            party_org: Some(self.to_org.clone()),
            subject_id: Some(self.case_id.clone()),
            attrs: write_attrs(&self.attrs)?,
            ..stored(&self.id, &self.owner, KIND, self.status.as_str(), &self.stamp)
        })
    }
}
