#!/usr/bin/env bash
# class histograms of a gateway with no streams and holding 19,000 streams (a topic each): OUTD
set -euo pipefail
cd /work/main
GATEWAY_JAR=${GATEWAY_JAR:-/tmp/s3/gw.jar}; BENCH_JAR=/tmp/s3/bench.jar
. bench/bench-common.sh
OUTD=$1; mkdir -p $OUTD
JVM=("${GATEWAY_JVM[@]}")
trap stop_gateway EXIT
start_gateway $OUTD/b JVM
jmap -histo:live $GW_PID > $OUTD/h0.txt
taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice \
  --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 19000 --processes 2 \
  --source-addresses 127.0.0.1 --topics per-stream --rate 0 --duration 25s --warmup 0s --connect-timeout 60s >$OUTD/b.json 2>$OUTD/b.progress &
G=$!
for i in $(seq 1 300); do [ "$(ss -Htn state established "( sport = :$PORT )" | wc -l)" -ge 19000 ] && break; sleep 0.2; done
sleep 2; jmap -histo:live $GW_PID > $OUTD/h1.txt
wait $G || true
