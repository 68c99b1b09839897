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
    /// An error whose text quotes client bytes that are not UTF-8 (unknown
    /// command names); encoded exactly like `Error`.
    ErrorBytes(Bytes),
    /// An error line a command writes as raw protocol (Redis's addReplySds,
    /// as DEBUG ERROR does): encoded exactly like `Error`, but not an error
    /// reply to the statistics (no errorstats entry, no failed call).
    /// [`Reply::normalize`] turns it into `ErrorBytes`.
    RawError(Bytes),
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
    /// A double already written out (Redis's addReplyHumanLongDouble, as
    /// GEOPOS writes coordinates): `,text` in RESP3, a bulk string in RESP2.
    DoubleText(Bytes),
    /// `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    Bool(bool),
    /// An integer of any size, in decimal: `(digits` in RESP3, a bulk string
    /// in RESP2.
    BigNumber(Bytes),
    /// A reply preceded by RESP3 frames already in wire form (an attribute,
    /// a push), written in the same place, so inside an EXEC array too. RESP2
    /// and [`Reply::normalize`] drop them.
    Preceded(Bytes, Box<Reply>),
    /// Verbatim text with a three-letter format (`txt`): a bulk string in RESP2.
    Verbatim(&'static str, Bytes),
    /// Out-of-band message (pub/sub, invalidation): a plain array in RESP2.
    Push(Vec<Reply>),
    /// Many bulk strings already in wire form in one buffer: the fast path for
    /// long replies (LRANGE), without a `Reply` and a refcount per element.
    /// Encodes exactly as the `Array`, `Set` or `Map` of `Bulk`s it stands for;
    /// [`Reply::normalize`] turns it into that form (what embedders see).
    BulkArray(BulkArray),
}

/// Which aggregate a [`BulkArray`] encodes as (only the header differs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BulkKind {
    #[default]
    Array,
    /// `~N` in RESP3, `*N` in RESP2.
    Set,
    /// Alternating keys and values: `%N/2` in RESP3, `*N` in RESP2.
    Map,
}

/// Bulk strings encoded back to back (`$<len>\r\n<bytes>\r\n` each, the same
/// in RESP2 and RESP3), plus their count. Nil elements cannot be held.
///
/// Built with [`BulkArray::array_of`], the buffer starts with the `*<n>\r\n`
/// header already written (the count is known up front, as in LRANGE), so a
/// reply that completes it is the whole wire form in one buffer and
/// [`crate::encode_owned`] can hand it over as the output without copying.
#[derive(Clone, Debug, Default)]
pub struct BulkArray {
    kind: BulkKind,
    count: usize,
    /// Length of the header at the start of `wire` (0: none).
    header: usize,
    /// The element count the header announces.
    announced: usize,
    wire: Vec<u8>,
}

impl PartialEq for BulkArray {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.count == other.count && self.wire() == other.wire()
    }
}

impl Eq for BulkArray {}

impl BulkArray {
    pub fn new(kind: BulkKind) -> Self {
        BulkArray {
            kind,
            ..Default::default()
        }
    }

    /// Room for `elems` elements holding `bytes` bytes of data in all.
    pub fn with_capacity(kind: BulkKind, elems: usize, bytes: usize) -> Self {
        BulkArray {
            kind,
            // `$<len>\r\n` and `\r\n` around each element: 16 covers lengths to 10^12.
            wire: Vec::with_capacity(bytes.saturating_add(elems.saturating_mul(16))),
            ..Default::default()
        }
    }

    /// An array (`*<elems>` in both protocols) that will hold exactly `elems`
    /// elements of `bytes` bytes in all (a capacity hint), its header written
    /// first. If fewer or more are pushed, encoding still writes the right header.
    pub fn array_of(elems: usize, bytes: usize) -> Self {
        let mut wire = Vec::with_capacity(
            bytes
                .saturating_add(elems.saturating_mul(16))
                .saturating_add(24),
        );
        wire.push(b'*');
        crate::encode::push_len(&mut wire, elems);
        BulkArray {
            kind: BulkKind::Array,
            count: 0,
            header: wire.len(),
            announced: elems,
            wire,
        }
    }

