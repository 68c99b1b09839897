//! Replication interop, master side: a real redis-server 7.0 replica of an
//! Ember master syncs a mixed dataset loaded before the sync (diskless and
//! disk-based transfers), then follows the stream of writes made during and
//! after it; both sides end with identical contents. Also partial resync
//! after a dropped link, WAIT, min-replicas-to-write, PSYNC2 acceptance of
//! the previous replication id, and the PSYNC replies on the wire.

mod support;

use redis::{Connection, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::repl::{cmd, contents, load_small_keys, repl, wait_caught_up};
use support::{start_ember, Diff, RedisServer};

fn conn(port: u16) -> Connection {
    let c = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
    let con = c.get_connection().unwrap();
    con.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    con
}

/// Writes covering every supported type, in several databases, with TTLs.
fn load(c: &mut Connection, tag: &str, n: usize) {
    for db in [0, 2] {
        cmd(c, &["SELECT", &db.to_string()]);
        load_small_keys(c, tag, n);
    }
    cmd(c, &["SELECT", "0"]);
}

/// Collections past the small encodings (hashtable, skiplist, quicklist).
fn load_big(c: &mut Connection, tag: &str) {
    let mut hset = vec!["HSET".to_string(), format!("{tag}:bigh")];
    let mut sadd = vec!["SADD".to_string(), format!("{tag}:bigs")];
    let mut zadd = vec!["ZADD".to_string(), format!("{tag}:bigz")];
    let mut rpush = vec!["RPUSH".to_string(), format!("{tag}:bigl")];
    for i in 0..300 {
        hset.extend([format!("f{i}"), "x".repeat(i % 70)]);
        sadd.push(format!("member-{i}"));
        zadd.extend([format!("{}", i as f64 / 7.0), format!("m{i}")]);
        rpush.push("y".repeat(i % 90));
    }
    for v in [hset, sadd, zadd, rpush] {
        let args: Vec<&str> = v.iter().map(String::as_str).collect();
        cmd(c, &args);
    }
    cmd(c, &["SETBIT", &format!("{tag}:bits"), "1000", "1"]);
    cmd(c, &["SET", &format!("{tag}:big"), &"z".repeat(10_000)]);
}

/// A fresh directory for one server's files (`dir`).
fn temp_dir() -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ember-repl-m-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An Ember configuration for these tests: no diskless delay (Redis's 5 s
/// default), its own `dir`.
fn config(diskless: bool) -> ember::Config {
    ember::Config {
        repl_diskless_sync: diskless,
        repl_diskless_sync_delay: 0,
        dir: temp_dir().to_string_lossy().into_owned(),
        save: vec![],
        enable_debug_command: "yes".into(),
        ..Default::default()
    }
}

/// Replica of Ember: full sync of a mixed dataset with writes during and
/// after it, then a dropped link and a partial resync.
fn replica_of_ember(diskless: bool) {
    let cfg = config(diskless);
    let dir = std::path::PathBuf::from(&cfg.dir);
    let ember = start_ember(cfg);
    let mut m = conn(ember.port);
    load(&mut m, "pre", 40);
    load_big(&mut m, "pre");
    let port = ember.port.to_string();
    let replica = RedisServer::start(&[
        "--replicaof",
        "127.0.0.1",
        &port,
        "--enable-debug-command",
        "yes",
    ]);
    // Writes during the sync and after it, from another connection.
    let writer = std::thread::spawn({
        let p = ember.port;
        move || {
            let mut w = conn(p);
            load(&mut w, "live", 30);
        }
    });
    let mut r = conn(replica.port);
    writer.join().unwrap();
    load_big(&mut m, "post");
    wait_caught_up(&mut m, &mut r);
    let (a, b) = (contents(&mut m), contents(&mut r));
    assert!(a.len() > 500, "dataset too small: {}", a.len());
    assert_eq!(a, b);
    // The replica's own fingerprint of its dataset is the master's.
    let digest = |c: &mut Connection| cmd(c, &["DEBUG", "DIGEST"]);
    assert_eq!(digest(&mut m), digest(&mut r));
    // Disk-based: the payload was a normal BGSAVE to dir/dbfilename (Redis's
    // rdbSaveBackground for SYNC), sent from the file; diskless: no file.
    let rdb = dir.join("dump.rdb");
    if diskless {
        assert!(!rdb.exists());
    } else {
        let data = std::fs::read(&rdb).expect("the BGSAVE file");
        assert!(data.starts_with(b"REDIS0010"));
        assert!(data.windows(14).any(|w| w == b"repl-stream-db"));
        let persistence: String = redis::cmd("INFO").arg("persistence").query(&mut m).unwrap();
        assert!(
            persistence.contains("rdb_last_bgsave_status:ok"),
            "{persistence}"
        );
        assert!(persistence.contains("rdb_saves:1\r\n"), "{persistence}");
    }
    // The master sees its replica.
    assert_eq!(repl(&mut m, "role").as_deref(), Some("master"));
    assert_eq!(repl(&mut m, "connected_slaves").as_deref(), Some("1"));
    let slave0 = repl(&mut m, "slave0").unwrap();
    assert!(
        slave0.starts_with(&format!(
            "ip=127.0.0.1,port={},state=online,offset=",
            replica.port
        )),
        "{slave0}"
    );
    assert_eq!(repl(&mut m, "repl_backlog_active").as_deref(), Some("1"));
    // Both sides agree on the history and the offset.
    assert_eq!(repl(&mut m, "master_replid"), repl(&mut r, "master_replid"));
    let role = cmd(&mut m, &["ROLE"]);
    let Value::Array(role) = role else {
        panic!("{role:?}")
    };
    assert_eq!(role[0], Value::BulkString(b"master".to_vec()));
    let Value::Array(replicas) = &role[2] else {
        panic!("{role:?}")
    };
    assert_eq!(replicas.len(), 1);

    // WAIT counts the acknowledging replica.
    cmd(&mut m, &["SET", "waited", "1"]);
    assert_eq!(cmd(&mut m, &["WAIT", "1", "5000"]), Value::Int(1));
    // Asking for more than exist returns the count at the timeout.
    let t = Instant::now();
    assert_eq!(cmd(&mut m, &["WAIT", "2", "150"]), Value::Int(1));
    assert!(t.elapsed() >= Duration::from_millis(150));

    // A dropped link resumes from the backlog (+CONTINUE), not a full sync.
    cmd(&mut m, &["CLIENT", "KILL", "TYPE", "replica"]);
    load(&mut m, "after", 10);
    wait_caught_up(&mut m, &mut r);
    assert_eq!(contents(&mut m), contents(&mut r));
    let (full, partial_ok, _) = ember_replication::master::sync_counters(&ember.engine.lock());
    assert_eq!((full, partial_ok), (1, 1));
    let stats: String = redis::cmd("INFO").arg("stats").query(&mut m).unwrap();
    assert!(stats.contains("sync_full:1\r\n"), "{stats}");
    assert!(stats.contains("sync_partial_ok:1\r\n"), "{stats}");
}

#[test]
fn redis_replica_of_ember_master_diskless() {
    replica_of_ember(true);
}

#[test]
fn redis_replica_of_ember_master_disk_based() {
    replica_of_ember(false);
}

/// min-replicas-to-write: writes refused without enough good replicas,
/// accepted once a replica is online.
#[test]
fn min_replicas_to_write() {
    let ember = start_ember(config(true));
    let mut m = conn(ember.port);
    cmd(&mut m, &["CONFIG", "SET", "min-replicas-to-write", "1"]);
    let e: redis::RedisResult<Value> = redis::cmd("SET").arg("k").arg("v").query(&mut m);
    let e = e.unwrap_err();
    assert_eq!(e.code(), Some("NOREPLICAS"));
    assert_eq!(repl(&mut m, "min_slaves_good_slaves").as_deref(), Some("0"));
    // Reads still work.
    assert_eq!(cmd(&mut m, &["GET", "k"]), Value::Nil);
    let port = ember.port.to_string();
    let replica = RedisServer::start(&["--replicaof", "127.0.0.1", &port]);
    let mut r = conn(replica.port);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ok: redis::RedisResult<Value> = redis::cmd("SET").arg("k").arg("v").query(&mut m);
        if ok.is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "writes never accepted");
        std::thread::sleep(Duration::from_millis(50));
    }
    wait_caught_up(&mut m, &mut r);
    assert_eq!(cmd(&mut r, &["GET", "k"]), Value::BulkString(b"v".to_vec()));
    assert_eq!(repl(&mut m, "min_slaves_good_slaves").as_deref(), Some("1"));
}

