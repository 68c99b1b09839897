//! Differential tests of the list family (LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP
//! LLEN LINDEX LSET LINSERT LRANGE LTRIM LREM LPOS LMOVE RPOPLPUSH LMPOP)
//! against the real redis-server: hand-written edge cases in RESP2 and RESP3,
//! long lists spanning many nodes, small `list-max-listpack-size` settings,
//! and seeded random sequences.

mod support;

use rand::rngs::SmallRng;
use rand::Rng;
use support::{gen, seeds, Diff, Pair};

fn run(p: &mut Pair, script: &str) {
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let argv: Vec<&str> = line.split(' ').collect();
        p.check(&argv);
    }
}

const PUSH_POP: &str = "
    RPUSH l a b c
    LPUSH l z y
    LPUSHX nokey a
    RPUSHX nokey a
    LPUSHX l x1 x2
    RPUSHX l w
    LRANGE l 0 -1
    LLEN l
    LLEN nokey
    LPOP l
    RPOP l
    LPOP l 2
    RPOP l 2
    LPOP l 0
    RPOP l 0
    LPOP l 100
    EXISTS l
    LPOP l
    LPOP l 0
    LPOP l 3
    RPOP nokey
    RPOP nokey 2
    RPUSH l a
    LPOP l -1
    LPOP l x
    LPOP l 1 2
    RPOP l 9223372036854775807
    RPUSH l 1 2 3 4 5 6
    RPOP l 3
    LPOP l 1
    LRANGE l 0 -1
";

const READS: &str = "
    RPUSH l a b c d e f
    LINDEX l 0
    LINDEX l 5
    LINDEX l 6
    LINDEX l -1
    LINDEX l -6
    LINDEX l -7
    LINDEX l x
    LINDEX nokey x
    LINDEX nokey 0
    LINDEX l 9223372036854775807
    LINDEX l -9223372036854775808
    LRANGE l 0 -1
    LRANGE l 1 3
    LRANGE l -3 -1
    LRANGE l -100 100
    LRANGE l 3 1
    LRANGE l 6 10
    LRANGE l -1 -2
    LRANGE l 0 0
    LRANGE l x 1
    LRANGE l 0 x
    LRANGE nokey 0 -1
    LRANGE nokey x 1
    LRANGE l -9223372036854775808 9223372036854775807
    LRANGE l 9223372036854775807 -9223372036854775808
";

const EDITS: &str = "
    RPUSH l a b c a b c a
    LSET l 0 A
    LSET l -1 Z
    LSET l 7 x
    LSET l -8 x
    LSET l x y
    LSET nokey 0 a
    LSET nokey x a
    LINSERT l BEFORE b B1
    LINSERT l after c C1
    LINSERT l AFTER Z end
    LINSERT l before A start
    LINSERT l before missing x
    LINSERT nokey before a b
    LINSERT l middle a b
    LINSERT nokey middle a b
    LRANGE l 0 -1
    LREM l 1 a
    LREM l -1 b
    LREM l 0 c
    LREM l 0 missing
    LREM l x a
    LREM nokey 0 a
    LRANGE l 0 -1
    RPUSH r x y x y x y x
    LREM r -2 x
    LRANGE r 0 -1
    LREM r -9223372036854775808 y
    LRANGE r 0 -1
    LREM r 0 x
    EXISTS r
    LTRIM l 1 -2
    LRANGE l 0 -1
    LTRIM l 0 100
    LTRIM l -2 -1
    LRANGE l 0 -1
    LTRIM l x 1
    LTRIM nokey 0 1
    LTRIM l 5 1
    EXISTS l
    RPUSH t a b c
    LTRIM t -100 -3
    LRANGE t 0 -1
    LTRIM t 1 0
    EXISTS t
";

const WRONG_TYPE: &str = "
    SET s v
    LPUSH s a
    RPUSH s a
    LPUSHX s a
    RPUSHX s a
    LPOP s
    RPOP s 0
    LPOP s -1
    LLEN s
    LINDEX s 0
    LINDEX s x
    LSET s 0 a
    LSET s x a
    LINSERT s before a b
    LINSERT s middle a b
    LRANGE s 0 -1
    LRANGE s x 0
    LTRIM s 0 1
    LREM s 0 a
    LPOS s a
    LPOS s a RANK 0
    LMOVE s d LEFT RIGHT
    RPOPLPUSH s d
    LMPOP 1 s LEFT
    RPUSH l a
    LMOVE l s LEFT RIGHT
    RPOPLPUSH l s
    LRANGE l 0 -1
    LMOVE nokey s LEFT RIGHT
    LMPOP 2 nokey s LEFT
    LMPOP 2 l s LEFT
    GET s
