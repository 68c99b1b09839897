//! The RDB primitives over any `Read`/`Write` (Redis's rio): lengths,
//! strings (integer and LZF encodings), doubles and the running CRC-64.
//! Files, DUMP payloads and replication transfers all go through these.

use crate::error::{RdbError, Result};
use crate::lzf;
use std::io::{Read, Write};

/// RDB opcodes (Redis's RDB_OPCODE_*).
pub mod opcode {
    pub const FUNCTION2: u8 = 245;
    pub const FUNCTION: u8 = 246;
    pub const MODULE_AUX: u8 = 247;
    pub const IDLE: u8 = 248;
    pub const FREQ: u8 = 249;
    pub const AUX: u8 = 250;
    pub const RESIZEDB: u8 = 251;
    pub const EXPIRETIME_MS: u8 = 252;
    pub const EXPIRETIME: u8 = 253;
    pub const SELECTDB: u8 = 254;
    pub const EOF: u8 = 255;
}

/// Value types (Redis's RDB_TYPE_*).
pub mod rdb_type {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    pub const ZSET_2: u8 = 5;
    pub const MODULE: u8 = 6;
    pub const MODULE_2: u8 = 7;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;
}

/// The RDB version Ember writes (Redis 7.0's).
pub const RDB_VERSION: u16 = 10;

const ENC_INT8: u8 = 0;
const ENC_INT16: u8 = 1;
const ENC_INT32: u8 = 2;
const ENC_LZF: u8 = 3;

/// Strings are read in pieces of this size, so a claimed length that the
/// input does not back allocates no more than what actually arrived.
const READ_CHUNK: usize = 1 << 16;

/// A length field: a plain length or a special string encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Len {
    Len(u64),
    Encoded(u8),
}

/// Reads RDB data, keeping the CRC-64 of everything read.
pub struct RdbReader<R> {
    inner: R,
    crc: u64,
    read: u64,
    /// Bytes left in the input when known (files, payloads): lengths beyond
    /// it are refused before anything is allocated.
    remaining: Option<u64>,
}

impl<R: Read> RdbReader<R> {
    pub fn new(inner: R) -> Self {
        RdbReader {
            inner,
            crc: 0,
            read: 0,
            remaining: None,
        }
    }

    /// A reader whose input is known to hold exactly `len` more bytes.
    pub fn with_len(inner: R, len: u64) -> Self {
        RdbReader {
            remaining: Some(len),
            ..RdbReader::new(inner)
        }
    }

    /// CRC-64 of everything read so far.
    pub fn crc(&self) -> u64 {
        self.crc
    }

    /// Bytes read so far.
    pub fn position(&self) -> u64 {
        self.read
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    fn check_available(&self, n: u64) -> Result<()> {
        match self.remaining {
            Some(left) if n > left => Err(RdbError::Truncated),
            _ => Ok(()),
        }
    }

    pub fn read_exact(&mut self, buf: &mut [u8]) -> Result<()> {
        self.check_available(buf.len() as u64)?;
        self.inner.read_exact(buf)?;
        self.crc = crc64::crc64(self.crc, buf);
        self.read += buf.len() as u64;
        if let Some(left) = self.remaining.as_mut() {
            *left -= buf.len() as u64;
        }
        Ok(())
    }

    pub fn read_u8(&mut self) -> Result<u8> {
        let mut b = [0u8; 1];
        self.read_exact(&mut b)?;
        Ok(b[0])
    }

    pub fn read_array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut b = [0u8; N];
        self.read_exact(&mut b)?;
        Ok(b)
    }

    /// `n` raw bytes, allocated as they arrive.
    pub fn read_bytes(&mut self, n: u64) -> Result<Vec<u8>> {
        self.check_available(n)?;
        let n = usize::try_from(n).map_err(|_| RdbError::Truncated)?;
        let mut out = Vec::with_capacity(n.min(READ_CHUNK));
        while out.len() < n {
            let start = out.len();
            let step = (n - start).min(READ_CHUNK.max(start));
            out.resize(start + step, 0);
            self.read_exact(&mut out[start..])?;
        }
        Ok(out)
    }

