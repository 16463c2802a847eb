//! Migrations: one tree per backend, embedded, applied in order inside a transaction each
//! by sqlx's `Migrator` (checksums, a lock). Versions must match across the two trees.
//! Never edit an applied migration; add a new one — a changed one is refused at start.

use amparo_core::store::{Backend, StoreError, StoreResult};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, AssertSqlSafe, Row, SqlSafeStr};
use std::borrow::Cow;

pub const MIGRATIONS_SQLITE: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/sqlite/0001_init.sql")),
    (2, "protection", include_str!("../migrations/sqlite/0002_protection.sql")),
    (3, "prosecution", include_str!("../migrations/sqlite/0003_prosecution.sql")),
    (4, "attachments", include_str!("../migrations/sqlite/0004_attachments.sql")),
    (5, "person_matches", include_str!("../migrations/sqlite/0005_person_matches.sql")),
    (6, "statistics_projection", include_str!("../migrations/sqlite/0006_statistics_projection.sql")),
    (7, "statistics_reads_in_order", include_str!("../migrations/sqlite/0007_statistics_reads_in_order.sql")),
    (8, "statistics_screened", include_str!("../migrations/sqlite/0008_statistics_screened.sql")),
    (9, "persons_changed", include_str!("../migrations/sqlite/0009_persons_changed.sql")),
    (10, "job_leases", include_str!("../migrations/sqlite/0010_job_leases.sql")),
    (11, "hardening", include_str!("../migrations/sqlite/0011_hardening.sql")),
    (12, "paging", include_str!("../migrations/sqlite/0012_paging.sql")),
    (13, "report_queue", include_str!("../migrations/sqlite/0013_report_queue.sql")),
    (14, "export_order", include_str!("../migrations/sqlite/0014_export_order.sql")),
    (15, "gap_and_occupancy", include_str!("../migrations/sqlite/0015_gap_and_occupancy.sql")),
    (16, "gap_index_covers_kind", include_str!("../migrations/sqlite/0016_gap_index_covers_kind.sql")),
    (17, "referred_to", include_str!("../migrations/sqlite/0017_referred_to.sql")),
    (18, "gap_counts", include_str!("../migrations/sqlite/0018_gap_counts.sql")),
];
pub const MIGRATIONS_POSTGRES: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/postgres/0001_init.sql")),
    (2, "protection", include_str!("../migrations/postgres/0002_protection.sql")),
    (3, "prosecution", include_str!("../migrations/postgres/0003_prosecution.sql")),
    (4, "attachments", include_str!("../migrations/postgres/0004_attachments.sql")),
    (5, "person_matches", include_str!("../migrations/postgres/0005_person_matches.sql")),
    (6, "statistics_projection", include_str!("../migrations/postgres/0006_statistics_projection.sql")),
    (7, "statistics_reads_in_order", include_str!("../migrations/postgres/0007_statistics_reads_in_order.sql")),
    (8, "statistics_screened", include_str!("../migrations/postgres/0008_statistics_screened.sql")),
    (9, "persons_changed", include_str!("../migrations/postgres/0009_persons_changed.sql")),
    (10, "job_leases", include_str!("../migrations/postgres/0010_job_leases.sql")),
    (11, "hardening", include_str!("../migrations/postgres/0011_hardening.sql")),
    (12, "paging", include_str!("../migrations/postgres/0012_paging.sql")),
    (13, "report_queue", include_str!("../migrations/postgres/0013_report_queue.sql")),
    (14, "export_order", include_str!("../migrations/postgres/0014_export_order.sql")),
    (15, "gap_and_occupancy", include_str!("../migrations/postgres/0015_gap_and_occupancy.sql")),
    (16, "gap_index_covers_kind", include_str!("../migrations/postgres/0016_gap_index_covers_kind.sql")),
    (17, "referred_to", include_str!("../migrations/postgres/0017_referred_to.sql")),
    (18, "gap_counts", include_str!("../migrations/postgres/0018_gap_counts.sql")),
];

fn be(e: sqlx::Error) -> StoreError {
    crate::decode::classify(e)
}

