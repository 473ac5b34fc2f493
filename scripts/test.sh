#!/usr/bin/env bash
# Installs what is missing, builds the presets and runs the whole suite:
#   release  unit, storage, actor, black-box and crash-loop tests; every answer the black-box
#            tests receive is captured and checked against docs/openapi.yaml, which is linted
#            with Redocly CLI (tools/openapi/check.sh)
#   asan     the same tests under AddressSanitizer and UndefinedBehaviorSanitizer
#   tsan     the actor and black-box tests under ThreadSanitizer, on a CAF built with it
#            (scripts/caf-tsan.sh: Debian's libcaf_core is not instrumented)
#   fuzz     each libFuzzer target for FUZZ_SECONDS (default 30) from its seed corpus
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$PWD/.ccache}"
for preset in release asan; do
  echo "=== $preset: build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
done
echo "=== tsan: build CAF with ThreadSanitizer, then the tsan preset"
scripts/caf-tsan.sh
cmake --preset tsan >/dev/null
cmake --build --preset tsan
status=0
capture="$PWD/build/openapi-capture.jsonl"
rm -f "$capture"
echo "=== release: test"
CRM_OPENAPI_CAPTURE="$capture" ctest --preset release -j2 || status=1
echo "=== openapi: lint docs/openapi.yaml, check $(wc -l <"$capture" 2>/dev/null || echo 0) captured answers"
tools/openapi/check.sh "$capture" || status=1
echo "=== asan: test"
ctest --preset asan -j2 || status=1
echo "=== tsan: test"
ctest --preset tsan -j2 || status=1
echo "=== fuzz: ${FUZZ_SECONDS:-30} s per target"
scripts/fuzz.sh "${FUZZ_SECONDS:-30}" || status=1
exit $status
