//! Differential tests of the sorted set family against the real redis-server:
//! ZADD/ZINCRBY, score parsing and printing, ranges, counts, ranks, removals,
//! encodings, RESP3 shapes and key positions, in both encodings (listpack and
//! skiplist). Pops, ZRANDMEMBER, the set algebra, ZRANGESTORE and ZSCAN are in
//! `diff_zsets_algebra.rs`; seeded random sequences in `diff_zsets_random.rs`.

mod support;

use support::zsets::{fill, skiplist_only, zadd};
use support::Diff;

#[test]
fn zadd_options_and_errors() {
    let mut d = Diff::new();
    for big in [false, true] {
        if big {
            skiplist_only(&mut d);
            d.check(&["FLUSHALL"]);
        }
        d.check(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]);
        d.check(&["ZADD", "z", "1", "a", "1", "a", "5", "a"]);
        d.check(&["ZSCORE", "z", "a"]);
        d.check(&["ZADD", "z", "NX", "10", "a", "4", "d"]);
        d.check(&["ZADD", "z", "XX", "10", "a", "4", "e"]);
        d.check(&["ZADD", "z", "XX", "CH", "11", "a", "4", "e"]);
        d.check(&["ZADD", "z", "GT", "CH", "1", "a", "20", "b", "7", "new"]);
        d.check(&["ZADD", "z", "LT", "CH", "100", "a", "0", "b"]);
        d.check(&["ZADD", "z", "XX", "GT", "CH", "50", "a"]);
        d.check(&["ZADD", "z", "ch", "nx", "1", "f"]);
        d.check(&["ZADD", "z", "INCR", "2.5", "a"]);
        d.check(&["ZADD", "z", "INCR", "NX", "2.5", "a"]);
        d.check(&["ZADD", "z", "INCR", "XX", "2.5", "zz"]);
        d.check(&["ZADD", "z", "INCR", "GT", "-1", "a"]);
        d.check(&["ZADD", "z", "INCR", "LT", "-1", "a"]);
        d.check(&["ZADD", "z", "INCR", "0", "a"]);
        d.check(&["ZADD", "nokey", "XX", "1", "a"]);
        d.check(&["ZADD", "nokey", "XX", "INCR", "1", "a"]);
        d.check(&["EXISTS", "nokey"]);
        d.check(&["ZADD", "z", "NX", "XX", "1", "a"]);
        d.check(&["ZADD", "z", "GT", "LT", "1", "a"]);
        d.check(&["ZADD", "z", "GT", "NX", "1", "a"]);
        d.check(&["ZADD", "z", "LT", "NX", "1", "a"]);
        d.check(&["ZADD", "z", "INCR", "1", "a", "2", "b"]);
        d.check(&["ZADD", "z", "NX", "1"]);
        d.check(&["ZADD", "z", "1", "a", "2"]);
        d.check(&["ZADD", "z", "NX", "XX"]);
        d.check(&["ZADD", "z", "x", "a"]);
        d.check(&["ZADD", "z", "1", "a", "nan", "b"]);
        d.check(&["ZADD", "z", " 1", "a"]);
        d.check(&["ZADD", "z", "1e400", "a"]);
        d.check(&["ZADD", "z", "1e-400", "a"]);
        d.check(&["ZADD", "z"]);
        d.check(&["ZADD", "z", "1"]);
        d.check(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]);
        d.check(&["ZINCRBY", "z", "1", "a"]);
        d.check(&["ZINCRBY", "z", "-1.5", "q"]);
        d.check(&["ZINCRBY", "z", "x", "q"]);
        d.check(&["ZINCRBY", "z", "nx", "q"]);
        d.check(&["ZINCRBY", "z", "1"]);
        d.check(&["ZADD", "z", "inf", "i"]);
        d.check(&["ZINCRBY", "z", "-inf", "i"]);
        d.check(&["ZINCRBY", "z", "+inf", "i"]);
        d.check(&["ZADD", "z", "INCR", "-inf", "i"]);
        d.check(&["ZSCORE", "z", "i"]);
        d.check(&["SET", "str", "x"]);
        d.check(&["ZADD", "str", "1", "a"]);
        d.check(&["ZADD", "str", "XX", "1", "a"]);
        d.check(&["ZINCRBY", "str", "1", "a"]);
        d.check(&["ZADD", "str", "x", "a"]);
        d.check(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]);
        d.check(&["OBJECT", "ENCODING", "z"]);
    }
}

