#!/usr/bin/env bash
# scenario a with GC phase logging: gateway (access log text) pinned to 1, generator to 0
set -euo pipefail
cd /work/main
. bench/bench-common.sh
OUTD=${OUTD:-/tmp/agc/out}; mkdir -p $OUTD
EXTRA=(${EXTRA_JVM:-})
JVM=("${GATEWAY_JVM[@]}" "${EXTRA[@]}" "-Xlog:gc*,gc+phases=debug:file=$OUTD/gc.log:uptime")
trap stop_gateway EXIT
start_gateway $OUTD/a JVM --access-log=text ${GW_ARGS:-}
taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice \
  --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 10000 --topics per-stream \
  --rate 10000 --publishers 64 --duration ${DUR:-30s} --warmup ${WU:-5s} >$OUTD/a.json 2>$OUTD/a.progress || true
grep '^loadgen:' $OUTD/a.progress | tail -3
python3 - $OUTD/a.json <<'PY'
import json,sys
d=json.load(open(sys.argv[1]))
l=d.get('latencyMillis') or d.get('latency')
print(json.dumps(l)[:400]); g=d.get('gateway',{}); print({k:g[k] for k in g if 'cpu' in k.lower()})
PY
