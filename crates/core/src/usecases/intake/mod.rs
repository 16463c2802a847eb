//! Intake: hotline calls and visits, the anonymous public form, routing and triage, police operations and labour inspections.

pub mod reports;
/// The pillar's main use cases, at the pillar's own path (`usecases::intake::…`).
pub use reports::*;

use crate::kernel::services::service;
use crate::store::ports::*;

service! {
    /// Reports: hotline calls, the public form, operations and inspections, and their triage.
    Intake, IntakePorts: OrgStore, RecordStore, ReferenceStore, SessionStore
}
