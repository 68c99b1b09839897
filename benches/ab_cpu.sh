#!/usr/bin/env bash
# A/B of server binaries on one redis-benchmark cell: alternating rounds, a fresh
# server per run, medians of the server's CPU ticks (/proc/PID/stat, 1 tick =
# 10 ms), of the benchmark client's CPU ticks (getrusage) and of rps. Server CPU
# per fixed request count is steadier than rps on a shared machine, and the
# client's CPU shows when a server makes its client work harder (session 12,
# results/cpu_profile.md).
#
#   benches/ab_cpu.sh "<redis-benchmark args>" ROUNDS BIN... ("redis" = redis-server)
#   benches/ab_cpu.sh "-c 1000 -P 16 -r 100000 -t spop -n 2000000" 5 /tmp/before target/release/ember-server redis
#
# Use a single -t test: rps is the median over every line of redis-benchmark's CSV.
set -u
ARGS=$1; ROUNDS=$2; shift 2
PORT=${PORT:-7290}
declare -A SRV CLI RPS
for _ in $(seq "$ROUNDS"); do
    for b in "$@"; do
        if [ "$b" = redis ]; then redis-server --port "$PORT" --save '' --appendonly no >/dev/null 2>&1 &
        else "$b" --port "$PORT" --save '' >/dev/null 2>&1 & fi
        pid=$!
        for _ in $(seq 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
        t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
        out=$(python3 - "$PORT" "$ARGS" <<'PY'
import resource, subprocess, sys
port, args = sys.argv[1], sys.argv[2].split()
r = subprocess.run(["redis-benchmark", "-p", port, *args, "--csv"], capture_output=True, text=True)
rps = [int(float(l.split(",")[1].strip('"'))) for l in r.stdout.splitlines()[1:] if l.count(",") > 1]
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(" ".join(map(str, rps)), int((u.ru_utime + u.ru_stime) * 100))
PY
)
        t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
        SRV[$b]="${SRV[$b]:-} $((t1 - t0))"; CLI[$b]="${CLI[$b]:-} ${out##* }"; RPS[$b]="${RPS[$b]:-} ${out% *}"
        kill "$pid"; wait "$pid" 2>/dev/null
    done
done
for b in "$@"; do
    python3 - "$b" "${SRV[$b]}" "${CLI[$b]}" "${RPS[$b]}" <<'PY'
import statistics, sys
name, srv, cli, rps = sys.argv[1], *[[int(x) for x in a.split()] for a in sys.argv[2:]]
print("%-32s server cpu %6.1f  client cpu %6.1f  rps %9d   (server ticks per round: %s)"
      % (name[-32:], statistics.median(srv), statistics.median(cli), statistics.median(rps), srv))
PY
done
