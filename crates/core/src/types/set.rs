//! SetValue: the sets value type (Redis's t_set.c encodings).
//!
//! `intset`: while every member is a canonical integer (`string2ll` rules) and the
//! count stays within `set-max-intset-entries`, members live in one sorted packed
//! array whose element width (16/32/64 bits) grows with the largest magnitude, as
//! Redis's intset does. Otherwise `hashtable`: a [`Dict`] of members. Conversion is
//! one-way, as in Redis: a hashtable set that shrinks stays a hashtable.

use crate::dict::{Dict, MemberIndex};
use ember_resp::num::parse_i64;
use rand::Rng;
use std::borrow::Cow;

/// Redis caps intsets at 1G entries whatever `set-max-intset-entries` says.
const INTSET_HARD_MAX: usize = 1 << 30;

/// A member as stored: integers of an intset are not kept as text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Member<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl<'a> Member<'a> {
    /// The member's text (integers formatted in decimal).
    pub fn to_bytes(self) -> Cow<'a, [u8]> {
        match self {
            Member::Int(n) => Cow::Owned(itoa::Buffer::new().format(n).as_bytes().to_vec()),
            Member::Bytes(b) => Cow::Borrowed(b),
        }
    }

    pub fn to_vec(self) -> Vec<u8> {
        self.to_bytes().into_owned()
    }
}

#[derive(Clone, Debug)]
pub struct SetValue {
    enc: Enc,
}

#[derive(Clone, Debug)]
enum Enc {
    Ints(IntSet),
    // Boxed: keeps SetValue (and so every intset's allocation) small.
    Table(Box<Dict<MemberBuf, ()>>),
}

impl Default for SetValue {
    /// An empty `intset` (Redis's `createIntsetObject`).
    fn default() -> Self {
        SetValue {
            enc: Enc::Ints(IntSet::default()),
        }
    }
}

impl PartialEq for SetValue {
    /// Same members, whatever the encodings.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.members().all(|m| other.contains_member(m))
    }
}

impl SetValue {
    /// The member index of a `hashtable` set, for prefetching.
    pub fn member_index(&self) -> Option<&dyn MemberIndex> {
        match &self.enc {
            Enc::Table(d) => Some(&**d),
            _ => None,
        }
    }

    /// An empty set encoded for its first member (Redis's `setTypeCreate`): an
    /// intset when `first` is an integer, else a hashtable.
    pub fn for_member(first: &[u8]) -> SetValue {
        if parse_i64(first).is_some() {
            SetValue::default()
        } else {
            SetValue {
                enc: Enc::Table(Box::default()),
            }
        }
    }

    pub fn len(&self) -> usize {
        match &self.enc {
            Enc::Ints(s) => s.len(),
            Enc::Table(d) => d.len(),
        }
    }

    /// Bytes of heap memory held, a hashtable's members estimated from
    /// `samples` of them: for MEMORY USAGE.
    pub fn heap_bytes(&self, samples: usize) -> usize {
        match &self.enc {
            Enc::Ints(s) => s.heap_bytes(),
            Enc::Table(d) => {
                let entries = d
                    .iter()
                    .map(|(m, _)| m.heap_len() + Dict::<MemberBuf, ()>::ENTRY_BYTES);
                std::mem::size_of::<Dict<MemberBuf, ()>>()
                    + d.buckets() * std::mem::size_of::<usize>()
                    + super::sampled(d.len(), entries, samples)
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name `OBJECT ENCODING` reports.
    pub fn encoding(&self) -> &'static str {
        match &self.enc {
            Enc::Ints(_) => "intset",
            Enc::Table(_) => "hashtable",
        }
    }

    pub fn is_intset(&self) -> bool {
        matches!(self.enc, Enc::Ints(_))
    }

    /// Whether `m` is a member.
    pub fn contains(&self, m: &[u8]) -> bool {
        match &self.enc {
            Enc::Ints(s) => parse_i64(m).is_some_and(|n| s.contains(n)),
            Enc::Table(d) => d.contains_key(m),
        }
    }

    /// [`contains`](Self::contains) for a member taken from another set (no
    /// formatting when both sides are integers).
    pub fn contains_member(&self, m: Member<'_>) -> bool {
        match (m, &self.enc) {
            (Member::Int(n), Enc::Ints(s)) => s.contains(n),
            (Member::Int(n), Enc::Table(d)) => {
                d.contains_key(itoa::Buffer::new().format(n).as_bytes())
            }
            (Member::Bytes(b), _) => self.contains(b),
        }
    }

    /// The members as text: ascending for an intset, table order for a hashtable.
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, [u8]>> + '_ {
        self.members().map(Member::to_bytes)
    }

    /// The members as stored (integers unformatted), in [`iter`](Self::iter)'s order.
    pub fn members(&self) -> Members<'_> {
        match &self.enc {
            Enc::Ints(s) => Members::Ints(s, 0),
            Enc::Table(d) => Members::Table(d.iter()),
        }
    }

