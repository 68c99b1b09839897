//! Client eviction (`maxmemory-clients`) over TCP, each scenario run on the
//! real redis-server and on Ember: the client whose buffers pass the limit is
//! closed and counted in INFO's `evicted_clients`, a `CLIENT NO-EVICT on`
//! client is kept, and DEBUG CLIENT-EVICTION / REPLYBUFFER answer as Redis's.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::{Diff, RawConn, Resp};

const LIMIT: usize = 1024 * 1024;

fn diff() -> Diff {
    Diff::with_debug()
}

/// The CLIENT LIST line of the client named `name`, if it is connected.
fn client_line(control: &mut RawConn, name: &str) -> Option<String> {
    let Resp::Bulk(list) = control.cmd(&["CLIENT", "LIST"]) else {
        panic!("CLIENT LIST did not answer a bulk string")
    };
    String::from_utf8(list)
        .unwrap()
        .lines()
        .find(|l| l.contains(&format!(" name={name} ")))
        .map(str::to_string)
}

fn field(line: &str, name: &str) -> u64 {
    line.split(' ')
        .find_map(|f| f.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {line}"))
}

fn info_field(control: &mut RawConn, name: &str) -> u64 {
    let Resp::Bulk(info) = control.cmd(&["INFO", "all"]) else {
        panic!("INFO did not answer a bulk string")
    };
    let info = String::from_utf8(info).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in INFO"))
}

/// A client named `name` that has sent 1.5 MiB of a 2 MB argument (so its
/// query buffer holds it), with `CLIENT NO-EVICT` set as given.
fn stuffed_client(port: u16, name: &str, no_evict: bool) -> TcpStream {
    let mut c = RawConn::connect("client", port).unwrap();
    c.cmd(&["CLIENT", "SETNAME", name]);
    let flag = if no_evict { "on" } else { "off" };
    assert_eq!(
        c.cmd(&["CLIENT", "NO-EVICT", flag]),
        Resp::Simple(b"OK".to_vec())
    );
    let mut stream = c.stream;
    let sent = stream
        .write_all(b"*1\r\n$2000000\r\n")
        .and_then(|_| stream.write_all(&vec![b'v'; 1536 * 1024]));
    // (An evictable client may be closed before it has sent it all.)
    if no_evict {
        sent.unwrap();
    }
    stream
}

/// Polls until `done` holds, for at most 10 s.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_client_whose_query_buffer_passes_the_limit_is_evicted() {
    let d = diff();
    for (server, port) in [("redis", d.redis_port()), ("ember", d.ember_port())] {
        let mut control = RawConn::connect("control", port).unwrap();
        control.cmd(&["CLIENT", "NO-EVICT", "on"]);
        control.cmd(&["CONFIG", "SET", "maxmemory-clients", &LIMIT.to_string()]);
        let mut victim = stuffed_client(port, "victim", false);
        wait_until(&format!("{server}: victim evicted"), || {
            client_line(&mut control, "victim").is_none()
        });
        assert_eq!(info_field(&mut control, "evicted_clients"), 1, "{server}");
        // Its connection was closed without a reply.
        victim
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut rest = Vec::new();
        let _ = victim.read_to_end(&mut rest);
        assert!(rest.is_empty(), "{server}: the evicted client got {rest:?}");
        // The control client, exempt, is still served.
        assert_eq!(control.cmd(&["PING"]), Resp::Simple(b"PONG".to_vec()));
    }
}

