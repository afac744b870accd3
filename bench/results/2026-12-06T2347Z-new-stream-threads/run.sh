#!/usr/bin/env bash
# b's warm wave on one server, with per-thread user/system ticks over the second wave; PERF=1 adds perf record
set -euo pipefail
cd "$(dirname "$0")/../../.."   # the repository root
. bench/bench-common.sh
NCHAN_MODULE=/usr/lib/nginx/modules/ngx_nchan_module.so NGINX_PID="" NGINX_DIR="" NGINX_LOG=""
OUT=${OUTD:-/tmp/new-stream-threads/$1}; mkdir -p $OUT
# nginx with nchan exactly as bench/run-nchan-compare.sh starts it
. <(sed -n '/^nchan_conf()/,/^# ---- either server/p' bench/run-nchan-compare.sh)
SERVER=$1
trap 'stop_gateway; stop_nchan' EXIT
if [ $SERVER = nchan ]; then start_nchan $OUT/n; PIDS=${SERVER_PIDS//,/ }; API=nchan; else
  JVM=("${GATEWAY_JVM[@]}" ${EXTRA_JVM:-}); start_gateway $OUT/s JVM ${GW_EXTRA:-}; PIDS=$GW_PID; API=sluice; fi
wave() { taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator --server $API \
  --url http://127.0.0.1:$PORT --gateway-pid ${PIDS// /,} --payload 150 --batch 1 --streams 19000 --processes 2 \
  --source-addresses 127.0.0.1 --topics per-stream --rate 0 --duration 1s --warmup 0s --connect-timeout 60s >$OUT/$1.json 2>$OUT/$1.progress; }
noconn() { for _ in $(seq 1 600); do [ "$(ss -Htn state established "( sport = :$PORT )" | wc -l)" = 0 ] && return 0; sleep 0.1; done; }
snap() { bench/thread-cpu.sh snap $PIDS; }
wave w1; noconn; wave w2; noconn
snap > $OUT/t0
if [ -n "${PERF:-}" ]; then perf record -F 4000 -g -o $OUT/perf.data -p ${PIDS// /,} 2>/dev/null & PP=$!; sleep 0.5; fi
wave w3; noconn
if [ -n "${PERF:-}" ]; then kill -INT $PP; wait $PP || true; fi
snap > $OUT/t1
python3 -c 'import json,sys; print("cpuMicrosPerNewStream (open only)", json.load(open(sys.argv[1]))["gateway"]["cpuMicrosPerNewStream"])' $OUT/w3.json
bench/thread-cpu.sh diff $OUT/t0 $OUT/t1 19000   # per stream opened and closed
