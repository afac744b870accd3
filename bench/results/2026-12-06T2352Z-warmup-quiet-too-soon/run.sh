#!/usr/bin/env bash
# scenario a with per-thread user/system ticks over 20 s of the measured window
set -euo pipefail
cd /work/main
. bench/bench-common.sh
OUTD=${OUTD:-/tmp/aprof/out}; mkdir -p $OUTD
JVM=("${GATEWAY_JVM[@]}" ${EXTRA_JVM:-})
trap stop_gateway EXIT
start_gateway $OUTD/a JVM --access-log=text ${GW_EXTRA:-}
snap() { for f in /proc/$GW_PID/task/*; do echo "$(tr -d ' ' <$f/comm) $(awk '{print $14, $15}' $f/stat)"; done; }
taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server sluice \
  --url http://127.0.0.1:$PORT --gateway-pid $GW_PID --payload 150 --batch 1 --streams 10000 --topics per-stream \
  --rate 10000 --publishers 64 --duration 30s --warmup 5s >$OUTD/a.json 2>$OUTD/a.progress & G=$!
sleep 12; snap > $OUTD/t0; sleep 20; snap > $OUTD/t1; wait $G || true
python3 - $OUTD/t0 $OUTD/t1 $OUTD/a.json <<'PY'
import sys,json,collections
def rd(f):
    d=collections.defaultdict(lambda:[0,0])
    for l in open(f):
        n,u,s=l.split(); d[n][0]+=int(u); d[n][1]+=int(s)
    return d
a,b=rd(sys.argv[1]),rd(sys.argv[2])
j=json.load(open(sys.argv[3])); print('cpu/event', j['gateway']['cpuMicrosPerPublishedEvent'], 'p99', j['latencyMs']['p99'])
ev=10000*20
tot=[0,0]
for n in b:
    du=b[n][0]-a.get(n,[0,0])[0]; ds=b[n][1]-a.get(n,[0,0])[1]
    tot[0]+=du; tot[1]+=ds
    if du+ds>0: print(f'{n:20s} user {du*1e4/ev:6.2f} us  sys {ds*1e4/ev:6.2f} us per event')
print(f'TOTAL user {tot[0]*1e4/ev:.1f} sys {tot[1]*1e4/ev:.1f}')
PY
