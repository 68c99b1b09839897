//! Master-side commands (REPLCONF, PSYNC, SYNC, ROLE), the replication cron
//! (PINGs to replicas) and the INFO replication section.

use crate::{shared, state, Replica};
use ember_core::args::{self, Args};
use ember_core::client::{ClientKind, ReplyMode};
use ember_core::command::{acl, flags};
use ember_core::{Bytes, CmdError, CmdResult, Command, Ctx, Engine, Reply};
use ember_persistence::rdb::{save_engine, SaveOptions};
use std::fmt::Write;

pub fn commands() -> Vec<Command> {
    use flags::*;
    vec![
        Command::new(
            "replconf",
            -1,
            ADMIN | NOSCRIPT | LOADING | STALE | ALLOW_BUSY,
            0,
            replconf,
        ),
        Command::new(
            "psync",
            -3,
            ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
            0,
            psync,
        ),
        Command::new(
            "sync",
            1,
            ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
            0,
            sync,
        ),
        Command::new(
            "role",
            1,
            NOSCRIPT | LOADING | STALE | FAST,
            acl::ADMIN | acl::DANGEROUS,
            role,
        ),
    ]
}

fn no_reply(ctx: &mut Ctx) {
    ctx.client().reply_mode = ReplyMode::SkipThis;
}

fn replconf(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    if args.remaining() % 2 == 1 {
        return Err(CmdError::Syntax);
    }
    while !args.is_empty() {
        let opt = args.next()?;
        let val = args.next()?;
        if args::is(opt, "listening-port") {
            let port = args::parse_i64(val)?;
            let id = ctx.client_id;
            let st = state(ctx.engine);
            st.ports.retain(|(c, _)| *c != id);
            st.ports.push((id, port as u16));
        } else if args::is(opt, "ack") {
            let Ok(off) = args::parse_i64(val) else {
                no_reply(ctx);
                return Ok(Reply::OK);
            };
            let (id, now) = (ctx.client_id, ctx.now_ms);
            if let Some(r) = state(ctx.engine).replicas.iter_mut().find(|r| r.id == id) {
                r.ack_offset = r.ack_offset.max(off.max(0) as u64);
                r.ack_ms = now;
            }
            // Acknowledgements are never answered.
            no_reply(ctx);
            return Ok(Reply::OK);
        } else if args::is(opt, "getack") {
            no_reply(ctx);
            return Ok(Reply::OK);
        } else if args::is(opt, "capa")
            || args::is(opt, "ip-address")
            || args::is(opt, "rdb-only")
            || args::is(opt, "rdb-filter-only")
        {
            // Accepted; EOF-marked transfers are not used by this master.
        } else {
            return Err(CmdError::err(format!(
                "Unrecognized REPLCONF option: {}",
                String::from_utf8_lossy(opt)
            )));
        }
    }
    Ok(Reply::OK)
}

/// Registers the caller as an online replica fed with `initial` then the stream.
fn attach(ctx: &mut Ctx, initial: Vec<u8>, full: bool) {
    let id = ctx.client_id;
    let now = ctx.now_ms;
    let sh = shared(ctx.engine);
    let ip = {
        let c = ctx.client();
        c.kind = ClientKind::Replica;
        c.addr
            .rsplit_once(':')
            .map(|(ip, _)| ip.to_string())
            .unwrap_or_default()
    };
    let mut s = sh.lock();
    if full {
        // The next write selects its database explicitly for the new replica.
        s.seldb = None;
    }
    s.outs.retain(|(c, _)| *c != id);
    s.outs.push((id, initial));
    if let Some(n) = &s.notify {
        n();
    }
    drop(s);
    let st = state(ctx.engine);
    let port = st
        .ports
        .iter()
        .find(|(c, _)| *c == id)
        .map(|p| p.1)
        .unwrap_or(0);
    st.replicas.retain(|r| r.id != id);
    st.replicas.push(Replica {
        id,
        ip,
        port,
        ack_offset: 0,
        ack_ms: now,
    });
}

/// The snapshot as a replication transfer: `$<len>\r\n<rdb>` (no trailing CRLF).
fn snapshot(engine: &Engine) -> Result<Vec<u8>, CmdError> {
    let opts = SaveOptions::from_config(&engine.config, engine.now_ms());
    let rdb = save_engine(Vec::new(), engine, opts).map_err(|e| CmdError::err(e.to_string()))?;
    let mut out = format!("${}\r\n", rdb.len()).into_bytes();
    out.extend_from_slice(&rdb);
    Ok(out)
}

fn already_replica(ctx: &mut Ctx) -> bool {
    ctx.client().kind == ClientKind::Replica
}

