#!/usr/bin/env python3
"""Renders bench/RESULTS.md from one run folder of bench/run-scenarios.sh (JMH json + load summaries) and, when there
are any, the run folders of bench/run-nchan-compare.sh next to it (the Sluice / nchan section; each scenario from the
newest folder that ran it, so a re-run of one scenario updates only its rows) and the newest bench/run-soak.sh folder
(the soak section: the gateway's memory and state per minute, and whether they stayed flat).

    render-results.py RUN_DIR GATEWAY_JVM IDLE_JVM
    render-results.py --soak SOAK_DIR        (only the soak section of that folder: its report.md)"""
import glob
import json
import os
import platform
import re
import subprocess
import sys

SOAK_ONLY = len(sys.argv) == 3 and sys.argv[1] == "--soak"
if SOAK_ONLY:
    run_dir = sys.argv[2]
else:
    run_dir, gateway_jvm, idle_jvm = sys.argv[1], sys.argv[2], sys.argv[3]
# bench/run-nchan-compare.sh folders, oldest first: each scenario is rendered from the newest one that ran it.
nchan_runs = sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(run_dir)), "*-nchan")))
# bench/run-soak.sh folders, oldest first: the newest is rendered.
soak_runs = sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(run_dir)), "*-soak")))


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception as e:  # a missing tool must not lose the results
        return f"({e})"


def load(name, folder=None):
    path = os.path.join(folder or run_dir, name + ".json")
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return None
    with open(path) as f:
        return json.load(f)


def get(d, *keys, default=None):
    for k in keys:
        if not isinstance(d, dict) or k not in d or d[k] is None:
            return default
        d = d[k]
    return d


def verdict(value, limit, smaller_is_better=True):
    if value is None:
        return "not measured"
    ok = value <= limit if smaller_is_better else value >= limit
    return "met" if ok else "**not met**"


def args(name, folder=None):
    path = os.path.join(folder or run_dir, name + ".args")
    return open(path).read().strip() if os.path.exists(path) else ""


def machine_of(folder, extra=None):
    """The machine a run folder was measured on: read once, when the folder is first rendered, and kept in it as
    machine.json, so re-rendering an old run on another machine does not report the new machine. extra: further
    name -> shell command pairs (tool versions) recorded with it."""
    path = os.path.join(folder, "machine.json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    cpu_model = sh("lscpu | grep 'Model name' | sed 's/.*: *//'")
    mem_gib = sh("free -g | awk '/Mem:/ {print $2}'")
    m = {
        "cpu": f"{cpu_model} ({os.cpu_count()} cores visible)",
        "memory": f"{mem_gib} GiB; kernel {platform.release()}",
        "java": sh("java -version 2>&1 | head -1"),
        "open_files": sh("ulimit -n"),
    }
    for k, cmd in (extra or {}).items():
        m[k] = sh(cmd)
    with open(path, "w") as f:
        json.dump(m, f, indent=1)
    return m


# ---- Sluice against nchan (bench/run-nchan-compare.sh) ----

def num(v):
    if v is None:
        return "–"
    if float(v).is_integer() and abs(v) < 1000:
        return str(int(v))
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}" if abs(v) >= 1 else f"{v:.3f}"


def held_deliveries(d):
    rate, opened = get(d, "ramp", "highestHeldRate"), get(d, "connect", "opened")
    return None if rate is None or opened is None else rate * opened


# scenario, wave suffix (run file name part), title, measures: (label, lower is better?, value of a summary)
NCHAN_TABLE = [
    ("own_topics_10k", "", "a. 10,000 streams, a topic each; 10,000 single-event publishes/s, 64 keep-alive publishers", [
        ("server CPU per published event (µs)", True, lambda d: get(d, "gateway", "cpuMicrosPerPublishedEvent")),
        ("publish → receive p50 (ms)", True, lambda d: get(d, "latencyMs", "p50")),
        ("publish → receive p99 (ms)", True, lambda d: get(d, "latencyMs", "p99")),
        ("publishes/s achieved (of 10,000)", False, lambda d: get(d, "publish", "achievedRate")),
        ("events lost", True, lambda d: get(d, "delivery", "loss"))]),
    ("new_streams_19k", ".cold", "b. 19,000 new streams from one client address", [
        ("server CPU per new stream, freshly started server (µs)", True,
         lambda d: get(d, "gateway", "cpuMicrosPerNewStream")),
        ("streams opened", False, lambda d: get(d, "connect", "opened"))]),
    ("new_streams_19k", ".warm", "", [
        ("server CPU per new stream, warm server: second wave (µs)", True,
         lambda d: get(d, "gateway", "cpuMicrosPerNewStream")),
        ("streams opened", False, lambda d: get(d, "connect", "opened"))]),
    ("cold_1k_1m", "", "c. cold server: 1,000 streams, one topic, 1,000 events/s (1 M deliveries/s offered) from the start", [
        ("publish → receive p99 over 10 s (ms)", True, lambda d: get(d, "latencyMs", "p99")),
        ("publish → receive p50 (ms)", True, lambda d: get(d, "latencyMs", "p50")),
        ("deliveries/s received", False, lambda d: get(d, "delivery", "deliveriesPerSec")),
        ("events lost (deliveries)", True, lambda d: get(d, "delivery", "loss"))]),
    ("fanout_1k_ramp", "", "d. fan-out: 1,000 streams, one topic, ramped x1.5 every 4 s", [
        ("highest deliveries/s held (p99 ≤ 50 ms, no loss)", False, held_deliveries),
        ("p99 of the first step, 25 events/s = 25,000 deliveries/s (ms)", True,
         lambda d: get((get(d, "ramp", "steps") or [{}])[0], "p99Ms")),
        ("generator CPU share over the ramp (1 = its core)", None, lambda d: get(d, "generator", "cpuShareMeasured"))]),
    ("shared_10k_5eps", "", "e. 10,000 streams, one topic, 5 events/s", [
        ("publish → receive p99 (ms)", True, lambda d: get(d, "latencyMs", "p99")),
        ("publish → receive p50 (ms)", True, lambda d: get(d, "latencyMs", "p50")),
        ("events lost (deliveries)", True, lambda d: get(d, "delivery", "loss"))]),
]


