"""HyperLogLog through redis-py: pfadd / pfcount / pfmerge, and the sketch
kept as a plain string in Redis's layout (it starts with "HYLL")."""

import pytest
import redis


def test_pfadd_pfcount_pfmerge(r):
    assert r.pfadd("a", "1", "2", "3") == 1
    assert r.pfadd("a", "1") == 0
    assert r.pfcount("a") == 3
    assert r.pfadd("b", "3", "4") == 1
    assert r.pfcount("a", "b") == 4
    assert r.pfmerge("c", "a", "b")
    assert r.pfcount("c") == 4
    assert r.get("c")[:4] == b"HYLL"
    assert r.pfcount("missing") == 0


def test_large_cardinality_is_estimated_closely(r):
    pipe = r.pipeline(transaction=False)
    for start in range(0, 20000, 500):
        pipe.pfadd("big", *range(start, start + 500))
    pipe.execute()
    assert abs(r.pfcount("big") - 20000) < 20000 * 0.02


def test_a_plain_string_is_not_a_sketch(r):
    r.set("s", "hello")
    with pytest.raises(redis.ResponseError, match="not a valid HyperLogLog"):
        r.pfadd("s", "x")