/// WAIT's argument errors, its answer without replicas and inside MULTI,
/// and NOREPLICAS, compared with redis-server.
#[test]
fn wait_and_noreplicas_match_redis() {
    let mut d = Diff::new();
    d.check(&["WAIT", "x", "0"]);
    d.check(&["WAIT", "1", "x"]);
    d.check(&["WAIT", "1", "-1"]);
    d.check(&["WAIT", "1", "99999999999999999999"]);
    d.check(&["WAIT", "0", "0"]);
    d.check(&["WAIT", "-1", "10"]);
    d.check(&["WAIT", "1", "50"]);
    d.check(&["WAIT"]);
    d.check(&["MULTI"]);
    d.check(&["WAIT", "1", "0"]);
    d.check(&["EXEC"]);
    d.check(&["CONFIG", "SET", "min-replicas-to-write", "2"]);
    d.check(&["SET", "k", "v"]);
    d.check(&["GET", "k"]);
    d.check(&["MULTI"]);
    d.check(&["SET", "k", "v"]);
    d.check(&["EXEC"]);
    d.check(&["MULTI"]);
    d.check(&["GET", "k"]);
    d.check(&["EXEC"]);
    d.check(&["CONFIG", "SET", "min-replicas-max-lag", "0"]);
    d.check(&["SET", "k", "v"]);
    d.check(&["CONFIG", "SET", "repl-backlog-size", "1"]);
    d.check(&["CONFIG", "GET", "repl-backlog-size"]);
    d.check(&["REPLCONF", "foo", "bar"]);
    d.check(&["REPLCONF", "listening-port", "x"]);
    d.check(&["REPLCONF", "capa", "eof", "capa", "psync2"]);
    d.check(&["REPLCONF", "rdb-filter-only", "x"]);
    d.check(&["REPLCONF", "ip-address"]);
    d.check(&["PSYNC", "?", "x"]);
}

