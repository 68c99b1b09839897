//! Values stored in the keyspace and the encodings `OBJECT ENCODING` reports.

use crate::types::{HashValue, ListValue, SetValue, ZSetValue};
use std::borrow::Cow;

/// Strings longer than this are `raw` rather than `embstr` (Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT).
pub const EMBSTR_LIMIT: usize = 44;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(StrValue),
    // Collections take one word so a Value stays 16 bytes: lists and sets are
    // boxed; hashes and sorted sets are a one-word pack-or-box (pack.rs), so a
    // small one is a single heap block.
    List(Box<ListValue>),
    Hash(HashValue),
    Set(Box<SetValue>),
    ZSet(ZSetValue),
}

impl Value {
    /// Bytes this value holds outside its keyspace entry, large collections
    /// estimated from `samples` elements (MEMORY USAGE; Redis's
    /// objectComputeSize). Allocator rounding is not counted.
    pub fn heap_bytes(&self, samples: usize) -> usize {
        match self {
            Value::Str(s) => s.heap_bytes(),
            Value::List(l) => l.allocated_bytes(),
            Value::Hash(h) => h.heap_bytes(samples),
            Value::Set(s) => std::mem::size_of::<SetValue>() + s.heap_bytes(samples),
            Value::ZSet(z) => z.heap_bytes(samples),
        }
    }

    /// The name `TYPE` reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    /// Where the value's out-of-line data starts (a heap string's bytes, a
    /// collection's box), for prefetching; None when it all lives inline.
    pub fn heap_ptr(&self) -> Option<*const u8> {
        match self {
            Value::Str(s) => s.heap_ptr(),
            Value::List(b) => Some(&**b as *const ListValue as *const u8),
            Value::Hash(h) => Some(h.heap_ptr()),
            Value::Set(b) => Some(&**b as *const SetValue as *const u8),
            Value::ZSet(z) => Some(z.heap_ptr()),
        }
    }

    /// The index of a large collection's members (hash fields, set and
    /// sorted-set members), for prefetching a member lookup and for DEBUG
    /// HTSTATS-KEY; None for strings, lists and the compact encodings.
    pub fn member_index(&self) -> Option<&dyn crate::dict::MemberIndex> {
        match self {
            Value::Hash(h) => h.member_index(),
            Value::Set(s) => s.member_index(),
            Value::ZSet(z) => z.member_index(),
            Value::Str(_) | Value::List(_) => None,
        }
    }

    /// The name `OBJECT ENCODING` reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::List(v) => v.encoding(),
            Value::Hash(v) => v.encoding(),
            Value::Set(v) => v.encoding(),
            Value::ZSet(v) => v.encoding(),
        }
    }

    pub fn from_bytes(b: &[u8]) -> Value {
        Value::Str(StrValue::from_bytes(b))
    }
}

/// A string value in 16 bytes. Its form mirrors how Redis would encode the same
/// value, so `OBJECT ENCODING` answers identically: integers that fit in a long
/// are `int`; strings created whole are `embstr` up to 44 bytes, else `raw`;
/// strings modified in place (APPEND, SETRANGE, SETBIT) stay `raw`.
///
/// Layout (Redis's embstr idea, one step further): a string created whole of up
/// to 15 bytes lives inside the struct, so a small string key's keyspace entry
/// is a single allocation; longer ones are an exactly sized heap block (pointer
/// plus a 56-bit length); in-place-modified ones a boxed `Vec` (room to grow).
/// The tag byte's unused values give `Value` a niche, keeping it 16 bytes.
#[repr(C)]
pub struct StrValue {
    /// The integer, the heap pointer, or inline bytes 0..8 (native order).
    word: u64,
    /// Inline bytes 8..15, or the heap length (little-endian, 7 bytes).
    rest: [u8; 7],
    tag: Tag,
}

#[repr(u8)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tag {
    L0,
    L1,
    L2,
    L3,
    L4,
    L5,
    L6,
    L7,
    L8,
    L9,
    L10,
    L11,
    L12,
    L13,
    L14,
    L15,
    /// `word` is the i64.
    Int,
    /// `word` points to a `Box<[u8]>` of length `rest`.
    Heap,
    /// `word` points to a `Box<Vec<u8>>`.
    Raw,
}

/// Inline strings' tags by length.
const INLINE_TAGS: [Tag; INLINE_MAX + 1] = [
    Tag::L0,
    Tag::L1,
    Tag::L2,
    Tag::L3,
    Tag::L4,
    Tag::L5,
    Tag::L6,
    Tag::L7,
    Tag::L8,
    Tag::L9,
    Tag::L10,
    Tag::L11,
    Tag::L12,
    Tag::L13,
    Tag::L14,
    Tag::L15,
];

/// The longest string kept inside the struct.
const INLINE_MAX: usize = 15;

// SAFETY: a StrValue owns its heap block (Box<[u8]> or Box<Vec<u8>>) exclusively.
unsafe impl Send for StrValue {}
unsafe impl Sync for StrValue {}

