//! Hash commands (Redis's t_hash.c): HSET HSETNX HMSET HGET HMGET HGETALL HDEL
//! HLEN HSTRLEN HKEYS HVALS HEXISTS HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN.
//!
//! Encodings and conversion rules live in [`crate::types::hash`]; this file
//! keeps Redis's order of checks (arity, argument parsing, type, then the
//! write), its replies, keyspace events and propagation.

#[cfg(test)]
mod tests;

use crate::args::Args;
use crate::cmd::strings::opt_is;
use crate::command::{acl, flags::*, Command};
use crate::ctx::{classes, Ctx};
use crate::error::{CmdError, CmdResult};
use crate::long_double::LongDouble;
use crate::types::hash::{HashValue, Limits};
use crate::value::Value;
use bytes::Bytes;
use ember_resp::{Proto, Reply};
use rand::Rng;

pub fn commands() -> Vec<Command> {
    let w = WRITE | DENYOOM | FAST;
    let rf = READONLY | FAST;
    let r = READONLY;
    let h = acl::HASH;
    vec![
        Command::new("hset", -4, w, h, hset).keys(1, 1, 1).member(2),
        Command::new("hsetnx", 4, w, h, hsetnx)
            .keys(1, 1, 1)
            .member(2),
        Command::new("hmset", -4, w, h, hmset)
            .keys(1, 1, 1)
            .member(2),
        Command::new("hget", 3, rf, h, hget).keys(1, 1, 1).member(2),
        Command::new("hmget", -3, rf, h, hmget)
            .keys(1, 1, 1)
            .member(2),
        Command::new("hgetall", 2, r, h, hgetall).keys(1, 1, 1),
        Command::new("hdel", -3, WRITE | FAST, h, hdel)
            .keys(1, 1, 1)
            .member(2),
        Command::new("hlen", 2, rf, h, hlen).keys(1, 1, 1),
        Command::new("hstrlen", 3, rf, h, hstrlen)
            .keys(1, 1, 1)
            .member(2),
        Command::new("hkeys", 2, r, h, hkeys).keys(1, 1, 1),
        Command::new("hvals", 2, r, h, hvals).keys(1, 1, 1),
        Command::new("hexists", 3, rf, h, hexists)
            .keys(1, 1, 1)
            .member(2),
        Command::new("hincrby", 4, w, h, hincrby)
            .keys(1, 1, 1)
            .member(2),
        Command::new("hincrbyfloat", 4, w, h, hincrbyfloat)
            .keys(1, 1, 1)
            .member(2),
        Command::new("hrandfield", -2, r, h, hrandfield).keys(1, 1, 1),
        Command::new("hscan", -3, r, h, hscan).keys(1, 1, 1),
    ]
}

/// The conversion thresholds from the configuration.
pub fn limits(ctx: &Ctx) -> Limits {
    let c = &ctx.engine.config;
    Limits {
        max_entries: usize::try_from(c.hash_max_listpack_entries).unwrap_or(usize::MAX),
        max_value: usize::try_from(c.hash_max_listpack_value).unwrap_or(usize::MAX),
    }
}

/// A hash for reading: `None` when missing, `WRONGTYPE` for other types.
pub fn read_hash<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c HashValue>, CmdError> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// A hash for modification: `None` when missing, `WRONGTYPE` for other types.
pub fn write_hash<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut HashValue>, CmdError> {
    match ctx.lookup_write(key) {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// Redis's `hashTypeLookupWriteOrCreate`: the hash at `key`, created empty
/// (listpack) when missing. Callers always store a field before returning.
fn hash_or_create<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<&'c mut HashValue, CmdError> {
    let exists = match ctx.lookup_write(key) {
        None => false,
        Some(Value::Hash(_)) => true,
        Some(_) => return Err(CmdError::WrongType),
    };
    if !exists {
        ctx.set_key(key, Value::Hash(HashValue::default()), false);
    }
    match ctx.db().get_raw_mut(key) {
        Some(Value::Hash(h)) => Ok(h),
        _ => unreachable!("hash present or just created"),
    }
}

/// The stored hash, for handlers that already checked it exists and need the
/// engine's RNG beside it.
fn stored<'e>(dbs: &'e [crate::db::Db], db: usize, key: &[u8]) -> &'e HashValue {
    match dbs[db].get_raw(key) {
        Some(Value::Hash(h)) => h,
        _ => unreachable!("looked up above"),
    }
}