    /// Adds `m`; false when it was already a member (Redis's `setTypeAdd`).
    /// `max_intset` is `set-max-intset-entries`.
    pub fn add(&mut self, m: &[u8], max_intset: usize) -> bool {
        match &mut self.enc {
            Enc::Table(d) => d.try_insert_new(m, || MemberBuf::new(m), (), ()).is_ok(),
            Enc::Ints(s) => match parse_i64(m) {
                Some(n) => {
                    if !s.insert(n) {
                        return false;
                    }
                    if s.len() > max_intset.min(INTSET_HARD_MAX) {
                        self.convert_to_table();
                    }
                    true
                }
                None => {
                    self.convert_to_table();
                    if let Enc::Table(d) = &mut self.enc {
                        d.insert_new(MemberBuf::new(m), (), ());
                    }
                    true
                }
            },
        }
    }

    /// Adds a member taken from another set.
    pub fn add_member(&mut self, m: Member<'_>, max_intset: usize) -> bool {
        match (m, &mut self.enc) {
            (Member::Int(n), Enc::Ints(s)) => {
                if !s.insert(n) {
                    return false;
                }
                if s.len() > max_intset.min(INTSET_HARD_MAX) {
                    self.convert_to_table();
                }
                true
            }
            (m, _) => self.add(&m.to_bytes(), max_intset),
        }
    }

