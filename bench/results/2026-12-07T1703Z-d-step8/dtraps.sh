#!/usr/bin/env bash
# scenario d's ramp against one gateway with LogCompilation and PrintCompilation: OUTD; the generator's start in the
# gateway's uptime goes to OUTD/gen-start-uptime.txt
set -euo pipefail
cd /work/main
. bench/bench-common.sh
OUTD=$1; mkdir -p $OUTD
JVM=("${GATEWAY_JVM[@]}" -XX:+PrintCompilation -XX:+UnlockDiagnosticVMOptions -XX:+LogCompilation -XX:LogFile=$OUTD/comp.log)
trap stop_gateway EXIT
start_gateway $OUTD/d JVM
up() { awk -v hz=$(getconf CLK_TCK) -v st=$(awk '{print $22}' /proc/$GW_PID/stat) '{printf "%.3f\n", $1 - st/hz}' /proc/uptime; }
up > $OUTD/gen-start-uptime.txt
taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice \
  --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 1000 --topics shared --rate 25 \
  --publishers 32 --ramp --ramp-step 1.5 --ramp-interval 4s --ramp-p99-limit 50ms --duration 60s --warmup 10s \
  >$OUTD/d.json 2>$OUTD/d.progress || true
