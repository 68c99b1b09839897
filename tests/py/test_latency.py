"""The latency monitor through redis-py (latency_latest, latency_history,
latency_reset) over RESP2 and RESP3: a SORT of 100,000 numbers is a
"command" spike well over a 1 ms threshold on either server."""

import time


def text(v):
    return v.decode() if isinstance(v, bytes) else v


def test_latency_latest_history_reset(r):
    assert r.latency_latest() == []
    assert r.latency_history("command") == []
    r.config_set("latency-monitor-threshold", 1)
    pipe = r.pipeline(transaction=False)
    for start in range(0, 100_000, 1000):
        pipe.rpush("big", *range(start, start + 1000))
    pipe.execute()
    assert len(r.sort("big")) == 100_000
    latest = r.latency_latest()
    names = [text(e[0]) for e in latest]
    assert "command" in names, latest
    _, when, last_ms, worst_ms = latest[names.index("command")]
    assert abs(when - time.time()) < 60
    assert 1 <= last_ms <= worst_ms
    history = r.latency_history("command")
    # LATENCY LATEST itself may add a later sample; the one it showed is there.
    assert [when, last_ms] in history
    assert r.latency_reset("command", "nosuch") == 1
    assert r.latency_history("command") == []
    r.config_set("latency-monitor-threshold", 0)