    /// Removes `m`; false when it was not a member.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match &mut self.enc {
            Enc::Ints(s) => parse_i64(m).is_some_and(|n| s.remove(n)),
            Enc::Table(d) => d.remove(m).is_some(),
        }
    }

    /// Removes a member taken from another set.
    pub fn remove_member(&mut self, m: Member<'_>) -> bool {
        match (m, &mut self.enc) {
            (Member::Int(n), Enc::Ints(s)) => s.remove(n),
            (m, _) => self.remove(&m.to_bytes()),
        }
    }

    /// A uniformly chosen member (None when empty).
    pub fn random_member(&self, rng: &mut impl Rng) -> Option<Member<'_>> {
        match &self.enc {
            Enc::Ints(s) if s.is_empty() => None,
            Enc::Ints(s) => Some(Member::Int(s.get(rng.gen_range(0..s.len())))),
            Enc::Table(d) => d.fair_random_entry(rng).map(|(k, _)| Member::Bytes(&k[..])),
        }
    }

    /// `count` distinct members chosen at random, in random order
    /// (SRANDMEMBER with a positive count below the cardinality).
    pub fn random_distinct(&self, rng: &mut impl Rng, count: usize) -> Vec<Member<'_>> {
        let count = count.min(self.len());
        match &self.enc {
            Enc::Ints(s) => rand::seq::index::sample(rng, s.len(), count)
                .into_iter()
                .map(|i| Member::Int(s.get(i)))
                .collect(),
            // Many of the members: shuffle them all and keep a prefix.
            Enc::Table(d) if count * 3 > d.len() => {
                let mut all: Vec<Member<'_>> = d.keys().map(|k| Member::Bytes(&k[..])).collect();
                let (picked, _) = rand::seq::SliceRandom::partial_shuffle(&mut all[..], rng, count);
                picked.to_vec()
            }
            // Few: draw until enough distinct ones came up.
            Enc::Table(d) => {
                let mut seen = ahash::AHashSet::with_capacity(count);
                let mut out = Vec::with_capacity(count);
                while out.len() < count {
                    let Some((k, _)) = d.fair_random_entry(rng) else {
                        break;
                    };
                    if seen.insert(&k[..]) {
                        out.push(Member::Bytes(&k[..]));
                    }
                }
                out
            }
        }
    }

    /// Removes and returns a random member's text.
    pub fn pop_random(&mut self, rng: &mut impl Rng) -> Option<Vec<u8>> {
        match &mut self.enc {
            Enc::Ints(s) => {
                if s.is_empty() {
                    return None;
                }
                let n = s.remove_at(rng.gen_range(0..s.len()));
                Some(itoa::Buffer::new().format(n).as_bytes().to_vec())
            }
            Enc::Table(d) => {
                let key: Vec<u8> = d.fair_random_entry(rng)?.0.to_vec();
                d.remove(&key);
                Some(key)
            }
        }
    }

    /// One SSCAN step: a hashtable visits one bucket chain and returns the next
    /// cursor; an intset visits everything and returns 0.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(Member<'_>)) -> u64 {
        match &self.enc {
            Enc::Ints(s) => {
                (0..s.len()).for_each(|i| visit(Member::Int(s.get(i))));
                0
            }
            Enc::Table(d) => d.scan(cursor, |k, _| visit(Member::Bytes(k))),
        }
    }

    /// An empty `hashtable` set with room for `n` members (Redis's RDB loader
    /// creates a set this way when it has more members than an intset holds).
    pub fn table_with_capacity(n: usize) -> SetValue {
        let mut d: Dict<MemberBuf, ()> = Dict::new();
        d.reserve(n);
        SetValue {
            enc: Enc::Table(Box::new(d)),
        }
    }

    fn convert_to_table(&mut self) {
        if let Enc::Ints(s) = &self.enc {
            let mut d: Dict<MemberBuf, ()> = Dict::new();
            let mut buf = itoa::Buffer::new();
            for i in 0..s.len() {
                d.insert_new(MemberBuf::new(buf.format(s.get(i)).as_bytes()), (), ());
            }
            self.enc = Enc::Table(Box::new(d));
        }
    }
}

/// Iterator over a set's members, see [`SetValue::members`].
pub enum Members<'a> {
    Ints(&'a IntSet, usize),
    Table(crate::dict::Iter<'a, MemberBuf, ()>),
}

impl<'a> Iterator for Members<'a> {
    type Item = Member<'a>;

    fn next(&mut self) -> Option<Member<'a>> {
        match self {
            Members::Ints(s, i) => {
                if *i >= s.len() {
                    return None;
                }
                *i += 1;
                Some(Member::Int(s.get(*i - 1)))
            }
            Members::Table(it) => it.next().map(|(k, _)| Member::Bytes(&k[..])),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Members::Ints(s, i) => (s.len() - *i, Some(s.len() - *i)),
            Members::Table(it) => it.size_hint(),
        }
    }
}

/// A sorted array of distinct integers stored at the narrowest width that holds
/// them all (Redis's intset: 2, 4 or 8 bytes per member; it only ever widens).
/// Boxed slices sized exactly, as Redis reallocates its intset on every change:
/// small sets are the common case and their memory counts.
#[derive(Clone, Debug)]
pub enum IntSet {
    I16(Box<[i16]>),
    I32(Box<[i32]>),
    I64(Box<[i64]>),
}

impl Default for IntSet {
    fn default() -> Self {
        IntSet::I16(Box::default())
    }
}

