//! Differential tests of the bitmap family (SETBIT GETBIT BITCOUNT BITPOS BITOP
//! BITFIELD BITFIELD_RO) against the real redis-server: hand-written edge cases
//! (seeded random sequences: diff_bitmaps_random.rs).
//!
//! Memory stays modest: the 512MB limit is exercised through its error paths,
//! and the largest allocation (1MB) runs under `proto-max-bulk-len 1mb`.

mod support;

use support::{Diff, Resp};

/// True if Ember knows the command (the probe goes to Ember only).
fn ember_has(d: &mut Diff, probe: &[&str]) -> bool {
    match d.ember(probe) {
        Resp::Error(e) => !e.starts_with(b"ERR unknown command"),
        _ => true,
    }
}

fn run_all(d: &mut Diff, cmds: &[&[&str]]) {
    for c in cmds {
        d.check(c);
    }
}

/// Binary values (any byte) go through SET on both servers.
fn set_bytes(d: &mut Diff, key: &str, value: &[u8]) {
    d.check(&[b"SET".as_ref(), key.as_bytes(), value]);
}

#[test]
fn setbit_getbit() {
    let mut d = Diff::new();
    run_all(
        &mut d,
        &[
            &["GETBIT", "k", "0"],
            &["SETBIT", "k", "7", "1"],
            &["GET", "k"],
            &["SETBIT", "k", "7", "1"],
            &["SETBIT", "k", "7", "0"],
            &["SETBIT", "k", "0", "1"],
            &["SETBIT", "k", "8", "1"],
            &["SETBIT", "k", "100", "0"],
            &["GET", "k"],
            &["GETBIT", "k", "0"],
            &["GETBIT", "k", "1"],
            &["GETBIT", "k", "8"],
            &["GETBIT", "k", "103"],
            &["GETBIT", "k", "104"],
            &["GETBIT", "k", "100000"],
            &["GETBIT", "k", "4294967295"],
            &["GETBIT", "nokey", "4294967295"],
            &["SETBIT", "big", "80001", "1"],
            &["STRLEN", "big"],
            &["GETBIT", "big", "80001"],
            &["BITCOUNT", "big"],
            // Offsets: negative, too large, not canonical integers.
            &["SETBIT", "k", "-1", "1"],
            &["SETBIT", "k", "4294967296", "1"],
            &["SETBIT", "k", "4294967296", "2"],
            &["SETBIT", "k", "18446744073709551616", "1"],
            &["SETBIT", "k", "01", "1"],
            &["SETBIT", "k", "+1", "1"],
            &["SETBIT", "k", "#1", "1"],
            &["SETBIT", "k", "", "1"],
            &["SETBIT", "k", "1.0", "1"],
            &["GETBIT", "k", "-1"],
            &["GETBIT", "k", "4294967296"],
            &["GETBIT", "k", "x"],
            &["GETBIT", "nokey", "x"],
            // Bit values other than 0/1.
            &["SETBIT", "k", "1", "2"],
            &["SETBIT", "k", "1", "-1"],
            &["SETBIT", "k", "1", "01"],
            &["SETBIT", "k", "1", "+1"],
            &["SETBIT", "k", "1", "x"],
            &["SETBIT", "k", "1", ""],
            &["SETBIT", "k", "1", "9223372036854775808"],
            &["SETBIT", "k", "x", "2"],
            &["SETBIT", "new", "1", "2"],
            &["GET", "new"],
            // Arity.
            &["SETBIT", "k", "1"],
            &["SETBIT", "k", "1", "1", "1"],
            &["GETBIT", "k"],
            &["GETBIT", "k", "1", "1"],
            &["GET", "k"],
        ],
    );
}

