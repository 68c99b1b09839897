//! LZF, the compression RDB strings use (liblzf 3.6 format).
//!
//! The compressor follows liblzf's algorithm and parameters as Redis builds it
//! (16-bit hash table, "very fast" mode, the same bounds checks against the
//! output size), so a string compresses to the same bytes Redis writes and is
//! stored compressed exactly when Redis would store it compressed. The
//! decompressor never writes past the length the caller expects and reports
//! malformed input instead of panicking.
//!
//! Like liblzf, the 64K-slot hash table is not allocated per string: a
//! [`Compressor`] keeps one and reuses it. Instead of clearing it for every
//! input (256 KiB), slots hold `base + position + 1`, and each call moves
//! `base` past every value the previous calls stored, so older entries read
//! as empty: the output is that of a freshly zeroed table.

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

#[inline(always)]
fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// A reusable LZF compressor (the hash table lives across calls).
pub struct Compressor {
    htab: Box<[u32]>,
    /// Slot values `<= base` are stale (from earlier inputs).
    base: u32,
}

impl Default for Compressor {
    fn default() -> Self {
        Compressor::new()
    }
}

impl Compressor {
    pub fn new() -> Compressor {
        Compressor {
            htab: vec![0u32; HSIZE].into_boxed_slice(),
            base: 0,
        }
    }

    /// Compresses `input` into `out` (cleared first) in at most `out_len`
    /// bytes; false when the result would not fit (liblzf returns 0 then),
    /// or for empty input.
    pub fn compress_into(&mut self, input: &[u8], out_len: usize, out: &mut Vec<u8>) -> bool {
        out.clear();
        let in_len = input.len();
        if in_len == 0 || out_len == 0 {
            return false;
        }
        // Positions are stored as u32 above `base`; start over (one clear)
        // when this input would not fit above it.
        let Some(span) = u32::try_from(in_len).ok().and_then(|n| n.checked_add(2)) else {
            return false;
        };
        if self.base.checked_add(span).is_none() {
            self.htab.fill(0);
            self.base = 0;
        }
        let base = self.base;
        self.base += span;
        out.resize(out_len, 0);
        match compress_block(input, out, &mut self.htab, base) {
            Some(n) => {
                out.truncate(n);
                true
            }
            None => {
                out.clear();
                false
            }
        }
    }
}

/// Compresses `input` into at most `out_len` bytes; `None` when the result
/// would not fit (liblzf returns 0 then), or for empty input.
pub fn compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    Compressor::new()
        .compress_into(input, out_len, &mut out)
        .then_some(out)
}

