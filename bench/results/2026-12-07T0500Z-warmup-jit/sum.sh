#!/usr/bin/env bash
# summary of scenario-a dirs: p50 p99 p999 cpu/event, compiles after listening
for d in "$@"; do echo -n "$(basename $d) "; python3 - $d/a.json <<'PY'
import json,sys
d=json.load(open(sys.argv[1])); g=d.get('gateway',{}); l=d.get('latencyMs',{})
print('p50',l.get('p50'),'p99',l.get('p99'),'p999',l.get('p99_9'),'cpu/ev',g.get('cpuMicrosPerPublishedEvent'), end=' ')
PY
L=$(grep -n "^sluice listening" $d/a.gateway.out | cut -d: -f1)
if [ $(wc -l < $d/a.gateway.out) -gt 5 ]; then t4=$(tail -n +$L $d/a.gateway.out | grep -v "made not" | awk '$3==4||$4==4||$5==4' | wc -l); echo -n "tier4-after $t4 "; fi
grep -h "warm-up:" $d/a.gateway.err | sed -E 's/.*warm-up: //' | cut -c1-120; done
