#!/usr/bin/env bash
# ../2026-12-07T0500Z-warmup-jit/b-threads.sh with a GC log: scenario b's fresh and warm waves against one gateway,
# per-thread CPU ticks over each wave. Set OUTD and GATEWAY_JAR; BENCH_JAR was a copy of the generator's jar taken
# before the runs (the same generator code as bench/target's).
OUTD=${OUTD:-/tmp/bw/out}; mkdir -p "$OUTD"
EXTRA_JVM="${EXTRA_JVM:-} -Xlog:gc*:file=$OUTD/gc.log:uptime" OUTD=$OUTD \
  exec "$(dirname "$0")/../2026-12-07T0500Z-warmup-jit/b-threads.sh"
