//! On-demand linkage runs ("Run linkage now"), detached from the request that asked for one.
//!
//! A full run takes minutes at a million cases. Run inside the request, it outlived proxies'
//! timeouts, and a coordinator who closed the tab cancelled it half-way (dropping the
//! request dropped the run between two chunks). So a run is its own task: the request only
//! starts it, or joins the one under way (two coordinators pressing the button get one run),
//! and the queue page shows its progress and, once done, what it found. The API's
//! `POST /api/v1/linkage/run` still answers with the summary, by waiting for the same task.
//! Across servers, the run waits for the linkage lease (`job_lease.rs`), as the job does.

use super::Linkage;
use super::linkage_job::{LINKAGE_LEASE, LINKAGE_LEASE_SECS, LinkRunSummary};
use crate::clock::Clock;
use crate::ctx::Ctx;
use crate::error::{CoreError, CoreResult};
use amparo_domain::Timestamp;
use amparo_domain::policy::{Action, Relation};
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::watch;

/// How often a run waiting for another server's run asks for the lease again.
const LEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// What anyone allowed to run linkage may know of the runs: counts and times, no persons.
#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema)]
pub struct LinkRunStatus {
    /// When the run under way was asked for; `None` when none is.
    pub running_since: Option<Timestamp>,
    /// On-demand runs finished since the server started (a waiter knows its run by it).
    pub finished_runs: u64,
    /// The last on-demand run this server finished.
    pub last: Option<FinishedRun>,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct FinishedRun {
    pub finished_at: Timestamp,
    /// `None` when the run failed: the server log says why, users see only that it did.
    pub summary: Option<LinkRunSummary>,
}

/// The board every request reads, and the run task writes.
pub(crate) type RunBoard = Arc<watch::Sender<LinkRunStatus>>;

pub(crate) fn new_board() -> RunBoard {
    Arc::new(watch::Sender::new(LinkRunStatus::default()))
}

/// Marks the run finished however its task ends: a panic in the engine, or the runtime
/// shutting down, must not leave the page saying "running" for ever.
struct Finisher {
    board: RunBoard,
    clock: Arc<dyn Clock>,
    summary: Option<LinkRunSummary>,
}

impl Drop for Finisher {
    fn drop(&mut self) {
        let finished_at = self.clock.now();
        let summary = self.summary.take();
        self.board.send_modify(|s| {
            s.running_since = None;
            s.finished_runs += 1;
            s.last = Some(FinishedRun { finished_at, summary });
        });
    }
}

impl Linkage {
    /// Start a full run now (coordinators, system admins), or join the one under way.
    /// Returns at once, with the status and the number the run will finish as.
    async fn begin_linkage_run(&self, ctx: &Ctx) -> CoreResult<(LinkRunStatus, u64)> {
        self.authorize(ctx, Action::RunLinkage, Relation::OwnOrgScope, "person_match", "").await?;
        let now = self.now();
        let (mut started, mut ticket) = (false, 0);
        self.linkage_runs.send_if_modified(|s| {
            // Whether this request starts the run or joins it, the run under way finishes next.
            ticket = s.finished_runs + 1;
            if s.running_since.is_some() {
                return false;
            }
            s.running_since = Some(now);
            started = true;
            true
        });
        if started {
            let (app, ctx) = (self.clone(), ctx.clone());
            tokio::spawn(async move {
                let mut finisher = Finisher { board: app.linkage_runs.clone(), clock: app.clock.clone(), summary: None };
                let mut state = app.linkage.lock().await;
                let run = async {
                    // Wait for another server's run to end: the page says "under way" meanwhile.
                    let lease = loop {
                        if let Some(l) = app.try_lease(LINKAGE_LEASE, LINKAGE_LEASE_SECS).await? {
                            break l;
                        }
                        tokio::time::sleep(LEASE_WAIT).await;
                    };
                    let out = app.link(&ctx, &mut state, true, &[]).await;
                    lease.release().await;
                    out
                };
                match run.await {
                    Ok(s) => finisher.summary = Some(s),
                    // The audit trail already has the run's start; the log has the cause.
                    Err(e) => tracing::error!(error = %e, "on-demand record linkage failed"),
                }
            });
        }
        Ok((self.linkage_runs.borrow().clone(), ticket))
    }

    /// "Run linkage now" from the queue page: start the run (or join it) and return.
    pub async fn start_linkage_run(&self, ctx: &Ctx) -> CoreResult<LinkRunStatus> {
        Ok(self.begin_linkage_run(ctx).await?.0)
    }

    /// Link every person now, and learn the model afresh; answers when the run is done. The
    /// run does not depend on the caller: a caller that gives up does not cancel it.
    pub async fn run_linkage(&self, ctx: &Ctx) -> CoreResult<LinkRunSummary> {
        let mut rx = self.linkage_runs.subscribe();
        let (_, ticket) = self.begin_linkage_run(ctx).await?;
        let done = rx.wait_for(|s| s.finished_runs >= ticket).await.map_err(CoreError::internal)?;
        done.last
            .as_ref()
            .and_then(|l| l.summary.clone())
            .ok_or_else(|| CoreError::Internal("the linkage run failed; the server log says why".into()))
    }

    /// Whether a run is under way, and what the last one found (those who may run linkage).
    pub async fn linkage_run_status(&self, ctx: &Ctx) -> CoreResult<LinkRunStatus> {
        self.authorize(ctx, Action::RunLinkage, Relation::OwnOrgScope, "person_match", "").await?;
        Ok(self.linkage_runs.borrow().clone())
    }
}
