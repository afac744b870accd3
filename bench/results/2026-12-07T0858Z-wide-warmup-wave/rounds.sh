#!/usr/bin/env bash
for r in 1 2 3; do for v in head wide; do
  OUTD=/tmp/gcx/wide/$v.r$r GATEWAY_JAR=/tmp/gcx/$v.jar /tmp/gcx/bgc.sh > /tmp/gcx/wide/$v.r$r.txt 2>&1
done; done