#[test]
fn scores_parse_and_print() {
    let mut d = Diff::new();
    let scores = [
        "0",
        "-0",
        "0.1",
        "1e17",
        "1e16",
        "123456789012345678",
        "4611686018427387904",
        "9007199254740993",
        "-2.5e-5",
        "1e-310",
        "3.0000000000000004",
        "inf",
        "-inf",
        "+inf",
        "0x10",
        "0x1p-3",
        "1.",
        ".5",
        "5e+2",
        "-1E3",
        "1e308",
        "2.2250738585072014e-308",
    ];
    for big in [false, true] {
        if big {
            skiplist_only(&mut d);
        }
        let key = if big { "big" } else { "small" };
        for (i, s) in scores.iter().enumerate() {
            d.check(&["ZADD", key, s, &format!("m{i}")]);
            d.check(&["ZSCORE", key, &format!("m{i}")]);
        }
        d.check(&["ZRANGE", key, "0", "-1", "WITHSCORES"]);
        let scan = ["ZSCAN", key, "0", "COUNT", "1000"];
        if big {
            d.check_normalized(&scan, |r| r.items()[1].sorted_pairs());
        } else {
            d.check(&scan);
        }
        d.check(&["ZINCRBY", key, "0.2", "m2"]);
        d.check(&["ZINCRBY", key, "-0", "m0"]);
        d.check(&["ZSCORE", key, "m0"]);
        d.check(&["ZADD", key, "-0", "negzero"]);
        d.check(&["ZSCORE", key, "negzero"]);
        d.check(&["ZRANK", key, "negzero"]);
        d.check(&["ZMSCORE", key, "m1", "m3", "nope", "m14"]);
        d.check(&["OBJECT", "ENCODING", key]);
    }
    // Range bounds go through strtod: blanks, hex, empty strings, overflow.
    for (min, max) in [
        ("-inf", "+inf"),
        ("(0", "1e17"),
        ("", "1"),
        ("(", "(0.5"),
        (" 1", "2"),
        ("0x10", "+inf"),
        ("1e400", "-1e400"),
        ("-1e400", "1e400"),
        ("-INF", "INFINITY"),
        ("(-inf", "(inf"),
        ("1 ", "2"),
        ("nan", "1"),
        ("a", "1"),
        ("1", "(x"),
        ("((1", "2"),
    ] {
        for key in ["small", "big", "nokey"] {
            d.check(&["ZRANGEBYSCORE", key, min, max]);
            d.check(&["ZCOUNT", key, min, max]);
        }
    }
}