def other_cpu_cores(env):
    """CPU (in cores) used during a run by everything but the server and the generator: other users' work."""
    try:
        wall, user, system = (float(x) for x in env["generatorTime"].split()[-3:])
        hz = float(env["clockTicksPerSec"])
        return (env["machineBusyTicks"] / hz - env["serverTicks"] / hz - user - system) / wall
    except (KeyError, ValueError, TypeError, ZeroDivisionError):
        return None


def newest_with(scen, folders):
    """The newest run-nchan-compare.sh folder holding a run of scenario scen, or None."""
    for f in reversed(folders):
        if glob.glob(os.path.join(f, f"{scen}.*.json")):
            return f
    return None


def variants_in(folder, scen):
    """The servers a folder ran scenario scen with (sluice, sluice-base, sluice-uring, nchan ...), in that order."""
    found = {os.path.basename(p).split(".")[1] for p in glob.glob(os.path.join(folder, f"{scen}.*.r1*.json"))}
    order = ["sluice", "sluice-uring", "sluice-base", "nchan"]
    return [v for v in order if v in found] + sorted(found - set(order))


def render_variants(used, w):
    """Where a folder interleaved more than Sluice and nchan: every variant's figures, per round, side by side."""
    rows = []
    for scen, wave, title, measures in NCHAN_TABLE:
        f = used[scen]
        variants = variants_in(f, scen) if f else []
        if len(variants) <= 2:
            continue
        rs = range(1, (load("run", f) or {}).get("rounds", 1) + 1)
        for i, (label, lower, fn) in enumerate(measures):
            cells = [", ".join(num(fn(d)) if (d := load(f"{scen}.{v}.r{r}{wave}", f)) else "–" for r in rs)
                     for v in variants]
            rows.append((title if i == 0 else "", label, variants, cells))
    if not rows:
        return
    base = next(((load("run", f) or {}).get("base") for f in sorted({f for f in used.values() if f})
                 if (load("run", f) or {}).get("base")), None)
    if base and base.get("note"):
        described = f"sluice-base: {base['note']}, with `{base['jvm']}`"
    else:
        described = "sluice-base: the build before issue 12's changes, with the JVM flags above"
    w(f"Variants interleaved in the same rounds (`VARIANTS`; {described}; sluice-uring: this build with "
      "`transport = io_uring`; netty-floor: bench's `NettyFloorServer`, Netty's epoll transport and HTTP codec with "
      "the gateway's JVM flags and nothing of Sluice, no warm-up: what the runtime and the codec alone cost), "
      "per round:\n")
    for title, label, variants, cells in rows:
        if title:
            w(f"\n| {title} | " + " | ".join(variants) + " |")
            w("|---|" + "---|" * len(variants))
        w(f"| {label} | " + " | ".join(cells) + " |")
    w("")


