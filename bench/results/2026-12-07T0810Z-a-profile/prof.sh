#!/usr/bin/env bash
# scenario a: per-thread CPU over 20 s of the measured window, then a JFR recording in a second run
set -euo pipefail
cd /work/main
. bench/bench-common.sh
# The jar that ran: gateway/target/sluice-gateway.jar, HEAD (893380a) built at 08:03 (bench-common.sh had already set
# GATEWAY_JAR, so the default that stood here never applied). Set GATEWAY_JAR to re-run.
BENCH_JAR=/tmp/gcx/bench.jar
OUTD=${OUTD:-/tmp/gcx/prof}; mkdir -p $OUTD
JVM=("${GATEWAY_JVM[@]}" ${EXTRA_JVM:-})
trap stop_gateway EXIT
start_gateway $OUTD/a JVM --access-log=text
taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice \
  --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 10000 --topics per-stream \
  --rate 10000 --publishers 64 --duration 30s --warmup 5s >$OUTD/a.json 2>$OUTD/a.progress &
G=$!
sleep 15; bench/thread-cpu.sh snap $GW_PID > $OUTD/before
if [ -n "${JFR:-}" ]; then jcmd $GW_PID JFR.start name=p settings=$JFR duration=15s filename=$OUTD/a.jfr > /dev/null; fi
sleep 20; bench/thread-cpu.sh snap $GW_PID > $OUTD/after
wait $G || true
bench/thread-cpu.sh diff $OUTD/before $OUTD/after 200000
