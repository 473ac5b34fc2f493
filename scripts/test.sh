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
failed=()
step() { # step NAME COMMAND...: runs it, and notes its failure for the summary at the end
  local name="$1"
  shift
  "$@" || { status=1; failed+=("$name"); }
}
# ctest lists the tests that failed here; shown again at the end, where a CI log's tail is read.
rm -f build*/Testing/Temporary/LastTestsFailed*.log
capture="$PWD/build/openapi-capture.jsonl"
rm -f "$capture"
echo "=== release: test"
CRM_OPENAPI_CAPTURE="$capture" step release ctest --preset release -j2
echo "=== openapi: lint docs/openapi.yaml, check $(wc -l <"$capture" 2>/dev/null || echo 0) captured answers"
step openapi tools/openapi/check.sh "$capture"
echo "=== asan: test"
step asan ctest --preset asan -j2
echo "=== tsan: test"
step tsan ctest --preset tsan -j2
echo "=== fuzz: ${FUZZ_SECONDS:-30} s per target"
step fuzz scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
if [ "$status" -eq 0 ]; then
  echo "=== test summary: every step passed (release, openapi, asan, tsan, fuzz)"
else
  echo "=== test summary: FAILED: ${failed[*]} (search this log for '=== <step>')"
  for f in build*/Testing/Temporary/LastTestsFailed*.log; do
    [ -s "$f" ] && { echo "--- failed tests in ${f%%/*}:"; cat "$f"; }
  done
fi
exit $status
