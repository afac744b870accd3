#!/usr/bin/env bash
# idle CPU of a gateway over 20 s, access log on (default), after start
jar=$1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
taskset -c 1 java -Xms1g -Xmx1g -XX:+UseG1GC -jar $jar --port=$port --management-port=0 --bind-address=127.0.0.1 --event-loop-threads=1 --warmup=0s >/tmp/idle.out 2>/tmp/idle.err &
pid=$!
for _ in $(seq 1 300); do grep -q '^sluice listening' /tmp/idle.out && break; sleep 0.1; done
sleep 5
a=$(awk '{print $14+$15}' /proc/$pid/stat); c0=$(grep ctxt /proc/$pid/status | awk '{s+=$2} END {print s}')
sw0=$(cat /proc/$pid/task/*/status | awk '/voluntary_ctxt_switches/ && !/non/ {s+=$2} END {print s}')
sleep 20
b=$(awk '{print $14+$15}' /proc/$pid/stat)
sw1=$(cat /proc/$pid/task/*/status | awk '/voluntary_ctxt_switches/ && !/non/ {s+=$2} END {print s}')
echo "$jar: cpu ticks in 20 s idle: $((b-a)); voluntary context switches: $((sw1-sw0))"
kill $pid; wait $pid 2>/dev/null