    /// A length field (Redis's rdbLoadLenByRef).
    pub fn read_len_enc(&mut self) -> Result<Len> {
        let b = self.read_u8()?;
        Ok(match b >> 6 {
            0 => Len::Len((b & 0x3f) as u64),
            1 => {
                let b2 = self.read_u8()?;
                Len::Len((((b & 0x3f) as u64) << 8) | b2 as u64)
            }
            3 => Len::Encoded(b & 0x3f),
            _ if b == 0x80 => Len::Len(u32::from_be_bytes(self.read_array()?) as u64),
            _ if b == 0x81 => Len::Len(u64::from_be_bytes(self.read_array()?)),
            _ => {
                return Err(RdbError::corrupt(format!(
                    "Unknown length encoding {} in rdbLoadLen()",
                    b >> 6
                )))
            }
        })
    }

    /// A plain length; a string encoding here is corrupt input.
    pub fn read_len(&mut self) -> Result<u64> {
        match self.read_len_enc()? {
            Len::Len(n) => Ok(n),
            Len::Encoded(e) => Err(RdbError::corrupt(format!("Unexpected encoded length {e}"))),
        }
    }

    /// A string in any of its encodings (Redis's rdbGenericLoadStringObject).
    pub fn read_string(&mut self) -> Result<Vec<u8>> {
        match self.read_len_enc()? {
            Len::Len(n) => self.read_bytes(n),
            Len::Encoded(enc) => match self.read_encoded(enc)? {
                Str::Int(n) => Ok(itoa::Buffer::new().format(n).as_bytes().to_vec()),
                Str::Bytes(b) => Ok(b),
            },
        }
    }

    /// A string, keeping integer encodings as integers.
    pub fn read_string_or_int(&mut self) -> Result<Str> {
        match self.read_len_enc()? {
            Len::Len(n) => Ok(Str::Bytes(self.read_bytes(n)?)),
            Len::Encoded(enc) => self.read_encoded(enc),
        }
    }

    fn read_encoded(&mut self, enc: u8) -> Result<Str> {
        Ok(match enc {
            ENC_INT8 => Str::Int(self.read_u8()? as i8 as i64),
            ENC_INT16 => Str::Int(i16::from_le_bytes(self.read_array()?) as i64),
            ENC_INT32 => Str::Int(i32::from_le_bytes(self.read_array()?) as i64),
            ENC_LZF => {
                let clen = self.read_len()?;
                let len = self.read_len()?;
                if len > lzf::max_expansion(usize::try_from(clen).unwrap_or(usize::MAX)) as u64 {
                    return Err(RdbError::corrupt("Invalid LZF compressed string"));
                }
                let compressed = self.read_bytes(clen)?;
                let out = lzf::decompress(&compressed, len as usize)
                    .map_err(|_| RdbError::corrupt("Invalid LZF compressed string"))?;
                Str::Bytes(out)
            }
            other => {
                return Err(RdbError::corrupt(format!(
                    "Unknown RDB string encoding type {other}"
                )))
            }
        })
    }

    /// A double as RDB_TYPE_ZSET (version 1) stores it: a length byte, then text.
    pub fn read_text_double(&mut self) -> Result<f64> {
        let len = self.read_u8()?;
        Ok(match len {
            253 => f64::NAN,
            254 => f64::INFINITY,
            255 => f64::NEG_INFINITY,
            n => {
                let text = self.read_bytes(n as u64)?;
                parse_strtod(&text).ok_or_else(|| RdbError::corrupt("Invalid double value"))?
            }
        })
    }

    /// An 8-byte little-endian IEEE double.
    pub fn read_binary_double(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.read_array()?))
    }
}

/// C's `strtod` over a whole buffer (the forms `%.17g` and Redis produce).
pub fn parse_strtod(text: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(text).ok()?;
    match s.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" => return Some(f64::INFINITY),
        "-inf" | "-infinity" => return Some(f64::NEG_INFINITY),
        "nan" | "-nan" => return Some(f64::NAN),
        _ => {}
    }
    s.parse::<f64>().ok()
}

/// A string as read: integer encodings kept as numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Str {
    Int(i64),
    Bytes(Vec<u8>),
}

impl Str {
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Str::Int(n) => itoa::Buffer::new().format(n).as_bytes().to_vec(),
            Str::Bytes(b) => b,
        }
    }
}

