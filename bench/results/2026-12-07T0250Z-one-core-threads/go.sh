#!/usr/bin/env bash
# scenario a (Epsilon, pretouched) + perf sched on CPU 1 for 8 s in the measured window
OUTD=/tmp/sched/$1 GATEWAY_JAR=${GATEWAY_JAR:-} EXTRA_JVM="$2" /tmp/agc/run.sh > /tmp/sched/$1.run.log 2>&1 &
RUN=$!
while [ ! -s /tmp/sched/$1/a.progress ]; do sleep 1; done
sleep 12
perf sched record -C 1 -o /tmp/sched/$1/sched.data -- sleep 8 > /tmp/sched/$1/perf.log 2>&1
wait $RUN
