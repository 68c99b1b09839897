"""Connecting with redis-py: clients, pools, databases, pipelines."""

import pytest
import redis


def test_ping_and_echo(r):
    assert r.ping() is True
    assert r.echo("hello") == b"hello"
    assert r.echo(b"\x00\xff\r\n") == b"\x00\xff\r\n"


def test_lolwut(r):
    # redis-py's own test: LOLWUT answers its art and the version line,
    # with and without arguments (RESP3 gives it as verbatim text).
    assert "Redis ver." in str(r.lolwut())
    assert "Redis ver." in str(r.lolwut(5, 6, 7, 8))
    art = r.execute_command("LOLWUT", "VERSION", "5", "10", "2", "2")
    text = art.decode() if isinstance(art, bytes) else str(art)
    assert text.endswith("Georg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15\n")


def test_module_list_is_empty_and_loads_are_refused(r):
    # Clients probe for modules with MODULE LIST; loading is refused under
    # the default enable-module-command no.
    assert r.module_list() == []
    with pytest.raises(redis.ResponseError, match="MODULE command not allowed"):
        r.module_load("/nonexistent/module.so")


def test_decode_responses(server):
    r = server.client(decode_responses=True)
    assert r.set("k", "v\u00e9") is True
    assert r.get("k") == "v\u00e9"
    assert r.get("missing") is None


def test_connection_pool_shares_connections(server):
    pool = redis.ConnectionPool(port=server.port, max_connections=4)
    clients = [redis.Redis(connection_pool=pool) for _ in range(3)]
    for i, c in enumerate(clients):
        assert c.set(f"k{i}", i) is True
    for i, c in enumerate(reversed(clients)):
        assert c.get(f"k{2 - i}") == str(2 - i).encode()
    pool.disconnect()
    # A disconnected pool reconnects transparently.
    assert clients[0].get("k0") == b"0"
    pool.disconnect()


def test_pool_from_url(server):
    pool = redis.ConnectionPool.from_url(f"redis://127.0.0.1:{server.port}/2")
    r = redis.Redis(connection_pool=pool)
    r.set("in-two", "yes")
    assert redis.Redis(port=server.port, db=2).get("in-two") == b"yes"
    assert redis.Redis(port=server.port, db=0).get("in-two") is None
    pool.disconnect()


def test_db_out_of_range(server):
    r = redis.Redis(port=server.port, db=16)
    with pytest.raises(redis.ResponseError, match="DB index is out of range"):
        r.ping()


def test_unknown_command_raises(r):
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command("NOSUCHCMD", "a")
    assert str(e.value) == "unknown command 'NOSUCHCMD', with args beginning with: 'a' "
    # The connection stays usable.
    assert r.ping() is True


def test_wrong_arity_raises(r):
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'get' command"):
        r.execute_command("GET")


def test_pipeline_without_transaction(r):
    p = r.pipeline(transaction=False)
    p.set("a", 1).set("b", "two").get("a").get("b").get("missing").incr("a")
    assert p.execute() == [True, True, b"1", b"two", None, 2]
    assert r.get("a") == b"2"


def test_pipeline_larger_than_the_socket_buffers(server):
    # redis-py writes a whole pipeline before reading any reply: 2,000 ECHOs
    # of 16 KiB are 32 MiB each way, more than both directions' socket
    # buffers hold, so the server has to read on while its replies wait.
    r = redis.Redis(port=server.port, socket_timeout=60)
    p = r.pipeline(transaction=False)
    payloads = [(b"%05d" % i) * 3277 for i in range(2000)]
    for payload in payloads:
        p.echo(payload)
    assert p.execute() == payloads


def test_pipeline_errors_are_returned_in_place(r):
    r.set("s", "text")
    p = r.pipeline(transaction=False)
    p.set("x", 1).incr("s").get("x")
    res = p.execute(raise_on_error=False)
    assert res[0] is True
    assert isinstance(res[1], redis.ResponseError)
    assert "not an integer" in str(res[1])
    assert res[2] == b"1"
    p = r.pipeline(transaction=False)
    p.incr("s")
    with pytest.raises(redis.ResponseError):
        p.execute()


def test_large_pipeline(r):
    p = r.pipeline(transaction=False)
    for i in range(2000):
        p.set(f"key:{i}", i)
    assert all(p.execute())
    p = r.pipeline(transaction=False)
    for i in range(2000):
        p.get(f"key:{i}")
    assert p.execute() == [str(i).encode() for i in range(2000)]


def test_binary_keys_and_values(r):
    key = b"bin\x00key\r\n\xff"
    value = bytes(range(256)) * 100
    assert r.set(key, value) is True
    assert r.get(key) == value


def test_many_clients(server):
    clients = [server.client() for _ in range(20)]
    for i, c in enumerate(clients):
        c.set("counter", i)
    assert clients[0].get("counter") == b"19"
    for c in clients:
        c.close()
