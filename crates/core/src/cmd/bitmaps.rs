//! Bitmap commands (Redis's bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
//! BITFIELD and BITFIELD_RO. Bitmaps are plain strings; bit 0 is the most
//! significant bit of the first byte. Argument checks, lookups and type checks
//! happen in the same order as Redis 7.0, so the same error wins.

use crate::args::{is, parse_i64, Args};
use crate::command::{acl, flags::*, Command};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::events::classes;
use crate::value::{StrValue, Value};
use ember_resp::Reply;
use std::borrow::Cow;

const ERR_OFFSET: &str = "ERR bit offset is not an integer or out of range";
const ERR_BIT: &str = "ERR bit is not an integer or out of range";
const ERR_BIT_ARG: &str = "ERR The bit argument must be 1 or 0.";
const ERR_TYPE: &str = "ERR Invalid bitfield type. Use something like i16 u8. \
                        Note that u64 is not supported but i64 is.";

pub fn commands() -> Vec<Command> {
    vec![
        Command::new("setbit", 4, WRITE | DENYOOM, acl::BITMAP, setbit).keys(1, 1, 1),
        Command::new("getbit", 3, READONLY | FAST, acl::BITMAP, getbit).keys(1, 1, 1),
        Command::new("bitcount", -2, READONLY, acl::BITMAP, bitcount).keys(1, 1, 1),
        Command::new("bitpos", -3, READONLY, acl::BITMAP, bitpos).keys(1, 1, 1),
        Command::new("bitop", -4, WRITE | DENYOOM, acl::BITMAP, bitop).keys(2, -1, 1),
        Command::new("bitfield", -2, WRITE | DENYOOM, acl::BITMAP, bitfield).keys(1, 1, 1),
        Command::new("bitfield_ro", -2, READONLY | FAST, acl::BITMAP, bitfield_ro).keys(1, 1, 1),
    ]
}

/// A bit offset argument (Redis's getBitOffsetFromArgument). With `hash_bits > 0`
/// (BITFIELD) `#N` means `N * hash_bits`; the product wraps as it does in C.
fn parse_offset(ctx: &Ctx, arg: &[u8], hash_bits: u32) -> Result<u64, CmdError> {
    let (digits, mul) = match arg.first() {
        Some(b'#') if hash_bits > 0 => (&arg[1..], hash_bits as i64),
        _ => (arg, 1),
    };
    let n = parse_i64(digits)
        .map_err(|_| CmdError::other(ERR_OFFSET))?
        .wrapping_mul(mul);
    if n < 0 || (n >> 3) >= ctx.engine.config.proto_max_bulk_len {
        return Err(CmdError::other(ERR_OFFSET));
    }
    Ok(n as u64)
}

/// Resolves a `start end` pair against a length (bytes or bits) the way BITCOUNT
/// and BITPOS do; `None` for an empty range.
fn clamp_range(mut start: i64, mut end: i64, total: i64) -> Option<(i64, i64)> {
    if start < 0 {
        start += total;
    }
    if end < 0 {
        end += total;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    (start <= end).then_some((start, end))
}

/// The string as bytes (int-encoded values in their decimal form).
fn str_bytes(v: &StrValue) -> Cow<'_, [u8]> {
    v.as_bytes()
}

// ---------------------------------------------------------------------------
// SETBIT / GETBIT

fn setbit(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let offset = parse_offset(ctx, args.next()?, 0)?;
    let on = match parse_i64(args.next()?) {
        Ok(v @ 0..=1) => v == 1,
        _ => return Err(CmdError::other(ERR_BIT)),
    };
    let byte = (offset >> 3) as usize;
    let mask = 0x80u8 >> (offset & 7);
    let (old, changed) = match ctx.write_str(key)? {
        Some(s) => {
            // Like Redis's dbUnshareStringValue: the value turns raw even when unchanged.
            let buf = s.make_raw();
            let grew = buf.len() <= byte;
            if grew {
                buf.resize(byte + 1, 0);
            }
            let old = buf[byte] & mask != 0;
            if on {
                buf[byte] |= mask;
            } else {
                buf[byte] &= !mask;
            }
            if grew || old != on {
                ctx.signal_modified(key);
            }
            (old, grew || old != on)
        }
        None => {
            let mut buf = vec![0u8; byte + 1];
            if on {
                buf[byte] |= mask;
            }
            ctx.set_key(key, Value::Str(StrValue::raw(buf)), false);
            (false, true)
        }
    };
    if changed {
        ctx.notify(classes::STRING, "setbit", key);
        ctx.dirty(1);
    }
    Ok(Reply::Integer(old as i64))
}

