//! Administration: organisations, accounts, sign-in and two-factor, API tokens, the audit trail, keys and backups, geography, idempotency keys, refusals, capabilities.

pub mod audit;
pub mod auth;
pub mod bulk_load;
pub mod capabilities;
pub mod geo;
pub mod idempotency;
pub mod orgs;
pub mod refusals;
pub mod system;
pub mod tokens;
pub mod users;

use crate::kernel::services::service;
use crate::store::ports::*;

service! {
    /// Signing in and out, sessions, second factors, API tokens, idempotent retries and the capabilities the navigation shows.
    Access, AccessPorts: AccountStore, IdempotencyStore, SessionStore
}

service! {
    /// Loading prepared records in bulk (the demo and synthetic data sets, a migration), for an operator.
    BulkLoad, BulkLoadPorts: AccountStore, OrgStore, PersonStore, RecordStore
}

service! {
    /// Organisations and user accounts: who works where, in which role.
    Administration, AdministrationPorts: AccountStore, OrgStore, ReferenceStore, SessionStore
}

service! {
    /// The audit trail and its checkpoints, keys, backups and health, and the reference geography.
    System, SystemPorts: SchemaStore, AuditStore, OrgStore, ReferenceStore, SessionStore, SnapshotStore
}
