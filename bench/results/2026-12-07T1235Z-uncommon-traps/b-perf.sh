#!/usr/bin/env bash
# scenario b's two waves with perf record over the warm wave (Java frames resolved): OUTD=... b-perf.sh
HERE=$(cd "$(dirname "$0")" && pwd)
PERF_WARM=1 EXTRA_JVM="${EXTRA_JVM:-} -XX:+PreserveFramePointer -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit" \
  exec "$HERE/../2026-12-07T0500Z-warmup-jit/b-threads.sh"
