//! Unit tests for the hash commands: keyspace events, propagation, dirty
//! counts, encodings and HRANDFIELD's sampling (replies are compared with
//! Redis in tests/diff_hashes.rs).

use crate::testkit::T;
use ember_resp::Reply;
use std::collections::HashSet;

#[test]
fn keyspace_events_match_redis() {
    let mut t = T::new();
    // The sequence and the events Redis 7.0.15 emits for it (checked with PSUBSCRIBE).
    let script: &[&[&str]] = &[
        &["HSET", "h", "a", "1", "b", "2"],
        &["HSET", "h", "a", "1"],
        &["HMSET", "h", "c", "3"],
        &["HSETNX", "h", "a", "x"],
        &["HSETNX", "h", "z", "x"],
        &["HDEL", "h", "nope"],
        &["HDEL", "h", "a", "b"],
        &["HINCRBY", "h", "n", "5"],
        &["HINCRBYFLOAT", "h", "f", "1.5"],
        &["HDEL", "h", "c", "z", "n", "f", "q"],
        &["HINCRBY", "g", "n", "1"],
        &["HSET", "s", "x", "1"],
        &["HSETNX", "t", "x", "1"],
        &["HGET", "nokey", "x"],
        &["HINCRBYFLOAT", "u", "x", "1"],
    ];
    for cmd in script {
        t.run(cmd);
    }
    let want = "hset:h hset:h hset:h hset:h hdel:h hincrby:h hincrbyfloat:h hdel:h del:h \
                hincrby:g hset:s hset:t hincrbyfloat:u";
    assert_eq!(T::take(&t.events).join(" "), want);
    assert_eq!(t.int(&["EXISTS", "h"]), 0);
}

#[test]
fn propagation_and_dirty() {
    let mut t = T::new();
    let d0 = t.e.dirty;
    t.run(&["HSET", "h", "a", "1", "b", "2", "a", "3"]);
    assert_eq!(t.e.dirty, d0 + 3, "dirty counts pairs, not new fields");
    t.run(&["HINCRBYFLOAT", "h", "a", "0.25"]);
    t.run(&["HINCRBY", "h", "b", "-7"]);
    t.run(&["HSETNX", "h", "a", "x"]);
    t.run(&["HDEL", "h", "zz"]);
    t.run(&["HDEL", "h", "a", "zz", "b"]);
    assert_eq!(
        T::take(&t.props),
        [
            "HSET h a 1 b 2 a 3",
            "HSET h a 3.25",
            "HINCRBY h b -7",
            "HDEL h a zz b",
        ]
    );
    assert_eq!(t.e.dirty, d0 + 3 + 1 + 1 + 2);
    // Errors change nothing and propagate nothing.
    t.run(&["SET", "s", "x"]);
    T::take(&t.props);
    for cmd in [
        &["HSET", "s", "a", "1"][..],
        &["HINCRBYFLOAT", "h", "a", "inf"],
        &["HSET", "h", "a"],
    ] {
        assert!(t.run(cmd).is_error(), "{cmd:?}");
    }
    assert!(T::take(&t.props).is_empty());
}

#[test]
fn encoding_transitions_follow_config() {
    let mut t = T::new();
    t.run(&["CONFIG", "SET", "hash-max-listpack-entries", "4"]);
    t.run(&["CONFIG", "SET", "hash-max-listpack-value", "8"]);
    t.run(&["HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"]);
    assert_eq!(t.encoding("h"), "listpack");
    t.run(&["HSET", "h", "e", "5"]);
    assert_eq!(t.encoding("h"), "hashtable");
    t.run(&["HDEL", "h", "a", "b", "c", "d"]);
    assert_eq!(t.encoding("h"), "hashtable", "conversion is one-way");

    t.run(&["HSET", "v", "a", "12345678"]);
    assert_eq!(t.encoding("v"), "listpack");
    t.run(&["HSET", "v", "a", "123456789"]);
    assert_eq!(t.encoding("v"), "hashtable");

    // HSETNX on an existing field does not convert; HINCRBY's own result does.
    t.run(&["HSET", "n", "a", "1"]);
    t.run(&["HSETNX", "n", "a", "123456789"]);
    assert_eq!(t.encoding("n"), "listpack");
    t.run(&["HINCRBY", "n", "a", "999999999"]);
    assert_eq!(t.encoding("n"), "hashtable");
    assert_eq!(t.strings(&["HMGET", "n", "a"]), ["1000000000"]);

    // Updating a field in a full listpack converts once over the limit.
    t.run(&["CONFIG", "SET", "hash-max-listpack-entries", "1"]);
    t.run(&["DEL", "u"]);
    t.run(&["CONFIG", "SET", "hash-max-listpack-entries", "2"]);
    t.run(&["HSET", "u", "a", "1", "b", "2"]);
    t.run(&["CONFIG", "SET", "hash-max-listpack-entries", "1"]);
    t.run(&["HSET", "u", "a", "5"]);
    assert_eq!(t.encoding("u"), "hashtable");
    t.run(&["CONFIG", "SET", "hash-max-listpack-entries", "0"]);
    t.run(&["HSET", "z", "a", "1"]);
    assert_eq!(t.encoding("z"), "hashtable");
}

