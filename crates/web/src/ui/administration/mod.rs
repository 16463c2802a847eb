//! Administration screens: sign-in and two-factor, organisations, accounts, the audit trail.

pub mod audit;
pub mod login;
pub mod mfa;
pub mod orgs;
pub mod users;
