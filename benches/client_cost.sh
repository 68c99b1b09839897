#!/usr/bin/env bash
# CPU time, context switches and syscalls per request of BOTH the benchmark client
# and the server (perf stat with software events and syscall tracepoints, which
# work here where hardware counters do not). At -P 1 the single-threaded
# redis-benchmark saturates its core first, so its cost per request, not the
# server's, sets the rps (see results/cpu_profile.md, "Session 4").
#
#   benches/client_cost.sh <redis|path/to/ember-server> <port> <test> <P> <N> [server args...]
#   BX="-d 1024" benches/client_cost.sh target/release/ember-server 7000 get 1 200000
set -u
. "$(dirname "$0")/profile_common.sh"
profile_setup cc "$@"
profile_start
"${BENCH[@]}" -t "$PRE" -n 400000 >/dev/null 2>&1
EV=task-clock,context-switches
for s in epoll_wait read write recvfrom sendto; do EV="$EV,syscalls:sys_enter_$s"; done
perf stat -x, -e "$EV" -p $SPID -o "$D/server.csv" &
PP=$!
sleep 0.2
perf stat -x, -e "$EV" -o "$D/client.csv" -- "${BENCH[@]}" -t "$T" -n "$N" 2>/dev/null \
    | tr '\r' '\n' | grep 'per second'
kill -INT $PP; wait $PP 2>/dev/null
redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1; sleep 0.3; kill $SPID 2>/dev/null; wait $SPID 2>/dev/null
for side in client server; do
    python3 - "$D/$side.csv" "$N" "$side" <<'PY'
import sys
path, n, side = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = []
for line in open(path):
    p = line.strip().split(",")
    if len(p) > 3 and p[0][:1].isdigit():
        name = p[2].split("sys_enter_")[-1]
        # task-clock is in ms: report microseconds per request.
        v = float(p[0]) * 1000 / n if name == "task-clock" else float(p[0]) / n
        out.append(f"{'cpu_us' if name == 'task-clock' else name}={v:.3f}")
print(f"{side:>6}: " + " ".join(out))
PY
done