#[test]
fn ranges_by_rank_score_and_lex() {
    let mut d = Diff::new();
    for big in [false, true] {
        if big {
            skiplist_only(&mut d);
            d.check(&["FLUSHALL"]);
        }
        fill(&mut d, "z", 40, 7);
        let rank_cases: &[&[&str]] = &[
            &["0", "-1"],
            &["0", "0"],
            &["-1", "-1"],
            &["5", "3"],
            &["-100", "2"],
            &["38", "100"],
            &["40", "41"],
            &["-3", "-100"],
            &["9223372036854775807", "-9223372036854775808"],
        ];
        for r in rank_cases {
            d.check(&["ZRANGE", "z", r[0], r[1]]);
            d.check(&["ZRANGE", "z", r[0], r[1], "WITHSCORES"]);
            d.check(&["ZRANGE", "z", r[0], r[1], "REV"]);
            d.check(&["ZREVRANGE", "z", r[0], r[1], "WITHSCORES"]);
        }
        let score_cases: &[&[&str]] = &[
            &["-inf", "+inf"],
            &["2", "4"],
            &["(2", "4"],
            &["2", "(4"],
            &["(2", "(2"],
            &["3", "3"],
            &["6", "100"],
            &["7", "100"],
            &["4", "2"],
        ];
        for r in score_cases {
            d.check(&["ZRANGEBYSCORE", "z", r[0], r[1]]);
            d.check(&["ZRANGEBYSCORE", "z", r[0], r[1], "WITHSCORES"]);
            d.check(&["ZREVRANGEBYSCORE", "z", r[1], r[0], "WITHSCORES"]);
            d.check(&["ZRANGE", "z", r[0], r[1], "BYSCORE"]);
            d.check(&["ZRANGE", "z", r[1], r[0], "BYSCORE", "REV", "WITHSCORES"]);
            for (off, cnt) in [
                ("0", "3"),
                ("2", "-1"),
                ("5", "0"),
                ("-1", "5"),
                ("39", "5"),
                ("40", "1"),
                ("3", "100"),
            ] {
                d.check(&["ZRANGEBYSCORE", "z", r[0], r[1], "LIMIT", off, cnt]);
                d.check(&[
                    "ZREVRANGEBYSCORE",
                    "z",
                    r[1],
                    r[0],
                    "WITHSCORES",
                    "LIMIT",
                    off,
                    cnt,
                ]);
                d.check(&[
                    "ZRANGE", "z", r[1], r[0], "BYSCORE", "REV", "LIMIT", off, cnt,
                ]);
            }
        }
        d.check(&["DEL", "l"]);
        let mut cmd = vec!["ZADD".to_string(), "l".to_string()];
        for w in [
            "a", "aa", "ab", "b", "ba", "c", "d", "dd", "e", "", "\u{ff}",
        ] {
            cmd.push("0".into());
            cmd.push(w.into());
        }
        d.check(&cmd);
        let lex_cases: &[&[&str]] = &[
            &["-", "+"],
            &["+", "-"],
            &["-", "-"],
            &["+", "+"],
            &["[a", "[b"],
            &["(a", "(b"],
            &["[aa", "(c"],
            &["[", "(a"],
            &["(", "+"],
            &["[d", "[d"],
            &["(d", "[d"],
            &["[z", "+"],
            &["-", "[\u{ff}"],
        ];
        for r in lex_cases {
            d.check(&["ZRANGEBYLEX", "l", r[0], r[1]]);
            d.check(&["ZREVRANGEBYLEX", "l", r[1], r[0]]);
            d.check(&["ZRANGE", "l", r[0], r[1], "BYLEX"]);
            d.check(&["ZRANGE", "l", r[1], r[0], "BYLEX", "REV", "LIMIT", "1", "2"]);
            d.check(&["ZLEXCOUNT", "l", r[0], r[1]]);
            for (off, cnt) in [
                ("0", "2"),
                ("1", "-1"),
                ("-1", "2"),
                ("20", "1"),
                ("2", "0"),
            ] {
                d.check(&["ZRANGEBYLEX", "l", r[0], r[1], "LIMIT", off, cnt]);
            }
        }
        // Errors and option parsing, in Redis's order.
        let bad: &[&[&str]] = &[
            &["ZRANGE", "z", "0", "1", "LIMIT", "0", "1"],
            &["ZRANGE", "z", "0", "1", "LIMIT", "0", "-1"],
            &["ZRANGE", "z", "0", "1", "LIMIT", "0"],
            &["ZRANGE", "z", "0", "1", "LIMIT", "x", "1", "BYSCORE"],
            &["ZRANGE", "z", "0", "1", "BYSCORE", "LIMIT", "0", "x"],
            &["ZRANGE", "z", "[a", "[b", "BYLEX", "WITHSCORES"],
            &["ZRANGE", "z", "0", "1", "BYLEX"],
            &["ZRANGE", "z", "a", "1", "BYSCORE"],
            &["ZRANGE", "z", "a", "1"],
            &["ZRANGE", "z", "0", "1", "REV", "REV"],
            &["ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"],
            &["ZRANGE", "z", "0", "1", "BYSCORE", "BYSCORE"],
            &["ZRANGE", "z", "0", "1", "WITHSCORES", "WITHSCORES"],
            &["ZRANGE", "z", "0", "1", "foo"],
            &["ZRANGE", "z", "0"],
            &["ZREVRANGE", "z", "0", "1", "REV"],
            &["ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1"],
            &["ZREVRANGE", "z", "0", "1", "BYSCORE"],
            &["ZRANGEBYSCORE", "z", "0", "1", "BYSCORE"],
            &["ZRANGEBYSCORE", "z", "0", "1", "REV"],
            &["ZRANGEBYSCORE", "z", "0", "1", "LIMIT", "1"],
            &["ZRANGEBYLEX", "z", "[a", "[b", "WITHSCORES"],
            &["ZRANGEBYLEX", "z", "a", "[b"],
            &["ZRANGEBYLEX", "z", "[a", "b"],
            &["ZRANGEBYLEX", "z", "+a", "+"],
            &["ZRANGEBYLEX", "z", "", "+"],
            &["ZRANGEBYLEX", "z", "[a", "[b", "LIMIT", "0", "1", "extra"],
            &["ZRANGE", "nokey", "0", "-1"],
            &["ZRANGE", "nokey", "x", "-1"],
            &["ZRANGE", "nokey", "0", "-1", "BYSCORE", "LIMIT", "0", "1"],
            &["ZREVRANGEBYLEX", "nokey", "+", "-"],
        ];
        for c in bad {
            d.check(c);
        }
        d.check(&["SET", "s", "x"]);
        d.check(&["ZRANGE", "s", "0", "-1"]);
        d.check(&["ZRANGE", "s", "x", "-1"]);
        d.check(&["ZRANGEBYSCORE", "s", "0", "1"]);
        d.check(&["ZRANGEBYLEX", "s", "-", "+"]);
    }
}