/// Writes RDB data, keeping the CRC-64 of everything written.
pub struct RdbWriter<W> {
    inner: W,
    crc: u64,
    written: u64,
    /// `rdbcompression`: LZF for strings longer than 20 bytes.
    pub compress: bool,
    /// LZF state and output, reused across strings (allocated on first use).
    lzf: Option<Box<(lzf::Compressor, Vec<u8>)>>,
}

impl<W: Write> RdbWriter<W> {
    pub fn new(inner: W, compress: bool) -> Self {
        RdbWriter {
            inner,
            crc: 0,
            written: 0,
            compress,
            lzf: None,
        }
    }

    pub fn crc(&self) -> u64 {
        self.crc
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    pub fn into_inner(self) -> W {
        self.inner
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    pub fn write_all(&mut self, buf: &[u8]) -> Result<()> {
        self.inner.write_all(buf)?;
        self.crc = crc64::crc64(self.crc, buf);
        self.written += buf.len() as u64;
        Ok(())
    }

    pub fn write_u8(&mut self, b: u8) -> Result<()> {
        self.write_all(&[b])
    }

    /// A length field (Redis's rdbSaveLen).
    pub fn write_len(&mut self, len: u64) -> Result<()> {
        if len < 1 << 6 {
            self.write_u8(len as u8)
        } else if len < 1 << 14 {
            self.write_all(&[((len >> 8) as u8) | 0x40, len as u8])
        } else if len <= u32::MAX as u64 {
            self.write_u8(0x80)?;
            self.write_all(&(len as u32).to_be_bytes())
        } else {
            self.write_u8(0x81)?;
            self.write_all(&len.to_be_bytes())
        }
    }

    /// An integer as a string: integer encoding when it fits in 32 bits,
    /// else its digits (Redis's rdbSaveLongLongAsStringObject).
    pub fn write_int_string(&mut self, n: i64) -> Result<()> {
        if let Some(enc) = encode_int(n) {
            return self.write_all(&enc.0[..enc.1]);
        }
        let mut buf = itoa::Buffer::new();
        let digits = buf.format(n).as_bytes();
        self.write_len(digits.len() as u64)?;
        self.write_all(digits)
    }

    /// A string: integer encoding for short canonical integers, LZF when it
    /// saves at least 4 bytes, else verbatim (Redis's rdbSaveRawString).
    pub fn write_string(&mut self, s: &[u8]) -> Result<()> {
        if s.len() <= 11 {
            if let Some(enc) = ember_resp::num::parse_i64(s).and_then(encode_int) {
                return self.write_all(&enc.0[..enc.1]);
            }
        }
        if self.compress && s.len() > 20 {
            let mut state = self.lzf.take().unwrap_or_default();
            let (compressor, buf) = &mut *state;
            let result = if compressor.compress_into(s, s.len() - 4, buf) {
                self.write_u8(0xc0 | ENC_LZF)
                    .and_then(|()| self.write_len(buf.len() as u64))
                    .and_then(|()| self.write_len(s.len() as u64))
                    .and_then(|()| self.write_all(buf))
                    .map(|()| true)
            } else {
                Ok(false)
            };
            self.lzf = Some(state);
            if result? {
                return Ok(());
            }
        }
        self.write_len(s.len() as u64)?;
        self.write_all(s)
    }

    pub fn write_binary_double(&mut self, v: f64) -> Result<()> {
        self.write_all(&v.to_le_bytes())
    }

    pub fn flush(&mut self) -> Result<()> {
        self.inner.flush()?;
        Ok(())
    }
}

/// RDB integer encoding of `n` if it fits in 8, 16 or 32 bits (Redis's
/// rdbEncodeInteger): the bytes and how many are used.
fn encode_int(n: i64) -> Option<([u8; 5], usize)> {
    let mut b = [0u8; 5];
    if let Ok(v) = i8::try_from(n) {
        b[0] = 0xc0 | ENC_INT8;
        b[1] = v as u8;
        Some((b, 2))
    } else if let Ok(v) = i16::try_from(n) {
        b[0] = 0xc0 | ENC_INT16;
        b[1..3].copy_from_slice(&v.to_le_bytes());
        Some((b, 3))
    } else if let Ok(v) = i32::try_from(n) {
        b[0] = 0xc0 | ENC_INT32;
        b[1..5].copy_from_slice(&v.to_le_bytes());
        Some((b, 5))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut RdbWriter<Vec<u8>>)) -> Vec<u8> {
        let mut w = RdbWriter::new(Vec::new(), true);
        f(&mut w);
        w.into_inner()
    }

    #[test]
    fn crc64_is_jones() {
        assert_eq!(crc64::crc64(0, b"123456789"), 0xe9c6d914c4b8d9ca);
    }

    #[test]
    fn lengths_round_trip() {
        for n in [
            0u64,
            1,
            63,
            64,
            16383,
            16384,
            u32::MAX as u64,
            u32::MAX as u64 + 1,
            u64::MAX,
        ] {
            let buf = written(|w| w.write_len(n).unwrap());
            let mut r = RdbReader::new(&buf[..]);
            assert_eq!(r.read_len().unwrap(), n);
            assert_eq!(r.position(), buf.len() as u64);
        }
        assert_eq!(written(|w| w.write_len(300).unwrap()), vec![0x41, 0x2c]);
    }

    #[test]
    fn strings_pick_redis_encodings() {
        assert_eq!(written(|w| w.write_string(b"12").unwrap()), vec![0xc0, 12]);
        assert_eq!(
            written(|w| w.write_string(b"-200").unwrap()),
            vec![0xc1, 0x38, 0xff]
        );
        assert_eq!(
            written(|w| w.write_string(b"100000").unwrap()),
            vec![0xc2, 0xa0, 0x86, 0x01, 0x00]
        );
        // Too long for the integer path, or not canonical: verbatim.
        assert_eq!(
            written(|w| w.write_string(b"012").unwrap()),
            b"\x03012".to_vec()
        );
        assert_eq!(
            written(|w| w.write_string(b"12345678901").unwrap())[0],
            11,
            "outside 32 bits"
        );
        let long = [b'a'; 40];
        let buf = written(|w| w.write_string(&long).unwrap());
        assert_eq!(buf[0], 0xc3);
        let mut r = RdbReader::new(&buf[..]);
        assert_eq!(r.read_string().unwrap(), long.to_vec());
        let mut plain = RdbWriter::new(Vec::new(), false);
        plain.write_string(&long).unwrap();
        assert_eq!(plain.into_inner().len(), 41);
        for n in [
            0i64,
            -1,
            127,
            128,
            -32768,
            40000,
            i32::MIN as i64,
            i64::MAX,
            i64::MIN,
        ] {
            let buf = written(|w| w.write_int_string(n).unwrap());
            let mut r = RdbReader::new(&buf[..]);
            assert_eq!(r.read_string().unwrap(), n.to_string().into_bytes());
        }
    }

    #[test]
    fn claimed_lengths_are_bounded_by_the_input() {
        // A 4 GiB string claimed by a 5-byte header.
        let buf = [0x80u8, 0xff, 0xff, 0xff, 0xff, b'x'];
        let mut r = RdbReader::with_len(&buf[..], buf.len() as u64);
        assert!(matches!(r.read_string(), Err(RdbError::Truncated)));
        let mut r = RdbReader::new(&buf[..]);
        assert!(matches!(r.read_string(), Err(RdbError::Truncated)));
        // LZF claiming a huge expansion of 2 bytes.
        let buf = [0xc3u8, 0x02, 0x80, 0x7f, 0xff, 0xff, 0xff, 0x00, b'a'];
        let mut r = RdbReader::new(&buf[..]);
        assert!(matches!(r.read_string(), Err(RdbError::Corrupt(_))));
    }

    #[test]
    fn text_doubles() {
        let mut r = RdbReader::new(&b"\x031.5\xfd\xfe\xff"[..]);
        assert_eq!(r.read_text_double().unwrap(), 1.5);
        assert!(r.read_text_double().unwrap().is_nan());
        assert_eq!(r.read_text_double().unwrap(), f64::INFINITY);
        assert_eq!(r.read_text_double().unwrap(), f64::NEG_INFINITY);
    }
}
