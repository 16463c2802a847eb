//! Scope: who may see which record, asked by every pillar (see `relations.rs`).

pub mod relations;

use crate::kernel::services::service;
use crate::store::ports::*;

service! {
    /// The relation of a record to the acting user, and the authorizing loaders.
    Scope, ScopePorts: AuditStore, OrgStore, PersonStore, RecordStore, ReferenceStore
}
