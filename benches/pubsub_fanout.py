#!/usr/bin/env python3
"""Pub/sub fan-out benchmark: 1 publisher, N subscribers (default 50) on one
channel, messages/s delivered, Ember vs redis-server side by side.

Both servers run on this machine on free ports (Ember: `target/release/ember-server
--port P`, or $EMBER_BIN). Each round connects the subscribers, then the
publisher pipelines PUBLISH commands in batches for --seconds, with flow control
(it never runs more than --window messages ahead of the slowest subscriber, so
no output buffer limit is reached); the clock stops when every subscriber has
received every message. Delivered messages/s = messages published x
subscribers / elapsed. Subscribers only count bytes (every message frame has
the same size), so the client side stays cheap. Rounds alternate between the
servers; the median is reported with the Ember/Redis ratio. The server's CPU
time per million deliveries (from /proc, Linux only) is reported as well: on a
busy machine it is steadier than the wall-clock rate.

    python3 benches/pubsub_fanout.py
    python3 benches/pubsub_fanout.py --subscribers 50 --size 64 --seconds 3 --rounds 3 --out benches/results/pubsub.md
"""
import argparse
import os
import platform
import selectors
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHANNEL = b"bench"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def start(kind, port):
    if kind == "ember":
        exe = os.environ.get("EMBER_BIN", os.path.join(ROOT, "target", "release", "ember-server"))
        cmd = [exe, "--port", str(port)]
    else:
        cmd = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(port)
    return proc


def command(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise RuntimeError("connection closed")
        data += chunk
    return data


def cpu_seconds(pid):
    """User + system CPU time of a process (all threads), or None off Linux."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def one_round(port, pid, subscribers, size, seconds, batch, window):
    payload = b"x" * size
    frame_len = len(b"*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(CHANNEL), CHANNEL, size, payload))
    confirm = b"*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(CHANNEL), CHANNEL)
    subs = []
    for _ in range(subscribers):
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(command(b"SUBSCRIBE", CHANNEL))
        got = read_exactly(s, len(confirm))
        assert got == confirm, got
        s.setblocking(False)
        subs.append(s)
    pub = socket.create_connection(("127.0.0.1", port))
    pub.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reply = b":%d\r\n" % subscribers
    pub.sendall(command(b"PUBLISH", CHANNEL, payload))
    assert read_exactly(pub, len(reply)) == reply, "unexpected receiver count"
    for s in subs:  # the warm-up message
        s.setblocking(True)
        read_exactly(s, frame_len)
        s.setblocking(False)
    pub.setblocking(False)

    sel = selectors.DefaultSelector()
    received = {}
    for s in subs:
        sel.register(s, selectors.EVENT_READ, "sub")
        received[s] = 0
    sel.register(pub, selectors.EVENT_READ, "pub")
    batch_bytes = command(b"PUBLISH", CHANNEL, payload) * batch
    published = 0
    replies = 0
    cpu_start = cpu_seconds(pid)
    start = time.perf_counter()
    stop_publishing = start + seconds
    while True:
        now = time.perf_counter()
        slowest = min(received.values()) // frame_len
        if now < stop_publishing and published - slowest < window:
            pub.setblocking(True)
            pub.sendall(batch_bytes)
            pub.setblocking(False)
            published += batch
        elif now >= stop_publishing and slowest >= published:
            break
        for key, _ in sel.select(timeout=0.001 if now < stop_publishing else 0.05):
            sock = key.fileobj
            try:
                data = sock.recv(1 << 20)
            except BlockingIOError:
                continue
            if not data:
                raise RuntimeError("server closed a connection")
            if key.data == "pub":
                replies += len(data)
            else:
                received[sock] += len(data)
    elapsed = time.perf_counter() - start
    cpu_end = cpu_seconds(pid)
    for s in subs + [pub]:
        sel.unregister(s)
        s.close()
    total = published * subscribers
    cpu = None if cpu_start is None or cpu_end is None else (cpu_end - cpu_start) / total * 1e6
    return {"delivered": total / elapsed, "published": published / elapsed, "messages": total, "cpu": cpu}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--subscribers", type=int, default=50)
    ap.add_argument("--size", type=int, default=64, help="message payload bytes")
    ap.add_argument("--seconds", type=float, default=3.0, help="publishing time per round")
    ap.add_argument("--batch", type=int, default=50, help="PUBLISH commands per pipelined write")
    ap.add_argument("--window", type=int, default=2000, help="max messages ahead of the slowest subscriber")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default="")
    args = ap.parse_args()

    if "EMBER_BIN" not in os.environ:
        subprocess.run(["cargo", "build", "--release", "--bin", "ember-server"], cwd=ROOT, check=True)
    ports = {"ember": free_port(), "redis": free_port()}
    procs = {k: start(k, p) for k, p in ports.items()}
    runs = {"ember": [], "redis": []}
    try:
        for i in range(args.rounds):
            for kind in ("redis", "ember"):  # alternate, same order each round
                r = one_round(ports[kind], procs[kind].pid, args.subscribers, args.size, args.seconds,
                              args.batch, args.window)
                runs[kind].append(r)
                cpu = f", server CPU {r['cpu']:.3f} s per 1M deliveries" if r["cpu"] is not None else ""
                print(f"round {i + 1} {kind:>5}: {r['delivered']:>12.0f} msgs/s delivered "
                      f"({r['published']:.0f} publishes/s, {r['messages']} messages{cpu})", flush=True)
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait()
    med = {k: statistics.median(r["delivered"] for r in v) for k, v in runs.items()}
    ratio = med["ember"] / med["redis"]
    lines = [f"# Pub/sub fan-out: Ember vs redis-server ({time.strftime('%Y-%m-%d')}, "
             f"{platform.machine()}, {os.cpu_count()} cores)", "",
             f"1 publisher, {args.subscribers} subscribers on one channel, {args.size}-byte payloads, "
             f"PUBLISH pipelined {args.batch} at a time for {args.seconds}s per round (window "
             f"{args.window}), median of {args.rounds} alternating rounds.", "",
             "| server | messages/s delivered | publishes/s | server CPU s per 1M deliveries |",
             "|---|---|---|---|"]
    cpu = {}
    for kind in ("ember", "redis"):
        pubs = statistics.median(r["published"] for r in runs[kind])
        samples = [r["cpu"] for r in runs[kind] if r["cpu"] is not None]
        cpu[kind] = statistics.median(samples) if samples else None
        shown = f"{cpu[kind]:.3f}" if cpu[kind] is not None else "n/a"
        lines.append(f"| {kind} | {med[kind]:.0f} | {pubs:.0f} | {shown} |")
    lines += ["", f"Ember / Redis delivered rate: {ratio:.2f}"]
    if cpu["ember"] and cpu["redis"]:
        lines.append(f"Redis / Ember CPU per delivery: {cpu['redis'] / cpu['ember']:.2f} (above 1: Ember cheaper)")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    sys.exit(main())
