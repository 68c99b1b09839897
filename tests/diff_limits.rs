//! Differential tests for input limits against redis-server 7.0.15:
//! `maxclients`, `timeout`, `client-query-buffer-limit` and
//! `proto-max-bulk-len` (the limits before AUTH are in diff_acl.rs).

mod support;

use std::time::Duration;
use support::Diff;

#[test]
fn maxclients_refuses_extra_connections() {
    let d = Diff::with_config(
        &["--maxclients", "1"],
        ember::Config {
            maxclients: 1,
            ..Default::default()
        },
    );
    // The main pair holds the only slot on each server.
    let (reply, closed) = d.check_raw(b"PING\r\n");
    assert_eq!(reply, b"-ERR max number of clients reached\r\n");
    assert!(closed);
}

#[test]
fn maxclients_counts_in_info_stats() {
    let mut d = Diff::with_config(
        &["--maxclients", "2"],
        ember::Config {
            maxclients: 2,
            ..Default::default()
        },
    );
    let second = d.connect();
    d.check_raw(b"PING\r\n");
    drop(second);
    d.wait_info("clients", "connected_clients", 1);
    d.check_raw(b"PING\r\n");
    d.check_normalized(&["INFO", "stats"], |r| {
        let text = r.text();
        let line = text
            .lines()
            .find(|l| l.starts_with("rejected_connections:"))
            .unwrap_or("");
        support::Resp::Bulk(line.as_bytes().to_vec())
    });
}

#[test]
fn idle_clients_are_closed_after_timeout() {
    let mut d = Diff::with_config(
        &["--timeout", "1", "--hz", "100"],
        ember::Config {
            timeout: 1,
            hz: 100,
            ..Default::default()
        },
    );
    let mut idle = d.connect();
    idle.check(&["PING"]);
    // Redis closes a client idle for more than `timeout` whole seconds,
    // silently; the busy main pair stays.
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(500));
        d.check(&["PING"]);
    }
    for conn in [&mut idle.ember, &mut idle.redis] {
        let (bytes, closed) = conn.read_until_close(Duration::from_millis(1500));
        assert!(bytes.is_empty(), "{} sent {bytes:?}", conn.name);
        assert!(closed, "{} kept an idle client", conn.name);
    }
    d.check(&["CONFIG", "GET", "timeout"]);
}

#[test]
fn query_buffer_limit_closes_the_client() {
    let mut d = Diff::new();
    d.check(&["CONFIG", "SET", "client-query-buffer-limit", "1mb"]);
    d.check(&["CONFIG", "GET", "client-query-buffer-limit"]);
    // An argument that will never be complete, growing past the limit.
    let mut big = b"*2\r\n$3\r\nSET\r\n$2000000\r\n".to_vec();
    big.extend_from_slice(&vec![b'x'; 1_200_000]);
    let (reply, closed) = d.check_raw(&big);
    assert!(reply.is_empty() && closed);
    // Under the limit nothing happens.
    let mut ok = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$900000\r\n".to_vec();
    ok.extend_from_slice(&vec![b'y'; 900_000]);
    ok.extend_from_slice(b"\r\n");
    let (reply, closed) = d.check_raw(&ok);
    assert_eq!((reply.as_slice(), closed), (&b"+OK\r\n"[..], false));
    d.check(&["STRLEN", "k"]);
}

#[test]
fn proto_max_bulk_len_is_enforced() {
    let mut d = Diff::new();
    d.check(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"]);
    d.check_raw(b"*2\r\n$4\r\nECHO\r\n$1048577\r\n");
    d.check_raw(b"*2\r\n$4\r\nECHO\r\n$1048576\r\n");
    d.check(&["CONFIG", "SET", "proto-max-bulk-len", "1000"]);
}

#[test]
fn output_buffer_limit_closes_normal_clients() {
    let mut d = Diff::new();
    d.check(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "normal 1mb 0 0",
    ]);
    d.check(&["CONFIG", "GET", "client-output-buffer-limit"]);
    let big = "x".repeat(2_000_000);
    d.check(&["SET", "big", big.as_str()]);
    d.check(&["SET", "small", "v"]);
    // The 2 MB reply is never sent, nor what was still buffered before it:
    // the client is closed instead.
    let (reply, closed) = d.check_raw(b"GET small\r\nGET big\r\n");
    assert_eq!((reply.as_slice(), closed), (&b""[..], true));
    d.check(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "normal 0 0 0",
    ]);
    let (reply, closed) = d.check_raw(b"STRLEN big\r\n");
    assert_eq!((reply.as_slice(), closed), (&b":2000000\r\n"[..], false));
}
