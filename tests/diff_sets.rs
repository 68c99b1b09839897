//! Differential tests of the set family (SADD SREM SCARD SISMEMBER SMISMEMBER
//! SMEMBERS SPOP SRANDMEMBER SMOVE SINTER SINTERCARD SINTERSTORE SUNION
//! SUNIONSTORE SDIFF SDIFFSTORE SSCAN) against the real redis-server.
//!
//! Integer sets (`intset`) answer in ascending order on both servers, so they
//! are compared exactly; hashtable order depends on each server's hash
//! function, so those replies are compared as multisets. Random commands
//! (SPOP, SRANDMEMBER) are compared by shape, then the state they leave.

mod support;

use rand::rngs::SmallRng;
use rand::Rng;
use std::collections::BTreeSet;
use support::{gen, seeds, Cmp, Diff, Pair};

/// `SADD key m...` on both servers.
fn sadd(d: &mut Pair, key: &str, members: &[String]) {
    let mut cmd = vec!["SADD".to_string(), key.to_string()];
    cmd.extend(members.iter().cloned());
    d.check(&cmd);
}

fn ints(range: std::ops::Range<i64>) -> Vec<String> {
    range.map(|i| i.to_string()).collect()
}

fn texts(prefix: &str, range: std::ops::Range<i64>) -> Vec<String> {
    range.map(|i| format!("{prefix}{i}")).collect()
}

#[test]
fn basics_and_intset_order() {
    let mut d = Diff::new();
    d.check(&["SADD", "s", "3", "1", "2", "1"]);
    d.check(&["SMEMBERS", "s"]);
    d.check(&["OBJECT", "ENCODING", "s"]);
    d.check(&["SCARD", "s"]);
    d.check(&["SCARD", "nokey"]);
    d.check(&["SISMEMBER", "s", "1"]);
    d.check(&["SISMEMBER", "s", "01"]);
    d.check(&["SISMEMBER", "s", "4"]);
    d.check(&["SISMEMBER", "nokey", "1"]);
    d.check(&["SMISMEMBER", "s", "1", "9", "2", "x", "1"]);
    d.check(&["SMISMEMBER", "nokey", "1", "2"]);
    d.check(&[
        "SADD",
        "s",
        "-5",
        "70000",
        "-9223372036854775808",
        "9223372036854775807",
    ]);
    d.check(&["SMEMBERS", "s"]);
    d.check(&["OBJECT", "ENCODING", "s"]);
    d.check(&["SREM", "s", "70000", "nothere", "-5"]);
    d.check(&["SMEMBERS", "s"]);
    // Non-canonical integers are strings: the set converts.
    for m in ["+1", "01", "-0", " 1", "1.0", "9223372036854775808", ""] {
        d.check(&["SADD", "t", "1"]);
        d.check(&["OBJECT", "ENCODING", "t"]);
        d.check(&["SADD", "t", m]);
        d.check(&["OBJECT", "ENCODING", "t"]);
        d.check(&["SISMEMBER", "t", m]);
        d.check(&["DEL", "t"]);
    }
    d.check(&["SADD", "h", "b", "a", "1"]);
    d.check(&["OBJECT", "ENCODING", "h"]);
    d.check_unordered(&["SMEMBERS", "h"]);
    d.check(&["SREM", "h", "a", "b"]);
    d.check(&["OBJECT", "ENCODING", "h"]);
    d.check(&["SREM", "h", "1", "1"]);
    d.check(&["EXISTS", "h"]);
    d.check(&["SMEMBERS", "nokey"]);
    d.check(&["SREM", "nokey", "a"]);
}

