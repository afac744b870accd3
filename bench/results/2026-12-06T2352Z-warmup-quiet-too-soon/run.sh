#!/usr/bin/env bash
# scenario a with per-thread user/system ticks over 20 s of the measured window
set -euo pipefail
cd "$(dirname "$0")/../../.."   # the repository root
. bench/bench-common.sh
OUTD=${OUTD:-/tmp/aprof/out}; mkdir -p $OUTD
JVM=("${GATEWAY_JVM[@]}" ${EXTRA_JVM:-})
trap stop_gateway EXIT
start_gateway $OUTD/a JVM --access-log=text ${GW_EXTRA:-}
snap() { bench/thread-cpu.sh snap $GW_PID; }
taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice \
  --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 10000 --topics per-stream \
  --rate 10000 --publishers 64 --duration 30s --warmup 5s >$OUTD/a.json 2>$OUTD/a.progress & G=$!
sleep 12; snap > $OUTD/t0; sleep 20; snap > $OUTD/t1; wait $G || true
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print("cpu/event", j["gateway"]["cpuMicrosPerPublishedEvent"], "p99", j["latencyMs"]["p99"])' $OUTD/a.json
bench/thread-cpu.sh diff $OUTD/t0 $OUTD/t1 200000   # 20 s at 10,000 events/s
