"""Set commands through redis-py: SADD, SREM, SCARD, SISMEMBER, SMISMEMBER,
SMEMBERS, SINTER/SUNION/SDIFF (+STORE), SINTERCARD, SMOVE, SPOP, SRANDMEMBER
and SSCAN. redis-py turns set replies into Python sets or lists depending on
the protocol, so results are compared as sets (or sorted lists)."""

import pytest
import redis


def members(reply):
    return set(reply)


def test_sadd_smembers_scard(r):
    assert r.sadd("s", "a", "b", "c", "a") == 3
    assert r.sadd("s", "a") == 0
    assert r.scard("s") == 3
    assert members(r.smembers("s")) == {b"a", b"b", b"c"}
    assert members(r.smembers("nokey")) == set()
    assert r.scard("nokey") == 0
    assert r.sadd("i", 3, 1, 2) == 3
    assert members(r.smembers("i")) == {b"1", b"2", b"3"}
    assert r.object("encoding", "i") in (b"intset", "intset")
    r.sadd("i", "x")
    assert r.object("encoding", "i") in (b"hashtable", "hashtable")


def test_srem_deletes_empty_sets(r):
    r.sadd("s", "a", "b")
    assert r.srem("s", "a", "zzz") == 1
    assert r.srem("s", "b") == 1
    assert r.exists("s") == 0
    assert r.srem("s", "b") == 0


def test_sismember_smismember(r):
    r.sadd("s", "a", 1)
    assert r.sismember("s", "a") in (True, 1)
    assert r.sismember("s", "1") in (True, 1)
    assert r.sismember("s", "b") in (False, 0)
    assert r.sismember("nokey", "a") in (False, 0)
    assert [bool(x) for x in r.smismember("s", ["a", "b", 1])] == [True, False, True]


def test_sinter_sunion_sdiff(r):
    r.sadd("a", "1", "2", "3", "x")
    r.sadd("b", "2", "3", "4")
    r.sadd("c", "3", "x", "y")
    assert members(r.sinter("a", "b")) == {b"2", b"3"}
    assert members(r.sinter(["a", "b", "c"])) == {b"3"}
    assert members(r.sinter("a", "nokey")) == set()
    assert members(r.sunion("a", "b")) == {b"1", b"2", b"3", b"4", b"x"}
    assert members(r.sunion("nokey", "c")) == {b"3", b"x", b"y"}
    assert members(r.sdiff("a", "b")) == {b"1", b"x"}
    assert members(r.sdiff("a", "b", "c")) == {b"1"}
    assert members(r.sdiff("nokey", "a")) == set()
    assert members(r.sdiff("a", "a")) == set()


def test_store_variants(r):
    r.sadd("a", "1", "2", "3")
    r.sadd("b", "2", "3", "4")
    assert r.sinterstore("dst", ["a", "b"]) == 2
    assert members(r.smembers("dst")) == {b"2", b"3"}
    assert r.sunionstore("dst", ["a", "b"]) == 4
    assert r.scard("dst") == 4
    assert r.sdiffstore("dst", ["a", "b"]) == 1
    assert members(r.smembers("dst")) == {b"1"}
    # An empty result deletes the destination.
    assert r.sdiffstore("dst", ["a", "a"]) == 0
    assert r.exists("dst") == 0
    r.set("str", "v")
    assert r.sunionstore("str", ["a"]) == 3
    assert r.type("str") in (b"set", "set")


def test_sintercard(r):
    r.sadd("a", *range(10))
    r.sadd("b", *range(5, 15))
    assert r.sintercard(2, ["a", "b"]) == 5
    assert r.sintercard(2, ["a", "b"], limit=3) == 3
    assert r.sintercard(2, ["a", "nokey"]) == 0
    with pytest.raises(redis.ResponseError, match="numkeys should be greater than 0"):
        r.execute_command("SINTERCARD", 0, "a")
    with pytest.raises(redis.ResponseError, match="LIMIT can't be negative"):
        r.execute_command("SINTERCARD", 1, "a", "LIMIT", -1)


def test_smove(r):
    r.sadd("src", "a", "b")
    assert r.smove("src", "dst", "a") in (True, 1)
    assert r.smove("src", "dst", "zzz") in (False, 0)
    assert r.smove("nokey", "dst", "a") in (False, 0)
    assert members(r.smembers("dst")) == {b"a"}
    assert r.smove("src", "dst", "b") in (True, 1)
    assert r.exists("src") == 0
    assert members(r.smembers("dst")) == {b"a", b"b"}
    r.set("str", "v")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.smove("dst", "str", "a")


def test_spop(r):
    r.sadd("s", *range(10))
    one = r.spop("s")
    assert one is not None and 0 <= int(one) < 10
    some = r.spop("s", 3)
    assert len(some) == 3
    assert r.scard("s") == 6
    rest = r.spop("s", 100)
    assert len(rest) == 6
    popped = {int(one)} | {int(m) for m in some} | {int(m) for m in rest}
    assert popped == set(range(10))
    assert r.exists("s") == 0
    assert r.spop("s") is None
    assert list(r.spop("s", 2)) == []
    with pytest.raises(redis.ResponseError, match="must be positive"):
        r.spop("s", -1)


def test_srandmember(r):
    r.sadd("s", "a", "b", "c")
    assert r.srandmember("s") in (b"a", b"b", b"c")
    two = r.srandmember("s", 2)
    assert len(two) == 2 and len(set(two)) == 2
    assert set(r.srandmember("s", 10)) == {b"a", b"b", b"c"}
    many = r.srandmember("s", -10)
    assert len(many) == 10 and set(many) <= {b"a", b"b", b"c"}
    assert r.srandmember("nokey") is None
    assert r.srandmember("nokey", 5) == []
    assert r.scard("s") == 3
    with pytest.raises(redis.ResponseError, match="out of range"):
        r.srandmember("s", -(2**63))


def test_sscan_iter(r):
    r.sadd("h", *[f"m{i}" for i in range(300)])
    seen = list(r.sscan_iter("h", count=7))
    assert sorted(set(seen)) == sorted(f"m{i}".encode() for i in range(300))
    assert sorted(set(r.sscan_iter("h", match="m1?"))) == sorted(
        f"m{i}".encode() for i in range(10, 20)
    )
    r.sadd("i", *range(20))
    cursor, batch = r.sscan("i", 0)
    assert cursor == 0
    assert [int(m) for m in batch] == list(range(20))
    assert list(r.sscan_iter("nokey")) == []


def test_wrong_type(r):
    r.set("str", "v")
    r.sadd("s", "a")
    for call in (
        lambda: r.sadd("str", "a"),
        lambda: r.smembers("str"),
        lambda: r.sismember("str", "a"),
        lambda: r.sinter("nokey", "str"),
        lambda: r.sunion("s", "str"),
        lambda: r.sdiff("nokey", "str"),
        lambda: r.spop("str"),
        lambda: r.srandmember("str", 2),
    ):
        with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
            call()
