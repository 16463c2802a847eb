//! Helpers for the protection record tables: typed `attrs` in and out of JSON, and the
//! sealed (encrypted) JSON of identifying fields, bound to table, column and row id so a
//! ciphertext moved to another row or table does not open.

use crate::error::{CoreError, CoreResult};
use crate::kernel::Kernel;
use crate::random::RandomExt;
use crate::rows::notification::{Notification, NotificationId, NotificationStatus};
use crate::rows::{Row, Stamp};
use crate::store::{Batch, RecordRow, RecordTable, StoreError};
use amparo_domain::OrgId;
use amparo_domain::audit::AuditEvent;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub(crate) fn to_json<T: Serialize>(v: &T) -> CoreResult<String> {
    serde_json::to_string(v).map_err(CoreError::internal)
}

impl Kernel {
    pub(crate) fn seal_json<T: Serialize>(&self, table: RecordTable, id: &str, v: &T) -> CoreResult<Vec<u8>> {
        self.seal(table.name(), "sealed", id, &to_json(v)?)
    }

    /// A typed row's sealed part (see `rows`), or the default when it has none.
    pub(crate) fn open_sealed<T: DeserializeOwned + Default>(&self, table: RecordTable, id: &str, sealed: Option<&[u8]>) -> CoreResult<T> {
        match sealed {
            None => Ok(T::default()),
            Some(blob) => {
                let text = self.open(table.name(), "sealed", id, blob)?;
                serde_json::from_str(&text).map_err(CoreError::internal)
            }
        }
    }

    /// An unread in-app notification for an organisation, pointing at a page.
    pub(crate) fn notification(&self, to: &OrgId, kind: &str, link: &str) -> Notification {
        Notification {
            id: NotificationId(self.random.new_id()),
            to: to.clone(),
            kind: kind.to_owned(),
            status: NotificationStatus::Unread,
            link: link.to_owned(),
            stamp: Stamp::new(self.now(), "system"),
        }
    }

    /// The same, as a batch entry.
    pub(crate) fn notify(&self, to: &OrgId, kind: &str, link: &str) -> (RecordTable, RecordRow) {
        (Notification::TABLE, self.notification(to, kind, link).stored())
    }

    /// Write a batch with its audit event; a stale version anywhere fails the whole batch
    /// with `Conflict`.
    pub(crate) async fn commit(&self, batch: &Batch, ev: &AuditEvent) -> CoreResult<()> {
        match self.store.write(batch, ev).await {
            Ok(seq) => {
                self.maybe_checkpoint(seq).await;
                Ok(())
            }
            Err(StoreError::Conflict) => Err(CoreError::Conflict { current: serde_json::Value::Null }),
            Err(e) => Err(e.into()),
        }
    }

    /// Today's date (UTC) from the injected clock.
    pub(crate) fn today(&self) -> String {
        amparo_domain::protection::iso_date(self.now())
    }
}
