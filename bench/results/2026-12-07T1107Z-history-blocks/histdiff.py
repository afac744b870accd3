#!/usr/bin/env python3
"""histdiff.py DIR: what the heap grew by between two class histograms (DIR/h1.txt, DIR/h2.txt), top classes."""
import re, sys
d = sys.argv[1]
def load(f):
    r = {}
    for line in open(f):
        m = re.match(r'\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)', line)
        if m:
            r[m.group(3)] = (int(m.group(1)), int(m.group(2)))
    return r
a = load(d + '/h1.txt'); b = load(d + '/h2.txt')
print('total bytes h1 %.1f MB h2 %.1f MB delta %.1f MB' % (sum(v[1] for v in a.values()) / 1e6,
      sum(v[1] for v in b.values()) / 1e6, (sum(v[1] for v in b.values()) - sum(v[1] for v in a.values())) / 1e6))
for x in sorted(((b.get(k, (0, 0))[1] - a.get(k, (0, 0))[1], b.get(k, (0, 0))[0] - a.get(k, (0, 0))[0], k)
                 for k in set(a) | set(b)), reverse=True)[:8]:
    print('  %10d B %8d obj %s' % x)
