#!/usr/bin/env bash
# b's two waves, alternating the build without and with TCP_DEFER_ACCEPT; loop thread's context switches per wave
# As run: a diagnostic build of 9435cf0 reading a system property. From 3448943 on the same A/B is one jar with
# GW_ARGS=--defer-accept=false for the base rounds (b-threads.sh passes GW_ARGS to the gateway).
for r in 1 2 3 4; do for v in base defer; do
  X=""; [ $v = defer ] && X="-Dsluice.deferAccept=true"
  GATEWAY_JAR=${DEFER_JAR:?a gateway jar that reads -Dsluice.deferAccept} EXTRA_JVM="$X" OUTD=${OUT:-/tmp/abd}/$v-$r CTX=1 timeout 600 "$(dirname "$0")"/../2026-12-07T0500Z-warmup-jit/b-threads.sh > ${OUT:-/tmp/abd}/$v-$r.log 2>&1
  echo "$r $v $(grep -E '==|ctx' ${OUT:-/tmp/abd}/$v-$r.log | tr '\n' ' ')"
done; done
