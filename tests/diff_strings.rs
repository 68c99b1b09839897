//! Differential tests of the string family (GET SET SETNX SETEX PSETEX MGET
//! MSET MSETNX GETSET GETDEL GETEX APPEND STRLEN GETRANGE SUBSTR SETRANGE INCR
//! DECR INCRBY DECRBY INCRBYFLOAT LCS) against the real redis-server: hand
//! written edge cases (seeded random sequences: diff_strings_random.rs).
//!
//! Expiries use large TTLs or absolute times in the past, so no reply depends
//! on how fast the test runs. Cases that need commands from other families
//! (TTL, OBJECT ENCODING, a non-string type for WRONGTYPE) run only where Ember
//! already implements them.

mod support;

use rand::rngs::SmallRng;
use rand::Rng;
use support::{Diff, Resp};

/// True if Ember knows the command (it answers something other than
/// `unknown command`); the probe is sent to Ember only.
fn ember_has(d: &mut Diff, probe: &[&str]) -> bool {
    match d.ember(probe) {
        Resp::Error(e) => !e.starts_with(b"ERR unknown command"),
        _ => true,
    }
}

#[test]
fn get_and_set_basics() {
    let mut d = Diff::new();
    d.check(&["GET", "k"]);
    d.check(&["SET", "k", "v"]);
    d.check(&["GET", "k"]);
    d.check(&["SET", "k", ""]);
    d.check(&["GET", "k"]);
    d.check(&["SET", "k", "bin\0ary\r\n"]);
    d.check(&["GET", "k"]);
    d.check(&["SET", "k"]);
    d.check(&["GET"]);
    d.check(&["GET", "a", "b"]);
    d.check(&["SET", "", "empty key"]);
    d.check(&["GET", ""]);
    for v in [
        "0",
        "-1",
        "9223372036854775807",
        "-9223372036854775808",
        "01",
        "1e3",
    ] {
        d.check(&["SET", "n", v]);
        d.check(&["GET", "n"]);
    }
}

