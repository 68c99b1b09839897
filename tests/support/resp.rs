//! A small RESP2/RESP3 reply parser and a raw client for the differential tests.
//! It is deliberately independent of `ember-resp`: the tests must not share the
//! code they check.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// One parsed reply. Numbers-as-text (doubles, big numbers) keep their exact
/// text so that equality is byte equality. `Debug` shows strings escaped.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resp {
    /// `+text`
    Simple(Vec<u8>),
    /// `-text`
    Error(Vec<u8>),
    /// `:n`
    Int(i64),
    /// `$len` payload
    Bulk(Vec<u8>),
    /// `$-1`
    NilBulk,
    /// `*-1`
    NilArray,
    /// `_` (RESP3 null)
    Null,
    /// `*n`
    Array(Vec<Resp>),
    /// `%n` (RESP3)
    Map(Vec<(Resp, Resp)>),
    /// `~n` (RESP3)
    Set(Vec<Resp>),
    /// `>n` (RESP3 push)
    Push(Vec<Resp>),
    /// `,text` (RESP3 double, exact text)
    Double(String),
    /// `#t` / `#f`
    Bool(bool),
    /// `(digits` (RESP3 big number, exact text)
    BigNum(String),
    /// `=len fmt:payload`
    Verbatim(String, Vec<u8>),
    /// `!len payload` (RESP3 blob error)
    BlobError(Vec<u8>),
    /// `|n` attribute map followed by the value it annotates.
    Attr(Vec<(Resp, Resp)>, Box<Resp>),
}

impl Resp {
    pub fn is_error(&self) -> bool {
        matches!(self, Resp::Error(_) | Resp::BlobError(_))
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Resp::NilBulk | Resp::NilArray | Resp::Null)
    }

    /// The payload of a bulk, simple string, error or verbatim string.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Resp::Simple(b) | Resp::Error(b) | Resp::Bulk(b) | Resp::BlobError(b) => Some(b),
            Resp::Verbatim(_, b) => Some(b),
            _ => None,
        }
    }

    /// The payload as (lossy) text; panics on aggregates and integers.
    pub fn text(&self) -> String {
        match self.bytes() {
            Some(b) => String::from_utf8_lossy(b).into_owned(),
            None => panic!("reply is not a string: {self:?}"),
        }
    }

    pub fn int(&self) -> i64 {
        match self {
            Resp::Int(n) => *n,
            other => panic!("reply is not an integer: {other:?}"),
        }
    }

    /// Elements of an array, set or push (panics otherwise).
    pub fn items(&self) -> &[Resp] {
        match self {
            Resp::Array(v) | Resp::Set(v) | Resp::Push(v) => v,
            other => panic!("reply is not an array: {other:?}"),
        }
    }

    /// A one-word name of the reply type (for shape comparisons and messages).
    pub fn kind(&self) -> &'static str {
        match self {
            Resp::Simple(_) => "simple",
            Resp::Error(_) => "error",
            Resp::Int(_) => "integer",
            Resp::Bulk(_) => "bulk",
            Resp::NilBulk => "nil-bulk",
            Resp::NilArray => "nil-array",
            Resp::Null => "null",
            Resp::Array(_) => "array",
            Resp::Map(_) => "map",
            Resp::Set(_) => "set",
            Resp::Push(_) => "push",
            Resp::Double(_) => "double",
            Resp::Bool(_) => "bool",
            Resp::BigNum(_) => "bignum",
            Resp::Verbatim(..) => "verbatim",
            Resp::BlobError(_) => "blob-error",
            Resp::Attr(..) => "attribute",
        }
    }

    /// Same type and, for aggregates, same length and element shapes; string and
    /// number contents are ignored.
    pub fn same_shape(&self, other: &Resp) -> bool {
        if self.kind() != other.kind() {
            return false;
        }
        match (self, other) {
            (Resp::Array(a), Resp::Array(b))
            | (Resp::Set(a), Resp::Set(b))
            | (Resp::Push(a), Resp::Push(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_shape(y))
            }
            (Resp::Map(a), Resp::Map(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((k1, v1), (k2, v2))| k1.same_shape(k2) && v1.same_shape(v2))
            }
            (Resp::Attr(_, a), Resp::Attr(_, b)) => a.same_shape(b),
            _ => true,
        }
    }

    /// The reply with its top-level collection sorted, for multiset comparison:
    /// arrays, sets and pushes by element, maps by (key, value) pair.
    pub fn sorted(&self) -> Resp {
        match self {
            Resp::Array(v) => Resp::Array(sorted_vec(v)),
            Resp::Set(v) => Resp::Set(sorted_vec(v)),
            Resp::Push(v) => Resp::Push(sorted_vec(v)),
            Resp::Map(m) => {
                let mut m = m.clone();
                m.sort();
                Resp::Map(m)
            }
            other => other.clone(),
        }
    }

    /// Like [`Resp::sorted`], but a flat array is treated as (field, value) pairs
    /// (RESP2 HGETALL, CONFIG GET, ZRANGE WITHSCORES ...).
    pub fn sorted_pairs(&self) -> Resp {
        match self {
            Resp::Array(v) if v.len() % 2 == 0 => {
                let mut pairs: Vec<(Resp, Resp)> =
                    v.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect();
                pairs.sort();
                Resp::Array(pairs.into_iter().flat_map(|(a, b)| [a, b]).collect())
            }
            other => other.sorted(),
        }
    }
}

