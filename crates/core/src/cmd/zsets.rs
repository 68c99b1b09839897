//! Sorted set commands (Redis's t_zset.c). Single-key commands live here;
//! ranges and range removals in `zsets_range.rs`, the set algebra
//! (ZUNION/ZINTER/ZDIFF and friends) in `zsets_store.rs`, pops in
//! `zsets_pop.rs`.

use crate::args::{self, Args};
use crate::cmd::strings::opt_is;
use crate::cmd::zsets_pop as pop;
use crate::cmd::zsets_range as range;
use crate::cmd::zsets_store as store;
use crate::command::{acl, flags::*, Command};
use crate::ctx::{classes, Ctx};
use crate::error::{CmdError, CmdResult};
use crate::types::zset::range::parse_score;
use crate::types::zset::{AddFlags, AddOutcome, LexRange, Limits, ScoreRange, ZSetValue};
use crate::value::Value;
use bytes::Bytes;
use ember_resp::{Proto, Reply};

pub fn commands() -> Vec<Command> {
    let r = READONLY;
    let z = acl::SORTEDSET;
    let rw = WRITE | DENYOOM;
    vec![
        Command::new("zadd", -4, rw | FAST, z, zadd)
            .keys(1, 1, 1)
            .member(3),
        Command::new("zincrby", 4, rw | FAST, z, zincrby)
            .keys(1, 1, 1)
            .member(3),
        Command::new("zrem", -3, WRITE | FAST, z, zrem)
            .keys(1, 1, 1)
            .member(2),
        Command::new("zcard", 2, r | FAST, z, zcard).keys(1, 1, 1),
        Command::new("zscore", 3, r | FAST, z, zscore)
            .keys(1, 1, 1)
            .member(2),
        Command::new("zmscore", -3, r | FAST, z, zmscore)
            .keys(1, 1, 1)
            .member(2),
        Command::new("zcount", 4, r | FAST, z, zcount).keys(1, 1, 1),
        Command::new("zlexcount", 4, r | FAST, z, zlexcount).keys(1, 1, 1),
        Command::new("zrank", 3, r | FAST, z, zrank)
            .keys(1, 1, 1)
            .member(2),
        Command::new("zrevrank", 3, r | FAST, z, zrevrank)
            .keys(1, 1, 1)
            .member(2),
        Command::new("zrange", -4, r, z, range::zrange).keys(1, 1, 1),
        Command::new("zrangestore", -5, rw, z, range::zrangestore).keys(1, 2, 1),
        Command::new("zrevrange", -4, r, z, range::zrevrange).keys(1, 1, 1),
        Command::new("zrangebyscore", -4, r, z, range::zrangebyscore).keys(1, 1, 1),
        Command::new("zrevrangebyscore", -4, r, z, range::zrevrangebyscore).keys(1, 1, 1),
        Command::new("zrangebylex", -4, r, z, range::zrangebylex).keys(1, 1, 1),
        Command::new("zrevrangebylex", -4, r, z, range::zrevrangebylex).keys(1, 1, 1),
        Command::new("zremrangebyrank", 4, WRITE, z, range::zremrangebyrank).keys(1, 1, 1),
        Command::new("zremrangebyscore", 4, WRITE, z, range::zremrangebyscore).keys(1, 1, 1),
        Command::new("zremrangebylex", 4, WRITE, z, range::zremrangebylex).keys(1, 1, 1),
        Command::new("zpopmin", -2, WRITE | FAST, z, pop::zpopmin).keys(1, 1, 1),
        Command::new("zpopmax", -2, WRITE | FAST, z, pop::zpopmax).keys(1, 1, 1),
        Command::new("zmpop", -4, WRITE, z, pop::zmpop).movable_keys(store::numkeys_keys),
        Command::new("zrandmember", -2, r, z, zrandmember).keys(1, 1, 1),
        Command::new("zunion", -3, r, z, store::zunion).movable_keys(store::numkeys_keys),
        Command::new("zinter", -3, r, z, store::zinter).movable_keys(store::numkeys_keys),
        Command::new("zdiff", -3, r, z, store::zdiff).movable_keys(store::numkeys_keys),
        Command::new("zunionstore", -4, rw, z, store::zunionstore)
            .keys(1, 1, 1)
            .movable_keys(store::store_keys),
        Command::new("zinterstore", -4, rw, z, store::zinterstore)
            .keys(1, 1, 1)
            .movable_keys(store::store_keys),
        Command::new("zdiffstore", -4, rw, z, store::zdiffstore)
            .keys(1, 1, 1)
            .movable_keys(store::store_keys),
        Command::new("zintercard", -3, r, z, store::zintercard).movable_keys(store::numkeys_keys),
        Command::new("zscan", -3, r, z, zscan).keys(1, 1, 1),
    ]
}