";

const LPOS: &str = "
    RPUSH l a b a c a d a
    LPOS l a
    LPOS l d
    LPOS l zz
    LPOS l a RANK 2
    LPOS l a RANK -1
    LPOS l a RANK -3
    LPOS l a RANK 5
    LPOS l a RANK -5
    LPOS l a COUNT 0
    LPOS l a COUNT 2
    LPOS l a COUNT 10
    LPOS l a COUNT 2 RANK 2
    LPOS l a COUNT 2 RANK -2
    LPOS l a COUNT 0 RANK -1
    LPOS l a MAXLEN 1
    LPOS l a MAXLEN 2 RANK 2
    LPOS l a MAXLEN 3 COUNT 0
    LPOS l a MAXLEN 3 COUNT 0 RANK -1
    LPOS l zz COUNT 0
    LPOS l a rank 1 rank 2
    LPOS l a count 1 count 0
    LPOS l a RANK 0
    LPOS l a RANK x
    LPOS l a RANK
    LPOS l a COUNT -1
    LPOS l a COUNT x
    LPOS l a MAXLEN -1
    LPOS l a MAXLEN x
    LPOS l a FOO 1
    LPOS l a RANK -9223372036854775808
    LPOS l a RANK -9223372036854775808 COUNT 2
    LPOS l a RANK 9223372036854775807 COUNT 0
    LPOS l a RANK -9223372036854775807
    LPOS nokey a
    LPOS nokey a COUNT 0
    LPOS nokey a RANK 0
";

const MOVES: &str = "
    RPUSH src a b c d
    LMOVE src dst LEFT RIGHT
    LMOVE src dst RIGHT LEFT
    LMOVE src dst left left
    LMOVE src dst right right
    LRANGE dst 0 -1
    EXISTS src
    LMOVE src dst LEFT RIGHT
    RPOPLPUSH dst dst
    LRANGE dst 0 -1
    LMOVE dst dst LEFT RIGHT
    LMOVE dst dst RIGHT LEFT
    LMOVE dst dst LEFT LEFT
    LRANGE dst 0 -1
    LMOVE dst dst UP DOWN
    LMOVE dst dst LEFT DOWN
    LMOVE nokey dst UP LEFT
    RPOPLPUSH dst other
    RPOPLPUSH dst other
    RPOPLPUSH dst other
    RPOPLPUSH dst other
    RPOPLPUSH dst other
    EXISTS dst
    LRANGE other 0 -1
    RPUSH one x
    RPOPLPUSH one one
    LMOVE one one LEFT RIGHT
    LRANGE one 0 -1
    RPOPLPUSH nokey other
    LMOVE nokey other LEFT RIGHT
    EXISTS nokey
";

const LMPOP: &str = "
    RPUSH a 1 2 3
    RPUSH b 4 5 6 7
    LMPOP 1 a LEFT
    LMPOP 2 nokey b RIGHT
    LMPOP 2 a b left COUNT 5
    LMPOP 2 a b right count 2
    LMPOP 3 nokey a b LEFT COUNT 1
    EXISTS a b
    LMPOP 2 a b LEFT
    LMPOP 0 a LEFT
    LMPOP -1 a LEFT
    LMPOP x a LEFT
    LMPOP 2 a LEFT
    LMPOP 5 a b
    LMPOP 9223372036854775807 a LEFT
    LMPOP 1 a MIDDLE
    LMPOP 1 a LEFT COUNT
    LMPOP 1 a LEFT COUNT 0
    LMPOP 1 a LEFT COUNT -1
    LMPOP 1 a LEFT COUNT x
    LMPOP 1 a LEFT COUNT 1 COUNT 1
    LMPOP 1 a LEFT FOO
    LMPOP 1 a
    COMMAND GETKEYS LMPOP 2 a b LEFT
    COMMAND GETKEYS LMPOP 2 a b LEFT COUNT 3
    COMMAND GETKEYS LMPOP 3 a b LEFT
    COMMAND GETKEYS LMPOP 3 a b
    COMMAND GETKEYS LMPOP x a b
    COMMAND GETKEYS LMOVE a b LEFT RIGHT
    COMMAND GETKEYS RPOPLPUSH a b
    COMMAND GETKEYS LPUSH a b c
";

#[test]
fn pushes_and_pops() {
    let mut d = Diff::new();
    run(&mut d, PUSH_POP);
}

