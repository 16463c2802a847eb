//! `amparo demo generate --cases N --seed S --out DIR`: a synthetic data set of any size in a
//! data directory of its own (SQLite there, or PostgreSQL when `AMPARO_DATABASE_URL` is set),
//! with the demo's organisations and accounts, ready for `amparo serve`, `amparo report
//! annual` and the benchmarks. A progress bar shows on a terminal (indicatif hides it
//! otherwise).

use crate::runtime::{Fallible, open};
use amparo_demo::DemoExt;
use std::path::Path;
use std::process::ExitCode;

pub async fn generate(out: &Path, cases: usize, seed: u64) -> Fallible<ExitCode> {
    if cases == 0 {
        eprintln!("--cases must be at least 1");
        return Ok(ExitCode::from(2));
    }
    let rt = open(out, true).await?;
    rt.app.demo().load_demo(&crate::sys()).await?;
    let bar = indicatif::ProgressBar::new(cases as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} cases {per_sec} eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = |n: usize| bar.set_position(n as u64);
    let s = rt.app.demo().generate_dataset(&crate::sys(), cases, seed, &progress).await?;
    bar.finish_and_clear();
    println!(
        "generated {} cases, {} persons and {} records in {:.1} s into {} (seed {seed})",
        s.cases,
        s.persons,
        s.records,
        s.millis as f64 / 1000.0,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
