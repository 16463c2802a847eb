//! Assistance delivered to a person: a service received, participation in proceedings, a
//! protection measure, an alternative to removal, a repatriation. Its kind and detail come
//! from the domain's fixed vocabulary so the statistics can count them; notes are sealed.

use super::{Row, Stamp, read_attrs, required, stored, unreadable, write_attrs};
use crate::error::CoreResult;
use crate::store::{RecordRow, RecordTable};
use amparo_domain::protection::{AssistanceFields, AssistanceKind};
use amparo_domain::{OrgId, PersonId, Timestamp};
use serde::{Deserialize, Serialize};

/// What is sealed of an assistance record.
#[derive(Default, Serialize, Deserialize)]
pub struct AssistanceSecrets {
    pub notes: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Assistance {
    pub id: String,
    /// The organisation that recorded it.
    pub org_id: OrgId,
    pub person: PersonId,
    /// Kind, detail (`status` column), dates and country (`area_code`), as validated.
    pub fields: AssistanceFields,
    /// The day it started (midnight UTC).
    pub started_at: Option<Timestamp>,
    /// `AssistanceSecrets`, sealed to this row.
    pub sealed: Option<Vec<u8>>,
    pub stamp: Stamp,
}

impl Row for Assistance {
    const TABLE: RecordTable = RecordTable::Assistance;

    fn id(&self) -> &str {
        &self.id
    }

    fn from_row(r: RecordRow) -> CoreResult<Assistance> {
        let t = Self::TABLE;
        let fields: AssistanceFields = read_attrs(t, &r)?;
        // The clear columns the statistics count must say what the record says.
        if AssistanceKind::parse(&r.kind) != Some(fields.kind) || r.status != fields.detail {
            return Err(unreadable(t, &r.id, "kind"));
        }
        Ok(Assistance {
            person: PersonId::from_trusted(required(t, &r, "subject_id", r.subject_id.clone())?),
            stamp: Stamp::of(&r),
            fields,
            id: r.id,
            org_id: r.org_id,
            started_at: r.occurred_at,
            sealed: r.sealed,
        })
    }

    fn to_row(&self) -> CoreResult<RecordRow> {
        Ok(RecordRow {
            subject_id: Some(self.person.to_string()),
            area_code: self.fields.country.clone(),
            occurred_at: self.started_at,
            attrs: write_attrs(&self.fields)?,
            sealed: self.sealed.clone(),
            ..stored(&self.id, &self.org_id, self.fields.kind.as_str(), &self.fields.detail, &self.stamp)
        })
    }
}
