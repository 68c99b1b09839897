//! Unit tests for the set commands: keyspace events, propagation, dirty counts
//! and encodings (the replies themselves are compared with Redis in
//! tests/diff_sets.rs).

use crate::testkit::T;
use bytes::Bytes;
use ember_resp::Reply;

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn keyspace_events_match_redis() {
    let mut t = T::new();
    // The sequence and the events Redis 7.0.15 emits for it.
    let script: &[&[&str]] = &[
        &["SADD", "a", "1", "2", "3"],
        &["SADD", "a", "1"],
        &["SREM", "a", "9"],
        &["SREM", "a", "1", "2", "3"],
        &["SADD", "a", "1", "2", "3"],
        &["SMOVE", "a", "b", "1"],
        &["SMOVE", "a", "b", "1"],
        &["SADD", "b", "2"],
        &["SMOVE", "a", "b", "2"],
        &["SMOVE", "a", "b", "3"],
        &["SPOP", "b"],
        &["SPOP", "b", "5"],
        &[
            "SADD", "c", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
        ],
        &["SPOP", "c", "2"],
        &["SPOP", "c", "7"],
        &["SPOP", "c", "0"],
        &["SADD", "x", "1"],
        &["SADD", "y", "2"],
        &["SINTERSTORE", "z", "x", "y"],
        &["SUNIONSTORE", "z", "x", "y"],
        &["SINTERSTORE", "z", "x", "y"],
        &["SDIFFSTORE", "z", "x", "y"],
        &["SDIFFSTORE", "z", "x", "x"],
        &["SINTERSTORE", "z", "x", "nokey"],
        &["SUNIONSTORE", "z", "x"],
        &["SUNIONSTORE", "z", "nokey"],
    ];
    for cmd in script {
        t.run(cmd);
    }
    let want = "sadd:a srem:a del:a sadd:a srem:a sadd:b sadd:b srem:a srem:a del:a sadd:b \
                spop:b spop:b del:b sadd:c spop:c spop:c sadd:x sadd:y sunionstore:z del:z \
                sdiffstore:z del:z sunionstore:z del:z";
    assert_eq!(T::take(&t.events).join(" "), want);
}

#[test]
fn spop_propagates_srem_or_del() {
    let mut t = T::new();
    t.run(&["SADD", "s", "a", "b", "c"]);
    T::take(&t.props);
    let m = t.strings(&["SPOP", "s", "1"]);
    assert_eq!(T::take(&t.props), vec![format!("SREM s {}", m[0])]);
    let Reply::Bulk(m) = t.run(&["SPOP", "s"]) else {
        panic!()
    };
    let m = String::from_utf8_lossy(&m).into_owned();
    assert_eq!(T::take(&t.props), vec![format!("SREM s {m}")]);
    // The last member: still an SREM (Redis deletes the key as a side effect).
    t.run(&["SPOP", "s"]);
    assert!(T::take(&t.props)[0].starts_with("SREM s "));
    assert_eq!(t.int(&["EXISTS", "s"]), 0);

    // Whole set: one DEL.
    t.run(&["SADD", "s", "1", "2", "3"]);
    T::take(&t.props);
    assert_eq!(t.strings(&["SPOP", "s", "10"]), ["1", "2", "3"]);
    assert_eq!(T::take(&t.props), ["DEL s"]);

    // Few members taken (one SREM each) and most taken (survivors rebuilt).
    for count in [2usize, 9] {
        let ten: Vec<String> = (1..=10).map(|i| i.to_string()).collect();
        let mut cmd = vec!["SADD", "s"];
        cmd.extend(ten.iter().map(String::as_str));
        t.run(&cmd);
        T::take(&t.props);
        let popped = t.strings(&["SPOP", "s", &count.to_string()]);
        assert_eq!(popped.len(), count);
        let props = T::take(&t.props);
        let want: Vec<String> = popped.iter().map(|m| format!("SREM s {m}")).collect();
        assert_eq!(props, want);
        let left = t.strings(&["SMEMBERS", "s"]);
        assert_eq!(left.len(), 10 - count);
        let mut all = popped.clone();
        all.extend(left);
        assert_eq!(sorted(all), sorted(ten));
        t.run(&["DEL", "s"]);
    }
    // Nothing to pop: nothing propagated.
    t.run(&["SPOP", "nokey"]);
    t.run(&["SPOP", "nokey", "3"]);
    t.run(&["SADD", "s", "1"]);
    T::take(&t.props);
    t.run(&["SPOP", "s", "0"]);
    assert!(T::take(&t.props).is_empty());
}

