#!/usr/bin/env bash
# Property-based checks of a running server against its own OpenAPI document with Schemathesis
# (PyPI): no 5xx, every answer matching its documented schema and status, bodies the document
# calls invalid refused. "Schema-valid request rejected" (ST202) findings are expected where a
# rule is beyond a schema (an opaque cursor, an unknown area code, a reason too short).
#
#   tools/openapi-client/schemathesis.sh http://127.0.0.1:8080 "$TOKEN" [max-examples]
set -euo pipefail
base="${1:?base URL}"
token="${2:?bearer token}"
python3 -m pip install -q schemathesis >/dev/null
st run "$base/api/v1/openapi.json" -H "Authorization: Bearer $token" --checks all \
  --max-examples "${3:-10}" --workers 2 --phases examples,coverage,fuzzing