#[test]
fn encoding_thresholds() {
    let mut d = Diff::new();
    sadd(&mut d, "s", &ints(0..512));
    d.check(&["OBJECT", "ENCODING", "s"]);
    d.check(&["SMEMBERS", "s"]);
    d.check(&["SADD", "s", "512"]);
    d.check(&["OBJECT", "ENCODING", "s"]);
    d.check(&["SREM", "s", "512", "511", "510"]);
    d.check(&["OBJECT", "ENCODING", "s"]);
    d.check_unordered(&["SMEMBERS", "s"]);
    for n in ["0", "1", "3"] {
        d.check(&["CONFIG", "SET", "set-max-intset-entries", n]);
        d.check(&["DEL", "k"]);
        for i in 0..5 {
            d.check(&["SADD", "k", &i.to_string()]);
            d.check(&["OBJECT", "ENCODING", "k"]);
        }
    }
    d.check(&["CONFIG", "SET", "set-max-intset-entries", "512"]);
    // A set created by a string member starts as a hashtable.
    d.check(&["SADD", "x", "a"]);
    d.check(&["SREM", "x", "a"]);
    d.check(&["SADD", "x", "1"]);
    d.check(&["OBJECT", "ENCODING", "x"]);
}

#[test]
fn wrong_types_and_errors() {
    let mut d = Diff::new();
    d.check(&["SET", "str", "v"]);
    d.check(&["SADD", "s", "a", "1"]);
    d.check(&["SADD", "i", "1", "2"]);
    for cmd in [
        &["SADD", "str", "a"][..],
        &["SREM", "str", "a"],
        &["SCARD", "str"],
        &["SISMEMBER", "str", "a"],
        &["SMISMEMBER", "str", "a"],
        &["SMEMBERS", "str"],
        &["SPOP", "str"],
        &["SPOP", "str", "0"],
        &["SPOP", "str", "1"],
        &["SRANDMEMBER", "str"],
        &["SRANDMEMBER", "str", "0"],
        &["SRANDMEMBER", "str", "-1"],
        &["SSCAN", "str", "0"],
        &["SSCAN", "str", "0", "bad"],
        // Multi-key forms: WRONGTYPE even when an earlier key is missing.
        &["SINTER", "nokey", "str"],
        &["SINTER", "s", "str"],
        &["SINTER", "str", "nokey"],
        &["SUNION", "nokey", "str"],
        &["SDIFF", "nokey", "str"],
        &["SDIFF", "s", "str"],
        &["SINTERCARD", "2", "nokey", "str"],
        &["SINTERSTORE", "dst", "nokey", "str"],
        &["SUNIONSTORE", "dst", "s", "str"],
        &["SDIFFSTORE", "dst", "nokey", "str"],
        // The destination's type does not matter: it is overwritten.
        &["SUNIONSTORE", "str", "nokey"],
        &["SMOVE", "str", "s", "a"],
        &["SMOVE", "s", "str", "a"],
        &["SMOVE", "s", "str", "zzz"],
        &["SMOVE", "nokey", "str", "a"],
        // Arity and syntax.
        &["SADD", "s"],
        &["SREM", "s"],
        &["SCARD"],
        &["SCARD", "s", "x"],
        &["SISMEMBER", "s"],
        &["SMISMEMBER", "s"],
        &["SMEMBERS"],
        &["SPOP"],
        &["SPOP", "s", "1", "2"],
        &["SRANDMEMBER"],
        &["SRANDMEMBER", "s", "1", "2"],
        &["SMOVE", "s", "t"],
        &["SINTER"],
        &["SINTERSTORE", "d"],
        &["SINTERCARD", "1"],
        &["SSCAN", "s"],
        // Counts.
        &["SPOP", "s", "-1"],
        &["SPOP", "s", "x"],
        &["SPOP", "nokey", "-1"],
        &["SPOP", "str", "-1"],
        &["SRANDMEMBER", "s", "x"],
        &["SRANDMEMBER", "s", "-9223372036854775808"],
        &["SRANDMEMBER", "nokey", "-9223372036854775808"],
        &["SRANDMEMBER", "s", "9223372036854775808"],
        &["SRANDMEMBER", "i", "0"],
        &["SRANDMEMBER", "nokey", "5"],
        &["SRANDMEMBER", "nokey", "-5"],
        &["SRANDMEMBER", "nokey"],
        &["SPOP", "nokey"],
        &["SPOP", "nokey", "5"],
        &["SPOP", "i", "0"],
        // SINTERCARD arguments.
        &["SINTERCARD", "0", "s"],
        &["SINTERCARD", "-1", "s"],
        &["SINTERCARD", "x", "s"],
        &["SINTERCARD", "2", "s"],
        &["SINTERCARD", "9223372036854775808", "s"],
        &["SINTERCARD", "1", "s", "LIMIT"],
        &["SINTERCARD", "1", "s", "LIMIT", "-1"],
        &["SINTERCARD", "1", "s", "LIMIT", "x"],
        &["SINTERCARD", "1", "s", "LIMIT", "1", "x"],
        &["SINTERCARD", "1", "s", "FOO", "1"],
        &["SINTERCARD", "1", "s", "limit", "0"],
        &["SINTERCARD", "2", "s", "nokey", "LIMIT", "5"],
        // SSCAN arguments.
        &["SSCAN", "s", "x"],
        &["SSCAN", "nokey", "x"],
        &["SSCAN", "nokey", "0", "bad", "options"],
        &["SSCAN", "s", "0", "COUNT", "0"],
        &["SSCAN", "s", "0", "COUNT", "x"],
        &["SSCAN", "s", "0", "COUNT"],
        &["SSCAN", "s", "0", "TYPE", "set"],
        &["SSCAN", "s", "0", "MATCH"],
        &["SSCAN", "i", "-1"],
        &["SSCAN", "i", "18446744073709551616"],
    ] {
        d.check(cmd);
    }
    d.check(&["TYPE", "str"]);
    d.check(&["GET", "str"]);
}

