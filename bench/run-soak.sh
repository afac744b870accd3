#!/usr/bin/env bash
# The soak scenario of issue 11 (item 7): a fresh gateway under churn for MINUTES (default 12) while its memory and state
# are sampled once a minute, to show that what a node holds stays bounded (docs/operations.md, "What a node holds at
# most").
#
#   bench/run-soak.sh [MINUTES]
#
# The load generator (LoadGenerator --soak, pinned to CPU 0) keeps 3,000 streams open, each naming 4 topics never used
# before (user/<id>, jobs/<id>-<k>) and living 2-8 s before the next takes its place (~600 new streams/s); publishes
# 150 events/s (x4 for the last 30 s of every 3 minutes) over 8 keep-alive connections, most to topics never used
# before that nobody reads, 20 % to topics open streams read, 10 % to one hot topic; data mostly 100-1000 bytes, 3 %
# (and every hot event) 16-48 KiB. 0.5 % of the streams read slowly: they also read the hot topic and stop reading for
# 1-20 s, so the gateway queues for them and they catch up or are cut loose (and resume with Last-Event-ID).
#
# The gateway (pinned to CPU 1, one event loop) runs the systemd unit's JVM flags halved for this 2-core machine, the
# access log off and the connection limits lifted as in bench-common.sh, and history bounds the run crosses: 64 MiB of
# history (the bursts exceed it: evictions by bytes), 2 minutes of age (between bursts: evictions by age), historySize
# 1000 (the hot topic: evictions by count), and maxStreamLag 100 (a paused stream is cut loose once the kernel's socket
# buffers, ~2.8 MB on loopback here, and 100 events of lag are full, within the pauses drawn).
#
# Once a minute (and at the start) the generator samples the gateway (LoadGenerator --samples): RSS, heap after a full
# GC (jcmd GC.class_histogram), direct memory, sluice_topics, sluice_history_bytes/_events, evictions by reason, open
# streams, and its own rates. Results: bench/results/<UTC time>-soak/ (samples.jsonl, soak.json the generator's summary,
# soak.progress, gc.log, the gateway's output, run.json with the commands and load averages, report.md the per-minute
# table and verdict); bench/RESULTS.md is re-rendered with the soak section. The machine is shared: the load average is
# recorded at start and end, never waited for. Needs: a built tree (mvn -B -q -DskipTests package), taskset, jcmd,
# python3. Only 127.0.0.0/8 is used.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/bench-common.sh
. bench/bench-common.sh

MINUTES=${1:-12}
[[ "$MINUTES" =~ ^[0-9]+$ ]] && [ "$MINUTES" -ge 1 ] || { echo "usage: bench/run-soak.sh [MINUTES] (a whole number, at least 1)" >&2; exit 2; }
OUT=bench/results/$(date -u +%Y-%m-%dT%H%MZ)-soak
mkdir -p "$OUT"
trap stop_gateway EXIT

# ops/systemd/sluice.service's flags, halved: -Xms2g -Xmx2g -XX:MaxDirectMemorySize=1g, G1, heap committed at start
# (AlwaysPreTouch), promoted after one young collection (MaxTenuringThreshold=0), GC log, no leak detection.
SOAK_JVM=(-Xms1g -Xmx1g -XX:+UseG1GC -XX:MaxDirectMemorySize=512m -XX:+AlwaysPreTouch -XX:MaxTenuringThreshold=0
  "-Xlog:gc*:file=$OUT/gc.log:time,uptime" -Dio.netty.leakDetection.level=disabled)
SOAK_FLAGS=(--history-max-bytes=64MiB --history-max-age=2m --history-size=1000 --max-stream-lag=100)

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
utc() { date -u +%Y-%m-%dT%H:%M:%SZ; }
# run_json KEY VALUE...: adds string fields to $OUT/run.json.
run_json() {
  python3 - "$OUT/run.json" "$@" <<'PY'
import json, os, sys
path, pairs = sys.argv[1], sys.argv[2:]
d = json.load(open(path)) if os.path.exists(path) else {}
for k, v in zip(pairs[::2], pairs[1::2]):
    d[k] = int(v) if k in ("minutes", "generatorExit", "gatewayPid") else v
json.dump(d, open(path, "w"), indent=1)
PY
}

run_json command "bench/run-soak.sh${*:+ $*}" minutes "$MINUTES" timeStart "$(utc)" loadAverageStart "$(loadavg)" \
  gatewayJvm "${SOAK_JVM[*]}" gatewayFlags "${GATEWAY_FLAGS[*]} ${SOAK_FLAGS[*]}"
echo "== soak for $MINUTES min (load average $(loadavg)); results in $OUT" >&2
start_gateway "$OUT/soak" SOAK_JVM "${SOAK_FLAGS[@]}"
MGMT_PORT=$(sed -n 's/^sluice listening .*managementPort=\([0-9]*\).*/\1/p' "$OUT/soak.gateway.out")

ARGS=(--url "http://127.0.0.1:$PORT" --gateway-pid "$GW_PID" --soak --streams 3000 --connect-timeout 30s
  --rate 150 --batch 1 --publishers 8 --warmup 0s --duration "${MINUTES}m" --grace 2s
  --soak-lifetime 2s-8s --soak-topics 4 --soak-read-share 0.2 --soak-hot-share 0.1 --soak-slow-share 0.005
  --soak-slow-pause 1s-20s --soak-small-size 100-1000 --soak-large-share 0.03 --soak-large-size 16KiB-48KiB
  --soak-burst 3m:30s:4
  --samples "$OUT/samples.jsonl" --sample-interval 1m --metrics-url "http://127.0.0.1:$MGMT_PORT/metrics")
run_json generatorArgs "${ARGS[*]}" gatewayPid "$GW_PID"
rc=0
taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" io.sluice.bench.load.LoadGenerator "${ARGS[@]}" \
  >"$OUT/soak.json" 2>"$OUT/soak.progress" || rc=$?
run_json timeEnd "$(utc)" loadAverageEnd "$(loadavg)" generatorExit "$rc"
stop_gateway
grep '^loadgen:' "$OUT/soak.progress" >&2 || true

python3 bench/render-results.py --soak "$OUT" >"$OUT/report.md"
# RESULTS.md: the newest bench/run-scenarios.sh run (what RESULTS.md shows now), with the nchan and soak sections.
SCENARIOS_RUN=$(find bench/results -maxdepth 1 -regextype posix-extended -regex '.*/[0-9T-]+Z' | sort | tail -1)
python3 bench/render-results.py "$SCENARIOS_RUN" "${GATEWAY_JVM[*]}" "${IDLE_JVM[*]}" >bench/RESULTS.md
echo "wrote $OUT/report.md and bench/RESULTS.md (generator exit $rc)" >&2
exit "$rc"
