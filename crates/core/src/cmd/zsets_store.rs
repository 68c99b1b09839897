//! ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD (Redis's
//! zunionInterDiffGenericCommand). Plain sets are accepted as inputs, each
//! member scoring 1.

use crate::args::{parse_i64, Args};
use crate::cmd::strings::opt_is;
use crate::cmd::zsets::{limits, pairs_reply, resp3};
use crate::ctx::{classes, Ctx};
use crate::error::{CmdError, CmdResult};
use crate::types::set::SetValue;
use crate::types::zset::listpack::cmp_entries;
use crate::types::zset::range::parse_score;
use crate::types::zset::ZSetValue;
use crate::value::Value;
use ahash::AHashMap;
use bytes::Bytes;
use ember_resp::Reply;
use std::borrow::Cow;
use std::collections::hash_map::Entry;

/// Key positions of `CMD numkeys key [key ...] ...` (ZUNION, ZINTER, ZDIFF,
/// ZINTERCARD, ZMPOP).
pub(crate) fn numkeys_keys(argv: &[Bytes]) -> Vec<usize> {
    crate::cmd::sets::numkeys_positions(argv, 1, 2)
}

/// Key positions of `CMD destination numkeys key [key ...] ...`: the
/// destination first, as Redis's key specs list it.
pub(crate) fn store_keys(argv: &[Bytes]) -> Vec<usize> {
    let mut keys = crate::cmd::sets::numkeys_positions(argv, 2, 3);
    if !keys.is_empty() {
        keys.insert(0, 1);
    }
    keys
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Redis's zunionInterAggregate (inf + -inf sums to 0, not NaN).
    fn apply(self, target: &mut f64, v: f64) {
        match self {
            Aggregate::Sum => {
                *target += v;
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            Aggregate::Min => {
                if v < *target {
                    *target = v;
                }
            }
            Aggregate::Max => {
                if v > *target {
                    *target = v;
                }
            }
        }
    }
}

/// One input: a sorted set, a plain set (every member scores 1), or nothing.
#[derive(Clone, Copy)]
enum Src<'a> {
    Missing,
    ZSet(&'a ZSetValue),
    Set(&'a SetValue),
}

impl<'a> Src<'a> {
    fn len(&self) -> usize {
        match self {
            Src::Missing => 0,
            Src::ZSet(z) => z.len(),
            Src::Set(s) => s.len(),
        }
    }

    fn find(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::Missing => None,
            Src::ZSet(z) => z.score(m),
            Src::Set(s) => s.contains(m).then_some(1.0),
        }
    }

    fn iter(&self) -> Box<dyn Iterator<Item = (Cow<'a, [u8]>, f64)> + 'a> {
        match *self {
            Src::Missing => Box::new(std::iter::empty()),
            Src::ZSet(z) => Box::new(z.iter().map(|(m, s)| (Cow::Borrowed(m), s))),
            Src::Set(s) => Box::new(s.iter().map(|m| (m, 1.0))),
        }
    }

    /// The same stored value (the same key named twice).
    fn same(&self, other: &Src<'_>) -> bool {
        match (self, other) {
            (Src::ZSet(a), Src::ZSet(b)) => std::ptr::eq(*a, *b),
            (Src::Set(a), Src::Set(b)) => std::ptr::eq(*a, *b),
            _ => false,
        }
    }
}

pub fn zunion(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    generic(ctx, args.argv(), None, 1, Op::Union, false)
}

pub fn zinter(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    generic(ctx, args.argv(), None, 1, Op::Inter, false)
}

pub fn zdiff(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    generic(ctx, args.argv(), None, 1, Op::Diff, false)
}

pub fn zintercard(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    generic(ctx, args.argv(), None, 1, Op::Inter, true)
}

pub fn zunionstore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let argv = args.argv();
    generic(ctx, argv, Some(&argv[1]), 2, Op::Union, false)
}

pub fn zinterstore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let argv = args.argv();
    generic(ctx, argv, Some(&argv[1]), 2, Op::Inter, false)
}

pub fn zdiffstore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let argv = args.argv();
    generic(ctx, argv, Some(&argv[1]), 2, Op::Diff, false)
}

