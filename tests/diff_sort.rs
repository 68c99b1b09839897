//! Differential tests of SORT and SORT_RO against the real redis-server.
//!
//! Lists keep their order on both servers, so every reply over a list is
//! compared exactly, ties included (a full sort is stable in both; a BY sort
//! narrowed by LIMIT follows Redis's partial quicksort). Sets and sorted sets
//! are compared exactly where the result is a total order (numeric sorts
//! break ties by the element, ALPHA without BY, STORE of BY nosort); hashtable
//! set order itself differs by design, so those replies compare as multisets.

mod support;

use rand::rngs::SmallRng;
use rand::Rng;
use support::{gen, seeds, Diff, Pair, Resp};

fn rpush(d: &mut Pair, key: &str, items: &[&str]) {
    let mut cmd = vec!["RPUSH", key];
    cmd.extend_from_slice(items);
    d.check(&cmd);
}

#[test]
fn numeric_alpha_desc_and_options() {
    let mut d = Diff::new();
    rpush(
        &mut d,
        "l",
        &["3", "1", "10", "2", "-5", "1.5", "+2", "0x10", " 7", "1e2"],
    );
    for opts in [
        &[][..],
        &["DESC"],
        &["ASC"],
        &["DESC", "ASC"],
        &["ALPHA"],
        &["alpha", "desc"],
        &["BY", "nosort"],
        &["BY", "nosort", "DESC"],
        &["BY", "nokey"],
        &["BY", "nosort", "ALPHA", "DESC"],
    ] {
        for cmd in ["SORT", "SORT_RO", "sort"] {
            let mut c = vec![cmd, "l"];
            c.extend_from_slice(opts);
            d.check(&c);
        }
    }
    // Numeric ties break on the bytes; ALPHA ties keep their order.
    rpush(&mut d, "t", &["1.0", "1", "01", "b", "a"]);
    d.check(&["SORT", "t"]);
    d.check(&["SORT", "t", "LIMIT", "0", "3"]);
    d.check(&["DEL", "t"]);
    rpush(
        &mut d,
        "t",
        &["1.0", "1", "01", "1e0", "+1", "0x1", "1", "1.0"],
    );
    d.check(&["SORT", "t"]);
    d.check(&["SORT", "t", "DESC"]);
    d.check(&["SORT", "t", "ALPHA", "DESC"]);
}

#[test]
fn limit_edge_cases() {
    let mut d = Diff::new();
    rpush(
        &mut d,
        "l",
        &["5", "3", "9", "1", "7", "2", "8", "6", "4", "0"],
    );
    d.check(&[
        "ZADD", "z", "5", "e", "3", "c", "9", "i", "1", "a", "7", "g", "2", "b",
    ]);
    d.check(&["SADD", "s", "5", "3", "9", "1", "7", "2"]);
    let offsets = ["-5", "-1", "0", "1", "3", "5", "9", "10", "11", "100"];
    let counts = ["-5", "-1", "0", "1", "2", "5", "9", "10", "100"];
    for key in ["l", "z", "s", "missing"] {
        for o in offsets {
            for c in counts {
                d.check(&["SORT", key, "LIMIT", o, c]);
                d.check(&["SORT", key, "LIMIT", o, c, "DESC", "ALPHA"]);
                d.check(&["SORT", key, "BY", "nosort", "LIMIT", o, c, "DESC"]);
                if key != "s" {
                    d.check(&["SORT", key, "BY", "nosort", "LIMIT", o, c]);
                }
                d.check(&["SORT", key, "LIMIT", o, c, "GET", "#", "GET", "x_*"]);
            }
        }
    }
    // Later options win; LIMIT may repeat.
    d.check(&["SORT", "l", "LIMIT", "0", "1", "LIMIT", "2", "3"]);
    d.check(&["SORT", "l", "LIMIT", "9223372036854775807", "1"]);
    d.check(&["SORT", "l", "LIMIT", "0", "9223372036854775807"]);
    d.check(&[
        "SORT",
        "l",
        "LIMIT",
        "-9223372036854775808",
        "-9223372036854775808",
    ]);
}

