//! Differential tests of keyspace notifications: a subscriber on
//! `__key*__:*` records the stream produced by a scripted sequence of
//! commands over every implemented family (plus lazy and active expiry,
//! MULTI/EXEC, blocking pops served by a push, other databases), under several
//! `notify-keyspace-events` settings; both servers must publish the same
//! messages in the same order.

mod support;

use std::time::Duration;
use support::{encode_command, escape, Diff, Pair};

/// A command of the script, or a pause (expiry needs time to pass).
enum Step {
    Cmd(&'static [&'static str]),
    Sleep(u64),
}
use Step::{Cmd, Sleep};

/// The scripted sequence: every command's reply is compared too.
const SCRIPT: &[Step] = &[
    // strings
    Cmd(&["SET", "k", "v"]),
    Cmd(&["SET", "k", "v2", "GET"]),
    Cmd(&["SETNX", "k2", "v"]),
    Cmd(&["SETNX", "k2", "v"]),
    Cmd(&["SETEX", "k3", "100", "v"]),
    Cmd(&["PSETEX", "k4", "100000", "v"]),
    Cmd(&["APPEND", "k", "x"]),
    Cmd(&["APPEND", "ap", "x"]),
    Cmd(&["INCR", "n"]),
    Cmd(&["INCRBY", "n", "5"]),
    Cmd(&["DECR", "n"]),
    Cmd(&["DECRBY", "n", "2"]),
    Cmd(&["INCRBYFLOAT", "f", "1.5"]),
    Cmd(&["GETSET", "k", "gs"]),
    Cmd(&["GETDEL", "k"]),
    Cmd(&["GETDEL", "k"]),
    Cmd(&["SET", "k", "v"]),
    Cmd(&["GETEX", "k", "EX", "100"]),
    Cmd(&["GETEX", "k", "PERSIST"]),
    Cmd(&["GETEX", "k"]),
    Cmd(&["SETRANGE", "k", "1", "zz"]),
    Cmd(&["SETRANGE", "sr", "0", "a"]),
    Cmd(&["MSET", "a", "1", "b", "2"]),
    Cmd(&["MSETNX", "c", "1", "d", "2"]),
    Cmd(&["SET", "k", "v", "NX"]),
    Cmd(&["SET", "k", "v", "XX", "PX", "100000"]),
    Cmd(&["SET", "k", "v", "KEEPTTL"]),
    Cmd(&["GET", "missing"]),
    Cmd(&["SETBIT", "bits", "7", "1"]),
    Cmd(&["BITOP", "AND", "dest", "bits", "bits"]),
    Cmd(&["BITFIELD", "bf", "SET", "u8", "0", "1"]),
    // generic
    Cmd(&["EXPIRE", "k", "100"]),
    Cmd(&["PEXPIRE", "k", "100000"]),
    Cmd(&["EXPIREAT", "k", "99999999999"]),
    Cmd(&["PERSIST", "k"]),
    Cmd(&["EXPIRE", "k", "-1"]),
    Cmd(&["SET", "k", "v"]),
    Cmd(&["RENAME", "k", "k5"]),
    Cmd(&["RENAMENX", "k5", "k6"]),
    Cmd(&["SET", "k7", "x"]),
    Cmd(&["RENAME", "k7", "k6"]),
    Cmd(&["COPY", "k6", "k8"]),
    Cmd(&["COPY", "k6", "k8", "REPLACE"]),
    Cmd(&["MOVE", "k8", "1"]),
    Cmd(&["DEL", "k6", "a", "nope"]),
    Cmd(&["UNLINK", "b"]),
    Cmd(&["TOUCH", "c"]),
    // lazy and active expiry
    Cmd(&["SET", "e", "v", "PX", "1"]),
    Sleep(10),
    Cmd(&["GET", "e"]),
    // SET over an expired key deletes it first (expired, then new): KEEPTTL
    // keeps nothing.
    Cmd(&["SET", "e5", "v", "PX", "1"]),
    Sleep(10),
    Cmd(&["SET", "e5", "v2", "KEEPTTL"]),
    Cmd(&["PTTL", "e5"]),
    Cmd(&["SET", "e6", "v", "PX", "1"]),
    Sleep(10),
    Cmd(&["SET", "e6", "v2", "XX"]),
    Cmd(&["SET", "e6", "v3", "NX"]),
    Cmd(&["SET", "e2", "v", "PX", "30"]),
    Sleep(600),
    Cmd(&["SET", "e3", "v"]),
    Cmd(&["PEXPIRE", "e3", "-5"]),
    Cmd(&["SET", "e4", "v", "EX", "100"]),
    Cmd(&["GETEX", "e4", "EXAT", "1"]),
    // lists
    Cmd(&["LPUSH", "l", "a", "b"]),
    Cmd(&["RPUSH", "l", "c"]),
    Cmd(&["LPUSHX", "l", "d"]),
    Cmd(&["RPUSHX", "nol", "d"]),
    Cmd(&["LPOP", "l"]),
    Cmd(&["RPOP", "l"]),
    Cmd(&["LINSERT", "l", "BEFORE", "a", "z"]),
    Cmd(&["LSET", "l", "0", "q"]),
    Cmd(&["LTRIM", "l", "0", "1"]),
    Cmd(&["LREM", "l", "0", "q"]),
    Cmd(&["LMOVE", "l", "l2", "LEFT", "RIGHT"]),
    Cmd(&["RPOPLPUSH", "l2", "l3"]),
    Cmd(&["LMPOP", "1", "l3", "LEFT"]),
    Cmd(&["BLPOP", "l", "0.01"]),
    Cmd(&["RPUSH", "l", "a", "b", "c"]),
    Cmd(&["LPOP", "l", "3"]),
    Cmd(&["LPOP", "nolist"]),
    // sets
    Cmd(&["SADD", "s", "a", "b", "c"]),
    Cmd(&["SADD", "s", "a"]),
    Cmd(&["SREM", "s", "a"]),
    Cmd(&["SADD", "one", "x"]),
    Cmd(&["SPOP", "one"]),
    Cmd(&["SADD", "s", "x", "y"]),
    Cmd(&["SMOVE", "s", "s2", "x"]),
    Cmd(&["SINTERSTORE", "s3", "s", "s2"]),
    Cmd(&["SUNIONSTORE", "s3", "s", "s2"]),
    Cmd(&["SDIFFSTORE", "s3", "s", "s2"]),
    Cmd(&["SINTERSTORE", "s3", "none"]),
    Cmd(&["SPOP", "s2", "5"]),
    // hashes
    Cmd(&["HSET", "h", "a", "1", "b", "2"]),
    Cmd(&["HSETNX", "h", "c", "3"]),
    Cmd(&["HSETNX", "h", "c", "3"]),
    Cmd(&["HINCRBY", "h", "a", "2"]),
    Cmd(&["HINCRBYFLOAT", "h", "a", "1.5"]),
    Cmd(&["HDEL", "h", "a"]),
    Cmd(&["HDEL", "h", "b", "c"]),
    Cmd(&["HMSET", "h", "x", "1"]),
    Cmd(&["HGET", "nohash", "f"]),
    // sorted sets
    Cmd(&["ZADD", "z", "1", "a", "2", "b"]),
    Cmd(&["ZADD", "z", "NX", "5", "a"]),
    Cmd(&["ZADD", "z", "INCR", "5", "a"]),
    Cmd(&["ZINCRBY", "z", "1", "b"]),
    Cmd(&["ZREM", "z", "a", "nope"]),
    Cmd(&["ZADD", "z", "1", "a", "2", "c", "3", "d"]),
    Cmd(&["ZREMRANGEBYSCORE", "z", "0", "1"]),
    Cmd(&["ZREMRANGEBYRANK", "z", "0", "0"]),
    Cmd(&["ZREMRANGEBYLEX", "z", "-", "+"]),
    Cmd(&["ZADD", "z", "1", "a", "2", "b", "3", "c"]),
    Cmd(&["ZPOPMIN", "z"]),
    Cmd(&["ZPOPMAX", "z"]),
    Cmd(&["ZUNIONSTORE", "zu", "1", "z"]),
    Cmd(&["ZINTERSTORE", "zi", "1", "z"]),
    Cmd(&["ZDIFFSTORE", "zd", "1", "z"]),
    Cmd(&["ZRANGESTORE", "zr", "z", "0", "-1"]),
    Cmd(&["ZUNIONSTORE", "zu", "1", "nothing"]),
    Cmd(&["ZMPOP", "1", "z", "MIN"]),
    Cmd(&["BZPOPMIN", "z", "0.01"]),
    Cmd(&["RPUSH", "sl", "3", "1", "2"]),
    Cmd(&["SORT", "sl", "STORE", "sorted"]),
    Cmd(&["SORT", "nolist", "STORE", "sorted"]),
    // another database, transactions
    Cmd(&["SELECT", "5"]),
    Cmd(&["SET", "k", "v"]),
    Cmd(&["MULTI"]),
    Cmd(&["SET", "t", "1"]),
    Cmd(&["LPUSH", "tl", "x"]),
    Cmd(&["DEL", "k"]),
    Cmd(&["EXEC"]),
    Cmd(&["SWAPDB", "5", "6"]),
    Cmd(&["FLUSHDB"]),
    Cmd(&["SELECT", "0"]),
    Cmd(&["FLUSHALL"]),
];