impl std::fmt::Debug for Resp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |f: &mut std::fmt::Formatter<'_>, tag: &str, v: &[Resp]| {
            write!(f, "{tag}")?;
            f.debug_list().entries(v).finish()
        };
        let map = |f: &mut std::fmt::Formatter<'_>, tag: &str, m: &[(Resp, Resp)]| {
            write!(f, "{tag}")?;
            f.debug_map()
                .entries(m.iter().map(|(k, v)| (k, v)))
                .finish()
        };
        match self {
            Resp::Simple(b) => write!(f, "+{}", escape(b)),
            Resp::Error(b) => write!(f, "-{}", escape(b)),
            Resp::Int(n) => write!(f, ":{n}"),
            Resp::Bulk(b) => write!(f, "{}", escape(b)),
            Resp::NilBulk => write!(f, "nil"),
            Resp::NilArray => write!(f, "nil-array"),
            Resp::Null => write!(f, "null"),
            Resp::Array(v) => list(f, "", v),
            Resp::Set(v) => list(f, "set", v),
            Resp::Push(v) => list(f, "push", v),
            Resp::Map(m) => map(f, "", m),
            Resp::Double(d) => write!(f, ",{d}"),
            Resp::Bool(b) => write!(f, "#{}", if *b { 't' } else { 'f' }),
            Resp::BigNum(n) => write!(f, "({n}"),
            Resp::Verbatim(fmt, b) => write!(f, "={fmt}:{}", escape(b)),
            Resp::BlobError(b) => write!(f, "!{}", escape(b)),
            Resp::Attr(a, v) => {
                map(f, "attr", a)?;
                write!(f, " {v:?}")
            }
        }
    }
}

fn sorted_vec(v: &[Resp]) -> Vec<Resp> {
    let mut v = v.to_vec();
    v.sort();
    v
}

/// Parses one complete reply at the start of `buf`: `Ok(None)` if more bytes
/// are needed, `Ok(Some((reply, consumed)))` otherwise.
pub fn parse(buf: &[u8]) -> Result<Option<(Resp, usize)>, String> {
    let mut p = Parser { buf, pos: 0 };
    match p.value() {
        Ok(r) => Ok(Some((r, p.pos))),
        Err(None) => Ok(None),
        Err(Some(e)) => Err(e),
    }
}

struct Parser<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// `Err(None)`: incomplete; `Err(Some(msg))`: malformed.
type PResult<T> = Result<T, Option<String>>;