#[test]
fn set_options() {
    let mut d = Diff::new();
    let cases: &[&[&str]] = &[
        &["SET", "k", "1", "XX"],
        &["SET", "k", "1", "NX"],
        &["SET", "k", "2", "NX"],
        &["SET", "k", "2", "NX", "GET"],
        &["SET", "k", "3", "XX", "GET"],
        &["SET", "k", "4", "GET", "GET"],
        &["SET", "k", "5", "get", "xx", "keepttl"],
        &["SET", "missing", "1", "XX", "GET"],
        &["SET", "missing", "1", "NX", "GET"],
        &["SET", "missing", "2", "NX", "GET"],
        &["SET", "k", "v", "NX", "XX"],
        &["SET", "k", "v", "XX", "NX"],
        &["SET", "k", "v", "EX"],
        &["SET", "k", "v", "PX"],
        &["SET", "k", "v", "EX", "100", "PX", "100"],
        &["SET", "k", "v", "PX", "100", "EX", "100"],
        &[
            "SET",
            "k",
            "v",
            "EXAT",
            "2000000000",
            "PXAT",
            "2000000000000",
        ],
        &["SET", "k", "v", "KEEPTTL", "EX", "100"],
        &["SET", "k", "v", "EX", "100", "KEEPTTL"],
        &["SET", "k", "v", "PERSIST"],
        &["SET", "k", "v", "foo"],
        &["SET", "k", "v", "EX", "100", "EX", "200"],
        &["SET", "k", "v", "KEEPTTL", "KEEPTTL"],
        &["SET", "k", "v", "NX", "NX"],
        &["SET", "k", "v", "ex", "100", "Get"],
        &["SET", "k", "v", "EX", "0"],
        &["SET", "k", "v", "EX", "-1"],
        &["SET", "k", "v", "PX", "0"],
        &["SET", "k", "v", "EXAT", "0"],
        &["SET", "k", "v", "PXAT", "-1"],
        &["SET", "k", "v", "EX", "abc"],
        &["SET", "k", "v", "EX", "1.5"],
        &["SET", "k", "v", "EX", " 1"],
        &["SET", "k", "v", "EX", "9223372036854775807"],
        &["SET", "k", "v", "EX", "9223372036854775"],
        &["SET", "k", "v", "EX", "9223372036854774"],
        &["SET", "k", "v", "EX", "9223370000000000"],
        &["SET", "k", "v", "PX", "9223372036854775807"],
        &["SET", "k", "v", "EX", "9223372036854775808"],
        &["SET", "k", "v", "EXAT", "9223372036854775"],
        &["SET", "k", "v", "EXAT", "9223372036854776"],
        &["SET", "k", "v", "PXAT", "9223372036854775807"],
        &["SET", "k", "v", "GET", "EX", "0"],
        &["SET", "k", "v", "EX", "0", "foo"],
        &["SET", "k", "v", "foo", "EX", "0"],
        &["SET", "k", "v", "NX", "EX", "0"],
        &["SET", "k", "v", "XX", "PX", "100000"],
        &["SET", "k", "v", "EXAT", "1"],
        &["GET", "k"],
        &["SET", "k", "v", "PXAT", "1", "GET"],
        &["SET", "k", "v", "PXAT", "1", "GET"],
        &["GET", "k"],
        &["SET", "k", "a", "GET", "EXAT", "2000000000"],
        &["SET", "k", "b", "KEEPTTL", "GET"],
        &["SET", "k", "c", "NX", "KEEPTTL", "EX", "1"],
    ];
    for c in cases {
        d.check(c);
    }
    // A NUL byte ends an option word (C string comparison).
    d.check(&["SET", "k", "w", "GET\0junk"]);
    d.check(&["SET", "k", "w", "nx\0"]);
    d.check(&["SET", "k", "w", "EX\0x", "100"]);
}

#[test]
fn ttl_after_set_options() {
    let mut d = Diff::new();
    if !ember_has(&mut d, &["TTL", "x"]) {
        return; // TTL belongs to the keyspace family.
    }
    let seq: &[&[&str]] = &[
        &["SET", "k", "v", "EX", "100"],
        &["TTL", "k"],
        &["SET", "k", "v2", "KEEPTTL"],
        &["TTL", "k"],
        &["SET", "k", "v3"],
        &["TTL", "k"],
        &["SET", "k", "v", "PX", "100000"],
        &["TTL", "k"],
        &["SET", "k", "v", "EXAT", "4000000000"],
        &["PTTL", "missing"],
        &["SETEX", "k", "100", "v"],
        &["TTL", "k"],
        &["PSETEX", "k", "100000", "v"],
        &["TTL", "k"],
        &["GETSET", "k", "v"],
        &["TTL", "k"],
        &["SET", "k", "5", "EX", "100"],
        &["INCR", "k"],
        &["TTL", "k"],
        &["APPEND", "k", "1"],
        &["TTL", "k"],
        &["SETRANGE", "k", "0", "9"],
        &["TTL", "k"],
        &["GETEX", "k", "EX", "200"],
        &["TTL", "k"],
        &["GETEX", "k"],
        &["TTL", "k"],
        &["GETEX", "k", "PERSIST"],
        &["TTL", "k"],
        &["GETEX", "k", "PXAT", "4000000000000"],
        &["GETEX", "k", "EXAT", "4000000000"],
        &["MSET", "k", "1"],
        &["TTL", "k"],
    ];
    for c in seq {
        d.check(c);
    }
}

