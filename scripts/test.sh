#!/usr/bin/env bash
# The project's test command: builds the debug binaries (the redis-py tests start
# target/debug/ember-server), runs every Rust test, then the redis-py tests.
# Needs redis-server and redis-cli (the oracle) plus python3 with redis-py and pytest.
# Every suite runs even if an earlier one fails; the exit status reports any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --workspace

status=0
cargo test --workspace --no-fail-fast || status=1
# Regression guard for the criterion benchmarks: each runs once, untimed, so
# they keep compiling and working (timings come from `cargo bench`).
cargo test --bench executor --bench parser || status=1

export EMBER_BIN="${EMBER_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/debug/ember-server}"
if compgen -G "tests/py/test_*.py" >/dev/null; then
    # Exit code 5 (no tests collected) is a failure too: test files exist.
    python3 -m pytest -q tests/py || status=1
else
    echo "no redis-py tests found under tests/py; skipping pytest"
fi

if [ "$status" -ne 0 ]; then
    echo "scripts/test.sh: some tests failed" >&2
fi
exit "$status"
