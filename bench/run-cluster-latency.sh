#!/usr/bin/env bash
# Cluster mode (issue 6): publish -> receive latency with the publish on one node and the streams on the other,
# against both on one node of the cluster, and against a single gateway without Redis (backplane local). Each run gets a fresh Redis and two fresh
# gateways on free loopback ports; everything is stopped at the end. Results go to bench/results/<UTC>-cluster/.
#
#   bench/run-cluster-latency.sh [streams] [rate] [duration]      (defaults: 1000 streams, 1000 events/s, 30s)
#
# Needs: a built tree (mvn -B -q -DskipTests package), redis-server, python3. Only 127.0.0.1 is used.
set -euo pipefail
cd "$(dirname "$0")/.."

STREAMS=${1:-1000}
RATE=${2:-1000}
DURATION=${3:-30s}
GATEWAY_JAR=gateway/target/sluice-gateway.jar
BENCH_JAR=bench/target/sluice-benchmarks.jar
OUT=bench/results/$(date -u +%Y-%m-%dT%H%MZ)-cluster
mkdir -p "$OUT"
GATEWAY_JVM=(-Xms512m -Xmx512m -XX:+UseG1GC -Dio.netty.leakDetection.level=disabled)
# As bench/run-scenarios.sh: the access log is off (one line per publish would measure the log).
GATEWAY_FLAGS=(--management-port=0 --bind-address=127.0.0.1 --dev-clock=false --event-loop-threads=1 --access-log=off
  --max-connections=10000000 --max-connections-per-user=10000000)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

PIDS=()
REDIS_DIR=$(mktemp -d)
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$REDIS_DIR"
}
trap cleanup EXIT

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$REDIS_DIR" \
  >"$OUT/redis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do
  redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
  sleep 0.1
done

# start_gateway NAME BACKPLANE -> sets PORT
start_gateway() {
  local name=$1 backplane=$2
  PORT=$(free_port)
  java "${GATEWAY_JVM[@]}" -jar "$GATEWAY_JAR" --port="$PORT" "${GATEWAY_FLAGS[@]}" \
    --backplane="$backplane" >"$OUT/$name.out" 2>"$OUT/$name.err" &
  PIDS+=($!)
  for _ in $(seq 1 200); do
    if curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "gateway $name did not become ready" >&2; cat "$OUT/$name.err" >&2; return 1
}

start_gateway a "redis://127.0.0.1:$REDIS_PORT"; PORT_A=$PORT
start_gateway b "redis://127.0.0.1:$REDIS_PORT"; PORT_B=$PORT
start_gateway single local; PORT_SINGLE=$PORT

# The machine may be shared: wait up to 90 s for the 1-minute load average to fall to 1.5, and record it.
wait_quiet() {
  for _ in $(seq 1 90); do
    awk '{exit !($1 <= 1.5)}' /proc/loadavg && return 0
    sleep 1
  done
  return 1
}

generate() {
  local name=$1; shift
  wait_quiet || echo "load average still above 1.5 after 90 s: running anyway" >&2
  cut -d' ' -f1-3 /proc/loadavg >"$OUT/$name.loadavg"
  echo "== $name (load average $(cat "$OUT/$name.loadavg")): LoadGenerator $*" | tee "$OUT/$name.args" >&2
  java -Xms1g -Xmx1g -XX:+UseParallelGC -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator "$@" \
    >"$OUT/$name.txt" 2>"$OUT/$name.err"
  cat "$OUT/$name.txt"
}

COMMON=(--streams="$STREAMS" --rate="$RATE" --duration="$DURATION" --warmup=5s --publishers=4 --topics=shared)
generate cross-node --url="http://127.0.0.1:$PORT_A" --publish-url="http://127.0.0.1:$PORT_B" "${COMMON[@]}"
generate same-node --url="http://127.0.0.1:$PORT_A" "${COMMON[@]}"
generate local --url="http://127.0.0.1:$PORT_SINGLE" "${COMMON[@]}"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), redis $(redis-server --version | cut -d' ' -f3)" \
  | tee "$OUT/machine.txt"