#[test]
fn indexes_and_ranges() {
    let mut d = Diff::new();
    run(&mut d, READS);
}

#[test]
fn set_insert_remove_trim() {
    let mut d = Diff::new();
    run(&mut d, EDITS);
}

#[test]
fn wrong_types() {
    let mut d = Diff::new();
    run(&mut d, WRONG_TYPE);
}

#[test]
fn lpos_options() {
    let mut d = Diff::new();
    run(&mut d, LPOS);
}

#[test]
fn lmove_and_rpoplpush() {
    let mut d = Diff::new();
    run(&mut d, MOVES);
}

#[test]
fn lmpop_parsing_and_keys() {
    let mut d = Diff::new();
    run(&mut d, LMPOP);
}

/// Nil, empty and null-array replies differ between protocols.
#[test]
fn resp3_replies() {
    let mut d = Diff::new();
    d.hello3();
    run(&mut d, PUSH_POP);
    run(&mut d, "FLUSHALL");
    run(&mut d, LPOS);
    run(&mut d, "FLUSHALL");
    run(&mut d, LMPOP);
    run(&mut d, "FLUSHALL");
    run(&mut d, MOVES);
}

#[test]
fn arity_and_introspection() {
    let mut d = Diff::new();
    run(
        &mut d,
        "
        LPUSH l
        RPUSH l
        LPOP
        LLEN
        LLEN a b
        LINDEX l
        LSET l 0
        LINSERT l before a
        LRANGE l 0
        LTRIM l 0
        LREM l 0
        LPOS l
        LMOVE a b LEFT
        RPOPLPUSH a
        LMPOP 1 a
        RPUSH l a
        OBJECT ENCODING l
        TYPE l
        ",
    );
    for name in [
        "lpush",
        "rpush",
        "lpushx",
        "rpushx",
        "lpop",
        "rpop",
        "llen",
        "lindex",
        "lset",
        "linsert",
        "lrange",
        "ltrim",
        "lrem",
        "lpos",
        "lmove",
        "rpoplpush",
        "lmpop",
    ] {
        d.check(&["COMMAND", "INFO", name]);
        d.check(&["COMMAND", "DOCS", name]);
    }
}

/// Binary-safe elements: empty strings, NUL bytes, long values (multi-byte
/// length headers inside nodes), integers that Redis packs as numbers.
#[test]
fn element_kinds() {
    let mut d = Diff::new();
    let long = "x".repeat(300);
    let huge = "y".repeat(20_000);
    let vals: Vec<&str> = vec![
        "",
        "a\0b",
        "0",
        "-1",
        "12345678901234567890",
        "007",
        &long,
        &huge,
    ];
    for v in &vals {
        d.check(&["RPUSH", "l", v]);
        d.check(&["LPUSH", "l", v]);
    }
    d.check(&["LRANGE", "l", "0", "-1"]);
    for v in &vals {
        d.check(&["LPOS", "l", v, "COUNT", "0"]);
        d.check(&["LINSERT", "l", "AFTER", v, "after"]);
    }
    d.check(&["LREM", "l", "1", ""]);
    d.check(&["LSET", "l", "3", &huge]);
    d.check(&["LSET", "l", "4", ""]);
    d.check(&["LRANGE", "l", "0", "-1"]);
    d.check(&["LINSERT", "l", "after\0x", "a", "b"]);
    d.check(&["LMOVE", "l", "m", "left\0", "right"]);
    d.check(&["OBJECT", "ENCODING", "l"]);
}

/// A list long enough for many nodes: indexes near both ends and in the
/// middle, edits in the middle, long ranges.
#[test]
fn long_lists() {
    let mut d = Diff::new();
    let mut argv: Vec<String> = vec!["RPUSH".into(), "big".into()];
    argv.extend((0..6000).map(|i| format!("v{i}-{}", "p".repeat(i % 13))));
    d.check(&argv);
    argv[0] = "LPUSH".into();
    d.check(&argv);
    for i in [
        "0", "1", "5999", "6000", "11999", "-1", "-2", "-6000", "-12000", "-12001", "7777",
    ] {
        d.check(&["LINDEX", "big", i]);
    }
    d.check(&["LRANGE", "big", "5990", "6010"]);
    d.check(&["LRANGE", "big", "-600", "-1"]);
    d.check(&["LRANGE", "big", "0", "599"]);
    d.check(&["LSET", "big", "3000", &"z".repeat(500)]);
    d.check(&["LSET", "big", "9000", "tiny"]);
    d.check(&["LINSERT", "big", "BEFORE", "v3000-pppppppp", "ins"]);
    d.check(&["LINSERT", "big", "AFTER", "v123-ppppp", "ins2"]);
    d.check(&["LPOS", "big", "v5000-pppp", "COUNT", "0"]);
    d.check(&["LPOS", "big", "v5000-pppp", "RANK", "-1", "MAXLEN", "8000"]);
    d.check(&["LREM", "big", "0", "v77-pppppppppppp"]);
    d.check(&["LREM", "big", "-1", "v78"]);
    d.check(&["LLEN", "big"]);
    d.check(&["LRANGE", "big", "2990", "3010"]);
    d.check(&["LTRIM", "big", "100", "-100"]);
    d.check(&["LRANGE", "big", "0", "50"]);
    d.check(&["LRANGE", "big", "-50", "-1"]);
    d.check(&["LPOP", "big", "2500"]);
    d.check(&["RPOP", "big", "2500"]);
    d.check(&["LMPOP", "1", "big", "RIGHT", "COUNT", "1000"]);
    d.check(&["LRANGE", "big", "0", "-1"]);
    d.check(&["OBJECT", "ENCODING", "big"]);
}

