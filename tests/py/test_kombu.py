"""Celery-style smoke tests with kombu's Redis transport.

kombu's Redis transport stores queues as lists (LPUSH/BRPOP), exchange
bindings as sets, fanout as PUBLISH/PSUBSCRIBE, and, with its default
ack emulation, unacked messages in a hash plus a sorted set that are put back
by WATCH/MULTI transactions. Two paths run Lua scripts through EVALSHA:

* the ack-emulation sweep (`QoS.restore_visible`, run on every empty poll)
  holds a `redis.lock.Lock` and releases it with a script;
* declaring a queue with `x-expires` refreshes its binding with a script.

Those tests skip on a server without scripting (Ember has none); everything
else runs on both targets. With `ack_emulation=False` kombu runs no script.
"""

import threading
import time

import pytest
import redis

kombu = pytest.importorskip("kombu", reason="kombu is not installed (pip install kombu)")
from kombu import Connection, Consumer, Exchange, Producer, Queue  # noqa: E402


def has_scripting(client):
    try:
        client.execute_command("SCRIPT", "EXISTS", "0" * 40)
    except redis.ResponseError as e:
        if str(e).startswith("unknown command"):
            return False
        raise
    return True


@pytest.fixture
def url(server):
    return f"redis://127.0.0.1:{server.port}/0"


@pytest.fixture
def rc(server):
    client = server.client()
    yield client
    client.close()


@pytest.fixture
def scripting(rc):
    if not has_scripting(rc):
        pytest.skip("kombu runs this path through EVALSHA (no scripting on this server)")


def drain(conn, got, n, timeout=5):
    deadline = time.monotonic() + timeout
    while len(got) < n:
        assert time.monotonic() < deadline, f"got only {got!r}"
        conn.drain_events(timeout=1)


def test_simple_queue_round_trip(url, rc):
    with Connection(url) as conn:
        q = conn.SimpleQueue("sq")
        for i in range(3):
            q.put({"n": i})
        assert q.qsize() == 3
        assert rc.llen("sq") == 3
        for i in range(3):
            msg = q.get(timeout=1)
            assert msg.payload == {"n": i}
            msg.ack()
        q.close()
    assert rc.exists("sq") == 0
    assert rc.hlen("unacked") == 0
    assert rc.zcard("unacked_index") == 0


def test_simple_queue_types_and_clear(url, rc):
    with Connection(url) as conn:
        q = conn.SimpleQueue("sq")
        q.put("text")
        q.put(b"\x00\xffbytes", serializer=None, content_type="application/data",
              content_encoding="binary")
        q.put([1, 2.5, None, {"a": "b"}])
        assert q.get(timeout=1).payload == "text"
        assert q.get(timeout=1).payload == b"\x00\xffbytes"
        assert q.get(timeout=1).payload == [1, 2.5, None, {"a": "b"}]
        q.put("x")
        q.put("y")
        assert q.clear() == 2
        assert rc.exists("sq") == 0
        q.close()


def test_producer_consumer_direct_exchange(url, rc):
    ex = Exchange("tasks", type="direct")
    queue = Queue("work", ex, routing_key="work.rk")
    got = []
    with Connection(url) as conn, conn.channel() as ch:
        prod = Producer(ch, exchange=ex, routing_key="work.rk")
        prod.publish({"x": 1}, declare=[queue])
        prod.publish({"x": 2})
        prod.publish({"x": 3}, routing_key="nowhere")  # unroutable: dropped
        members = rc.smembers("_kombu.binding.tasks")
        assert members == {b"work.rk\x06\x16\x06\x16work"}
        assert rc.llen("work") == 2

        def on_message(body, message):
            got.append((body, message.delivery_info["routing_key"]))
            message.ack()

        with Consumer(ch, queues=[queue], callbacks=[on_message], accept=["json"]):
            drain(conn, got, 2)
        assert got == [({"x": 1}, "work.rk"), ({"x": 2}, "work.rk")]
        assert rc.llen("work") == 0
        assert rc.hlen("unacked") == 0


def test_topic_exchange_routing(url, rc):
    ex = Exchange("topics", type="topic")
    qa = Queue("qa", ex, routing_key="a.*")
    qall = Queue("qall", ex, routing_key="#")
    got = []
    with Connection(url) as conn, conn.channel() as ch:
        prod = Producer(ch, exchange=ex)
        prod.publish({"k": "a.b"}, routing_key="a.b", declare=[qa, qall])
        prod.publish({"k": "b.c"}, routing_key="b.c")
        assert rc.llen("qa") == 1
        assert rc.llen("qall") == 2

        def on_message(body, message):
            got.append((message.delivery_info["routing_key"], body["k"]))
            message.ack()

        with Consumer(ch, queues=[qa, qall], callbacks=[on_message], accept=["json"]):
            drain(conn, got, 3)
    assert sorted(got) == [("a.b", "a.b"), ("a.b", "a.b"), ("b.c", "b.c")]