/// Lexicographic queries on sets whose scores differ: Redis's listpack code
/// scans linearly, so its answers are deterministic and must match.
#[test]
fn lex_ranges_with_mixed_scores_in_listpack() {
    let mut d = Diff::new();
    zadd(
        &mut d,
        "m",
        &[
            ("3", "a"),
            ("1", "b"),
            ("2", "c"),
            ("0", "d"),
            ("5", "e"),
            ("4", "aa"),
        ],
    );
    for (min, max) in [
        ("-", "+"),
        ("[b", "[d"),
        ("[a", "(c"),
        ("(b", "+"),
        ("-", "[c"),
        ("[c", "[c"),
        ("[e", "+"),
        ("[aa", "[b"),
    ] {
        d.check(&["ZRANGEBYLEX", "m", min, max]);
        d.check(&["ZREVRANGEBYLEX", "m", max, min]);
        d.check(&["ZLEXCOUNT", "m", min, max]);
        d.check(&["ZRANGEBYLEX", "m", min, max, "LIMIT", "1", "2"]);
    }
    for (min, max) in [("[b", "[d"), ("(a", "+"), ("-", "[c")] {
        d.check(&["DEL", "x"]);
        d.check(&["ZUNIONSTORE", "x", "1", "m"]);
        d.check(&["ZREMRANGEBYLEX", "x", min, max]);
        d.check(&["ZRANGE", "x", "0", "-1", "WITHSCORES"]);
        d.check(&["ZRANGESTORE", "y", "m", min, max, "BYLEX"]);
        d.check(&["ZRANGE", "y", "0", "-1", "WITHSCORES"]);
    }
}

