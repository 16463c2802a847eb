//! Row decoding helpers: turn `AnyRow`s into domain values, mapping every failure to a
//! backend error rather than a panic.

use amparo_core::store::StoreError;
use sqlx::Row;
use sqlx::any::AnyRow;

pub fn be(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        return StoreError::Duplicate("record");
    }
    StoreError::Backend(e.to_string())
}

pub fn s(r: &AnyRow, col: &str) -> Result<String, StoreError> {
    r.try_get::<String, _>(col).map_err(be)
}
pub fn os(r: &AnyRow, col: &str) -> Result<Option<String>, StoreError> {
    r.try_get::<Option<String>, _>(col).map_err(be)
}
pub fn i(r: &AnyRow, col: &str) -> Result<i64, StoreError> {
    r.try_get::<i64, _>(col).map_err(be)
}
pub fn oi(r: &AnyRow, col: &str) -> Result<Option<i64>, StoreError> {
    r.try_get::<Option<i64>, _>(col).map_err(be)
}
pub fn b(r: &AnyRow, col: &str) -> Result<Vec<u8>, StoreError> {
    r.try_get::<Vec<u8>, _>(col).map_err(be)
}
pub fn ob(r: &AnyRow, col: &str) -> Result<Option<Vec<u8>>, StoreError> {
    r.try_get::<Option<Vec<u8>>, _>(col).map_err(be)
}
pub fn flag(r: &AnyRow, col: &str) -> Result<bool, StoreError> {
    Ok(i(r, col)? != 0)
}