#[test]
fn setnx_setex_psetex() {
    let mut d = Diff::new();
    let seq: &[&[&str]] = &[
        &["SETNX", "k", "1"],
        &["SETNX", "k", "2"],
        &["GET", "k"],
        &["SETNX", "k"],
        &["SETNX", "k", "1", "2"],
        &["SETEX", "k", "100", "v"],
        &["GET", "k"],
        &["SETEX", "k", "0", "v"],
        &["SETEX", "k", "-1", "v"],
        &["SETEX", "k", "x", "v"],
        &["SETEX", "k", "9223372036854775", "v"],
        &["SETEX", "k", "100"],
        &["PSETEX", "k", "100000", "w"],
        &["GET", "k"],
        &["PSETEX", "k", "0", "v"],
        &["PSETEX", "k", "9223372036854775807", "v"],
        &["PSETEX", "k", "1.0", "v"],
        &["SETNX", "e", "x"],
        &["SETEX", "e", "100", "y"],
        &["GET", "e"],
    ];
    for c in seq {
        d.check(c);
    }
}

#[test]
fn getset_getdel_getex() {
    let mut d = Diff::new();
    let seq: &[&[&str]] = &[
        &["GETSET", "k", "1"],
        &["GETSET", "k", "2"],
        &["GET", "k"],
        &["GETSET", "k"],
        &["GETDEL", "k"],
        &["GETDEL", "k"],
        &["GET", "k"],
        &["GETDEL", "k", "x"],
        &["GETEX", "k"],
        &["GETEX", "k", "EX", "0"],
        &["GETEX", "k", "BAD"],
        &["GETEX"],
        &["SET", "k", "v"],
        &["GETEX", "k"],
        &["GETEX", "k", "EX", "100"],
        &["GETEX", "k", "PX", "100000"],
        &["GETEX", "k", "EXAT", "4000000000"],
        &["GETEX", "k", "PXAT", "4000000000000"],
        &["GETEX", "k", "PERSIST"],
        &["GETEX", "k", "PERSIST"],
        &["GETEX", "k", "EX", "0"],
        &["GETEX", "k", "PX", "-1"],
        &["GETEX", "k", "EXAT", "0"],
        &["GETEX", "k", "EX", "9223372036854775"],
        &["GETEX", "k", "EX", "abc"],
        &["GETEX", "k", "EX", "100", "PX", "100"],
        &["GETEX", "k", "EX", "100", "EX", "200"],
        &["GETEX", "k", "PERSIST", "EX", "100"],
        &["GETEX", "k", "EX", "100", "PERSIST"],
        &["GETEX", "k", "PERSIST", "PERSIST"],
        &["GETEX", "k", "KEEPTTL"],
        &["GETEX", "k", "NX"],
        &["GETEX", "k", "GET"],
        &["GETEX", "k", "EX"],
        &["GETEX", "k", "ex", "100", "foo"],
        &["GETEX", "k", "PXAT", "1"],
        &["GET", "k"],
        &["SET", "k", "v"],
        &["GETEX", "k", "EXAT", "1"],
        &["GETEX", "k"],
    ];
    for c in seq {
        d.check(c);
    }
}

#[test]
fn mget_mset_msetnx() {
    let mut d = Diff::new();
    let seq: &[&[&str]] = &[
        &["MGET", "a"],
        &["MGET", "a", "b", "c"],
        &["MGET"],
        &["MSET", "a", "1"],
        &["MSET", "a", "1", "b"],
        &["MSET", "a"],
        &["MSET", "a", "1", "b", "2", "a", "3"],
        &["MGET", "a", "b", "c", "a"],
        &["MSETNX", "a", "1"],
        &["MSETNX", "c", "1", "a", "2"],
        &["MGET", "c"],
        &["MSETNX", "c", "1", "d"],
        &["MSETNX", "c", "1", "d", "2"],
        &["MSETNX", "e", "1", "e", "2"],
        &["MGET", "a", "b", "c", "d", "e"],
        &["SET", "x", "1", "PXAT", "1"],
        &["MSETNX", "x", "9"],
        &["MGET", "x"],
    ];
    for c in seq {
        d.check(c);
    }
}

