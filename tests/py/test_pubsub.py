"""Pub/sub with redis-py: the classic RedisHelper "radio" example built on
parse_response(), pubsub() with patterns and get_message(), thread-based
listeners, shard channels, introspection, keyspace notifications, MONITOR and
CLIENT PAUSE."""

import threading
import time

import pytest
import redis


class RedisHelper:
    """The tutorial helper: one channel, raw parse_response() reads."""

    def __init__(self, port, protocol):
        self.__conn = redis.Redis(port=port, protocol=protocol)
        self.chan_sub = "fm104.5"
        self.chan_pub = "fm104.5"

    def public(self, msg):
        self.__conn.publish(self.chan_pub, msg)
        return True

    def subscribe(self):
        pub = self.__conn.pubsub()
        pub.subscribe(self.chan_sub)
        pub.parse_response()
        return pub


@pytest.mark.parametrize("protocol", [2, 3])
def test_radio_helper_with_parse_response(server, protocol):
    station = RedisHelper(server.port, protocol)
    listener = station.subscribe()
    for i in range(3):
        assert station.public(f"song {i}") is True
    heard = [listener.parse_response(timeout=2) for _ in range(3)]
    assert heard == [[b"message", b"fm104.5", f"song {i}".encode()] for i in range(3)]
    listener.unsubscribe()
    assert listener.parse_response(timeout=2) == [b"unsubscribe", b"fm104.5", 0]
    listener.close()


