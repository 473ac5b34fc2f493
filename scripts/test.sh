#!/usr/bin/env bash
# Installs what is missing, builds the release and the asan (ASan + UBSan) presets, and runs
# the whole suite on both: unit, storage, actor, black-box and crash tests.
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
for preset in release asan; do
  echo "=== $preset: test"
  ctest --preset "$preset" -j2 || status=1
done
exit $status
