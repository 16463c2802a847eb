//! Record linkage in the product: the review queue, the background job and on-demand runs.

pub mod queue;
/// The pillar's main use cases, at the pillar's own path (`usecases::linkage::…`).
pub use queue::*;
pub mod linkage_job;
pub mod linkage_runs;
pub use linkage_job::{LinkRunSummary, LinkageState, MAX_CANDIDATES_PER_RUN};
pub use linkage_runs::{FinishedRun, LinkRunStatus};

use crate::kernel::services::service;
use crate::store::ports::*;

service! {
    /// Record linkage: the job, its runs and the match review queue.
    Linkage, LinkagePorts: OrgStore, PersonStore, RecordStore, StatStore
}
