//! Named job leases (migration 0010): one holder at a time, across every server on the
//! database, for jobs that must not run twice at once. Which jobs take one, and for how
//! long, is decided in the core; this file only moves the row.

use crate::decode::be;
use amparo_core::store::StoreResult;
use amparo_domain::Timestamp;
use sqlx::AnyPool;

/// Take `job`'s lease for `owner` until `until`, or renew it; false while another owner holds
/// an unexpired one.
pub async fn take(pool: &AnyPool, job: &str, owner: &str, now: Timestamp, until: Timestamp) -> StoreResult<bool> {
    // Each a single statement, so two servers cannot both see the lease free: the row exists
    // first, then one conditional update wins.
    sqlx::query("INSERT INTO job_leases (name, owner, until_at) VALUES ($1, '', 0) ON CONFLICT (name) DO NOTHING")
        .bind(job.to_owned())
        .execute(pool)
        .await
        .map_err(be)?;
    let done =
        sqlx::query("UPDATE job_leases SET owner = $1, until_at = $2 WHERE name = $3 AND (owner = $1 OR owner = '' OR until_at < $4)")
            .bind(owner.to_owned())
            .bind(until)
            .bind(job.to_owned())
            .bind(now)
            .execute(pool)
            .await
            .map_err(be)?;
    Ok(done.rows_affected() == 1)
}

/// Give `job`'s lease up, if `owner` holds it (a lease taken over after it expired stays
/// with its new holder).
pub async fn release(pool: &AnyPool, job: &str, owner: &str) -> StoreResult<()> {
    sqlx::query("UPDATE job_leases SET owner = '', until_at = 0 WHERE name = $1 AND owner = $2")
        .bind(job.to_owned())
        .bind(owner.to_owned())
        .execute(pool)
        .await
        .map_err(be)?;
    Ok(())
}
