//! An in-app notification to an organisation: what happened (its kind, a message key in
//! the locales as `notif-<kind>`), a link to the page it concerns, read or unread. It names
//! no person: what it is about is looked up, within the reader's rights, when it is shown.

use super::{Row, Stamp, required, unreadable};
use crate::error::CoreResult;
use crate::store::{RecordRow, RecordTable};
use amparo_domain::OrgId;

pub use amparo_domain::states::NotificationStatus;

/// A notification's id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NotificationId(pub String);

#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    pub id: NotificationId,
    /// The organisation notified.
    pub to: OrgId,
    /// What happened, e.g. `referral_requested` (the locales' `notif-referral_requested`).
    pub kind: String,
    pub status: NotificationStatus,
    /// The page it points at, e.g. `/referrals/<id>`.
    pub link: String,
    pub stamp: Stamp,
}

impl Row for Notification {
    const TABLE: RecordTable = RecordTable::Notifications;

    fn id(&self) -> &str {
        &self.id.0
    }

    fn from_row(r: RecordRow) -> CoreResult<Notification> {
        let t = Self::TABLE;
        Ok(Notification {
            status: NotificationStatus::parse(&r.status).ok_or_else(|| unreadable(t, &r.id, "status"))?,
            link: required(t, &r, "lookup", r.lookup.clone())?,
            stamp: Stamp::of(&r),
            id: NotificationId(r.id),
            to: r.org_id,
            kind: r.kind,
        })
    }

    fn to_row(&self) -> CoreResult<RecordRow> {
        Ok(self.stored())
    }
}

impl Notification {
    /// The stored shape (a notification has nothing that could fail to encode).
    pub fn stored(&self) -> RecordRow {
        RecordRow { lookup: Some(self.link.clone()), ..super::stored(&self.id.0, &self.to, &self.kind, self.status.as_str(), &self.stamp) }
    }
}
