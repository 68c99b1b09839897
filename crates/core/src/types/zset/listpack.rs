//! The compact encoding (Redis's listpack): every (member, score) pair in one
//! flat buffer, ordered by (score, member). Each entry is a LEB128 header
//! (member length * 2, plus 1 when the score is an integer), the member bytes,
//! then the score: integral scores (|s| < 2^53, the common case of ranks,
//! counters and timestamps) as a zigzag LEB128 integer of 1-8 bytes, as
//! Redis's listpack keeps them as integers; others as 8 little-endian bytes.
//! Lookups are linear scans, as in Redis, which keeps this encoding to small sets.

use crate::pack::{PackBuf, ThinPack};

/// Flat sorted entries; the buffer's `count` counts pairs. The buffer is kept
/// at its exact size (each change reallocates, as Redis's listpack does): small
/// sorted sets are numerous, so their spare capacity would add up.
#[derive(Clone, Debug, Default, PartialEq)]
#[repr(transparent)]
pub struct Listpack {
    buf: PackBuf,
}

// SAFETY: repr(transparent) over its PackBuf.
unsafe impl ThinPack for Listpack {}

/// Largest magnitude stored as an integer: every integer up to it is exact in an f64.
const INT_SCORE_MAX: f64 = 9007199254740992.0; // 2^53

#[inline]
fn read_varint(buf: &[u8], mut i: usize) -> (u64, usize) {
    let mut n: u64 = 0;
    let mut shift = 0;
    loop {
        let b = buf[i];
        i += 1;
        n |= ((b & 0x7f) as u64) << shift;
        if b & 0x80 == 0 {
            return (n, i);
        }
        shift += 7;
    }
}

