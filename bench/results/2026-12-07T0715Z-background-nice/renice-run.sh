#!/usr/bin/env bash
# scenario a, GC variants; NICE_PAT: regex of thread names (comm) reniced to 19 after the listening line
set -euo pipefail
cd /work/main
. bench/bench-common.sh
GATEWAY_JAR=/tmp/gcx/sluice-gateway.jar
OUTD=$1; VAR=$2; mkdir -p $OUTD
case $VAR in
  g1) J=(-Xms1g -Xmx1g -XX:+UseG1GC -XX:MaxTenuringThreshold=0); NICE_PAT="";;
  g1nice) J=(-Xms1g -Xmx1g -XX:+UseG1GC -XX:MaxTenuringThreshold=0); NICE_PAT="^(G1 |C2 |C1 )";;
  zgc) J=(-Xms1g -Xmx1g -XX:+UseZGC); NICE_PAT="";;
  zgcnice) J=(-Xms1g -Xmx1g -XX:+UseZGC); NICE_PAT="^(Z|C2 |C1 )";;
  g1gc) J=(-Xms1g -Xmx1g -XX:+UseG1GC -XX:MaxTenuringThreshold=0); NICE_PAT="^G1 ";;
  g1comp) J=(-Xms1g -Xmx1g -XX:+UseG1GC -XX:MaxTenuringThreshold=0); NICE_PAT="^(C2 |C1 )";;
  zgcgc) J=(-Xms1g -Xmx1g -XX:+UseZGC); NICE_PAT="^Z";;
  shen) J=(-Xms1g -Xmx1g -XX:+UseShenandoahGC); NICE_PAT="";;
  shennice) J=(-Xms1g -Xmx1g -XX:+UseShenandoahGC); NICE_PAT="^(Shen|C2 |C1 )";;
esac
JVM=("${J[@]}" -Dio.netty.leakDetection.level=disabled "-Xlog:gc*:file=$OUTD/gc.log:uptime")
trap stop_gateway EXIT
start_gateway $OUTD/a JVM --access-log=text
if [ -n "$NICE_PAT" ]; then
  for t in /proc/$GW_PID/task/*; do c=$(cat $t/comm); if [[ "$c" =~ $NICE_PAT ]]; then renice -n 19 -p $(basename $t) >/dev/null; echo "niced $c" >> $OUTD/niced.txt; fi; done
fi
taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice \
  --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 10000 --topics per-stream \
  --rate 10000 --publishers 64 --duration ${DUR:-30s} --warmup ${WU:-5s} >$OUTD/a.json 2>$OUTD/a.progress || true