#[test]
fn bits_of_integer_and_empty_strings() {
    let mut d = Diff::new();
    let has_object = ember_has(&mut d, &["OBJECT", "ENCODING", "x"]);
    run_all(
        &mut d,
        &[
            &["SET", "n", "12"],
            &["GETBIT", "n", "2"],
            &["GETBIT", "n", "3"],
            &["GETBIT", "n", "15"],
            &["BITCOUNT", "n"],
            &["BITPOS", "n", "0"],
            &["BITFIELD", "n", "GET", "u16", "0"],
            &["BITFIELD_RO", "n", "GET", "i8", "4"],
            &["SETBIT", "n", "2", "1"],
            &["GET", "n"],
            &["SETBIT", "n", "7", "1"],
            &["GET", "n"],
            &["SET", "e", ""],
            &["GETBIT", "e", "0"],
            &["BITCOUNT", "e"],
            &["BITCOUNT", "e", "0", "-1"],
            &["BITCOUNT", "e", "0", "-1", "BIT"],
            &["BITPOS", "e", "0"],
            &["BITPOS", "e", "1"],
            &["BITPOS", "e", "0", "0"],
            &["BITPOS", "e", "0", "0", "-1"],
            &["BITPOS", "e", "0", "0", "-1", "BIT"],
            &["BITFIELD", "e", "GET", "u8", "0"],
            &["BITOP", "OR", "d", "e"],
            &["GET", "d"],
            &["SETBIT", "e", "3", "1"],
            &["GET", "e"],
        ],
    );
    if has_object {
        run_all(
            &mut d,
            &[
                &["SET", "n", "12"],
                &["SETBIT", "n", "2", "1"],
                &["OBJECT", "ENCODING", "n"],
                &["SET", "n", "12"],
                &["BITFIELD", "n", "GET", "u8", "0"],
                &["OBJECT", "ENCODING", "n"],
                &["BITFIELD", "n", "SET", "u8", "0", "49"],
                &["OBJECT", "ENCODING", "n"],
                &["SET", "n", "12"],
                &["BITFIELD", "n", "OVERFLOW", "FAIL", "SET", "u8", "0", "256"],
                &["OBJECT", "ENCODING", "n"],
                &["SETBIT", "fresh", "3", "1"],
                &["OBJECT", "ENCODING", "fresh"],
                &["SET", "a", "1"],
                &["BITOP", "OR", "d", "a"],
                &["OBJECT", "ENCODING", "d"],
            ],
        );
    }
}

#[test]
fn bitcount() {
    let mut d = Diff::new();
    d.check(&["SET", "s", "foobar"]);
    d.check(&["BITCOUNT", "s"]);
    d.check(&["BITCOUNT", "nokey"]);
    let ranges: &[(&str, &str)] = &[
        ("0", "0"),
        ("1", "1"),
        ("0", "-1"),
        ("-1", "-1"),
        ("-2", "-1"),
        ("-1", "-2"),
        ("5", "100"),
        ("-100", "-50"),
        ("-100", "100"),
        ("3", "1"),
        ("6", "6"),
        ("100", "200"),
        ("0", "5"),
        ("0", "47"),
        ("3", "10"),
        ("7", "8"),
        ("-9", "-1"),
        ("9223372036854775807", "-9223372036854775808"),
        ("-9223372036854775808", "9223372036854775807"),
        ("-9223372036854775808", "-9223372036854775808"),
    ];
    for (s, e) in ranges {
        d.check(&["BITCOUNT", "s", s, e]);
        d.check(&["BITCOUNT", "s", s, e, "BYTE"]);
        d.check(&["BITCOUNT", "s", s, e, "BIT"]);
        d.check(&["BITCOUNT", "nokey", s, e, "BIT"]);
    }
    run_all(
        &mut d,
        &[
            &["BITCOUNT", "s", "0", "0", "bit"],
            &["BITCOUNT", "s", "0", "0", "BiT"],
            &["BITCOUNT", "s", "0", "0", "byte"],
            // 7.0 rules: a lone start, a bad unit, extra words.
            &["BITCOUNT", "s", "1"],
            &["BITCOUNT", "s", "1", "2", "bits"],
            &["BITCOUNT", "s", "1", "2", "BIT", "x"],
            &["BITCOUNT", "s", "a", "b"],
            &["BITCOUNT", "s", "1", "b"],
            &["BITCOUNT", "s", "a", "1", "bitx"],
            &["BITCOUNT", "s", "1", "a", "bitx"],
            &["BITCOUNT", "s", "-1", "-2", "bitx"],
            &["BITCOUNT", "s", "2", "1", "bitx"],
            &["BITCOUNT", "s", "01", "2"],
            &["BITCOUNT", "nokey", "1"],
            &["BITCOUNT", "nokey", "a", "b"],
            &["BITCOUNT", "nokey", "1", "2", "3", "4"],
            &["BITCOUNT"],
        ],
    );
    // Long strings exercise the word-at-a-time counting at every alignment.
    let long: Vec<u8> = (0..1000u32).map(|i| (i * 7919 % 251) as u8).collect();
    set_bytes(&mut d, "long", &long);
    d.check(&["BITCOUNT", "long"]);
    for (s, e) in [
        (0, 999),
        (1, 998),
        (3, 64),
        (17, 500),
        (-37, -3),
        (500, 2000),
    ] {
        d.check(&["BITCOUNT", "long", &s.to_string(), &e.to_string()]);
        d.check(&[
            "BITCOUNT",
            "long",
            &(s * 8 + 3).to_string(),
            &(e * 8 - 5).to_string(),
            "BIT",
        ]);
    }
}