/// Keyspace events, in order, as a subscriber on each server sees them.
#[test]
fn keyspace_events() {
    let mut d = Diff::new();
    d.check(&["CONFIG", "SET", "notify-keyspace-events", "KEAm"]);
    let mut sub = d.connect();
    sub.check(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    run(
        &mut d,
        "
        RPUSH src a b c
        LPUSH src z
        LPUSHX nokey a
        LMOVE src dst LEFT RIGHT
        RPOPLPUSH src src
        LMOVE src dst RIGHT LEFT
        LINSERT src BEFORE b x
        LINSERT src BEFORE missing x
        LSET src 0 y
        LREM src 0 missing
        LREM src 1 y
        LTRIM dst 0 -1
        LPOP src 0
        LPOP src 5
        RPUSH l a b a
        LMPOP 2 nokey l RIGHT COUNT 2
        RPOP l
        RPUSH t 1 2 3
        LTRIM t 5 10
        LINDEX dst 0
        LRANGE nokey 0 -1
        LLEN nokey
        LPOS nokey a
        LINDEX nokey 0
        LPOP nokey
        LSET nokey 0 a
        LMOVE nokey dst LEFT LEFT
        ",
    );
    let idle = std::time::Duration::from_millis(300);
    let (r, _) = sub.redis.read_until_close(idle);
    let (e, _) = sub.ember.read_until_close(idle);
    assert!(!r.is_empty());
    assert_eq!(
        support::escape(&e),
        support::escape(&r),
        "event streams differ (left ember)"
    );
}

// ---- random sequences -------------------------------------------------------

fn key(rng: &mut SmallRng) -> String {
    gen::key(rng, "l", 3)
}

fn elem(rng: &mut SmallRng) -> String {
    if gen::chance(rng, 0.05) {
        return "e".repeat(rng.gen_range(60..200));
    }
    gen::pick(rng, &["a", "b", "c", "d", "", "1", "10"]).to_string()
}

fn index(rng: &mut SmallRng) -> String {
    gen::int(rng, -12, 12)
}

fn end(rng: &mut SmallRng) -> String {
    gen::pick(rng, &["LEFT", "RIGHT"]).to_string()
}

fn g_push(rng: &mut SmallRng) -> Vec<String> {
    let cmd = gen::pick(
        rng,
        &["LPUSH", "RPUSH", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX"],
    );
    let mut v = vec![cmd.to_string(), key(rng)];
    for _ in 0..rng.gen_range(1..6) {
        v.push(elem(rng));
    }
    v
}

fn g_pop(rng: &mut SmallRng) -> Vec<String> {
    let cmd = gen::pick(rng, &["LPOP", "RPOP"]).to_string();
    let mut v = vec![cmd, key(rng)];
    if gen::chance(rng, 0.5) {
        v.push(gen::int(rng, 0, 4));
    }
    v
}

fn g_read(rng: &mut SmallRng) -> Vec<String> {
    let k = key(rng);
    match rng.gen_range(0..4) {
        0 => vec!["LLEN".into(), k],
        1 => vec!["LINDEX".into(), k, index(rng)],
        2 => vec!["LRANGE".into(), k, index(rng), index(rng)],
        _ => {
            let mut v = vec!["LPOS".into(), k, elem(rng)];
            if gen::chance(rng, 0.5) {
                v.extend([
                    "RANK".into(),
                    gen::pick(rng, &["1", "2", "-1", "-2", "3"]).into(),
                ]);
            }
            if gen::chance(rng, 0.5) {
                v.extend(["COUNT".into(), gen::int(rng, 0, 3)]);
            }
            if gen::chance(rng, 0.3) {
                v.extend(["MAXLEN".into(), gen::int(rng, 0, 6)]);
            }
            v
        }
    }
}

fn g_edit(rng: &mut SmallRng) -> Vec<String> {
    let k = key(rng);
    match rng.gen_range(0..4) {
        0 => vec!["LSET".into(), k, index(rng), elem(rng)],
        1 => vec![
            "LINSERT".into(),
            k,
            gen::pick(rng, &["BEFORE", "AFTER"]).into(),
            elem(rng),
            elem(rng),
        ],
        2 => vec!["LREM".into(), k, gen::int(rng, -3, 3), elem(rng)],
        _ => vec!["LTRIM".into(), k, index(rng), index(rng)],
    }
}

fn g_move(rng: &mut SmallRng) -> Vec<String> {
    match rng.gen_range(0..3) {
        0 => vec!["RPOPLPUSH".into(), key(rng), key(rng)],
        1 => vec!["LMOVE".into(), key(rng), key(rng), end(rng), end(rng)],
        _ => {
            let n = rng.gen_range(1..4);
            let mut v = vec!["LMPOP".into(), n.to_string()];
            for _ in 0..n {
                v.push(key(rng));
            }
            v.push(end(rng));
            if gen::chance(rng, 0.5) {
                v.extend(["COUNT".into(), gen::int(rng, 1, 4)]);
            }
            v
        }
    }
}

fn g_keys(rng: &mut SmallRng) -> Vec<String> {
    match rng.gen_range(0..6) {
        0 => vec!["SET".into(), key(rng), "str".into()],
        1 => vec!["DEL".into(), key(rng)],
        2 => vec!["TYPE".into(), key(rng)],
        3 => vec!["OBJECT".into(), "ENCODING".into(), key(rng)],
        _ => vec!["EXISTS".into(), key(rng)],
    }
}

const GENERATORS: &[support::Generator] = &[
    g_push, g_push, g_push, g_pop, g_read, g_read, g_edit, g_edit, g_move, g_keys,
];

#[test]
fn random_sequences() {
    for seed in seeds(&[1, 2, 3]) {
        support::random_sequence(seed, 1500, GENERATORS);
    }
}

/// Tiny nodes (a count limit of 3, and 4 KiB nodes) change only the layout.
#[test]
fn random_sequences_with_small_nodes() {
    for (seed, fill) in seeds(&[11, 12]).into_iter().zip(["3", "-1"]) {
        let config = ember::Config {
            list_max_listpack_size: fill.parse().unwrap(),
            ..Default::default()
        };
        let mut d = Diff::with_config(&["--list-max-listpack-size", fill], config);
        d.random_sequence(seed, 1500, GENERATORS);
    }
}

/// A deep pipeline of long LRANGE replies (1 KiB elements) mixed with small
/// replies and a transaction: the server writes it in steps (the connection's
/// flush threshold) and hands long replies over without copying; the bytes and
/// their order must still be exactly Redis's.
#[test]
fn deep_pipeline_of_long_ranges() {
    let mut d = Diff::new();
    let elems: Vec<String> = (0..200).map(|i| format!("{i:04}").repeat(256)).collect();
    let mut rpush = vec!["RPUSH".to_string(), "big".to_string()];
    rpush.extend(elems);
    let mut cmds: Vec<Vec<String>> = vec![rpush];
    for i in 0..30 {
        cmds.push(vec![
            "LRANGE".into(),
            "big".into(),
            "0".into(),
            (99 + i).to_string(),
        ]);
        cmds.push(vec!["INCR".into(), "n".into()]);
        if i % 7 == 0 {
            cmds.push(vec!["LRANGE".into(), "big".into(), "0".into(), "2".into()]);
            cmds.push(vec!["MULTI".into()]);
            cmds.push(vec![
                "LRANGE".into(),
                "big".into(),
                "5".into(),
                "150".into(),
            ]);
            cmds.push(vec!["GET".into(), "n".into()]);
            cmds.push(vec!["EXEC".into()]);
        }
    }
    cmds.push(vec!["PING".into(), "end".into()]);
    let refs: Vec<&[String]> = cmds.iter().map(|c| &c[..]).collect();
    d.check_pipeline(&refs);
    // RESP3 encodes the same arrays; the replies' headers stay right.
    d.both(&["HELLO", "3"]);
    d.check_pipeline(&refs[1..]);
}