fn hset(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    hset_generic(ctx, args).map(Reply::Integer)
}

/// HMSET: HSET that replies OK (deprecated in Redis, same handler there).
fn hmset(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    hset_generic(ctx, args).map(|_| Reply::OK)
}

/// HSET/HMSET key field value [field value ...]: the number of new fields.
fn hset_generic(ctx: &mut Ctx, args: &mut Args) -> Result<i64, CmdError> {
    let key = args.next()?;
    let pairs = args.rest();
    if !pairs.len().is_multiple_of(2) {
        return Err(CmdError::WrongArity(ctx.cmd.full_name.clone()));
    }
    let lim = limits(ctx);
    let h = hash_or_create(ctx, key)?;
    h.prepare(pairs.iter().map(|a| a.len()), &lim);
    let mut created = 0;
    for p in pairs.chunks_exact(2) {
        if h.set(&p[0], &p[1], &lim) {
            created += 1;
        }
    }
    ctx.signal_modified(key);
    ctx.notify(classes::HASH, "hset", key);
    ctx.dirty((pairs.len() / 2) as u64);
    Ok(created)
}

/// HSETNX key field value: 1 if set, 0 if the field existed. The conversion
/// check runs only when the field is new (Redis 7.0 order).
fn hsetnx(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let field = args.next()?;
    let value = args.next()?;
    let lim = limits(ctx);
    let h = hash_or_create(ctx, key)?;
    if h.contains(field) {
        return Ok(Reply::Integer(0));
    }
    h.prepare([field.len(), value.len()], &lim);
    h.set(field, value, &lim);
    ctx.signal_modified(key);
    ctx.notify(classes::HASH, "hset", key);
    ctx.dirty(1);
    Ok(Reply::Integer(1))
}

fn hget(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let field = args.next()?;
    Ok(match read_hash(ctx, key)?.and_then(|h| h.get(field)) {
        Some(v) => Reply::bulk(v),
        None => Reply::Nil,
    })
}

fn hmget(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let h = read_hash(ctx, key)?;
    Ok(Reply::Array(
        args.rest()
            .iter()
            .map(|f| match h.and_then(|h| h.get(f)) {
                Some(v) => Reply::bulk(v),
                None => Reply::Nil,
            })
            .collect(),
    ))
}

fn hlen(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let len = read_hash(ctx, args.next()?)?.map_or(0, HashValue::len);
    Ok(Reply::Integer(len as i64))
}

fn hstrlen(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let field = args.next()?;
    let len = read_hash(ctx, key)?
        .and_then(|h| h.get(field))
        .map_or(0, <[u8]>::len);
    Ok(Reply::Integer(len as i64))
}

fn hexists(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let field = args.next()?;
    let found = read_hash(ctx, key)?.is_some_and(|h| h.contains(field));
    Ok(Reply::Integer(found as i64))
}

fn hkeys(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let h = read_hash(ctx, args.next()?)?;
    Ok(Reply::Array(h.map_or_else(Vec::new, |h| {
        h.iter().map(|(f, _)| Reply::bulk(f)).collect()
    })))
}

fn hvals(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let h = read_hash(ctx, args.next()?)?;
    Ok(Reply::Array(h.map_or_else(Vec::new, |h| {
        h.iter().map(|(_, v)| Reply::bulk(v)).collect()
    })))
}

/// HGETALL: a map in RESP3, a flat array in RESP2.
fn hgetall(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let h = read_hash(ctx, args.next()?)?;
    Ok(Reply::Map(h.map_or_else(Vec::new, |h| {
        h.iter()
            .map(|(f, v)| (Reply::bulk(f), Reply::bulk(v)))
            .collect()
    })))
}

/// HDEL key field [field ...]: the number removed; the key goes with its last field.
fn hdel(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let Some(h) = write_hash(ctx, key)? else {
        return Ok(Reply::Integer(0));
    };
    let mut deleted = 0;
    for f in args.rest() {
        if h.remove(f) {
            deleted += 1;
            if h.is_empty() {
                break;
            }
        }
    }
    let emptied = h.is_empty();
    if deleted > 0 {
        if emptied {
            ctx.delete_key(key);
        }
        ctx.signal_modified(key);
        ctx.notify(classes::HASH, "hdel", key);
        if emptied {
            ctx.notify(classes::GENERIC, "del", key);
        }
        ctx.dirty(deleted);
    }
    Ok(Reply::Integer(deleted as i64))
}

