//! Differential tests of blocking commands (BLPOP BRPOP BRPOPLPUSH BLMOVE
//! BLMPOP BZPOPMIN BZPOPMAX BZMPOP) against the real redis-server: argument
//! errors, immediate answers, blocking and wake-up by other clients, FIFO
//! order, timeouts, wake-ups after MULTI/EXEC, chains of moves, type
//! mismatches, CLIENT UNBLOCK, CLIENT LIST/INFO views and disconnects.
//!
//! A blocked command gets no reply until woken, so these tests send it to
//! both servers, wait until both report it blocked (INFO `blocked_clients`),
//! act from another connection, then read and compare the late replies.

mod support;

use support::{encode_command, Diff, Pair, Resp};

fn run(p: &mut Pair, script: &str) {
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let argv: Vec<&str> = line.split(' ').collect();
        p.check(&argv);
    }
}

/// Sends `cmd` to both servers without reading a reply.
fn send(p: &mut Pair, cmd: &[&str]) {
    let bytes = encode_command(cmd);
    p.redis.write_raw(&bytes);
    p.ember.write_raw(&bytes);
}

/// Reads one (late) reply from both servers and asserts identical bytes.
fn recv(p: &mut Pair) -> Resp {
    let (rraw, r) = p.redis.read_reply().expect("redis reply");
    let (eraw, _) = p.ember.read_reply().expect("ember reply");
    assert_eq!(
        support::escape(&rraw),
        support::escape(&eraw),
        "late replies differ"
    );
    r
}

/// Waits until both servers report `n` blocked clients.
fn wait_blocked(ctl: &mut Pair, n: u64) {
    ctl.wait_info("clients", "blocked_clients", n);
}

const ERRORS_AND_IMMEDIATE: &str = "
    BLPOP k x
    BLPOP k nan
    BLPOP k -1
    BLPOP k inf
    BLPOP k 1e30
    BRPOP k -0.5
    BRPOPLPUSH a b -1
    BLMOVE a b up left 0
    BLMOVE a b left up 0
    BLMOVE a b left left x
    BLMPOP x 0 k left
    BLMPOP x 1 k left
    BLMPOP 0 x k left
    BLMPOP 0 2 k left
    BLMPOP 0 1 k up
    BLMPOP 0 1 k left count 0
    BLMPOP 0 1 k left count x
    BLMPOP 0 1 k left count 1 count 2
    BLMPOP 0 1 k left foo
    BLMPOP 0 1 k
    BZPOPMIN k -1
    BZPOPMAX k x
    BZMPOP 0 1 k left
    BZMPOP 0 1 k min count 0
    BZMPOP x 0 k min
    BZMPOP 0 2 k min
    RPUSH l a b c d e
    BLPOP none l 0
    BRPOP l none 0
    BLMPOP 0 2 none l right count 2
    BLMPOP 0 1 l left count 10
    RPUSH l a b
    BRPOPLPUSH l l2 0
    BLMOVE l l2 left left 0
    LRANGE l2 0 -1
    SET s x
    BLPOP none s 0
    BLPOP l2 s 0
    BRPOPLPUSH s l 0
    BLMOVE l2 s left left 0
    BLMPOP 0 1 s left
    BZPOPMIN s 0
    ZADD z 1 a 2 b 3 c 4 d
    BZPOPMIN none z 0
    BZPOPMAX z 0
    BZMPOP 0 2 none z min count 5
    EXISTS z
    MULTI
    BLPOP empty 0
    BRPOP empty 0
    BRPOPLPUSH empty x 0
    BLMOVE empty x left right 0
    BLMPOP 0 1 empty left
    BZPOPMIN empty 0
    BZPOPMAX empty 0
    BZMPOP 0 1 empty max
    RPUSH empty v
    BLPOP empty 0
    EXEC
";

#[test]
fn errors_and_immediate_answers() {
    let mut d = Diff::new();
    run(&mut d, ERRORS_AND_IMMEDIATE);
}

#[test]
fn errors_and_immediate_answers_resp3() {
    let mut d = Diff::new();
    d.hello3();
    run(&mut d, ERRORS_AND_IMMEDIATE);
}

/// `waiter` blocks with `block`, `pusher` runs `push`, then the late reply
/// and `after` are compared.
fn block_then(d: &Diff, block: &[&str], push: &[&[&str]], after: &[&[&str]]) {
    let mut waiter = d.connect();
    let mut pusher = d.connect();
    pusher.check(&["FLUSHALL"]);
    send(&mut waiter, block);
    wait_blocked(&mut pusher, 1);
    for c in push {
        pusher.check(c);
    }
    recv(&mut waiter);
    for c in after {
        pusher.check(c);
    }
}

