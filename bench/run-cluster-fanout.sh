#!/usr/bin/env bash
# Cluster mode (issue 6): the fan-out rate of two gateway nodes against one. 1,000 streams on one shared topic,
# 150-byte events published in batches of 20 by 4 keep-alive publishers. The load generator ramps the publish
# rate (from 300 events/s after a 10 s warm-up at that rate, x1.25 every 6 s) until a step loses an event, its
# p99 publish -> receive exceeds 100 ms or publishing falls 5% short. A confirmation run of 20 s then holds the
# highest rate that held; if it does not hold (same criteria), one step lower, at most twice. Gateway CPU per
# delivery comes from /proc/<pid>/stat over the measured window (--gateway-pid, summed over the nodes); Redis's CPU
# per event from its /proc/<pid>/stat over the whole confirmation run.
#
#   bench/run-cluster-fanout.sh [setup ...]     (default: local-1 cluster-1 cluster-2; ~3 minutes each)
#
# Setups, each on fresh processes (a fresh redis-server and fresh gateways on free loopback ports):
#   local-1    one gateway, backplane local (the reference): gateway on CPU 1; generator on CPU 0.
#   cluster-1  one gateway, backplane redis, all 1,000 streams: gateway on CPU 1; generator and Redis on CPU 0.
#   cluster-2  two gateways, backplane redis, 500 streams each (the generator's --url lists both nodes; stream i
#              goes to node i mod 2; publishes go to node a): gateway a on CPU 0, gateway b on CPU 1; the
#              generator and Redis are not pinned and share both cores with the gateways.
# The one-node setups give the gateway a core of its own, as bench/run-scenarios.sh does. Two nodes on a 2-core
# machine cannot: each gateway gets one core, and the generator and Redis compete with them for the same two
# cores. So cluster-2 is not the scaling of two machines; its per-core figures (deliveries/s per busy gateway
# core, gateway CPU per delivery) are what carries over.
#
# The machine may be shared: before each run the script waits (up to 90 s) for the 1-minute load average to
# fall to 1.5, records it, and repeats a setup once (on fresh processes) when it was above 1.5 when the ramp
# started. It also records the CPU used during each run by processes other than its own (from /proc/stat).
# Results: bench/results/<UTC>-cluster-fanout/: per setup the generator's JSON (<setup>.ramp.json,
# <setup>.confirm.json), its progress lines (.progress), arguments (.args), gateway and Redis logs, and a JSON
# summary <setup>.summary.json; summary.json collects them. Needs: a built tree (mvn -B -q -DskipTests package),
# redis-server, taskset (util-linux), curl, python3, /usr/bin/time. Only 127.0.0.1 is used.
set -euo pipefail
cd "$(dirname "$0")/.."

GATEWAY_JAR=gateway/target/sluice-gateway.jar
BENCH_JAR=bench/target/sluice-benchmarks.jar
OUT=bench/results/$(date -u +%Y-%m-%dT%H%MZ)-cluster-fanout
mkdir -p "$OUT"
# As bench/run-scenarios.sh: fixed heap, leak detection off, one event loop per gateway, no access log.
GATEWAY_JVM=(-Xms1g -Xmx1g -XX:+UseG1GC -Dio.netty.leakDetection.level=disabled)
GATEWAY_FLAGS=(--management-port=0 --bind-address=127.0.0.1 --dev-clock=false --event-loop-threads=1 --access-log=off
  --max-connections=10000000 --max-connections-per-user=10000000)
GENERATOR_JVM=(-Xms1g -Xmx1g -XX:+UseParallelGC)
LOAD=(--streams 1000 --topics shared --payload 150 --batch 20 --publishers 4)
P99_LIMIT_MS=100
STEP=1.25
RAMP=(--rate 300 --ramp --ramp-step "$STEP" --ramp-interval 6s --ramp-p99-limit "${P99_LIMIT_MS}ms" --duration 72s --warmup 10s)
CONFIRM=(--duration 20s --warmup 5s)
LOAD_LIMIT=1.5

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
# Busy jiffies of the whole machine (all cores) from /proc/stat: user, nice, system, irq and softirq (a process's
# stime includes the softirq work done in its context, which /proc/stat counts apart).
machine_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }

PIDS=()
REDIS_DIR=""
stop_all() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
  if [ -n "$REDIS_DIR" ]; then rm -rf "$REDIS_DIR"; REDIS_DIR=""; fi
}
trap stop_all EXIT

# start_redis CPUS -> REDIS_PORT, REDIS_PID
start_redis() {
  local cpus=$1 log=$2
  REDIS_DIR=$(mktemp -d)
  REDIS_PORT=$(free_port)
  taskset -c "$cpus" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$REDIS_DIR" \
    >"$log" 2>&1 &
  REDIS_PID=$!
  PIDS+=("$REDIS_PID")
  for _ in $(seq 1 100); do
    redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  echo "redis-server did not start" >&2; cat "$log" >&2; return 1
}