def wait_message(ps, timeout=2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = ps.get_message(timeout=0.1)
        if m is not None:
            return m
    return None


def test_psubscribe_and_get_message(r, server):
    ps = r.pubsub()
    ps.psubscribe("news.*")
    assert wait_message(ps) == {
        "type": "psubscribe",
        "pattern": None,
        "channel": b"news.*",
        "data": 1,
    }
    publisher = server.client()
    assert publisher.publish("news.tech", "hello") == 1
    assert publisher.publish("weather", "rain") == 0
    assert wait_message(ps) == {
        "type": "pmessage",
        "pattern": b"news.*",
        "channel": b"news.tech",
        "data": b"hello",
    }
    assert ps.get_message(timeout=0.2) is None
    ps.punsubscribe("news.*")
    assert wait_message(ps)["type"] == "punsubscribe"
    ps.close()


def test_subscribe_many_and_unsubscribe_all(r, server):
    ps = r.pubsub(ignore_subscribe_messages=True)
    ps.subscribe("a", "b", "c")
    publisher = server.client()
    for ch in ("c", "b", "a"):
        assert publisher.publish(ch, ch * 2) == 1
    got = []
    while len(got) < 3:
        m = wait_message(ps)
        assert m is not None
        got.append((m["channel"], m["data"]))
    assert got == [(b"c", b"cc"), (b"b", b"bb"), (b"a", b"aa")]
    ps.unsubscribe()
    time.sleep(0.1)
    while ps.get_message(timeout=0.1):
        pass
    assert publisher.pubsub_numsub("a", "b", "c") == [(b"a", 0), (b"b", 0), (b"c", 0)]
    ps.close()


def test_thread_based_listener(r, server):
    received = []
    done = threading.Event()

    def handler(message):
        received.append(message["data"])
        if len(received) == 20:
            done.set()

    ps = r.pubsub()
    ps.subscribe(**{"events": handler})
    worker = ps.run_in_thread(sleep_time=0.01, daemon=True)
    publisher = server.client()
    deadline = time.monotonic() + 2
    while publisher.pubsub_numsub("events")[0][1] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    for i in range(20):
        publisher.publish("events", f"e{i}")
    assert done.wait(5), received
    assert received == [f"e{i}".encode() for i in range(20)]
    worker.stop()
    worker.join(2)
    ps.close()


def test_listen_loop_in_a_thread(server):
    sub = server.client(decode_responses=True)
    ps = sub.pubsub()
    ps.subscribe("jobs")
    seen = []

    def loop():
        for m in ps.listen():
            if m["type"] == "message":
                seen.append(m["data"])
                if m["data"] == "stop":
                    return

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    publisher = server.client()
    time.sleep(0.1)
    for job in ("build", "test", "stop"):
        publisher.publish("jobs", job)
    t.join(3)
    assert seen == ["build", "test", "stop"]
    ps.close()


def test_introspection(r, server):
    ps = server.client().pubsub()
    ps.subscribe("x", "y")
    ps.psubscribe("p*")
    wait_for(lambda: r.pubsub_numpat() == 1 and r.pubsub_numsub("y") == [(b"y", 1)])
    assert sorted(r.pubsub_channels()) == [b"x", b"y"]
    assert r.pubsub_channels("x*") == [b"x"]
    assert r.pubsub_numsub("x", "zz") == [(b"x", 1), (b"zz", 0)]
    assert r.pubsub_numpat() == 1
    info = r.info("stats")
    assert info["pubsub_channels"] == 2 and info["pubsub_patterns"] == 1
    clients = r.client_list(_type="pubsub")
    assert len(clients) == 1
    assert (clients[0]["flags"], clients[0]["sub"], clients[0]["psub"]) == ("P", "2", "1")
    ps.close()


def test_shard_channels(r, server):
    ps = server.client().pubsub()
    ps.ssubscribe("orders")
    assert wait_message_sharded(ps)["type"] == "ssubscribe"
    assert r.spublish("orders", "o1") == 1
    assert r.publish("orders", "plain") == 0
    m = wait_message_sharded(ps)
    assert (m["type"], m["channel"], m["data"]) == ("smessage", b"orders", b"o1")
    assert r.pubsub_shardchannels() == [b"orders"]
    assert r.pubsub_shardnumsub("orders") == [(b"orders", 1)]
    ps.close()


def wait_for(condition, timeout=5.0):
    """Polls until `condition()` holds: another connection's (p)subscribe
    takes effect when the server reads it, not when redis-py sends it."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.005)


def wait_message_sharded(ps, timeout=2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = ps.get_sharded_message(timeout=0.1)
        if m is not None:
            return m
    return None


def test_keyspace_notifications(r, server):
    r.config_set("notify-keyspace-events", "KEA")
    ps = server.client().pubsub(ignore_subscribe_messages=True)
    ps.psubscribe("__keyspace@0__:*")
    wait_for(lambda: r.pubsub_numpat() == 1)
    r.set("user:1", "v")
    r.expire("user:1", 100)
    r.delete("user:1")
    r.set("tmp", "v", px=1)
    time.sleep(0.01)
    assert r.get("tmp") is None
    events = []
    while len(events) < 6:
        m = wait_message(ps)
        assert m is not None, events
        events.append((m["channel"], m["data"]))
    assert events == [
        (b"__keyspace@0__:user:1", b"set"),
        (b"__keyspace@0__:user:1", b"expire"),
        (b"__keyspace@0__:user:1", b"del"),
        (b"__keyspace@0__:tmp", b"set"),
        (b"__keyspace@0__:tmp", b"expire"),
        (b"__keyspace@0__:tmp", b"expired"),
    ]
    ps.close()


def test_monitor(server):
    r = server.client()
    other = server.client()
    other.ping()  # connect (HELLO) before monitoring starts
    with r.monitor() as m:
        other.set("k", "hello world")
        other.get("k")
        first = m.next_command()
        second = m.next_command()
    assert first["command"] == "SET k hello world"
    assert first["db"] == 0
    assert first["client_type"] == "tcp"
    assert second["command"] == "GET k"


def test_client_pause_and_unpause(server):
    admin = server.client()
    writer = server.client()
    assert admin.client_pause(1000, all=False) is True
    started = time.monotonic()
    assert writer.get("k") is None
    assert time.monotonic() - started < 0.8
    writer.set("k", "v")
    assert time.monotonic() - started >= 0.8
    # ALL holds every client, the pausing one included, until the pause ends.
    assert admin.client_pause(600) is True
    result = {}

    def blocked_ping():
        result["ping"] = writer.ping()

    t = threading.Thread(target=blocked_ping, daemon=True)
    t.start()
    time.sleep(0.2)
    assert "ping" not in result
    t.join(3)
    assert result["ping"] is True
    # WRITE pauses can be lifted early.
    assert admin.client_pause(10000, all=False) is True
    t = threading.Thread(target=lambda: result.update(set=writer.set("k", "w")), daemon=True)
    t.start()
    time.sleep(0.2)
    assert "set" not in result
    assert admin.client_unpause() == b"OK"
    t.join(2)
    assert result["set"] is True
