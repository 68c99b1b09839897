"""Keyspace commands through redis-py: KEYS, SCAN, EXPIRE/TTL, DEL/EXISTS."""

import pytest
import redis


def fill(r):
    r.mset({f"user:{i}": i for i in range(30)})
    r.mset({f"order:{i}": i for i in range(10)})
    r.set("user", "no colon")


def test_keys(r):
    fill(r)
    assert sorted(r.keys("user:*")) == sorted(f"user:{i}".encode() for i in range(30))
    assert len(r.keys("*")) == 41
    assert sorted(r.keys("user:?")) == sorted(f"user:{i}".encode() for i in range(10))
    assert sorted(r.keys("order:[1-3]")) == [b"order:1", b"order:2", b"order:3"]
    assert r.keys("nothing*") == []
    assert r.keys("user") == [b"user"]


def test_scan_iter(r):
    fill(r)
    seen = list(r.scan_iter(match="user:*", count=7))
    assert len(seen) == len(set(seen))
    assert sorted(seen) == sorted(f"user:{i}".encode() for i in range(30))
    assert sorted(r.scan_iter()) == sorted(r.keys("*"))
    assert list(r.scan_iter(match="none:*")) == []


def test_scan_cursor(r):
    fill(r)
    cursor, keys = r.scan(0, count=1000)
    assert cursor == 0
    assert len(keys) == 41


def test_scan_type(r):
    fill(r)
    assert len(list(r.scan_iter(_type="string"))) == 41
    assert list(r.scan_iter(_type="hash")) == []


def test_scan_type_list(r):
    fill(r)
    r.rpush("a-list", "x")
    assert list(r.scan_iter(_type="list")) == [b"a-list"]


def test_dbsize_exists_delete(r):
    fill(r)
    assert r.dbsize() == 41
    assert r.exists("user:1") == 1
    assert r.exists("user:1", "user:1", "user:2", "nope") == 3
    assert r.delete("user:1", "user:2", "nope") == 2
    assert r.exists("user:1") == 0
    assert r.dbsize() == 39
    assert r.flushdb() is True
    assert r.dbsize() == 0


def test_expire_ttl(r):
    r.set("k", "v")
    assert r.ttl("k") == -1
    assert r.pttl("k") == -1
    assert r.ttl("missing") == -2
    assert r.pttl("missing") == -2
    assert r.expire("k", 100) is True
    assert 99 <= r.ttl("k") <= 100
    assert 99000 <= r.pttl("k") <= 100000
    assert r.pexpire("k", 50000) is True
    assert 49 <= r.ttl("k") <= 50
    assert r.persist("k") is True
    assert r.ttl("k") == -1
    assert r.persist("k") is False
    assert r.expire("missing", 10) is False


def test_expire_options(r):
    r.set("k", "v")
    assert r.expire("k", 100, xx=True) is False
    assert r.expire("k", 100, nx=True) is True
    assert r.expire("k", 200, nx=True) is False
    assert r.expire("k", 50, gt=True) is False
    assert r.expire("k", 200, gt=True) is True
    assert r.expire("k", 300, lt=True) is False
    assert r.expire("k", 10, lt=True) is True
    assert 9 <= r.ttl("k") <= 10


def test_expire_in_the_past_deletes(r):
    r.set("k", "v")
    assert r.expire("k", -1) is True
    assert r.get("k") is None
    assert r.exists("k") == 0
    r.set("k", "v")
    assert r.expireat("k", 1) is True
    assert r.exists("k") == 0


def test_expire_really_expires(r):
    r.set("k", "v", px=500)
    assert r.get("k") == b"v"
    import time

    time.sleep(0.6)
    assert r.get("k") is None
    assert r.ttl("k") == -2


def test_expiretime(r):
    r.set("k", "v")
    assert r.expiretime("k") == -1
    assert r.expireat("k", 4102444800) is True
    assert r.expiretime("k") == 4102444800
    assert r.pexpiretime("k") == 4102444800000
    assert r.expiretime("missing") == -2


def test_type_and_rename(r):
    r.set("s", "v")
    assert r.type("s") == b"string"
    assert r.type("missing") == b"none"
    assert r.rename("s", "t") is True
    assert r.get("t") == b"v"
    with pytest.raises(redis.ResponseError, match="no such key"):
        r.rename("missing", "x")
    assert r.renamenx("t", "u") is True
    r.set("v", "1")
    assert r.renamenx("u", "v") is False
