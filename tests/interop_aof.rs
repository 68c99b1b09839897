//! AOF interoperability with redis-server 7.0.15, both directions:
//! (a) Redis writes an `appendonlydir` (base from a rewrite, then incr
//!     writes with TTLs, MULTI/EXEC, several databases), Ember loads it;
//! (b) Ember writes one (writes, BGREWRITEAOF, more writes), a fresh
//!     redis-server starts from it;
//! (c) a legacy single-file `appendonly.aof` (commands, or an RDB preamble
//!     with a command tail) loads into both alike and is migrated alike;
//! (d) a torn final record is truncated by both at the same offset.
//! Each is run with `aof-use-rdb-preamble` yes and no. Contents are compared
//! key by key: type, encoding, TTL and full value.

mod support;

use ember::persistence;
use ember::{Config, Engine};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::{RawConn, RedisServer};

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ember-aof-interop-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// An in-process Ember server with `dir` as its directory and AOF on,
/// loaded from what `dir` holds.
fn ember_in(dir: &Path, preamble: bool) -> Result<ember::ServerHandle, String> {
    let config = Config {
        port: 0,
        dir: dir.to_string_lossy().into_owned(),
        save: Vec::new(),
        appendonly: true,
        aof_use_rdb_preamble: preamble,
        enable_debug_command: "yes".into(),
        ..Default::default()
    };
    let mut engine: Engine = persistence::build(Engine::builder().config(config));
    persistence::aof::open(&mut engine)?;
    Ok(ember::start_background(engine).expect("start Ember"))
}

fn redis_in(dir: &Path, preamble: bool, extra: &[&str]) -> RedisServer {
    let d = dir.to_string_lossy().into_owned();
    let p = if preamble { "yes" } else { "no" };
    let mut args = vec![
        "--dir",
        d.as_str(),
        "--appendonly",
        "yes",
        "--aof-use-rdb-preamble",
        p,
    ];
    args.extend_from_slice(&["--enable-debug-command", "yes"]);
    args.extend_from_slice(extra);
    RedisServer::start(&args)
}

fn s(x: &str) -> Vec<u8> {
    x.as_bytes().to_vec()
}

/// Every type and encoding, TTLs, several databases (before the rewrite).
fn dataset_before() -> Vec<Vec<Vec<u8>>> {
    let mut c: Vec<Vec<Vec<u8>>> = Vec::new();
    for (k, v) in [
        ("str", "hello"),
        ("empty", ""),
        ("int8", "-100"),
        ("int64", "9223372036854775807"),
        ("notint", "012"),
        ("float", "3.14"),
    ] {
        c.push(vec![s("SET"), s(k), s(v)]);
    }
    c.push(vec![s("SET"), s("binary"), b"a\x00b\r\n\xff\xfe".to_vec()]);
    c.push(vec![s("SET"), s("long"), vec![b'a'; 1000]]);
    c.push(vec![s("SET"), s("appended"), s("x")]);
    c.push(vec![s("APPEND"), s("appended"), s("yz")]);
    c.push(vec![
        s("RPUSH"),
        s("list:small"),
        s("a"),
        s("1"),
        s(""),
        b"\x00\xff".to_vec(),
    ]);
    let mut big = vec![s("RPUSH"), s("list:big")];
    big.extend((0..1000).map(|i| s(&format!("{}{i}", "v".repeat(i % 40)))));
    c.push(big);
    c.push(vec![
        s("HSET"),
        s("hash:small"),
        s("f"),
        s("v"),
        s("n"),
        s("42"),
    ]);
    let mut h = vec![s("HSET"), s("hash:big")];
    for i in 0..300 {
        h.push(s(&format!("field{i}")));
        h.push(s(&format!("value{}", i * 7)));
    }
    c.push(h);
    c.push(vec![s("SADD"), s("set:ints"), s("1"), s("2"), s("-40000")]);
    let mut si = vec![s("SADD"), s("set:bigints")];
    si.extend((0..700).map(|i| s(&(i * 3).to_string())));
    c.push(si);
    c.push(vec![
        s("SADD"),
        s("set:strs"),
        s("apple"),
        s("1"),
        b"\x00".to_vec(),
    ]);
    let mut ss = vec![s("SADD"), s("set:bigstrs")];
    ss.extend((0..300).map(|i| s(&format!("member:{i}"))));
    c.push(ss);
    let mut zs = vec![s("ZADD"), s("zset:small")];
    for (score, m) in [
        ("1", "one"),
        ("2.5", "x"),
        ("-inf", "bottom"),
        ("inf", "top"),
        ("0.1", "tenth"),
        ("1e100", "huge"),
    ] {
        zs.push(s(score));
        zs.push(s(m));
    }
    c.push(zs);
    let mut z = vec![s("ZADD"), s("zset:big")];
    for i in 0..300 {
        z.push(s(&format!("{}", (i as f64) / 7.0)));
        z.push(s(&format!("m{i}")));
    }
    c.push(z);
    c.push(vec![s("SET"), s("ttl:s"), s("v"), s("EX"), s("1000")]);
    c.push(vec![s("RPUSH"), s("ttl:list"), s("x")]);
    c.push(vec![s("EXPIRE"), s("ttl:list"), s("9000")]);
    for db in ["1", "15"] {
        c.push(vec![s("SELECT"), s(db)]);
        c.push(vec![s("SET"), s("in-db"), s(db)]);
        c.push(vec![s("SADD"), s("set-in-db"), s("x"), s(db)]);
    }
    c.push(vec![s("SELECT"), s("0")]);
    c
}