macro_rules! each_width {
    ($s:expr, $v:ident => $e:expr) => {
        match $s {
            IntSet::I16($v) => $e,
            IntSet::I32($v) => $e,
            IntSet::I64($v) => $e,
        }
    };
}

fn insert_exact<T>(b: &mut Box<[T]>, at: usize, x: T) {
    let mut v = std::mem::take(b).into_vec();
    v.reserve_exact(1);
    v.insert(at, x);
    *b = v.into_boxed_slice();
}

fn remove_exact<T>(b: &mut Box<[T]>, at: usize) -> T {
    let mut v = std::mem::take(b).into_vec();
    let x = v.remove(at);
    *b = v.into_boxed_slice();
    x
}

// The width-generic macro casts each width to i64, a no-op for the I64 arm.
#[allow(clippy::unnecessary_cast)]
impl IntSet {
    pub fn len(&self) -> usize {
        each_width!(self, v => v.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of the members' array.
    pub fn heap_bytes(&self) -> usize {
        each_width!(self, v => std::mem::size_of_val(&v[..]))
    }

    pub fn get(&self, i: usize) -> i64 {
        each_width!(self, v => v[i] as i64)
    }

    /// Index of `n`, or where it would be inserted.
    fn search(&self, n: i64) -> Result<usize, usize> {
        match self {
            IntSet::I16(v) => match i16::try_from(n) {
                Ok(x) => v.binary_search(&x),
                Err(_) => Err(if n < 0 { 0 } else { v.len() }),
            },
            IntSet::I32(v) => match i32::try_from(n) {
                Ok(x) => v.binary_search(&x),
                Err(_) => Err(if n < 0 { 0 } else { v.len() }),
            },
            IntSet::I64(v) => v.binary_search(&n),
        }
    }

    pub fn contains(&self, n: i64) -> bool {
        self.search(n).is_ok()
    }

    /// Inserts `n`; false when already present.
    pub fn insert(&mut self, n: i64) -> bool {
        let Err(at) = self.search(n) else {
            return false;
        };
        self.widen_for(n);
        match self {
            IntSet::I16(v) => insert_exact(v, at, n as i16),
            IntSet::I32(v) => insert_exact(v, at, n as i32),
            IntSet::I64(v) => insert_exact(v, at, n),
        }
        true
    }

    pub fn remove(&mut self, n: i64) -> bool {
        match self.search(n) {
            Ok(at) => {
                self.remove_at(at);
                true
            }
            Err(_) => false,
        }
    }

    fn remove_at(&mut self, at: usize) -> i64 {
        each_width!(self, v => remove_exact(v, at) as i64)
    }

    fn widen_for(&mut self, n: i64) {
        let need = if i16::try_from(n).is_ok() {
            0
        } else if i32::try_from(n).is_ok() {
            1
        } else {
            2
        };
        let have = match self {
            IntSet::I16(_) => 0,
            IntSet::I32(_) => 1,
            IntSet::I64(_) => 2,
        };
        if need <= have {
            return;
        }
        let old = std::mem::take(self);
        *self = match need {
            1 => IntSet::I32(each_width!(old, v => v.iter().map(|&x| x as i32).collect())),
            _ => IntSet::I64(each_width!(old, v => v.iter().map(|&x| x as i64).collect())),
        };
    }
}

/// A hashtable set's member: up to 15 bytes inline, longer ones in a heap
/// slice. 16 bytes either way, so a table entry (member + chain link) is one
/// 32-byte allocation for short members instead of two. The keyspace's keys
/// use the same buffer.
pub type MemberBuf = crate::compact::KeyBuf;

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(s: &SetValue) -> Vec<String> {
        s.iter()
            .map(|m| String::from_utf8(m.into_owned()).unwrap())
            .collect()
    }

    #[test]
    fn intset_stays_sorted_and_widens() {
        let mut s = SetValue::for_member(b"5");
        assert_eq!(s.encoding(), "intset");
        for m in ["5", "-3", "70000", "5", "-9223372036854775808", "0"] {
            s.add(m.as_bytes(), 512);
        }
        assert_eq!(ints(&s), ["-9223372036854775808", "-3", "0", "5", "70000"]);
        assert!(s.contains(b"70000"));
        assert!(!s.contains(b"070000"));
        assert!(!s.contains(b"x"));
        assert!(s.remove(b"-3"));
        assert!(!s.remove(b"-3"));
        assert_eq!(s.len(), 4);
        assert_eq!(s.encoding(), "intset");
    }

    #[test]
    fn converts_one_way() {
        let mut s = SetValue::default();
        for i in 0..3 {
            assert!(s.add(i.to_string().as_bytes(), 3));
        }
        assert_eq!(s.encoding(), "intset");
        assert!(s.add(b"3", 3));
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.remove(b"3"));
        assert_eq!(s.encoding(), "hashtable");
        let mut t = SetValue::for_member(b"1");
        t.add(b"1", 512);
        t.add(b"a", 512);
        assert_eq!(t.encoding(), "hashtable");
        assert!(t.contains(b"1") && t.contains(b"a"));
        assert_eq!(SetValue::for_member(b"01").encoding(), "hashtable");
    }

