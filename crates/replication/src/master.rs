//! Master-side commands (REPLCONF, PSYNC, SYNC, ROLE, WAIT), the replication
//! cron (PINGs to replicas, full-sync scheduling, backlog TTL and size, good
//! replicas for `min-replicas-to-write`) and the INFO replication section.

use crate::{fullsync, ids, shared, state, wait, Replica};
use ember_core::args::{self, Args};
use ember_core::client::{ClientId, ClientKind, ReplyMode};
use ember_core::command::{acl, flags};
use ember_core::{Bytes, CmdError, CmdResult, Command, Config, Ctx, Engine, Reply};
use std::fmt::Write;

/// Redis's CONFIG_REPL_BACKLOG_MIN_SIZE.
const BACKLOG_MIN_SIZE: i64 = 16 * 1024;

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
        Command::new("wait", 3, NOSCRIPT, acl::SLOW | acl::CONNECTION, wait::wait),
    ]
    .into_iter()
    .chain(publish_commands())
    .collect()
}

/// What a replica said about itself before PSYNC (REPLCONF capa / ip-address).
#[derive(Clone, Debug, Default)]
pub struct Hello {
    pub id: ClientId,
    pub eof: bool,
    pub psync2: bool,
    pub ip: Option<String>,
}

/// Master-side state beyond `Repl` (kept in the engine's extensions).
#[derive(Default)]
pub struct MasterState {
    pub hellos: Vec<Hello>,
    /// When the last replica left (ms; 0 = never had one), for `repl-backlog-ttl`.
    pub no_replicas_since_ms: i64,
    /// Last time waiting replicas were sent a keepalive newline (ms).
    pub last_newline_ms: i64,
}

fn mstate(engine: &mut Engine) -> &mut MasterState {
    engine.ext.get_or_default::<MasterState>()
}

fn hello(engine: &mut Engine, id: ClientId) -> &mut Hello {
    let m = mstate(engine);
    if let Some(i) = m.hellos.iter().position(|h| h.id == id) {
        return &mut m.hellos[i];
    }
    m.hellos.push(Hello {
        id,
        ..Default::default()
    });
    m.hellos.last_mut().expect("just pushed")
}

fn hello_of(engine: &Engine, id: ClientId) -> Option<&Hello> {
    engine
        .ext
        .get::<MasterState>()
        .and_then(|m| m.hellos.iter().find(|h| h.id == id))
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
        } else if args::is(opt, "ip-address") {
            if val.len() >= 256 {
                return Err(CmdError::err(format!(
                    "REPLCONF ip-address provided by replica instance is too long: {} bytes",
                    val.len()
                )));
            }
            let ip = String::from_utf8_lossy(val).into_owned();
            hello(ctx.engine, ctx.client_id).ip = Some(ip);
        } else if args::is(opt, "capa") {
            let h = hello(ctx.engine, ctx.client_id);
            if args::is(val, "eof") {
                h.eof = true;
            } else if args::is(val, "psync2") {
                h.psync2 = true;
            }
        } else if args::is(opt, "ack") {
            // Only replicas acknowledge, and acknowledgements are never answered.
            no_reply(ctx);
            if ctx.client().kind != ClientKind::Replica {
                return Ok(Reply::OK);
            }
            let Ok(off) = args::parse_i64(val) else {
                return Ok(Reply::OK);
            };
            let (id, now) = (ctx.client_id, ctx.now_ms);
            if let Some(r) = state(ctx.engine).replicas.iter_mut().find(|r| r.id == id) {
                r.ack_offset = r.ack_offset.max(off.max(0) as u64);
                r.ack_ms = now;
            }
            fullsync::on_ack(ctx.engine, id);
            wait::process(ctx.engine);
            return Ok(Reply::OK);
        } else if args::is(opt, "getack") {
            // A master has nothing to acknowledge (a replica's link answers its master).
            no_reply(ctx);
            return Ok(Reply::OK);
        } else if args::is(opt, "rdb-only") {
            let v = args::parse_i64(val)?;
            if !(0..=1).contains(&v) {
                return Err(CmdError::err("value is out of range, must be 0 or 1"));
            }
        } else if args::is(opt, "rdb-filter-only") {
            let text = String::from_utf8_lossy(val).into_owned();
            for f in text.split_ascii_whitespace() {
                if !f.eq_ignore_ascii_case("functions") {
                    return Err(CmdError::err(format!(
                        "Unsupported rdb-filter-only option: {f}"
                    )));
                }
            }
        } else {
            return Err(CmdError::err(format!(
                "Unrecognized REPLCONF option: {}",
                String::from_utf8_lossy(opt)
            )));
        }
    }
    Ok(Reply::OK)
}

