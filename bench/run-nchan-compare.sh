#!/usr/bin/env bash
# Sluice against nchan, side by side (issue 12, item 1): the same load-generator scenarios against a Sluice gateway
# and against nchan (Debian's libnginx-mod-nchan in a private nginx), interleaved (per scenario and round: Sluice, then
# nchan, each on a freshly started server), and the ratios Sluice / nchan rendered into bench/RESULTS.md.
#
#   bench/run-nchan-compare.sh [scenario ...]     (default: all five below; ROUNDS=N, default 2, rounds per scenario)
#
# Both servers run pinned to CPU 1 (Sluice: one event loop, the JVM flags and options of bench/run-scenarios.sh; nchan:
# nginx's master and its one worker); the load generator runs pinned to CPU 0 and measures both the same way
# (publish -> receive latency from the send time written into each event, server CPU from /proc/<pid>/stat; for
# nchan the master's and the worker's CPU summed). Events carry ~150 bytes of data, one event per publish request
# (nchan stores a request body as one message). nchan's config (written per run into a private prefix under a
# temporary directory; a copy is kept as nchan.conf in the results) keeps messages as Sluice's defaults keep history.
#
# Results: bench/results/<UTC time>-nchan/: per run <scenario>.<server>.r<round>[.<wave>].{json,progress,args,env} (the
# generator's summary and progress, its command line, the load average and CPU around the run) and the servers' logs;
# run.json (command, rounds, load average at start and end). The machine is shared with other work: the load average
# is recorded, never waited for. A server that cannot hold a scenario's rate is reported with what it held.
#
# Access log: on for both servers in scenario a (Sluice's default `accessLog = text` to its stderr file, nginx's
# default combined format to a file), since real deployments keep it; off elsewhere. Scenario c's generator first
# warms its own JVM against a second, already running server of the same kind (pinned with the generator to CPU 0,
# --prewarm-url), so the cold server's first seconds are measured by a warm client; the server under test idles
# meanwhile. SLUICE_FLAGS (words) are added to every Sluice gateway's flags, e.g. SLUICE_FLAGS=--transport=io_uring;
# SLUICE_JAR runs another build of the gateway. A_WARMUP (default 5s, the issue's) is scenario a's warm-up before its
# measured 30 s: a longer one shows the steady state without the first seconds of load. NCHAN_LISTEN (words) are added
# to nchan's listen directive, e.g. NCHAN_LISTEN=deferred (Linux TCP_DEFER_ACCEPT, what Sluice's deferAccept sets).
#
# VARIANTS (default "sluice nchan") lists what runs in each round, in order. Besides those two: sluice-uring (this
# build with transport = io_uring) and sluice-base (BASE_JAR, an earlier build, run with BASE_JVM flags, default
# GATEWAY_JVM's, by the java BASE_JAVA names, default the PATH's; BASE_NOTE says in RESULTS.md what it is), for
# interleaved old-against-new runs, and netty-floor (bench's NettyFloorServer: Netty's epoll transport and HTTP codec
# with the gateway's JVM flags and nothing of Sluice, speaking nchan's API: what the runtime and codec alone cost).
# The extra variants' files sit beside the others (<scenario>.<variant>.r<round>...); RESULTS.md's first table shows
# sluice and nchan, a second one every variant.
# Needs: a built tree (mvn -B -q -DskipTests package), nginx and libnginx-mod-nchan, taskset (util-linux), ss
# (iproute2), curl, python3, /usr/bin/time. Only 127.0.0.1 is used; the system's nginx service is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/bench-common.sh
. bench/bench-common.sh

ROUNDS=${ROUNDS:-2}
read -r -a VARIANT_LIST <<<"${VARIANTS:-sluice nchan}"
read -r -a BASE_JVM <<<"${BASE_JVM:-${GATEWAY_JVM[*]}}"
GATEWAY_JAR=${SLUICE_JAR:-$GATEWAY_JAR}
read -r -a SLUICE_EXTRA <<<"${SLUICE_FLAGS:-}"
NCHAN_MODULE=/usr/lib/nginx/modules/ngx_nchan_module.so
OUT=bench/results/$(date -u +%Y-%m-%dT%H%MZ)-nchan
mkdir -p "$OUT"
ALL=(own_topics_10k new_streams_19k cold_1k_1m fanout_1k_ramp shared_10k_5eps)
SELECTED=("${@:-${ALL[@]}}")
for s in "${SELECTED[@]}"; do
  [[ " ${ALL[*]} " == *" $s "* ]] || { echo "unknown scenario $s (${ALL[*]})" >&2; exit 2; }
