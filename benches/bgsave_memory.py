#!/usr/bin/env python3
"""Peak memory during BGSAVE under write load: ember-server vs redis-server.

For each server (fresh, no persistence configured, one at a time):
  1. load N string keys "key:%012d" (the names redis-benchmark -r uses) with
     VALUE-byte values through redis-cli --pipe (about N * VALUE bytes);
  2. start redis-benchmark SET over those keys at random (-r N -d VALUE) and
     let it run WARMUP seconds, so memory is in its steady state under load;
  3. sample memory every 20 ms from just before BGSAVE until it finishes.
Reported, as a % of the dataset (INFO used_memory growth over the empty server):
  - Ember: peak RSS of the process during BGSAVE minus its RSS just before
    (the snapshot's copies, buffers and writer thread all live in the process);
  - Redis: the fork's copy-on-write cost, as the peak of (parent PSS + child
    PSS from /proc/<pid>/smaps_rollup) minus the parent's RSS just before, and
    INFO's own figures (current_cow_peak while saving, rdb_last_cow_size).

    python3 benches/bgsave_memory.py                 # N=1,000,000 x 1000 B: about 1 GB each
    python3 benches/bgsave_memory.py --keys 200000   # quicker

Writes benches/results/bgsave_memory.md (or --out). Needs target/release/ember-server
(EMBER_BIN overrides), redis-server, redis-cli and redis-benchmark. Ports 9300-9301 by default.
"""
import argparse
import datetime
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ember_bin():
    return os.environ.get("EMBER_BIN", os.path.join(ROOT, "target", "release", "ember-server"))


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True).stdout


def info(port):
    out = {}
    for line in cli(port, "INFO", "all").splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k] = v.strip()
    return out


