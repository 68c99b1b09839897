//! Set commands (Redis's t_set.c). Single-key commands live here; the set
//! algebra (SINTER/SUNION/SDIFF and their STORE/CARD forms, SMEMBERS) in
//! `sets/algebra.rs`.

mod algebra;
#[cfg(test)]
mod tests;

use crate::args::{self, atoi, Args};
use crate::command::{acl, flags::*, Command};
use crate::ctx::{classes, Ctx};
use crate::error::{CmdError, CmdResult};
use crate::types::set::{Member, SetValue};
use crate::value::Value;
use bytes::Bytes;
use ember_resp::Reply;

pub fn commands() -> Vec<Command> {
    let r = READONLY;
    vec![
        Command::new("sadd", -3, WRITE | DENYOOM | FAST, acl::SET, sadd)
            .keys(1, 1, 1)
            .member(2),
        Command::new("srem", -3, WRITE | FAST, acl::SET, srem)
            .keys(1, 1, 1)
            .member(2),
        Command::new("scard", 2, r | FAST, acl::SET, scard).keys(1, 1, 1),
        Command::new("sismember", 3, r | FAST, acl::SET, sismember)
            .keys(1, 1, 1)
            .member(2),
        Command::new("smismember", -3, r | FAST, acl::SET, smismember)
            .keys(1, 1, 1)
            .member(2),
        Command::new("smembers", 2, r, acl::SET, algebra::sinter).keys(1, 1, 1),
        Command::new("spop", -2, WRITE | FAST, acl::SET, spop).keys(1, 1, 1),
        Command::new("srandmember", -2, r, acl::SET, srandmember).keys(1, 1, 1),
        Command::new("smove", 4, WRITE | FAST, acl::SET, smove).keys(1, 2, 1),
        Command::new("sinter", -2, r, acl::SET, algebra::sinter).keys(1, -1, 1),
        Command::new("sintercard", -3, r, acl::SET, algebra::sintercard)
            .movable_keys(sintercard_keys),
        Command::new(
            "sinterstore",
            -3,
            WRITE | DENYOOM,
            acl::SET,
            algebra::sinterstore,
        )
        .keys(1, -1, 1),
        Command::new("sunion", -2, r, acl::SET, algebra::sunion).keys(1, -1, 1),
        Command::new(
            "sunionstore",
            -3,
            WRITE | DENYOOM,
            acl::SET,
            algebra::sunionstore,
        )
        .keys(1, -1, 1),
        Command::new("sdiff", -2, r, acl::SET, algebra::sdiff).keys(1, -1, 1),
        Command::new(
            "sdiffstore",
            -3,
            WRITE | DENYOOM,
            acl::SET,
            algebra::sdiffstore,
        )
        .keys(1, -1, 1),
        Command::new("sscan", -3, r, acl::SET, sscan).keys(1, 1, 1),
    ]
}

/// Key positions of `SINTERCARD numkeys key [key ...] ...`: numkeys read with
/// `atoi` as Redis's getkeys does; nothing when it is out of range.
fn sintercard_keys(argv: &[Bytes]) -> Vec<usize> {
    numkeys_positions(argv, 1, 2)
}

/// Keys counted by the argument at `numkeys_at`, starting at `first`.
pub(crate) fn numkeys_positions(argv: &[Bytes], numkeys_at: usize, first: usize) -> Vec<usize> {
    let n = argv.get(numkeys_at).map_or(0, |a| atoi(a));
    if n < 1 || n as usize > argv.len().saturating_sub(first) {
        return Vec::new();
    }
    (first..first + n as usize).collect()
}

/// `set-max-intset-entries`.
pub(crate) fn max_intset(ctx: &Ctx) -> usize {
    ctx.engine.config.set_max_intset_entries as usize
}

