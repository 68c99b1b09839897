//! Ember as a replica: of a real redis-server 7.0 master (diskless and
//! disk-based full sync), of an Ember master, chained (A -> B -> C), after a
//! link drop (partial resync), and promoted with REPLICAOF NO ONE so that
//! another replica of the old master continues partially from it. Also
//! READONLY, MASTERDOWN and ROLE/INFO on a replica.

mod support;

use redis::{Connection, Value};
use std::time::{Duration, Instant};
use support::repl::{cmd, contents, info_field, load_small_keys, repl, wait_caught_up};
use support::{start_ember, RedisServer};

fn conn(port: u16) -> Connection {
    let c = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
    let con = c.get_connection().unwrap();
    con.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    con
}

/// The error text of a command expected to fail.
fn err(c: &mut Connection, args: &[&str]) -> String {
    let mut q = redis::cmd(args[0]);
    for a in &args[1..] {
        q.arg(*a);
    }
    match q.query::<Value>(c) {
        Ok(v) => panic!("{args:?} succeeded: {v:?}"),
        Err(e) => format!("{} {}", e.code().unwrap_or(""), e.detail().unwrap_or("")),
    }
}

/// Writes covering every type Ember has (small and large encodings), in two
/// databases, with TTLs, deletes and pops.
fn load(c: &mut Connection, tag: &str, n: usize) {
    for db in [0, 3] {
        cmd(c, &["SELECT", &db.to_string()]);
        load_small_keys(c, tag, n);
        // Large encodings (hashtable, skiplist, quicklist, intset -> hashtable).
        let big = format!("{tag}:big");
        let mut h = vec!["HSET".to_string(), format!("{big}:h")];
        let mut z = vec!["ZADD".to_string(), format!("{big}:z")];
        let mut l = vec!["RPUSH".to_string(), format!("{big}:l")];
        let mut s = vec!["SADD".to_string(), format!("{big}:s")];
        for j in 0..300 {
            h.extend([format!("f{j}"), "x".repeat(j % 70)]);
            z.extend([format!("{}", j as f64 / 3.0), format!("m{j}")]);
            l.push(format!("e{j}"));
            s.push(j.to_string());
        }
        for v in [h, z, l, s] {
            let v: Vec<&str> = v.iter().map(String::as_str).collect();
            cmd(c, &v);
        }
    }
    cmd(c, &["SELECT", "0"]);
}

/// Equal contents, or a short report of the first difference.
fn same(a: &[String], b: &[String], what: &str) {
    if a == b {
        return;
    }
    let first = a.iter().zip(b).position(|(x, y)| x != y);
    let show = |v: &[String], i: Option<usize>| {
        i.and_then(|i| v.get(i))
            .map(|s| s.chars().take(300).collect::<String>())
    };
    panic!(
        "{what}: {} vs {} entries; first difference: {:?} vs {:?}",
        a.len(),
        b.len(),
        show(a, first),
        show(b, first)
    );
}

fn stat(c: &mut Connection, name: &str) -> u64 {
    info_field(c, "stats", name).unwrap().parse().unwrap()
}

fn replicaof(c: &mut Connection, port: u16) {
    let r = cmd(c, &["REPLICAOF", "127.0.0.1", &port.to_string()]);
    assert_eq!(r, Value::Okay);
}

/// A fresh directory for one server's files (`dir`).
fn temp_dir() -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ember-repl-r-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An in-process Ember that starts full syncs at once (no diskless delay),
/// with its own `dir` (disk-based loads write `dbfilename` there).
fn ember_server() -> ember::ServerHandle {
    ember_server_with(true)
}

fn ember_server_with(diskless: bool) -> ember::ServerHandle {
    start_ember(ember::Config {
        repl_diskless_sync: diskless,
        repl_diskless_sync_delay: 0,
        dir: temp_dir().to_string_lossy().into_owned(),
        save: vec![],
        enable_debug_command: "yes".into(),
        ..Default::default()
    })
}

/// The files in a server's `dir`.
fn dir_files(server: &ember::ServerHandle) -> Vec<String> {
    let dir = server.engine.lock().config.dir.clone();
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

/// Writes from another connection while the caller syncs.
fn background_writes(port: u16, tag: &'static str, n: usize) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut w = conn(port);
        load(&mut w, tag, n);
    })
}

