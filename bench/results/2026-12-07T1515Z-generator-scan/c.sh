#!/usr/bin/env bash
# scenario c as run-nchan-compare runs it (prewarm server on CPU 0, fresh gateway on CPU 1); generator threads' CPU per second
set -uo pipefail
cd /work/main
. bench/bench-common.sh
OUTD=${OUTD:-/tmp/genscan/c}; mkdir -p $OUTD
GENX=(${GEN_EXTRA:-})
cleanup() { stop_gateway; [ -n "${PW:-}" ] && kill $PW 2>/dev/null; wait 2>/dev/null; }
trap cleanup EXIT
GATEWAY_CPU=0 start_gateway $OUTD/prewarm GATEWAY_JVM; PW=$GW_PID; PWURL=http://127.0.0.1:$PORT; GW_PID=""
start_gateway $OUTD/gw GATEWAY_JVM
taskset -c 0 java "${GENERATOR_JVM[@]}" "${GENX[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 1000 --topics shared --rate 1000 --publishers 32 --duration 10s --warmup 0s --grace 5s --prewarm-url $PWURL --prewarm ${PREWARM:-10s} > $OUTD/c.json 2> $OUTD/c.progress &
G=$!
sleep 1
GP=$(pgrep -f "LoadGenerator.*--prewarm-url" | head -1)
while kill -0 $G 2>/dev/null; do
  echo "t $(date +%s.%N | cut -c1-14) $(for t in /proc/$GP/task/*; do c=$(cat $t/comm 2>/dev/null | tr ' ' '_'); s=$(sed -E 's/^.*\) //' $t/stat 2>/dev/null | awk '{print $12+$13}'); echo "$c=$s"; done | grep -E "C2|C1|loadgen|GC" | tr '\n' ' ')"
  sleep 1
done > $OUTD/threads.txt
wait $G
