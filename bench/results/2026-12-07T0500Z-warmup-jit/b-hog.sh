#!/usr/bin/env bash
# scenario b's waves with a busy loop sharing CPU 1 during the gateway's start-up and warm-up; jars new3 (no overtime) and new4 (top-up into the quarter)
for r in 1 2; do for v in new3 new4; do
  OUTD=/tmp/bw/hog-$v.r$r GATEWAY_JAR=/tmp/wu/$v.jar HOG=1 timeout 400 /tmp/bw/threads.sh > /tmp/bw/hog-$v.r$r.txt 2>&1
done; done
echo finished