/// A set for reading: `None` when missing, `WRONGTYPE` for other types.
pub fn read_set<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c SetValue>, CmdError> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(Value::Set(s)) => Ok(Some(s)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// A set for modification: `None` when missing, `WRONGTYPE` for other types.
pub fn write_set<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut SetValue>, CmdError> {
    match ctx.lookup_write(key) {
        None => Ok(None),
        Some(Value::Set(s)) => Ok(Some(s)),
        Some(_) => Err(CmdError::WrongType),
    }
}

pub(crate) fn member_reply(m: Member<'_>) -> Reply {
    match m {
        Member::Int(n) => Reply::bulk_i64(n),
        Member::Bytes(b) => Reply::bulk(b),
    }
}

fn sadd(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let members = args.rest();
    let max = max_intset(ctx);
    let added = match write_set(ctx, key)? {
        Some(set) => members.iter().filter(|m| set.add(m, max)).count(),
        None => {
            let mut set = SetValue::for_member(&members[0]);
            let added = members.iter().filter(|m| set.add(m, max)).count();
            ctx.set_key(key, Value::Set(Box::new(set)), false);
            added
        }
    };
    if added > 0 {
        ctx.signal_modified(key);
        ctx.notify(classes::SET, "sadd", key);
        ctx.dirty(added as u64);
    }
    Ok(Reply::Integer(added as i64))
}

fn srem(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let Some(set) = write_set(ctx, key)? else {
        return Ok(Reply::Integer(0));
    };
    let mut deleted = 0;
    for m in args.rest() {
        if set.remove(m) {
            deleted += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    let emptied = set.is_empty();
    if deleted > 0 {
        if emptied {
            ctx.delete_key(key);
        }
        ctx.signal_modified(key);
        ctx.notify(classes::SET, "srem", key);
        if emptied {
            ctx.notify(classes::GENERIC, "del", key);
        }
        ctx.dirty(deleted);
    }
    Ok(Reply::Integer(deleted as i64))
}

fn scard(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let len = read_set(ctx, args.next()?)?.map_or(0, SetValue::len);
    Ok(Reply::Integer(len as i64))
}

fn sismember(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let member = args.next()?;
    let found = read_set(ctx, key)?.is_some_and(|s| s.contains(member));
    Ok(Reply::Integer(found as i64))
}

fn smismember(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let set = read_set(ctx, key)?;
    Ok(Reply::Array(
        args.rest()
            .iter()
            .map(|m| Reply::Integer(set.is_some_and(|s| s.contains(m)) as i64))
            .collect(),
    ))
}

/// SMOVE source destination member.
fn smove(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let src = args.next()?;
    let dst = args.next()?;
    let member = args.next()?;
    // Both keys are looked up (and lazily expired) before anything is checked.
    let src_type = ctx.lookup_write(src).map(|v| matches!(v, Value::Set(_)));
    let dst_type = ctx.lookup_write(dst).map(|v| matches!(v, Value::Set(_)));
    match (src_type, dst_type) {
        (None, _) => return Ok(Reply::Integer(0)),
        (Some(false), _) | (_, Some(false)) => return Err(CmdError::WrongType),
        _ => {}
    }
    let max = max_intset(ctx);
    let set = write_set(ctx, src)?.expect("checked above");
    if src == dst {
        return Ok(Reply::Integer(set.contains(member) as i64));
    }
    if !set.remove(member) {
        return Ok(Reply::Integer(0));
    }
    let emptied = set.is_empty();
    ctx.notify(classes::SET, "srem", src);
    if emptied {
        ctx.delete_key(src);
        ctx.notify(classes::GENERIC, "del", src);
    }
    let added = match write_set(ctx, dst)? {
        Some(set) => set.add(member, max),
        None => {
            let mut set = SetValue::for_member(member);
            set.add(member, max);
            ctx.set_key(dst, Value::Set(Box::new(set)), false);
            true
        }
    };
    ctx.signal_modified(src);
    ctx.dirty(1);
    if added {
        ctx.dirty(1);
        ctx.signal_modified(dst);
        ctx.notify(classes::SET, "sadd", dst);
    }
    Ok(Reply::Integer(1))
}

/// SPOP key [count]. Propagated as SREM (one per member) or, when the whole
/// set goes, as DEL, as Redis 7.0 does.
fn spop(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    match args.remaining() {
        0 => {}
        1 => return spop_count(ctx, key, args.next()?),
        _ => return Err(CmdError::Syntax),
    }
    let db = ctx.db_index;
    if write_set(ctx, key)?.is_none() {
        return Ok(Reply::Nil);
    }
    let engine = &mut *ctx.engine;
    let Some(Value::Set(set)) = engine.dbs[db].get_raw_mut(key) else {
        unreachable!("looked up above")
    };
    let member = set.pop_random(&mut engine.rng);
    let member = Bytes::from(member.expect("a stored set is never empty"));
    let emptied = set.is_empty();
    ctx.notify(classes::SET, "spop", key);
    ctx.propagate_as(vec![
        Bytes::from_static(b"SREM"),
        key.clone(),
        member.clone(),
    ]);
    if emptied {
        ctx.delete_key(key);
        ctx.notify(classes::GENERIC, "del", key);
    }
    ctx.signal_modified(key);
    ctx.dirty(1);
    Ok(Reply::Bulk(member))
}

/// When fewer than `count / SPOP_MOVE_STRATEGY_MUL` members would remain, SPOP
/// rebuilds the set from the survivors instead of popping one by one.
const SPOP_MOVE_STRATEGY_MUL: usize = 5;

fn spop_count(ctx: &mut Ctx, key: &Bytes, count_arg: &[u8]) -> CmdResult {
    let positive = || CmdError::err("value is out of range, must be positive");
    let count = match ember_resp::num::parse_i64(count_arg) {
        Some(n) if n >= 0 => n as usize,
        _ => return Err(positive()),
    };
    let max = max_intset(ctx);
    let db = ctx.db_index;
    let Some(set) = write_set(ctx, key)? else {
        return Ok(Reply::Set(Vec::new()));
    };
    if count == 0 {
        return Ok(Reply::Set(Vec::new()));
    }
    let size = set.len();
    let srem = Bytes::from_static(b"SREM");
    let mut props: Vec<Vec<Bytes>> = Vec::new();
    let reply = if count >= size {
        // The whole set: Redis answers with SUNION of the key, whose result
        // is an intset (ascending) whenever the members allow one, even when
        // the key itself is a hashtable; then the key goes, propagated as DEL.
        let out = whole_set_as_union(set, max);
        ctx.notify(classes::SET, "spop", key);
        // The members taken, not the count asked for (rdb_changes_since_last_save).
        ctx.dirty(size as u64);
        ctx.delete_key(key);
        ctx.notify(classes::GENERIC, "del", key);
        ctx.propagate_as(vec![Bytes::from_static(b"DEL"), key.clone()]);
        ctx.signal_modified(key);
        return Ok(Reply::Set(out));
    } else if (size - count) * SPOP_MOVE_STRATEGY_MUL > count {
        let mut out = Vec::with_capacity(count);
        let engine = &mut *ctx.engine;
        let Some(Value::Set(set)) = engine.dbs[db].get_raw_mut(key) else {
            unreachable!("looked up above")
        };
        for _ in 0..count {
            let m = Bytes::from(set.pop_random(&mut engine.rng).expect("count < size"));
            props.push(vec![srem.clone(), key.clone(), m.clone()]);
            out.push(Reply::Bulk(m));
        }
        out
    } else {
        // Few survivors: move them to a new set, then hand out the old one.
        let engine = &mut *ctx.engine;
        let Some(Value::Set(set)) = engine.dbs[db].get_raw_mut(key) else {
            unreachable!("looked up above")
        };
        let mut survivors: Option<SetValue> = None;
        for _ in 0..size - count {
            let m = set.pop_random(&mut engine.rng).expect("count < size");
            survivors
                .get_or_insert_with(|| SetValue::for_member(&m))
                .add(&m, max);
        }
        let old = std::mem::replace(&mut **set, survivors.expect("size > count"));
        old.members()
            .map(|m| {
                let m = Bytes::from(m.to_vec());
                props.push(vec![srem.clone(), key.clone(), m.clone()]);
                Reply::Bulk(m)
            })
            .collect()
    };
    ctx.notify(classes::SET, "spop", key);
    ctx.dirty(count as u64);
    for p in props {
        ctx.propagate_as(p);
    }
    ctx.signal_modified(key);
    Ok(Reply::Set(reply))
}

/// The members in the order SUNION of this one set would list them.
fn whole_set_as_union(set: &SetValue, max: usize) -> Vec<Reply> {
    if !set.is_intset() && set.len() <= max {
        let ints: Option<Vec<i64>> = set
            .members()
            .map(|m| match m {
                Member::Int(n) => Some(n),
                Member::Bytes(b) => ember_resp::num::parse_i64(b),
            })
            .collect();
        if let Some(mut ints) = ints {
            ints.sort_unstable();
            return ints.into_iter().map(Reply::bulk_i64).collect();
        }
    }
    set.members().map(member_reply).collect()
}

/// SRANDMEMBER key [count].
fn srandmember(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    match args.remaining() {
        0 => {}
        1 => return srandmember_count(ctx, key, args.next()?),
        _ => return Err(CmdError::Syntax),
    }
    let db = ctx.db_index;
    if read_set(ctx, key)?.is_none() {
        return Ok(Reply::Nil);
    }
    let engine = &mut *ctx.engine;
    let Some(Value::Set(set)) = engine.dbs[db].get_raw(key) else {
        unreachable!("looked up above")
    };
    let m = set.random_member(&mut engine.rng).expect("never empty");
    Ok(member_reply(m))
}

/// Most replies one negative-count SRANDMEMBER builds. Redis would try to send
/// any count (and exhaust memory); Ember refuses instead of aborting.
const SRANDMEMBER_MAX_REPEATS: u64 = 1 << 26;

fn srandmember_count(ctx: &mut Ctx, key: &Bytes, count_arg: &[u8]) -> CmdResult {
    let n = args::parse_i64(count_arg)?;
    if n == i64::MIN {
        return Err(CmdError::err(
            "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let (count, unique) = (n.unsigned_abs(), n >= 0);
    let db = ctx.db_index;
    if read_set(ctx, key)?.is_none() {
        return Ok(Reply::Array(Vec::new()));
    }
    if count == 0 {
        return Ok(Reply::Array(Vec::new()));
    }
    let engine = &mut *ctx.engine;
    let Some(Value::Set(set)) = engine.dbs[db].get_raw(key) else {
        unreachable!("looked up above")
    };
    let rng = &mut engine.rng;
    if !unique || count == 1 {
        if count > SRANDMEMBER_MAX_REPEATS {
            return Err(CmdError::err("value is out of range"));
        }
        return Ok(Reply::Array(
            (0..count)
                .map(|_| member_reply(set.random_member(rng).expect("never empty")))
                .collect(),
        ));
    }
    if count >= set.len() as u64 {
        return Ok(Reply::Array(set.members().map(member_reply).collect()));
    }
    Ok(Reply::Array(
        set.random_distinct(rng, count as usize)
            .into_iter()
            .map(member_reply)
            .collect(),
    ))
}

/// SSCAN key cursor [MATCH pattern] [COUNT count].
fn sscan(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let mut cursor = crate::cmd::scan::parse_cursor(args.next()?)?;
    let empty = || {
        Ok(Reply::Array(vec![
            Reply::bulk_static(b"0"),
            Reply::Array(Vec::new()),
        ]))
    };
    let Some(set) = read_set(ctx, key)? else {
        return empty();
    };
    let mut count: i64 = 10;
    let mut pattern: Option<&Bytes> = None;
    while let Some(opt) = args.next_opt() {
        let has_value = !args.is_empty();
        if args::is(opt, "count") && has_value {
            count = args.next_i64()?;
            if count < 1 {
                return Err(CmdError::Syntax);
            }
        } else if args::is(opt, "match") && has_value {
            let p = args.next()?;
            pattern = (p.as_ref() != b"*").then_some(p);
        } else {
            return Err(CmdError::Syntax);
        }
    }
    // Like Redis, COUNT bounds the members visited, before MATCH filters them.
    let mut out = Vec::new();
    let mut visited: i64 = 0;
    let mut budget = count.saturating_mul(10);
    loop {
        cursor = set.scan(cursor, |m| {
            visited += 1;
            let keep = match (pattern, m) {
                (None, _) => true,
                (Some(p), Member::Bytes(b)) => crate::glob::glob_match(p, b, false),
                (Some(p), Member::Int(_)) => crate::glob::glob_match(p, &m.to_bytes(), false),
            };
            if keep {
                out.push(member_reply(m));
            }
        });
        budget -= 1;
        if cursor == 0 || budget < 0 || visited >= count {
            break;
        }
    }
    Ok(Reply::Array(vec![
        Reply::bulk(itoa::Buffer::new().format(cursor).as_bytes()),
        Reply::Array(out),
    ]))
}