/// A raw replica connection: the handshake's replies and the PSYNC line.
fn raw_psync(port: u16, capa_psync2: bool, replid: &str, offset: &str) -> (TcpStream, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let capa = if capa_psync2 {
        "*5\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n$4\r\ncapa\r\n$6\r\npsync2\r\n"
    } else {
        "*3\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n"
    };
    s.write_all(capa.as_bytes()).unwrap();
    let mut ok = [0u8; 5];
    s.read_exact(&mut ok).unwrap();
    assert_eq!(&ok, b"+OK\r\n");
    let psync = format!(
        "*3\r\n$5\r\nPSYNC\r\n${}\r\n{replid}\r\n${}\r\n{offset}\r\n",
        replid.len(),
        offset.len()
    );
    s.write_all(psync.as_bytes()).unwrap();
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    loop {
        s.read_exact(&mut b).unwrap();
        if b[0] == b'\n' {
            if line.is_empty() {
                continue; // keepalive
            }
            break;
        }
        line.push(b[0]);
    }
    let line = String::from_utf8(line).unwrap();
    (s, line.trim_end().to_string())
}

/// PSYNC2: after the ids shift (as REPLICAOF NO ONE does), a replica of the
/// previous history continues partially up to where it ended, and only there.
#[test]
fn psync2_accepts_the_previous_replid() {
    let ember = start_ember(config(true));
    let mut m = conn(ember.port);
    cmd(&mut m, &["SET", "a", "1"]);
    // The first replica creates the backlog (and a new history).
    let (first, line) = raw_psync(ember.port, true, "?", "-1");
    let parts: Vec<&str> = line.split(' ').collect();
    assert_eq!(parts[0], "+FULLRESYNC", "{line}");
    let old = parts[1].to_string();
    assert_eq!(repl(&mut m, "master_replid").unwrap(), old);
    cmd(&mut m, &["SET", "b", "2"]);
    let offset: u64 = repl(&mut m, "master_repl_offset").unwrap().parse().unwrap();
    drop(first);
    ember_replication::ids::shift_replid(&mut ember.engine.lock());
    let new = repl(&mut m, "master_replid").unwrap();
    assert_ne!(new, old);
    assert_eq!(repl(&mut m, "master_replid2").unwrap(), old);
    let second = (offset + 1).to_string();
    assert_eq!(repl(&mut m, "second_repl_offset").unwrap(), second);
    // The old id up to second_repl_offset: +CONTINUE with the new id.
    let (_c1, line) = raw_psync(ember.port, true, &old, &second);
    assert_eq!(line, format!("+CONTINUE {new}"));
    // Without `capa psync2`, a bare +CONTINUE.
    let (_c2, line) = raw_psync(ember.port, false, &old, "2");
    assert_eq!(line, "+CONTINUE");
    // Past where the old history ended: a full resync.
    let past = (offset + 2).to_string();
    let (_c3, line) = raw_psync(ember.port, true, &old, &past);
    assert!(line.starts_with(&format!("+FULLRESYNC {new} ")), "{line}");
    // An unknown id: full resync too.
    let (_c4, line) = raw_psync(ember.port, true, &"f".repeat(40), "1");
    assert!(line.starts_with("+FULLRESYNC "), "{line}");
    let (full, partial_ok, partial_err) =
        ember_replication::master::sync_counters(&ember.engine.lock());
    assert_eq!((full, partial_ok, partial_err), (3, 2, 2));
}

