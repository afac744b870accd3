#!/usr/bin/env bash
# b's two waves, alternating the build without and with TCP_DEFER_ACCEPT; loop thread's context switches per wave
for r in 1 2 3 4; do for v in base defer; do
  X=""; [ $v = defer ] && X="-Dsluice.deferAccept=true"
  GATEWAY_JAR=${DEFER_JAR:?a gateway jar that reads -Dsluice.deferAccept} EXTRA_JVM="$X" OUTD=${OUT:-/tmp/abd}/$v-$r CTX=1 timeout 600 "$(dirname "$0")"/b-threads-ctx.sh > ${OUT:-/tmp/abd}/$v-$r.log 2>&1
  echo "$r $v $(grep -E '==|ctx' ${OUT:-/tmp/abd}/$v-$r.log | tr '\n' ' ')"
done; done
