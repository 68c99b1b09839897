//! Counters: INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT.

use crate::args::Args;
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::events::classes;
use crate::long_double::LongDouble;
use crate::value::{StrValue, Value};
use bytes::Bytes;
use ember_resp::Reply;

/// Redis's incrDecrCommand: a missing key counts as 0; the result is stored
/// int-encoded and the key keeps its TTL.
fn incr_by(ctx: &mut Ctx, key: &[u8], by: i64) -> CmdResult {
    let old = match ctx.write_str(key)? {
        None => 0,
        Some(s) => s.as_i64().ok_or(CmdError::NotInteger)?,
    };
    let new = old.checked_add(by).ok_or(CmdError::Overflow)?;
    ctx.set_key(key, Value::Str(StrValue::from_int(new)), true);
    ctx.notify(classes::STRING, "incrby", key);
    ctx.dirty(1);
    Ok(Reply::Integer(new))
}

pub(super) fn incr(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    incr_by(ctx, key, 1)
}

pub(super) fn decr(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    incr_by(ctx, key, -1)
}

pub(super) fn incrby(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let by = args.next_i64()?;
    incr_by(ctx, key, by)
}

pub(super) fn decrby(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let by = args.next_i64()?;
    if by == i64::MIN {
        // Negating it would overflow before the addition is even tried.
        return Err(CmdError::err("decrement would overflow"));
    }
    incr_by(ctx, key, -by)
}

/// INCRBYFLOAT in x87 `long double` arithmetic, as Redis computes it. The
/// result is stored as its text (never int-encoded), keeps the TTL, and is
/// replicated as `SET key <result> KEEPTTL` so replicas need not redo the math.
pub(super) fn incrbyfloat(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let by = args.next()?;
    let old = match ctx.write_str(key)? {
        None => LongDouble::from_i64(0),
        Some(s) if s.int().is_some() => LongDouble::from_i64(s.int().expect("int")),
        Some(s) => LongDouble::parse(&s.as_bytes()).ok_or(CmdError::NotFloat)?,
    };
    let by = LongDouble::parse(by).ok_or(CmdError::NotFloat)?;
    let new = old.add(by);
    if !new.is_finite() {
        return Err(CmdError::err("increment would produce NaN or Infinity"));
    }
    let text = Bytes::from(new.to_human_string().into_bytes());
    ctx.set_key(key, Value::Str(StrValue::from_vec(text.to_vec())), true);
    ctx.notify(classes::STRING, "incrbyfloat", key);
    ctx.dirty(1);
    ctx.propagate_as(vec![
        Bytes::from_static(b"SET"),
        Bytes::copy_from_slice(key),
        text.clone(),
        Bytes::from_static(b"KEEPTTL"),
    ]);
    Ok(Reply::Bulk(text))
}