    #[test]
    fn equality_ignores_encoding() {
        let mut a = SetValue::default();
        let mut b = SetValue::for_member(b"x");
        for m in [b"1", b"2"] {
            a.add(m, 512);
            b.add(m, 512);
        }
        assert_eq!(a.encoding(), "intset");
        assert_eq!(b.encoding(), "hashtable");
        assert_eq!(a, b);
        b.add(b"3", 512);
        assert_ne!(a, b);
    }

    #[test]
    fn values_stay_small() {
        // An intset's SetValue is one small allocation plus its exact-size array.
        assert!(std::mem::size_of::<SetValue>() <= 24);
        let mut s = SetValue::default();
        for i in 0..10 {
            s.add(i.to_string().as_bytes(), 512);
        }
        let Enc::Ints(IntSet::I16(v)) = &s.enc else {
            panic!("16-bit intset")
        };
        assert_eq!(v.len(), 10);
        s.add(b"-100000", 512);
        assert!(matches!(&s.enc, Enc::Ints(IntSet::I32(v)) if v.len() == 11));
        assert_eq!(s.iter().next().as_deref(), Some(&b"-100000"[..]));
    }

    #[test]
    fn member_buf_inline_and_heap() {
        assert_eq!(std::mem::size_of::<MemberBuf>(), 16);
        for len in [0usize, 1, 14, 15, 16, 17, 100, 5000] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + 0x81) as u8).collect();
            let m = MemberBuf::new(&bytes);
            assert_eq!(m.as_bytes(), &bytes[..], "len {len}");
            assert_eq!(m.is_inline(), len <= MemberBuf::INLINE);
            let c = m.clone();
            drop(m);
            assert_eq!(&c[..], &bytes[..]);
        }
        let mut s = SetValue::for_member(b"x");
        let long = vec![b'z'; 40];
        for m in [
            &b"x"[..],
            b"",
            &long,
            b"123456789012345",
            b"1234567890123456",
        ] {
            assert!(s.add(m, 512));
            assert!(s.contains(m));
        }
        assert!(!s.add(&long, 512));
        assert!(s.remove(&long));
        assert!(!s.contains(&long));
        assert_eq!(s.len(), 4);
    }

    #[test]
    fn pop_and_random() {
        let mut rng = rand::thread_rng();
        let mut s = SetValue::default();
        for i in 0..10 {
            s.add(i.to_string().as_bytes(), 512);
        }
        let r = s.random_member(&mut rng).unwrap().to_vec();
        assert!(s.contains(&r));
        let mut seen = Vec::new();
        while let Some(m) = s.pop_random(&mut rng) {
            seen.push(String::from_utf8(m).unwrap().parse::<i64>().unwrap());
        }
        seen.sort();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        assert!(s.is_empty());
    }
}