def render_nchan(folders, w):
    """The Sluice / nchan section: each scenario's rows from the newest of folders (oldest first) that ran it."""
    used = {scen: newest_with(scen, folders) for scen, _, _, _ in NCHAN_TABLE}
    runs = sorted({f for f in used.values() if f})
    if not runs:
        return
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    w("## Sluice against nchan (`bench/run-nchan-compare.sh`)\n")
    w("Each scenario ran in rounds, each round Sluice then nchan (and, where a folder says so, other variants in "
      "between), every run on a freshly started server. Both servers pinned to CPU 1 (Sluice: one event loop, the JVM "
      "flags above (the runs of 2026-12-06T19:14Z to T19:33Z also with `-XX:-UseCodeCacheFlushing`, sluice-base "
      "without it), connection limits lifted, its start-up "
      "warm-up at its default where the build has one; nchan: nginx's master and one worker), the load generator to "
      "CPU 0; ~150-byte events, one per publish request. The access log is on for both in scenario a (Sluice's "
      "default text log, nginx's combined format, each to a file), off elsewhere. In scenario c the generator first "
      "warms its own JVM for 10 s against a second server of the same kind on CPU 0 (`--prewarm-url`), so the cold "
      "server's first seconds are not the cold generator's; folders from before 2026-12-06T19:14Z ran without it. The "
      "same generator measures both (`LoadGenerator --server sluice|nchan`). Runs (UTC):\n")
    for f in runs:
        meta = load("run", f) or {}
        m = machine_of(f, {"nginx": "nginx -v 2>&1 | sed 's/.*: //'",
                           "nchan": "dpkg-query -W -f='${Version}' libnginx-mod-nchan"})
        mine = ", ".join(sorted({scen for scen, g in used.items() if g == f}))
        w(f"- `{os.path.relpath(f, root)}` ({mine}): `{meta.get('command', '?')}`, {meta.get('timeStart', '?')} to "
          f"{meta.get('timeEnd', 'not finished')}; load average (1, 5, 15 min) at start {meta.get('loadAverageStart', '?')}, "
          f"at end {meta.get('loadAverageEnd', '?')}; {m['cpu']}, {m['memory']}, {m['java']}, open files per process "
          f"{m['open_files']}; nchan {m.get('nchan', '?')} (Debian's libnginx-mod-nchan) in nginx {m.get('nginx', '?')}")
    w("")
    w("nchan's config is each folder's `nchan.conf`: `worker_processes 1`, `worker_rlimit_nofile 20000` (the machine's "
      "hard limit), `worker_connections 30000` (slots, not descriptors: at 19,900 nchan refused ~350 of 19,000 "
      "streams), `access_log off` (on, to a file, in scenario a), `keepalive_requests 100000000` (nginx's default 1,000 would close publishers' "
      "connections), messages kept as Sluice's history (`nchan_message_buffer_length 1000`, `nchan_message_timeout "
      "1h`, `nchan_shared_memory_size 256M`), `nchan_subscriber_first_message newest`. The machine was shared with "
      "other engineers' builds and tests (load per run below): read ratios, not absolute figures (these drift ±30 % "
      "here).\n")
    w("| scenario | measure | better | Sluice (per round) | nchan (per round) | Sluice / nchan (per round) |")
    w("|---|---|---|---|---|---|")
    for scen, wave, title, measures in NCHAN_TABLE:
        f = used[scen]
        rs = range(1, (load("run", f) or {}).get("rounds", 1) + 1) if f else []
        for i, (label, lower, fn) in enumerate(measures):
            vals = {srv: [fn(d) if (d := load(f"{scen}.{srv}.r{r}{wave}", f)) else None for r in rs] or [None]
                    for srv in ("sluice", "nchan")}
            ratios = [None if a is None or b in (None, 0) else a / b for a, b in zip(vals["sluice"], vals["nchan"])]
            better = "–" if lower is None else "lower" if lower else "higher"
            w(f"| {title if i == 0 else ''} | {label} | {better} | {', '.join(map(num, vals['sluice']))} "
              f"| {', '.join(map(num, vals['nchan']))} | "
              f"{', '.join('–' if q is None else f'{q:.2f}' for q in ratios)} |")
    w("")
    render_variants(used, w)
    f = used["fanout_1k_ramp"]
    if f:
        rounds = (load("run", f) or {}).get("rounds", 1)
        w("Ramp stops (d): " + "; ".join(
            f"{srv} r{r}: {get(load(f'fanout_1k_ramp.{srv}.r{r}', f), 'ramp', 'stopReason', default='not run')}"
            for r in range(1, rounds + 1) for srv in ("sluice", "nchan")) + ".\n")
    w("Generator options per scenario (with `--server`, `--url` and `--gateway-pid` of each run; full command lines in "
      "the `.args` files):\n")
    for scen, f in used.items():
        a = args(f"{scen}.sluice.r1{'.cold' if scen == 'new_streams_19k' else ''}", f) if f else ""
        if a:
            w(f"- `{scen}`: `--payload{a.split('--payload', 1)[1]}`")
    w("")
    w("| run | machine busy before the server started (cores) | load average before | after "
      "| other processes' CPU during the run (cores) | generator exit | generator warnings |")
    w("|---|---|---|---|---|---|---|")
    for scen, f in used.items():
        for path in sorted(glob.glob(os.path.join(f, f"{scen}.*.env"))) if f else []:
            run = os.path.basename(path)[:-4]
            env = json.load(open(path))
            d = load(run, f)
            other = other_cpu_cores(env)
            warnings = "; ".join(get(d, "warnings", default=[]) or []) if d else "no summary"
            w(f"| {run} | {env.get('busyCoresBeforeServerStart', '–')} | {env.get('loadAverageBefore')} "
              f"| {env.get('loadAverageAfter')} | {'–' if other is None else f'{other:.2f}'} "
              f"| {env.get('generatorExit')} | {warnings} |")
    w("")
    w("- A ratio below 1 means Sluice is better where lower is better (CPU, latency), above 1 where higher is better. "
      "Server CPU is the whole process (`/proc/<pid>/stat`; for nchan master + worker), over the measured window "
      "(per event) or from before the first connect until every stream is open (per new stream). \"Other "
      "processes' CPU\" is the machine's busy time less the server's and the generator's: other users' work, and "
      "kernel threads (softirq work deferred to ksoftirqd).")
    w("- The generator is a JVM on one core: where its CPU share nears 1 (d), it, not the server, bounds the rate; "
      "loopback TCP processing of the receiving side is charged partly to the sending core.")
    w("- Latency counts from the moment the generator sent the publish request. A publisher that falls behind its "
      "schedule (every connection busy) sends the backlog as connections free up: that waiting is not in the latency, "
      "and a backlog from the warm-up sent in the window shows as more than 10,000 publishes/s achieved (a).")


