"""Sorted set commands through redis-py: ZADD, ZRANGE WITHSCORES, ZRANGEBYSCORE,
ZRANK, ZINTERSTORE/ZUNIONSTORE with AGGREGATE, ZSCAN_ITER, ZINCRBY, ZPOPMIN."""

import math

import pytest
import redis


def pairs(reply):
    """WITHSCORES replies as (member, score) tuples in either protocol (a
    single ZPOPMIN reply is a flat [member, score] in both)."""
    if len(reply) == 2 and not isinstance(reply[0], (list, tuple)):
        return [tuple(reply)]
    return [tuple(p) for p in reply]


def test_zadd(r):
    assert r.zadd("z", {"a": 1, "b": 2, "c": 3}) == 3
    assert r.zadd("z", {"a": 1}) == 0
    assert r.zadd("z", {"a": 10, "d": 4}, ch=True) == 2
    assert r.zadd("z", {"a": 100, "e": 5}, nx=True) == 1
    assert r.zscore("z", "a") == 10.0
    assert r.zadd("z", {"a": 100, "f": 6}, xx=True) == 0
    assert r.zscore("z", "a") == 100.0
    assert r.zscore("z", "f") is None
    assert r.zadd("z", {"a": 50, "b": 50}, gt=True, ch=True) == 1
    assert r.zadd("z", {"a": 60, "b": 40}, lt=True, ch=True) == 2
    assert r.zadd("z", {"a": 5}, incr=True) == 65.0
    assert r.zadd("z", {"a": 5}, nx=True, incr=True) is None
    assert r.zcard("z") == 5
    with pytest.raises(redis.DataError):
        r.zadd("z", {"a": 1}, nx=True, xx=True)
    with pytest.raises(redis.ResponseError, match="not a valid float"):
        r.execute_command("ZADD", "z", "abc", "m")
    with pytest.raises(redis.ResponseError, match="GT, LT, and/or NX"):
        r.execute_command("ZADD", "z", "GT", "LT", "1", "m")
    r.set("str", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.zadd("str", {"a": 1})
    assert r.object("encoding", "z") == b"listpack"


def test_zrange_withscores(r):
    r.zadd("z", {"a": 1, "b": 2.5, "c": 3, "d": 0.1})
    assert r.zrange("z", 0, -1) == [b"d", b"a", b"b", b"c"]
    assert pairs(r.zrange("z", 0, 1, withscores=True)) == [(b"d", 0.1), (b"a", 1.0)]
    assert pairs(r.zrange("z", 0, -1, desc=True, withscores=True))[0] == (b"c", 3.0)
    assert pairs(r.zrevrange("z", 0, 0, withscores=True)) == [(b"c", 3.0)]
    assert r.zrange("z", "(1", "3", byscore=True) == [b"b", b"c"]
    assert r.zrange("z", 1, 3, byscore=True, offset=1, num=1) == [b"b"]
    assert r.zrange("nokey", 0, -1, withscores=True) == []
    with_cast = r.zrange("z", 0, -1, withscores=True, score_cast_func=int)
    assert pairs(with_cast) == [(b"d", 0), (b"a", 1), (b"b", 2), (b"c", 3)]


def test_zrangebyscore(r):
    r.zadd("z", {f"m{i}": i for i in range(10)})
    assert r.zrangebyscore("z", 2, 4) == [b"m2", b"m3", b"m4"]
    assert r.zrangebyscore("z", "(2", "(4") == [b"m3"]
    assert r.zrangebyscore("z", "-inf", "+inf", start=8, num=5) == [b"m8", b"m9"]
    assert pairs(r.zrangebyscore("z", 8, 100, withscores=True)) == [(b"m8", 8.0), (b"m9", 9.0)]
    assert r.zrevrangebyscore("z", 4, 2) == [b"m4", b"m3", b"m2"]
    assert r.zcount("z", "(1", 3) == 2
    with pytest.raises(redis.ResponseError, match="min or max is not a float"):
        r.zrangebyscore("z", "x", 3)
    r.zadd("l", {"a": 0, "b": 0, "c": 0})
    assert r.zrangebylex("l", "[b", "+") == [b"b", b"c"]
    assert r.zlexcount("l", "-", "(c") == 2


def test_zrank(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert r.zrank("z", "a") == 0
    assert r.zrank("z", "c") == 2
    assert r.zrevrank("z", "c") == 0
    assert r.zrank("z", "nope") is None
    assert r.zrank("nokey", "a") is None
    # The large encoding answers the same.
    r.zadd("big", {f"m{i:04}": i for i in range(500)})
    assert r.object("encoding", "big") == b"skiplist"
    assert r.zrank("big", "m0321") == 321
    assert r.zrevrank("big", "m0321") == 178
    assert r.zrange("big", 250, 252) == [b"m0250", b"m0251", b"m0252"]


def test_zinterstore_and_zunionstore_aggregate(r):
    r.zadd("a", {"x": 1, "y": 2, "z": 3})
    r.zadd("b", {"y": 10, "z": 20, "w": 30})
    r.sadd("s", "z", "q")
    assert r.zinterstore("dst", ["a", "b"]) == 2
    assert pairs(r.zrange("dst", 0, -1, withscores=True)) == [(b"y", 12.0), (b"z", 23.0)]
    assert r.zinterstore("dst", {"a": 2, "b": 1}, aggregate="MAX") == 2
    assert pairs(r.zrange("dst", 0, -1, withscores=True)) == [(b"y", 10.0), (b"z", 20.0)]
    assert r.zinterstore("dst", ["a", "b"], aggregate="min") == 2
    assert pairs(r.zrange("dst", 0, -1, withscores=True)) == [(b"y", 2.0), (b"z", 3.0)]
    assert r.zunionstore("dst", ["a", "b"]) == 4
    assert pairs(r.zrange("dst", 0, -1, withscores=True)) == [
        (b"x", 1.0), (b"y", 12.0), (b"z", 23.0), (b"w", 30.0)]
    assert r.zunionstore("dst", {"a": 1, "b": 0.5}, aggregate="MIN") == 4
    assert r.zscore("dst", "w") == 15.0
    assert r.zunionstore("dst", ["a", "s"], aggregate="SUM") == 4
    assert r.zscore("dst", "q") == 1.0
    assert r.zscore("dst", "z") == 4.0
    assert r.zinterstore("dst", ["a", "nokey"]) == 0
    assert r.exists("dst") == 0
    assert pairs(r.zunion(["a", "b"], withscores=True))[-1] == (b"w", 30.0)
    assert r.zinter(["a", "b", "s"]) == [b"z"]
    assert r.zdiff(["a", "b"]) == [b"x"]
    assert r.zintercard(2, ["a", "b"]) == 2


def test_zscan_iter(r):
    r.zadd("small", {f"m{i}": i for i in range(20)})
    r.zadd("big", {f"m{i}": i / 4 for i in range(1000)})
    for key, n in (("small", 20), ("big", 1000)):
        seen = dict(r.zscan_iter(key))
        assert len(seen) == n
        assert seen[b"m3"] == (0.75 if key == "big" else 3.0)
        matched = dict(r.zscan_iter(key, match="m1*", count=50))
        assert set(matched) == {m for m in seen if m.startswith(b"m1")}
    assert list(r.zscan_iter("nokey")) == []
    cursor, items = r.zscan("small", 0)
    assert cursor == 0 and len(items) == 20


def test_zincrby(r):
    assert r.zincrby("z", 2.5, "a") == 2.5
    assert r.zincrby("z", -1, "a") == 1.5
    assert r.zincrby("z", "inf", "b") == math.inf
    with pytest.raises(redis.ResponseError, match="NaN"):
        r.zincrby("z", "-inf", "b")
    assert r.zscore("z", "b") == math.inf
    with pytest.raises(redis.ResponseError, match="not a valid float"):
        r.zincrby("z", "x", "a")


def test_zpopmin(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4})
    assert pairs(r.zpopmin("z")) == [(b"a", 1.0)]
    assert pairs(r.zpopmin("z", 2)) == [(b"b", 2.0), (b"c", 3.0)]
    assert pairs(r.zpopmax("z", 5)) == [(b"d", 4.0)]
    assert r.exists("z") == 0
    assert r.zpopmin("z") == []
    r.zadd("z", {"a": 1, "b": 2})
    key, popped = r.zmpop(2, ["nokey", "z"], max=True, count=5)
    assert key == b"z"
    # redis-py leaves ZMPOP's RESP2 scores as bulk strings.
    assert [(m, float(s)) for m, s in popped] == [(b"b", 2.0), (b"a", 1.0)]
    assert r.zmpop(1, ["z"], min=True) is None