#[test]
fn errors() {
    let mut d = Diff::new();
    rpush(&mut d, "l", &["1", "2"]);
    d.check(&["SET", "str", "x"]);
    d.check(&["HSET", "h", "f", "v"]);
    for key in ["str", "h"] {
        d.check(&["SORT", key]);
        d.check(&["SORT_RO", key]);
        // Syntax errors come before the type check.
        d.check(&["SORT", key, "FOO"]);
    }
    for args in [
        &["SORT"][..],
        &["SORT_RO"],
        &["SORT", "l", "LIMIT"],
        &["SORT", "l", "LIMIT", "0"],
        &["SORT", "l", "LIMIT", "a", "1"],
        &["SORT", "l", "LIMIT", "0", "b"],
        &["SORT", "l", "LIMIT", "1.5", "1"],
        &["SORT", "l", "LIMIT", "0", "1", "x"],
        &["SORT", "l", "BY"],
        &["SORT", "l", "GET"],
        &["SORT", "l", "STORE"],
        &["SORT_RO", "l", "STORE", "d"],
        &["SORT_RO", "l", "store"],
        &["SORT", "l", "ALPHA", "nope"],
        &["SORT", "missing", "LIMIT", "x", "1"],
        &["SORT", "str", "LIMIT", "x", "1"],
    ] {
        d.check(args);
    }
    // Non-numbers in a numeric sort.
    rpush(&mut d, "bad", &["1", "x", "2"]);
    d.check(&["SORT", "bad"]);
    d.check(&["SORT", "bad", "ALPHA"]);
    d.check(&["SORT", "bad", "BY", "nosort"]);
    d.check(&["SORT", "bad", "STORE", "dst"]);
    d.check(&["EXISTS", "dst"]);
    d.check(&["SORT", "bad", "LIMIT", "0", "1"]);
    d.check(&["SADD", "badset", "x", "1"]);
    d.check(&["SORT", "badset"]);
    d.check(&["ZADD", "badz", "1", "x", "2", "1"]);
    d.check(&["SORT", "badz"]);
    d.check(&["SORT", "badz", "BY", "nosort"]);
}

/// Redis reads `errno` after `strtod` without clearing it first, so one ERANGE
/// value makes every later numeric SORT on the same connection fail until some
/// other call resets `errno` (a stale-errno bug Ember does not reproduce).
/// ZADD's score parsing sets `errno = 0`, so each numeric sort here starts clean.
fn sort_fresh<A: AsRef<[u8]>>(d: &mut Pair, cmd: &[A]) {
    d.check(&["ZADD", "errno_reset", "1", "x"]);
    d.check(cmd);
}

#[test]
fn strtod_values() {
    let mut d = Diff::new();
    for v in [
        "1e-310",
        "4.9e-324",
        "1e-400",
        "1e400",
        "-1e400",
        "0x10",
        "0X1P4",
        "0x1p-1074",
        "0x1.8p-1074",
        "0x1p-1075",
        "0x.8",
        "0x1p",
        " 5",
        "\t5",
        "5 ",
        "",
        " ",
        "-",
        "+",
        ".",
        "inf",
        "INF",
        "-infinity",
        "infx",
        "nan",
        "-nan",
        "nan(123)",
        "0x",
        "1e",
        "1e+",
        "1e+5",
        "+.5",
        "5.",
        "00012",
        "2.2250738585072014e-308",
        "2.225073858507201e-308",
        "1.7976931348623157e308",
        "1.7976931348623159e308",
        "123456789012345678901234567890",
        "9007199254740993",
    ] {
        d.check(&["DEL", "t"]);
        rpush(&mut d, "t", &[v, "1", "-1"]);
        sort_fresh(&mut d, &["SORT", "t"]);
        sort_fresh(&mut d, &["SORT", "t", "DESC"]);
        // The same values reached through BY.
        d.check(&["SET", "w_1", v]);
        d.check(&["HSET", "hw_1", "f", v]);
        sort_fresh(&mut d, &["SORT", "t", "BY", "w_*"]);
        sort_fresh(&mut d, &["SORT", "t", "BY", "hw_*->f", "DESC"]);
        d.check(&["SORT", "t", "BY", "nosort", "GET", "#", "GET", "w_*"]);
        d.check(&["SORT", "t", "ALPHA", "BY", "w_*"]);
        d.check(&["SORT", "t", "ALPHA", "BY", "hw_*->f"]);
    }
    // Embedded NULs: strtod stops there.
    d.check(&["DEL", "t"]);
    d.check::<&[u8]>(&[b"RPUSH", b"t", b"12\0ab", b"3", b"\0x", b"-1"]);
    sort_fresh(&mut d, &["SORT", "t"]);
    d.check::<&[u8]>(&[b"RPUSH", b"t", b"1\0"]);
    sort_fresh(&mut d, &["SORT", "t", "DESC"]);
}

