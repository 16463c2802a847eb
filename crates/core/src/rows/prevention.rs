//! An entry of the prevention register: a campaign or a training, where, when, for whom
//! and how many people. No personal data. Kind and audience are clear columns (`kind`,
//! `status`) so the statistics count them without reading the entry.

use super::{Row, Stamp, read_attrs, stored, unreadable, write_attrs};
use crate::error::CoreResult;
use crate::store::{RecordRow, RecordTable};
use amparo_domain::cases::{Audience, PreventionKind};
use amparo_domain::{OrgId, Timestamp};
use serde::{Deserialize, Serialize};

/// An entry as shown and as kept.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PreventionView {
    pub id: String,
    pub org_id: String,
    pub kind: PreventionKind,
    pub title: String,
    pub date: String,
    pub place: String,
    pub audience: Audience,
    pub people: i64,
}

#[derive(Clone, Debug)]
pub struct Prevention {
    pub org_id: OrgId,
    /// The entry as shown (its id, kind, audience and place included).
    pub entry: PreventionView,
    /// Its date (midnight UTC).
    pub held_at: Option<Timestamp>,
    pub stamp: Stamp,
}

impl Row for Prevention {
    const TABLE: RecordTable = RecordTable::Prevention;

    fn id(&self) -> &str {
        &self.entry.id
    }

    fn from_row(r: RecordRow) -> CoreResult<Prevention> {
        let t = Self::TABLE;
        let entry: PreventionView = read_attrs(t, &r)?;
        if PreventionKind::parse(&r.kind) != Some(entry.kind) || entry.id != r.id {
            return Err(unreadable(t, &r.id, "kind"));
        }
        if Audience::parse(&r.status) != Some(entry.audience) {
            return Err(unreadable(t, &r.id, "status"));
        }
        Ok(Prevention { stamp: Stamp::of(&r), entry, org_id: r.org_id, held_at: r.occurred_at })
    }

    fn to_row(&self) -> CoreResult<RecordRow> {
        Ok(RecordRow {
            area_code: Some(self.entry.place.clone()),
            occurred_at: self.held_at,
            attrs: write_attrs(&self.entry)?,
            ..stored(&self.entry.id, &self.org_id, self.entry.kind.as_str(), self.entry.audience.as_str(), &self.stamp)
        })
    }
}