#[test]
fn ember_replica_of_redis_master() {
    let master = RedisServer::start(&[
        "--repl-diskless-sync-delay",
        "0",
        "--enable-debug-command",
        "yes",
    ]);
    let mut m = conn(master.port);
    load(&mut m, "pre", 30);
    let ember = ember_server();
    let mut r = conn(ember.port);
    cmd(&mut r, &["SET", "stale", "gone after the sync"]);
    let writer = background_writes(master.port, "live", 20);
    replicaof(&mut r, master.port);
    let again = cmd(
        &mut r,
        &["REPLICAOF", "127.0.0.1", &master.port.to_string()],
    );
    assert_eq!(
        again,
        Value::SimpleString("OK Already connected to specified master".into())
    );
    writer.join().unwrap();
    wait_caught_up(&mut m, &mut r);
    let (a, b) = (contents(&mut m), contents(&mut r));
    assert!(a.len() > 300, "dataset too small: {}", a.len());
    same(&a, &b, "redis master vs replica");
    // Ember's fingerprint of what it replicated is the master's own.
    let digest = |c: &mut Connection| cmd(c, &["DEBUG", "DIGEST"]);
    assert_eq!(digest(&mut m), digest(&mut r));
    assert_eq!(stat(&mut m, "sync_full"), 1);
    // Disk load (repl-diskless-load disabled): the transfer went through
    // temp-<unixtime>.<pid>.rdb, renamed to dbfilename.
    assert_eq!(dir_files(&ember), ["dump.rdb"]);

    // Replica introspection and refusals.
    assert_eq!(repl(&mut r, "role").as_deref(), Some("slave"));
    assert_eq!(repl(&mut r, "master_port"), Some(master.port.to_string()));
    assert_eq!(
        repl(&mut r, "master_sync_in_progress").as_deref(),
        Some("0")
    );
    assert_eq!(repl(&mut m, "master_replid"), repl(&mut r, "master_replid"));
    let Value::Array(role) = cmd(&mut r, &["ROLE"]) else {
        panic!("ROLE")
    };
    assert_eq!(role[0], Value::BulkString(b"slave".to_vec()));
    assert_eq!(role[2], Value::Int(master.port as i64));
    assert_eq!(role[3], Value::BulkString(b"connected".to_vec()));
    assert_eq!(
        err(&mut r, &["SET", "k", "v"]),
        "READONLY You can't write against a read only replica."
    );
    let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut r).unwrap();
    assert!(list.contains("flags=M"), "{list}");

    // Link drop: CLIENT KILL TYPE master, then a partial resync.
    cmd(&mut r, &["CLIENT", "KILL", "TYPE", "master"]);
    load(&mut m, "after", 5);
    wait_caught_up(&mut m, &mut r);
    same(&contents(&mut m), &contents(&mut r), "after partial");
    assert_eq!(stat(&mut m, "sync_partial_ok"), 1);
    assert_eq!(stat(&mut m, "sync_full"), 1);
    // The master closing the connection: partial again.
    cmd(&mut m, &["CLIENT", "KILL", "TYPE", "replica"]);
    load(&mut m, "after2", 3);
    wait_caught_up(&mut m, &mut r);
    same(
        &contents(&mut m),
        &contents(&mut r),
        "after master-side kill",
    );
    assert_eq!(stat(&mut m, "sync_partial_ok"), 2);
    assert_eq!(stat(&mut m, "sync_full"), 1);

    // A disk-based transfer (`$<len>`) to a second Ember replica.
    cmd(&mut m, &["CONFIG", "SET", "repl-diskless-sync", "no"]);
    let ember2 = ember_server();
    let mut r2 = conn(ember2.port);
    replicaof(&mut r2, master.port);
    let writer = background_writes(master.port, "live2", 10);
    writer.join().unwrap();
    wait_caught_up(&mut m, &mut r2);
    same(&contents(&mut m), &contents(&mut r2), "disk-based");
    assert_eq!(dir_files(&ember2), ["dump.rdb"]);
    assert_eq!(repl(&mut m, "connected_slaves").as_deref(), Some("2"));

    // Expiry stays with the master: the replica hides, the master deletes.
    cmd(&mut m, &["SET", "short", "x", "PX", "50"]);
    wait_caught_up(&mut m, &mut r);
    std::thread::sleep(Duration::from_millis(120));
    assert_eq!(cmd(&mut r, &["GET", "short"]), Value::Nil);
    assert_eq!(cmd(&mut m, &["GET", "short"]), Value::Nil);
    wait_caught_up(&mut m, &mut r);
    assert_eq!(cmd(&mut r, &["EXISTS", "short"]), Value::Int(0));
}

