"""SORT and SORT_RO through redis-py (RESP3 and RESP2)."""

import pytest
import redis


def test_sort_numeric_alpha_desc(r):
    r.rpush("l", 3, 1, 10, 2.5)
    assert r.sort("l") == [b"1", b"2.5", b"3", b"10"]
    assert r.sort("l", desc=True) == [b"10", b"3", b"2.5", b"1"]
    assert r.sort("l", alpha=True) == [b"1", b"10", b"2.5", b"3"]
    assert r.sort("l", alpha=True, desc=True) == [b"3", b"2.5", b"10", b"1"]
    assert r.sort("missing") == []


def test_sort_start_num(r):
    r.rpush("l", *range(10, 0, -1))
    assert r.sort("l", start=2, num=3) == [b"3", b"4", b"5"]
    assert r.sort("l", start=8, num=5) == [b"9", b"10"]
    assert r.sort("l", start=20, num=5) == []
    assert r.sort("l", start=0, num=0) == []
    assert r.sort("l", start=-3, num=2) == [b"1", b"2"]
    assert r.sort("l", start=7, num=-1) == [b"8", b"9", b"10"]
    with pytest.raises(redis.DataError):
        r.sort("l", start=1)


def test_sort_by_and_get(r):
    r.rpush("ids", "1", "2", "3")
    r.mset({"weight_1": 30, "weight_2": 10, "weight_3": 20})
    r.mset({"name_1": "one", "name_3": "three"})
    r.hset("user_1", mapping={"age": 40, "city": "x"})
    r.hset("user_2", mapping={"age": 20})
    r.hset("user_3", mapping={"age": 30})
    assert r.sort("ids", by="weight_*") == [b"2", b"3", b"1"]
    assert r.sort("ids", by="user_*->age", desc=True) == [b"1", b"3", b"2"]
    assert r.sort("ids", by="nosort", desc=True) == [b"3", b"2", b"1"]
    assert r.sort("ids", by="weight_*", get="name_*") == [None, b"three", b"one"]
    assert r.sort("ids", by="weight_*", get=["#", "name_*", "user_*->age"]) == [
        b"2", None, b"20", b"3", b"three", b"30", b"1", b"one", b"40",
    ]
    assert r.sort("ids", by="weight_*", get=["#", "user_*->city"], groups=True) == [
        (b"2", None), (b"3", None), (b"1", b"x"),
    ]
    # Missing BY keys sort as 0.
    r.delete("weight_1")
    assert r.sort("ids", by="weight_*") == [b"1", b"2", b"3"]


def test_sort_store(r):
    r.rpush("l", "b", "c", "a")
    assert r.sort("l", alpha=True, store="dst") == 3
    assert r.lrange("dst", 0, -1) == [b"a", b"b", b"c"]
    assert r.type("dst") == b"list"
    r.mset({"v_a": "A", "v_c": "C"})
    assert r.sort("l", alpha=True, get=["#", "v_*"], store="dst") == 6
    assert r.lrange("dst", 0, -1) == [b"a", b"A", b"b", b"", b"c", b"C"]
    # An empty result deletes the destination.
    assert r.sort("missing", store="dst") == 0
    assert r.exists("dst") == 0


def test_sort_sets_and_zsets(r):
    r.sadd("s", 5, 3, 9)
    assert r.sort("s") == [b"3", b"5", b"9"]
    assert r.sort("s", desc=True, start=0, num=2) == [b"9", b"5"]
    r.sadd("t", "b", "a", "c")
    assert sorted(r.sort("t", by="nosort")) == [b"a", b"b", b"c"]
    assert r.sort("t", by="nosort", store="dst") == 3
    assert r.lrange("dst", 0, -1) == [b"a", b"b", b"c"]
    r.zadd("z", {"c": 1, "a": 2, "b": 3})
    assert r.sort("z", by="nosort") == [b"c", b"a", b"b"]
    assert r.sort("z", by="nosort", desc=True, start=1, num=1) == [b"a"]
    assert r.sort("z", alpha=True) == [b"a", b"b", b"c"]


def test_sort_ro(r):
    r.rpush("l", 2, 1, 3)
    assert r.sort_ro("l") == [b"1", b"2", b"3"]
    assert r.sort_ro("l", desc=True, start=0, num=2) == [b"3", b"2"]
    r.mset({"w_1": 3, "w_2": 2, "w_3": 1})
    assert r.sort_ro("l", by="w_*", get="#") == [b"3", b"2", b"1"]
    assert r.sort_ro("l", alpha=True) == [b"1", b"2", b"3"]
    with pytest.raises(redis.ResponseError, match="^syntax error"):
        r.execute_command("SORT_RO", "l", "STORE", "dst")


def test_sort_errors(r):
    r.rpush("l", 1, "x")
    with pytest.raises(redis.ResponseError, match="can't be converted into double"):
        r.sort("l")
    r.set("str", "v")
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
        r.sort("str")
    with pytest.raises(redis.ResponseError, match="^syntax error"):
        r.execute_command("SORT", "l", "FOO")
    with pytest.raises(redis.ResponseError, match="not an integer"):
        r.execute_command("SORT", "l", "LIMIT", "a", "1")


def test_sort_getkeys(r):
    def keys(*args):
        # redis-py decodes this reply in RESP2 but not in RESP3.
        return [k.decode() if isinstance(k, bytes) else k for k in r.command_getkeys(*args)]

    assert keys("SORT", "k", "STORE", "d") == ["k", "d"]
    assert keys("SORT", "k", "STORE", "d", "GET", "#", "STORE", "e") == ["k", "e"]
    assert keys("SORT_RO", "k", "BY", "w_*") == ["k"]