/// HINCRBY key field increment: a missing field counts as 0.
fn hincrby(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let field = args.next()?;
    let incr = args.next_i64()?;
    let lim = limits(ctx);
    let h = hash_or_create(ctx, key)?;
    let old = match h.get(field) {
        Some(v) => ember_resp::num::parse_i64(v)
            .ok_or_else(|| CmdError::err("hash value is not an integer"))?,
        None => 0,
    };
    let new = old.checked_add(incr).ok_or(CmdError::Overflow)?;
    h.set(field, itoa::Buffer::new().format(new).as_bytes(), &lim);
    ctx.signal_modified(key);
    ctx.notify(classes::HASH, "hincrby", key);
    ctx.dirty(1);
    Ok(Reply::Integer(new))
}

/// HINCRBYFLOAT key field increment, in x87 `long double` arithmetic as Redis
/// computes it; propagated as `HSET key field <result>` so replicas store the
/// same text.
fn hincrbyfloat(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let field = args.next()?;
    let incr = LongDouble::parse(args.next()?).ok_or(CmdError::NotFloat)?;
    if !incr.is_finite() {
        return Err(CmdError::err("value is NaN or Infinity"));
    }
    let lim = limits(ctx);
    let h = hash_or_create(ctx, key)?;
    let old = match h.get(field) {
        Some(v) => {
            LongDouble::parse(v).ok_or_else(|| CmdError::err("hash value is not a float"))?
        }
        None => LongDouble::from_i64(0),
    };
    let new = old.add(incr);
    if !new.is_finite() {
        return Err(CmdError::err("increment would produce NaN or Infinity"));
    }
    let text = Bytes::from(new.to_human_string().into_bytes());
    h.set(field, &text, &lim);
    ctx.signal_modified(key);
    ctx.notify(classes::HASH, "hincrbyfloat", key);
    ctx.dirty(1);
    ctx.propagate_as(vec![
        Bytes::from_static(b"HSET"),
        key.clone(),
        field.clone(),
        text.clone(),
    ]);
    Ok(Reply::Bulk(text))
}

/// Most elements one repeating (negative count) HRANDFIELD builds. Redis would
/// try to send any count (and exhaust memory); Ember refuses instead of aborting.
const HRANDFIELD_MAX_REPEATS: u64 = 1 << 26;

/// Above `count * HRANDFIELD_SUB_STRATEGY_MUL > size` Redis copies the hash and
/// removes random entries instead of picking random ones (its CASE 3).
const HRANDFIELD_SUB_STRATEGY_MUL: u64 = 3;

/// HRANDFIELD key [count [WITHVALUES]].
fn hrandfield(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    if args.is_empty() {
        let db = ctx.db_index;
        if read_hash(ctx, key)?.is_none() {
            return Ok(Reply::Nil);
        }
        let engine = &mut *ctx.engine;
        let h = stored(&engine.dbs, db, key);
        let (f, _) = h
            .random_pair(&mut engine.rng)
            .expect("stored hashes are never empty");
        return Ok(Reply::bulk(f));
    }
    let n = args.next_i64()?;
    if n == i64::MIN {
        return Err(CmdError::err(
            "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let withvalues = match args.remaining() {
        0 => false,
        1 if opt_is(args.next()?, "withvalues") => true,
        _ => return Err(CmdError::Syntax),
    };
    if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&n) {
        return Err(CmdError::err("value is out of range"));
    }
    hrandfield_count(ctx, key, n, withvalues)
}

fn hrandfield_count(ctx: &mut Ctx, key: &[u8], n: i64, withvalues: bool) -> CmdResult {
    let db = ctx.db_index;
    let proto = ctx.client().proto;
    let Some(size) = read_hash(ctx, key)?.map(HashValue::len) else {
        return Ok(Reply::Array(Vec::new()));
    };
    let (count, unique) = (n.unsigned_abs(), n >= 0);
    if count == 0 {
        return Ok(Reply::Array(Vec::new()));
    }
    let engine = &mut *ctx.engine;
    let h = stored(&engine.dbs, db, key);
    let rng = &mut engine.rng;
    let size = size as u64;

    // CASE 1: repeats allowed (negative count) or a single pick: independent draws.
    if !unique || count == 1 {
        if count > HRANDFIELD_MAX_REPEATS {
            return Err(CmdError::err("value is out of range"));
        }
        let picks: Vec<(&[u8], &[u8])> = if h.is_packed() {
            let all: Vec<_> = h.iter().collect();
            (0..count)
                .map(|_| all[rng.gen_range(0..all.len())])
                .collect()
        } else {
            (0..count)
                .map(|_| h.random_pair(rng).expect("never empty"))
                .collect()
        };
        return Ok(pairs_reply(picks, withvalues, proto));
    }
    // CASE 2: the whole hash, in its own order.
    if count >= size {
        return Ok(pairs_reply(h.iter(), withvalues, proto));
    }
    let count = count as usize;
    // CASE 3: most of the hash: a random subset in no particular order (Redis
    // answers in the order of a scratch dict it builds).
    if count as u64 * HRANDFIELD_SUB_STRATEGY_MUL > size {
        let mut all: Vec<_> = h.iter().collect();
        for i in 0..count {
            let j = rng.gen_range(i..all.len());
            all.swap(i, j);
        }
        all.truncate(count);
        return Ok(pairs_reply(all, withvalues, proto));
    }
    // CASE 2.5: a listpack: a uniform subset in listpack order (selection sampling).
    if h.is_packed() {
        let mut remaining = count;
        let mut left = size as usize;
        let mut out = Vec::with_capacity(count);
        for pair in h.iter() {
            if remaining == 0 {
                break;
            }
            if rng.gen_range(0..left) < remaining {
                out.push(pair);
                remaining -= 1;
            }
            left -= 1;
        }
        return Ok(pairs_reply(out, withvalues, proto));
    }
    // CASE 4: a hashtable much larger than count: random picks until enough
    // distinct ones.
    let mut seen = std::collections::HashSet::with_capacity(count);
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let pair = h.random_pair(rng).expect("never empty");
        if seen.insert(pair.0) {
            out.push(pair);
        }
    }
    Ok(pairs_reply(out, withvalues, proto))
}

