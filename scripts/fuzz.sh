#!/usr/bin/env bash
# Builds the fuzz preset (clang 14, libFuzzer, ASan + UBSan) and runs each target of fuzz/ for
# SECONDS (default 30), one after another, from a scratch copy of its seed corpus (the committed
# fuzz/corpus/ is never written). Fails when any target finds a crash, a sanitizer report, a
# failed check, a timeout or a leak; its reproducer is kept in build-fuzz/fuzz-crashes/.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
export CCACHE_DIR="${CCACHE_DIR:-$PWD/.ccache}"
echo "=== fuzz: build"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

# Symbolized stacks (Debian's llvm-14 has no unversioned llvm-symbolizer in PATH).
if [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi
scratch="$(mktemp -d "${TMPDIR:-/tmp}/crm-fuzz.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
crashes="$PWD/build-fuzz/fuzz-crashes"
status=0
summary=()
for target in fuzz_request fuzz_body fuzz_query fuzz_event; do
  work="$scratch/$target"
  mkdir -p "$work/corpus" "$work/tmp"
  cp fuzz/corpus/"$target"/* "$work/corpus/"
  # The targets that go through the actor runtime free on other threads what an input
  # allocated, so libFuzzer's per-input leak check would run LeakSanitizer after every input
  # (100 times slower); leaks are still checked when the run ends. fuzz_event is synchronous.
  leaks=1
  [ "$target" = fuzz_event ] || leaks=0
  echo "=== $target: ${seconds}s"
  rc=0
  # TMPDIR: the runtime's RocksDB directory, removed at exit.
  TMPDIR="$work/tmp" build-fuzz/fuzz/"$target" "$work/corpus" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=60 -detect_leaks="$leaks" \
    -print_final_stats=1 -artifact_prefix="$work/" >"$work/log" 2>&1 || rc=$?
  grep -E '^(stat::|Done )|ERROR|SUMMARY|fuzz check failed' "$work/log" || true
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")"
  if [ "$rc" -ne 0 ]; then
    status=1
    mkdir -p "$crashes"
    for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$work"/slow-unit-*; do
      [ -e "$a" ] && cp "$a" "$crashes/$target-$(basename "$a")"
    done
    cp "$work/log" "$crashes/$target.log"
    tail -60 "$work/log"
    summary+=("$target: FAILED (exit $rc), log and reproducer in $crashes/")
  else
    summary+=("$target: ok, ${runs:-?} runs, ${rate:-?} exec/s")
  fi
done
echo "=== fuzz: summary"
printf '%s\n' "${summary[@]}"
exit $status
