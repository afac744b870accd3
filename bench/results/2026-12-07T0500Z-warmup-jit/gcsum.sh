#!/usr/bin/env bash
# per run: p50 p99 p999 cpu, young pauses in the log (count, sum, max ms)
for d in "$@"; do
  s=$(/tmp/wu/sum.sh $d | cut -d' ' -f1-9)
  g=$(grep -E "Pause Young.*ms$" $d/gc.log | sed -E 's/.* ([0-9.]+)ms$/\1/' | awk '{n++; s+=$1; if ($1>m) m=$1} END {printf "pauses %d sum %.0f max %.1f", n, s, m}')
  echo "$s | $g"
done
