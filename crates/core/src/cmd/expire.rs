//! Key expiry commands (Redis's expire.c): EXPIRE PEXPIRE EXPIREAT PEXPIREAT
//! with NX XX GT LT, TTL PTTL EXPIRETIME PEXPIRETIME and PERSIST.

use crate::args::{self, Args};
use crate::command::{acl, flags::*, Command};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::events::classes;
use bytes::Bytes;
use ember_resp::Reply;

pub fn commands() -> Vec<Command> {
    vec![
        Command::new("expire", -3, WRITE | FAST, acl::KEYSPACE, expire).keys(1, 1, 1),
        Command::new("pexpire", -3, WRITE | FAST, acl::KEYSPACE, pexpire).keys(1, 1, 1),
        Command::new("expireat", -3, WRITE | FAST, acl::KEYSPACE, expireat).keys(1, 1, 1),
        Command::new("pexpireat", -3, WRITE | FAST, acl::KEYSPACE, pexpireat).keys(1, 1, 1),
        Command::new("ttl", 2, READONLY | FAST, acl::KEYSPACE, ttl).keys(1, 1, 1),
        Command::new("pttl", 2, READONLY | FAST, acl::KEYSPACE, pttl).keys(1, 1, 1),
        Command::new("expiretime", 2, READONLY | FAST, acl::KEYSPACE, expiretime).keys(1, 1, 1),
        Command::new(
            "pexpiretime",
            2,
            READONLY | FAST,
            acl::KEYSPACE,
            pexpiretime,
        )
        .keys(1, 1, 1),
        Command::new("persist", 2, WRITE | FAST, acl::KEYSPACE, persist).keys(1, 1, 1),
    ]
}

fn expire(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let now = ctx.now_ms;
    expire_generic(ctx, args, now, true)
}

fn pexpire(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let now = ctx.now_ms;
    expire_generic(ctx, args, now, false)
}

fn expireat(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    expire_generic(ctx, args, 0, true)
}

fn pexpireat(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    expire_generic(ctx, args, 0, false)
}