fn getbit(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let offset = parse_offset(ctx, args.next()?, 0)?;
    let Some(s) = ctx.read_str(key)? else {
        return Ok(Reply::Integer(0));
    };
    let bytes = str_bytes(s);
    let byte = (offset >> 3) as usize;
    let bit = bytes
        .get(byte)
        .is_some_and(|b| b & (0x80u8 >> (offset & 7)) != 0);
    Ok(Reply::Integer(bit as i64))
}

// ---------------------------------------------------------------------------
// BITCOUNT / BITPOS

/// Number of set bits, a machine word at a time.
pub fn popcount(bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(32);
    let mut n = [0u64; 4];
    for c in &mut chunks {
        for (i, w) in c.chunks_exact(8).enumerate() {
            n[i] += u64::from_ne_bytes(w.try_into().unwrap()).count_ones() as u64;
        }
    }
    let rem = chunks.remainder();
    let mut words = rem.chunks_exact(8);
    let mut total = n.iter().sum::<u64>();
    for w in &mut words {
        total += u64::from_ne_bytes(w.try_into().unwrap()).count_ones() as u64;
    }
    total
        + words
            .remainder()
            .iter()
            .map(|b| b.count_ones() as u64)
            .sum::<u64>()
}

/// Set bits within bit positions `sb..=eb` (both inside `p`).
fn count_range(p: &[u8], sb: u64, eb: u64) -> u64 {
    let (first, last) = ((sb >> 3) as usize, (eb >> 3) as usize);
    let before = p[first] & !(0xffu8 >> (sb & 7));
    let after = p[last] & !(0xffu8 << (7 - (eb & 7)));
    popcount(&p[first..=last]) - before.count_ones() as u64 - after.count_ones() as u64
}

