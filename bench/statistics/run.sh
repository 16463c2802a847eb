#!/usr/bin/env bash
# National statistics benchmark: generate a synthetic data set, then time the annual report
# on SQLite and on PostgreSQL, the statistics page, and the CTDC export. Prints each figure
# (wall seconds, peak resident memory). Target (issue 5): the annual report under 2 s on
# SQLite on a 2-core machine, under 500 MB.
#
#   bash bench/statistics/run.sh               # 1,000,000 cases (about half an hour)
#   CASES=100000 bash bench/statistics/run.sh  # a quicker look
#   SKIP_PG=1 / SKIP_BUILD=1                   # leave PostgreSQL out / reuse the release build
#   RUNS=1                                     # one timed run of each instead of three
#   SKIP_PAGE=1                                # leave the statistics page out
#   SKIP_RECOUNT=1                             # leave out the count from the records (--from-records)
#
# The report reads the statistics projection; the first one after a bulk load builds it
# (timed apart). --from-records counts from every table, the projection's check.
set -euo pipefail
cd "$(dirname "$0")/../.."
CASES="${CASES:-1000000}"
SEED="${SEED:-7}"
YEAR="${YEAR:-2020}"
RUNS="${RUNS:-3}"
OUT="${OUT:-bench/out/statistics}"
BIN=target/release/amparo
mkdir -p "$OUT"
export AMPARO_LOG=warn AMPARO_LINKAGE_INTERVAL_SECS=0 AMPARO_SECURE_COOKIES=0

[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --release -q -p amparo

# measure LABEL CMD…: run once, print wall seconds and peak RSS (MB).
measure() {
  local label="$1"; shift
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" > "$OUT/last.out" 2> "$OUT/last.err" || { cat "$OUT/last.err"; exit 1; }
  read -r secs kb < "$OUT/time.txt"
  printf "%-46s %8.2f s %8d MB\n" "$label" "$secs" "$((kb / 1024))"
}

page() { # DATA_DIR [DATABASE_URL]: start a server, time the statistics page as the coordinator.
  local dir="$1" port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  AMPARO_DATABASE_URL="${2:-}" "$BIN" serve --data-dir "$dir" --listen "127.0.0.1:$port" > "$OUT/serve.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.5; done
  python3 bench/statistics/page.py "http://127.0.0.1:$port" "$YEAR" "$RUNS"
  local rss; rss=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$pid/status")
  echo "  server peak memory after the page: ${rss} MB"
  kill "$pid"; wait "$pid" 2> /dev/null || true
}

echo "== ${CASES} cases, seed ${SEED}, report year ${YEAR} ($(nproc) cores) =="
rm -rf "$OUT/sqlite"
measure "generate (SQLite)" env -u AMPARO_DATABASE_URL "$BIN" demo generate --cases "$CASES" --seed "$SEED" --out "$OUT/sqlite"
grep generated "$OUT/last.out" | sed 's/^/  /'
# A bulk load leaves the statistics projection unbuilt: the first report builds it (once).
measure "first report: builds the projection (SQLite)" env -u AMPARO_DATABASE_URL "$BIN" report annual --data-dir "$OUT/sqlite" --year "$YEAR" --format json --out "$OUT/report.json"
for i in $(seq 1 "$RUNS"); do
  measure "annual report, JSON (SQLite) run $i" env -u AMPARO_DATABASE_URL "$BIN" report annual --data-dir "$OUT/sqlite" --year "$YEAR" --format json --out "$OUT/report.json"
done
if [ "${SKIP_RECOUNT:-0}" != 1 ]; then
  measure "annual report --from-records (SQLite)" env -u AMPARO_DATABASE_URL "$BIN" report annual --data-dir "$OUT/sqlite" --year "$YEAR" --format json --from-records --out "$OUT/report-records.json"
  python3 - "$OUT/report.json" "$OUT/report-records.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for r in (a, b):
    r.pop("generated_at", None)
print("  the projection's figures are the records' figures:", a == b)
PY
fi
measure "annual report, PDF (SQLite)" env -u AMPARO_DATABASE_URL "$BIN" report annual --data-dir "$OUT/sqlite" --year "$YEAR" --format pdf --out "$OUT/report.pdf"
measure "CTDC export k=11 (SQLite)" env -u AMPARO_DATABASE_URL "$BIN" export ctdc --data-dir "$OUT/sqlite" --year "$YEAR" --out "$OUT/ctdc.csv"
grep suppressed "$OUT/last.err" | sed 's/^/  /'
if [ "${SKIP_PAGE:-0}" != 1 ]; then
  echo "statistics page (SQLite):"
  page "$OUT/sqlite"
fi
python3 -c "import json,sys; r=json.load(open('$OUT/report.json')); print('  figures:', 'prosecutions', r['prosecutions']['cases']['total'], '· convictions', r['convictions']['defendants']['total'], '· victims', r['victims_identified']['total'], '(records', str(r['victims_identified']['records'])+')')"

if [ "${SKIP_PG:-0}" != 1 ]; then
  PGDIR=$(mktemp -d); PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  chown postgres "$PGDIR" 2> /dev/null || true
  run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  run_pg initdb -A trust -D "$PGDIR/data" > /dev/null
  run_pg pg_ctl -D "$PGDIR/data" -o "-p $PGPORT -k $PGDIR -c fsync=off -c listen_addresses=''" -l "$PGDIR/log" start > /dev/null
  trap 'run_pg pg_ctl -D "$PGDIR/data" stop -m fast > /dev/null 2>&1 || true; rm -rf "$PGDIR"' EXIT
  run_pg createdb -h "$PGDIR" -p "$PGPORT" bench
  URL="postgres://postgres@localhost/bench?host=$PGDIR&port=$PGPORT"
  rm -rf "$OUT/pg"
  measure "generate (PostgreSQL)" env AMPARO_DATABASE_URL="$URL" "$BIN" demo generate --cases "$CASES" --seed "$SEED" --out "$OUT/pg"
  measure "first report: builds the projection (PostgreSQL)" env AMPARO_DATABASE_URL="$URL" "$BIN" report annual --data-dir "$OUT/pg" --year "$YEAR" --format json --out "$OUT/report-pg.json"
  for i in $(seq 1 "$RUNS"); do
    measure "annual report, JSON (PostgreSQL) run $i" env AMPARO_DATABASE_URL="$URL" "$BIN" report annual --data-dir "$OUT/pg" --year "$YEAR" --format json --out "$OUT/report-pg.json"
  done
  python3 - "$OUT/report.json" "$OUT/report-pg.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for r in (a, b):
    r.pop("generated_at", None)
print("  same figures on both backends:", a == b)
PY
  if [ "${SKIP_PAGE:-0}" != 1 ]; then
    echo "statistics page (PostgreSQL):"
    page "$OUT/pg" "$URL"
  fi
fi
