"""Client-side caching through redis-py: CLIENT TRACKING with invalidations
redirected to a RESP2 subscriber of __redis__:invalidate (how RESP2 clients
build a local cache), CLIENT TRACKINGINFO and CLIENT GETREDIR."""

import redis


def text(v):
    return v.decode() if isinstance(v, bytes) else v


def wait_message(p, timeout=2.0):
    while True:
        m = p.get_message(timeout=timeout)
        if m is None or m["type"] == "message":
            return m


def test_invalidations_reach_a_subscriber(server):
    cache = server.client(protocol=2)
    writer = server.client(protocol=2)
    p = cache.pubsub()
    p.subscribe("__redis__:invalidate")
    assert p.get_message(timeout=2)["type"] == "subscribe"
    sub_id = next(c["id"] for c in cache.client_list(_type="pubsub"))
    reader = redis.Redis(port=server.port, protocol=2, single_connection_client=True)
    assert reader.client_tracking_on(clientid=int(sub_id)) in (True, b"OK", "OK")
    assert int(reader.client_getredir()) == int(sub_id)
    info = reader.client_trackinginfo()
    flags = [text(f) for f in info[1]] if isinstance(info, list) else info["flags"]
    assert "on" in [text(f) for f in flags]
    reader.set("user:1", "alice")
    assert reader.get("user:1") == b"alice"
    writer.set("user:1", "bob")
    m = wait_message(p)
    assert m is not None and text(m["channel"]) == "__redis__:invalidate"
    assert [text(k) for k in m["data"]] == ["user:1"]
    # Told once: the key is tracked again only when read again.
    writer.set("user:1", "carol")
    assert wait_message(p, timeout=0.3) is None
    reader.get("user:1")
    writer.flushall()
    m = wait_message(p)
    assert m is not None and m["data"] is None
    reader.client_tracking_off()
    assert int(reader.client_getredir()) == -1
    for c in (reader, writer, cache):
        c.close()
    p.close()