done
[ -f "$NCHAN_MODULE" ] || { echo "no $NCHAN_MODULE: apt-get install libnginx-mod-nchan" >&2; exit 2; }
[[ " ${VARIANTS:-} " != *" sluice-base "* ]] || [ -f "${BASE_JAR:-}" ] || { echo "VARIANTS has sluice-base: set BASE_JAR" >&2; exit 2; }

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
# Busy jiffies of the whole machine: user, nice, system, irq, softirq.
machine_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }

# ---- nchan: a private nginx, master and one worker pinned to CPU 1 ----

NGINX_PID=""
NGINX_DIR=""
NGINX_LOG=""
# nchan_conf DIR PORT: the whole nginx.conf of one run; NCHAN_ACCESS_LOG=on logs every request to DIR/access.log.
nchan_conf() {
  local d=$1 port=$2 access="access_log off;             # as the Sluice side (--access-log=off)"
  [ "${NCHAN_ACCESS_LOG:-off}" = on ] && access="access_log $d/access.log;   # nginx's combined format, as Sluice's default text log"
  cat <<CONF
# Written by bench/run-nchan-compare.sh: a private nginx with nchan for one run, loopback only.
load_module $NCHAN_MODULE;
daemon off;
worker_processes 1;             # one worker; taskset pins it (and the master) to CPU 1
worker_rlimit_nofile 20000;     # this machine's hard limit of open files per process
pid $d/nginx.pid;
error_log $d/error.log notice;
events {
    # Connection slots, not descriptors (those stay within worker_rlimit_nofile): with 19900, nchan refused ~350 of
    # 19,000 streams ("worker_connections are not enough, reusing connections"), so slots are not one per stream.
    worker_connections 30000;
}
http {
    $access
    keepalive_requests 100000000; # Sluice closes no keep-alive connection after N requests; nginx's default is 1,000
    keepalive_timeout 75s;      # Sluice's idleTimeout
    client_body_temp_path $d/temp/client_body;
    proxy_temp_path $d/temp/proxy;
    fastcgi_temp_path $d/temp/fastcgi;
    uwsgi_temp_path $d/temp/uwsgi;
    scgi_temp_path $d/temp/scgi;
    # Messages kept as Sluice's defaults keep history: historySize 1000 per topic, historyMaxAge 1h, historyMaxBytes
    # 256MiB (nchan's defaults: 10 messages, 1h, 128M).
    nchan_message_buffer_length 1000;
    nchan_message_timeout 1h;
    nchan_shared_memory_size 256M;
    server {
        listen 127.0.0.1:$port${NCHAN_LISTEN:+ $NCHAN_LISTEN};
        location ~ ^/pub/(.+)$ {
            nchan_publisher;
            nchan_channel_id \$1;
        }
        location ~ ^/sub/(.+)$ {
            nchan_subscriber eventsource;
            nchan_channel_id \$1;
            nchan_channel_id_split_delimiter ",";   # /sub/a,b: one multiplexed stream
            nchan_subscriber_first_message newest;   # no replay for a new stream, as Sluice without Last-Event-ID
        }
    }
}
CONF
}

# start_nchan LOG_PREFIX -> PORT, SERVER_PIDS (master,worker)
start_nchan() {
  NGINX_LOG=$1
  NGINX_DIR=$(mktemp -d /tmp/sluice-nchan-XXXXXX)
  chmod 755 "$NGINX_DIR"     # the worker runs as nginx's default unprivileged user
  mkdir -p "$NGINX_DIR/temp"
  PORT=$(free_port)
  nchan_conf "$NGINX_DIR" "$PORT" >"$NGINX_DIR/nginx.conf"
  [ -f "$OUT/nchan.conf" ] || [ "${NCHAN_ACCESS_LOG:-off}" = on ] || sed "s|$NGINX_DIR|<prefix>|g; s|127.0.0.1:$PORT|127.0.0.1:<port>|" "$NGINX_DIR/nginx.conf" >"$OUT/nchan.conf"
  taskset -c "${SERVER_CPU:-1}" nginx -p "$NGINX_DIR/" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" >"$NGINX_LOG.nginx.out" 2>&1 &
  NGINX_PID=$!
  local worker=""
  for _ in $(seq 1 100); do
    worker=$(pgrep -P "$NGINX_PID" | head -1 || true)
    if [ -n "$worker" ] && curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
      SERVER_PIDS="$NGINX_PID,$worker"
      return 0
    fi
    kill -0 "$NGINX_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "nginx with nchan did not start" >&2; cat "$NGINX_DIR/error.log" "$NGINX_LOG.nginx.out" >&2; return 1
}