/// Writes after the rewrite: they live in the incr file only.
fn dataset_after() -> Vec<Vec<Vec<u8>>> {
    [
        "DEL str",
        "SET int8 changed",
        "SET ttl:px v PX 5000000",
        "SET ttl:gone v PX 1",
        "HSET ttl:hash a b",
        "PEXPIREAT ttl:hash 4102444800000",
        "PERSIST ttl:s",
        "INCRBYFLOAT float 1.5",
        "LPOP list:small",
        "ZINCRBY zset:small 10 one",
        "SREM set:bigints 3",
        "HDEL hash:big field1",
        "MULTI",
        "INCR counter",
        "RPUSH list:tx a b",
        "SELECT 7",
        "SET in-db 7",
        "EXEC",
        "SELECT 0",
        "SETEX ttl:setex 800 v",
        "GETEX notint EX 700",
    ]
    .iter()
    .map(|line| line.split(' ').map(s).collect())
    .collect()
}

fn run_all(conn: &mut RawConn, cmds: &[Vec<Vec<u8>>]) {
    for cmd in cmds {
        let r = conn.cmd(cmd);
        assert!(
            !r.is_error(),
            "{}: {}",
            support::show_command(cmd),
            r.text()
        );
    }
}

fn info_field(conn: &mut RawConn, field: &str) -> String {
    let text = conn.cmd(&["INFO", "persistence"]).text();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
        .unwrap_or_default()
}

/// Waits until the server finished loading its files (Redis answers INFO
/// but refuses data commands with -LOADING meanwhile).
fn connect_loaded(name: &'static str, port: u16) -> RawConn {
    let mut conn = RawConn::connect(name, port).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while info_field(&mut conn, "loading") != "0" {
        assert!(Instant::now() < deadline, "{name}: still loading");
        std::thread::sleep(Duration::from_millis(10));
    }
    conn
}

