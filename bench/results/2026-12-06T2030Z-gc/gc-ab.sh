#!/usr/bin/env bash
# own_topics (access log on) with different collectors, interleaved; gc log kept
set -uo pipefail
cd /work/wt-perf
BENCH_JAR=/tmp/jars/final/sluice-benchmarks.jar
. bench/bench-common.sh
GATEWAY_JAR=/tmp/jars/final/sluice-gateway.jar
GATEWAY_FLAGS=(--management-port=0 --bind-address=127.0.0.1 --dev-clock=false --event-loop-threads=1 --access-log=text
  --max-connections=10000000 --max-connections-per-user=10000000)
one() {
  local tag=$1; shift
  local OUT=/tmp/prof/gc/$tag; mkdir -p $OUT
  local JV=(-Xms1g -Xmx1g -XX:-UseCodeCacheFlushing -Dio.netty.leakDetection.level=disabled -Xlog:gc,gc+phases:file=$OUT/gc.log:uptime "$@")
  local la; la=$(cut -d' ' -f1 /proc/loadavg)
  start_gateway $OUT/gw JV
  taskset -c 0 java "${GENERATOR_JVM[@]}" -cp $BENCH_JAR io.sluice.bench.load.LoadGenerator --url http://127.0.0.1:$PORT --gateway-pid $GW_PID \
    --payload 150 --batch 1 --streams 10000 --topics per-stream --rate 10000 --publishers 64 --duration 30s --warmup 5s > $OUT/gen.json 2> $OUT/gen.progress
  stop_gateway
  python3 /tmp/prof/gcsum.py $tag $OUT "$la"
}
for r in 1 2; do
  one g1-r$r -XX:+UseG1GC
  one zgc-r$r -XX:+UseZGC
  one g1p5-r$r -XX:+UseG1GC -XX:MaxGCPauseMillis=5
done