stop_nchan() {
  if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
    kill -TERM "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null || true
  fi
  NGINX_PID=""
  if [ -n "$NGINX_DIR" ]; then
    cp "$NGINX_DIR/error.log" "$NGINX_LOG.error.log" 2>/dev/null || true
    rm -rf "$NGINX_DIR"; NGINX_DIR=""
  fi
}

# ---- either server ----

# Busy cores of the whole machine over one second (nothing of ours runs when it is called).
busy_cores() {
  local a b
  a=$(machine_ticks); sleep 1; b=$(machine_ticks)
  awk -v a="$a" -v b="$b" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }'
}
# Waits (up to 30 s) until other work leaves the machine below 0.3 busy cores; sets QUIET ("<busy cores> after <s> s
# waited"), recorded with the run. The comparison runs anyway: interleaving, not quiet, is what keeps ratios honest.
QUIET=""
wait_quiet() {
  local busy waited=0
  busy=$(busy_cores)
  while awk -v b="$busy" 'BEGIN { exit !(b >= 0.3) }' && [ "$waited" -lt 30 ]; do
    busy=$(busy_cores); waited=$((waited + 1))
  done
  QUIET="$busy after $waited s waited"
}

# start_server SERVER LOG_PREFIX [Sluice flags...] -> PORT, SERVER_PIDS; first waits for a quiet machine (wait_quiet).
start_server() {
  local server=$1 log=$2; shift 2
  wait_quiet
  case "$server" in
    sluice) start_gateway "$log" GATEWAY_JVM "${SLUICE_EXTRA[@]}" "$@"; SERVER_PIDS=$GW_PID ;;
    sluice-uring) start_gateway "$log" GATEWAY_JVM "${SLUICE_EXTRA[@]}" --transport=io_uring "$@"; SERVER_PIDS=$GW_PID ;;
    sluice-base) GATEWAY_JAR=$BASE_JAR GATEWAY_JAVA=${BASE_JAVA:-java} start_gateway "$log" BASE_JVM "$@"; SERVER_PIDS=$GW_PID ;;
    nchan) start_nchan "$log" ;;
    netty-floor) start_floor "$log"; SERVER_PIDS=$GW_PID ;;
  esac
}
# The generator's --server for a variant.
api_of() { case "$1" in sluice*) echo sluice ;; netty-floor) echo nchan ;; *) echo "$1" ;; esac; }

# start_floor LOG_PREFIX -> PORT, GW_PID: the netty-floor variant (io.sluice.bench.floor.NettyFloorServer from the bench
# jar, with the gateway's JVM flags, pinned like it); stop_gateway stops it.
start_floor() {
  local log=$1
  PORT=$(free_port)
  taskset -c "${GATEWAY_CPU:-1}" "${GATEWAY_JAVA:-java}" "${GATEWAY_JVM[@]}" -cp "$BENCH_JAR" \
    io.sluice.bench.floor.NettyFloorServer --port="$PORT" >"$log.floor.out" 2>"$log.floor.err" &
  GW_PID=$!
  wait_listening "$log.floor.out" 'floor listening' "$GW_PID" "$log.floor.err" netty-floor
}

# start_prewarm_server SERVER LOG_PREFIX -> PREWARM_URL: a second server of the same kind on CPU 0 (the generator's),
# for the generator to warm up against (--prewarm-url); stopped by stop_servers. Call before start_server.
PREWARM_GW=""
PREWARM_NGINX=""
PREWARM_DIR=""
start_prewarm_server() {
  case "$1" in
    sluice*) GATEWAY_CPU=0 start_gateway "$2.prewarm" GATEWAY_JVM "${SLUICE_EXTRA[@]}"; PREWARM_GW=$GW_PID; GW_PID="" ;;
    nchan) SERVER_CPU=0 start_nchan "$2.prewarm"; PREWARM_NGINX=$NGINX_PID; PREWARM_DIR=$NGINX_DIR; NGINX_PID=""; NGINX_DIR="" ;;
    netty-floor) GATEWAY_CPU=0 start_floor "$2.prewarm"; PREWARM_GW=$GW_PID; GW_PID="" ;;
  esac
  PREWARM_URL=http://127.0.0.1:$PORT
}
stop_prewarm_server() {
  if [ -n "$PREWARM_GW" ]; then kill -TERM "$PREWARM_GW" 2>/dev/null; wait "$PREWARM_GW" 2>/dev/null || true; fi
  if [ -n "$PREWARM_NGINX" ]; then kill -TERM "$PREWARM_NGINX" 2>/dev/null; wait "$PREWARM_NGINX" 2>/dev/null || true; fi
  [ -n "$PREWARM_DIR" ] && rm -rf "$PREWARM_DIR"
  PREWARM_GW=""; PREWARM_NGINX=""; PREWARM_DIR=""
}
stop_servers() { stop_gateway; stop_nchan; stop_prewarm_server; }
trap stop_servers EXIT

