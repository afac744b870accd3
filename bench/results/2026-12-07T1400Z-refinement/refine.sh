#!/usr/bin/env bash
# scenario a, G1's concurrent refinement: OUTD g1|r0|rz, through ../2026-12-07T0958Z-collectors/gcrun.sh (its g1+ variant)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export GATEWAY_JAR=${GATEWAY_JAR:-/tmp/s3/jars/gw-acc.jar} BENCH_JAR=${BENCH_JAR:-/tmp/s3/jars/bench.jar}
case $2 in
  g1) G1_EXTRA="" ;;
  r0) G1_EXTRA="-XX:G1ConcRefinementThreads=0" ;;
  rz) G1_EXTRA="-XX:-G1UseAdaptiveConcRefinement -XX:G1ConcRefinementGreenZone=100000 -XX:G1ConcRefinementYellowZone=200000
      -XX:G1ConcRefinementRedZone=300000" ;;
esac
G1_EXTRA=$G1_EXTRA exec "$HERE/../2026-12-07T0958Z-collectors/gcrun.sh" "$1" g1+
