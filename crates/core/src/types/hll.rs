//! HyperLogLog sketches in Redis's exact byte layout (hyperloglog.c), kept
//! in ordinary string values so GET, DUMP, RDB and replication carry them
//! unchanged between Ember and Redis.
//!
//! Layout: a 16-byte header (`HYLL`, encoding, 3 zero bytes, the cached
//! cardinality as 8 little-endian bytes whose top bit marks it stale), then
//! 16384 registers of 6 bits, either
//! - dense: packed, 12288 bytes, register i at bit 6*i (low bits first), or
//! - sparse: run-length opcodes (ZERO `00xxxxxx`: 1-64 zero registers;
//!   XZERO `01xxxxxx yyyyyyyy`: 1-16384 zero registers; VAL `1vvvvvxx`: 1-4
//!   registers of value 1-32), promoted to dense once a value exceeds 32 or
//!   the string would pass `hll-sparse-max-bytes`.

pub const HEADER: usize = 16;
pub const REGISTERS: usize = 1 << P;
const P: u32 = 14;
const Q: u32 = 64 - P;
const BITS: usize = 6;
const REGISTER_MAX: u8 = (1 << BITS) - 1;
pub const DENSE_SIZE: usize = HEADER + (REGISTERS * BITS).div_ceil(8);
pub const DENSE: u8 = 0;
pub const SPARSE: u8 = 1;

const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;

pub const INVALID_ERR: &str = "INVALIDOBJ Corrupted HLL object detected";
pub const WRONGTYPE_ERR: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";

/// A new, empty sketch: sparse, one XZERO run over every register.
pub fn new_sketch() -> Vec<u8> {
    let mut s = Vec::with_capacity(HEADER + 2);
    s.extend_from_slice(b"HYLL");
    s.push(SPARSE);
    s.resize(HEADER, 0);
    push_xzero(&mut s, REGISTERS);
    s
}

/// Redis's isHLLObjectOrReply test of a string's bytes.
pub fn is_sketch(bytes: &[u8]) -> bool {
    bytes.len() >= HEADER
        && &bytes[..4] == b"HYLL"
        && bytes[4] <= SPARSE
        && (bytes[4] != DENSE || bytes.len() == DENSE_SIZE)
}

pub fn encoding(s: &[u8]) -> u8 {
    s[4]
}

/// The cached cardinality, if it is current.
pub fn cached_count(s: &[u8]) -> Option<u64> {
    (s[15] & 0x80 == 0).then(|| u64::from_le_bytes(s[8..16].try_into().expect("8 bytes")))
}

pub fn set_cached_count(s: &mut [u8], count: u64) {
    s[8..16].copy_from_slice(&count.to_le_bytes());
}

pub fn invalidate_cache(s: &mut [u8]) {
    s[15] |= 0x80;
}

/// Redis's MurmurHash64A (little-endian reads), the sketch's hash.
pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let mut k = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element falls in and the length of its hash's run of
/// zeros plus one (1..=51), as hllPatLen.
pub fn register_and_count(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, 0xadc8_3b19);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

fn dense_get(regs: &[u8], i: usize) -> u8 {
    let (byte, shift) = (i * BITS / 8, (i * BITS) & 7);
    let b0 = u16::from(regs[byte]);
    let b1 = u16::from(regs.get(byte + 1).copied().unwrap_or(0));
    (((b0 | (b1 << 8)) >> shift) as u8) & REGISTER_MAX
}

fn dense_put(regs: &mut [u8], i: usize, value: u8) {
    let (byte, shift) = (i * BITS / 8, (i * BITS) & 7);
    let mask = u16::from(REGISTER_MAX) << shift;
    let bits = u16::from(value) << shift;
    regs[byte] = (regs[byte] & !(mask as u8)) | bits as u8;
    if let Some(next) = regs.get_mut(byte + 1) {
        *next = (*next & !((mask >> 8) as u8)) | (bits >> 8) as u8;
    }
}

/// Raises register `i` of a dense sketch to `count`; true if it changed.
fn dense_raise(s: &mut [u8], i: usize, count: u8) -> bool {
    let regs = &mut s[HEADER..];
    if count > dense_get(regs, i) {
        dense_put(regs, i, count);
        true
    } else {
        false
    }
}