#[test]
fn smove_cases() {
    let mut d = Diff::new();
    d.check(&["SADD", "a", "1", "2", "x"]);
    d.check(&["SMOVE", "a", "a", "1"]);
    d.check(&["SMOVE", "a", "a", "9"]);
    d.check(&["SMOVE", "a", "b", "9"]);
    d.check(&["EXISTS", "b"]);
    d.check(&["SMOVE", "a", "b", "1"]);
    d.check(&["OBJECT", "ENCODING", "b"]);
    d.check(&["SMOVE", "a", "c", "x"]);
    d.check(&["OBJECT", "ENCODING", "c"]);
    d.check(&["SADD", "b", "2"]);
    d.check(&["SMOVE", "a", "b", "2"]);
    d.check(&["EXISTS", "a"]);
    d.check(&["SMEMBERS", "b"]);
    d.check(&["SMOVE", "b", "c", "1"]);
    d.check(&["OBJECT", "ENCODING", "c"]);
    d.check_unordered(&["SMEMBERS", "c"]);
}

#[test]
fn algebra() {
    let mut d = Diff::new();
    sadd(&mut d, "i1", &ints(0..20));
    sadd(&mut d, "i2", &ints(10..30));
    sadd(&mut d, "i3", &ints(-5..15));
    sadd(&mut d, "h1", &texts("m", 0..20));
    let mut mixed = ints(5..25);
    mixed.extend(texts("m", 10..15));
    sadd(&mut d, "h2", &mixed);
    let keys = ["i1", "i2", "i3", "h1", "h2", "nokey"];
    for a in keys {
        for b in keys {
            let intsets = !a.starts_with('h') && !b.starts_with('h');
            let how = if intsets { Cmp::Exact } else { Cmp::Unordered };
            for op in ["SINTER", "SUNION", "SDIFF"] {
                d.check_by(&[op, a, b], how);
                let store = format!("{op}STORE");
                d.check(&[store.as_str(), "dst", a, b]);
                d.check(&["EXISTS", "dst"]);
                d.check(&["TYPE", "dst"]);
                d.check(&["SCARD", "dst"]);
                if intsets {
                    d.check(&["SMEMBERS", "dst"]);
                } else {
                    d.check_unordered(&["SMEMBERS", "dst"]);
                }
            }
            d.check(&["SINTERCARD", "2", a, b]);
            d.check(&["SINTERCARD", "2", a, b, "LIMIT", "3"]);
        }
    }
    d.check(&["SINTER", "i1", "i2", "i3"]);
    d.check(&["SUNION", "i1", "i2", "i3"]);
    d.check(&["SDIFF", "i1", "i2", "i3"]);
    d.check(&["SDIFF", "i3", "i1", "i3"]);
    d.check(&["SDIFF", "nokey", "i1"]);
    d.check(&["SINTER", "i1", "i1"]);
    d.check(&["SINTERCARD", "3", "i1", "i2", "i3"]);
    d.check(&["SINTERCARD", "3", "i1", "i2", "i3", "LIMIT", "1"]);
    d.check(&["SINTERCARD", "3", "i1", "i2", "i3", "LIMIT", "100"]);
    d.check(&["SINTERCARD", "1", "h1", "LIMIT", "0"]);
    // The destination may be a source; an empty result deletes it.
    d.check(&["SUNIONSTORE", "i1", "i1", "i2"]);
    d.check(&["SMEMBERS", "i1"]);
    d.check(&["SINTERSTORE", "i1", "i1", "h1"]);
    d.check(&["EXISTS", "i1"]);
    d.check(&["SET", "str", "v"]);
    d.check(&["EXPIRE", "str", "100"]);
    d.check(&["SUNIONSTORE", "str", "i2"]);
    d.check(&["TTL", "str"]);
    d.check(&["TYPE", "str"]);
    d.check(&["SDIFFSTORE", "str", "i2", "i2"]);
    d.check(&["EXISTS", "str"]);
}

