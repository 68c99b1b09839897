//! The packed blobs RDB embeds as strings: listpack (written and read),
//! ziplist and zipmap (read: older Redis versions wrote them) and intset.
//! Readers validate every bound and return an error, never panic.

use crate::error::{RdbError, Result};

/// One element of a packed blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl Entry<'_> {
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            Entry::Int(n) => itoa::Buffer::new().format(n).as_bytes().to_vec(),
            Entry::Bytes(b) => b.to_vec(),
        }
    }
}

// ---------------------------------------------------------------- listpack

const LP_HEADER: usize = 6;
const LP_EOF: u8 = 0xff;

/// Builds a listpack as Redis's lpAppend does (strings that are canonical
/// integers are stored as integers).
pub struct ListpackBuilder {
    buf: Vec<u8>,
    count: usize,
}

impl Default for ListpackBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ListpackBuilder {
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&[0; LP_HEADER]);
        ListpackBuilder { buf, count: 0 }
    }

    /// Bytes the finished listpack will take (header and terminator included).
    pub fn bytes(&self) -> usize {
        self.buf.len() + 1
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn push(&mut self, s: &[u8]) {
        if s.len() <= 20 {
            if let Some(n) = ember_resp::num::parse_i64(s) {
                return self.push_int(n);
            }
        }
        let start = self.buf.len();
        let len = s.len();
        if len < 64 {
            self.buf.push(0x80 | len as u8);
        } else if len < 4096 {
            self.buf.push(0xe0 | (len >> 8) as u8);
            self.buf.push(len as u8);
        } else {
            self.buf.push(0xf0);
            self.buf.extend_from_slice(&(len as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(s);
        self.finish_entry(start);
    }

    pub fn push_int(&mut self, v: i64) {
        let start = self.buf.len();
        if (0..=127).contains(&v) {
            self.buf.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = (v as u64) & 0x1fff;
            self.buf.push(0xc0 | (u >> 8) as u8);
            self.buf.push(u as u8);
        } else if (-32768..=32767).contains(&v) {
            self.buf.push(0xf1);
            self.buf.extend_from_slice(&(v as i16).to_le_bytes());
        } else if (-8388608..=8388607).contains(&v) {
            self.buf.push(0xf2);
            self.buf.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
            self.buf.push(0xf3);
            self.buf.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            self.buf.push(0xf4);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
        self.finish_entry(start);
    }

    /// Appends the entry's back-length (Redis's lpEncodeBacklen).
    fn finish_entry(&mut self, start: usize) {
        let l = (self.buf.len() - start) as u64;
        if l <= 127 {
            self.buf.push(l as u8);
        } else if l < 16383 {
            self.buf.push((l >> 7) as u8);
            self.buf.push((l & 127) as u8 | 128);
        } else if l < 2097151 {
            self.buf.push((l >> 14) as u8);
            self.buf.push(((l >> 7) & 127) as u8 | 128);
            self.buf.push((l & 127) as u8 | 128);
        } else if l < 268435455 {
            self.buf.push((l >> 21) as u8);
            self.buf.push(((l >> 14) & 127) as u8 | 128);
            self.buf.push(((l >> 7) & 127) as u8 | 128);
            self.buf.push((l & 127) as u8 | 128);
        } else {
            self.buf.push((l >> 28) as u8);
            self.buf.push(((l >> 21) & 127) as u8 | 128);
            self.buf.push(((l >> 14) & 127) as u8 | 128);
            self.buf.push(((l >> 7) & 127) as u8 | 128);
            self.buf.push((l & 127) as u8 | 128);
        }
        self.count += 1;
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(LP_EOF);
        let total = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        let n = if self.count < 65535 {
            self.count as u16
        } else {
            65535
        };
        self.buf[4..6].copy_from_slice(&n.to_le_bytes());
        self.buf
    }
}

/// Bytes of the back-length of an entry of `l` bytes.
fn backlen_size(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

fn bad_listpack() -> RdbError {
    RdbError::corrupt("Listpack integrity check failed.")
}

fn le_int(bytes: &[u8]) -> i64 {
    let mut v: u64 = 0;
    for (i, b) in bytes.iter().enumerate() {
        v |= (*b as u64) << (8 * i);
    }
    // Sign-extend from the width read.
    let shift = 64 - 8 * bytes.len() as u32;
    ((v << shift) as i64) >> shift
}

/// Every element of a listpack, validated (header, bounds, back-lengths,
/// terminator, element count).
pub fn listpack_entries(lp: &[u8]) -> Result<Vec<Entry<'_>>> {
    if lp.len() < LP_HEADER + 1 {
        return Err(bad_listpack());
    }
    let total = u32::from_le_bytes([lp[0], lp[1], lp[2], lp[3]]) as usize;
    let count = u16::from_le_bytes([lp[4], lp[5]]) as usize;
    if total != lp.len() || lp[lp.len() - 1] != LP_EOF {
        return Err(bad_listpack());
    }
    let end = lp.len() - 1;
    let mut out = Vec::with_capacity(count.min(end / 2));
    let mut p = LP_HEADER;
    while p < end {
        let b = lp[p];
        let need = |n: usize| {
            if p + n <= end {
                Ok(())
            } else {
                Err(bad_listpack())
            }
        };
        let (entry, size) = if b & 0x80 == 0 {
            (Entry::Int((b & 0x7f) as i64), 1)
        } else if b & 0xc0 == 0x80 {
            let len = (b & 0x3f) as usize;
            need(1 + len)?;
            (Entry::Bytes(&lp[p + 1..p + 1 + len]), 1 + len)
        } else if b & 0xe0 == 0xc0 {
            need(2)?;
            let u = (((b & 0x1f) as u16) << 8) | lp[p + 1] as u16;
            let v = if u >= 1 << 12 {
                u as i64 - (1 << 13)
            } else {
                u as i64
            };
            (Entry::Int(v), 2)
        } else if b & 0xf0 == 0xe0 {
            need(2)?;
            let len = (((b & 0x0f) as usize) << 8) | lp[p + 1] as usize;
            need(2 + len)?;
            (Entry::Bytes(&lp[p + 2..p + 2 + len]), 2 + len)
        } else {
            match b {
                0xf0 => {
                    need(5)?;
                    let len =
                        u32::from_le_bytes([lp[p + 1], lp[p + 2], lp[p + 3], lp[p + 4]]) as usize;
                    need(5usize.checked_add(len).ok_or_else(bad_listpack)?)?;
                    (Entry::Bytes(&lp[p + 5..p + 5 + len]), 5 + len)
                }
                0xf1..=0xf4 => {
                    let width = [2, 3, 4, 8][(b - 0xf1) as usize];
                    need(1 + width)?;
                    (Entry::Int(le_int(&lp[p + 1..p + 1 + width])), 1 + width)
                }
                _ => return Err(bad_listpack()),
            }
        };
        let bl = backlen_size(size);
        if p + size + bl > end {
            return Err(bad_listpack());
        }
        // The back-length must decode to the entry size (read backwards).
        let mut decoded: u64 = 0;
        for (i, &byte) in lp[p + size..p + size + bl].iter().rev().enumerate() {
            decoded |= ((byte & 127) as u64) << (7 * i);
        }
        if decoded != size as u64 {
            return Err(bad_listpack());
        }
        out.push(entry);
        p += size + bl;
    }
    if count != 65535 && count != out.len() {
        return Err(bad_listpack());
    }
    Ok(out)
}

// ----------------------------------------------------------------- ziplist

fn bad_ziplist() -> RdbError {
    RdbError::corrupt("Ziplist integrity check failed.")
}

/// Every element of a ziplist (RDB versions before 10), validated.
pub fn ziplist_entries(zl: &[u8]) -> Result<Vec<Entry<'_>>> {
    const HEADER: usize = 10;
    if zl.len() < HEADER + 1 {
        return Err(bad_ziplist());
    }
    let total = u32::from_le_bytes([zl[0], zl[1], zl[2], zl[3]]) as usize;
    let count = u16::from_le_bytes([zl[8], zl[9]]) as usize;
    if total != zl.len() || zl[zl.len() - 1] != 0xff {
        return Err(bad_ziplist());
    }
    let end = zl.len() - 1;
    let mut out = Vec::with_capacity(count.min(end / 2));
    let mut p = HEADER;
    let mut prev_size = 0usize;
    while p < end {
        let start = p;
        let need = |p: usize, n: usize| {
            if p + n <= end {
                Ok(())
            } else {
                Err(bad_ziplist())
            }
        };
        // prevlen: 1 byte, or 0xfe and 4 bytes.
        let prevlen = if zl[p] < 254 {
            p += 1;
            zl[p - 1] as usize
        } else if zl[p] == 254 {
            need(p, 5)?;
            let v = u32::from_le_bytes([zl[p + 1], zl[p + 2], zl[p + 3], zl[p + 4]]) as usize;
            p += 5;
            v
        } else {
            return Err(bad_ziplist());
        };
        if prevlen != prev_size {
            return Err(bad_ziplist());
        }
        need(p, 1)?;
        let b = zl[p];
        let entry = match b >> 6 {
            0 => {
                let len = (b & 0x3f) as usize;
                need(p, 1 + len)?;
                p += 1 + len;
                Entry::Bytes(&zl[p - len..p])
            }
            1 => {
                need(p, 2)?;
                let len = (((b & 0x3f) as usize) << 8) | zl[p + 1] as usize;
                need(p, 2 + len)?;
                p += 2 + len;
                Entry::Bytes(&zl[p - len..p])
            }
            2 => {
                if b != 0x80 {
                    return Err(bad_ziplist());
                }
                need(p, 5)?;
                let len = u32::from_be_bytes([zl[p + 1], zl[p + 2], zl[p + 3], zl[p + 4]]) as usize;
                need(p, 5usize.checked_add(len).ok_or_else(bad_ziplist)?)?;
                p += 5 + len;
                Entry::Bytes(&zl[p - len..p])
            }
            _ => {
                let width = match b {
                    0xc0 => 2,
                    0xd0 => 4,
                    0xe0 => 8,
                    0xf0 => 3,
                    0xfe => 1,
                    0xf1..=0xfd => 0,
                    _ => return Err(bad_ziplist()),
                };
                need(p, 1 + width)?;
                let v = if width == 0 {
                    ((b & 0x0f) as i64) - 1
                } else {
                    le_int(&zl[p + 1..p + 1 + width])
                };
                p += 1 + width;
                Entry::Int(v)
            }
        };
        prev_size = p - start;
        out.push(entry);
    }
    if count != 65535 && count != out.len() {
        return Err(bad_ziplist());
    }
    Ok(out)
}

// ------------------------------------------------------------------ zipmap

/// The (field, value) pairs of a zipmap (hashes in RDB version 1-3 files).
pub fn zipmap_pairs(zm: &[u8]) -> Result<Vec<(&[u8], &[u8])>> {
    let bad = || RdbError::corrupt("Zipmap integrity check failed.");
    if zm.len() < 2 {
        return Err(bad());
    }
    let mut p = 1;
    let mut out = Vec::new();
    let read_len = |p: &mut usize| -> Result<Option<usize>> {
        let b = *zm.get(*p).ok_or_else(bad)?;
        match b {
            0..=253 => {
                *p += 1;
                Ok(Some(b as usize))
            }
            254 => {
                let s = zm.get(*p + 1..*p + 5).ok_or_else(bad)?;
                *p += 5;
                Ok(Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize))
            }
            _ => Ok(None),
        }
    };
    while let Some(flen) = read_len(&mut p)? {
        let field = zm
            .get(p..p.checked_add(flen).ok_or_else(bad)?)
            .ok_or_else(bad)?;
        p += flen;
        let vlen = read_len(&mut p)?.ok_or_else(bad)?;
        let free = *zm.get(p).ok_or_else(bad)? as usize;
        p += 1;
        let value = zm
            .get(p..p.checked_add(vlen).ok_or_else(bad)?)
            .ok_or_else(bad)?;
        p += vlen + free;
        out.push((field, value));
    }
    if p + 1 != zm.len() {
        return Err(bad());
    }
    Ok(out)
}

// ------------------------------------------------------------------ intset

/// The members of an intset blob, which must be strictly ascending.
pub fn intset_members(blob: &[u8]) -> Result<Vec<i64>> {
    let bad = || RdbError::corrupt("Intset integrity check failed.");
    if blob.len() < 8 {
        return Err(bad());
    }
    let width = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
    let count = u32::from_le_bytes([blob[4], blob[5], blob[6], blob[7]]) as usize;
    if !matches!(width, 2 | 4 | 8) || count.checked_mul(width) != Some(blob.len() - 8) {
        return Err(bad());
    }
    let members: Vec<i64> = blob[8..].chunks_exact(width).map(le_int).collect();
    if members.windows(2).any(|w| w[0] >= w[1]) {
        return Err(bad());
    }
    Ok(members)
}

/// An intset blob of ascending `members` at the narrowest width.
pub fn intset_blob(members: &[i64]) -> Vec<u8> {
    let width: usize = match (members.first(), members.last()) {
        (Some(&lo), Some(&hi)) if lo >= i16::MIN as i64 && hi <= i16::MAX as i64 => 2,
        (Some(&lo), Some(&hi)) if lo >= i32::MIN as i64 && hi <= i32::MAX as i64 => 4,
        (Some(_), Some(_)) => 8,
        _ => 2,
    };
    let mut out = Vec::with_capacity(8 + members.len() * width);
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(members.len() as u32).to_le_bytes());
    for m in members {
        out.extend_from_slice(&m.to_le_bytes()[..width]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listpack_round_trip_and_encodings() {
        let items: Vec<Vec<u8>> = vec![
            b"0".to_vec(),
            b"127".to_vec(),
            b"128".to_vec(),
            b"-1".to_vec(),
            b"-4096".to_vec(),
            b"4095".to_vec(),
            b"-4097".to_vec(),
            b"32767".to_vec(),
            b"-8388608".to_vec(),
            b"8388608".to_vec(),
            b"-2147483648".to_vec(),
            b"2147483648".to_vec(),
            b"-9223372036854775808".to_vec(),
            b"9223372036854775807".to_vec(),
            b"".to_vec(),
            b"hello".to_vec(),
            b"007".to_vec(),
            vec![b'x'; 63],
            vec![b'y'; 64],
            vec![b'z'; 4095],
            vec![b'w'; 4096],
            vec![b'v'; 70000],
        ];
        let mut b = ListpackBuilder::new();
        for i in &items {
            b.push(i);
        }
        let lp = b.finish();
        let back: Vec<Vec<u8>> = listpack_entries(&lp)
            .unwrap()
            .into_iter()
            .map(Entry::to_vec)
            .collect();
        assert_eq!(back, items);
        // Exact bytes of a small one: header, "a", 1, terminator.
        let mut b = ListpackBuilder::new();
        b.push(b"a");
        b.push(b"1");
        assert_eq!(
            b.finish(),
            vec![12, 0, 0, 0, 2, 0, 0x81, b'a', 2, 0x01, 1, 0xff]
        );
    }

    #[test]
    fn listpack_rejects_damage() {
        let mut b = ListpackBuilder::new();
        b.push(b"hello");
        b.push(b"12345");
        let lp = b.finish();
        for cut in 0..lp.len() {
            assert!(listpack_entries(&lp[..cut]).is_err());
        }
        for i in 0..lp.len() {
            for v in [0u8, 0x7f, 0x80, 0xc0, 0xe0, 0xf0, 0xf4, 0xff] {
                let mut bad = lp.clone();
                bad[i] = v;
                let _ = listpack_entries(&bad);
            }
        }
    }

    #[test]
    fn ziplist_reading() {
        // zlbytes, zltail, zllen=3; "ab", 5 (immediate), 300 (int16); end.
        let mut zl = vec![0u8; 10];
        let e1 = [0u8, 0x02, b'a', b'b'];
        let e2 = [4u8, 0xf6];
        let e3 = [2u8, 0xc0, 0x2c, 0x01];
        zl.extend_from_slice(&e1);
        zl.extend_from_slice(&e2);
        zl.extend_from_slice(&e3);
        zl.push(0xff);
        let n = zl.len() as u32;
        zl[0..4].copy_from_slice(&n.to_le_bytes());
        zl[8..10].copy_from_slice(&3u16.to_le_bytes());
        let e = ziplist_entries(&zl).unwrap();
        assert_eq!(e, vec![Entry::Bytes(b"ab"), Entry::Int(5), Entry::Int(300)]);
        for cut in 0..zl.len() {
            assert!(ziplist_entries(&zl[..cut]).is_err());
        }
    }

    #[test]
    fn zipmap_and_intset() {
        let zm = [
            2u8, 1, b'a', 1, 0, b'x', 2, b'b', b'c', 3, 1, b'y', b'z', b'w', 0, 0xff,
        ];
        assert_eq!(
            zipmap_pairs(&zm).unwrap(),
            vec![(&b"a"[..], &b"x"[..]), (&b"bc"[..], &b"yzw"[..])]
        );
        assert!(zipmap_pairs(&zm[..zm.len() - 1]).is_err());
        for members in [
            vec![1i64, 2, 3],
            vec![-70000, 5],
            vec![i64::MIN, 0, i64::MAX],
        ] {
            let blob = intset_blob(&members);
            assert_eq!(intset_members(&blob).unwrap(), members);
        }
        assert_eq!(intset_blob(&[1, 2])[0], 2);
        assert!(intset_members(&intset_blob(&[3, 1])).is_err());
        assert!(intset_members(&[2, 0, 0, 0, 5, 0, 0, 0]).is_err());
    }
}
