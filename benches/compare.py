#!/usr/bin/env python3
"""Side-by-side load benchmark: redis-benchmark against ember-server and redis-server.

Both servers run on this machine with the same flags. Every (mode, test,
pipeline) cell is run on each server for --rounds rounds, alternating which
server goes first from one round to the next, and the medians are compared as a
ratio (Ember / Redis requests per second: above 1.0 means Ember is faster).
Latencies (p50, p99, milliseconds) come from redis-benchmark's CSV output.

Modes (the issue's test matrix, all with -r 100000 random keys):
    c50    -c 50   -d 3      at -P 1 and -P 16
    d1024  -c 50   -d 1024   at -P 1 and -P 16
    c1000  -c 1000 -d 3      at -P 1 and -P 16
Then the memory table: used_memory and RSS on fresh servers after
DEBUG POPULATE 1000000, after 1,000,000 SETs with TTLs, after 100,000 small
hashes and after 100,000 small sorted sets (loaded with redis-cli --pipe).

    python3 benches/compare.py                              # everything (~30 min on 2 cores)
    python3 benches/compare.py --quick                      # one round, few requests, -P 1,16 of c50
    python3 benches/compare.py --modes c50 --tests set,get --rounds 5
    python3 benches/compare.py --no-load --memory           # memory table only

The machine is usually shared and noisy: read ratios, never absolute numbers,
and prefer medians of several rounds. Results go to benches/results/latest.md
unless --out says otherwise.
"""
import argparse
import csv
import datetime
import io
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ALL_TESTS = ("ping_inline,ping_mbulk,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,"
             "lrange_100,lrange_300,lrange_500,lrange_600,mset").split(",")

# name -> (clients, datasize)
MODES = {
    "c50": (50, 3),
    "d1024": (50, 1024),
    "c1000": (1000, 3),
}

# Requests per run relative to --requests: the lrange tests answer up to 600
# elements per request, so they run fewer requests to take similar time.
WEIGHT = {"lrange_100": 0.25, "lrange_300": 0.12, "lrange_500": 0.1, "lrange_600": 0.1, "mset": 0.5}
# With 1 KiB values an LRANGE_600 reply is 600 KiB: fewer still (about a second a run).
WEIGHT_BIG = {"lrange_100": 0.1, "lrange_300": 0.03, "lrange_500": 0.02, "lrange_600": 0.015, "mset": 0.25}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def wait_ready(port, timeout=15.0):
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


def ember_bin():
    return os.environ.get("EMBER_BIN", os.path.join(ROOT, "target", "release", "ember-server"))


def redis_bin():
    return os.environ.get("REDIS_BIN", "redis-server")


# Same flags for both: no persistence, DEBUG allowed (for DEBUG POPULATE).
COMMON = ["--save", "", "--appendonly", "no", "--enable-debug-command", "yes"]


BASELINE = None  # --baseline: an earlier ember-server build, run as a third server


def start(kind, port, extra=()):
    exe = {"ember": ember_bin(), "redis": redis_bin(), "base": BASELINE}[kind]
    # An empty working directory: no dump.rdb from elsewhere gets loaded.
    workdir = tempfile.mkdtemp(prefix=f"compare-{kind}-")
    cmd = [exe, "--port", str(port), "--dir", workdir, *COMMON, *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir)
    proc.workdir = workdir
    try:
        wait_ready(port)
    except RuntimeError:
        proc.kill()
        raise
    return proc


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    shutil.rmtree(proc.workdir, ignore_errors=True)


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True).stdout


def cpu_seconds(pid):
    """CPU time the server has used, all threads, from schedstat (ns precision)."""
    total = 0
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                total += int(f.read().split()[0])
    except OSError:
        return 0.0
    return total / 1e9


def bench(port, test, pipeline, clients, requests, keyspace, datasize, pid=None):
    c0 = cpu_seconds(pid) if pid else 0.0
    cmd = ["redis-benchmark", "-p", str(port), "-t", test, "-P", str(pipeline), "-c", str(clients),
           "-n", str(requests), "-d", str(datasize), "--csv"]
    if keyspace:
        cmd += ["-r", str(keyspace)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900).stdout
    # The lrange tests first run "LPUSH (needed to benchmark LRANGE)": pick the
    # row named for the test itself ("LRANGE_600 (first 600 elements)", "MSET (10 keys)").
    cpu_us = (cpu_seconds(pid) - c0) * 1e6 / requests if pid else 0.0
    for r in csv.reader(io.StringIO(out)):
        if len(r) >= 7 and r[0] != "test" and "needed" not in r[0] and r[0].split(" ")[0].lower() == test:
            return {"rps": float(r[1]), "p50": float(r[4]), "p99": float(r[6]), "cpu": cpu_us}
    raise RuntimeError(f"no output from redis-benchmark for {test}: {out!r}")


