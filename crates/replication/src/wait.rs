//! WAIT numreplicas timeout: blocks the caller until enough online replicas
//! acknowledged (`REPLCONF ACK`) the stream up to its writes, or the timeout
//! passes; answers the number of replicas that did. Blocking asks every
//! replica for an acknowledgement (`REPLCONF GETACK *` in the stream), once
//! until the stream moves on, as Redis does once per event-loop iteration.
//!
//! The client is parked with the core's blocking machinery (no keys, no core
//! deadline); acknowledgements and the cron release it with
//! `push_to_client`. The offset waited for is the client's own `woff` (the
//! stream offset right after its last command that propagated), as Redis
//! does. The GETACK request goes out after the command, from [`flush`]
//! (Redis sends it from beforeSleep), so that it never counts in a `woff`.
//!
//! [`flush`]: crate::flush

use crate::{fullsync, shared};
use ember_core::args::{self, Args};
use ember_core::blocking::BlockKind;
use ember_core::client::{ClientId, ReplyMode};
use ember_core::{CmdError, CmdResult, Ctx, Engine, Reply};

struct Waiter {
    id: ClientId,
    offset: u64,
    replicas: i64,
    deadline: Option<i64>,
}

#[derive(Default)]
pub struct Waits {
    list: Vec<Waiter>,
    /// Stream offset right after the last GETACK we fed.
    getack: Option<u64>,
    /// A WAIT blocked: ask the replicas for an acknowledgement after the command.
    want_getack: bool,
}

/// Online replicas that acknowledged at least `offset` (Redis's
/// replicationCountAcksByOffset).
pub fn count_acks(engine: &Engine, offset: u64) -> i64 {
    let Some(r) = engine.ext.get::<crate::Repl>() else {
        return 0;
    };
    r.replicas
        .iter()
        .filter(|x| x.ack_offset >= offset && fullsync::is_online(engine, x.id))
        .count() as i64
}

pub fn wait(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    if ctx.engine.is_replica {
        return Err(CmdError::err(
            "WAIT cannot be used with replica instances. Please also note that since Redis 4.0 \
             if a replica is configured to be writable (which is not the default) writes to \
             replicas are just local and are not propagated.",
        ));
    }
    let replicas = args::parse_i64(args.next()?)?;
    let timeout = args::parse_i64(args.next()?)
        .map_err(|_| CmdError::err("timeout is not an integer or out of range"))?;
    if timeout < 0 {
        return Err(CmdError::err("timeout is negative"));
    }
    let offset = ctx.client().woff;
    let acked = count_acks(ctx.engine, offset);
    if acked >= replicas || ctx.blocking_denied() {
        return Ok(Reply::Integer(acked));
    }
    let deadline = (timeout > 0).then(|| ctx.now_ms.saturating_add(timeout));
    ctx.block(BlockKind::List, &[], None)?;
    let id = ctx.client_id;
    let w = ctx.engine.ext.get_or_default::<Waits>();
    w.list.retain(|x| x.id != id);
    w.list.push(Waiter {
        id,
        offset,
        replicas,
        deadline,
    });
    w.want_getack = true;
    ctx.engine.blocking.timeout_reply = Some(timeout_reply);
    // The front end runs `flush` (which sends the GETACK) when woken.
    if let Some(n) = ctx
        .engine
        .ext
        .get::<crate::Repl>()
        .and_then(|r| r.notify.clone())
    {
        n();
    }
    Ok(Reply::NilArray)
}

/// CLIENT UNBLOCK (timeout form) on a WAIT: the number of replicas that
/// acknowledged so far (Redis's replyToBlockedClientTimedOut).
fn timeout_reply(engine: &mut Engine, id: ClientId) -> Option<Reply> {
    let w = engine.ext.get_mut::<Waits>()?;
    let i = w.list.iter().position(|x| x.id == id)?;
    let x = w.list.remove(i);
    Some(Reply::Integer(count_acks(engine, x.offset)))
}

/// Sends the GETACK a blocked WAIT asked for (called by [`crate::flush`]).
pub fn send_getack(engine: &mut Engine) {
    let Some(w) = engine.ext.get_mut::<Waits>() else {
        return;
    };
    if !std::mem::take(&mut w.want_getack) || w.list.is_empty() {
        return;
    }
    request_acks(engine);
}

/// Feeds `REPLCONF GETACK *` unless one is already the stream's last command.
fn request_acks(engine: &mut Engine) {
    let sh = shared(engine);
    let w = engine.ext.get_or_default::<Waits>();
    let mut s = sh.lock();
    if w.getack == Some(s.offset) {
        return;
    }
    let mut buf = Vec::new();
    crate::encode_argv(&[b"REPLCONF".as_slice(), b"GETACK", b"*"], &mut buf);
    s.feed_raw(&buf);
    w.getack = Some(s.offset);
}

/// Answers waiters whose replicas acknowledged enough, or whose timeout
/// passed (Redis's processClientsWaitingReplicas and the WAIT timeout).
pub fn process(engine: &mut Engine) {
    let Some(w) = engine.ext.get_mut::<Waits>() else {
        return;
    };
    if w.list.is_empty() {
        return;
    }
    let list = std::mem::take(&mut w.list);
    let now = engine.now_ms();
    let mut keep = Vec::new();
    for x in list {
        // Unblocked meanwhile (CLIENT UNBLOCK) or gone: forget it.
        if engine
            .clients
            .get(&x.id)
            .is_none_or(|c| c.blocked.is_none())
        {
            continue;
        }
        let acked = count_acks(engine, x.offset);
        if acked >= x.replicas || x.deadline.is_some_and(|d| now >= d) {
            ember_core::blocking::unblock(engine, x.id);
            count_call(engine);
            let off = engine
                .clients
                .get(&x.id)
                .is_none_or(|c| c.reply_mode == ReplyMode::Off);
            if !off {
                engine.push_to_client(x.id, &Reply::Integer(acked));
            }
        } else {
            keep.push(x);
        }
    }
    let w = engine.ext.get_or_default::<Waits>();
    keep.append(&mut w.list);
    w.list = keep;
}

/// A blocked call is counted when it ends, as Redis does.
fn count_call(engine: &Engine) {
    if let Some(cmd) = engine.table.lookup(b"wait") {
        cmd.stats
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Clients waiting in WAIT (for tests and INFO-like checks).
pub fn waiting(engine: &Engine) -> usize {
    engine.ext.get::<Waits>().map_or(0, |w| w.list.len())
}