#[test]
fn append_strlen() {
    let mut d = Diff::new();
    let seq: &[&[&str]] = &[
        &["STRLEN", "k"],
        &["APPEND", "k", "12"],
        &["STRLEN", "k"],
        &["APPEND", "k", "3"],
        &["GET", "k"],
        &["APPEND", "k", ""],
        &["APPEND", "k", "bin\0\r\n"],
        &["STRLEN", "k"],
        &["GET", "k"],
        &["APPEND", "k"],
        &["STRLEN"],
        &["SET", "n", "-1234567890"],
        &["STRLEN", "n"],
        &["APPEND", "n", "0"],
        &["INCR", "n"],
        &["STRLEN", "n"],
        &["APPEND", "e", ""],
        &["STRLEN", "e"],
        &["GET", "e"],
    ];
    for c in seq {
        d.check(c);
    }
}

#[test]
fn getrange_substr() {
    let mut d = Diff::new();
    d.check(&["GETRANGE", "k", "0", "-1"]);
    d.check(&["GETRANGE", "k", "x", "-1"]);
    d.check(&["GETRANGE", "k", "0"]);
    d.check(&["SET", "k", "Hello World"]);
    d.check(&["SET", "n", "12345"]);
    d.check(&["SET", "e", ""]);
    let idx: Vec<&str> =
        "0 1 4 10 11 100 -1 -2 -5 -11 -12 -100 9223372036854775807 -9223372036854775808"
            .split(' ')
            .collect();
    for key in ["k", "n", "e"] {
        for s in &idx {
            for e in &idx {
                d.check(&["GETRANGE", key, s, e]);
            }
        }
    }
    for (s, e) in [
        ("0", "-1"),
        ("-3", "-1"),
        ("2", "1"),
        ("a", "1"),
        ("1", "1.5"),
    ] {
        d.check(&["SUBSTR", "k", s, e]);
    }
    d.check(&["GETRANGE", "k", "9223372036854775808", "1"]);
}

#[test]
fn setrange() {
    let mut d = Diff::new();
    let seq: &[&[&str]] = &[
        &["SETRANGE", "k", "0", ""],
        &["SETRANGE", "k", "100", ""],
        &["SETRANGE", "k", "536870912", ""],
        &["GET", "k"],
        &["SETRANGE", "k", "-1", "x"],
        &["SETRANGE", "k", "-1", ""],
        &["SETRANGE", "k", "x", "x"],
        &["SETRANGE", "k", "536870911", "xx"],
        &["SETRANGE", "k", "536870912", "x"],
        &["SETRANGE", "k", "9223372036854775807", "x"],
        &["SETRANGE", "k", "9223372036854775808", "x"],
        &["SETRANGE", "k", "3", "ab"],
        &["GET", "k"],
        &["SETRANGE", "k", "1", "XYZW"],
        &["GET", "k"],
        &["SETRANGE", "k", "10", "!"],
        &["GET", "k"],
        &["SETRANGE", "k", "0", ""],
        &["SETRANGE", "k", "536870911", "xx"],
        &["SET", "n", "123"],
        &["SETRANGE", "n", "1", ""],
        &["SETRANGE", "n", "1", "x"],
        &["GET", "n"],
        &["SET", "m", "100"],
        &["SETRANGE", "m", "0", "2"],
        &["INCR", "m"],
        &["SETRANGE", "k", "1"],
    ];
    for c in seq {
        d.check(c);
    }
}