/// The compressor proper over `out` (its length is the output limit):
/// returns the compressed length. Slot values are `base + position + 1`;
/// values `<= base + 1` are empty or position 0, which is never a
/// candidate (liblzf's `ref > in_data` check).
#[inline(always)]
fn compress_block(input: &[u8], out: &mut [u8], htab: &mut [u32], base: u32) -> Option<usize> {
    let in_len = input.len();
    let out_len = out.len();
    let htab: &mut [u32; HSIZE] = htab.try_into().expect("table size");
    let mut ip = 0usize;
    let mut op = 1usize; // start run
    let mut lit = 0usize;
    let frst = |p: usize| ((input[p] as u32) << 8) | input[p + 1] as u32;
    let next = |v: u32, p: usize| (v << 8) | input[p + 2] as u32;
    let stamp = |p: usize| base + p as u32 + 1;
    if in_len >= 2 {
        let mut hval = frst(ip);
        while ip + 2 < in_len {
            hval = next(hval, ip);
            let slot = idx(hval);
            let entry = htab[slot];
            htab[slot] = stamp(ip);
            let matched = entry > base + 1 && {
                let r = (entry - base - 1) as usize;
                let off = ip - r - 1;
                off < MAX_OFF
                    && input[r + 2] == input[ip + 2]
                    && input[r] == input[ip]
                    && input[r + 1] == input[ip + 1]
            };
            if matched {
                let r = (entry - base - 1) as usize;
                let off = ip - r - 1;
                let mut len = 2usize;
                let maxlen = (in_len - ip - len).min(MAX_REF);
                // First a fast conservative test, then the exact one.
                if op + 3 + 1 >= out_len && op - (lit == 0) as usize + 3 + 1 >= out_len {
                    return None;
                }
                out[op - lit - 1] = (lit as u8).wrapping_sub(1); // stop run
                op -= (lit == 0) as usize; // undo run if length is zero
                                           // liblzf first compares 16 bytes unrolled without looking at
                                           // maxlen (so a match may run up to 2 bytes past it, still
                                           // inside the input), then goes on byte by byte.
                let mut done = false;
                if maxlen > 16 {
                    for _ in 0..16 {
                        len += 1;
                        if input[r + len] != input[ip + len] {
                            done = true;
                            break;
                        }
                    }
                }
                while !done {
                    len += 1;
                    done = !(len < maxlen && input[r + len] == input[ip + len]);
                }
                len -= 2; // now #octets - 1
                ip += 1;
                if len < 7 {
                    out[op] = ((off >> 8) + (len << 5)) as u8;
                    op += 1;
                } else {
                    out[op] = ((off >> 8) + (7 << 5)) as u8;
                    out[op + 1] = (len - 7) as u8;
                    op += 2;
                }
                out[op] = off as u8;
                op += 1;
                lit = 0;
                op += 1; // start run
                ip += len + 1;
                if ip + 2 >= in_len {
                    break;
                }
                // "Very fast" mode: hash the two positions before the new ip.
                ip -= 2;
                hval = frst(ip);
                hval = next(hval, ip);
                htab[idx(hval)] = stamp(ip);
                ip += 1;
                hval = next(hval, ip);
                htab[idx(hval)] = stamp(ip);
                ip += 1;
            } else {
                if op >= out_len {
                    return None;
                }
                lit += 1;
                out[op] = input[ip];
                op += 1;
                ip += 1;
                if lit == MAX_LIT {
                    out[op - lit - 1] = (lit - 1) as u8;
                    lit = 0;
                    op += 1;
                }
            }
        }
    }
    if op + 3 > out_len {
        return None;
    }
    while ip < in_len {
        lit += 1;
        out[op] = input[ip];
        op += 1;
        ip += 1;
        if lit == MAX_LIT {
            out[op - lit - 1] = (lit - 1) as u8;
            lit = 0;
            op += 1;
        }
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1); // end run
    op -= (lit == 0) as usize;
    Some(op)
}

/// Why a compressed block did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LzfError {
    /// The output would exceed the expected length.
    TooBig,
    /// Truncated input or a back reference before the start.
    Invalid,
}

/// Decompresses `input`, which must produce exactly `expected_len` bytes.
/// Allocates at most `expected_len` bytes (callers bound it by the input size).
pub fn decompress(input: &[u8], expected_len: usize) -> Result<Vec<u8>, LzfError> {
    let mut out: Vec<u8> = Vec::with_capacity(expected_len);
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < (1 << 5) {
            let run = ctrl + 1;
            if out.len() + run > expected_len {
                return Err(LzfError::TooBig);
            }
            if ip + run > input.len() {
                return Err(LzfError::Invalid);
            }
            out.extend_from_slice(&input[ip..ip + run]);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            let mut back = (ctrl & 0x1f) << 8;
            if ip >= input.len() {
                return Err(LzfError::Invalid);
            }
            if len == 7 {
                len += input[ip] as usize;
                ip += 1;
                if ip >= input.len() {
                    return Err(LzfError::Invalid);
                }
            }
            back += input[ip] as usize + 1;
            ip += 1;
            if out.len() + len + 2 > expected_len {
                return Err(LzfError::TooBig);
            }
            if back > out.len() {
                return Err(LzfError::Invalid);
            }
            let start = out.len() - back;
            let n = len + 2;
            if back >= n {
                out.extend_from_within(start..start + n);
            } else {
                // Byte by byte: the reference overlaps what it produces.
                for i in 0..n {
                    let b = out[start + i];
                    out.push(b);
                }
            }
        }
    }
    if out.len() != expected_len {
        return Err(LzfError::Invalid);
    }
    Ok(out)
}