fn migrate_error(e: sqlx::migrate::MigrateError) -> StoreError {
    use sqlx::migrate::MigrateError as M;
    match e {
        // A migration this build carries differs from the one the database applied: someone
        // edited an applied migration, or the database belongs to another build.
        M::VersionMismatch(v) => StoreError::Backend(format!("migration {v} differs from the one this database applied")),
        M::VersionMissing(v) => StoreError::Backend(format!("the database applied migration {v}, which this build does not have")),
        M::Dirty(v) => StoreError::Backend(format!("migration {v} was left half-applied; restore the database from a backup")),
        M::Execute(e) => be(e),
        other => StoreError::Backend(other.to_string()),
    }
}

/// sqlx's migrator over one backend's tree: each migration's checksum is recorded when it is
/// applied and checked at every start (an edited migration is refused, not half-run), and
/// the run holds the database's migration lock (an advisory lock on PostgreSQL; SQLite's
/// own write lock), so two servers starting at once cannot both apply the same migration.
fn migrator(backend: Backend) -> Migrator {
    let tree = match backend {
        Backend::Sqlite => MIGRATIONS_SQLITE,
        Backend::Postgres => MIGRATIONS_POSTGRES,
    };
    Migrator::with_migrations(
        tree.iter()
            .map(|(version, name, sql)| {
                Migration::new(*version, Cow::Borrowed(*name), MigrationType::Simple, AssertSqlSafe(*sql).into_sql_str(), false)
            })
            .collect(),
    )
}

/// The migrations applied so far, read only: no DDL, so a health check or a read-only
/// replica can ask. A database never migrated answers with an error (no such table).
pub async fn applied(pool: &AnyPool) -> StoreResult<Vec<i64>> {
    let rows = sqlx::query("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version").fetch_all(pool).await.map_err(be)?;
    rows.iter().map(|r| r.try_get::<i64, _>(0).map_err(be)).collect()
}

/// The versions the runner before sqlx's recorded in its own ledger, if this database has
/// one and sqlx's ledger is not there yet.
async fn legacy_ledger(pool: &AnyPool) -> StoreResult<Option<Vec<i64>>> {
    if applied(pool).await.is_ok() {
        return Ok(None);
    }
    match sqlx::query("SELECT version FROM schema_migrations ORDER BY version").fetch_all(pool).await {
        Ok(rows) => Ok(Some(rows.iter().map(|r| r.try_get::<i64, _>(0).map_err(be)).collect::<StoreResult<_>>()?)),
        Err(_) => Ok(None),
    }
}

pub async fn run(pool: &AnyPool, backend: Backend) -> StoreResult<Vec<i64>> {
    let m = migrator(backend);
    let mut before = applied(pool).await.unwrap_or_default();
    // A database the earlier runner migrated: its versions are recorded in sqlx's ledger as
    // applied (with this build's checksums) without running them again, then the rest run.
    if let Some(done) = legacy_ledger(pool).await?
        && let Some(&last) = done.last()
    {
        if done != (1..=last).collect::<Vec<_>>() {
            return Err(StoreError::Backend(format!("the migration ledger has gaps: {done:?}")));
        }
        m.skip(pool, Some(last)).await.map_err(migrate_error)?;
        before = done.clone();
        tracing::info!(last, "migration ledger moved to sqlx's");
    }
    match backend {
        Backend::Postgres => m.run(pool).await.map_err(migrate_error)?,
        // SQLite has no advisory lock (sqlx's is a no-op there): the whole run holds the
        // database's write lock instead, one outer transaction begun IMMEDIATE, each
        // migration a savepoint inside it. A second server waits for the lock, then finds
        // every migration applied.
        Backend::Sqlite => {
            let mut conn = pool.acquire().await.map_err(be)?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
            let mut tx = loop {
                match sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await {
                    Ok(tx) => break tx,
                    Err(e) if std::time::Instant::now() < deadline && e.to_string().contains("locked") => {
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    }
                    Err(e) => return Err(be(e)),
                }
            };
            m.run_direct(None, &mut *tx, false).await.map_err(migrate_error)?;
            tx.commit().await.map_err(be)?;
        }
    }
    let after = applied(pool).await?;
    for m in m.iter().filter(|m| after.contains(&m.version) && !before.contains(&m.version)) {
        tracing::info!(version = m.version, name = %m.description, "applied migration");
    }
    Ok(after)
}
