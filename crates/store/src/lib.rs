//! Amparo's storage backends behind the core's `Store` port.
//!
//! One implementation over `sqlx::Any` serves both SQLite (the embedded default) and
//! PostgreSQL 15 (production). The schema is a portable subset — TEXT ids, BIGINT epoch
//! seconds, BIGINT 0/1 flags, BLOB/BYTEA ciphertexts, no backend-specific types — with one
//! migration tree per backend whose versions must match (a test checks). SQL uses `$n`
//! placeholders, which both drivers accept. Every audited write starts by locking the
//! `audit_head` row, which both serialises writers and chains the audit entry in the same
//! transaction as the change.

mod audit;
mod backend;
mod decode;
mod leases;
mod migrate;
mod records;
mod snapshot;
mod stat_projection;
mod stat_scan;

pub use backend::SqlStore;
pub use migrate::{MIGRATIONS_POSTGRES, MIGRATIONS_SQLITE};

use amparo_core::store::{Backend, StoreError};
use sqlx::Executor;
use sqlx::any::AnyPoolOptions;
use std::time::Duration;

/// Open a store. `url` is `sqlite://PATH` (created if missing) or `postgres://…`.
pub async fn connect(url: &str) -> Result<SqlStore, StoreError> {
    sqlx::any::install_default_drivers();
    let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Backend::Postgres
    } else if url.starts_with("sqlite:") {
        Backend::Sqlite
    } else {
        return Err(StoreError::Backend("database URL must start with sqlite: or postgres://".into()));
    };
    let url = match backend {
        Backend::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
        _ => url.to_owned(),
    };
    let opts =
        AnyPoolOptions::new().max_connections(if backend == Backend::Sqlite { 4 } else { 10 }).acquire_timeout(Duration::from_secs(10));
    let opts = if backend == Backend::Sqlite {
        opts.after_connect(|conn, _meta| {
            Box::pin(async move {
                // WAL lets readers proceed while one writer writes; FULL makes a committed
                // audit entry survive power loss; foreign keys are off by default in SQLite.
                conn.execute("PRAGMA journal_mode = WAL").await?;
                conn.execute("PRAGMA synchronous = FULL").await?;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                conn.execute("PRAGMA busy_timeout = 10000").await?;
                // 12 MiB of pages per connection (SQLite's default is 2 MiB): a report looks
                // up persons' groups all over stat_groups, which at a million cases is some
                // 9 MiB; with the default cache every lookup was a read from the file.
                conn.execute("PRAGMA cache_size = -12288").await?;
                Ok(())
            })
        })
    } else {
        opts
    };
    let pool = opts.connect(&url).await.map_err(|e| StoreError::Backend(redact(&e.to_string())))?;
    Ok(SqlStore::new(pool, backend))
}

/// Remove a password from any URL-looking text before it reaches a log.
pub fn redact(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(' ') {
        if !out.is_empty() {
            out.push(' ');
        }
        match (word.find("://"), word.find('@')) {
            (Some(p), Some(at)) if at > p => {
                out.push_str(&word[..p + 3]);
                out.push_str("***");
                out.push_str(&word[at..]);
            }
            _ => out.push_str(word),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            super::redact("cannot reach postgres://amparo:s3cret@db:5432/amparo now"),
            "cannot reach postgres://***@db:5432/amparo now"
        );
    }
}