#[test]
fn counts_ranks_and_scores() {
    let mut d = Diff::new();
    for big in [false, true] {
        if big {
            skiplist_only(&mut d);
            d.check(&["FLUSHALL"]);
        }
        fill(&mut d, "z", 30, 4);
        for m in ["m000", "m013", "m029", "nope", ""] {
            d.check(&["ZRANK", "z", m]);
            d.check(&["ZREVRANK", "z", m]);
            d.check(&["ZSCORE", "z", m]);
        }
        d.check(&["ZMSCORE", "z", "m001", "nope", "m002"]);
        d.check(&["ZMSCORE", "nokey", "a", "b"]);
        d.check(&["ZMSCORE", "z"]);
        d.check(&["ZCARD", "z"]);
        d.check(&["ZCARD", "nokey"]);
        d.check(&["ZRANK", "nokey", "a"]);
        d.check(&["ZSCORE", "nokey", "a"]);
        d.check(&["ZRANK", "z", "a", "b"]);
        d.check(&["ZCOUNT", "z", "1", "2"]);
        d.check(&["ZCOUNT", "z", "(1", "(2"]);
        d.check(&["ZCOUNT", "z", "-inf", "+inf"]);
        d.check(&["ZCOUNT", "z", "3", "1"]);
        d.check(&["ZCOUNT", "nokey", "1", "x"]);
        d.check(&["ZCOUNT", "nokey", "1", "2"]);
        fill(&mut d, "flat", 30, 1);
        d.check(&["ZLEXCOUNT", "flat", "-", "+"]);
        d.check(&["ZLEXCOUNT", "flat", "[m010", "(m020"]);
        d.check(&["ZLEXCOUNT", "z", "x", "+"]);
        d.check(&["ZLEXCOUNT", "nokey", "-", "+"]);
        d.check(&["SET", "s", "v"]);
        for c in [
            &["ZRANK", "s", "a"][..],
            &["ZREVRANK", "s", "a"],
            &["ZSCORE", "s", "a"],
            &["ZMSCORE", "s", "a"],
            &["ZCARD", "s"],
            &["ZCOUNT", "s", "0", "1"],
            &["ZCOUNT", "s", "x", "1"],
            &["ZLEXCOUNT", "s", "-", "+"],
            &["ZREM", "s", "a"],
            &["ZREMRANGEBYRANK", "s", "0", "1"],
            &["ZREMRANGEBYSCORE", "s", "x", "1"],
            &["ZPOPMIN", "s"],
            &["ZRANDMEMBER", "s"],
            &["ZRANDMEMBER", "s", "2"],
            &["ZSCAN", "s", "0"],
        ] {
            d.check(c);
        }
    }
}

#[test]
fn removals() {
    let mut d = Diff::new();
    for big in [false, true] {
        if big {
            skiplist_only(&mut d);
            d.check(&["FLUSHALL"]);
        }
        fill(&mut d, "z", 30, 5);
        d.check(&["ZREM", "z", "m000", "m000", "nope", "m001"]);
        d.check(&["ZREM", "nokey", "a"]);
        d.check(&["ZREMRANGEBYRANK", "z", "0", "1"]);
        d.check(&["ZREMRANGEBYRANK", "z", "-2", "-1"]);
        d.check(&["ZREMRANGEBYRANK", "z", "5", "2"]);
        d.check(&["ZREMRANGEBYRANK", "z", "100", "200"]);
        d.check(&["ZREMRANGEBYRANK", "z", "x", "2"]);
        d.check(&["ZREMRANGEBYRANK", "nokey", "0", "-1"]);
        d.check(&["ZREMRANGEBYSCORE", "z", "(1", "2"]);
        d.check(&["ZREMRANGEBYSCORE", "z", "3", "1"]);
        d.check(&["ZREMRANGEBYSCORE", "z", "x", "1"]);
        d.check(&["ZREMRANGEBYSCORE", "nokey", "x", "1"]);
        // Lexicographic removal on a set of equal scores (with mixed scores a
        // skiplist's answer depends on its random levels in Redis).
        fill(&mut d, "flat", 30, 1);
        d.check(&["ZREMRANGEBYLEX", "flat", "[m010", "(m015"]);
        d.check(&["ZREMRANGEBYLEX", "flat", "m010", "+"]);
        d.check(&["ZRANGE", "flat", "0", "-1"]);
        d.check(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]);
        d.check(&["ZREMRANGEBYSCORE", "z", "-inf", "+inf"]);
        d.check(&["EXISTS", "z"]);
        fill(&mut d, "z", 10, 1);
        d.check(&["ZREMRANGEBYLEX", "z", "-", "+"]);
        d.check(&["EXISTS", "z"]);
        fill(&mut d, "z", 10, 3);
        d.check(&[
            "ZREM", "z", "m000", "m001", "m002", "m003", "m004", "m005", "m006", "m007", "m008",
            "m009", "m010",
        ]);
        d.check(&["EXISTS", "z"]);
    }
}