#[test]
fn woken_by_a_push() {
    let d = Diff::new();
    let lr: &[&str] = &["LRANGE", "q", "0", "-1"];
    block_then(
        &d,
        &["BLPOP", "q", "0"],
        &[&["RPUSH", "q", "a", "b"]],
        &[lr],
    );
    block_then(
        &d,
        &["BRPOP", "x", "q", "0"],
        &[&["LPUSH", "q", "a", "b"]],
        &[lr],
    );
    block_then(
        &d,
        &["BLPOP", "q", "q", "0"],
        &[&["RPUSH", "q", "a"]],
        &[lr],
    );
    block_then(
        &d,
        &["BLMPOP", "0", "2", "x", "q", "RIGHT", "COUNT", "2"],
        &[&["RPUSH", "q", "1", "2", "3"]],
        &[lr],
    );
    block_then(
        &d,
        &["BRPOPLPUSH", "q", "d", "0"],
        &[&["RPUSH", "q", "1", "2"]],
        &[lr, &["LRANGE", "d", "0", "-1"]],
    );
    block_then(
        &d,
        &["BLMOVE", "q", "d", "RIGHT", "RIGHT", "0"],
        &[&["RPUSH", "d", "x"], &["RPUSH", "q", "1", "2"]],
        &[lr, &["LRANGE", "d", "0", "-1"]],
    );
    // The woken client took the element before the pusher's next command.
    block_then(
        &d,
        &["BLPOP", "q", "0"],
        &[&["RPUSH", "q", "a"], &["LPOP", "q"]],
        &[],
    );
    // Keys appearing by RENAME, MOVE and SWAPDB wake too.
    block_then(
        &d,
        &["BLPOP", "q", "0"],
        &[&["RPUSH", "src", "v"], &["RENAME", "src", "q"]],
        &[],
    );
    block_then(
        &d,
        &["BLPOP", "q", "0"],
        &[&["SELECT", "1"], &["RPUSH", "q", "v"], &["MOVE", "q", "0"]],
        &[],
    );
    block_then(
        &d,
        &["BLPOP", "q", "0"],
        &[
            &["SELECT", "1"],
            &["RPUSH", "q", "v"],
            &["SWAPDB", "0", "1"],
        ],
        &[&["SELECT", "0"], lr],
    );
}

#[test]
fn sorted_sets_wake_zset_waiters() {
    let d = Diff::new();
    let zr: &[&str] = &["ZRANGE", "z", "0", "-1", "WITHSCORES"];
    block_then(
        &d,
        &["BZPOPMIN", "z", "0"],
        &[&["ZADD", "z", "2", "b", "1", "a"]],
        &[zr],
    );
    block_then(
        &d,
        &["BZPOPMAX", "x", "z", "0"],
        &[&["ZADD", "z", "2", "b", "1.5", "a"]],
        &[zr],
    );
    block_then(
        &d,
        &["BZMPOP", "0", "2", "x", "z", "MAX", "COUNT", "5"],
        &[&["ZADD", "z", "2", "b", "1", "a"]],
        &[zr, &["EXISTS", "z"]],
    );
    // A key of another type does not wake them; the right type later does.
    block_then(
        &d,
        &["BZPOPMIN", "z", "0"],
        &[
            &["RPUSH", "z", "v"],
            &["DEL", "z"],
            &["ZADD", "z", "1", "m"],
        ],
        &[],
    );
    block_then(
        &d,
        &["BLPOP", "z", "0"],
        &[
            &["ZADD", "z", "1", "m"],
            &["DEL", "z"],
            &["SADD", "z", "m"],
            &["DEL", "z"],
            &["RPUSH", "z", "v"],
        ],
        &[],
    );
}

#[test]
fn sorted_set_late_replies_in_resp3() {
    let d = Diff::new();
    let mut waiter = d.connect();
    let mut pusher = d.connect();
    waiter.hello3();
    send(&mut waiter, &["BZPOPMAX", "z", "0"]);
    wait_blocked(&mut pusher, 1);
    pusher.check(&["ZADD", "z", "2.5", "b", "1", "a"]);
    recv(&mut waiter);
    send(
        &mut waiter,
        &["BZMPOP", "0", "1", "z2", "MIN", "COUNT", "3"],
    );
    wait_blocked(&mut pusher, 1);
    pusher.check(&["ZADD", "z2", "2.5", "b", "1", "a"]);
    recv(&mut waiter);
    send(&mut waiter, &["BLPOP", "l", "0.01"]);
    recv(&mut waiter);
}