#[test]
fn alpha_collation_and_store_compare_differently() {
    let mut d = Diff::new();
    d.check::<&[u8]>(&[
        b"RPUSH",
        b"l",
        b"a\0c",
        b"a\0b",
        b"a",
        b"b",
        b"\xff",
        b"\xc3\xa9",
        b"Z",
        b"z",
        b"A",
        b"\0",
        b"",
        b"a\0",
        b"ab",
    ]);
    d.check(&["SORT", "l", "ALPHA"]);
    d.check(&["SORT", "l", "ALPHA", "DESC"]);
    d.check(&["SORT", "l", "ALPHA", "STORE", "d"]);
    d.check(&["LRANGE", "d", "0", "-1"]);
    d.check(&["SORT", "l", "ALPHA", "DESC", "STORE", "d"]);
    d.check(&["LRANGE", "d", "0", "-1"]);
    // Through BY: the external values compare the same two ways.
    rpush(&mut d, "ids", &["1", "2", "3", "4", "5"]);
    d.check::<&[u8]>(&[
        b"MSET", b"v_1", b"x\0b", b"v_2", b"x\0a", b"v_3", b"x", b"v_4", b"x\0",
    ]);
    d.check(&["SORT", "ids", "BY", "v_*", "ALPHA"]);
    d.check(&["SORT", "ids", "BY", "v_*", "ALPHA", "DESC"]);
    d.check(&["SORT", "ids", "BY", "v_*", "ALPHA", "STORE", "d"]);
    d.check(&["LRANGE", "d", "0", "-1"]);
    d.check(&["SORT", "ids", "BY", "v_*", "ALPHA", "DESC", "STORE", "d"]);
    d.check(&["LRANGE", "d", "0", "-1"]);
}

#[test]
fn by_patterns() {
    let mut d = Diff::new();
    rpush(&mut d, "l", &["a", "b", "c", "d", "e", "f"]);
    d.check(&[
        "MSET", "w_a", "3", "w_b", "1", "w_c", "2", "w_e", "-1", "w_f", "2",
    ]);
    d.check(&["HSET", "h_a", "f", "30", "g", "x"]);
    d.check(&["HSET", "h_b", "f", "10", "g", "y"]);
    d.check(&["HSET", "h_c", "f", "20"]);
    d.check(&["RPUSH", "w_d", "not a string"]);
    for by in [
        "w_*",
        "h_*->f",
        "h_*->g",
        "h_*->",
        "*",
        "w_*->f",
        "h_*->f->x",
        "nosort",
        "w_",
        "**",
        "x*y",
        "h_*-",
        "#",
    ] {
        for extra in [
            &[][..],
            &["DESC"],
            &["ALPHA"],
            &["ALPHA", "DESC"],
            &["LIMIT", "1", "3"],
        ] {
            let mut c = vec!["SORT", "l", "BY", by];
            c.extend_from_slice(extra);
            d.check(&c);
            c.push("GET");
            c.push("#");
            c.push("STORE");
            c.push("dst");
            d.check(&c);
            d.check(&["LRANGE", "dst", "0", "-1"]);
        }
    }
    // Several BY: the last pattern, but a `*`-less one anywhere means no sort.
    d.check(&["SORT", "l", "BY", "nosort", "BY", "w_*"]);
    d.check(&["SORT", "l", "BY", "w_*", "BY", "h_*->f"]);
    d.check(&["SORT", "l", "BY", "w_*", "BY", "nosort", "DESC"]);
    // BY on strings holding non-numbers fails a numeric sort.
    d.check(&["SET", "w_b", "one"]);
    d.check(&["SORT", "l", "BY", "w_*"]);
    d.check(&["SORT", "l", "BY", "w_*", "ALPHA"]);
    // Patterns are C strings: a NUL ends the `*` and `->` search.
    d.check::<&[u8]>(&[b"SORT", b"l", b"BY", b"w_\0*"]);
    d.check::<&[u8]>(&[b"SORT", b"l", b"BY", b"h_*\0->f"]);
    d.check::<&[u8]>(&[b"SET", b"n_a\0z", b"9"]);
    d.check::<&[u8]>(&[b"SORT", b"l", b"GET", b"n_*\0z", b"ALPHA"]);
    d.check::<&[u8]>(&[b"HSET", b"h_a", b"f\0g", b"7"]);
    d.check::<&[u8]>(&[b"SORT", b"l", b"GET", b"h_*->f\0g", b"ALPHA"]);
    d.check::<&[u8]>(&[b"SORT", b"l", b"GET", b"#\0x", b"ALPHA"]);
}