fn psync(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    if already_replica(ctx) {
        no_reply(ctx);
        return Ok(Reply::OK);
    }
    let replid = args.next()?.clone();
    let want = args.next()?;
    let want = args::parse_i64(want)?;
    let sh = shared(ctx.engine);
    // Partial resync: same history and the requested bytes still in the backlog.
    if replid.as_ref() == ctx.engine.replid.as_bytes() && want > 0 {
        let tail = {
            let s = sh.lock();
            s.backlog.since(want as u64, s.offset)
        };
        if let Some(tail) = tail {
            state(ctx.engine).sync_partial_ok += 1;
            attach(ctx, tail, false);
            return Ok(Reply::Status(
                format!("CONTINUE {}", ctx.engine.replid).into(),
            ));
        }
    }
    let st = state(ctx.engine);
    st.sync_full += 1;
    if replid.as_ref() != b"?" {
        st.sync_partial_err += 1;
    }
    let data = snapshot(ctx.engine)?;
    let offset = sh.lock().offset;
    attach(ctx, data, true);
    Ok(Reply::Status(
        format!("FULLRESYNC {} {}", ctx.engine.replid, offset).into(),
    ))
}

/// The pre-PSYNC protocol: the transfer is the whole reply.
fn sync(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    if already_replica(ctx) {
        no_reply(ctx);
        return Ok(Reply::OK);
    }
    shared(ctx.engine);
    state(ctx.engine).sync_full += 1;
    let data = snapshot(ctx.engine)?;
    attach(ctx, data, true);
    no_reply(ctx);
    Ok(Reply::OK)
}

fn role(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    let offset = master_offset(ctx.engine);
    let replicas = state(ctx.engine)
        .replicas
        .iter()
        .map(|r| {
            Reply::Array(vec![
                Reply::Bulk(Bytes::from(r.ip.clone())),
                Reply::Bulk(Bytes::from(r.port.to_string())),
                Reply::Bulk(Bytes::from(r.ack_offset.to_string())),
            ])
        })
        .collect();
    Ok(Reply::Array(vec![
        Reply::Bulk(Bytes::from_static(b"master")),
        Reply::Integer(offset as i64),
        Reply::Array(replicas),
    ]))
}

pub fn master_offset(engine: &Engine) -> u64 {
    engine
        .ext
        .get::<crate::Repl>()
        .and_then(|r| r.shared.as_ref())
        .map(|s| s.lock().offset)
        .unwrap_or(0)
}

/// PINGs through the stream every `repl-ping-replica-period` seconds, and
/// moves queued stream bytes to the replicas.
pub fn cron(engine: &mut Engine) {
    let now = engine.now_ms();
    let period = engine.config.repl_ping_replica_period.max(1) * 1000;
    let st = state(engine);
    if !st.replicas.is_empty() && now - st.last_ping_ms >= period {
        st.last_ping_ms = now;
        if let Some(s) = st.shared.clone() {
            let mut ping = Vec::new();
            crate::encode_argv(&[b"PING".as_slice()], &mut ping);
            s.lock().feed_raw(&ping);
        }
    }
    crate::flush(engine);
}

pub fn info_section(e: &Engine) -> String {
    let mut s = String::new();
    let repl = e.ext.get::<crate::Repl>();
    let replicas = repl.map(|r| r.replicas.as_slice()).unwrap_or(&[]);
    let now = e.now_ms();
    let _ = write!(s, "role:master\r\nconnected_slaves:{}\r\n", replicas.len());
    for (i, r) in replicas.iter().enumerate() {
        let _ = write!(
            s,
            "slave{i}:ip={},port={},state=online,offset={},lag={}\r\n",
            r.ip,
            r.port,
            r.ack_offset,
            (now - r.ack_ms).max(0) / 1000
        );
    }
    let _ = write!(s, "master_failover_state:no-failover\r\n");
    let _ = write!(
        s,
        "master_replid:{}\r\nmaster_replid2:{}\r\n",
        e.replid, e.replid2
    );
    let (offset, active, histlen) = match repl.and_then(|r| r.shared.as_ref()) {
        Some(sh) => {
            let sh = sh.lock();
            (sh.offset, true, sh.backlog.histlen() as u64)
        }
        None => (0, false, 0),
    };
    let _ = write!(
        s,
        "master_repl_offset:{offset}\r\nsecond_repl_offset:-1\r\n"
    );
    let _ = write!(s, "repl_backlog_active:{}\r\n", active as u8);
    let _ = write!(s, "repl_backlog_size:{}\r\n", e.config.repl_backlog_size);
    let first = if active { offset + 1 - histlen } else { 0 };
    let _ = write!(s, "repl_backlog_first_byte_offset:{first}\r\n");
    let _ = write!(s, "repl_backlog_histlen:{histlen}\r\n");
    s
}

/// Counters for INFO stats (`sync_full`, `sync_partial_ok`, `sync_partial_err`).
pub fn sync_counters(e: &Engine) -> (u64, u64, u64) {
    e.ext
        .get::<crate::Repl>()
        .map(|r| (r.sync_full, r.sync_partial_ok, r.sync_partial_err))
        .unwrap_or_default()
}