fn generic(
    ctx: &mut Ctx,
    argv: &[Bytes],
    dst: Option<&Bytes>,
    numkeys_at: usize,
    op: Op,
    card_only: bool,
) -> CmdResult {
    let setnum = parse_i64(&argv[numkeys_at])?;
    if setnum < 1 {
        return Err(CmdError::err(format!(
            "at least 1 input key is needed for '{}' command",
            ctx.cmd.full_name
        )));
    }
    let first_key = numkeys_at + 1;
    if setnum as u64 > (argv.len() - first_key) as u64 {
        return Err(CmdError::Syntax);
    }
    let n = setnum as usize;
    let keys = &argv[first_key..first_key + n];
    // Look every input up (expiry, statistics, type) before reading options,
    // as Redis does.
    let mut present = Vec::with_capacity(n);
    for k in keys {
        match ctx.lookup_read(k) {
            None => present.push(false),
            Some(Value::ZSet(_)) | Some(Value::Set(_)) => present.push(true),
            Some(_) => return Err(CmdError::WrongType),
        }
    }
    let mut weights = vec![1.0f64; n];
    let mut agg = Aggregate::Sum;
    let mut withscores = false;
    let mut limit: u64 = 0;
    let mut j = first_key + n;
    while j < argv.len() {
        let remaining = argv.len() - j;
        let a = &argv[j];
        if op != Op::Diff && !card_only && remaining > n && opt_is(a, "weights") {
            for (i, w) in weights.iter_mut().enumerate() {
                *w = parse_score(&argv[j + 1 + i])
                    .ok_or_else(|| CmdError::err("weight value is not a float"))?;
            }
            j += 1 + n;
        } else if op != Op::Diff && !card_only && remaining >= 2 && opt_is(a, "aggregate") {
            let v = &argv[j + 1];
            agg = if opt_is(v, "sum") {
                Aggregate::Sum
            } else if opt_is(v, "min") {
                Aggregate::Min
            } else if opt_is(v, "max") {
                Aggregate::Max
            } else {
                return Err(CmdError::Syntax);
            };
            j += 2;
        } else if dst.is_none() && !card_only && opt_is(a, "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && opt_is(a, "limit") {
            limit = match parse_i64(&argv[j + 1]) {
                Ok(v) if v >= 0 => v as u64,
                _ => return Err(CmdError::err("LIMIT can't be negative")),
            };
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let r3 = resp3(ctx);
    let lim = limits(ctx);

    let db = &ctx.engine.dbs[ctx.db_index];
    let mut src: Vec<(Src<'_>, f64)> = keys
        .iter()
        .zip(&present)
        .zip(&weights)
        .map(|((k, &here), &w)| {
            let s = match db.get_raw(k) {
                Some(Value::ZSet(z)) if here => Src::ZSet(z),
                Some(Value::Set(s)) if here => Src::Set(s),
                _ => Src::Missing,
            };
            (s, w)
        })
        .collect();
    if op != Op::Diff {
        // Smallest first (a stable sort, as glibc's qsort is a merge sort).
        src.sort_by_key(|(s, _)| s.len());
    }

    let mut result: Vec<(Cow<'_, [u8]>, f64)> = Vec::new();
    let mut cardinality: u64 = 0;
    match op {
        Op::Inter => {
            let (s0, w0) = src[0];
            for (m, sc) in s0.iter() {
                let mut score = w0 * sc;
                if score.is_nan() {
                    score = 0.0;
                }
                let mut everywhere = true;
                for &(sj, wj) in &src[1..] {
                    let v = if sj.same(&s0) { Some(sc) } else { sj.find(&m) };
                    match v {
                        Some(v) => agg.apply(&mut score, v * wj),
                        None => {
                            everywhere = false;
                            break;
                        }
                    }
                }
                if !everywhere {
                    continue;
                }
                if card_only {
                    cardinality += 1;
                    if limit > 0 && cardinality >= limit {
                        break;
                    }
                } else {
                    result.push((m, score));
                }
            }
        }
        Op::Union => {
            let mut acc: AHashMap<Cow<'_, [u8]>, f64> = AHashMap::new();
            for &(s, w) in &src {
                for (m, sc) in s.iter() {
                    let mut score = w * sc;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.entry(m) {
                        Entry::Vacant(e) => {
                            e.insert(score);
                        }
                        Entry::Occupied(mut e) => agg.apply(e.get_mut(), score),
                    }
                }
            }
            result = acc.into_iter().collect();
        }
        Op::Diff => {
            let (s0, _) = src[0];
            if !src[1..].iter().any(|(s, _)| s.same(&s0)) {
                for (m, sc) in s0.iter() {
                    if !src[1..].iter().any(|(s, _)| s.find(&m).is_some()) {
                        result.push((m, sc));
                    }
                }
            }
        }
    }
    if card_only {
        return Ok(Reply::Integer(cardinality as i64));
    }
    result.sort_unstable_by(|a, b| cmp_entries(a.1, &a.0, b.1, &b.0));

    let Some(dst) = dst else {
        return Ok(pairs_reply(
            result.iter().map(|(m, s)| (&m[..], *s)),
            withscores,
            r3,
        ));
    };
    let n = result.len();
    if n == 0 {
        crate::cmd::zsets::delete_destination(ctx, dst);
        return Ok(Reply::Integer(0));
    }
    let z = ZSetValue::from_sorted(&result, lim);
    drop(result);
    ctx.set_key(dst, Value::ZSet(z), false);
    let event = match op {
        Op::Union => "zunionstore",
        Op::Inter => "zinterstore",
        Op::Diff => "zdiffstore",
    };
    ctx.notify(classes::ZSET, event, dst);
    ctx.dirty(1);
    Ok(Reply::Integer(n as i64))
}
