"""Hash commands through redis-py: HSET/HMSET/HSETNX, HGET/HMGET/HGETALL,
HDEL, HLEN, HSTRLEN, HEXISTS, HKEYS/HVALS, HINCRBY, HINCRBYFLOAT, HRANDFIELD
and HSCAN (hscan_iter). Each test runs over RESP3 and RESP2."""

import pytest
import redis


def test_hset_hgetall(r):
    assert r.hset("h", "a", "1") == 1
    assert r.hset("h", mapping={"b": "2", "c": 3}) == 2
    assert r.hset("h", "a", "one", mapping={"d": "4"}) == 1
    assert r.hset("h", items=["e", "5", "a", "uno"]) == 1
    assert r.hgetall("h") == {b"a": b"uno", b"b": b"2", b"c": b"3", b"d": b"4", b"e": b"5"}
    assert r.hgetall("nokey") == {}
    assert r.hget("h", "c") == b"3"
    assert r.hget("h", "zz") is None
    assert r.hget("nokey", "a") is None
    assert r.hmget("h", ["a", "zz", "e"]) == [b"uno", None, b"5"]
    assert r.hmget("nokey", "a", "b") == [None, None]
    assert r.object("encoding", "h") in (b"listpack", "listpack")


def test_hmset_and_hsetnx(r):
    with pytest.warns(DeprecationWarning):
        assert r.hmset("h", {"a": "1", "b": "2"}) is True
    assert r.hsetnx("h", "a", "x") in (False, 0)
    assert r.hsetnx("h", "c", "3") in (True, 1)
    assert r.hsetnx("new", "f", "v") in (True, 1)
    assert r.hgetall("h") == {b"a": b"1", b"b": b"2", b"c": b"3"}
    assert r.hgetall("new") == {b"f": b"v"}


