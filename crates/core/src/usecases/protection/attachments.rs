//! Case attachments: encrypted at rest (name and content sealed together, bound to the
//! row), checked for type and size on the way in, and handed out only as downloads to those
//! who may read the case — never through a share that hides identities, since a document can
//! name anyone.

use super::Protection;
use crate::crypto::sha256_hex;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use crate::random::RandomExt;
use crate::rows::attachment::{Attachment, AttachmentSealed, AttachmentStatus};
use crate::rows::{self, Row, Stamp};
use crate::store::{Batch, RowFilter};
use amparo_domain::attachment::check_upload;
use amparo_domain::policy::Action;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

pub use crate::rows::attachment::AttachmentInfo;

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
        let attachment = Attachment {
            org_id: case.org_id.clone(),
            sealed: Some(self.seal_json(Attachment::TABLE, &id, &AttachmentSealed { filename, content: B64.encode(bytes) })?),
            info: info.clone(),
            status: AttachmentStatus::Active,
            stamp: Stamp::new(self.now(), me.user_id.as_str()),
        };
        let mut ev = ctx.event(self.now(), "add_attachment", "ok", "case", case_id);
        ev.details = serde_json::json!({ "attachment": id, "mime": mime, "size": bytes.len() }).to_string();
        self.commit(&Batch { inserts: vec![rows::entry(&attachment)?], updates: vec![] }, &ev).await?;
        Ok(info)
    }

    pub async fn case_attachments(&self, ctx: &Ctx, case_id: &str) -> CoreResult<Vec<AttachmentInfo>> {
        let (_, access) = self.scope().case_for(ctx, case_id, Action::ViewCase).await?;
        if access.hide_identities {
            return Ok(vec![]);
        }
        let active = RowFilter {
            subject_ids: vec![case_id.to_owned()],
            statuses: vec![AttachmentStatus::Active.as_str().into()],
            ..Default::default()
        };
        Ok(rows::find::<Attachment>(&*self.store, &active).await?.into_iter().map(|a| a.info).collect())
    }

    /// The file, for download. Audited before it leaves.
    pub async fn get_attachment(&self, ctx: &Ctx, id: &str) -> CoreResult<AttachmentFile> {
        let found = rows::get::<Attachment>(&*self.store, id).await?;
        let case_id = found.as_ref().map(|a| a.info.case_id.clone()).unwrap_or_default();
        let (_, access) = self.scope().case_for(ctx, &case_id, Action::ViewCase).await?;
        if access.hide_identities {
            return Err(CoreError::Forbidden(amparo_domain::policy::Denial::NoRelation));
        }
        let found = found.ok_or(CoreError::NotFound)?;
        let s: AttachmentSealed = self.open_sealed(Attachment::TABLE, id, found.sealed.as_deref())?;
        let bytes = B64.decode(s.content).map_err(CoreError::internal)?;
        self.append(&ctx.event(self.now(), "read_attachment", "ok", "case", &case_id)).await?;
        Ok(AttachmentFile { filename: s.filename, mime: found.info.mime, bytes })
    }
}
