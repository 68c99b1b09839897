//! Differential tests of transactions (MULTI EXEC DISCARD WATCH UNWATCH)
//! against the real redis-server: queueing and its errors, runtime errors
//! inside EXEC, WATCH races between connections (writes, expiry, FLUSHDB,
//! FLUSHALL, SWAPDB, RENAME, MOVE), RESET/QUIT inside MULTI, pipelines, RESP3
//! and CLIENT LIST's view of a transaction.

mod support;

use std::thread::sleep;
use std::time::Duration;
use support::{Diff, Pair, Resp};

fn run(p: &mut Pair, script: &str) {
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let argv: Vec<&str> = line.split(' ').collect();
        p.check(&argv);
    }
}

const ERRORS: &str = "
    EXEC
    DISCARD
    EXEC x
    MULTI
    MULTI
    WATCH k
    EXEC
    MULTI
    EXEC x
    EXEC
    MULTI
    SET k
    SET k v
    EXEC
    GET k
    MULTI
    NOSUCHCOMMAND a b
    EXEC
    MULTI
    CONFIG NOSUCHSUB
    EXEC
    MULTI
    CONFIG
    EXEC
    MULTI
    SHUTDOWN
    EXEC
    MULTI
    WATCH
    EXEC
    WATCH
    MULTI
    DISCARD
    DISCARD
    MULTI
    UNWATCH
    DISCARD
    UNWATCH
    MULTI
    RESET
    EXEC
";

const RUNTIME: &str = "
    MULTI
    SET k v
    INCR k
    GET k
    LPUSH k x
    SET n 1
    INCR n
    EXEC
    MULTI
    SELECT 3
    SET k db3
    EXEC
    GET k
    SELECT 0
    GET k
    MULTI
    EXEC
    MULTI
    PING
    ECHO hi
    DBSIZE
    EXEC
    MULTI
    FLUSHDB
    SET a 1
    SWAPDB 0 1
    EXEC
    DBSIZE
    SELECT 1
    DBSIZE
    GET a
";

#[test]
fn queueing_errors_and_exec_errors() {
    let mut d = Diff::new();
    run(&mut d, ERRORS);
    run(&mut d, RUNTIME);
}

#[test]
fn transactions_in_resp3() {
    let mut d = Diff::new();
    d.hello3();
    run(&mut d, ERRORS);
    run(&mut d, RUNTIME);
    let mut other = d.connect();
    d.check(&["WATCH", "k"]);
    other.check(&["SET", "k", "1"]);
    d.check(&["MULTI"]);
    d.check(&["GET", "k"]);
    d.check(&["EXEC"]);
}

#[test]
fn pipelined_transactions() {
    let mut d = Diff::new();
    d.check_pipeline(&[
        &["MULTI"][..],
        &["SET", "a", "1"],
        &["INCR", "a"],
        &["BADCMD"],
        &["EXEC"],
        &["MULTI"],
        &["SET", "a", "1"],
        &["INCRBY", "a", "41"],
        &["GET", "a"],
        &["EXEC"],
        &["GET", "a"],
    ]);
}

#[test]
fn quit_inside_multi_closes() {
    let d = Diff::new();
    let bytes = support::encode_command(&["MULTI"])
        .into_iter()
        .chain(support::encode_command(&["SET", "k", "v"]))
        .chain(support::encode_command(&["QUIT"]))
        .chain(support::encode_command(&["GET", "k"]))
        .collect::<Vec<u8>>();
    d.check_raw(&bytes);
}

/// One WATCH scenario: `a` watches, `b` acts, `a` runs a transaction.
fn watch_case(d: &Diff, setup: &[&[&str]], watch: &[&str], other: &[&[&str]]) {
    let mut a = d.connect();
    let mut b = d.connect();
    b.check(&["FLUSHALL"]);
    for c in setup {
        a.check(c);
    }
    a.check(watch);
    for c in other {
        b.check(c);
    }
    a.check(&["MULTI"]);
    a.check(&["PING"]);
    a.check(&["EXEC"]);
}