#[test]
fn first_come_first_served() {
    let d = Diff::new();
    let mut ctl = d.connect();
    let mut w: Vec<Pair> = (0..3).map(|_| d.connect()).collect();
    for (i, c) in w.iter_mut().enumerate() {
        send(c, &["BRPOP", "f", "0"]);
        wait_blocked(&mut ctl, i as u64 + 1);
    }
    ctl.check(&["RPUSH", "f", "1", "2"]);
    recv(&mut w[0]);
    recv(&mut w[1]);
    wait_blocked(&mut ctl, 1);
    ctl.check(&["LPUSH", "f", "3", "4"]);
    recv(&mut w[2]);
    ctl.check(&["LRANGE", "f", "0", "-1"]);
    // Waiters on several keys: served from the key that became ready.
    send(&mut w[0], &["BLPOP", "a", "b", "0"]);
    wait_blocked(&mut ctl, 1);
    send(&mut w[1], &["BLPOP", "b", "0"]);
    wait_blocked(&mut ctl, 2);
    ctl.check(&["RPUSH", "b", "x"]);
    recv(&mut w[0]);
    ctl.check(&["RPUSH", "b", "y"]);
    recv(&mut w[1]);
}

#[test]
fn wake_ups_come_after_the_whole_transaction() {
    let d = Diff::new();
    let mut ctl = d.connect();
    let mut a = d.connect();
    let mut b = d.connect();
    send(&mut a, &["BLPOP", "x", "y", "0"]);
    wait_blocked(&mut ctl, 1);
    run(&mut ctl, "MULTI\nRPUSH y 1\nRPUSH x 2\nEXEC");
    recv(&mut a);
    ctl.check(&["LRANGE", "x", "0", "-1"]);
    // Two waiters on different keys, both ready in one EXEC.
    send(&mut a, &["BLPOP", "p", "q", "0"]);
    wait_blocked(&mut ctl, 1);
    send(&mut b, &["BLPOP", "q", "0"]);
    wait_blocked(&mut ctl, 2);
    run(&mut ctl, "MULTI\nRPUSH p 1\nRPUSH q 2\nEXEC");
    recv(&mut a);
    recv(&mut b);
    // A push undone within the transaction wakes nobody.
    send(&mut a, &["BLPOP", "z", "0"]);
    wait_blocked(&mut ctl, 1);
    run(&mut ctl, "MULTI\nRPUSH z 1\nLPOP z\nEXEC");
    ctl.check(&["RPUSH", "z", "2", "3"]);
    recv(&mut a);
    ctl.check(&["LRANGE", "z", "0", "-1"]);
    // A key made ready and expired within the transaction.
    send(&mut a, &["BLPOP", "e", "0"]);
    wait_blocked(&mut ctl, 1);
    run(&mut ctl, "MULTI\nRPUSH e v\nPEXPIRE e 100000\nEXEC");
    recv(&mut a);
}

#[test]
fn moves_chain_and_rotate() {
    let d = Diff::new();
    let mut ctl = d.connect();
    let mut a = d.connect();
    let mut b = d.connect();
    send(&mut a, &["BRPOPLPUSH", "c1", "c2", "0"]);
    wait_blocked(&mut ctl, 1);
    send(&mut b, &["BLMOVE", "c2", "c3", "LEFT", "RIGHT", "0"]);
    wait_blocked(&mut ctl, 2);
    ctl.check(&["RPUSH", "c1", "v"]);
    recv(&mut a);
    recv(&mut b);
    run(&mut ctl, "EXISTS c1 c2\nLRANGE c3 0 -1");
    // Rotating a list onto itself serves every waiter.
    send(&mut a, &["BLMOVE", "r", "r", "LEFT", "RIGHT", "0"]);
    wait_blocked(&mut ctl, 1);
    send(&mut b, &["BLMOVE", "r", "r", "LEFT", "RIGHT", "0"]);
    wait_blocked(&mut ctl, 2);
    ctl.check(&["RPUSH", "r", "1", "2", "3"]);
    recv(&mut a);
    recv(&mut b);
    ctl.check(&["LRANGE", "r", "0", "-1"]);
    // A destination of the wrong type: the waiter gets WRONGTYPE, the
    // element stays.
    ctl.check(&["SET", "wd", "x"]);
    send(&mut a, &["BLMOVE", "ws", "wd", "LEFT", "RIGHT", "0"]);
    wait_blocked(&mut ctl, 1);
    ctl.check(&["RPUSH", "ws", "1"]);
    recv(&mut a);
    ctl.check(&["LRANGE", "ws", "0", "-1"]);
}