#[test]
fn masterdown_and_replicaof_errors() {
    let ember = ember_server();
    let mut r = conn(ember.port);
    // Arguments, as Redis 7.0 answers them.
    assert_eq!(
        err(&mut r, &["REPLICAOF", "127.0.0.1", "99999"]),
        "ERR Invalid master port"
    );
    assert_eq!(
        err(&mut r, &["REPLICAOF", "127.0.0.1", "x"]),
        "ERR Invalid master port"
    );
    assert_eq!(
        err(&mut r, &["SLAVEOF", "127.0.0.1"]),
        "ERR wrong number of arguments for 'slaveof' command"
    );
    assert_eq!(cmd(&mut r, &["REPLICAOF", "NO", "ONE"]), Value::Okay);
    cmd(&mut r, &["SET", "k", "v"]);
    // A master that is not there: the link stays down.
    let dead = support::free_port();
    replicaof(&mut r, dead);
    assert_eq!(cmd(&mut r, &["GET", "k"]), Value::BulkString(b"v".to_vec()));
    assert_eq!(repl(&mut r, "master_link_status").as_deref(), Some("down"));
    assert_eq!(
        repl(&mut r, "master_link_down_since_seconds").as_deref(),
        Some("-1")
    );
    cmd(&mut r, &["CONFIG", "SET", "replica-serve-stale-data", "no"]);
    assert_eq!(
        err(&mut r, &["GET", "k"]),
        "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
    );
    // Commands flagged `stale` still run.
    assert!(repl(&mut r, "role").is_some());
    cmd(&mut r, &["CONFIG", "SET", "replica-read-only", "no"]);
    cmd(
        &mut r,
        &["CONFIG", "SET", "replica-serve-stale-data", "yes"],
    );
    assert_eq!(cmd(&mut r, &["SET", "k", "w"]), Value::Okay);
    assert_eq!(cmd(&mut r, &["REPLICAOF", "NO", "ONE"]), Value::Okay);
    assert_eq!(repl(&mut r, "role").as_deref(), Some("master"));
    assert_eq!(cmd(&mut r, &["GET", "k"]), Value::BulkString(b"w".to_vec()));
}

#[test]
fn ember_chain_and_promotion() {
    // A sends disk-based payloads (its BGSAVE file), B diskless ones.
    let a = ember_server_with(false);
    let b = ember_server();
    let c = ember_server();
    let d = ember_server();
    let (mut ma, mut mb, mut mc, mut md) = (conn(a.port), conn(b.port), conn(c.port), conn(d.port));
    load(&mut ma, "pre", 20);
    // A -> B -> C, and A -> D.
    replicaof(&mut mb, a.port);
    let writer = background_writes(a.port, "live", 10);
    replicaof(&mut md, a.port);
    wait_caught_up(&mut ma, &mut mb);
    replicaof(&mut mc, b.port);
    writer.join().unwrap();
    load(&mut ma, "after", 5);
    wait_caught_up(&mut ma, &mut mb);
    wait_caught_up(&mut mb, &mut mc);
    wait_caught_up(&mut ma, &mut md);
    let want = contents(&mut ma);
    assert!(want.len() > 200);
    same(&want, &contents(&mut mb), "A vs B");
    same(&want, &contents(&mut mc), "A vs C (chained)");
    same(&want, &contents(&mut md), "A vs D");
    // The chain carries the master's stream: same id and offsets.
    assert_eq!(
        repl(&mut ma, "master_replid"),
        repl(&mut mc, "master_replid")
    );

    // Promotion: B becomes a master; D, a replica of the old master, moves
    // to B and continues partially (PSYNC2: B keeps A's id as replid2).
    let old_id = repl(&mut mb, "master_replid");
    assert_eq!(cmd(&mut mb, &["REPLICAOF", "NO", "ONE"]), Value::Okay);
    assert_eq!(repl(&mut mb, "role").as_deref(), Some("master"));
    assert_eq!(repl(&mut mb, "master_replid2"), old_id);
    assert_ne!(repl(&mut mb, "master_replid"), old_id);
    assert_eq!(cmd(&mut mb, &["SET", "after-promotion", "1"]), Value::Okay);
    replicaof(&mut md, b.port);
    wait_caught_up(&mut mb, &mut md);
    // C, still B's replica, reconnected after the id change: partially too.
    wait_caught_up(&mut mb, &mut mc);
    let want = contents(&mut mb);
    same(&want, &contents(&mut md), "B vs D after promotion");
    same(&want, &contents(&mut mc), "B vs C after promotion");
    let (full, partial, _) = ember_replication::master::sync_counters(&b.engine.lock());
    assert_eq!(full, 1, "only C's first sync was full");
    assert!(partial >= 2, "C and D continued partially: {partial}");
}