fn put_varint(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// Decodes the entry at `pos`: (member, score, position of the next entry).
#[inline]
fn entry_at(buf: &[u8], pos: usize) -> (&[u8], f64, usize) {
    let (hdr, i) = read_varint(buf, pos);
    let n = (hdr >> 1) as usize;
    let member = &buf[i..i + n];
    let s = i + n;
    if hdr & 1 == 1 {
        let (z, next) = read_varint(buf, s);
        let v = ((z >> 1) as i64) ^ -((z & 1) as i64);
        (member, v as f64, next)
    } else {
        let score = f64::from_le_bytes(buf[s..s + 8].try_into().expect("8 bytes"));
        (member, score, s + 8)
    }
}

fn encode(member: &[u8], score: f64, out: &mut Vec<u8>) {
    // -0 has no integer form: callers store it as 0 (as Redis does).
    let int = score.fract() == 0.0 && score.abs() < INT_SCORE_MAX;
    put_varint(((member.len() as u64) << 1) | int as u64, out);
    out.extend_from_slice(member);
    if int {
        let v = score as i64;
        put_varint(((v << 1) ^ (v >> 63)) as u64, out);
    } else {
        out.extend_from_slice(&score.to_le_bytes());
    }
}

/// Orders (score, member) pairs: scores numerically (never NaN here, and
/// -0 equals 0), then members bytewise.
#[inline]
pub fn cmp_entries(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> std::cmp::Ordering {
    s1.partial_cmp(&s2)
        .unwrap_or(std::cmp::Ordering::Equal)
        .then_with(|| m1.cmp(m2))
}

impl Listpack {
    pub fn len(&self) -> usize {
        self.buf.count() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.buf.count() == 0
    }

    /// Bytes used by the entries (for MEMORY USAGE-like estimates).
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// Bytes of the heap block (entries and header), for MEMORY USAGE.
    pub fn heap_bytes(&self) -> usize {
        self.buf.block_len()
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            pos: 0,
        }
    }

    /// Start offsets of every entry, in order (for reverse and random access).
    pub fn offsets(&self) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.len());
        let mut pos = 0;
        while pos < self.buf.len() {
            out.push(pos as u32);
            pos = entry_at(&self.buf, pos).2;
        }
        out
    }

    /// The entry starting at byte offset `pos` (from [`Listpack::offsets`]).
    pub fn entry(&self, pos: u32) -> (&[u8], f64) {
        let (m, s, _) = entry_at(&self.buf, pos as usize);
        (m, s)
    }

    /// The `i`th entry (linear).
    pub fn nth(&self, i: usize) -> Option<(&[u8], f64)> {
        self.iter().nth(i)
    }

    pub fn first(&self) -> Option<(&[u8], f64)> {
        self.iter().next()
    }

    pub fn last(&self) -> Option<(&[u8], f64)> {
        self.iter().last()
    }

    /// (byte offset, index, score) of `member`.
    pub fn find(&self, member: &[u8]) -> Option<(usize, usize, f64)> {
        let mut pos = 0;
        let mut idx = 0;
        while pos < self.buf.len() {
            let (m, s, next) = entry_at(&self.buf, pos);
            if m == member {
                return Some((pos, idx, s));
            }
            pos = next;
            idx += 1;
        }
        None
    }

    /// Inserts a member known to be absent at its sorted place (Redis's
    /// zzlInsert). A -0 score is stored as 0, as Redis's listpack keeps
    /// integral scores as integers.
    pub fn insert(&mut self, member: &[u8], score: f64) {
        let score = if score == 0.0 { 0.0 } else { score };
        let mut pos = 0;
        while pos < self.buf.len() {
            let (m, s, next) = entry_at(&self.buf, pos);
            if s > score || (s == score && m > member) {
                break;
            }
            pos = next;
        }
        let mut out = Vec::with_capacity(self.buf.len() + member.len() + 19);
        out.extend_from_slice(&self.buf[..pos]);
        encode(member, score, &mut out);
        out.extend_from_slice(&self.buf[pos..]);
        self.buf = PackBuf::from_vec(out, self.buf.count() + 1);
    }

    /// Builds from pairs already in order with distinct members.
    pub fn from_sorted<'a>(entries: impl IntoIterator<Item = (&'a [u8], f64)>) -> Listpack {
        let mut buf = Vec::new();
        let mut len = 0;
        for (m, s) in entries {
            encode(m, if s == 0.0 { 0.0 } else { s }, &mut buf);
            len += 1;
        }
        Listpack {
            buf: PackBuf::from_vec(buf, len),
        }
    }

    /// Removes the bytes `start..end`, keeping the buffer exact.
    fn cut(&mut self, start: usize, end: usize) {
        let mut out = Vec::with_capacity(self.buf.len() - (end - start));
        out.extend_from_slice(&self.buf[..start]);
        out.extend_from_slice(&self.buf[end..]);
        self.buf = PackBuf::from_vec(out, self.buf.count());
    }

    /// Removes the entry starting at byte offset `pos`.
    pub fn remove_at(&mut self, pos: usize) {
        let end = entry_at(&self.buf, pos).2;
        self.cut(pos, end);
        self.buf.set_count(self.buf.count() - 1);
    }

    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.find(member) {
            Some((pos, _, _)) => {
                self.remove_at(pos);
                true
            }
            None => false,
        }
    }

    /// Removes `count` entries starting at index `start`.
    pub fn remove_range(&mut self, start: usize, count: usize) {
        let mut pos = 0;
        for _ in 0..start {
            pos = entry_at(&self.buf, pos).2;
        }
        let mut end = pos;
        for _ in 0..count {
            end = entry_at(&self.buf, end).2;
        }
        self.cut(pos, end);
        self.buf.set_count(self.buf.count() - count as u32);
    }

    /// Removes and returns the first (or last) entry.
    pub fn pop(&mut self, last: bool) -> Option<(Vec<u8>, f64)> {
        if self.buf.count() == 0 {
            return None;
        }
        let pos = if last {
            *self.offsets().last().expect("non-empty") as usize
        } else {
            0
        };
        let (m, s, _) = entry_at(&self.buf, pos);
        let out = (m.to_vec(), s);
        self.remove_at(pos);
        Some(out)
    }
}

