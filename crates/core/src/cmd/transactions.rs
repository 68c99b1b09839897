//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH. Queueing happens in the
//! engine's dispatch (after the checks that doom a transaction); the state
//! and the WATCH registry live in `crate::multi`.

use crate::args::Args;
use crate::command::{acl, flags::*, Command};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::multi;
use bytes::Bytes;
use ember_resp::Reply;

pub fn commands() -> Vec<Command> {
    let tx = acl::TRANSACTION;
    let base = NOSCRIPT | LOADING | STALE;
    vec![
        Command::new("multi", 1, base | FAST | ALLOW_BUSY, tx, multi_cmd),
        Command::new("exec", 1, base | SKIP_SLOWLOG, tx, exec),
        Command::new("discard", 1, base | FAST | ALLOW_BUSY, tx, discard),
        Command::new("watch", -2, base | FAST | ALLOW_BUSY, tx, watch).keys(1, -1, 1),
        Command::new("unwatch", 1, base | FAST | ALLOW_BUSY, tx, unwatch),
    ]
}

fn multi_cmd(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    let c = ctx.client();
    if c.tx.active {
        return Err(CmdError::err("MULTI calls can not be nested"));
    }
    c.tx.active = true;
    Ok(Reply::OK)
}

fn discard(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    if !ctx.client().tx.active {
        return Err(CmdError::err("DISCARD without MULTI"));
    }
    multi::discard(ctx.engine, ctx.client_id);
    Ok(Reply::OK)
}

fn exec(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    let id = ctx.client_id;
    if !ctx.client().tx.active {
        return Err(CmdError::err("EXEC without MULTI"));
    }
    // A watched key that expired since WATCH counts as modified.
    if multi::watched_key_expired(ctx.engine, id, ctx.now_ms) {
        ctx.client().tx.dirty_cas = true;
    }
    let (dirty_exec, dirty_cas) = {
        let tx = &ctx.client().tx;
        (tx.dirty_exec, tx.dirty_cas)
    };
    if dirty_exec {
        multi::discard(ctx.engine, id);
        return Err(CmdError::other(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    if dirty_cas {
        multi::discard(ctx.engine, id);
        return Ok(Reply::NilArray);
    }
    multi::unwatch_all(ctx.engine, id);
    let engine = &mut *ctx.engine;
    // Writes leave as one unit once every command ran.
    let outer = engine.prop_buffer.replace(Vec::new());
    let n = engine.clients.get(&id).map_or(0, |c| c.tx.queue.len());
    let mut replies = Vec::with_capacity(n);
    for i in 0..n {
        // The queue stays in place while it runs: CLIENT LIST shows `multi=`.
        let Some((cmd, argv, skip)) = engine
            .clients
            .get(&id)
            .and_then(|c| c.tx.queue.get(i))
            .map(|q| (q.cmd, q.argv.clone(), q.skip))
        else {
            break;
        };
        // Permissions may have changed since the command was queued.
        let reply = match crate::acl::exec_time_refusal(engine, id, cmd, &argv) {
            Some(err) => err.into(),
            None => engine.call(id, cmd, &argv, skip),
        };
        if let Reply::Error(text) = &reply {
            engine.stats.count_error(text);
        }
        replies.push(reply);
    }
    multi::discard(engine, id);
    let ops = std::mem::replace(&mut engine.prop_buffer, outer).unwrap_or_default();
    propagate_unit(engine, ops);
    ctx.propagate_nothing();
    // An inner SELECT moved the client; keep the caller's view in step.
    if let Some(c) = ctx.engine.clients.get(&id) {
        ctx.db_index = c.db;
    }
    Ok(Reply::Array(replies))
}

/// Propagates the writes of one EXEC: several are wrapped in MULTI/EXEC, a
/// single one goes alone (it is atomic by itself), as Redis 7.0 does.
fn propagate_unit(engine: &mut crate::engine::Engine, ops: Vec<(usize, Vec<Bytes>, bool)>) {
    let wrap = ops.len() > 1;
    let (first_db, last_db) = match (ops.first(), ops.last()) {
        (Some(f), Some(l)) => (f.0, l.0),
        _ => return,
    };
    if wrap {
        engine.propagate(first_db, &[Bytes::from_static(b"MULTI")]);
    }
    for (db, argv, repl_only) in &ops {
        engine.propagate_op(*db, argv, *repl_only);
    }
    if wrap {
        engine.propagate(last_db, &[Bytes::from_static(b"EXEC")]);
    }
}

fn watch(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let c = ctx.client();
    if c.tx.active {
        return Err(CmdError::err("WATCH inside MULTI is not allowed"));
    }
    // Already doomed: watching more changes nothing.
    if c.tx.dirty_cas {
        return Ok(Reply::OK);
    }
    let (id, db, now) = (ctx.client_id, ctx.db_index, ctx.now_ms);
    for key in args.rest() {
        multi::watch(ctx.engine, id, db, key, now);
    }
    Ok(Reply::OK)
}

fn unwatch(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    multi::unwatch_all(ctx.engine, ctx.client_id);
    ctx.client().tx.dirty_cas = false;
    Ok(Reply::OK)
}

#[cfg(test)]
#[path = "transactions_tests.rs"]
mod tests;
