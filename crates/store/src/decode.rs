//! Row decoding helpers: turn `AnyRow`s into domain values, mapping every failure to a
//! backend error rather than a panic.

use amparo_core::store::StoreError;
use sqlx::Row;
use sqlx::any::AnyRow;

/// Every database error becomes a `StoreError` here, in one place, so the core can tell a
/// duplicate, an outage and a full disk from a bug.
pub fn be(e: sqlx::Error) -> StoreError {
    classify(e)
}

pub fn classify(e: sqlx::Error) -> StoreError {
    use sqlx::Error as E;
    match &e {
        E::Database(db) if db.is_unique_violation() => StoreError::Duplicate("record"),
        E::Database(db) => {
            match db.code().as_deref().map(|c| db_error_kind(c, db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().is_some())) {
                Some(DbErrorKind::Full) => StoreError::Full(e.to_string()),
                Some(DbErrorKind::Unavailable) => StoreError::Unavailable(e.to_string()),
                _ => StoreError::Backend(e.to_string()),
            }
        }
        E::Io(_) | E::PoolTimedOut | E::PoolClosed | E::Tls(_) | E::WorkerCrashed => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Backend(e.to_string()),
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum DbErrorKind {
    Full,
    Unavailable,
    Other,
}

/// What a database error code means for the caller. SQLite codes are numbers (the
/// extended code; the primary code is its low byte), PostgreSQL's are SQLSTATEs (five
/// characters, often all digits too, so the backend must be said).
pub fn db_error_kind(code: &str, postgres: bool) -> DbErrorKind {
    if !postgres && let Ok(n) = code.parse::<i64>() {
        return match n & 0xff {
            13 => DbErrorKind::Full,           // SQLITE_FULL
            5 | 6 => DbErrorKind::Unavailable, // SQLITE_BUSY, SQLITE_LOCKED
            _ => DbErrorKind::Other,
        };
    }
    match code {
        "53100" => DbErrorKind::Full, // disk_full
        // connection_exception (08…), admin/crash shutdown, cannot connect now,
        // too many connections.
        c if c.starts_with("08") => DbErrorKind::Unavailable,
        "57P01" | "57P02" | "57P03" | "53300" => DbErrorKind::Unavailable,
        _ => DbErrorKind::Other,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_classified() {
        assert_eq!(db_error_kind("13", false), DbErrorKind::Full);
        assert_eq!(db_error_kind("5", false), DbErrorKind::Unavailable);
        assert_eq!(db_error_kind("517", false), DbErrorKind::Unavailable, "SQLITE_BUSY_SNAPSHOT is busy");
        assert_eq!(db_error_kind("2067", false), DbErrorKind::Other, "a unique violation is not an outage");
        assert_eq!(db_error_kind("53100", true), DbErrorKind::Full);
        assert_eq!(db_error_kind("57P01", true), DbErrorKind::Unavailable);
        assert_eq!(db_error_kind("08006", true), DbErrorKind::Unavailable);
        assert_eq!(db_error_kind("23505", true), DbErrorKind::Other);
        assert_eq!(db_error_kind("42P01", true), DbErrorKind::Other);
        assert_eq!(db_error_kind("13", true), DbErrorKind::Other, "a PostgreSQL code is not read as SQLite's");
    }

    #[test]
    fn lost_connections_are_an_outage() {
        assert!(matches!(classify(sqlx::Error::PoolTimedOut), StoreError::Unavailable(_)));
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(matches!(classify(sqlx::Error::Io(io)), StoreError::Unavailable(_)));
        assert!(matches!(classify(sqlx::Error::RowNotFound), StoreError::Backend(_)));
    }
}
