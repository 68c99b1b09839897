//! The engine fixture shared by the command families' unit tests: a fake clock,
//! one client, and logs of propagated commands and keyspace events (all classes
//! enabled). Replies are compared with real Redis in the differential tests;
//! these tests check what a client cannot see.

use crate::clock::ManualClock;
use crate::engine::Engine;
use bytes::Bytes;
use ember_resp::Reply;
use std::sync::{Arc, Mutex};

pub type Log = Arc<Mutex<Vec<String>>>;

/// An argument vector from words.
pub fn argv(words: &[&str]) -> Vec<Bytes> {
    words
        .iter()
        .map(|w| Bytes::copy_from_slice(w.as_bytes()))
        .collect()
}

/// The fixture clock's start (milliseconds since the epoch).
pub const T0: i64 = 1_700_000_000_000;

pub struct T {
    pub e: Engine,
    pub id: u64,
    /// The engine's clock: tests move time with `advance`.
    pub clock: ManualClock,
    /// Propagated commands, words joined by spaces.
    pub props: Log,
    /// Keyspace events as `event:key`.
    pub events: Log,
}

impl T {
    pub fn new() -> T {
        let clock = ManualClock::new(T0);
        let mut e = Engine::builder().clock(Arc::new(clock.clone())).build();
        let id = e.add_client();
        let props: Log = Arc::default();
        let p = props.clone();
        e.add_propagation_sink(Box::new(move |_db, argv| {
            let words: Vec<String> = argv
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            p.lock().unwrap().push(words.join(" "));
        }));
        let events: Log = Arc::default();
        let l = events.clone();
        e.set_event_sink(Box::new(move |ev| {
            let key = String::from_utf8_lossy(&ev.key).into_owned();
            l.lock().unwrap().push(format!("{}:{key}", ev.event));
        }));
        e.notify_flags = crate::events::parse_flags("KEA").unwrap();
        T {
            e,
            id,
            clock,
            props,
            events,
        }
    }

    pub fn run(&mut self, args: &[&str]) -> Reply {
        let argv: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.to_string())).collect();
        self.e.execute(self.id, &argv).expect("reply")
    }

    pub fn int(&mut self, args: &[&str]) -> i64 {
        match self.run(args) {
            Reply::Integer(n) => n,
            r => panic!("{args:?} -> {r:?}"),
        }
    }

    /// An array reply of bulk strings, as text.
    pub fn strings(&mut self, args: &[&str]) -> Vec<String> {
        match self.run(args) {
            Reply::Array(items) | Reply::Set(items) => items
                .into_iter()
                .map(|r| match r {
                    Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
                    r => panic!("{args:?} -> element {r:?}"),
                })
                .collect(),
            r => panic!("{args:?} -> {r:?}"),
        }
    }

    pub fn encoding(&mut self, key: &str) -> String {
        match self.run(&["OBJECT", "ENCODING", key]) {
            Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
            other => format!("{other:?}"),
        }
    }

    /// Drains a log.
    pub fn take(log: &Log) -> Vec<String> {
        std::mem::take(&mut *log.lock().unwrap())
    }

    pub fn take_events(&mut self) -> Vec<String> {
        Self::take(&self.events)
    }

    pub fn take_props(&mut self) -> Vec<String> {
        Self::take(&self.props)
    }

    /// Runs `cmd` and asserts exactly what it propagated and notified.
    pub fn effects(&mut self, cmd: &[&str], props: &[&str], events: &[&str]) {
        self.take_props();
        self.take_events();
        self.run(cmd);
        assert_eq!(self.take_props(), props, "propagated by {cmd:?}");
        assert_eq!(self.take_events(), events, "events of {cmd:?}");
    }
}
