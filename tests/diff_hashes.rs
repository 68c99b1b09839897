//! Differential tests of the hash family (HSET HSETNX HMSET HGET HMGET HGETALL
//! HDEL HLEN HSTRLEN HKEYS HVALS HEXISTS HINCRBY HINCRBYFLOAT HRANDFIELD
//! HSCAN) against the real redis-server.
//!
//! Listpack hashes keep insertion order on both servers, so their replies are
//! compared exactly; hashtable order depends on each server's hash function,
//! so those replies are compared as multisets (of pairs for HGETALL). Random
//! replies (HRANDFIELD) are compared by shape and checked against the hash's
//! contents on each server.

mod support;

use rand::rngs::SmallRng;
use rand::Rng;
use std::collections::{BTreeMap, BTreeSet};
use support::{gen, seeds, Cmp, Diff, Pair, Resp};

/// `HSET key f0 v0 f1 v1 ...` (fields `{prefix}{i}`, values `v{i}`) on both servers.
fn fill(d: &mut Pair, key: &str, prefix: &str, n: usize) {
    let mut cmd = vec!["HSET".to_string(), key.to_string()];
    for i in 0..n {
        cmd.push(format!("{prefix}{i}"));
        cmd.push(format!("v{i}"));
    }
    d.check(&cmd);
}

#[test]
fn basics_in_listpack_order() {
    let mut d = Diff::new();
    d.check(&["HSET", "h", "b", "2", "a", "1", "c", "3"]);
    d.check(&["HSET", "h", "a", "one", "d", "4", "d", "four"]);
    d.check(&["HMSET", "h", "e", "5", "b", "two"]);
    for cmd in [
        &["HGETALL", "h"][..],
        &["HKEYS", "h"],
        &["HVALS", "h"],
        &["HLEN", "h"],
        &["HGET", "h", "a"],
        &["HGET", "h", "zz"],
        &["HMGET", "h", "a", "zz", "d", "a"],
        &["HEXISTS", "h", "c"],
        &["HEXISTS", "h", "C"],
        &["HSTRLEN", "h", "d"],
        &["HSTRLEN", "h", "zz"],
        &["OBJECT", "ENCODING", "h"],
        &["TYPE", "h"],
    ] {
        d.check(cmd);
    }
    d.check(&["HDEL", "h", "a", "zz", "a", "c"]);
    d.check(&["HGETALL", "h"]);
    d.check(&["HSET", "h", "a", "back"]);
    d.check(&["HGETALL", "h"]);
    d.check(&["HDEL", "h", "b", "d", "e", "a", "more"]);
    d.check(&["EXISTS", "h"]);
    d.check(&["TYPE", "h"]);
    // Missing keys behave as empty hashes.
    for cmd in [
        &["HGETALL", "nokey"][..],
        &["HKEYS", "nokey"],
        &["HVALS", "nokey"],
        &["HLEN", "nokey"],
        &["HGET", "nokey", "a"],
        &["HMGET", "nokey", "a", "b"],
        &["HEXISTS", "nokey", "a"],
        &["HSTRLEN", "nokey", "a"],
        &["HDEL", "nokey", "a"],
        &["HRANDFIELD", "nokey"],
        &["HRANDFIELD", "nokey", "3"],
        &["HRANDFIELD", "nokey", "-3", "WITHVALUES"],
        &["HSCAN", "nokey", "0"],
        &["EXISTS", "nokey"],
    ] {
        d.check(cmd);
    }
}

#[test]
fn binary_and_empty_strings() {
    let mut d = Diff::new();
    d.check(&["HSET", "h", "", "empty field", "ev", ""]);
    d.check(&["HSET", "h", "bin\0ary\r\n", "v\0\r\n", "x", "\u{e9}t\u{e9}"]);
    d.check(&["HGETALL", "h"]);
    d.check(&["HGET", "h", ""]);
    d.check(&["HSTRLEN", "h", "ev"]);
    d.check(&["HSTRLEN", "h", "x"]);
    d.check(&["HEXISTS", "h", "bin\0ary\r\n"]);
    d.check(&["HEXISTS", "h", "bin"]);
    d.check(&["HDEL", "h", ""]);
    d.check(&["HGETALL", "h"]);
    // Values that look like integers come back as written.
    d.check(&[
        "HSET",
        "n",
        "a",
        "0",
        "b",
        "-0",
        "c",
        "007",
        "d",
        "9223372036854775808",
    ]);
    d.check(&[
        "HSET",
        "n",
        "e",
        "-9223372036854775808",
        "f",
        "1e3",
        "g",
        " 1",
    ]);
    d.check(&["HGETALL", "n"]);
    d.check(&["HSTRLEN", "n", "e"]);
}

