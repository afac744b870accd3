#!/usr/bin/env bash
set -euo pipefail
cd /work/main
. bench/bench-common.sh
OUTD=${OUTD:-/tmp/agc/histo}; mkdir -p $OUTD
JVM=("${GATEWAY_JVM[@]}")
trap stop_gateway EXIT
start_gateway $OUTD/a JVM --access-log=text
taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice \
  --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 10000 --topics per-stream \
  --rate 10000 --publishers 64 --duration 40s --warmup 5s >$OUTD/a.json 2>$OUTD/a.progress &
G=$!
sleep 25; jcmd $GW_PID GC.class_histogram > $OUTD/h1.txt
sleep 10; jcmd $GW_PID GC.class_histogram > $OUTD/h2.txt
wait $G || true
