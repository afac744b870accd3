#!/usr/bin/env python3
"""One line per run folder: latency percentiles, CPU per event, and G1's young pauses in the measured window's
last 32 s of the GC log (count, sum, longest). Usage: summarize.py [folder ...] (default: every folder here)."""
import glob, json, os, re, sys

here = os.path.dirname(os.path.abspath(__file__))
folders = sys.argv[1:] or sorted(d for d in glob.glob(os.path.join(here, '*')) if os.path.isdir(d))
print('| run | p50 | p99 | p99.9 (ms) | CPU per event (µs) | young pauses, last 32 s: count, sum, longest (ms) |')
print('|---|---|---|---|---|---|')
for d in folders:
    run = json.load(open(os.path.join(d, 'a.json')))
    lat, gw = run['latencyMs'], run['gateway']
    pauses = [(float(t), float(ms)) for t, ms in re.findall(r'\[(\d+\.\d+)s\] GC\(\d+\) Pause Young.* (\d+\.\d+)ms',
                                                       open(os.path.join(d, 'pauses.txt')).read())]
    end = pauses[-1][0] if pauses else 0
    window = [ms for t, ms in pauses if t > end - 32]
    gc = f'{len(window)}, {sum(window):.0f}, {max(window):.0f}' if window else 'none (ZGC: concurrent; Epsilon: no collector)'
    print(f'| {os.path.basename(d)} | {lat["p50"]:.3f} | {lat["p99"]:.2f} | {lat["p99_9"]:.1f} | '
          f'{gw["cpuMicrosPerPublishedEvent"]:.1f} | {gc} |')
