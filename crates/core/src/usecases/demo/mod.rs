//! The demo and synthetic data sets, through the same use cases as everyone else.

pub mod load;
/// The pillar's main use cases, at the pillar's own path (`usecases::demo::…`).
pub use load::*;
pub(crate) mod demo_cases;
pub(crate) mod demo_generate;
pub(crate) mod demo_history;
pub(crate) mod demo_names;
pub(crate) mod demo_protection;

use crate::kernel::services::service;
use crate::store::ports::*;

service! {
    /// The demonstration and synthetic data sets, written through the other pillars' use cases.
    Demo, DemoPorts: AccountStore, OrgStore, PersonStore, RecordStore, ReferenceStore
}
