//! Migrations: one tree per backend, embedded, applied in order inside a transaction each.
//! Versions must match across the two trees. Never edit an applied migration; add a new one.

use amparo_core::store::{Backend, StoreError, StoreResult};
use sqlx::{AnyPool, Row};

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
];

fn be(e: sqlx::Error) -> StoreError {
    crate::decode::classify(e)
}

/// The migrations applied so far, read only: no DDL, so a health check or a read-only
/// replica can ask. A database never migrated answers with an error (no such table).
pub async fn applied(pool: &AnyPool) -> StoreResult<Vec<i64>> {
    let rows = sqlx::query("SELECT version FROM schema_migrations ORDER BY version").fetch_all(pool).await.map_err(be)?;
    rows.iter().map(|r| r.try_get::<i64, _>(0).map_err(be)).collect()
}

/// The ledger of applied migrations, created by the first migration run.
async fn ledger(pool: &AnyPool) -> StoreResult<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(pool)
    .await
    .map_err(be)?;
    Ok(())
}

pub async fn run(pool: &AnyPool, backend: Backend) -> StoreResult<Vec<i64>> {
    ledger(pool).await?;
    let done = applied(pool).await?;
    let tree = match backend {
        Backend::Sqlite => MIGRATIONS_SQLITE,
        Backend::Postgres => MIGRATIONS_POSTGRES,
    };
    for (version, name, sql) in tree {
        if done.contains(version) {
            continue;
        }
        let mut tx = pool.begin().await.map_err(be)?;
        sqlx::raw_sql(*sql).execute(&mut *tx).await.map_err(be)?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(*version)
            .bind(*name)
            .bind(0_i64)
            .execute(&mut *tx)
            .await
            .map_err(be)?;
        tx.commit().await.map_err(be)?;
        tracing::info!(version, name, "applied migration");
    }
    applied(pool).await
}
