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

/// Writes `pipeline` whole before reading anything (as redis-py's pipelines
/// and `redis-cli --pipe`-like tools do), then reads `expected` back. A server
/// that stopped reading while its replies waited would never let the write
/// finish: the client waits for the server to read, the server for the
/// client to read.
fn send_all_then_read(port: u16, pipeline: Vec<u8>, expected: &[u8]) {
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut writer = conn.try_clone().unwrap();
    let (done, written) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(writer.write_all(&pipeline).map_err(|e| e.to_string()));
    });
    match written.recv_timeout(Duration::from_secs(60)) {
        Ok(r) => r.unwrap(),
        Err(_) => {
            panic!("port {port}: the pipeline's write never finished (the server stopped reading)")
        }
    }
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut got = vec![0u8; expected.len()];
    conn.read_exact(&mut got).unwrap();
    assert!(
        got == expected,
        "port {port}: replies changed or out of order"
    );
}

#[test]
fn a_pipeline_sent_whole_before_its_replies_are_read_is_answered() {
    // 3,000 ECHOs of 8 KiB: 24 MiB each way, more than the socket buffers
    // of both directions hold, so the server must read on while its
    // replies wait. Redis does; the same bytes go to both.
    let redis = support::RedisServer::start(&[]);
    let ember = support::start_ember(ember::Config::default());
    let mut pipeline = Vec::new();
    let mut expected = Vec::new();
    for i in 0..3000u32 {
        let payload: Vec<u8> = (0..8192u32)
            .map(|j| b'a' + ((i + j / 64) % 26) as u8)
            .collect();
        pipeline.extend(encode_command(&[&b"ECHO"[..], &payload]));
        expected.extend(bulk(&payload));
    }
    send_all_then_read(redis.port, pipeline.clone(), &expected);
    send_all_then_read(ember.port, pipeline, &expected);
}

/// CLIENT LIST's `omem` and `events` of the connection named `name`, as `port`
/// reports them.
fn omem_of(port: u16, name: &str) -> (u64, String) {
    let mut c = RawConn::connect("probe", port).unwrap();
    let Resp::Bulk(list) = c.cmd(&["CLIENT", "LIST"]) else {
        panic!("CLIENT LIST did not answer a bulk string")
    };
    let list = String::from_utf8(list).unwrap();
    let line = list
        .lines()
        .find(|l| l.contains(&format!(" name={name} ")))
        .unwrap_or_else(|| panic!("no client named {name} in {list}"));
    let field = |name: &str| {
        line.split(' ')
            .find_map(|f| f.strip_prefix(name))
            .unwrap()
            .to_string()
    };
    (field("omem=").parse().unwrap(), field("events="))
}

#[test]
fn replies_a_client_has_not_read_show_in_its_omem_until_it_reads_them() {
    let redis = support::RedisServer::start(&[]);
    let ember = support::start_ember(ember::Config::default());
    for port in [redis.port, ember.port] {
        let mut c = RawConn::connect("stalled", port).unwrap();
        c.cmd(&["CLIENT", "SETNAME", "stalled"]);
        let big = vec![b'x'; 1024 * 1024];
        c.cmd(&[&b"SET"[..], b"big", &big]);
        // 16 MiB of replies that the client does not read yet.
        let mut pipeline = Vec::new();
        for _ in 0..16 {
            pipeline.extend(encode_command(&["GET", "big"]));
        }
        let mut stream = c.stream;
        stream.write_all(&pipeline).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let (omem, events) = omem_of(port, "stalled");
            if omem >= 1024 * 1024 {
                // The write waits for the client (Redis's write handler).
                assert_eq!(events, "rw", "port {port}");
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "port {port}: the waiting replies never showed in omem"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let expected: Vec<u8> = (0..16).flat_map(|_| bulk(&big)).collect();
        let mut got = vec![0u8; expected.len()];
        stream.read_exact(&mut got).unwrap();
        assert!(got == expected, "port {port}: replies changed");
        // Everything is read: nothing waits any more.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while omem_of(port, "stalled") != (0, "r".to_string()) {
            assert!(
                std::time::Instant::now() < deadline,
                "port {port}: omem stayed up after the replies were read"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
