#!/usr/bin/env python3
"""Splink 5 (DuckDB backend) on the linkage benchmark's data sets, for comparison with Amparo.

Writes every scored pair with match_probability >= --floor as `id_l,id_r,match_probability`
(so `evaluate.py` can sweep thresholds) and prints one line on stdout:

    pairs_compared=<N>

N is the number of pairwise comparisons Splink scores in predict(): the distinct pairs left
after the union of the prediction blocking rules. Without chunking they are materialised once
(`linker.inference.compute_blocked_pairs_for_predict()`, which predict() then reuses from
cache) and counted; with --predict-chunks, Splink's own blocking analysis counts them
(`linker.blocking_analysis.count_comparisons_from_blocking_rules(record_sample_proportion=1.0)`,
last rule's `cumulative_comparison_count`). --check-pairs also runs the blocking analysis
unchunked, to confirm the two agree (extra work: blocking runs twice). Splink's logging and
the phase timings go to stderr.

usage:
  splink_run.py --mode dedupe --dataset febrl --input dataset3.csv --output pairs.csv
  splink_run.py --mode link --dataset febrl --input dataset4a.csv --input dataset4b.csv --output pairs.csv
  splink_run.py --mode dedupe --dataset synthetic --input synthetic-100000.csv --output pairs.csv

Models (following Splink's own examples and docs):
  febrl      the comparisons of Splink's FEBRL examples (docs/demos/examples/duckdb/febrl3 and
             febrl4 "detailed model"): NameComparison on given name and surname (with
             term-frequency adjustment on the exact level), DateOfBirthComparison,
             Damerau-Levenshtein on soc_sec_id and postcode, exact street number (TF);
             lambda from deterministic rules, u by random sampling, m by EM blocked on
             date_of_birth and on postcode.
  synthetic  NameComparison (Jaro-Winkler, TF on exact, phonetic level) on given names and both
             surnames; a partial-date-aware date-of-birth comparison; Damerau-Levenshtein on the
             document; a hierarchical UBIGEO comparison; exact sex. truth_id is never read.
Prediction blocking mirrors Amparo's configs (bench/linkage/febrl.toml, data/linkage/persons.toml),
rule for rule; Amparo's multi-valued `each_phonetic` keys become Splink exploding blocking rules
(block_on(..., arrays_to_explode=[...]) over arrays of per-token phonetic keys). It uses
phonetic-key columns derived here (a SQL port of Amparo's Spanish phonetic key: Splink
recommends deriving phonetic columns before linking; DuckDB has none built in).
"""
import argparse
import logging
import os
import sys
import time

import duckdb

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

log = logging.getLogger("splink_run")

# --------------------------------------------------------------------------------------------
# SQL helpers: folding, a Spanish phonetic key (port of crates/linkage/src/phonetic.rs),
# partial-date parsing. All run inside DuckDB.
# --------------------------------------------------------------------------------------------

MACROS = r"""
CREATE OR REPLACE MACRO fold(x) AS
    nullif(trim(regexp_replace(lower(strip_accents(coalesce(x, ''))), '[^a-z0-9]+', ' ', 'g')), '');

-- Consonants that sound alike in Latin-American Spanish merge. Upper case marks letters that
-- are already encoded so that later rules leave them alone.
CREATE OR REPLACE MACRO ph_raw(t) AS
  regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
  regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
  regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    t,
    'hu([aeiou])', 'W\1', 'g'),
    'gu([ao])', 'W\1', 'g'),
    'qu', 'K', 'g'),
    'gu([ei])', 'G\1', 'g'),
    'ch', 'X', 'g'),
    'h', '', 'g'),
    'c([ei])', 'S\1', 'g'),
    '[ckq]', 'K', 'g'),
    '[zs]', 'S', 'g'),
    'g([ei])', 'J\1', 'g'),
    '[jx]', 'J', 'g'),
    '[bv]', 'B', 'g'),
    'll', 'Y', 'g'),
    'y([aeiou])', 'Y\1', 'g'),
    '[^a-zA-Z0-9]', '', 'g');
CREATE OR REPLACE MACRO ph_fin(r) AS lower(replace(replace(r, 'y', 'i'), 'X', 'x'));
-- Collapse repeated characters ("rr", "kk"). Apply to a column, not an expression (macros
-- are inlined, and the lambda would re-evaluate the expression per character).
CREATE OR REPLACE MACRO dedup_chars(s) AS
    nullif(array_to_string(list_filter(string_split(s, ''),
        lambda c, i: i = 1 OR c <> string_split(s, '')[i - 1]), ''), '');

CREATE OR REPLACE MACRO name_tokens(x) AS
    list_filter(string_split(coalesce(fold(x), ''), ' '),
        lambda t: t <> '' AND NOT list_contains(['de', 'del', 'la', 'las', 'los', 'y', 'e', 'da'], t));
"""