    /// Appends one element.
    #[inline]
    pub fn push(&mut self, item: &[u8]) {
        let w = &mut self.wire;
        w.reserve(item.len() + 24);
        w.push(b'$');
        crate::encode::push_len(w, item.len());
        w.extend_from_slice(item);
        w.extend_from_slice(b"\r\n");
        self.count += 1;
    }

    /// The complete wire form (header included) when the header written up
    /// front is right: an array of as many elements as it announced.
    pub(crate) fn complete_wire(&self) -> Option<&[u8]> {
        (self.header > 0 && self.count == self.announced && self.kind == BulkKind::Array)
            .then_some(&self.wire[..])
    }

    /// [`BulkArray::complete_wire`]'s buffer, taken by value.
    pub(crate) fn into_complete_wire(self) -> Result<Vec<u8>, BulkArray> {
        if self.complete_wire().is_some() {
            Ok(self.wire)
        } else {
            Err(self)
        }
    }

    pub fn kind(&self) -> BulkKind {
        self.kind
    }

    /// Number of elements (for a map: keys plus values).
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The encoded elements, without the aggregate header.
    pub fn wire(&self) -> &[u8] {
        &self.wire[self.header..]
    }

    /// The elements, in order.
    pub fn iter(&self) -> BulkIter<'_> {
        BulkIter { rest: self.wire() }
    }

    /// The same reply as plain `Bulk`s in an `Array`, `Set` or `Map`.
    pub fn to_reply(&self) -> Reply {
        let bulks = self.iter().map(|b| Reply::Bulk(Bytes::copy_from_slice(b)));
        match self.kind {
            BulkKind::Array => Reply::Array(bulks.collect()),
            BulkKind::Set => Reply::Set(bulks.collect()),
            BulkKind::Map => {
                let mut it = bulks;
                let mut pairs = Vec::with_capacity(self.count / 2);
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                Reply::Map(pairs)
            }
        }
    }
}

/// Iterator over the elements of a [`BulkArray`].
pub struct BulkIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for BulkIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        // Only `push` writes the buffer: `$<digits>\r\n<len bytes>\r\n`.
        let rest = self.rest.get(1..)?;
        let mut len = 0usize;
        let mut i = 0;
        while rest[i] != b'\r' {
            len = len * 10 + (rest[i] - b'0') as usize;
            i += 1;
        }
        let start = i + 2;
        let item = &rest[start..start + len];
        self.rest = &rest[start + len + 2..];
        Some(item)
    }
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
        matches!(self, Reply::Error(_) | Reply::ErrorBytes(_))
    }

    /// The reply as embedders see it, at any depth: every [`Reply::BulkArray`]
    /// replaced by the plain aggregate of `Bulk`s it encodes as, a
    /// [`Reply::RawError`] by `ErrorBytes`, a [`Reply::Preceded`] by its reply.
    pub fn normalize(self) -> Reply {
        match self {
            Reply::BulkArray(b) => b.to_reply(),
            Reply::RawError(b) => Reply::ErrorBytes(b),
            Reply::Preceded(_, reply) => reply.normalize(),
            Reply::Array(items) => Reply::Array(normalize_all(items)),
            Reply::Set(items) => Reply::Set(normalize_all(items)),
            Reply::Push(items) => Reply::Push(normalize_all(items)),
            Reply::Map(pairs)
                if pairs
                    .iter()
                    .any(|(k, v)| k.has_bulk_array() || v.has_bulk_array()) =>
            {
                Reply::Map(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k.normalize(), v.normalize()))
                        .collect(),
                )
            }
            other => other,
        }
    }

    fn has_bulk_array(&self) -> bool {
        match self {
            // (And the other forms normalize rewrites.)
            Reply::BulkArray(_) | Reply::RawError(_) | Reply::Preceded(..) => true,
            Reply::Array(items) | Reply::Set(items) | Reply::Push(items) => {
                items.iter().any(Reply::has_bulk_array)
            }
            Reply::Map(pairs) => pairs
                .iter()
                .any(|(k, v)| k.has_bulk_array() || v.has_bulk_array()),
            _ => false,
        }
    }
}

fn normalize_all(items: Vec<Reply>) -> Vec<Reply> {
    if items.iter().any(Reply::has_bulk_array) {
        items.into_iter().map(Reply::normalize).collect()
    } else {
        items
    }
}