#[test]
fn bitpos() {
    let mut d = Diff::new();
    set_bytes(&mut d, "ones", b"\xff\xff\xff");
    set_bytes(&mut d, "zeros", b"\x00\x00\x00");
    set_bytes(&mut d, "mix", b"\x00\x0f\xf0\xff\x00\x81");
    let windows: &[&[&str]] = &[
        &[],
        &["0"],
        &["1"],
        &["2"],
        &["-1"],
        &["-2"],
        &["100"],
        &["-100"],
        &["0", "-1"],
        &["0", "0"],
        &["1", "1"],
        &["1", "2"],
        &["0", "100"],
        &["-1", "-2"],
        &["2", "1"],
        &["0", "-1", "BYTE"],
        &["0", "-1", "BIT"],
        &["3", "-1", "BIT"],
        &["3", "5", "BIT"],
        &["3", "3", "BIT"],
        &["7", "9", "bit"],
        &["8", "15", "BIT"],
        &["5", "20", "BIT"],
        &["12", "30", "BIT"],
        &["-5", "-1", "BIT"],
        &["-20", "-10", "BIT"],
        &["40", "50", "BIT"],
        &["9223372036854775807", "-9223372036854775808", "BIT"],
        &["-9223372036854775808", "9223372036854775807", "BIT"],
    ];
    for key in ["ones", "zeros", "mix", "nokey"] {
        for bit in ["0", "1"] {
            for w in windows {
                let mut cmd = vec!["BITPOS", key, bit];
                cmd.extend_from_slice(w);
                d.check(&cmd);
            }
        }
    }
    run_all(
        &mut d,
        &[
            &["BITPOS", "mix", "2"],
            &["BITPOS", "mix", "-1"],
            &["BITPOS", "mix", "a"],
            &["BITPOS", "nokey", "2"],
            &["BITPOS", "mix", "1", "a"],
            &["BITPOS", "mix", "1", "0", "a"],
            &["BITPOS", "mix", "1", "a", "1", "bits"],
            &["BITPOS", "mix", "1", "0", "a", "bits"],
            &["BITPOS", "mix", "1", "0", "1", "bits"],
            &["BITPOS", "mix", "1", "0", "1", "bit", "3"],
            &["BITPOS", "nokey", "1", "a"],
            &["BITPOS", "nokey", "0", "0", "1", "bits", "3"],
            &["BITPOS", "mix"],
        ],
    );
    // Long runs of ones or zeros cross the word-skipping fast path.
    let mut long = vec![0xffu8; 300];
    long.extend([0xfe]);
    long.extend(vec![0u8; 300]);
    long.extend([0x01, 0xff]);
    set_bytes(&mut d, "long", &long);
    for w in [
        &[][..],
        &["0"][..],
        &["1", "-1"],
        &["13", "299"],
        &["13", "300"],
        &["301", "-1"],
        &["301", "600"],
        &["8", "2407", "BIT"],
        &["8", "2406", "BIT"],
        &["2409", "4830", "BIT"],
        &["2409", "4831", "BIT"],
    ] {
        for bit in ["0", "1"] {
            let mut cmd = vec!["BITPOS", "long", bit];
            cmd.extend_from_slice(w);
            d.check(&cmd);
        }
    }
}

