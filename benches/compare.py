#!/usr/bin/env python3
"""Side-by-side load benchmark: redis-benchmark against ember-server and redis-server.

Both servers run on this machine on free ports with the same flags; every
(test, pipeline) pair is run alternately on each server for --rounds rounds and
the median requests/second is compared as a ratio (Ember / Redis). Latencies
(p50, p99) come from redis-benchmark's CSV output. Writes a Markdown table.

    python3 benches/compare.py                      # issue defaults
    python3 benches/compare.py --tests set,get -P 1,16 --rounds 5 --out benches/results/latest.md
"""
import argparse
import csv
import io
import os
import platform
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


def start(kind, port, extra):
    if kind == "ember":
        exe = os.environ.get("EMBER_BIN", os.path.join(ROOT, "target", "release", "ember-server"))
        cmd = [exe, "--port", str(port), "--save", "", "--appendonly", "no"] + extra
    else:
        cmd = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"] + extra
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(port)
    return proc


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True).stdout


def bench(port, test, pipeline, clients, requests, keyspace, datasize):
    cmd = ["redis-benchmark", "-p", str(port), "-t", test, "-P", str(pipeline), "-c", str(clients),
           "-n", str(requests), "-d", str(datasize), "--csv"]
    if keyspace:
        cmd += ["-r", str(keyspace)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600).stdout
    rows = [r for r in csv.reader(io.StringIO(out)) if r and r[0] != "test"]
    if not rows:
        raise RuntimeError(f"no output from redis-benchmark for {test}: {out!r}")
    # Some tests (mset, lrange_*) print one row; take the first.
    r = rows[0]
    return {"rps": float(r[1]), "p50": float(r[4]), "p99": float(r[6])}


def memory_figures(port, keys):
    cli(port, "FLUSHALL")
    base = int(info_field(port, "used_memory") or 0)
    out = cli(port, "DEBUG", "POPULATE", str(keys))
    if "ERR" in out:
        return None
    used = int(info_field(port, "used_memory") or 0)
    rss = int(info_field(port, "used_memory_rss") or 0)
    cli(port, "FLUSHALL")
    return {"used": used, "per_key": (used - base) / keys, "rss": rss}


def info_field(port, name):
    for line in cli(port, "INFO", "memory").splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tests", default="set,get,incr,mset,ping_mbulk")
    ap.add_argument("-P", "--pipelines", default="1,16")
    ap.add_argument("-c", "--clients", type=int, default=50)
    ap.add_argument("-n", "--requests", type=int, default=200000)
    ap.add_argument("-r", "--keyspace", type=int, default=100000)
    ap.add_argument("-d", "--datasize", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--memory-keys", type=int, default=0, help="also compare used_memory after DEBUG POPULATE N")
    ap.add_argument("--out", default="")
    args = ap.parse_args()

    if "EMBER_BIN" not in os.environ:
        subprocess.run(["cargo", "build", "--release", "--bin", "ember-server"], cwd=ROOT, check=True)
    ports = {"ember": free_port(), "redis": free_port()}
    procs = {k: start(k, p, []) for k, p in ports.items()}
    results = []
    try:
        for test in args.tests.split(","):
            for p in [int(x) for x in args.pipelines.split(",")]:
                runs = {"ember": [], "redis": []}
                for _ in range(args.rounds):
                    for kind in ("redis", "ember"):  # alternate, same order each round
                        runs[kind].append(bench(ports[kind], test, p, args.clients, args.requests,
                                                args.keyspace, args.datasize))
                med = {k: {m: statistics.median(r[m] for r in v) for m in ("rps", "p50", "p99")}
                       for k, v in runs.items()}
                ratio = med["ember"]["rps"] / med["redis"]["rps"]
                results.append((test, p, med, ratio))
                print(f"{test:>12} -P {p:<3} ember {med['ember']['rps']:>11.0f} rps  redis "
                      f"{med['redis']['rps']:>11.0f} rps  ratio {ratio:5.2f}  "
                      f"p50 {med['ember']['p50']:.3f}/{med['redis']['p50']:.3f}  "
                      f"p99 {med['ember']['p99']:.3f}/{med['redis']['p99']:.3f}", flush=True)
        mem = {}
        if args.memory_keys:
            for kind in ("ember", "redis"):
                mem[kind] = memory_figures(ports[kind], args.memory_keys)
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait()

    lines = [f"# Ember vs redis-server ({time.strftime('%Y-%m-%d')}, {platform.machine()}, "
             f"{os.cpu_count()} cores)", "",
             f"redis-benchmark -c {args.clients} -n {args.requests} -r {args.keyspace} -d {args.datasize}, "
             f"median of {args.rounds} alternating rounds.", "",
             "| test | -P | Ember rps | Redis rps | ratio | Ember p50 | Redis p50 | Ember p99 | Redis p99 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for test, p, med, ratio in results:
        e, r = med["ember"], med["redis"]
        lines.append(f"| {test} | {p} | {e['rps']:.0f} | {r['rps']:.0f} | {ratio:.2f} | {e['p50']:.3f} | "
                     f"{r['p50']:.3f} | {e['p99']:.3f} | {r['p99']:.3f} |")
    if mem:
        lines += ["", f"Memory after DEBUG POPULATE {args.memory_keys}:", "",
                  "| server | used_memory | bytes/key | RSS |", "|---|---|---|---|"]
        for kind, m in mem.items():
            if m:
                lines.append(f"| {kind} | {m['used']} | {m['per_key']:.1f} | {m['rss']} |")
            else:
                lines.append(f"| {kind} | n/a | n/a | n/a |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    sys.exit(main())
