//! The whole pipeline, as the command line runs it: load → block → compare → estimate u →
//! EM → score → threshold → cluster. Reports the time of each phase.

use crate::blocking::{Limits, Pair, tagged_pairs, unpack};
use crate::cluster::cluster;
use crate::config::LinkConfig;
use crate::data::{Table, load_csv};
use crate::model::{
    Contribution, EmSettings, FieldModel, Model, compare_pairs, em_by_rule, estimate_u, prior_m, refine_on_candidates, term_frequencies,
};
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
    /// The pairs those blocks would have given (not compared).
    pub skipped_pairs: usize,
    /// The largest block compared: the configured maximum, or less when the pair budget bound.
    pub largest_block: usize,
    pub em_iterations: usize,
    pub lambda: f64,
    pub refused_merges: usize,
    pub timings: Vec<(&'static str, Duration)>,
    pub model: Option<Model>,
    /// Where the model came from: "em", "prior" (too few pairs to learn from) or "given".
    pub model_source: &'static str,
    /// Links at or above the threshold left out by `Options::max_links`.
    pub links_over_limit: usize,
    /// With `Options::explain`: each linked pair's field contributions, aligned with `pairs`.
    pub explanations: Vec<Vec<Contribution>>,
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

/// Below this many candidate pairs EM has too little to learn from (a new installation, a
/// small region); the model then uses the prior m (agreement likely for matches) and the
/// configured starting λ, with u still sampled from the data.
pub const MIN_PAIRS_FOR_EM: usize = 1_000;

/// Term frequencies say how common a name is *in the population*; from fewer records than
/// this they mostly say how small the table is, so they are not used.
pub const MIN_RECORDS_FOR_TF: usize = 1_000;

/// What to do beyond the command line's defaults.
#[derive(Clone, Copy, Default)]
pub struct Options<'a> {
    pub threshold: Option<f64>,
    /// Only pairs with at least one record marked here are compared (incremental linking of
    /// new or changed records against everything).
    pub focus: Option<&'a [bool]>,
    /// Score with these m, u and λ instead of estimating them (term frequencies are always
    /// taken from the current table).
    pub model: Option<&'a Model>,
    /// With too few pairs for EM, score with this model (e.g. one learnt on a large
    /// reference set) instead of the generic prior.
    pub fallback: Option<&'a Model>,
    /// Keep each linked pair's field-by-field contributions (for review screens).
    pub explain: bool,
    /// Keep at most this many links, the most probable first (a review queue cannot take
    /// millions; the rest are counted in `links_over_limit`). Clusters are then built from
    /// the links kept.
    pub max_links: Option<usize>,
    /// Pairs (by record index) the caller already holds: kept whatever `max_links` says and
    /// not counted against it, so a run after a capped one brings the next most probable
    /// pairs rather than the same ones again.
    pub known: Option<&'a (dyn Fn(usize, usize) -> bool + Sync)>,
}

impl std::fmt::Debug for Options<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("threshold", &self.threshold)
            .field("focus", &self.focus.map(<[bool]>::len))
            .field("model", &self.model.is_some())
            .field("fallback", &self.fallback.is_some())
            .field("explain", &self.explain)
            .field("max_links", &self.max_links)
            .field("known", &self.known.is_some())
            .finish()
    }
}

/// Link CSV files, as the command line does.
pub fn run(
    cfg: &LinkConfig,
    inputs: &[String],
    mode: Mode,
    threshold: Option<f64>,
    progress: &dyn Fn(&str),
) -> Result<LinkOutput, RunError> {
    match (mode, inputs.len()) {
        (Mode::Dedupe, 1) | (Mode::Link, 2) => {}
        (Mode::Dedupe, _) => return Err(RunError::Usage("dedupe takes exactly one --input".into())),
        (Mode::Link, _) => return Err(RunError::Usage("link takes exactly two --input files".into())),
    }
    cfg.rules()?;
    let clock = Instant::now();
    let mut table = Table::for_config(cfg);
    for (s, path) in inputs.iter().enumerate() {
        load_csv(path, s as u8, cfg, &mut table)?;
    }
    table.seal();
    progress("load");
    let load = clock.elapsed();
    let mut out = link_table(cfg, &table, mode, &Options { threshold, ..Options::default() }, progress)?;
    out.timings.insert(0, ("load", load));
    Ok(out)
}

