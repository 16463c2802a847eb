//! Coordination between agencies: case shares and requests, cross-agency alerts, search, and whether the caller may see a record at all.

pub mod alerts;
pub mod search;
pub mod sharing;
pub mod visibility;

use crate::kernel::services::service;
use crate::store::ports::*;

service! {
    /// Sharing between agencies, cross-agency alerts, search and who-can-see-what.
    Coordination, CoordinationPorts: AccountStore, AuditStore, OrgStore, PersonStore, RecordStore
}
