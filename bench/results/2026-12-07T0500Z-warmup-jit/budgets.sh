#!/usr/bin/env bash
# interleaved scenario a runs over warm-up budgets; PrintCompilation to count compiles after the listening line
set -uo pipefail
ROOT=${ROOT:-/tmp/wu/r1}
mkdir -p $ROOT
for r in ${ROUNDS:-1 2}; do
  for w in ${BUDGETS:-15s 30s 45s}; do
    OUTD=$ROOT/w$w.r$r EXTRA_JVM="-XX:+PrintCompilation ${EXTRA:-}" GW_ARGS="--warmup=$w ${GWX:-}" bash /tmp/agc/run.sh > $ROOT/w$w.r$r.txt 2>&1
    echo "== w$w r$r"; cat $ROOT/w$w.r$r.txt | tail -3 | cut -c1-300
  done
done
