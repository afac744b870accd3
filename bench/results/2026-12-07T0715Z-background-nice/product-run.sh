#!/usr/bin/env bash
# scenario a with the product's backgroundThreadNice: variants g1off g1 zgc zgcoff
set -euo pipefail
cd /work/main
. bench/bench-common.sh
# The jar that ran: gateway/target/sluice-gateway.jar as built at 07:40 from backgroundThreadNice.diff (bench-common.sh
# had already set GATEWAY_JAR, so a default here never applied). Set GATEWAY_JAR to re-run.
OUTD=$1; VAR=$2; mkdir -p $OUTD
case $VAR in
  g1off) J=(-Xms1g -Xmx1g -XX:+UseG1GC -XX:MaxTenuringThreshold=0); A=(--background-thread-nice=0);;
  g1) J=(-Xms1g -Xmx1g -XX:+UseG1GC -XX:MaxTenuringThreshold=0); A=();;
  zgc) J=(-Xms1g -Xmx1g -XX:+UseZGC); A=();;
  zgcoff) J=(-Xms1g -Xmx1g -XX:+UseZGC); A=(--background-thread-nice=0);;
esac
JVM=("${J[@]}" -Dio.netty.leakDetection.level=disabled "-Xlog:gc*:file=$OUTD/gc.log:uptime")
trap stop_gateway EXIT
start_gateway $OUTD/a JVM --access-log=text "${A[@]}"
for t in /proc/$GW_PID/task/*; do echo "$(cat $t/comm) $(sed -E 's/^.*\) //' $t/stat | awk '{print $17}')"; done > $OUTD/nice.txt
taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice \
  --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 10000 --topics per-stream \
  --rate 10000 --publishers 64 --duration ${DUR:-30s} --warmup ${WU:-5s} >$OUTD/a.json 2>$OUTD/a.progress || true