#[test]
fn watch_races_between_connections() {
    let d = Diff::new();
    let none: &[&[&str]] = &[];
    // Plain writes, failed writes, no-op writes, other keys and databases.
    watch_case(
        &d,
        &[&["SET", "k", "1"]],
        &["WATCH", "k"],
        &[&["SET", "k", "2"]],
    );
    watch_case(
        &d,
        &[&["SET", "k", "1"]],
        &["WATCH", "k"],
        &[&["SET", "k", "1"]],
    );
    watch_case(
        &d,
        &[&["SET", "k", "1"]],
        &["WATCH", "k"],
        &[&["LPUSH", "k", "x"]],
    );
    watch_case(
        &d,
        &[&["SET", "k", "x"]],
        &["WATCH", "k"],
        &[&["INCR", "k"]],
    );
    watch_case(&d, &[], &["WATCH", "k"], &[&["DEL", "k"]]);
    watch_case(&d, &[], &["WATCH", "k"], &[&["SET", "other", "1"]]);
    watch_case(
        &d,
        &[],
        &["WATCH", "k"],
        &[&["SELECT", "1"], &["SET", "k", "1"]],
    );
    watch_case(
        &d,
        &[&["SET", "k", "1"]],
        &["WATCH", "k"],
        &[&["EXPIRE", "k", "100"]],
    );
    watch_case(
        &d,
        &[&["SET", "k", "1"]],
        &["WATCH", "k"],
        &[&["PERSIST", "k"]],
    );
    watch_case(
        &d,
        &[],
        &["WATCH", "a", "b", "k"],
        &[&["MSET", "x", "1", "k", "2"]],
    );
    watch_case(&d, &[], &["WATCH", "l"], &[&["RPUSH", "l", "1"]]);
    watch_case(&d, &[], &["WATCH", "s"], &[&["SADD", "s", "1"]]);
    watch_case(&d, &[], &["WATCH", "h"], &[&["HSET", "h", "f", "v"]]);
    // Whole-database operations touch only keys that exist.
    watch_case(&d, &[], &["WATCH", "k"], &[&["FLUSHDB"]]);
    watch_case(&d, &[&["SET", "k", "1"]], &["WATCH", "k"], &[&["FLUSHDB"]]);
    watch_case(&d, &[&["SET", "k", "1"]], &["WATCH", "k"], &[&["FLUSHALL"]]);
    watch_case(
        &d,
        &[&["SET", "k", "1"]],
        &["WATCH", "k"],
        &[&["SELECT", "1"], &["FLUSHDB"]],
    );
    watch_case(&d, &[], &["WATCH", "k"], &[&["SWAPDB", "0", "1"]]);
    watch_case(
        &d,
        &[],
        &["WATCH", "k"],
        &[&["SELECT", "1"], &["SET", "k", "1"], &["SWAPDB", "0", "1"]],
    );
    watch_case(
        &d,
        &[&["SET", "k", "1"]],
        &["WATCH", "k"],
        &[&["SWAPDB", "0", "1"]],
    );
    // RENAME and MOVE touch both ends.
    watch_case(
        &d,
        &[&["SET", "k", "1"]],
        &["WATCH", "k"],
        &[&["RENAME", "k", "k2"]],
    );
    watch_case(
        &d,
        &[&["SET", "k", "1"]],
        &["WATCH", "k2"],
        &[&["RENAME", "k", "k2"]],
    );
    watch_case(
        &d,
        &[&["SET", "k", "1"]],
        &["WATCH", "k"],
        &[&["MOVE", "k", "3"]],
    );
    watch_case(
        &d,
        &[&["SELECT", "3"]],
        &["WATCH", "k"],
        &[&["SET", "k", "1"], &["MOVE", "k", "3"]],
    );
    // The watcher's own write counts as well.
    watch_case(&d, &[&["WATCH", "k"]], &["SET", "k", "1"], none);
    // UNWATCH and an already-dirty WATCH.
    watch_case(&d, &[&["WATCH", "k"]], &["UNWATCH"], &[&["SET", "k", "1"]]);
}

