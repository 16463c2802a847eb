#!/usr/bin/env bash
# A long fuzzing campaign over every parser of outside input (crates/amparo/tests/it/fuzz.rs,
# plus the property tests in parsers.rs and the search index's own).
#
#   bench/fuzz.sh [MINUTES] [CASES_PER_ROUND] [HTTP_ROUNDS]
#                 (defaults: 60 minutes, 2000 cases a round, 40 passes over every route)
#
# Rounds run until the time is up, each with a new random seed. Prints the cases run per
# target and every failure (a panic or a 5xx), and exits 1 if any round failed.
set -uo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-60}
per_round=${2:-2000}
http_rounds=${3:-40}
end=$(( $(date +%s) + minutes * 60 ))
cargo test -p amparo --test it --no-run --quiet 2>/dev/null || { echo "build failed"; exit 2; }
cargo test -p amparo-core --lib --no-run --quiet 2>/dev/null
log=$(mktemp)
rounds=0; failed=0
declare -A total
while [ "$(date +%s)" -lt "$end" ]; do
  rounds=$((rounds + 1))
  AMPARO_FUZZ_CASES=$per_round PROPTEST_CASES=$per_round AMPARO_FUZZ_HTTP_ROUNDS=$http_rounds \
    cargo test -p amparo --test it --quiet -- --test-threads 2 --nocapture fuzz:: parsers:: > "$log" 2>&1
  status=$?
  AMPARO_FUZZ_CASES=$per_round PROPTEST_CASES=$per_round \
    cargo test -p amparo-core --lib --quiet -- search_index >> "$log" 2>&1 || status=1
  # (Test output interleaves: match anywhere on a line, not at its start.)
  while read -r name n; do total[$name]=$(( ${total[$name]:-0} + n )); done < <(
    grep -o 'fuzzed [a-z ]*: [0-9]* \(cases\|requests\)' "$log" | sed 's/^fuzzed \(.*\): \([0-9]*\) .*/\1 \2/' | sed 's/ \([0-9]*\)$/\t\1/' | tr ' ' '_' | tr '\t' ' ' )
  if [ $status -ne 0 ]; then
    failed=$((failed + 1))
    echo "== round $rounds FAILED"
    grep -E "panicked|failed:|minimal failing input|answered" "$log" | head -20
  fi
done
echo "rounds: $rounds, failed rounds: $failed"
for k in "${!total[@]}"; do printf '  %-20s %s cases\n' "$k" "${total[$k]}"; done | sort
rm -f "$log"
[ $failed -eq 0 ]