/// One sparse opcode: (registers covered, value, bytes taken).
fn opcode(s: &[u8], at: usize) -> (usize, u8, usize) {
    let b = s[at];
    if b & 0xc0 == 0 {
        ((b & 0x3f) as usize + 1, 0, 1)
    } else if b & 0xc0 == 0x40 {
        let low = s.get(at + 1).copied().unwrap_or(0);
        (((((b & 0x3f) as usize) << 8) | low as usize) + 1, 0, 2)
    } else {
        ((b & 0x3) as usize + 1, ((b >> 2) & 0x1f) + 1, 1)
    }
}

fn val_op(value: u8, len: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (len as u8 - 1)
}

fn push_zeros(out: &mut Vec<u8>, len: usize) {
    if len > ZERO_MAX_LEN {
        push_xzero(out, len);
    } else {
        out.push(len as u8 - 1);
    }
}

fn push_xzero(out: &mut Vec<u8>, len: usize) {
    let l = len - 1;
    out.push(0x40 | (l >> 8) as u8);
    out.push((l & 0xff) as u8);
}

/// Walks a sparse sketch's runs, handing each VAL run to `run(first
/// register, span, value)`; stops at one that would pass the last register
/// (Redis's overflow check). True if the runs cover exactly every register.
fn walk_values(s: &[u8], mut run: impl FnMut(usize, usize, u8)) -> bool {
    let (mut at, mut idx) = (HEADER, 0usize);
    while at < s.len() {
        let (span, value, size) = opcode(s, at);
        if value > 0 {
            if idx + span > REGISTERS {
                break;
            }
            run(idx, span, value);
        }
        idx += span;
        at += size;
    }
    idx == REGISTERS
}

/// A sparse sketch rewritten dense (header and cached count kept), or
/// None when its runs do not cover exactly every register.
fn sparse_to_dense(s: &[u8]) -> Option<Vec<u8>> {
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HEADER].copy_from_slice(&s[..HEADER]);
    dense[4] = DENSE;
    let regs = &mut dense[HEADER..];
    let whole = walk_values(s, |first, span, value| {
        for i in first..first + span {
            dense_put(regs, i, value);
        }
    });
    whole.then_some(dense)
}

/// Turns a sparse sketch dense in place; false if it is corrupt. A dense
/// one is left as it is.
pub fn make_dense(s: &mut Vec<u8>) -> bool {
    if encoding(s) == DENSE {
        return true;
    }
    match sparse_to_dense(s) {
        Some(dense) => {
            *s = dense;
            true
        }
        None => false,
    }
}

/// Raises register `index` to `count` (Redis's hllSparseSet / hllDenseSet):
/// Some(true) if the sketch changed, None if it is corrupt.
pub fn raise(s: &mut Vec<u8>, index: usize, count: u8, sparse_max_bytes: usize) -> Option<bool> {
    if encoding(s) == DENSE {
        return Some(dense_raise(s, index, count));
    }
    if count > VAL_MAX_VALUE {
        return promote(s, index, count);
    }
    // Step 1: the opcode covering the register.
    let (mut at, mut first, mut prev) = (HEADER, 0usize, None);
    let mut found = None;
    while at < s.len() {
        let (span, value, size) = opcode(s, at);
        if index < first + span {
            found = Some((span, value, size));
            break;
        }
        prev = Some(at);
        at += size;
        first += span;
    }
    let (span, value, size) = found?;
    let is_val = s[at] & 0x80 != 0;
    // Step 2: the cases that change one byte in place.
    if is_val {
        if value >= count {
            return Some(false);
        }
        if span == 1 {
            s[at] = val_op(count, 1);
            merge_runs(s, prev.unwrap_or(HEADER));
            return Some(true);
        }
    } else if size == 1 && span == 1 {
        s[at] = val_op(count, 1);
        merge_runs(s, prev.unwrap_or(HEADER));
        return Some(true);
    }
    // The general case: the run splits around the register.
    let last = first + span - 1;
    let mut seq = Vec::with_capacity(5);
    if is_val {
        if index != first {
            seq.push(val_op(value, index - first));
        }
        seq.push(val_op(count, 1));
        if index != last {
            seq.push(val_op(value, last - index));
        }
    } else {
        if index != first {
            push_zeros(&mut seq, index - first);
        }
        seq.push(val_op(count, 1));
        if index != last {
            push_zeros(&mut seq, last - index);
        }
    }
    // Step 3: in place, unless the string would grow too long.
    if seq.len() > size && s.len() + seq.len() - size > sparse_max_bytes {
        return promote(s, index, count);
    }
    s.splice(at..at + size, seq);
    merge_runs(s, prev.unwrap_or(HEADER));
    Some(true)
}

