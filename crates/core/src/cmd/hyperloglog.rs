//! PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST (Redis's hyperloglog.c
//! commands). Sketches live in string values in Redis's byte layout
//! (`types::hll`), so they replicate, persist and DUMP as Redis's do.

use crate::args::{is, Args};
use crate::command::{acl, flags::*, Command};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::events::classes;
use crate::types::hll;
use crate::value::{StrValue, Value};
use bytes::Bytes;
use ember_resp::Reply;

pub fn commands() -> Vec<Command> {
    let debug = acl::HYPERLOGLOG | acl::ADMIN | acl::DANGEROUS;
    vec![
        Command::new("pfadd", -2, WRITE | DENYOOM | FAST, acl::HYPERLOGLOG, pfadd).keys(1, 1, 1),
        Command::new("pfcount", -2, READONLY, acl::HYPERLOGLOG, pfcount).keys(1, -1, 1),
        Command::new("pfmerge", -2, WRITE | DENYOOM, acl::HYPERLOGLOG, pfmerge).keys(1, -1, 1),
        Command::new("pfdebug", 3, WRITE | DENYOOM | ADMIN, debug, pfdebug).keys(2, 2, 1),
        Command::new("pfselftest", 1, ADMIN, debug, pfselftest),
    ]
}

fn not_a_sketch() -> CmdError {
    CmdError::other(hll::WRONGTYPE_ERR)
}

fn corrupt() -> CmdError {
    CmdError::other(hll::INVALID_ERR)
}

/// The bytes of a string holding a sketch (an integer-encoded string never
/// does), else Redis's "not a valid HyperLogLog" error.
fn sketch(s: &StrValue) -> Result<&[u8], CmdError> {
    s.bytes()
        .filter(|b| hll::is_sketch(b))
        .ok_or_else(not_a_sketch)
}

/// The sketch at `key` for modification, created empty if missing (and
/// then counted as one change): (buffer, created).
fn sketch_for_write<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<(&'a mut Vec<u8>, bool), CmdError> {
    let created = match ctx.write_str(key)? {
        Some(s) => sketch(s).map(|_| false)?,
        None => true,
    };
    if created {
        ctx.set_key(key, Value::Str(StrValue::raw(hll::new_sketch())), false);
    }
    let s = ctx.write_str(key)?.ok_or(CmdError::NoSuchKey)?;
    // In-place updates need the growable form (Redis's dbUnshareStringValue).
    Ok((s.make_raw(), created))
}

/// PFADD key [element ...]: 1 if some register (or the key) changed.
fn pfadd(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let elements = args.rest();
    let max_bytes = ctx.engine.config.hll_sparse_max_bytes as usize;
    let (buf, created) = sketch_for_write(ctx, key)?;
    let mut updated = u64::from(created);
    for element in elements {
        match hll::add(buf, element, max_bytes) {
            Some(true) => updated += 1,
            Some(false) => {}
            None => return Err(corrupt()),
        }
    }
    if updated == 0 {
        return Ok(Reply::Integer(0));
    }
    hll::invalidate_cache(buf);
    ctx.signal_modified(key);
    ctx.notify(classes::STRING, "pfadd", key);
    ctx.dirty(updated);
    Ok(Reply::Integer(1))
}

/// PFCOUNT key [key ...]: one key answers from (and refreshes) its cached
/// count; several are merged into a scratch sketch that is not stored.
fn pfcount(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let keys = args.rest();
    if let [key] = keys {
        return count_one(ctx, key);
    }
    let mut max = vec![0u8; hll::REGISTERS];
    for key in keys {
        if let Some(s) = ctx.read_str(key)? {
            if !hll::merge_into(&mut max, sketch(s)?) {
                return Err(corrupt());
            }
        }
    }
    Ok(Reply::Integer(hll::count_registers(&max) as i64))
}

