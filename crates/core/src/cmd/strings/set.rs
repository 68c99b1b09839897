//! GET/SET and their variants: SETNX, SETEX, PSETEX, GETSET, GETDEL, GETEX,
//! MGET, MSET, MSETNX, with SET's and GETEX's expiry options.

use super::opt_is;
use crate::args::{parse_i64, Args};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::events::classes;
use crate::value::{StrValue, Value};
use bytes::Bytes;
use ember_resp::Reply;

/// How an expiry argument is read (EX/PX relative, EXAT/PXAT absolute).
#[derive(Clone, Copy, PartialEq)]
enum ExpireKind {
    Ex,
    Px,
    ExAt,
    PxAt,
}

impl ExpireKind {
    fn in_seconds(self) -> bool {
        matches!(self, ExpireKind::Ex | ExpireKind::ExAt)
    }
    fn relative(self) -> bool {
        matches!(self, ExpireKind::Ex | ExpireKind::Px)
    }
}

/// Options of SET (NX XX GET KEEPTTL EX PX EXAT PXAT) and GETEX (PERSIST EX PX
/// EXAT PXAT).
#[derive(Default)]
struct ExtOpts<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    expire: Option<(ExpireKind, &'a [u8])>,
}

/// Redis's parseExtendedStringArgumentsOrReply. An option is refused (syntax
/// error) when it conflicts with one already seen; repeating the same option
/// is allowed (the last expiry wins).
fn parse_ext<'a>(rest: &'a [Bytes], is_set: bool) -> Result<ExtOpts<'a>, CmdError> {
    let mut o = ExtOpts::default();
    let mut i = 0;
    while i < rest.len() {
        let opt = &rest[i][..];
        let next = rest.get(i + 1).map(|b| &b[..]);
        let kind = o.expire.map(|(k, _)| k);
        let expire_ok = |k: ExpireKind| {
            !o.keepttl && !o.persist && (kind.is_none() || kind == Some(k)) && next.is_some()
        };
        if is_set && opt_is(opt, "NX") && !o.xx {
            o.nx = true;
        } else if is_set && opt_is(opt, "XX") && !o.nx {
            o.xx = true;
        } else if is_set && opt_is(opt, "GET") {
            o.get = true;
        } else if is_set && opt_is(opt, "KEEPTTL") && !o.persist && o.expire.is_none() {
            o.keepttl = true;
        } else if !is_set && opt_is(opt, "PERSIST") && o.expire.is_none() && !o.keepttl {
            o.persist = true;
        } else if let Some(k) = [
            ("EX", ExpireKind::Ex),
            ("PX", ExpireKind::Px),
            ("EXAT", ExpireKind::ExAt),
            ("PXAT", ExpireKind::PxAt),
        ]
        .iter()
        .find(|(name, k)| opt_is(opt, name) && expire_ok(*k))
        .map(|(_, k)| *k)
        {
            o.expire = Some((k, next.expect("checked by expire_ok")));
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    Ok(o)
}

/// Redis's getExpireMillisecondsOrReply: the absolute expiry in ms, or
/// `invalid expire time` for non-positive values and overflow.
fn expire_at_ms(ctx: &Ctx, kind: ExpireKind, arg: &[u8]) -> Result<i64, CmdError> {
    let invalid = CmdError::InvalidExpire(ctx.cmd.name);
    let mut ms = parse_i64(arg)?;
    if ms <= 0 || (kind.in_seconds() && ms > i64::MAX / 1000) {
        return Err(invalid);
    }
    if kind.in_seconds() {
        ms *= 1000;
    }
    if kind.relative() {
        // Overflow wraps negative, which the check below reports (as Redis).
        ms = ms.wrapping_add(ctx.now_ms);
    }
    if ms <= 0 {
        return Err(invalid);
    }
    Ok(ms)
}

/// The current string value at `key` for replying (GET semantics): nil when
/// missing, `WRONGTYPE` for other types.
fn get_reply(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    Ok(match ctx.read_str(key)? {
        Some(v) => Reply::bulk(v.as_bytes()),
        None => Reply::Nil,
    })
}

pub(super) fn get(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    get_reply(ctx, key)
}

/// Redis's setGenericCommand: SET, SETNX, SETEX, PSETEX.
fn set_generic(
    ctx: &mut Ctx,
    argv: &[Bytes],
    key: &[u8],
    value: &[u8],
    o: &ExtOpts,
    ok_reply: Reply,
    abort_reply: Reply,
) -> CmdResult {
    let expire_at = match o.expire {
        Some((kind, arg)) => Some(expire_at_ms(ctx, kind, arg)?),
        None => None,
    };
    let old = if o.get {
        Some(get_reply(ctx, key)?)
    } else {
        None
    };
    // An expired key is deleted first (its event, DEL propagation), as
    // lookupKeyWrite does; only NX/XX then need to know whether the key is
    // there, so a plain SET does one keyspace lookup (in set_key), not two.
    let expired = ctx.expire_if_needed(key);
    if (o.nx || o.xx) && (!expired && ctx.exists(key)) == o.nx {
        return Ok(old.unwrap_or(abort_reply));
    }
    ctx.set_key(key, Value::Str(StrValue::from_bytes(value)), o.keepttl);
    ctx.dirty(1);
    ctx.notify(classes::STRING, "set", key);
    if let Some(at) = expire_at {
        ctx.set_expire(key, at);
        // Relative expiries replicate as an absolute time; NX/XX/GET/KEEPTTL
        // mean nothing once the write happened.
        ctx.propagate_as(vec![
            Bytes::from_static(b"SET"),
            Bytes::copy_from_slice(key),
            Bytes::copy_from_slice(value),
            Bytes::from_static(b"PXAT"),
            Bytes::copy_from_slice(itoa::Buffer::new().format(at).as_bytes()),
        ]);
        ctx.notify(classes::GENERIC, "expire", key);
    } else if o.get {
        // Replicas get the command without its GET option(s).
        let stripped = argv
            .iter()
            .enumerate()
            .filter(|(j, a)| *j < 3 || !opt_is(a, "GET"))
            .map(|(_, a)| a.clone())
            .collect();
        ctx.propagate_as(stripped);
    }
    Ok(old.unwrap_or(ok_reply))
}

pub(super) fn set(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let value = args.next()?;
    let opts = parse_ext(args.rest(), true)?;
    set_generic(ctx, args.argv(), key, value, &opts, Reply::OK, Reply::Nil)
}

pub(super) fn setnx(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let value = args.next()?;
    let opts = ExtOpts {
        nx: true,
        ..ExtOpts::default()
    };
    set_generic(
        ctx,
        args.argv(),
        key,
        value,
        &opts,
        Reply::Integer(1),
        Reply::Integer(0),
    )
}

fn setex_generic(ctx: &mut Ctx, args: &mut Args, kind: ExpireKind) -> CmdResult {
    let key = args.next()?;
    let expire = args.next()?;
    let value = args.next()?;
    let opts = ExtOpts {
        expire: Some((kind, expire)),
        ..ExtOpts::default()
    };
    set_generic(ctx, args.argv(), key, value, &opts, Reply::OK, Reply::Nil)
}

pub(super) fn setex(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    setex_generic(ctx, args, ExpireKind::Ex)
}

pub(super) fn psetex(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    setex_generic(ctx, args, ExpireKind::Px)
}

pub(super) fn getset(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let value = args.next()?;
    let old = get_reply(ctx, key)?;
    ctx.set_key(key, Value::Str(StrValue::from_bytes(value)), false);
    ctx.notify(classes::STRING, "set", key);
    ctx.dirty(1);
    ctx.propagate_as(vec![
        Bytes::from_static(b"SET"),
        Bytes::copy_from_slice(key),
        Bytes::copy_from_slice(value),
    ]);
    Ok(old)
}

/// Deletions replicate as UNLINK when the matching lazyfree option is on.
fn del_word(lazy: bool) -> Bytes {
    Bytes::from_static(if lazy { b"UNLINK" } else { b"DEL" })
}

pub(super) fn getdel(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let reply = get_reply(ctx, key)?;
    if ctx.delete_key(key) {
        let lazy = ctx.engine.config.lazyfree_lazy_user_del;
        ctx.propagate_as(vec![del_word(lazy), Bytes::copy_from_slice(key)]);
        ctx.notify(classes::GENERIC, "del", key);
        ctx.dirty(1);
    }
    Ok(reply)
}

pub(super) fn getex(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let opts = parse_ext(args.rest(), false)?;
    let reply = get_reply(ctx, key)?;
    if matches!(reply, Reply::Nil) {
        return Ok(reply);
    }
    // Validated only once the key is known to exist, as Redis does.
    let expire_at = match opts.expire {
        Some((kind, arg)) => Some((kind, expire_at_ms(ctx, kind, arg)?)),
        None => None,
    };
    let key_b = || Bytes::copy_from_slice(key);
    match expire_at {
        Some((kind, at)) if !kind.relative() && ctx.already_expired(at) => {
            // An absolute time already passed: the key goes now.
            ctx.delete_key(key);
            let lazy = ctx.engine.config.lazyfree_lazy_expire;
            ctx.propagate_as(vec![del_word(lazy), key_b()]);
            ctx.notify(classes::GENERIC, "del", key);
            ctx.dirty(1);
        }
        Some((_, at)) => {
            ctx.set_expire(key, at);
            let at = Bytes::copy_from_slice(itoa::Buffer::new().format(at).as_bytes());
            ctx.propagate_as(vec![Bytes::from_static(b"PEXPIREAT"), key_b(), at]);
            ctx.notify(classes::GENERIC, "expire", key);
            ctx.dirty(1);
        }
        // PERSIST writes (and replicates) only when there was a TTL to remove.
        None if opts.persist && ctx.db().persist(key) => {
            ctx.signal_modified(key);
            ctx.propagate_as(vec![Bytes::from_static(b"PERSIST"), key_b()]);
            ctx.notify(classes::GENERIC, "persist", key);
            ctx.dirty(1);
        }
        None => {}
    }
    Ok(reply)
}

pub(super) fn mget(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let keys = args.rest();
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        out.push(match ctx.lookup_read(key) {
            Some(Value::Str(s)) => Reply::bulk(s.as_bytes()),
            // Missing keys and other types both read as nil.
            #[allow(unreachable_patterns)]
            _ => Reply::Nil,
        });
    }
    Ok(Reply::Array(out))
}

fn mset_generic(ctx: &mut Ctx, args: &mut Args, nx: bool) -> CmdResult {
    let name = ctx.cmd.name;
    let pairs = args.pairs(name)?;
    if nx {
        for (key, _) in &pairs {
            if ctx.exists(key) {
                return Ok(Reply::Integer(0));
            }
        }
    }
    for (key, value) in &pairs {
        ctx.set_key(key, Value::Str(StrValue::from_bytes(value)), false);
        ctx.notify(classes::STRING, "set", key);
    }
    ctx.dirty(pairs.len() as u64);
    Ok(if nx { Reply::Integer(1) } else { Reply::OK })
}

pub(super) fn mset(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    mset_generic(ctx, args, false)
}

pub(super) fn msetnx(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    mset_generic(ctx, args, true)
}