#[test]
fn bitop() {
    let mut d = Diff::new();
    set_bytes(&mut d, "a", b"\xff\x0f\xaa\x00\x01");
    set_bytes(&mut d, "b", b"\x0f\xf0");
    d.check(&["SET", "n", "12"]);
    for op in ["AND", "OR", "XOR", "and", "Or", "xOr"] {
        for srcs in [
            &["a"][..],
            &["a", "b"],
            &["b", "a"],
            &["a", "nokey"],
            &["nokey", "a"],
            &["a", "b", "n"],
            &["a", "a", "a"],
            &["nokey"],
        ] {
            let mut cmd = vec!["BITOP", op, "dest"];
            cmd.extend_from_slice(srcs);
            d.check(&cmd);
            d.check(&["GET", "dest"]);
        }
    }
    run_all(
        &mut d,
        &[
            &["BITOP", "NOT", "dest", "a"],
            &["GET", "dest"],
            &["BITOP", "not", "dest", "n"],
            &["GET", "dest"],
            &["BITOP", "NOT", "dest", "nokey"],
            &["GET", "dest"],
            &["BITOP", "NOT", "dest", "a", "b"],
            &["BITOP", "NOT", "dest"],
            &["BITOP", "NOT", "nokey", "a", "a"],
            // Destination is also a source.
            &["BITOP", "XOR", "a", "a", "b"],
            &["GET", "a"],
            &["BITOP", "NOT", "a", "a"],
            &["GET", "a"],
            // An empty result deletes the destination.
            &["SET", "gone", "x"],
            &["BITOP", "AND", "gone", "nokey", "nokey2"],
            &["GET", "gone"],
            &["BITOP", "OR", "gone", "nokey"],
            // Syntax and arity.
            &["BITOP", "NAND", "dest", "a"],
            &["BITOP", "", "dest", "a"],
            &["BITOP", "AND", "dest"],
            &["BITOP", "AND"],
            &["BITOP"],
        ],
    );
    // Long strings of different lengths (word-wise paths and zero padding).
    let x: Vec<u8> = (0..777u32).map(|i| (i * 31 + 7) as u8).collect();
    let y: Vec<u8> = (0..500u32).map(|i| (i * 17 + 3) as u8).collect();
    let z: Vec<u8> = (0..1031u32).map(|i| (i * 13 + 5) as u8).collect();
    set_bytes(&mut d, "x", &x);
    set_bytes(&mut d, "y", &y);
    set_bytes(&mut d, "z", &z);
    for op in ["AND", "OR", "XOR"] {
        d.check(&["BITOP", op, "r", "x", "y", "z"]);
        d.check(&["GET", "r"]);
        d.check(&["BITOP", op, "r", "z", "nokey", "y"]);
        d.check(&["GET", "r"]);
    }
    d.check(&["BITOP", "NOT", "r", "z"]);
    d.check(&["GET", "r"]);
    d.check(&["BITCOUNT", "r"]);
}

#[test]
fn bitfield_types_and_offsets() {
    let mut d = Diff::new();
    set_bytes(&mut d, "k", b"\x80\xff\x01\x7f\xaa\x55\x00\xff\x12\x34\x56");
    for ty in [
        "i1", "u1", "i2", "u2", "i7", "u7", "i8", "u8", "i9", "u9", "i15", "u16", "i31", "u32",
        "i33", "u48", "i63", "u63", "i64",
    ] {
        for off in [
            "0", "1", "3", "7", "8", "13", "#0", "#1", "#2", "60", "85", "1000",
        ] {
            d.check(&["BITFIELD", "k", "GET", ty, off]);
            d.check(&["BITFIELD_RO", "k", "GET", ty, off]);
        }
    }
    run_all(
        &mut d,
        &[
            &["BITFIELD", "k", "GET", "u64", "0"],
            &["BITFIELD", "k", "GET", "i65", "0"],
            &["BITFIELD", "k", "GET", "i0", "0"],
            &["BITFIELD", "k", "GET", "u0", "0"],
            &["BITFIELD", "k", "GET", "I8", "0"],
            &["BITFIELD", "k", "GET", "U8", "0"],
            &["BITFIELD", "k", "GET", "u08", "0"],
            &["BITFIELD", "k", "GET", "u+8", "0"],
            &["BITFIELD", "k", "GET", "u-8", "0"],
            &["BITFIELD", "k", "GET", "u", "0"],
            &["BITFIELD", "k", "GET", "", "0"],
            &["BITFIELD", "k", "GET", "x8", "0"],
            &["BITFIELD", "k", "GET", "u8", "-1"],
            &["BITFIELD", "k", "GET", "u8", "#-1"],
            &["BITFIELD", "k", "GET", "u8", "#"],
            &["BITFIELD", "k", "GET", "u8", "##1"],
            &["BITFIELD", "k", "GET", "u8", "x"],
            &["BITFIELD", "k", "GET", "u8", "4294967295"],
            &["BITFIELD", "k", "GET", "u8", "4294967296"],
            &["BITFIELD", "k", "GET", "u8", "#536870911"],
            &["BITFIELD", "k", "GET", "u8", "#536870912"],
            &["BITFIELD", "k", "GET", "i64", "#67108863"],
            &["BITFIELD", "k", "GET", "i64", "#67108864"],
            // `#N * bits` wraps around like C's signed multiplication.
            &["BITFIELD", "k", "GET", "i64", "#288230376151711745"],
            &["BITFIELD", "k", "GET", "u2", "#4611686018427387904"],
            &["BITFIELD", "k", "GET", "u1", "#9223372036854775807"],
            &["BITFIELD", "k", "SET", "u8", "4294967296", "1"],
            &["BITFIELD", "k", "INCRBY", "i64", "#67108864", "1"],
            &["GET", "k"],
        ],
    );
}