def info_fields(port):
    fields = {}
    for line in cli(port, "INFO", "memory").splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            fields[k] = v.strip()
    return fields


def rss_bytes(pid):
    # INFO's used_memory_rss may be sampled by cron; /proc is exact.
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def write_load_file(path, scenario, n):
    """The commands of one memory scenario, as RESP for redis-cli --pipe."""
    with open(path, "wb") as f:
        chunk = []
        for i in range(n):
            if scenario == "ttl":
                chunk.append(resp("SET", f"key:{i}", f"value:{i}", "EX", 100000 + i % 1000))
            elif scenario == "hashes":
                chunk.append(resp("HSET", f"hash:{i}", "name", f"user{i}", "age", i % 90, "city", "Paris",
                                  "score", i % 1000, "active", "yes"))
            elif scenario == "zsets":
                chunk.append(resp("ZADD", f"zset:{i}", 1, "alpha", 2, "beta", 3.5, "gamma", i % 100,
                                  "delta", 5, f"m{i}"))
            if len(chunk) >= 10000:
                f.write(b"".join(chunk))
                chunk = []
        f.write(b"".join(chunk))


def pick_ports(base, n):
    if base:
        ports = [p for p in range(base, base + 100) if port_is_free(p)][:n]
        if len(ports) < n:
            raise RuntimeError(f"no {n} free ports from {base}")
        return ports
    ports = set()
    while len(ports) < n:
        ports.add(free_port())
    return list(ports)


def machine_line():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Linux {platform.release()}"


def versions():
    e = subprocess.run([ember_bin(), "--version"], capture_output=True, text=True).stdout.strip()
    r = subprocess.run([redis_bin(), "--version"], capture_output=True, text=True).stdout.strip()
    return e, r