# start_gateway NAME CPUS BACKPLANE -> PORT, GW_PID
start_gateway() {
  local name=$1 cpus=$2 backplane=$3
  PORT=$(free_port)
  taskset -c "$cpus" java "${GATEWAY_JVM[@]}" -jar "$GATEWAY_JAR" --port="$PORT" "${GATEWAY_FLAGS[@]}" \
    --backplane="$backplane" >"$OUT/$name.out" 2>"$OUT/$name.err" &
  GW_PID=$!
  PIDS+=("$GW_PID")
  for _ in $(seq 1 200); do
    if curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then return 0; fi
    kill -0 "$GW_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "gateway $name did not become ready" >&2; cat "$OUT/$name.err" >&2; return 1
}

# Waits up to 90 s for the 1-minute load average to fall to LOAD_LIMIT; returns 1 if it did not.
wait_quiet() {
  for _ in $(seq 1 90); do
    awk -v lim="$LOAD_LIMIT" '{exit !($1 <= lim)}' /proc/loadavg && return 0
    sleep 1
  done
  return 1
}

# generate RUN CPUS [generator args...]: one generator run; writes RUN.json, RUN.progress, RUN.args and RUN.env
# (load average before and after, the generator's CPU, Redis's and the machine's CPU over the run).
generate() {
  local run=$1 cpus=$2; shift 2
  wait_quiet || echo "load average still $(loadavg) after 90 s: running anyway (recorded)" >&2
  local load_before m0 r0 m1 r1
  load_before=$(loadavg)
  echo "== $run (load average $load_before): LoadGenerator $*" >&2
  echo "taskset -c $cpus java ${GENERATOR_JVM[*]} -cp $BENCH_JAR io.sluice.bench.load.LoadGenerator $*" >"$OUT/$run.args"
  m0=$(machine_ticks); r0=$([ -n "${REDIS_PID:-}" ] && ticks "$REDIS_PID" || echo -1)
  local g0=() g1=() p
  for p in "${GW_PIDS[@]}"; do g0+=("$(ticks "$p")"); done
  /usr/bin/time -f '%e %U %S' -o "$OUT/$run.time" taskset -c "$cpus" java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" \
    io.sluice.bench.load.LoadGenerator "$@" >"$OUT/$run.json" 2>"$OUT/$run.progress"
  m1=$(machine_ticks); r1=$([ -n "${REDIS_PID:-}" ] && ticks "$REDIS_PID" || echo -1)
  for p in "${GW_PIDS[@]}"; do g1+=("$(ticks "$p")"); done
  grep '^loadgen:' "$OUT/$run.progress" >&2 || true
  python3 - "$OUT/$run.env" "$load_before" "$(loadavg)" "$(cat "$OUT/$run.time")" "$m0" "$m1" "$r0" "$r1" \
    "$(getconf CLK_TCK)" "${g0[*]}" "${g1[*]}" <<'PY'
import json, sys
out, before, after, gen, m0, m1, r0, r1, hz, g0, g1 = sys.argv[1:]
hz = float(hz)
wall, gen_user, gen_sys = (float(x) for x in gen.split()[-3:])
gw = sum(int(b) - int(a) for a, b in zip(g0.split(), g1.split())) / hz
redis = (int(r1) - int(r0)) / hz if int(r0) >= 0 else 0.0
machine = (int(m1) - int(m0)) / hz
ours = gw + redis + gen_user + gen_sys
json.dump({
    "loadAverageBefore": before, "loadAverageAfter": after, "wallSeconds": wall,
    "generatorCpuSeconds": round(gen_user + gen_sys, 2), "gatewayCpuSeconds": round(gw, 2),
    "redisCpuSeconds": round(redis, 2) if int(r0) >= 0 else None,
    "machineCpuSeconds": round(machine, 2),
    # user+nice+system time of everything else: other processes (another user's build or tests) and kernel threads.
    "otherCpuSeconds": round(machine - ours, 2), "otherCpuCores": round((machine - ours) / wall, 3),
}, open(out, "w"), indent=1)
PY
}

# The highest rate that held in RUN.json's ramp (0 if none).
held_rate() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ramp"]["highestHeldRate"] or 0)' "$1"; }
# Whether RUN.json held: no loss, p99 within the limit, publishing within 5% of its target.
confirm_held() {
  python3 - "$1" "$P99_LIMIT_MS" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); lim = float(sys.argv[2])
p = d["publish"]; ok = (d["delivery"]["loss"] == 0 and d["latencyMs"]["p99"] is not None and d["latencyMs"]["p99"] <= lim
      and p["achievedRate"] >= 0.95 * p["targetRate"] and d["delivery"]["duplicates"] == 0)
