//! HashValue: the hashes value type (Redis's t_hash.c encodings).
//!
//! `listpack`: while the hash has at most `hash-max-listpack-entries` fields and
//! no field or value longer than `hash-max-listpack-value`, its pairs live in
//! one flat byte buffer in insertion order (`[varint len][field][varint len][value]`
//! per pair), like Redis's listpack: one allocation, about two bytes of overhead
//! per pair, linear lookups over a few hundred entries. Updates rewrite a value
//! in place, so HGETALL keeps Redis's order.
//!
//! `hashtable`: a [`Dict`] whose entries hold field and value in one allocation
//! ([`Pair`]), with the SCAN cursor guarantee.
//!
//! Conversion is one-way and happens exactly where Redis converts: before a
//! write whose arguments are too long ([`HashValue::prepare`], Redis's
//! `hashTypeTryConversion`), and inside [`HashValue::set`] when a field or
//! value is too long or the count passes the limit (Redis's `hashTypeSet`).

use crate::dict::{Dict, MemberIndex};
use crate::pack::{PackBuf, PackOr, PackRef, ThinPack};
use rand::Rng;
use std::borrow::Borrow;

/// Redis refuses to grow a listpack past 1 GiB (`lpSafeToAdd`) and converts instead.
const PACK_MAX_BYTES: usize = 1 << 30;

/// Conversion thresholds (`hash-max-listpack-entries`, `hash-max-listpack-value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_entries: usize,
    pub max_value: usize,
}

impl Limits {
    /// Redis's defaults (512 entries, 64 bytes).
    pub const DEFAULT: Limits = Limits {
        max_entries: 512,
        max_value: 64,
    };
}

/// A `listpack` ([`Pack`]) or a `hashtable`, in one word (see [`PackOr`]).
#[derive(Clone)]
pub struct HashValue(PackOr<Pack, Dict<Pair, ()>>);

use PackRef::{Big as Table, Small as Packed};

impl Default for HashValue {
    /// An empty `listpack` (Redis's `createHashObject`).
    fn default() -> Self {
        HashValue(PackOr::small(Pack::default()))
    }
}

impl PartialEq for HashValue {
    /// Same fields with the same values, whatever the encodings.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(f, v)| other.get(f) == Some(v))
    }
}

impl std::fmt::Debug for HashValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.encoding())?;
        f.debug_map()
            .entries(
                self.iter()
                    .map(|(k, v)| (String::from_utf8_lossy(k), String::from_utf8_lossy(v))),
            )
            .finish()
    }
}

impl HashValue {
    /// The field index of a `hashtable` hash, for prefetching.
    pub fn member_index(&self) -> Option<&dyn MemberIndex> {
        match self.0.get() {
            Table(d) => Some(d),
            Packed(_) => None,
        }
    }

    pub fn new() -> Self {
        Self::default()
    }

    /// Where the listpack's block or the hashtable starts, for prefetching.
    pub fn heap_ptr(&self) -> *const u8 {
        self.0.addr()
    }

