//! `amparo import htcds` and `amparo export htcds`: case data in HTCDS field names.
//!
//! Import reads a CSV (UTF-8, header of HTCDS column names), reports every problem by row
//! and field and writes nothing unless the whole file is good; `--dry-run` says what would
//! be added. Export decrypts identities and writes them encrypted to an age recipient, as
//! CSV or JSON; the plaintext never touches the disk.

use crate::runtime::{Fallible, open};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::str::FromStr;

pub async fn import(data_dir: &Path, org: &str, file: &Path, dry_run: bool) -> Fallible<ExitCode> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let rt = open(data_dir, false).await?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let report = match crate::runtime::flag_errors(rt.app.statistics().import_htcds(&crate::sys(), org, &bytes, dry_run, &progress).await)?
    {
        Ok(v) => v,
        Err(code) => return Ok(code),
    };
    bar.finish_and_clear();
    if !report.errors.is_empty() {
        eprintln!("nothing imported: {} problems in {} rows of {}", report.errors.len(), report.rows, file.display());
        for e in report.errors.iter().take(200) {
            if e.row == 0 {
                eprintln!("  header, {}: {}", e.field, e.code);
            } else {
                eprintln!("  row {}, {}: {}", e.row, if e.field.is_empty() { "-" } else { &e.field }, e.code);
            }
        }
        if report.errors.len() > 200 {
            eprintln!("  … and {} more", report.errors.len() - 200);
        }
        return Ok(ExitCode::from(2));
    }
    println!(
        "{} {} rows: {} new cases ({} already there), {} new persons ({} already there), {} new links, {} decisions, {} cross-agency alerts",
        if report.dry_run { "dry run, nothing written:" } else { "imported" },
        report.rows,
        report.cases_new,
        report.cases_existing,
        report.persons_new,
        report.persons_existing,
        report.links_new,
        report.decisions_new,
        report.alerts
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn export(data_dir: &Path, recipient: &str, format: &str, out: &Path) -> Fallible<ExitCode> {
    let Ok(to) = age::x25519::Recipient::from_str(recipient.trim()) else {
        eprintln!("--recipient must be an age public key (age1…)");
        return Ok(ExitCode::from(2));
    };
    if format != "csv" && format != "json" {
        eprintln!("--format must be csv or json");
        return Ok(ExitCode::from(2));
    }
    let rt = open(data_dir, false).await?;
    // Streamed: each row is encrypted and written as the core makes it, a page of case
    // links at a time, so memory does not grow with the country. A half-written file is
    // left under a temporary name and removed on failure.
    let enc = age::Encryptor::with_recipients(std::iter::once(&to as &dyn age::Recipient)).map_err(|e| e.to_string())?;
    let tmp = out.with_extension("partial");
    let file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
    let writer = enc.wrap_output(file)?;
    let json = format == "json";
    let mut sink = RowSink::new(writer, json)?;
    let result =
        rt.app.statistics().export_htcds_each(&crate::sys(), &mut |r| sink.row(&r).map_err(amparo_core::CoreError::internal)).await;
    let rows = match result {
        Ok(n) => n,
        Err(e) => {
            drop(sink);
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
    };
    let mut file = sink.finish()?.finish()?;
    file.flush()?;
    file.into_inner().map_err(|e| e.to_string())?.sync_all()?;
    std::fs::rename(&tmp, out)?;
    eprintln!("wrote {} rows, encrypted to {}, to {}", rows, recipient.trim(), out.display());
    Ok(ExitCode::SUCCESS)
}

/// Rows written one at a time as CSV (header first) or as the JSON document
/// `{"standard": "HTCDS 2.0", "rows": [...]}`.
enum RowSink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Json { w: W, first: bool },
}

impl<W: Write> RowSink<W> {
    fn new(mut w: W, json: bool) -> Fallible<Self> {
        if json {
            w.write_all(b"{\n  \"standard\": \"HTCDS 2.0\",\n  \"rows\": [")?;
            Ok(RowSink::Json { w, first: true })
        } else {
            let mut c = csv::Writer::from_writer(w);
            c.write_record(amparo_domain::htcds::COLUMNS)?;
            Ok(RowSink::Csv(Box::new(c)))
        }
    }

    fn row(&mut self, r: &std::collections::BTreeMap<&'static str, String>) -> Fallible<()> {
        match self {
            RowSink::Csv(c) => c.write_record(amparo_domain::htcds::COLUMNS.iter().map(|k| r.get(k).map(String::as_str).unwrap_or("")))?,
            RowSink::Json { w, first } => {
                w.write_all(if *first { b"\n    " } else { b",\n    " })?;
                serde_json::to_writer(&mut *w, r)?;
                *first = false;
            }
        }
        Ok(())
    }

    fn finish(self) -> Fallible<W> {
        match self {
            RowSink::Csv(c) => Ok((*c).into_inner().map_err(|e| e.to_string())?),
            RowSink::Json { mut w, first } => {
                w.write_all(if first { b"]\n}\n" } else { b"\n  ]\n}\n" })?;
                Ok(w)
            }
        }
    }
}