/// Subscribes `sub` to every keyspace channel, sets `flags` on both servers,
/// runs the script on `d` and compares the streams, read up to a sentinel.
/// Returns how many notifications there were.
fn run_script(flags: &str, resp3_subscriber: bool) -> usize {
    let mut d = Diff::new();
    let mut sub = d.connect();
    if resp3_subscriber {
        sub.hello3();
    }
    d.check(&["CONFIG", "SET", "notify-keyspace-events", flags]);
    sub.check(&["PSUBSCRIBE", "__key*__:*"]);
    for step in SCRIPT {
        match step {
            Cmd(cmd) => {
                d.check(cmd);
            }
            Sleep(ms) => std::thread::sleep(Duration::from_millis(*ms)),
        }
    }
    d.check(&["PUBLISH", "__keyevent@99__:sentinel", "end"]);
    compare_until_sentinel(&mut sub, flags)
}

/// Reads messages on both sides up to the sentinel and compares the streams.
fn compare_until_sentinel(sub: &mut Pair, flags: &str) -> usize {
    let read = |c: &mut support::RawConn| {
        let mut raw = Vec::new();
        let mut count = 0;
        loop {
            let (b, _) = c
                .read_reply()
                .unwrap_or_else(|e| panic!("{} [{flags}]: after {count} messages: {e}", c.name));
            let done = b.windows(8).any(|w| w == b"sentinel");
            raw.extend(b);
            if done {
                return (raw, count);
            }
            count += 1;
        }
    };
    let (r, rn) = read(&mut sub.redis);
    let (e, _) = read(&mut sub.ember);
    if r != e {
        let lines = |b: &[u8]| -> Vec<String> {
            let s = escape(b);
            s.split("pmessage").map(str::to_string).collect()
        };
        let (rl, el) = (lines(&r), lines(&e));
        let first = rl
            .iter()
            .zip(&el)
            .position(|(a, b)| a != b)
            .unwrap_or(rl.len().min(el.len()));
        panic!(
            "[{flags}] notification streams differ at message {first} (redis sent {rn})\n  redis: {:?}\n  ember: {:?}",
            &rl[first..(first + 4).min(rl.len())],
            &el[first..(first + 4).min(el.len())],
        );
    }
    rn
}

