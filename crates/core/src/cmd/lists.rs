//! List commands (Redis's t_list.c): pushes, pops, ranges, LINSERT, LREM,
//! LPOS, LMOVE/RPOPLPUSH and LMPOP.
//!
//! Popping and moving live in plain functions so the blocking variants
//! (BLPOP, BLMOVE, BLMPOP) can re-run them when a key gets pushed: [`op_pop`]
//! works on a list alone; [`pop_from_key`], [`move_element`] and [`mpop`]
//! also do the keyspace side (events, deleting an emptied key, dirty, and for
//! `mpop` its `LPOP|RPOP key count` propagation); [`parse_mpop`] reads the
//! `numkeys key... LEFT|RIGHT [COUNT n]` tail.

use crate::args::{atoi, Args};
use crate::cmd::strings::opt_is;
use crate::command::{acl, flags::*, Command};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::events::classes;
use crate::types::list::{End, ListValue};
use crate::value::Value;
use bytes::Bytes;
use ember_resp::num::parse_i64;
use ember_resp::{BulkArray, Reply};

pub fn commands() -> Vec<Command> {
    let rw = WRITE | DENYOOM;
    let l = acl::LIST;
    vec![
        Command::new("lpush", -3, rw | FAST, l, lpush).keys(1, 1, 1),
        Command::new("rpush", -3, rw | FAST, l, rpush).keys(1, 1, 1),
        Command::new("lpushx", -3, rw | FAST, l, lpushx).keys(1, 1, 1),
        Command::new("rpushx", -3, rw | FAST, l, rpushx).keys(1, 1, 1),
        Command::new("lpop", -2, WRITE | FAST, l, lpop).keys(1, 1, 1),
        Command::new("rpop", -2, WRITE | FAST, l, rpop).keys(1, 1, 1),
        Command::new("llen", 2, READONLY | FAST, l, llen).keys(1, 1, 1),
        Command::new("lindex", 3, READONLY, l, lindex).keys(1, 1, 1),
        Command::new("lset", 4, rw, l, lset).keys(1, 1, 1),
        Command::new("linsert", 5, rw, l, linsert).keys(1, 1, 1),
        Command::new("lrange", 4, READONLY, l, lrange).keys(1, 1, 1),
        Command::new("ltrim", 4, WRITE, l, ltrim).keys(1, 1, 1),
        Command::new("lrem", 4, WRITE, l, lrem).keys(1, 1, 1),
        Command::new("lpos", -3, READONLY, l, lpos).keys(1, 1, 1),
        Command::new("lmove", 5, rw, l, lmove).keys(1, 2, 1),
        Command::new("rpoplpush", 3, rw, l, rpoplpush).keys(1, 2, 1),
        Command::new("lmpop", -4, WRITE, l, lmpop).movable_keys(lmpop_keys),
    ]
}

/// A list for reading (counts hits/misses, fires `keymiss`); `WRONGTYPE` for
/// other types.
pub fn read_list<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c ListValue>, CmdError> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// A list for modification; `WRONGTYPE` for other types.
pub fn write_list<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut ListValue>, CmdError> {
    match ctx.lookup_write(key) {
        None => Ok(None),
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// The list at `key` once a lookup has vetted it (no expiry or stamp work).
fn vetted_list<'c>(ctx: &'c mut Ctx, key: &[u8]) -> &'c mut ListValue {
    match ctx.db().get_raw_mut(key) {
        Some(Value::List(l)) => l,
        _ => unreachable!("key was looked up as a list"),
    }
}

/// Stores a new list at `key` (Redis's dbAdd of a fresh quicklist).
fn add_list(ctx: &mut Ctx, key: &[u8], list: ListValue) {
    ctx.set_key(key, Value::List(Box::new(list)), false);
}

fn new_list(ctx: &Ctx) -> ListValue {
    ListValue::with_fill(ctx.engine.config.list_max_listpack_size)
}

fn push_event(end: End) -> &'static str {
    match end {
        End::Head => "lpush",
        End::Tail => "rpush",
    }
}

