//! A file attached to a case: its name and content sealed together, its checked type
//! (`kind`, one of the MIME types uploads are sniffed as) and size in clear.

use super::{Row, Stamp, read_attrs, required, stored, unreadable, write_attrs};
use crate::error::CoreResult;
use crate::store::{RecordRow, RecordTable};
use amparo_domain::OrgId;
use serde::{Deserialize, Serialize};

pub use amparo_domain::states::AttachmentStatus;

/// What is shown of an attachment (and kept in clear).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AttachmentInfo {
    pub id: String,
    pub case_id: String,
    pub mime: String,
    pub size: usize,
    pub sha256: String,
    pub created_at: i64,
}

/// What is sealed: the file name and the content (base64).
#[derive(Default, Serialize, Deserialize)]
pub struct AttachmentSealed {
    pub filename: String,
    pub content: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Attachment {
    /// The case's owner when attached.
    pub org_id: OrgId,
    pub info: AttachmentInfo,
    pub status: AttachmentStatus,
    /// `AttachmentSealed`, sealed to this row.
    pub sealed: Option<Vec<u8>>,
    pub stamp: Stamp,
}

impl Row for Attachment {
    const TABLE: RecordTable = RecordTable::Attachments;

    fn id(&self) -> &str {
        &self.info.id
    }

    fn from_row(r: RecordRow) -> CoreResult<Attachment> {
        let t = Self::TABLE;
        let info: AttachmentInfo = read_attrs(t, &r)?;
        let case_id = required(t, &r, "subject_id", r.subject_id.clone())?;
        if info.id != r.id || info.case_id != case_id || info.mime != r.kind {
            return Err(unreadable(t, &r.id, "attrs"));
        }
        Ok(Attachment {
            status: AttachmentStatus::parse(&r.status).ok_or_else(|| unreadable(t, &r.id, "status"))?,
            stamp: Stamp::of(&r),
            info,
            org_id: r.org_id,
            sealed: r.sealed,
        })
    }

    fn to_row(&self) -> CoreResult<RecordRow> {
        Ok(RecordRow {
            subject_id: Some(self.info.case_id.clone()),
            attrs: write_attrs(&self.info)?,
            sealed: self.sealed.clone(),
            ..stored(&self.info.id, &self.org_id, &self.info.mime, self.status.as_str(), &self.stamp)
        })
    }
}
