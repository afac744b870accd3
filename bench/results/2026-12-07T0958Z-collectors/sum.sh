#!/usr/bin/env bash
for d in "$@"; do [ -f $d/a.json ] || continue; echo -n "$(basename $d) "; python3 - $d/a.json <<'PY'
import json,sys
d=json.load(open(sys.argv[1])); g=d.get('gateway',{}); l=d.get('latencyMs',{})
print('p50',l.get('p50'),'p90',l.get('p90'),'p99',l.get('p99'),'p999',l.get('p99_9'),'max',l.get('max'),'cpu/ev',g.get('cpuMicrosPerPublishedEvent'), 'lost', d.get('lost', d.get('eventsLost')), end=' ')
PY
echo -n "| pauses $(grep -c 'Pause' $d/gc.log) stalls $(grep -ci 'stall' $d/gc.log) "; cat $d/niced.txt 2>/dev/null | wc -l; done
