//! The national statistics screens.

mod figures;
/// This pillar's screens, at the pillar's own path (`ui::statistics::…`).
pub use figures::*;
