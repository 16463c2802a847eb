//! Prosecution: cases from investigation to sentence — links, events, notes, tasks, charges, verdicts, appeals — what a hiding share may see of them, and their timeline.

pub mod case_views;
pub mod cases;
pub mod charges;
/// The pillar's main use cases, at the pillar's own path (`usecases::prosecution::…`).
pub use charges::*;
pub(crate) mod redaction;
pub mod timeline;

use crate::kernel::services::service;
use crate::store::ports::*;

service! {
    /// Cases from investigation to sentence: charges, appeals, events, tasks and the timeline.
    Prosecution, ProsecutionPorts: AccountStore, AuditStore, OrgStore, PersonStore, RecordStore, ReferenceStore
}
