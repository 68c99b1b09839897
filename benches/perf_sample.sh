#!/usr/bin/env bash
# Where a server's time goes under redis-benchmark, sampled with perf's cpu-clock
# (a software event: it works where hardware counters do not). Counts
# instructions poorly but sees what instr_per_req.sh cannot: cache-miss stalls
# (the keyspace lookup) and costly vDSO calls. See results/cpu_profile.md.
#
#   benches/perf_sample.sh <redis|path/to/ember-server> <port> <test> <P> <N> [server args...]
#   BX="-c 1000" benches/perf_sample.sh target/release/ember-server 7000 set 16 2000000
#
# BX: extra redis-benchmark arguments. Pop tests are preceded by their push test.
# Prints the top symbols (TOP, default 30); the perf.data file is kept (path printed).
set -u
. "$(dirname "$0")/profile_common.sh"
profile_setup perf "$@"
profile_start
"${BENCH[@]}" -t "$PRE" -n 400000 >/dev/null 2>&1
perf record -e cpu-clock -F 4999 -p $SPID -o "$D/perf.data" -- sleep 3 >/dev/null 2>&1 &
PP=$!
sleep 0.2
"${BENCH[@]}" -t "$T" -n "$N" 2>/dev/null | tr '\r' '\n' | grep 'per second'
wait $PP
redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1; sleep 0.3; kill $SPID 2>/dev/null; wait $SPID 2>/dev/null
perf report -i "$D/perf.data" --no-children --sort sym --stdio 2>/dev/null \
    | grep '%' | grep -v '^ *|' | grep -v -- '--' | head -"${TOP:-30}"
echo "perf data: $D/perf.data"
