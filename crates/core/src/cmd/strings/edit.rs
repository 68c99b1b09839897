//! In-place string edits and partial reads: APPEND, STRLEN, GETRANGE/SUBSTR,
//! SETRANGE.

use super::check_string_length;
use crate::args::Args;
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::events::classes;
use crate::value::{StrValue, Value};
use ember_resp::Reply;

pub(super) fn append(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let tail = args.next()?;
    let total = match ctx.write_str(key)? {
        None => {
            // A new key holds the argument as SET would store it.
            ctx.set_key(key, Value::Str(StrValue::from_bytes(tail)), false);
            tail.len()
        }
        Some(s) => {
            let len = s.len() as i64;
            check_string_length(ctx, len, tail.len() as i64)?;
            let buf = ctx.write_str(key)?.expect("checked above").make_raw();
            buf.extend_from_slice(tail);
            let total = buf.len();
            ctx.signal_modified(key);
            total
        }
    };
    ctx.notify(classes::STRING, "append", key);
    ctx.dirty(1);
    Ok(Reply::Integer(total as i64))
}

pub(super) fn strlen(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    Ok(Reply::Integer(
        ctx.read_str(key)?.map_or(0, |s| s.len() as i64),
    ))
}

/// GETRANGE and its old name SUBSTR: inclusive range, negative indexes count
/// from the end, clamped to the string.
pub(super) fn getrange(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let mut start = args.next_i64()?;
    let mut end = args.next_i64()?;
    let Some(s) = ctx.read_str(key)? else {
        return Ok(Reply::bulk_static(b""));
    };
    let bytes = s.as_bytes();
    let len = bytes.len() as i64;
    if start < 0 && end < 0 && start > end {
        return Ok(Reply::bulk_static(b""));
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return Ok(Reply::bulk_static(b""));
    }
    Ok(Reply::bulk(&bytes[start as usize..=end as usize]))
}

pub(super) fn setrange(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let offset = args.next_i64()?;
    let value = args.next()?;
    if offset < 0 {
        return Err(CmdError::err("offset is out of range"));
    }
    let len = match ctx.write_str(key)? {
        None => {
            if value.is_empty() {
                return Ok(Reply::Integer(0));
            }
            check_string_length(ctx, offset, value.len() as i64)?;
            // Exactly sized, as Redis's sdsnewlen: zeroes then the value
            // (growing a vec of the zeroes would double its capacity).
            let mut buf = Vec::with_capacity(offset as usize + value.len());
            buf.resize(offset as usize, 0);
            buf.extend_from_slice(value);
            let len = buf.len();
            ctx.set_key(key, Value::Str(StrValue::raw(buf)), false);
            len
        }
        Some(s) => {
            let olen = s.len();
            if value.is_empty() {
                return Ok(Reply::Integer(olen as i64));
            }
            check_string_length(ctx, offset, value.len() as i64)?;
            let buf = ctx.write_str(key)?.expect("checked above").make_raw();
            let (off, end) = (offset as usize, offset as usize + value.len());
            if buf.len() < end {
                buf.resize(end, 0);
            }
            buf[off..end].copy_from_slice(value);
            let len = buf.len();
            ctx.signal_modified(key);
            len
        }
    };
    ctx.notify(classes::STRING, "setrange", key);
    ctx.dirty(1);
    Ok(Reply::Integer(len as i64))
}