// ---- shared helpers -----------------------------------------------------------

/// The conversion thresholds from the configuration.
pub(crate) fn limits(ctx: &Ctx) -> Limits {
    let c = &ctx.engine.config;
    Limits::new(c.zset_max_listpack_entries, c.zset_max_listpack_value)
}

/// A sorted set for reading (counts hits/misses); `WRONGTYPE` for other types.
pub fn read_zset<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c ZSetValue>, CmdError> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// A sorted set for modification; `WRONGTYPE` for other types.
pub fn write_zset<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut ZSetValue>, CmdError> {
    match ctx.lookup_write(key) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// The sorted set at `key` once a lookup has vetted it (no expiry or stamp work).
pub(crate) fn vetted_zset<'c>(ctx: &'c mut Ctx, key: &[u8]) -> &'c mut ZSetValue {
    match ctx.db().get_raw_mut(key) {
        Some(Value::ZSet(z)) => z,
        _ => unreachable!("key was looked up as a sorted set"),
    }
}

/// True when the calling client speaks RESP3 (WITHSCORES then nests pairs).
pub(crate) fn resp3(ctx: &mut Ctx) -> bool {
    ctx.client().proto == Proto::Resp3
}

/// Members, or (member, score) pairs: a flat array in RESP2, an array of
/// two-element arrays in RESP3 (Redis's zrangeResultEmit*).
pub(crate) fn pairs_reply<'a>(
    items: impl IntoIterator<Item = (&'a [u8], f64)>,
    withscores: bool,
    resp3: bool,
) -> Reply {
    let mut out = Vec::new();
    for (m, s) in items {
        if !withscores {
            out.push(Reply::bulk(m));
        } else if resp3 {
            out.push(Reply::Array(vec![Reply::bulk(m), Reply::Double(s)]));
        } else {
            out.push(Reply::bulk(m));
            out.push(Reply::Double(s));
        }
    }
    Reply::Array(out)
}

/// Emits `del` for a key a command just emptied and removed.
pub(crate) fn delete_emptied(ctx: &mut Ctx, key: &[u8]) {
    ctx.delete_key(key);
    ctx.notify(classes::GENERIC, "del", key);
}

/// A store command's destination, when its result is empty: deleted (and
/// that announced and counted) if it exists.
pub(crate) fn delete_destination(ctx: &mut Ctx, key: &[u8]) {
    if ctx.delete_key(key) {
        ctx.notify(classes::GENERIC, "del", key);
        ctx.dirty(1);
    }
}

fn empty_array() -> CmdResult {
    Ok(Reply::Array(Vec::new()))
}

// ---- ZADD / ZINCRBY -----------------------------------------------------------

fn zadd(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zadd_generic(ctx, args, false)
}

fn zincrby(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zadd_generic(ctx, args, true)
}

