//! Amparo's use cases.
//!
//! This crate is the only place that authorizes and audits. Handlers in the web crate and
//! commands in the binary call methods on [`Amparo`]; each method validates its input,
//! asks the domain policy, performs the change through the narrow [`store::Store`] port and
//! hands the store the audit event to write in the same transaction. Personal data is
//! encrypted here, before it reaches the store, so no backend ever sees it in clear.
//!
//! Time and randomness come in through [`clock::Clock`] and [`random::Random`] so tests are
//! deterministic.

pub mod clock;
pub mod config;
pub mod crypto;
pub mod ctx;
pub mod error;
pub mod geo_data;
pub mod profile;
pub mod random;
pub mod rows;
pub mod search_index;
pub mod store;
pub mod usecases;

mod amparo;
pub mod kernel;
pub use amparo::Amparo;
pub use ctx::Ctx;
pub use error::{CoreError, CoreResult};
pub use kernel::paging;
pub(crate) use kernel::records;
