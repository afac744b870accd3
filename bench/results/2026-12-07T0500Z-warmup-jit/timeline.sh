#!/usr/bin/env bash
# tier-4 compiles after the listening line, per 5 s since it
for d in "$@"; do L=$(grep -n "^sluice listening" $d/a.gateway.out | cut -d: -f1); lt=$(head -n $((L-1)) $d/a.gateway.out | grep -E "^ *[0-9]+ " | tail -1 | awk '{print $1}'); echo -n "$(basename $d) listening ~${lt}ms: "; tail -n +$L $d/a.gateway.out | grep -v "made not" | awk -v lt=$lt '($3==4||$4==4||$5==4) && $1 ~ /^[0-9]+$/ {b=int(($1-lt)/5000)*5; c[b]++} END {for (k in c) print k"s:"c[k]}' | sort -n | tr '\n' ' '; echo; done