/// ZADD and ZINCRBY (Redis's zaddGenericCommand): ZINCRBY is ZADD with INCR,
/// so it accepts (and trips over) the same option words.
pub(crate) fn zadd_generic(ctx: &mut Ctx, args: &mut Args, incr_cmd: bool) -> CmdResult {
    let argv = args.argv();
    let key = &argv[1];
    let mut f = AddFlags {
        incr: incr_cmd,
        ..AddFlags::default()
    };
    let mut ch = false;
    let mut i = 2;
    while let Some(o) = argv.get(i) {
        if opt_is(o, "nx") {
            f.nx = true;
        } else if opt_is(o, "xx") {
            f.xx = true;
        } else if opt_is(o, "ch") {
            ch = true;
        } else if opt_is(o, "incr") {
            f.incr = true;
        } else if opt_is(o, "gt") {
            f.gt = true;
        } else if opt_is(o, "lt") {
            f.lt = true;
        } else {
            break;
        }
        i += 1;
    }
    let pairs = &argv[i..];
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    if f.nx && f.xx {
        return Err(CmdError::err(
            "XX and NX options at the same time are not compatible",
        ));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(CmdError::err(
            "GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if f.incr && pairs.len() > 2 {
        return Err(CmdError::err(
            "INCR option supports a single increment-element pair",
        ));
    }
    let scores = pairs
        .chunks(2)
        .map(|p| parse_score(&p[0]).ok_or(CmdError::NotFloat))
        .collect::<Result<Vec<f64>, _>>()?;

    let limits = limits(ctx);
    let mut created: Option<ZSetValue> = None;
    let z: &mut ZSetValue = match write_zset(ctx, key)? {
        Some(z) => z,
        None if f.xx => {
            return Ok(if f.incr {
                Reply::Nil
            } else {
                Reply::Integer(0)
            })
        }
        None => created.insert(ZSetValue::for_first_member(pairs[1].len(), limits)),
    };
    let (mut added, mut updated, mut processed) = (0u64, 0u64, 0u64);
    let mut last = 0.0;
    let mut nan = false;
    for (p, &score) in pairs.chunks(2).zip(&scores) {
        match z.add(&p[1], score, f, limits) {
            Err(_) => {
                nan = true;
                break;
            }
            Ok(AddOutcome::Added(s)) => {
                added += 1;
                processed += 1;
                last = s;
            }
            Ok(AddOutcome::Updated(s)) => {
                updated += 1;
                processed += 1;
                last = s;
            }
            Ok(AddOutcome::Unchanged(s)) => {
                processed += 1;
                last = s;
            }
            Ok(AddOutcome::Nop) => {}
        }
    }
    if let Some(z) = created {
        ctx.set_key(key, Value::ZSet(z), false);
    } else if added + updated > 0 {
        ctx.signal_modified(key);
    }
    if added + updated > 0 {
        let event = if f.incr { "zincr" } else { "zadd" };
        ctx.notify(classes::ZSET, event, key);
    }
    if nan {
        return Err(CmdError::err("resulting score is not a number (NaN)"));
    }
    ctx.dirty(added + updated);
    Ok(if f.incr {
        if processed > 0 {
            Reply::Double(last)
        } else {
            Reply::Nil
        }
    } else {
        Reply::Integer((if ch { added + updated } else { added }) as i64)
    })
}

// ---- ZREM ---------------------------------------------------------------------

fn zrem(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let Some(z) = write_zset(ctx, key)? else {
        return Ok(Reply::Integer(0));
    };
    let mut deleted = 0u64;
    for m in args.rest() {
        if z.remove(m) {
            deleted += 1;
        }
        if z.is_empty() {
            break;
        }
    }
    let emptied = z.is_empty();
    if deleted > 0 {
        ctx.notify(classes::ZSET, "zrem", key);
        if emptied {
            delete_emptied(ctx, key);
        } else {
            ctx.signal_modified(key);
        }
        ctx.dirty(deleted);
    }
    Ok(Reply::Integer(deleted as i64))
}

// ---- reads --------------------------------------------------------------------

fn zcard(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    Ok(Reply::Integer(
        read_zset(ctx, key)?.map_or(0, |z| z.len()) as i64
    ))
}

fn zscore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let member = args.next()?;
    Ok(match read_zset(ctx, key)?.and_then(|z| z.score(member)) {
        Some(s) => Reply::Double(s),
        None => Reply::Nil,
    })
}

fn zmscore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let z = read_zset(ctx, key)?;
    Ok(Reply::Array(
        args.rest()
            .iter()
            .map(|m| match z.and_then(|z| z.score(m)) {
                Some(s) => Reply::Double(s),
                None => Reply::Nil,
            })
            .collect(),
    ))
}

