"""Transactions through redis-py: pipeline(transaction=True), WATCH with
optimistic retries, Redis.transaction(), errors inside and before EXEC
(RESP3 and RESP2)."""

import threading

import pytest
import redis


def test_pipeline_transaction(r):
    with r.pipeline(transaction=True) as pipe:
        pipe.set("a", 1).incr("a").incrby("a", 40).get("a")
        assert pipe.execute() == [True, 2, 42, b"42"]
    assert r.get("a") == b"42"


def test_empty_transaction(r):
    with r.pipeline(transaction=True) as pipe:
        assert pipe.execute() == []


def test_runtime_error_does_not_stop_the_others(r):
    r.set("s", "text")
    with r.pipeline(transaction=True) as pipe:
        pipe.set("a", 1).incr("s").incr("a")
        with pytest.raises(redis.ResponseError, match="not an integer"):
            pipe.execute()
    assert r.get("a") == b"2"
    with r.pipeline(transaction=True) as pipe:
        pipe.set("b", 1).lpush("s", "x").get("b")
        results = pipe.execute(raise_on_error=False)
    assert results[0] is True
    assert isinstance(results[1], redis.ResponseError)
    assert str(results[1]).startswith("WRONGTYPE")
    assert results[2] == b"1"


def test_queueing_error_aborts(r):
    with r.pipeline(transaction=True) as pipe:
        pipe.set("a", 1)
        pipe.execute_command("NOSUCHCOMMAND", "x")
        pipe.set("b", 2)
        with pytest.raises(redis.ResponseError):
            pipe.execute()
    assert r.exists("a", "b") == 0


def test_watch_detects_a_concurrent_write(server, r):
    other = server.client()
    r.set("k", 1)
    with r.pipeline() as pipe:
        pipe.watch("k")
        value = int(pipe.get("k"))
        other.set("k", 100)
        pipe.multi()
        pipe.set("k", value + 1)
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert r.get("k") == b"100"
    other.close()


def test_watch_succeeds_without_interference(r):
    r.set("k", 1)
    with r.pipeline() as pipe:
        pipe.watch("k")
        value = int(pipe.get("k"))
        pipe.multi()
        pipe.set("k", value + 1)
        assert pipe.execute() == [True]
    assert r.get("k") == b"2"


def test_transaction_helper_retries(server, r):
    other = server.client()
    r.set("counter", 0)
    attempts = []

    def increment(pipe):
        value = int(pipe.get("counter"))
        attempts.append(value)
        if len(attempts) == 1:
            other.incr("counter")  # a concurrent writer: forces a retry
        pipe.multi()
        pipe.set("counter", value + 1)

    assert r.transaction(increment, "counter") == [True]
    assert attempts == [0, 1]
    assert r.get("counter") == b"2"
    other.close()


def test_concurrent_increments_are_not_lost(server):
    clients = [server.client() for _ in range(4)]
    clients[0].set("n", 0)

    def work(c):
        for _ in range(25):
            def incr(pipe):
                v = int(pipe.get("n"))
                pipe.multi()
                pipe.set("n", v + 1)
            c.transaction(incr, "n")

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clients[0].get("n") == b"100"
    for c in clients:
        c.close()


def test_watch_invalidated_by_expiry_and_flush(server, r):
    other = server.client()
    r.set("k", 1, px=300)
    with r.pipeline() as pipe:
        pipe.watch("k")
        import time
        time.sleep(0.4)
        pipe.multi()
        pipe.ping()
        with pytest.raises(redis.WatchError):
            pipe.execute()
    r.set("k", 1)
    with r.pipeline() as pipe:
        pipe.watch("k")
        other.flushdb()
        pipe.multi()
        pipe.ping()
        with pytest.raises(redis.WatchError):
            pipe.execute()
    other.close()


def test_raw_multi_exec_discard(server):
    c = server.client(single_connection_client=True)
    assert c.execute_command("MULTI") in (True, b"OK")
    assert c.execute_command("ECHO", "x") == b"QUEUED"
    assert c.execute_command("DISCARD") in (True, b"OK")
    with pytest.raises(redis.ResponseError, match="EXEC without MULTI"):
        c.execute_command("EXEC")
    with pytest.raises(redis.ResponseError, match="DISCARD without MULTI"):
        c.execute_command("DISCARD")
    c.execute_command("MULTI")
    with pytest.raises(redis.ResponseError, match="MULTI calls can not be nested"):
        c.execute_command("MULTI")
    with pytest.raises(redis.ResponseError, match="WATCH inside MULTI is not allowed"):
        c.execute_command("WATCH", "k")
    c.execute_command("ECHO", "x")
    assert c.execute_command("EXEC") == [b"x"]
    c.close()


def test_client_list_flags(server, r):
    watcher = server.client()
    watcher.execute_command("CLIENT", "SETNAME", "tx")
    watcher.execute_command("MULTI")
    watcher.execute_command("SET", "a", "1")
    (entry,) = [c for c in r.client_list() if c["name"] == "tx"]
    assert entry["flags"] == "x"
    assert entry["multi"] == "1"
    assert entry["cmd"] == "set"
    watcher.execute_command("DISCARD")
    (entry,) = [c for c in r.client_list() if c["name"] == "tx"]
    assert entry["flags"] == "N" and entry["multi"] == "-1"
    watcher.close()
