//! Differential tests of the sorted set family against the real redis-server
//! (continued): ZPOPMIN/ZPOPMAX/ZMPOP, ZRANDMEMBER (random replies compared by
//! shape), ZUNION/ZINTER/ZDIFF with their STORE forms and ZINTERCARD,
//! ZRANGESTORE, and ZSCAN (skiplist scans compared as whole iterations).

mod support;

use std::collections::BTreeSet;
use support::zsets::{fill, skiplist_only, zadd};
use support::Diff;

#[test]
fn pops() {
    let mut d = Diff::new();
    for big in [false, true] {
        if big {
            skiplist_only(&mut d);
            d.check(&["FLUSHALL"]);
        }
        fill(&mut d, "z", 12, 4);
        d.check(&["ZPOPMIN", "z"]);
        d.check(&["ZPOPMAX", "z"]);
        d.check(&["ZPOPMIN", "z", "2"]);
        d.check(&["ZPOPMAX", "z", "0"]);
        d.check(&["ZPOPMIN", "z", "-1"]);
        d.check(&["ZPOPMIN", "z", "x"]);
        d.check(&["ZPOPMIN", "z", "1", "2"]);
        d.check(&["ZPOPMIN", "nokey"]);
        d.check(&["ZPOPMIN", "nokey", "0"]);
        d.check(&["ZPOPMIN", "nokey", "-1"]);
        d.check(&["ZMPOP", "1", "z", "MIN"]);
        d.check(&["ZMPOP", "2", "nokey", "z", "max", "COUNT", "3"]);
        d.check(&["ZMPOP", "1", "nokey", "MIN"]);
        d.check(&["ZMPOP", "0", "z", "MIN"]);
        d.check(&["ZMPOP", "-1", "z", "MIN"]);
        d.check(&["ZMPOP", "x", "z", "MIN"]);
        d.check(&["ZMPOP", "2", "z", "MIN"]);
        d.check(&["ZMPOP", "1", "z", "MIDDLE"]);
        d.check(&["ZMPOP", "1", "z", "MIN", "COUNT"]);
        d.check(&["ZMPOP", "1", "z", "MIN", "COUNT", "0"]);
        d.check(&["ZMPOP", "1", "z", "MIN", "COUNT", "x"]);
        d.check(&["ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"]);
        d.check(&["ZMPOP", "1", "z", "MIN", "foo"]);
        d.check(&["ZMPOP", "9223372036854775807", "z", "MIN"]);
        d.check(&["SET", "s", "x"]);
        d.check(&["ZMPOP", "2", "s", "z", "MIN"]);
        d.check(&["ZMPOP", "2", "z", "s", "MIN"]);
        d.check(&["ZPOPMAX", "z", "100"]);
        d.check(&["EXISTS", "z"]);
        d.check(&["ZMPOP", "2", "z", "s", "MIN"]);
        d.hello3();
        fill(&mut d, "z", 5, 2);
        d.check(&["ZPOPMIN", "z"]);
        d.check(&["ZPOPMIN", "z", "1"]);
        d.check(&["ZPOPMAX", "z", "2"]);
        d.check(&["ZPOPMAX", "z", "0"]);
        d.check(&["ZMPOP", "1", "z", "MIN", "COUNT", "5"]);
        d.check(&["ZMPOP", "1", "z", "MIN"]);
        d.check(&["ZPOPMIN", "z"]);
        d.check_shape(&["HELLO", "2"]);
    }
}