fn zrank(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    rank_generic(ctx, args, false)
}

fn zrevrank(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    rank_generic(ctx, args, true)
}

fn rank_generic(ctx: &mut Ctx, args: &mut Args, rev: bool) -> CmdResult {
    let key = args.next()?;
    let member = args.next()?;
    let Some(z) = read_zset(ctx, key)? else {
        return Ok(Reply::Nil);
    };
    Ok(match z.rank(member) {
        Some(r) if rev => Reply::Integer((z.len() - 1 - r) as i64),
        Some(r) => Reply::Integer(r as i64),
        None => Reply::Nil,
    })
}

pub(crate) fn parse_score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
    ScoreRange::parse(min, max).ok_or_else(|| CmdError::err("min or max is not a float"))
}

pub(crate) fn parse_lex_range(min: &[u8], max: &[u8]) -> Result<LexRange, CmdError> {
    LexRange::parse(min, max).ok_or_else(|| CmdError::err("min or max not valid string range item"))
}

fn zcount(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let r = parse_score_range(args.next()?, args.next()?)?;
    let n = read_zset(ctx, key)?.map_or(0, |z| z.count_in_range(&r));
    Ok(Reply::Integer(n as i64))
}

fn zlexcount(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let r = parse_lex_range(args.next()?, args.next()?)?;
    let n = read_zset(ctx, key)?.map_or(0, |z| z.count_in_lex(&r));
    Ok(Reply::Integer(n as i64))
}

// ---- ZSCAN --------------------------------------------------------------------

/// A score as ZSCAN shows it: the compact encoding stores integral scores
/// within ±2^62 as integers (Redis's double2ll), which print without an
/// exponent; everything else prints with `%.17g`.
fn scan_score(score: f64, compact: bool) -> Vec<u8> {
    const LIMIT: f64 = (i64::MAX / 2) as f64;
    if compact && (-LIMIT..=LIMIT).contains(&score) && (score as i64) as f64 == score {
        return itoa::Buffer::new().format(score as i64).as_bytes().to_vec();
    }
    ember_resp::num::fmt_g17(score).into_bytes()
}