#[test]
fn alpha_by_ties_with_limit_follow_the_partial_quicksort() {
    let mut d = Diff::new();
    let items: Vec<String> = (0..120).map(|i| format!("e{i}")).collect();
    let refs: Vec<&str> = items.iter().map(String::as_str).collect();
    rpush(&mut d, "l", &refs);
    // Few distinct weights (and missing ones): lots of ties.
    for i in (0..120).step_by(2) {
        d.check(&["SET", &format!("w_e{i}"), ["b", "a", "c"][i % 3]]);
    }
    for (o, c) in [
        ("0", "10"),
        ("5", "7"),
        ("50", "30"),
        ("100", "50"),
        ("0", "119"),
        ("1", "200"),
    ] {
        d.check(&["SORT", "l", "BY", "w_*", "ALPHA", "LIMIT", o, c]);
        d.check(&["SORT", "l", "BY", "w_*", "ALPHA", "DESC", "LIMIT", o, c]);
        d.check(&["SORT", "l", "BY", "nokey_*", "ALPHA", "LIMIT", o, c]);
        d.check(&[
            "SORT", "l", "BY", "w_*", "ALPHA", "LIMIT", o, c, "STORE", "d",
        ]);
        d.check(&["LRANGE", "d", "0", "-1"]);
    }
    d.check(&["SORT", "l", "BY", "w_*", "ALPHA"]);
    d.check(&["SORT", "l", "BY", "w_*", "ALPHA", "DESC"]);
    for n in [3usize, 6, 7, 8, 9, 40, 41, 42] {
        d.check(&["DEL", "s"]);
        let part: Vec<&str> = refs[..n].to_vec();
        rpush(&mut d, "s", &part);
        for (o, c) in [("0", "2"), ("1", "3"), ("2", "100")] {
            d.check(&["SORT", "s", "BY", "w_*", "ALPHA", "LIMIT", o, c]);
        }
    }
}

#[test]
fn get_patterns() {
    let mut d = Diff::new();
    rpush(&mut d, "l", &["1", "2", "3"]);
    d.check(&["MSET", "o_1", "one", "o_3", "three"]);
    d.check(&["HSET", "h_1", "name", "n1"]);
    d.check(&["HSET", "h_2", "name", "n2", "other", "x"]);
    d.check(&["SADD", "o_2", "not a string"]);
    d.check(&["SORT", "l", "GET", "#"]);
    d.check(&["SORT", "l", "GET", "o_*"]);
    d.check(&[
        "SORT",
        "l",
        "GET",
        "o_*",
        "GET",
        "#",
        "GET",
        "h_*->name",
        "GET",
        "h_*->other",
    ]);
    d.check(&[
        "SORT", "l", "GET", "o_*", "GET", "o_*", "DESC", "LIMIT", "1", "1",
    ]);
    d.check(&["SORT", "l", "GET", "nostar"]);
    d.check(&["SORT", "l", "GET", "h_*->"]);
    d.check(&["SORT", "l", "GET", "##"]);
    d.check(&["SORT", "l", "GET", "o_*", "STORE", "d"]);
    d.check(&["LRANGE", "d", "0", "-1"]);
    d.check(&["SORT", "l", "GET", "h_*->name", "GET", "#", "STORE", "d"]);
    d.check(&["LRANGE", "d", "0", "-1"]);
    // RESP3 nulls for missing values.
    d.hello3();
    d.check(&["SORT", "l", "GET", "o_*", "GET", "#"]);
    d.check(&["SORT_RO", "l", "GET", "h_*->name"]);
}

