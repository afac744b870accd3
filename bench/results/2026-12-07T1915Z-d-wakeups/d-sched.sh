#!/usr/bin/env bash
# Scenario d (fanout_1k_ramp) as run-nchan-compare.sh runs it (ROUNDS, VARIANTS as it takes them), with the
# scheduler's wake-ups issued and context switches per CPU counted every second over each whole run
# (perf stat -I 1000), to set beside the generator's per-second progress lines.
#   OUTD=... [ROUNDS=2] [VARIANTS=sluice] d-sched.sh     -> OUTD/<run>.sched, OUTD/compare.log
set -euo pipefail
cd "$(dirname "$0")/../../.."
OUTD=${OUTD:?}; mkdir -p "$OUTD"
LOG=$OUTD/compare.log
: >"$LOG"
bench/run-nchan-compare.sh fanout_1k_ramp >"$LOG" 2>&1 &
C=$!
tail -n +1 -F "$LOG" 2>/dev/null | while read -r line; do
  case "$line" in
    "== fanout_1k_ramp."*)
      run=${line#== }; run=${run%% *}
      perf stat -I 1000 -A -C 0,1 -e sched:sched_waking,sched:sched_switch -o "$OUTD/$run.sched" -- sleep 75 &
      ;;
    "results in "*) break ;;
  esac
done
wait $C
wait