impl Parser<'_> {
    fn line(&mut self) -> PResult<&[u8]> {
        let rest = &self.buf[self.pos..];
        let Some(i) = rest.windows(2).position(|w| w == b"\r\n") else {
            return Err(None);
        };
        self.pos += i + 2;
        Ok(&rest[..i])
    }

    fn int_line(&mut self) -> PResult<i64> {
        let line = self.line()?;
        std::str::from_utf8(line)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| Some(format!("bad integer line {:?}", escape(line))))
    }

    fn payload(&mut self, len: i64) -> PResult<Vec<u8>> {
        let len = usize::try_from(len).map_err(|_| Some(format!("bad length {len}")))?;
        if self.buf.len() < self.pos + len + 2 {
            return Err(None);
        }
        let data = self.buf[self.pos..self.pos + len].to_vec();
        if &self.buf[self.pos + len..self.pos + len + 2] != b"\r\n" {
            return Err(Some("payload not followed by CRLF".into()));
        }
        self.pos += len + 2;
        Ok(data)
    }

    fn items(&mut self, n: i64) -> PResult<Vec<Resp>> {
        (0..n).map(|_| self.value()).collect()
    }

    fn pairs(&mut self, n: i64) -> PResult<Vec<(Resp, Resp)>> {
        (0..n).map(|_| Ok((self.value()?, self.value()?))).collect()
    }

    fn value(&mut self) -> PResult<Resp> {
        let Some(&tag) = self.buf.get(self.pos) else {
            return Err(None);
        };
        self.pos += 1;
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        Ok(match tag {
            b'+' => Resp::Simple(self.line()?.to_vec()),
            b'-' => Resp::Error(self.line()?.to_vec()),
            b':' => Resp::Int(self.int_line()?),
            b'$' => match self.int_line()? {
                -1 => Resp::NilBulk,
                n => Resp::Bulk(self.payload(n)?),
            },
            b'*' => match self.int_line()? {
                -1 => Resp::NilArray,
                n => Resp::Array(self.items(n)?),
            },
            b'%' => {
                let n = self.int_line()?;
                Resp::Map(self.pairs(n)?)
            }
            b'~' => {
                let n = self.int_line()?;
                Resp::Set(self.items(n)?)
            }
            b'>' => {
                let n = self.int_line()?;
                Resp::Push(self.items(n)?)
            }
            b'|' => {
                let n = self.int_line()?;
                let attrs = self.pairs(n)?;
                Resp::Attr(attrs, Box::new(self.value()?))
            }
            b'_' => {
                self.line()?;
                Resp::Null
            }
            b',' => Resp::Double(text(self.line()?)),
            b'(' => Resp::BigNum(text(self.line()?)),
            b'#' => match self.line()? {
                b"t" => Resp::Bool(true),
                b"f" => Resp::Bool(false),
                other => return Err(Some(format!("bad boolean {:?}", escape(other)))),
            },
            b'=' => {
                let n = self.int_line()?;
                let data = self.payload(n)?;
                if data.len() < 4 || data[3] != b':' {
                    return Err(Some("verbatim string without format".into()));
                }
                Resp::Verbatim(text(&data[..3]), data[4..].to_vec())
            }
            b'!' => {
                let n = self.int_line()?;
                Resp::BlobError(self.payload(n)?)
            }
            other => {
                return Err(Some(format!(
                    "unknown reply type byte {:?} at offset {}",
                    other as char,
                    self.pos - 1
                )))
            }
        })
    }
}

