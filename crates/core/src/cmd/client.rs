//! CLIENT: connection introspection and control (ID, SETNAME, GETNAME, LIST,
//! INFO, KILL, REPLY, NO-EVICT, UNBLOCK, HELP; PAUSE and UNPAUSE live in
//! `cmd::pause`, TRACKING, CACHING, TRACKINGINFO and GETREDIR in
//! `cmd::client_tracking`).

use crate::args::Args;
use crate::client::{Client, ClientId, ClientKind, ReplyMode};
use crate::cmd::command_info::help_reply;
use crate::command::{acl, flags::*, Command};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use bytes::Bytes;
use ember_resp::Reply;
use std::fmt::Write;

pub fn commands() -> Vec<Command> {
    let conn = acl::CONNECTION;
    let base = NOSCRIPT | LOADING | STALE;
    let mut subs = vec![
        Command::new("getname", 2, base, conn, getname),
        Command::new("help", 2, LOADING | STALE, conn, help),
        Command::new("id", 2, base, conn, id),
        Command::new("info", 2, base, conn, info),
        Command::new("kill", -3, ADMIN | base, conn, kill),
        Command::new("list", -2, ADMIN | base, conn, list),
        Command::new("no-evict", 3, ADMIN | base, conn, no_evict),
        Command::new("pause", -3, ADMIN | base, conn, super::pause::pause),
        Command::new("reply", 3, base, conn, reply),
        Command::new("setname", 3, base, conn, setname),
        Command::new("unblock", -3, ADMIN | base, conn, unblock),
        Command::new("unpause", 2, ADMIN | base, conn, super::pause::unpause_cmd),
    ];
    subs.extend(super::client_tracking::commands());
    vec![Command::container("client", -2, 0, 0, subs)]
}

fn id(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(Reply::Integer(ctx.client_id as i64))
}

fn getname(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(match &ctx.client().name {
        Some(name) => Reply::Bulk(name.clone()),
        None => Reply::Nil,
    })
}

