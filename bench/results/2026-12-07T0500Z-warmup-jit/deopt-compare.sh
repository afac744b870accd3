#!/usr/bin/env bash
# interleaved scenario a: jars in VARS (name=jar), PrintCompilation + JFR deopt records
set -uo pipefail
ROOT=${ROOT:-/tmp/wu/cmp1}; mkdir -p $ROOT
for r in ${ROUNDS:-1 2}; do
  for v in ${VARS:-base new1}; do
    OUTD=$ROOT/$v.r$r GATEWAY_JAR=/tmp/wu/$v.jar EXTRA_JVM="-XX:+PrintCompilation -XX:StartFlightRecording=settings=/tmp/deopt/deopt.jfc,filename=$ROOT/$v.r$r.jfr,dumponexit=true ${EXTRA:-}" bash /tmp/agc/run.sh > $ROOT/$v.r$r.txt 2>&1
  done
done
echo finished
