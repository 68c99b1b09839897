//! SINTER/SUNION/SDIFF and their STORE and CARD forms (Redis's
//! sinterGenericCommand and sunionDiffGenericCommand), plus SMEMBERS.
//!
//! Results are built the way Redis builds them (a fresh intset that converts as
//! members arrive, SDIFF's two algorithms), so the stored encoding and the
//! reply order of integer results match.

use super::{max_intset, member_reply};
use crate::args::Args;
use crate::ctx::{classes, Ctx};
use crate::error::{CmdError, CmdResult};
use crate::types::set::SetValue;
use crate::value::Value;
use bytes::Bytes;
use ember_resp::Reply;

/// Looks up every key in order (lazy expiry, hit/miss statistics); the first
/// non-set key is `WRONGTYPE` whatever the others hold. Returns which exist.
fn lookup_all(ctx: &mut Ctx, keys: &[Bytes]) -> Result<Vec<bool>, CmdError> {
    keys.iter()
        .map(|k| match ctx.lookup_read(k) {
            None => Ok(false),
            Some(Value::Set(_)) => Ok(true),
            Some(_) => Err(CmdError::WrongType),
        })
        .collect()
}

/// The sets of already looked-up keys (`None` for missing ones).
fn sets_of<'e>(ctx: &'e Ctx, keys: &[Bytes], present: &[bool]) -> Vec<Option<&'e SetValue>> {
    let db = &ctx.engine.dbs[ctx.db_index];
    keys.iter()
        .zip(present)
        .map(|(k, &p)| match db.get_raw(k) {
            Some(Value::Set(s)) if p => Some(&**s),
            _ => None,
        })
        .collect()
}

/// What an intersection produces.
enum InterOut {
    Reply,
    Card(usize),
    Store(Bytes),
}

pub(super) fn sinter(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let keys = args.rest();
    sinter_generic(ctx, keys, InterOut::Reply)
}

pub(super) fn sinterstore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let dst = args.next()?.clone();
    sinter_generic(ctx, args.rest(), InterOut::Store(dst))
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit].
pub(super) fn sintercard(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let numkeys = match ember_resp::num::parse_i64(args.next()?) {
        Some(n) if n >= 1 => n as usize,
        _ => return Err(CmdError::err("numkeys should be greater than 0")),
    };
    if numkeys > args.remaining() {
        return Err(CmdError::err(
            "Number of keys can't be greater than number of args",
        ));
    }
    let keys = &args.rest()[..numkeys];
    let mut opts = Args::new(args.rest(), numkeys);
    let mut limit = 0usize;
    while let Some(opt) = opts.next_opt() {
        if super::args::is(opt, "limit") && !opts.is_empty() {
            limit = match ember_resp::num::parse_i64(opts.next()?) {
                Some(n) if n >= 0 => n as usize,
                _ => return Err(CmdError::err("LIMIT can't be negative")),
            };
        } else {
            return Err(CmdError::Syntax);
        }
    }
    sinter_generic(ctx, keys, InterOut::Card(limit))
}

fn sinter_generic(ctx: &mut Ctx, keys: &[Bytes], out: InterOut) -> CmdResult {
    let present = lookup_all(ctx, keys)?;
    if present.iter().any(|p| !p) {
        return Ok(match out {
            InterOut::Reply => Reply::Set(Vec::new()),
            InterOut::Card(_) => Reply::Integer(0),
            InterOut::Store(dst) => store(ctx, &dst, SetValue::default(), "sinterstore"),
        });
    }
    let max = max_intset(ctx);
    let mut sets: Vec<&SetValue> = sets_of(ctx, keys, &present).into_iter().flatten().collect();
    // Walk the smallest set, probing the others.
    sets.sort_by_key(|s| s.len());
    let (first, rest) = sets.split_first().expect("at least one key");
    let common = first
        .members()
        .filter(move |&m| rest.iter().all(|s| s.contains_member(m)));
    match out {
        InterOut::Reply => Ok(Reply::Set(common.map(member_reply).collect())),
        InterOut::Card(limit) => {
            let n = match limit {
                0 => common.count(),
                _ => common.take(limit).count(),
            };
            Ok(Reply::Integer(n as i64))
        }
        InterOut::Store(dst) => {
            let mut result = SetValue::default();
            common.for_each(|m| {
                result.add_member(m, max);
            });
            Ok(store(ctx, &dst, result, "sinterstore"))
        }
    }
}

/// Stores a STORE command's result: a non-empty set replaces `dst` (`event`),
/// an empty one deletes it (`del`). Replies with the cardinality.
fn store(ctx: &mut Ctx, dst: &[u8], result: SetValue, event: &str) -> Reply {
    let len = result.len();
    if len > 0 {
        ctx.set_key(dst, Value::Set(Box::new(result)), false);
        ctx.notify(classes::SET, event, dst);
        ctx.dirty(1);
    } else if ctx.delete_key(dst) {
        ctx.dirty(1);
        ctx.notify(classes::GENERIC, "del", dst);
    }
    Reply::Integer(len as i64)
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Diff,
}

pub(super) fn sunion(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    union_diff(ctx, args.rest(), None, Op::Union)
}

pub(super) fn sunionstore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let dst = args.next()?;
    union_diff(ctx, args.rest(), Some(dst), Op::Union)
}

pub(super) fn sdiff(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    union_diff(ctx, args.rest(), None, Op::Diff)
}

pub(super) fn sdiffstore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let dst = args.next()?;
    union_diff(ctx, args.rest(), Some(dst), Op::Diff)
}

fn union_diff(ctx: &mut Ctx, keys: &[Bytes], dst: Option<&Bytes>, op: Op) -> CmdResult {
    let present = lookup_all(ctx, keys)?;
    let max = max_intset(ctx);
    let sets = sets_of(ctx, keys, &present);
    let mut result = SetValue::default();
    match op {
        Op::Union => {
            for s in sets.iter().flatten() {
                s.members().for_each(|m| {
                    result.add_member(m, max);
                });
            }
        }
        Op::Diff => {
            if let Some(first) = sets[0] {
                // The first key named again: everything is subtracted.
                let same = keys[1..]
                    .iter()
                    .zip(&present[1..])
                    .any(|(k, &p)| p && *k == keys[0]);
                if !same {
                    diff_into(&mut result, first, &sets[1..], max);
                }
            }
        }
    }
    match dst {
        None => Ok(Reply::Set(result.members().map(member_reply).collect())),
        Some(dst) => {
            let event = if op == Op::Union {
                "sunionstore"
            } else {
                "sdiffstore"
            };
            Ok(store(ctx, dst, result, event))
        }
    }
}

/// `first` minus `others` into `out`, with the algorithm Redis would pick:
/// keep each member of `first` found in no other set (one), or copy `first`
/// and remove every member of the others (two). The choice shows in the
/// encoding: two can convert the copy to a hashtable before shrinking it.
fn diff_into(out: &mut SetValue, first: &SetValue, others: &[Option<&SetValue>], max: usize) {
    let present = 1 + others.iter().flatten().count();
    let algo_one = (present * first.len()) / 2;
    let algo_two = first.len() + others.iter().flatten().map(|s| s.len()).sum::<usize>();
    if algo_one <= algo_two {
        for m in first.members() {
            if !others.iter().flatten().any(|s| s.contains_member(m)) {
                out.add_member(m, max);
            }
        }
    } else {
        first.members().for_each(|m| {
            out.add_member(m, max);
        });
        for s in others.iter().flatten() {
            for m in s.members() {
                out.remove_member(m);
            }
            if out.is_empty() {
                break;
            }
        }
    }
}
