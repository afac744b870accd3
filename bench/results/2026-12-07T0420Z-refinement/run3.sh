#!/usr/bin/env bash
for r in 1 2 3; do
  for v in def refine0; do
    case $v in def) X="";; refine0) X="-XX:G1ConcRefinementThreads=0";; esac
    OUTD=/tmp/cmp/r-$v.r$r GATEWAY_JAR=/tmp/sched/arrays.jar EXTRA_JVM="$X" /tmp/agc/run.sh > /tmp/cmp/r-$v.r$r.log 2>&1
    grep "Pause Young" /tmp/cmp/r-$v.r$r/gc.log > /tmp/cmp/r-$v.r$r/pauses.txt
  done
done
