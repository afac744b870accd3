#!/usr/bin/env bash
# Scenario a (as run-nchan-compare.sh runs it) with per-thread CPU over 20 s of the measured window and, with PERF=1,
# perf record of the gateway for 8 s of it (Java frames resolved through the JVM's perf map); also the gateway's minor
# page faults over those 20 s. The gateway inherits the environment (e.g. GLIBC_TUNABLES):
#   GATEWAY_JAR=... BENCH_JAR=... [PERF=1] [EXTRA_JVM="..."] [GW_ARGS="..."] a-perf.sh OUTD
set -euo pipefail
cd "$(dirname "$0")/../../.."
. bench/bench-common.sh
OUTD=$1; mkdir -p "$OUTD"
read -r -a EXTRA <<<"${EXTRA_JVM:-}"
read -r -a GWA <<<"${GW_ARGS:-}"
JVM=("${GATEWAY_JVM[@]}" "${EXTRA[@]}")
[ "${PERF:-0}" = 1 ] && JVM+=(-XX:+PreserveFramePointer -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit)
trap stop_gateway EXIT
start_gateway "$OUTD/g" JVM --access-log=text "${GWA[@]}"
taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice \
  --url "http://127.0.0.1:$PORT" --gateway-pid "$GW_PID" --payload 150 --batch 1 --streams 10000 --topics per-stream \
  --rate 10000 --publishers 64 --duration 30s --warmup 5s >"$OUTD/run.json" 2>"$OUTD/run.progress" &
G=$!
sleep 14
bench/thread-cpu.sh snap "$GW_PID" >"$OUTD/threads.before"
f0=$(awk '{print $10}' "/proc/$GW_PID/stat")
if [ "${PERF:-0}" = 1 ]; then
  sleep 6; perf record -F 2999 -g -p "$GW_PID" -o "$OUTD/perf.data" -- sleep 8 >/dev/null 2>&1; sleep 6
else
  sleep 20
fi
bench/thread-cpu.sh snap "$GW_PID" >"$OUTD/threads.after"
f1=$(awk '{print $10}' "/proc/$GW_PID/stat")
bench/thread-cpu.sh diff "$OUTD/threads.before" "$OUTD/threads.after" 200000 >"$OUTD/threads.txt"
echo "minor page faults per operation: $(python3 -c "print(round(($f1 - $f0) / 200000, 4))")" >>"$OUTD/threads.txt"
wait $G || true
stop_gateway
cp "/tmp/perf-$GW_PID.map" "$OUTD/" 2>/dev/null || true
grep -v '^time=' "$OUTD/g.gateway.err" >"$OUTD/g.err.tmp" || true; mv "$OUTD/g.err.tmp" "$OUTD/g.gateway.err"
echo "pid $GW_PID"
