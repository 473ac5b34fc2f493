#!/usr/bin/env bash
# CPU per request by thread: runs wrk against crm-server (POST tickets, then NDR events with a
# call action to 50 reps), reads each thread's user+system time from /proc before and after,
# and prints microseconds of CPU per answered request by thread name (crm-journal, crm-io,
# crm-deadlines, the CAF scheduler threads under the process name, rocksdb:*).
#   bench/thread_cpu.sh            # 6 s per run
#   DURATION=10 bench/thread_cpu.sh
#   MODES="lead dispute" bench/thread_cpu.sh   # any BENCH_MODE of bench/wrk.lua that needs no seed
#   SERVER=/tmp/crm-before bench/thread_cpu.sh  # another build of crm-server (A/B)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target benches >/dev/null
DUR="${DURATION:-6}"
PORT=18903
TOKEN=bench-token
WORK=$(mktemp -d /tmp/crm-threads.XXXXXX)
CRM_PLATFORM_TOKEN=$TOKEN "${SERVER:-build/crm-server}" --listen 127.0.0.1:$PORT --data-dir "$WORK/data" --log-level warn 2>"$WORK/log" &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.05; done
H=(-H "Authorization: Bearer $TOKEN" -H "X-Company-Id: bench" -H "Content-Type: application/json")
for i in $(seq 1 50); do
  curl -s -o /dev/null "${H[@]}" -d "{\"name\":\"Rep $i\",\"email\":\"rep$i@bench.in\",\"phone\":\"9876543210\",\"territory\":\"T$(( i % 10 ))\"}" \
    "http://127.0.0.1:$PORT/api/v1/crm/sales-reps"
done
ticks() { # thread name -> clock ticks (utime + stime), summed over threads of that name
  for t in /proc/$PID/task/*; do
    local name stat
    name=$(cat "$t/comm" 2>/dev/null) || continue
    stat=$(cat "$t/stat" 2>/dev/null) || continue
    stat=${stat##*) }
    read -r -a f <<<"$stat"
    echo "$name ${f[11]} ${f[12]}"
  done | awk '{ t[$1] += $2 + $3 } END { for (n in t) print n, t[n] }' | sort
}
HZ=$(getconf CLK_TCK)
for mode in ${MODES:-post ndr}; do
  before=$(ticks)
  out=$(BENCH_MODE=$mode BENCH_TOKEN=$TOKEN BENCH_IDS=1000 BENCH_RUN=$RANDOM$RANDOM \
        wrk -t2 -c64 -d"${DUR}s" -s bench/wrk.lua "http://127.0.0.1:$PORT")
  after=$(ticks)
  requests=$(echo "$out" | awk '/requests in/ { print $1 }')
  echo "== $mode: $requests requests in ${DUR}s; CPU per request (us) by thread"
  join -a2 -e0 -o 0,1.2,2.2 <(echo "$before") <(echo "$after") \
    | awk -v hz="$HZ" -v n="$requests" '{ us = ($3 - $2) / hz * 1e6 / n; total += us; if (us >= 0.5) printf "  %-16s %6.1f\n", $1, us } END { printf "  %-16s %6.1f\n", "total", total }'
done
