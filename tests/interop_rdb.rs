//! RDB interoperability with redis-server 7.0.15, both directions:
//! (a) Redis saves every type and encoding, Ember loads the file;
//! (b) Ember saves, a fresh redis-server starts from that file;
//! (c) DUMP from one server RESTOREs into the other, for every key (and the
//!     payload bytes are identical wherever the encoding has a fixed order).
//! Contents are compared key by key: type, encoding, TTL and full value.

mod support;

use ember::persistence;
use ember::{Config, Engine};
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use support::{RawConn, RedisServer, Resp};

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ember-interop-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// An in-process Ember server with persistence, `dir` as its directory,
/// optionally loaded from `dir`/dump.rdb first.
fn ember_server(dir: &Path, load: bool, tweak: impl FnOnce(&mut Config)) -> ember::ServerHandle {
    let mut config = Config {
        port: 0,
        dir: dir.to_string_lossy().into_owned(),
        save: Vec::new(),
        enable_debug_command: "yes".into(),
        ..Default::default()
    };
    tweak(&mut config);
    let mut engine: Engine = persistence::build(Engine::builder().config(config));
    if load {
        let stats = persistence::load_file(&mut engine, dir.join("dump.rdb")).expect("Ember loads");
        assert!(stats.keys_loaded > 0);
    }
    ember::start_background(engine).expect("start Ember")
}

fn redis_in(dir: &Path, extra: &[&str]) -> RedisServer {
    let d = dir.to_string_lossy().into_owned();
    let mut args = vec!["--dir", d.as_str()];
    args.extend_from_slice(extra);
    RedisServer::start(&args)
}

/// The commands that build the dataset: every type and encoding, TTLs and
/// several databases.
fn dataset() -> Vec<Vec<Vec<u8>>> {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(2024);
    let mut cmds: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut c = |parts: Vec<Vec<u8>>| cmds.push(parts);
    let s = |x: &str| x.as_bytes().to_vec();
    for (k, v) in [
        ("str", "hello"),
        ("empty", ""),
        ("int0", "0"),
        ("int8", "-100"),
        ("int16", "30000"),
        ("int32", "-2000000000"),
        ("int64", "9223372036854775807"),
        ("intmin", "-9223372036854775808"),
        ("notint", "012"),
        ("float", "3.14"),
        ("s21", "abcdefghijabcdefghijX"),
    ] {
        c(vec![s("SET"), s(k), s(v)]);
    }
    c(vec![s("SET"), s("binary"), b"a\x00b\r\n\xff\xfe".to_vec()]);
    c(vec![s("SET"), s("compressible"), vec![b'a'; 1000]]);
    c(vec![
        s("SET"),
        s("words"),
        s(&"the quick brown fox ".repeat(30)),
    ]);
    let noise: Vec<u8> = (0..300).map(|_| rng.gen()).collect();
    c(vec![s("SET"), s("noise"), noise]);
    c(vec![s("SET"), s("appended"), s("x")]);
    c(vec![s("APPEND"), s("appended"), s("yz")]);
    // Lists.
    c(vec![
        s("RPUSH"),
        s("list:small"),
        s("a"),
        s("1"),
        s("-5"),
        s("300"),
        s(""),
        b"\x00\xff".to_vec(),
    ]);
    let mut big = vec![s("RPUSH"), s("list:big")];
    for i in 0..2000 {
        big.push(s(&format!("{}{}", "v".repeat(i % 50), i)));
    }
    c(big);
    c(vec![
        s("RPUSH"),
        s("list:long"),
        vec![b'L'; 10000],
        s("short"),
        vec![b'M'; 70000],
    ]);
    let mut ints = vec![s("RPUSH"), s("list:ints")];
    for i in [
        0i64,
        127,
        128,
        4095,
        -4096,
        32767,
        -32768,
        8388607,
        -8388608,
        2147483647,
        i64::MIN,
        i64::MAX,
    ] {
        ints.push(s(&i.to_string()));
    }
    c(ints);
    // Hashes.
    c(vec![
        s("HSET"),
        s("hash:small"),
        s("f"),
        s("v"),
        s("n"),
        s("42"),
        s("neg"),
        s("-7"),
        s(""),
        s("e"),
    ]);
    let mut h = vec![s("HSET"), s("hash:big")];
    for i in 0..600 {
        h.push(s(&format!("field{i}")));
        h.push(s(&format!("value{}", i * 7)));
    }
    c(h);
    c(vec![s("HSET"), s("hash:longval"), s("f"), vec![b'h'; 100]]);
    // Sets.
    c(vec![
        s("SADD"),
        s("set:ints"),
        s("1"),
        s("2"),
        s("3"),
        s("-40000"),
    ]);
    c(vec![
        s("SADD"),
        s("set:int64"),
        s("9223372036854775807"),
        s("-9223372036854775808"),
        s("0"),
    ]);
    let mut si = vec![s("SADD"), s("set:bigints")];
    for i in 0..700 {
        si.push(s(&(i * 3).to_string()));
    }
    c(si);
    c(vec![
        s("SADD"),
        s("set:strs"),
        s("apple"),
        s("banana"),
        s("1"),
        b"\x00".to_vec(),
    ]);
    let mut ss = vec![s("SADD"), s("set:bigstrs")];
    for i in 0..300 {
        ss.push(s(&format!("member:{i}")));
    }
    c(ss);
    // Sorted sets.
    c(vec![
        s("ZADD"),
        s("zset:small"),
        s("1"),
        s("one"),
        s("2.5"),
        s("twoandhalf"),
        s("-3"),
        s("neg"),
        s("inf"),
        s("top"),
        s("-inf"),
        s("bottom"),
        s("0.1"),
        s("tenth"),
        s("1e100"),
        s("huge"),
        s("4503599627370496"),
        s("p52"),
        s("1"),
        s("1"),
    ]);
    let mut z = vec![s("ZADD"), s("zset:big")];
    for i in 0..300 {
        z.push(s(&format!("{}", (i as f64) / 7.0)));
        z.push(s(&format!("m{i}")));
    }
    c(z);
    c(vec![
        s("ZADD"),
        s("zset:longmember"),
        s("5"),
        vec![b'z'; 100],
        s("6"),
        s("short"),
    ]);
    // TTLs, in seconds and milliseconds.
    c(vec![s("SET"), s("ttl:s"), s("v"), s("EX"), s("1000")]);
    c(vec![s("SET"), s("ttl:ms"), s("v"), s("PX"), s("5000000")]);
    c(vec![s("RPUSH"), s("ttl:list"), s("x")]);
    c(vec![s("EXPIRE"), s("ttl:list"), s("9000")]);
    c(vec![s("HSET"), s("ttl:hash"), s("a"), s("b")]);
    c(vec![s("PEXPIREAT"), s("ttl:hash"), s("4102444800000")]);
    // Other databases.
    for db in ["1", "7", "15"] {
        c(vec![s("SELECT"), s(db)]);
        c(vec![s("SET"), s("in-db"), s(db)]);
        c(vec![s("SADD"), s("set-in-db"), s("x"), s(db)]);
    }
    c(vec![s("SELECT"), s("0")]);
    cmds
}

