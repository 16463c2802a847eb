//! Coordination screens: tasks, cross-agency alerts, prevention.

mod board;
/// This pillar's screens, at the pillar's own path (`ui::coordination::…`).
pub use board::*;
