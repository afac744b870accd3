import re,sys
# uncommon traps after the listening time (seconds) from a LogCompilation file: TIME FILE
t0=float(sys.argv[1]); txt=open(sys.argv[2],errors='replace').read()
for m in re.finditer(r"<uncommon_trap thread='(\d+)' reason='([^']+)' action='([^']+)'[^>]*compile_id='(\d+)'[^>]*stamp='([\d.]+)'>(.*?)</uncommon_trap>", txt, re.S):
    th,reason,action,cid,stamp,body=m.groups()
    if float(stamp)<t0: continue
    frames=re.findall(r"<jvms bci='(\d+)' method='([^ ']+) ([^ ']+) ", body)
    print(f"{stamp:>8} t{th} {reason:14s} {action:15s} " + " <- ".join(f"{c.split('.')[-1]}.{n}@{b}" for b,c,n in frames[:4]))
