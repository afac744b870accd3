#!/usr/bin/env bash
# interleaved scenario a, jar new1, G1 pause-time goal variants; GC log per run (run.sh)
set -uo pipefail
ROOT=${ROOT:-/tmp/wu/gc1}; mkdir -p $ROOT
for r in ${ROUNDS:-1 2 3}; do
  for v in ${VARS:-def p20 p10}; do
    X=""; case $v in p20) X="-XX:MaxGCPauseMillis=20";; p10) X="-XX:MaxGCPauseMillis=10";; p50) X="-XX:MaxGCPauseMillis=50";; max20) X="-XX:+UnlockExperimentalVMOptions -XX:G1MaxNewSizePercent=20";; max30) X="-XX:+UnlockExperimentalVMOptions -XX:G1MaxNewSizePercent=30";; esac
    OUTD=$ROOT/$v.r$r GATEWAY_JAR=/tmp/wu/${JAR:-new1}.jar EXTRA_JVM="$X" bash /tmp/agc/run.sh > $ROOT/$v.r$r.txt 2>&1
  done
done
echo finished