#[test]
fn randmember() {
    let mut d = Diff::new();
    for big in [false, true] {
        if big {
            skiplist_only(&mut d);
            d.check(&["FLUSHALL"]);
        }
        fill(&mut d, "z", 20, 6);
        d.check_shape(&["ZRANDMEMBER", "z"]);
        d.check_shape(&["ZRANDMEMBER", "z", "1"]);
        d.check_shape(&["ZRANDMEMBER", "z", "5"]);
        d.check_shape(&["ZRANDMEMBER", "z", "15", "WITHSCORES"]);
        d.check_shape(&["ZRANDMEMBER", "z", "-30", "WITHSCORES"]);
        d.check_shape(&["ZRANDMEMBER", "z", "-1"]);
        // Everything: the whole set from the top score down.
        d.check(&["ZRANDMEMBER", "z", "20"]);
        d.check(&["ZRANDMEMBER", "z", "100", "WITHSCORES"]);
        d.check(&["ZRANDMEMBER", "z", "0"]);
        d.check(&["ZRANDMEMBER", "z", "0", "WITHSCORES"]);
        d.check(&["ZRANDMEMBER", "nokey"]);
        d.check(&["ZRANDMEMBER", "nokey", "5"]);
        d.check(&["ZRANDMEMBER", "nokey", "-9223372036854775807"]);
        d.check(&["ZRANDMEMBER", "nokey", "-9223372036854775808"]);
        d.check(&["ZRANDMEMBER", "nokey", "-4611686018427387904", "WITHSCORES"]);
        d.check(&["ZRANDMEMBER", "nokey", "4611686018427387904", "WITHSCORES"]);
        d.check(&["ZRANDMEMBER", "nokey", "4611686018427387903", "WITHSCORES"]);
        d.check(&["ZRANDMEMBER", "z", "x"]);
        d.check(&["ZRANDMEMBER", "z", "1", "foo"]);
        d.check(&["ZRANDMEMBER", "z", "x", "foo"]);
        d.check(&["ZRANDMEMBER", "z", "1", "WITHSCORES", "x"]);
        d.hello3();
        d.check_shape(&["ZRANDMEMBER", "z", "-3", "WITHSCORES"]);
        d.check_shape(&["ZRANDMEMBER", "z", "3", "WITHSCORES"]);
        d.check(&["ZRANDMEMBER", "z", "30", "WITHSCORES"]);
        d.check(&["ZRANDMEMBER", "nokey"]);
        d.check_shape(&["HELLO", "2"]);
    }
}