#[test]
fn encodings_follow_the_limits() {
    let mut d = Diff::new();
    d.check(&["CONFIG", "SET", "zset-max-listpack-entries", "4"]);
    d.check(&["CONFIG", "SET", "zset-max-listpack-value", "6"]);
    zadd(
        &mut d,
        "z",
        &[("1", "a"), ("2", "b"), ("3", "c"), ("4", "d")],
    );
    d.check(&["OBJECT", "ENCODING", "z"]);
    d.check(&["ZADD", "z", "5", "a"]);
    d.check(&["OBJECT", "ENCODING", "z"]);
    d.check(&["ZADD", "z", "5", "e"]);
    d.check(&["OBJECT", "ENCODING", "z"]);
    d.check(&["ZREM", "z", "a", "b", "c"]);
    d.check(&["OBJECT", "ENCODING", "z"]);
    d.check(&["ZADD", "long", "1", "abcdefg"]);
    d.check(&["OBJECT", "ENCODING", "long"]);
    d.check(&["ZADD", "edge", "1", "abcdef"]);
    d.check(&["OBJECT", "ENCODING", "edge"]);
    d.check(&["ZADD", "grow", "1", "a", "2", "abcdefg"]);
    d.check(&["OBJECT", "ENCODING", "grow"]);
    d.check(&["ZADD", "first", "1", "abcdefg", "2", "a"]);
    d.check(&["OBJECT", "ENCODING", "first"]);
    d.check(&[
        "ZADD", "many", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
    ]);
    d.check(&["OBJECT", "ENCODING", "many"]);
    d.check(&["ZUNIONSTORE", "u", "1", "many"]);
    d.check(&["OBJECT", "ENCODING", "u"]);
    d.check(&["ZINTERSTORE", "u", "2", "many", "z"]);
    d.check(&["OBJECT", "ENCODING", "u"]);
    d.check(&["ZDIFFSTORE", "u", "1", "long"]);
    d.check(&["OBJECT", "ENCODING", "u"]);
    d.check(&["CONFIG", "SET", "zset-max-listpack-value", "0"]);
    d.check(&["ZADD", "zero", "1", "a"]);
    d.check(&["OBJECT", "ENCODING", "zero"]);
    d.check(&["ZADD", "empty", "1", ""]);
    d.check(&["OBJECT", "ENCODING", "empty"]);
    d.check(&["COPY", "many", "many2"]);
    d.check(&["OBJECT", "ENCODING", "many2"]);
    d.check(&["ZRANGE", "many2", "0", "-1", "WITHSCORES"]);
}

