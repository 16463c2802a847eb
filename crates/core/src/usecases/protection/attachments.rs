//! Case attachments: encrypted at rest (name and content sealed together, bound to the
//! row), checked for type and size on the way in, and handed out only as downloads to those
//! who may read the case — never through a share that hides identities, since a document can
//! name anyone.

use super::Protection;
use crate::crypto::sha256_hex;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;
use crate::records::attrs;
use crate::store::{Batch, RecordRow, RecordTable, RowFilter};
use amparo_domain::attachment::check_upload;
use amparo_domain::policy::Action;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

#[derive(Default, Serialize, Deserialize)]
struct Sealed {
    filename: String,
    content: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AttachmentInfo {
    pub id: String,
    pub case_id: String,
    pub mime: String,
    pub size: usize,
    pub sha256: String,
    pub created_at: i64,
}

/// A file to hand out: always as an attachment, with the checked type.
pub struct AttachmentFile {
    pub filename: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

impl Protection {
    pub async fn add_attachment(&self, ctx: &Ctx, case_id: &str, filename: &str, bytes: &[u8]) -> CoreResult<AttachmentInfo> {
        let (mime, filename) = check_upload(filename, bytes)?;
        let (case, _) = self.scope().case_for(ctx, case_id, Action::EditCase).await?;
        let me = ctx.user().ok_or(CoreError::Unauthenticated)?;
        let id = self.random.new_id();
        let info = AttachmentInfo {
            id: id.clone(),
            case_id: case_id.to_owned(),
            mime: mime.into(),
            size: bytes.len(),
            sha256: sha256_hex(bytes),
            created_at: self.now(),
        };
        let row = RecordRow {
            subject_id: Some(case_id.to_owned()),
            attrs: crate::records::to_json(&info)?,
            sealed: Some(self.seal_json(RecordTable::Attachments, &id, &Sealed { filename, content: B64.encode(bytes) })?),
            ..self.new_row(&id, &case.org_id, me.user_id.as_str(), mime, "active")
        };
        let mut ev = ctx.event(self.now(), "add_attachment", "ok", "case", case_id);
        ev.details = serde_json::json!({ "attachment": id, "mime": mime, "size": bytes.len() }).to_string();
        self.commit(&Batch { inserts: vec![(RecordTable::Attachments, row)], updates: vec![] }, &ev).await?;
        Ok(info)
    }

    pub async fn case_attachments(&self, ctx: &Ctx, case_id: &str) -> CoreResult<Vec<AttachmentInfo>> {
        let (_, access) = self.scope().case_for(ctx, case_id, Action::ViewCase).await?;
        if access.hide_identities {
            return Ok(vec![]);
        }
        let rows = self
            .store
            .find_rows(
                RecordTable::Attachments,
                &RowFilter { subject_ids: vec![case_id.to_owned()], statuses: vec!["active".into()], ..Default::default() },
            )
            .await?;
        rows.iter().map(attrs).collect()
    }

    /// The file, for download. Audited before it leaves.
    pub async fn get_attachment(&self, ctx: &Ctx, id: &str) -> CoreResult<AttachmentFile> {
        let row = self.store.get_row(RecordTable::Attachments, id).await?;
        let case_id = row.as_ref().and_then(|r| r.subject_id.clone()).unwrap_or_default();
        let (_, access) = self.scope().case_for(ctx, &case_id, Action::ViewCase).await?;
        if access.hide_identities {
            return Err(CoreError::Forbidden(amparo_domain::policy::Denial::NoRelation));
        }
        let row = row.ok_or(CoreError::NotFound)?;
        let s: Sealed = self.open_json(RecordTable::Attachments, &row)?;
        let bytes = B64.decode(s.content).map_err(CoreError::internal)?;
        self.append(&ctx.event(self.now(), "read_attachment", "ok", "case", &case_id)).await?;
        Ok(AttachmentFile { filename: s.filename, mime: row.kind.clone(), bytes })
    }
}
