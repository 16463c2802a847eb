#!/usr/bin/env python3
"""Precision, recall and F1 of a pairs file against FEBRL-style truth.

Truth: two records match when their ids share the `rec-N` prefix (FEBRL), or, for Amparo's
synthetic data, the same `truth_id` column. Prints the figures at the given threshold and at
the best threshold found by sweeping the probabilities in the file.

usage: evaluate.py PAIRS.csv INPUT.csv [INPUT2.csv] [--id rec_id] [--truth prefix|COLUMN] [--threshold 0.5]
"""
import csv, sys, argparse, itertools
from collections import defaultdict

def entity(rec_id, row, truth):
    if truth == "prefix":
        parts = rec_id.strip().split("-")
        return parts[1] if len(parts) > 1 else rec_id
    return row[truth].strip()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pairs")
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--id", default="rec_id")
    ap.add_argument("--truth", default="prefix")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    ent = {}
    groups = [defaultdict(list) for _ in a.inputs]
    for k, path in enumerate(a.inputs):
        with open(path, newline="") as f:
            for row in csv.DictReader(f, skipinitialspace=True):
                rid = row[a.id].strip()
                e = entity(rid, row, a.truth)
                ent[(k, rid)] = e
                groups[k][e].append(rid)
    # True pairs: within the file (dedupe) or across the two files (link).
    if len(a.inputs) == 1:
        true_pairs = sum(len(v) * (len(v) - 1) // 2 for v in groups[0].values())
    else:
        true_pairs = sum(len(v) * len(groups[1].get(e, [])) for e, v in groups[0].items())
    scored = []
    with open(a.pairs, newline="") as f:
        for row in csv.DictReader(f):
            l, r, p = row["id_l"], row["id_r"], float(row["match_probability"])
            if len(a.inputs) == 1:
                same = ent.get((0, l)) == ent.get((0, r))
            else:
                el = ent.get((0, l), ent.get((1, l)))
                er = ent.get((1, r), ent.get((0, r)))
                same = el is not None and el == er
            scored.append((p, same))
    scored.sort(key=lambda x: -x[0])
    def stats(th):
        tp = sum(1 for p, s in scored if p >= th and s)
        fp = sum(1 for p, s in scored if p >= th and not s)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / true_pairs if true_pairs else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        return prec, rec, f1
    best = (0.0, a.threshold, (0.0, 0.0, 0.0))
    tp = fp = 0
    for i, (p, s) in enumerate(scored):
        tp += s; fp += (not s)
        if i + 1 < len(scored) and scored[i + 1][0] == p:
            continue
        prec = tp / (tp + fp); rec = tp / true_pairs if true_pairs else 0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0
        if f1 > best[0]:
            best = (f1, p, (prec, rec, f1))
    d = stats(a.threshold)
    print(f"{a.label}true_pairs={true_pairs} default(th={a.threshold}) precision={d[0]:.4f} recall={d[1]:.4f} f1={d[2]:.4f} "
          f"best(th={best[1]:.4f}) precision={best[2][0]:.4f} recall={best[2][1]:.4f} f1={best[2][2]:.4f}")

if __name__ == "__main__":
    main()
