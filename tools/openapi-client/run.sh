#!/usr/bin/env bash
# Generate a Python client from Amparo's OpenAPI document with openapi-python-client (an
# outside generator, not ours) and drive a running server with it: every answer must parse into
# the model the document names. Not part of `cargo test` (it needs PyPI); run it by hand or in
# a release check.
#
#   tools/openapi-client/run.sh http://127.0.0.1:8080 "$TOKEN"
#
# TOKEN: `amparo token create --user investigador@demo.amparo.pe` on the demo data set.
set -euo pipefail
base="${1:?base URL, e.g. http://127.0.0.1:8080}"
token="${2:?a bearer token of an investigator (amparo token create)}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip install -q openapi-python-client >/dev/null
curl -fsS "$base/api/v1/openapi.json" > "$work/openapi.json"
(cd "$work" && openapi-python-client generate --path openapi.json --meta none --output-path amparo_client > generate.log 2>&1) || {
  cat "$work/generate.log"; exit 1; }
grep -A3 "Unable to process" "$work/generate.log" || true
cd "$work" && PYTHONPATH="$work" python3 "$here/try_client.py" "$base" "$token"