#[test]
fn store() {
    let mut d = Diff::new();
    rpush(&mut d, "l", &["3", "1", "2"]);
    d.check(&["SORT", "l", "STORE", "d"]);
    d.check(&["LRANGE", "d", "0", "-1"]);
    d.check(&["TYPE", "d"]);
    d.check(&["OBJECT", "ENCODING", "d"]);
    // Overwrites any type and clears the TTL.
    d.check(&["SET", "d", "x", "EX", "100"]);
    d.check(&["SORT", "l", "DESC", "STORE", "d"]);
    d.check(&["TTL", "d"]);
    d.check(&["LRANGE", "d", "0", "-1"]);
    d.check(&["SADD", "d2", "x"]);
    d.check(&["SORT", "l", "LIMIT", "1", "1", "STORE", "d2"]);
    d.check(&["LRANGE", "d2", "0", "-1"]);
    // Empty results delete the destination.
    d.check(&["SORT", "l", "LIMIT", "5", "1", "STORE", "d"]);
    d.check(&["EXISTS", "d"]);
    d.check(&["SORT", "missing", "STORE", "d2"]);
    d.check(&["EXISTS", "d2"]);
    d.check(&["SORT", "missing", "STORE", "d2"]);
    // Into itself, and the last STORE wins.
    d.check(&["SORT", "l", "STORE", "l"]);
    d.check(&["LRANGE", "l", "0", "-1"]);
    d.check(&["SORT", "l", "STORE", "a", "DESC", "STORE", "b"]);
    d.check(&["EXISTS", "a"]);
    d.check(&["LRANGE", "b", "0", "-1"]);
    // STORE with GET: missing values are stored as empty strings.
    d.check(&["SET", "o_2", "two"]);
    d.check(&["SORT", "l", "GET", "o_*", "GET", "#", "STORE", "d"]);
    d.check(&["LRANGE", "d", "0", "-1"]);
    // A big result.
    let many: Vec<String> = (0..300).map(|i| ((i * 7919) % 1000).to_string()).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    rpush(&mut d, "big", &refs);
    d.check(&["SORT", "big", "STORE", "bigd"]);
    d.check(&["LRANGE", "bigd", "0", "-1"]);
    d.check(&["OBJECT", "ENCODING", "bigd"]);
    d.check(&["LLEN", "bigd"]);
}