/// Only a key's creation wakes its waiters (Redis's dbAdd): a value of the
/// right type written over a key of another type (SORT ... STORE,
/// ZUNIONSTORE), and pushes onto it afterwards, leave them blocked until the
/// key is deleted and created again.
#[test]
fn only_creating_the_key_wakes_its_waiters() {
    let d = Diff::new();
    let mut waiter = d.connect();
    let mut ctl = d.connect();
    ctl.check(&["FLUSHALL"]);
    ctl.check(&["RPUSH", "src", "b", "a"]);
    ctl.check(&["ZADD", "zsrc", "2", "m"]);
    for (block, overwrite, create) in [
        (
            &["BLPOP", "l", "0"][..],
            &[
                &["SORT", "src", "ALPHA", "STORE", "l"][..],
                &["RPUSH", "l", "more"],
            ][..],
            &["RPUSH", "l", "new"][..],
        ),
        (
            &["BZPOPMIN", "z", "0"],
            &[
                &["ZUNIONSTORE", "z", "1", "zsrc"][..],
                &["ZADD", "z", "5", "n"],
            ],
            &["ZADD", "z", "1", "new"],
        ),
    ] {
        send(&mut waiter, block);
        wait_blocked(&mut ctl, 1);
        ctl.check(&["SET", block[1], "string"]);
        for c in overwrite {
            ctl.check(c);
        }
        wait_blocked(&mut ctl, 1);
        ctl.check(&["DEL", block[1]]);
        ctl.check(create);
        recv(&mut waiter);
        wait_blocked(&mut ctl, 0);
    }
}

#[test]
fn timeouts() {
    let d = Diff::new();
    let mut a = d.connect();
    for cmd in [
        &["BLPOP", "k", "0.05"][..],
        &["BRPOP", "k", "k2", "0.01"],
        &["BRPOPLPUSH", "k", "d", "0.01"],
        &["BLMOVE", "k", "d", "LEFT", "LEFT", "0.01"],
        &["BLMPOP", "0.01", "1", "k", "LEFT"],
        &["BZPOPMIN", "k", "0.01"],
        &["BZPOPMAX", "k", "0.0001"],
        &["BZMPOP", "0.01", "1", "k", "MIN", "COUNT", "2"],
    ] {
        send(&mut a, cmd);
        recv(&mut a);
    }
    a.hello3();
    for cmd in [
        &["BLPOP", "k", "0.01"][..],
        &["BRPOPLPUSH", "k", "d", "0.01"],
        &["BZMPOP", "0.01", "1", "k", "MIN"],
    ] {
        send(&mut a, cmd);
        recv(&mut a);
    }
    // Commands pipelined behind a blocked one wait for it.
    let mut b = d.connect();
    send(&mut b, &["BLPOP", "k", "0.05"]);
    send(&mut b, &["PING"]);
    recv(&mut b);
    recv(&mut b);
}

fn ids(p: &mut Pair) -> (String, String) {
    let (r, e) = p.both(&["CLIENT", "ID"]);
    (r.int().to_string(), e.int().to_string())
}

#[test]
fn client_unblock() {
    let d = Diff::new();
    let mut ctl = d.connect();
    let mut a = d.connect();
    let (ra, ea) = ids(&mut a);
    let unblock = |ctl: &mut Pair, extra: &[&str]| {
        let mut rc = vec!["CLIENT", "UNBLOCK", ra.as_str()];
        let mut ec = vec!["CLIENT", "UNBLOCK", ea.as_str()];
        rc.extend_from_slice(extra);
        ec.extend_from_slice(extra);
        let (rraw, _) = ctl.redis.send(&rc);
        let (eraw, _) = ctl.ember.send(&ec);
        assert_eq!(rraw, eraw);
    };
    unblock(&mut ctl, &[]);
    send(&mut a, &["BLPOP", "k", "0"]);
    wait_blocked(&mut ctl, 1);
    unblock(&mut ctl, &[]);
    recv(&mut a);
    send(&mut a, &["BZPOPMIN", "k", "100"]);
    wait_blocked(&mut ctl, 1);
    unblock(&mut ctl, &["TIMEOUT"]);
    recv(&mut a);
    send(&mut a, &["BLMOVE", "k", "d", "LEFT", "LEFT", "100"]);
    wait_blocked(&mut ctl, 1);
    unblock(&mut ctl, &["ERROR"]);
    recv(&mut a);
    unblock(&mut ctl, &["ERROR"]);
    run(
        &mut ctl,
        "CLIENT UNBLOCK 1 BOGUS\nCLIENT UNBLOCK x\nCLIENT UNBLOCK x BOGUS\nCLIENT UNBLOCK 1 TIMEOUT extra\nCLIENT UNBLOCK 0",
    );
    a.check(&["PING"]);
}

