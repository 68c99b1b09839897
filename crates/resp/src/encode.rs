//! Reply encoder: writes a [`Reply`] as RESP2 or RESP3 bytes.

use crate::num::write_g17;
use crate::reply::{BulkKind, Proto, Reply};

/// Appends the wire form of `reply` for protocol `proto` to `out`.
pub fn encode(reply: &Reply, proto: Proto, out: &mut Vec<u8>) {
    match reply {
        Reply::Status(s) => line(out, b'+', s.as_bytes()),
        Reply::Error(s) => error_line(out, s.as_bytes()),
        Reply::ErrorBytes(b) | Reply::RawError(b) => error_line(out, b),
        Reply::Integer(n) => int_line(out, b':', *n),
        Reply::Bulk(b) => bulk(out, b),
        Reply::Nil => out.extend_from_slice(match proto {
            Proto::Resp2 => b"$-1\r\n",
            Proto::Resp3 => b"_\r\n",
        }),
        Reply::NilArray => out.extend_from_slice(match proto {
            Proto::Resp2 => b"*-1\r\n",
            Proto::Resp3 => b"_\r\n",
        }),
        Reply::Array(items) => aggregate(out, b'*', items, proto),
        Reply::Set(items) => {
            let tag = if proto == Proto::Resp3 { b'~' } else { b'*' };
            aggregate(out, tag, items, proto)
        }
        Reply::Push(items) => {
            let tag = if proto == Proto::Resp3 { b'>' } else { b'*' };
            aggregate(out, tag, items, proto)
        }
        Reply::Map(pairs) => {
            match proto {
                Proto::Resp3 => int_line(out, b'%', pairs.len() as i64),
                Proto::Resp2 => int_line(out, b'*', 2 * pairs.len() as i64),
            }
            for (k, v) in pairs {
                encode(k, proto, out);
                encode(v, proto, out);
            }
        }
        Reply::Double(d) => {
            let mut text = Vec::with_capacity(24);
            write_g17(*d, &mut text);
            match proto {
                Proto::Resp3 => line(out, b',', &text),
                Proto::Resp2 => bulk(out, &text),
            }
        }
        Reply::DoubleText(text) => match proto {
            Proto::Resp3 => line(out, b',', text),
            Proto::Resp2 => bulk(out, text),
        },
        Reply::Preceded(frames, reply) => {
            if proto == Proto::Resp3 {
                out.extend_from_slice(frames);
            }
            encode(reply, proto, out);
        }
        Reply::BigNumber(digits) => match proto {
            Proto::Resp3 => line(out, b'(', digits),
            Proto::Resp2 => bulk(out, digits),
        },
        Reply::Bool(b) => match proto {
            Proto::Resp3 => out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
            Proto::Resp2 => out.extend_from_slice(if *b { b":1\r\n" } else { b":0\r\n" }),
        },
        Reply::Verbatim(format, text) => match proto {
            Proto::Resp3 => {
                int_line(out, b'=', (text.len() + 4) as i64);
                out.extend_from_slice(format.as_bytes());
                out.push(b':');
                out.extend_from_slice(text);
                out.extend_from_slice(b"\r\n");
            }
            Proto::Resp2 => bulk(out, text),
        },
        Reply::BulkArray(b) => {
            if let Some(all) = b.complete_wire() {
                out.extend_from_slice(all);
                return;
            }
            let n = b.len();
            match (b.kind(), proto) {
                (BulkKind::Array, _) | (_, Proto::Resp2) => int_line(out, b'*', n as i64),
                (BulkKind::Set, Proto::Resp3) => int_line(out, b'~', n as i64),
                (BulkKind::Map, Proto::Resp3) => int_line(out, b'%', (n / 2) as i64),
            }
            out.extend_from_slice(b.wire());
        }
    }
}

/// [`encode`] taking the reply by value: a long [`Reply::BulkArray`] that
/// holds its complete wire form becomes the output buffer itself when `out`
/// is empty (a single-command batch), instead of being copied into it.
pub fn encode_owned(reply: Reply, proto: Proto, out: &mut Vec<u8>) {
    match reply {
        // (Short ones are copied: keeping `out`'s capacity is worth more.)
        Reply::BulkArray(b) if out.is_empty() && b.wire().len() >= 8 * 1024 => {
            match b.into_complete_wire() {
                Ok(wire) => *out = wire,
                Err(b) => encode(&Reply::BulkArray(b), proto, out),
            }
        }
        other => encode(&other, proto, out),
    }
}

fn aggregate(out: &mut Vec<u8>, tag: u8, items: &[Reply], proto: Proto) {
    int_line(out, tag, items.len() as i64);
    for item in items {
        encode(item, proto, out);
    }
}

