//! Blocking commands on an in-process engine: parking, wake-ups by re-running
//! the command, FIFO order, timeouts on the injected clock, CLIENT UNBLOCK,
//! and what a served command propagates.

use crate::{Engine, ManualClock};
use bytes::Bytes;
use ember_resp::{Proto, Reply};
use std::sync::{Arc, Mutex};

struct T {
    engine: Engine,
    clock: Arc<ManualClock>,
    props: Arc<Mutex<Vec<String>>>,
}

fn t() -> T {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let mut engine = Engine::builder().clock(clock.clone()).build();
    let props: Arc<Mutex<Vec<String>>> = Default::default();
    let p = props.clone();
    engine.add_propagation_sink(Box::new(move |_db, argv: &[Bytes]| {
        let words: Vec<String> = argv
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        p.lock().unwrap().push(words.join(" "));
    }));
    T {
        engine,
        clock,
        props,
    }
}

fn resp2(reply: &Reply) -> String {
    let mut out = Vec::new();
    ember_resp::encode(reply, Proto::Resp2, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

impl T {
    fn client(&mut self) -> u64 {
        self.engine.add_client()
    }

    /// The immediate reply as RESP2 text; "" when the command blocked.
    fn run(&mut self, id: u64, cmd: &str) -> String {
        let argv: Vec<Bytes> = cmd.split(' ').map(|a| Bytes::from(a.to_string())).collect();
        self.engine
            .execute(id, &argv)
            .map_or(String::new(), |r| resp2(&r))
    }

    /// Output pushed to client `id` since last asked (late replies).
    fn pending(&mut self, id: u64) -> String {
        String::from_utf8_lossy(&self.engine.take_pending(id)).into_owned()
    }

    fn props(&mut self) -> Vec<String> {
        std::mem::take(&mut *self.props.lock().unwrap())
    }
}

#[test]
fn blpop_pops_at_once_or_blocks_until_a_push() {
    let mut t = t();
    let (a, b) = (t.client(), t.client());
    t.run(b, "RPUSH q x");
    assert_eq!(t.run(a, "BLPOP none q 0"), "*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
    assert_eq!(t.props(), ["RPUSH q x", "LPOP q"]);
    assert_eq!(t.run(a, "BLPOP q 0"), "");
    assert!(t.engine.is_blocked(a));
    assert_eq!(t.engine.blocking.blocked_clients(), 1);
    assert_eq!(t.run(b, "RPUSH q 1 2"), ":2\r\n");
    assert!(!t.engine.is_blocked(a));
    assert_eq!(t.pending(a), "*2\r\n$1\r\nq\r\n$1\r\n1\r\n");
    assert_eq!(t.run(b, "LRANGE q 0 -1"), "*1\r\n$1\r\n2\r\n");
    assert_eq!(t.props(), ["RPUSH q 1 2", "LPOP q"]);
    assert_eq!(t.engine.blocking.blocked_clients(), 0);
}

#[test]
fn waiters_are_served_first_come_first_served() {
    let mut t = t();
    let (a, b, c, p) = (t.client(), t.client(), t.client(), t.client());
    t.run(a, "BRPOP f 0");
    t.run(b, "BRPOP f g 0");
    t.run(c, "BRPOP f 0");
    t.run(p, "RPUSH f 1 2");
    assert_eq!(t.pending(a), "*2\r\n$1\r\nf\r\n$1\r\n2\r\n");
    assert_eq!(t.pending(b), "*2\r\n$1\r\nf\r\n$1\r\n1\r\n");
    assert_eq!(t.pending(c), "");
    assert!(t.engine.is_blocked(c));
    t.run(p, "RPUSH g 3");
    assert_eq!(t.pending(c), "");
    t.run(p, "LPUSH f 4");
    assert_eq!(t.pending(c), "*2\r\n$1\r\nf\r\n$1\r\n4\r\n");
}

#[test]
fn wake_ups_happen_after_the_whole_transaction() {
    let mut t = t();
    let (a, p) = (t.client(), t.client());
    t.run(a, "BLPOP x y 0");
    t.run(p, "MULTI");
    t.run(p, "RPUSH y 1");
    t.run(p, "RPUSH x 2");
    assert_eq!(t.run(p, "EXEC"), "*2\r\n:1\r\n:1\r\n");
    // Served from the key that became ready first, as Redis 7.0 does.
    assert_eq!(t.pending(a), "*2\r\n$1\r\ny\r\n$1\r\n1\r\n");
    // A push undone in the same transaction wakes nobody.
    t.run(a, "BLPOP z 0");
    t.run(p, "MULTI");
    t.run(p, "RPUSH z 1");
    t.run(p, "DEL z");
    t.run(p, "EXEC");
    assert!(t.engine.is_blocked(a));
    assert_eq!(t.pending(a), "");
}

#[test]
fn blocking_commands_inside_multi_answer_as_timed_out() {
    let mut t = t();
    let a = t.client();
    t.run(a, "MULTI");
    for cmd in [
        "BLPOP l 0",
        "BRPOPLPUSH l m 0",
        "BLMOVE l m LEFT LEFT 0",
        "BLMPOP 0 1 l LEFT",
    ] {
        assert_eq!(t.run(a, cmd), "+QUEUED\r\n");
    }
    assert_eq!(t.run(a, "EXEC"), "*4\r\n*-1\r\n$-1\r\n$-1\r\n*-1\r\n");
    assert!(!t.engine.is_blocked(a));
    // So do clients that may not block (an embedder's only client).
    t.engine.client_mut(a).unwrap().deny_blocking = true;
    assert_eq!(t.run(a, "BZPOPMIN z 0"), "*-1\r\n");
    assert!(!t.engine.is_blocked(a));
}

#[test]
fn timeouts_follow_the_clock() {
    let mut t = t();
    let (a, b) = (t.client(), t.client());
    assert_eq!(t.run(a, "BLPOP k 1.5"), "");
    assert_eq!(t.engine.blocking.clients_with_timeout(), 1);
    t.clock.advance(1500);
    t.engine.cron();
    assert!(t.engine.is_blocked(a));
    t.clock.advance(1);
    t.engine.cron();
    assert!(!t.engine.is_blocked(a));
    assert_eq!(t.pending(a), "*-1\r\n");
    // A tiny timeout is rounded up to a millisecond, not "forever".
    t.run(b, "BLMOVE k d RIGHT LEFT 0.0001");
    assert_eq!(t.engine.next_block_deadline(), Some(t.clock_now() + 1));
    t.clock.advance(2);
    t.engine.handle_block_timeouts();
    assert_eq!(t.pending(b), "*-1\r\n");
    assert_eq!(t.engine.blocking.clients_with_timeout(), 0);
}

impl T {
    fn clock_now(&self) -> i64 {
        self.engine.now_ms()
    }
}

#[test]
fn timeout_argument_errors() {
    let mut t = t();
    let a = t.client();
    let not_float = "-ERR timeout is not a float or out of range\r\n";
    let negative = "-ERR timeout is negative\r\n";
    assert_eq!(t.run(a, "BLPOP k x"), not_float);
    assert_eq!(t.run(a, "BLPOP k nan"), not_float);
    assert_eq!(t.run(a, "BLPOP k -1"), negative);
    assert_eq!(t.run(a, "BLPOP k inf"), negative);
    assert_eq!(t.run(a, "BLPOP k 1e30"), negative);
    assert_eq!(
        t.run(a, "BLMPOP x 0 k LEFT"),
        "-ERR numkeys should be greater than 0\r\n"
    );
    assert_eq!(t.run(a, "BLMPOP x 1 k LEFT"), not_float);
    assert_eq!(t.run(a, "BLMOVE a b UP LEFT 0"), "-ERR syntax error\r\n");
    assert!(!t.engine.is_blocked(a));
    // A negative value above -1ms rounds to 0: forever.
    assert_eq!(t.run(a, "BLPOP k -0.0001"), "");
    assert_eq!(t.engine.next_block_deadline(), None);
}

#[test]
fn wrong_types() {
    let mut t = t();
    let (a, b) = (t.client(), t.client());
    t.run(b, "SET s x");
    let wrongtype = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    assert_eq!(t.run(a, "BLPOP none s 0"), wrongtype);
    assert_eq!(t.run(a, "BRPOPLPUSH s d 0"), wrongtype);
    // The destination is checked when there is something to move.
    assert_eq!(t.run(a, "BLMOVE src s LEFT LEFT 0"), "");
    t.run(b, "RPUSH src 1");
    assert_eq!(t.pending(a), wrongtype);
    assert_eq!(t.run(b, "LLEN src"), ":1\r\n");
    // A key of another type does not wake a list waiter.
    t.run(a, "BLPOP h 0");
    t.run(b, "HSET h f v");
    assert!(t.engine.is_blocked(a));
    t.run(b, "DEL h");
    t.run(b, "RPUSH h v");
    assert_eq!(t.pending(a), "*2\r\n$1\r\nh\r\n$1\r\nv\r\n");
}

#[test]
fn moves_chain_and_propagate_deterministically() {
    let mut t = t();
    let (a, b, p) = (t.client(), t.client(), t.client());
    t.run(a, "BRPOPLPUSH c1 c2 0");
    t.run(b, "BLMOVE c2 c3 LEFT RIGHT 0");
    t.props();
    t.run(p, "RPUSH c1 v");
    assert_eq!(t.pending(a), "$1\r\nv\r\n");
    assert_eq!(t.pending(b), "$1\r\nv\r\n");
    assert_eq!(t.run(p, "LRANGE c3 0 -1"), "*1\r\n$1\r\nv\r\n");
    assert_eq!(
        t.props(),
        ["RPUSH c1 v", "RPOPLPUSH c1 c2", "LMOVE c2 c3 left right"]
    );
    // Not blocked: the command's own words, as Redis rewrites it.
    t.run(a, "BLMOVE c3 c4 RIGHT Left 0");
    assert_eq!(t.props(), ["LMOVE c3 c4 RIGHT Left"]);
    t.run(a, "BLMPOP 0 2 m1 m2 RIGHT COUNT 5");
    t.run(p, "RPUSH m2 1 2 3");
    assert_eq!(
        t.pending(a),
        "*2\r\n$2\r\nm2\r\n*3\r\n$1\r\n3\r\n$1\r\n2\r\n$1\r\n1\r\n"
    );
    assert_eq!(t.props(), ["RPUSH m2 1 2 3", "RPOP m2 3"]);
}

#[test]
fn client_unblock_and_disconnect() {
    let mut t = t();
    let (a, b) = (t.client(), t.client());
    t.run(a, "BLPOP k 0");
    let line = t.run(b, &format!("CLIENT LIST ID {a}"));
    assert!(
        line.contains(" flags=b ") && line.contains(" cmd=blpop "),
        "{line}"
    );
    assert_eq!(t.run(b, &format!("CLIENT UNBLOCK {a}")), ":1\r\n");
    assert_eq!(t.pending(a), "*-1\r\n");
    assert_eq!(t.run(b, &format!("CLIENT UNBLOCK {a}")), ":0\r\n");
    t.run(a, "BLPOP k 10");
    assert_eq!(t.run(b, &format!("CLIENT UNBLOCK {a} ERROR")), ":1\r\n");
    assert_eq!(
        t.pending(a),
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    assert_eq!(t.engine.blocking.clients_with_timeout(), 0);
    // A client that leaves while blocked is forgotten.
    t.run(a, "BLPOP k 0");
    t.engine.remove_client(a);
    assert_eq!(t.engine.blocking.blocked_clients(), 0);
    assert_eq!(t.run(b, "RPUSH k v"), ":1\r\n");
    assert_eq!(t.run(b, "LLEN k"), ":1\r\n");
}

#[test]
fn swapdb_and_move_make_keys_ready() {
    let mut t = t();
    let (a, b) = (t.client(), t.client());
    t.run(a, "BLPOP k 0");
    t.run(b, "SELECT 1");
    t.run(b, "RPUSH k v");
    t.run(b, "SWAPDB 0 1");
    assert_eq!(t.pending(a), "*2\r\n$1\r\nk\r\n$1\r\nv\r\n");
    t.run(a, "SELECT 2");
    t.run(a, "BLPOP m 0");
    t.run(b, "RPUSH m w");
    t.run(b, "MOVE m 2");
    assert_eq!(t.pending(a), "*2\r\n$1\r\nm\r\n$1\r\nw\r\n");
}