# ---- soak (bench/run-soak.sh) ----

SOAK_SETTLE_MIN = 3     # "the first minutes": samples before this are start-up, not compared
SOAK_WINDOW = 3         # samples per compared window (one whole --soak-burst cycle of 3 minutes at 1 sample/min)
SOAK_FLAT = 0.10        # flat: the late window's largest value within 10 % of the settled window's largest
MIB = 1024 * 1024

# label, unit, value of a sample (None when not measured)
def rss_outside_heap(s):
    rss, heap = get(s, "gateway", "rssKiB"), get(s, "gateway", "rssHeapKiB")
    return None if rss is None or heap is None else (rss - heap) / 1024


SOAK_SERIES = [
    ("RSS", "MiB", lambda s: None if get(s, "gateway", "rssKiB") is None else get(s, "gateway", "rssKiB") / 1024),
    ("RSS outside the Java heap's range", "MiB", rss_outside_heap),
    ("heap after full GC (live objects)", "MiB",
     lambda s: None if get(s, "gateway", "heapLiveBytes") is None else get(s, "gateway", "heapLiveBytes") / MIB),
    ("direct memory, JVM (jvm_buffer_memory_used_bytes{id=\"direct\"})", "MiB",
     lambda s: None if get(s, "gateway", "directBufferBytes") is None else get(s, "gateway", "directBufferBytes") / MIB),
    ("direct memory, Netty's pool (netty_allocator_memory_used_bytes)", "MiB",
     lambda s: None if get(s, "gateway", "nettyDirectBytes") is None else get(s, "gateway", "nettyDirectBytes") / MIB),
    ("sluice_topics", "", lambda s: get(s, "gateway", "topics")),
    ("sluice_history_bytes", "MiB",
     lambda s: None if get(s, "gateway", "historyBytes") is None else get(s, "gateway", "historyBytes") / MIB),
    ("sluice_history_events", "", lambda s: get(s, "gateway", "historyEvents")),
]