#[test]
fn bitfield_set_incrby_overflow() {
    let mut d = Diff::new();
    let boundaries: &[(&str, &[&str])] = &[
        ("i1", &["0", "-1", "1", "-2"]),
        ("u1", &["0", "1", "2", "-1"]),
        ("i8", &["127", "-128", "128", "-129", "255", "-1", "1000"]),
        ("u8", &["255", "0", "256", "-1", "-256", "511"]),
        ("i16", &["32767", "-32768", "32768", "-32769"]),
        ("u16", &["65535", "65536", "-65536"]),
        ("i32", &["2147483647", "-2147483648", "2147483648"]),
        ("u32", &["4294967295", "4294967296", "-1"]),
        (
            "i63",
            &[
                "4611686018427387903",
                "-4611686018427387904",
                "4611686018427387904",
                "-4611686018427387905",
            ],
        ),
        (
            "u63",
            &["9223372036854775807", "-9223372036854775808", "-1", "0"],
        ),
        (
            "i64",
            &["9223372036854775807", "-9223372036854775808", "-1", "0"],
        ),
    ];
    for (ty, values) in boundaries {
        for ow in ["WRAP", "SAT", "FAIL"] {
            for v in *values {
                d.check(&["BITFIELD", "k", "OVERFLOW", ow, "SET", ty, "5", v]);
                d.check(&["BITFIELD", "k", "GET", ty, "5"]);
                for incr in [
                    "1",
                    "-1",
                    "100",
                    "-100",
                    "9223372036854775807",
                    "-9223372036854775808",
                    "0",
                ] {
                    d.check(&["BITFIELD", "k", "OVERFLOW", ow, "INCRBY", ty, "5", incr]);
                }
                d.check(&["GET", "k"]);
            }
        }
    }
    run_all(
        &mut d,
        &[
            // Several ops in one call; OVERFLOW applies to the ops after it.
            &[
                "BITFIELD", "m", "SET", "u8", "0", "200", "INCRBY", "u8", "0", "100", "OVERFLOW",
                "SAT", "INCRBY", "u8", "0", "100", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1",
                "GET", "u8", "0", "OVERFLOW", "WRAP", "INCRBY", "u8", "0", "1", "GET", "i4", "4",
            ],
            &["GET", "m"],
            &[
                "BITFIELD", "m", "SET", "i5", "#3", "-7", "GET", "i5", "#3", "SET", "u3", "#0", "5",
            ],
            &["GET", "m"],
            &[
                "BITFIELD", "m", "OVERFLOW", "sat", "OVERFLOW", "fail", "INCRBY", "u2", "100", "9",
            ],
            &["GET", "m"],
            // A FAIL overflow on a missing key still creates it, zero-filled.
            &[
                "BITFIELD", "nk", "OVERFLOW", "FAIL", "SET", "u8", "0", "256",
            ],
            &["GET", "nk"],
            &[
                "BITFIELD", "nk2", "OVERFLOW", "FAIL", "INCRBY", "i4", "20", "-9",
            ],
            &["GET", "nk2"],
            // Parse errors win over any effect, whatever their position.
            &["BITFIELD", "p", "SET", "u8", "0", "1", "GET", "u8", "foo"],
            &[
                "BITFIELD", "p", "SET", "u8", "0", "1", "INCRBY", "u8", "0", "x",
            ],
            &["BITFIELD", "p", "SET", "u8", "0", "1", "OVERFLOW", "bad"],
            &["BITFIELD", "p", "SET", "u8", "0", "1", "OVERFLOW"],
            &["BITFIELD", "p", "SET", "u8", "0", "1", "GET", "u8"],
            &["BITFIELD", "p", "SET", "u8", "0", "1", "foo"],
            &["BITFIELD", "p", "SET", "u8", "0", "01"],
            &["BITFIELD", "p", "SET", "u8", "0"],
            &["BITFIELD", "p", "INCRBY", "u8", "0"],
            &["BITFIELD", "p", "GET"],
            &["GET", "p"],
            &["BITFIELD", "p"],
            &["BITFIELD_RO", "p"],
            &["BITFIELD"],
            &["BITFIELD_RO"],
            &[
                "BITFIELD", "p", "get", "u8", "0", "set", "u8", "0", "7", "incrby", "u8", "0", "1",
            ],
            // BITFIELD_RO: GET only.
            &["BITFIELD_RO", "p", "GET", "u8", "0", "GET", "i3", "#1"],
            &["BITFIELD_RO", "p", "OVERFLOW", "SAT", "GET", "u8", "0"],
            &["BITFIELD_RO", "p", "OVERFLOW", "bad", "GET", "u8", "0"],
            &["BITFIELD_RO", "p", "SET", "u8", "0", "1"],
            &["BITFIELD_RO", "p", "INCRBY", "u8", "0", "1"],
            &["BITFIELD_RO", "p", "SET", "u8", "0", "x"],
            &["BITFIELD_RO", "p", "GET", "u8", "0", "SET", "u8", "0", "1"],
            &["GET", "p"],
        ],
    );
}