#[test]
fn all_classes_with_new_and_keymiss() {
    let n = run_script("KEAnm", false);
    assert!(n > 200, "only {n} notifications");
}

#[test]
fn all_classes_to_a_resp3_subscriber() {
    run_script("KEA", true);
}

#[test]
fn selected_classes_only() {
    for flags in ["Kg", "E$", "Klsh", "Kz", "Ex", "Kn", "Em"] {
        run_script(flags, false);
    }
}

#[test]
fn notifications_off_publish_nothing() {
    let mut d = Diff::new();
    let mut sub = d.connect();
    sub.check(&["PSUBSCRIBE", "*"]);
    d.check(&["SET", "k", "v"]);
    d.check(&["CONFIG", "SET", "notify-keyspace-events", "K"]);
    d.check(&["SET", "k", "v"]);
    d.check(&["CONFIG", "SET", "notify-keyspace-events", "g"]);
    d.check(&["DEL", "k"]);
    d.check(&["PUBLISH", "__keyevent@99__:sentinel", "end"]);
    assert_eq!(compare_until_sentinel(&mut sub, "K then g"), 0);
}

#[test]
fn blocked_pop_served_by_a_push() {
    let mut d = Diff::new();
    let mut sub = d.connect();
    let mut blocked = d.connect();
    d.check(&["CONFIG", "SET", "notify-keyspace-events", "KEAn"]);
    sub.check(&["PSUBSCRIBE", "__key*__:*"]);
    let cmd = encode_command(&["BLMOVE", "src", "dst", "LEFT", "RIGHT", "5"]);
    blocked.redis.write_raw(&cmd);
    blocked.ember.write_raw(&cmd);
    std::thread::sleep(Duration::from_millis(100));
    d.check(&["RPUSH", "src", "a", "b"]);
    let r = blocked
        .redis
        .read_reply()
        .expect("redis serves the blocked client");
    let e = blocked
        .ember
        .read_reply()
        .expect("ember serves the blocked client");
    assert_eq!(escape(&r.0), escape(&e.0));
    d.check(&["PUBLISH", "__keyevent@99__:sentinel", "end"]);
    assert_eq!(compare_until_sentinel(&mut sub, "KEAn"), 10);
}