/// The pipeline on records already in memory.
pub fn link_table(cfg: &LinkConfig, table: &Table, mode: Mode, opts: &Options, progress: &dyn Fn(&str)) -> Result<LinkOutput, RunError> {
    let mut out = LinkOutput::default();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str, out: &mut LinkOutput| {
        let now = Instant::now();
        out.timings.push((name, now - clock));
        progress(name);
        clock = now;
    };
    let rules = cfg.rules()?;
    out.records = table.len();

    let cross = mode == Mode::Link;
    let limits = Limits { cross_only: cross, max_block: cfg.max_block_size, max_pairs: cfg.max_pairs, focus: opts.focus };
    let (tagged, stats) = tagged_pairs(table, &rules, &limits);
    let masks: Vec<u32> = tagged.iter().map(|t| t.1).collect();
    let pairs: Vec<Pair> = tagged.into_iter().map(|t| t.0).collect();
    out.pairs_compared = pairs.len();
    out.pairs_per_rule = stats.per_rule;
    out.skipped_blocks = stats.skipped_groups;
    out.skipped_pairs = stats.skipped_pairs;
    out.largest_block = stats.largest_block;
    lap("blocking", &mut out);

    let kinds: Vec<_> = cfg.fields.iter().map(|f| f.kind).collect();
    let levels = compare_pairs(table, &kinds, &pairs);
    lap("compare", &mut out);

    let tf = |f: usize| {
        (table.len() >= MIN_RECORDS_FOR_TF && cfg.fields.get(f).is_some_and(|s| s.tf_adjust)).then(|| term_frequencies(table, f))
    };
    let given = opts.model.or(if pairs.len() < MIN_PAIRS_FOR_EM { opts.fallback } else { None });
    let n = table.len() as f64;
    let total_pairs = if cross {
        let left = table.source.iter().filter(|s| **s == 0).count() as f64;
        left * (n - left)
    } else {
        n * (n - 1.0) / 2.0
    };
    let model = if let Some(given) = given {
        out.model_source = if opts.model.is_some() { "given" } else { "reference" };
        let lambda = if given.records > 0 { given.lambda * given.records as f64 / n.max(1.0) } else { given.lambda };
        Model {
            fields: given.fields.iter().enumerate().map(|(f, fm)| FieldModel { tf: tf(f), ..fm.clone() }).collect(),
            lambda: lambda.clamp(1e-15, 0.5),
            records: table.len(),
            ..given.clone()
        }
    } else {
        let u = estimate_u(table, &kinds, cfg.em.u_sample_pairs, cfg.em.seed, cross);
        lap("estimate_u", &mut out);
        let (m, lambda, iters) = if pairs.len() < MIN_PAIRS_FOR_EM {
            out.model_source = "prior";
            // The configured share of matches among candidates, on the all-pairs scale.
            let lambda = cfg.em.initial_lambda * pairs.len() as f64 / total_pairs.max(1.0);
            (kinds.iter().map(|k| prior_m(*k)).collect(), lambda.clamp(1e-15, 0.5), 0)
        } else {
            out.model_source = "em";
            let rule_fields: Vec<Vec<usize>> = rules.iter().map(|r| r.iter().map(|k| k.field).collect()).collect();
            let settings = EmSettings { initial_lambda: cfg.em.initial_lambda, max_iter: cfg.em.max_iterations, total_pairs };
            let (m, lambda, by_rule) = em_by_rule(&levels, &masks, &rule_fields, &kinds, &u, settings);
            let (m, lambda, refine) = refine_on_candidates(&levels, &kinds, &u, m, lambda, settings);
            (m, lambda, by_rule + refine)
        };
        Model {
            fields: cfg
                .fields
                .iter()
                .enumerate()
                .map(|(f, spec)| FieldModel {
                    name: spec.name.clone(),
                    kind: spec.kind,
                    m: m.get(f).cloned().unwrap_or_default(),
                    u: u.get(f).cloned().unwrap_or_default(),
                    tf: tf(f),
                })
                .collect(),
            lambda,
            records: table.len(),
            em_iterations: iters,
        }
    };
    out.em_iterations = model.em_iterations;
    out.lambda = model.lambda;
    lap("em", &mut out);

    let threshold = opts.threshold.unwrap_or(cfg.threshold);
    let nf = kinds.len();
    // Only the links and the clearly-different pairs are kept, not every score: at a million
    // records that is the difference of a few hundred megabytes.
    let scorer = model.scorer(table);
    let weights: Vec<f64> = (0..pairs.len())
        .into_par_iter()
        .map(|k| {
            let i = unpack(pairs.get(k).copied().unwrap_or(0)).0;
            scorer.weight(levels.get(k * nf..(k + 1) * nf).unwrap_or(&[]), table, i)
        })
        .collect();
    let probability = |k: usize| Model::probability(weights.get(k).copied().unwrap_or(f64::NEG_INFINITY));
    let mut linked: Vec<usize> = (0..pairs.len()).into_par_iter().filter(|k| probability(*k) >= threshold).collect();
    if let Some(max) = opts.max_links {
        let is_known = |k: &usize| {
            let (i, j) = unpack(pairs.get(*k).copied().unwrap_or(0));
            opts.known.is_some_and(|known| known(i, j))
        };
        let (mut kept, mut others): (Vec<usize>, Vec<usize>) = linked.into_par_iter().partition(is_known);
        if others.len() > max {
            // The most probable first; ties in pair order, so a run is repeatable.
            others.par_sort_unstable_by(|a, b| probability(*b).total_cmp(&probability(*a)).then(a.cmp(b)));
            out.links_over_limit = others.len() - max;
            others.truncate(max);
        }
        kept.append(&mut others);
        kept.par_sort_unstable();
        linked = kept;
    }
    let links: Vec<(usize, usize, f64)> = linked
        .iter()
        .map(|k| {
            let (i, j) = unpack(pairs.get(*k).copied().unwrap_or(0));
            (i, j, probability(*k))
        })
        .collect();
    let mut in_links = vec![false; table.len()];
    for (i, j, _) in &links {
        for x in [i, j] {
            if let Some(slot) = in_links.get_mut(*x) {
                *slot = true;
            }
        }
    }
    let linked_record = |x: usize| in_links.get(x).copied().unwrap_or(false);
    let cannot: Vec<(usize, usize)> = (0..pairs.len())
        .into_par_iter()
        .filter(|k| probability(*k) < CANNOT_LINK_BELOW)
        .map(|k| unpack(pairs.get(k).copied().unwrap_or(0)))
        .filter(|(i, j)| linked_record(*i) && linked_record(*j))
        .collect();
    drop(weights);
    let id = |i: usize| table.ids.get(i).cloned().unwrap_or_default();
    out.pairs = links.iter().map(|(i, j, p)| (id(*i), id(*j), *p)).collect();
    if opts.explain {
        out.explanations = linked
            .iter()
            .map(|k| {
                let i = unpack(pairs.get(*k).copied().unwrap_or(0)).0;
                let lv = levels.get(k * nf..(k + 1) * nf).unwrap_or(&[]);
                model.explain(lv, table, i)
            })
            .collect();
    }
    lap("score", &mut out);

    let (roots, refused) = cluster(table.len(), links, &cannot);
    out.refused_merges = refused;
    out.clusters = roots.iter().enumerate().map(|(i, r)| (id(i), id(*r))).collect();
    lap("cluster", &mut out);
    out.model = Some(model);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_limit_keeps_the_most_probable_pairs_and_counts_the_rest() {
        let cfg = LinkConfig::parse(
            "id_column = \"id\"\nblocking = [[\"surname:exact\"]]\n\
             [[field]]\nname = \"surname\"\nkind = \"name\"\ncolumns = [\"surname\"]\n\
             [[field]]\nname = \"given\"\nkind = \"given_name\"\ncolumns = [\"given\"]\n\
             [[field]]\nname = \"birth\"\nkind = \"date\"\ncolumns = [\"birth\"]\n",
        )
        .unwrap();
        let mut table = Table::for_config(&cfg);
        // a/b agree on everything; c/d on surname and given name only (birth missing on one).
        for (id, s, g, b) in [
            ("a", "quispe", "rosa", "1990-02-03"),
            ("b", "quispe", "rosa", "1990-02-03"),
            ("c", "mamani", "luz", "1985-07-01"),
            ("d", "mamani", "luz", ""),
        ] {
            table.push(&cfg, id, 0, &[vec![s], vec![g], vec![b]]);
        }
        let all = link_table(&cfg, &table, Mode::Dedupe, &Options { threshold: Some(0.0), explain: true, ..Options::default() }, &|_| {})
            .unwrap();
        assert_eq!(all.pairs.len(), 2);
        assert_eq!(all.links_over_limit, 0);
        let opts = Options { threshold: Some(0.0), explain: true, max_links: Some(1), ..Options::default() };
        let one = link_table(&cfg, &table, Mode::Dedupe, &opts, &|_| {}).unwrap();
        assert_eq!(one.links_over_limit, 1);
        assert_eq!(
            one.pairs.iter().map(|(l, r, _)| (l.as_str(), r.as_str())).collect::<Vec<_>>(),
            [("a", "b")],
            "the pair with more evidence stays"
        );
        assert_eq!(one.explanations.len(), 1, "explanations stay aligned with the pairs kept");
        // A pair the caller already holds does not count against the limit: the next run
        // brings the next pair.
        let known = |i: usize, j: usize| (i, j) == (0, 1);
        let next = link_table(&cfg, &table, Mode::Dedupe, &Options { known: Some(&known), ..opts }, &|_| {}).unwrap();
        assert_eq!(next.links_over_limit, 0);
        assert_eq!(next.pairs.len(), 2);
    }
}