#[test]
fn wrong_type() {
    let mut d = Diff::new();
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
    d.check(&["SET", "s", "foobar"]);
    run_all(
        &mut d,
        &[
            &["SETBIT", "w", "0", "1"],
            &["SETBIT", "w", "x", "1"],
            &["SETBIT", "w", "0", "2"],
            &["GETBIT", "w", "0"],
            &["GETBIT", "w", "x"],
            &["BITCOUNT", "w"],
            &["BITCOUNT", "w", "1"],
            &["BITCOUNT", "w", "a", "b"],
            &["BITCOUNT", "w", "1", "2", "bits"],
            &["BITPOS", "w", "1"],
            &["BITPOS", "w", "2"],
            &["BITPOS", "w", "1", "a"],
            &["BITPOS", "w", "1", "0", "1", "bit", "3"],
            &["BITOP", "AND", "d", "s", "w"],
            &["BITOP", "OR", "d", "nokey", "w"],
            &["BITOP", "NOT", "d", "w"],
            &["BITOP", "AND", "w", "s"],
            &["GET", "w"],
            &["BITFIELD", "w"],
            &["BITFIELD_RO", "w"],
            &["BITFIELD", "w", "GET", "u8", "0"],
            &["BITFIELD", "w", "SET", "u8", "0", "1"],
            &["BITFIELD", "w", "OVERFLOW", "FAIL", "SET", "u8", "0", "256"],
            &["BITFIELD", "w", "GET", "u8", "x"],
            &["BITFIELD_RO", "w", "GET", "u8", "0"],
            &["BITFIELD_RO", "w", "SET", "u8", "0", "1"],
        ],
    );
}

#[test]
fn limits_follow_proto_max_bulk_len() {
    let config = ember::Config {
        proto_max_bulk_len: 1024 * 1024,
        ..ember::Config::default()
    };
    let mut d = Diff::with_config(&["--proto-max-bulk-len", "1mb"], config);
    run_all(
        &mut d,
        &[
            &["SETBIT", "k", "8388608", "1"],
            &["GETBIT", "k", "8388608"],
            &["BITFIELD", "k", "GET", "u8", "8388608"],
            &["BITFIELD", "k", "GET", "u8", "#1048576"],
            &["SETBIT", "k", "8388607", "1"],
            &["STRLEN", "k"],
            &["GETBIT", "k", "8388607"],
            &["BITCOUNT", "k"],
            &["BITPOS", "k", "1"],
            &["BITPOS", "k", "0", "-1"],
            &[
                "BITFIELD", "k", "GET", "u8", "8388600", "GET", "i64", "8388607",
            ],
            // The last field may reach past the limit by up to 63 bits.
            &["BITFIELD", "k", "SET", "i64", "8388607", "-1"],
            &["STRLEN", "k"],
            &["BITFIELD", "k", "GET", "i64", "8388607"],
        ],
    );
}

// ---------------------------------------------------------------------------
// Random sequences