#[test]
fn errors_and_wrong_types() {
    let mut d = Diff::new();
    d.check(&["SET", "s", "x"]);
    d.check(&["HSET", "h", "a", "1"]);
    let cases: &[&[&str]] = &[
        &["HSET"],
        &["HSET", "h"],
        &["HSET", "h", "a"],
        &["HSET", "h", "a", "1", "b"],
        &["HSET", "s", "a", "1", "b"],
        &["HMSET", "h", "a"],
        &["HMSET", "h", "a", "1", "b"],
        &["HSETNX", "h", "a"],
        &["HSETNX", "h", "a", "1", "2"],
        &["HGET", "h"],
        &["HGET", "h", "a", "b"],
        &["HMGET", "h"],
        &["HGETALL"],
        &["HGETALL", "h", "x"],
        &["HDEL", "h"],
        &["HLEN"],
        &["HSTRLEN", "h"],
        &["HKEYS", "h", "x"],
        &["HVALS"],
        &["HEXISTS", "h"],
        &["HINCRBY", "h", "a"],
        &["HINCRBYFLOAT", "h", "a", "1", "2"],
        &["HRANDFIELD"],
        &["HSCAN", "h"],
        // Wrong type.
        &["HSET", "s", "a", "1"],
        &["HMSET", "s", "a", "1"],
        &["HSETNX", "s", "a", "1"],
        &["HGET", "s", "a"],
        &["HMGET", "s", "a"],
        &["HGETALL", "s"],
        &["HDEL", "s", "a"],
        &["HLEN", "s"],
        &["HSTRLEN", "s", "a"],
        &["HKEYS", "s"],
        &["HVALS", "s"],
        &["HEXISTS", "s", "a"],
        &["HINCRBY", "s", "a", "1"],
        &["HINCRBY", "s", "a", "x"],
        &["HINCRBYFLOAT", "s", "a", "1"],
        &["HINCRBYFLOAT", "s", "a", "inf"],
        &["HRANDFIELD", "s"],
        &["HRANDFIELD", "s", "0"],
        &["HRANDFIELD", "s", "1", "WITHVALUES"],
        &["HRANDFIELD", "s", "1", "x"],
        &["HRANDFIELD", "s", "x"],
        &["HSCAN", "s", "0"],
        &["HSCAN", "s", "x"],
        &["HSCAN", "s", "0", "COUNT", "0"],
        // A hash used as a string.
        &["GET", "h"],
        &["APPEND", "h", "x"],
    ];
    for c in cases {
        d.check(c);
    }
    d.check(&["GET", "s"]);
    d.check(&["HGETALL", "h"]);
}

#[test]
fn hincrby_cases() {
    let mut d = Diff::new();
    d.check(&["HINCRBY", "h", "n", "5"]);
    d.check(&["HINCRBY", "h", "n", "-12"]);
    d.check(&["HINCRBY", "h", "n", "0"]);
    d.check(&["HGET", "h", "n"]);
    d.check(&["HINCRBY", "new", "n", "-3"]);
    d.check(&["HGETALL", "new"]);
    for by in [
        "x",
        "1.5",
        "",
        " 1",
        "+1",
        "01",
        "9223372036854775808",
        "-0",
    ] {
        d.check(&["HINCRBY", "h", "n", by]);
    }
    d.check(&["HINCRBY", "nokey2", "n", "x"]);
    d.check(&["EXISTS", "nokey2"]);
    for v in ["abc", "1.5", "", " 1", "01", "+1", "99999999999999999999"] {
        d.check(&["HSET", "h", "t", v]);
        d.check(&["HINCRBY", "h", "t", "1"]);
    }
    d.check(&["HSET", "h", "m", "9223372036854775806"]);
    d.check(&["HINCRBY", "h", "m", "1"]);
    d.check(&["HINCRBY", "h", "m", "1"]);
    d.check(&["HINCRBY", "h", "m", "-1"]);
    d.check(&["HSET", "h", "m", "-9223372036854775807"]);
    d.check(&["HINCRBY", "h", "m", "-1"]);
    d.check(&["HINCRBY", "h", "m", "-1"]);
    d.check(&["HINCRBY", "h", "m", "9223372036854775807"]);
    d.check(&["HINCRBY", "h", "m", "-9223372036854775808"]);
    d.check(&["HGETALL", "h"]);
}