sys.exit(0 if ok else 1)
PY
}

# setup NAME ATTEMPT: start the setup's processes, ramp, confirm, stop; sets LOAD_WAS_HIGH.
setup() {
  local name=$1 attempt=$2 run=$1 urls gen_cpus threads publish_url
  [ "$attempt" -gt 1 ] && run="$name.retry$attempt"
  GW_PIDS=(); REDIS_PID=""
  case "$name" in
    local-1)
      start_gateway "$run.gw" 1 local; GW_PIDS=("$GW_PID"); urls="http://127.0.0.1:$PORT"
      gen_cpus=0; threads=1 ;;
    cluster-1)
      start_redis 0 "$OUT/$run.redis.log"
      start_gateway "$run.gw" 1 "redis://127.0.0.1:$REDIS_PORT"; GW_PIDS=("$GW_PID"); urls="http://127.0.0.1:$PORT"
      gen_cpus=0; threads=1 ;;
    cluster-2)
      start_redis 0,1 "$OUT/$run.redis.log"
      start_gateway "$run.gw-a" 0 "redis://127.0.0.1:$REDIS_PORT"; GW_PIDS=("$GW_PID"); urls="http://127.0.0.1:$PORT"
      start_gateway "$run.gw-b" 1 "redis://127.0.0.1:$REDIS_PORT"; GW_PIDS+=("$GW_PID"); urls="$urls,http://127.0.0.1:$PORT"
      gen_cpus=0,1; threads=2 ;;
    *) echo "unknown setup $name (local-1, cluster-1, cluster-2)" >&2; return 2 ;;
  esac
  publish_url=${urls%%,*}
  local pids; pids=$(IFS=,; echo "${GW_PIDS[*]}")
  local common=(--url "$urls" --publish-url "$publish_url" --gateway-pid "$pids" --threads "$threads" "${LOAD[@]}")
  generate "$run.ramp" "$gen_cpus" "${common[@]}" "${RAMP[@]}"
  LOAD_WAS_HIGH=$(python3 -c 'import json, sys
load = float(json.load(open(sys.argv[1]))["loadAverageBefore"].split()[0])
print(1 if load > float(sys.argv[2]) else 0)' "$OUT/$run.ramp.env" "$LOAD_LIMIT")
  local rate; rate=$(held_rate "$OUT/$run.ramp.json")
  if python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)' "$rate"; then
    local n
    for n in 1 2 3; do
      generate "$run.confirm" "$gen_cpus" "${common[@]}" --rate "$rate" "${CONFIRM[@]}"
      if confirm_held "$OUT/$run.confirm.json" || [ "$n" = 3 ]; then break; fi
      for f in json progress args env time; do mv "$OUT/$run.confirm.$f" "$OUT/$run.confirm-failed$n.$f"; done
      rate=$(python3 -c 'import sys; print(round(float(sys.argv[1]) / float(sys.argv[2]), 3))' "$rate" "$STEP")
      echo "confirmation did not hold: again one step lower, at $rate events/s" >&2
    done
  fi
  stop_all
  python3 - "$OUT" "$run" "$name" "$attempt" "$threads" "$P99_LIMIT_MS" "${GATEWAY_JVM[*]}" "${GATEWAY_FLAGS[*]}" <<'PY'
import json, os, sys
out, run, name, attempt, threads, p99_limit, jvm, flags = sys.argv[1:]
def load(suffix):
    p = os.path.join(out, f"{run}.{suffix}")
    return json.load(open(p)) if os.path.exists(p) and os.path.getsize(p) > 0 else None
def args(suffix):
    p = os.path.join(out, f"{run}.{suffix}.args")
    return open(p).read().strip() if os.path.exists(p) else None
ramp, ramp_env = load("ramp.json"), load("ramp.env")
conf, conf_env = load("confirm.json"), load("confirm.env")
failed = [f for f in (load(f"confirm-failed{n}.json") for n in (1, 2)) if f]
pinning = {
    "local-1": {"gateway": "CPU 1", "generator": "CPU 0", "redis": None},
    "cluster-1": {"gateway": "CPU 1", "generator": "CPU 0", "redis": "CPU 0"},
    "cluster-2": {"gateway a": "CPU 0", "gateway b": "CPU 1", "generator": "CPUs 0-1 (not pinned)",
                  "redis": "CPUs 0-1 (not pinned)"},
}[name]
s = {"setup": name, "attempt": int(attempt), "pinning": pinning, "generatorThreads": int(threads),
     "gatewayJvm": jvm, "gatewayFlags": flags, "commands": {"ramp": args("ramp"), "confirm": args("confirm")}}