# Same table as crates/linkage/src/normalize.rs (used only with --nicknames).
NICKNAMES = {
    "pepe": "jose", "pepito": "jose", "chema": "jose", "pancho": "francisco", "paco": "francisco",
    "curro": "francisco", "lucho": "luis", "nacho": "ignacio", "memo": "guillermo", "lupe": "guadalupe",
    "charo": "rosario", "chayo": "rosario", "concha": "concepcion", "conchita": "concepcion",
    "chabela": "isabel", "chabe": "isabel", "tono": "antonio", "quique": "enrique", "kike": "enrique",
    "beto": "alberto", "chucho": "jesus", "chuy": "jesus", "lola": "dolores", "maru": "maria",
    "mari": "maria", "meche": "mercedes", "nando": "fernando", "rafa": "rafael", "manolo": "manuel",
    "manu": "manuel", "chelo": "consuelo", "tere": "teresa", "juancho": "juan", "pili": "pilar",
    "susy": "susana", "rosy": "rosa", "vicho": "vicente", "goyo": "gregorio",
}


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def read_csv_sql(path):
    # Everything as text; header names may carry leading spaces (FEBRL), trimmed below.
    return f"read_csv({sql_str(path)}, all_varchar = true, header = true, auto_detect = true)"


def trimmed_columns(con, path):
    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {read_csv_sql(path)}").fetchall()]
    return {c.strip(): c for c in cols}


def qi(name):
    return '"' + name.replace('"', '""') + '"'


def prepare_febrl(con, path, table):
    """FEBRL columns trimmed, blanks as NULL, plus phonetic keys of names for blocking."""
    cols = trimmed_columns(con, path)
    wanted = ["rec_id", "given_name", "surname", "street_number", "address_1", "address_2",
              "suburb", "postcode", "state", "date_of_birth", "soc_sec_id"]
    missing = [c for c in wanted if c not in cols]
    if missing:
        sys.exit(f"{path}: missing columns {missing}")
    sel = ",\n".join(f"nullif(trim({qi(cols[c])}), '') AS {c}" for c in wanted)
    con.execute(f"""
        CREATE OR REPLACE TABLE {table} AS
        WITH t0 AS (SELECT {sel} FROM {read_csv_sql(path)}),
        t1 AS (SELECT *, ph_raw(name_tokens(given_name)[1]) AS r_g,
                         ph_raw(name_tokens(surname)[1]) AS r_s FROM t0)
        SELECT * EXCLUDE (r_g, r_s),
               dedup_chars(ph_fin(r_g)) AS given_name_ph,
               dedup_chars(ph_fin(r_s)) AS surname_ph
        FROM t1
    """)


def parse_date_sql(col):
    """(year, month, day) expressions for YYYYMMDD, YYYY-MM-DD, DD/MM/YYYY, YYYY-MM, YYYY."""
    p = f"regexp_extract_all(coalesce({col}, ''), '[0-9]+')"
    y = f"""CASE
        WHEN len({p}) = 3 AND length({p}[3]) = 4 AND length({p}[1]) <= 2 THEN {p}[3]
        WHEN len({p}) = 3 AND length({p}[1]) = 4 THEN {p}[1]
        WHEN len({p}) = 2 AND length({p}[1]) = 4 THEN {p}[1]
        WHEN len({p}) = 1 AND length({p}[1]) IN (4, 6, 8) THEN substr({p}[1], 1, 4) END"""
    m = f"""CASE
        WHEN len({p}) = 3 AND length({p}[3]) = 4 AND length({p}[1]) <= 2 THEN {p}[2]
        WHEN len({p}) = 3 AND length({p}[1]) = 4 THEN {p}[2]
        WHEN len({p}) = 2 AND length({p}[1]) = 4 THEN {p}[2]
        WHEN len({p}) = 1 AND length({p}[1]) IN (6, 8) THEN substr({p}[1], 5, 2) END"""
    d = f"""CASE
        WHEN len({p}) = 3 AND length({p}[3]) = 4 AND length({p}[1]) <= 2 THEN {p}[1]
        WHEN len({p}) = 3 AND length({p}[1]) = 4 THEN {p}[3]
        WHEN len({p}) = 1 AND length({p}[1]) = 8 THEN substr({p}[1], 7, 2) END"""
    return y, m, d