fn populate(conn: &mut RawConn) {
    for cmd in dataset() {
        let r = conn.cmd(&cmd);
        assert!(
            !r.is_error(),
            "{}: {}",
            support::show_command(&cmd),
            r.text()
        );
    }
}

/// Everything observable about every key, one line per key.
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
    assert_eq!(ember.len(), redis.len(), "key counts differ");
    for ((e, et), (r, rt)) in ember.iter().zip(redis) {
        assert!(e == r, "\nember: {}\nredis: {}", trim(e), trim(r));
        assert!(
            (et - rt).abs() < 10_000,
            "TTL differs for {}: {et} vs {rt}",
            trim(e)
        );
    }
}

fn trim(s: &str) -> String {
    s.chars().take(300).collect()
}

#[test]
fn redis_file_loads_into_ember() {
    let dir = tmpdir("r2e");
    let redis = redis_in(&dir, &["--enable-debug-command", "yes"]);
    let mut r = RawConn::connect("redis", redis.port).unwrap();
    populate(&mut r);
    assert_eq!(r.cmd(&["SAVE"]).text(), "OK");
    // Compared as Redis itself holds the data after loading its file
    // (an appended string is `raw` before and `embstr` after).
    assert_eq!(r.cmd(&["DEBUG", "RELOAD", "NOSAVE"]).text(), "OK");
    let expected = snapshot(&mut r);
    let digest = r.cmd(&["DEBUG", "DIGEST"]).text();
    let ember = ember_server(&dir, true, |_| {});
    let mut e = RawConn::connect("ember", ember.port).unwrap();
    assert_same(&snapshot(&mut e), &expected);
    // Redis's own fingerprint of the whole dataset agrees too.
    assert_eq!(e.cmd(&["DEBUG", "DIGEST"]).text(), digest);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ember_file_loads_into_redis() {
    for (name, compression, checksum) in [("e2r", "yes", "yes"), ("e2r-plain", "no", "no")] {
        let dir = tmpdir(name);
        let ember = ember_server(&dir, false, |c| {
            c.rdbcompression = compression == "yes";
            c.rdbchecksum = checksum == "yes";
        });
        let mut e = RawConn::connect("ember", ember.port).unwrap();
        populate(&mut e);
        assert_eq!(e.cmd(&["SAVE"]).text(), "OK");
        assert_eq!(e.cmd(&["DEBUG", "RELOAD", "NOSAVE"]).text(), "OK");
        let expected = snapshot(&mut e);
        let digest = e.cmd(&["DEBUG", "DIGEST"]).text();
        std::fs::rename(dir.join("dump.rdb"), dir.join("from-ember.rdb")).unwrap();
        let args = [
            "--dbfilename",
            "from-ember.rdb",
            "--enable-debug-command",
            "yes",
        ];
        let redis = redis_in(&dir, &args);
        let mut r = RawConn::connect("redis", redis.port).unwrap();
        assert_same(&expected, &snapshot(&mut r));
        assert_eq!(r.cmd(&["DEBUG", "DIGEST"]).text(), digest);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Keys of db 0 of a server, sorted.
fn keys(conn: &mut RawConn) -> Vec<Vec<u8>> {
    let mut k: Vec<Vec<u8>> = conn
        .cmd(&["KEYS", "*"])
        .items()
        .iter()
        .map(|k| k.bytes().unwrap().to_vec())
        .collect();
    k.sort();
    k
}

fn dump(conn: &mut RawConn, key: &[u8]) -> Vec<u8> {
    match conn.cmd(&[&b"DUMP"[..], key]) {
        Resp::Bulk(b) => b,
        other => panic!("DUMP {}: {other:?}", support::escape(key)),
    }
}

#[test]
fn dump_and_restore_both_ways() {
    let dir = tmpdir("dump");
    // Deep sanitization: Redis walks every listpack/intset entry it restores.
    let redis = redis_in(&dir, &["--sanitize-dump-payload", "yes"]);
    let ember = ember_server(&dir, false, |_| {});
    let mut r = RawConn::connect("redis", redis.port).unwrap();
    let mut e = RawConn::connect("ember", ember.port).unwrap();
    populate(&mut r);
    populate(&mut e);
    let names = keys(&mut r);
    assert_eq!(names, keys(&mut e));
    let mut identical = 0;
    for k in &names {
        let from_redis = dump(&mut r, k);
        let from_ember = dump(&mut e, k);
        let enc = r.cmd(&[&b"OBJECT"[..], b"ENCODING", k]).text();
        // Hash tables are written in table order, which differs; every
        // other encoding has one serialization.
        if enc != "hashtable" {
            assert!(
                from_redis == from_ember,
                "DUMP {} ({enc}) differs:\nredis {}\nember {}",
                support::escape(k),
                support::escape(&from_redis[..from_redis.len().min(200)]),
                support::escape(&from_ember[..from_ember.len().min(200)])
            );
            identical += 1;
        }
        let mut restored = k.clone();
        restored.extend_from_slice(b":restored");
        for (conn, payload) in [(&mut e, &from_redis), (&mut r, &from_ember)] {
            let reply = conn.cmd(&[&b"RESTORE"[..], &restored, b"0", payload]);
            assert_eq!(reply.text(), "OK", "RESTORE {}", support::escape(k));
        }
    }
    assert!(identical > 20);
    // Both servers now hold the originals and each other's copies: compare all.
    let (se, sr) = (snapshot(&mut e), snapshot(&mut r));
    assert_same(&se, &sr);
    // A relative TTL that overflows when the time is added: OK on both, and
    // the key is not stored (Redis's addition wraps to the past).
    let payload = dump(&mut r, b"hash:small");
    for conn in [&mut r, &mut e] {
        let reply = conn.cmd(&[&b"RESTORE"[..], b"far", b"9223372036854775000", &payload]);
        assert_eq!(reply.text(), "OK");
        assert_eq!(conn.cmd(&[&b"EXISTS"[..], b"far"]), Resp::Int(0));
    }
    // Corrupted payloads are refused by both, with the same error.
    let mut bad = dump(&mut r, b"hash:small");
    let n = bad.len();
    bad[n - 1] ^= 1;
    for conn in [&mut r, &mut e] {
        let reply = conn.cmd(&[&b"RESTORE"[..], b"bad", b"0", &bad]);
        assert_eq!(
            reply.text(),
            "ERR DUMP payload version or checksum are wrong"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
