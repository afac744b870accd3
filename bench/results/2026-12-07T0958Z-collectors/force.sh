#!/usr/bin/env bash
# waits until the generator has measured 150 s, then asks the gateway for a full collection (jcmd GC.run)
D=/tmp/s2/gclong/parallel-full
for i in $(seq 1 400); do
  if grep -qE "^\[ *1[5-9][0-9]\.[0-9]s measure\]" $D/a.progress 2>/dev/null; then
    PID=$(pgrep -f "gw.jar --port" | head -1); date -u +%T > $D/forced.txt; jcmd $PID GC.run >> $D/forced.txt 2>&1; exit 0; fi
  sleep 1; done
