"""List commands through redis-py (RESP3 and RESP2)."""

import pytest
import redis


def test_lpush_rpush(r):
    assert r.lpush("l", "a", "b") == 2
    assert r.rpush("l", "c", 1, 2.5) == 5
    assert r.lrange("l", 0, -1) == [b"b", b"a", b"c", b"1", b"2.5"]
    assert r.lpushx("missing", "x") == 0
    assert r.rpushx("l", "z") == 6
    assert r.exists("missing") == 0
    assert r.llen("l") == 6
    assert r.lindex("l", -1) == b"z"
    assert r.lindex("l", 100) is None
    assert r.type("l") == b"list"
    assert r.object("encoding", "l") == b"quicklist"


def test_wrong_type(r):
    r.set("s", "v")
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
        r.lpush("s", "a")
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
        r.lrange("s", 0, -1)


def test_linsert(r):
    r.rpush("l", "a", "b", "c")
    assert r.linsert("l", "before", "b", "x") == 4
    assert r.linsert("l", "AFTER", "c", "y") == 5
    assert r.linsert("l", "after", "nothere", "z") == -1
    assert r.linsert("missing", "after", "a", "z") == 0
    assert r.lrange("l", 0, -1) == [b"a", b"x", b"b", b"c", b"y"]
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("LINSERT", "l", "middle", "a", "b")


def test_lrem(r):
    r.rpush("l", "a", "b", "a", "c", "a")
    assert r.lrem("l", 1, "a") == 1
    assert r.lrange("l", 0, -1) == [b"b", b"a", b"c", b"a"]
    assert r.lrem("l", -1, "a") == 1
    assert r.lrange("l", 0, -1) == [b"b", b"a", b"c"]
    assert r.lrem("l", 0, "zz") == 0
    assert r.lrem("l", 0, "b") == 1
    assert r.lrem("l", 0, "a") == 1
    assert r.lrem("l", 0, "c") == 1
    assert r.exists("l") == 0


def test_ltrim(r):
    r.rpush("l", *range(10))
    assert r.ltrim("l", 2, -3) is True
    assert r.lrange("l", 0, -1) == [str(i).encode() for i in range(2, 8)]
    assert r.ltrim("l", -2, 100) is True
    assert r.lrange("l", 0, -1) == [b"6", b"7"]
    assert r.ltrim("l", 5, 1) is True
    assert r.exists("l") == 0
    assert r.ltrim("missing", 0, 1) is True


def test_lrange(r):
    r.rpush("l", *"abcdef")
    assert r.lrange("l", 0, 2) == [b"a", b"b", b"c"]
    assert r.lrange("l", -2, -1) == [b"e", b"f"]
    assert r.lrange("l", 4, 100) == [b"e", b"f"]
    assert r.lrange("l", 3, 1) == []
    assert r.lrange("missing", 0, -1) == []
    with pytest.raises(redis.ResponseError, match="not an integer"):
        r.lrange("l", "x", 1)


def test_lset_lindex(r):
    r.rpush("l", "a", "b")
    assert r.lset("l", -1, "B") is True
    assert r.lindex("l", 1) == b"B"
    with pytest.raises(redis.ResponseError, match="^index out of range"):
        r.lset("l", 5, "x")
    with pytest.raises(redis.ResponseError, match="^no such key"):
        r.lset("missing", 0, "x")


def test_rpoplpush(r):
    r.rpush("src", "a", "b", "c")
    assert r.rpoplpush("src", "dst") == b"c"
    assert r.rpoplpush("src", "dst") == b"b"
    assert r.lrange("dst", 0, -1) == [b"b", b"c"]
    # Same source and destination rotates the list.
    assert r.rpoplpush("dst", "dst") == b"c"
    assert r.lrange("dst", 0, -1) == [b"c", b"b"]
    assert r.rpoplpush("src", "dst") == b"a"
    assert r.exists("src") == 0
    assert r.rpoplpush("src", "dst") is None


def test_lmove(r):
    r.rpush("a", "1", "2", "3")
    assert r.lmove("a", "b") == b"1"
    assert r.lmove("a", "b", "RIGHT", "LEFT") == b"3"
    assert r.lmove("a", "a", "LEFT", "RIGHT") == b"2"
    assert r.lrange("b", 0, -1) == [b"3", b"1"]
    assert r.lmove("b", "a", "RIGHT", "RIGHT") == b"1"
    assert r.lrange("a", 0, -1) == [b"2", b"1"]
    assert r.lmove("missing", "a") is None
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.lmove("a", "b", "UP", "LEFT")


def test_lpop_rpop_count(r):
    r.rpush("l", *"abcde")
    assert r.lpop("l") == b"a"
    assert r.rpop("l") == b"e"
    assert r.lpop("l", 2) == [b"b", b"c"]
    assert r.rpop("l", 5) == [b"d"]
    assert r.exists("l") == 0
    assert r.lpop("l") is None
    assert r.lpop("l", 2) is None
    r.rpush("l", "x")
    assert r.lpop("l", 0) == []
    with pytest.raises(redis.ResponseError, match="must be positive"):
        r.lpop("l", -1)


def test_lmpop(r):
    r.rpush("b", "1", "2", "3")
    assert r.lmpop(2, "a", "b", direction="LEFT") == [b"b", [b"1"]]
    assert r.lmpop(2, "a", "b", direction="RIGHT", count=5) == [b"b", [b"3", b"2"]]
    assert r.lmpop(2, "a", "b", direction="LEFT") is None
    with pytest.raises(redis.ResponseError, match="numkeys should be greater than 0"):
        r.execute_command("LMPOP", 0, "a", "LEFT")


def test_lpos(r):
    r.rpush("l", "a", "b", "c", "1", "2", "3", "c", "c")
    assert r.lpos("l", "a") == 0
    assert r.lpos("l", "c") == 2
    assert r.lpos("l", "x") is None
    assert r.lpos("l", "c", rank=1) == 2
    assert r.lpos("l", "c", rank=2) == 6
    assert r.lpos("l", "c", rank=4) is None
    assert r.lpos("l", "c", rank=-1) == 7
    assert r.lpos("l", "c", rank=-2) == 6
    assert r.lpos("l", "c", count=0) == [2, 6, 7]
    assert r.lpos("l", "c", count=1) == [2]
    assert r.lpos("l", "c", count=2) == [2, 6]
    assert r.lpos("l", "c", count=0, rank=-1) == [7, 6, 2]
    assert r.lpos("l", "c", count=0, maxlen=4) == [2]
    assert r.lpos("l", "x", count=2) == []
    assert r.lpos("missing", "a") is None
    with pytest.raises(redis.ResponseError, match="RANK can't be zero"):
        r.lpos("l", "c", rank=0)
    with pytest.raises(redis.ResponseError, match="COUNT can't be negative"):
        r.lpos("l", "c", count=-1)
    with pytest.raises(redis.ResponseError, match="MAXLEN can't be negative"):
        r.lpos("l", "c", maxlen=-1)
