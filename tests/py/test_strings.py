"""String commands through redis-py."""

import pytest
import redis


def test_set_get(r):
    assert r.set("k", "v") is True
    assert r.get("k") == b"v"
    assert r.set("k", 42) is True
    assert r.get("k") == b"42"
    assert r.get("nope") is None


def test_set_nx_xx(r):
    assert r.set("k", "1", nx=True) is True
    assert r.set("k", "2", nx=True) is None
    assert r.get("k") == b"1"
    assert r.set("k", "3", xx=True) is True
    assert r.get("k") == b"3"
    assert r.set("other", "x", xx=True) is None
    assert r.get("other") is None


def test_set_get_option(r):
    assert r.set("k", "old") is True
    assert r.set("k", "new", get=True) == b"old"
    assert r.set("fresh", "v", get=True) is None
    assert r.get("k") == b"new"


def test_set_ex_px(r):
    assert r.set("ex", "v", ex=100) is True
    assert 99 <= r.ttl("ex") <= 100
    assert r.set("px", "v", px=50000) is True
    assert 49000 <= r.pttl("px") <= 50000
    assert r.set("keep", "v", ex=100) is True
    assert r.set("keep", "v2", keepttl=True) is True
    assert 99 <= r.ttl("keep") <= 100
    assert r.set("keep", "v3") is True
    assert r.ttl("keep") == -1


def test_set_invalid_expire(r):
    with pytest.raises(redis.ResponseError, match="invalid expire time in 'set' command"):
        r.set("k", "v", ex=0)
    with pytest.raises(redis.ResponseError, match="invalid expire time"):
        r.set("k", "v", px=-5)
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("SET", "k", "v", "NX", "XX")
    assert r.get("k") is None


def test_mset_mget(r):
    assert r.mset({"a": "1", "b": "2", "c": "3"}) is True
    assert r.mget("a", "b", "missing", "c") == [b"1", b"2", None, b"3"]
    assert r.mget(["c", "a"]) == [b"3", b"1"]
    assert r.msetnx({"a": "x", "d": "4"}) is False
    assert r.get("d") is None
    assert r.msetnx({"d": "4", "e": "5"}) is True
    assert r.mget("d", "e") == [b"4", b"5"]


def test_incr_decr(r):
    assert r.incr("n") == 1
    assert r.incr("n", 10) == 11
    assert r.incrby("n", -20) == -9
    assert r.decr("n") == -10
    assert r.decrby("n", 5) == -15
    assert r.get("n") == b"-15"
    r.set("big", 2**63 - 1)
    with pytest.raises(redis.ResponseError, match="increment or decrement would overflow"):
        r.incr("big")
    r.set("text", "abc")
    with pytest.raises(redis.ResponseError, match="value is not an integer or out of range"):
        r.incr("text")
    r.set("spaces", " 1")
    with pytest.raises(redis.ResponseError, match="not an integer"):
        r.incr("spaces")


def test_incrbyfloat(r):
    assert r.incrbyfloat("f", 10.5) == 10.5
    assert r.incrbyfloat("f", 0.1) == pytest.approx(10.6)
    assert r.get("f") == b"10.6"
    assert r.incrbyfloat("f", -5) == pytest.approx(5.6)
    assert r.get("f") == b"5.6"
    r.set("e", "5.0e3")
    assert r.incrbyfloat("e", 2.0e2) == 5200.0
    assert r.get("e") == b"5200"
    r.set("text", "abc")
    with pytest.raises(redis.ResponseError, match="value is not a valid float"):
        r.incrbyfloat("text", 1)
    with pytest.raises(redis.ResponseError, match="increment would produce NaN or Infinity"):
        r.incrbyfloat("f", float("inf"))


def test_append_strlen(r):
    assert r.append("s", "hello") == 5
    assert r.append("s", " world") == 11
    assert r.get("s") == b"hello world"
    assert r.strlen("s") == 11
    assert r.strlen("missing") == 0
    r.set("n", 12)
    assert r.append("n", 3) == 3
    assert r.get("n") == b"123"


def test_getrange_setrange(r):
    r.set("s", "Hello World")
    assert r.getrange("s", 0, 4) == b"Hello"
    assert r.getrange("s", -5, -1) == b"World"
    assert r.getrange("s", 6, 1000) == b"World"
    assert r.getrange("s", 5, 2) == b""
    assert r.getrange("s", -100, 2) == b"Hel"
    assert r.getrange("missing", 0, -1) == b""
    assert r.setrange("s", 6, "Redis") == 11
    assert r.get("s") == b"Hello Redis"
    assert r.setrange("pad", 5, "x") == 6
    assert r.get("pad") == b"\x00\x00\x00\x00\x00x"
    assert r.setrange("s", 0, "") == 11
    with pytest.raises(redis.ResponseError, match="offset is out of range"):
        r.setrange("s", -1, "x")


def test_getset_getdel_getex(r):
    r.set("k", "1")
    assert r.getset("k", "2") == b"1"
    assert r.getdel("k") == b"2"
    assert r.get("k") is None
    assert r.getdel("k") is None
    r.set("k", "v")
    assert r.getex("k", ex=50) == b"v"
    assert 49 <= r.ttl("k") <= 50
    assert r.getex("k", persist=True) == b"v"
    assert r.ttl("k") == -1


def test_wrong_type(r):
    r.rpush("list", "a")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.get("list")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.append("list", "x")
