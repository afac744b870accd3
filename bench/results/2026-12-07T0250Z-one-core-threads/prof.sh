#!/usr/bin/env bash
# scenario a; perf record of the mgmt + access-log threads for 10 s in the measured window
N=$1
OUTD=/tmp/sched/$N EXTRA_JVM="-XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit -XX:+PreserveFramePointer $2" /tmp/agc/run.sh > /tmp/sched/$N.run.log 2>&1 &
RUN=$!
while [ ! -s /tmp/sched/$N/a.progress ]; do sleep 1; done
sleep 12
PID=$(pgrep -f "sluice-gateway.jar" | head -1)
TIDS=$(for t in /proc/$PID/task/*; do c=$(cat $t/comm); case "$c" in sluice-mgmt*|sluice-access*) echo -n "$(basename $t),";; esac; done)
echo "pid $PID tids $TIDS" > /tmp/sched/$N/tids
perf record -F 20000 -g -t ${TIDS%,} -o /tmp/sched/$N/perf.data -- sleep 10 > /tmp/sched/$N/perf.log 2>&1
wait $RUN