fn count_one(ctx: &mut Ctx, key: &Bytes) -> CmdResult {
    match ctx.read_str(key)? {
        None => return Ok(Reply::Integer(0)),
        Some(s) => {
            sketch(s)?;
        }
    }
    let buf = ctx.write_str(key)?.ok_or(CmdError::NoSuchKey)?.make_raw();
    if let Some(count) = hll::cached_count(buf) {
        return Ok(Reply::Integer(count as i64));
    }
    let count = hll::count(buf).ok_or_else(corrupt)?;
    hll::set_cached_count(buf, count);
    // A read that rewrote the stored string: replicas and the AOF get the
    // PFCOUNT too, as Redis sends it, so their copies stay byte-identical.
    ctx.signal_modified(key);
    ctx.dirty(1);
    ctx.force_propagation();
    Ok(Reply::Integer(count as i64))
}

/// PFMERGE destkey [sourcekey ...]: the register-wise maximum of all of
/// them (the destination included) stored at destkey, dense if any input is.
fn pfmerge(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let keys = args.rest();
    let dest = &keys[0];
    let mut max = vec![0u8; hll::REGISTERS];
    let mut dense = false;
    for key in keys {
        if let Some(s) = ctx.read_str(key)? {
            let b = sketch(s)?;
            dense |= hll::encoding(b) == hll::DENSE;
            if !hll::merge_into(&mut max, b) {
                return Err(corrupt());
            }
        }
    }
    let max_bytes = ctx.engine.config.hll_sparse_max_bytes as usize;
    let (buf, _) = sketch_for_write(ctx, dest)?;
    if dense && !hll::make_dense(buf) {
        return Err(corrupt());
    }
    for (register, &value) in max.iter().enumerate() {
        if value > 0 {
            // (A corrupt destination was refused while merging.)
            let _ = hll::raise(buf, register, value, max_bytes);
        }
    }
    hll::invalidate_cache(buf);
    ctx.signal_modified(dest);
    // Redis reports a merge as a "pfadd" event.
    ctx.notify(classes::STRING, "pfadd", dest);
    ctx.dirty(1);
    Ok(Reply::OK)
}

/// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key.
fn pfdebug(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let sub = args.next()?;
    let key = args.next()?;
    match ctx.write_str(key)? {
        None => return Err(CmdError::err("The specified key does not exist")),
        Some(s) => {
            sketch(s)?;
        }
    }
    let buf = ctx.write_str(key)?.ok_or(CmdError::NoSuchKey)?.make_raw();
    let sparse = hll::encoding(buf) == hll::SPARSE;
    if is(sub, "getreg") || is(sub, "todense") {
        if sparse && !hll::make_dense(buf) {
            return Err(corrupt());
        }
        let registers = is(sub, "getreg").then(|| hll::dense_registers(buf));
        if sparse {
            // The encoding changed: propagated like a write.
            ctx.dirty(1);
        }
        return Ok(match registers {
            Some(registers) => Reply::Array(
                registers
                    .into_iter()
                    .map(|r| Reply::Integer(i64::from(r)))
                    .collect(),
            ),
            None => Reply::Integer(i64::from(sparse)),
        });
    }
    if is(sub, "decode") {
        if !sparse {
            return Err(CmdError::err("HLL encoding is not sparse"));
        }
        return Ok(Reply::bulk(hll::decode(buf).as_bytes()));
    }
    if is(sub, "encoding") {
        return Ok(Reply::status(if sparse { "sparse" } else { "dense" }));
    }
    Err(CmdError::err(format!(
        "Unknown PFDEBUG subcommand '{}'",
        String::from_utf8_lossy(sub)
    )))
}

/// PFSELFTEST: Redis's own checks of the implementation (register packing,
/// then sparse and dense sketches of 10 million elements agreeing and
/// staying within six standard errors).
fn pfselftest(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    let max_bytes = ctx.engine.config.hll_sparse_max_bytes as usize;
    match hll::self_test(&mut ctx.engine.rng, 1000, 10_000_000, max_bytes) {
        Ok(()) => Ok(Reply::OK),
        Err(why) => Err(CmdError::other(format!("TESTFAILED {why}"))),
    }
}