#[test]
fn resp3_reply_types() {
    let mut d = Diff::new();
    d.hello3();
    fill(&mut d, "z", 6, 3);
    for c in [
        &["ZRANGE", "z", "0", "-1", "WITHSCORES"][..],
        &["ZRANGE", "z", "0", "-1"],
        &["ZREVRANGE", "z", "0", "2", "WITHSCORES"],
        &["ZRANGEBYSCORE", "z", "1", "2", "WITHSCORES"],
        &[
            "ZREVRANGEBYSCORE",
            "z",
            "2",
            "1",
            "WITHSCORES",
            "LIMIT",
            "0",
            "2",
        ],
        &["ZRANGEBYLEX", "z", "-", "+"],
        &["ZSCORE", "z", "m001"],
        &["ZSCORE", "z", "nope"],
        &["ZSCORE", "nokey", "nope"],
        &["ZMSCORE", "z", "m001", "nope"],
        &["ZRANK", "z", "nope"],
        &["ZRANK", "nokey", "a"],
        &["ZINCRBY", "z", "1.5", "m001"],
        &["ZADD", "z", "INCR", "1", "m002"],
        &["ZADD", "z", "NX", "INCR", "1", "m002"],
        &["ZSCAN", "z", "0"],
        &["ZRANDMEMBER", "nokey"],
        &["ZRANDMEMBER", "z", "10", "WITHSCORES"],
        &["ZRANDMEMBER", "z", "10"],
        &["ZUNION", "1", "z", "WITHSCORES"],
        &["ZMPOP", "1", "nokey", "MIN"],
        &["ZPOPMIN", "nokey"],
        &["ZPOPMIN", "nokey", "3"],
        &["ZRANGE", "nokey", "0", "-1"],
        &["ZSCAN", "nokey", "0"],
    ] {
        d.check(c);
    }
    skiplist_only(&mut d);
    fill(&mut d, "big", 6, 3);
    d.check(&["ZRANGE", "big", "0", "-1", "WITHSCORES"]);
    d.check(&["ZPOPMAX", "big", "2"]);
    d.check(&["ZMPOP", "1", "big", "MAX", "COUNT", "2"]);
}

#[test]
fn key_positions() {
    let mut d = Diff::new();
    for c in [
        &[
            "COMMAND",
            "GETKEYS",
            "ZUNIONSTORE",
            "d",
            "2",
            "a",
            "b",
            "WEIGHTS",
            "1",
            "2",
        ][..],
        &["COMMAND", "GETKEYS", "ZINTERSTORE", "d", "1", "a"],
        &["COMMAND", "GETKEYS", "ZDIFFSTORE", "d", "3", "a", "b"],
        &["COMMAND", "GETKEYS", "ZUNION", "2", "a", "b", "WITHSCORES"],
        &["COMMAND", "GETKEYS", "ZINTER", "3", "a", "b"],
        &["COMMAND", "GETKEYS", "ZDIFF", "0", "a"],
        &[
            "COMMAND",
            "GETKEYS",
            "ZINTERCARD",
            "2",
            "a",
            "b",
            "LIMIT",
            "1",
        ],
        &["COMMAND", "GETKEYS", "ZMPOP", "2", "a", "b", "MIN"],
        &["COMMAND", "GETKEYS", "ZRANGESTORE", "d", "s", "0", "1"],
        &["COMMAND", "GETKEYS", "ZADD", "z", "1", "a"],
    ] {
        d.check(c);
    }
}

#[test]
fn expired_keys_are_missing() {
    let mut d = Diff::new();
    fill(&mut d, "z", 5, 2);
    d.check(&["PEXPIREAT", "z", "1"]);
    d.check(&["ZCARD", "z"]);
    d.check(&["ZADD", "z", "XX", "1", "m001"]);
    fill(&mut d, "z", 5, 2);
    d.check(&["PEXPIREAT", "z", "1"]);
    d.check(&["ZUNION", "1", "z"]);
    d.check(&["ZADD", "z", "1", "a"]);
    d.check(&["TTL", "z"]);
    d.check(&["ZRANGE", "z", "0", "-1"]);
}
