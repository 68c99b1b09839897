#!/usr/bin/env bash
# User-space instructions per request of a server under redis-benchmark, counted by
# callgrind over all of the server's threads (deterministic within ~1%, unlike rps on
# a shared machine). See benches/README.md (Profiling) and results/cpu_profile.md.
#
#   benches/instr_per_req.sh <redis|path/to/ember-server> <port> <test> <P> <N> [server args...]
#   BX="-d 1024" benches/instr_per_req.sh target/release/ember-server 7000 get 16 40000
#
# BX: extra redis-benchmark arguments. The pop tests are preceded by the matching push
# test (as in compare.py). The callgrind file of the run is kept (path printed).
set -u
. "$(dirname "$0")/profile_common.sh"
profile_setup cg "$@"
profile_start valgrind --tool=callgrind --callgrind-out-file="$D/cg.out"
VPID=$SPID
"${BENCH[@]}" -t "$PRE" -n $((N*2)) >/dev/null 2>&1
"${BENCH[@]}" -t "$T" -n 2000 >/dev/null 2>&1
sleep 0.5
callgrind_control -z $VPID >/dev/null 2>&1 || echo "callgrind_control -z failed" >&2
"${BENCH[@]}" -t "$T" -n "$N" >/dev/null 2>&1
callgrind_control -d $VPID >/dev/null 2>&1 || echo "callgrind_control -d failed" >&2
sleep 0.5
redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1; sleep 1; kill $VPID 2>/dev/null; wait $VPID 2>/dev/null
TOT=$(grep -E '^summary:' "$D/cg.out.1" | awk '{print $2}')
echo "$WHO $T P$P N=$N ${BX:-} instr/req=$((TOT / N)) file=$D/cg.out.1"