def prepare_synthetic(con, path, table, nicknames):
    """Folded names (given names order-free), phonetic keys, parsed dates, clean documents."""
    cols = trimmed_columns(con, path)
    wanted = ["person_id", "given_names", "first_surname", "second_surname", "date_of_birth",
              "document_number", "origin_ubigeo", "sex"]
    missing = [c for c in wanted if c not in cols]
    if missing:
        sys.exit(f"{path}: missing columns {missing}")
    src = ", ".join(f"{qi(cols[c])} AS {c}" for c in wanted)  # truth_id is never selected
    if nicknames:
        nick_map = "MAP {" + ", ".join(f"{sql_str(k)}: {sql_str(v)}" for k, v in NICKNAMES.items()) + "}"
        given_tokens = f"list_sort(list_transform(name_tokens(given_names), lambda t: coalesce({nick_map}[t], t)))"
    else:
        given_tokens = "list_sort(name_tokens(given_names))"
    y, m, d = parse_date_sql("date_of_birth")
    con.execute(f"""
        CREATE OR REPLACE TABLE {table} AS
        WITH t0 AS (SELECT {src} FROM {read_csv_sql(path)}),
        t1 AS (
            SELECT trim(person_id) AS person_id,
                   {given_tokens} AS gt,
                   name_tokens(first_surname) AS s1t,
                   name_tokens(second_surname) AS s2t,
                   try_cast({y} AS INTEGER) AS yy,
                   try_cast({m} AS INTEGER) AS mm,
                   try_cast({d} AS INTEGER) AS dd,
                   nullif(upper(regexp_replace(coalesce(document_number, ''), '[^A-Za-z0-9]', '', 'g')), '') AS document,
                   nullif(regexp_replace(coalesce(origin_ubigeo, ''), '[^A-Za-z0-9]', '', 'g'), '') AS origin,
                   nullif(upper(trim(coalesce(sex, ''))), '') AS sex
            FROM t0),
        t2 AS (
            SELECT *,
                   CASE WHEN yy BETWEEN 1880 AND 2100 THEN yy END AS y2,
                   CASE WHEN yy BETWEEN 1880 AND 2100 AND mm BETWEEN 1 AND 12 THEN mm END AS m2,
                   ph_raw(gt[1]) AS rg1, ph_raw(gt[2]) AS rg2, ph_raw(gt[3]) AS rg3,
                   ph_raw(s1t[1]) AS ra1, ph_raw(s1t[2]) AS ra2,
                   ph_raw(s2t[1]) AS rb1, ph_raw(s2t[2]) AS rb2
            FROM t1),
        t3 AS (
            SELECT *,
                   CASE WHEN m2 IS NOT NULL AND dd BETWEEN 1 AND 31 THEN dd END AS d2,
                   ph_fin(rg1) AS fg1, ph_fin(rg2) AS fg2, ph_fin(rg3) AS fg3,
                   ph_fin(ra1) AS fa1, ph_fin(ra2) AS fa2, ph_fin(rb1) AS fb1, ph_fin(rb2) AS fb2
            FROM t2),
        t4 AS (
            SELECT *,
                   dedup_chars(fg1) AS kg1, dedup_chars(fg2) AS kg2, dedup_chars(fg3) AS kg3,
                   dedup_chars(fa1) AS ka1, dedup_chars(fa2) AS ka2,
                   dedup_chars(fb1) AS kb1, dedup_chars(fb2) AS kb2
            FROM t3)
        SELECT person_id,
               nullif(array_to_string(gt, ' '), '') AS given_names,
               nullif(list_filter([kg1, kg2, kg3], lambda k: k IS NOT NULL), []) AS given_names_ph,
               kg1 AS given_names_ph1,
               nullif(array_to_string(s1t, ' '), '') AS first_surname,
               nullif(list_filter([ka1, ka2], lambda k: k IS NOT NULL), []) AS first_surname_ph,
               ka1 AS first_surname_ph1,
               nullif(array_to_string(s2t, ' '), '') AS second_surname,
               nullif(list_filter([kb1, kb2], lambda k: k IS NOT NULL), []) AS second_surname_ph,
               kb1 AS second_surname_ph1,
               -- Multi-valued blocking keys (Amparo's `each_phonetic`): every given name's
               -- key, and every surname token's key from both surnames; exploded by the
               -- blocking rules (one block per key).
               nullif(list_sort(list_distinct(list_filter([kg1, kg2, kg3], lambda k: k IS NOT NULL))), [])
                   AS given_names_keys,
               nullif(list_sort(list_distinct(list_filter([ka1, ka2, kb1, kb2], lambda k: k IS NOT NULL))), [])
                   AS surnames_keys,
               CASE WHEN d2 IS NOT NULL THEN printf('%04d-%02d-%02d', y2, m2, d2) END AS dob,
               y2 AS dob_year,
               coalesce(CASE WHEN d2 IS NOT NULL THEN printf('%04d-%02d-%02d', y2, m2, d2) END,
                        CASE WHEN m2 IS NOT NULL THEN printf('%04d-%02d', y2, m2) END,
                        CAST(y2 AS VARCHAR)) AS dob_key,
               document, origin,
               -- Amparo's `origin:prefix4`: the province (or as much of the code as there is).
               substr(origin, 1, 4) AS origin_province,
               sex
        FROM t4
    """)


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------

