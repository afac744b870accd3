#!/usr/bin/env bash
for r in 1 2 3; do for v in head gc; do
  OUTD=/tmp/gcx/bgc/$v.r$r GATEWAY_JAR=/tmp/gcx/$v.jar /tmp/gcx/bgc.sh > /tmp/gcx/bgc/$v.r$r.txt 2>&1
done; done
