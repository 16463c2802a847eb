//! Identification: screenings with the ILO/EC indicators (the instrument and its versions) and identification decisions.

pub mod decisions;
/// The pillar's main use cases, at the pillar's own path (`usecases::identification::…`).
pub use decisions::*;
pub mod instruments;

use crate::kernel::services::service;
use crate::store::ports::*;

service! {
    /// Screening with the operational indicators, and the identification decisions.
    Identification, IdentificationPorts: OrgStore, RecordStore, ReferenceStore
}