#[derive(Default)]
struct Cond {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

/// NX | XX | GT | LT, any number of times, checked for compatibility.
fn parse_cond(opts: &[Bytes]) -> Result<Cond, CmdError> {
    let mut c = Cond::default();
    for opt in opts {
        if args::is(opt, "nx") {
            c.nx = true;
        } else if args::is(opt, "xx") {
            c.xx = true;
        } else if args::is(opt, "gt") {
            c.gt = true;
        } else if args::is(opt, "lt") {
            c.lt = true;
        } else {
            return Err(CmdError::err(format!(
                "Unsupported option {}",
                String::from_utf8_lossy(opt)
            )));
        }
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        return Err(CmdError::err(
            "NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if c.gt && c.lt {
        return Err(CmdError::err(
            "GT and LT options at the same time are not compatible",
        ));
    }
    Ok(c)
}

/// Redis's expireGenericCommand: `basetime` is 0 for the *AT forms, else now.
fn expire_generic(ctx: &mut Ctx, args: &mut Args, basetime: i64, seconds: bool) -> CmdResult {
    let key = args.next()?;
    let param = args.next()?;
    let opts = args.rest();
    let cond = parse_cond(opts)?;
    let mut when = args::parse_i64(param)?;
    let invalid = || CmdError::InvalidExpire(ctx.cmd.name);
    if seconds {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    when = when.checked_add(basetime).ok_or_else(invalid)?;

    if ctx.lookup_write(key).is_none() {
        return Ok(Reply::Integer(0));
    }
    let current = ctx.expire_of(key);
    let refused = (cond.nx && current.is_some())
        || (cond.xx && current.is_none())
        // No TTL counts as infinite: GT never succeeds, LT always can.
        || (cond.gt && !matches!(current, Some(c) if when > c))
        || (cond.lt && current.is_some_and(|c| when >= c));
    if refused {
        return Ok(Reply::Integer(0));
    }

    // Already in the past: delete now (replicas wait for the master's DEL).
    if ctx.already_expired(when) {
        ctx.db().remove(key);
        ctx.dirty(1);
        ctx.propagate_as(vec![Bytes::from_static(b"DEL"), key.clone()]);
        ctx.signal_modified(key);
        ctx.notify(classes::GENERIC, "del", key);
        return Ok(Reply::Integer(1));
    }
    ctx.set_expire(key, when);
    // Propagated in absolute form, options kept: PEXPIREAT key <ms> [NX|XX|GT|LT].
    if ctx.cmd.name != "pexpireat" {
        let mut argv = Vec::with_capacity(3 + opts.len());
        argv.push(Bytes::from_static(b"PEXPIREAT"));
        argv.push(key.clone());
        argv.push(Bytes::copy_from_slice(
            itoa::Buffer::new().format(when).as_bytes(),
        ));
        argv.extend(opts.iter().cloned());
        ctx.propagate_as(argv);
    }
    ctx.notify(classes::GENERIC, "expire", key);
    ctx.dirty(1);
    Ok(Reply::Integer(1))
}

/// TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for a missing key, -1 without TTL.
fn ttl_generic(ctx: &mut Ctx, args: &mut Args, ms: bool, absolute: bool) -> CmdResult {
    let key = args.next()?;
    if ctx.lookup_read_with(key, false, true).is_none() {
        return Ok(Reply::Integer(-2));
    }
    let Some(at) = ctx.expire_of(key) else {
        return Ok(Reply::Integer(-1));
    };
    let t = if absolute { at } else { at - ctx.now_ms }.max(0);
    // Rounded to seconds without overflowing near i64::MAX (PXAT
    // 9223372036854775807 reads back as 9223372036854776, as in Redis).
    let secs = ((i128::from(t) + 500) / 1000) as i64;
    Ok(Reply::Integer(if ms { t } else { secs }))
}

fn ttl(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    ttl_generic(ctx, args, false, false)
}

fn pttl(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    ttl_generic(ctx, args, true, false)
}

fn expiretime(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    ttl_generic(ctx, args, false, true)
}

fn pexpiretime(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    ttl_generic(ctx, args, true, true)
}

fn persist(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    if ctx.lookup_write(key).is_none() || !ctx.db().persist(key) {
        return Ok(Reply::Integer(0));
    }
    ctx.signal_modified(key);
    ctx.notify(classes::GENERIC, "persist", key);
    ctx.dirty(1);
    Ok(Reply::Integer(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{T, T0};

    #[test]
    fn ttl_family_and_rounding() {
        let mut t = T::new();
        assert_eq!(t.int(&["TTL", "k"]), -2);
        assert_eq!(t.int(&["PEXPIRETIME", "k"]), -2);
        t.run(&["SET", "k", "v"]);
        assert_eq!(t.int(&["TTL", "k"]), -1);
        assert_eq!(t.int(&["EXPIRETIME", "k"]), -1);
        assert_eq!(t.int(&["PEXPIRE", "k", "1499"]), 1);
        assert_eq!(t.int(&["TTL", "k"]), 1);
        assert_eq!(t.int(&["PTTL", "k"]), 1499);
        assert_eq!(t.int(&["PEXPIRETIME", "k"]), T0 + 1499);
        assert_eq!(t.int(&["EXPIRETIME", "k"]), (T0 + 1499 + 500) / 1000);
        t.clock.advance(1000);
        assert_eq!(t.int(&["TTL", "k"]), 0);
        assert_eq!(t.int(&["PTTL", "k"]), 499);
        assert_eq!(t.int(&["PERSIST", "k"]), 1);
        assert_eq!(t.int(&["PERSIST", "k"]), 0);
        assert_eq!(t.int(&["PERSIST", "nokey"]), 0);
        assert_eq!(t.int(&["TTL", "k"]), -1);
    }

    /// The latest expire there is: its second is rounded up without
    /// overflowing (a debug build used to panic here).
    #[test]
    fn expiretime_at_the_end_of_time() {
        let mut t = T::new();
        t.run(&["SET", "k", "v", "PXAT", "9223372036854775807"]);
        assert_eq!(t.int(&["PEXPIRETIME", "k"]), i64::MAX);
        assert_eq!(t.int(&["EXPIRETIME", "k"]), 9223372036854776);
        assert_eq!(
            t.int(&["TTL", "k"]),
            ((i128::from(i64::MAX - T0) + 500) / 1000) as i64
        );
    }

    #[test]
    fn options_and_errors() {
        let mut t = T::new();
        t.run(&["SET", "k", "v"]);
        let e = |s: &'static str| Reply::error(s);
        assert_eq!(
            t.run(&["EXPIRE", "k", "10", "foo"]),
            e("ERR Unsupported option foo")
        );
        assert_eq!(
            t.run(&["EXPIRE", "k", "10", "nx", "xx"]),
            e("ERR NX and XX, GT or LT options at the same time are not compatible")
        );
        assert_eq!(
            t.run(&["EXPIRE", "k", "10", "gt", "lt"]),
            e("ERR GT and LT options at the same time are not compatible")
        );
        assert_eq!(
            t.run(&["EXPIRE", "k", "x"]),
            e("ERR value is not an integer or out of range")
        );
        assert_eq!(
            t.run(&["EXPIRE", "k", "9223372036854775"]),
            e("ERR invalid expire time in 'expire' command")
        );
        assert_eq!(
            t.run(&["PEXPIRE", "k", "9223372036854775807"]),
            e("ERR invalid expire time in 'pexpire' command")
        );
        assert_eq!(t.int(&["PEXPIREAT", "k", "9223372036854775807"]), 1);
        assert_eq!(t.int(&["PERSIST", "k"]), 1);
        // GT on a key without TTL fails (infinite), LT succeeds.
        assert_eq!(t.int(&["EXPIRE", "k", "100", "GT"]), 0);
        assert_eq!(t.int(&["EXPIRE", "k", "100", "XX"]), 0);
        assert_eq!(t.int(&["EXPIRE", "k", "100", "LT"]), 1);
        assert_eq!(t.int(&["EXPIRE", "k", "200", "NX"]), 0);
        assert_eq!(t.int(&["EXPIRE", "k", "200", "LT"]), 0);
        assert_eq!(t.int(&["EXPIRE", "k", "200", "GT", "XX"]), 1);
        assert_eq!(t.int(&["TTL", "k"]), 200);
        assert_eq!(t.int(&["EXPIRE", "nokey", "100"]), 0);
    }

    #[test]
    fn propagation_and_events() {
        let mut t = T::new();
        t.run(&["SET", "k", "v"]);
        T::take(&t.props);
        T::take(&t.events);
        t.run(&["EXPIRE", "k", "100", "gt"]);
        t.run(&["expire", "k", "100"]);
        t.run(&["PEXPIRE", "k", "5000"]);
        t.run(&["EXPIREAT", "k", "1800000000"]);
        t.run(&["pexpireat", "k", "1800000000001"]);
        assert_eq!(
            T::take(&t.props),
            vec![
                format!("PEXPIREAT k {}", T0 + 100_000),
                format!("PEXPIREAT k {}", T0 + 5000),
                "PEXPIREAT k 1800000000000".to_string(),
                "pexpireat k 1800000000001".to_string(),
            ]
        );
        assert_eq!(T::take(&t.events).len(), 4);
        // In the past: deleted, propagated as DEL, event `del`.
        assert_eq!(t.int(&["EXPIRE", "k", "-1"]), 1);
        assert_eq!(t.int(&["EXISTS", "k"]), 0);
        assert_eq!(T::take(&t.props), vec!["DEL k".to_string()]);
        assert_eq!(T::take(&t.events), vec!["del:k".to_string()]);
        assert_eq!(t.e.stats.expired_keys, 0);
        t.run(&["SET", "k", "v"]);
        t.run(&["EXPIRE", "k", "100"]);
        T::take(&t.events);
        assert_eq!(t.int(&["PERSIST", "k"]), 1);
        assert_eq!(T::take(&t.events), vec!["persist:k".to_string()]);
        // A replica keeps the key with a past expiry and waits for the master.
        t.e.is_replica = true;
        // (A writable replica: READONLY would refuse a normal client.)
        t.e.config.replica_read_only = false;
        assert_eq!(t.int(&["PEXPIREAT", "k", "1"]), 1);
        assert_eq!(t.e.dbs[0].len(), 1);
    }
}
