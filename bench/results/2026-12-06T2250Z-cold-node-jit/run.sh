#!/usr/bin/env bash
# scenario c by hand: prewarm server on CPU 0, cold gateway on CPU 1 with per-thread CPU sampling and PrintCompilation
set -euo pipefail
cd "$(dirname "$0")/../../.."   # the repository root
. bench/bench-common.sh
OUTD=${OUTD:-/tmp/cold/out}; mkdir -p $OUTD
EXTRA=(${EXTRA_JVM:-})
PJVM=("${GATEWAY_JVM[@]}")
GATEWAY_CPU=0 start_gateway $OUTD/pre PJVM; PRE=$GW_PID; PREPORT=$PORT; GW_PID=""
JVM=("${GATEWAY_JVM[@]}" "${EXTRA[@]}")
start_gateway $OUTD/cold JVM ${GW_EXTRA:-}
trap 'stop_gateway; kill $PRE 2>/dev/null; kill $SAMPLER 2>/dev/null' EXIT
( while kill -0 $GW_PID 2>/dev/null; do
    t=$(date +%s.%N | cut -c1-14)
    for f in /proc/$GW_PID/task/*; do n=$(tr -d ' ' <$f/comm 2>/dev/null); s=$(awk '{print $14+$15}' $f/stat 2>/dev/null) && echo "$t $n $s"; done
    sleep 1; done > $OUTD/threads.txt ) & SAMPLER=$!
taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice \
  --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 1000 --topics shared --rate 1000 \
  --publishers 32 --duration 10s --warmup 0s --grace 5s --prewarm-url http://127.0.0.1:$PREPORT --prewarm 10s \
  >$OUTD/c.json 2>$OUTD/c.progress || true
if [ -n "${TWICE:-}" ]; then sleep 3; taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice \
  --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 1000 --topics shared --rate 1000 \
  --publishers 32 --duration 10s --warmup 0s --grace 5s --prewarm-url http://127.0.0.1:$PREPORT --prewarm 10s \
  >$OUTD/c.json 2>$OUTD/c.progress || true; fi
grep measure $OUTD/c.progress | cut -c1-170
python3 - $OUTD/threads.txt <<'PY'
import sys,collections
rows=[l.split() for l in open(sys.argv[1])]
times=sorted(set(r[0] for r in rows))
byt=collections.defaultdict(dict)
for t,n,s in rows: byt[t][n]=byt[t].get(n,0)+int(s)
names=sorted({r[1] for r in rows})
prev=None
for t in times:
    cur=byt[t]
    if prev:
        d={n:cur.get(n,0)-prev.get(n,0) for n in names}
        print(t[-6:], ' '.join(f'{n[:10]}={v}' for n,v in sorted(d.items(),key=lambda x:-x[1]) if v>0)[:200])
    prev=cur
PY
