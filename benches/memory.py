#!/usr/bin/env python3
"""Memory per key: ember-server vs redis-server on the four datasets of issue #7.

Each scenario runs on a fresh server (the same flags for both, no persistence):
    populate  DEBUG POPULATE N                     (N small string keys "key:I" -> "value:I")
    ttl       N x SET key:I value:I EX ttl         (every key volatile)
    hashes    M x HSET hash:I with 5 small fields  (listpack-encoded)
    zsets     M x ZADD zset:I with 5 members       (listpack-encoded)
The loads go through redis-cli --pipe. Reported: INFO used_memory and RSS (from
/proc) after loading, bytes per key (the growth of used_memory / RSS over the
empty server, divided by the key count) and the Ember / Redis ratio.

    python3 benches/memory.py                         # N = 1,000,000, M = 100,000 (about a minute)
    python3 benches/memory.py --keys 200000 --small 20000
    python3 benches/memory.py --baseline /tmp/ember-before   # adds the earlier build's columns

Writes benches/results/memory.md unless --out says otherwise. compare.py calls
`run_memory` / `memory_table` for the memory section of the full comparison.
"""
import argparse
import datetime
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (shared server start/stop and INFO helpers)

ROOT = compare.ROOT


def scenarios(keys, small):
    return [
        ("populate", f"DEBUG POPULATE {keys}", keys),
        ("ttl", f"{keys} SET key:N value:N EX ttl", keys),
        ("hashes", f"{small} hashes of 5 small fields (HSET)", small),
        ("zsets", f"{small} sorted sets of 5 members (ZADD)", small),
    ]


def run_one(kind, port, scenario, n, load_file):
    """Fresh server; used_memory and RSS before and after loading the scenario."""
    proc = compare.start(kind, port)
    try:
        time.sleep(0.2)
        base = int(compare.info_fields(port).get("used_memory", 0) or 0)
        base_rss = compare.rss_bytes(proc.pid)
        if scenario == "populate":
            out = compare.cli(port, "DEBUG", "POPULATE", str(n))
            if "ERR" in out:
                return None
        else:
            with open(load_file, "rb") as f:
                r = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], stdin=f, capture_output=True,
                                   text=True)
            if "errors: 0" not in r.stdout:
                return None
        keys = int(compare.cli(port, "DBSIZE").strip() or 0)
        time.sleep(0.3)
        used = int(compare.info_fields(port).get("used_memory", 0) or 0)
        rss = compare.rss_bytes(proc.pid)
        return {"keys": keys, "used": used, "used_delta": used - base, "rss": rss, "rss_delta": rss - base_rss}
    finally:
        compare.stop(proc)


def run_memory(ports, keys, small, only=None, log=print):
    """[(scenario, label, {kind: figures})] for every kind in `ports` (kind -> port)."""
    mem = []
    with tempfile.TemporaryDirectory() as tmp:
        for scenario, label, n in scenarios(keys, small):
            if only and scenario not in only:
                continue
            load_file = os.path.join(tmp, scenario + ".resp")
            if scenario != "populate":
                compare.write_load_file(load_file, scenario, n)
            figs = {kind: run_one(kind, port, scenario, n, load_file) for kind, port in ports.items()}
            mem.append((scenario, label, figs))
            parts = []
            for kind, f in figs.items():
                parts.append(f"{kind} " + (f"{f['used_delta'] / max(f['keys'], 1):.0f} B/key used, "
                                           f"{f['rss_delta'] / max(f['keys'], 1):.0f} B/key RSS" if f else "failed"))
            log(f"memory {scenario:>8}: " + "; ".join(parts), flush=True)
    return mem


def per_key(f, field):
    return f[field] / max(f["keys"], 1)


def memory_table(mem):
    """Markdown lines for the memory section."""
    has_base = any("base" in figs for _, _, figs in mem)
    lines = ["## Memory", "",
             "Fresh servers per scenario. used_memory as INFO reports it; RSS from /proc after loading; "
             "bytes/key = growth over the empty server / keys; ratio = Ember / Redis (< 1.00: Ember is leaner).",
             ""]
    head = ("| scenario | keys | Ember used_memory | Redis used_memory | ratio | Ember bytes/key | "
            "Redis bytes/key | Ember RSS | Redis RSS | RSS ratio | Ember RSS/key | Redis RSS/key |")
    sep = "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    if has_base:
        head += " before bytes/key | before RSS/key |"
        sep += "---:|---:|"
    lines += [head, sep]
    for _, label, figs in mem:
        e, r = figs.get("ember"), figs.get("redis")
        if not (e and r):
            lines.append(f"| {label} | n/a | {'ok' if e else 'failed'} | {'ok' if r else 'failed'} |")
            continue
        row = (f"| {label} | {r['keys']} | {compare.fmt_bytes(e['used'])} | {compare.fmt_bytes(r['used'])} | "
               f"**{e['used'] / max(r['used'], 1):.2f}** | {per_key(e, 'used_delta'):.0f} | "
               f"{per_key(r, 'used_delta'):.0f} | {compare.fmt_bytes(e['rss'])} | {compare.fmt_bytes(r['rss'])} | "
               f"**{e['rss'] / max(r['rss'], 1):.2f}** | {per_key(e, 'rss_delta'):.0f} | "
               f"{per_key(r, 'rss_delta'):.0f} |")
        if has_base:
            b = figs.get("base")
            row += (f" {per_key(b, 'used_delta'):.0f} | {per_key(b, 'rss_delta'):.0f} |" if b else " n/a | n/a |")
        lines.append(row)
    lines.append("")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keys", type=int, default=1000000, help="string keys (populate, ttl)")
    ap.add_argument("--small", type=int, default=100000, help="hashes and sorted sets")
    ap.add_argument("--only", default="", help="comma list of: populate,ttl,hashes,zsets")
    ap.add_argument("--port-base", type=int, default=0)
    ap.add_argument("--baseline", default="", help="an earlier ember-server binary (before columns)")
    ap.add_argument("--out", default=os.path.join(ROOT, "benches", "results", "memory.md"))
    args = ap.parse_args()
    compare.BASELINE = args.baseline or None
    kinds = ["redis", "ember"] + (["base"] if args.baseline else [])
    ports = dict(zip(kinds, compare.pick_ports(args.port_base, len(kinds))))
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    mem = run_memory(ports, args.keys, args.small, only)
    ev, rv = compare.versions()
    lines = ["# Ember vs redis-server: memory per key", "",
             f"{datetime.date.today().isoformat()}, {compare.machine_line()}.", "",
             f"- Ember: {ev}", f"- Redis: {rv}", ""] + memory_table(mem)
    text = "\n".join(lines)
    print(text)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