/// Validates and applies a client name (CLIENT SETNAME, HELLO SETNAME): an empty
/// name removes it; only printable ASCII without spaces is allowed.
pub fn set_name(client: &mut Client, name: &Bytes) -> Result<(), CmdError> {
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err(CmdError::err(
            "Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    client.name = (!name.is_empty()).then(|| name.clone());
    Ok(())
}

fn setname(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let name = args.next()?;
    set_name(ctx.client(), name)?;
    Ok(Reply::OK)
}

fn info(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let argv = argv_mem(args);
    let now = ctx.now_ms;
    let mut line = String::new();
    let qbuf = ctx.engine.batch_input.max(ctx.client().qbuf);
    write_client_line(&mut line, ctx.client(), now, argv, qbuf);
    Ok(Reply::Verbatim("txt", Bytes::from(line)))
}

/// The running command's argument bytes and count.
fn argv_mem(args: &Args) -> (usize, usize) {
    let argv = args.argv();
    (argv.iter().map(|a| a.len()).sum(), argv.len())
}

/// Client type names as CLIENT LIST/KILL TYPE accept them.
fn parse_kind(name: &[u8]) -> Result<ClientKind, CmdError> {
    let lower = name.to_ascii_lowercase();
    Ok(match &lower[..] {
        b"normal" => ClientKind::Normal,
        b"slave" | b"replica" => ClientKind::Replica,
        b"pubsub" => ClientKind::PubSub,
        b"master" => ClientKind::Master,
        _ => {
            return Err(CmdError::err(format!(
                "Unknown client type '{}'",
                String::from_utf8_lossy(name)
            )))
        }
    })
}

/// Live clients in connection order (Redis lists them oldest first).
fn client_ids(ctx: &Ctx) -> Vec<ClientId> {
    let mut ids: Vec<ClientId> = ctx
        .engine
        .clients
        .values()
        .filter(|c| !c.killed)
        .map(|c| c.id)
        .collect();
    ids.sort_unstable();
    ids
}

fn list(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let rest = args.rest();
    let mut kind = None;
    let ids: Vec<ClientId> = if rest.len() == 2 && rest[0].eq_ignore_ascii_case(b"type") {
        kind = Some(parse_kind(&rest[1])?);
        client_ids(ctx)
    } else if rest.len() > 1 && rest[0].eq_ignore_ascii_case(b"id") {
        let mut ids = Vec::new();
        for a in &rest[1..] {
            let id = crate::args::parse_i64(a).map_err(|_| CmdError::err("Invalid client ID"))?;
            ids.push(id as ClientId);
        }
        ids
    } else if rest.is_empty() {
        client_ids(ctx)
    } else {
        return Err(CmdError::Syntax);
    };
    let caller_argv_mem = argv_mem(args);
    let now = ctx.now_ms;
    let mut out = String::new();
    for id in ids {
        let Some(c) = ctx.engine.clients.get(&id).filter(|c| !c.killed) else {
            continue;
        };
        if kind.is_some_and(|k| k != c.kind) {
            continue;
        }
        // The caller's own command is still in its query buffer.
        let (argv, qbuf) = if id == ctx.client_id {
            (caller_argv_mem, ctx.engine.batch_input.max(c.qbuf))
        } else {
            ((c.argv_mem, c.argv_count), c.qbuf)
        };
        write_client_line(&mut out, c, now, argv, qbuf);
    }
    Ok(Reply::Verbatim("txt", Bytes::from(out)))
}

/// One CLIENT LIST line in Redis 7.0's field order, with its newline. The
/// memory figures describe Ember's buffers and so differ from Redis's (`omem`
/// counts output waiting for the connection).
pub(crate) fn write_client_line(
    out: &mut String,
    c: &Client,
    now_ms: i64,
    (argv_mem, argc): (usize, usize),
    qbuf: usize,
) {
    let mut flags = String::new();
    if c.monitor {
        flags.push('O');
    }
    match c.kind {
        ClientKind::Replica => flags.push('S'),
        ClientKind::Master => flags.push('M'),
        ClientKind::PubSub => flags.push('P'),
        ClientKind::Normal => {}
    }
    if c.tx.active {
        flags.push('x');
    }
    // A client held by CLIENT PAUSE is blocked too in Redis (BLOCKED_POSTPONE).
    if c.blocked.is_some() || c.postponed {
        flags.push('b');
    }
    if let Some(t) = c.tracking.as_deref() {
        flags.push('t');
        if t.broken_redirect {
            flags.push('R');
        }
        if t.bcast {
            flags.push('B');
        }
    }
    if c.tx.dirty_cas {
        flags.push('d');
    }
    if c.close_after_reply {
        flags.push('c');
    }
    if c.killed {
        flags.push('A');
    }
    if c.no_evict {
        flags.push('e');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let name = c
        .name
        .as_ref()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default();
    let rbs = crate::client_memory::REPLY_BUFFER;
    let tot_mem = c.memory_with(qbuf, argv_mem, argc);
    let multi = if c.tx.active {
        c.tx.queue.len() as i64
    } else {
        -1
    };
    let resp = match c.proto {
        ember_resp::Proto::Resp2 => 2,
        ember_resp::Proto::Resp3 => 3,
    };
    let _ = writeln!(
        out,
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} \
         ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp=0 obl=0 \
         oll=0 omem={} tot-mem={} events={} cmd={} user={} redir={} resp={}",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        name,
        now_ms / 1000 - c.created_ms / 1000,
        now_ms / 1000 - c.last_interaction_ms / 1000,
        flags,
        c.db,
        c.subs.channels.len(),
        c.subs.patterns.len(),
        c.subs.shard.len(),
        multi,
        qbuf,
        c.qbuf_free,
        argv_mem,
        c.tx.mem,
        rbs,
        c.obuf + c.pending.len(),
        tot_mem,
        // (Redis's write handler is installed while output waits.)
        if c.obuf + c.pending.len() > 0 {
            "rw"
        } else {
            "r"
        },
        c.last_cmd,
        c.user,
        c.tracking.as_deref().map_or(-1, |t| t.redirect as i64),
        resp,
    );
}

/// CLIENT KILL filters (the new form); every given one must match.
#[derive(Default)]
struct KillFilter<'a> {
    id: Option<ClientId>,
    addr: Option<&'a [u8]>,
    laddr: Option<&'a [u8]>,
    kind: Option<ClientKind>,
    user: Option<&'a [u8]>,
    skip_me: bool,
}

impl KillFilter<'_> {
    fn matches(&self, c: &Client, caller: ClientId) -> bool {
        wanted(self.addr, c.addr.as_bytes())
            && wanted(self.laddr, c.laddr.as_bytes())
            && wanted(self.kind, c.kind)
            && wanted(self.id, c.id)
            && wanted(self.user, c.user.as_bytes())
            && !(self.skip_me && c.id == caller)
    }
}

/// An absent filter matches everything.
fn wanted<T: PartialEq>(filter: Option<T>, value: T) -> bool {
    match filter {
        Some(f) => f == value,
        None => true,
    }
}

