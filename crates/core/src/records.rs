//! Helpers for the protection record tables: typed `attrs` in and out of JSON, and the
//! sealed (encrypted) JSON of identifying fields, bound to table, column and row id so a
//! ciphertext moved to another row or table does not open.

use crate::Amparo;
use crate::error::{CoreError, CoreResult};
use crate::store::{RecordRow, RecordTable};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub(crate) fn attrs<T: DeserializeOwned>(row: &RecordRow) -> CoreResult<T> {
    serde_json::from_str(&row.attrs).map_err(|e| CoreError::Internal(format!("{} {} attrs: {e}", row.kind, row.id)))
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> CoreResult<String> {
    serde_json::to_string(v).map_err(CoreError::internal)
}

impl Amparo {
    pub(crate) fn seal_json<T: Serialize>(&self, table: RecordTable, id: &str, v: &T) -> CoreResult<Vec<u8>> {
        self.seal(table.name(), "sealed", id, &to_json(v)?)
    }

    /// The sealed part of a row, or the default when the row has none.
    pub(crate) fn open_json<T: DeserializeOwned + Default>(&self, table: RecordTable, row: &RecordRow) -> CoreResult<T> {
        match &row.sealed {
            None => Ok(T::default()),
            Some(blob) => {
                let text = self.open(table.name(), "sealed", &row.id, blob)?;
                serde_json::from_str(&text).map_err(CoreError::internal)
            }
        }
    }

    /// Today's date (UTC) from the injected clock.
    pub fn today(&self) -> String {
        amparo_domain::protection::iso_date(self.now())
    }
}
