//! WAIT numreplicas timeout: blocks the caller until enough online replicas
//! acknowledged (`REPLCONF ACK`) the stream up to its writes, or the timeout
//! passes; answers the number of replicas that did. Blocking asks every
//! replica for an acknowledgement (`REPLCONF GETACK *` in the stream), once
//! until the stream moves on, as Redis does once per event-loop iteration.
//!
//! The client is parked with the core's blocking machinery (no keys, no core
//! deadline); acknowledgements and the cron release it with
//! `push_to_client`. The offset waited for is the stream offset when WAIT
//! runs (Redis waits for the client's own last write, which is never later).

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
    /// Stream offsets right before and right after the last GETACK we fed.
    getack: Option<(u64, u64)>,
}

/// The offset a WAIT waits for: the stream's end, not counting our own
/// trailing GETACK (replicas acknowledge it with the offset before it).
fn target_offset(engine: &mut Engine) -> u64 {
    let end = crate::master::master_offset(engine);
    match engine.ext.get::<Waits>().and_then(|w| w.getack) {
        Some((before, after)) if after == end => before,
        _ => end,
    }
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
    let offset = target_offset(ctx.engine);
    let acked = count_acks(ctx.engine, offset);
    if acked >= replicas || ctx.blocking_denied() {
        return Ok(Reply::Integer(acked));
    }
    let deadline = (timeout > 0).then(|| ctx.now_ms.saturating_add(timeout));
    ctx.block(BlockKind::List, &[], None)?;
    let id = ctx.client_id;
    let w = ctx.engine.ext.get_or_default::<Waits>();
    w.list.push(Waiter {
        id,
        offset,
        replicas,
        deadline,
    });
    request_acks(ctx.engine);
    Ok(Reply::NilArray)
}

/// Feeds `REPLCONF GETACK *` unless one is already the stream's last command.
fn request_acks(engine: &mut Engine) {
    let sh = shared(engine);
    let w = engine.ext.get_or_default::<Waits>();
    let mut s = sh.lock();
    if w.getack.is_some_and(|(_, after)| after == s.offset) {
        return;
    }
    let mut buf = Vec::new();
    crate::encode_argv(&[b"REPLCONF".as_slice(), b"GETACK", b"*"], &mut buf);
    let before = s.offset;
    s.feed_raw(&buf);
    w.getack = Some((before, s.offset));
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