/// HRANDFIELD's reply: fields; with values a flat array in RESP2 and an
/// array of [field, value] pairs in RESP3.
fn pairs_reply<'a>(
    pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
    withvalues: bool,
    proto: Proto,
) -> Reply {
    let pairs = pairs.into_iter();
    let mut out = Vec::with_capacity(pairs.size_hint().0 * if withvalues { 2 } else { 1 });
    for (f, v) in pairs {
        match (withvalues, proto) {
            (false, _) => out.push(Reply::bulk(f)),
            (true, Proto::Resp2) => {
                out.push(Reply::bulk(f));
                out.push(Reply::bulk(v));
            }
            (true, Proto::Resp3) => out.push(Reply::Array(vec![Reply::bulk(f), Reply::bulk(v)])),
        }
    }
    Reply::Array(out)
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]. The cursor is parsed before
/// the key is looked up, the options after (a missing key ignores bad ones, as
/// in Redis). A listpack answers everything at once with cursor 0.
fn hscan(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let mut cursor = crate::cmd::scan::parse_cursor(args.next()?)?;
    let db = ctx.db_index;
    if read_hash(ctx, key)?.is_none() {
        return Ok(scan_reply(0, Vec::new()));
    }
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
            // "*" matches everything: Redis skips the matcher.
            pattern = (p.as_ref() != b"*").then_some(p);
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let h = stored(&ctx.engine.dbs, db, key);
    // Fields and values visited, before MATCH filters them.
    let visited = std::cell::Cell::new(0i64);
    let mut out = Vec::new();
    let mut visit = |f: &[u8], v: &[u8]| {
        visited.set(visited.get() + 2);
        if pattern.is_some_and(|p| !crate::glob::glob_match(p, f, false)) {
            return;
        }
        out.push(Reply::bulk(f));
        out.push(Reply::bulk(v));
    };
    if h.is_packed() {
        cursor = h.scan(cursor, &mut visit);
    } else {
        // Like Redis, fields and values both count against COUNT, and at most
        // 10*COUNT more buckets are visited while too few were found.
        let mut budget = count.saturating_mul(10);
        loop {
            cursor = h.scan(cursor, &mut visit);
            if cursor == 0 || budget == 0 {
                break;
            }
            budget -= 1;
            if visited.get() >= count {
                break;
            }
        }
    }
    Ok(scan_reply(cursor, out))
}

fn scan_reply(cursor: u64, items: Vec<Reply>) -> Reply {
    Reply::Array(vec![
        Reply::bulk(itoa::Buffer::new().format(cursor).as_bytes()),
        Reply::Array(items),
    ])
}
