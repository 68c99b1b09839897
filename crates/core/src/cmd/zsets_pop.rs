//! ZPOPMIN, ZPOPMAX and ZMPOP (Redis's genericZpopCommand). Popping lives in
//! [`pop_from`], which carries every side effect (events, dirty, deleting an
//! emptied key), and argument parsing in [`parse_mpop`], so the blocking forms
//! (BZPOPMIN, BZPOPMAX, BZMPOP) can re-run them when a key gets an element.

use crate::args::{parse_i64, Args};
use crate::cmd::strings::opt_is;
use crate::cmd::zsets::{delete_emptied, resp3, vetted_zset, write_zset};
use crate::ctx::{classes, Ctx};
use crate::error::{CmdError, CmdResult};
use bytes::Bytes;
use ember_resp::Reply;

pub fn zpopmin(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zpop_generic(ctx, args, false)
}

pub fn zpopmax(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zpop_generic(ctx, args, true)
}

fn zpop_generic(ctx: &mut Ctx, args: &mut Args, max: bool) -> CmdResult {
    let argv = args.argv();
    if argv.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = match argv.get(2) {
        None => None,
        Some(a) => match parse_i64(a) {
            Ok(n) if n >= 0 => Some(n as u64),
            _ => return Err(CmdError::err("value is out of range, must be positive")),
        },
    };
    let key = &argv[1];
    let nested = count.is_some() && resp3(ctx);
    if write_zset(ctx, key)?.is_none() || count == Some(0) {
        return Ok(Reply::Array(Vec::new()));
    }
    let popped = pop_from(ctx, key, max, count.unwrap_or(1));
    Ok(owned_reply(popped, nested))
}

/// [`popped_reply`] consuming the pairs (no copies of the members).
fn owned_reply(popped: Vec<(Bytes, f64)>, nested: bool) -> Reply {
    let mut out = Vec::with_capacity(popped.len() * 2);
    for (m, s) in popped {
        if nested {
            out.push(Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]));
        } else {
            out.push(Reply::Bulk(m));
            out.push(Reply::Double(s));
        }
    }
    Reply::Array(out)
}

/// Popped pairs as a flat array, or (`nested`) an array of [member, score].
pub fn popped_reply(popped: &[(Bytes, f64)], nested: bool) -> Reply {
    let mut out = Vec::with_capacity(popped.len() * 2);
    for (m, s) in popped {
        if nested {
            out.push(Reply::Array(vec![
                Reply::Bulk(m.clone()),
                Reply::Double(*s),
            ]));
        } else {
            out.push(Reply::Bulk(m.clone()));
            out.push(Reply::Double(*s));
        }
    }
    Reply::Array(out)
}

/// Pops up to `count` lowest (or, if `max`, highest) members from the sorted
/// set at `key`, which the caller has looked up and found to be one. Fires
/// `zpopmin`/`zpopmax` (and `del` if it empties the key) and counts each
/// popped member as a change.
pub fn pop_from(ctx: &mut Ctx, key: &[u8], max: bool, count: u64) -> Vec<(Bytes, f64)> {
    let z = vetted_zset(ctx, key);
    let n = (count.min(z.len() as u64)) as usize;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let (m, s) = z.pop(max).expect("counted");
        out.push((Bytes::from(m), s));
    }
    let emptied = z.is_empty();
    if n > 0 {
        ctx.dirty(n as u64);
        ctx.notify(classes::ZSET, if max { "zpopmax" } else { "zpopmin" }, key);
        ctx.signal_modified(key);
    }
    if emptied {
        delete_emptied(ctx, key);
    }
    out
}

/// The parsed tail of `ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]`
/// (`numkeys_at` is 1 for ZMPOP, 2 for BZMPOP).
pub struct Mpop<'a> {
    pub keys: &'a [Bytes],
    pub max: bool,
    pub count: u64,
}

pub fn parse_mpop(argv: &[Bytes], numkeys_at: usize) -> Result<Mpop<'_>, CmdError> {
    let numkeys = match parse_i64(&argv[numkeys_at]) {
        Ok(n) if n >= 1 => n as u64,
        _ => return Err(CmdError::err("numkeys should be greater than 0")),
    };
    let where_at = (numkeys_at as u64)
        .saturating_add(numkeys)
        .saturating_add(1);
    if where_at >= argv.len() as u64 {
        return Err(CmdError::Syntax);
    }
    let where_at = where_at as usize;
    let max = if opt_is(&argv[where_at], "min") {
        false
    } else if opt_is(&argv[where_at], "max") {
        true
    } else {
        return Err(CmdError::Syntax);
    };
    let mut count: Option<u64> = None;
    let mut j = where_at + 1;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        if count.is_none() && opt_is(&argv[j], "count") && more {
            count = match parse_i64(&argv[j + 1]) {
                Ok(n) if n >= 1 => Some(n as u64),
                _ => return Err(CmdError::err("count should be greater than 0")),
            };
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(Mpop {
        keys: &argv[numkeys_at + 1..where_at],
        max,
        count: count.unwrap_or(1),
    })
}

/// The key popped from and its (member, score) pairs.
pub type Popped = (Bytes, Vec<(Bytes, f64)>);

/// Pops from the first non-empty key of `m.keys` (a key of another type there
/// is an error); `None` when every key is missing. Propagates as
/// `ZPOPMIN|ZPOPMAX key count`, as Redis 7.0 rewrites ZMPOP/BZMPOP.
pub fn mpop(ctx: &mut Ctx, m: &Mpop<'_>) -> Result<Option<Popped>, CmdError> {
    for key in m.keys {
        let Some(z) = write_zset(ctx, key)? else {
            continue;
        };
        let n = m.count.min(z.len() as u64);
        let popped = pop_from(ctx, key, m.max, m.count);
        let name: &'static [u8] = if m.max { b"ZPOPMAX" } else { b"ZPOPMIN" };
        ctx.propagate_as(vec![
            Bytes::from_static(name),
            key.clone(),
            Bytes::from(n.to_string()),
        ]);
        return Ok(Some((key.clone(), popped)));
    }
    Ok(None)
}

/// `[key, [[member, score], ...]]` (ZMPOP's reply in both protocols).
pub fn mpop_reply(key: Bytes, popped: &[(Bytes, f64)]) -> Reply {
    Reply::Array(vec![Reply::Bulk(key), popped_reply(popped, true)])
}

pub fn zmpop(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let m = parse_mpop(args.argv(), 1)?;
    Ok(match mpop(ctx, &m)? {
        Some((key, popped)) => Reply::Array(vec![Reply::Bulk(key), owned_reply(popped, true)]),
        None => Reply::NilArray,
    })
}