# Waits (up to 60 s) until the server holds no established connection: a second wave meets a server whose first
# wave is gone.
wait_no_connections() {
  for _ in $(seq 1 600); do
    [ "$(ss -Htn state established "( sport = :$PORT )" | wc -l)" = 0 ] && return 0
    sleep 0.1
  done
  echo "connections to port $PORT still open after 60 s" >&2
}

# generate RUN SERVER [generator args...]: one generator run against the server started last. Writes RUN.json,
# RUN.progress, RUN.args and RUN.env; a generator that fails is recorded (RUN.env) and the comparison goes on.
generate() {
  local run=$1 server=$2; shift 2
  local args=(--server "$(api_of "$server")" --url "http://127.0.0.1:$PORT" --gateway-pid "$SERVER_PIDS" --payload 150 --batch 1 "$@")
  local before m0 s0 rc=0 p
  before=$(loadavg)
  echo "== $run (load average $before): LoadGenerator ${args[*]}" >&2
  echo "taskset -c 0 java ${GENERATOR_JVM[*]} -cp $BENCH_JAR io.sluice.bench.load.LoadGenerator ${args[*]}" >"$OUT/$run.args"
  m0=$(machine_ticks); s0=0
  for p in ${SERVER_PIDS//,/ }; do s0=$((s0 + $(ticks "$p"))); done
  /usr/bin/time -f '%e %U %S' -o "$OUT/$run.time" taskset -c 0 java "${GENERATOR_JVM[@]}" -cp "$BENCH_JAR" \
    io.sluice.bench.load.LoadGenerator "${args[@]}" >"$OUT/$run.json" 2>"$OUT/$run.progress" || rc=$?
  local m1 s1=0
  m1=$(machine_ticks)
  for p in ${SERVER_PIDS//,/ }; do s1=$((s1 + $(ticks "$p" 2>/dev/null || echo 0))); done
  grep '^loadgen:' "$OUT/$run.progress" >&2 || true
  # Raw readings; the renderer derives the CPU other processes used during the run from them.
  printf '{"loadAverageBefore": "%s", "loadAverageAfter": "%s", "busyCoresBeforeServerStart": "%s",\n' \
    "$before" "$(loadavg)" "$QUIET" >"$OUT/$run.env"
  printf ' "generatorExit": %d, "generatorTime": "%s",\n' "$rc" "$(tail -1 "$OUT/$run.time")" >>"$OUT/$run.env"
  printf ' "machineBusyTicks": %d, "serverTicks": %d, "clockTicksPerSec": %d}\n' \
    $((m1 - m0)) $((s1 - s0)) "$(getconf CLK_TCK)" >>"$OUT/$run.env"
  rm -f "$OUT/$run.time"
}

# ---- the scenarios (issue 12): each takes SERVER ROUND ----

# compact_access_log LOG_PREFIX: the gateway's access-log lines (one per publish: tens of MB) leave the results; a count
# and the first three stay in their place.
compact_access_log() {
  local err=$1.gateway.err
  [ -f "$err" ] || return 0
  local n bytes
  n=$(grep -c '^time=' "$err" || true); bytes=$(grep '^time=' "$err" | wc -c || true)
  { grep -v '^time=' "$err" || true; echo "[bench: $n access-log lines ($bytes bytes) were written here; the first three:]"
    grep -m 3 '^time=' "$err" || true; } >"$err.tmp"
  mv "$err.tmp" "$err"
}

own_topics_10k() {   # a. 10,000 streams, a topic each, 10,000 single-event publishes/s over 64 keep-alive connections
  local run=own_topics_10k.$1.r$2
  NCHAN_ACCESS_LOG=on start_server "$1" "$OUT/$run" --access-log=text
  generate "$run" "$1" --streams 10000 --topics per-stream --rate 10000 --publishers 64 --duration 30s \
    --warmup "${A_WARMUP:-5s}"
  stop_servers
  compact_access_log "$OUT/$run"
}
new_streams_19k() {  # b. CPU per new stream: 19,000 streams from one client address, cold then warm
  local run=new_streams_19k.$1.r$2
  local wave=(--streams 19000 --processes 2 --source-addresses 127.0.0.1 --topics per-stream --rate 0 --duration 1s
    --warmup 0s --connect-timeout 60s)
  start_server "$1" "$OUT/$run"
  generate "$run.cold" "$1" "${wave[@]}"
  wait_no_connections
  generate "$run.warm" "$1" "${wave[@]}"
  stop_servers
}
cold_1k_1m() {       # c. a server started seconds before: 1,000 streams, one topic, 1,000 events/s from the first second
  local run=cold_1k_1m.$1.r$2
  start_prewarm_server "$1" "$OUT/$run"
  start_server "$1" "$OUT/$run"
  generate "$run" "$1" --streams 1000 --topics shared --rate 1000 --publishers 32 --duration 10s --warmup 0s --grace 5s \
    --prewarm-url "$PREWARM_URL" --prewarm 10s
  stop_servers
}
fanout_1k_ramp() {   # d. 1,000 streams, one topic, ramped x1.5 every 4 s: highest rate with p99 <= 50 ms and no loss
  local run=fanout_1k_ramp.$1.r$2
  start_server "$1" "$OUT/$run"
  # 10 s of warm-up at the first rate: a fresh JVM's first seconds are scenario c's subject, not this one's (with 3 s,
  # a compilation stall failed Sluice's first 4-second step).
  generate "$run" "$1" --streams 1000 --topics shared --rate 25 --publishers 32 --ramp --ramp-step 1.5 \
    --ramp-interval 4s --ramp-p99-limit 50ms --duration 60s --warmup 10s
  stop_servers
}
shared_10k_5eps() {  # e. 10,000 streams on one topic at 5 events/s
  local run=shared_10k_5eps.$1.r$2
  start_server "$1" "$OUT/$run"
  generate "$run" "$1" --streams 10000 --topics shared --rate 5 --publishers 1 --duration 30s --warmup 5s
  stop_servers
}

run_json() {
  BASE_JVM_USED="${BASE_JVM[*]}" python3 - "$OUT/run.json" "$1" "$2" "$ROUNDS" "${SELECTED[*]}" "$(loadavg)" <<'PY'
import json, os, sys, time
path, command, phase, rounds, scenarios, load = sys.argv[1:]
d = json.load(open(path)) if os.path.exists(path) else {}
d.update({"command": command, "rounds": int(rounds), "scenarios": scenarios.split(),
          "variants": os.environ.get("VARIANTS", "sluice nchan").split()})
if "sluice-base" in d["variants"]:
    d["base"] = {"jar": os.environ.get("BASE_JAR", ""), "jvm": os.environ.get("BASE_JVM_USED", ""),
                 "note": os.environ.get("BASE_NOTE", "")}
d["loadAverage" + phase] = load
d["time" + phase] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
json.dump(d, open(path, "w"), indent=1)
PY
}

run_json "ROUNDS=$ROUNDS bench/run-nchan-compare.sh${*:+ $*}" Start
for s in "${SELECTED[@]}"; do
  for round in $(seq 1 "$ROUNDS"); do
    for server in "${VARIANT_LIST[@]}"; do "$s" "$server" "$round"; done
  done
done
run_json "ROUNDS=$ROUNDS bench/run-nchan-compare.sh${*:+ $*}" End

# RESULTS.md: the newest bench/run-scenarios.sh run (what RESULTS.md shows now) with the comparison added; each
# scenario's rows come from the newest *-nchan folder that ran it, so re-running one scenario updates only its rows.
SCENARIOS_RUN=$(find bench/results -maxdepth 1 -regextype posix-extended -regex '.*/[0-9T-]+Z' | sort | tail -1)
python3 bench/render-results.py "$SCENARIOS_RUN" "${GATEWAY_JVM[*]}" "${IDLE_JVM[*]}" >bench/RESULTS.md
echo "results in $OUT; wrote bench/RESULTS.md" >&2
