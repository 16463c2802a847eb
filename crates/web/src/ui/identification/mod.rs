//! Identification screens: screening a person with the instrument, the instruments and their versions.

pub mod instruments;
pub mod screening;
