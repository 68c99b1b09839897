//! Values stored in the keyspace and the encodings `OBJECT ENCODING` reports.

use crate::types::{HashValue, ListValue, SetValue, ZSetValue};
use std::borrow::Cow;

/// Strings longer than this are `raw` rather than `embstr` (Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT).
pub const EMBSTR_LIMIT: usize = 44;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(StrValue),
    // Collections are boxed so a string key's Value stays two words plus a tag.
    List(Box<ListValue>),
    Hash(Box<HashValue>),
    Set(Box<SetValue>),
    ZSet(Box<ZSetValue>),
}

impl Value {
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

/// A string value. The variant mirrors how Redis would encode the same value, so
/// `OBJECT ENCODING` answers identically: integers that fit in a long are `int`;
/// strings that were modified in place (APPEND, SETRANGE, SETBIT) stay `raw`.
#[derive(Clone, Debug, PartialEq)]
pub enum StrValue {
    Int(i64),
    /// Created whole (SET, MSET, GETSET...): `embstr` up to 44 bytes, else `raw`.
    Bytes(Vec<u8>),
    /// Modified in place: always `raw`.
    Raw(Vec<u8>),
}

impl StrValue {
    /// Redis's `tryObjectEncoding`: integer form when the text is a canonical long.
    pub fn from_bytes(b: &[u8]) -> StrValue {
        if b.len() <= 20 {
            if let Some(n) = ember_resp::num::parse_i64(b) {
                return StrValue::Int(n);
            }
        }
        StrValue::Bytes(b.to_vec())
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            StrValue::Int(_) => "int",
            StrValue::Bytes(b) if b.len() <= EMBSTR_LIMIT => "embstr",
            StrValue::Bytes(_) | StrValue::Raw(_) => "raw",
        }
    }

    pub fn as_bytes(&self) -> Cow<'_, [u8]> {
        match self {
            StrValue::Int(n) => Cow::Owned(itoa::Buffer::new().format(*n).as_bytes().to_vec()),
            StrValue::Bytes(b) | StrValue::Raw(b) => Cow::Borrowed(b),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            StrValue::Int(n) => itoa::Buffer::new().format(*n).len(),
            StrValue::Bytes(b) | StrValue::Raw(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The integer value, if the string parses as one under `string2ll`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            StrValue::Int(n) => Some(*n),
            StrValue::Bytes(b) | StrValue::Raw(b) => ember_resp::num::parse_i64(b),
        }
    }

    /// Switches to the in-place-modified (`raw`) form and returns its buffer.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        let bytes = match std::mem::replace(self, StrValue::Raw(Vec::new())) {
            StrValue::Int(n) => itoa::Buffer::new().format(n).as_bytes().to_vec(),
            StrValue::Bytes(b) | StrValue::Raw(b) => b,
        };
        *self = StrValue::Raw(bytes);
        match self {
            StrValue::Raw(b) => b,
            _ => unreachable!("just set to Raw"),
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
}