def soak_samples(folder):
    path = os.path.join(folder, "samples.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def delta(samples, i, *keys):
    """The increase of a cumulative figure from sample i-1 to sample i, or None."""
    if i == 0:
        return None
    a, b = get(samples[i - 1], *keys), get(samples[i], *keys)
    return None if a is None or b is None else b - a


def soak_verdict(samples):
    """Per series: (label, unit, settled window max, late window max, change, flat?, min and max from the settle point
    on), or None when the run is too short to compare; and the indices of the two windows."""
    settled = [i for i, s in enumerate(samples) if s["t"] >= SOAK_SETTLE_MIN * 60 - 5]
    if len(settled) < SOAK_WINDOW + 1:
        return None, [], []
    first = settled[:SOAK_WINDOW]
    last = list(range(len(samples) - SOAK_WINDOW, len(samples)))
    rows = []
    for label, unit, fn in SOAK_SERIES:
        a = [fn(samples[i]) for i in first]
        b = [fn(samples[i]) for i in last]
        every = [fn(samples[i]) for i in settled]
        if None in a or None in b:
            rows.append((label, unit, None, None, None, None, None, None))
            continue
        change = None if max(a) == 0 else max(b) / max(a) - 1
        flat = max(b) <= max(a) * (1 + SOAK_FLAT)
        rows.append((label, unit, max(a), max(b), change, flat, min(v for v in every if v is not None),
                     max(v for v in every if v is not None)))
    return rows, first, last


def g1_young(folder, samples, window):
    """From the gateway's gc.log: (most Eden regions in use at a young GC, largest Eden target) between the full GCs
    of the first and the last sample of window (each sample's class histogram is one "Heap Inspection Initiated GC",
    in order), and the region size; None when the log does not allow it."""
    path = os.path.join(folder, "gc.log")
    if not os.path.exists(path):
        return None
    inspections, eden, region = [], [], None
    with open(path) as f:
        for line in f:
            m = re.search(r"\]\[([0-9.]+)s\] GC\(\d+\) Pause Full \(Heap Inspection Initiated GC\) \d", line)
            if m:
                inspections.append(float(m.group(1)))
            m = re.search(r"\]\[([0-9.]+)s\] GC\(\d+\) Eden regions: (\d+)->\d+\((\d+)\)", line)
            if m:
                eden.append((float(m.group(1)), int(m.group(2)), int(m.group(3))))
            m = re.search(r"Heap Region Size: (\S+)", line)
            if m:
                region = m.group(1)
    if len(inspections) != len(samples):
        return None
    lo, hi = inspections[window[0]], inspections[window[-1]]
    inside = [(used, target) for t, used, target in eden if lo <= t <= hi]
    if not inside:
        return None
    return max(u for u, _ in inside), max(t for _, t in inside), region


def rss_note(folder, samples, rows, first, last, meta):
    """When RSS is not flat but RSS outside the heap is: how much of the growth is the heap's, and G1's young generation
    in both windows, from gc.log."""
    flat = {r[0]: r[5] for r in rows}
    if flat.get("RSS") is not False or flat.get("RSS outside the Java heap's range") is not True:
        return None
    heap = lambda i: (get(samples[i], "gateway", "rssHeapKiB") or 0) / 1024
    xmx = re.search(r"-Xmx(\d+)([gGmM])", meta.get("gatewayJvm", ""))
    xmx_mib = None if not xmx else int(xmx.group(1)) * (1024 if xmx.group(2) in "gG" else 1)
    outside = max(rss_outside_heap(samples[i]) for i in last)
    text = (f"RSS grew only inside the Java heap's reserved range: the heap's resident part was at most "
            f"{num(max(heap(i) for i in first))} MiB in the first window and {num(max(heap(i) for i in last))} MiB in "
            f"the last, while the live heap after GC and the RSS outside the heap stayed flat. With `-Xms` = `-Xmx` the "
            f"heap is committed at start but its pages become resident only when G1 first uses them")
    young = [g1_young(folder, samples, w) for w in (first, last)]
    if None not in young:
        text += (f"; G1 grew its young generation over the run (gc.log: at most {young[0][0]} Eden regions in use and "
                 f"a target of {young[0][1]} in the first window, {young[1][0]} and {young[1][1]} in the last; regions "
                 f"of {young[0][2]})")
    if xmx_mib:
        text += (f". That growth stops at `-Xmx` ({num(xmx_mib)} MiB): RSS is bounded by about {num(xmx_mib + outside)} "
                 f"MiB at this load (`-Xmx` plus the RSS outside the heap)")
    return text + "."


def class_growth(samples, a, b, n=6):
    """The classes whose live bytes grew most from sample a to sample b (each sample keeps its largest classes)."""
    def table(s):
        return {c["class"]: (c["bytes"], c["objects"]) for c in s.get("topClasses") or []}
    ta, tb = table(samples[a]), table(samples[b])
    floor_a = min((v[0] for v in ta.values()), default=0)
    out = []
    for cls, (bytes_b, objects_b) in tb.items():
        bytes_a, objects_a = ta.get(cls, (None, None))
        grew = bytes_b - (bytes_a if bytes_a is not None else floor_a)
        out.append((grew, cls, bytes_a, bytes_b, objects_a, objects_b))
    out.sort(reverse=True)
    return out[:n], floor_a


def render_soak(folder, w, root):
    samples = soak_samples(folder)
    meta = load("run", folder) or {}
    summary = load("soak", folder)
    m = machine_of(folder)
    w(f"## Soak: bounded state over {meta.get('minutes', '?')} minutes (`bench/run-soak.sh`, issue 11 item 7)\n")
    w(f"Run `{os.path.relpath(folder, root)}`: `{meta.get('command', '?')}`, {meta.get('timeStart', '?')} to "
      f"{meta.get('timeEnd', 'not finished')} (UTC); load average (1, 5, 15 min) at start {meta.get('loadAverageStart', '?')}, "
      f"at end {meta.get('loadAverageEnd', '?')} (the machine is shared with other engineers' builds and tests); "
      f"{m['cpu']}, {m['memory']}, {m['java']}, open files per process {m['open_files']}.\n")
    w(f"- Gateway: fresh process pinned to CPU 1 (`taskset -c 1`), JVM `{meta.get('gatewayJvm', '?')}` (the systemd "
      f"unit's flags halved), options `{meta.get('gatewayFlags', '?')}`.")
    w(f"- Load generator (pinned to CPU 0): `LoadGenerator {meta.get('generatorArgs', '?')}`.")
    w("- Each sample: the gateway's RSS (`/proc/<pid>/status` VmRSS; in brackets the part outside the Java heap's "
      "reserved range, from `/proc/<pid>/smaps`: direct memory, metaspace, code, thread stacks, malloc; the heap's own "
      "part grows until G1 has touched the regions it uses, at most `-Xmx`), then `jcmd <pid> GC.class_histogram` (a full GC, "
      "then the live objects by class: their total is the heap after GC, and the 25 largest classes are kept), then "
      "`/metrics` on the management port (read after that GC). Rates are the generator's over the minute before the "
      "sample; evictions and cut streams are the increase over that minute. The forced full GC pauses the gateway once "
      "a minute.\n")
    if not samples:
        w("No samples were written (`samples.jsonl` is missing or empty).\n")
        return
    w("| min | RSS MiB (outside heap) | heap after GC MiB | direct MiB (JVM / Netty pool) | topics | history MiB "
      "| history events | evicted count / age / bytes | streams open (gateway) | cut loose | publish /s | publish KiB/s "
      "| deliveries /s | new streams /s | sample s |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for i, s in enumerate(samples):
        g = s.get("gateway", {})
        q = s.get("generator", {})
        ev = [delta(samples, i, "gateway", "evictions", r) for r in ("count", "age", "bytes")]
        cut = delta(samples, i, "gateway", "slowConsumerDisconnects")
        vals = [fn(s) for _, _, fn in SOAK_SERIES]
        w(f"| {s['t'] / 60:.0f} | {num(vals[0])} ({num(vals[1])}) | {num(vals[2])} | {num(vals[3])} / {num(vals[4])} "
          f"| {num(vals[5])} | {num(vals[6])} | {num(vals[7])} | {' / '.join(num(v) for v in ev)} "
          f"| {num(g.get('connections'))} "
          f"| {num(cut)} | {num(q.get('publishPerSec'))} | {num(q.get('publishKiBPerSec'))} "
          f"| {num(q.get('deliveriesPerSec'))} | {num(q.get('renewalsPerSec'))} | {num(s.get('sampleSeconds'))} |")
    w("")
    rows, first, last = soak_verdict(samples)
    if rows is None:
        w(f"Too short to judge: fewer than {SOAK_WINDOW + 1} samples from minute {SOAK_SETTLE_MIN} on.\n")
        return
    mins = lambda idx: f"{samples[idx[0]]['t'] / 60:.0f}–{samples[idx[-1]]['t'] / 60:.0f}"
    w(f"**Verdict.** A figure is flat when its largest value in the last {SOAK_WINDOW} samples (minutes {mins(last)}) "
      f"is within {SOAK_FLAT:.0%} of its largest in minutes {mins(first)} (minutes 0–{SOAK_SETTLE_MIN - 1} are start-up: "
      f"JIT, heap regions first touched, history filling to its bounds). Each window spans one whole 3-minute burst "
      f"cycle, so both hold a burst.\n")
    w(f"| figure | largest, minutes {mins(first)} | largest, minutes {mins(last)} | change | range from minute "
      f"{SOAK_SETTLE_MIN} | flat |")
    w("|---|---|---|---|---|---|")
    for label, unit, a, b, change, flat, lo, hi in rows:
        u = f" {unit}" if unit else ""
        if a is None:
            w(f"| {label} | – | – | – | – | not measured |")
            continue
        w(f"| {label} | {num(a)}{u} | {num(b)}{u} | {'–' if change is None else f'{change:+.1%}'} "
          f"| {num(lo)}–{num(hi)}{u} | {'yes' if flat else '**no**'} |")
    w("")
    grown = [r[0] for r in rows if r[5] is False]
    if grown:
        note = rss_note(folder, samples, rows, first, last, meta)
        if note:
            w(f"**Not flat: {', '.join(grown)}.** {note}\n")
        w(f"{'What grew' if not note else 'In the heap'}, by class (live bytes from the histograms):\n")
    else:
        w("**Every figure stayed flat.** For the record, the classes that grew most between the first compared "
          "sample and the last (live bytes from the histograms):\n")
    growth, floor = class_growth(samples, first[0], len(samples) - 1)
    w(f"| class | minute {samples[first[0]]['t'] / 60:.0f} bytes (objects) | minute {samples[-1]['t'] / 60:.0f} bytes "
      f"(objects) | change |")
    w("|---|---|---|---|")
    for grew, cls, ba, bb, oa, ob in growth:
        before = f"< {num(floor)} (not in the 25 largest)" if ba is None else f"{num(ba)} ({num(oa)})"
        w(f"| `{cls}` | {before} | {num(bb)} ({num(ob)}) | {grew:+,} |")
    w("")
    if summary:
        soak = summary.get("soak", {})
        pub = summary.get("publish", {})
        gw = summary.get("gateway", {})
        drawn = soak.get("eventsDrawn", {})
        total_ev = [get(samples[-1], "gateway", "evictions", r) for r in ("count", "age", "bytes")]
        w(f"Over the whole run: {num(soak.get('streamsRenewed'))} streams renewed with fresh topics "
          f"({num(soak.get('streamsRenewedPerSecWholeRun'))}/s), {num(soak.get('slowPauses'))} slow streams paused, "
          f"{num(soak.get('cutLooseOrOtherwiseClosed'))} streams closed by the gateway (slow-consumer disconnects: "
          f"{num(get(samples[-1], 'gateway', 'slowConsumerDisconnects'))}) and resumed with Last-Event-ID "
          f"({num(soak.get('resets'))} of them got `reset`); {num(pub.get('acceptedEventsWholeRun'))} events accepted "
          f"({num(drawn.get('toNobody'))} to topics nobody read, {num(drawn.get('toOpenStreams'))} to topics an open "
          f"stream read, {num(drawn.get('hot'))} to the hot topic), {num(pub.get('requestsFailed'))} publish requests "
          f"failed, {num(get(samples[-1], 'gateway', 'publishesRefused'))} refused for memory; history evictions by "
          f"count / age / bytes {' / '.join(num(v) for v in total_ev)}; gateway CPU over the run "
          f"{num(gw.get('cpuShareMeasured'))} of a core; generator warnings: "
          f"{'; '.join(summary.get('warnings') or []) or 'none'}.\n")


out = []
w = out.append
if SOAK_ONLY:
    render_soak(run_dir, w, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    print("\n".join(out))
    sys.exit(0)
w("# Sluice benchmark results\n")
w("Generated by `bench/run-scenarios.sh` from `" + run_dir + "`; do not edit by hand (the notes under")
w("*Reading these figures* are in the script's renderer, `bench/render-results.py`).\n")
w("## Machine\n")
w(f"- date (UTC): {os.path.basename(run_dir)}")
machine = machine_of(run_dir)
w(f"- CPU: {machine['cpu']}")
w(f"- memory: {machine['memory']}")
w(f"- java: {machine['java']}")
w(f"- open files per process: {machine['open_files']}")
w(f"- gateway JVM flags (throughput runs): `{gateway_jvm}`; gateway pinned to CPU 1 (`taskset -c 1`), one event loop")
w(f"- gateway JVM flags (idle-memory run): `{idle_jvm}`")
w("- load generator pinned to CPU 0; its own CPU per delivery is in each row\n")

jmh = load("jmh")
w("## JMH (`java -jar bench/target/sluice-benchmarks.jar -prof gc`)\n")
if jmh is None:
    w("Not run in this folder.\n")
else:
    w("| benchmark | params | score | error | unit | alloc B/op |")
    w("|---|---|---|---|---|---|")
    for r in jmh:
        name = r["benchmark"].replace("io.sluice.bench.", "")
        params = ", ".join(f"{k}={v}" for k, v in (r.get("params") or {}).items())
        m = r["primaryMetric"]
        alloc = get(r, "secondaryMetrics", "gc.alloc.rate.norm", "score")
        alloc_s = f"{alloc:.1f}" if alloc is not None else ""
        w(f"| {name} | {params} | {m['score']:.1f} | ±{m['scoreError']:.1f} | {m['scoreUnit']} | {alloc_s} |")
    fan = {r["params"]["subscribers"]: r for r in jmh
           if r["benchmark"].endswith("FanoutBenchmark.publishAndFanOut")}
    enc = [r for r in jmh if r["benchmark"].endswith("EncodeBenchmark.jsonData") and r["params"]["size"] == "128"]
    w("")
    if "1" in fan:
        t1 = fan["1"]["primaryMetric"]["score"]
        a1 = get(fan["1"], "secondaryMetrics", "gc.alloc.rate.norm", "score", default=0)
        for n in sorted((k for k in fan if k != "1"), key=int):
            r = fan[n]
            tn, err = r["primaryMetric"]["score"], r["primaryMetric"]["scoreError"]
            an = get(r, "secondaryMetrics", "gc.alloc.rate.norm", "score", default=0)
            per_sub = (tn - t1) / (int(n) - 1)
            per_alloc = (an - a1) / (int(n) - 1)
            noisy = " (error larger than the score: not a usable figure)" if err > tn else ""
            w(f"- fan-out per subscriber, (t({n}) - t(1)) / {int(n) - 1}: **{per_sub:.1f} ns**{noisy} "
              f"(target ≤ 50 ns: {verdict(per_sub, 50)}), allocation **{per_alloc:.2f} B** "
              f"(target 0: {verdict(per_alloc, 0.5)})")
    if enc:
        e = enc[0]["primaryMetric"]["score"]
        w(f"- encoding a 128-byte JSON event: **{e:.1f} ns** (target ≤ 100 ns: {verdict(e, 100)})")
    w("")

w("## Load scenarios (`bench/run-scenarios.sh`)\n")
rows = [
    ("fanout_1k", "1,000 streams, one topic, 150 B events, ramped"),
    ("shared_10k_10eps", "10,000 streams, one topic, 10 events/s"),
    ("own_topics_10k", "10,000 streams, a topic each, 10,000 publishes/s"),
    ("connect_storm_10k", "10,000 new streams, then all reconnect with Last-Event-ID"),
    ("idle_19k", "19,000 idle streams (2 generator processes)"),
]
w("| scenario | deliveries/s | loss | dup | p50 ms | p99 ms | gw µs/delivery | gw µs/event | gw µs/stream | KiB/stream | gen µs/delivery |")
w("|---|---|---|---|---|---|---|---|---|---|---|")
results = {}
for name, title in rows:
    d = load(name)
    results[name] = d
    if d is None:
        w(f"| {title} | not run | | | | | | | | | |")
        continue

    def f(v, fmt="{:.2f}"):
        return "" if v is None else fmt.format(v)
    w(f"| {title} | {f(get(d, 'delivery', 'deliveriesPerSec'), '{:,.0f}')} | {get(d, 'delivery', 'loss')} "
      f"| {get(d, 'delivery', 'duplicates')} | {f(get(d, 'latencyMs', 'p50'))} | {f(get(d, 'latencyMs', 'p99'))} "
      f"| {f(get(d, 'gateway', 'cpuMicrosPerDelivery'))} | {f(get(d, 'gateway', 'cpuMicrosPerPublishedEvent'))} "
      f"| {f(get(d, 'gateway', 'cpuMicrosPerNewStream'))} | {f(get(d, 'gateway', 'rssKiBPerStream'))} "
      f"| {f(get(d, 'generator', 'cpuMicrosPerDelivery'))} |")
w("")
w("Commands (each after `bench/run-scenarios.sh` started a fresh pinned gateway):\n")
for name, _ in rows:
    if results.get(name) is not None:
        w(f"- `{name}`: `LoadGenerator {args(name)}`")
w("")

w("## Against the targets of issue 3\n")
fan = results.get("fanout_1k")
if fan:
    held = get(fan, "ramp", "highestHeldRate")
    streams = get(fan, "connect", "opened", default=0)
    held_deliveries = None if held is None else held * streams
    w(f"- {streams:,} streams, one topic: highest event rate that held {held} events/s "
      f"= {0 if held is None else held_deliveries:,.0f} deliveries/s (target ≥ 1,000,000: "
      f"{verdict(held_deliveries, 1_000_000, False)}); ramp stopped: "
      f"{get(fan, 'ramp', 'stopReason')}; gateway CPU {get(fan, 'gateway', 'cpuMicrosPerDelivery')} µs per delivery "
      f"over the whole ramp (target ≤ 0.8 µs at 1M/s)")
s10 = results.get("shared_10k_10eps")
if s10:
    p99 = get(s10, "latencyMs", "p99")
    w(f"- 10,000 streams at 10 events/s: p99 {p99} ms (target ≤ 10 ms: {verdict(p99, 10)}), "
      f"loss {get(s10, 'delivery', 'loss')}")
own = results.get("own_topics_10k")
if own:
    v = get(own, "gateway", "cpuMicrosPerPublishedEvent")
    w(f"- 10,000 own topics, 10,000 publishes/s (achieved {get(own, 'publish', 'achievedRate')}/s): "
      f"{v} µs gateway CPU per published event (target ≤ 24 µs: {verdict(v, 24)})")
cs = results.get("connect_storm_10k")
if cs:
    v = get(cs, "gateway", "cpuMicrosPerNewStream")
    w(f"- new streams: {v} µs gateway CPU per stream (target ≤ 30 µs: {verdict(v, 30)}); reconnect storm: "
      f"{get(cs, 'delivery', 'reconnects')} reconnects, loss {get(cs, 'delivery', 'loss')}, "
      f"duplicates {get(cs, 'delivery', 'duplicates')}, resets {get(cs, 'delivery', 'resets')}")
idle = results.get("idle_19k")
if idle:
    v = get(idle, "gateway", "rssKiBPerStream")
    w(f"- idle streams: {v} KiB RSS per stream at {get(idle, 'connect', 'opened')} streams after a full GC "
      f"(target ≤ 4 KiB: {verdict(v, 4)}); limit hit: {get(idle, 'limitHit')}")
w("")
w("## Reading these figures\n")
w("- Gateway CPU comes from `/proc/<pid>/stat` over the measured window and includes everything the process "
  "did: HTTP publish handling, fan-out, GC, JIT. Per-delivery figures divide it by deliveries.")
w("- When the generator's CPU per delivery approaches the gateway's, the generator (one pinned core) is the "
  "limit of the run, not the gateway.")
w("- JMH fan-out runs on `FastThreadLocalThread`s with the recycler sizing `Main` applies; see "
  "`FanoutBenchmark` for why.")
if nchan_runs:
    w("")
    render_nchan(nchan_runs, w)
if soak_runs:
    w("")
    render_soak(soak_runs[-1], w, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
analysis = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ANALYSIS.md")
if os.path.exists(analysis):
    w("")
    w(open(analysis).read().rstrip())
print("\n".join(out))