#[test]
fn sets_and_sorted_sets() {
    let mut d = Diff::new();
    // An intset iterates in ascending order on both servers.
    d.check(&["SADD", "is", "5", "-3", "10", "7", "0"]);
    d.check(&["SORT", "is", "BY", "nosort"]);
    d.check(&["SORT", "is", "BY", "nosort", "LIMIT", "1", "2"]);
    d.check(&["SORT", "is", "DESC"]);
    d.check(&["SORT", "is", "ALPHA"]);
    // Hashtable sets.
    d.check(&["SADD", "s", "b", "c", "a", "ab", "10", "9", "x y"]);
    d.check(&["SORT", "s", "ALPHA"]);
    d.check(&["SORT", "s", "ALPHA", "DESC", "LIMIT", "2", "3"]);
    d.check(&["SORT", "s"]);
    d.check_unordered(&["SORT", "s", "BY", "nosort"]);
    d.check_unordered(&["SORT", "s", "BY", "nosort", "DESC"]);
    d.check_unordered(&["SORT_RO", "s", "BY", "nosort", "GET", "#"]);
    // Stored BY nosort over a set is sorted ALPHA, for determinism.
    d.check(&["SORT", "s", "BY", "nosort", "STORE", "d"]);
    d.check(&["LRANGE", "d", "0", "-1"]);
    d.check(&[
        "SORT", "s", "BY", "nosort", "DESC", "LIMIT", "1", "3", "STORE", "d",
    ]);
    d.check(&["LRANGE", "d", "0", "-1"]);
    d.check(&["SADD", "ns", "3", "1.5", "-2", "1e1", "abc"]);
    d.check(&["SREM", "ns", "abc"]);
    d.check(&["SORT", "ns"]);
    d.check(&["SORT", "ns", "DESC", "LIMIT", "0", "2"]);
    // Numeric BY is a total order (ties break on the element).
    d.check(&["MSET", "w_a", "2", "w_b", "1", "w_10", "1"]);
    d.check(&["SORT", "s", "BY", "w_*"]);
    d.check(&[
        "SORT", "s", "BY", "w_*", "DESC", "LIMIT", "1", "4", "GET", "#", "GET", "w_*",
    ]);
    // Sorted sets: BY nosort keeps score order (reversed by DESC).
    d.check(&[
        "ZADD", "z", "3", "c", "1", "a", "2", "b", "2", "bb", "-1", "z",
    ]);
    d.check(&["OBJECT", "ENCODING", "z"]);
    d.check(&["SORT", "z", "BY", "nosort"]);
    d.check(&["OBJECT", "ENCODING", "z"]);
    d.check(&["SORT", "z", "BY", "nosort", "DESC"]);
    d.check(&["SORT", "z", "BY", "nosort", "LIMIT", "1", "2"]);
    d.check(&["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "2"]);
    d.check(&[
        "SORT", "z", "BY", "nosort", "DESC", "LIMIT", "4", "10", "STORE", "d",
    ]);
    d.check(&["LRANGE", "d", "0", "-1"]);
    d.check(&["SORT", "z", "ALPHA"]);
    d.check(&["SORT", "z", "ALPHA", "DESC", "LIMIT", "1", "3"]);
    d.check(&["SORT", "z"]);
    d.check(&["ZADD", "nz", "1", "10", "2", "9", "3", "-1"]);
    d.check(&["SORT_RO", "nz"]);
    d.check(&["SORT", "nz", "BY", "nosort", "GET", "#", "GET", "w_*"]);
    // SORT_RO converts the sorted set too.
    d.check(&["ZADD", "z2", "1", "x"]);
    d.check(&["SORT_RO", "z2", "ALPHA"]);
    d.check(&["OBJECT", "ENCODING", "z2"]);
}

#[test]
fn key_introspection() {
    let mut d = Diff::new();
    for args in [
        &["COMMAND", "GETKEYS", "SORT", "k"][..],
        &["COMMAND", "GETKEYS", "SORT", "k", "STORE", "d"],
        &[
            "COMMAND", "GETKEYS", "SORT", "k", "LIMIT", "0", "1", "STORE", "d", "GET", "x",
            "STORE", "e",
        ],
        &["COMMAND", "GETKEYS", "SORT", "k", "STORE", "limit", "0"],
        &["COMMAND", "GETKEYS", "SORT", "k", "GET", "store", "x"],
        &["COMMAND", "GETKEYS", "SORT", "k", "BY", "store", "STORE"],
        &["COMMAND", "GETKEYS", "SORT", "k", "STORE"],
        &["COMMAND", "GETKEYS", "SORT_RO", "k", "STORE", "d"],
        &["COMMAND", "GETKEYS", "SORT_RO", "k", "BY", "w_*"],
        &["COMMAND", "GETKEYSANDFLAGS", "SORT", "k", "STORE", "d"],
        &["COMMAND", "GETKEYSANDFLAGS", "SORT_RO", "k"],
        &["COMMAND", "GETKEYS", "SORT"],
        &["COMMAND", "INFO", "SORT", "SORT_RO"],
        &["COMMAND", "DOCS", "SORT_RO"],
    ] {
        d.check(args);
    }
}

#[test]
fn by_and_get_need_access_to_every_key() {
    let mut d = Diff::new();
    rpush(&mut d, "l", &["2", "1", "3"]);
    d.check(&["SET", "w_1", "9"]);
    d.check(&["ACL", "SETUSER", "some", "on", "nopass", "~l*", "+@all"]);
    d.check(&["ACL", "SETUSER", "reader", "on", "nopass", "%R~*", "+@all"]);
    d.check(&["AUTH", "some", "x"]);
    for args in [
        &["SORT", "l", "BY", "w_*"][..],
        &["SORT", "l", "GET", "#"],
        &["SORT_RO", "l", "GET", "w_*"],
        &["SORT", "l", "BY", "nosort", "LIMIT", "0", "2"],
        &["SORT", "l", "BY", "w_*", "FOO"],
        &["SORT", "l", "FOO", "BY", "w_*"],
        &["SORT", "l", "DESC"],
    ] {
        d.check(args);
    }
    d.check(&["AUTH", "reader", "x"]);
    d.check(&["SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*"]);
}

/// Keyevent messages on `sub` up to the `set` of `marker`, from one server.
fn events_until_marker(conn: &mut support::RawConn) -> Vec<support::Resp> {
    let mut out = Vec::new();
    loop {
        let (_, msg) = conn.read_reply().expect("keyspace event");
        let done = msg.items().last().and_then(|m| m.bytes()) == Some(&b"marker"[..]);
        out.push(msg);
        if done {
            return out;
        }
    }
}

#[test]
fn keyspace_events_and_stats() {
    let mut d = Diff::new();
    d.check(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    let mut sub = d.connect();
    sub.check(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    rpush(&mut d, "l", &["2", "1"]);
    d.check(&["SORT", "l", "STORE", "dst"]);
    d.check(&["SORT", "l", "BY", "nosort", "STORE", "dst"]);
    d.check(&["SORT", "missing", "STORE", "dst"]);
    d.check(&["SORT", "missing", "STORE", "dst"]);
    d.check(&["SORT", "l", "BY", "w_*", "GET", "x_*"]);
    // An expired destination still present is deleted with `del` (dbDelete).
    d.check(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    d.check(&["SET", "exp", "v", "PX", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(5));
    d.check(&["SORT", "missing", "STORE", "exp"]);
    d.check(&["SET", "marker", "1"]);
    let r = events_until_marker(&mut sub.redis);
    let e = events_until_marker(&mut sub.ember);
    assert_eq!(r, e, "keyspace events differ");
    // BY and GET lookups count as keyspace hits and misses.
    let stats = |p: &mut Pair| -> (String, String) {
        let pick = |info: &Resp| {
            info.text()
                .lines()
                .filter(|l| l.starts_with("keyspace_"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let (r, e) = p.both(&["INFO", "stats"]);
        (pick(&r), pick(&e))
    };
    d.check(&["CONFIG", "RESETSTAT"]);
    d.check(&["SET", "w_1", "5"]);
    d.check(&[
        "SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*", "GET", "h_*->f",
    ]);
    let (r, e) = stats(&mut d);
    assert_eq!(r, e);
}

#[test]
fn expired_and_missing_keys() {
    let mut d = Diff::new();
    rpush(&mut d, "l", &["1", "2"]);
    d.check(&["SET", "w_1", "5", "PX", "1"]);
    d.check(&["SET", "w_2", "3"]);
    std::thread::sleep(std::time::Duration::from_millis(5));
    d.check(&["SORT", "l", "BY", "w_*"]);
    d.check(&["SORT", "l", "GET", "w_*"]);
    d.check(&["INFO", "keyspace"]);
}

// ---- seeded random sequences ----------------------------------------------------

const ELEMS: &[&str] = &[
    "1", "2", "3", "10", "-1", "1.5", "0", "07", "a", "b", "ab", "B", "x y", "2e1", "",
];
const LISTS: &[&str] = &["l0", "l1", "l2"];
const SETS: &[&str] = &["s0", "s1"];
const ZSETS: &[&str] = &["z0", "z1"];

fn numericish(rng: &mut SmallRng) -> String {
    match rng.gen_range(0..6) {
        0 => gen::int(rng, -20, 20),
        1 => format!("{}.{}", rng.gen_range(-9..9), rng.gen_range(0..99)),
        2 => gen::pick(rng, &["a", "b", "A", "zz", ""]).to_string(),
        _ => gen::int(rng, 0, 5),
    }
}

/// Keys ending in `1` hold only numbers, so numeric sorts over them succeed.
fn elem_for(rng: &mut SmallRng, key: &str) -> String {
    let pool = if key.ends_with('1') {
        &ELEMS[..8]
    } else {
        ELEMS
    };
    gen::pick(rng, pool).to_string()
}

fn gen_write(rng: &mut SmallRng) -> Vec<String> {
    let e = |rng: &mut SmallRng| gen::pick(rng, ELEMS).to_string();
    let (cmd, keys, n) = match rng.gen_range(0..9) {
        0..=2 => ("RPUSH", LISTS, 5),
        3 => ("SADD", SETS, 4),
        4 => ("ZADD", ZSETS, 2),
        _ => ("", LISTS, 0),
    };
    if !cmd.is_empty() {
        let key = gen::pick(rng, keys).to_string();
        let mut c = vec![cmd.to_string(), key.clone()];
        for _ in 0..rng.gen_range(1..n) {
            if cmd == "ZADD" {
                c.push(gen::int(rng, -3, 3));
            }
            c.push(elem_for(rng, &key));
        }
        return c;
    }
    match rng.gen_range(5..9) {
        5 | 6 => vec!["SET".into(), format!("w_{}", e(rng)), numericish(rng)],
        7 => vec![
            "HSET".into(),
            format!("h_{}", e(rng)),
            "f".into(),
            numericish(rng),
        ],
        _ => vec![
            "DEL".into(),
            gen::pick(
                rng,
                &[
                    "l0", "l1", "l2", "s0", "s1", "z0", "z1", "w_1", "w_a", "dst",
                ],
            )
            .into(),
        ],
    }
}

/// A SORT whose reply is deterministic on both servers (see the module doc).
fn gen_sort(rng: &mut SmallRng) -> Vec<String> {
    let all: Vec<&str> = LISTS.iter().chain(SETS).chain(ZSETS).copied().collect();
    let key = gen::pick(rng, &all).to_string();
    let ordered = key.starts_with('l');
    let store = gen::chance(rng, 0.3);
    let mut by = if gen::chance(rng, 0.4) {
        Some(gen::pick(rng, &["w_*", "h_*->f", "nosort", "nokey_*"]).to_string())
    } else {
        None
    };
    let mut alpha = gen::chance(rng, 0.5);
    if !ordered {
        match by.as_deref() {
            // Unstored set order is each server's own.
            Some("nosort") if !store && key.starts_with('s') => by = None,
            // ALPHA ties over sets keep each server's iteration order.
            Some(p) if p != "nosort" && alpha => alpha = false,
            _ => {}
        }
    }
    let readonly = !store && gen::chance(rng, 0.3);
    let mut c = vec![if readonly { "SORT_RO" } else { "SORT" }.to_string(), key];
    if let Some(p) = by {
        c.extend(["BY".to_string(), p]);
    }
    if gen::chance(rng, 0.5) {
        c.extend([
            "LIMIT".to_string(),
            gen::int(rng, -2, 8),
            gen::int(rng, -2, 8),
        ]);
    }
    for _ in 0..rng.gen_range(0..3) {
        c.extend([
            "GET".to_string(),
            gen::pick(rng, &["#", "w_*", "h_*->f", "nokey_*"]).to_string(),
        ]);
    }
    if gen::chance(rng, 0.4) {
        c.push("DESC".into());
    }
    if alpha {
        c.push("ALPHA".into());
    }
    if store {
        c.extend(["STORE".to_string(), "dst".to_string()]);
    }
    c
}

fn gen_read_dst(rng: &mut SmallRng) -> Vec<String> {
    match rng.gen_range(0..3) {
        0 => vec!["LRANGE".into(), "dst".into(), "0".into(), "-1".into()],
        1 => vec!["TYPE".into(), "dst".into()],
        _ => vec!["EXISTS".into(), "dst".into()],
    }
}

#[test]
fn random_sequences() {
    for seed in seeds(&[1, 2, 3]) {
        let mut d = Diff::new();
        d.random_sequence(seed, 500, &[gen_write, gen_sort, gen_sort, gen_read_dst]);
    }
}
