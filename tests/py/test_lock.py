"""redis-py's `redis.lock.Lock` against the target server.

Lock.acquire() is plain `SET name token NX PX timeout`, and locked()/owned()
are GETs, so those paths are tested everywhere. release(), extend(),
reacquire() and the `with lock:` block (which releases on exit) run Lua
scripts through EVALSHA; their tests skip on a server without scripting
(Ember has none) rather than passing because the command is missing.
"""

import time

import pytest
import redis
from redis.exceptions import LockError, LockNotOwnedError


def has_scripting(client):
    try:
        client.execute_command("SCRIPT", "EXISTS", "0" * 40)
    except redis.ResponseError as e:
        if str(e).startswith("unknown command"):
            return False
        raise
    return True


@pytest.fixture
def rs(r):
    """The `r` client, for tests of the Lock methods that run Lua scripts."""
    if not has_scripting(r):
        pytest.skip("Lock.release/extend/reacquire need EVALSHA (no scripting on this server)")
    return r


def release_without_script(client, name, token):
    """Check-and-delete with WATCH/MULTI: what a client can do without Lua."""
    with client.pipeline() as pipe:
        while True:
            try:
                pipe.watch(name)
                if pipe.get(name) != token:
                    pipe.unwatch()
                    return False
                pipe.multi()
                pipe.delete(name)
                pipe.execute()
                return True
            except redis.WatchError:
                continue


def test_acquire_sets_token_with_ttl(r):
    lock = r.lock("lk", timeout=10, blocking=False)
    assert lock.acquire() is True
    token = lock.local.token
    assert isinstance(token, bytes) and len(token) == 32
    assert r.get("lk") == token
    assert 9000 < r.pttl("lk") <= 10000
    assert lock.locked() is True
    assert lock.owned() is True


def test_fractional_timeout_is_milliseconds(r):
    lock = r.lock("lk", timeout=1.5, blocking=False)
    assert lock.acquire()
    assert 1000 < r.pttl("lk") <= 1500


def test_acquire_without_timeout_is_persistent(r):
    lock = r.lock("lk", blocking=False)
    assert lock.acquire()
    assert r.ttl("lk") == -1
    assert lock.locked()


def test_second_lock_cannot_acquire(r):
    first = r.lock("lk", timeout=10, blocking=False)
    second = r.lock("lk", timeout=10, blocking=False)
    assert first.acquire()
    token = r.get("lk")
    assert second.acquire() is False
    assert r.get("lk") == token
    assert second.locked() is True
    assert second.owned() is False
    assert first.owned() is True
    # A lock on another name is independent.
    other = r.lock("lk2", timeout=10, blocking=False)
    assert other.acquire()
    assert r.get("lk2") != token


def test_unlocked_state(r):
    lock = r.lock("lk", timeout=10, blocking=False)
    assert lock.locked() is False
    assert lock.owned() is False
    r.set("lk", "someone-else")
    assert lock.locked() is True
    assert lock.owned() is False
    assert lock.acquire() is False


def test_acquire_with_explicit_token(r):
    lock = r.lock("lk", timeout=10, blocking=False)
    assert lock.acquire(token="my-token")
    assert r.get("lk") == b"my-token"
    assert lock.owned()


def test_blocking_timeout_gives_up(r):
    holder = r.lock("lk", timeout=10, blocking=False)
    assert holder.acquire()
    waiter = r.lock("lk", timeout=10, blocking_timeout=0.3, sleep=0.05)
    start = time.monotonic()
    assert waiter.acquire() is False
    elapsed = time.monotonic() - start
    assert 0.2 <= elapsed < 2
    assert holder.owned() and not waiter.owned()


def test_blocking_acquire_after_expiry(r):
    holder = r.lock("lk", timeout=0.2, blocking=False)
    assert holder.acquire()
    waiter = r.lock("lk", timeout=10, blocking_timeout=3, sleep=0.05)
    start = time.monotonic()
    assert waiter.acquire() is True
    assert time.monotonic() - start < 2.5
    assert waiter.owned()
    assert not holder.owned()
    assert 9000 < r.pttl("lk") <= 10000


def test_non_blocking_override_in_acquire(r):
    holder = r.lock("lk", timeout=10, blocking=False)
    assert holder.acquire()
    waiter = r.lock("lk", timeout=10, blocking=True)
    start = time.monotonic()
    assert waiter.acquire(blocking=False) is False
    assert time.monotonic() - start < 1


def test_release_without_script(r):
    holder = r.lock("lk", timeout=10, blocking=False)
    assert holder.acquire()
    # A stale token must not delete the current owner's lock.
    assert release_without_script(r, "lk", b"stale") is False
    assert holder.locked()
    assert release_without_script(r, "lk", holder.local.token) is True
    assert not holder.locked()
    other = r.lock("lk", timeout=10, blocking=False)
    assert other.acquire()


def test_client_side_lock_errors(r):
    # These raise in redis-py before any command is sent.
    lock = r.lock("lk", blocking=False)
    with pytest.raises(LockError):
        lock.release()
    with pytest.raises(LockError):
        lock.extend(1)
    with pytest.raises(LockError):
        lock.reacquire()
    assert lock.acquire()
    with pytest.raises(LockError, match="no timeout"):
        lock.extend(1)
    with pytest.raises(LockError, match="no timeout"):
        lock.reacquire()


# --- paths that run Lua scripts (EVALSHA) ----------------------------------


def test_release(rs):
    lock = rs.lock("lk", timeout=10, blocking=False)
    assert lock.acquire()
    lock.release()
    assert rs.exists("lk") == 0
    assert lock.local.token is None


def test_release_after_expiry_raises(rs):
    lock = rs.lock("lk", timeout=0.05, blocking=False)
    assert lock.acquire()
    time.sleep(0.1)
    with pytest.raises(LockNotOwnedError):
        lock.release()


def test_release_does_not_delete_other_owner(rs):
    lock = rs.lock("lk", timeout=10, blocking=False)
    assert lock.acquire()
    rs.set("lk", "other")
    with pytest.raises(LockNotOwnedError):
        lock.release()
    assert rs.get("lk") == b"other"


def test_context_manager(rs):
    with rs.lock("lk", timeout=10) as lock:
        assert lock.owned()
        assert rs.exists("lk") == 1
    assert rs.exists("lk") == 0


def test_extend(rs):
    lock = rs.lock("lk", timeout=10, blocking=False)
    assert lock.acquire()
    assert lock.extend(10) is True
    assert 19000 < rs.pttl("lk") <= 20000
    assert lock.extend(5, replace_ttl=True) is True
    assert 4000 < rs.pttl("lk") <= 5000
    rs.set("lk", "other")
    with pytest.raises(LockNotOwnedError):
        lock.extend(10)


def test_reacquire(rs):
    lock = rs.lock("lk", timeout=10, blocking=False)
    assert lock.acquire()
    rs.pexpire("lk", 1000)
    assert lock.reacquire() is True
    assert 9000 < rs.pttl("lk") <= 10000
    rs.delete("lk")
    with pytest.raises(LockNotOwnedError):
        lock.reacquire()