fn promote(s: &mut Vec<u8>, index: usize, count: u8) -> Option<bool> {
    if !make_dense(s) {
        return None;
    }
    Some(dense_raise(s, index, count))
}

/// Step 4 of hllSparseSet: from `from`, up to five opcodes on, joins
/// neighbouring VAL runs of one value that fit a single opcode.
fn merge_runs(s: &mut Vec<u8>, from: usize) {
    let mut at = from;
    let mut budget = 5;
    while at < s.len() && budget > 0 {
        budget -= 1;
        let b = s[at];
        if b & 0xc0 == 0x40 {
            at += 2;
            continue;
        }
        if b & 0x80 == 0 {
            at += 1;
            continue;
        }
        if at + 1 < s.len() && s[at + 1] & 0x80 != 0 {
            let (len1, v1, _) = opcode(s, at);
            let (len2, v2, _) = opcode(s, at + 1);
            if v1 == v2 && len1 + len2 <= VAL_MAX_LEN {
                s[at + 1] = val_op(v1, len1 + len2);
                s.remove(at);
                // Try again from the merged run.
                continue;
            }
        }
        at += 1;
    }
}

/// Adds an element: Some(true) if a register changed, None if corrupt.
pub fn add(s: &mut Vec<u8>, element: &[u8], sparse_max_bytes: usize) -> Option<bool> {
    let (index, count) = register_and_count(element);
    raise(s, index, count, sparse_max_bytes)
}

/// Folds a sketch into `max` (one byte per register): max[i] = MAX(max[i],
/// register i). False if the sketch is corrupt.
pub fn merge_into(max: &mut [u8], s: &[u8]) -> bool {
    if encoding(s) == DENSE {
        let regs = &s[HEADER..];
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(regs, i));
        }
        return true;
    }
    walk_values(s, |first, span, value| {
        for m in &mut max[first..first + span] {
            *m = (*m).max(value);
        }
    })
}

/// The estimate from a histogram of register values (Ertl's improved
/// estimator, as Redis 7.0's hllCount).
fn estimate(histogram: &[u64; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - histogram[Q as usize + 1] as f64) / m);
    for j in (1..=Q as usize).rev() {
        z += histogram[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histogram[0] as f64 / m);
    const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
    (ALPHA_INF * m * m / z).round() as u64
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if before == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        z -= (1.0 - x).powi(2) * y;
        if before == z {
            return z / 3.0;
        }
    }
}

/// The cardinality of a sketch, or None if its sparse runs are corrupt.
pub fn count(s: &[u8]) -> Option<u64> {
    let mut histogram = [0u64; 64];
    if encoding(s) == DENSE {
        let regs = &s[HEADER..];
        for i in 0..REGISTERS {
            histogram[dense_get(regs, i) as usize] += 1;
        }
    } else {
        let (mut at, mut idx) = (HEADER, 0usize);
        while at < s.len() {
            let (span, value, size) = opcode(s, at);
            idx += span;
            // (Wide counts: a corrupt string of many runs must not overflow.)
            histogram[value as usize] += span as u64;
            at += size;
        }
        if idx != REGISTERS {
            return None;
        }
    }
    Some(estimate(&histogram))
}

/// The cardinality of registers given one byte each (PFCOUNT of several keys).
pub fn count_registers(max: &[u8]) -> u64 {
    let mut histogram = [0u64; 64];
    for &r in max {
        histogram[(r & 63) as usize] += 1;
    }
    estimate(&histogram)
}

/// The registers of a dense sketch, one value each (PFDEBUG GETREG).
pub fn dense_registers(s: &[u8]) -> Vec<u8> {
    (0..REGISTERS).map(|i| dense_get(&s[HEADER..], i)).collect()
}

/// PFDEBUG DECODE's text of a sparse sketch: `z:len`, `Z:len`, `v:value,len`.
pub fn decode(s: &[u8]) -> String {
    let mut out = Vec::new();
    let mut at = HEADER;
    while at < s.len() {
        let (span, value, size) = opcode(s, at);
        out.push(match (s[at] & 0xc0, value) {
            (0, _) => format!("z:{span}"),
            (0x40, _) => format!("Z:{span}"),
            (_, v) => format!("v:{v},{span}"),
        });
        at += size;
    }
    out.join(" ")
}