#[test]
fn algebra() {
    let mut d = Diff::new();
    for big in [false, true] {
        if big {
            skiplist_only(&mut d);
            d.check(&["FLUSHALL"]);
        }
        zadd(
            &mut d,
            "a",
            &[("1", "x"), ("2", "y"), ("3", "z"), ("0.1", "w")],
        );
        zadd(
            &mut d,
            "b",
            &[("10", "y"), ("20", "z"), ("30", "v"), ("0.2", "w")],
        );
        zadd(&mut d, "c", &[("inf", "x"), ("-inf", "y"), ("5", "z")]);
        zadd(&mut d, "neg", &[("-inf", "x"), ("inf", "y"), ("-0", "z")]);
        d.check(&["SADD", "s", "x", "y", "q"]);
        d.check(&["SADD", "ints", "1", "2", "3"]);
        zadd(&mut d, "n", &[("1", "1"), ("2", "2"), ("5", "5")]);
        for op in ["ZUNION", "ZINTER", "ZDIFF"] {
            for keys in [
                &["1", "a"][..],
                &["2", "a", "b"],
                &["3", "a", "b", "c"],
                &["2", "a", "a"],
                &["2", "a", "s"],
                &["2", "s", "a"],
                &["3", "a", "nokey", "b"],
                &["1", "nokey"],
                &["2", "c", "neg"],
                &["2", "ints", "n"],
                &["2", "n", "ints"],
            ] {
                let mut cmd = vec![op];
                cmd.extend_from_slice(keys);
                d.check(&cmd);
                cmd.push("WITHSCORES");
                d.check(&cmd);
                let mut store = vec![
                    ["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"][["ZUNION", "ZINTER", "ZDIFF"]
                        .iter()
                        .position(|o| *o == op)
                        .unwrap()],
                    "dst",
                ];
                store.extend_from_slice(keys);
                d.check(&store);
                d.check(&["ZRANGE", "dst", "0", "-1", "WITHSCORES"]);
                d.check(&["OBJECT", "ENCODING", "dst"]);
            }
        }
        for extra in [
            &["WEIGHTS", "2", "3"][..],
            &["WEIGHTS", "0", "1"],
            &["WEIGHTS", "-1", "inf"],
            &["WEIGHTS", "0x10", "1e-3"],
            &["AGGREGATE", "MIN"],
            &["AGGREGATE", "max"],
            &["AGGREGATE", "sum", "WEIGHTS", "1", "2"],
            &["WEIGHTS", "1", "2", "AGGREGATE", "MAX", "WITHSCORES"],
            &["WEIGHTS", "1"],
            &["WEIGHTS", "1", "x"],
            &["WEIGHTS", "1", "2", "3"],
            &["AGGREGATE"],
            &["AGGREGATE", "avg"],
            &["foo"],
        ] {
            for op in ["ZUNION", "ZINTER"] {
                for keys in [["a", "b"], ["c", "neg"], ["a", "s"]] {
                    let mut cmd = vec![op, "2", keys[0], keys[1]];
                    cmd.extend_from_slice(extra);
                    let mut with = cmd.clone();
                    if !extra.contains(&"WITHSCORES") {
                        with.push("WITHSCORES");
                    }
                    d.check(&with);
                    let mut store = vec![
                        if op == "ZUNION" {
                            "ZUNIONSTORE"
                        } else {
                            "ZINTERSTORE"
                        },
                        "dst",
                        "2",
                        keys[0],
                        keys[1],
                    ];
                    store.extend_from_slice(extra);
                    d.check(&store);
                    d.check(&["ZRANGE", "dst", "0", "-1", "WITHSCORES"]);
                }
            }
        }
        d.check(&["ZINTERCARD", "2", "a", "b"]);
        d.check(&["ZINTERCARD", "2", "a", "b", "LIMIT", "1"]);
        d.check(&["ZINTERCARD", "2", "a", "b", "LIMIT", "0"]);
        d.check(&["ZINTERCARD", "2", "a", "s", "LIMIT", "100"]);
        d.check(&["ZINTERCARD", "1", "nokey"]);
        for bad in [
            &["ZINTERCARD", "0", "a"][..],
            &["ZINTERCARD", "-1", "a"],
            &["ZINTERCARD", "x", "a"],
            &["ZINTERCARD", "3", "a", "b"],
            &["ZINTERCARD", "1", "a", "LIMIT", "-1"],
            &["ZINTERCARD", "1", "a", "LIMIT", "x"],
            &["ZINTERCARD", "1", "a", "LIMIT"],
            &["ZINTERCARD", "1", "a", "WITHSCORES"],
            &["ZINTERCARD", "1", "a", "WEIGHTS", "1"],
            &["ZUNION", "0", "a"],
            &["ZUNION", "x", "a"],
            &["ZUNION", "3", "a", "b"],
            &["ZUNIONSTORE", "dst", "0", "a"],
            &["ZUNIONSTORE", "dst", "1", "a", "WITHSCORES"],
            &["ZDIFF", "2", "a", "b", "WEIGHTS", "1", "1"],
            &["ZDIFF", "2", "a", "b", "AGGREGATE", "MIN"],
            &["ZDIFFSTORE", "dst", "1", "a", "WITHSCORES"],
            &["ZINTERSTORE", "dst", "9223372036854775807", "a"],
        ] {
            d.check(bad);
        }
        d.check(&["SET", "str", "x"]);
        d.check(&["ZUNION", "2", "a", "str"]);
        d.check(&["ZUNION", "2", "a", "str", "WEIGHTS", "x"]);
        d.check(&["ZINTERSTORE", "dst", "2", "str", "a"]);
        d.check(&["ZINTERCARD", "2", "a", "str"]);
        d.check(&["ZDIFF", "2", "nokey", "str"]);
        // Storing over another type, and over the source itself.
        d.check(&["ZUNIONSTORE", "str", "1", "a"]);
        d.check(&["TYPE", "str"]);
        d.check(&["ZINTERSTORE", "a", "2", "a", "b"]);
        d.check(&["ZRANGE", "a", "0", "-1", "WITHSCORES"]);
        d.check(&["SET", "str", "x"]);
        d.check(&["ZDIFFSTORE", "str", "1", "nokey"]);
        d.check(&["EXISTS", "str"]);
        d.hello3();
        d.check(&["ZUNION", "2", "a", "b", "WITHSCORES"]);
        d.check(&["ZINTER", "2", "a", "b"]);
        d.check(&["ZDIFF", "1", "b", "WITHSCORES"]);
        d.check_shape(&["HELLO", "2"]);
    }
}