    pub fn len(&self) -> usize {
        match self.0.get() {
            Packed(p) => p.buf.count() as usize,
            Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name `OBJECT ENCODING` reports.
    pub fn encoding(&self) -> &'static str {
        match self.0.get() {
            Packed(_) => "listpack",
            Table(_) => "hashtable",
        }
    }

    pub fn is_packed(&self) -> bool {
        self.0.is_small()
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self.0.get() {
            Packed(p) => p.find(field).map(|l| p.value_at(&l)),
            Table(t) => t.get_key_value(field).map(|(pair, _)| pair.value()),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        match self.0.get() {
            Packed(p) => p.find(field).is_some(),
            Table(t) => t.contains_key(field),
        }
    }

    /// Redis's `hashTypeTryConversion`: before a write with arguments of these
    /// lengths, a listpack converts if one is longer than the value limit or the
    /// buffer would pass 1 GiB.
    pub fn prepare(&mut self, arg_lens: impl IntoIterator<Item = usize>, lim: &Limits) {
        let Packed(p) = self.0.get() else { return };
        let buf_len = p.buf.len();
        let mut sum = 0usize;
        for len in arg_lens {
            if len > lim.max_value {
                self.convert();
                return;
            }
            sum = sum.saturating_add(len);
        }
        if buf_len.saturating_add(sum) > PACK_MAX_BYTES {
            self.convert();
        }
    }

    /// Sets `field` to `value`; true if the field is new. A listpack converts
    /// first if either string is too long, and after if the count passes the
    /// limit (even on an update, as Redis's `hashTypeSet`).
    pub fn set(&mut self, field: &[u8], value: &[u8], lim: &Limits) -> bool {
        if let Packed(p) = self.0.get() {
            if field.len() > lim.max_value
                || value.len() > lim.max_value
                || p.buf.len() + field.len() + value.len() + 20 > PACK_MAX_BYTES
            {
                self.convert();
            }
        }
        match self.0.get_mut() {
            Packed(p) => {
                let added = p.set(field, value);
                if p.buf.count() as usize > lim.max_entries {
                    self.convert();
                }
                added
            }
            Table(t) => match t.get_key_value_mut(field) {
                Some((pair, _)) => {
                    pair.set_value(value);
                    false
                }
                None => {
                    t.insert_new(Pair::new(field, value), (), ());
                    true
                }
            },
        }
    }

    /// Removes `field`; true if it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self.0.get_mut() {
            Packed(p) => p.remove(field),
            Table(t) => t.remove_entry(field).is_some(),
        }
    }

    /// Switches a listpack to a hashtable (no-op on a hashtable).
    pub fn convert(&mut self) {
        if let Packed(p) = self.0.get() {
            let mut t = Dict::new();
            for (f, v) in p.iter() {
                t.insert_new(Pair::new(f, v), (), ());
            }
            self.0 = PackOr::big(Box::new(t));
        }
    }

    /// Every (field, value): insertion order for a listpack, bucket order for a
    /// hashtable.
    pub fn iter(&self) -> Iter<'_> {
        match self.0.get() {
            Packed(p) => Iter::Pack(p.iter()),
            Table(t) => Iter::Table(t.iter()),
        }
    }

    /// One SCAN step: a listpack visits everything and returns cursor 0; a
    /// hashtable visits one bucket and returns the next cursor (Redis's dictScan).
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], &[u8])) -> u64 {
        match self.0.get() {
            Packed(p) => {
                p.iter().for_each(|(f, v)| visit(f, v));
                0
            }
            Table(t) => t.scan(cursor, |pair, _| visit(pair.field(), pair.value())),
        }
    }

    /// A random (field, value); `None` when empty. A listpack picks a uniform
    /// index; a hashtable samples fairly (`Dict::fair_random_entry`).
    pub fn random_pair(&self, rng: &mut impl Rng) -> Option<(&[u8], &[u8])> {
        match self.0.get() {
            Packed(p) => {
                let count = p.buf.count() as usize;
                if count == 0 {
                    return None;
                }
                p.iter().nth(rng.gen_range(0..count))
            }
            Table(t) => t
                .fair_random_entry(rng)
                .map(|(pair, _)| (pair.field(), pair.value())),
        }
    }

    /// Bytes of heap memory held (buffers and entries as requested, not
    /// counting allocator rounding), a hashtable's entries estimated from
    /// `samples` of them: for MEMORY USAGE.
    pub fn heap_bytes(&self, samples: usize) -> usize {
        match self.0.get() {
            Packed(p) => p.buf.block_len(),
            Table(t) => {
                let entries = t
                    .iter()
                    .map(|(pair, _)| pair.0.len() + Dict::<Pair, ()>::ENTRY_BYTES);
                std::mem::size_of::<Dict<Pair, ()>>()
                    + t.buckets() * std::mem::size_of::<usize>()
                    + super::sampled(t.len(), entries, samples)
            }
        }
    }
}