/// `BYTE`/`BIT` unit argument: true for bits.
fn parse_unit(arg: &[u8]) -> Result<bool, CmdError> {
    if is(arg, "bit") {
        Ok(true)
    } else if is(arg, "byte") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

fn bitcount(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let Some(s) = ctx.read_str(key)? else {
        return Ok(Reply::Integer(0));
    };
    let p = str_bytes(s);
    let len = p.len() as i64;
    let (sb, eb) = match args.remaining() {
        0 => match clamp_range(0, len - 1, len) {
            Some((s, e)) => (s * 8, e * 8 + 7),
            None => return Ok(Reply::Integer(0)),
        },
        2 | 3 => {
            let start = args.next_i64()?;
            let end = args.next_i64()?;
            // Redis answers this case before looking at the unit argument.
            if start < 0 && end < 0 && start > end {
                return Ok(Reply::Integer(0));
            }
            let bits = match args.next_opt() {
                Some(u) => parse_unit(u)?,
                None => false,
            };
            let total = if bits { len * 8 } else { len };
            match clamp_range(start, end, total) {
                Some((s, e)) if bits => (s, e),
                Some((s, e)) => (s * 8, e * 8 + 7),
                None => return Ok(Reply::Integer(0)),
            }
        }
        _ => return Err(CmdError::Syntax),
    };
    Ok(Reply::Integer(count_range(&p, sb as u64, eb as u64) as i64))
}

/// Position of the first bit equal to `bit` within bit positions `sb..=eb`.
fn find_bit(p: &[u8], sb: u64, eb: u64, bit: bool) -> Option<u64> {
    let (first, last) = ((sb >> 3) as usize, (eb >> 3) as usize);
    // Look for set bits in the (possibly inverted) byte, masked to the range.
    let probe = |i: usize| -> u8 {
        let mut b = if bit { p[i] } else { !p[i] };
        if i == first {
            b &= 0xff >> (sb & 7);
        }
        if i == last {
            b &= 0xff << (7 - (eb & 7));
        }
        b
    };
    let at = |i: usize, b: u8| Some(i as u64 * 8 + b.leading_zeros() as u64);
    let b = probe(first);
    if b != 0 {
        return at(first, b);
    }
    if first == last {
        return None;
    }
    let skip = if bit { 0u8 } else { 0xff };
    let mid = &p[first + 1..last];
    let skip_word = u64::from_ne_bytes([skip; 8]);
    let mut i = 0;
    for w in mid.chunks_exact(8) {
        if u64::from_ne_bytes(w.try_into().unwrap()) != skip_word {
            break;
        }
        i += 8;
    }
    if let Some(j) = mid[i..].iter().position(|&b| b != skip) {
        let idx = first + 1 + i + j;
        return at(idx, probe(idx));
    }
    let b = probe(last);
    (b != 0).then(|| last as u64 * 8 + b.leading_zeros() as u64)
}

fn bitpos(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let bit = args.next_i64()?;
    if bit != 0 && bit != 1 {
        return Err(CmdError::other(ERR_BIT_ARG));
    }
    let bit = bit == 1;
    let Some(s) = ctx.read_str(key)? else {
        return Ok(Reply::Integer(if bit { -1 } else { 0 }));
    };
    let p = str_bytes(s);
    let len = p.len() as i64;
    let rest = args.rest();
    let (range, end_given) = match rest.len() {
        0 => (
            clamp_range(0, len - 1, len).map(|(s, e)| (s * 8, e * 8 + 7)),
            false,
        ),
        1..=3 => {
            let start = parse_i64(&rest[0])?;
            let bits = match rest.get(2) {
                Some(u) => parse_unit(u)?,
                None => false,
            };
            let end = match rest.get(1) {
                Some(e) => parse_i64(e)?,
                None if bits => len * 8 + 7,
                None => len - 1,
            };
            let total = if bits { len * 8 } else { len };
            let range = match clamp_range(start, end, total) {
                Some(r) if bits => Some(r),
                Some((s, e)) => Some((s * 8, e * 8 + 7)),
                None => None,
            };
            (range, rest.len() >= 2)
        }
        _ => return Err(CmdError::Syntax),
    };
    // An empty range holds neither a 0 nor a 1.
    let Some((sb, eb)) = range else {
        return Ok(Reply::Integer(-1));
    };
    let pos = match find_bit(&p, sb as u64, eb as u64, bit) {
        Some(pos) => pos as i64,
        // Without an explicit end the string counts as zero-padded on the right.
        None if !bit && !end_given => eb + 1,
        None => -1,
    };
    Ok(Reply::Integer(pos))
}

// ---------------------------------------------------------------------------
// BITOP

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// Applies `f` word-wise to `dst[i] = f(dst[i], src[i])` over `src.len()` bytes.
fn combine(dst: &mut [u8], src: &[u8], f: impl Fn(u64, u64) -> u64) {
    let dst = &mut dst[..src.len()];
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (a, b) in (&mut d).zip(&mut s) {
        let x = f(
            u64::from_ne_bytes((&*a).try_into().unwrap()),
            u64::from_ne_bytes(b.try_into().unwrap()),
        );
        a.copy_from_slice(&x.to_ne_bytes());
    }
    for (a, b) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *a = f(*a as u64, *b as u64) as u8;
    }
}