fn pop_event(end: End) -> &'static str {
    match end {
        End::Head => "lpop",
        End::Tail => "rpop",
    }
}

fn bulks(items: Vec<Bytes>) -> Reply {
    Reply::Array(items.into_iter().map(Reply::Bulk).collect())
}

/// `buf` cut at each of `ends` into shared slices.
fn split_at_ends(buf: Vec<u8>, ends: Vec<usize>) -> Vec<Bytes> {
    if ends.len() == 1 {
        return vec![Bytes::from(buf)];
    }
    let buf = Bytes::from(buf);
    let mut start = 0;
    ends.into_iter()
        .map(|end| {
            let b = buf.slice(start..end);
            start = end;
            b
        })
        .collect()
}

/// Redis's getRangeLongFromObjectOrReply with a message: `msg` both for a
/// non-integer and for a value below `min`.
fn at_least(arg: &[u8], min: i64, msg: &'static str) -> Result<i64, CmdError> {
    match parse_i64(arg) {
        Some(v) if v >= min => Ok(v),
        _ => Err(CmdError::err(msg)),
    }
}

/// `LEFT`/`RIGHT` (Redis's getListPositionFromObjectOrReply).
pub fn parse_end(arg: &[u8]) -> Result<End, CmdError> {
    if opt_is(arg, "left") {
        Ok(End::Head)
    } else if opt_is(arg, "right") {
        Ok(End::Tail)
    } else {
        Err(CmdError::Syntax)
    }
}

/// A possibly negative index into a list of `len`, if within it.
fn resolve(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 { len as i64 + index } else { index };
    (0..len as i64).contains(&i).then_some(i as usize)
}

/// Redis's range rules (LRANGE, LTRIM): `(start, end)` inclusive, or `None`
/// when empty.
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

// ---- pushes ----------------------------------------------------------------

fn push_generic(ctx: &mut Ctx, args: &mut Args, end: End, only_existing: bool) -> CmdResult {
    let key = args.next()?;
    let elems = args.rest();
    let len = match write_list(ctx, key)? {
        Some(list) => {
            for e in elems {
                list.push(end, e);
            }
            let len = list.len();
            ctx.signal_modified(key);
            len
        }
        None if only_existing => return Ok(Reply::Integer(0)),
        None => {
            let mut list = new_list(ctx);
            for e in elems {
                list.push(end, e);
            }
            let len = list.len();
            add_list(ctx, key, list);
            len
        }
    };
    ctx.dirty(elems.len() as u64);
    ctx.notify(classes::LIST, push_event(end), key);
    Ok(Reply::Integer(len as i64))
}

fn lpush(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    push_generic(ctx, args, End::Head, false)
}

fn rpush(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    push_generic(ctx, args, End::Tail, false)
}

fn lpushx(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    push_generic(ctx, args, End::Head, true)
}

fn rpushx(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    push_generic(ctx, args, End::Tail, true)
}

// ---- pops ------------------------------------------------------------------

/// Pops up to `count` elements from `end`, in popping order (data only).
pub fn op_pop(list: &mut ListValue, end: End, count: usize) -> Vec<Bytes> {
    let n = count.min(list.len());
    if n == 1 {
        return list.pop(end).into_iter().collect();
    }
    let (mut buf, mut ends) = (Vec::new(), Vec::with_capacity(n));
    for _ in 0..n {
        list.pop_with(end, |e| buf.extend_from_slice(e));
        ends.push(buf.len());
    }
    split_at_ends(buf, ends)
}

/// After elements left `key` (Redis's listElementsRemoved): the pop event,
/// deleting an emptied list with `del`, and dirty.
fn elements_removed(ctx: &mut Ctx, key: &[u8], end: End, n: usize, emptied: bool) {
    ctx.notify(classes::LIST, pop_event(end), key);
    if emptied {
        ctx.delete_key(key);
        ctx.notify(classes::GENERIC, "del", key);
    } else {
        ctx.signal_modified(key);
    }
    ctx.dirty(n as u64);
}