#[test]
fn hincrbyfloat_cases() {
    let mut d = Diff::new();
    d.check(&["HINCRBYFLOAT", "h", "f", "0.1"]);
    d.check(&["HINCRBYFLOAT", "h", "f", "0.2"]);
    d.check(&["HINCRBYFLOAT", "h", "f", "-0.3"]);
    d.check(&["HINCRBYFLOAT", "h", "f", "1e3"]);
    d.check(&["HINCRBYFLOAT", "h", "f", "-1000"]);
    d.check(&["HINCRBYFLOAT", "h", "g", "5"]);
    d.check(&["HINCRBYFLOAT", "h", "g", "5.0e-5"]);
    d.check(&["HINCRBYFLOAT", "h", "g", "0x10"]);
    d.check(&["HINCRBYFLOAT", "h", "g", "-1.5E+2"]);
    for by in [
        "inf", "-inf", "+inf", "Infinity", "nan", "NaN", "x", "", " 1", "1 ", "1e", "--1", "1e5000",
    ] {
        d.check(&["HINCRBYFLOAT", "h", "g", by]);
    }
    d.check(&["HINCRBYFLOAT", "nokey2", "f", "nan"]);
    d.check(&["HINCRBYFLOAT", "nokey2", "f", "inf"]);
    d.check(&["EXISTS", "nokey2"]);
    for v in [
        "abc",
        "",
        " 1",
        "1.5.5",
        "0x1p3",
        "1e4932",
        "-1.18e4932",
        "7",
    ] {
        d.check(&["HSET", "h", "t", v]);
        d.check(&["HINCRBYFLOAT", "h", "t", "1"]);
    }
    d.check(&["HSET", "h", "big", "1.18e4932"]);
    d.check(&["HINCRBYFLOAT", "h", "big", "1.18e4932"]);
    d.check(&["HSET", "h", "i", "10"]);
    d.check(&["HINCRBY", "h", "i", "1"]);
    d.check(&["HINCRBYFLOAT", "h", "i", "0.5"]);
    d.check(&["HINCRBY", "h", "i", "1"]);
    // The 4933-byte results above made it a hashtable.
    d.check(&["OBJECT", "ENCODING", "h"]);
    d.check_unordered_pairs(&["HGETALL", "h"]);
}

