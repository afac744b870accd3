#!/bin/bash
for round in 1 2; do
  for v in base i10; do
    jar=/work/wt-base/bench/target/sluice-benchmarks.jar; [ $v = i10 ] && jar=/work/wt-i10/bench/target/sluice-benchmarks.jar
    echo "== round $round $v start $(cut -d' ' -f1-3 /proc/loadavg)"
    taskset -c 1 java -jar $jar 'EncodeBenchmark.jsonData|FanoutBenchmark' -p size=128 -f 1 -wi 4 -w 2s -i 5 -r 2s -rf json -rff $v-$round.json > $v-$round.log 2>&1
    echo "   end $(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
echo done
