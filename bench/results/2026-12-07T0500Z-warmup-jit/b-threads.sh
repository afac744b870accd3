#!/usr/bin/env bash
# scenario b's cold and warm waves against one gateway, per-thread CPU ticks (utime, stime) over each wave
set -uo pipefail
cd /work/main
. bench/bench-common.sh
OUTD=${OUTD:-/tmp/bw/out}; mkdir -p $OUTD
EXTRA=(${EXTRA_JVM:-})
JVM=("${GATEWAY_JVM[@]}" "${EXTRA[@]}")
trap stop_gateway EXIT
if [ -n "${HOG:-}" ]; then taskset -c 1 sh -c 'while :; do :; done' & HOG_PID=$!; fi
start_gateway $OUTD/b JVM ${GW_ARGS:-}
if [ -n "${HOG:-}" ]; then kill $HOG_PID; wait $HOG_PID 2>/dev/null; fi
# CTX=1: also the loop thread's context switches (voluntary and not) per stream over each wave (later folders)
ctxs() { for t in /proc/$GW_PID/task/*; do [ "$(cat $t/comm)" = sluice-loop-2-1 ] && awk "/voluntary_ctxt_switches/ {s+=\$2} END {print s}" $t/status; done; }
snap() { for t in /proc/$GW_PID/task/*; do echo "$(cat $t/comm | tr ' ' '_') $(sed -E 's/^.*\) //' $t/stat | awk '{print $12, $13}')"; done | awk '{u[$1]+=$2; s[$1]+=$3} END {for (k in u) print k, u[k], s[k]}' | sort > $1; wc -l < $OUTD/b.gateway.out > $1.lines; }
wave() {
  [ -n "${CTX:-}" ] && c0=$(ctxs)
  snap $OUTD/$1.before
  taskset -c 0 java -Xms1g -Xmx1g -XX:+UseParallelGC -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 19000 --processes 2 --source-addresses 127.0.0.1 --topics per-stream --rate 0 --duration 1s --warmup 0s --connect-timeout 60s > $OUTD/$1.json 2> $OUTD/$1.progress
  snap $OUTD/$1.after
  if [ -n "${CTX:-}" ]; then c1=$(ctxs); echo "ctx $1 loop context switches per stream $(( (c1 - c0) * 100 / 19000 ))/100"; fi
  echo "== $1 cpu/stream $(python3 -c "import json;print(json.load(open('$OUTD/$1.json'))['gateway']['cpuMicrosPerNewStream'])")"
  join $OUTD/$1.before $OUTD/$1.after | awk '{du=$4-$2; ds=$5-$3; if (du+ds>0) printf "  %-22s user %4d sys %4d (us/stream %.1f)\n", $1, du, ds, (du+ds)*10000/19000}' | sort -k5 -nr
}
wave cold
for i in $(seq 1 100); do [ "$(ss -Htn state established "( sport = :$PORT )" | wc -l)" -lt 10 ] && break; sleep 0.2; done
# PERF_WARM=1: perf record of the gateway over the warm wave into $OUTD/perf.data (later folders' profiles)
if [ -n "${PERF_WARM:-}" ]; then perf record -F 2999 -g -p $GW_PID -o $OUTD/perf.data >/dev/null 2>&1 & PERF=$!; sleep 1; fi
wave warm
if [ -n "${PERF_WARM:-}" ]; then kill -INT $PERF; wait $PERF 2>/dev/null; echo "pid $GW_PID" > $OUTD/pid.txt; fi
