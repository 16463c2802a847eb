//! The whole pipeline, as the command line runs it: load → block → compare → estimate u →
//! EM → score → threshold → cluster. Reports the time of each phase.

use crate::blocking::{tagged_pairs, unpack};
use crate::cluster::cluster;
use crate::config::LinkConfig;
use crate::data::{Table, load_csv};
use crate::model::{FieldModel, Model, compare_pairs, em_by_rule, estimate_u, term_frequencies};
use rayon::prelude::*;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Find duplicates within one file.
    Dedupe,
    /// Find the same entities across two files.
    Link,
}

/// Pairs scored below this are "clearly different" for the clustering guard.
pub const CANNOT_LINK_BELOW: f64 = 0.001;

#[derive(Debug, Default)]
pub struct LinkOutput {
    /// (id_l, id_r, match probability) at or above the threshold.
    pub pairs: Vec<(String, String, f64)>,
    /// (id, cluster id) for every record.
    pub clusters: Vec<(String, String)>,
    pub records: usize,
    pub pairs_compared: usize,
    pub pairs_per_rule: Vec<usize>,
    pub skipped_blocks: usize,
    pub em_iterations: usize,
    pub lambda: f64,
    pub refused_merges: usize,
    pub timings: Vec<(&'static str, Duration)>,
    pub model: Option<Model>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    #[error("{0}")]
    Usage(String),
}

pub fn run(
    cfg: &LinkConfig,
    inputs: &[String],
    mode: Mode,
    threshold: Option<f64>,
    progress: &dyn Fn(&str),
) -> Result<LinkOutput, RunError> {
    let mut out = LinkOutput::default();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str, out: &mut LinkOutput| {
        let now = Instant::now();
        out.timings.push((name, now - clock));
        progress(name);
        clock = now;
    };
    match (mode, inputs.len()) {
        (Mode::Dedupe, 1) | (Mode::Link, 2) => {}
        (Mode::Dedupe, _) => return Err(RunError::Usage("dedupe takes exactly one --input".into())),
        (Mode::Link, _) => return Err(RunError::Usage("link takes exactly two --input files".into())),
    }
    let rules = cfg.rules()?;
    let mut table = Table::default();
    for (s, path) in inputs.iter().enumerate() {
        load_csv(path, s as u8, cfg, &mut table)?;
    }
    out.records = table.len();
    lap("load", &mut out);

    let cross = mode == Mode::Link;
    let (tagged, stats) = tagged_pairs(&table, &rules, cross, cfg.max_block_size);
    let (pairs, masks): (Vec<_>, Vec<_>) = tagged.into_iter().unzip();
    out.pairs_compared = stats.distinct;
    out.pairs_per_rule = stats.per_rule;
    out.skipped_blocks = stats.skipped_groups;
    lap("blocking", &mut out);

    let kinds: Vec<_> = cfg.fields.iter().map(|f| f.kind).collect();
    let levels = compare_pairs(&table, &kinds, &pairs);
    lap("compare", &mut out);

    let u = estimate_u(&table, &kinds, cfg.em.u_sample_pairs, cfg.em.seed, cross);
    lap("estimate_u", &mut out);

    let rule_fields: Vec<Vec<usize>> = rules.iter().map(|r| r.iter().map(|k| k.field).collect()).collect();
    let (m, lambda, iters) = em_by_rule(&levels, &masks, &rule_fields, &kinds, &u, cfg.em.initial_lambda, cfg.em.max_iterations);
    out.em_iterations = iters;
    out.lambda = lambda;
    let model = Model {
        fields: cfg
            .fields
            .iter()
            .enumerate()
            .map(|(f, spec)| FieldModel {
                name: spec.name.clone(),
                kind: spec.kind,
                m: m.get(f).cloned().unwrap_or_default(),
                u: u.get(f).cloned().unwrap_or_default(),
                tf: spec.tf_adjust.then(|| term_frequencies(&table, f)),
            })
            .collect(),
        lambda,
        em_iterations: iters,
    };
    lap("em", &mut out);

    let threshold = threshold.unwrap_or(cfg.threshold);
    let nf = kinds.len();
    let scored: Vec<(usize, usize, f64)> = pairs
        .par_iter()
        .zip(levels.par_chunks(nf))
        .map(|(p, lv)| {
            let (i, j) = unpack(*p);
            (i, j, Model::probability(model.weight(lv, &table, i)))
        })
        .collect();
    let links: Vec<(usize, usize, f64)> = scored.iter().copied().filter(|s| s.2 >= threshold).collect();
    let in_links: std::collections::HashSet<usize> = links.iter().flat_map(|(i, j, _)| [*i, *j]).collect();
    let cannot: Vec<(usize, usize)> = scored
        .iter()
        .filter(|s| s.2 < CANNOT_LINK_BELOW && in_links.contains(&s.0) && in_links.contains(&s.1))
        .map(|s| (s.0, s.1))
        .collect();
    let id = |i: usize| table.ids.get(i).cloned().unwrap_or_default();
    out.pairs = links.iter().map(|(i, j, p)| (id(*i), id(*j), *p)).collect();
    lap("score", &mut out);

    let (roots, refused) = cluster(table.len(), links, &cannot);
    out.refused_merges = refused;
    out.clusters = roots.iter().enumerate().map(|(i, r)| (id(i), id(*r))).collect();
    lap("cluster", &mut out);
    out.model = Some(model);
    Ok(out)
}