/// The result of `op` over `srcs` (missing keys are empty strings): as long as
/// the longest source, shorter ones zero-padded.
pub fn bitop_compute(op: BitOp, srcs: &[&[u8]]) -> Vec<u8> {
    let maxlen = srcs.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut res = vec![0u8; maxlen];
    let Some((first, others)) = srcs.split_first() else {
        return res;
    };
    res[..first.len()].copy_from_slice(first);
    match op {
        BitOp::Not => res.iter_mut().for_each(|b| *b = !*b),
        BitOp::And => {
            for s in others {
                combine(&mut res, s, |a, b| a & b);
                res[s.len()..].fill(0);
            }
        }
        BitOp::Or => others
            .iter()
            .for_each(|s| combine(&mut res, s, |a, b| a | b)),
        BitOp::Xor => others
            .iter()
            .for_each(|s| combine(&mut res, s, |a, b| a ^ b)),
    }
    res
}

fn bitop(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let name = args.next()?;
    let op = if is(name, "and") {
        BitOp::And
    } else if is(name, "or") {
        BitOp::Or
    } else if is(name, "xor") {
        BitOp::Xor
    } else if is(name, "not") {
        BitOp::Not
    } else {
        return Err(CmdError::Syntax);
    };
    let dest = args.next()?;
    let keys = args.rest();
    if op == BitOp::Not && keys.len() != 1 {
        return Err(CmdError::err(
            "BITOP NOT must be called with a single source key.",
        ));
    }
    // First pass: lookups in order (expiry, hit/miss stats, the first WRONGTYPE wins).
    let mut found = Vec::with_capacity(keys.len());
    for k in keys {
        found.push(ctx.read_str(k)?.is_some());
    }
    // Second pass: borrow all sources at once, without copying them.
    let db = &ctx.engine.dbs[ctx.db_index];
    let srcs: Vec<Cow<[u8]>> = keys
        .iter()
        .zip(&found)
        .map(|(k, &f)| match db.get_raw(k) {
            Some(Value::Str(s)) if f => s.as_bytes(),
            _ => Cow::Borrowed(&[][..]),
        })
        .collect();
    let slices: Vec<&[u8]> = srcs.iter().map(|c| c.as_ref()).collect();
    let res = bitop_compute(op, &slices);
    drop(slices);
    drop(srcs);
    let len = res.len() as i64;
    if len > 0 {
        // Redis stores the result object without trying an int/embstr encoding.
        ctx.set_key(dest, Value::Str(StrValue::raw(res)), false);
        ctx.notify(classes::STRING, "set", dest);
        ctx.dirty(1);
    } else if ctx.db().remove(dest).is_some() {
        // dbDelete: no expiry check, a logically expired key is deleted too.
        ctx.signal_modified(dest);
        ctx.notify(classes::GENERIC, "del", dest);
        ctx.dirty(1);
    }
    Ok(Reply::Integer(len))
}

// ---------------------------------------------------------------------------
// BITFIELD / BITFIELD_RO

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum FieldOp {
    Get,
    Set,
    IncrBy,
}

#[derive(Clone, Copy, Debug)]
struct Field {
    op: FieldOp,
    offset: u64,
    bits: u32,
    signed: bool,
    value: i64,
    overflow: Overflow,
}

/// `i1`..`i64` / `u1`..`u63` (the text ends at a NUL byte, as Redis reads it with strlen).
fn parse_type(arg: &[u8]) -> Result<(bool, u32), CmdError> {
    let err = || CmdError::other(ERR_TYPE);
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(err()),
    };
    let digits = &arg[1..];
    let digits = &digits[..digits.iter().position(|&b| b == 0).unwrap_or(digits.len())];
    let bits = parse_i64(digits).map_err(|_| err())?;
    if bits < 1 || (signed && bits > 64) || (!signed && bits > 63) {
        return Err(err());
    }
    Ok((signed, bits as u32))
}

/// Reads `bits` (1..=64) bits at bit `offset`, treating bytes past the end as zero.
pub fn get_field(p: &[u8], offset: u64, bits: u32) -> u64 {
    let byte = (offset >> 3) as usize;
    let mut w = [0u8; 16];
    if byte < p.len() {
        let n = (p.len() - byte).min(9);
        w[..n].copy_from_slice(&p[byte..byte + n]);
    }
    let x = u128::from_be_bytes(w) << (offset & 7);
    (x >> (128 - bits)) as u64
}