def fmt_bytes(n):
    return f"{n / (1024 * 1024):.1f} MiB"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tests", default=",".join(ALL_TESTS))
    ap.add_argument("--modes", default="c50,d1024,c1000", help="comma list of: " + ",".join(MODES))
    ap.add_argument("-P", "--pipelines", default="1,16")
    ap.add_argument("-n", "--requests", type=int, default=100000,
                    help="requests per -P 1 run (x4 at -P 16; lrange tests fewer)")
    ap.add_argument("-r", "--keyspace", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true",
                    help="fast check: one round, 20000 requests, mode c50 only, smaller memory loads")
    ap.add_argument("--memory", dest="memory", action="store_true", default=True)
    ap.add_argument("--no-memory", dest="memory", action="store_false")
    ap.add_argument("--no-load", action="store_true", help="skip redis-benchmark (memory table only)")
    ap.add_argument("--memory-keys", type=int, default=1000000)
    ap.add_argument("--memory-small", type=int, default=100000, help="hashes and sorted sets to load")
    ap.add_argument("--port-base", type=int, default=0, help="use the first free ports from here (default: any)")
    ap.add_argument("--no-build", action="store_true", help="do not run cargo build --release first")
    ap.add_argument("--baseline", default="",
                    help="an earlier ember-server binary to run alongside (before/after columns)")
    ap.add_argument("--out", default=os.path.join(ROOT, "benches", "results", "latest.md"))
    args = ap.parse_args()
    global BASELINE
    BASELINE = args.baseline or None
    if args.quick:
        args.rounds = 1
        args.requests = min(args.requests, 20000)
        args.memory_keys = min(args.memory_keys, 200000)
        args.memory_small = min(args.memory_small, 20000)
        if args.modes == ap.get_default("modes"):
            args.modes = "c50"

    if "EMBER_BIN" not in os.environ and not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--bin", "ember-server"], cwd=ROOT, check=True)
    tests = [t.strip().lower() for t in args.tests.split(",") if t.strip()]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for m in modes:
        if m not in MODES:
            ap.error(f"unknown mode {m!r}")
    pipelines = [int(x) for x in args.pipelines.split(",")]
    kinds = ["redis", "ember"] + (["base"] if BASELINE else [])
    ports = dict(zip(kinds, pick_ports(args.port_base, len(kinds))))
    started = time.time()

    results = []  # (mode, test, pipeline, med, ratio)
    if not args.no_load:
        procs = {k: start(k, p) for k, p in ports.items()}
        try:
            for mode in modes:
                clients, datasize = MODES[mode]
                weights = WEIGHT_BIG if datasize > 100 else WEIGHT
                for test in tests:
                    for p in pipelines:
                        n = int(args.requests * (4 if p > 1 else 1) * weights.get(test, 1.0))
                        n = max(n, clients * 20)
                        runs = {k: [] for k in kinds}
                        for rnd in range(args.rounds):
                            # Alternate which server goes first (and, with a
                            # baseline, rotate all three).
                            order = kinds[rnd % len(kinds):] + kinds[:rnd % len(kinds)]
                            if rnd % 2 == 1:
                                order = order[::-1]
                            for kind in order:
                                runs[kind].append(bench(ports[kind], test, p, clients, n, args.keyspace, datasize,
                                                        procs[kind].pid))
                        med = {k: {m: statistics.median(r[m] for r in v) for m in ("rps", "p50", "p99", "cpu")}
                               for k, v in runs.items()}
                        ratio = med["ember"]["rps"] / med["redis"]["rps"]
                        results.append((mode, test, p, med, ratio))
                        extra = (f"  base {med['base']['rps']:>10.0f} ratio {med['base']['rps'] / med['redis']['rps']:5.2f}"
                                 if BASELINE else "")
                        print(f"{mode:>6} {test:>12} -P {p:<3} ember {med['ember']['rps']:>10.0f} rps  redis "
                              f"{med['redis']['rps']:>10.0f} rps  ratio {ratio:5.2f}  "
                              f"p50 {med['ember']['p50']:.3f}/{med['redis']['p50']:.3f}  "
                              f"p99 {med['ember']['p99']:.3f}/{med['redis']['p99']:.3f}  "
                              f"cpu us/req {med['ember']['cpu']:.2f}/{med['redis']['cpu']:.2f}{extra}", flush=True)
                # Modes must not see each other's data (lists grow by every LPUSH run).
                for port in ports.values():
                    cli(port, "FLUSHALL")
        finally:
            for proc in procs.values():
                stop(proc)

    mem = []  # (scenario, label, {kind: figures}): see benches/memory.py
    if args.memory:
        import memory  # benches/memory.py: the four datasets of issue #7
        memory.compare.BASELINE = BASELINE  # it sees this file as the module `compare`
        mem = memory.run_memory({k: ports[k] for k in kinds}, args.memory_keys, args.memory_small)

    ev, rv = versions()
    lines = [f"# Ember vs redis-server, side by side",
             "",
             f"- Date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}",
             f"- Machine: {machine_line()} (shared; client and servers on the same cores)",
             f"- Ember: `{ev}`",
             f"- Redis: `{rv}`",
             f"- Command: `python3 benches/compare.py {' '.join(sys.argv[1:])}`".rstrip(),
             f"- Wall time: {(time.time() - started) / 60:.1f} min",
             "",
             "ratio = Ember rps / Redis rps (> 1.00: Ember is faster). Each cell is the median of "
             f"{args.rounds} round(s); rounds alternate which server runs first. Latencies in ms. "
             "CPU = server CPU time (user + system, all threads) per request in microseconds: "
             "steadier than rps on a shared machine (< Redis: Ember does less work per request).",
             ""]
    if BASELINE:
        lines[-1:] = ["", f"before = `{BASELINE}` run alongside (same rounds): its rps ratio to Redis "
                      "and its CPU per request.", ""]
    for mode in modes:
        rows = [r for r in results if r[0] == mode]
        if not rows:
            continue
        clients, datasize = MODES[mode]
        head = ("| test | -P | Ember rps | Redis rps | ratio | Ember p50 | Redis p50 | Ember p99 | Redis p99 "
                "| Ember CPU | Redis CPU |")
        rule = "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        if BASELINE:
            head += " before ratio | before CPU |"
            rule += "---:|---:|"
        lines += [f"## {mode}: redis-benchmark -c {clients} -d {datasize} -r {args.keyspace}", "", head, rule]
        for _, test, p, med, ratio in rows:
            e, r = med["ember"], med["redis"]
            row = (f"| {test} | {p} | {e['rps']:.0f} | {r['rps']:.0f} | **{ratio:.2f}** | {e['p50']:.3f} | "
                   f"{r['p50']:.3f} | {e['p99']:.3f} | {r['p99']:.3f} | {e['cpu']:.2f} | {r['cpu']:.2f} |")
            if BASELINE:
                b = med["base"]
                row += f" {b['rps'] / r['rps']:.2f} | {b['cpu']:.2f} |"
            lines.append(row)
        ratios = [r[4] for r in rows]
        lines += ["", f"Geometric mean ratio: {statistics.geometric_mean(ratios):.2f}; "
                      f"lowest: {min(ratios):.2f}.", ""]
    if mem:
        lines += memory.memory_table(mem)
    text = "\n".join(lines)
    print(text)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
