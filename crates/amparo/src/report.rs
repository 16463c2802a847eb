//! `amparo report annual`: the annual report from the command line, in the same formats as
//! the web page (JSON for other tools, CSV, XLSX, PDF). The operator who holds the data
//! directory sees every cell; nothing is suppressed here (`--small-cells` hides cells under
//! k persons, as the web does for analysts, for a report that will be published).

use crate::runtime::{Fallible, open};
use amparo_core::usecases::statistics::ReportQuery;
use amparo_render::i18n::Lang;
use amparo_render::report::{Format, render};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub struct AnnualArgs<'a> {
    pub data_dir: &'a Path,
    pub year: i32,
    pub region: Option<String>,
    pub org: Option<String>,
    pub format: &'a str,
    pub out: Option<PathBuf>,
    pub lang: &'a str,
    pub small_cells: bool,
    pub from_records: bool,
}

pub async fn annual(a: AnnualArgs<'_>) -> Fallible<ExitCode> {
    let Some(format) = Format::parse(a.format) else {
        eprintln!("unknown --format {:?}: use json, csv, xlsx or pdf", a.format);
        return Ok(ExitCode::from(2));
    };
    let Some(lang) = Lang::parse(a.lang) else {
        eprintln!("unknown --lang {:?}: use es or en", a.lang);
        return Ok(ExitCode::from(2));
    };
    let rt = open(a.data_dir, false).await?;
    let q = ReportQuery { year: a.year, region: a.region, org: a.org, from_records: a.from_records, hide_small_cells: a.small_cells };
    let started = std::time::Instant::now();
    let report = match crate::runtime::flag_errors(rt.app.statistics().annual_report(&crate::sys(), &q).await)? {
        Ok(v) => v,
        Err(code) => return Ok(code),
    };
    let bytes = render(&report, format, lang)?;
    match &a.out {
        Some(path) => {
            std::fs::write(path, &bytes)?;
            eprintln!("wrote {} ({} bytes) in {:.2} s", path.display(), bytes.len(), started.elapsed().as_secs_f64());
        }
        None => {
            if format == Format::Xlsx || format == Format::Pdf {
                eprintln!("{} is binary: give --out FILE", format.extension());
                return Ok(ExitCode::from(2));
            }
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)?;
            if format == Format::Json {
                out.write_all(b"\n")?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
