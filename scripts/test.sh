#!/usr/bin/env bash
# Installs what is missing, builds the release and the asan (ASan + UBSan) presets, and runs
# the whole suite on both: unit, storage, actor, black-box and crash tests. Every answer the
# black-box tests receive on the release build is captured and checked against
# docs/openapi.yaml, which is linted with Redocly CLI (tools/openapi/check.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$PWD/.ccache}"
for preset in release asan; do
  echo "=== $preset: build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
done
status=0
capture="$PWD/build/openapi-capture.jsonl"
rm -f "$capture"
echo "=== release: test"
CRM_OPENAPI_CAPTURE="$capture" ctest --preset release -j2 || status=1
echo "=== openapi: lint docs/openapi.yaml, check $(wc -l <"$capture" 2>/dev/null || echo 0) captured answers"
tools/openapi/check.sh "$capture" || status=1
echo "=== asan: test"
ctest --preset asan -j2 || status=1
exit $status