def test_priority_queue(url):
    with Connection(url) as conn:
        q = conn.SimpleQueue("pq", queue_opts={"max_priority": 9})
        q.put("low", priority=0)
        q.put("high", priority=9)
        q.put("mid", priority=5)
        # kombu's Redis transport serves priority 0 first (one list per step,
        # BRPOP over them in order).
        order = [q.get(timeout=1) for _ in range(3)]
        assert [m.payload for m in order] == ["low", "mid", "high"]
        for m in order:
            m.ack()
        q.close()


def test_unacked_message_restored_on_close(url, rc):
    with Connection(url) as conn:
        q = conn.SimpleQueue("rq")
        q.put("hello")
        msg = q.get(timeout=1)
        assert msg.payload == "hello"
        assert rc.hlen("unacked") == 1
        assert rc.zcard("unacked_index") == 1
        q.close()  # not acked: WATCH/MULTI puts it back
    assert rc.llen("rq") == 1
    assert rc.hlen("unacked") == 0
    with Connection(url) as conn:
        q = conn.SimpleQueue("rq")
        msg = q.get(timeout=1)
        assert msg.payload == "hello"
        assert msg.delivery_info["redelivered"] is True
        msg.ack()
        q.close()


def test_reject_requeue(url, rc):
    with Connection(url) as conn:
        q = conn.SimpleQueue("rq")
        q.put("again")
        q.get(timeout=1).requeue()
        assert rc.llen("rq") == 1
        msg = q.get(timeout=1)
        assert msg.payload == "again"
        msg.reject()
        assert rc.llen("rq") == 0
        assert rc.hlen("unacked") == 0
        q.close()


def test_fanout_broadcast(url, rc):
    # kombu PUBLISHes a fanout message once to the exchange's channel; each
    # consuming connection (PSUBSCRIBE) gets one copy.
    ex = Exchange("bcast", type="fanout")
    queues = [Queue("f1", ex)]
    got = []
    opts = {"ack_emulation": False}
    with Connection(url, transport_options=opts) as conn, conn.channel() as ch:

        def on_message(body, message):
            got.append(body)
            message.ack()

        def publish_once_subscribed():
            deadline = time.monotonic() + 5
            while rc.pubsub_numpat() < 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            with Connection(url, transport_options=opts) as pconn:
                Producer(pconn.channel(), exchange=ex).publish({"b": 1})

        with Consumer(ch, queues=queues, callbacks=[on_message], accept=["json"]):
            t = threading.Thread(target=publish_once_subscribed)
            t.start()
            try:
                deadline = time.monotonic() + 5
                while not got and time.monotonic() < deadline:
                    try:
                        conn.drain_events(timeout=0.5)
                    except TimeoutError:
                        pass
            finally:
                t.join()
    assert got == [{"b": 1}]


def test_without_ack_emulation_runs_no_script(url, rc):
    with Connection(url, transport_options={"ack_emulation": False}) as conn:
        q = conn.SimpleQueue("nq")
        q.put("one")
        msg = q.get(timeout=1)
        assert msg.payload == "one"
        msg.ack()
        with pytest.raises(q.Empty):
            q.get(timeout=0.2)
        q.close()
    assert rc.exists("unacked", "unacked_index", "unacked_mutex") == 0


# --- paths that run Lua scripts (EVALSHA) ----------------------------------


def test_empty_get_with_ack_emulation(url, rc, scripting):
    # An empty poll runs QoS.restore_visible: Lock acquire (SET NX PX),
    # ZRANGE BYSCORE REV, then Lock.release (EVALSHA).
    with Connection(url) as conn:
        q = conn.SimpleQueue("eq")
        with pytest.raises(q.Empty):
            q.get(timeout=0.2)
        q.close()
    assert rc.exists("unacked_mutex") == 0


def test_restore_visible_after_visibility_timeout(url, rc, scripting):
    opts = {"visibility_timeout": 1}
    with Connection(url, transport_options=opts) as conn:
        q = conn.SimpleQueue("vq")
        q.put("late")
        msg = q.get(timeout=1)
        assert msg.payload == "late"
        assert rc.llen("vq") == 0
        time.sleep(1.1)
        conn.default_channel.qos.restore_visible(num=10, interval=1)
        assert rc.llen("vq") == 1
        assert rc.hlen("unacked") == 0
        assert rc.exists("unacked_mutex") == 0
        q.close()


def test_expiring_queue_binding(url, rc, scripting):
    ex = Exchange("exx", type="direct")
    queue = Queue("exq", ex, routing_key="k", expires=60)
    with Connection(url) as conn, conn.channel() as ch:
        queue(ch).declare()
        assert rc.smembers("_kombu.binding.exx") == {b"k\x06\x16\x06\x16exq"}
        assert rc.zscore("_kombu.binding_deadlines", "exx") is not None
