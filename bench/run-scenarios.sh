#!/usr/bin/env bash
# Runs the standard benchmarks of issue 3 (JMH and load scenarios against a real gateway) and renders
# bench/RESULTS.md from every result in the run's folder bench/results/<UTC time>/.
#
#   bench/run-scenarios.sh [scenario ...]     (default: all; names below; `jmh` alone takes ~12 minutes)
#
# The gateway runs pinned to CPU 1 with one event loop; the load generator runs pinned to CPU 0, so the
# generator's own cost never lands on the gateway's core (its CPU per event is in every summary). Each
# scenario starts a fresh gateway on a free loopback port and stops it afterwards. Needs: a built tree
# (mvn -B -q -DskipTests package), taskset (util-linux), jcmd (JDK), python3. Only 127.0.0.0/8 is used.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=bench/bench-common.sh
. bench/bench-common.sh
STAMP=$(date -u +%Y-%m-%dT%H%MZ)
OUT=bench/results/$STAMP
mkdir -p "$OUT"
trap stop_gateway EXIT

generate() {
  local name=$1; shift
  echo "== $name: LoadGenerator $*" >&2
  echo "$*" >"$OUT/$name.args"
  taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator \
    --url "http://127.0.0.1:$PORT" --gateway-pid "$GW_PID" "$@" >"$OUT/$name.json" 2>"$OUT/$name.progress"
}

# The scenarios (targets in issue 3):
fanout_1k() {        # max sustained fan-out: 1,000 streams on one topic, ~150-byte events, ramped
  start_gateway "$OUT/fanout_1k" GATEWAY_JVM
  generate fanout_1k --streams 1000 --topics shared --payload 150 --batch 20 --publishers 4 \
    --rate 200 --ramp --ramp-step 1.5 --ramp-interval 6s --duration 60s --warmup 3s
  stop_gateway
}
shared_10k_10eps() { # 10,000 streams on one topic at 10 events/s: p99 publish->receive
  start_gateway "$OUT/shared_10k_10eps" GATEWAY_JVM
  generate shared_10k_10eps --streams 10000 --topics shared --payload 150 --rate 10 --publishers 1 \
    --duration 30s --warmup 5s
  stop_gateway
}
own_topics_10k() {   # 10,000 streams each on its own topic, 10,000 single-event publishes/s
  start_gateway "$OUT/own_topics_10k" GATEWAY_JVM
  generate own_topics_10k --streams 10000 --topics per-stream --payload 150 --rate 10000 --batch 1 \
    --publishers 32 --duration 30s --warmup 5s
  stop_gateway
}
connect_storm_10k() { # new streams: CPU per stream; then 10,000 reconnect at once with Last-Event-ID
  start_gateway "$OUT/connect_storm_10k" GATEWAY_JVM
  # Warm-up rounds, not measured: a fresh JVM charges JIT compilation (the C2 thread) to the first streams
  # it accepts, still visibly after one round of 10,000. The pause lets the gateway finish closing them.
  for round in 1 2; do
    generate "connect_warmup$round" --streams 10000 --topics zipf:100 --payload 150 --rate 0 --duration 1s \
      --warmup 0s
    sleep 3
  done
  generate connect_storm_10k --streams 10000 --topics zipf:100 --payload 150 --rate 500 --batch 5 \
    --publishers 4 --reconnect-storm 10s:10000 --duration 30s --warmup 2s --grace 10s
  stop_gateway
}
jmh() {              # the JMH suite (@Fork(2), warm-up 3x2s, measure 5x2s), allocation per op with -prof gc
  echo "== jmh" >&2
  java -jar "$BENCH_JAR" -prof gc -rf json -rff "$OUT/jmh.json" >"$OUT/jmh.log" 2>&1
}
idle_19k() {         # idle streams: RSS per stream at 19,000 streams after a full GC
  start_gateway "$OUT/idle_19k" IDLE_JVM
  # Warm-up round, not measured: JIT code, loaded classes and buffer-pool arenas from a cold JVM's first
  # connections are fixed costs; the baseline RSS is taken after it (and a full GC).
  generate idle_warmup --streams 5000 --topics per-stream --rate 0 --duration 1s --warmup 0s
  generate idle_19k --streams 19000 --processes 2 --topics per-stream --rate 0 --gateway-gc \
    --duration 5s --warmup 1s --connect-timeout 60s
  stop_gateway
}

ALL=(jmh fanout_1k shared_10k_10eps own_topics_10k connect_storm_10k idle_19k)
SELECTED=("${@:-${ALL[@]}}")
for s in "${SELECTED[@]}"; do "$s"; done

python3 bench/render-results.py "$OUT" "${GATEWAY_JVM[*]}" "${IDLE_JVM[*]}" >bench/RESULTS.md
echo "wrote bench/RESULTS.md from $OUT" >&2
