//! The demo and synthetic data sets, through the same use cases as everyone else.

pub mod load;
/// The pillar's main use cases, at the pillar's own path (`usecases::demo::…`).
pub use load::*;
pub(crate) mod demo_cases;
pub(crate) mod demo_generate;
pub(crate) mod demo_history;
pub(crate) mod demo_names;
pub(crate) mod demo_protection;
