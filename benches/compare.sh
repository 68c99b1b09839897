#!/usr/bin/env bash
# Side-by-side redis-benchmark run, Ember vs redis-server; see compare.py --help.
exec python3 "$(dirname "$0")/compare.py" "$@"
