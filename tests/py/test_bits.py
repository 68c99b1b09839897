"""Bitmap commands through redis-py."""

import pytest
import redis


def test_setbit_getbit(r):
    assert r.setbit("b", 7, 1) == 0
    assert r.setbit("b", 7, 1) == 1
    assert r.getbit("b", 7) == 1
    assert r.getbit("b", 6) == 0
    assert r.getbit("b", 1000) == 0
    assert r.getbit("missing", 0) == 0
    assert r.get("b") == b"\x01"
    assert r.setbit("b", 0, 1) == 0
    assert r.get("b") == b"\x81"
    assert r.setbit("b", 23, 1) == 0
    assert r.get("b") == b"\x81\x00\x01"
    assert r.setbit("b", 7, 0) == 1
    assert r.get("b") == b"\x80\x00\x01"


def test_setbit_errors(r):
    with pytest.raises(redis.ResponseError, match="bit is not an integer or out of range"):
        # redis-py's setbit() coerces the value to 0/1, so send it raw.
        r.execute_command("SETBIT", "b", 0, 2)
    with pytest.raises(redis.ResponseError, match="bit offset is not an integer or out of range"):
        r.setbit("b", -1, 1)
    with pytest.raises(redis.ResponseError, match="bit offset is not an integer or out of range"):
        r.setbit("b", 2**32, 1)


def test_bitcount(r):
    r.set("s", "foobar")
    assert r.bitcount("s") == 26
    assert r.bitcount("s", 0, 0) == 4
    assert r.bitcount("s", 1, 1) == 6
    assert r.bitcount("s", -2, -1) == 7
    assert r.bitcount("s", 5, 30) == 4
    assert r.bitcount("s", 3, 1) == 0
    assert r.bitcount("missing") == 0
    assert r.bitcount("s", 5, 30, mode="BIT") == 17
    assert r.bitcount("s", 0, -1, "BYTE") == 26


def test_bitcount_after_setbit(r):
    for off in (0, 3, 9, 100, 1000):
        r.setbit("bits", off, 1)
    assert r.bitcount("bits") == 5
    assert r.strlen("bits") == 126
    assert r.bitpos("bits", 1) == 0
    assert r.bitpos("bits", 1, 1) == 9
    assert r.bitpos("bits", 0) == 1