impl StrValue {
    /// Redis's `tryObjectEncoding`: integer form when the text is a canonical long.
    pub fn from_bytes(b: &[u8]) -> StrValue {
        if b.len() <= 20 {
            if let Some(n) = ember_resp::num::parse_i64(b) {
                return StrValue::from_int(n);
            }
        }
        StrValue::from_slice(b)
    }

    /// The `int` encoding.
    pub fn from_int(n: i64) -> StrValue {
        StrValue {
            word: n as u64,
            rest: [0; 7],
            tag: Tag::Int,
        }
    }

    /// A string created whole (`embstr`/`raw` by length), never integer-encoded.
    pub fn from_slice(b: &[u8]) -> StrValue {
        if b.len() <= INLINE_MAX {
            return Self::inline(b);
        }
        Self::heap(b.into())
    }

    /// `from_slice`, reusing the vector's buffer when it is exactly sized.
    pub fn from_vec(v: Vec<u8>) -> StrValue {
        if v.len() <= INLINE_MAX {
            return Self::inline(&v);
        }
        Self::heap(v.into_boxed_slice())
    }

    /// A string modified in place: always `raw`.
    pub fn raw(v: Vec<u8>) -> StrValue {
        StrValue {
            word: Box::into_raw(Box::new(v)) as usize as u64,
            rest: [0; 7],
            tag: Tag::Raw,
        }
    }

    fn inline(b: &[u8]) -> StrValue {
        let mut buf = [0u8; 16];
        buf[..b.len()].copy_from_slice(b);
        StrValue {
            word: u64::from_ne_bytes(buf[..8].try_into().expect("8 bytes")),
            rest: buf[8..15].try_into().expect("7 bytes"),
            tag: INLINE_TAGS[b.len()],
        }
    }

    fn heap(b: Box<[u8]>) -> StrValue {
        let len = (b.len() as u64).to_le_bytes();
        assert_eq!(len[7], 0, "string too long");
        StrValue {
            word: Box::into_raw(b) as *mut u8 as usize as u64,
            rest: len[..7].try_into().expect("7 bytes"),
            tag: Tag::Heap,
        }
    }

    fn heap_len(&self) -> usize {
        let mut len = [0u8; 8];
        len[..7].copy_from_slice(&self.rest);
        u64::from_le_bytes(len) as usize
    }

    /// The bytes of a non-integer string (None for the `int` encoding).
    pub fn bytes(&self) -> Option<&[u8]> {
        match self.tag {
            Tag::Int => None,
            // SAFETY: word/rest describe the Box<[u8]> this value owns.
            Tag::Heap => Some(unsafe {
                std::slice::from_raw_parts(self.word as usize as *const u8, self.heap_len())
            }),
            // SAFETY: word points to the Box<Vec<u8>> this value owns.
            Tag::Raw => Some(unsafe { &*(self.word as usize as *const Vec<u8>) }),
            // SAFETY: bytes 0..15 of the repr(C) struct are word then rest, all
            // initialized; inline tags are the lengths.
            t => Some(unsafe {
                std::slice::from_raw_parts(self as *const StrValue as *const u8, t as usize)
            }),
        }
    }

    /// The heap block's address (bytes, or the growable form's `Vec`).
    fn heap_ptr(&self) -> Option<*const u8> {
        matches!(self.tag, Tag::Heap | Tag::Raw).then_some(self.word as usize as *const u8)
    }

    /// The integer of the `int` encoding (None for strings, even numeric ones).
    pub fn int(&self) -> Option<i64> {
        (self.tag == Tag::Int).then_some(self.word as i64)
    }

    /// True for the in-place-modified form.
    pub fn is_raw(&self) -> bool {
        self.tag == Tag::Raw
    }

    pub fn encoding(&self) -> &'static str {
        match self.tag {
            Tag::Int => "int",
            Tag::Raw => "raw",
            Tag::Heap if self.heap_len() > EMBSTR_LIMIT => "raw",
            _ => "embstr",
        }
    }

    pub fn as_bytes(&self) -> Cow<'_, [u8]> {
        match self.bytes() {
            Some(b) => Cow::Borrowed(b),
            None => Cow::Owned(
                itoa::Buffer::new()
                    .format(self.word as i64)
                    .as_bytes()
                    .to_vec(),
            ),
        }
    }

    pub fn len(&self) -> usize {
        match self.bytes() {
            Some(b) => b.len(),
            None => itoa::Buffer::new().format(self.word as i64).len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The integer value, if the string parses as one under `string2ll`.
    pub fn as_i64(&self) -> Option<i64> {
        match self.bytes() {
            Some(b) => ember_resp::num::parse_i64(b),
            None => Some(self.word as i64),
        }
    }

    /// Switches to the in-place-modified (`raw`) form and returns its buffer.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if self.tag != Tag::Raw {
            let bytes = self.as_bytes().into_owned();
            *self = StrValue::raw(bytes);
        }
        // SAFETY: the Raw form's word points to the Box<Vec<u8>> this value owns.
        unsafe { &mut *(self.word as usize as *mut Vec<u8>) }
    }

    /// Bytes allocated outside the struct, as requested (0 for inline and int).
    pub fn heap_bytes(&self) -> usize {
        match self.tag {
            Tag::Heap => self.heap_len(),
            // SAFETY: as in `make_raw`.
            Tag::Raw => {
                std::mem::size_of::<Vec<u8>>()
                    + unsafe { &*(self.word as usize as *const Vec<u8>) }.capacity()
            }
            _ => 0,
        }
    }
}

