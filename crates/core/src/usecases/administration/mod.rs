//! Administration: organisations, accounts, sign-in and two-factor, API tokens, the audit trail, keys and backups, geography, idempotency keys, refusals, capabilities.

pub mod audit;
pub mod auth;
pub mod capabilities;
pub mod geo;
pub mod idempotency;
pub mod orgs;
pub mod refusals;
pub mod system;
pub mod tokens;
pub mod users;
