//! The reply value handlers produce. It is protocol-neutral: RESP3-only shapes
//! (maps, sets, doubles, booleans, verbatim strings, pushes) degrade to their RESP2
//! equivalents in the encoder, exactly as Redis's `addReply*` family does.

use bytes::Bytes;
use std::borrow::Cow;

/// Protocol version negotiated per connection with `HELLO`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Proto {
    #[default]
    Resp2,
    Resp3,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// `+OK`: a status line, never containing CR or LF.
    Status(Cow<'static, str>),
    /// `-ERR ...`: the full error text including its code word, without the `-`.
    Error(Cow<'static, str>),
    Integer(i64),
    Bulk(Bytes),
    /// A missing value: `$-1` in RESP2, `_` in RESP3.
    Nil,
    /// A missing aggregate: `*-1` in RESP2, `_` in RESP3.
    NilArray,
    Array(Vec<Reply>),
    /// Key/value pairs: a flat array in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// Unordered collection: a plain array in RESP2.
    Set(Vec<Reply>),
    /// A double: a bulk string formatted with `%.17g` in RESP2.
    Double(f64),
    /// `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    Bool(bool),
    /// Verbatim text with a three-letter format (`txt`): a bulk string in RESP2.
    Verbatim(&'static str, Bytes),
    /// Out-of-band message (pub/sub, invalidation): a plain array in RESP2.
    Push(Vec<Reply>),
}

impl Reply {
    pub const OK: Reply = Reply::Status(Cow::Borrowed("OK"));

    pub fn status(s: &'static str) -> Reply {
        Reply::Status(Cow::Borrowed(s))
    }

    pub fn bulk(b: impl AsRef<[u8]>) -> Reply {
        Reply::Bulk(Bytes::copy_from_slice(b.as_ref()))
    }

    pub fn bulk_static(b: &'static [u8]) -> Reply {
        Reply::Bulk(Bytes::from_static(b))
    }

    /// A bulk string holding the decimal form of `n` (as Redis replies for INCRBYFLOAT etc.).
    pub fn bulk_i64(n: i64) -> Reply {
        let mut buf = itoa::Buffer::new();
        Reply::bulk(buf.format(n).as_bytes())
    }

    pub fn error(s: impl Into<Cow<'static, str>>) -> Reply {
        Reply::Error(s.into())
    }

    /// Array of bulk strings, or nils where the element is absent.
    pub fn bulk_array<I, B>(items: I) -> Reply
    where
        I: IntoIterator<Item = Option<B>>,
        B: AsRef<[u8]>,
    {
        Reply::Array(
            items
                .into_iter()
                .map(|i| match i {
                    Some(b) => Reply::bulk(b),
                    None => Reply::Nil,
                })
                .collect(),
        )
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }
}
