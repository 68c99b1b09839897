//! ZRANGE and its older spellings (ZREVRANGE, Z[REV]RANGEBYSCORE,
//! Z[REV]RANGEBYLEX), ZRANGESTORE, and ZREMRANGEBYRANK/SCORE/LEX (Redis's
//! zrangeGenericCommand and zremrangeGenericCommand).

use crate::args::{parse_i64, Args};
use crate::cmd::strings::opt_is;
use crate::cmd::zsets::{
    limits, pairs_reply, parse_lex_range, parse_score_range, read_zset, resp3, write_zset,
};
use crate::ctx::{classes, Ctx};
use crate::error::{CmdError, CmdResult};
use crate::types::zset::ZSetValue;
use crate::value::Value;
use bytes::Bytes;
use ember_resp::Reply;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    Auto,
    Forward,
    Reverse,
}

pub fn zrange(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    range_generic(ctx, args.argv(), 1, None, Kind::Auto, Dir::Auto)
}

pub fn zrangestore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let argv = args.argv();
    range_generic(ctx, argv, 2, Some(&argv[1]), Kind::Auto, Dir::Auto)
}

pub fn zrevrange(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    range_generic(ctx, args.argv(), 1, None, Kind::Rank, Dir::Reverse)
}

pub fn zrangebyscore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    range_generic(ctx, args.argv(), 1, None, Kind::Score, Dir::Forward)
}

pub fn zrevrangebyscore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    range_generic(ctx, args.argv(), 1, None, Kind::Score, Dir::Reverse)
}

pub fn zrangebylex(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    range_generic(ctx, args.argv(), 1, None, Kind::Lex, Dir::Forward)
}

pub fn zrevrangebylex(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    range_generic(ctx, args.argv(), 1, None, Kind::Lex, Dir::Reverse)
}