/// Forward iteration over (member, score).
#[derive(Clone)]
pub struct Iter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let (m, s, next) = entry_at(self.buf, self.pos);
        self.pos = next;
        Some((m, s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_round_trip_in_both_forms() {
        let scores = [
            0.0,
            1.0,
            -1.0,
            3.5,
            -2.25,
            63.0,
            64.0,
            -64.0,
            -65.0,
            1e15,
            9007199254740991.0,
            9007199254740992.0,
            -9007199254740992.0,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
        ];
        let entries: Vec<(Vec<u8>, f64)> = scores
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("m{i}").into_bytes(), *s))
            .collect();
        let mut sorted = entries.clone();
        sorted.sort_by(|a, b| cmp_entries(a.1, &a.0, b.1, &b.0));
        let lp = Listpack::from_sorted(sorted.iter().map(|(m, s)| (&m[..], *s)));
        let got: Vec<(Vec<u8>, f64)> = lp.iter().map(|(m, s)| (m.to_vec(), s)).collect();
        for ((m1, s1), (m2, s2)) in got.iter().zip(&sorted) {
            assert_eq!(m1, m2);
            assert_eq!(s1.to_bits(), s2.to_bits(), "{s2}");
        }
        let mut one = Listpack::default();
        one.insert(b"alpha", 1.0);
        // Header, member and a one-byte integer score.
        assert_eq!(one.bytes(), 1 + 5 + 1);
        one.insert(b"beta", 3.5);
        assert_eq!(one.bytes(), 7 + 1 + 4 + 8);
        assert_eq!(one.heap_bytes(), 2 + 20);
        assert_eq!(std::mem::size_of::<Listpack>(), 8);
        assert_eq!(std::mem::size_of::<crate::types::ZSetValue>(), 8);
    }

    fn members(lp: &Listpack) -> Vec<(String, f64)> {
        lp.iter()
            .map(|(m, s)| (String::from_utf8_lossy(m).into_owned(), s))
            .collect()
    }

    #[test]
    fn keeps_score_member_order() {
        let mut lp = Listpack::default();
        lp.insert(b"b", 1.0);
        lp.insert(b"a", 1.0);
        lp.insert(b"z", -1.0);
        lp.insert(&[b'x'; 300], 2.0);
        lp.insert(b"m", -0.0);
        assert_eq!(lp.len(), 5);
        let got = members(&lp);
        assert_eq!(got[0], ("z".into(), -1.0));
        assert_eq!(got[1].0, "m");
        assert!(got[1].1.is_sign_positive(), "-0 stored as 0");
        assert_eq!(got[2].0, "a");
        assert_eq!(got[3].0, "b");
        assert_eq!(got[4].0.len(), 300);
        assert_eq!(lp.find(b"b").map(|f| (f.1, f.2)), Some((3, 1.0)));
        assert!(lp.remove(b"a"));
        assert!(!lp.remove(b"a"));
        assert_eq!(lp.pop(true).unwrap().0.len(), 300);
        assert_eq!(lp.pop(false).unwrap(), (b"z".to_vec(), -1.0));
        lp.remove_range(0, 2);
        assert!(lp.is_empty() && lp.bytes() == 0);
    }

    #[test]
    fn offsets_allow_reverse_walks() {
        let names: Vec<String> = (0..10).map(|i| format!("m{i}")).collect();
        let mut lp = Listpack::from_sorted(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.as_bytes(), i as f64)),
        );
        let offs = lp.offsets();
        assert_eq!(offs.len(), 10);
        assert_eq!(lp.entry(offs[9]), (&b"m9"[..], 9.0));
        assert_eq!(lp.nth(4), Some((&b"m4"[..], 4.0)));
        lp.remove_range(2, 3);
        assert_eq!(lp.nth(2), Some((&b"m5"[..], 5.0)));
        assert_eq!(lp.len(), 7);
    }
}
