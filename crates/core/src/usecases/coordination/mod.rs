//! Coordination between agencies: case shares and requests, cross-agency alerts, search, and whether the caller may see a record at all.

pub mod alerts;
pub mod search;
pub mod sharing;
pub mod visibility;