fn hash_of(t: &mut T, key: &str, n: usize) -> Vec<String> {
    let fields: Vec<String> = (0..n).map(|i| format!("f{i}")).collect();
    let mut cmd = vec!["HSET".to_string(), key.to_string()];
    for f in &fields {
        cmd.push(f.clone());
        cmd.push(format!("v{}", &f[1..]));
    }
    let refs: Vec<&str> = cmd.iter().map(String::as_str).collect();
    t.run(&refs);
    fields
}

#[test]
fn hrandfield_cases() {
    let mut t = T::new();
    for (key, n) in [("small", 10usize), ("big", 1000)] {
        let fields = hash_of(&mut t, key, n);
        let all: HashSet<&str> = fields.iter().map(String::as_str).collect();
        // Distinct picks for every positive count below the size, each CASE.
        for count in [1, 2, 3, 4, 9, n / 3, n / 3 + 1, n - 1] {
            let got = t.strings(&["HRANDFIELD", key, &count.to_string()]);
            assert_eq!(got.len(), count, "{key} {count}");
            let set: HashSet<&str> = got.iter().map(String::as_str).collect();
            assert_eq!(set.len(), count, "distinct: {key} {count}");
            assert!(set.is_subset(&all));
        }
        // The whole hash once count reaches the size.
        let got = t.strings(&["HRANDFIELD", key, &(n + 5).to_string()]);
        assert_eq!(got.len(), n);
        // Repeats for negative counts.
        let got = t.strings(&["HRANDFIELD", key, &format!("-{}", 3 * n)]);
        assert_eq!(got.len(), 3 * n);
        let distinct: HashSet<&str> = got.iter().map(String::as_str).collect();
        assert!(distinct.len() < got.len() && distinct.is_subset(&all));
        // WITHVALUES pairs each field with its value.
        let got = t.strings(&["HRANDFIELD", key, "-20", "WITHVALUES"]);
        assert_eq!(got.len(), 40);
        for pair in got.chunks(2) {
            assert_eq!(pair[1], format!("v{}", &pair[0][1..]));
        }
    }
    // A listpack subset comes out in listpack order (Redis's CASE 2.5).
    for _ in 0..20 {
        let got = t.strings(&["HRANDFIELD", "small", "3"]);
        let idx: Vec<usize> = got.iter().map(|f| f[1..].parse().unwrap()).collect();
        assert!(idx.windows(2).all(|w| w[0] < w[1]), "{got:?}");
    }
    // Every field shows up eventually.
    let mut seen = HashSet::new();
    for _ in 0..400 {
        let Reply::Bulk(f) = t.run(&["HRANDFIELD", "small"]) else {
            panic!()
        };
        seen.insert(f);
    }
    assert_eq!(seen.len(), 10);
    assert_eq!(
        t.run(&["HRANDFIELD", "small", "-67108865"]),
        Reply::error("ERR value is out of range")
    );
}

#[test]
fn hrandfield_resp3_pairs() {
    let mut t = T::new();
    t.run(&["HELLO", "3"]);
    t.run(&["HSET", "h", "a", "1", "b", "2"]);
    let Reply::Array(items) = t.run(&["HRANDFIELD", "h", "5", "WITHVALUES"]) else {
        panic!()
    };
    assert_eq!(
        items,
        vec![
            Reply::Array(vec![Reply::bulk("a"), Reply::bulk("1")]),
            Reply::Array(vec![Reply::bulk("b"), Reply::bulk("2")]),
        ]
    );
    assert!(matches!(t.run(&["HGETALL", "h"]), Reply::Map(m) if m.len() == 2));
}

#[test]
fn hscan_walks_a_hashtable_completely() {
    let mut t = T::new();
    hash_of(&mut t, "h", 700);
    assert_eq!(t.encoding("h"), "hashtable");
    let mut cursor = "0".to_string();
    let mut fields = HashSet::new();
    let mut calls = 0;
    loop {
        let Reply::Array(parts) = t.run(&["HSCAN", "h", &cursor, "MATCH", "f1*"]) else {
            panic!()
        };
        calls += 1;
        let (Reply::Bulk(c), Reply::Array(items)) = (&parts[0], &parts[1]) else {
            panic!()
        };
        for pair in items.chunks(2) {
            let (Reply::Bulk(f), Reply::Bulk(v)) = (&pair[0], &pair[1]) else {
                panic!()
            };
            assert_eq!(&v[1..], &f[1..]);
            fields.insert(f.clone());
        }
        cursor = String::from_utf8_lossy(c).into_owned();
        if cursor == "0" {
            break;
        }
    }
    // f1, f10-f19, f100-f199.
    assert_eq!(fields.len(), 111);
    assert!(calls > 10, "COUNT 10 walks in steps: {calls}");
}
