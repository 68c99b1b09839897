#!/usr/bin/env python3
"""Replication benchmarks: full-sync time and replication lag, Ember vs Redis.

1. Full sync of N keys (default 1,000,000: DEBUG POPULATE plus a few big
   collections) for the four pairs Ember->Ember, Ember->Redis, Redis->Ember
   and Redis->Redis: the time from REPLICAOF to master_link_status:up with an
   equal DBSIZE on the replica.
2. Replication lag under redis-benchmark write load (SET, random keys):
   master_repl_offset minus the replica's slave_repl_offset, sampled every
   50 ms while the load runs, for Ember->Ember and Redis->Redis.

Masters use diskless sync with no delay (repl-diskless-sync-delay 0) so the
figures measure the transfer, not the batching wait. Writes the results to
benches/results/replication.md (or --out). Needs target/release/ember-server
(EMBER_BIN overrides), redis-server, redis-cli and redis-benchmark.
Usage: python3 benches/replication.py [--keys N] [--out FILE]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PORTS = iter(range(9460, 9499))


def ember_bin():
    return os.environ.get("EMBER_BIN", os.path.join(ROOT, "target", "release", "ember-server"))


def cli(port, *args, timeout=600):
    out = subprocess.run(["redis-cli", "-p", str(port), *map(str, args)],
                         capture_output=True, text=True, timeout=timeout)
    return out.stdout.strip()


def info(port, field, section="replication"):
    for line in cli(port, "INFO", section).splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return None


class Server:
    def __init__(self, kind):
        self.kind = kind
        self.port = next(PORTS)
        self.dir = tempfile.mkdtemp(prefix=f"replbench-{kind}-")
        if kind == "redis":
            cmd = ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no",
                   "--dir", self.dir, "--enable-debug-command", "yes", "--logfile", ""]
        else:
            cfg = os.path.join(self.dir, "ember.conf")
            with open(cfg, "w") as f:
                f.write(f"port {self.port}\nsave \"\"\nappendonly no\ndir {self.dir}\n"
                        "enable-debug-command yes\n")
            cmd = [ember_bin(), cfg]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            if cli(self.port, "PING") == "PONG":
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"{kind} on {self.port} did not start")
        cli(self.port, "CONFIG", "SET", "repl-diskless-sync-delay", "0")

    def stop(self):
        try:
            cli(self.port, "SHUTDOWN", "NOSAVE", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def load(port, keys):
    # Most keys as strings, plus some collections of a few thousand elements.
    cli(port, "DEBUG", "POPULATE", keys - 40, "key", 16)
    script = []
    for i in range(10):
        for kind, verb in (("h", "HSET"), ("s", "SADD"), ("z", "ZADD"), ("l", "RPUSH")):
            for chunk in range(0, 2000, 500):
                args = [verb, f"{kind}:{i}"]
                for j in range(chunk, chunk + 500):
                    if verb in ("HSET",):
                        args += [f"f{j}", f"v{j}"]
                    elif verb == "ZADD":
                        args += [str(j), f"m{j}"]
                    else:
                        args.append(f"m{j}")
                script.append(" ".join(args))
    subprocess.run(["redis-cli", "-p", str(port)], input="\n".join(script) + "\n",
                   capture_output=True, text=True, check=True)


def full_sync(master_kind, replica_kind, keys):
    m, r = Server(master_kind), Server(replica_kind)
    try:
        load(m.port, keys)
        want = cli(m.port, "DBSIZE")
        t0 = time.time()
        cli(r.port, "REPLICAOF", "127.0.0.1", m.port)
        deadline = t0 + 600
        while time.time() < deadline:
            if info(r.port, "master_link_status") == "up" and cli(r.port, "DBSIZE") == want:
                return time.time() - t0, int(want)
            time.sleep(0.02)
        return None, int(want)
    finally:
        r.stop()
        m.stop()


def lag(kind, seconds=10):
    m, r = Server(kind), Server(kind)
    try:
        cli(r.port, "REPLICAOF", "127.0.0.1", m.port)
        while info(r.port, "master_link_status") != "up":
            time.sleep(0.05)
        bench = subprocess.Popen(
            ["redis-benchmark", "-p", str(m.port), "-t", "set", "-r", "100000", "-n", "100000000",
             "-c", "20", "-P", "4", "-q"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples = []
        end = time.time() + seconds
        time.sleep(0.5)
        while time.time() < end:
            # Replica first: the master's offset read after it is never older.
            ro = info(r.port, "slave_repl_offset")
            mo = info(m.port, "master_repl_offset")
            if mo and ro:
                samples.append(int(mo) - int(ro))
            time.sleep(0.05)
        bench.terminate()
        bench.wait()
        ops = int(info(m.port, "total_commands_processed", "stats") or 0)
        samples.sort()
        pct = lambda p: samples[min(len(samples) - 1, int(len(samples) * p))] if samples else 0
        return {"samples": len(samples), "p50": pct(0.5), "p99": pct(0.99),
                "max": samples[-1] if samples else 0, "ops": ops}
    finally:
        r.stop()
        m.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--lag-seconds", type=int, default=10)
    ap.add_argument("--out", default=os.path.join(ROOT, "benches", "results", "replication.md"))
    a = ap.parse_args()
    rows = []
    for mk, rk in (("ember", "ember"), ("ember", "redis"), ("redis", "ember"), ("redis", "redis")):
        secs, n = full_sync(mk, rk, a.keys)
        shown = f"{secs:.2f}" if secs is not None else "did not finish"
        print(f"full sync {mk}->{rk}: {n} keys in {shown} s", flush=True)
        rows.append((mk, rk, n, shown))
    lags = []
    for kind in ("ember", "redis"):
        l = lag(kind, a.lag_seconds)
        print(f"lag {kind}->{kind}: {l}", flush=True)
        lags.append((kind, l))
    with open(a.out, "w") as f:
        f.write("# Replication benchmarks\n\n")
        f.write(f"Generated by `benches/replication.py` on {time.strftime('%Y-%m-%d %H:%M')}; "
                "loopback, diskless sync without delay, release ember-server vs redis-server "
                "7.0.15 (shared 2-core machine: figures are indicative).\n\n")
        f.write("## Full sync (REPLICAOF to link up with equal DBSIZE)\n\n")
        f.write("| master | replica | keys | seconds |\n|---|---|---|---|\n")
        for mk, rk, n, s in rows:
            f.write(f"| {mk} | {rk} | {n} | {s} |\n")
        f.write("\n## Replication lag under redis-benchmark SET load (-c 20 -P 4), bytes\n\n")
        f.write("| pair | samples | p50 | p99 | max | commands processed |\n|---|---|---|---|---|---|\n")
        for kind, l in lags:
            f.write(f"| {kind}->{kind} | {l['samples']} | {l['p50']} | {l['p99']} | {l['max']} | {l['ops']} |\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    sys.exit(main())
