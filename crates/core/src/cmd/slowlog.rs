//! SLOWLOG (GET LEN RESET HELP) and the log it reads: the latest
//! `slowlog-max-len` commands whose run took at least
//! `slowlog-log-slower-than` microseconds (Redis's slowlog.c). `call_in`
//! offers each completed command; a blocked command is offered when it
//! completes, with its original arguments.

use super::command_info::help_reply;
use super::redact::redacted_args;
use crate::args::Args;
use crate::client::ClientId;
use crate::command::{acl, flags::*, Command};
use crate::ctx::Ctx;
use crate::engine::Engine;
use crate::error::{CmdError, CmdResult};
use bytes::Bytes;
use ember_resp::Reply;
use std::collections::VecDeque;

/// Arguments kept per entry; the last one kept says how many more there were.
const MAX_ARGC: usize = 32;
/// Bytes kept per argument; the rest is counted.
const MAX_STRING: usize = 128;

struct Entry {
    id: u64,
    /// Unix time, seconds.
    time: i64,
    duration_us: u64,
    argv: Vec<Bytes>,
    peer: Bytes,
    name: Bytes,
}

/// The log, newest first. Ids keep counting across RESET, as in Redis.
#[derive(Default)]
pub struct SlowLog {
    entries: VecDeque<Entry>,
    next_id: u64,
}