/// Printable form of raw bytes: ASCII as is, `\r`, `\n`, `\t`, `\\`, `\"`, else `\xHH`.
pub fn escape(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() + 2);
    s.push('"');
    for &c in b {
        match c {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
}

/// Encodes a command as a RESP multibulk.
pub fn encode_command<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        let a = a.as_ref();
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Printable form of a command for failure messages (long arguments shortened).
pub fn show_command<A: AsRef<[u8]>>(args: &[A]) -> String {
    let parts: Vec<String> = args
        .iter()
        .map(|a| {
            let a = a.as_ref();
            if a.len() > 200 {
                format!("{}...({} bytes)", escape(&a[..64]), a.len())
            } else {
                escape(a)
            }
        })
        .collect();
    format!("[{}]", parts.join(" "))
}

/// How long a reply may take before the test fails instead of hanging.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(20);

/// A raw TCP connection that speaks RESP and returns exact reply bytes.
pub struct RawConn {
    pub stream: TcpStream,
    buf: Vec<u8>,
    /// Which server this is ("ember" or "redis"), for messages.
    pub name: &'static str,
    pub port: u16,
}

impl RawConn {
    pub fn connect(name: &'static str, port: u16) -> std::io::Result<RawConn> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(REPLY_TIMEOUT))?;
        Ok(RawConn {
            stream,
            buf: Vec::new(),
            name,
            port,
        })
    }

    pub fn write_raw(&mut self, bytes: &[u8]) {
        if let Err(e) = self.stream.write_all(bytes) {
            panic!("{}: write failed: {e}", self.name);
        }
    }

    /// Sends one command and reads exactly one reply: (raw bytes, parsed).
    pub fn send<A: AsRef<[u8]>>(&mut self, args: &[A]) -> (Vec<u8>, Resp) {
        self.write_raw(&encode_command(args));
        self.read_reply()
            .unwrap_or_else(|e| panic!("{} on {}: {e}", self.name, show_command(args)))
    }

    /// Sends one command and returns the parsed reply only.
    pub fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Resp {
        self.send(args).1
    }

    /// A numeric field of one INFO section (panics when it is missing).
    pub fn info_u64(&mut self, section: &str, name: &str) -> u64 {
        // A bulk string, or verbatim text in RESP3.
        let (Resp::Bulk(text) | Resp::Verbatim(_, text)) = self.cmd(&["INFO", section]) else {
            panic!("{}: INFO {section} is not a bulk string", self.name)
        };
        let prefix = format!("{name}:");
        String::from_utf8_lossy(&text)
            .lines()
            .find_map(|l| l.strip_prefix(&prefix)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{}: no numeric {name} in INFO {section}", self.name))
    }

    /// Reads exactly one complete reply.
    pub fn read_reply(&mut self) -> Result<(Vec<u8>, Resp), String> {
        let deadline = Instant::now() + REPLY_TIMEOUT;
        loop {
            match parse(&self.buf) {
                Ok(Some((resp, used))) => {
                    let raw: Vec<u8> = self.buf.drain(..used).collect();
                    return Ok((raw, resp));
                }
                Ok(None) => {}
                Err(e) => return Err(format!("unparsable reply {}: {e}", escape(&self.buf))),
            }
            if Instant::now() > deadline {
                return Err(format!("timed out; partial reply {}", escape(&self.buf)));
            }
            let mut chunk = [0u8; 16384];
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    return Err(format!(
                        "connection closed while waiting for a reply (partial: {})",
                        escape(&self.buf)
                    ))
                }
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("read failed: {e} (partial: {})", escape(&self.buf))),
            }
        }
    }

    /// Reads everything until the peer closes the connection or nothing arrives
    /// for `idle`; returns the bytes and whether the peer closed.
    pub fn read_until_close(&mut self, idle: Duration) -> (Vec<u8>, bool) {
        let mut out = std::mem::take(&mut self.buf);
        self.stream
            .set_read_timeout(Some(idle))
            .expect("set_read_timeout");
        let closed = loop {
            let mut chunk = [0u8; 16384];
            match self.stream.read(&mut chunk) {
                Ok(0) => break true,
                Ok(n) => out.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    break false
                }
                // A reset after the server closed with unread input counts as closed.
                Err(_) => break true,
            }
        };
        let _ = self.stream.set_read_timeout(Some(REPLY_TIMEOUT));
        (out, closed)
    }
}