#[test]
fn watch_and_expiry() {
    let d = Diff::new();
    let mut a = d.connect();
    let mut b = d.connect();
    let pause = || sleep(Duration::from_millis(60));
    let exec = |a: &mut Pair| {
        a.check(&["MULTI"]);
        a.check(&["PING"]);
        a.check(&["EXEC"]);
    };
    // Alive when watched, expired (lazily or actively) before EXEC: fails.
    // The TTL leaves room for a stalled test thread between SET and WATCH.
    a.check(&["SET", "k", "v", "PX", "300"]);
    a.check(&["WATCH", "k"]);
    sleep(Duration::from_millis(400));
    exec(&mut a);
    // Expired when watched: its deletion is no change, its recreation is.
    a.check(&["SET", "k", "v", "PX", "10"]);
    pause();
    a.check(&["WATCH", "k"]);
    b.check(&["GET", "k"]);
    exec(&mut a);
    a.check(&["SET", "k", "v", "PX", "10"]);
    pause();
    a.check(&["WATCH", "k"]);
    b.check(&["SET", "k", "new"]);
    exec(&mut a);
    a.check(&["SET", "k", "v", "PX", "10"]);
    pause();
    a.check(&["WATCH", "k"]);
    b.check(&["FLUSHDB"]);
    exec(&mut a);
}

#[test]
fn check_and_set_race() {
    // Two clients run the same WATCH/GET/MULTI/SET/EXEC increment; the one
    // that executes second loses.
    let d = Diff::new();
    let mut a = d.connect();
    let mut b = d.connect();
    a.check(&["SET", "counter", "10"]);
    for c in [&mut a, &mut b] {
        c.check(&["WATCH", "counter"]);
        c.check(&["GET", "counter"]);
    }
    for c in [&mut a, &mut b] {
        c.check(&["MULTI"]);
        c.check(&["SET", "counter", "11"]);
    }
    a.check(&["EXEC"]);
    b.check(&["EXEC"]);
    a.check(&["GET", "counter"]);
}

/// `flags=`, `multi=`, `multi-mem=` and `cmd=` of one CLIENT LIST line.
fn tx_fields(r: &Resp) -> Resp {
    let text = r.text();
    let wanted: Vec<&str> = text
        .split(' ')
        .filter(|f| {
            ["flags=", "multi=", "multi-mem=", "cmd="]
                .iter()
                .any(|p| f.starts_with(p))
        })
        .collect();
    Resp::Bulk(wanted.join(" ").into_bytes())
}

#[test]
fn client_list_shows_transactions() {
    let d = Diff::new();
    let mut a = d.connect();
    let mut b = d.connect();
    a.check(&["CLIENT", "SETNAME", "tx"]);
    let (ra, ea) = a.both(&["CLIENT", "ID"]);
    let (ra, ea) = (ra.int().to_string(), ea.int().to_string());
    let list_a = |b: &mut Pair| {
        let ((_, r), (_, e)) = (
            b.redis.send(&["CLIENT", "LIST", "ID", &ra]),
            b.ember.send(&["CLIENT", "LIST", "ID", &ea]),
        );
        assert_eq!(tx_fields(&r), tx_fields(&e), "redis: {r:?}\nember: {e:?}");
    };
    list_a(&mut b);
    a.check(&["MULTI"]);
    list_a(&mut b);
    a.check(&["SET", "key", "value"]);
    a.check(&["GET", "key"]);
    list_a(&mut b);
    a.check(&["WATCH", "x"]);
    a.check(&["EXEC"]);
    list_a(&mut b);
    // A dirty transaction stops queueing, and shows `d`.
    a.check(&["WATCH", "key"]);
    b.check(&["SET", "key", "other"]);
    list_a(&mut b);
    a.check(&["MULTI"]);
    a.check(&["SET", "key", "value"]);
    list_a(&mut b);
    a.check(&["EXEC"]);
    // CLIENT LIST run inside EXEC sees the transaction still open.
    a.check(&["MULTI"]);
    let (ra2, ea2) = (ra.clone(), ea.clone());
    a.redis.send(&["CLIENT", "LIST", "ID", &ra2]);
    a.ember.send(&["CLIENT", "LIST", "ID", &ea2]);
    let (r, e) = a.both(&["EXEC"]);
    assert_eq!(tx_fields(&r.items()[0]), tx_fields(&e.items()[0]));
}