/// SDIFF picks one of two algorithms by the sizes involved; the second one
/// copies the first set (which may convert) before subtracting.
#[test]
fn sdiff_algorithms_and_encodings() {
    let mut d = Diff::new();
    sadd(&mut d, "s0", &ints(0..600));
    sadd(&mut d, "s1", &ints(0..100));
    sadd(&mut d, "s2", &ints(100..250));
    sadd(&mut d, "small", &ints(0..3));
    for cmd in [
        &["SDIFFSTORE", "d", "s0", "s1", "s2"][..],
        &["SDIFFSTORE", "d", "s0", "s1"],
        &["SDIFFSTORE", "d", "s0", "s1", "s2", "nokey"],
        &["SDIFFSTORE", "d", "s0", "s1", "s2", "small"],
        &["SDIFFSTORE", "d", "s0", "small", "small", "small"],
        &["SUNIONSTORE", "d", "s1", "s2"],
        &["SINTERSTORE", "d", "s0", "s2"],
        &["SUNIONSTORE", "d", "s0"],
    ] {
        d.check(cmd);
        d.check(&["OBJECT", "ENCODING", "d"]);
        d.check(&["SCARD", "d"]);
    }
    d.check(&["SDIFF", "small", "s1", "s2"]);
    d.check(&["SDIFF", "s1", "small", "s2"]);
    d.check(&["SDIFF", "s2", "small", "small", "small"]);
    d.check_unordered(&["SDIFF", "s0", "s1", "s2"]);
}

