//! `amparo export ctdc`: k-anonymised victim microdata in CTDC's columns, ready to contribute
//! to the Counter Trafficking Data Collaborative. Says on stderr how many rows were
//! suppressed and why (the size of the groups they were in).

use crate::runtime::{Fallible, open};
use std::path::Path;
use std::process::ExitCode;

pub async fn ctdc(data_dir: &Path, year: i32, k: usize, out: &Path) -> Fallible<ExitCode> {
    let rt = open(data_dir, false).await?;
    let export = match crate::runtime::flag_errors(rt.app.statistics().export_ctdc(&crate::sys(), year, k).await)? {
        Ok(v) => v,
        Err(code) => return Ok(code),
    };
    std::fs::write(out, export.csv()?)?;
    let s = &export.suppression;
    eprintln!("wrote {} ({} rows of {} victims identified in {year}; k = {})", out.display(), s.rows_out, s.rows_in, s.k);
    eprintln!(
        "suppressed {} rows in {} combinations of {} that occur fewer than {} times",
        s.rows_suppressed,
        s.groups_suppressed,
        amparo_domain::ctdc::QUASI_IDENTIFIERS.join(", "),
        s.k
    );
    for (size, rows) in &s.by_group_size {
        eprintln!("  {rows} rows in groups of {size}");
    }
    Ok(ExitCode::SUCCESS)
}
