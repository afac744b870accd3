#!/usr/bin/env bash
# class histograms of a gateway 20 s and 30 s into scenario a: JAR OUTD
set -euo pipefail
cd /work/main
GATEWAY_JAR=$1; BENCH_JAR=/tmp/s2/bench.jar
. bench/bench-common.sh
OUTD=$2; mkdir -p $OUTD
JVM=("${GATEWAY_JVM[@]}")
trap stop_gateway EXIT
start_gateway $OUTD/a JVM --access-log=text
taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice \
  --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 10000 --topics per-stream \
  --rate 10000 --publishers 64 --duration 30s --warmup 5s >$OUTD/a.json 2>$OUTD/a.progress &
G=$!
sleep 20; jmap -histo:live $GW_PID > $OUTD/h1.txt; curl -s http://127.0.0.1:$(grep -o 'managementPort=[0-9]*' $OUTD/a.gateway.out | cut -d= -f2)/metrics | grep -E "^sluice_history_(events|bytes|slack)" > $OUTD/m1.txt || true
sleep 10; jmap -histo:live $GW_PID > $OUTD/h2.txt; curl -s http://127.0.0.1:$(grep -o 'managementPort=[0-9]*' $OUTD/a.gateway.out | cut -d= -f2)/metrics | grep -E "^sluice_history_(events|bytes|slack)" > $OUTD/m2.txt || true
wait $G || true
