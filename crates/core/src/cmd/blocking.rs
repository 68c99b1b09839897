//! Blocking pops and moves: BLPOP, BRPOP, BRPOPLPUSH, BLMOVE, BLMPOP,
//! BZPOPMIN, BZPOPMAX, BZMPOP.
//!
//! Each handler is its non-blocking form (the lists and sorted-set families'
//! data functions) plus `ctx.block(..)` when nothing is there. A woken client
//! runs the same handler again with `ctx.keys_to_try` narrowed to the key that
//! became ready (see `crate::blocking`). Writes propagate in the
//! deterministic non-blocking form: BLPOP -> LPOP key, BLMPOP -> LPOP key n,
//! BRPOPLPUSH -> RPOPLPUSH, BLMOVE -> LMOVE, as Redis 7.0.

use crate::args::{atoi, Args};
use crate::blocking::{parse_timeout, BlockKind};
use crate::cmd::lists;
use crate::cmd::strings::opt_is;
use crate::cmd::zsets::write_zset;
use crate::cmd::zsets_pop as zpop;
use crate::command::{acl, flags::*, Command};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::types::list::End;
use bytes::Bytes;
use ember_resp::Reply;

pub fn commands() -> Vec<Command> {
    let b = WRITE | NOSCRIPT | BLOCKING;
    let l = acl::LIST;
    let z = acl::SORTEDSET;
    vec![
        Command::new("blpop", -3, b, l, blpop).keys(1, -2, 1),
        Command::new("brpop", -3, b, l, brpop).keys(1, -2, 1),
        Command::new("brpoplpush", 4, b | DENYOOM, l, brpoplpush).keys(1, 2, 1),
        Command::new("blmove", 6, b | DENYOOM, l, blmove).keys(1, 2, 1),
        Command::new("blmpop", -5, WRITE | BLOCKING, l, blmpop).movable_keys(mpop_keys),
        Command::new("bzpopmin", -3, b | FAST, z, bzpopmin).keys(1, -2, 1),
        Command::new("bzpopmax", -3, b | FAST, z, bzpopmax).keys(1, -2, 1),
        Command::new("bzmpop", -5, WRITE | BLOCKING, z, bzmpop).movable_keys(mpop_keys),
    ]
}

/// `LPOP`/`RPOP` for an end.
fn pop_verb(end: End) -> Bytes {
    Bytes::from_static(match end {
        End::Head => b"LPOP",
        End::Tail => b"RPOP",
    })
}

/// `LEFT`/`RIGHT` (Redis's getListPositionFromObjectOrReply).
fn parse_end(arg: &[u8]) -> Result<End, CmdError> {
    if opt_is(arg, "left") {
        Ok(End::Head)
    } else if opt_is(arg, "right") {
        Ok(End::Tail)
    } else {
        Err(CmdError::Syntax)
    }
}

/// BLPOP/BRPOP `key [key ...] timeout`: pops one element from the first
/// non-empty list, or blocks.
fn bpop(ctx: &mut Ctx, args: &mut Args, end: End) -> CmdResult {
    let argv = args.argv();
    let (keys, timeout) = argv[1..].split_at(argv.len() - 2);
    let deadline = parse_timeout(&timeout[0], ctx.now_ms)?;
    for key in ctx.keys_to_try(keys) {
        if let Some(mut items) = lists::pop_from_key(ctx, key, end, 1)? {
            ctx.propagate_as(vec![pop_verb(end), key.clone()]);
            let value = items.pop().expect("one element popped");
            return Ok(Reply::Array(vec![
                Reply::Bulk(key.clone()),
                Reply::Bulk(value),
            ]));
        }
    }
    ctx.block(BlockKind::List, keys, deadline)
}

fn blpop(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    bpop(ctx, args, End::Head)
}

fn brpop(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    bpop(ctx, args, End::Tail)
}

/// BLMOVE and BRPOPLPUSH (`argv` is the whole command): an LMOVE when the
/// source has elements, else block on it. Inside MULTI the answer is a null
/// bulk (Redis's addReplyNull), on timeout a null array.
fn bmove(ctx: &mut Ctx, argv: &[Bytes], from: End, to: End) -> CmdResult {
    let (src, dst) = (&argv[1], &argv[2]);
    let deadline = parse_timeout(&argv[argv.len() - 1], ctx.now_ms)?;
    match lists::move_element(ctx, src, dst, from, to)? {
        Some(value) => {
            let propagated = move_propagation(ctx, argv, from, to);
            ctx.propagate_as(propagated);
            Ok(Reply::Bulk(value))
        }
        None if ctx.blocking_denied() => Ok(Reply::Nil),
        None => ctx.block(BlockKind::List, std::slice::from_ref(src), deadline),
    }
}

