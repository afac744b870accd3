import json, sys, collections, subprocess
out = subprocess.run(['jfr', 'print', '--json', '--events', 'jdk.ExecutionSample', sys.argv[1]], capture_output=True, text=True).stdout
d = json.loads(out)
evs = d['recording']['events']
self_c = collections.Counter(); incl = collections.Counter(); n = 0
for e in evs:
    v = e['values']
    t = v.get('sampledThread') or {}
    name = t.get('javaName') or t.get('osName') or ''
    if not name.startswith('sluice-loop'):
        continue
    frames = v['stackTrace']['frames']
    if not frames: continue
    n += 1
    def fn(f):
        m = f['method']; return m['type']['name'].split('.')[-1] + '.' + m['name']
    self_c[fn(frames[0])] += 1
    seen = set()
    for f in frames:
        k = fn(f)
        if k not in seen:
            incl[k] += 1; seen.add(k)
print('samples', n)
print('--- self')
for k, c in self_c.most_common(int(sys.argv[2]) if len(sys.argv) > 2 else 40): print(f'{100*c/n:5.1f} {k}')
print('--- inclusive')
for k, c in incl.most_common(int(sys.argv[3]) if len(sys.argv) > 3 else 60): print(f'{100*c/n:5.1f} {k}')
