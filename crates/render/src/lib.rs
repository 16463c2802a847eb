//! What Amparo says and prints, apart from how it is served: every user-facing string in
//! Spanish and English (`i18n`, Fluent files in `locales/`), and the national report's
//! renderings (`report`: PDF, XLSX, CSV, SVG charts and the regional map). The web crate
//! re-exports both; the CLI's `amparo report` uses them without the HTTP layer.

pub mod i18n;
pub mod report;
