//! Record linkage screens: the review queue and runs.

pub mod matches;