/// Sanitises a rank range the Redis way; `None` when empty.
fn rank_bounds(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

/// `skip` entries then at most `limit` (negative: no limit); a negative
/// offset skips everything (Redis's `while (ln && offset--)` runs off the end).
fn window<'a>(
    it: impl Iterator<Item = (&'a [u8], f64)>,
    offset: i64,
    limit: i64,
) -> impl Iterator<Item = (&'a [u8], f64)> {
    let skip = if offset < 0 {
        usize::MAX
    } else {
        offset as usize
    };
    let take = if limit < 0 {
        usize::MAX
    } else {
        limit as usize
    };
    it.skip(skip).take(take)
}

fn range_generic(
    ctx: &mut Ctx,
    argv: &[Bytes],
    start: usize,
    dst: Option<&Bytes>,
    mut kind: Kind,
    mut dir: Dir,
) -> CmdResult {
    let key = &argv[start];
    let (mut minidx, mut maxidx) = (start + 1, start + 2);
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = start + 3;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = &argv[j];
        if dst.is_none() && opt_is(a, "withscores") {
            withscores = true;
        } else if opt_is(a, "limit") && left >= 2 {
            offset = parse_i64(&argv[j + 1])?;
            limit = parse_i64(&argv[j + 2])?;
            j += 2;
        } else if dir == Dir::Auto && opt_is(a, "rev") {
            dir = Dir::Reverse;
        } else if kind == Kind::Auto && opt_is(a, "bylex") {
            kind = Kind::Lex;
        } else if kind == Kind::Auto && opt_is(a, "byscore") {
            kind = Kind::Score;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let rev = dir == Dir::Reverse;
    if kind == Kind::Auto {
        kind = Kind::Rank;
    }
    if limit != -1 && kind == Kind::Rank {
        return Err(CmdError::err(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && kind == Kind::Lex {
        return Err(CmdError::err(
            "syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    if rev && kind != Kind::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    let (min, max) = (&argv[minidx], &argv[maxidx]);
    let (mut rank, mut score, mut lex) = (None, None, None);
    match kind {
        Kind::Score => score = Some(parse_score_range(min, max)?),
        Kind::Lex => lex = Some(parse_lex_range(min, max)?),
        _ => rank = Some((parse_i64(min)?, parse_i64(max)?)),
    }
    let r3 = resp3(ctx);
    let Some(z) = read_zset(ctx, key)? else {
        return match dst {
            Some(d) => store(ctx, d, Vec::new()),
            None => Ok(Reply::Array(Vec::new())),
        };
    };
    let mut out: Vec<(&[u8], f64)> = Vec::new();
    if let Some((s, e)) = rank {
        if let Some((s, e)) = rank_bounds(s, e, z.len()) {
            let n = e - s + 1;
            let from = if rev { z.len() - 1 - s } else { s };
            out.extend(z.iter_from(from, rev).take(n));
        }
    } else if let Some(r) = score {
        let skip_all = offset > 0 && offset as u64 >= z.len() as u64;
        let first = if rev {
            z.last_in_range(&r)
        } else {
            z.first_in_range(&r)
        };
        if let (Some(i), false) = (first, skip_all) {
            let it = window(z.iter_from(i, rev), offset, limit);
            if rev {
                out.extend(it.take_while(|&(_, s)| r.gte_min(s)));
            } else {
                out.extend(it.take_while(|&(_, s)| r.lte_max(s)));
            }
        }
    } else if let Some(r) = lex {
        let first = if rev {
            z.last_in_lex(&r)
        } else {
            z.first_in_lex(&r)
        };
        if let Some(i) = first {
            let it = window(z.iter_from(i, rev), offset, limit);
            if rev {
                out.extend(it.take_while(|&(m, _)| r.gte_min(m)));
            } else {
                out.extend(it.take_while(|&(m, _)| r.lte_max(m)));
            }
        }
    }
    match dst {
        Some(d) => {
            let mut owned: Vec<(Bytes, f64)> = out
                .into_iter()
                .map(|(m, s)| (Bytes::copy_from_slice(m), s))
                .collect();
            if rev {
                owned.reverse();
            }
            store(ctx, d, owned)
        }
        None => Ok(pairs_reply(out, withscores, r3)),
    }
}

/// ZRANGESTORE's destination: the range as a new sorted set (in ascending
/// order), or the destination deleted when the range is empty.
fn store(ctx: &mut Ctx, dst: &Bytes, items: Vec<(Bytes, f64)>) -> CmdResult {
    if items.is_empty() {
        crate::cmd::zsets::delete_destination(ctx, dst);
        return Ok(Reply::Integer(0));
    }
    let n = items.len();
    let z = ZSetValue::from_sorted(&items, limits(ctx));
    ctx.set_key(dst, Value::ZSet(z), false);
    ctx.notify(classes::ZSET, "zrangestore", dst);
    ctx.dirty(1);
    Ok(Reply::Integer(n as i64))
}

// ---- ZREMRANGEBY* -------------------------------------------------------------

pub fn zremrangebyrank(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    remrange_generic(ctx, args, Kind::Rank)
}

pub fn zremrangebyscore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    remrange_generic(ctx, args, Kind::Score)
}

pub fn zremrangebylex(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    remrange_generic(ctx, args, Kind::Lex)
}

fn remrange_generic(ctx: &mut Ctx, args: &mut Args, kind: Kind) -> CmdResult {
    let key = args.next()?;
    let (min, max) = (args.next()?, args.next()?);
    let (mut rank, mut score, mut lex) = (None, None, None);
    let event = match kind {
        Kind::Score => {
            score = Some(parse_score_range(min, max)?);
            "zremrangebyscore"
        }
        Kind::Lex => {
            lex = Some(parse_lex_range(min, max)?);
            "zremrangebylex"
        }
        _ => {
            rank = Some((parse_i64(min)?, parse_i64(max)?));
            "zremrangebyrank"
        }
    };
    let Some(z) = write_zset(ctx, key)? else {
        return Ok(Reply::Integer(0));
    };
    // The removed ranks: a contiguous run from `first`.
    let (first, n) = if let Some((s, e)) = rank {
        match rank_bounds(s, e, z.len()) {
            Some((s, e)) => (s, e - s + 1),
            None => return Ok(Reply::Integer(0)),
        }
    } else if let Some(r) = score {
        match z.first_in_range(&r) {
            Some(i) => (
                i,
                z.iter_from(i, false)
                    .take_while(|&(_, s)| r.lte_max(s))
                    .count(),
            ),
            None => (0, 0),
        }
    } else if let Some(r) = lex {
        match z.first_in_lex(&r) {
            Some(i) => (
                i,
                z.iter_from(i, false)
                    .take_while(|&(m, _)| r.lte_max(m))
                    .count(),
            ),
            None => (0, 0),
        }
    } else {
        (0, 0)
    };
    let deleted = if n > 0 {
        z.remove_range(first, first + n - 1)
    } else {
        0
    };
    let emptied = z.is_empty();
    if deleted > 0 {
        if emptied {
            ctx.delete_key(key);
        } else {
            ctx.signal_modified(key);
        }
        ctx.notify(classes::ZSET, event, key);
        if emptied {
            ctx.notify(classes::GENERIC, "del", key);
        }
    }
    ctx.dirty(deleted as u64);
    Ok(Reply::Integer(deleted as i64))
}
