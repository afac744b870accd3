#!/usr/bin/env bash
# decomposition: Sluice variants in scenario a, alternating
cd /work/main
for r in 1 2; do
  for v in def logoff h0 both; do
    case $v in def) A="";; logoff) A="--access-log=off";; h0) A="--history-size=0";; both) A="--access-log=off --history-size=0";; esac
    GATEWAY_JAR=/tmp/s2/sluice-gateway.jar BENCH_JAR=/tmp/s2/sluice-benchmarks.jar GW_ARGS="$A" timeout 300 bench/results/2026-12-07T1820Z-a-profile/a-perf.sh /tmp/dc/$v.r$r >/dev/null 2>&1
    echo "$v r$r $(python3 -c "import json;d=json.load(open('/tmp/dc/$v.r$r/run.json'));print(d['gateway']['cpuMicrosPerPublishedEvent'], d['latencyMs']['p99'])") $(grep '^total' /tmp/dc/$v.r$r/threads.txt)"
  done
done
