# Sourced by instr_per_req.sh, syscalls_per_req.sh and perf_sample.sh: their
# shared arguments, scratch directory, server start and benchmark command.
#
#   profile_setup <tag> "$@"     (the caller's arguments: WHO PORT T P N [server args...])
#   profile_start [wrapper...]   starts the server (under the wrapper, e.g. valgrind) in $D
#
# Sets WHO PORT T P N, D (scratch directory, now the working directory),
# SERVER_ARGS, PRE (the test that fills data for T), BENCH (redis-benchmark
# command array; BX adds arguments) and, after profile_start, SPID.

profile_setup() {
    local tag=$1; shift
    WHO=$1; PORT=$2; T=$3; P=$4; N=$5; shift 5
    # The scripts run in a scratch directory: resolve a relative binary path first.
    if [ "$WHO" != redis ]; then WHO=$(realpath "$WHO") || exit 1; fi
    D=$(mktemp -d "${TMPDIR:-/tmp}/ember-$tag.XXXX"); cd "$D" || exit 1
    if [ "$WHO" = redis ]; then SERVER_ARGS=(redis-server --port "$PORT" --save '' --appendonly no "$@");
    else SERVER_ARGS=("$WHO" --port "$PORT" --save '' "$@"); fi
    # Pop tests need data: the matching push test runs first (as in compare.py).
    PRE=$T
    case $T in lpop|rpop) PRE=lpush;; zpopmin) PRE=zadd;; spop) PRE=sadd;; lrange*) PRE=lpush;; esac
    BENCH=(redis-benchmark -p "$PORT" -P "$P" -c 50 -r 100000 ${BX:-} -q)
}

profile_start() {
    "$@" "${SERVER_ARGS[@]}" >"$D/log" 2>&1 &
    SPID=$!
    for _ in $(seq 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.2; done
    redis-cli -p "$PORT" ping >/dev/null 2>&1 || {
        echo "server did not start: $(cat "$D/log")" >&2
        kill $SPID 2>/dev/null
        exit 1
    }
}
