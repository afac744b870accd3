# Sourced by bench/run-scenarios.sh, run-nchan-compare.sh and run-soak.sh (not run on its own): the jars, the pinned gateway's
# JVM flags and options, and starting and stopping it. The gateway runs pinned to CPU 1 with one event loop; the load
# generator runs pinned to CPU 0. Callers run from the repository root under `set -euo pipefail`.

GATEWAY_JAR=${GATEWAY_JAR:-gateway/target/sluice-gateway.jar}
BENCH_JAR=${BENCH_JAR:-bench/target/sluice-benchmarks.jar}

# Gateway JVM flags for throughput runs: fixed heap, leak detection off (its default sampling records stack
# traces), one event loop for the one pinned core. (The run of 2026-12-06T1933Z also had -XX:-UseCodeCacheFlushing:
# it was taken out again once it showed no effect without JFR, bench/ANALYSIS.md.)
# MaxTenuringThreshold=0 as in the systemd unit and the container: what outlives one young collection is promoted at
# once instead of being copied again at each of up to fifteen (bench/ANALYSIS.md, "Tenuring").
GATEWAY_JVM=(-Xms1g -Xmx1g -XX:+UseG1GC -XX:MaxTenuringThreshold=0 -Dio.netty.leakDetection.level=disabled)
# For the idle-memory run: a heap that grows and shrinks with the live set, so RSS follows what streams cost.
IDLE_JVM=(-XX:+UseSerialGC -Xms16m -Xmx512m -XX:MinHeapFreeRatio=5 -XX:MaxHeapFreeRatio=20 -XX:-ShrinkHeapInSteps -Xss256k
          -Dio.netty.leakDetection.level=disabled)
# The access log is off: one line per publish would measure the log, not the gateway (docs/operations.md).
# Limits off: the generator opens thousands of streams from a few loopback addresses, which the default
# maxConnectionsPerUser (100 per anonymous client address) would refuse with 429.
GATEWAY_FLAGS=(--management-port=0 --bind-address=127.0.0.1 --dev-clock=false --event-loop-threads=1 --access-log=off
  --max-connections=10000000 --max-connections-per-user=10000000)
GENERATOR_JVM=(-Xms1g -Xmx1g -XX:+UseParallelGC)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

GW_PID=""
stop_gateway() {
  if [ -n "$GW_PID" ] && kill -0 "$GW_PID" 2>/dev/null; then
    kill -TERM "$GW_PID"; wait "$GW_PID" 2>/dev/null || true
  fi
  GW_PID=""
}

# start_gateway LOG_PREFIX JVM_ARRAY_NAME [gateway flags...] -> PORT, GW_PID; logs to LOG_PREFIX.gateway.out/.err.
# Returns once the gateway printed its listening line (after its start-up warm-up, `warmup`: at most 30 s by default, then a quarter of it waiting for the compiler;
# on its one pinned core all of it), waiting up to 60 s. Pinned to
# CPU ${GATEWAY_CPU:-1}. GATEWAY_JAVA names the java to run it with (default: java on the PATH).
start_gateway() {
  local log=$1 jvm_name=$2; shift 2
  local -n jvm=$jvm_name
  PORT=$(free_port)
  taskset -c "${GATEWAY_CPU:-1}" "${GATEWAY_JAVA:-java}" "${jvm[@]}" -jar "$GATEWAY_JAR" --port="$PORT" "${GATEWAY_FLAGS[@]}" "$@" \
    >"$log.gateway.out" 2>"$log.gateway.err" &
  GW_PID=$!
  wait_listening "$log.gateway.out" 'sluice listening' "$GW_PID" "$log.gateway.err" gateway
}

# wait_listening OUT_FILE LINE_START PID ERR_FILE NAME: returns once a line of OUT_FILE starts with LINE_START (at most
# 60 s); fails, printing ERR_FILE, if PID ends first.
wait_listening() {
  local out=$1 start=$2 pid=$3 err=$4 name=$5
  for _ in $(seq 1 600); do
    grep -q "^$start" "$out" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$err" >&2; return 1; }
    sleep 0.1
  done
  echo "$name did not start" >&2; return 1
}