/// Builds a hash from a stream of pairs that should hold no duplicate field
/// (an RDB payload): the encoding ends up as a sequence of [`HashValue::set`]
/// calls would leave it, but a listpack is filled by appending (no per-field
/// scan, amortized growth) and checked for duplicates once at the end.
pub struct HashBuilder {
    lim: Limits,
    pack: Vec<u8>,
    count: usize,
    table: Option<Box<Dict<Pair, ()>>>,
}

impl HashBuilder {
    /// A builder for about `expected` pairs; more than the entry limit starts
    /// a hashtable straight away (as Redis's loader creates it).
    pub fn new(expected: usize, lim: &Limits) -> HashBuilder {
        let table = (expected > lim.max_entries).then(|| {
            let mut t = Dict::new();
            t.reserve(expected);
            Box::new(t)
        });
        HashBuilder {
            lim: *lim,
            pack: Vec::new(),
            count: 0,
            table,
        }
    }

    /// Adds a pair; false when the field is already there (a duplicate found
    /// here; a listpack's are found by [`HashBuilder::finish`]).
    pub fn push(&mut self, field: &[u8], value: &[u8]) -> bool {
        if self.table.is_none()
            && (field.len() > self.lim.max_value
                || value.len() > self.lim.max_value
                || self.pack.len() + field.len() + value.len() + 20 > PACK_MAX_BYTES
                || self.count >= self.lim.max_entries)
            && !self.convert_to_table()
        {
            return false;
        }
        match &mut self.table {
            Some(t) => {
                if t.contains_key(field) {
                    return false;
                }
                t.insert_new(Pair::new(field, value), (), ());
            }
            None => {
                let mut hdr = [0u8; 10];
                let h = put_varint(&mut hdr, field.len());
                self.pack.extend_from_slice(&hdr[..h]);
                self.pack.extend_from_slice(field);
                let h = put_varint(&mut hdr, value.len());
                self.pack.extend_from_slice(&hdr[..h]);
                self.pack.extend_from_slice(value);
            }
        }
        self.count += 1;
        true
    }

    /// Moves the listpack's pairs into a hashtable; false on a duplicate.
    fn convert_to_table(&mut self) -> bool {
        let mut t = Dict::new();
        t.reserve(self.count + 1);
        for (f, v) in (PackIter {
            buf: &self.pack,
            pos: 0,
        }) {
            if t.contains_key(f) {
                return false;
            }
            t.insert_new(Pair::new(f, v), (), ());
        }
        self.pack = Vec::new();
        self.table = Some(Box::new(t));
        true
    }

    /// The hash, or `None` when two pairs had the same field.
    pub fn finish(self) -> Option<HashValue> {
        if let Some(t) = self.table {
            return Some(HashValue(PackOr::big(t)));
        }
        let it = PackIter {
            buf: &self.pack,
            pos: 0,
        };
        let dup = if self.count <= 8 {
            let fields: Vec<&[u8]> = it.map(|(f, _)| f).collect();
            (1..fields.len()).any(|i| fields[..i].contains(&fields[i]))
        } else {
            let mut fields: Vec<&[u8]> = it.map(|(f, _)| f).collect();
            fields.sort_unstable();
            fields.windows(2).any(|w| w[0] == w[1])
        };
        if dup {
            return None;
        }
        Some(HashValue(PackOr::small(Pack {
            buf: PackBuf::from_vec(self.pack, self.count as u32),
        })))
    }
}

/// Iterator over a hash's (field, value) pairs.
pub enum Iter<'a> {
    Pack(PackIter<'a>),
    Table(crate::dict::Iter<'a, Pair, ()>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Pack(it) => it.next(),
            Iter::Table(it) => it.next().map(|(pair, _)| (pair.field(), pair.value())),
        }
    }
}

/// A hashtable entry: `[field length as varint][field][value]` in one allocation.
#[derive(Clone)]
pub struct Pair(Box<[u8]>);

impl Pair {
    pub fn new(field: &[u8], value: &[u8]) -> Pair {
        let mut hdr = [0u8; 10];
        let h = put_varint(&mut hdr, field.len());
        let mut v = Vec::with_capacity(h + field.len() + value.len());
        v.extend_from_slice(&hdr[..h]);
        v.extend_from_slice(field);
        v.extend_from_slice(value);
        Pair(v.into_boxed_slice())
    }

