//! Prosecution screens: cases from investigation to sentence.

pub mod cases;