#[test]
fn spop_and_srandmember() {
    let mut d = Diff::new();
    // Whole-set answers are deterministic: an intset answers in order.
    sadd(&mut d, "i", &ints(0..10));
    d.check(&["SRANDMEMBER", "i", "10"]);
    d.check(&["SRANDMEMBER", "i", "100"]);
    d.check(&["SPOP", "i", "10"]);
    d.check(&["EXISTS", "i"]);
    sadd(&mut d, "h", &texts("m", 0..10));
    d.check_unordered(&["SRANDMEMBER", "h", "10"]);
    d.check_unordered(&["SPOP", "h", "11"]);
    d.check(&["EXISTS", "h"]);
    // Random answers: compare shapes, then the state left behind.
    for (key, members) in [("i", ints(0..50)), ("h", texts("m", 0..50))] {
        sadd(&mut d, key, &members);
        for n in ["1", "5", "49", "-1", "-5", "-100"] {
            let r = d.check_shape(&["SRANDMEMBER", key, n]);
            let n: i64 = n.parse().unwrap();
            let want = if n < 0 { -n } else { n.min(50) };
            assert_eq!(r.items().len() as i64, want, "SRANDMEMBER {key} {n}");
        }
        d.check_shape(&["SRANDMEMBER", key]);
        for n in ["3", "40", "1"] {
            let r = d.check_shape(&["SPOP", key, n]);
            assert_eq!(r.items().len(), n.parse::<usize>().unwrap());
            d.check(&["SCARD", key]);
            d.check(&["OBJECT", "ENCODING", key]);
        }
        d.check_shape(&["SPOP", key]);
        d.check(&["SCARD", key]);
        // Down to 5 members: pop them one by one until the key goes.
        for _ in 0..5 {
            d.check_shape(&["SPOP", key]);
        }
        d.check(&["EXISTS", key]);
        d.check(&["SPOP", key]);
    }
    // A hashtable holding only integers: taking it whole answers like SUNION,
    // whose result is an intset (ascending).
    sadd(
        &mut d,
        "q",
        &["5".into(), "-1".into(), "3".into(), "x".into()],
    );
    d.check(&["SREM", "q", "x"]);
    d.check_unordered(&["SRANDMEMBER", "q", "100"]);
    d.check(&["SPOP", "q", "100"]);
    sadd(&mut d, "q", &ints(0..600));
    d.check(&["SADD", "q", "x"]);
    d.check(&["SREM", "q", "x"]);
    d.check_unordered(&["SPOP", "q", "600"]);
    // Survivors of a large SPOP count are rebuilt: a hashtable of integers
    // becomes an intset again.
    let mut m = ints(1..11);
    m.push("x".into());
    sadd(&mut d, "r", &m);
    d.check(&["SREM", "r", "x"]);
    d.check(&["OBJECT", "ENCODING", "r"]);
    d.check_shape(&["SPOP", "r", "9"]);
    d.check(&["OBJECT", "ENCODING", "r"]);
    d.check(&["SCARD", "r"]);
}

#[test]
fn resp3_reply_types() {
    let mut d = Diff::new();
    d.hello3();
    d.check(&["SADD", "i", "3", "1", "2"]);
    d.check(&["SADD", "h", "a"]);
    for cmd in [
        &["SMEMBERS", "i"][..],
        &["SMEMBERS", "nokey"],
        &["SINTER", "i", "i"],
        &["SINTER", "i", "nokey"],
        &["SUNION", "i", "nokey"],
        &["SDIFF", "i", "nokey"],
        &["SDIFF", "nokey", "i"],
        &["SPOP", "nokey"],
        &["SPOP", "nokey", "2"],
        &["SPOP", "i", "0"],
        &["SRANDMEMBER", "nokey"],
        &["SRANDMEMBER", "nokey", "2"],
        &["SRANDMEMBER", "i", "0"],
        &["SRANDMEMBER", "i", "3"],
        &["SRANDMEMBER", "h", "-1"],
        &["SMISMEMBER", "i", "1", "5"],
        &["SSCAN", "i", "0"],
        &["SINTERCARD", "1", "i"],
    ] {
        d.check(cmd);
    }
    d.check_shape(&["SPOP", "i", "2"]);
    d.check_shape(&["SRANDMEMBER", "i", "-2"]);
    d.check(&["SADD", "j", "5", "4"]);
    d.check(&["SPOP", "j", "5"]);
}

/// Runs a full SSCAN on one connection; returns every member seen and the
/// number of calls.
fn sscan_all(conn: &mut support::RawConn, key: &str, extra: &[&str]) -> (BTreeSet<Vec<u8>>, usize) {
    let mut cursor = b"0".to_vec();
    let mut seen = BTreeSet::new();
    let mut calls = 0;
    loop {
        let mut argv: Vec<Vec<u8>> =
            vec![b"SSCAN".to_vec(), key.as_bytes().to_vec(), cursor.clone()];
        argv.extend(extra.iter().map(|a| a.as_bytes().to_vec()));
        let reply = conn.cmd(&argv);
        let items = reply.items();
        assert_eq!(items.len(), 2, "SSCAN reply {reply:?}");
        cursor = items[0].bytes().expect("cursor").to_vec();
        for m in items[1].items() {
            seen.insert(m.bytes().expect("member").to_vec());
        }
        calls += 1;
        assert!(calls < 100_000, "SSCAN does not terminate");
        if cursor == b"0" {
            return (seen, calls);
        }
    }
}

