//! A task on a case with a procedural deadline, assigned to a user by e-mail; it belongs
//! to the assignee's organisation, whose task list shows it soonest due first.

use super::{Row, Stamp, read_attrs, required, stored, unreadable, write_attrs};
use crate::error::CoreResult;
use crate::store::{RecordRow, RecordTable};
use amparo_domain::{OrgId, Timestamp};
use serde::{Deserialize, Serialize};

pub use amparo_domain::states::TaskStatus;

const KIND: &str = "task";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TaskAttrs {
    pub title: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    pub id: String,
    /// The assignee's organisation.
    pub org_id: OrgId,
    pub case_id: String,
    /// The assignee's e-mail.
    pub assignee: String,
    pub status: TaskStatus,
    /// The due day (midnight UTC); the list's order.
    pub due_at: Option<Timestamp>,
    pub attrs: TaskAttrs,
    pub stamp: Stamp,
}

impl Row for Task {
    const TABLE: RecordTable = RecordTable::Tasks;

    fn id(&self) -> &str {
        &self.id
    }

    fn from_row(r: RecordRow) -> CoreResult<Task> {
        let t = Self::TABLE;
        if r.kind != KIND {
            return Err(unreadable(t, &r.id, "kind"));
        }
        Ok(Task {
            status: TaskStatus::parse(&r.status).ok_or_else(|| unreadable(t, &r.id, "status"))?,
            case_id: required(t, &r, "subject_id", r.subject_id.clone())?,
            assignee: required(t, &r, "lookup", r.lookup.clone())?,
            attrs: read_attrs(t, &r)?,
            stamp: Stamp::of(&r),
            id: r.id,
            org_id: r.org_id,
            due_at: r.occurred_at,
        })
    }

    fn to_row(&self) -> CoreResult<RecordRow> {
        Ok(RecordRow {
            subject_id: Some(self.case_id.clone()),
            lookup: Some(self.assignee.clone()),
            occurred_at: self.due_at,
            attrs: write_attrs(&self.attrs)?,
            ..stored(&self.id, &self.org_id, KIND, self.status.as_str(), &self.stamp)
        })
    }
}