#[test]
fn counters() {
    let mut d = Diff::new();
    let seq: &[&[&str]] = &[
        &["INCR", "c"],
        &["INCR", "c"],
        &["DECR", "c"],
        &["INCRBY", "c", "100"],
        &["DECRBY", "c", "50"],
        &["INCRBY", "c", "-1000"],
        &["DECRBY", "c", "-1000"],
        &["INCRBY", "c", "abc"],
        &["INCRBY", "c", "1.0"],
        &["INCRBY", "c", ""],
        &["INCRBY", "c", "9223372036854775808"],
        &["DECRBY", "c", "-9223372036854775808"],
        &["DECRBY", "c", "9223372036854775807"],
        &["DECRBY", "c", "9223372036854775807"],
        &["GET", "c"],
        &["SET", "c", "9223372036854775806"],
        &["INCR", "c"],
        &["INCR", "c"],
        &["INCRBY", "c", "0"],
        &["SET", "c", "-9223372036854775807"],
        &["DECR", "c"],
        &["DECR", "c"],
        &["INCRBY", "c", "-1"],
        &["INCRBY", "c", "9223372036854775807"],
        &["GET", "c"],
        &["INCR"],
        &["INCR", "a", "b"],
        &["INCRBY", "c"],
        &["DECRBY", "c"],
    ];
    for c in seq {
        d.check(c);
    }
    // Not integers for string2ll ('|' separates the cases; one is empty).
    let bad = "abc|01| 1|1 |+1|1.5||-0|0x10|1e3|99999999999999999999|9223372036854775808";
    for bad in bad.split('|').chain(["-9223372036854775809"]) {
        d.check(&["SET", "s", bad]);
        d.check(&["INCR", "s"]);
        d.check(&["DECRBY", "s", "1"]);
        d.check(&["GET", "s"]);
    }
}

#[test]
fn incrbyfloat() {
    let mut d = Diff::new();
    if !ember_has(&mut d, &["INCRBYFLOAT", "probe", "0"]) {
        return;
    }
    let seq: &[&[&str]] = &[
        &["INCRBYFLOAT", "f", "1.5"],
        &["INCRBYFLOAT", "f", "0.1"],
        &["INCRBYFLOAT", "f", "-0.1"],
        &["INCRBYFLOAT", "f", "1e5"],
        &["INCRBYFLOAT", "f", "-100001.5"],
        &["INCRBYFLOAT", "f", "3.0e3"],
        &["INCRBYFLOAT", "f", "abc"],
        &["INCRBYFLOAT", "f", ""],
        &["INCRBYFLOAT", "f", " 1"],
        &["INCRBYFLOAT", "f", "1 "],
        &["INCRBYFLOAT", "f", "nan"],
        &["INCRBYFLOAT", "f", "inf"],
        &["INCRBYFLOAT", "f", "-inf"],
        &["INCRBYFLOAT", "f", "1e400"],
        &["INCRBYFLOAT", "f", "1.7976931348623157e308"],
        &["GET", "f"],
        &["INCRBYFLOAT", "f"],
        &["SET", "i", "10"],
        &["INCRBYFLOAT", "i", "5"],
        &["GET", "i"],
        &["INCRBYFLOAT", "i", "0.0000000000000001"],
        &["INCRBYFLOAT", "i", "-15"],
        &["INCRBYFLOAT", "i", "5.0e-1"],
        &["INCRBYFLOAT", "i", "-0.5"],
        &["INCRBYFLOAT", "i", "-0.0"],
        &["INCR", "i"],
        &["SET", "s", "hello"],
        &["INCRBYFLOAT", "s", "1"],
        &["SET", "s", "1.5e2"],
        &["INCRBYFLOAT", "s", "1"],
        &["SET", "s", " 1"],
        &["INCRBYFLOAT", "s", "1"],
        &["SET", "s", "0x10"],
        &["INCRBYFLOAT", "s", "1"],
        &["SET", "s", "inf"],
        &["INCRBYFLOAT", "s", "1"],
        &["INCRBYFLOAT", "b", "12345678901234567890"],
        &["INCRBYFLOAT", "b", "0.1"],
        &["INCRBYFLOAT", "t", "1.23456789012345678"],
        &["INCRBYFLOAT", "t", "1000000"],
        &["INCRBYFLOAT", "u", "1e-20"],
        &["INCRBYFLOAT", "v", "-1e30"],
    ];
    for c in seq {
        d.check(c);
    }
}