#[test]
fn replicaof_replies_match_redis() {
    let mut d = support::Diff::new();
    d.check(&["REPLICAOF", "NO", "ONE"]);
    d.check(&["SLAVEOF", "no", "one"]);
    d.check(&["REPLICAOF", "127.0.0.1", "99999"]);
    d.check(&["REPLICAOF", "127.0.0.1", "-1"]);
    d.check(&["REPLICAOF", "127.0.0.1", "port"]);
    d.check(&["REPLICAOF", "127.0.0.1"]);
    d.check(&["SLAVEOF", "a", "b", "c"]);
    d.check(&["ROLE"]);
    d.check(&["ROLE", "x"]);
}

/// The raw bytes a blocked BLPOP and a blocked WAIT receive when their
/// server becomes a replica, read until the server closes the connection.
fn force_unblocked(port: u16, master_port: u16) -> Vec<Vec<u8>> {
    use std::io::{Read, Write};
    let blocked: Vec<std::net::TcpStream> = [
        "*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n",
        "*3\r\n$8\r\nBZPOPMIN\r\n$1\r\nz\r\n$1\r\n0\r\n",
    ]
    .iter()
    .map(|req| {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(req.as_bytes()).unwrap();
        s
    })
    .collect();
    let mut c = conn(port);
    let deadline = Instant::now() + Duration::from_secs(5);
    while info_field(&mut c, "clients", "blocked_clients").as_deref() != Some("2") {
        assert!(Instant::now() < deadline, "clients never blocked");
        std::thread::sleep(Duration::from_millis(10));
    }
    replicaof(&mut c, master_port);
    blocked
        .into_iter()
        .map(|mut s| {
            let mut out = Vec::new();
            s.read_to_end(&mut out).unwrap();
            out
        })
        .collect()
}

/// REPLICAOF host port on a master with blocked clients: each gets Redis's
/// UNBLOCKED error and its connection is closed (disconnectAllBlockedClients).
#[test]
fn replicaof_force_unblocks_blocked_clients() {
    let master = RedisServer::start(&[]);
    let redis = RedisServer::start(&[]);
    let want = force_unblocked(redis.port, master.port);
    assert_eq!(
        want[0],
        b"-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n"
    );
    let ember = ember_server();
    assert_eq!(force_unblocked(ember.port, master.port), want);
}

/// The in-process `Ember` has no link: REPLICAOF host port is refused.
#[test]
fn embedded_replicaof_is_refused() {
    let mut db = ember::Ember::new();
    let ember::Reply::Error(text) = db.execute(["REPLICAOF", "127.0.0.1", "6379"]) else {
        panic!("REPLICAOF accepted")
    };
    assert!(text.starts_with("ERR REPLICAOF is not available"), "{text}");
    let ember::Reply::Array(role) = db.execute(["ROLE"]) else {
        panic!("ROLE")
    };
    assert_eq!(role[0], ember::Reply::bulk("master"));
    assert_eq!(db.execute(["REPLICAOF", "NO", "ONE"]), ember::Reply::OK);
}