/// Pops up to `count` (>= 1) elements from the list at `key` with all side
/// effects; `None` when the key is missing. Used by LPOP/RPOP/LMPOP and the
/// blocking pops.
pub fn pop_from_key(
    ctx: &mut Ctx,
    key: &[u8],
    end: End,
    count: usize,
) -> Result<Option<Vec<Bytes>>, CmdError> {
    let Some(list) = write_list(ctx, key)? else {
        return Ok(None);
    };
    if list.is_empty() {
        return Ok(None);
    }
    let items = op_pop(list, end, count);
    let emptied = list.is_empty();
    elements_removed(ctx, key, end, items.len(), emptied);
    Ok(Some(items))
}

fn pop_generic(ctx: &mut Ctx, args: &mut Args, end: End) -> CmdResult {
    let key = args.next()?;
    if args.remaining() > 1 {
        return Err(CmdError::WrongArity(ctx.cmd.name.to_string()));
    }
    let Some(count) = args.next_opt() else {
        return Ok(match pop_from_key(ctx, key, end, 1)? {
            Some(mut items) => Reply::Bulk(items.pop().expect("one element")),
            None => Reply::Nil,
        });
    };
    let count = at_least(count, 0, "value is out of range, must be positive")?;
    if count == 0 {
        return Ok(match write_list(ctx, key)? {
            Some(_) => Reply::Array(Vec::new()),
            None => Reply::NilArray,
        });
    }
    Ok(match pop_from_key(ctx, key, end, count as usize)? {
        Some(items) => bulks(items),
        None => Reply::NilArray,
    })
}

fn lpop(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    pop_generic(ctx, args, End::Head)
}

fn rpop(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    pop_generic(ctx, args, End::Tail)
}

