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


def test_misconf_after_failed_bgsave(r, tmp_path):
    """stop-writes-on-bgsave-error: a failed BGSAVE with save points refuses
    writes and PING with MISCONF until a save succeeds."""
    r.config_set("save", "3600 1")
    r.set("a", "1")
    # Renaming the temp file over a non-empty directory fails (as root too).
    (tmp_path / "dump.rdb").mkdir()
    (tmp_path / "dump.rdb" / "x").mkdir()
    r.bgsave()
    assert wait_bgsave(r)["rdb_last_bgsave_status"] == "err"
    with pytest.raises(redis.ResponseError, match="^MISCONF Redis is configured to save RDB"):
        r.set("a", "2")
    with pytest.raises(redis.ResponseError, match="^MISCONF"):
        r.ping()
    assert r.get("a") == b"1"
    (tmp_path / "dump.rdb" / "x").rmdir()
    (tmp_path / "dump.rdb").rmdir()
    assert r.save() is True
    assert r.set("a", "3") is True
    assert r.ping() is True
    r.config_set("save", "")


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


def wait_aof_rewrite(r, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = r.info("persistence")
        if info["aof_rewrite_in_progress"] == 0 and info["aof_rewrite_scheduled"] == 0:
            return info
        time.sleep(0.02)
    raise AssertionError("AOF rewrite did not finish")


def test_config_set_appendonly_and_bgrewriteaof(r, tmp_path):
    aof_dir = tmp_path / "appendonlydir"
    r.set("k", "v")
    r.rpush("l", 1, 2, 3)
    assert r.info("persistence")["aof_enabled"] == 0
    # Switching AOF on starts a rewrite that writes the base file.
    assert r.config_set("appendonly", "yes") is True
    info = wait_aof_rewrite(r)
    assert info["aof_enabled"] == 1
    assert info["aof_last_bgrewrite_status"] == "ok"
    assert (aof_dir / "appendonly.aof.manifest").read_text() == (
        "file appendonly.aof.1.base.rdb seq 1 type b\n"
        "file appendonly.aof.1.incr.aof seq 1 type i\n"
    )
    assert (aof_dir / "appendonly.aof.1.base.rdb").read_bytes().startswith(b"REDIS0010")
    r.set("after", "1")
    r.expire("after", 100)
    incr = (aof_dir / "appendonly.aof.1.incr.aof").read_bytes()
    assert b"$5\r\nafter\r\n" in incr and b"PEXPIREAT" in incr
    reply = r.bgrewriteaof()
    assert reply in (True, b"Background append only file rewriting started",
                     "Background append only file rewriting started")
    info = wait_aof_rewrite(r)
    assert info["aof_rewrites"] >= 2
    assert info["aof_current_size"] >= info["aof_base_size"] > 0
    assert (aof_dir / "appendonly.aof.manifest").read_text() == (
        "file appendonly.aof.2.base.rdb seq 2 type b\n"
        "file appendonly.aof.2.incr.aof seq 2 type i\n"
    )
    assert not (aof_dir / "appendonly.aof.1.incr.aof").exists()
    assert r.config_set("appendfsync", "always") is True
    assert r.config_get("appendfsync") == {"appendfsync": "always"} or \
        r.config_get("appendfsync") == {b"appendfsync": b"always"}
    r.set("synced", "1")
    assert b"synced" in (aof_dir / "appendonly.aof.2.incr.aof").read_bytes()
    assert r.config_set("appendonly", "no") is True
    assert r.info("persistence")["aof_enabled"] == 0
    with pytest.raises(redis.ResponseError, match="argument must be 'yes' or 'no'"):
        r.config_set("appendonly", "maybe")
