#!/usr/bin/env bash
set -uo pipefail
ROOT=/tmp/wu/traps; mkdir -p $ROOT
for r in 1 2; do
  for v in def trap0; do
    X=""; [ $v = trap0 ] && X="-XX:PerMethodTrapLimit=0 -XX:PerBytecodeTrapLimit=0"
    OUTD=$ROOT/$v.r$r EXTRA_JVM="-XX:+PrintCompilation $X" bash /tmp/agc/run.sh > $ROOT/$v.r$r.txt 2>&1
  done
done
echo finished