def febrl_model(link_type):
    comparisons = [
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d",
                                 invalid_dates_as_null=True),
        cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
        cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
        cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
    ]
    # bench/linkage/febrl.toml: given_name:phonetic | surname:phonetic | date_of_birth |
    # soc_sec_id | postcode+street_number
    blocking = [
        block_on("given_name_ph"),
        block_on("surname_ph"),
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("postcode", "street_number"),
    ]
    settings = SettingsCreator(
        link_type=link_type,
        unique_id_column_name="rec_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )

    def train(linker, args):
        deterministic = [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")]
        # Recall guesses of Splink's examples: 0.9 for febrl3 (dedupe), 0.8 for febrl4 (link).
        linker.training.estimate_probability_two_random_records_match(
            deterministic, recall=0.9 if link_type == "dedupe_only" else 0.8)
        linker.training.estimate_u_using_random_sampling(max_pairs=args.u_max_pairs, seed=args.seed)
        no_tf = link_type != "dedupe_only"  # as in the febrl4 example
        for rule in (block_on("date_of_birth"), block_on("postcode")):
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=no_tf, max_pairs=args.em_max_pairs)

    return settings, train


def synthetic_model(link_type):
    dob = cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.CustomLevel('"dob_year_l" IS NULL OR "dob_year_r" IS NULL').configure(
                is_null_level=True, label_for_charts="Birth year missing"),
            cll.CustomLevel('"dob_l" = "dob_r"', label_for_charts="Exact full date"),
            cll.CustomLevel('damerau_levenshtein("dob_l", "dob_r") <= 1',
                            label_for_charts="Full dates one edit apart"),
            cll.CustomLevel('abs(date_diff(\'day\', try_cast("dob_l" AS DATE), try_cast("dob_r" AS DATE))) <= 31',
                            label_for_charts="Full dates within a month"),
            cll.CustomLevel('"dob_year_l" = "dob_year_r" AND ("dob_l" IS NULL OR "dob_r" IS NULL)',
                            label_for_charts="Same year, one side only a year"),
            cll.CustomLevel('"dob_year_l" = "dob_year_r"', label_for_charts="Same year, dates differ"),
            cll.ElseLevel(),
        ],
    )
    origin = cl.CustomComparison(
        output_column_name="origin",
        comparison_levels=[
            cll.NullLevel("origin"),
            cll.ExactMatchLevel("origin"),
            cll.CustomLevel('starts_with("origin_l", "origin_r") OR starts_with("origin_r", "origin_l")',
                            label_for_charts="One code is a truncation of the other"),
            cll.CustomLevel('length("origin_l") >= 4 AND length("origin_r") >= 4 '
                            'AND substr("origin_l", 1, 4) = substr("origin_r", 1, 4)',
                            label_for_charts="Same province"),
            cll.CustomLevel('substr("origin_l", 1, 2) = substr("origin_r", 1, 2)',
                            label_for_charts="Same department"),
            cll.ElseLevel(),
        ],
    )
    comparisons = [
        # NameComparison puts TF on its exact level; the phonetic arrays add an
        # array-intersection level (the docs' dmetaphone pattern).
        cl.NameComparison("given_names", dmeta_col_name="given_names_ph"),
        cl.NameComparison("first_surname", dmeta_col_name="first_surname_ph"),
        cl.NameComparison("second_surname", dmeta_col_name="second_surname_ph"),
        dob,
        cl.DamerauLevenshteinAtThresholds("document", [1]),
        origin,
        cl.ExactMatch("sex"),
    ]
    # data/linkage/persons.toml, rule for rule. Amparo's `each_phonetic` (one block per token
    # key: each given name, both surnames) is Splink's exploding blocking rule
    # (block_on(..., arrays_to_explode=[...]) unnests the key arrays before the join; pairs
    # found by several rules are deduplicated before predict()). `surnames:phonetic` /
    # `phonetic2` are the first / second surname's keys; "birth:exact" is the parsed date as
    # far as known (dob_key = full date, year-month or year); "birth:year" is dob_year;
    # "origin:prefix4" is origin_province.
    g, s = "given_names_keys", "surnames_keys"
    blocking = [
        block_on(s, g, "dob_year", arrays_to_explode=[s, g]),
        block_on("first_surname_ph1", "second_surname_ph1", g, arrays_to_explode=[g]),
        block_on("first_surname_ph1", "second_surname_ph1", "dob_year"),
        block_on(s, "dob_key", arrays_to_explode=[s]),
        block_on(g, "dob_key", arrays_to_explode=[g]),
        block_on(g, "dob_year", "origin_province", arrays_to_explode=[g]),
        block_on(s, "dob_year", "origin_province", arrays_to_explode=[s]),
        block_on("dob_key", "origin_province"),
        block_on("document"),
    ]
    settings = SettingsCreator(
        link_type=link_type,
        unique_id_column_name="person_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )

    def train(linker, args):
        deterministic = [block_on("document"),
                         block_on("given_names", "first_surname", "second_surname", "dob")]
        # A user's guess (not tuned on truth): most duplicates share a document or all of
        # names and date of birth. Only the 0.5-threshold figures depend on it.
        linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
        linker.training.estimate_u_using_random_sampling(max_pairs=args.u_max_pairs, seed=args.seed)
        # Each comparison gets m from at least one session.
        for rule in (block_on("dob"), block_on("first_surname", "given_names")):
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, max_pairs=args.em_max_pairs)

    return settings, train