class Conn:
    """One persistent connection (the sampler must not fork redis-cli every 20 ms)."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")

    def info(self, section):
        self.s.sendall(b"*2\r\n$4\r\nINFO\r\n$%d\r\n%s\r\n" % (len(section), section.encode()))
        head = self.f.readline()
        body = self.f.read(int(head[1:]) + 2).decode()
        out = {}
        for line in body.splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                out[k] = v.strip()
        return out

    def close(self):
        self.s.close()


def wait_ready(port, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def start(kind, port):
    exe = ember_bin() if kind == "ember" else "redis-server"
    workdir = tempfile.mkdtemp(prefix=f"bgsave-mem-{kind}-")
    cmd = [exe, "--port", str(port), "--dir", workdir, "--save", "", "--appendonly", "no",
           "--enable-debug-command", "yes", "--rdbcompression", "yes"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir)
    proc.workdir = workdir
    wait_ready(port)
    return proc


def stop(proc, port):
    cli(port, "SHUTDOWN", "NOSAVE")
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    shutil.rmtree(proc.workdir, ignore_errors=True)


def status_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def pss(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def load(port, n, value):
    """N x SET key:%012d <value> through redis-cli --pipe, generated on the fly."""
    p = subprocess.Popen(["redis-cli", "-p", str(port), "--pipe"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    pad = b"v" * (value - 12)
    batch = []
    for i in range(n):
        k = b"key:%012d" % i
        v = b"%012d" % i + pad
        batch.append(b"*3\r\n$3\r\nSET\r\n$16\r\n%s\r\n$%d\r\n%s\r\n" % (k, len(v), v))
        if len(batch) == 2000:
            p.stdin.write(b"".join(batch))
            batch = []
    p.stdin.write(b"".join(batch))
    p.stdin.close()
    out = p.stdout.read().decode()
    p.wait()
    if "errors: 0" not in out:
        raise RuntimeError(f"load failed: {out}")


def measure(kind, port, n, value, warmup, clients):
    proc = start(kind, port)
    try:
        time.sleep(0.3)
        empty = int(info(port).get("used_memory", 0))
        t0 = time.time()
        load(port, n, value)
        load_s = time.time() - t0
        dataset = int(info(port).get("used_memory", 0)) - empty
        bench = subprocess.Popen(
            ["redis-benchmark", "-p", str(port), "-t", "set", "-r", str(n), "-d", str(value),
             "-n", "1000000000", "-c", str(clients), "-P", "4", "-q"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(warmup)
        before = status_kb(proc.pid, "VmRSS")
        cmds_before = int(info(port).get("total_commands_processed", 0))
        t0 = time.time()
        reply = cli(port, "BGSAVE").strip()
        peak_total, peak_rss, samples, cow_peak_info = before, before, 0, 0
        conn = Conn(port)
        while True:
            rss = status_kb(proc.pid, "VmRSS")
            peak_rss = max(peak_rss, rss)
            if kind == "redis":
                kids = children(proc.pid)
                total = pss(proc.pid) + sum(pss(c) for c in kids)
            else:
                total = rss
            peak_total = max(peak_total, total)
            samples += 1
            if samples % 5 == 0:
                fields = conn.info("persistence")
                cow_peak_info = max(cow_peak_info, int(fields.get("current_cow_peak", 0) or 0))
                if fields.get("rdb_bgsave_in_progress") == "0":
                    break
            time.sleep(0.02)
        conn.close()
        save_s = time.time() - t0
        fields = info(port)
        writes = int(fields.get("total_commands_processed", 0)) - cmds_before
        bench.kill()
        bench.wait()
        return {
            "kind": kind, "keys": n, "value": value, "dataset": dataset, "load_s": load_s,
            "bgsave_reply": reply, "status": fields.get("rdb_last_bgsave_status"),
            "save_s": save_s, "rss_before": before, "peak_rss": peak_rss, "peak_total": peak_total,
            "overhead": peak_total - before, "samples": samples, "writes": writes,
            "cow_peak_info": cow_peak_info, "last_cow": int(fields.get("rdb_last_cow_size", 0) or 0),
        }
    finally:
        stop(proc, port)


def mb(x):
    return f"{x / (1 << 20):,.1f} MB"


def pct(x, d):
    return f"{100.0 * x / d:.1f}%" if d else "n/a"


def table(results, args):
    lines = [
        "# BGSAVE peak memory under write load",
        "",
        f"{datetime.date.today()} · {platform.machine()}, {os.cpu_count()} cores, Linux {platform.release()} · "
        f"{args.keys:,} keys x {args.value} B (key:%012d), redis-benchmark SET -r {args.keys} "
        f"-d {args.value} -c {args.clients} -P 4 running before and during BGSAVE; rdbcompression yes.",
        "",
        "Overhead = peak memory while BGSAVE runs minus memory just before it (Ember: process RSS, sampled every "
        "20 ms, INFO polled every 100 ms on one connection; Redis: parent PSS + child PSS from smaps_rollup, minus the parent's RSS before), as a % of the "
        "dataset (used_memory growth from loading).",
        "",
        "| server | dataset | BGSAVE time | writes during BGSAVE | RSS before | peak during | overhead | "
        "overhead % of dataset | INFO current_cow_peak | INFO rdb_last_cow_size |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['kind']} | {mb(r['dataset'])} | {r['save_s']:.2f} s ({r['status']}) | {r['writes']:,} | "
            f"{mb(r['rss_before'])} | {mb(r['peak_total'])} | {mb(r['overhead'])} | "
            f"**{pct(r['overhead'], r['dataset'])}** | {mb(r['cow_peak_info'])} | {mb(r['last_cow'])} |")
    lines += [
        "",
        "Ember copies an entry only when a write reaches it before the snapshot has saved it (replacements and "
        "deletions move the old value into the snapshot, no copy); the bytes go to a writer thread through a "
        "bounded channel. Redis's fork shares pages until the parent writes to them: random overwrites dirty "
        "pages all over the heap while the child saves. See DEVELOPERS.md, \"Snapshots\".",
        "",
        "Reproduce: `cargo build --release --bin ember-server && python3 benches/bgsave_memory.py`",
        "",
    ]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--value", type=int, default=1000)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--port", type=int, default=9300)
    ap.add_argument("--only", choices=["ember", "redis"])
    ap.add_argument("--out", default=os.path.join(ROOT, "benches", "results", "bgsave_memory.md"))
    args = ap.parse_args()
    if not os.path.exists(ember_bin()):
        sys.exit(f"{ember_bin()} missing: cargo build --release --bin ember-server")
    results = []
    for i, kind in enumerate(["ember", "redis"]):
        if args.only and kind != args.only:
            continue
        r = measure(kind, args.port + i, args.keys, args.value, args.warmup, args.clients)
        print(f"{kind}: dataset {mb(r['dataset'])}, BGSAVE {r['save_s']:.2f}s ({r['status']}), "
              f"writes {r['writes']:,}, RSS before {mb(r['rss_before'])}, peak {mb(r['peak_total'])}, "
              f"overhead {mb(r['overhead'])} = {pct(r['overhead'], r['dataset'])} "
              f"(INFO cow peak {mb(r['cow_peak_info'])}, last cow {mb(r['last_cow'])})", flush=True)
        results.append(r)
    text = table(results, args)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
