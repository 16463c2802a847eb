//! Record linkage: finding the records, across agencies and files, that describe the same
//! person.
//!
//! Victims rarely carry documents and every agency spells names its own way, so exact
//! matching undercounts links and double-counts victims. This crate implements the classic
//! probabilistic approach (Fellegi–Sunter) with pieces that fit Spanish and Peruvian names:
//!
//! 1. [`normalize`]: accents, case, particles, two surnames, nicknames, partial dates,
//!    document numbers; [`phonetic`]: a Spanish phonetic key.
//! 2. [`data`]: the records as interned columns (each distinct value prepared and stored
//!    once); [`compare`]: each field pair becomes a small *level* (exact, close, far,
//!    missing), telling consistent evidence (one side knows less) from contradicting.
//! 3. [`blocking`]: candidate pairs from several blocking rules, unioned and de-duplicated.
//! 4. [`model`]: u from random pairs, m from EM (per rule, then refined on all candidates),
//!    term-frequency adjustment, match weights, probabilities, and per-field explanations.
//! 5. [`cluster`]: connected components above a threshold, refusing merges that would join
//!    records known to be very different.
//!
//! It works on values in memory only and writes nothing; callers decide what goes to disk.
//! Heavy loops run on rayon's pool (both cores).

#![cfg_attr(test, allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used))]

pub mod blocking;
pub mod cluster;
pub mod compare;
pub mod config;
pub mod data;
pub mod model;
pub mod normalize;
pub mod phonetic;
pub mod run;

pub use config::LinkConfig;
pub use run::{LinkOutput, Mode, run};
