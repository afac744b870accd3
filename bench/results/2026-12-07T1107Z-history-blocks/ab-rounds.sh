#!/usr/bin/env bash
# HEAD (d109e4c) against the blocks build (d3d8dd0), alternating: scenario b's two waves with per-thread CPU
# (b-threads.sh), then scenario a (gcrun.sh, G1), per round
for r in 1 2; do
  for v in head blocks8; do
    if [ $v = head ]; then J=/tmp/s2/gw.jar; else J=/tmp/s2/blocks8.jar; fi
    GATEWAY_JAR=$J BENCH_JAR=/tmp/s2/bench.jar OUTD=/tmp/s2/ab/b-$v.r$r bash /work/main/bench/results/2026-12-07T0500Z-warmup-jit/b-threads.sh > /tmp/s2/ab/b-$v.r$r.threads.txt 2>&1
  done
  for v in head blocks8; do
    if [ $v = head ]; then J=/tmp/s2/gw.jar; else J=/tmp/s2/blocks8.jar; fi
    GATEWAY_JAR=$J ../2026-12-07T0958Z-collectors/gcrun.sh /tmp/s2/ab/a-$v.r$r g1
  done
  uptime >> /tmp/s2/ab/load.txt
done
echo done >> /tmp/s2/ab/load.txt