#[test]
fn encoding_thresholds() {
    let mut d = Diff::new();
    let long = "x".repeat(65);
    let edge = "x".repeat(64);
    d.check(&["HSET", "a", &edge, &edge]);
    d.check(&["OBJECT", "ENCODING", "a"]);
    d.check(&["HSET", "a", "f", &long]);
    d.check(&["OBJECT", "ENCODING", "a"]);
    d.check(&["HSET", "b", &long, "1"]);
    d.check(&["OBJECT", "ENCODING", "b"]);
    d.check(&["HDEL", "b", &long]);
    d.check(&["EXISTS", "b"]);
    // 512 entries stay a listpack, the 513th converts; shrinking does not go back.
    fill(&mut d, "c", "f", 512);
    d.check(&["OBJECT", "ENCODING", "c"]);
    d.check(&["HGETALL", "c"]);
    d.check(&["HSET", "c", "f511", "again"]);
    d.check(&["OBJECT", "ENCODING", "c"]);
    d.check(&["HSET", "c", "extra", "1"]);
    d.check(&["OBJECT", "ENCODING", "c"]);
    d.check_unordered_pairs(&["HGETALL", "c"]);
    d.check_unordered(&["HKEYS", "c"]);
    d.check_unordered(&["HVALS", "c"]);
    d.check(&["HLEN", "c"]);
    let mut del = vec!["HDEL".to_string(), "c".to_string()];
    del.extend((0..510).map(|i| format!("f{i}")));
    d.check(&del);
    d.check(&["OBJECT", "ENCODING", "c"]);
    d.check_unordered_pairs(&["HGETALL", "c"]);
    // HSETNX checks lengths only for a new field; HINCRBY(FLOAT) always.
    d.check(&["HSET", "n", "a", "1"]);
    d.check(&["HSETNX", "n", "a", &long]);
    d.check(&["OBJECT", "ENCODING", "n"]);
    d.check(&["HSETNX", "n", "b", &long]);
    d.check(&["OBJECT", "ENCODING", "n"]);
    d.check(&["HINCRBY", "p", &long, "1"]);
    d.check(&["OBJECT", "ENCODING", "p"]);
    d.check(&["HINCRBYFLOAT", "q", &long, "1"]);
    d.check(&["OBJECT", "ENCODING", "q"]);
    d.check(&["HSET", "r", "a", "1"]);
    d.check(&["HINCRBYFLOAT", "r", "a", "1e60"]);
    d.check(&["OBJECT", "ENCODING", "r"]);
    d.check(&["HGET", "r", "a"]);
    // An over-long argument in HMSET converts even if the field is rewritten shorter.
    d.check(&["HMSET", "t", "a", &long, "a", "short"]);
    d.check(&["OBJECT", "ENCODING", "t"]);
    d.check(&["HGETALL", "t"]);
}

#[test]
fn configured_thresholds() {
    let mut d = Diff::new();
    d.check(&["CONFIG", "SET", "hash-max-listpack-entries", "3"]);
    d.check(&["CONFIG", "SET", "hash-max-listpack-value", "4"]);
    d.check(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    d.check(&["OBJECT", "ENCODING", "h"]);
    d.check(&["HINCRBY", "h", "a", "999"]);
    d.check(&["OBJECT", "ENCODING", "h"]);
    d.check(&["HINCRBY", "h", "a", "1"]);
    d.check(&["OBJECT", "ENCODING", "h"]);
    d.check(&["HSET", "i", "a", "1", "b", "2", "c", "3"]);
    d.check(&["CONFIG", "SET", "hash-max-listpack-entries", "2"]);
    d.check(&["HSET", "i", "a", "9"]);
    d.check(&["OBJECT", "ENCODING", "i"]);
    d.check(&["HSET", "j", "a", "1", "b", "2", "c", "3"]);
    d.check(&["OBJECT", "ENCODING", "j"]);
    d.check(&["HSETNX", "k", "a", "1"]);
    d.check(&["HSETNX", "k", "b", "1"]);
    d.check(&["HSETNX", "k", "c", "1"]);
    d.check(&["OBJECT", "ENCODING", "k"]);
    d.check(&["CONFIG", "SET", "hash-max-listpack-entries", "0"]);
    d.check(&["HSET", "z", "a", "1"]);
    d.check(&["OBJECT", "ENCODING", "z"]);
    d.check(&["HINCRBYFLOAT", "y", "a", "1"]);
    d.check(&["OBJECT", "ENCODING", "y"]);
    d.check(&["CONFIG", "SET", "hash-max-listpack-entries", "512"]);
    d.check(&["CONFIG", "SET", "hash-max-listpack-value", "0"]);
    d.check(&["HSET", "e", "", ""]);
    d.check(&["OBJECT", "ENCODING", "e"]);
    d.check(&["HSET", "e", "a", ""]);
    d.check(&["OBJECT", "ENCODING", "e"]);
}

/// The hash as (field -> value) read with HGETALL (RESP2) on one connection.
fn contents(conn: &mut support::RawConn, key: &str) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let r = conn.cmd(&["HGETALL", key]);
    r.items()
        .chunks(2)
        .map(|p| {
            (
                p[0].bytes().unwrap().to_vec(),
                p[1].bytes().unwrap().to_vec(),
            )
        })
        .collect()
}