fn wait_rewrite(conn: &mut RawConn) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while info_field(conn, "aof_rewrite_in_progress") != "0" {
        assert!(
            Instant::now() < deadline,
            "{}: rewrite did not finish",
            conn.name
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(info_field(conn, "aof_last_bgrewrite_status"), "ok");
}

/// Writes, a rewrite, more writes; then DEBUG LOADAOF so the server holds
/// what loading its own files gives (encodings included).
fn write_history(conn: &mut RawConn) {
    run_all(conn, &dataset_before());
    assert_eq!(
        conn.cmd(&["BGREWRITEAOF"]).text(),
        "Background append only file rewriting started"
    );
    wait_rewrite(conn);
    run_all(conn, &dataset_after());
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(conn.cmd(&["DEBUG", "LOADAOF"]).text(), "OK");
}

/// Everything observable about every key, one line per key, with its PTTL.
fn snapshot(conn: &mut RawConn) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for db in 0..16 {
        conn.cmd(&["SELECT", &db.to_string()]);
        let mut keys: Vec<Vec<u8>> = conn
            .cmd(&["KEYS", "*"])
            .items()
            .iter()
            .map(|k| k.bytes().unwrap().to_vec())
            .collect();
        keys.sort();
        for k in keys {
            let ty = conn.cmd(&[&b"TYPE"[..], &k]).text();
            let enc = conn.cmd(&[&b"OBJECT"[..], b"ENCODING", &k]).text();
            let pttl = conn.cmd(&[&b"PTTL"[..], &k]).int();
            let value = match ty.as_str() {
                "string" => conn.cmd(&[&b"GET"[..], &k]),
                "list" => conn.cmd(&[&b"LRANGE"[..], &k, b"0", b"-1"]),
                "hash" => conn.cmd(&[&b"HGETALL"[..], &k]).sorted_pairs(),
                "set" => conn.cmd(&[&b"SMEMBERS"[..], &k]).sorted(),
                "zset" => conn.cmd(&[&b"ZRANGE"[..], &k, b"0", b"-1", b"WITHSCORES"]),
                other => panic!("unexpected type {other}"),
            };
            let line = format!(
                "db{db} {} {ty} {enc} ttl={} {:?}",
                support::escape(&k),
                pttl >= 0,
                value
            );
            out.push((line, pttl));
        }
    }
    conn.cmd(&["SELECT", "0"]);
    out
}

fn assert_same(ember: &[(String, i64)], redis: &[(String, i64)]) {
    let trim = |s: &str| s.chars().take(300).collect::<String>();
    for ((e, et), (r, rt)) in ember.iter().zip(redis) {
        assert!(e == r, "\nember: {}\nredis: {}", trim(e), trim(r));
        assert!(
            (et - rt).abs() < 10_000,
            "TTL differs for {}: {et} vs {rt}",
            trim(e)
        );
    }
    assert_eq!(ember.len(), redis.len(), "key counts differ");
}

/// The incremental files the manifest lists, in order, joined: redis-server
/// starts a new one when its start-up rewrite of the base file ends, which
/// on a busy machine can fall after the first commands.
fn incr_files(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for line in manifest(dir).lines().filter(|l| l.ends_with(" type i")) {
        let name = line.split(' ').nth(1).unwrap();
        out.extend(std::fs::read(dir.join("appendonlydir").join(name)).unwrap());
    }
    out
}

fn manifest(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap()
}