/// `numkeys key [key ...] LEFT|RIGHT [COUNT count]` starting at
/// `argv[numkeys_at]` (LMPOP: 1, BLMPOP: 2): the keys, the end and the count.
pub fn parse_mpop(argv: &[Bytes], numkeys_at: usize) -> Result<(&[Bytes], End, usize), CmdError> {
    let numkeys = at_least(&argv[numkeys_at], 1, "numkeys should be greater than 0")?;
    let first = numkeys_at + 1;
    if numkeys >= (argv.len() - first) as i64 {
        return Err(CmdError::Syntax);
    }
    let where_at = first + numkeys as usize;
    let end = parse_end(&argv[where_at])?;
    let mut count = None;
    let mut j = where_at + 1;
    while j < argv.len() {
        if count.is_none() && opt_is(&argv[j], "count") && j + 1 < argv.len() {
            count = Some(at_least(&argv[j + 1], 1, "count should be greater than 0")?);
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok((&argv[first..where_at], end, count.unwrap_or(1) as usize))
}

/// Pops from the first non-empty list among `keys`: `[key, [elements]]`, or a
/// null array. Propagates as `LPOP|RPOP key count` as Redis does.
pub fn mpop(ctx: &mut Ctx, keys: &[Bytes], end: End, count: usize) -> CmdResult {
    for key in keys {
        let Some(items) = pop_from_key(ctx, key, end, count)? else {
            continue;
        };
        let verb = match end {
            End::Head => "LPOP",
            End::Tail => "RPOP",
        };
        ctx.propagate_as(vec![
            Bytes::from_static(verb.as_bytes()),
            key.clone(),
            Bytes::copy_from_slice(itoa::Buffer::new().format(items.len()).as_bytes()),
        ]);
        return Ok(Reply::Array(vec![Reply::Bulk(key.clone()), bulks(items)]));
    }
    Ok(Reply::NilArray)
}

fn lmpop(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let (keys, end, count) = parse_mpop(args.argv(), 1)?;
    mpop(ctx, keys, end, count)
}

/// Key positions of `LMPOP numkeys key ...` (Redis's lmpopGetKeys: numkeys
/// read with `atoi`; nothing when out of range).
fn lmpop_keys(argv: &[Bytes]) -> Vec<usize> {
    let n = argv.get(1).map_or(0, |a| atoi(a));
    if n < 1 || n as usize > argv.len().saturating_sub(2) {
        return Vec::new();
    }
    (2..2 + n as usize).collect()
}

// ---- moves -----------------------------------------------------------------

/// Moves one element from `src`'s `from` end to `dst`'s `to` end (LMOVE,
/// RPOPLPUSH, and later BLMOVE); `None` when `src` is missing. Events as
/// Redis: the push on `dst`, then the pop on `src` (and `del` if emptied).
pub fn move_element(
    ctx: &mut Ctx,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
) -> Result<Option<Bytes>, CmdError> {
    match write_list(ctx, src)? {
        Some(l) if !l.is_empty() => {}
        _ => return Ok(None),
    }
    let same = src == dst;
    let dst_exists = same
        || match ctx.lookup_write(dst) {
            None => false,
            Some(Value::List(_)) => true,
            Some(_) => return Err(CmdError::WrongType),
        };
    let value = vetted_list(ctx, src)
        .pop(from)
        .expect("source is not empty");
    if dst_exists {
        vetted_list(ctx, dst).push(to, &value);
        ctx.signal_modified(dst);
    } else {
        let mut list = new_list(ctx);
        list.push(to, &value);
        add_list(ctx, dst, list);
    }
    ctx.notify(classes::LIST, push_event(to), dst);
    let emptied = vetted_list(ctx, src).is_empty();
    elements_removed(ctx, src, from, 1, emptied);
    Ok(Some(value))
}

fn lmove(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let src = args.next()?;
    let dst = args.next()?;
    let from = parse_end(args.next()?)?;
    let to = parse_end(args.next()?)?;
    Ok(move_element(ctx, src, dst, from, to)?.map_or(Reply::Nil, Reply::Bulk))
}

fn rpoplpush(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let src = args.next()?;
    let dst = args.next()?;
    Ok(move_element(ctx, src, dst, End::Tail, End::Head)?.map_or(Reply::Nil, Reply::Bulk))
}

// ---- reads -----------------------------------------------------------------

fn llen(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    Ok(Reply::Integer(
        read_list(ctx, key)?.map_or(0, |l| l.len() as i64),
    ))
}

fn lindex(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let Some(list) = read_list(ctx, key)? else {
        return Ok(Reply::Nil);
    };
    let index = args.next_i64()?;
    Ok(match resolve(index, list.len()).and_then(|i| list.get(i)) {
        Some(e) => Reply::bulk(e),
        None => Reply::Nil,
    })
}

fn lrange(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let start = args.next_i64()?;
    let end = args.next_i64()?;
    let Some(list) = read_list(ctx, key)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    Ok(match clamp_range(start, end, list.len()) {
        Some((s, e)) => {
            // Written in wire form as it is read: no Reply or refcount per
            // element. Sized from the first element (lists are often uniform),
            // within reason: a wrong guess only costs regrowth.
            let n = e + 1 - s;
            let first = list.range(s, s + 1).next().map_or(0, <[u8]>::len);
            let guess = n.saturating_mul(first).min(16 << 20);
            let mut out = BulkArray::array_of(n, guess);
            for item in list.range(s, e + 1) {
                out.push(item);
            }
            Reply::BulkArray(out)
        }
        None => Reply::Array(Vec::new()),
    })
}

fn lpos(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let elem = args.next()?;
    // Wrapping arithmetic mirrors Redis 7.0 for RANK LONG_MIN (negating it
    // leaves it negative: every match qualifies and COUNT never stops).
    let (mut rank, mut count, mut maxlen) = (1i64, -1i64, 0i64);
    while let Some(opt) = args.next_opt() {
        let more = !args.is_empty();
        if opt_is(opt, "rank") && more {
            rank = args.next_i64()?;
            if rank == 0 {
                return Err(CmdError::err(
                    "RANK can't be zero: use 1 to start from the first match, 2 from the \
                     second ... or use negative to start from the end of the list",
                ));
            }
        } else if opt_is(opt, "count") && more {
            count = at_least(args.next()?, 0, "COUNT can't be negative")?;
        } else if opt_is(opt, "maxlen") && more {
            maxlen = at_least(args.next()?, 0, "MAXLEN can't be negative")?;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let from_tail = rank < 0;
    if from_tail {
        rank = rank.wrapping_neg();
    }
    let Some(list) = read_list(ctx, key)? else {
        return Ok(if count != -1 {
            Reply::Array(Vec::new())
        } else {
            Reply::Nil
        });
    };
    let llen = list.len() as i64;
    let want_all = count != -1;
    let mut found = Vec::new();
    let mut matchindex = -1i64;
    let mut matches = 0i64;
    let mut scan = |items: &mut dyn Iterator<Item = &[u8]>| {
        for (index, e) in (0i64..).zip(items) {
            if maxlen != 0 && index >= maxlen {
                break;
            }
            if e == &elem[..] {
                matches += 1;
                matchindex = if from_tail { llen - index - 1 } else { index };
                if matches >= rank {
                    if !want_all {
                        return;
                    }
                    found.push(Reply::Integer(matchindex));
                    if count != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= count {
                        return;
                    }
                }
            }
            matchindex = -1;
        }
    };
    if from_tail {
        scan(&mut list.iter().rev());
    } else {
        scan(&mut list.iter());
    }
    Ok(if want_all {
        Reply::Array(found)
    } else if matchindex != -1 {
        Reply::Integer(matchindex)
    } else {
        Reply::Nil
    })
}

// ---- edits -----------------------------------------------------------------

fn lset(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let Some(list) = write_list(ctx, key)? else {
        return Err(CmdError::NoSuchKey);
    };
    let index = args.next_i64()?;
    let value = args.next()?;
    match resolve(index, list.len()) {
        Some(i) => list.set(i, value),
        None => return Err(CmdError::OutOfRange),
    };
    ctx.signal_modified(key);
    ctx.notify(classes::LIST, "lset", key);
    ctx.dirty(1);
    Ok(Reply::OK)
}

fn linsert(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let place = args.next()?;
    let pivot = args.next()?;
    let elem = args.next()?;
    let after = if opt_is(place, "after") {
        true
    } else if opt_is(place, "before") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let Some(list) = write_list(ctx, key)? else {
        return Ok(Reply::Integer(0));
    };
    let Some(pos) = list.iter().position(|e| e == &pivot[..]) else {
        return Ok(Reply::Integer(-1));
    };
    list.insert(pos + after as usize, elem);
    let len = list.len();
    ctx.signal_modified(key);
    ctx.notify(classes::LIST, "linsert", key);
    ctx.dirty(1);
    Ok(Reply::Integer(len as i64))
}

fn ltrim(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let start = args.next_i64()?;
    let end = args.next_i64()?;
    let Some(list) = write_list(ctx, key)? else {
        return Ok(Reply::OK);
    };
    let len = list.len();
    let (left, right) = match clamp_range(start, end, len) {
        Some((s, e)) => (s, len - e - 1),
        None => (0, len),
    };
    list.remove_range(len - right, right);
    list.remove_range(0, left);
    let emptied = list.is_empty();
    ctx.notify(classes::LIST, "ltrim", key);
    if emptied {
        ctx.delete_key(key);
        ctx.notify(classes::GENERIC, "del", key);
    } else {
        ctx.signal_modified(key);
    }
    ctx.dirty((left + right) as u64);
    Ok(Reply::OK)
}

fn lrem(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let count = args.next_i64()?;
    let elem = args.next()?;
    let Some(list) = write_list(ctx, key)? else {
        return Ok(Reply::Integer(0));
    };
    // A count of LONG_MIN stays negative in Redis and never stops early: the
    // same as our "no limit" once its magnitude exceeds any length.
    let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let removed = list.remove_matching(elem, limit, count < 0);
    let emptied = list.is_empty();
    if removed > 0 {
        ctx.dirty(removed as u64);
        ctx.signal_modified(key);
        ctx.notify(classes::LIST, "lrem", key);
    }
    if emptied {
        ctx.delete_key(key);
        ctx.notify(classes::GENERIC, "del", key);
    }
    Ok(Reply::Integer(removed as i64))
}

#[cfg(test)]
mod tests;
