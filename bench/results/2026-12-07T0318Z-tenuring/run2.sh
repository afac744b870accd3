#!/usr/bin/env bash
for r in 1 2 3; do
  for v in def mtt0 mtt1; do
    case $v in def) X="";; mtt0) X="-XX:MaxTenuringThreshold=0";; mtt1) X="-XX:MaxTenuringThreshold=1";; esac
    OUTD=/tmp/cmp/t-$v.r$r GATEWAY_JAR=/tmp/sched/arrays.jar EXTRA_JVM="$X" /tmp/agc/run.sh > /tmp/cmp/t-$v.r$r.log 2>&1
    grep "Pause Young" /tmp/cmp/t-$v.r$r/gc.log > /tmp/cmp/t-$v.r$r/pauses.txt
  done
done
