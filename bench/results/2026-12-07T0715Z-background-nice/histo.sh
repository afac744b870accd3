#!/usr/bin/env bash
set -euo pipefail
cd /work/main
. bench/bench-common.sh
GATEWAY_JAR=/tmp/gcx/head.jar
OUTD=/tmp/gcx/histo; mkdir -p $OUTD
JVM=("${GATEWAY_JVM[@]}")
trap stop_gateway EXIT
start_gateway $OUTD/a JVM --access-log=text
taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice \
  --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 10000 --topics per-stream \
  --rate 10000 --publishers 64 --duration 30s --warmup 5s >$OUTD/a.json 2>$OUTD/a.progress &
G=$!
sleep 20; jmap -histo:live $GW_PID > $OUTD/h1.txt; date +%s.%N > $OUTD/t1
sleep 10; jmap -histo:live $GW_PID > $OUTD/h2.txt; date +%s.%N > $OUTD/t2
wait $G || true