/// Writes the low `bits` bits of `value` at bit `offset`; `p` must cover them.
pub fn set_field(p: &mut [u8], offset: u64, bits: u32, value: u64) {
    let byte = (offset >> 3) as usize;
    let sh = (offset & 7) as u32;
    let n = (sh + bits).div_ceil(8) as usize;
    let mut w = [0u8; 16];
    w[..n].copy_from_slice(&p[byte..byte + n]);
    let x = u128::from_be_bytes(w);
    let low = (1u128 << bits) - 1;
    let shift = 128 - sh - bits;
    let x = (x & !(low << shift)) | (((value as u128) & low) << shift);
    p[byte..byte + n].copy_from_slice(&x.to_be_bytes()[..n]);
}

/// The low `bits` bits of `v` as a two's complement number.
fn sign_extend(v: u64, bits: u32) -> i64 {
    if bits == 64 {
        v as i64
    } else if v & (1u64 << (bits - 1)) != 0 {
        (v | (u64::MAX << bits)) as i64
    } else {
        (v & !(u64::MAX << bits)) as i64
    }
}

/// `value + incr` stored in a signed field of `bits`, or `None` when it overflows
/// under FAIL. WRAP wraps around two's complement; SAT clamps to min/max.
///
/// The direction follows Redis's checkSignedBitfieldOverflow, which computes
/// `max - value` with wrapping arithmetic: a SET far below `min` (where that
/// difference exceeds `i64::MAX`) counts as an overflow upwards, so SAT stores `max`.
pub fn signed_add(value: i64, incr: i64, bits: u32, ow: Overflow) -> Option<i64> {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let narrow = bits != 64;
    let up =
        value > max || (narrow && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr);
    let down =
        value < min || (narrow && incr < minincr) || (value < 0 && incr < 0 && incr < minincr);
    if !up && !down {
        return Some(value.wrapping_add(incr));
    }
    match ow {
        Overflow::Wrap => Some(sign_extend((value as u64).wrapping_add(incr as u64), bits)),
        Overflow::Sat => Some(if up { max } else { min }),
        Overflow::Fail => None,
    }
}

/// Unsigned counterpart of [`signed_add`]; `value` may exceed the field (a SET of a
/// negative number arrives as a huge `u64`), which counts as an overflow upwards.
pub fn unsigned_add(value: u64, incr: i64, bits: u32, ow: Overflow) -> Option<u64> {
    let max = (1u64 << bits) - 1;
    let sum = value as i128 + incr as i128;
    if sum >= 0 && sum <= max as i128 {
        return Some(sum as u64);
    }
    match ow {
        Overflow::Wrap => Some(value.wrapping_add(incr as u64) & max),
        Overflow::Sat => Some(if sum > max as i128 { max } else { 0 }),
        Overflow::Fail => None,
    }
}

/// Runs one field operation on `p`; returns its reply and whether the bits changed.
fn apply_field(p: &mut [u8], f: &Field) -> (Reply, bool) {
    let old = get_field(p, f.offset, f.bits);
    if f.op == FieldOp::Get {
        let v = if f.signed {
            sign_extend(old, f.bits)
        } else {
            old as i64
        };
        return (Reply::Integer(v), false);
    }
    let (new, reply) = if f.signed {
        let old = sign_extend(old, f.bits);
        let new = match f.op {
            FieldOp::IncrBy => signed_add(old, f.value, f.bits, f.overflow),
            _ => signed_add(f.value, 0, f.bits, f.overflow),
        };
        match new {
            Some(n) => (n as u64, if f.op == FieldOp::IncrBy { n } else { old }),
            None => return (Reply::Nil, false),
        }
    } else {
        let new = match f.op {
            FieldOp::IncrBy => unsigned_add(old, f.value, f.bits, f.overflow),
            _ => unsigned_add(f.value as u64, 0, f.bits, f.overflow),
        };
        match new {
            Some(n) => (n, if f.op == FieldOp::IncrBy { n } else { old } as i64),
            None => return (Reply::Nil, false),
        }
    };
    let mask = if f.bits == 64 {
        u64::MAX
    } else {
        (1u64 << f.bits) - 1
    };
    set_field(p, f.offset, f.bits, new);
    (Reply::Integer(reply), old != (new & mask))
}

