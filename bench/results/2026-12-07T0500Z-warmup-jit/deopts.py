import json,sys,subprocess,re,collections
# usage: deopts.py RUNDIR JFR  -> deopt counts before/after the warm-up line, top reasons after
rundir,jfr=sys.argv[1],sys.argv[2]
err=open(rundir+'/a.gateway.err',errors='replace').read()
m=re.search(r'^(\d\d:\d\d:\d\d\.\d\d\d) INFO .*warm-up:',err,re.M)
cut=m.group(1)
d=json.loads(subprocess.run(['jfr','print','--json','--events','jdk.Deoptimization',jfr],capture_output=True,text=True).stdout)
ev=d['recording']['events']
before=after=0; c=collections.Counter(); first10=0
for e in ev:
    v=e['values']; t=v['startTime'][11:23]
    if t<cut: before+=1; continue
    after+=1
    m2=v['method']; c[(v['reason'], m2['type']['name'].split('/')[-1]+'::'+m2['name'])]+=1
print(f"deopts before warm-up line {before}, after {after}")
for k,n in c.most_common(int(sys.argv[3]) if len(sys.argv)>3 else 12): print('  ',n,*k)
