#!/usr/bin/env bash
# The record-linkage job inside `amparo serve`, at the size of a data directory: the first
# full run's time, what it compared and queued, and the server's peak memory; then the step
# after one new person arrives (linked against everyone from the table the job keeps).
#
#   bash bench/linkage/job.sh DATA_DIR         # e.g. a directory from `amparo demo generate`
#   PORT=8931 SKIP_BUILD=1 bash bench/linkage/job.sh DATA_DIR
#
# The data directory is changed: the job queues candidate pairs, and one person is added
# through the API (as investigador@demo.amparo.pe, which `amparo demo generate` creates).
# Prints the job's log lines and the figures; the server's search-index build runs at the
# same time, as it does in production after a start.
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR="${1:?usage: bench/linkage/job.sh DATA_DIR}"
PORT="${PORT:-8931}"
BIN=target/release/amparo
OUT="${OUT:-bench/out/linkage-job}"
mkdir -p "$OUT"
[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --release -q -p amparo

LOG="$OUT/serve.log"
RSS="$OUT/rss.txt"
: >"$RSS"
AMPARO_LINKAGE_INTERVAL_SECS=5 AMPARO_SECURE_COOKIES=0 AMPARO_LOG="info,sqlx=error" \
    "$BIN" serve --data-dir "$DIR" --listen "127.0.0.1:$PORT" >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
started=$(date +%s)

# Resident memory every second, in kB (the peak is what a machine must have free).
( while kill -0 $SERVER 2>/dev/null; do
    awk '/VmRSS/{print $2}' "/proc/$SERVER/status" 2>/dev/null >>"$RSS" || true
    sleep 1
  done ) &

plain() { sed -e 's/\x1b\[[0-9;]*m//g' "$LOG"; } # the log without its colours
wait_for() { # PATTERN TIMEOUT_S
    local until=$(( $(date +%s) + $2 ))
    while ! plain | grep "$1" >/dev/null; do
        if ! kill -0 $SERVER 2>/dev/null; then echo "the server stopped:"; tail -5 "$LOG"; exit 1; fi
        if [ "$(date +%s)" -gt "$until" ]; then echo "timed out waiting for: $1"; exit 1; fi
        sleep 2
    done
}
peak() { sort -n "$RSS" | tail -1 | awk '{printf "%.0f MB", $1/1024}'; }

wait_for 'mode="full"' 3600
full_done=$(date +%s)
echo "== first full run (the server had started $((full_done - started)) s before it ended)"
plain | grep -E 'linkage: |record linkage' | cut -c1-400
echo "peak resident memory so far: $(peak)"

TOKEN=$("$BIN" token create --data-dir "$DIR" --user investigador@demo.amparo.pe --name bench 2>/dev/null)
code=$(curl -s -o "$OUT/person.json" -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/api/v1/persons" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"role":"victim","sex":"female","approx_age":"17","given_names":"Teodora","first_surname":"Ccahuana","second_surname":"Quenta","nationality":"PE"}')
[ "$code" = 201 ] || { echo "adding a person failed: HTTP $code"; cat "$OUT/person.json"; exit 1; }
added=$(date +%s)
wait_for 'mode="incremental"' 1800
echo "== the step after one new person (it ended $(( $(date +%s) - added )) s after the person was added)"
plain | grep -E 'linkage: |record linkage' | tail -n 3 | cut -c1-400
echo "peak resident memory: $(peak); now: $(tail -1 "$RSS" | awk '{printf "%.0f MB", $1/1024}')"
