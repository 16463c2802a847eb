//! The core's one error type. Each variant has a stable `code` that the API returns and the
//! UI translates. `Internal` carries the cause for the log only; the web layer never shows it.

use amparo_domain::FieldErrors;
use amparo_domain::policy::Denial;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("not authenticated")]
    Unauthenticated,
    #[error("forbidden: {0:?}")]
    Forbidden(Denial),
    #[error("not found")]
    NotFound,
    #[error("invalid input")]
    Validation(FieldErrors),
    /// The record changed since the user loaded it. Carries the current version as JSON so the
    /// UI can show both versions.
    #[error("version conflict")]
    Conflict { current: serde_json::Value },
    #[error("already exists: {0}")]
    Duplicate(&'static str),
    #[error("too many attempts")]
    Throttled { retry_after: i64 },
    #[error("invalid credentials")]
    BadCredentials,
    /// The database is unreachable for now; the client should retry after a few seconds.
    /// Carries the cause for the log only.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database cannot grow; nothing of the request was written.
    #[error("storage full: {0}")]
    StorageFull(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::Unauthenticated => "unauthenticated",
            CoreError::Forbidden(Denial::MfaRequired) => "mfa_required",
            CoreError::Forbidden(_) => "forbidden",
            CoreError::NotFound => "not_found",
            CoreError::Validation(_) => "validation_failed",
            CoreError::Conflict { .. } => "version_conflict",
            CoreError::Duplicate(_) => "duplicate",
            CoreError::Throttled { .. } => "too_many_attempts",
            CoreError::BadCredentials => "invalid_credentials",
            CoreError::Unavailable(_) => "database_unavailable",
            CoreError::StorageFull(_) => "storage_full",
            CoreError::Internal(_) => "internal_error",
        }
    }
    pub fn internal(e: impl std::fmt::Display) -> Self {
        CoreError::Internal(e.to_string())
    }
    pub fn field(field: &str, code: &str) -> Self {
        let mut e = FieldErrors::new();
        e.add(field, code);
        CoreError::Validation(e)
    }
}

impl From<FieldErrors> for CoreError {
    fn from(e: FieldErrors) -> Self {
        CoreError::Validation(e)
    }
}

impl From<crate::store::StoreError> for CoreError {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match e {
            StoreError::NotFound => CoreError::NotFound,
            StoreError::Conflict => CoreError::Conflict { current: serde_json::Value::Null },
            StoreError::Duplicate(what) => CoreError::Duplicate(what),
            StoreError::Unavailable(m) => CoreError::Unavailable(m),
            StoreError::Full(m) => CoreError::StorageFull(m),
            StoreError::Backend(m) => CoreError::Internal(m),
        }
    }
}

pub type CoreResult<T> = Result<T, CoreError>;
