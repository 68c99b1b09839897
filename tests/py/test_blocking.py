"""Blocking commands through redis-py: timeouts, wake-ups by another client,
FIFO order among waiters, CLIENT UNBLOCK (RESP3 and RESP2)."""

import threading
import time

import pytest
import redis


def later(fn, delay=0.1):
    """Runs `fn` on a thread after `delay` seconds; returns the thread."""
    t = threading.Timer(delay, fn)
    t.start()
    return t


def test_blpop_brpop_immediate_and_timeout(r):
    r.rpush("l", "a", "b", "c")
    assert tuple(r.blpop(["none", "l"], timeout=1)) == (b"l", b"a")
    assert r.brpop("l", timeout=1) in ((b"l", b"c"), [b"l", b"c"])
    started = time.monotonic()
    assert r.blpop(["empty1", "empty2"], timeout=0.2) is None
    assert r.brpop("empty1", timeout=0.1) is None
    assert time.monotonic() - started >= 0.25


def test_blpop_woken_by_push(server, r):
    pusher = server.client()
    t = later(lambda: pusher.rpush("q", "x", "y"))
    assert tuple(r.blpop("q", timeout=5)) == (b"q", b"x")
    t.join()
    assert r.lrange("q", 0, -1) == [b"y"]
    pusher.close()


def test_waiters_are_served_in_order(server):
    pusher = server.client()
    results = {}

    def wait(name):
        c = server.client()
        results[name] = c.brpop("f", timeout=5)
        c.close()

    threads = []
    for name in ("first", "second"):
        t = threading.Thread(target=wait, args=(name,))
        t.start()
        threads.append(t)
        deadline = time.monotonic() + 5
        while pusher.info("clients")["blocked_clients"] < len(threads):
            assert time.monotonic() < deadline
            time.sleep(0.005)
    pusher.rpush("f", "1", "2")
    for t in threads:
        t.join()
    assert tuple(results["first"]) == (b"f", b"2")
    assert tuple(results["second"]) == (b"f", b"1")
    pusher.close()


def test_brpoplpush_and_blmove(server, r):
    r.rpush("src", "a", "b")
    assert r.brpoplpush("src", "dst", timeout=1) == b"b"
    assert r.blmove("src", "dst", timeout=1, src="LEFT", dest="RIGHT") == b"a"
    assert r.lrange("dst", 0, -1) == [b"b", b"a"]
    assert r.brpoplpush("src", "dst", timeout=0.05) is None
    pusher = server.client()
    t = later(lambda: pusher.rpush("src", "c"))
    assert r.blmove("src", "dst", timeout=5, src="RIGHT", dest="LEFT") == b"c"
    t.join()
    assert r.lrange("dst", 0, -1) == [b"c", b"b", b"a"]
    pusher.close()


def test_blmpop(server, r):
    r.rpush("b", "1", "2", "3")
    assert r.blmpop(1, 2, "a", "b", direction="RIGHT", count=2) == [b"b", [b"3", b"2"]]
    assert r.blmpop(0.05, 1, "a", direction="LEFT") is None
    pusher = server.client()
    t = later(lambda: pusher.rpush("a", "x", "y"))
    assert r.blmpop(5, 2, "a", "b", direction="LEFT", count=5) in (
        [b"a", [b"x", b"y"]],
        [b"b", [b"1"]],
    )
    t.join()
    pusher.close()


def test_bzpopmin_bzpopmax_bzmpop(server, r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert tuple(r.bzpopmin("z", timeout=1)) == (b"z", b"a", 1.0)
    assert tuple(r.bzpopmax(["none", "z"], timeout=1)) == (b"z", b"c", 3.0)
    assert r.bzpopmin("empty", timeout=0.05) is None
    pusher = server.client()
    t = later(lambda: pusher.zadd("w", {"m": 5, "n": 4}))
    assert tuple(r.bzpopmax("w", timeout=5)) == (b"w", b"m", 5.0)
    t.join()
    reply = r.execute_command("BZMPOP", 1, 2, "w", "z", "MIN", "COUNT", 5)
    assert reply[0] == b"w"
    # Raw reply: the score is a bulk string in RESP2, a double in RESP3.
    assert [list(x) for x in reply[1]] in ([[b"n", 4.0]], [[b"n", b"4"]])
    pusher.close()


def test_blocking_inside_transaction_does_not_block(r):
    with r.pipeline(transaction=True) as pipe:
        pipe.blpop("nothing", timeout=0).brpoplpush("nothing", "x", timeout=0)
        started = time.monotonic()
        assert pipe.execute() == [None, None]
        assert time.monotonic() - started < 1


def test_client_unblock(server, r):
    waiter = server.client()
    waiter_id = waiter.client_id()
    results = []

    def wait():
        try:
            results.append(waiter.blpop("k", timeout=0))
        except redis.ResponseError as e:
            results.append(e)

    for error in (False, True):
        t = threading.Thread(target=wait)
        t.start()
        deadline = time.monotonic() + 5
        while r.info("clients")["blocked_clients"] < 1:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        (entry,) = [c for c in r.client_list() if c["id"] == str(waiter_id)]
        assert entry["flags"] == "b" and entry["cmd"] == "blpop"
        assert r.client_unblock(waiter_id, error=error)
        t.join()
    assert results[0] is None
    assert isinstance(results[1], redis.ResponseError)
    assert "UNBLOCKED" in str(results[1])
    assert not r.client_unblock(waiter_id)
    waiter.close()


def test_timeout_errors(r):
    with pytest.raises(redis.ResponseError, match="timeout is negative"):
        r.blpop("k", timeout=-1)
    with pytest.raises(redis.ResponseError, match="timeout is not a float"):
        r.execute_command("BLPOP", "k", "soon")
