#!/usr/bin/env bash
# scenario d's ramp against one gateway with a GC log: OUTD
set -euo pipefail
cd /work/main
. bench/bench-common.sh
OUTD=$1; mkdir -p $OUTD
JVM=("${GATEWAY_JVM[@]}" "-Xlog:gc:file=$OUTD/gc.log:uptime")
trap stop_gateway EXIT
start_gateway $OUTD/d JVM
grep -m1 "^sluice listening" $OUTD/d.gateway.out > /dev/null; date +%s.%N > $OUTD/listening.txt
taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice \
  --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 1000 --topics shared --rate 25 \
  --publishers 32 --ramp --ramp-step 1.5 --ramp-interval 4s --ramp-p99-limit 50ms --duration 60s --warmup 10s \
  >$OUTD/d.json 2>$OUTD/d.progress || true
