#!/usr/bin/env bash
# Syscalls per request of a server under redis-benchmark (strace -c -f attached for the
# run only). Same arguments as instr_per_req.sh; prints the total and the top calls.
#
#   benches/syscalls_per_req.sh <redis|path/to/ember-server> <port> <test> <P> <N> [server args...]
set -u
. "$(dirname "$0")/profile_common.sh"
profile_setup sc "$@"
profile_start
"${BENCH[@]}" -t "$PRE" -n $((N*2)) >/dev/null 2>&1
strace -c -f -p $SPID -o "$D/st" 2>/dev/null &
STP=$!; sleep 1
"${BENCH[@]}" -t "$T" -n "$N" >/dev/null 2>&1
kill -INT $STP; wait $STP 2>/dev/null
redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1; sleep 0.3; kill $SPID 2>/dev/null; wait $SPID 2>/dev/null
python3 - "$D/st" "$N" "$WHO $T P$P ${BX:-}" <<'PY'
import sys
path, n, label = sys.argv[1], int(sys.argv[2]), sys.argv[3]
calls = []
for line in open(path):
    p = line.split()
    if len(p) >= 5 and p[0][0].isdigit() and p[-1] != "total":
        calls.append((int(p[3]), p[-1]))
calls.sort(reverse=True)
total = sum(c for c, _ in calls)
print(label, "syscalls/req=%.3f" % (total / n), " ".join("%s=%.3f" % (name, c / n) for c, name in calls[:6]))
PY