/// Marks the caller as a replica (Redis's CLIENT_SLAVE) and lists it.
fn register_replica(ctx: &mut Ctx) {
    let id = ctx.client_id;
    let now = ctx.now_ms;
    let peer_ip = {
        let c = ctx.client();
        c.kind = ClientKind::Replica;
        c.addr
            .rsplit_once(':')
            .map(|(ip, _)| ip.to_string())
            .unwrap_or_default()
    };
    let ip = hello_of(ctx.engine, id)
        .and_then(|h| h.ip.clone())
        .unwrap_or(peer_ip);
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
    mstate(ctx.engine).no_replicas_since_ms = 0;
}

fn already_replica(ctx: &mut Ctx) -> bool {
    ctx.client().kind == ClientKind::Replica
}

/// Checks shared by PSYNC and SYNC; Some(reply) ends the command.
fn sync_precheck(ctx: &mut Ctx) -> Option<CmdResult> {
    if already_replica(ctx) {
        no_reply(ctx);
        return Some(Ok(Reply::OK));
    }
    if ctx.engine.is_replica && !crate::replica::is_connected_replica(ctx.engine) {
        return Some(Err(CmdError::other(
            "NOMASTERLINK Can't SYNC while not connected with my master",
        )));
    }
    None
}

/// The first replica of a master without a backlog starts a new history
/// (Redis's syncCommand: changeReplicationId + clearReplicationId2).
fn ensure_backlog(engine: &mut Engine) {
    let exists = engine
        .ext
        .get::<crate::Repl>()
        .and_then(|r| r.shared.as_ref())
        .is_some_and(|s| s.lock().backlog.is_active());
    if exists {
        return;
    }
    if !engine.is_replica {
        engine.replid = ember_core::cmd::server::random_hex40(&mut engine.rng);
        ids::clear_replid2(engine);
    }
    let size = engine.config.repl_backlog_size.max(1) as usize;
    let sh = shared(engine);
    let mut s = sh.lock();
    s.backlog.activate(size);
}

fn psync(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    if let Some(r) = sync_precheck(ctx) {
        return r;
    }
    let replid = args.next()?.clone();
    let want = args::parse_i64(args.next()?)?;
    // Partial resync: our history (or the previous one up to where it
    // ended) and the requested bytes still in the backlog.
    if ids::history_matches(ctx.engine, &replid, want) && want >= 0 {
        let sh = shared(ctx.engine);
        let tail = {
            let s = sh.lock();
            if s.backlog.is_active() {
                s.backlog.since(want as u64, s.offset)
            } else {
                None
            }
        };
        if let Some(tail) = tail {
            state(ctx.engine).sync_partial_ok += 1;
            ctx.engine.stats.sync_partial_ok += 1;
            let psync2 = hello_of(ctx.engine, ctx.client_id).is_some_and(|h| h.psync2);
            let mut out = if psync2 {
                format!("+CONTINUE {}\r\n", ctx.engine.replid).into_bytes()
            } else {
                b"+CONTINUE\r\n".to_vec()
            };
            out.extend_from_slice(&tail);
            register_replica(ctx);
            let id = ctx.client_id;
            let mut s = sh.lock();
            s.outs.retain(|(c, _)| *c != id);
            s.outs.push((id, out));
            if let Some(n) = &s.notify {
                n();
            }
            drop(s);
            refresh_good_replicas(ctx.engine);
            no_reply(ctx);
            return Ok(Reply::OK);
        }
    }
    let st = state(ctx.engine);
    st.sync_full += 1;
    let err = replid.first() != Some(&b'?');
    if err {
        st.sync_partial_err += 1;
        ctx.engine.stats.sync_partial_err += 1;
    }
    ctx.engine.stats.sync_full += 1;
    full_sync(ctx, false);
    Ok(Reply::OK)
}

