#!/usr/bin/env bash
# scenario a with perf record of the gateway for 8 s in its measured window: OUTD
set -euo pipefail
cd /work/main
GATEWAY_JAR=${GATEWAY_JAR:-/tmp/s3/jars/gw-acc.jar}; BENCH_JAR=/tmp/s3/jars/bench.jar
. bench/bench-common.sh
OUTD=$1; mkdir -p $OUTD
JVM=("${GATEWAY_JVM[@]}" -XX:+PreserveFramePointer -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit)
trap stop_gateway EXIT
start_gateway $OUTD/g JVM --access-log=text
taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice \
  --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 10000 --topics per-stream \
  --rate 10000 --publishers 64 --duration 30s --warmup 5s >$OUTD/run.json 2>$OUTD/run.progress &
G=$!
sleep 22
perf record -F 2999 -g -p $GW_PID -o $OUTD/perf.data -- sleep 8 > /dev/null 2>&1
wait $G || true
stop_gateway
cp /tmp/perf-$GW_PID.map $OUTD/ 2>/dev/null || true
echo "pid $GW_PID"
