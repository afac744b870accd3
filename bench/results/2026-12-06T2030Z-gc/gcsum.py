import json,re,sys
tag,out,la=sys.argv[1:4]
d=json.load(open(out+'/gen.json'));l=d['latencyMs'];g=d['gateway']
p=[float(m) for m in re.findall(r"Pause[^\n]*?([0-9.]+)ms\n", open(out+'/gc.log').read())]
print(tag,'cpu/event',g['cpuMicrosPerPublishedEvent'],'p50',l['p50'],'p99',l['p99'],'p999',l.get('p99_9'),'rate',d['publish']['achievedRate'],'gc pauses',len(p),'max',max(p) if p else 0,'sum',round(sum(p),1),'load',la)