impl SlowLog {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Logs `argv` of `client` if it ran for `duration_us` or longer (Redis's
/// slowlogPushCurrentCommand); called after every completed command.
#[inline]
pub fn offer(
    engine: &mut Engine,
    client: ClientId,
    cmd: &Command,
    argv: &[Bytes],
    duration_us: u64,
) {
    let threshold = engine.config.slowlog_log_slower_than;
    if threshold < 0 || duration_us < threshold as u64 || cmd.has(SKIP_SLOWLOG) {
        return;
    }
    push(engine, client, argv, duration_us);
}

fn push(engine: &mut Engine, client: ClientId, argv: &[Bytes], duration_us: u64) {
    let redacted = redacted_args(argv);
    let kept = argv.len().min(MAX_ARGC);
    let mut args = Vec::with_capacity(kept);
    for (i, a) in argv.iter().enumerate().take(kept) {
        let arg = if kept != argv.len() && i == kept - 1 {
            Bytes::from(format!("... ({} more arguments)", argv.len() - kept + 1))
        } else if redacted.contains(&i) {
            Bytes::from_static(b"(redacted)")
        } else if a.len() > MAX_STRING {
            let mut s = a[..MAX_STRING].to_vec();
            s.extend_from_slice(format!("... ({} more bytes)", a.len() - MAX_STRING).as_bytes());
            Bytes::from(s)
        } else {
            // A copy: the argument may point into a connection's read buffer.
            Bytes::copy_from_slice(a)
        };
        args.push(arg);
    }
    let (peer, name) = match engine.clients.get(&client) {
        Some(c) => (
            Bytes::copy_from_slice(c.addr.as_bytes()),
            c.name.clone().unwrap_or_default(),
        ),
        None => (Bytes::new(), Bytes::new()),
    };
    let time = engine.now_ms().div_euclid(1000);
    let log = &mut engine.slowlog;
    log.entries.push_front(Entry {
        id: log.next_id,
        time,
        duration_us,
        argv: args,
        peer,
        name,
    });
    log.next_id += 1;
    log.entries.truncate(engine.config.slowlog_max_len as usize);
}

pub fn commands() -> Vec<Command> {
    let admin = ADMIN | LOADING | STALE;
    let cats = acl::ADMIN | acl::DANGEROUS;
    vec![Command::container(
        "slowlog",
        -2,
        0,
        0,
        vec![
            Command::new("get", -2, admin, cats, get),
            Command::new("len", 2, admin, cats, len),
            Command::new("reset", 2, admin, cats, reset),
            Command::new("help", 2, LOADING | STALE, 0, help),
        ],
    )]
}

/// SLOWLOG GET [count]: the newest `count` entries (10 by default, -1: all).
fn get(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    const RANGE: &str = "ERR count should be greater than or equal to -1";
    let count = match args.remaining() {
        0 => 10,
        1 => match args.next_i64() {
            Ok(-1) => usize::MAX,
            Ok(n) if n >= 0 => n as usize,
            _ => return Err(CmdError::other(RANGE)),
        },
        _ => return Err(CmdError::subcommand_syntax(args.argv())),
    };
    let entries = ctx.engine.slowlog.entries.iter().take(count);
    Ok(Reply::Array(
        entries
            .map(|e| {
                Reply::Array(vec![
                    Reply::Integer(e.id as i64),
                    Reply::Integer(e.time),
                    Reply::Integer(e.duration_us as i64),
                    Reply::Array(e.argv.iter().cloned().map(Reply::Bulk).collect()),
                    Reply::Bulk(e.peer.clone()),
                    Reply::Bulk(e.name.clone()),
                ])
            })
            .collect(),
    ))
}

fn len(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(Reply::Integer(ctx.engine.slowlog.len() as i64))
}

fn reset(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    ctx.engine.slowlog.entries.clear();
    Ok(Reply::OK)
}

const HELP: &[&str] = &[
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
];

fn help(_ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(help_reply("SLOWLOG", HELP))
}

#[cfg(test)]
mod tests {
    use crate::testkit::T;
    use ember_resp::Reply;

    fn entries(t: &mut T, args: &[&str]) -> Vec<Vec<Reply>> {
        match t.run(args) {
            Reply::Array(v) => v
                .into_iter()
                .map(|e| match e {
                    Reply::Array(f) => f,
                    other => panic!("entry {other:?}"),
                })
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    fn words(r: &Reply) -> Vec<String> {
        match r {
            Reply::Array(v) => v
                .iter()
                .map(|a| match a {
                    Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                    other => panic!("{other:?}"),
                })
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn logs_slow_commands_newest_first_and_trims() {
        let mut t = T::new();
        t.run(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
        t.run(&["CONFIG", "SET", "slowlog-max-len", "3"]);
        for i in 0..5 {
            t.run(&["SET", &format!("k{i}"), "v"]);
        }
        assert_eq!(t.int(&["SLOWLOG", "LEN"]), 3);
        let got = entries(&mut t, &["SLOWLOG", "GET"]);
        // The SLOWLOG LEN call itself is the newest; ids keep counting.
        assert_eq!(words(&got[0][3]), ["SLOWLOG", "LEN"]);
        assert_eq!(words(&got[1][3]), ["SET", "k4", "v"]);
        let ids: Vec<&Reply> = got.iter().map(|e| &e[0]).collect();
        assert_eq!(
            ids,
            [&Reply::Integer(7), &Reply::Integer(6), &Reply::Integer(5)]
        );
        assert_eq!(got[0][1], Reply::Integer(1_700_000_000));
        assert_eq!(entries(&mut t, &["SLOWLOG", "GET", "1"]).len(), 1);
        assert_eq!(entries(&mut t, &["SLOWLOG", "GET", "0"]).len(), 0);
        assert_eq!(entries(&mut t, &["SLOWLOG", "GET", "-1"]).len(), 3);
        assert_eq!(t.run(&["SLOWLOG", "RESET"]), Reply::OK);
        // RESET itself is logged after the log was cleared.
        assert_eq!(t.int(&["SLOWLOG", "LEN"]), 1);
        let got = entries(&mut t, &["SLOWLOG", "GET"]);
        assert_eq!(got[1][0], Reply::Integer(12), "ids go on after RESET");
        // Disabled with a negative threshold.
        t.run(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
        t.run(&["SLOWLOG", "RESET"]);
        t.run(&["SET", "x", "y"]);
        assert_eq!(t.int(&["SLOWLOG", "LEN"]), 0);
    }

    #[test]
    fn long_argument_lists_and_values_are_cut_and_secrets_redacted() {
        let mut t = T::new();
        t.run(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
        let mut sadd = vec!["SADD".to_string(), "s".to_string()];
        sadd.extend((3..=33).map(|i| i.to_string()));
        let sadd: Vec<&str> = sadd.iter().map(String::as_str).collect();
        t.run(&sadd);
        let got = entries(&mut t, &["SLOWLOG", "GET", "1"]);
        let logged = words(&got[0][3]);
        assert_eq!(logged.len(), 32);
        assert_eq!(logged[30], "31");
        assert_eq!(logged[31], "... (2 more arguments)");
        let long = "A".repeat(129);
        t.run(&["SADD", "s", "foo", &long]);
        let got = entries(&mut t, &["SLOWLOG", "GET", "2"]);
        assert_eq!(
            words(&got[0][3])[3],
            format!("{}... (1 more bytes)", &long[..128])
        );
        t.run(&["CONFIG", "SET", "masterauth", "secret"]);
        t.run(&["AUTH", "user", "pass"]);
        let got = entries(&mut t, &["SLOWLOG", "GET", "3"]);
        assert_eq!(words(&got[0][3]), ["AUTH", "(redacted)", "(redacted)"]);
        assert_eq!(
            words(&got[1][3]),
            ["CONFIG", "SET", "masterauth", "(redacted)"]
        );
    }

    #[test]
    fn exec_is_not_logged_but_its_commands_are() {
        let mut t = T::new();
        t.run(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
        t.run(&["SLOWLOG", "RESET"]);
        t.run(&["MULTI"]);
        t.run(&["SET", "a", "1"]);
        t.run(&["EXEC"]);
        let got = entries(&mut t, &["SLOWLOG", "GET"]);
        let names: Vec<String> = got.iter().map(|e| words(&e[3])[0].clone()).collect();
        assert_eq!(names, ["SET", "MULTI", "SLOWLOG"]);
    }
}
