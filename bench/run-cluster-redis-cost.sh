#!/usr/bin/env bash
# Cluster mode: Redis CPU per published event with two gateway nodes reading the stream, at a fixed publish
# rate (publish on node b, 10 streams on node a). Prints the load generator's summary and Redis's CPU seconds
# (utime + stime from /proc) over the run divided by the events accepted.
#
#   bench/run-cluster-redis-cost.sh [rate] [batch]       (defaults: 20000 events/s, 20 events per request)
#
# Needs: a built tree (mvn -B -q -DskipTests package), redis-server, curl, python3. Only 127.0.0.1 is used.
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-20000}; BATCH=${2:-20}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
D=$(mktemp -d); RP=$(free_port)
redis-server --port $RP --bind 127.0.0.1 --save '' --appendonly no --dir $D >/dev/null 2>&1 & RPID=$!
for i in $(seq 1 50); do redis-cli -p $RP ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
PIDS=($RPID)
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null || true; done; wait 2>/dev/null; rm -rf $D' EXIT
ports=()
for n in a b; do
  P=$(free_port)
  java -Xms512m -Xmx512m -Dio.netty.leakDetection.level=disabled -jar gateway/target/sluice-gateway.jar --port=$P --management-port=0 --bind-address=127.0.0.1 --dev-clock=false --event-loop-threads=1 --backplane=redis://127.0.0.1:$RP > $D/gw-$n.out 2>$D/gw-$n.err &
  PIDS+=($!); ports+=($P)
done
for P in "${ports[@]}"; do for i in $(seq 1 200); do curl -fs http://127.0.0.1:$P/readyz >/dev/null 2>&1 && break; sleep 0.1; done; done
t0=$(awk '{print $14+$15}' /proc/$RPID/stat)
java -Xms1g -Xmx1g -cp bench/target/sluice-benchmarks.jar io.sluice.bench.load.LoadGenerator --url=http://127.0.0.1:${ports[0]} --publish-url=http://127.0.0.1:${ports[1]} --streams=10 --rate=$RATE --batch=$BATCH --publishers=4 --duration=15s --warmup=3s > $D/run.json 2>$D/run.err
t1=$(awk '{print $14+$15}' /proc/$RPID/stat)
python3 - <<PY
import json; d=json.load(open('$D/run.json'))
p=d['publish']; dl=d['delivery']
ticks=$t1-$t0; hz=100
ev=p['acceptedEventsWholeRun']
print('requestsOk', p['requestsOk'], 'notSent', p['requestsNotSentAtEnd'], 'rtt', p['roundTripMs'])
print('delivery', {k:dl[k] for k in ['expected','received','loss','duplicates','outOfOrder','deliveriesPerSec']})
print('latency', d['latencyMs'])
print('redis cpu seconds', ticks/hz, 'over ~18s; events accepted (whole run)', ev, '-> redis cpu us/event', round(ticks/hz/ev*1e6, 2))
PY
echo "load $(cat /proc/loadavg)"