/// repl-diskless-sync-delay batches replicas arriving together: one
/// snapshot, `$EOF:` framing, and `wait_bgsave` while waiting.
#[test]
fn diskless_delay_batches_replicas() {
    let mut cfg = config(true);
    cfg.repl_diskless_sync_delay = 1;
    let ember = start_ember(cfg);
    let mut m = conn(ember.port);
    cmd(&mut m, &["SET", "a", "1"]);
    let port = ember.port.to_string();
    let r1 = RedisServer::start(&["--replicaof", "127.0.0.1", &port]);
    let r2 = RedisServer::start(&["--replicaof", "127.0.0.1", &port]);
    std::thread::sleep(Duration::from_millis(200));
    let info: String = redis::cmd("INFO").arg("replication").query(&mut m).unwrap();
    assert!(info.contains("state=wait_bgsave"), "{info}");
    let (mut c1, mut c2) = (conn(r1.port), conn(r2.port));
    wait_caught_up(&mut m, &mut c1);
    wait_caught_up(&mut m, &mut c2);
    assert_eq!(
        cmd(&mut c2, &["GET", "a"]),
        Value::BulkString(b"1".to_vec())
    );
    let (full, _, _) = ember_replication::master::sync_counters(&ember.engine.lock());
    assert_eq!(full, 2);
}

/// PUBLISH reaches the replica's subscribers; expired keys leave the
/// replica as DELs from the master; SELECT follows the database in use.
#[test]
fn propagation_publish_expiry_select() {
    let ember = start_ember(config(true));
    let mut m = conn(ember.port);
    let port = ember.port.to_string();
    let replica = RedisServer::start(&["--replicaof", "127.0.0.1", &port]);
    let mut r = conn(replica.port);
    cmd(&mut m, &["SET", "x", "1"]);
    wait_caught_up(&mut m, &mut r);
    let sub_client = redis::Client::open(format!("redis://127.0.0.1:{}/", replica.port)).unwrap();
    let mut sub_conn = sub_client.get_connection().unwrap();
    sub_conn
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut ps = sub_conn.as_pubsub();
    ps.subscribe("news").unwrap();
    cmd(&mut m, &["PUBLISH", "news", "hello"]);
    let msg = ps.get_message().unwrap();
    assert_eq!(msg.get_payload::<String>().unwrap(), "hello");
    drop(ps);
    // Expiry: the replica keeps the key until the master's DEL.
    cmd(&mut m, &["SELECT", "3"]);
    cmd(&mut m, &["SET", "gone", "v", "PX", "30"]);
    cmd(&mut m, &["SET", "kept", "v"]);
    wait_caught_up(&mut m, &mut r);
    std::thread::sleep(Duration::from_millis(80));
    assert_eq!(cmd(&mut m, &["GET", "gone"]), Value::Nil);
    wait_caught_up(&mut m, &mut r);
    cmd(&mut r, &["SELECT", "3"]);
    assert_eq!(cmd(&mut r, &["DBSIZE"]), Value::Int(1));
    assert_eq!(
        cmd(&mut r, &["GET", "kept"]),
        Value::BulkString(b"v".to_vec())
    );
    assert_eq!(cmd(&mut r, &["EXISTS", "x"]), Value::Int(0));
}

/// What a master sends a raw `SYNC` replica within `listen`, after the
/// snapshot: keepalive newlines and the `$<len>` payload are skipped.
fn stream_after_sync(port: u16, listen: Duration) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"SYNC\r\n").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let mut got = Vec::new();
    let deadline = Instant::now() + listen;
    let mut buf = [0u8; 65536];
    while Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => continue,
        }
    }
    let start = got.iter().position(|&b| b != b'\n').expect("a snapshot");
    let rest = &got[start..];
    assert_eq!(rest[0], b'$', "{}", support::escape(rest));
    let eol = rest.iter().position(|&b| b == b'\n').unwrap();
    let len: usize = std::str::from_utf8(&rest[1..eol - 1])
        .unwrap()
        .parse()
        .unwrap();
    rest[eol + 1 + len..].to_vec()
}

