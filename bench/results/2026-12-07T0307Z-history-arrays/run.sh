#!/usr/bin/env bash
# interleaved scenario a: base (4563180), walk (8e5ef18), arrays (working tree)
for r in 1 2 3; do
  for v in base walk arrays; do
    OUTD=/tmp/cmp/$v.r$r GATEWAY_JAR=/tmp/sched/$v.jar /tmp/agc/run.sh > /tmp/cmp/$v.r$r.log 2>&1
  done
done