#[test]
fn spop_count_dirty_and_encoding_of_survivors() {
    let mut t = T::new();
    // A hashtable holding only integers: survivors rebuilt by SPOP form an intset.
    t.run(&[
        "SADD", "h", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "x",
    ]);
    t.run(&["SREM", "h", "x"]);
    assert_eq!(t.encoding("h"), "hashtable");
    let dirty = t.e.dirty;
    assert_eq!(t.strings(&["SPOP", "h", "9"]).len(), 9);
    assert_eq!(t.e.dirty, dirty + 9);
    assert_eq!(t.encoding("h"), "intset");
    // Dirty counts the members taken when the set is smaller than the count
    // (Redis 7.0.15: SPOP s 100 of 5 members adds 5; i64::MAX overflowed it).
    t.run(&["SADD", "h", "20", "21"]);
    let dirty = t.e.dirty;
    t.run(&["SPOP", "h", "100"]);
    assert_eq!(t.e.dirty, dirty + 3);
    t.run(&["SADD", "h", "1"]);
    t.run(&["SPOP", "h", "9223372036854775807"]);
    assert_eq!(t.e.dirty, dirty + 5);
}

#[test]
fn writes_propagate_verbatim_and_reads_not_at_all() {
    let mut t = T::new();
    t.run(&["SADD", "a", "1", "2"]);
    t.run(&["SADD", "a", "1"]);
    t.run(&["SREM", "a", "9"]);
    t.run(&["SMOVE", "a", "b", "1"]);
    t.run(&["SMOVE", "a", "b", "9"]);
    t.run(&["SINTERSTORE", "c", "a", "b"]);
    t.run(&["SUNIONSTORE", "c", "a", "b"]);
    t.run(&["SDIFFSTORE", "c", "nokey", "b"]);
    t.run(&["SDIFFSTORE", "c", "nokey", "b"]);
    t.run(&["SMEMBERS", "a"]);
    t.run(&["SRANDMEMBER", "a", "-5"]);
    assert_eq!(
        T::take(&t.props),
        [
            "SADD a 1 2",
            "SMOVE a b 1",
            "SUNIONSTORE c a b",
            "SDIFFSTORE c nokey b"
        ]
    );
}

#[test]
fn smove_counts_and_creates() {
    let mut t = T::new();
    t.run(&["SADD", "a", "x", "1"]);
    let d = t.e.dirty;
    assert_eq!(t.int(&["SMOVE", "a", "n", "1"]), 1);
    assert_eq!(t.e.dirty, d + 2);
    assert_eq!(t.encoding("n"), "intset");
    t.run(&["SADD", "n", "x"]);
    let d = t.e.dirty;
    assert_eq!(t.int(&["SMOVE", "a", "n", "x"]), 1);
    assert_eq!(t.e.dirty, d + 1, "already in the destination");
    assert_eq!(t.int(&["EXISTS", "a"]), 0);
}

