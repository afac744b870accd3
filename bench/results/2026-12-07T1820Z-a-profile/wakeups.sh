#!/usr/bin/env bash
# Scheduler events per published event, Sluice against nchan: runs run-nchan-compare.sh for SCENARIO (default
# own_topics_10k, scenario a; ROUNDS, VARIANTS as the compare script takes them) and, 15 s after each run starts
# (inside a's measured window), counts per CPU for 10 s the wake-ups issued (sched:sched_waking) and the context
# switches (sched:sched_switch), and the server's per-thread CPU over those 10 s (bench/thread-cpu.sh, per published
# event at 10,000 a second). Other modes, each instead of that:
#   MODE=perf      records the server's processes for 8 s (perf record -g; kernel and native frames, Java frames
#                  unresolved);
#   MODE=strace    counts the system calls of the serving thread for 3 s (strace -c; it slows that thread);
#   MODE=interval  counts the same scheduler events every second from each run's start for INTERVAL_SECONDS (default
#                  75: scenario d's whole ramp), to set beside the generator's per-second progress lines.
#   OUTD=... [SCENARIO=...] [MODE=sched|perf|strace|interval] [ROUNDS=2] [VARIANTS="sluice nchan"] wakeups.sh
#     -> OUTD/compare.log and per run OUTD/<run>.sched (perf stat -A), <run>.threads.txt, <run>.perf.data or
#        <run>.strace
set -euo pipefail
cd "$(dirname "$0")/../../.."
OUTD=${OUTD:?}; mkdir -p "$OUTD"
LOG=$OUTD/compare.log
: >"$LOG"
SCENARIO=${SCENARIO:-own_topics_10k}
bench/run-nchan-compare.sh "$SCENARIO" >"$LOG" 2>&1 &
C=$!
tail -n +1 -F "$LOG" 2>/dev/null | { while read -r line; do
  case "$line" in
    "== $SCENARIO."*)
      run=${line#== }; run=${run%% *}
      pids=${line##*--gateway-pid }; pids=${pids%% *}
      if [ "${MODE:-sched}" = interval ]; then
        perf stat -I 1000 -A -C 0,1 -e sched:sched_waking,sched:sched_switch -o "$OUTD/$run.sched" \
          -- sleep "${INTERVAL_SECONDS:-75}" &
        continue
      fi
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
wait; } || [ $? -eq 141 ]  # wait: the interval mode's counters; 141: tail's SIGPIPE once the loop has ended
wait $C
