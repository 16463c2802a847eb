//! Benchmark diagnosis, not part of the engine: on a file with a known `truth_id` column
//! (bench/linkage/generate.py), how far EM's m is from the m measured on the true matches
//! among the candidates, and what F1 each gives; and the ceiling of any model built on the
//! same comparison levels ("pattern oracle": each comparison vector scored by its true share
//! of matches). This is how the synthetic set's limits were found (issue 6).
//!
//!   cargo run --release -p amparo-linkage --example em_against_truth -- \
//!       data/linkage/persons.toml bench/out/linkage/synthetic-1000000.csv
//!
//! A throwaway tool: it panics on bad input rather than reporting it.
#![allow(clippy::all, clippy::pedantic, clippy::restriction)]
use amparo_linkage::LinkConfig;
use amparo_linkage::blocking::{Limits, tagged_pairs, unpack};
use amparo_linkage::data::{Table, load_csv};
use amparo_linkage::model::*;
use std::collections::HashMap;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let cfg = LinkConfig::parse(&std::fs::read_to_string(&args[1]).unwrap()).unwrap();
    let path = &args[2];
    let mut table = Table::default();
    load_csv(path, 0, &cfg, &mut table).unwrap();
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let h = rdr.headers().unwrap().clone();
    let ti = h.iter().position(|x| x == "truth_id").unwrap();
    let truth: Vec<String> = rdr.records().map(|r| r.unwrap().get(ti).unwrap().to_string()).collect();
    let mut groups: HashMap<&str, usize> = HashMap::new();
    for t in &truth {
        *groups.entry(t).or_default() += 1;
    }
    let t_pairs: usize = groups.values().map(|c| c * (c - 1) / 2).sum();
    let rules = cfg.rules().unwrap();
    let (tagged, _) =
        tagged_pairs(&table, &rules, &Limits { max_block: cfg.max_block_size, max_pairs: cfg.max_pairs, ..Limits::default() });
    let masks: Vec<u32> = tagged.iter().map(|t| t.1).collect();
    let pairs: Vec<u64> = tagged.iter().map(|t| t.0).collect();
    let kinds: Vec<_> = cfg.fields.iter().map(|f| f.kind).collect();
    let nf = kinds.len();
    let levels = compare_pairs(&table, &kinds, &pairs);
    let is_match: Vec<bool> = pairs
        .iter()
        .map(|p| {
            let (i, j) = unpack(*p);
            truth[i] == truth[j]
        })
        .collect();
    let u = estimate_u(&table, &kinds, cfg.em.u_sample_pairs, cfg.em.seed, false);
    let n = table.len() as f64;
    let total = n * (n - 1.0) / 2.0;
    let rule_fields: Vec<Vec<usize>> = rules.iter().map(|r| r.iter().map(|k| k.field).collect()).collect();
    let (m_em, lambda_em, _) = em_by_rule(
        &levels,
        &masks,
        &rule_fields,
        &kinds,
        &u,
        EmSettings { initial_lambda: cfg.em.initial_lambda, max_iter: cfg.em.max_iterations, total_pairs: total },
    );
    // true m among blocked matches, and u among blocked non-matches for comparison
    let mut m_true: Vec<Vec<f64>> = kinds.iter().map(|k| vec![0.0; k.levels()]).collect();
    for (k, lv) in levels.chunks(nf).enumerate() {
        if !is_match[k] {
            continue;
        }
        for f in 0..nf {
            if lv[f] != 0 {
                m_true[f][lv[f] as usize] += 1.0;
            }
        }
    }
    for v in m_true.iter_mut() {
        let s: f64 = v.iter().sum();
        v.iter_mut().for_each(|x| *x /= s);
    }
    for f in 0..nf {
        println!("{:12} em   {:?}", cfg.fields[f].name, m_em[f].iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>());
        println!("{:12} true {:?}", "", m_true[f].iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>());
        println!("{:12} u    {:?}", "", u[f].iter().map(|x| format!("{x:.5}")).collect::<Vec<_>>());
    }
    let lambda_true = t_pairs as f64 / total;
    println!("lambda em {lambda_em:e} true {lambda_true:e}; blocked true {} of {t_pairs}", is_match.iter().filter(|x| **x).count());
    pattern_oracle(&levels, nf, &is_match, t_pairs);
    let tf = |f: usize| cfg.fields[f].tf_adjust.then(|| term_frequencies(&table, f));
    let (m_ref, lambda_ref, it) = refine_on_candidates(
        &levels,
        &kinds,
        &u,
        m_em.clone(),
        lambda_em,
        EmSettings { initial_lambda: 0.0, max_iter: 200, total_pairs: total },
    );
    println!("refined after {it} iterations, lambda {lambda_ref:e}");
    for f in 0..nf {
        println!("{:12} ref  {:?}", cfg.fields[f].name, m_ref[f].iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>());
    }
    for (name, m, lambda) in [("em", &m_em, lambda_em), ("refined", &m_ref, lambda_ref), ("oracle-m", &m_true, lambda_true)] {
        let model = Model {
            fields: cfg
                .fields
                .iter()
                .enumerate()
                .map(|(f, s)| FieldModel { name: s.name.clone(), kind: s.kind, m: m[f].clone(), u: u[f].clone(), tf: tf(f) })
                .collect(),
            lambda,
            records: table.len(),
            em_iterations: 0,
        };
        let mut sc: Vec<(f64, bool)> = (0..pairs.len())
            .map(|k| {
                let (i, _) = unpack(pairs[k]);
                (model.weight(&levels[k * nf..(k + 1) * nf], &table, i), is_match[k])
            })
            .collect();
        sc.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap());
        let (mut tp, mut fp, mut best) = (0.0, 0.0, (0.0, 0.0, 0.0, 0.0));
        let mut at_half = (0.0, 0.0);
        for (w, s) in &sc {
            if *s {
                tp += 1.0
            } else {
                fp += 1.0
            }
            let p = tp / (tp + fp);
            let r = tp / t_pairs as f64;
            let f1 = 2.0 * p * r / (p + r);
            if f1 > best.0 {
                best = (f1, *w, p, r);
            }
            if *w >= 0.0 {
                at_half = (tp, fp);
            }
        }
        let (tp5, fp5) = at_half;
        let p5 = tp5 / (tp5 + fp5);
        let r5 = tp5 / t_pairs as f64;
        println!(
            "{name}: F1@0.5 {:.4} (P {p5:.4} R {r5:.4}); best F1 {:.4} at weight {:.2} P {:.4} R {:.4}",
            2.0 * p5 * r5 / (p5 + r5),
            best.0,
            best.1,
            best.2,
            best.3
        );
    }
}
/// The best F1 any scoring of these comparison vectors could reach, and the most ambiguous ones.
pub fn pattern_oracle(levels: &[u8], nf: usize, is_match: &[bool], t_pairs: usize) {
    let mut pat: HashMap<&[u8], (f64, f64)> = HashMap::new();
    for (k, lv) in levels.chunks(nf).enumerate() {
        let e = pat.entry(lv).or_default();
        if is_match[k] { e.0 += 1.0 } else { e.1 += 1.0 }
    }
    let mut v: Vec<(&[u8], (f64, f64))> = pat.into_iter().collect();
    v.sort_by(|a, b| (b.1.0 / (b.1.0 + b.1.1)).partial_cmp(&(a.1.0 / (a.1.0 + a.1.1))).unwrap());
    let (mut tp, mut fp, mut best) = (0.0, 0.0, (0.0, 0.0, 0.0, 0usize));
    for (i, (_, (m, n))) in v.iter().enumerate() {
        tp += m;
        fp += n;
        let p = tp / (tp + fp);
        let r = tp / t_pairs as f64;
        let f1 = 2.0 * p * r / (p + r);
        if f1 > best.0 {
            best = (f1, p, r, i);
        }
    }
    println!("pattern oracle ({} patterns): best F1 {:.4} P {:.4} R {:.4}", v.len(), best.0, best.1, best.2);
    // the most ambiguous patterns: largest min(matches, non-matches)
    let mut amb: Vec<_> = v.iter().map(|(p, (m, n))| (m.min(*n), p, m, n)).collect();
    amb.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap());
    for (_, p, m, n) in amb.iter().take(25) {
        println!("  {:?} matches {m} non {n}", p);
    }
}
