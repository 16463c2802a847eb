//! A job lease held while a job runs: one holder at a time across every server on the
//! database (the store's `job_leases`), renewed in the background so a run of any length
//! keeps it, and left to expire if the holder dies.
//!
//! Record linkage takes one: two servers linking at once would each decrypt everyone, and
//! race each other to store and rescore the same pairs.

use crate::error::CoreResult;
use crate::kernel::Kernel;
use crate::random::RandomExt;
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;

/// A lease this process holds until `release` (or, if the job's task dies, until it
/// expires: dropping stops the renewals).
pub(crate) struct HeldLease {
    store: Arc<dyn Store>,
    job: &'static str,
    owner: String,
    renewer: tokio::task::JoinHandle<()>,
}

impl Kernel {
    /// Take `job`'s lease for `secs` seconds, renewed every third of that while held;
    /// `None` while another server holds it.
    pub(crate) async fn try_lease(&self, job: &'static str, secs: i64) -> CoreResult<Option<HeldLease>> {
        let owner = hex::encode(self.random.bytes::<12>());
        let now = self.now();
        if !self.store.lease(job, &owner, now, now + secs).await? {
            return Ok(None);
        }
        let (store, clock, who) = (self.store.clone(), self.clock.clone(), owner.clone());
        let renewer = tokio::spawn(async move {
            let every = Duration::from_secs(u64::try_from(secs / 3).unwrap_or(1).max(1));
            loop {
                tokio::time::sleep(every).await;
                let now = clock.now();
                match store.lease(job, &who, now, now + secs).await {
                    Ok(true) => {}
                    // Only if this process stalled for longer than the lease: another server
                    // may be running the job too; the run goes on, and says so.
                    Ok(false) => tracing::warn!(job, "job lease lost to another server"),
                    Err(e) => tracing::warn!(job, error = %e, "job lease not renewed"),
                }
            }
        });
        Ok(Some(HeldLease { store: self.store.clone(), job, owner, renewer }))
    }
}

impl HeldLease {
    /// Give the lease up now, so another server need not wait for it to expire. A failure
    /// is logged, not returned: the job's own result matters more, and the lease expires.
    pub(crate) async fn release(self) {
        self.renewer.abort();
        if let Err(e) = self.store.release_lease(self.job, &self.owner).await {
            tracing::warn!(job = self.job, error = %e, "job lease not released; it will expire");
        }
    }
}

impl Drop for HeldLease {
    fn drop(&mut self) {
        self.renewer.abort();
    }
}