impl Drop for StrValue {
    fn drop(&mut self) {
        match self.tag {
            // SAFETY: rebuilds the Box<[u8]> leaked in `heap`, exactly once.
            Tag::Heap => drop(unsafe {
                Box::from_raw(std::ptr::slice_from_raw_parts_mut(
                    self.word as usize as *mut u8,
                    self.heap_len(),
                ))
            }),
            // SAFETY: rebuilds the Box<Vec<u8>> leaked in `raw`, exactly once.
            Tag::Raw => drop(unsafe { Box::from_raw(self.word as usize as *mut Vec<u8>) }),
            _ => {}
        }
    }
}

impl Clone for StrValue {
    fn clone(&self) -> Self {
        match self.tag {
            Tag::Heap => Self::heap(self.bytes().expect("heap string").into()),
            Tag::Raw => Self::raw(self.bytes().expect("raw string").to_vec()),
            _ => StrValue {
                word: self.word,
                rest: self.rest,
                tag: self.tag,
            },
        }
    }
}

impl PartialEq for StrValue {
    /// Same form (int, created whole, modified in place) and same content.
    fn eq(&self, other: &Self) -> bool {
        let class = |s: &StrValue| match s.tag {
            Tag::Int => 0,
            Tag::Raw => 2,
            _ => 1,
        };
        class(self) == class(other) && self.as_bytes() == other.as_bytes()
    }
}

impl std::fmt::Debug for StrValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.int(), self.bytes()) {
            (Some(n), _) => write!(f, "Int({n})"),
            (None, Some(b)) if self.is_raw() => write!(f, "Raw({:?})", String::from_utf8_lossy(b)),
            (None, Some(b)) => write!(f, "Bytes({:?})", String::from_utf8_lossy(b)),
            (None, None) => unreachable!("a string is an int or bytes"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_follow_redis_rules() {
        assert_eq!(StrValue::from_bytes(b"123").encoding(), "int");
        assert_eq!(
            StrValue::from_bytes(b"-9223372036854775808").encoding(),
            "int"
        );
        assert_eq!(StrValue::from_bytes(b"0123").encoding(), "embstr");
        assert_eq!(StrValue::from_bytes(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(StrValue::from_bytes(&[b'a'; 45]).encoding(), "raw");
        let mut v = StrValue::from_bytes(b"12");
        v.make_raw().push(b'3');
        assert_eq!(v.encoding(), "raw");
        assert_eq!(v.as_bytes().as_ref(), b"123");
        assert_eq!(v.as_i64(), Some(123));
    }

    #[test]
    fn layout_is_compact() {
        assert_eq!(std::mem::size_of::<StrValue>(), 16);
        assert_eq!(std::mem::size_of::<Value>(), 16);
        assert_eq!(std::mem::size_of::<Option<Value>>(), 16);
    }

    #[test]
    fn every_form_round_trips() {
        for n in [0usize, 1, 7, 8, 14, 15, 16, 44, 45, 1000] {
            let text: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            let v = StrValue::from_bytes(&text);
            assert_eq!(v.as_bytes().as_ref(), &text[..]);
            assert_eq!(v.len(), n);
            assert_eq!(v.bytes(), Some(&text[..]));
            assert_eq!(v.int(), None);
            assert_eq!(
                v.encoding(),
                if n <= EMBSTR_LIMIT { "embstr" } else { "raw" }
            );
            assert_eq!(v.heap_bytes(), if n <= 15 { 0 } else { n });
            let c = v.clone();
            assert_eq!(c, v);
            assert_eq!(StrValue::from_vec(text.clone()), v);
            let mut r = v.clone();
            r.make_raw().extend_from_slice(b"xy");
            assert_eq!(r.encoding(), "raw");
            assert_ne!(r, v);
            assert_eq!(r.len(), n + 2);
            assert_eq!(r.clone(), r);
            assert_eq!(StrValue::raw(text.clone()), StrValue::raw(text));
        }
        for n in [0, -1, 42, i64::MIN, i64::MAX] {
            let v = StrValue::from_int(n);
            assert_eq!(v.int(), Some(n));
            assert_eq!(v.as_i64(), Some(n));
            assert_eq!(v.as_bytes().as_ref(), n.to_string().as_bytes());
            assert_eq!(v, StrValue::from_bytes(n.to_string().as_bytes()));
            assert_ne!(v, StrValue::from_slice(n.to_string().as_bytes()));
        }
        let v = Value::from_bytes(b"hello");
        assert_eq!(v.encoding(), "embstr");
        assert!(matches!(&v, Value::Str(s) if s.bytes() == Some(&b"hello"[..])));
    }
}
