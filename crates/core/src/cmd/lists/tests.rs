//! Unit tests of the list family on an in-process engine: replies, keyspace
//! events and what is propagated.

use crate::events::{classes, KeyspaceEvent};
use crate::{Engine, ManualClock};
use bytes::Bytes;
use ember_resp::{Proto, Reply};
use std::sync::{Arc, Mutex};

type Log = Arc<Mutex<Vec<String>>>;

struct T {
    engine: Engine,
    id: u64,
    props: Log,
    events: Log,
}

fn t() -> T {
    let mut engine = Engine::builder()
        .clock(Arc::new(ManualClock::new(1_700_000_000_000)))
        .build();
    let id = engine.add_client();
    let (props, events): (Log, Log) = Default::default();
    let p = props.clone();
    engine.add_propagation_sink(Box::new(move |_db, argv: &[Bytes]| {
        let words: Vec<String> = argv
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        p.lock().unwrap().push(words.join(" "));
    }));
    let e = events.clone();
    engine.notify_flags = classes::ALL;
    engine.set_event_sink(Box::new(move |ev: &KeyspaceEvent| {
        let key = String::from_utf8_lossy(&ev.key).into_owned();
        e.lock().unwrap().push(format!("{} {key}", ev.event));
    }));
    T {
        engine,
        id,
        props,
        events,
    }
}

impl T {
    fn run(&mut self, cmd: &str) -> Reply {
        let argv: Vec<Bytes> = cmd.split(' ').map(|a| Bytes::from(a.to_string())).collect();
        self.engine.execute(self.id, &argv).expect("reply")
    }

