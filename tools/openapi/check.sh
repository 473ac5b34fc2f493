#!/usr/bin/env bash
# Checks docs/openapi.yaml: YAML structure (lint-yaml.mjs), the OpenAPI linter (Redocly, rules
# in redocly.yaml) and, given a capture file of real HTTP exchanges, every answer in it
# against the document (validate.mjs). Exits non-zero on any failure.
#
# Usage: tools/openapi/check.sh [CAPTURE_FILE]
# Installs the pinned tools (npm ci) on first use; only the npm registry is needed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
spec="$here/../../docs/openapi.yaml"
capture=""
if [ $# -ge 1 ]; then
  capture=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  [ -f "$capture" ] || { echo "check: no capture file $1" >&2; exit 2; }
fi

cd "$here" || exit 2
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund || { echo "check: npm ci failed" >&2; exit 2; }
fi
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1

status=0
node lint-yaml.mjs "$spec" || status=1
npx --no-install redocly lint --config redocly.yaml "$spec" || status=1
if [ -n "$capture" ]; then
  node validate.mjs "$capture" --spec "$spec" || status=1
fi
if [ "$status" -eq 0 ]; then echo "check: ok"; else echo "check: FAILED" >&2; fi
exit "$status"
