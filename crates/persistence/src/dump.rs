//! DUMP and RESTORE, and their payload: the value's RDB serialization, the
//! 2-byte RDB version (little endian) and the CRC-64 of both (little endian),
//! byte-compatible with Redis 7.0 in both directions.

use crate::codec::{self, Encodings};
use crate::error::Result;
use crate::rio::{RdbReader, RdbWriter, RDB_VERSION};
use ember_core::args::{is, Args};
use ember_core::ctx::classes;
use ember_core::value::Value;
use ember_core::{Bytes, CmdError, CmdResult, Ctx, Reply};

/// The DUMP payload of `value`.
pub fn payload(value: &Value, enc: &Encodings, compress: bool) -> Vec<u8> {
    let mut w = RdbWriter::new(Vec::with_capacity(64), compress);
    // Writing into a Vec cannot fail.
    let _ = codec::write_value(&mut w, value, enc);
    let _ = w.write_all(&RDB_VERSION.to_le_bytes());
    let crc = w.crc();
    let mut out = w.into_inner();
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Redis's verifyDumpPayload: room for the footer, a version this server
/// reads, and a matching checksum (unless `skip_crc`).
pub fn verify(p: &[u8], skip_crc: bool) -> bool {
    if p.len() < 10 {
        return false;
    }
    let footer = &p[p.len() - 10..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION {
        return false;
    }
    if skip_crc {
        return true;
    }
    let crc = crc64::crc64(0, &p[..p.len() - 8]);
    crc.to_le_bytes() == footer[2..10]
}

/// The value in a verified payload; `Ok(None)` for an empty collection.
pub fn decode(p: &[u8], enc: &Encodings) -> Result<Option<Value>> {
    let body = &p[..p.len().saturating_sub(10)];
    let mut r = RdbReader::with_len(body, body.len() as u64);
    let ty = r.read_u8()?;
    codec::read_value(&mut r, ty, enc)
}

pub(crate) fn dump(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let enc = Encodings::from_config(&ctx.engine.config);
    let compress = ctx.engine.config.rdbcompression;
    match ctx.lookup_read(key) {
        None => Ok(Reply::Nil),
        Some(v) => Ok(Reply::Bulk(Bytes::from(payload(v, &enc, compress)))),
    }
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f], with
/// Redis's checks in Redis's order.
pub(crate) fn restore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let argv = args.argv();
    let (key, ttl_arg, data) = (&argv[1], &argv[2], &argv[3]);
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq) = (None::<i64>, None::<i64>);
    let mut j = 4;
    while j < argv.len() {
        let a = &argv[j];
        let more = j + 1 < argv.len();
        if is(a, "replace") {
            replace = true;
        } else if is(a, "absttl") {
            absttl = true;
        } else if is(a, "idletime") && more && freq.is_none() {
            let v = ember_core::args::parse_i64(&argv[j + 1])?;
            if v < 0 {
                return Err(CmdError::err("Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(v);
            j += 1;
        } else if is(a, "freq") && more && idle.is_none() {
            let v = ember_core::args::parse_i64(&argv[j + 1])?;
            if !(0..=255).contains(&v) {
                return Err(CmdError::err("Invalid FREQ value, must be >= 0 and <= 255"));
            }
            freq = Some(v);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if !replace && ctx.lookup_write(key).is_some() {
        return Err(CmdError::other("BUSYKEY Target key name already exists."));
    }
    let mut ttl = ember_core::args::parse_i64(ttl_arg)?;
    if ttl < 0 {
        return Err(CmdError::err("Invalid TTL value, must be >= 0"));
    }
    let skip_crc = crate::save::state(ctx.engine).skip_checksum_validation;
    if !verify(data, skip_crc) {
        return Err(CmdError::err("DUMP payload version or checksum are wrong"));
    }
    let enc = Encodings::from_config(&ctx.engine.config);
    let value = match decode(data, &enc) {
        Ok(Some(v)) => v,
        Ok(None) | Err(_) => return Err(CmdError::err("Bad data format")),
    };
    let deleted = replace && ctx.delete_key(key);
    if ttl != 0 && !absttl {
        // Wrapping, as Redis's `ttl += mstime()`: a relative TTL past
        // i64::MAX - now comes out negative, so the key counts as already
        // expired and is not stored.
        ttl = ttl.wrapping_add(ctx.now_ms);
    }
    if ttl != 0 && ctx.already_expired(ttl) {
        if deleted {
            ctx.propagate_as(vec![Bytes::from_static(b"DEL"), key.clone()]);
            ctx.notify(classes::GENERIC, "del", key);
            ctx.dirty(1);
        }
        return Ok(Reply::OK);
    }
    ctx.set_key(key, value, false);
    if ttl != 0 {
        ctx.set_expire(key, ttl);
        if !absttl {
            // Propagated with the absolute time (Redis rewrites argv[2] and adds ABSTTL).
            let mut v = argv.to_vec();
            v[2] = Bytes::from(ttl.to_string());
            v.push(Bytes::from_static(b"ABSTTL"));
            ctx.propagate_as(v);
        }
    }
    if idle.is_some() || freq.is_some() {
        let stamp = crate::rdb::restored_stamp(
            &ctx.engine.config,
            ctx.now_ms,
            idle.map(|s| s as u64),
            freq.map(|f| f as u8),
        );
        let db = ctx.db_index;
        ctx.engine.dbs[db].set_stamp(key, stamp);
    }
    ctx.notify(classes::GENERIC, "restore", key);
    ctx.dirty(1);
    Ok(Reply::OK)
}