/// Checks one HRANDFIELD reply against the hash it sampled.
fn check_sample(
    hash: &BTreeMap<Vec<u8>, Vec<u8>>,
    reply: &Resp,
    count: i64,
    withvalues: bool,
    resp3: bool,
) {
    let items = reply.items();
    let pairs: Vec<(Vec<u8>, Option<Vec<u8>>)> = if withvalues && resp3 {
        items
            .iter()
            .map(|p| {
                let p = p.items();
                assert_eq!(p.len(), 2, "RESP3 pairs: {reply:?}");
                (
                    p[0].bytes().unwrap().to_vec(),
                    Some(p[1].bytes().unwrap().to_vec()),
                )
            })
            .collect()
    } else if withvalues {
        assert_eq!(items.len() % 2, 0);
        items
            .chunks(2)
            .map(|p| {
                (
                    p[0].bytes().unwrap().to_vec(),
                    Some(p[1].bytes().unwrap().to_vec()),
                )
            })
            .collect()
    } else {
        items
            .iter()
            .map(|f| (f.bytes().unwrap().to_vec(), None))
            .collect()
    };
    let want = if count >= 0 {
        (count as usize).min(hash.len())
    } else {
        count.unsigned_abs() as usize
    };
    assert_eq!(pairs.len(), want, "count {count}: {reply:?}");
    for (f, v) in &pairs {
        let stored = hash.get(f).unwrap_or_else(|| panic!("not a field: {f:?}"));
        if let Some(v) = v {
            assert_eq!(v, stored);
        }
    }
    if count > 0 {
        let distinct: BTreeSet<_> = pairs.iter().map(|p| &p.0).collect();
        assert_eq!(distinct.len(), pairs.len(), "distinct for count {count}");
    }
}

#[test]
fn hrandfield() {
    let mut d = Diff::new();
    // Argument errors come before the key lookup, in Redis's order.
    for cmd in [
        &["HRANDFIELD", "nokey", "x"][..],
        &["HRANDFIELD", "nokey", "-0"],
        &["HRANDFIELD", "nokey", "1.5"],
        &["HRANDFIELD", "nokey", "9223372036854775808"],
        &["HRANDFIELD", "nokey", "-9223372036854775808"],
        &["HRANDFIELD", "nokey", "-9223372036854775808", "WITHVALUES"],
        &["HRANDFIELD", "nokey", "1", "x"],
        &["HRANDFIELD", "nokey", "1", "WITHVALUES", "x"],
        &["HRANDFIELD", "nokey", "x", "WITHVALUES"],
        &["HRANDFIELD", "nokey", "4611686018427387904", "WITHVALUES"],
        &["HRANDFIELD", "nokey", "-4611686018427387904", "WITHVALUES"],
        &["HRANDFIELD", "nokey", "4611686018427387903", "WITHVALUES"],
        &["HRANDFIELD", "nokey", "-4611686018427387903", "withvalues"],
        &["HRANDFIELD", "nokey", "9223372036854775807"],
        &["HRANDFIELD", "nokey", "0"],
    ] {
        d.check(cmd);
    }
    fill(&mut d, "one", "f", 1);
    fill(&mut d, "small", "f", 10);
    fill(&mut d, "big", "f", 600);
    for key in ["one", "small", "big"] {
        let hash = contents(&mut d.main.redis, key);
        assert_eq!(contents(&mut d.main.ember, key), hash);
        d.check(&["HRANDFIELD", key, "0"]);
        d.check(&["HRANDFIELD", key, "0", "WITHVALUES"]);
        // Counts at or above the size give the whole hash in its own order.
        let whole = hash.len().to_string();
        if key == "big" {
            d.check_unordered(&["HRANDFIELD", key, &whole]);
            d.check_unordered_pairs(&["HRANDFIELD", key, "5000", "WITHVALUES"]);
        } else {
            d.check(&["HRANDFIELD", key, &whole]);
            d.check(&["HRANDFIELD", key, "5000", "WITHVALUES"]);
        }
        for count in [1i64, 2, 3, 4, 9, 150, 199, 200, 201, 599, -1, -5, -2000] {
            for withvalues in [false, true] {
                let mut cmd = vec!["HRANDFIELD".to_string(), key.into(), count.to_string()];
                if withvalues {
                    cmd.push("WITHVALUES".into());
                }
                let r = d.redis.cmd(&cmd);
                let e = d.ember.cmd(&cmd);
                check_sample(&hash, &r, count, withvalues, false);
                check_sample(&hash, &e, count, withvalues, false);
            }
        }
        let r = d.redis.cmd(&["HRANDFIELD", key]);
        let e = d.ember.cmd(&["HRANDFIELD", key]);
        assert!(hash.contains_key(r.bytes().unwrap()));
        assert!(hash.contains_key(e.bytes().unwrap()));
    }
    // RESP3: WITHVALUES gives an array of [field, value] pairs.
    let hash = contents(&mut d.main.redis, "big");
    d.hello3();
    d.check(&["HRANDFIELD", "small", "100", "WITHVALUES"]);
    d.check(&["HRANDFIELD", "one", "-3", "WITHVALUES"]);
    d.check(&["HRANDFIELD", "nokey"]);
    d.check(&["HRANDFIELD", "nokey", "2", "WITHVALUES"]);
    for count in [3i64, 300, -7] {
        let cmd = ["HRANDFIELD", "big", &count.to_string(), "WITHVALUES"];
        d.check_shape(&cmd);
        let r = d.redis.cmd(&cmd);
        let e = d.ember.cmd(&cmd);
        check_sample(&hash, &r, count, true, true);
        check_sample(&hash, &e, count, true, true);
    }
}