fn full_sync(ctx: &mut Ctx, old_sync: bool) {
    no_reply(ctx);
    register_replica(ctx);
    ensure_backlog(ctx.engine);
    let eof = hello_of(ctx.engine, ctx.client_id).is_some_and(|h| h.eof);
    fullsync::request(ctx.engine, ctx.client_id, eof, old_sync);
}

/// The pre-PSYNC protocol: the transfer is the whole reply.
fn sync(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    if let Some(r) = sync_precheck(ctx) {
        return r;
    }
    state(ctx.engine).sync_full += 1;
    ctx.engine.stats.sync_full += 1;
    full_sync(ctx, true);
    Ok(Reply::OK)
}

fn role(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    let offset = master_offset(ctx.engine);
    let e = &*ctx.engine;
    let replicas = e
        .ext
        .get::<crate::Repl>()
        .map(|r| r.replicas.as_slice())
        .unwrap_or(&[])
        .iter()
        .filter(|r| fullsync::is_online(e, r.id))
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

/// Online replicas whose last acknowledgement is at most
/// `min-replicas-max-lag` seconds old (Redis's refreshGoodSlavesCount).
pub fn refresh_good_replicas(engine: &mut Engine) {
    let now = engine.now_ms();
    let max_lag = engine.config.min_replicas_max_lag;
    let good = match engine.ext.get::<crate::Repl>() {
        Some(r) => r
            .replicas
            .iter()
            .filter(|x| fullsync::is_online(engine, x.id) && (now - x.ack_ms) / 1000 <= max_lag)
            .count(),
        None => 0,
    };
    engine.repl_good_replicas = good;
}

/// CONFIG SET repl-backlog-size: at least 16 KiB, and the backlog follows
/// (Redis's resizeReplicationBacklog).
pub fn config_hook(engine: &mut Engine, _old: &Config) -> Result<(), String> {
    if engine.config.repl_backlog_size < BACKLOG_MIN_SIZE {
        engine.config.repl_backlog_size = BACKLOG_MIN_SIZE;
    }
    let size = engine.config.repl_backlog_size as usize;
    if let Some(sh) = engine
        .ext
        .get::<crate::Repl>()
        .and_then(|r| r.shared.clone())
    {
        sh.lock().backlog.resize(size);
    }
    Ok(())
}

/// Replication cron: PINGs through the stream every
/// `repl-ping-replica-period` seconds (masters only: a replica proxies its
/// master's), keepalive newlines to replicas waiting for a transfer,
/// full-sync scheduling, the backlog TTL, WAIT timeouts, good replicas.
pub fn cron(engine: &mut Engine) {
    let now = engine.now_ms();
    // Forget replicas whose connection is gone.
    crate::flush(engine);
    let alive: Vec<ClientId> = engine.clients.keys().copied().collect();
    mstate(engine).hellos.retain(|h| alive.contains(&h.id));
    let period = engine.config.repl_ping_replica_period.max(1) as u64;
    let is_replica = engine.is_replica;
    let st = state(engine);
    let has_replicas = !st.replicas.is_empty();
    // As Redis's once-a-second replicationCron: a PING on the seconds that
    // are multiples of the period, counted from the start, so a replica
    // that attaches in between hears none until the next such second.
    let mut ping_second = false;
    if now - st.last_second_ms >= 1000 {
        st.last_second_ms = now;
        ping_second = st.cron_seconds.is_multiple_of(period);
        st.cron_seconds += 1;
    }
    if !is_replica && has_replicas && ping_second {
        if let Some(s) = st.shared.clone() {
            let mut ping = Vec::new();
            crate::encode_argv(&[b"ping".as_slice()], &mut ping);
            s.lock().feed_raw(&ping);
        }
    }
    keepalive_waiting(engine, now);
    fullsync::maybe_start(engine);
    backlog_ttl(engine, now, has_replicas);
    wait::process(engine);
    refresh_good_replicas(engine);
    crate::flush(engine);
}

/// Once a second, a newline to replicas still waiting for their transfer
/// (Redis's keepalive while the snapshot is prepared).
fn keepalive_waiting(engine: &mut Engine, now: i64) {
    let ids = fullsync::keepalive_ids(engine);
    if ids.is_empty() {
        return;
    }
    let m = mstate(engine);
    if now - m.last_newline_ms < 1000 {
        return;
    }
    m.last_newline_ms = now;
    for id in ids {
        if let Some(c) = engine.clients.get_mut(&id) {
            c.pending.push(b'\n');
            c.wake();
        }
    }
}

/// `repl-backlog-ttl`: a master without replicas for that long frees its
/// backlog and starts a new history.
fn backlog_ttl(engine: &mut Engine, now: i64, has_replicas: bool) {
    if engine.is_replica || has_replicas {
        return;
    }
    let ttl = engine.config.repl_backlog_ttl;
    let Some(sh) = engine
        .ext
        .get::<crate::Repl>()
        .and_then(|r| r.shared.clone())
    else {
        return;
    };
    if !sh.lock().backlog.is_active() {
        return;
    }
    let m = mstate(engine);
    if m.no_replicas_since_ms == 0 {
        m.no_replicas_since_ms = now;
        return;
    }
    if ttl > 0 && now - m.no_replicas_since_ms > ttl * 1000 {
        engine.replid = ember_core::cmd::server::random_hex40(&mut engine.rng);
        ids::clear_replid2(engine);
        sh.lock().backlog.free();
    }
}

/// INFO replication (the master's form; the replica layer swaps the first
/// line, `role:master`, for its own block).
pub fn info_section(e: &Engine) -> String {
    let mut s = String::new();
    let repl = e.ext.get::<crate::Repl>();
    let replicas = repl.map(|r| r.replicas.as_slice()).unwrap_or(&[]);
    let now = e.now_ms();
    let _ = write!(s, "role:master\r\nconnected_slaves:{}\r\n", replicas.len());
    if e.config.min_replicas_to_write > 0 && e.config.min_replicas_max_lag > 0 {
        let _ = write!(s, "min_slaves_good_slaves:{}\r\n", e.repl_good_replicas);
    }
    for (i, r) in replicas.iter().enumerate() {
        let _ = write!(
            s,
            "slave{i}:ip={},port={},state={},offset={},lag={}\r\n",
            r.ip,
            r.port,
            fullsync::replica_state(e, r.id),
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
            let active = sh.backlog.is_active();
            (sh.offset, active, sh.backlog.histlen() as u64)
        }
        None => (0, false, 0),
    };
    let _ = write!(
        s,
        "master_repl_offset:{offset}\r\nsecond_repl_offset:{}\r\n",
        ids::second_offset(e)
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
    let s = &e.stats;
    (s.sync_full, s.sync_partial_ok, s.sync_partial_err)
}

static PUBLISH: std::sync::OnceLock<ember_core::command::Handler> = std::sync::OnceLock::new();
static SPUBLISH: std::sync::OnceLock<ember_core::command::Handler> = std::sync::OnceLock::new();

/// PUBLISH and SPUBLISH as core defines them, plus their propagation to
/// replicas only, never to the AOF (Redis's forceCommandPropagation with
/// PROPAGATE_REPL): the rows replace core's.
pub fn publish_commands() -> Vec<Command> {
    ember_core::cmd::pubsub::commands()
        .into_iter()
        .filter_map(|c| {
            let (slot, h): (_, ember_core::command::Handler) = match c.name {
                "publish" => (&PUBLISH, publish_repl),
                "spublish" => (&SPUBLISH, spublish_repl),
                _ => return None,
            };
            let _ = slot.set(c.handler?);
            let mut row = c;
            row.handler = Some(h);
            Some(row)
        })
        .collect()
}

fn publish_repl(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    run_and_feed(&PUBLISH, ctx, args)
}

fn spublish_repl(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    run_and_feed(&SPUBLISH, ctx, args)
}

fn run_and_feed(
    h: &std::sync::OnceLock<ember_core::command::Handler>,
    ctx: &mut Ctx,
    args: &mut Args,
) -> CmdResult {
    let argv = args.argv().to_vec();
    let reply = (h.get().expect("set with the row"))(ctx, args)?;
    // Inside EXEC it joins the transaction's unit (Redis's alsoPropagate
    // with PROPAGATE_REPL); a replica's stream is its master's.
    if !ctx.engine.is_replica {
        let db = ctx.db_index;
        ctx.engine.propagate_repl_only(db, &argv);
    }
    Ok(reply)
}

#[cfg(test)]
#[path = "master_tests.rs"]
mod tests;