def test_hset_errors(r):
    r.set("s", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.hset("s", "a", "1")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.hgetall("s")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'hset'"):
        r.execute_command("HSET", "h", "a", "1", "b")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'hmset'"):
        r.execute_command("HMSET", "h", "a")
    assert r.exists("h") == 0


def test_hdel_hlen_and_empty_keys(r):
    r.hset("h", mapping={"a": 1, "b": 2, "c": 3})
    assert r.hlen("h") == 3
    assert r.hdel("h", "a", "zz") == 1
    assert r.hlen("h") == 2
    assert r.hdel("h", "b", "c", "b") == 2
    assert r.exists("h") == 0
    assert r.hlen("h") == 0
    assert r.hdel("h", "a") == 0


def test_hexists_hstrlen(r):
    r.hset("h", mapping={"a": "hello", "n": 12345, "e": ""})
    assert r.hexists("h", "a") in (True, 1)
    assert r.hexists("h", "zz") in (False, 0)
    assert r.hexists("nokey", "a") in (False, 0)
    assert r.hstrlen("h", "a") == 5
    assert r.hstrlen("h", "n") == 5
    assert r.hstrlen("h", "e") == 0
    assert r.hstrlen("h", "zz") == 0


def test_hkeys_hvals(r):
    r.hset("h", mapping={"b": "2", "a": "1", "c": "3"})
    # Small hashes keep insertion order.
    assert r.hkeys("h") == [b"b", b"a", b"c"]
    assert r.hvals("h") == [b"2", b"1", b"3"]
    assert r.hkeys("nokey") == []
    assert r.hvals("nokey") == []
    big = {f"f{i}": f"v{i}" for i in range(600)}
    r.hset("big", mapping=big)
    assert r.object("encoding", "big") in (b"hashtable", "hashtable")
    assert sorted(r.hkeys("big")) == sorted(k.encode() for k in big)
    assert sorted(r.hvals("big")) == sorted(v.encode() for v in big.values())
    assert r.hgetall("big") == {k.encode(): v.encode() for k, v in big.items()}


def test_hincrby(r):
    assert r.hincrby("h", "n") == 1
    assert r.hincrby("h", "n", 10) == 11
    assert r.hincrby("h", "n", -20) == -9
    assert r.hget("h", "n") == b"-9"
    r.hset("h", "t", "abc")
    with pytest.raises(redis.ResponseError, match="hash value is not an integer"):
        r.hincrby("h", "t", 1)
    r.hset("h", "m", 9223372036854775807)
    with pytest.raises(redis.ResponseError, match="increment or decrement would overflow"):
        r.hincrby("h", "m", 1)
    with pytest.raises(redis.ResponseError, match="not an integer or out of range"):
        r.hincrby("h", "n", "1.5")


def test_hincrbyfloat(r):
    assert r.hincrbyfloat("h", "f", 0.1) == 0.1
    assert r.hincrbyfloat("h", "f", 0.2) == pytest.approx(0.3)
    assert r.hget("h", "f") == b"0.3"
    assert r.hincrbyfloat("h", "f", "-0.3") == 0
    assert r.hget("h", "f") == b"0"
    assert r.hincrbyfloat("h", "g", "1e3") == 1000
    assert r.hget("h", "g") == b"1000"
    r.hset("h", "i", 5)
    assert r.hincrbyfloat("h", "i", 2.5) == 7.5
    r.hset("h", "t", "abc")
    with pytest.raises(redis.ResponseError, match="hash value is not a float"):
        r.hincrbyfloat("h", "t", 1)
    with pytest.raises(redis.ResponseError, match="value is NaN or Infinity"):
        r.hincrbyfloat("h", "f", "inf")
    with pytest.raises(redis.ResponseError, match="not a valid float"):
        r.hincrbyfloat("h", "f", "abc")
    r.hset("h", "big", "1.18e4932")
    with pytest.raises(redis.ResponseError, match="increment would produce NaN or Infinity"):
        r.hincrbyfloat("h", "big", "1.18e4932")


def flat_pairs(reply):
    """HRANDFIELD WITHVALUES as [(field, value)]: RESP2 replies flat, RESP3 in pairs."""
    if reply and isinstance(reply[0], list):
        return [tuple(p) for p in reply]
    return list(zip(reply[0::2], reply[1::2]))


def test_hrandfield(r):
    assert r.hrandfield("nokey") is None
    assert r.hrandfield("nokey", 3) == []
    data = {f"f{i}".encode(): f"v{i}".encode() for i in range(10)}
    r.hset("h", mapping=data)
    assert r.hrandfield("h") in data
    got = r.hrandfield("h", 4)
    assert len(got) == 4 and len(set(got)) == 4 and set(got) <= set(data)
    assert sorted(r.hrandfield("h", 100)) == sorted(data)
    got = r.hrandfield("h", -30)
    assert len(got) == 30 and set(got) <= set(data)
    pairs = flat_pairs(r.hrandfield("h", 3, withvalues=True))
    assert len(pairs) == 3 and len({f for f, _ in pairs}) == 3
    assert all(data[f] == v for f, v in pairs)
    pairs = flat_pairs(r.hrandfield("h", -25, withvalues=True))
    assert len(pairs) == 25 and all(data[f] == v for f, v in pairs)
    assert r.hrandfield("h", 0) == []
    with pytest.raises(redis.ResponseError, match="value is out of range"):
        r.hrandfield("h", 2**62, withvalues=True)
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("HRANDFIELD", "h", "1", "bogus")


def test_hrandfield_resp3_pairs(r3):
    r3.hset("h", mapping={"a": "1", "b": "2"})
    reply = r3.execute_command("HRANDFIELD", "h", "5", "WITHVALUES")
    assert sorted(tuple(p) for p in reply) == [(b"a", b"1"), (b"b", b"2")]


def test_hscan(r):
    small = {f"f{i}".encode(): f"v{i}".encode() for i in range(20)}
    r.hset("small", mapping=small)
    cursor, items = r.hscan("small", 0)
    assert cursor == 0 and items == small
    cursor, items = r.hscan("small", 0, match="f1*")
    assert cursor == 0 and set(items) == {b"f1"} | {f"f1{i}".encode() for i in range(10)}
    assert dict(r.hscan_iter("small")) == small
    big = {f"f{i}".encode(): f"v{i}".encode() for i in range(1000)}
    r.hset("big", mapping=big)
    cursor, items = r.hscan("big", 0)
    assert cursor != 0 and len(items) < 1000
    assert dict(r.hscan_iter("big")) == big
    assert dict(r.hscan_iter("big", count=200)) == big
    assert dict(r.hscan_iter("big", match="f99*")) == {
        k: v for k, v in big.items() if k.startswith(b"f99")
    }
    assert r.hscan("nokey", 0) == (0, {})
    with pytest.raises(redis.ResponseError, match="invalid cursor"):
        r.hscan("big", "x")
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.hscan("big", 0, count=0)