if ramp:
    s["ramp"] = {"env": ramp_env, "highestHeldRate": ramp["ramp"]["highestHeldRate"],
                 "highestHeldDeliveriesPerSec": ramp["ramp"]["highestHeldRate"] * ramp["connect"]["opened"],
                 "stopReason": ramp["ramp"]["stopReason"],
                 "steps": [{k: st.get(k) for k in ("targetRate", "deliveriesPerSec", "p99Ms", "held", "why")}
                           for st in ramp["ramp"]["steps"]],
                 "streamsOpened": ramp["connect"]["opened"], "warnings": ramp["warnings"]}
s["confirmFailed"] = [{"rate": f["publish"]["targetRate"], "achievedRate": f["publish"]["achievedRate"],
                       "deliveriesPerSec": f["delivery"]["deliveriesPerSec"], "loss": f["delivery"]["loss"],
                       "p99Ms": f["latencyMs"]["p99"], "gatewayCpuShare": f.get("gateway", {}).get("cpuShareMeasured"),
                       "generatorCpuShare": f["generator"]["cpuShareMeasured"],
                       "generatorThreadCpuShare": f["generator"]["threadCpuShare"]} for f in failed]
if conf:
    gw, dl, pub, lat = conf.get("gateway", {}), conf["delivery"], conf["publish"], conf["latencyMs"]
    share = gw.get("cpuShareMeasured")
    redis_s = conf_env.get("redisCpuSeconds") if conf_env else None
    held = (dl["loss"] == 0 and dl["duplicates"] == 0 and lat["p99"] is not None and lat["p99"] <= float(p99_limit)
            and pub["achievedRate"] >= 0.95 * pub["targetRate"])
    s["confirm"] = {
        "env": conf_env, "held": held, "rate": pub["targetRate"], "achievedRate": pub["achievedRate"],
        "deliveriesPerSec": dl["deliveriesPerSec"], "expected": dl["expected"], "received": dl["received"],
        "loss": dl["loss"], "duplicates": dl["duplicates"], "outOfOrder": dl["outOfOrder"],
        "latencyMs": lat, "publishRoundTripMs": pub["roundTripMs"],
        "gatewayCpuMicrosPerDelivery": gw.get("cpuMicrosPerDelivery"),
        "gatewayCpuShare": share, "gatewayCpuShareEach": gw.get("cpuShareMeasuredEach"),
        # Deliveries per second per busy gateway core: the delivery rate divided by the cores the gateways used.
        "deliveriesPerSecPerGatewayCore": round(dl["deliveriesPerSec"] / share) if share else None,
        "generatorCpuMicrosPerDelivery": conf["generator"]["cpuMicrosPerDelivery"],
        "generatorCpuShare": conf["generator"]["cpuShareMeasured"],
        "redisCpuMicrosPerEvent": round(redis_s / pub["acceptedEventsWholeRun"] * 1e6, 2)
            if redis_s is not None and pub["acceptedEventsWholeRun"] else None,
        "redisCpuShare": round(redis_s / conf_env["wallSeconds"], 3) if redis_s is not None else None,
        "warnings": conf["warnings"]}
json.dump(s, open(os.path.join(out, f"{run}.summary.json"), "w"), indent=1)
c = s.get("confirm", {})
print(f"{run}: held {s.get('ramp', {}).get('highestHeldRate')} events/s in the ramp; confirmation at {c.get('rate')}: "
      f"{c.get('deliveriesPerSec')} deliveries/s, p99 {c.get('latencyMs', {}).get('p99')} ms, loss {c.get('loss')}, "
      f"gateway {c.get('gatewayCpuMicrosPerDelivery')} us/delivery, redis {c.get('redisCpuMicrosPerEvent')} us/event",
      file=sys.stderr)
PY
}

SETUPS=("${@:-local-1 cluster-1 cluster-2}")
read -r -a SETUPS <<<"${SETUPS[*]}"
for s in "${SETUPS[@]}"; do
  setup "$s" 1
  if [ "$LOAD_WAS_HIGH" = 1 ]; then
    echo "$s: the load average was above $LOAD_LIMIT when the ramp started: repeating it on fresh processes" >&2
    setup "$s" 2
  fi
done

python3 - "$OUT" <<'PY'
import glob, json, os, platform, subprocess, sys
out = sys.argv[1]
def sh(c):
    return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
machine = {"cpu": sh("lscpu | grep 'Model name' | sed 's/.*: *//'") + f" ({os.cpu_count()} cores visible)",
           "memory": sh("free -g | awk '/Mem:/ {print $2}'") + f" GiB; kernel {platform.release()}",
           "java": sh("java -version 2>&1 | head -1"), "redis": sh("redis-server --version | cut -d' ' -f3")}
json.dump(machine, open(os.path.join(out, "machine.json"), "w"), indent=1)
runs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(out, "*.summary.json")))]
json.dump({"machine": machine, "runs": runs}, open(os.path.join(out, "summary.json"), "w"), indent=1)
PY
echo "results in $OUT" >&2
