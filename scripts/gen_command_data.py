#!/usr/bin/env python3
"""Regenerates crates/core/data/commands.json from a running redis-server 7.0.

The file is interface data (what COMMAND INFO and COMMAND DOCS report for each
command): Ember joins it with its own command table by name, so only commands
Ember implements are shown. Usage: gen_command_data.py [port] > commands.json
"""
import json
import socket
import sys


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise EOFError
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        """One RESP3 reply as Python values: maps become dicts (ordered)."""
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"$":
            return self._exact(int(rest)).decode()
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind in (b"*", b"~"):
            return [self.read() for _ in range(int(rest))]
        if kind == b"%":
            out = {}
            for _ in range(int(rest)):
                k = self.read()
                out[k] = self.read()
            return out
        raise RuntimeError("unexpected reply %r" % line)

    def call(self, *args):
        msg = "*%d\r\n" % len(args)
        for a in args:
            msg += "$%d\r\n%s\r\n" % (len(a.encode()), a)
        self.sock.sendall(msg.encode())
        return self.read()


def info_entry(row):
    name, arity, flags, first, last, step, acl, tips, specs, subs = row
    return name, {
        "arity": arity,
        "flags": flags,
        "first_key": first,
        "last_key": last,
        "step": step,
        "acl_categories": acl,
        "tips": tips,
        "key_specs": specs,
    }, subs


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 6379
    c = Conn(port)
    c.call("HELLO", "3")
    out = {}
    pending = c.call("COMMAND", "INFO")
    while pending:
        name, entry, subs = info_entry(pending.pop())
        out[name] = entry
        pending.extend(subs)
    docs = c.call("COMMAND", "DOCS")
    pending = list(docs.items())
    while pending:
        name, doc = pending.pop()
        subs = doc.pop("subcommands", {})
        out[name]["docs"] = doc
        pending.extend(subs.items())
    ordered = {k: out[k] for k in sorted(out)}
    json.dump(ordered, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