    /// The reply as RESP2 text.
    fn resp(&mut self, cmd: &str) -> String {
        let mut out = Vec::new();
        ember_resp::encode(&self.run(cmd), Proto::Resp2, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    fn take(log: &Log) -> Vec<String> {
        std::mem::take(&mut *log.lock().unwrap())
    }

    fn events(&mut self) -> Vec<String> {
        Self::take(&self.events)
    }

    fn props(&mut self) -> Vec<String> {
        Self::take(&self.props)
    }
}

#[test]
fn pushes_pops_and_their_events() {
    let mut t = t();
    assert_eq!(t.resp("RPUSH l a b c"), ":3\r\n");
    assert_eq!(t.resp("LPUSH l z"), ":4\r\n");
    assert_eq!(t.resp("LPUSHX nokey a"), ":0\r\n");
    assert_eq!(t.events(), ["rpush l", "lpush l"]);
    assert_eq!(t.props(), ["RPUSH l a b c", "LPUSH l z"]);
    assert_eq!(t.resp("LPOP l 2"), "*2\r\n$1\r\nz\r\n$1\r\na\r\n");
    assert_eq!(t.resp("RPOP l 5"), "*2\r\n$1\r\nc\r\n$1\r\nb\r\n");
    assert_eq!(t.events(), ["lpop l", "rpop l", "del l"]);
    assert_eq!(t.props(), ["LPOP l 2", "RPOP l 5"]);
    assert_eq!(t.resp("LPOP l"), "$-1\r\n");
    assert_eq!(t.resp("LPOP l 0"), "*-1\r\n");
    assert_eq!(t.resp("EXISTS l"), ":0\r\n");
    assert!(t.props().is_empty() && t.events().is_empty());
}

#[test]
fn lmpop_propagates_as_a_counted_pop() {
    let mut t = t();
    t.run("RPUSH b 1 2 3");
    t.props();
    t.events();
    assert_eq!(
        t.resp("LMPOP 2 a b RIGHT COUNT 2"),
        "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"
    );
    assert_eq!(t.props(), ["RPOP b 2"]);
    assert_eq!(
        t.resp("LMPOP 1 b LEFT COUNT 10"),
        "*2\r\n$1\r\nb\r\n*1\r\n$1\r\n1\r\n"
    );
    assert_eq!(t.props(), ["LPOP b 1"]);
    assert_eq!(t.events(), ["rpop b", "lpop b", "del b"]);
    assert_eq!(t.resp("LMPOP 1 b LEFT"), "*-1\r\n");
    assert!(t.props().is_empty());
}

#[test]
fn lmove_events_and_rotation() {
    let mut t = t();
    t.run("RPUSH src a b");
    t.events();
    t.props();
    assert_eq!(t.resp("LMOVE src dst LEFT RIGHT"), "$1\r\na\r\n");
    assert_eq!(t.events(), ["rpush dst", "lpop src"]);
    assert_eq!(t.resp("RPOPLPUSH src src"), "$1\r\nb\r\n");
    assert_eq!(t.events(), ["lpush src", "rpop src"]);
    assert_eq!(t.resp("RPOPLPUSH src dst"), "$1\r\nb\r\n");
    assert_eq!(t.events(), ["lpush dst", "rpop src", "del src"]);
    assert_eq!(
        t.props(),
        [
            "LMOVE src dst LEFT RIGHT",
            "RPOPLPUSH src src",
            "RPOPLPUSH src dst"
        ]
    );
    assert_eq!(t.resp("LRANGE dst 0 -1"), "*2\r\n$1\r\nb\r\n$1\r\na\r\n");
    t.run("SET s x");
    assert!(t.resp("LMOVE dst s LEFT LEFT").starts_with("-WRONGTYPE"));
    assert_eq!(t.resp("LMOVE nokey s LEFT LEFT"), "$-1\r\n");
    assert_eq!(t.resp("LLEN dst"), ":2\r\n");
}

#[test]
fn edits_notify_only_when_something_changed() {
    let mut t = t();
    t.run("RPUSH l a b a c");
    t.events();
    t.props();
    assert_eq!(t.resp("LINSERT l BEFORE zz x"), ":-1\r\n");
    assert_eq!(t.resp("LREM l 0 zz"), ":0\r\n");
    assert!(t.events().is_empty() && t.props().is_empty());
    assert_eq!(t.resp("LINSERT l AFTER c d"), ":5\r\n");
    assert_eq!(t.resp("LSET l 0 A"), "+OK\r\n");
    assert_eq!(t.resp("LREM l -1 a"), ":1\r\n");
    assert_eq!(t.events(), ["linsert l", "lset l", "lrem l"]);
    // LTRIM notifies even when nothing goes, but only propagates a change.
    assert_eq!(t.resp("LTRIM l 0 -1"), "+OK\r\n");
    assert_eq!(t.resp("LTRIM l 1 -1"), "+OK\r\n");
    assert_eq!(t.events(), ["ltrim l", "ltrim l"]);
    assert_eq!(
        t.props(),
        [
            "LINSERT l AFTER c d",
            "LSET l 0 A",
            "LREM l -1 a",
            "LTRIM l 1 -1"
        ]
    );
    assert_eq!(
        t.resp("LRANGE l 0 -1"),
        "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"
    );
    assert_eq!(t.resp("LTRIM l 2 1"), "+OK\r\n");
    assert_eq!(t.events(), ["ltrim l", "del l"]);
    t.run("RPUSH l a a");
    t.events();
    assert_eq!(t.resp("LREM l 0 a"), ":2\r\n");
    assert_eq!(t.events(), ["lrem l", "del l"]);
}

#[test]
fn lpos_options() {
    let mut t = t();
    t.run("RPUSH l a b a c a");
    assert_eq!(t.resp("LPOS l a"), ":0\r\n");
    assert_eq!(t.resp("LPOS l a RANK -1"), ":4\r\n");
    assert_eq!(t.resp("LPOS l a RANK 2 COUNT 0"), "*2\r\n:2\r\n:4\r\n");
    assert_eq!(t.resp("LPOS l a RANK -1 COUNT 2"), "*2\r\n:4\r\n:2\r\n");
    assert_eq!(t.resp("LPOS l a MAXLEN 2 COUNT 0"), "*1\r\n:0\r\n");
    assert_eq!(t.resp("LPOS l a RANK 4"), "$-1\r\n");
    // RANK LONG_MIN stays negative once negated: every match, COUNT ignored.
    assert_eq!(
        t.resp("LPOS l a RANK -9223372036854775808 COUNT 1"),
        "*3\r\n:4\r\n:2\r\n:0\r\n"
    );
    assert!(t
        .resp("LPOS l a RANK 0")
        .starts_with("-ERR RANK can't be zero"));
    assert_eq!(t.resp("LPOS nokey a COUNT 1"), "*0\r\n");
}

#[test]
fn small_fill_keeps_semantics() {
    let mut t = t();
    t.engine.config.list_max_listpack_size = 2;
    for i in 0..20 {
        t.run(&format!("RPUSH l {i}"));
    }
    assert_eq!(t.resp("LINDEX l 10"), "$2\r\n10\r\n");
    assert_eq!(t.resp("LINSERT l BEFORE 10 x"), ":21\r\n");
    assert_eq!(
        t.resp("LRANGE l 9 11"),
        "*3\r\n$1\r\n9\r\n$1\r\nx\r\n$2\r\n10\r\n"
    );
    assert_eq!(t.resp("LTRIM l 5 -5"), "+OK\r\n");
    assert_eq!(t.resp("LLEN l"), ":12\r\n");
    assert_eq!(t.resp("LINDEX l -1"), "$2\r\n15\r\n");
    assert_eq!(t.resp("OBJECT ENCODING l"), "$9\r\nquicklist\r\n");
}