fn line(out: &mut Vec<u8>, tag: u8, text: &[u8]) {
    out.push(tag);
    out.extend_from_slice(text);
    out.extend_from_slice(b"\r\n");
}

/// Error texts can quote user input; like Redis, newlines become spaces so the
/// reply cannot break the protocol.
fn error_line(out: &mut Vec<u8>, text: &[u8]) {
    out.push(b'-');
    out.extend(
        text.iter()
            .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }),
    );
    out.extend_from_slice(b"\r\n");
}

fn int_line(out: &mut Vec<u8>, tag: u8, n: i64) {
    let mut buf = itoa::Buffer::new();
    line(out, tag, buf.format(n).as_bytes());
}

fn bulk(out: &mut Vec<u8>, data: &[u8]) {
    out.reserve(data.len() + 24);
    out.push(b'$');
    push_len(out, data.len());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// `<n>\r\n` for a length; short lengths (the common case) skip the formatter.
#[inline]
pub(crate) fn push_len(out: &mut Vec<u8>, n: usize) {
    if n < 10 {
        out.extend_from_slice(&[b'0' + n as u8, b'\r', b'\n']);
    } else if n < 100 {
        out.extend_from_slice(&[b'0' + (n / 10) as u8, b'0' + (n % 10) as u8, b'\r', b'\n']);
    } else {
        let mut buf = itoa::Buffer::new();
        out.extend_from_slice(buf.format(n).as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::BulkArray;
    use bytes::Bytes;

    fn enc(r: &Reply, p: Proto) -> String {
        let mut v = Vec::new();
        encode(r, p, &mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn scalars() {
        assert_eq!(enc(&Reply::OK, Proto::Resp2), "+OK\r\n");
        assert_eq!(enc(&Reply::error("ERR x"), Proto::Resp2), "-ERR x\r\n");
        assert_eq!(
            enc(&Reply::error("ERR a\r\nb"), Proto::Resp2),
            "-ERR a  b\r\n"
        );
        assert_eq!(enc(&Reply::Integer(-5), Proto::Resp3), ":-5\r\n");
        assert_eq!(enc(&Reply::bulk("ab"), Proto::Resp2), "$2\r\nab\r\n");
        assert_eq!(enc(&Reply::Nil, Proto::Resp2), "$-1\r\n");
        assert_eq!(enc(&Reply::NilArray, Proto::Resp2), "*-1\r\n");
        assert_eq!(enc(&Reply::Nil, Proto::Resp3), "_\r\n");
        assert_eq!(enc(&Reply::NilArray, Proto::Resp3), "_\r\n");
    }

    #[test]
    fn resp3_shapes_degrade_in_resp2() {
        let m = Reply::Map(vec![(Reply::bulk("a"), Reply::Integer(1))]);
        assert_eq!(enc(&m, Proto::Resp2), "*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&m, Proto::Resp3), "%1\r\n$1\r\na\r\n:1\r\n");
        let s = Reply::Set(vec![Reply::Integer(1)]);
        assert_eq!(enc(&s, Proto::Resp2), "*1\r\n:1\r\n");
        assert_eq!(enc(&s, Proto::Resp3), "~1\r\n:1\r\n");
        assert_eq!(
            enc(&Reply::Double(0.1), Proto::Resp2),
            "$19\r\n0.10000000000000001\r\n"
        );
        assert_eq!(enc(&Reply::Double(3.0), Proto::Resp3), ",3\r\n");
        assert_eq!(enc(&Reply::Double(f64::INFINITY), Proto::Resp3), ",inf\r\n");
        let text = Reply::DoubleText(Bytes::from_static(b"13.36138933897018433"));
        assert_eq!(enc(&text, Proto::Resp3), ",13.36138933897018433\r\n");
        assert_eq!(enc(&text, Proto::Resp2), "$20\r\n13.36138933897018433\r\n");
        assert_eq!(enc(&Reply::Bool(true), Proto::Resp2), ":1\r\n");
        assert_eq!(enc(&Reply::Bool(false), Proto::Resp3), "#f\r\n");
        let v = Reply::Verbatim("txt", Bytes::from_static(b"hi"));
        assert_eq!(enc(&v, Proto::Resp3), "=6\r\ntxt:hi\r\n");
        assert_eq!(enc(&v, Proto::Resp2), "$2\r\nhi\r\n");
        let p = Reply::Push(vec![Reply::bulk("m")]);
        assert_eq!(enc(&p, Proto::Resp3), ">1\r\n$1\r\nm\r\n");
        assert_eq!(enc(&p, Proto::Resp2), "*1\r\n$1\r\nm\r\n");
        let big = Reply::BigNumber(Bytes::from_static(b"12345678901234567890"));
        assert_eq!(enc(&big, Proto::Resp3), "(12345678901234567890\r\n");
        assert_eq!(enc(&big, Proto::Resp2), "$20\r\n12345678901234567890\r\n");
    }

    #[test]
    fn raw_errors_and_preceding_frames() {
        let e = Reply::RawError(Bytes::from_static(b"LOADING a\r\nb"));
        assert_eq!(enc(&e, Proto::Resp2), "-LOADING a  b\r\n");
        assert!(!e.is_error(), "not an error reply to the statistics");
        assert_eq!(
            e.normalize(),
            Reply::ErrorBytes(Bytes::from_static(b"LOADING a\r\nb"))
        );
        let p = Reply::Preceded(
            Bytes::from_static(b">1\r\n:1\r\n"),
            Box::new(Reply::Integer(2)),
        );
        assert_eq!(enc(&p, Proto::Resp3), ">1\r\n:1\r\n:2\r\n");
        assert_eq!(enc(&p, Proto::Resp2), ":2\r\n");
        let nested = Reply::Array(vec![p]);
        assert_eq!(nested.normalize(), Reply::Array(vec![Reply::Integer(2)]));
    }

    #[test]
    fn bulk_lengths() {
        for n in [0usize, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 65536] {
            let data = vec![b'x'; n];
            let want = format!("${n}\r\n{}\r\n", "x".repeat(n));
            assert_eq!(enc(&Reply::Bulk(Bytes::from(data)), Proto::Resp2), want);
        }
    }

    #[test]
    fn bulk_array_encodes_as_the_aggregate_it_stands_for() {
        let items: Vec<Vec<u8>> =
            vec![b"a".to_vec(), Vec::new(), vec![b'z'; 120], b"\r\n".to_vec()];
        for kind in [BulkKind::Array, BulkKind::Set, BulkKind::Map] {
            let mut b = BulkArray::new(kind);
            for i in &items {
                b.push(i);
            }
            assert_eq!(b.len(), 4);
            assert_eq!(
                b.iter().collect::<Vec<_>>(),
                items.iter().map(|i| &i[..]).collect::<Vec<_>>()
            );
            let plain = b.to_reply();
            let fast = Reply::BulkArray(b);
            for proto in [Proto::Resp2, Proto::Resp3] {
                assert_eq!(enc(&fast, proto), enc(&plain, proto));
            }
            assert_eq!(fast.clone().normalize(), plain);
            let nested = Reply::Array(vec![Reply::Integer(1), fast]);
            assert_eq!(
                nested.normalize(),
                Reply::Array(vec![Reply::Integer(1), plain])
            );
        }
        let empty = Reply::BulkArray(BulkArray::new(BulkKind::Array));
        assert_eq!(enc(&empty, Proto::Resp3), "*0\r\n");
        assert_eq!(empty.normalize(), Reply::Array(Vec::new()));
    }

    #[test]
    fn array_with_header_written_first() {
        let small = vec![b"a".to_vec(), vec![b'z'; 120]];
        let big: Vec<Vec<u8>> = (0..20).map(|i| vec![b'0' + i as u8; 1024]).collect();
        for items in [small, big] {
            let plain = Reply::Array(items.iter().map(Reply::bulk).collect());
            // Exactly as many as announced, fewer, more.
            for announce in [items.len(), items.len() + 1, items.len() - 1] {
                let mut b = BulkArray::array_of(announce, 0);
                for i in &items {
                    b.push(i);
                }
                assert_eq!(b.len(), items.len());
                assert_eq!(b.iter().count(), items.len());
                let fast = Reply::BulkArray(b);
                for proto in [Proto::Resp2, Proto::Resp3] {
                    let want = enc(&plain, proto);
                    assert_eq!(enc(&fast, proto), want);
                    // Owned, into an empty and into a non-empty buffer.
                    let mut out = Vec::new();
                    encode_owned(fast.clone(), proto, &mut out);
                    assert_eq!(String::from_utf8(out).unwrap(), want);
                    let mut out = b"+OK\r\n".to_vec();
                    encode_owned(fast.clone(), proto, &mut out);
                    assert_eq!(String::from_utf8(out).unwrap(), format!("+OK\r\n{want}"));
                }
                assert_eq!(fast.normalize(), plain);
            }
        }
        let mut none = Vec::new();
        encode_owned(
            Reply::BulkArray(BulkArray::array_of(0, 0)),
            Proto::Resp3,
            &mut none,
        );
        assert_eq!(none, b"*0\r\n");
    }
}