type PairSet = BTreeSet<(Vec<u8>, Vec<u8>)>;

/// Runs a full HSCAN on one connection; returns every (field, value) seen and
/// the number of calls.
fn hscan_all(conn: &mut support::RawConn, key: &str, extra: &[&str]) -> (PairSet, usize) {
    let mut cursor = b"0".to_vec();
    let mut seen = BTreeSet::new();
    let mut calls = 0;
    loop {
        let mut argv: Vec<Vec<u8>> =
            vec![b"HSCAN".to_vec(), key.as_bytes().to_vec(), cursor.clone()];
        argv.extend(extra.iter().map(|a| a.as_bytes().to_vec()));
        let reply = conn.cmd(&argv);
        let items = reply.items();
        assert_eq!(items.len(), 2, "HSCAN reply {reply:?}");
        cursor = items[0].bytes().expect("cursor").to_vec();
        for p in items[1].items().chunks(2) {
            seen.insert((
                p[0].bytes().unwrap().to_vec(),
                p[1].bytes().unwrap().to_vec(),
            ));
        }
        calls += 1;
        assert!(calls < 100_000, "HSCAN does not terminate");
        if cursor == b"0" {
            return (seen, calls);
        }
    }
}

#[test]
fn hscan() {
    let mut d = Diff::new();
    fill(&mut d, "l", "f", 30);
    for cmd in [
        &["HSCAN", "l", "0"][..],
        &["HSCAN", "l", "7"],
        &["HSCAN", "l", "0", "COUNT", "1"],
        &["HSCAN", "l", "0", "MATCH", "f1*"],
        &["HSCAN", "l", "0", "match", "*", "count", "5"],
        &["HSCAN", "l", "0", "MATCH", "nothing"],
        &["HSCAN", "l", "0", "MATCH", "f2", "MATCH", "f1?"],
        &["HSCAN", "l", "0", "MATCH", "f[0-2]"],
        &["HSCAN", "l", "-1"],
        &["HSCAN", "l", "x"],
        &["HSCAN", "l", "1.5"],
        &["HSCAN", "l", "18446744073709551616"],
        &["HSCAN", "l", "0", "COUNT", "0"],
        &["HSCAN", "l", "0", "COUNT", "-1"],
        &["HSCAN", "l", "0", "COUNT", "x"],
        &["HSCAN", "l", "0", "COUNT"],
        &["HSCAN", "l", "0", "MATCH"],
        &["HSCAN", "l", "0", "TYPE", "string"],
        &["HSCAN", "l", "0", "NOVALUES"],
        &["HSCAN", "l", "0", "foo", "bar"],
        &["HSCAN", "nokey", "0", "COUNT", "0"],
        &["HSCAN", "nokey", "0", "bogus"],
        &["HSCAN", "nokey", "x"],
    ] {
        d.check(cmd);
    }
    fill(&mut d, "h", "f", 700);
    for extra in [
        &[][..],
        &["COUNT", "3"],
        &["MATCH", "f1*"],
        &["MATCH", "*7", "COUNT", "50"],
        &["MATCH", "nothing"],
        &["COUNT", "100000"],
    ] {
        let (r, _) = hscan_all(&mut d.main.redis, "h", extra);
        let (e, calls) = hscan_all(&mut d.main.ember, "h", extra);
        assert_eq!(e, r, "HSCAN h {extra:?}");
        if extra.is_empty() {
            assert_eq!(e.len(), 700);
            assert!(calls > 10, "COUNT 10 takes many calls ({calls})");
        }
        if extra == ["COUNT", "100000"] {
            assert_eq!(calls, 1);
        }
    }
    d.check(&["HSCAN", "h", "0", "COUNT", "0"]);
    d.check(&["HSCAN", "h", "0", "MATCH"]);
    d.hello3();
    d.check(&["HSCAN", "l", "0", "MATCH", "f1*"]);
}

