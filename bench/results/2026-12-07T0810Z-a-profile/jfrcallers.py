import json, sys, collections, subprocess
out = subprocess.run(['jfr', 'print', '--json', '--events', 'jdk.ExecutionSample', sys.argv[1]], capture_output=True, text=True).stdout
evs = json.loads(out)['recording']['events']
target = sys.argv[2]; depth = int(sys.argv[3]) if len(sys.argv) > 3 else 4
c = collections.Counter(); n = 0
for e in evs:
    v = e['values']; t = v.get('sampledThread') or {}
    if not (t.get('javaName') or '').startswith('sluice-loop'): continue
    fr = v['stackTrace']['frames']
    names = [f['method']['type']['name'].split('.')[-1] + '.' + f['method']['name'] + ':' + str(f.get('lineNumber')) for f in fr]
    for i, nm in enumerate(names):
        if nm.split(':')[0] == target:
            n += 1; c[' < '.join(names[i:i+depth])] += 1; break
print(target, n)
for k, v in c.most_common(12): print(v, k)