/// Redis pings its replicas on the seconds that are multiples of
/// repl-ping-replica-period, counted from its start: a replica attaching
/// in between hears no PING until then (Ember pinged it at once).
#[test]
fn replicas_are_pinged_on_the_period() {
    let mut d = Diff::new();
    // Past the first second, when both count 0 and would ping.
    std::thread::sleep(Duration::from_millis(1100));
    d.check(&["CONFIG", "SET", "repl-ping-replica-period", "3600"]);
    d.check(&["SET", "k", "v"]);
    let ports = [("redis", d.redis_port()), ("ember", d.ember_port())];
    // Both servers at once: each listens for a while.
    let streams = |listen: Duration| {
        std::thread::scope(|s| {
            let handles =
                ports.map(|(name, port)| s.spawn(move || (name, stream_after_sync(port, listen))));
            handles.map(|h| h.join().unwrap())
        })
    };
    for (name, rest) in streams(Duration::from_millis(1500)) {
        assert!(rest.is_empty(), "{name}: {}", support::escape(&rest));
    }
    d.check(&["CONFIG", "SET", "repl-ping-replica-period", "1"]);
    for (name, rest) in streams(Duration::from_millis(2500)) {
        // Lower case, as Redis writes its shared "ping" object.
        let ping = b"*1\r\n$4\r\nping\r\n";
        assert!(
            rest.windows(ping.len()).any(|w| w == ping),
            "{name}: {}",
            support::escape(&rest)
        );
    }
}

/// INFO persistence's `rdb_bgsave_in_progress` of `port`.
fn bgsave_in_progress(port: u16) -> String {
    let mut c = support::RawConn::connect("server", port).unwrap();
    let support::Resp::Bulk(info) = c.cmd(&["INFO", "persistence"]) else {
        panic!("INFO did not answer a bulk string")
    };
    String::from_utf8(info)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("rdb_bgsave_in_progress:"))
        .unwrap()
        .to_string()
}

/// A diskless snapshot for a replica counts as a background save in INFO, as
/// Redis's RDB child does, for as long as it runs (here: until the replica,
/// which reads nothing, goes away).
#[test]
fn a_replica_snapshot_shows_as_a_bgsave_in_progress() {
    let mut d = Diff::with_debug();
    d.check(&["CONFIG", "SET", "repl-diskless-sync", "yes"]);
    d.check(&["CONFIG", "SET", "repl-diskless-sync-delay", "0"]);
    // 40 MB of values, uncompressed: more than the socket buffers and
    // Ember's transfer buffers (8 MB each side) take.
    d.check(&["CONFIG", "SET", "rdbcompression", "no"]);
    d.check(&["DEBUG", "POPULATE", "40000", "key", "1000"]);
    for (server, port) in [("redis", d.redis_port()), ("ember", d.ember_port())] {
        assert_eq!(bgsave_in_progress(port), "0", "{server}");
        // A small receive buffer, fixed before connecting (no autotuning up
        // to tens of MB), so the snapshot cannot all fit in the kernel.
        let socket =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        socket.set_recv_buffer_size(64 * 1024).unwrap();
        let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
        socket.connect(&addr.into()).unwrap();
        let mut replica: TcpStream = socket.into();
        // (A replica without the EOF capability would get a disk-based
        // transfer from Redis: the save ends once the file is written.)
        // (PSYNC is refused while a reply waits: REPLCONF's is read first.)
        replica
            .write_all(b"REPLCONF capa eof capa psync2\r\n")
            .unwrap();
        let mut ok = [0u8; 5];
        replica.read_exact(&mut ok).unwrap();
        assert_eq!(&ok, b"+OK\r\n", "{server}");
        replica.write_all(b"PSYNC ? -1\r\n").unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while bgsave_in_progress(port) != "1" {
            assert!(
                Instant::now() < deadline,
                "{server}: no snapshot in progress"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // Still going a moment later: the replica reads nothing.
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(bgsave_in_progress(port), "1", "{server}");
        drop(replica);
        let deadline = Instant::now() + Duration::from_secs(20);
        while bgsave_in_progress(port) != "0" {
            assert!(
                Instant::now() < deadline,
                "{server}: the snapshot never ended"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