#[test]
fn sscan() {
    let mut d = Diff::new();
    sadd(&mut d, "i", &ints(0..100));
    d.check(&["SSCAN", "i", "0"]);
    d.check(&["SSCAN", "i", "0", "COUNT", "1"]);
    d.check(&["SSCAN", "i", "0", "MATCH", "1*"]);
    d.check(&["SSCAN", "i", "0", "MATCH", "*", "COUNT", "5"]);
    d.check(&["SSCAN", "i", "17", "MATCH", "[2-3]?"]);
    sadd(&mut d, "h", &texts("m", 0..500));
    for extra in [
        &[][..],
        &["COUNT", "3"],
        &["MATCH", "m1*"],
        &["MATCH", "*7", "COUNT", "50"],
        &["MATCH", "nothing"],
    ] {
        let (r, _) = sscan_all(&mut d.main.redis, "h", extra);
        let (e, calls) = sscan_all(&mut d.main.ember, "h", extra);
        assert_eq!(e, r, "SSCAN h {extra:?}");
        if extra.is_empty() {
            assert_eq!(e.len(), 500);
            assert!(calls > 10, "COUNT 10 takes many calls ({calls})");
        }
    }
}

fn member(rng: &mut SmallRng) -> String {
    match rng.gen_range(0..10) {
        0..=5 => gen::int(rng, -3, 12),
        6 => gen::pick(
            rng,
            &[
                "-9223372036854775808",
                "9223372036854775807",
                "70000",
                "01",
                "+1",
            ],
        )
        .into(),
        _ => gen::text(rng, 2),
    }
}

fn g_write(rng: &mut SmallRng) -> Vec<String> {
    let key = gen::key(rng, "s", 4);
    let op = gen::pick(rng, &["SADD", "SADD", "SADD", "SREM", "SMOVE"]);
    let mut cmd = vec![op.to_string(), key];
    if op == "SMOVE" {
        cmd.push(gen::key(rng, "s", 4));
        cmd.push(member(rng));
        return cmd;
    }
    for _ in 0..rng.gen_range(1..6) {
        cmd.push(member(rng));
    }
    cmd
}

fn g_read(rng: &mut SmallRng) -> Vec<String> {
    let key = gen::key(rng, "s", 5);
    match rng.gen_range(0..6) {
        0 => vec!["SCARD".into(), key],
        1 => vec!["SISMEMBER".into(), key, member(rng)],
        2 => vec!["SMISMEMBER".into(), key, member(rng), member(rng)],
        3 => vec!["OBJECT".into(), "ENCODING".into(), key],
        4 => vec!["SMEMBERS".into(), key],
        _ => vec!["SRANDMEMBER".into(), key, "1000".into()],
    }
}

fn g_algebra(rng: &mut SmallRng) -> Vec<String> {
    let n = rng.gen_range(1..4);
    let keys: Vec<String> = (0..n).map(|_| gen::key(rng, "s", 5)).collect();
    let op = gen::pick(
        rng,
        &[
            "SINTER",
            "SUNION",
            "SDIFF",
            "SINTERSTORE",
            "SUNIONSTORE",
            "SDIFFSTORE",
            "SINTERCARD",
        ],
    );
    let mut cmd = vec![op.to_string()];
    if op.ends_with("STORE") {
        cmd.push(gen::key(rng, "s", 5));
    }
    if op == "SINTERCARD" {
        cmd.push(n.to_string());
    }
    cmd.extend(keys);
    if op == "SINTERCARD" && gen::chance(rng, 0.5) {
        cmd.push("LIMIT".into());
        cmd.push(gen::int(rng, 0, 4));
    }
    cmd
}