/// `RPOPLPUSH src dst`, or `LMOVE src dst from to` with the caller's words
/// (Redis rewrites the command) or, when serving a woken client, Redis's
/// lowercase `left`/`right`.
fn move_propagation(ctx: &Ctx, argv: &[Bytes], from: End, to: End) -> Vec<Bytes> {
    let (src, dst) = (argv[1].clone(), argv[2].clone());
    if argv.len() == 4 {
        return vec![Bytes::from_static(b"RPOPLPUSH"), src, dst];
    }
    let word = |e: End| {
        Bytes::from_static(match e {
            End::Head => b"left",
            End::Tail => b"right",
        })
    };
    let (w1, w2) = if ctx.engine.blocking.is_rerun() {
        (word(from), word(to))
    } else {
        (argv[3].clone(), argv[4].clone())
    };
    vec![Bytes::from_static(b"LMOVE"), src, dst, w1, w2]
}

fn brpoplpush(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    bmove(ctx, args.argv(), End::Tail, End::Head)
}

fn blmove(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let argv = args.argv();
    let from = parse_end(&argv[3])?;
    let to = parse_end(&argv[4])?;
    bmove(ctx, argv, from, to)
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]: the
/// arguments are checked before the timeout, as in Redis.
fn blmpop(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let argv = args.argv();
    let (keys, end, count) = lists::parse_mpop(argv, 2)?;
    let deadline = parse_timeout(&argv[1], ctx.now_ms)?;
    let to_try = ctx.keys_to_try(keys);
    let reply = lists::mpop(ctx, to_try, end, count)?;
    if !matches!(reply, Reply::NilArray) {
        return Ok(reply);
    }
    ctx.block(BlockKind::List, keys, deadline)
}

/// BZPOPMIN/BZPOPMAX `key [key ...] timeout`: `[key, member, score]` from
/// the first non-empty sorted set, or block.
fn bzpop(ctx: &mut Ctx, args: &mut Args, max: bool) -> CmdResult {
    let argv = args.argv();
    let (keys, timeout) = argv[1..].split_at(argv.len() - 2);
    let deadline = parse_timeout(&timeout[0], ctx.now_ms)?;
    for key in ctx.keys_to_try(keys) {
        if write_zset(ctx, key)?.is_none() {
            continue;
        }
        let Some((member, score)) = zpop::pop_from(ctx, key, max, 1).pop() else {
            continue;
        };
        let verb: &'static [u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
        ctx.propagate_as(vec![Bytes::from_static(verb), key.clone()]);
        return Ok(Reply::Array(vec![
            Reply::Bulk(key.clone()),
            Reply::Bulk(member),
            Reply::Double(score),
        ]));
    }
    ctx.block(BlockKind::ZSet, keys, deadline)
}

fn bzpopmin(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    bzpop(ctx, args, false)
}

fn bzpopmax(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    bzpop(ctx, args, true)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count].
fn bzmpop(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let argv = args.argv();
    let m = zpop::parse_mpop(argv, 2)?;
    let deadline = parse_timeout(&argv[1], ctx.now_ms)?;
    let to_try = zpop::Mpop {
        keys: ctx.keys_to_try(m.keys),
        max: m.max,
        count: m.count,
    };
    if let Some((key, popped)) = zpop::mpop(ctx, &to_try)? {
        return Ok(zpop::mpop_reply(key, &popped));
    }
    ctx.block(BlockKind::ZSet, m.keys, deadline)
}

/// Key positions of `B*MPOP timeout numkeys key ...` (numkeys read with
/// `atoi`; nothing when out of range).
fn mpop_keys(argv: &[Bytes]) -> Vec<usize> {
    let n = argv.get(2).map_or(0, |a| atoi(a));
    if n < 1 || n as usize > argv.len().saturating_sub(3) {
        return Vec::new();
    }
    (3..3 + n as usize).collect()
}

#[cfg(test)]
#[path = "blocking_tests.rs"]
mod tests;
