#!/usr/bin/env bash
set -uo pipefail
cd /work/wt-perf
BENCH_JAR=/tmp/jars/final/sluice-benchmarks.jar
. bench/bench-common.sh
GATEWAY_JAR=/tmp/jars/final/sluice-gateway.jar
OUT=/tmp/prof/${TAG:-streams-threads}; mkdir -p $OUT
JV=(-Xms1g -Xmx1g -XX:+UseG1GC -Dio.netty.leakDetection.level=disabled -Xlog:gc:file=$OUT/gc.log:uptime ${JVMX:-})
snap() { for t in /proc/$GW_PID/task/*; do echo "$(cat $t/comm | tr ' ' '_') $(sed 's/.*) //' $t/stat | awk '{print $12, $13}')"; done > $OUT/$1; }
start_gateway $OUT/gw JV ${GWX:-}
for w in ${WAVES:-1 2}; do
  snap s$w.before
  taskset -c 0 java "${GENERATOR_JVM[@]}" -cp $BENCH_JAR io.sluice.bench.load.LoadGenerator --url http://127.0.0.1:$PORT --gateway-pid $GW_PID \
    --payload 150 --batch 1 --streams 19000 --processes 2 --source-addresses 127.0.0.1 --topics per-stream --rate 0 --duration 1s --warmup 0s --connect-timeout 60s > $OUT/w$w.json 2> $OUT/w$w.progress
  snap s$w.after
  python3 - $OUT/s$w.before $OUT/s$w.after $OUT/w$w.json <<'PY'
import sys,json,collections
def rd(f):
    d=collections.Counter(); s=collections.Counter()
    for l in open(f):
        n,u,k=l.split(); n=n.rstrip('0123456789#-_'); d[n]+=int(u); s[n]+=int(k)
    return d,s
bu,bs=rd(sys.argv[1]); au,as_=rd(sys.argv[2])
j=json.load(open(sys.argv[3]))
print('wave', sys.argv[3].split('/')[-1], 'per new stream', j['gateway'].get('cpuMicrosPerNewStream'), 'us')
for n in sorted(au, key=lambda n: -((au[n]-bu[n])+(as_[n]-bs[n]))):
    du=au[n]-bu[n]; ds=as_[n]-bs[n]
    if du+ds>0: print(f'   {n:20s} user {du*10000/19000:7.1f} us/stream  sys {ds*10000/19000:7.1f} us/stream')
PY
  sleep 3
done
stop_gateway
grep -c Pause $OUT/gc.log