/// Redis's PFSELFTEST: `cycles` rounds of random values written to every
/// register of a dense sketch and read back, then `adds` distinct elements
/// added to a sparse and a dense sketch together, checked at 1, 10, 100...
/// for sparse encoding while small, equal counts, and an error within six
/// standard errors (1 at 10 elements).
pub fn self_test(
    rng: &mut impl rand::Rng,
    cycles: usize,
    adds: u64,
    sparse_max_bytes: usize,
) -> Result<(), String> {
    let mut dense = new_sketch();
    make_dense(&mut dense);
    let mut expected = vec![0u8; REGISTERS];
    for _ in 0..cycles {
        for (i, e) in expected.iter_mut().enumerate() {
            *e = rng.gen::<u8>() & REGISTER_MAX;
            dense_put(&mut dense[HEADER..], i, *e);
        }
        for (i, &e) in expected.iter().enumerate() {
            let got = dense_get(&dense[HEADER..], i);
            if got != e {
                return Err(format!("Register {i} should be {e} but is {got}"));
            }
        }
    }
    let mut dense = new_sketch();
    make_dense(&mut dense);
    let mut sparse = new_sketch();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let seed: u64 = rng.gen();
    let mut checkpoint = 1u64;
    for j in 1..=adds {
        let element = (j ^ seed).to_le_bytes();
        add(&mut dense, &element, sparse_max_bytes);
        add(&mut sparse, &element, sparse_max_bytes);
        if j != checkpoint {
            continue;
        }
        if (j as usize) < sparse_max_bytes / 2 && encoding(&sparse) != SPARSE {
            return Err("sparse encoding not used".into());
        }
        let count = count(&dense).unwrap_or(0);
        if Some(count) != self::count(&sparse) {
            return Err("dense/sparse disagree".into());
        }
        let abserr = (checkpoint as i64 - count as i64).unsigned_abs();
        let maxerr = if j == 10 {
            1
        } else {
            (relerr * 6.0 * checkpoint as f64).ceil() as u64
        };
        if abserr > maxerr {
            return Err(format!("Too big error. card:{checkpoint} abserr:{abserr}"));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_land_where_redis_puts_them() {
        // (register, count) read off redis-server 7.0.15 with PFADD and
        // PFDEBUG DECODE: tails of 1, 3 and 0 bytes past whole words.
        assert_eq!(register_and_count(b"a"), (12711, 2));
        assert_eq!(register_and_count(b"hello"), (9216, 1));
        assert_eq!(register_and_count(b"12345678"), (10579, 3));
        assert_eq!(register_and_count(b"abcdefghijklmnopq"), (4271, 1));
        let mut s = new_sketch();
        assert_eq!(add(&mut s, b"a", 3000), Some(true));
        assert_eq!(decode(&s), "Z:12711 v:2,1 Z:3672");
        assert_eq!(add(&mut s, b"a", 3000), Some(false));
    }

    #[test]
    fn self_test_passes_on_a_smaller_run() {
        let mut rng = <rand::rngs::SmallRng as rand::SeedableRng>::seed_from_u64(7);
        assert_eq!(self_test(&mut rng, 3, 100_000, 3000), Ok(()));
    }

    #[test]
    fn dense_registers_round_trip_at_every_bit_offset() {
        let mut regs = vec![0u8; DENSE_SIZE - HEADER];
        for i in 0..REGISTERS {
            dense_put(&mut regs, i, (i % 64) as u8);
        }
        for i in 0..REGISTERS {
            assert_eq!(dense_get(&regs, i), (i % 64) as u8, "register {i}");
        }
    }

    #[test]
    fn sparse_and_dense_agree() {
        let mut sparse = new_sketch();
        assert_eq!(decode(&sparse), "Z:16384");
        assert_eq!(count(&sparse), Some(0));
        let mut dense = new_sketch();
        assert!(make_dense(&mut dense));
        for n in 0..2000u32 {
            let e = n.to_string();
            let a = add(&mut sparse, e.as_bytes(), 1 << 20).unwrap();
            let b = add(&mut dense, e.as_bytes(), 1 << 20).unwrap();
            assert_eq!(a, b, "element {n}");
        }
        assert_eq!(encoding(&sparse), SPARSE);
        assert_eq!(count(&sparse), count(&dense));
        let estimate = count(&dense).unwrap() as f64;
        assert!((estimate - 2000.0).abs() < 2000.0 * 0.05, "{estimate}");
        assert!(make_dense(&mut sparse));
        assert_eq!(sparse[HEADER..], dense[HEADER..]);
    }
}