#[test]
fn redis_appendonlydir_loads_into_ember() {
    for preamble in [true, false] {
        let dir = tmpdir(&format!("r2e-{preamble}"));
        let redis = redis_in(&dir, preamble, &[]);
        let mut r = connect_loaded("redis", redis.port);
        write_history(&mut r);
        let expected = snapshot(&mut r);
        assert!(expected.len() > 25);
        drop(r);
        drop(redis);
        let ext = if preamble { "rdb" } else { "aof" };
        assert_eq!(
            manifest(&dir),
            format!(
                "file appendonly.aof.2.base.{ext} seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
            )
        );
        let ember = ember_in(&dir, preamble).expect("Ember loads Redis's AOF");
        let mut e = RawConn::connect("ember", ember.port).unwrap();
        assert_same(&snapshot(&mut e), &expected);
        assert_eq!(info_field(&mut e, "aof_enabled"), "1");
        drop(e);
        drop(ember);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn ember_appendonlydir_loads_into_redis() {
    for preamble in [true, false] {
        let dir = tmpdir(&format!("e2r-{preamble}"));
        let ember = ember_in(&dir, preamble).unwrap();
        let mut e = RawConn::connect("ember", ember.port).unwrap();
        write_history(&mut e);
        let expected = snapshot(&mut e);
        assert!(expected.len() > 25);
        drop(e);
        drop(ember);
        let ext = if preamble { "rdb" } else { "aof" };
        assert_eq!(
            manifest(&dir),
            format!(
                "file appendonly.aof.2.base.{ext} seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
            )
        );
        let redis = redis_in(&dir, preamble, &[]);
        let mut r = connect_loaded("redis", redis.port);
        assert_same(&expected, &snapshot(&mut r));
        drop(r);
        drop(redis);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Puts `bytes` as a legacy `appendonly.aof` in two fresh directories,
/// starts both servers there and compares what they load and how they
/// migrate the file.
fn legacy_case(name: &str, bytes: &[u8]) {
    let (rd, ed) = (tmpdir(&format!("{name}-r")), tmpdir(&format!("{name}-e")));
    std::fs::write(rd.join("appendonly.aof"), bytes).unwrap();
    std::fs::write(ed.join("appendonly.aof"), bytes).unwrap();
    let redis = redis_in(&rd, true, &[]);
    let ember = ember_in(&ed, true).expect("Ember loads a legacy AOF");
    let mut r = connect_loaded("redis", redis.port);
    let mut e = RawConn::connect("ember", ember.port).unwrap();
    let expected = snapshot(&mut r);
    assert!(!expected.is_empty());
    assert_same(&snapshot(&mut e), &expected);
    assert_eq!(manifest(&ed), manifest(&rd));
    assert_eq!(
        manifest(&ed),
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    assert!(!ed.join("appendonly.aof").exists());
    drop((r, e, redis, ember));
    let _ = std::fs::remove_dir_all(&rd);
    let _ = std::fs::remove_dir_all(&ed);
}

#[test]
fn legacy_single_file_aof_loads_like_redis() {
    // Plain commands, as Redis before 7.0 wrote them.
    let mut text = Vec::new();
    for cmd in dataset_before().iter().chain(&dataset_after()) {
        text.extend_from_slice(&support::encode_command(cmd));
    }
    legacy_case("legacy-cmds", &text);
    // An RDB preamble followed by a command tail: Redis's own base RDB and
    // incr file, concatenated.
    let dir = tmpdir("legacy-src");
    let redis = redis_in(&dir, true, &[]);
    let mut r = connect_loaded("redis", redis.port);
    run_all(&mut r, &dataset_before());
    r.cmd(&["BGREWRITEAOF"]);
    wait_rewrite(&mut r);
    run_all(&mut r, &dataset_after());
    drop((r, redis));
    let aof = dir.join("appendonlydir");
    let mut bytes = std::fs::read(aof.join("appendonly.aof.2.base.rdb")).unwrap();
    bytes.extend(std::fs::read(aof.join("appendonly.aof.2.incr.aof")).unwrap());
    legacy_case("legacy-preamble", &bytes);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn torn_tail_is_truncated_like_redis() {
    let src = tmpdir("torn-src");
    let redis = redis_in(&src, true, &[]);
    let mut r = connect_loaded("redis", redis.port);
    run_all(&mut r, &dataset_before());
    run_all(&mut r, &dataset_after());
    drop((r, redis));
    let incr = "appendonlydir/appendonly.aof.1.incr.aof";
    let mut torn = std::fs::read(src.join(incr)).unwrap();
    let whole = torn.len();
    torn.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$4\r\ntorn\r\n$5\r\nabc");
    std::fs::write(src.join(incr), &torn).unwrap();
    let copy = |name: &str| {
        let d = tmpdir(name);
        std::fs::create_dir_all(d.join("appendonlydir")).unwrap();
        for f in std::fs::read_dir(src.join("appendonlydir")).unwrap() {
            let f = f.unwrap();
            std::fs::copy(f.path(), d.join("appendonlydir").join(f.file_name())).unwrap();
        }
        d
    };
    let (rd, ed, strict) = (copy("torn-r"), copy("torn-e"), copy("torn-strict"));
    let redis = redis_in(&rd, true, &[]);
    let ember = ember_in(&ed, true).unwrap();
    let mut r = connect_loaded("redis", redis.port);
    let mut e = RawConn::connect("ember", ember.port).unwrap();
    assert_same(&snapshot(&mut e), &snapshot(&mut r));
    // Both cut the torn record off (what follows it, if anything, is a DEL
    // of an expired key written since).
    for d in [&ed, &rd] {
        let now = std::fs::read(d.join(incr)).unwrap();
        assert_eq!(now[..whole], torn[..whole]);
        assert!(
            !now[whole..].windows(4).any(|w| w == b"torn"),
            "{}",
            d.display()
        );
    }
    drop((r, e, redis, ember));
    // With aof-load-truncated no, neither starts.
    let config = Config {
        dir: strict.to_string_lossy().into_owned(),
        appendonly: true,
        aof_load_truncated: false,
        ..Default::default()
    };
    let mut engine: Engine = persistence::build(Engine::builder().config(config));
    assert!(persistence::aof::open(&mut engine).is_err());
    let mut child = std::process::Command::new("redis-server")
        .args([
            "--port",
            "0",
            "--appendonly",
            "yes",
            "--aof-load-truncated",
            "no",
            "--dir",
        ])
        .arg(&strict)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(
        status.is_some_and(|st| !st.success()),
        "redis-server refuses the torn AOF"
    );
    for d in [src, rd, ed, strict] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// Replaces absolute unix times in ms (13 digits starting with 1) by `T`,
/// so files written a few ms apart compare equal.
fn normalize_times(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"$13\r\n1")
            && bytes.len() >= i + 18
            && bytes[i + 5..i + 18].iter().all(u8::is_ascii_digit)
        {
            out.extend_from_slice(b"$1\r\nT");
            i += 18;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

#[test]
fn incr_file_matches_redis_byte_for_byte() {
    let (rd, ed) = (tmpdir("bytes-r"), tmpdir("bytes-e"));
    let redis = redis_in(&rd, true, &[]);
    let ember = ember_in(&ed, true).unwrap();
    let mut r = connect_loaded("redis", redis.port);
    let mut e = RawConn::connect("ember", ember.port).unwrap();
    let script = [
        "SET a 1 EX 100",
        "SET b 2 PX 100000 GET",
        "SETEX c 100 v",
        "PSETEX d 100000 v",
        "EXPIRE a 200",
        "PEXPIRE b 300000",
        "EXPIREAT c 4102444800",
        "GETEX d EX 50",
        "GETEX a PERSIST",
        "SET e 5 KEEPTTL",
        "INCRBYFLOAT f 1.5",
        "HINCRBYFLOAT h f 2.5",
        "SADD s a",
        "SPOP s",
        "LPUSH l a b c",
        "BLPOP l 0",
        "BLMOVE l l2 LEFT RIGHT 0",
        "RPOPLPUSH l l2",
        "LMPOP 1 l2 LEFT COUNT 1",
        "ZADD z 1 a 2 b 3 c",
        "ZPOPMIN z",
        "BZPOPMAX z 0",
        "ZMPOP 1 z MIN",
        "EXPIRE nokey 10",
        "SET x 1",
        "EXPIRE x -1",
        "SET y 1",
        "PEXPIREAT y 1",
        "GETDEL e",
        "MSET m1 1 m2 2",
        "SETNX m1 3",
        "MULTI",
        "INCR n",
        "SELECT 2",
        "INCR n",
        "EXEC",
        "SELECT 5",
        "SET k v",
        "FLUSHDB",
        "FLUSHALL",
    ];
    for line in script {
        let argv: Vec<&str> = line.split(' ').collect();
        let (er, rr) = (e.cmd(&argv), r.cmd(&argv));
        assert_eq!(format!("{er:?}"), format!("{rr:?}"), "{line}");
    }
    // With appendfsync everysec a server may hold its write back while a
    // background fsync runs (Redis postpones it up to 2 s): wait for both.
    let deadline = Instant::now() + Duration::from_secs(5);
    let (eb, rb) = loop {
        std::thread::sleep(Duration::from_millis(20));
        let eb = normalize_times(&incr_files(&ed));
        let rb = normalize_times(&incr_files(&rd));
        if eb == rb || Instant::now() > deadline {
            break (eb, rb);
        }
    };
    assert!(
        eb == rb,
        "\nember: {}\nredis: {}",
        support::escape(&eb),
        support::escape(&rb)
    );
    drop((r, e, redis, ember));
    let _ = std::fs::remove_dir_all(&rd);
    let _ = std::fs::remove_dir_all(&ed);
}