fn zscan(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let mut cursor = crate::cmd::scan::parse_cursor(args.next()?)?;
    let Some(z) = read_zset(ctx, key)? else {
        return Ok(Reply::Array(vec![
            Reply::bulk_static(b"0"),
            Reply::Array(Vec::new()),
        ]));
    };
    let mut count: i64 = 10;
    let mut pattern: Option<&Bytes> = None;
    while let Some(opt) = args.next_opt() {
        let has_value = !args.is_empty();
        if opt_is(opt, "count") && has_value {
            count = args.next_i64()?;
            if count < 1 {
                return Err(CmdError::Syntax);
            }
        } else if opt_is(opt, "match") && has_value {
            let p = args.next()?;
            pattern = (p.as_ref() != b"*").then_some(p);
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let compact = z.is_listpack();
    let mut found: Vec<(Vec<u8>, f64)> = Vec::new();
    let mut budget = count.saturating_mul(10);
    loop {
        cursor = z.scan(cursor, |m, s| found.push((m.to_vec(), s)));
        budget -= 1;
        // Redis counts list nodes: a member and its score are two.
        if cursor == 0 || budget < 0 || (found.len() as i64).saturating_mul(2) >= count {
            break;
        }
    }
    let mut out = Vec::with_capacity(found.len() * 2);
    for (m, s) in found {
        if let Some(p) = pattern {
            if !crate::glob::glob_match(p, &m, false) {
                continue;
            }
        }
        out.push(Reply::Bulk(Bytes::from(m)));
        out.push(Reply::Bulk(Bytes::from(scan_score(s, compact))));
    }
    Ok(Reply::Array(vec![
        Reply::bulk(itoa::Buffer::new().format(cursor).as_bytes()),
        Reply::Array(out),
    ]))
}

// ---- ZRANDMEMBER --------------------------------------------------------------

/// Negative counts ask for that many (repeatable) picks in one reply; Redis
/// streams them, Ember builds the reply in memory, so absurd counts are refused
/// instead of exhausting memory.
const MAX_RANDOM_PICKS: u64 = 1 << 24;

fn zrandmember(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let argc = args.argv().len();
    if argc >= 3 {
        let l = args.next_i64()?;
        if l == i64::MIN {
            return Err(CmdError::err(
                "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            ));
        }
        let withscores = match args.next_opt() {
            None => false,
            Some(w) if argc == 4 && args::is(w, "withscores") => true,
            Some(_) => return Err(CmdError::Syntax),
        };
        if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
            return Err(CmdError::err("value is out of range"));
        }
        return zrandmember_count(ctx, key, l, withscores);
    }
    if read_zset(ctx, key)?.is_none() {
        return Ok(Reply::Nil);
    }
    let (z, rng) = zset_and_rng(ctx, key);
    Ok(match z.random(rng) {
        Some((m, _)) => Reply::bulk(m),
        None => Reply::Nil,
    })
}

/// The (already vetted) sorted set at `key` together with the engine's RNG.
fn zset_and_rng<'c>(ctx: &'c mut Ctx, key: &[u8]) -> (&'c ZSetValue, &'c mut rand::rngs::SmallRng) {
    let db = ctx.db_index;
    let engine = &mut *ctx.engine;
    let z = match engine.dbs[db].get_raw(key) {
        Some(Value::ZSet(z)) => z,
        _ => unreachable!("key was looked up as a sorted set"),
    };
    (z, &mut engine.rng)
}

fn zrandmember_count(ctx: &mut Ctx, key: &Bytes, l: i64, withscores: bool) -> CmdResult {
    if read_zset(ctx, key)?.is_none() {
        return empty_array();
    }
    let r3 = resp3(ctx);
    let (z, rng) = zset_and_rng(ctx, key);
    let size = z.len();
    let (count, uniq) = if l >= 0 {
        (l as u64, true)
    } else {
        (l.unsigned_abs(), false)
    };
    if count == 0 {
        return empty_array();
    }
    let emit = |picks: Vec<(&[u8], f64)>| pairs_reply(picks, withscores, r3);
    // Case 1: repeatable picks (negative count), or a single one.
    if !uniq || count == 1 {
        if count > MAX_RANDOM_PICKS {
            return Err(CmdError::err("value is out of range"));
        }
        let all: Vec<(&[u8], f64)> = if z.is_listpack() {
            z.iter().collect()
        } else {
            Vec::new()
        };
        let mut picks = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let p = if all.is_empty() {
                z.random(rng).expect("non-empty")
            } else {
                all[rand::Rng::gen_range(rng, 0..all.len())]
            };
            picks.push(p);
        }
        return Ok(emit(picks));
    }
    // Case 2: asking for at least everything returns everything, walking from
    // the highest score down as Redis's iterator does.
    if count as usize >= size {
        return Ok(emit(z.iter_from(size - 1, true).collect()));
    }
    // Cases 3 and 4: `count` distinct members in no particular order.
    let mut all: Vec<(&[u8], f64)> = z.iter().collect();
    let count = count as usize;
    for i in 0..count {
        let j = rand::Rng::gen_range(rng, i..all.len());
        all.swap(i, j);
    }
    all.truncate(count);
    Ok(emit(all))
}

#[cfg(test)]
#[path = "zsets_tests.rs"]
mod tests;
