#!/usr/bin/env bash
# Per-thread CPU of processes, for profiling runs (bench/ANALYSIS.md names the runs that used it).
#
#   bench/thread-cpu.sh snap PID... > FILE          one line per thread: name, user ticks, system ticks
#   bench/thread-cpu.sh diff BEFORE AFTER OPS       per thread, µs of user and system time per operation between the
#                                                   two snapshots (threads of one name summed), and the total
#
# Thread names are read from comm (spaces removed); the ticks from /proc/<pid>/task/<tid>/stat after the name's closing
# parenthesis, so a name with spaces ("C2 CompilerThread0") does not shift the fields.
set -euo pipefail
case "${1:-}" in
  snap)
    shift
    for pid in "$@"; do
      for t in /proc/"$pid"/task/*; do
        name=$(tr -d ' ' <"$t/comm" 2>/dev/null) || continue
        stat=$(cat "$t/stat" 2>/dev/null) || continue
        # fields after ") ": state is 3rd overall, utime 14th and stime 15th, i.e. the 12th and 13th after the name
        read -r -a f <<<"${stat##*) }"
        echo "$name ${f[11]} ${f[12]}"
      done
    done ;;
  diff)
    python3 - "$2" "$3" "$4" "$(getconf CLK_TCK)" <<'PY'
import sys, collections
def read(path):
    d = collections.defaultdict(lambda: [0, 0])
    for line in open(path):
        name, user, system = line.split()
        d[name][0] += int(user); d[name][1] += int(system)
    return d
before, after, ops, hz = read(sys.argv[1]), read(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
us = 1e6 / hz / ops
total = [0.0, 0.0]
for name in sorted(after, key=lambda n: -sum(after[n]) + sum(before.get(n, [0, 0]))):
    u = (after[name][0] - before.get(name, [0, 0])[0]) * us
    s = (after[name][1] - before.get(name, [0, 0])[1]) * us
    total[0] += u; total[1] += s
    if u + s > 0:
        print(f"{name:22s} user {u:7.2f} µs  system {s:7.2f} µs per operation")
print(f"{'total':22s} user {total[0]:7.2f} µs  system {total[1]:7.2f} µs per operation")
PY
    ;;
  *) echo "usage: $0 snap PID... | diff BEFORE AFTER OPS" >&2; exit 2 ;;
esac
