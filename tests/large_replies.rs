//! Long replies over TCP. Output past 64 KiB leaves in pieces, with the other
//! ready connections served between them (crates/server/src/conn.rs,
//! `WRITE_MAX`): a multi-megabyte pipeline must still reach a slow reader
//! whole and in order, while other clients keep being answered.

mod support;

use std::io::{Read, Write};
use std::time::Duration;
use support::{encode_command, RawConn, Resp};

/// The RESP2 bulk string of `value`.
fn bulk(value: &[u8]) -> Vec<u8> {
    let mut out = format!("${}\r\n", value.len()).into_bytes();
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
    out
}

#[test]
fn a_slow_reader_gets_megabytes_of_pipelined_replies_whole_while_others_are_served() {
    let server = support::start_ember(ember::Config::default());
    let port = server.port;
    // 3 MiB of a pattern that shows any reordered or dropped piece.
    let big: Vec<u8> = (0..3 * 1024 * 1024u32)
        .map(|i| b'a' + (i / 7 % 26) as u8)
        .collect();
    let mut reader = RawConn::connect("ember", port).unwrap();
    assert_eq!(
        reader.cmd(&[&b"SET"[..], b"big", &big]),
        Resp::Simple(b"OK".to_vec())
    );
    // GET big, PING, GET big in one write: about 6 MiB of replies, read raw.
    let mut pipeline = encode_command(&["GET", "big"]);
    pipeline.extend(encode_command(&["PING"]));
    pipeline.extend(encode_command(&["GET", "big"]));
    let mut reader = reader.stream;
    reader.write_all(&pipeline).unwrap();
    // Another client meanwhile runs a thousand commands, one at a time.
    let other = std::thread::spawn(move || {
        let mut c = RawConn::connect("ember", port).unwrap();
        for i in 1..=1000 {
            assert_eq!(c.cmd(&["INCR", "n"]), Resp::Int(i));
        }
    });
    // Read slowly, in small pieces, so the server's writes have to wait.
    let mut expected = bulk(&big);
    expected.extend_from_slice(b"+PONG\r\n");
    expected.extend(bulk(&big));
    let mut got = Vec::with_capacity(expected.len());
    let mut chunk = vec![0u8; 16 * 1024];
    while got.len() < expected.len() {
        let n = reader.read(&mut chunk).unwrap();
        assert!(
            n > 0,
            "closed after {} of {} bytes",
            got.len(),
            expected.len()
        );
        got.extend_from_slice(&chunk[..n]);
        if got.len() < 512 * 1024 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    other.join().unwrap();
    assert_eq!(got.len(), expected.len());
    assert!(
        got == expected,
        "the replies arrived changed or out of order"
    );
}