/// The named fields of a CLIENT LIST line.
fn fields(r: &Resp, names: &[&str]) -> Vec<String> {
    r.text()
        .split(' ')
        .filter(|f| names.iter().any(|n| f.starts_with(&format!("{n}="))))
        .map(str::to_string)
        .collect()
}

#[test]
fn introspection_while_blocked() {
    let d = Diff::new();
    let mut ctl = d.connect();
    let mut a = d.connect();
    let (ra, ea) = ids(&mut a);
    let show = |ctl: &mut Pair| {
        let r = ctl.redis.cmd(&["CLIENT", "LIST", "ID", &ra]);
        let e = ctl.ember.cmd(&["CLIENT", "LIST", "ID", &ea]);
        let names = ["flags", "db", "multi", "cmd"];
        assert_eq!(fields(&r, &names), fields(&e, &names));
        let info = |c: &mut support::RawConn| -> Vec<String> {
            c.cmd(&["INFO", "clients"])
                .text()
                .lines()
                .filter(|l| l.starts_with("blocked_clients") || l.starts_with("clients_in_timeout"))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(info(&mut ctl.redis), info(&mut ctl.ember));
    };
    show(&mut ctl);
    a.check(&["SELECT", "2"]);
    send(&mut a, &["BLPOP", "k", "0"]);
    wait_blocked(&mut ctl, 1);
    show(&mut ctl);
    ctl.check(&["SELECT", "2"]);
    ctl.check(&["RPUSH", "k", "v"]);
    recv(&mut a);
    show(&mut ctl);
    send(&mut a, &["BZMPOP", "100", "1", "z", "MIN"]);
    wait_blocked(&mut ctl, 1);
    show(&mut ctl);
    ctl.check(&["ZADD", "z", "1", "a"]);
    recv(&mut a);
}

#[test]
fn disconnect_while_blocked() {
    let d = Diff::new();
    let mut ctl = d.connect();
    {
        let mut a = d.connect();
        send(&mut a, &["BLPOP", "k", "0"]);
        let mut b = d.connect();
        send(&mut b, &["BLPOP", "k", "0"]);
        wait_blocked(&mut ctl, 2);
        drop(a);
        wait_blocked(&mut ctl, 1);
        ctl.check(&["RPUSH", "k", "1", "2"]);
        recv(&mut b);
    }
    wait_blocked(&mut ctl, 0);
    ctl.check(&["LRANGE", "k", "0", "-1"]);
}

/// Commands pipelined behind a blocking command wait in the blocked client's
/// own queue while other clients run pipelined batches (whose queues come
/// from the connections' shared pool), and run in order once it is woken.
#[test]
fn commands_queued_behind_a_block_survive_other_pipelines() {
    let d = Diff::new();
    let mut ctl = d.connect();
    let mut a = d.connect();
    let mut behind = Vec::new();
    for cmd in [
        &["BLPOP", "q", "0"][..],
        &["INCR", "after"],
        &["RPUSH", "log", "a1"],
        &["GET", "after"],
        &["LRANGE", "log", "0", "-1"],
    ] {
        behind.extend_from_slice(&encode_command(cmd));
    }
    a.redis.write_raw(&behind);
    a.ember.write_raw(&behind);
    wait_blocked(&mut ctl, 1);
    let mut others: Vec<Pair> = (0..3).map(|_| d.connect()).collect();
    for round in 0..5 {
        for (i, o) in others.iter_mut().enumerate() {
            let tag = format!("o{i}r{round}");
            o.check_pipeline(&[
                &["RPUSH", "log", tag.as_str()][..],
                &["INCR", "after"],
                &["LLEN", "log"],
                &["GET", "after"],
            ]);
        }
    }
    ctl.check(&["RPUSH", "q", "v"]);
    for _ in 0..5 {
        recv(&mut a);
    }
    ctl.check(&["LRANGE", "log", "0", "-1"]);
}
