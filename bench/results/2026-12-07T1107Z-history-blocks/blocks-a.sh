#!/usr/bin/env bash
# scenario a alone: HEAD (d109e4c) with G1, the blocks build with G1 and with the parallel collector, alternating
for r in 1 2 3; do
  GATEWAY_JAR=/tmp/s2/gw.jar ../2026-12-07T0958Z-collectors/gcrun.sh /tmp/s2/blk/head-g1.r$r g1
  GATEWAY_JAR=/tmp/s2/blocks.jar ../2026-12-07T0958Z-collectors/gcrun.sh /tmp/s2/blk/blocks-g1.r$r g1
  GATEWAY_JAR=/tmp/s2/blocks.jar ../2026-12-07T0958Z-collectors/gcrun.sh /tmp/s2/blk/blocks-par.r$r parallel
  uptime >> /tmp/s2/blk/load.txt
done
