"""Fixtures for the redis-py tests.

By default every test gets a fresh Ember server (the `ember-server` binary from
`$EMBER_BIN`, else `target/debug/ember-server`) on a free port. With
`EMBER_PY_TARGET=redis` or `pytest --against-redis` the same tests run against
a real `redis-server` instead, which is how the tests themselves are validated.

Fixtures:
  server  -> Server (port, kind) for the test, fresh for each test
  r       -> redis.Redis(port=...) speaking RESP3 (redis-py's default) and RESP2
             (the test runs once per protocol)
  r3      -> RESP3 client only; r2 -> RESP2 client only
"""

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]


def pytest_addoption(parser):
    parser.addoption(
        "--against-redis",
        action="store_true",
        default=False,
        help="run the tests against a real redis-server instead of Ember",
    )


def target_kind(config):
    if config.getoption("--against-redis"):
        return "redis"
    kind = os.environ.get("EMBER_PY_TARGET", "ember").lower()
    if kind not in ("ember", "redis"):
        raise pytest.UsageError(f"EMBER_PY_TARGET must be 'ember' or 'redis', not {kind!r}")
    return kind


def pytest_report_header(config):
    return f"target server: {target_kind(config)}"


def ember_binary():
    path = Path(os.environ.get("EMBER_BIN", ROOT / "target" / "debug" / "ember-server"))
    if not path.exists():
        pytest.exit(
            f"Ember binary not found at {path}: run `cargo build` first or set EMBER_BIN",
            returncode=2,
        )
    return str(path)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_command(port, *args, timeout=1.0):
    """Sends one command over a plain socket; returns the reply bytes or None."""
    payload = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        payload += b"$%d\r\n%s\r\n" % (len(a), a)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(payload)
            data = b""
            while not data.endswith(b"\r\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            return data
    except OSError:
        return None


class Server:
    def __init__(self, kind, port, proc):
        self.kind = kind
        self.port = port
        self.proc = proc

    def client(self, **kw):
        return redis.Redis(port=self.port, **kw)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def start_server(kind, tmp_path):
    last = ""
    for _ in range(20):
        port = free_port()
        if kind == "redis":
            argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--daemonize", "no",
                    "--logfile", "", "--dir", str(tmp_path)]
        else:
            argv = [ember_binary(), "--port", str(port)]
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    cwd=tmp_path)
        except FileNotFoundError:
            pytest.exit(f"{argv[0]} not found (apt-get install -y redis-server)", returncode=2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                last = proc.stderr.read().decode(errors="replace")
                break
            reply = raw_command(port, "PING")
            if reply == b"+PONG\r\n":
                # Make sure the answer came from our process, not a server of a
                # parallel run that grabbed the port (ours would have exited).
                time.sleep(0.01)
                if proc.poll() is None:
                    return Server(kind, port, proc)
            time.sleep(0.005)
        else:
            last = "no answer within 10s"
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    raise RuntimeError(f"could not start {kind} server: {last}")


@pytest.fixture
def server(request, tmp_path):
    srv = start_server(target_kind(request.config), tmp_path)
    yield srv
    srv.stop()


@pytest.fixture(params=[3, 2], ids=["resp3", "resp2"])
def r(request, server):
    client = server.client(protocol=request.param)
    yield client
    client.close()


@pytest.fixture
def r3(server):
    client = server.client(protocol=3)
    yield client
    client.close()


@pytest.fixture
def r2(server):
    client = server.client(protocol=2)
    yield client
    client.close()