    fn split(&self) -> (usize, usize) {
        let (flen, start) = read_varint(&self.0, 0);
        (start, start + flen)
    }

    pub fn field(&self) -> &[u8] {
        let (start, end) = self.split();
        &self.0[start..end]
    }

    pub fn value(&self) -> &[u8] {
        let (_, end) = self.split();
        &self.0[end..]
    }

    /// Replaces the value, in place when the length is unchanged.
    pub fn set_value(&mut self, value: &[u8]) {
        let (_, end) = self.split();
        if self.0.len() - end == value.len() {
            self.0[end..].copy_from_slice(value);
        } else {
            let mut v = Vec::with_capacity(end + value.len());
            v.extend_from_slice(&self.0[..end]);
            v.extend_from_slice(value);
            self.0 = v.into_boxed_slice();
        }
    }
}

impl crate::dict::KeyAddr for Pair {
    fn key_addr(&self) -> *const u8 {
        // The block starts with the field's length, then the field.
        self.0.as_ptr()
    }
}

impl Borrow<[u8]> for Pair {
    fn borrow(&self) -> &[u8] {
        self.field()
    }
}

impl std::fmt::Debug for Pair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?}={:?}",
            String::from_utf8_lossy(self.field()),
            String::from_utf8_lossy(self.value())
        )
    }
}

/// The listpack encoding: pairs back to back in one exactly sized buffer.
/// Like a listpack it is reallocated on every size change: the allocator
/// usually grows or shrinks such small blocks in place, and no slack is kept.
#[derive(Clone, Debug, Default)]
#[repr(transparent)]
pub struct Pack {
    /// The pairs; its count is the number of pairs (the buffer is capped at
    /// 1 GiB, so both fit in 32 bits).
    buf: PackBuf,
}

// SAFETY: repr(transparent) over its PackBuf.
unsafe impl ThinPack for Pack {}

/// Where a pair sits in the buffer: `start..vpos` is the field with its length,
/// `vpos..end` the value with its length.
struct Loc {
    start: usize,
    vpos: usize,
    end: usize,
}

impl Pack {
    fn find(&self, field: &[u8]) -> Option<Loc> {
        let b = &self.buf[..];
        let mut pos = 0;
        while pos < b.len() {
            let start = pos;
            let (flen, p) = read_varint(b, pos);
            let fend = p + flen;
            let (vlen, q) = read_varint(b, fend);
            let end = q + vlen;
            if flen == field.len() && &b[p..fend] == field {
                return Some(Loc {
                    start,
                    vpos: fend,
                    end,
                });
            }
            pos = end;
        }
        None
    }

    fn value_at(&self, loc: &Loc) -> &[u8] {
        let (_, q) = read_varint(&self.buf, loc.vpos);
        &self.buf[q..loc.end]
    }

    /// Edits the buffer as a Vec (sized exactly again afterwards).
    fn edit<R>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        self.buf.edit(f)
    }

    fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        let mut hdr = [0u8; 10];
        let h = put_varint(&mut hdr, value.len());
        let new_len = h + value.len();
        if let Some(loc) = self.find(field) {
            let old_len = loc.end - loc.vpos;
            if new_len != old_len {
                self.edit(|v| {
                    let n = v.len();
                    if new_len > old_len {
                        let extra = new_len - old_len;
                        v.reserve_exact(extra);
                        v.resize(n + extra, 0);
                        v.copy_within(loc.end..n, loc.end + extra);
                    } else {
                        v.copy_within(loc.end..n, loc.vpos + new_len);
                        v.truncate(n - (old_len - new_len));
                    }
                });
            }
            self.buf[loc.vpos..loc.vpos + h].copy_from_slice(&hdr[..h]);
            self.buf[loc.vpos + h..loc.vpos + new_len].copy_from_slice(value);
            return false;
        }
        let mut fhdr = [0u8; 10];
        let fh = put_varint(&mut fhdr, field.len());
        self.edit(|v| {
            v.reserve_exact(fh + field.len() + new_len);
            v.extend_from_slice(&fhdr[..fh]);
            v.extend_from_slice(field);
            v.extend_from_slice(&hdr[..h]);
            v.extend_from_slice(value);
        });
        self.buf.set_count(self.buf.count() + 1);
        true
    }

    fn remove(&mut self, field: &[u8]) -> bool {
        let Some(loc) = self.find(field) else {
            return false;
        };
        self.edit(|v| {
            v.drain(loc.start..loc.end);
        });
        self.buf.set_count(self.buf.count() - 1);
        true
    }

    fn iter(&self) -> PackIter<'_> {
        PackIter {
            buf: &self.buf,
            pos: 0,
        }
    }
}