#[test]
fn resp3_reply_types() {
    let mut d = Diff::new();
    d.hello3();
    d.check(&["HSET", "h", "a", "1", "b", "2"]);
    for cmd in [
        &["HGETALL", "h"][..],
        &["HGETALL", "nokey"],
        &["HKEYS", "h"],
        &["HVALS", "nokey"],
        &["HGET", "h", "zz"],
        &["HMGET", "h", "a", "zz"],
        &["HMGET", "nokey", "a"],
        &["HRANDFIELD", "nokey"],
        &["HINCRBYFLOAT", "h", "a", "1.5"],
        &["HINCRBY", "h", "b", "1"],
        &["HMSET", "h", "c", "3"],
        &["HSCAN", "h", "0"],
        &["HSCAN", "nokey", "0"],
    ] {
        d.check(cmd);
    }
    fill(&mut d, "big", "f", 600);
    d.check_normalized(&["HGETALL", "big"], |r| match r {
        Resp::Map(m) => {
            let mut m = m.clone();
            m.sort();
            Resp::Map(m)
        }
        other => other.clone(),
    });
}

#[test]
fn expired_keys_are_missing_hashes() {
    let mut d = Diff::new();
    d.check(&["HSET", "e", "a", "1"]);
    d.check(&["PEXPIRE", "e", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(5));
    for cmd in [
        &["HLEN", "e"][..],
        &["HGETALL", "e"],
        &["HGET", "e", "a"],
        &["HRANDFIELD", "e"],
        &["HDEL", "e", "a"],
        &["HINCRBY", "e", "n", "1"],
        &["HGETALL", "e"],
        &["TTL", "e"],
    ] {
        d.check(cmd);
    }
    // Writes keep the TTL of an existing hash.
    d.check(&["EXPIRE", "e", "1000"]);
    d.check(&["HSET", "e", "b", "2"]);
    d.check(&["HINCRBYFLOAT", "e", "b", "2"]);
    d.check(&["HDEL", "e", "b"]);
    d.check(&["TTL", "e"]);
}

fn field(rng: &mut SmallRng) -> String {
    match rng.gen_range(0..10) {
        0..=6 => gen::key(rng, "f", 12),
        7 => gen::text(rng, 3),
        8 => "x".repeat(rng.gen_range(7..11)),
        _ => String::new(),
    }
}

fn value(rng: &mut SmallRng) -> String {
    match rng.gen_range(0..10) {
        0..=3 => gen::int(rng, -50, 50),
        4..=7 => gen::text(rng, 4),
        8 => "y".repeat(rng.gen_range(5..12)),
        _ => gen::pick(rng, &["1.5", "-0", "9223372036854775807", ""]).to_string(),
    }
}

fn g_write(rng: &mut SmallRng) -> Vec<String> {
    let key = gen::key(rng, "h", 4);
    match rng.gen_range(0..10) {
        0..=3 => {
            let op = gen::pick(rng, &["HSET", "HSET", "HMSET"]);
            let mut cmd = vec![op.to_string(), key];
            for _ in 0..rng.gen_range(1..5) {
                cmd.push(field(rng));
                cmd.push(value(rng));
            }
            cmd
        }
        4 => vec!["HSETNX".into(), key, field(rng), value(rng)],
        5 | 6 => {
            let mut cmd = vec!["HDEL".to_string(), key];
            cmd.extend((0..rng.gen_range(1..4)).map(|_| field(rng)));
            cmd
        }
        7 | 8 => vec!["HINCRBY".into(), key, field(rng), gen::int(rng, -5, 5)],
        _ => {
            let by = gen::pick(rng, &["0.5", "-1.25", "3", "1e2", "x", "inf"]);
            vec!["HINCRBYFLOAT".into(), key, field(rng), by.into()]
        }
    }
}

fn g_read(rng: &mut SmallRng) -> Vec<String> {
    let key = gen::key(rng, "h", 5);
    match rng.gen_range(0..9) {
        0 => vec!["HGET".into(), key, field(rng)],
        1 => {
            let mut cmd = vec!["HMGET".to_string(), key];
            cmd.extend((0..rng.gen_range(1..4)).map(|_| field(rng)));
            cmd
        }
        2 => vec!["HGETALL".into(), key],
        3 => vec!["HKEYS".into(), key],
        4 => vec!["HVALS".into(), key],
        5 => vec!["HLEN".into(), key],
        6 => vec!["HSTRLEN".into(), key, field(rng)],
        7 => vec!["HEXISTS".into(), key, field(rng)],
        _ => vec!["OBJECT".into(), "ENCODING".into(), key],
    }
}

fn g_misc(rng: &mut SmallRng) -> Vec<String> {
    let key = gen::key(rng, "h", 5);
    match rng.gen_range(0..4) {
        0 => vec!["HRANDFIELD".into(), key, "0".into()],
        1 => vec!["EXISTS".into(), key],
        2 => vec!["TYPE".into(), key],
        _ => vec!["SET".into(), "h4".into(), "str".into()],
    }
}

/// Field lists are unordered once a hashtable is involved.
fn classify(cmd: &[String]) -> Cmp {
    match cmd[0].as_str() {
        "HKEYS" | "HVALS" => Cmp::Unordered,
        "HGETALL" => Cmp::UnorderedPairs,
        _ => Cmp::Exact,
    }
}

#[test]
fn random_sequences() {
    for seed in seeds(&[1, 2, 3]) {
        let mut d = Diff::new();
        d.check(&["CONFIG", "SET", "hash-max-listpack-entries", "8"]);
        d.check(&["CONFIG", "SET", "hash-max-listpack-value", "8"]);
        d.random_sequence_by(seed, 700, &[g_write, g_write, g_read, g_misc], classify);
    }
}

/// Listpack replies keep insertion order: compared exactly.
#[test]
fn random_listpack_order() {
    fn g(rng: &mut SmallRng) -> Vec<String> {
        let key = gen::key(rng, "k", 3);
        match rng.gen_range(0..6) {
            0 | 1 => {
                let mut c = vec!["HSET".to_string(), key];
                for _ in 0..rng.gen_range(1..4) {
                    c.push(gen::key(rng, "f", 20));
                    c.push(gen::text(rng, 3));
                }
                c
            }
            2 => vec!["HDEL".into(), key, gen::key(rng, "f", 20)],
            3 => vec!["HGETALL".into(), key],
            4 => vec!["HKEYS".into(), key],
            _ => vec!["HSCAN".into(), key, "0".into()],
        }
    }
    for seed in seeds(&[7]) {
        support::random_sequence(seed, 400, &[g]);
    }
}
