"""SLOWLOG through redis-py: its entry parser (id, start_time, duration,
command, client_address, client_name) over RESP2 and RESP3."""

import time


def text(v):
    return v.decode() if isinstance(v, bytes) else v


def test_slowlog_get_len_reset(r):
    r.config_set("slowlog-log-slower-than", 0)
    r.slowlog_reset()
    r.client_setname("py-client")
    r.set("k", "v")
    r.sadd("s", *[str(i) for i in range(40)])
    entries = r.slowlog_get()
    commands = [text(e["command"]) for e in entries]
    # Newest first; 42 arguments are cut to 32, the last counting the rest.
    assert commands[0].startswith("SADD s 0 1 ")
    assert commands[0].endswith(" 28 ... (11 more arguments)")
    assert commands[1] == "SET k v"
    first = entries[0]
    assert abs(first["start_time"] - time.time()) < 60
    assert first["duration"] >= 0
    assert text(first["client_name"]) == "py-client"
    assert len(r.slowlog_get(1)) == 1
    assert r.slowlog_len() >= 4
    assert r.slowlog_reset() is True
    assert r.slowlog_len() == 1  # the RESET itself
    r.config_set("slowlog-log-slower-than", -1)
    r.slowlog_reset()
    r.set("k", "v")
    assert r.slowlog_len() == 0
