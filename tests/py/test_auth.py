"""Authentication and ACLs through redis-py: password= and username=/password=
connections (AUTH in RESP2, HELLO 3 AUTH in RESP3), requirepass, ACL users
managed with the acl_* helpers, NOPERM errors and the ACL log."""

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

# Clients expected to fail authentication must not retry (redis-py counts
# AuthenticationError as a connection error and retries with backoff).
NO_RETRY = {"retry": Retry(NoBackoff(), 0)}


@pytest.fixture(params=[3, 2], ids=["resp3", "resp2"])
def proto(request):
    return request.param


def test_requirepass(server, proto):
    admin = server.client(protocol=proto)
    assert admin.config_set("requirepass", "s3cret") is True
    try:
        anon = server.client(protocol=2, **NO_RETRY)
        with pytest.raises(redis.AuthenticationError):
            anon.get("k")
        good = server.client(protocol=proto, password="s3cret")
        assert good.set("k", "v") is True
        assert good.get("k") == b"v"
        assert good.acl_whoami() == "default" or good.acl_whoami() == b"default"
        bad = server.client(protocol=proto, password="wrong", **NO_RETRY)
        with pytest.raises(redis.AuthenticationError):
            bad.ping()
    finally:
        server.client(password="s3cret").config_set("requirepass", "")


def test_acl_user_with_username_and_password(server, proto):
    admin = server.client(protocol=proto, decode_responses=True)
    assert admin.acl_setuser(
        "alice",
        enabled=True,
        passwords=["+wonderland"],
        keys=["app:*"],
        channels=["news.*"],
        commands=["-@all", "+get", "+set", "+publish", "+acl|whoami", "+ping"],
    )
    alice = server.client(
        protocol=proto, username="alice", password="wonderland", decode_responses=True
    )
    assert alice.ping() is True
    assert alice.acl_whoami() == "alice"
    assert alice.set("app:1", "x") is True
    assert alice.get("app:1") == "x"
    with pytest.raises(redis.exceptions.NoPermissionError, match="keys used as arguments"):
        alice.get("other")
    with pytest.raises(redis.exceptions.NoPermissionError, match="'lpush' command"):
        alice.lpush("app:list", "a")
    with pytest.raises(redis.exceptions.NoPermissionError, match="channels used as arguments"):
        alice.publish("sports", "goal")
    assert alice.publish("news.today", "hello") == 0
    wrong = server.client(protocol=proto, username="alice", password="nope", **NO_RETRY)
    with pytest.raises(redis.AuthenticationError):
        wrong.ping()
    nobody = server.client(protocol=proto, username="nobody", password="x", **NO_RETRY)
    with pytest.raises(redis.AuthenticationError):
        nobody.ping()


def test_acl_getuser_list_and_users(server, proto):
    admin = server.client(protocol=proto, decode_responses=True)
    admin.acl_setuser("bob", enabled=False, passwords=["+pw"], keys=["~k*"],
                      commands=["+@read", "-keys"])
    info = admin.acl_getuser("bob")
    assert "off" in info["flags"]
    assert len(info["passwords"]) == 1
    assert info["keys"] == ["~k*"] or info["keys"] == "~k*"
    # redis-py splits the rules into categories and single commands.
    assert "+@read" in info["categories"]
    assert "-keys" in info["commands"]
    assert admin.acl_users() == ["bob", "default"]
    listing = admin.acl_list()
    assert listing[1] == "user default on nopass ~* &* +@all"
    assert listing[0].startswith("user bob off #")
    assert admin.acl_getuser("nosuch") is None
    assert admin.acl_deluser("bob") == 1
    assert admin.acl_users() == ["default"]
    with pytest.raises(redis.ResponseError, match="cannot be removed"):
        admin.acl_deluser("default")


def test_acl_cat_genpass_dryrun(server, proto):
    admin = server.client(protocol=proto, decode_responses=True)
    cats = admin.acl_cat()
    assert "read" in cats and "dangerous" in cats and len(cats) == 21
    assert "get" in admin.acl_cat("string")
    assert len(admin.acl_genpass()) == 64
    assert len(admin.acl_genpass(128)) == 32
    admin.acl_setuser("carol", enabled=True, nopass=True, keys=["c*"], commands=["+get"])
    assert admin.acl_dryrun("carol", "get", "c1") == "OK"
    assert "no permissions to run the 'set' command" in admin.acl_dryrun("carol", "set", "c1", "v")
    assert "'x' key" in admin.acl_dryrun("carol", "get", "x")


def test_acl_log_records_denials(server, proto):
    admin = server.client(protocol=proto, decode_responses=True)
    admin.acl_setuser("dave", enabled=True, passwords=["+pw"], keys=["d*"], commands=["+get"])
    dave = server.client(protocol=proto, username="dave", password="pw")
    with pytest.raises(redis.exceptions.NoPermissionError):
        dave.get("x")
    with pytest.raises(redis.exceptions.NoPermissionError):
        dave.get("x")
    with pytest.raises(redis.AuthenticationError):
        server.client(protocol=proto, username="dave", password="bad", **NO_RETRY).ping()
    log = admin.acl_log()
    assert len(log) == 2
    newest, older = log
    assert newest["reason"] == "auth" and newest["username"] == "dave"
    assert older["reason"] == "key" and older["object"] == "x"
    assert older["count"] == 2 and older["context"] == "toplevel"
    assert admin.acl_log_reset() is True
    assert admin.acl_log() == []


def test_deleted_user_is_disconnected(server, proto):
    admin = server.client(protocol=proto)
    admin.acl_setuser("erin", enabled=True, nopass=True, keys=["*"], commands=["+@all"])
    erin = server.client(protocol=proto, username="erin", password="any", **NO_RETRY)
    assert erin.set("k", "v") is True
    assert admin.acl_deluser("erin") == 1
    # The pooled connection was closed; reconnecting fails to authenticate.
    with pytest.raises((redis.AuthenticationError, redis.ConnectionError)):
        erin.get("k")