# --------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["dedupe", "link"], required=True)
    ap.add_argument("--dataset", choices=["febrl", "synthetic"], required=True)
    ap.add_argument("--input", action="append", required=True, help="CSV file (twice for --mode link)")
    ap.add_argument("--output", required=True, help="pairs CSV: id_l,id_r,match_probability")
    ap.add_argument("--floor", type=float, default=0.01, help="lowest match_probability written")
    ap.add_argument("--u-max-pairs", type=float, default=5e6)
    ap.add_argument("--em-max-pairs", type=float, default=1e7,
                    help="cap on blocked pairs per EM session (Splink 5 max_pairs; sampling only "
                         "kicks in above it, e.g. at 1,000,000 records)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--nicknames", action="store_true",
                    help="synthetic: expand Spanish nicknames as Amparo's normaliser does")
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: DuckDB's)")
    ap.add_argument("--predict-chunks", type=int, default=1,
                    help="split predict() into N x N chunks (Splink's num_chunks_left/right) "
                         "to bound memory on large inputs")
    ap.add_argument("--check-pairs", action="store_true",
                    help="also count the blocked pairs with Splink's blocking analysis and compare")
    ap.add_argument("--log-level", default="INFO", help="Splink log level (stderr)")
    args = ap.parse_args()

    if args.mode == "dedupe" and len(args.input) != 1:
        ap.error("--mode dedupe takes one --input")
    if args.mode == "link" and len(args.input) != 2:
        ap.error("--mode link takes two --input")

    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(message)s")
    t_start = time.time()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}")
    con.execute(MACROS)

    tables = ["input_a", "input_b"][: len(args.input)]
    for path, table in zip(args.input, tables):
        if args.dataset == "febrl":
            prepare_febrl(con, path, table)
        else:
            prepare_synthetic(con, path, table, args.nicknames)
    t_prep = time.time()
    log.info("prepared %s rows in %.2fs", [con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables],
             t_prep - t_start)

    link_type = "dedupe_only" if args.mode == "dedupe" else "link_only"
    settings, train = (febrl_model if args.dataset == "febrl" else synthetic_model)(link_type)

    db_api = DuckDBAPI(connection=con)
    # A string registers an existing table. In two-dataset link_only Splink puts the smaller
    # source_dataset value on the left, so "src_a" (first --input) becomes id_l.
    sdfs = [db_api.register(t, dataset_display_name=f"src_{t[-1]}") for t in tables]
    linker = Linker(sdfs if len(sdfs) > 1 else sdfs[0], settings, log_level=args.log_level)

    train(linker, args)
    t_train = time.time()
    log.info("trained in %.2fs", t_train - t_prep)

    # Pairs compared: the distinct blocked pairs predict() scores. Unchunked, they are
    # materialised once (compute_blocked_pairs_for_predict, which predict() then reuses from
    # cache) and counted; chunked, Splink's blocking analysis counts them. --check-pairs runs
    # the other method as well and compares.
    def analysis_count():
        records = linker.blocking_analysis.count_comparisons_from_blocking_rules(record_sample_proportion=1.0)
        for r in records:
            log.info("blocking rule %s: marginal %d cumulative %d", r["blocking_rule"],
                     r["marginal_comparison_count"], r["cumulative_comparison_count"])
        return int(records[-1]["cumulative_comparison_count"]) if records else 0

    if args.predict_chunks <= 1:
        blocked = linker.inference.compute_blocked_pairs_for_predict()  # reused by predict()
        pairs = con.execute(f"SELECT count(*) FROM {blocked.physical_name}").fetchall()[0][0]
        for key, n in con.execute(f"SELECT match_key, count(*) FROM {blocked.physical_name} "
                                  "GROUP BY match_key ORDER BY cast(match_key AS INTEGER)").fetchall():
            log.info("blocking rule %s: %d pairs not found by an earlier rule", key, n)
    else:
        pairs = analysis_count()
    t_count = time.time()
    log.info("blocked and counted %d pairs in %.2fs", pairs, t_count - t_train)
    if args.check_pairs:
        n = analysis_count() if args.predict_chunks <= 1 else None
        if n is None:
            log.info("check: --check-pairs needs --predict-chunks 1")
        else:
            log.info("check: blocking analysis count = %d (%s)", n, "agrees" if n == pairs else "DIFFERS")
        t_count = time.time()

    if args.predict_chunks > 1:
        predictions = linker.inference.predict(threshold_match_probability=args.floor,
                                               num_chunks_left=args.predict_chunks,
                                               num_chunks_right=args.predict_chunks)
    else:
        predictions = linker.inference.predict(threshold_match_probability=args.floor)
    t_pred = time.time()
    log.info("predicted in %.2fs", t_pred - t_count)

    uid = "rec_id" if args.dataset == "febrl" else "person_id"
    if args.mode == "dedupe":
        sel = f"{uid}_l AS id_l, {uid}_r AS id_r"
    else:
        sel = (f"CASE WHEN source_dataset_l <= source_dataset_r THEN {uid}_l ELSE {uid}_r END AS id_l, "
               f"CASE WHEN source_dataset_l <= source_dataset_r THEN {uid}_r ELSE {uid}_l END AS id_r")
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    con.execute(f"""
        COPY (SELECT {sel}, match_probability FROM {predictions.physical_name}
              WHERE match_probability >= {float(args.floor)}
              ORDER BY match_probability DESC)
        TO {sql_str(args.output)} (HEADER true, DELIMITER ',')
    """)
    written = con.execute(f"SELECT count(*) FROM {predictions.physical_name} "
                          f"WHERE match_probability >= {float(args.floor)}").fetchall()[0][0]
    log.info("wrote %d pairs (p >= %g) to %s; total %.2fs", written, args.floor, args.output,
             time.time() - t_start)
    print(f"pairs_compared={pairs}", flush=True)


if __name__ == "__main__":
    main()
