#!/usr/bin/env bash
for r in 1 2; do
  for v in def lazy rsp; do
    case $v in
      def) E="";;
      lazy) E="-XX:-G1UseAdaptiveConcRefinement -XX:G1ConcRefinementGreenZone=4096 -XX:G1ConcRefinementYellowZone=8192 -XX:G1ConcRefinementRedZone=16384";;
      rsp) E="-XX:G1RSetUpdatingPauseTimePercent=50";;
    esac
    OUTD=/tmp/gcx/ref/$v.r$r EXTRA_JVM="$E -Xlog:gc*:file=/tmp/gcx/ref/$v.r$r/gc.log:uptime" /tmp/gcx/prof.sh > /tmp/gcx/ref/$v.r$r.threads 2>&1
  done
done
