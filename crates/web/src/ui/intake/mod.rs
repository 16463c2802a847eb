//! Intake screens: the reports queue and call form, the anonymous public form, operations and inspections.

pub mod fieldwork;
pub mod public;
pub mod reports;
