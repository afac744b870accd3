#!/usr/bin/env bash
# scenario b's fresh wave against HEAD with -XX:+PrintCompilation: what C2 compiles under the first real wave
set -uo pipefail
cd /work/main
. bench/bench-common.sh
# GATEWAY_JAR comes from the environment (set before bench-common.sh reads it): the runs below had HEAD's build.
BENCH_JAR=/tmp/gcx/bench.jar
OUTD=${OUTD:-/tmp/gcx/bcomp}; mkdir -p $OUTD
JVM=("${GATEWAY_JVM[@]}" -XX:+PrintCompilation ${EXTRA_JVM:-})
trap stop_gateway EXIT
start_gateway $OUTD/b JVM
L=$(wc -l < $OUTD/b.gateway.out)
taskset -c 0 java -Xms1g -Xmx1g -XX:+UseParallelGC -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 19000 --processes 2 --source-addresses 127.0.0.1 --topics per-stream --rate 0 --duration 1s --warmup 0s --connect-timeout 60s > $OUTD/cold.json 2> $OUTD/cold.progress
sleep 1
tail -n +$L $OUTD/b.gateway.out > $OUTD/after-listening.txt
python3 -c "import json;print('cpu/stream', json.load(open('$OUTD/cold.json'))['gateway']['cpuMicrosPerNewStream'])"
