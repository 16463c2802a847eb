//! Integration tests: the real router on port 0, a fresh database per test. One test binary,
//! so the workspace links once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod api;
mod auth;
mod authz;
mod browser;
mod cases;
mod cli;
mod contract;
mod features;
mod fuzz;
mod hardening;
mod helpers;
mod linkage;
mod mfa_gate;
mod paging;
mod parsers;
mod protection;
mod relations;
mod resilience;
mod roles;
mod search_snapshot;
mod statistics;
mod two_servers;
mod ui_flows;
mod world;