fn parse_kill_filter<'a>(
    rest: &'a [Bytes],
    users: &crate::acl::Acl,
) -> Result<KillFilter<'a>, CmdError> {
    let mut f = KillFilter {
        skip_me: true,
        ..KillFilter::default()
    };
    let mut i = 0;
    while i < rest.len() {
        let (opt, value) = match rest.get(i + 1) {
            Some(v) => (&rest[i], v),
            None => return Err(CmdError::Syntax),
        };
        let opt = opt.to_ascii_lowercase();
        match &opt[..] {
            b"id" => {
                let id = crate::args::parse_i64(value)
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| CmdError::err("client-id should be greater than 0"))?;
                f.id = Some(id as ClientId);
            }
            b"type" => f.kind = Some(parse_kind(value)?),
            b"addr" => f.addr = Some(value),
            b"laddr" => f.laddr = Some(value),
            b"user" => {
                if users.user(value).is_none() {
                    return Err(CmdError::err(format!(
                        "No such user '{}'",
                        String::from_utf8_lossy(value)
                    )));
                }
                f.user = Some(value);
            }
            b"skipme" => {
                f.skip_me = if value.eq_ignore_ascii_case(b"yes") {
                    true
                } else if value.eq_ignore_ascii_case(b"no") {
                    false
                } else {
                    return Err(CmdError::Syntax);
                }
            }
            _ => return Err(CmdError::Syntax),
        }
        i += 2;
    }
    Ok(f)
}

fn kill(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let rest = args.rest();
    let old_form = rest.len() == 1;
    let filter = if old_form {
        // CLIENT KILL <ip:port>: may kill the caller itself.
        KillFilter {
            addr: Some(&rest[0]),
            ..KillFilter::default()
        }
    } else {
        parse_kill_filter(rest, &ctx.engine.acl)?
    };
    let caller = ctx.client_id;
    let mut killed = 0;
    for id in client_ids(ctx) {
        let Some(c) = ctx.engine.clients.get_mut(&id) else {
            continue;
        };
        if !filter.matches(c, caller) {
            continue;
        }
        if id == caller {
            // Redis answers first, then closes the connection.
            c.close_after_reply = true;
        } else {
            c.killed = true;
            c.wake();
            // Gone at once for everyone else, as Redis frees it: it no longer
            // waits on keys.
            crate::blocking::forget_client(ctx.engine, id);
            // Nor does it listen on channels or monitor.
            crate::pubsub::forget_client(ctx.engine, id);
            crate::cmd::monitor::stop(ctx.engine, id);
        }
        killed += 1;
    }
    if !old_form {
        return Ok(Reply::Integer(killed));
    }
    if killed == 0 {
        return Err(CmdError::err("No such client"));
    }
    Ok(Reply::OK)
}

fn reply(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let mode = args.next()?;
    let c = ctx.client();
    if mode.eq_ignore_ascii_case(b"on") {
        c.reply_mode = ReplyMode::On;
    } else if mode.eq_ignore_ascii_case(b"off") {
        c.reply_mode = ReplyMode::Off;
    } else if mode.eq_ignore_ascii_case(b"skip") {
        // Suppresses this reply and the next command's; ignored while OFF.
        if c.reply_mode != ReplyMode::Off {
            c.reply_mode = ReplyMode::Skip;
        }
    } else {
        return Err(CmdError::Syntax);
    }
    Ok(Reply::OK)
}

/// CLIENT UNBLOCK <id> [TIMEOUT|ERROR]: ends another client's blocking
/// command as if it timed out, or with an UNBLOCKED error.
fn unblock(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let rest = args.rest();
    if rest.len() > 2 {
        return Err(CmdError::subcommand_syntax(args.argv()));
    }
    let error = match rest.get(1) {
        None => false,
        Some(r) if r.eq_ignore_ascii_case(b"timeout") => false,
        Some(r) if r.eq_ignore_ascii_case(b"error") => true,
        Some(_) => {
            return Err(CmdError::err(
                "CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ))
        }
    };
    let id = crate::args::parse_i64(&rest[0])?;
    let done = id > 0 && crate::blocking::unblock_by_request(ctx.engine, id as ClientId, error);
    Ok(Reply::Integer(done as i64))
}

fn no_evict(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let on = args.next()?;
    let c = ctx.client();
    if on.eq_ignore_ascii_case(b"on") {
        c.no_evict = true;
    } else if on.eq_ignore_ascii_case(b"off") {
        c.no_evict = false;
    } else {
        return Err(CmdError::Syntax);
    }
    Ok(Reply::OK)
}

fn help(_ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    // Redis's text, including the subcommands Ember does not implement yet.
    Ok(help_reply(
        "CLIENT",
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    ))
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
