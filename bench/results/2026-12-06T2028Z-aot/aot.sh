#!/usr/bin/env bash
# JDK 25 AOT cache experiment: start-up to listening, and CPU per new stream of a cold 19k wave
set -uo pipefail
cd /work/wt-perf
BENCH_JAR=/tmp/jars/final/sluice-benchmarks.jar
. bench/bench-common.sh
GATEWAY_JAR=/tmp/jars/final/sluice-gateway.jar
J25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
OUT=/tmp/prof/aot; mkdir -p $OUT
wave() { # $1 tag, rest: java cmd
  local tag=$1; shift
  local port; port=$(free_port)
  local t0; t0=$(date +%s%N)
  taskset -c 1 "$@" -jar $GATEWAY_JAR --port=$port "${GATEWAY_FLAGS[@]}" ${GWX:-} > $OUT/$tag.out 2> $OUT/$tag.err &
  local pid=$!
  for _ in $(seq 1 300); do grep -q '^sluice listening' $OUT/$tag.out 2>/dev/null && break; sleep 0.05; done
  local t1; t1=$(date +%s%N)
  local cpu0; cpu0=$(awk '{print ($14+$15)}' /proc/$pid/stat)
  taskset -c 0 java "${GENERATOR_JVM[@]}" -cp $BENCH_JAR io.sluice.bench.load.LoadGenerator --url http://127.0.0.1:$port --gateway-pid $pid \
    --payload 150 --batch 1 --streams 19000 --processes 2 --source-addresses 127.0.0.1 --topics per-stream --rate 0 --duration 1s --warmup 0s --connect-timeout 60s > $OUT/$tag.json 2> $OUT/$tag.progress
  kill -TERM $pid; wait $pid
  python3 -c "
import json;d=json.load(open('$OUT/$tag.json'));print('$tag', 'listening after', ($t1-$t0)//1000000, 'ms; cpu at listen', $cpu0/100, 's; per new stream', d['gateway'].get('cpuMicrosPerNewStream'), 'us; load', open('/proc/loadavg').read().split()[0])"
}
case "${1:-run}" in
train)
  # training run: the cache is written when the JVM exits
  GWX="--warmup=3s" wave train25 $J25 -XX:AOTCacheOutput=$OUT/sluice.aot -Xms1g -Xmx1g -XX:+UseG1GC -Dio.netty.leakDetection.level=disabled
  ls -la $OUT/sluice.aot ;;
run)
  GWX="--warmup=0s" wave j25-plain-nowarm $J25 -Xms1g -Xmx1g -XX:+UseG1GC -Dio.netty.leakDetection.level=disabled
  GWX="--warmup=0s" wave j25-aot-nowarm $J25 -XX:AOTCache=$OUT/sluice.aot -Xms1g -Xmx1g -XX:+UseG1GC -Dio.netty.leakDetection.level=disabled
  GWX="--warmup=3s" wave j25-aot-warm $J25 -XX:AOTCache=$OUT/sluice.aot -Xms1g -Xmx1g -XX:+UseG1GC -Dio.netty.leakDetection.level=disabled
  GWX="--warmup=3s" wave j25-plain-warm $J25 -Xms1g -Xmx1g -XX:+UseG1GC -Dio.netty.leakDetection.level=disabled
  GWX="--warmup=3s" wave j17-warm java -Xms1g -Xmx1g -XX:+UseG1GC -XX:-UseCodeCacheFlushing -Dio.netty.leakDetection.level=disabled
  GWX="--warmup=0s" wave j17-nowarm java -Xms1g -Xmx1g -XX:+UseG1GC -XX:-UseCodeCacheFlushing -Dio.netty.leakDetection.level=disabled ;;
esac
