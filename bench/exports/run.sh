#!/usr/bin/env bash
# Export time and peak memory at scale: `amparo export ctdc` (a year's k-anonymised victims)
# and `amparo export htcds` (every case and person, encrypted) on an existing data set, e.g.
# the one bench/pages/run.sh generated. Issue 19's target: under 500 MB at a million cases.
#
#   bash bench/exports/run.sh bench/out/pages/sqlite            # SQLite
#   DATABASE_URL=postgres://… bash bench/exports/run.sh DIR     # PostgreSQL
#   YEAR=2024 (the generator's busiest full year)
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${1:?data directory}"
YEAR="${YEAR:-2024}"
BIN=target/release/amparo
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
export AMPARO_LOG=warn AMPARO_DATABASE_URL="${DATABASE_URL:-}"
# The age project's documented example recipient: the file is never decrypted here.
RECIPIENT=age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
[ "${SKIP_BUILD:-1}" = 1 ] || cargo build --release -q -p amparo
# One count first, so the statistics projection is current and the CTDC time is the export's.
"$BIN" report annual --data-dir "$DATA" --year "$YEAR" > /dev/null
/usr/bin/time -f "ctdc $YEAR: %e s, %M KB peak" "$BIN" export ctdc --data-dir "$DATA" --year "$YEAR" --out "$OUT/ctdc.csv" 2>&1 | grep -E "^(ctdc|wrote)"
printf "  %d lines\n" "$(wc -l < "$OUT/ctdc.csv")"
for f in csv json; do
  /usr/bin/time -f "htcds $f: %e s, %M KB peak" "$BIN" export htcds --data-dir "$DATA" --recipient "$RECIPIENT" --format "$f" --out "$OUT/htcds.$f.age" 2>&1 | grep -E "^(htcds|wrote)"
  printf "  %d MB encrypted\n" "$(( $(stat -c %s "$OUT/htcds.$f.age") / 1048576 ))"
done
