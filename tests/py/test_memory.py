"""MEMORY and INFO memory through redis-py (its parsers for MEMORY STATS and
MALLOC-STATS, over RESP2 and RESP3)."""

import pytest


def test_memory_usage(r):
    assert r.memory_usage("missing") is None
    r.set("small", "x")
    r.set("big", "x" * 10000)
    small, big = r.memory_usage("small"), r.memory_usage("big")
    assert 0 < small < big and big - small >= 10000
    r.hset("h", mapping={f"f{i}": "v" * 50 for i in range(1000)})
    every = r.memory_usage("h", samples=0)
    assert every > 50000
    assert abs(r.memory_usage("h") - every) * 20 < every


def test_memory_stats(r):
    r.set("a", "1")
    r.execute_command("SELECT", 2)
    r.set("b", "2", ex=100)
    stats = r.memory_stats()
    assert stats["keys.count"] >= 2
    for name in ["peak.allocated", "total.allocated", "dataset.bytes", "allocator.resident"]:
        assert isinstance(stats[name], int) and stats[name] >= 0, name
    assert 0 <= float(stats["dataset.percentage"]) <= 100
    # redis-py turns each db.N entry into a dict of its own.
    db2 = stats["db.2"]
    assert db2["overhead.hashtable.main"] > 0 and db2["overhead.hashtable.expires"] > 0


def test_memory_purge_and_malloc_stats(r):
    assert r.memory_purge() is True
    report = r.execute_command("MEMORY", "MALLOC-STATS")
    assert isinstance(report, (bytes, str)) and len(report) > 0


def test_info_memory(r):
    info = r.info("memory")
    assert info["used_memory"] > 0
    assert info["allocator_active"] >= 0 and info["allocator_resident"] >= 0
    assert info["used_memory_overhead"] <= info["used_memory"]
    assert isinstance(info["mem_fragmentation_ratio"], float)


def test_memory_errors(r):
    import redis

    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("MEMORY", "USAGE", "k", "SAMPLES", "-1")
    with pytest.raises(redis.ResponseError, match="unknown subcommand 'FOO'. Try MEMORY HELP."):
        r.execute_command("MEMORY", "FOO")