fn parse_fields(ctx: &Ctx, rest: &[bytes::Bytes]) -> Result<(Vec<Field>, Option<u64>), CmdError> {
    let mut fields = Vec::new();
    let mut overflow = Overflow::Wrap;
    // Highest bit written, if any op writes.
    let mut highest: Option<u64> = None;
    let mut j = 0;
    while j < rest.len() {
        let sub = &rest[j];
        let remargs = rest.len() - j - 1;
        let op = if is(sub, "get") && remargs >= 2 {
            FieldOp::Get
        } else if is(sub, "set") && remargs >= 3 {
            FieldOp::Set
        } else if is(sub, "incrby") && remargs >= 3 {
            FieldOp::IncrBy
        } else if is(sub, "overflow") && remargs >= 1 {
            let kind = &rest[j + 1];
            overflow = if is(kind, "wrap") {
                Overflow::Wrap
            } else if is(kind, "sat") {
                Overflow::Sat
            } else if is(kind, "fail") {
                Overflow::Fail
            } else {
                return Err(CmdError::err("Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(CmdError::Syntax);
        };
        let (signed, bits) = parse_type(&rest[j + 1])?;
        let offset = parse_offset(ctx, &rest[j + 2], bits)?;
        let mut value = 0;
        if op != FieldOp::Get {
            let top = offset + bits as u64 - 1;
            highest = Some(highest.map_or(top, |h| h.max(top)));
            value = parse_i64(&rest[j + 3])?;
        }
        fields.push(Field {
            op,
            offset,
            bits,
            signed,
            value,
            overflow,
        });
        j += if op == FieldOp::Get { 3 } else { 4 };
    }
    Ok((fields, highest))
}

fn bitfield(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    bitfield_generic(ctx, args, false)
}

fn bitfield_ro(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    bitfield_generic(ctx, args, true)
}

fn bitfield_generic(ctx: &mut Ctx, args: &mut Args, read_only: bool) -> CmdResult {
    let key = args.next()?;
    let (fields, highest) = parse_fields(ctx, args.rest())?;
    let Some(highest) = highest else {
        // Only GETs: a plain read.
        let p = match ctx.read_str(key)? {
            Some(s) => str_bytes(s),
            None => Cow::Borrowed(&[][..]),
        };
        let replies = fields
            .iter()
            .map(|f| {
                let v = get_field(&p, f.offset, f.bits);
                Reply::Integer(if f.signed {
                    sign_extend(v, f.bits)
                } else {
                    v as i64
                })
            })
            .collect();
        return Ok(Reply::Array(replies));
    };
    if read_only {
        return Err(CmdError::err(
            "BITFIELD_RO only supports the GET subcommand",
        ));
    }
    let need = (highest >> 3) as usize + 1;
    let run = |p: &mut [u8], grew: bool| {
        let mut changes = 0u64;
        let replies: Vec<Reply> = fields
            .iter()
            .map(|f| {
                let (r, changed) = apply_field(p, f);
                if f.op != FieldOp::Get && !matches!(r, Reply::Nil) && (grew || changed) {
                    changes += 1;
                }
                r
            })
            .collect();
        (replies, changes)
    };
    let (replies, changes) = match ctx.write_str(key)? {
        Some(s) => {
            let buf = s.make_raw();
            let grew = buf.len() < need;
            if grew {
                buf.resize(need, 0);
            }
            run(buf, grew)
        }
        None => {
            let mut buf = vec![0u8; need];
            let out = run(&mut buf, true);
            ctx.set_key(key, Value::Str(StrValue::raw(buf)), false);
            out
        }
    };
    if changes > 0 {
        ctx.signal_modified(key);
        ctx.notify(classes::STRING, "setbit", key);
        ctx.dirty(changes);
    }
    Ok(Reply::Array(replies))
}

#[cfg(test)]
#[path = "bitmaps_tests.rs"]
mod tests;
