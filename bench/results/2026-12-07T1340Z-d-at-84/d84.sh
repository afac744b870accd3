#!/usr/bin/env bash
# d at a fixed rate: OUTD RATE [generator extra args...]
set -euo pipefail
cd /work/main
GATEWAY_JAR=${GATEWAY_JAR:-/tmp/s3/gw.jar}; BENCH_JAR=${BENCH_JAR:-/tmp/s3/bench.jar}
. bench/bench-common.sh
OUTD=$1; RATE=$2; shift 2; mkdir -p $OUTD
trap stop_gateway EXIT
start_gateway $OUTD/d GATEWAY_JVM
taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice \
  --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 1000 --topics shared \
  --rate $RATE --publishers 32 --duration ${DUR:-30s} --warmup ${WU:-10s} "$@" >$OUTD/d.json 2>$OUTD/d.progress &
GEN=$!
sleep 25
GPID=$(pgrep -f "LoadGenerator --server sluice --url http://127.0.0.1:$PORT" | head -1)
bench/thread-cpu.sh snap $GPID > $OUTD/gen.before; bench/thread-cpu.sh snap $GW_PID > $OUTD/gw.before
sleep 10
bench/thread-cpu.sh snap $GPID > $OUTD/gen.after; bench/thread-cpu.sh snap $GW_PID > $OUTD/gw.after
if [ -n "${STRACE:-}" ]; then
  for t in /proc/$GPID/task/*; do n=$(cat $t/comm); case $n in loadgen-streams*) timeout 3 strace -c -f -p $(basename $t) 2> $OUTD/strace.$(basename $t).txt || true;; esac; done
fi
if [ -n "${PERF:-}" ]; then perf record -o $OUTD/perf0.data -C 0 -g -- sleep 4 >/dev/null 2>&1; perf record -o $OUTD/perf1.data -C 1 -g -- sleep 4 >/dev/null 2>&1; fi
wait $GEN || true
OPS=$((RATE*1000*10))
echo "== generator per delivery"; bench/thread-cpu.sh diff $OUTD/gen.before $OUTD/gen.after $OPS
echo "== gateway per delivery"; bench/thread-cpu.sh diff $OUTD/gw.before $OUTD/gw.after $OPS
python3 -c "import json;d=json.load(open('$OUTD/d.json'));print('latency',d.get('latencyMs'))"