/// Iterator over a listpack's pairs in order.
pub struct PackIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for PackIter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let (flen, p) = read_varint(self.buf, self.pos);
        let fend = p + flen;
        let (vlen, q) = read_varint(self.buf, fend);
        self.pos = q + vlen;
        Some((&self.buf[p..fend], &self.buf[q..self.pos]))
    }
}

/// LEB128: 7 bits per byte, low bits first; returns the bytes written.
fn put_varint(out: &mut [u8; 10], mut n: usize) -> usize {
    let mut i = 0;
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out[i] = b;
            return i + 1;
        }
        out[i] = b | 0x80;
        i += 1;
    }
}

/// Decodes a varint at `pos`; returns (value, position after it).
#[inline]
fn read_varint(b: &[u8], mut pos: usize) -> (usize, usize) {
    let first = b[pos];
    if first < 0x80 {
        return (first as usize, pos + 1);
    }
    let mut n = 0usize;
    let mut shift = 0;
    loop {
        let byte = b[pos];
        pos += 1;
        n |= ((byte & 0x7f) as usize) << shift;
        if byte < 0x80 {
            return (n, pos);
        }
        shift += 7;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn pairs(h: &HashValue) -> Vec<(String, String)> {
        h.iter()
            .map(|(f, v)| {
                (
                    String::from_utf8_lossy(f).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn builder_matches_set_and_finds_duplicates() {
        let lim = Limits::DEFAULT;
        let small = Limits {
            max_entries: 4,
            max_value: 8,
        };
        for (n, l, expected) in [
            (3, lim, 3),
            (20, lim, 20),
            (6, small, 0),
            (600, lim, 600),
            (600, lim, 0),
        ] {
            let mut b = HashBuilder::new(expected, &l);
            let mut h = HashValue::new();
            for i in 0..n {
                let f = format!("f{i}");
                let v = if i == 2 {
                    "a long value".to_string()
                } else {
                    i.to_string()
                };
                assert!(b.push(f.as_bytes(), v.as_bytes()));
                h.set(f.as_bytes(), v.as_bytes(), &l);
            }
            let built = b.finish().unwrap();
            assert_eq!(built.encoding(), h.encoding(), "{n}");
            assert_eq!(pairs(&built).len(), n);
            if built.is_packed() {
                assert_eq!(pairs(&built), pairs(&h), "listpack order kept");
            }
            assert!(built == h);
        }
        // Repeats: found by finish (listpack) or by push (hashtable, or
        // when converting with a repeat already in the listpack).
        for (n, l) in [(5, lim), (50, lim), (6, small)] {
            let mut b = HashBuilder::new(0, &l);
            let mut ok = true;
            for i in 0..n {
                let f = if i == n - 1 { 1 } else { i };
                ok &= b.push(format!("f{f}").as_bytes(), b"v");
            }
            assert!(!ok || b.finish().is_none(), "{n}");
        }
        let mut b = HashBuilder::new(1000, &lim);
        assert!(b.push(b"x", b"1"));
        assert!(!b.push(b"x", b"2"));
    }

    #[test]
    fn listpack_keeps_insertion_order_and_updates_in_place() {
        let lim = Limits::DEFAULT;
        let mut h = HashValue::new();
        assert!(h.set(b"a", b"1", &lim));
        assert!(h.set(b"b", b"2", &lim));
        assert!(h.set(b"c", b"3", &lim));
        assert!(!h.set(b"a", b"a much longer value", &lim));
        assert!(!h.set(b"b", b"", &lim));
        assert_eq!(
            pairs(&h),
            vec![
                ("a".into(), "a much longer value".into()),
                ("b".into(), "".into()),
                ("c".into(), "3".into())
            ]
        );
        assert_eq!(h.get(b"c"), Some(&b"3"[..]));
        assert_eq!(h.get(b"x"), None);
        assert!(h.remove(b"b"));
        assert!(!h.remove(b"b"));
        assert_eq!(h.len(), 2);
        assert_eq!(h.encoding(), "listpack");
        assert_eq!(h.get(b"c"), Some(&b"3"[..]));
    }

    #[test]
    fn long_strings_use_multibyte_lengths() {
        let lim = Limits {
            max_entries: 512,
            max_value: 100_000,
        };
        let mut h = HashValue::new();
        let long = vec![b'x'; 70_000];
        h.set(&long, &long, &lim);
        h.set(b"k", &long[..200], &lim);
        assert_eq!(h.get(&long), Some(&long[..]));
        h.set(&long, b"short", &lim);
        assert_eq!(h.get(&long), Some(&b"short"[..]));
        assert_eq!(h.get(b"k").map(<[u8]>::len), Some(200));
        assert!(h.is_packed());
    }

    #[test]
    fn conversion_points_follow_redis() {
        let lim = Limits {
            max_entries: 3,
            max_value: 5,
        };
        let mut h = HashValue::new();
        h.prepare([1, 5], &lim);
        assert!(h.is_packed());
        h.prepare([1, 6], &lim);
        assert!(!h.is_packed(), "too-long argument converts up front");

        let mut h = HashValue::new();
        for f in [b"a", b"b", b"c"] {
            h.set(f, b"v", &lim);
        }
        assert!(h.is_packed());
        h.set(b"d", b"v", &lim);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 4);
        assert_eq!(h.get(b"b"), Some(&b"v"[..]));
        // One-way: shrinking does not go back.
        for f in [b"a", b"b", b"c"] {
            h.remove(f);
        }
        assert_eq!(h.encoding(), "hashtable");

        let mut h = HashValue::new();
        h.set(b"a", b"123456", &lim);
        assert_eq!(h.encoding(), "hashtable", "set checks lengths itself");
    }

    #[test]
    fn hashtable_pairs_update_and_scan() {
        let lim = Limits {
            max_entries: 0,
            max_value: 64,
        };
        let mut h = HashValue::new();
        for i in 0..200 {
            assert!(h.set(format!("f{i}").as_bytes(), b"x", &lim));
        }
        assert!(!h.set(b"f7", b"seven", &lim));
        assert!(!h.set(b"f8", b"y", &lim));
        assert_eq!(h.get(b"f7"), Some(&b"seven"[..]));
        assert_eq!(h.get(b"f8"), Some(&b"y"[..]));
        let mut seen = 0;
        let mut cursor = 0;
        loop {
            cursor = h.scan(cursor, |_, _| seen += 1);
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen, 200);
        let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
        let (f, v) = h.random_pair(&mut rng).unwrap();
        assert_eq!(h.get(f), Some(v));
        let copy = h.clone();
        assert_eq!(copy, h);
        let mut packed = HashValue::new();
        for (f, v) in h.iter() {
            packed.set(f, v, &Limits::DEFAULT);
        }
        assert!(packed.is_packed());
        assert_eq!(packed, h, "equality ignores the encoding");
    }

    #[test]
    fn small_hash_is_compact() {
        assert_eq!(std::mem::size_of::<HashValue>(), 8);
        let mut h = HashValue::new();
        h.set(b"field", b"value", &Limits::DEFAULT);
        // The block's 2 header bytes, 2 length bytes + 10 data bytes, no slack.
        assert_eq!(h.heap_bytes(5), 14);
        h.set(b"f2", b"v2", &Limits::DEFAULT);
        h.remove(b"field");
        assert_eq!(h.heap_bytes(5), 8);
    }
}
