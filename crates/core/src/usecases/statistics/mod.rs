//! National statistics and exchange: the annual report and its projection, the dashboard counts, CTDC microdata, HTCDS import and export.

pub mod annual;
/// The pillar's main use cases, at the pillar's own path (`usecases::statistics::…`).
pub use annual::*;
pub mod ctdc;
pub mod htcds;
pub(crate) mod stat_projection;
pub mod summary;

use crate::kernel::services::service;
use crate::store::ports::*;

service! {
    /// The national figures and their projection, and the CTDC/HTCDS exchange.
    Statistics, StatisticsPorts: LeaseStore, OrgStore, PersonStore, RecordStore, ReferenceStore, StatStore
}