#[test]
fn a_no_evict_client_stays_over_the_limit() {
    // Servers of its own: any other client would be evicted in its place.
    let redis = support::RedisServer::start(&[]);
    let ember = support::start_ember(ember::Config::default());
    for (server, port) in [("redis", redis.port), ("ember", ember.port)] {
        let mut control = RawConn::connect("control", port).unwrap();
        control.cmd(&["CLIENT", "NO-EVICT", "on"]);
        control.cmd(&["CONFIG", "SET", "maxmemory-clients", &LIMIT.to_string()]);
        let _kept = stuffed_client(port, "kept", true);
        wait_until(&format!("{server}: kept's query buffer filled"), || {
            client_line(&mut control, "kept").is_some_and(|l| field(&l, "qbuf") >= 1536 * 1024)
        });
        let line = client_line(&mut control, "kept").unwrap();
        assert!(field(&line, "tot-mem") > LIMIT as u64, "{server}: {line}");
        assert!(line.contains(" flags=e "), "{server}: {line}");
        std::thread::sleep(Duration::from_millis(300));
        assert!(client_line(&mut control, "kept").is_some(), "{server}");
        assert_eq!(info_field(&mut control, "evicted_clients"), 0, "{server}");
        // mem_clients_normal counts it.
        assert!(
            info_field(&mut control, "mem_clients_normal") > LIMIT as u64,
            "{server}"
        );
    }
}

#[test]
fn debug_client_eviction_and_replybuffer_answer_as_redis() {
    let mut d = diff();
    d.check(&["DEBUG", "CLIENT-EVICTION"]);
    d.check(&["DEBUG", "REPLYBUFFER", "RESIZING", "0"]);
    d.check(&["DEBUG", "REPLYBUFFER", "RESIZING", "x"]);
    d.check(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "never"]);
    d.check(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "RESET"]);
    d.check(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100"]);
    d.check(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "abc"]);
    d.check(&["DEBUG", "REPLYBUFFER", "foo", "1"]);
    d.check(&["DEBUG", "REPLYBUFFER", "RESIZING"]);
    d.check(&["DEBUG", "REPLYBUFFER"]);
    d.check(&["CONFIG", "SET", "maxmemory-clients", "1mb"]);
    // The 19 buckets, the one client (the caller) in one of the first two
    // (Redis's idle client carries 36 KiB of buffers, Ember's 1 KiB).
    let (r, e) = d.both(&["DEBUG", "CLIENT-EVICTION"]);
    for (server, reply) in [("ember", e), ("redis", r)] {
        let Resp::Bulk(text) = reply else {
            panic!("{server}: not a bulk string")
        };
        let text = String::from_utf8(text).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 19, "{server}: {text}");
        assert!(lines[0].starts_with("bucket          0 -      32767: tot-mem: "));
        assert!(lines[1].starts_with("bucket      32768 -      65535: tot-mem: "));
        assert!(lines[18].starts_with("bucket 4294967296+            : tot-mem: "));
        let clients: Vec<u64> = lines
            .iter()
            .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(clients.iter().sum::<u64>(), 1, "{server}: {text}");
        assert_eq!(clients[0] + clients[1], 1, "{server}: {text}");
    }
}

#[test]
fn a_big_argument_read_in_pieces_costs_its_size_once() {
    // The query buffer is sized for a big argument when its length arrives;
    // the last pieces must not grow it again (a client then counted twice
    // its size would be evicted under a limit it does not reach).
    let redis = support::RedisServer::start(&[]);
    let ember = support::start_ember(ember::Config::default());
    let n = 6 * 1024 * 1024;
    for (server, port) in [("redis", redis.port), ("ember", ember.port)] {
        let mut control = RawConn::connect("control", port).unwrap();
        let mut c = RawConn::connect("client", port).unwrap();
        c.cmd(&["CLIENT", "SETNAME", "big"]);
        let mut stream = c.stream;
        stream
            .write_all(format!("*1\r\n${n}\r\n").as_bytes())
            .unwrap();
        stream.write_all(&vec![b'v'; n - 500]).unwrap();
        wait_until(&format!("{server}: most of it read"), || {
            client_line(&mut control, "big").is_some_and(|l| field(&l, "qbuf") >= (n - 500) as u64)
        });
        stream.write_all(&[b'v'; 300]).unwrap();
        wait_until(&format!("{server}: the rest read"), || {
            client_line(&mut control, "big").is_some_and(|l| field(&l, "qbuf") >= (n - 200) as u64)
        });
        let line = client_line(&mut control, "big").unwrap();
        let total = field(&line, "tot-mem");
        // (Redis's allocation is rounded up to the allocator's next size
        // class, 7 MiB.)
        assert!(
            total >= n as u64 && total < n as u64 + n as u64 / 4,
            "{server}: {line}"
        );
    }
}