#[test]
fn zrangestore() {
    let mut d = Diff::new();
    fill(&mut d, "z", 20, 3);
    for args in [
        &["0", "-1"][..],
        &["0", "4", "REV"],
        &["1", "2", "BYSCORE"],
        &["(1", "2", "BYSCORE", "LIMIT", "2", "3"],
        &["2", "1", "BYSCORE", "REV", "LIMIT", "0", "4"],
        &["[m005", "(m010", "BYLEX"],
        &["(m010", "[m005", "BYLEX", "REV"],
        &["5", "1"],
        &["0", "-1", "WITHSCORES"],
        &["0", "-1", "LIMIT", "0", "1"],
        &["[a", "[b", "BYLEX", "WITHSCORES"],
        &["x", "1"],
        &["0", "1", "BYSCORE", "BYLEX"],
    ] {
        let mut cmd = vec!["ZRANGESTORE", "dst", "z"];
        cmd.extend_from_slice(args);
        d.check(&cmd);
        d.check(&["ZRANGE", "dst", "0", "-1", "WITHSCORES"]);
        d.check(&["OBJECT", "ENCODING", "dst"]);
    }
    d.check(&["ZRANGESTORE", "dst", "nokey", "0", "-1"]);
    d.check(&["EXISTS", "dst"]);
    d.check(&["SET", "str", "x"]);
    d.check(&["ZRANGESTORE", "dst", "str", "0", "-1"]);
    d.check(&["ZRANGESTORE", "str", "z", "0", "-1"]);
    d.check(&["TYPE", "str"]);
    d.check(&["ZRANGESTORE", "z", "z", "0", "2"]);
    d.check(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]);
    d.check(&["ZRANGESTORE", "dst", "z"]);
    d.check(&["CONFIG", "SET", "zset-max-listpack-entries", "2"]);
    d.check(&["ZRANGESTORE", "dst", "z", "0", "1"]);
    d.check(&["OBJECT", "ENCODING", "dst"]);
    d.check(&["ZRANGESTORE", "dst", "z", "0", "2"]);
    d.check(&["OBJECT", "ENCODING", "dst"]);
    d.check(&["ZADD", "neg", "-0", "a", "1", "b"]);
    d.check(&["ZRANGESTORE", "dst", "neg", "0", "-1"]);
    d.check(&["ZSCORE", "dst", "a"]);
}

/// Runs a full ZSCAN on one connection; returns every (member, score) seen.
fn zscan_all(
    conn: &mut support::RawConn,
    key: &str,
    extra: &[&str],
) -> BTreeSet<(Vec<u8>, Vec<u8>)> {
    let mut cursor = b"0".to_vec();
    let mut seen = BTreeSet::new();
    let mut calls = 0;
    loop {
        let mut argv: Vec<Vec<u8>> =
            vec![b"ZSCAN".to_vec(), key.as_bytes().to_vec(), cursor.clone()];
        argv.extend(extra.iter().map(|a| a.as_bytes().to_vec()));
        let reply = conn.cmd(&argv);
        let items = reply.items();
        assert_eq!(items.len(), 2, "ZSCAN reply {reply:?}");
        cursor = items[0].bytes().expect("cursor").to_vec();
        let flat = items[1].items();
        assert_eq!(flat.len() % 2, 0);
        for pair in flat.chunks(2) {
            seen.insert((
                pair[0].bytes().unwrap().to_vec(),
                pair[1].bytes().unwrap().to_vec(),
            ));
        }
        calls += 1;
        assert!(calls < 100_000, "ZSCAN does not terminate");
        if cursor == b"0" {
            return seen;
        }
    }
}

#[test]
fn zscan() {
    let mut d = Diff::new();
    fill(&mut d, "z", 50, 9);
    d.check(&["ZADD", "z", "1e17", "big", "-0", "nz", "0.5", "half"]);
    d.check(&["ZSCAN", "z", "0"]);
    d.check(&["ZSCAN", "z", "0", "COUNT", "1"]);
    d.check(&["ZSCAN", "z", "0", "MATCH", "m01*"]);
    d.check(&["ZSCAN", "z", "0", "MATCH", "*", "COUNT", "5"]);
    d.check(&["ZSCAN", "z", "123", "MATCH", "[bh]*"]);
    d.check(&["ZSCAN", "z", "0", "COUNT", "0"]);
    d.check(&["ZSCAN", "z", "0", "COUNT", "x"]);
    d.check(&["ZSCAN", "z", "0", "COUNT"]);
    d.check(&["ZSCAN", "z", "0", "MATCH"]);
    d.check(&["ZSCAN", "z", "0", "TYPE", "zset"]);
    d.check(&["ZSCAN", "z", "x"]);
    d.check(&["ZSCAN", "z", "-1"]);
    d.check(&["ZSCAN", "nokey", "0"]);
    d.check(&["ZSCAN", "nokey", "0", "COUNT", "0"]);
    d.check(&["ZSCAN", "nokey", "x"]);
    skiplist_only(&mut d);
    fill(&mut d, "big", 500, 13);
    d.check(&["ZADD", "big", "1e17", "huge", "-0", "nz", "0.5", "half"]);
    for extra in [
        &[][..],
        &["COUNT", "3"],
        &["MATCH", "m1*"],
        &["MATCH", "*7", "COUNT", "50"],
        &["MATCH", "nothing"],
    ] {
        let r = zscan_all(&mut d.main.redis, "big", extra);
        let e = zscan_all(&mut d.main.ember, "big", extra);
        assert_eq!(e, r, "ZSCAN big {extra:?}");
    }
    d.check(&["ZSCAN", "big", "0", "COUNT", "0"]);
}