#[test]
fn intset_limits_follow_the_config() {
    let mut t = T::new();
    t.run(&["CONFIG", "SET", "set-max-intset-entries", "3"]);
    t.run(&["SADD", "s", "1", "2", "3"]);
    assert_eq!(t.encoding("s"), "intset");
    assert_eq!(t.strings(&["SMEMBERS", "s"]), ["1", "2", "3"]);
    t.run(&["SADD", "s", "-4"]);
    assert_eq!(t.encoding("s"), "hashtable");
    t.run(&["SREM", "s", "-4", "3"]);
    assert_eq!(t.encoding("s"), "hashtable");
    // Store commands build a fresh intset that converts as members arrive.
    t.run(&["SUNIONSTORE", "u", "s"]);
    assert_eq!(t.encoding("u"), "intset");
    t.run(&["CONFIG", "SET", "set-max-intset-entries", "0"]);
    t.run(&["SADD", "z", "1"]);
    assert_eq!(t.encoding("z"), "hashtable");
    t.run(&["CONFIG", "SET", "set-max-intset-entries", "512"]);
    t.run(&[
        "SADD",
        "w",
        "9223372036854775807",
        "-9223372036854775808",
        "0",
    ]);
    assert_eq!(t.encoding("w"), "intset");
    assert_eq!(
        t.strings(&["SMEMBERS", "w"]),
        ["-9223372036854775808", "0", "9223372036854775807"]
    );
    t.run(&["SADD", "w", "9223372036854775808"]);
    assert_eq!(t.encoding("w"), "hashtable");
}

#[test]
fn sscan_walks_a_hashtable_completely() {
    let mut t = T::new();
    let members: Vec<String> = (0..1000).map(|i| format!("m{i}")).collect();
    let mut cmd = vec!["SADD", "s"];
    cmd.extend(members.iter().map(String::as_str));
    t.run(&cmd);
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    let mut calls = 0;
    loop {
        let Reply::Array(parts) = t.run(&["SSCAN", "s", &cursor]) else {
            panic!()
        };
        let (Reply::Bulk(c), Reply::Array(batch)) = (&parts[0], &parts[1]) else {
            panic!()
        };
        for m in batch {
            let Reply::Bulk(m) = m else { panic!() };
            seen.push(String::from_utf8_lossy(m).into_owned());
        }
        calls += 1;
        cursor = String::from_utf8_lossy(c).into_owned();
        if cursor == "0" {
            break;
        }
    }
    assert!(calls > 10, "COUNT 10 gives several calls: {calls}");
    assert_eq!(sorted(seen), sorted(members));
    let Reply::Array(parts) = t.run(&["SSCAN", "s", "0", "MATCH", "m99*", "COUNT", "5000"]) else {
        panic!()
    };
    let Reply::Array(batch) = &parts[1] else {
        panic!()
    };
    assert_eq!(batch.len(), 11, "m99 and m990..m999");
}

#[test]
fn srandmember_counts() {
    let mut t = T::new();
    for (key, members) in [
        ("i", ["1", "2", "3", "4", "5"]),
        ("h", ["a", "b", "c", "d", "e"]),
    ] {
        let mut cmd = vec!["SADD", key];
        cmd.extend(members);
        t.run(&cmd);
        for n in 1..=7 {
            let got = t.strings(&["SRANDMEMBER", key, &n.to_string()]);
            assert_eq!(got.len(), n.min(5));
            let mut uniq = sorted(got.clone());
            uniq.dedup();
            assert_eq!(uniq.len(), got.len(), "distinct");
            assert!(got.iter().all(|m| members.contains(&m.as_str())));
        }
        let got = t.strings(&["SRANDMEMBER", key, "-20"]);
        assert_eq!(got.len(), 20);
        assert!(got.iter().all(|m| members.contains(&m.as_str())));
    }
    assert_eq!(
        t.strings(&["SRANDMEMBER", "i", "5"]),
        ["1", "2", "3", "4", "5"],
        "whole intset in order"
    );
}

#[test]
fn sintercard_key_positions() {
    let argv =
        |s: &str| -> Vec<Bytes> { s.split(' ').map(|w| Bytes::from(w.to_string())).collect() };
    assert_eq!(
        super::sintercard_keys(&argv("SINTERCARD 2 a b LIMIT 1")),
        [2, 3]
    );
    assert_eq!(super::sintercard_keys(&argv("SINTERCARD 2abc a b")), [2, 3]);
    assert!(super::sintercard_keys(&argv("SINTERCARD 3 a b")).is_empty());
    assert!(super::sintercard_keys(&argv("SINTERCARD 0 a")).is_empty());
    assert!(super::sintercard_keys(&argv("SINTERCARD x a")).is_empty());
}