/// The most bytes `clen` compressed bytes can expand to (a 3-byte back
/// reference yields at most 264 bytes): a bound for untrusted lengths.
pub fn max_expansion(clen: usize) -> usize {
    clen.saturating_mul(88).saturating_add(32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn roundtrip(data: &[u8]) {
        let c = compress(data, data.len() + data.len() / 16 + 64).expect("fits");
        assert_eq!(decompress(&c, data.len()).unwrap(), data);
        assert!(c.len() <= max_expansion(c.len()));
    }

    #[test]
    fn round_trips() {
        roundtrip(b"a");
        roundtrip(b"ab");
        roundtrip(b"abc");
        roundtrip(&[b'a'; 1000]);
        roundtrip(b"hello hello hello hello hello world world world");
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        for _ in 0..200 {
            let n = rng.gen_range(1..3000);
            let alphabet = rng.gen_range(1..=255u8);
            let data: Vec<u8> = (0..n).map(|_| rng.gen_range(0..=alphabet)).collect();
            roundtrip(&data);
        }
    }

    #[test]
    fn respects_output_limit() {
        let data = [b'x'; 100];
        let c = compress(&data, 96).unwrap();
        assert!(c.len() < 10);
        // Random data does not compress into len - 4 bytes.
        let mut rng = rand::rngs::SmallRng::seed_from_u64(1);
        let noise: Vec<u8> = (0..100).map(|_| rng.gen()).collect();
        assert!(compress(&noise, 96).is_none());
        assert!(compress(b"", 10).is_none());
    }

    #[test]
    fn reused_table_matches_a_fresh_one() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(11);
        let mut c = Compressor::new();
        let mut out = Vec::new();
        for round in 0..400 {
            if round == 200 {
                // Force the wrap-around path (table cleared, base reset).
                c.base = u32::MAX - 50;
            }
            let n: usize = rng.gen_range(1..2000);
            let alphabet = rng.gen_range(1..=20u8);
            let data: Vec<u8> = (0..n).map(|_| b'a' + rng.gen_range(0..alphabet)).collect();
            let limit = n.saturating_sub(4).max(1);
            let fresh = compress(&data, limit);
            assert_eq!(c.compress_into(&data, limit, &mut out), fresh.is_some());
            if let Some(f) = fresh {
                assert_eq!(out, f);
                assert_eq!(decompress(&out, n).unwrap(), data);
            }
        }
    }

    #[test]
    fn known_encoding() {
        // 21 'a's: two literals (position 0 is never referenced), then a
        // back reference of 19 bytes at distance 1.
        let c = compress(&[b'a'; 21], 17).unwrap();
        assert_eq!(c, vec![0x01, b'a', b'a', 0xe0, 0x0a, 0x00]);
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(decompress(&[0x05, b'a'], 6), Err(LzfError::Invalid));
        assert_eq!(decompress(&[0x20, 0x00], 3), Err(LzfError::Invalid));
        assert_eq!(decompress(&[0x00, b'a', 0xe0], 30), Err(LzfError::Invalid));
        assert_eq!(decompress(&[0x01, b'a', b'b'], 1), Err(LzfError::TooBig));
        assert_eq!(decompress(&[0x00, b'a'], 2), Err(LzfError::Invalid));
        let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
        for _ in 0..2000 {
            let n = rng.gen_range(0..40);
            let junk: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
            let _ = decompress(&junk, rng.gen_range(0..200));
        }
    }
}
