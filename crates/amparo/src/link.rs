//! `amparo link dedupe|link`: the record-linkage engine on CSV files, without a database.
//! Output formats are a contract: `pairs.csv` = `id_l,id_r,match_probability`,
//! `clusters.csv` = `id,cluster_id`. Timings go to stderr; a progress bar too when stderr is a
//! terminal.

use crate::runtime::Fallible;
use amparo_linkage::{LinkConfig, Mode, run};
use std::path::Path;

pub struct LinkArgs<'a> {
    pub config: &'a Path,
    pub inputs: &'a [String],
    pub output: &'a Path,
    pub clusters: Option<&'a Path>,
    pub threshold: Option<f64>,
    pub model_out: Option<&'a Path>,
}

pub fn link(mode: Mode, a: LinkArgs) -> Fallible<()> {
    if let Some(t) = a.threshold
        && !(0.0..=1.0).contains(&t)
    {
        return Err("--threshold must be between 0 and 1".into());
    }
    let text = std::fs::read_to_string(a.config).map_err(|e| format!("{}: {e}", a.config.display()))?;
    let cfg = LinkConfig::parse(&text)?;
    let bar = indicatif::ProgressBar::new(7);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = |phase: &str| {
        bar.inc(1);
        bar.set_message(phase.to_owned());
    };
    let out = run(&cfg, a.inputs, mode, a.threshold, &progress)?;
    bar.finish_and_clear();

    let mut w = csv::Writer::from_path(a.output)?;
    w.write_record(["id_l", "id_r", "match_probability"])?;
    for (l, r, p) in &out.pairs {
        w.write_record([l.as_str(), r.as_str(), &format!("{p:.6}")])?;
    }
    w.flush()?;
    if let Some(path) = a.clusters {
        let mut w = csv::Writer::from_path(path)?;
        w.write_record(["id", "cluster_id"])?;
        for (id, c) in &out.clusters {
            w.write_record([id, c])?;
        }
        w.flush()?;
    }
    if let (Some(path), Some(model)) = (a.model_out, &out.model) {
        std::fs::write(path, serde_json::to_string_pretty(model)?).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if let Some(model) = &out.model {
        eprintln!("model: prior weight {:+.2} bits", model.prior_weight());
        for f in &model.fields {
            let levels: Vec<String> = f
                .kind
                .level_names()
                .iter()
                .enumerate()
                .skip(1)
                .map(|(l, name)| {
                    let (m, u) = (f.m.get(l).copied().unwrap_or(0.0), f.u.get(l).copied().unwrap_or(0.0));
                    format!("{name} m={m:.3} u={u:.4} w={:+.1}", (m.max(1e-9) / u.max(1e-9)).log2())
                })
                .collect();
            eprintln!("  {:<16} {}", f.name, levels.join("; "));
        }
    }
    for (phase, d) in &out.timings {
        eprintln!("time {phase:<11} {:>9.3} s", d.as_secs_f64());
    }
    let total: f64 = out.timings.iter().map(|(_, d)| d.as_secs_f64()).sum();
    eprintln!("time {:<11} {:>9.3} s", "total", total);
    eprintln!(
        "records {}; pairs compared {} (per rule {:?}, {} oversized blocks skipped); EM {} iterations, lambda {:.5}; {} pairs at or above threshold; {} merges refused by the chaining guard",
        out.records,
        out.pairs_compared,
        out.pairs_per_rule,
        out.skipped_blocks,
        out.em_iterations,
        out.lambda,
        out.pairs.len(),
        out.refused_merges
    );
    if out.skipped_blocks > 0 {
        eprintln!(
            "warning: {} blocks larger than {} records were skipped ({} pairs not compared); raise max_pairs or max_block_size in the config, or make the blocking rules stricter",
            out.skipped_blocks, out.largest_block, out.skipped_pairs
        );
    }
    Ok(())
}
