#!/usr/bin/env bash
# Page and list latency at national scale: generate a data set (`amparo demo generate`), start
# `amparo serve` on it, time how long until /readyz answers and the memory at rest, then time
# every UI page and API list as each demo role with 1 and with 16 concurrent clients (p50,
# p95, max). On SQLite, then on a throwaway PostgreSQL cluster.
#
#   bash bench/pages/run.sh                    # 1,000,000 cases (generation alone takes long)
#   CASES=100000 bash bench/pages/run.sh       # a quicker look
#   SKIP_PG=1 / SKIP_SQLITE=1                  # SQLite only / PostgreSQL only
#   SKIP_BUILD=1 / REQUESTS=N                  # reuse the release build / requests per page
#   SQLITE_DATA=DIR                            # time an existing SQLite data set
#   ROLES="coordinadora analista"              # only these demo roles
#
# Targets (issue 19): p95 under 300 ms for every page and list with 16 clients; ready in under
# 60 s; under 1.5 GB at rest.
set -euo pipefail
cd "$(dirname "$0")/../.."
CASES="${CASES:-1000000}"
SEED="${SEED:-7}"
REQUESTS="${REQUESTS:-20}"
OUT="${OUT:-bench/out/pages}"
BIN=target/release/amparo
mkdir -p "$OUT"
export AMPARO_LOG=warn AMPARO_LINKAGE_INTERVAL_SECS=0 AMPARO_SECURE_COOKIES=0
ROLES="${ROLES:-operadora investigador fiscal inspectora trabajadora-social albergue coordinadora analista admin-loreto admin}"

[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --release -q -p amparo

tokens() { # DATA_DIR [DATABASE_URL] > file
  for r in $ROLES; do
    t=$(AMPARO_DATABASE_URL="${2:-}" "$BIN" token create --data-dir "$1" --user "$r@demo.amparo.pe" --expires 1 | grep -o 'amp_[A-Za-z0-9_-]*' | head -1)
    echo "$r@demo.amparo.pe $t"
  done
}

serve_and_time() { # LABEL DATA_DIR [DATABASE_URL]
  local label="$1" dir="$2" url="${3:-}" port pid t0
  tokens "$dir" "$url" > "$OUT/tokens.txt"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  t0=$(python3 -c 'import time; print(time.time())')
  AMPARO_DATABASE_URL="$url" "$BIN" serve --data-dir "$dir" --listen "127.0.0.1:$port" > "$OUT/serve.log" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/readyz" > /dev/null; do
    kill -0 "$pid" 2> /dev/null || { echo "server exited"; cat "$OUT/serve.log"; return 1; }
    sleep 0.2
  done
  printf "== %s: ready after %.1f s, %d MB resident at rest ==\n" "$label" "$(python3 -c "import time; print(time.time() - $t0)")" \
    "$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status")"
  python3 bench/pages/pages.py "http://127.0.0.1:$port" "$OUT/tokens.txt" "$REQUESTS" || true
  printf "server peak memory: %d MB\n" "$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$pid/status")"
  kill "$pid"; wait "$pid" 2> /dev/null || true
}

echo "== ${CASES} cases, seed ${SEED} ($(nproc) cores) =="
if [ "${SKIP_SQLITE:-0}" != 1 ]; then
  if [ -n "${SQLITE_DATA:-}" ]; then
    DATA="$SQLITE_DATA"
  else
    DATA="$OUT/sqlite"; rm -rf "$DATA"
    /usr/bin/time -f "generated in %e s, %M KB peak" env -u AMPARO_DATABASE_URL "$BIN" demo generate --cases "$CASES" --seed "$SEED" --out "$DATA" > /dev/null
  fi
  serve_and_time "SQLite" "$DATA"
fi

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
  /usr/bin/time -f "generated in %e s, %M KB peak" env AMPARO_DATABASE_URL="$URL" "$BIN" demo generate --cases "$CASES" --seed "$SEED" --out "$OUT/pg" > /dev/null
  serve_and_time "PostgreSQL" "$OUT/pg" "$URL"
fi
