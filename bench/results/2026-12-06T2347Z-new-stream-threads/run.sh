#!/usr/bin/env bash
# b's warm wave on one server, with per-thread user/system ticks over the second wave; PERF=1 adds perf record
set -euo pipefail
cd /work/main
. bench/bench-common.sh
NCHAN_MODULE=/usr/lib/nginx/modules/ngx_nchan_module.so
OUT=${OUTD:-/tmp/bprof/out-$1}; mkdir -p $OUT
. /tmp/bprof/nchan-fns.sh
SERVER=$1
trap 'stop_gateway; stop_nchan' EXIT
if [ $SERVER = nchan ]; then start_nchan $OUT/n; PIDS=${SERVER_PIDS//,/ }; API=nchan; else
  JVM=("${GATEWAY_JVM[@]}" ${EXTRA_JVM:-}); start_gateway $OUT/s JVM ${GW_EXTRA:-}; PIDS=$GW_PID; API=sluice; fi
wave() { taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server $API \
  --url http://127.0.0.1:$PORT --gateway-pid ${PIDS// /,} --payload 150 --batch 1 --streams 19000 --processes 2 \
  --source-addresses 127.0.0.1 --topics per-stream --rate 0 --duration 1s --warmup 0s --connect-timeout 60s >$OUT/$1.json 2>$OUT/$1.progress; }
noconn() { for _ in $(seq 1 600); do [ "$(ss -Htn state established "( sport = :$PORT )" | wc -l)" = 0 ] && return 0; sleep 0.1; done; }
snap() { for p in $PIDS; do for f in /proc/$p/task/*; do echo "$(tr -d ' ' <$f/comm) $(awk '{print $14, $15}' $f/stat)"; done; done; }
wave w1; noconn; wave w2; noconn
snap > $OUT/t0
if [ -n "${PERF:-}" ]; then perf record -F 4000 -g -o $OUT/perf.data -p ${PIDS// /,} 2>/dev/null & PP=$!; sleep 0.5; fi
wave w3; noconn
if [ -n "${PERF:-}" ]; then kill -INT $PP; wait $PP || true; fi
snap > $OUT/t1
python3 - $OUT/t0 $OUT/t1 $OUT/w3.json <<'PY'
import sys,json,collections
def rd(f):
    d=collections.defaultdict(lambda:[0,0])
    for l in open(f):
        n,u,s=l.split(); d[n][0]+=int(u); d[n][1]+=int(s)
    return d
a,b=rd(sys.argv[1]),rd(sys.argv[2])
j=json.load(open(sys.argv[3])); print('cpuMicrosPerNewStream', j['gateway']['cpuMicrosPerNewStream'])
tot=[0,0]
for n in b:
    du=b[n][0]-a.get(n,[0,0])[0]; ds=b[n][1]-a.get(n,[0,0])[1]
    tot[0]+=du; tot[1]+=ds
    if du+ds>0: print(f'{n:20s} user {du*1e4/19000:7.1f} us  sys {ds*1e4/19000:7.1f} us per stream')
print(f'TOTAL open+close user {tot[0]*1e4/19000:.1f} sys {tot[1]*1e4/19000:.1f}')
PY