#[test]
fn lcs() {
    let mut d = Diff::new();
    let seq: &[&[&str]] = &[
        &["MSET", "key1", "ohmytext", "key2", "mynewtext"],
        &["LCS", "key1", "key2"],
        &["LCS", "key1", "key2", "LEN"],
        &["LCS", "key1", "key2", "IDX"],
        &["LCS", "key1", "key2", "IDX", "WITHMATCHLEN"],
        &["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4"],
        &[
            "LCS",
            "key1",
            "key2",
            "IDX",
            "MINMATCHLEN",
            "4",
            "WITHMATCHLEN",
        ],
        &["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "-4"],
        &["LCS", "key1", "key2", "MINMATCHLEN", "2"],
        &["LCS", "key1", "key2", "LEN", "MINMATCHLEN", "2", "LEN"],
        &["LCS", "key1", "key2", "WITHMATCHLEN"],
        &["LCS", "key1", "key2", "IDX", "LEN"],
        &["LCS", "key1", "key2", "LEN", "IDX"],
        &["LCS", "key1", "key2", "MINMATCHLEN"],
        &["LCS", "key1", "key2", "MINMATCHLEN", "x"],
        &["LCS", "key1", "key2", "foo"],
        &["LCS", "key1", "key2", "foo", "IDX", "LEN"],
        &["LCS", "key1", "missing"],
        &["LCS", "missing", "key2", "IDX"],
        &["LCS", "missing", "missing2", "LEN"],
        &["LCS", "key1", "key1"],
        &["LCS", "key1", "key1", "IDX", "WITHMATCHLEN"],
        &["LCS", "key1"],
        &["SET", "n1", "1234567"],
        &["SET", "n2", "72345671"],
        &["LCS", "n1", "n2", "IDX", "WITHMATCHLEN"],
        &["SET", "e", ""],
        &["LCS", "e", "key1", "IDX"],
    ];
    for c in seq {
        d.check(c);
    }
    // RESP3: IDX answers a map (once Ember has HELLO).
    if !ember_has(&mut d, &["HELLO", "2"]) {
        return;
    }
    d.hello3();
    d.check(&["LCS", "key1", "key2", "IDX", "WITHMATCHLEN"]);
    d.check(&["LCS", "missing", "key2", "IDX"]);
    d.check(&["LCS", "key1", "key2"]);
}

#[test]
fn lcs_random_strings() {
    let mut d = Diff::new();
    let mut rng: SmallRng = rand::SeedableRng::seed_from_u64(7);
    for _ in 0..40 {
        let a: String = (0..rng.gen_range(0..40))
            .map(|_| rng.gen_range(b'a'..=b'd') as char)
            .collect();
        let b: String = (0..rng.gen_range(0..40))
            .map(|_| rng.gen_range(b'a'..=b'd') as char)
            .collect();
        d.check(&["MSET", "a", &a, "b", &b]);
        d.check(&["LCS", "a", "b"]);
        d.check(&["LCS", "b", "a", "LEN"]);
        d.check(&["LCS", "a", "b", "IDX", "WITHMATCHLEN"]);
        d.check(&["LCS", "a", "b", "IDX", "MINMATCHLEN", "2"]);
    }
}

#[test]
fn encodings() {
    let mut d = Diff::new();
    if !ember_has(&mut d, &["OBJECT", "ENCODING", "x"]) {
        return;
    }
    let long = "x".repeat(45);
    let seq: &[&[&str]] = &[
        &["SET", "a", "123"],
        &["SET", "b", "0123"],
        &["SET", "c", &long],
        &["SET", "d", "9223372036854775808"],
        &["APPEND", "e", "12"],
        &["APPEND", "f", "ab"],
        &["SETRANGE", "g", "0", "ab"],
        &["SETRANGE", "h", "0", "12"],
        &["INCR", "i"],
        &["MSET", "j", "-5", "k", "text"],
        &["GETSET", "l", "7"],
        &["SETNX", "m", "8"],
        &["SETEX", "n", "100", "9"],
        &["SET", "o", "1", "GET"],
    ];
    for c in seq {
        d.check(c);
    }
    for key in "abcdefghijklmno".chars() {
        d.check(&["OBJECT", "ENCODING", &key.to_string()]);
    }
    let seq: &[&[&str]] = &[
        &["APPEND", "a", "4"],
        &["OBJECT", "ENCODING", "a"],
        &["INCR", "a"],
        &["OBJECT", "ENCODING", "a"],
        &["SETRANGE", "a", "0", "9"],
        &["OBJECT", "ENCODING", "a"],
        &["SETRANGE", "i", "0", ""],
        &["OBJECT", "ENCODING", "i"],
        &["APPEND", "b", ""],
        &["OBJECT", "ENCODING", "b"],
    ];
    for c in seq {
        d.check(c);
    }
    if ember_has(&mut d, &["INCRBYFLOAT", "probe", "0"]) {
        for c in [
            &["INCRBYFLOAT", "p", "2"][..],
            &["OBJECT", "ENCODING", "p"],
            &["INCRBYFLOAT", "p", "1.5"],
            &["OBJECT", "ENCODING", "p"],
            &["INCRBYFLOAT", "q", "1e30"],
            &["OBJECT", "ENCODING", "q"],
        ] {
            d.check(c);
        }
    }
}

#[test]
fn wrong_type() {
    let mut d = Diff::new();
    // Needs any non-string type; the first one Ember implements is used.
    let makers: &[&[&str]] = &[
        &["RPUSH", "w", "x"],
        &["SADD", "w", "x"],
        &["HSET", "w", "f", "x"],
        &["ZADD", "w", "1", "x"],
    ];
    let Some(maker) = makers.iter().find(|m| ember_has(&mut d, &[m[0]])) else {
        return;
    };
    d.check(maker);
    d.check(&["SET", "s", "v"]);
    let seq: &[&[&str]] = &[
        &["GET", "w"],
        &["SET", "w", "v", "GET"],
        &["SET", "w", "v", "NX", "GET"],
        &["SET", "w", "v", "XX", "GET"],
        &["SET", "w", "v", "GET", "EX", "0"],
        &["SETNX", "w", "v"],
        &["GETSET", "w", "v"],
        &["GETDEL", "w"],
        &["GETEX", "w"],
        &["GETEX", "w", "EX", "0"],
        &["GETEX", "w", "FOO"],
        &["MGET", "s", "w", "nokey"],
        &["MSETNX", "w", "v", "z", "v"],
        &["APPEND", "w", "x"],
        &["STRLEN", "w"],
        &["GETRANGE", "w", "0", "-1"],
        &["GETRANGE", "w", "x", "-1"],
        &["SETRANGE", "w", "0", "x"],
        &["SETRANGE", "w", "0", ""],
        &["SETRANGE", "w", "-1", "x"],
        &["INCR", "w"],
        &["DECR", "w"],
        &["INCRBY", "w", "x"],
        &["DECRBY", "w", "1"],
        &["LCS", "w", "s"],
        &["LCS", "s", "w"],
        &["LCS", "s", "w", "FOO"],
        &["LCS", "nokey", "w"],
        &["MSET", "w", "now-a-string"],
        &["GET", "w"],
    ];
    for c in seq {
        d.check(c);
    }
    d.check(maker);
    d.check(&["SET", "w", "v"]);
    d.check(&["GET", "w"]);
    d.check(maker);
    if ember_has(&mut d, &["INCRBYFLOAT", "probe", "0"]) {
        d.check(&["INCRBYFLOAT", "w", "1"]);
        d.check(&["INCRBYFLOAT", "w", "x"]);
    }
}
