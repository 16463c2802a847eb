//! Amparo's pure domain.
//!
//! Everything here is plain data and pure functions: identifiers, roles, organisations,
//! geography, validation, the authorization policy and the audit-chain hashing. Nothing in
//! this crate performs I/O, reads the clock or draws randomness; callers pass those in. That
//! keeps the rules that protect victims testable without a database or a server.

pub mod attachment;
pub mod audit;
pub mod cases;
pub mod ctdc;
pub mod geo;
pub mod grant;
pub mod htcds;
pub mod ids;
pub mod intake;
pub mod org;
pub mod paging;
pub mod person;
pub mod policy;
pub mod protection;
pub mod role;
pub mod screening;
pub mod states;
pub mod statistics;
pub mod user;
pub mod validation;

pub use ids::{OrgId, PersonId, UserId};
pub use role::Role;
pub use validation::{FieldError, FieldErrors};

/// Seconds since the Unix epoch, UTC. Stored as BIGINT on every backend.
pub type Timestamp = i64;
