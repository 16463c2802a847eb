//! The Fellegi–Sunter model.
//!
//! For each field and level: m = P(level | same person), u = P(level | different persons).
//! u comes from random record pairs (almost all of which are non-matches); m and the prior
//! share of matches among candidate pairs (λ) come from EM over the blocked pairs, with u held
//! fixed. A pair's match weight is log2(λ/(1−λ)) + Σ log2(m/u) over its non-missing fields,
//! and its probability is 1/(1+2^−weight). For fields with term-frequency adjustment, an exact
//! agreement on a common value (a frequent surname) counts for less than on a rare one.

use crate::blocking::{Pair, unpack};
use crate::compare::{
    Kind, MISSING, SurnamesShape, compare, given_name_agreement, given_names_level_by, surname_parts_agreement, surnames_level_by,
};
use crate::data::{Column, Table};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// A learnt model can be saved (`--model-out`) and given back later: m, u and λ only. The
/// term-frequency tables hold the data's own names, so they are never serialised.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct FieldModel {
    pub name: String,
    pub kind: Kind,
    pub m: Vec<f64>,
    pub u: Vec<f64>,
    /// Share of records holding each value, by value number in the table being scored (for
    /// term-frequency adjustment).
    #[serde(skip)]
    pub tf: Option<Vec<f64>>,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Model {
    pub fields: Vec<FieldModel>,
    /// The chance that two random records match (so it shrinks as the data grow).
    pub lambda: f64,
    /// How many records λ was learnt on; a model given to a table of another size has its λ
    /// rescaled (each person has about the same number of duplicates, so λ ∝ 1/records).
    #[serde(default)]
    pub records: usize,
    pub em_iterations: usize,
}

/// Comparison vectors for many pairs, flattened: `levels[p * nfields + f]`.
///
/// One field at a time over all pairs: each pass touches one column, which keeps it in the
/// processor's cache (a third faster than all fields per pair at a million records). Names
/// repeat, so the same two spellings meet again and again across blocks: name fields go
/// through small per-task caches of (value, value) → level and (name, name) → agreement,
/// which make most name comparisons a lookup instead of a Jaro–Winkler.
pub fn compare_pairs(table: &Table, kinds: &[Kind], pairs: &[Pair]) -> Vec<u8> {
    let nf = kinds.len();
    // A few chunks per thread: each chunk's caches warm up once, then mostly hit.
    let chunk = (pairs.len() / (4 * rayon::current_num_threads().max(1))).max(1 << 14);
    let mut out = vec![0u8; pairs.len() * nf];
    for (f, (kind, col)) in kinds.iter().zip(&table.fields).enumerate() {
        let cached = matches!(kind, Kind::GivenName | Kind::Name | Kind::Surnames | Kind::Text);
        out.par_chunks_mut(nf * chunk).zip(pairs.par_chunks(chunk)).for_each(|(slots, pairs)| {
            let (mut by_value, mut by_name) = if cached { (LevelCache::new(), LevelCache::new()) } else { Default::default() };
            for (slot, p) in slots.chunks_mut(nf).zip(pairs) {
                let (i, j) = unpack(*p);
                let (a, b) = (col.id(i), col.id(j));
                let level = if a == 0 || b == 0 {
                    MISSING
                } else if cached {
                    by_value.level(a, b, || compare_names(*kind, col, a, b, &mut by_name))
                } else {
                    compare(*kind, col.value(a), col.value(b))
                };
                if let Some(s) = slot.get_mut(f) {
                    *s = level;
                }
            }
        });
    }
    out
}

/// A name field's level for values `a` and `b`, with name-against-name results cached by
/// token numbers.
fn compare_names(kind: Kind, col: &Column, a: u32, b: u32, by_name: &mut LevelCache) -> u8 {
    let (va, vb) = (col.value(a), col.value(b));
    let (ta, tb) = (col.tokens_of(a), col.tokens_of(b));
    let token = |t: &[u32], x: usize| t.get(x).copied().unwrap_or(0);
    match kind {
        Kind::Surnames => {
            let shape = SurnamesShape {
                all_four: ta.iter().chain(tb).filter(|t| **t != 0).count() == 4,
                crossed_equal: token(ta, 0) == token(tb, 1) && token(ta, 1) == token(tb, 0),
            };
            surnames_level_by(shape, &mut |x, y| {
                let (u, v) = (token(ta, x), token(tb, y));
                if u == 0 || v == 0 { 0 } else { by_name.level(u, v, || surname_parts_agreement(va, x, vb, y)) }
            })
        }
        Kind::GivenName => given_names_level_by(va, vb, ta.len(), tb.len(), &mut |x, y| {
            let (u, v) = (token(ta, x), token(tb, y));
            by_name.level(u, v, || {
                let ((t, k), (w, l)) = (col.token(u), col.token(v));
                u8::from(given_name_agreement(t, k, w, l))
            }) == 1
        }),
        _ => compare(kind, va, vb),
    }
}

