"""Persistence through redis-py: SAVE, BGSAVE, LASTSAVE, DUMP/RESTORE.

The server runs with its working directory in the test's tmp_path, so
`dump.rdb` lands there."""

import time

import pytest
import redis


def wait_bgsave(r, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = r.info("persistence")
        if info["rdb_bgsave_in_progress"] == 0:
            return info
        time.sleep(0.02)
    raise AssertionError("BGSAVE did not finish")


def test_save_and_lastsave(r, tmp_path):
    before = r.lastsave()
    r.set("k", "v")
    assert r.info("persistence")["rdb_changes_since_last_save"] >= 1
    assert r.save() is True
    assert (tmp_path / "dump.rdb").exists()
    assert (tmp_path / "dump.rdb").read_bytes().startswith(b"REDIS0010")
    info = r.info("persistence")
    assert info["rdb_changes_since_last_save"] == 0
    assert info["rdb_last_bgsave_status"] == "ok"
    assert r.lastsave() >= before


def test_bgsave(r, tmp_path):
    r.mset({f"key:{i}": i for i in range(100)})
    r.rpush("list", *range(50))
    reply = r.bgsave(schedule=False)
    assert reply in (True, b"Background saving started", "Background saving started")
    info = wait_bgsave(r)
    assert info["rdb_last_bgsave_status"] == "ok"
    assert info["rdb_changes_since_last_save"] == 0
    assert info["rdb_saves"] >= 1
    assert (tmp_path / "dump.rdb").exists()
    # SCHEDULE with nothing running starts at once.
    reply = r.bgsave(schedule=True)
    assert reply in (True, b"Background saving started", "Background saving started")
    wait_bgsave(r)
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("BGSAVE", "NOW")


def test_dump_restore(r):
    r.set("s", "hello")
    r.hset("h", mapping={"f": "1", "g": "two"})
    r.zadd("z", {"a": 1.5, "b": 2})
    for key, check in [
        ("s", lambda k: r.get(k) == b"hello"),
        ("h", lambda k: r.hgetall(k) == {b"f": b"1", b"g": b"two"}),
        ("z", lambda k: [tuple(p) for p in r.zrange(k, 0, -1, withscores=True)]
         == [(b"a", 1.5), (b"b", 2.0)]),
    ]:
        payload = r.dump(key)
        assert r.restore(key + ":copy", 0, payload) in (True, b"OK")
        assert check(key + ":copy")
        with pytest.raises(redis.ResponseError, match="Target key name already exists"):
            r.restore(key + ":copy", 0, payload)
        assert r.restore(key + ":copy", 5000, payload, replace=True) in (True, b"OK")
        assert 0 < r.pttl(key + ":copy") <= 5000
    assert r.dump("missing") is None
    with pytest.raises(redis.ResponseError, match="checksum are wrong"):
        r.restore("x", 0, b"\x00\x01")
    with pytest.raises(redis.ResponseError, match="Invalid TTL value"):
        r.restore("x", -5, r.dump("s"))
