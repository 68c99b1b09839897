//! MULTI/EXEC/WATCH on an in-process engine: replies, queueing rules and
//! what EXEC propagates.

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
    engine.add_propagation_sink(Box::new(move |db, argv: &[Bytes]| {
        let words: Vec<String> = argv
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        p.lock().unwrap().push(format!("{db}: {}", words.join(" ")));
    }));
    T {
        engine,
        clock,
        props,
    }
}

impl T {
    fn client(&mut self) -> u64 {
        self.engine.add_client()
    }

    /// The reply of `cmd` for client `id`, as RESP2 text.
    fn run(&mut self, id: u64, cmd: &str) -> String {
        let argv: Vec<Bytes> = cmd.split(' ').map(|a| Bytes::from(a.to_string())).collect();
        let reply = self.engine.execute(id, &argv).unwrap_or(Reply::Nil);
        let mut out = Vec::new();
        ember_resp::encode(&reply, Proto::Resp2, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    fn props(&mut self) -> Vec<String> {
        std::mem::take(&mut *self.props.lock().unwrap())
    }
}

#[test]
fn queued_commands_run_atomically_with_their_own_errors() {
    let mut t = t();
    let a = t.client();
    assert_eq!(t.run(a, "MULTI"), "+OK\r\n");
    assert_eq!(t.run(a, "SET k v"), "+QUEUED\r\n");
    assert_eq!(t.run(a, "INCR k"), "+QUEUED\r\n");
    assert_eq!(t.run(a, "GET k"), "+QUEUED\r\n");
    assert!(t.engine.clients[&a].tx.active);
    assert_eq!(
        t.run(a, "EXEC"),
        "*3\r\n+OK\r\n-ERR value is not an integer or out of range\r\n$1\r\nv\r\n"
    );
    assert!(!t.engine.clients[&a].tx.active);
    assert_eq!(t.run(a, "EXEC"), "-ERR EXEC without MULTI\r\n");
    assert_eq!(t.run(a, "DISCARD"), "-ERR DISCARD without MULTI\r\n");
}

#[test]
fn queueing_errors_abort_exec() {
    let mut t = t();
    let a = t.client();
    t.run(a, "MULTI");
    assert_eq!(
        t.run(a, "SET k"),
        "-ERR wrong number of arguments for 'set' command\r\n"
    );
    assert_eq!(t.run(a, "SET k v"), "+QUEUED\r\n");
    assert_eq!(
        t.run(a, "EXEC"),
        "-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    assert_eq!(t.run(a, "GET k"), "$-1\r\n");
    // An unknown command dooms it too; nested MULTI and WATCH do not.
    t.run(a, "MULTI");
    assert_eq!(t.run(a, "MULTI"), "-ERR MULTI calls can not be nested\r\n");
    assert_eq!(
        t.run(a, "WATCH x"),
        "-ERR WATCH inside MULTI is not allowed\r\n"
    );
    assert_eq!(t.run(a, "EXEC"), "*0\r\n");
    t.run(a, "MULTI");
    t.run(a, "NOPE");
    assert!(t.run(a, "EXEC").starts_with("-EXECABORT"));
    // Commands flagged no-multi are refused.
    t.run(a, "MULTI");
    assert_eq!(
        t.run(a, "SHUTDOWN"),
        "-ERR Command not allowed inside a transaction\r\n"
    );
    assert!(t.run(a, "EXEC").starts_with("-EXECABORT"));
}

#[test]
fn exec_refused_by_arity_discards_the_transaction() {
    let mut t = t();
    let a = t.client();
    t.run(a, "MULTI");
    assert_eq!(
        t.run(a, "EXEC x"),
        "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n"
    );
    assert!(!t.engine.clients[&a].tx.active);
}

#[test]
fn watch_detects_other_clients_writes() {
    let mut t = t();
    let (a, b) = (t.client(), t.client());
    t.run(a, "SET k 1");
    t.run(a, "WATCH k");
    t.run(b, "SET k 2");
    assert!(t.engine.clients[&a].tx.dirty_cas);
    t.run(a, "MULTI");
    t.run(a, "SET k 3");
    assert_eq!(t.run(a, "EXEC"), "*-1\r\n");
    assert_eq!(t.run(a, "GET k"), "$1\r\n2\r\n");
    // Unwatched keys and other databases do not matter; UNWATCH forgets.
    t.run(a, "WATCH k");
    t.run(b, "SET other 1");
    t.run(b, "SELECT 1");
    t.run(b, "SET k 1");
    t.run(a, "MULTI");
    t.run(a, "PING");
    assert_eq!(t.run(a, "EXEC"), "*1\r\n+PONG\r\n");
    t.run(a, "WATCH k");
    t.run(b, "SELECT 0");
    t.run(b, "DEL k");
    t.run(a, "UNWATCH");
    t.run(a, "MULTI");
    assert_eq!(t.run(a, "EXEC"), "*0\r\n");
    assert!(t.engine.watches.is_empty());
}

#[test]
fn watch_and_expiry() {
    let mut t = t();
    let (a, b) = (t.client(), t.client());
    t.engine.config.active_expire_enabled = false;
    // Alive when watched, logically expired at EXEC: fails.
    t.run(a, "SET k v PX 100");
    t.run(a, "WATCH k");
    t.clock.advance(200);
    t.run(a, "MULTI");
    assert_eq!(t.run(a, "EXEC"), "*-1\r\n");
    // Already expired when watched: its deletion is no change...
    t.run(a, "SET k v PX 10");
    t.clock.advance(20);
    t.run(a, "WATCH k");
    assert_eq!(t.run(b, "GET k"), "$-1\r\n");
    t.run(a, "MULTI");
    assert_eq!(t.run(a, "EXEC"), "*0\r\n");
    // ...but recreating it is.
    t.run(a, "SET k v PX 10");
    t.clock.advance(20);
    t.run(a, "WATCH k");
    t.run(b, "SET k 2");
    t.run(a, "MULTI");
    assert_eq!(t.run(a, "EXEC"), "*-1\r\n");
}

#[test]
fn flush_and_swapdb_touch_watched_keys_that_exist() {
    let mut t = t();
    let (a, b) = (t.client(), t.client());
    t.run(a, "WATCH missing");
    t.run(b, "FLUSHDB");
    t.run(a, "MULTI");
    assert_eq!(t.run(a, "EXEC"), "*0\r\n");
    t.run(a, "SET k 1");
    t.run(a, "WATCH k");
    t.run(b, "FLUSHALL");
    t.run(a, "MULTI");
    assert_eq!(t.run(a, "EXEC"), "*-1\r\n");
    // SWAPDB: a key that appears in the watched database counts.
    t.run(a, "WATCH k");
    t.run(b, "SELECT 1");
    t.run(b, "SET k 1");
    t.run(b, "SWAPDB 0 1");
    t.run(a, "MULTI");
    assert_eq!(t.run(a, "EXEC"), "*-1\r\n");
}

#[test]
fn watch_is_dropped_with_the_client_and_by_reset() {
    let mut t = t();
    let a = t.client();
    t.run(a, "WATCH k1 k2 k1");
    assert_eq!(t.engine.clients[&a].tx.watched.len(), 2);
    t.run(a, "MULTI");
    assert_eq!(t.run(a, "RESET"), "+RESET\r\n");
    assert!(!t.engine.clients[&a].tx.active);
    assert!(t.engine.watches.is_empty());
    t.run(a, "WATCH k1");
    t.engine.remove_client(a);
    assert!(t.engine.watches.is_empty());
}

#[test]
fn exec_propagates_one_unit() {
    let mut t = t();
    let a = t.client();
    t.run(a, "MULTI");
    t.run(a, "SET a 1");
    t.run(a, "GET a");
    t.run(a, "SELECT 2");
    t.run(a, "SET b 2");
    t.run(a, "EXEC");
    assert_eq!(
        t.props(),
        ["0: MULTI", "0: SET a 1", "2: SET b 2", "2: EXEC"]
    );
    // A single write needs no wrapping; no write propagates nothing.
    t.run(a, "MULTI");
    t.run(a, "SET c 3");
    t.run(a, "EXEC");
    assert_eq!(t.props(), ["2: SET c 3"]);
    t.run(a, "MULTI");
    t.run(a, "GET c");
    t.run(a, "EXEC");
    assert!(t.props().is_empty());
}

#[test]
fn client_list_shows_the_transaction() {
    let mut t = t();
    let (a, b) = (t.client(), t.client());
    let list_a = format!("CLIENT LIST ID {a}");
    t.run(a, "MULTI");
    t.run(a, "SET k v");
    let line = t.run(b, &list_a);
    assert!(line.contains(" flags=x "), "{line}");
    assert!(line.contains(" multi=1 "), "{line}");
    assert!(line.contains(" multi-mem=29 "), "{line}");
    assert!(line.contains(" cmd=set "), "{line}");
    t.run(a, "DISCARD");
    let line = t.run(b, &list_a);
    assert!(
        line.contains(" flags=N ") && line.contains(" multi=-1 "),
        "{line}"
    );
}