/// A direct-mapped cache of levels by (value number, value number): no hashing of strings,
/// no growth, a collision simply overwrites.
#[derive(Default)]
struct LevelCache {
    keys: Vec<u64>,
    levels: Vec<u8>,
}

impl LevelCache {
    const BITS: u32 = 16;
    fn new() -> Self {
        Self { keys: vec![u64::MAX; 1 << Self::BITS], levels: vec![0; 1 << Self::BITS] }
    }
    fn level(&mut self, a: u32, b: u32, compute: impl FnOnce() -> u8) -> u8 {
        let key = (u64::from(a) << 32) | u64::from(b);
        let slot = (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - Self::BITS)) as usize;
        if self.keys.get(slot) == Some(&key) {
            return self.levels.get(slot).copied().unwrap_or(0);
        }
        let level = compute();
        if let (Some(k), Some(l)) = (self.keys.get_mut(slot), self.levels.get_mut(slot)) {
            *k = key;
            *l = level;
        }
        level
    }
}

/// A small deterministic generator (xorshift64*), so u estimates are reproducible.
struct Xorshift(u64);
impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Estimate u from `samples` uniformly random pairs (different records; across sources when
/// linking two files). Laplace-smoothed so no level has probability zero.
pub fn estimate_u(table: &Table, kinds: &[Kind], samples: usize, seed: u64, cross_only: bool) -> Vec<Vec<f64>> {
    let n = table.len();
    let mut rng = Xorshift(seed | 1);
    let mut pairs = Vec::with_capacity(samples);
    let mut attempts = 0;
    while pairs.len() < samples && n > 1 && attempts < samples * 20 {
        attempts += 1;
        let i = (rng.next() % n as u64) as usize;
        let j = (rng.next() % n as u64) as usize;
        if i == j || (cross_only && table.source.get(i) == table.source.get(j)) {
            continue;
        }
        pairs.push(crate::blocking::pack(i, j));
    }
    let levels = compare_pairs(table, kinds, &pairs);
    kinds
        .iter()
        .enumerate()
        .map(|(f, k)| {
            let mut counts = vec![1.0_f64; k.levels()];
            for p in levels.chunks(kinds.len()) {
                if let Some(&l) = p.get(f)
                    && let Some(c) = counts.get_mut(l as usize)
                {
                    *c += 1.0;
                }
            }
            normalise_without_missing(&counts)
        })
        .collect()
}

fn normalise_without_missing(counts: &[f64]) -> Vec<f64> {
    let total: f64 = counts.iter().skip(1).sum();
    counts.iter().enumerate().map(|(l, c)| if l == MISSING as usize { 0.0 } else { c / total.max(1e-12) }).collect()
}

/// Starting m: agreement likely for matches (rising with the level). Also the model's m
/// when there are too few pairs for EM.
pub fn prior_m(kind: Kind) -> Vec<f64> {
    let n = kind.levels();
    let raw: Vec<f64> = (0..n).map(|l| if l == 0 { 0.0 } else { (l as f64).powi(3) }).collect();
    normalise_without_missing(&raw)
}

/// EM for m and λ with u fixed, over the distinct comparison patterns (weighted by count),
/// which makes each iteration cost the number of patterns, not of pairs.
pub fn em(levels: &[u8], kinds: &[Kind], u: &[Vec<f64>], initial_lambda: f64, max_iter: usize) -> (Vec<Vec<f64>>, f64, usize) {
    let nf = kinds.len();
    let mut patterns: FxHashMap<Vec<u8>, f64> = FxHashMap::default();
    for p in levels.chunks(nf) {
        *patterns.entry(p.to_vec()).or_insert(0.0) += 1.0;
    }
    em_patterns(patterns.into_iter().collect(), kinds, u, initial_lambda, max_iter)
}

/// EM over (pattern, count). Fields set to MISSING in every pattern are simply not learnt.
pub fn em_patterns(
    patterns: Vec<(Vec<u8>, f64)>,
    kinds: &[Kind],
    u: &[Vec<f64>],
    initial_lambda: f64,
    max_iter: usize,
) -> (Vec<Vec<f64>>, f64, usize) {
    let total: f64 = patterns.iter().map(|(_, c)| c).sum();
    let mut m: Vec<Vec<f64>> = kinds.iter().map(|k| prior_m(*k)).collect();
    let mut lambda = initial_lambda.clamp(1e-6, 0.5);
    let mut iterations = 0;
    for _ in 0..max_iter {
        iterations += 1;
        let mut m_acc: Vec<Vec<f64>> = kinds.iter().map(|k| vec![1e-3; k.levels()]).collect();
        let mut match_mass = 0.0;
        for (pat, count) in patterns.iter() {
            let (mut pm, mut pu) = (lambda, 1.0 - lambda);
            for (f, &l) in pat.iter().enumerate() {
                if l == MISSING {
                    continue;
                }
                pm *= m.get(f).and_then(|v| v.get(l as usize)).copied().unwrap_or(1e-9);
                pu *= u.get(f).and_then(|v| v.get(l as usize)).copied().unwrap_or(1e-9);
            }
            let post = if pm + pu > 0.0 { pm / (pm + pu) } else { 0.0 };
            let w = post * count;
            match_mass += w;
            for (f, &l) in pat.iter().enumerate() {
                if l != MISSING
                    && let Some(c) = m_acc.get_mut(f).and_then(|v| v.get_mut(l as usize))
                {
                    *c += w;
                }
            }
        }
        let new_m: Vec<Vec<f64>> = m_acc.iter().map(|c| normalise_without_missing(c)).collect();
        let new_lambda = (match_mass / total).clamp(1e-9, 1.0 - 1e-9);
        let delta = new_m.iter().flatten().zip(m.iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        m = new_m;
        let dl = (new_lambda - lambda).abs();
        lambda = new_lambda;
        if delta < 1e-6 && dl < 1e-7 {
            break;
        }
    }
    (m, lambda, iterations)
}

/// EM's knobs: the starting share of matches among a rule's pairs, the iteration cap, and
/// how many pairs there are in all (n·(n−1)/2, or n₁·n₂ when linking two files).
#[derive(Clone, Copy, Debug)]
pub struct EmSettings {
    pub initial_lambda: f64,
    pub max_iter: usize,
    pub total_pairs: f64,
}

/// EM the way blocking demands. Pairs chosen because they agree on a field say nothing about
/// how often true matches agree on it, so for each blocking rule EM runs on that rule's pairs
/// with the rule's own fields blanked out; each field's m is the average over the rules that
/// left it free. (Weighting rules by the share of matches EM finds in them was tried: on the
/// synthetic set it made m for "different" values more lenient and precision worse.)
///
/// λ is then estimated with m and u fixed, on the scale of *all* `total_pairs` pairs, not of
/// the candidates: u comes from random pairs, so the prior must be the chance that two
/// random records match. Pairs outside the blocks are taken to carry no match mass. (A λ
/// over candidates, paired with random-pair u, counts the blocking fields' agreement twice
/// and made every near-namesake a match.)
pub fn em_by_rule(
    levels: &[u8],
    masks: &[u32],
    rule_fields: &[Vec<usize>],
    kinds: &[Kind],
    u: &[Vec<f64>],
    settings: EmSettings,
) -> (Vec<Vec<f64>>, f64, usize) {
    let EmSettings { initial_lambda, max_iter, total_pairs } = settings;
    let nf = kinds.len();
    let mut sums: Vec<Vec<f64>> = kinds.iter().map(|k| vec![0.0; k.levels()]).collect();
    let mut counts = vec![0.0f64; nf];
    let mut iterations = 0;
    // One pass over the pairs: how many pairs share each (comparison vector, rules) — tens
    // of thousands of kinds for millions of pairs. Every rule's EM then reads this.
    let mut by_kind: FxHashMap<(&[u8], u32), f64> = FxHashMap::default();
    for (lv, m) in levels.chunks(nf).zip(masks) {
        *by_kind.entry((lv, *m)).or_insert(0.0) += 1.0;
    }
    for (r, blocked) in rule_fields.iter().enumerate() {
        let bit = 1u32 << r.min(31);
        let mut patterns: FxHashMap<Vec<u8>, f64> = FxHashMap::default();
        for ((lv, m), count) in &by_kind {
            if m & bit == 0 {
                continue;
            }
            let mut key = lv.to_vec();
            for &f in blocked {
                if let Some(x) = key.get_mut(f) {
                    *x = MISSING;
                }
            }
            *patterns.entry(key).or_insert(0.0) += count;
        }
        if patterns.is_empty() {
            continue;
        }
        let (m, _, it) = em_patterns(patterns.into_iter().collect(), kinds, u, initial_lambda, max_iter);
        iterations += it;
        for f in (0..nf).filter(|f| !blocked.contains(f)) {
            if let (Some(sum), Some(mf)) = (sums.get_mut(f), m.get(f)) {
                sum.iter_mut().zip(mf).for_each(|(a, b)| *a += b);
                if let Some(c) = counts.get_mut(f) {
                    *c += 1.0;
                }
            }
        }
    }
    let m: Vec<Vec<f64>> = kinds
        .iter()
        .enumerate()
        .map(|(f, k)| match counts.get(f).copied().unwrap_or(0.0) {
            c if c <= 0.0 => prior_m(*k),
            c => sums.get(f).map(|s| s.iter().map(|x| x / c).collect()).unwrap_or_else(|| prior_m(*k)),
        })
        .collect();
    // λ over all candidate pairs, with m and u fixed.
    let mut patterns: FxHashMap<&[u8], f64> = FxHashMap::default();
    for ((p, _), count) in &by_kind {
        *patterns.entry(p).or_insert(0.0) += count;
    }
    let total = total_pairs.max(patterns.values().sum());
    let mut lambda = (initial_lambda * patterns.values().sum::<f64>() / total.max(1.0)).clamp(1e-12, 0.5);
    for _ in 0..200 {
        let mut mass = 0.0;
        for (pat, count) in &patterns {
            let (mut pm, mut pu) = (lambda, 1.0 - lambda);
            for (f, &l) in pat.iter().enumerate() {
                if l != MISSING {
                    pm *= m.get(f).and_then(|v| v.get(l as usize)).copied().unwrap_or(1e-9).max(1e-12);
                    pu *= u.get(f).and_then(|v| v.get(l as usize)).copied().unwrap_or(1e-9).max(1e-12);
                }
            }
            mass += count * pm / (pm + pu).max(1e-300);
        }
        let next = (mass / total.max(1.0)).clamp(1e-15, 1.0 - 1e-9);
        let done = (next - lambda).abs() <= lambda * 1e-6;
        lambda = next;
        if done {
            break;
        }
    }
    (m, lambda, iterations)
}

/// EM over *all* pairs, taking the pairs outside the blocks as non-matches, with u fixed.
///
/// [`em_by_rule`] learns each field's m only from rules that did not select on that field,
/// and each of those runs its own two-class mixture over pairs that agree on something: the
/// "match" class there also soaks up families and namesakes, which shows as m for
/// "different" of 5–14 % (known truth on the synthetic set: under 1 %). With several rules
/// the candidates hold nearly every true match, so on the all-pairs scale a pair outside the
/// blocks can be taken as a non-match, and then EM can run on the candidates with every
/// field at once: the E step is the model's own probability (random-pair u, all-pairs λ),
/// the M step the posterior-weighted level counts. Started from `m`.
pub fn refine_on_candidates(
    levels: &[u8],
    kinds: &[Kind],
    u: &[Vec<f64>],
    m: Vec<Vec<f64>>,
    lambda: f64,
    settings: EmSettings,
) -> (Vec<Vec<f64>>, f64, usize) {
    let nf = kinds.len();
    let mut counted: FxHashMap<&[u8], f64> = FxHashMap::default();
    for p in levels.chunks(nf) {
        *counted.entry(p).or_insert(0.0) += 1.0;
    }
    let patterns: Vec<(&[u8], f64)> = counted.into_iter().collect();
    let total = settings.total_pairs.max(patterns.iter().map(|p| p.1).sum());
    let (mut m, mut lambda) = (m, lambda.clamp(1e-15, 0.5));
    let mut iterations = 0;
    for _ in 0..settings.max_iter {
        iterations += 1;
        let mut acc: Vec<Vec<f64>> = kinds.iter().map(|k| vec![1e-3; k.levels()]).collect();
        let mut mass = 0.0;
        for (pat, count) in &patterns {
            let (mut pm, mut pu) = (lambda, 1.0 - lambda);
            for (f, &l) in pat.iter().enumerate() {
                if l != MISSING {
                    pm *= m.get(f).and_then(|v| v.get(l as usize)).copied().unwrap_or(1e-9).max(1e-12);
                    pu *= u.get(f).and_then(|v| v.get(l as usize)).copied().unwrap_or(1e-9).max(1e-12);
                }
            }
            let w = count * pm / (pm + pu).max(1e-300);
            mass += w;
            for (f, &l) in pat.iter().enumerate() {
                if l != MISSING
                    && let Some(c) = acc.get_mut(f).and_then(|v| v.get_mut(l as usize))
                {
                    *c += w;
                }
            }
        }
        let next_m: Vec<Vec<f64>> = acc.iter().map(|c| normalise_without_missing(c)).collect();
        let next_lambda = (mass / total.max(1.0)).clamp(1e-15, 0.5);
        let delta = next_m.iter().flatten().zip(m.iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        let dl = (next_lambda - lambda).abs() / lambda.max(1e-300);
        m = next_m;
        lambda = next_lambda;
        if delta < 1e-6 && dl < 1e-6 {
            break;
        }
    }
    (m, lambda, iterations)
}

/// Term frequencies of a field's values: the share of records (with the field) holding each
/// value, indexed by value number.
pub fn term_frequencies(table: &Table, field: usize) -> Vec<f64> {
    let Some(col) = table.fields.get(field) else { return Vec::new() };
    let mut counts = vec![0.0_f64; col.distinct()];
    for &id in col.ids() {
        if let Some(c) = counts.get_mut(id as usize) {
            *c += 1.0;
        }
    }
    if let Some(c) = counts.first_mut() {
        *c = 0.0;
    }
    let n: f64 = counts.iter().sum();
    counts.iter_mut().for_each(|c| *c /= n.max(1.0));
    counts
}

/// Precomputed weights (see [`Model::scorer`]).
pub struct Scorer {
    prior: f64,
    fields: Vec<FieldScore>,
}

struct FieldScore {
    /// log2(m/u) by level (0 for missing).
    levels: Vec<f64>,
    exact: u8,
    /// With term frequencies: the exact level's weight by value number.
    by_value: Vec<f64>,
}

impl Scorer {
    /// Match weight of a pair whose first record is `i`.
    pub fn weight(&self, levels: &[u8], table: &Table, i: usize) -> f64 {
        let mut w = self.prior;
        for (f, (fs, &l)) in self.fields.iter().zip(levels).enumerate() {
            w += if l == fs.exact && !fs.by_value.is_empty() {
                table.fields.get(f).and_then(|c| fs.by_value.get(c.id(i) as usize)).copied().unwrap_or(0.0)
            } else {
                fs.levels.get(l as usize).copied().unwrap_or(0.0)
            };
        }
        w
    }
}

/// One field's part of a pair's score.
#[derive(Clone, Debug, PartialEq)]
pub struct Contribution {
    pub field: String,
    pub level: &'static str,
    /// log2(m/u): positive is evidence for a match, negative against; 0 when missing.
    pub weight: f64,
}

impl Model {
    fn field_weight(&self, f: usize, level: u8, table: &Table, i: usize) -> f64 {
        let Some(fm) = self.fields.get(f) else { return 0.0 };
        if level == fm.kind.exact_level() && fm.tf.is_some() {
            let id = table.fields.get(f).map(|c| c.id(i)).unwrap_or(0);
            return self.field_weight_of_value(f, level, table, id);
        }
        self.field_weight_plain(f, level)
    }

    pub fn prior_weight(&self) -> f64 {
        (self.lambda / (1.0 - self.lambda)).log2()
    }

    /// Match weight (bits) of a pair with comparison vector `levels`.
    pub fn weight(&self, levels: &[u8], table: &Table, i: usize) -> f64 {
        self.prior_weight() + levels.iter().enumerate().map(|(f, &l)| self.field_weight(f, l, table, i)).sum::<f64>()
    }

    pub fn probability(weight: f64) -> f64 {
        1.0 / (1.0 + (-weight).exp2())
    }

    /// The weights of every field and level, worked out once for scoring millions of pairs
    /// (the same numbers as [`Model::weight`], without a logarithm per pair).
    pub fn scorer(&self, table: &Table) -> Scorer {
        let fields = self
            .fields
            .iter()
            .enumerate()
            .map(|(f, fm)| {
                let levels: Vec<f64> = (0..fm.kind.levels()).map(|l| self.field_weight_plain(f, l as u8)).collect();
                let exact = fm.kind.exact_level();
                let by_value = match (&fm.tf, table.fields.get(f)) {
                    (Some(_), Some(col)) => (0..col.distinct()).map(|id| self.field_weight_of_value(f, exact, table, id as u32)).collect(),
                    _ => Vec::new(),
                };
                FieldScore { levels, exact, by_value }
            })
            .collect();
        Scorer { prior: self.prior_weight(), fields }
    }

    fn field_weight_plain(&self, f: usize, level: u8) -> f64 {
        let Some(fm) = self.fields.get(f) else { return 0.0 };
        if level == MISSING {
            return 0.0;
        }
        let m = fm.m.get(level as usize).copied().unwrap_or(1e-9).max(1e-9);
        let u = fm.u.get(level as usize).copied().unwrap_or(1e-9).max(1e-9);
        (m / u).log2()
    }

    /// The weight of agreeing exactly on value `id`, with term-frequency adjustment.
    fn field_weight_of_value(&self, f: usize, level: u8, table: &Table, id: u32) -> f64 {
        let Some(fm) = self.fields.get(f) else { return 0.0 };
        let m = fm.m.get(level as usize).copied().unwrap_or(1e-9).max(1e-9);
        let u = match fm.tf.as_ref().and_then(|tf| tf.get(id as usize)) {
            // A rare value agreeing is stronger evidence than a common one; the adjusted u
            // never goes below one record in the data.
            Some(freq) => freq.max(1.0 / table.len().max(1) as f64),
            None => fm.u.get(level as usize).copied().unwrap_or(1e-9),
        };
        (m / u.max(1e-9)).log2()
    }

    /// Field-by-field explanation of a pair's score.
    pub fn explain(&self, levels: &[u8], table: &Table, i: usize) -> Vec<Contribution> {
        levels
            .iter()
            .enumerate()
            .filter_map(|(f, &l)| {
                let fm = self.fields.get(f)?;
                Some(Contribution {
                    field: fm.name.clone(),
                    level: fm.kind.level_names().get(l as usize).copied().unwrap_or("?"),
                    weight: self.field_weight(f, l, table, i),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Simulate comparison vectors from known m, u and λ, then check EM recovers them.
    #[test]
    fn em_recovers_known_parameters() {
        let kinds = [Kind::Code, Kind::Code, Kind::Code, Kind::Exact];
        let m_true = [vec![0.0, 0.05, 0.15, 0.8], vec![0.0, 0.1, 0.2, 0.7], vec![0.0, 0.02, 0.08, 0.9], vec![0.0, 0.05, 0.95]];
        let u_true = [vec![0.0, 0.9, 0.08, 0.02], vec![0.0, 0.85, 0.1, 0.05], vec![0.0, 0.95, 0.04, 0.01], vec![0.0, 0.5, 0.5]];
        let lambda_true = 0.1;
        let mut rng = Xorshift(7);
        let mut uniform = || (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
        let draw = |p: &[f64], x: f64| {
            let mut acc = 0.0;
            for (l, q) in p.iter().enumerate() {
                acc += q;
                if x < acc {
                    return l as u8;
                }
            }
            (p.len() - 1) as u8
        };
        let mut levels = Vec::new();
        for _ in 0..200_000 {
            let is_match = uniform() < lambda_true;
            for f in 0..kinds.len() {
                let p = if is_match { &m_true[f] } else { &u_true[f] };
                levels.push(draw(p, uniform()));
            }
        }
        let u: Vec<Vec<f64>> = u_true.to_vec();
        let (m, lambda, _) = em(&levels, &kinds, &u, 0.3, 200);
        assert!((lambda - lambda_true).abs() < 0.01, "lambda {lambda}");
        for f in 0..kinds.len() {
            for l in 1..kinds[f].levels() {
                assert!((m[f][l] - m_true[f][l]).abs() < 0.03, "m[{f}][{l}] = {} vs {}", m[f][l], m_true[f][l]);
            }
        }
    }

    /// Candidates as blocking leaves them: every true match, plus the non-matches that agree
    /// on field 0 (the blocking key), out of far more pairs in all. Started from the generic
    /// prior, the refinement must find the true m of the other fields and λ on the all-pairs
    /// scale, and must not let the selected non-matches pass for matches.
    #[test]
    fn refinement_on_candidates_recovers_m_and_lambda() {
        let kinds = [Kind::Exact, Kind::Code, Kind::Code];
        let m_true = [vec![0.0, 0.05, 0.95], vec![0.0, 0.02, 0.18, 0.8], vec![0.0, 0.03, 0.07, 0.9]];
        let u_true = [vec![0.0, 0.99, 0.01], vec![0.0, 0.9, 0.08, 0.02], vec![0.0, 0.97, 0.02, 0.01]];
        let mut rng = Xorshift(11);
        let mut uniform = || (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
        let draw = |p: &[f64], x: f64| {
            let mut acc = 0.0;
            for (l, q) in p.iter().enumerate() {
                acc += q;
                if x < acc {
                    return l as u8;
                }
            }
            (p.len() - 1) as u8
        };
        // Blocking on field 0 keeps every pair agreeing on it: 1 % of the non-matches.
        let (matches, non_matches) = (20_000, 500_000);
        let total_pairs = 50_000_000.0;
        let mut levels = Vec::new();
        for _ in 0..matches {
            for m in &m_true {
                levels.push(draw(m, uniform()));
            }
        }
        for _ in 0..non_matches {
            // Selected for agreeing on the blocking key; the other fields as chance has them.
            let rest: Vec<u8> = u_true.iter().skip(1).map(|u| draw(u, uniform())).collect();
            levels.extend(std::iter::once(2).chain(rest));
        }
        let u: Vec<Vec<f64>> = u_true.to_vec();
        let start: Vec<Vec<f64>> = kinds.iter().map(|k| prior_m(*k)).collect();
        let settings = EmSettings { initial_lambda: 0.05, max_iter: 200, total_pairs };
        let (m, lambda, _) = refine_on_candidates(&levels, &kinds, &u, start, 1e-5, settings);
        let lambda_true = f64::from(matches) / total_pairs;
        assert!((lambda / lambda_true - 1.0).abs() < 0.1, "lambda {lambda} vs {lambda_true}");
        for f in 1..kinds.len() {
            for l in 1..kinds[f].levels() {
                assert!((m[f][l] - m_true[f][l]).abs() < 0.03, "m[{f}][{l}] = {} vs {}", m[f][l], m_true[f][l]);
            }
        }
    }

    #[test]
    fn term_frequencies_are_shares_of_records_by_value() {
        let table = Table::from_prepared(
            (0..4).map(|i| i.to_string()).collect(),
            vec![0; 4],
            vec![(Kind::Name, ["quispe", "quispe", "rojas", ""].iter().map(|n| crate::data::prepare(Kind::Name, n)).collect())],
        );
        let tf = term_frequencies(&table, 0);
        let col = &table.fields[0];
        assert_eq!(col.id(0), col.id(1), "one spelling, one value");
        assert_eq!(col.id(3), 0, "missing is value 0");
        assert!((tf[col.id(0) as usize] - 2.0 / 3.0).abs() < 1e-12, "two of the three records that have a surname");
        assert!((tf[col.id(2) as usize] - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn probabilities_follow_weights() {
        assert!((Model::probability(0.0) - 0.5).abs() < 1e-12);
        assert!(Model::probability(10.0) > 0.999);
        assert!(Model::probability(-10.0) < 0.001);
    }
}