fn g_misc(rng: &mut SmallRng) -> Vec<String> {
    match rng.gen_range(0..4) {
        0 => vec!["SPOP".into(), gen::key(rng, "s", 5), "100".into()],
        1 => vec!["SET".into(), "s4".into(), "str".into()],
        2 => vec!["DEL".into(), gen::key(rng, "s", 5)],
        _ => vec!["EXISTS".into(), gen::key(rng, "s", 5)],
    }
}

/// Replies listing members are unordered once a hashtable is involved.
fn classify(cmd: &[String]) -> Cmp {
    match cmd[0].as_str() {
        "SMEMBERS" | "SINTER" | "SUNION" | "SDIFF" | "SRANDMEMBER" | "SPOP" => Cmp::Unordered,
        _ => Cmp::Exact,
    }
}

#[test]
fn random_sequences() {
    for seed in seeds(&[1, 2, 3]) {
        let mut d = Diff::new();
        d.check(&["CONFIG", "SET", "set-max-intset-entries", "8"]);
        d.random_sequence_by(seed, 600, &[g_write, g_read, g_algebra, g_misc], classify);
    }
}

/// Intset replies are ordered: compare them exactly (small intsets only).
#[test]
fn random_intset_order() {
    fn g(rng: &mut SmallRng) -> Vec<String> {
        let key = gen::key(rng, "k", 3);
        match rng.gen_range(0..5) {
            0 | 1 => {
                let mut c = vec!["SADD".to_string(), key];
                c.extend((0..rng.gen_range(1..5)).map(|_| gen::int(rng, -100_000, 100_000)));
                c
            }
            2 => vec!["SREM".into(), key, gen::int(rng, -100_000, 100_000)],
            3 => vec!["SMEMBERS".into(), key],
            _ => vec!["SUNION".into(), key, gen::key(rng, "k", 3)],
        }
    }
    for seed in seeds(&[7]) {
        support::random_sequence(seed, 300, &[g]);
    }
}

#[test]
fn expired_keys_are_missing_sets() {
    let mut d = Diff::new();
    d.check(&["SADD", "e", "1", "2"]);
    d.check(&["PEXPIRE", "e", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(5));
    for cmd in [
        &["SCARD", "e"][..],
        &["SMEMBERS", "e"],
        &["SINTER", "e"],
        &["SPOP", "e"],
        &["SMOVE", "e", "f", "1"],
        &["SADD", "e", "3"],
        &["SMEMBERS", "e"],
        &["TTL", "e"],
    ] {
        d.check(cmd);
    }
}

#[test]
fn command_introspection() {
    let mut d = Diff::new();
    for c in [
        "sadd",
        "srem",
        "scard",
        "sismember",
        "smismember",
        "smembers",
        "spop",
        "srandmember",
        "smove",
        "sinter",
        "sintercard",
        "sinterstore",
        "sunion",
        "sunionstore",
        "sdiff",
        "sdiffstore",
        "sscan",
    ] {
        d.check(&["COMMAND", "INFO", c]);
        d.check(&["COMMAND", "DOCS", c]);
    }
    for cmd in [
        &[
            "COMMAND",
            "GETKEYS",
            "SINTERCARD",
            "2",
            "a",
            "b",
            "LIMIT",
            "1",
        ][..],
        &["COMMAND", "GETKEYS", "SINTERCARD", "3", "a", "b"],
        &["COMMAND", "GETKEYS", "SINTERCARD", "0", "a"],
        &["COMMAND", "GETKEYSANDFLAGS", "SINTERSTORE", "d", "a", "b"],
        &["COMMAND", "GETKEYSANDFLAGS", "SMOVE", "a", "b", "m"],
        &["COMMAND", "GETKEYSANDFLAGS", "SUNIONSTORE", "d", "a"],
    ] {
        d.check(cmd);
    }
}
