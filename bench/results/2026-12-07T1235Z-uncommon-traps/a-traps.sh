#!/usr/bin/env bash
# scenario a (or c-like with SCEN=c) with LogCompilation: OUTD
set -euo pipefail
cd /work/main
GATEWAY_JAR=${GATEWAY_JAR:-/tmp/s3/new/gw.jar}; BENCH_JAR=/tmp/s3/bench.jar
. bench/bench-common.sh
OUTD=$1; mkdir -p $OUTD
JVM=("${GATEWAY_JVM[@]}" -XX:+PrintCompilation -XX:+UnlockDiagnosticVMOptions -XX:+LogCompilation -XX:LogFile=$OUTD/comp.log)
trap stop_gateway EXIT
if [ "${SCEN:-a}" = a ]; then
start_gateway $OUTD/g JVM --access-log=text
taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice \
  --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 10000 --topics per-stream \
  --rate 10000 --publishers 64 --duration 20s --warmup 5s >$OUTD/run.json 2>$OUTD/run.progress || true
else
start_gateway $OUTD/g JVM
taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice \
  --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 1000 --topics shared \
  --rate 1000 --publishers 32 --duration 10s --warmup 0s --grace 5s >$OUTD/run.json 2>$OUTD/run.progress || true
fi
