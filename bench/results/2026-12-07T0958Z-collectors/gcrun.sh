#!/usr/bin/env bash
# scenario a, collector variants: OUTD VAR
set -euo pipefail
cd /work/main
GATEWAY_JAR=${GATEWAY_JAR:-/tmp/s2/gw.jar}; BENCH_JAR=${BENCH_JAR:-/tmp/s2/bench.jar}
. bench/bench-common.sh
OUTD=$1; VAR=$2; mkdir -p $OUTD
case $VAR in
  g1) J=(-Xms1g -Xmx1g -XX:+UseG1GC -XX:MaxTenuringThreshold=0);;
  serial) J=(-Xms1g -Xmx1g -XX:+UseSerialGC);;
  serial0) J=(-Xms1g -Xmx1g -XX:+UseSerialGC -XX:MaxTenuringThreshold=0);;
  parallel) J=(-Xms1g -Xmx1g -XX:+UseParallelGC -XX:ParallelGCThreads=1);;
  g1+) J=(-Xms1g -Xmx1g -XX:+UseG1GC -XX:MaxTenuringThreshold=0 ${G1_EXTRA:-});;  # later folders' G1 flag variants
esac
JVM=("${J[@]}" -Dio.netty.leakDetection.level=disabled "-Xlog:gc*:file=$OUTD/gc.log:uptime")
trap stop_gateway EXIT
start_gateway $OUTD/a JVM --access-log=text
echo "jar $GATEWAY_JAR" > $OUTD/jar.txt
taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice \
  --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 10000 --topics per-stream \
  --rate 10000 --publishers 64 --duration ${DUR:-30s} --warmup ${WU:-5s} >$OUTD/a.json 2>$OUTD/a.progress || true
