//! Long replies over TCP. Output past 64 KiB leaves in pieces, with the other
//! ready connections served between them (crates/server/src/conn.rs,
//! `WRITE_MAX`): a multi-megabyte pipeline must still reach a slow reader
//! whole and in order, while other clients keep being answered.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

fn command(words: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", words.len()).into_bytes();
    for w in words {
        out.extend_from_slice(format!("${}\r\n", w.len()).as_bytes());
        out.extend_from_slice(w);
        out.extend_from_slice(b"\r\n");
    }
    out
}

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
    let mut reader = connect(port);
    reader.write_all(&command(&[b"SET", b"big", &big])).unwrap();
    let mut ok = [0u8; 5];
    reader.read_exact(&mut ok).unwrap();
    assert_eq!(&ok, b"+OK\r\n");
    // GET big, PING, GET big in one write: about 6 MiB of replies.
    let mut pipeline = command(&[b"GET", b"big"]);
    pipeline.extend(command(&[b"PING"]));
    pipeline.extend(command(&[b"GET", b"big"]));
    reader.write_all(&pipeline).unwrap();
    // Another client meanwhile runs a thousand commands, one at a time.
    let other = std::thread::spawn(move || {
        let mut s = connect(port);
        let mut buf = [0u8; 64];
        for i in 1..=1000 {
            s.write_all(&command(&[b"INCR", b"n"])).unwrap();
            let n = s.read(&mut buf).unwrap();
            assert_eq!(&buf[..n], format!(":{i}\r\n").as_bytes());
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
