#!/usr/bin/env bash
# Scheduler events per published event in scenario a, Sluice against nchan: runs run-nchan-compare.sh for scenario a
# (ROUNDS, VARIANTS as it takes them) and, 15 s after each run starts (inside its measured window), counts per CPU for
# 10 s the wake-ups issued (sched:sched_waking) and the context switches (sched:sched_switch), and the server's
# per-thread CPU over those 10 s (bench/thread-cpu.sh, per published event at 10,000 a second).
# MODE=perf instead records the server's processes for 8 s (perf record -g; kernel frames and
# native ones, Java frames unresolved). MODE=strace instead counts the system calls of the serving thread for 3 s (strace -c; it slows that thread).
#   OUTD=... [MODE=sched|strace] [ROUNDS=2] [VARIANTS="sluice nchan"] wakeups.sh     -> OUTD/<run>.sched (perf stat -A output), <run>.threads.txt
#   or <run>.strace
set -euo pipefail
cd "$(dirname "$0")/../../.."
OUTD=${OUTD:?}; mkdir -p "$OUTD"
LOG=$OUTD/compare.log
: >"$LOG"
bench/run-nchan-compare.sh own_topics_10k >"$LOG" 2>&1 &
C=$!
tail -n +1 -F "$LOG" 2>/dev/null | while read -r line; do
  case "$line" in
    "== own_topics_10k."*)
      run=${line#== }; run=${run%% *}
      pids=${line##*--gateway-pid }; pids=${pids%% *}
      sleep 15
      if [ "${MODE:-sched}" = strace ]; then
        # the thread that serves requests: Sluice's event loop, nginx's worker (the second pid)
        tids=$(for p in ${pids//,/ }; do grep -l -E '^(sluice-loop|nginx)' /proc/$p/task/*/comm 2>/dev/null; done \
          | sed 's|/proc/[0-9]*/task/||; s|/comm||' | tail -1)
        timeout -s INT 3 strace -c -p "$tids" -o "$OUTD/$run.strace" || true
        continue
      fi
      if [ "${MODE:-sched}" = perf ]; then
        perf record -F 2999 -g -p "$pids" -o "$OUTD/$run.perf.data" -- sleep 8 >/dev/null 2>&1 || true
        continue
      fi
      bench/thread-cpu.sh snap ${pids//,/ } >"$OUTD/$run.threads.before"
      perf stat -A -C 0,1 -e sched:sched_waking,sched:sched_switch -o "$OUTD/$run.sched" -- sleep 10
      bench/thread-cpu.sh snap ${pids//,/ } >"$OUTD/$run.threads.after"
      bench/thread-cpu.sh diff "$OUTD/$run.threads.before" "$OUTD/$run.threads.after" 100000 >"$OUTD/$run.threads.txt" ;;
    "results in "*) break ;;
  esac
done
wait $C
