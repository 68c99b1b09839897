//! MONITOR: every command that runs (after it ran, errors included, but not
//! commands rejected before running, nor ADMIN / SKIP_MONITOR ones) is streamed
//! to monitoring clients as a status line in Redis's exact format:
//! `+1700000000.123456 [0 127.0.0.1:54321] "set" "k" "v"`, each argument
//! quoted like `sdscatrepr`, passwords of AUTH and HELLO AUTH redacted.

use super::redact::redacted_args;
use crate::args::Args;
use crate::client::{ClientId, ClientKind, ReplyMode};
use crate::command::{flags::*, Command};
use crate::ctx::Ctx;
use crate::engine::Engine;
use crate::error::{CmdError, CmdResult};
use bytes::Bytes;
use ember_resp::Reply;
use std::io::Write;

pub fn commands() -> Vec<Command> {
    vec![Command::new(
        "monitor",
        1,
        ADMIN | NOSCRIPT | LOADING | STALE,
        0,
        monitor,
    )]
}

fn monitor(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    // Inside EXEC (a DENY_BLOCKING client) a reply per command is expected.
    if ctx.blocking_denied() {
        return Err(CmdError::err(
            "MONITOR isn't allowed for DENY BLOCKING client",
        ));
    }
    let id = ctx.client_id;
    let c = ctx.client();
    // Already a monitor (or a replica): Redis ignores the command, without a reply.
    if c.monitor || c.kind == ClientKind::Replica {
        ctx.engine.reply_suppressed = true;
        return Ok(Reply::OK);
    }
    c.monitor = true;
    ctx.engine.monitors.push(id);
    Ok(Reply::OK)
}

/// Leaves MONITOR mode (RESET, disconnect).
pub fn stop(engine: &mut Engine, id: ClientId) {
    engine.monitors.retain(|&m| m != id);
    if let Some(c) = engine.clients.get_mut(&id) {
        c.monitor = false;
    }
}

/// Sends the line for a command that just ran to every monitor (Redis's
/// replicationFeedMonitors). The caller's own line, when it monitors itself,
/// follows its reply (see `Engine::execute_into`).
pub fn feed(engine: &mut Engine, client: ClientId, db: usize, argv: &[Bytes]) {
    let us = engine.clock.now_us();
    let mut line = Vec::with_capacity(64 + argv.iter().map(|a| a.len() + 3).sum::<usize>());
    let _ = write!(
        line,
        "+{}.{:06} [{} ",
        us.div_euclid(1_000_000),
        us.rem_euclid(1_000_000),
        db
    );
    let unix = &engine.config.unixsocket;
    match engine.clients.get(&client) {
        Some(c)
            if !unix.is_empty()
                && c.addr.len() == unix.len() + 2
                && c.addr.starts_with(unix.as_str()) =>
        {
            let _ = write!(line, "unix:{unix}");
        }
        Some(c) => line.extend_from_slice(c.addr.as_bytes()),
        None => {}
    }
    line.push(b']');
    let redacted = redacted_args(argv);
    for (i, a) in argv.iter().enumerate() {
        line.push(b' ');
        if redacted.contains(&i) {
            line.extend_from_slice(b"\"(redacted)\"");
        } else {
            repr(&mut line, a);
        }
    }
    line.extend_from_slice(b"\r\n");
    for i in 0..engine.monitors.len() {
        let id = engine.monitors[i];
        if id == client {
            engine.self_after_reply.extend_from_slice(&line);
            continue;
        }
        if let Some(m) = engine.clients.get_mut(&id) {
            if m.killed || m.reply_mode == ReplyMode::Off {
                continue;
            }
            m.pending.extend_from_slice(&line);
            m.wake();
        }
    }
}

/// Redis's sdscatrepr: a double-quoted string with `\\`, `\"`, `\n`, `\r`,
/// `\t`, `\a`, `\b` escapes and `\xHH` for other non-printable bytes.
pub fn repr(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        match b {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', b]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            7 => out.extend_from_slice(b"\\a"),
            8 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(b),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::argv;

    #[test]
    fn repr_escapes_like_sdscatrepr() {
        let mut out = Vec::new();
        repr(&mut out, b"k\"\\\n\x01\xc3\xbf \t\x07\x08\r");
        assert_eq!(
            out,
            b"\"k\\\"\\\\\\n\\x01\\xc3\\xbf \\t\\a\\b\\r\"".to_vec()
        );
    }

    #[test]
    fn monitors_see_commands_after_they_run() {
        let mut e = Engine::builder().build();
        let m = e.add_client();
        let c = e.add_client();
        e.clients.get_mut(&c).unwrap().addr = "127.0.0.1:5000".into();
        assert_eq!(e.execute(m, &argv(&["MONITOR"])), Some(Reply::OK));
        assert_eq!(e.execute(m, &argv(&["MONITOR"])), None);
        e.execute(c, &argv(&["SET", "k", "v"]));
        e.execute(c, &argv(&["GET"]));
        e.execute(c, &argv(&["CONFIG", "GET", "port"]));
        e.execute(c, &argv(&["SELECT", "2"]));
        let out = String::from_utf8(e.take_pending(m)).unwrap();
        let lines: Vec<&str> = out.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(lines[0].starts_with('+'));
        assert!(
            lines[0].ends_with(" [0 127.0.0.1:5000] \"SET\" \"k\" \"v\""),
            "{out}"
        );
        assert!(
            lines[1].ends_with(" [2 127.0.0.1:5000] \"SELECT\" \"2\""),
            "{out}"
        );
        assert_eq!(
            e.execute(m, &argv(&["GET", "k"])),
            Some(Reply::error("ERR Replica can't interact with the keyspace"))
        );
        e.remove_client(m);
        assert!(e.monitors.is_empty());
    }
}
