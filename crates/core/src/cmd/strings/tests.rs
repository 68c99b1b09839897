//! Unit tests of the string family on an in-process engine with a manual clock.

use crate::events::{classes, KeyspaceEvent};
use crate::{Engine, ManualClock};
use bytes::Bytes;
use ember_resp::{Proto, Reply};
use std::sync::{Arc, Mutex};

const T0: i64 = 1_700_000_000_000;

type Log = Arc<Mutex<Vec<Vec<String>>>>;

struct T {
    engine: Engine,
    id: u64,
    clock: ManualClock,
    props: Log,
    events: Log,
}

fn t() -> T {
    let clock = ManualClock::new(T0);
    let mut engine = Engine::builder().clock(Arc::new(clock.clone())).build();
    let id = engine.add_client();
    let props: Log = Arc::default();
    let events: Log = Arc::default();
    let p = props.clone();
    engine.add_propagation_sink(Box::new(move |_db, argv: &[Bytes]| {
        let argv = argv.iter().map(|a| String::from_utf8_lossy(a).into_owned());
        p.lock().unwrap().push(argv.collect());
    }));
    let e = events.clone();
    engine.notify_flags = classes::ALL;
    engine.set_event_sink(Box::new(move |ev: &KeyspaceEvent| {
        let key = String::from_utf8_lossy(&ev.key).into_owned();
        e.lock().unwrap().push(vec![ev.event.clone(), key]);
    }));
    T {
        engine,
        id,
        clock,
        props,
        events,
    }
}

impl T {
    fn run(&mut self, argv: &[&str]) -> Reply {
        let argv: Vec<Bytes> = argv.iter().map(|a| Bytes::from(a.to_string())).collect();
        self.engine.execute(self.id, &argv).expect("reply")
    }

    /// The reply encoded as RESP2 text, for compact assertions.
    fn resp(&mut self, argv: &[&str]) -> String {
        let mut out = Vec::new();
        ember_resp::encode(&self.run(argv), Proto::Resp2, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    fn ok(&mut self, argv: &[&str]) {
        assert_eq!(self.run(argv), Reply::OK, "{argv:?}");
    }

    fn int(&mut self, argv: &[&str], n: i64) {
        assert_eq!(self.run(argv), Reply::Integer(n), "{argv:?}");
    }

    fn bulk(&mut self, argv: &[&str], want: &str) {
        assert_eq!(self.run(argv), Reply::bulk(want), "{argv:?}");
    }

    fn nil(&mut self, argv: &[&str]) {
        assert_eq!(self.run(argv), Reply::Nil, "{argv:?}");
    }

    fn err(&mut self, argv: &[&str], text: &str) {
        assert_eq!(self.run(argv), Reply::error(text.to_string()), "{argv:?}");
    }

    fn encoding(&self, key: &str) -> &'static str {
        self.engine.dbs[0]
            .get_raw(key.as_bytes())
            .expect("key exists")
            .encoding()
    }

    fn expire_of(&self, key: &str) -> Option<i64> {
        self.engine.dbs[0].expire_of(key.as_bytes())
    }

    fn exists(&self, key: &str) -> bool {
        self.engine.dbs[0].get_raw(key.as_bytes()).is_some()
    }

    fn take_props(&self) -> Vec<String> {
        std::mem::take(&mut *self.props.lock().unwrap())
            .into_iter()
            .map(|v| v.join(" "))
            .collect()
    }

    fn take_events(&self) -> Vec<String> {
        std::mem::take(&mut *self.events.lock().unwrap())
            .into_iter()
            .map(|v| v.join(" "))
            .collect()
    }
}

const SYNTAX: &str = "ERR syntax error";
const NOT_INT: &str = "ERR value is not an integer or out of range";

#[test]
fn get_set_and_encodings() {
    let mut t = t();
    t.nil(&["GET", "k"]);
    t.ok(&["SET", "k", "v"]);
    t.bulk(&["GET", "k"], "v");
    assert_eq!(t.encoding("k"), "embstr");
    t.ok(&["SET", "k", "-42"]);
    assert_eq!(t.encoding("k"), "int");
    t.bulk(&["GET", "k"], "-42");
    t.ok(&["SET", "k", "042"]);
    assert_eq!(t.encoding("k"), "embstr");
    t.ok(&["SET", "k", &"x".repeat(45)]);
    assert_eq!(t.encoding("k"), "raw");
    t.err(
        &["SET", "k"],
        "ERR wrong number of arguments for 'set' command",
    );
}

#[test]
fn set_option_rules() {
    let mut t = t();
    t.nil(&["SET", "k", "1", "XX"]);
    t.ok(&["SET", "k", "1", "nx"]);
    t.nil(&["SET", "k", "2", "NX"]);
    // NX and GET combine (7.0): the old value comes back, nothing is written.
    t.bulk(&["SET", "k", "2", "NX", "GET"], "1");
    t.bulk(&["GET", "k"], "1");
    t.bulk(&["SET", "k", "2", "XX", "GET", "GET"], "1");
    t.nil(&["SET", "new", "2", "GET"]);
    t.bulk(&["GET", "new"], "2");
    for bad in [
        &["SET", "k", "v", "NX", "XX"][..],
        &["SET", "k", "v", "XX", "NX"],
        &["SET", "k", "v", "EX"],
        &["SET", "k", "v", "EX", "1", "PX", "1"],
        &["SET", "k", "v", "PXAT", "1", "EXAT", "1"],
        &["SET", "k", "v", "KEEPTTL", "EX", "1"],
        &["SET", "k", "v", "EX", "1", "KEEPTTL"],
        &["SET", "k", "v", "PERSIST"],
        &["SET", "k", "v", "foo"],
        &["SET", "k", "v", "px", "-1", "foo"],
    ] {
        t.err(bad, SYNTAX);
    }
    // Repeating one option is accepted; the last expiry wins.
    t.ok(&["SET", "k", "v", "EX", "1", "EX", "20"]);
    assert_eq!(t.expire_of("k"), Some(T0 + 20_000));
    t.ok(&["SET", "k", "v", "KEEPTTL", "KEEPTTL"]);
    assert_eq!(t.expire_of("k"), Some(T0 + 20_000));
    // A NUL ends an option word, as in C.
    t.bulk(&["SET", "k", "w", "GET\0junk"], "v");
}

#[test]
fn set_expire_validation() {
    let mut t = t();
    let invalid = "ERR invalid expire time in 'set' command";
    t.err(&["SET", "k", "v", "EX", "0"], invalid);
    t.err(&["SET", "k", "v", "PX", "-5"], invalid);
    t.err(&["SET", "k", "v", "EXAT", "0"], invalid);
    t.err(&["SET", "k", "v", "EX", "9223372036854775"], invalid);
    t.err(&["SET", "k", "v", "EX", "9223372036854776"], invalid);
    t.err(&["SET", "k", "v", "PX", "9223372036854775807"], invalid);
    t.err(&["SET", "k", "v", "EX", "1.5"], NOT_INT);
    t.err(&["SET", "k", "v", "EX", "abc"], NOT_INT);
    assert!(!t.exists("k"));
    t.ok(&["SET", "k", "v", "PXAT", "9223372036854775807"]);
    assert_eq!(t.expire_of("k"), Some(i64::MAX));
    t.ok(&["SET", "k", "v", "EXAT", "9223372036854775"]);
    assert_eq!(t.expire_of("k"), Some(9_223_372_036_854_775_000));
    // Expiry is validated before GET looks at the old value.
    t.err(&["SET", "k", "v", "GET", "EX", "0"], invalid);
    t.ok(&["SET", "k", "v", "PX", "1500"]);
    assert_eq!(t.expire_of("k"), Some(T0 + 1500));
    t.ok(&["SET", "k", "v"]);
    assert_eq!(t.expire_of("k"), None);
    t.ok(&["SET", "k", "v", "EX", "10"]);
    t.ok(&["SET", "k", "w", "KEEPTTL"]);
    assert_eq!(t.expire_of("k"), Some(T0 + 10_000));
    t.clock.advance(10_001);
    t.nil(&["GET", "k"]);
}

#[test]
fn set_in_the_past_expires_lazily() {
    let mut t = t();
    t.ok(&["SET", "k", "v", "EXAT", "1"]);
    assert!(t.exists("k"));
    assert_eq!(t.take_props(), vec!["SET k v PXAT 1000"]);
    assert_eq!(t.take_events(), vec!["set k", "expire k"]);
    t.nil(&["GET", "k"]);
    assert!(!t.exists("k"));
    assert_eq!(t.take_props(), vec!["DEL k"]);
    assert_eq!(t.take_events(), vec!["expired k"]);
}

#[test]
fn setnx_setex_psetex() {
    let mut t = t();
    t.int(&["SETNX", "k", "1"], 1);
    t.int(&["SETNX", "k", "2"], 0);
    t.bulk(&["GET", "k"], "1");
    t.ok(&["SETEX", "k", "5", "v"]);
    assert_eq!(t.expire_of("k"), Some(T0 + 5000));
    t.ok(&["PSETEX", "k", "5", "v"]);
    assert_eq!(t.expire_of("k"), Some(T0 + 5));
    t.err(
        &["SETEX", "k", "0", "v"],
        "ERR invalid expire time in 'setex' command",
    );
    t.err(
        &["PSETEX", "k", "-1", "v"],
        "ERR invalid expire time in 'psetex' command",
    );
    t.err(&["SETEX", "k", "x", "v"], NOT_INT);
    t.err(
        &["SETEX", "k", "1"],
        "ERR wrong number of arguments for 'setex' command",
    );
    // An expired key is absent for SETNX.
    t.clock.advance(6);
    t.int(&["SETNX", "k", "3"], 1);
    assert_eq!(t.expire_of("k"), None);
}

#[test]
fn getset_getdel() {
    let mut t = t();
    t.nil(&["GETSET", "k", "1"]);
    t.ok(&["SET", "k", "a", "EX", "100"]);
    t.bulk(&["GETSET", "k", "123"], "a");
    assert_eq!(t.encoding("k"), "int");
    assert_eq!(t.expire_of("k"), None);
    t.bulk(&["GETDEL", "k"], "123");
    t.nil(&["GETDEL", "k"]);
    assert!(!t.exists("k"));
}

#[test]
fn getex_options() {
    let mut t = t();
    t.nil(&["GETEX", "k", "EX", "0"]);
    t.ok(&["SET", "k", "v"]);
    t.bulk(&["GETEX", "k"], "v");
    t.bulk(&["GETEX", "k", "EX", "10"], "v");
    assert_eq!(t.expire_of("k"), Some(T0 + 10_000));
    t.bulk(&["GETEX", "k", "PX", "10"], "v");
    assert_eq!(t.expire_of("k"), Some(T0 + 10));
    t.bulk(&["GETEX", "k", "PXAT", &(T0 + 99).to_string()], "v");
    assert_eq!(t.expire_of("k"), Some(T0 + 99));
    t.bulk(&["GETEX", "k", "EXAT", &(T0 / 1000 + 5).to_string()], "v");
    assert_eq!(t.expire_of("k"), Some(T0 + 5000));
    t.bulk(&["GETEX", "k", "PERSIST"], "v");
    assert_eq!(t.expire_of("k"), None);
    let invalid = "ERR invalid expire time in 'getex' command";
    t.err(&["GETEX", "k", "EX", "0"], invalid);
    t.err(&["GETEX", "k", "EX", "9223372036854776"], invalid);
    t.err(&["GETEX", "k", "PX", "x"], NOT_INT);
    for bad in [
        &["GETEX", "k", "EX", "1", "PX", "1"][..],
        &["GETEX", "k", "PERSIST", "EX", "1"],
        &["GETEX", "k", "EX", "1", "PERSIST"],
        &["GETEX", "k", "KEEPTTL"],
        &["GETEX", "k", "NX"],
        &["GETEX", "k", "GET"],
        &["GETEX", "k", "EX"],
    ] {
        t.err(bad, SYNTAX);
    }
    // A past absolute time deletes the key after replying with it.
    t.bulk(&["GETEX", "k", "PXAT", &(T0 - 1).to_string()], "v");
    assert!(!t.exists("k"));
    t.ok(&["SET", "k", "v"]);
    t.bulk(&["GETEX", "k", "PXAT", &T0.to_string()], "v");
    assert!(!t.exists("k"));
}

#[test]
fn mget_mset_msetnx() {
    let mut t = t();
    t.ok(&["MSET", "a", "1", "b", "2", "a", "3"]);
    assert_eq!(
        t.resp(&["MGET", "a", "b", "c"]),
        "*3\r\n$1\r\n3\r\n$1\r\n2\r\n$-1\r\n"
    );
    t.err(
        &["MSET", "a", "1", "b"],
        "ERR wrong number of arguments for 'mset' command",
    );
    t.err(
        &["MSETNX", "a", "1", "b"],
        "ERR wrong number of arguments for 'msetnx' command",
    );
    t.int(&["MSETNX", "c", "1", "a", "9"], 0);
    assert!(!t.exists("c"));
    t.int(&["MSETNX", "c", "1", "d", "2"], 1);
    t.bulk(&["GET", "d"], "2");
    // An expired key does not block MSETNX.
    t.ok(&["SET", "e", "x", "PX", "5"]);
    t.clock.advance(6);
    t.int(&["MSETNX", "e", "1", "f", "2"], 1);
    assert_eq!(t.expire_of("e"), None);
}

#[test]
fn append_and_strlen() {
    let mut t = t();
    t.int(&["STRLEN", "k"], 0);
    t.int(&["APPEND", "k", "12"], 2);
    assert_eq!(t.encoding("k"), "int");
    t.int(&["STRLEN", "k"], 2);
    t.int(&["APPEND", "k", "3"], 3);
    assert_eq!(t.encoding("k"), "raw");
    t.bulk(&["GET", "k"], "123");
    t.int(&["INCR", "k"], 124);
    assert_eq!(t.encoding("k"), "int");
    t.ok(&["SET", "n", "-1234567890"]);
    t.int(&["STRLEN", "n"], 11);
    t.ok(&["SET", "k", "v", "EX", "100"]);
    t.int(&["APPEND", "k", ""], 1);
    assert_eq!(t.expire_of("k"), Some(T0 + 100_000));
    t.engine.config.proto_max_bulk_len = 4;
    t.int(&["APPEND", "k", "abc"], 4);
    t.err(
        &["APPEND", "k", "x"],
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
    );
}

#[test]
fn getrange_indexes() {
    let mut t = t();
    t.bulk(&["GETRANGE", "k", "0", "-1"], "");
    t.ok(&["SET", "k", "Hello World"]);
    let cases: &[(&str, &str, &str)] = &[
        ("0", "4", "Hello"),
        ("-5", "-1", "World"),
        ("-1", "-5", ""),
        ("5", "3", ""),
        ("0", "-100", "H"),
        ("-100", "2", "Hel"),
        ("3", "100", "lo World"),
        ("11", "20", ""),
        ("-9223372036854775808", "9223372036854775807", "Hello World"),
    ];
    for (s, e, want) in cases {
        t.bulk(&["GETRANGE", "k", s, e], want);
        t.bulk(&["SUBSTR", "k", s, e], want);
    }
    t.ok(&["SET", "n", "12345"]);
    t.bulk(&["GETRANGE", "n", "1", "-2"], "234");
    t.ok(&["SET", "e", ""]);
    t.bulk(&["GETRANGE", "e", "0", "-1"], "");
    t.err(&["GETRANGE", "k", "a", "1"], NOT_INT);
    t.err(&["GETRANGE", "nokey", "0", "1.0"], NOT_INT);
}

#[test]
fn setrange_rules() {
    let mut t = t();
    let too_big = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
    t.int(&["SETRANGE", "k", "0", ""], 0);
    t.int(&["SETRANGE", "k", "999999999999", ""], 0);
    assert!(!t.exists("k"));
    t.err(&["SETRANGE", "k", "-1", "x"], "ERR offset is out of range");
    t.err(&["SETRANGE", "k", "x", "x"], NOT_INT);
    t.err(&["SETRANGE", "k", "536870911", "xx"], too_big);
    t.err(&["SETRANGE", "k", "9223372036854775807", "x"], too_big);
    t.int(&["SETRANGE", "k", "3", "ab"], 5);
    assert_eq!(t.run(&["GET", "k"]), Reply::bulk(b"\0\0\0ab"));
    assert_eq!(t.encoding("k"), "raw");
    t.ok(&["SET", "n", "123"]);
    t.int(&["SETRANGE", "n", "1", ""], 3);
    assert_eq!(t.encoding("n"), "int");
    t.int(&["SETRANGE", "n", "1", "x"], 3);
    assert_eq!(t.encoding("n"), "raw");
    t.bulk(&["GET", "n"], "1x3");
    t.ok(&["SET", "s", "hello", "EX", "100"]);
    t.int(&["SETRANGE", "s", "0", "J"], 5);
    t.bulk(&["GET", "s"], "Jello");
    assert_eq!(t.expire_of("s"), Some(T0 + 100_000));
    t.err(&["SETRANGE", "s", "536870912", "x"], too_big);
}

#[test]
fn counters() {
    let mut t = t();
    t.int(&["INCR", "c"], 1);
    t.int(&["INCRBY", "c", "10"], 11);
    t.int(&["DECR", "c"], 10);
    t.int(&["DECRBY", "c", "-5"], 15);
    assert_eq!(t.encoding("c"), "int");
    t.ok(&["SET", "c", "9223372036854775806"]);
    t.int(&["INCR", "c"], i64::MAX);
    t.err(&["INCR", "c"], "ERR increment or decrement would overflow");
    t.ok(&["SET", "c", "-9223372036854775807"]);
    t.int(&["DECR", "c"], i64::MIN);
    t.err(&["DECR", "c"], "ERR increment or decrement would overflow");
    t.err(
        &["DECRBY", "c", "-9223372036854775808"],
        "ERR decrement would overflow",
    );
    t.err(&["INCRBY", "c", "1.0"], NOT_INT);
    for bad in ["abc", "01", " 1", "1.5", "", "99999999999999999999"] {
        t.ok(&["SET", "s", bad]);
        t.err(&["INCR", "s"], NOT_INT);
    }
    // The key keeps its TTL; a raw-encoded number comes back as int.
    t.ok(&["SET", "x", "5", "EX", "100"]);
    t.int(&["APPEND", "x", "0"], 2);
    t.int(&["INCRBY", "x", "-100"], -50);
    assert_eq!(t.encoding("x"), "int");
    assert_eq!(t.expire_of("x"), Some(T0 + 100_000));
}

#[test]
fn lcs_replies() {
    let mut t = t();
    t.ok(&["MSET", "key1", "ohmytext", "key2", "mynewtext"]);
    t.bulk(&["LCS", "key1", "key2"], "mytext");
    t.int(&["LCS", "key1", "key2", "LEN"], 6);
    assert_eq!(
        t.resp(&["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "0"]),
        "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n\
         *2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"
    );
    assert_eq!(
        t.resp(&["LCS", "key1", "key2", "IDX", "WITHMATCHLEN"]),
        "*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n\
         *3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n"
    );
    assert_eq!(
        t.resp(&["LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4"]),
        "*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n\
         $3\r\nlen\r\n:6\r\n"
    );
    t.bulk(&["LCS", "key1", "missing"], "");
    t.int(&["LCS", "missing", "key2", "LEN"], 0);
    t.err(
        &["LCS", "key1", "key2", "IDX", "LEN"],
        "ERR If you want both the length and indexes, please just use IDX.",
    );
    t.err(&["LCS", "key1", "key2", "MINMATCHLEN"], SYNTAX);
    t.err(&["LCS", "key1", "key2", "MINMATCHLEN", "x"], NOT_INT);
    t.err(&["LCS", "key1", "key2", "foo"], SYNTAX);
    t.ok(&["SET", "n", "12345"]);
    t.ok(&["SET", "m", "2x4"]);
    t.bulk(&["LCS", "n", "m"], "24");
    t.engine.config.proto_max_bulk_len = 100;
    t.err(
        &["LCS", "key1", "key2"],
        "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
    );
}

#[test]
fn propagation_forms() {
    let mut t = t();
    t.ok(&["SET", "a", "1", "EX", "100"]);
    t.ok(&["set", "a", "1", "XX", "px", "100"]);
    t.bulk(&["set", "a", "2", "GET"], "1");
    t.bulk(&["SET", "a", "3", "get", "KEEPTTL", "GET"], "2");
    t.bulk(&["SET", "a", "4", "GET", "EXAT", "2000000000"], "3");
    t.nil(&["SET", "a", "5", "NX"]);
    t.ok(&["SETEX", "b", "10", "v"]);
    t.ok(&["PSETEX", "b", "10", "v"]);
    t.int(&["SETNX", "c", "v"], 1);
    t.nil(&["GETSET", "d", "v"]);
    t.bulk(&["GETEX", "b", "EX", "7"], "v");
    t.bulk(&["GETEX", "b", "PERSIST"], "v");
    t.bulk(&["GETEX", "b", "PERSIST"], "v");
    t.bulk(&["GETEX", "b"], "v");
    t.bulk(&["GETEX", "b", "EXAT", "1"], "v");
    t.bulk(&["GETDEL", "c"], "v");
    t.nil(&["GETDEL", "c"]);
    t.int(&["INCR", "n"], 1);
    t.int(&["APPEND", "n", "0"], 2);
    t.int(&["SETRANGE", "n", "0", "5"], 2);
    t.ok(&["MSET", "x", "1", "y", "2"]);
    t.bulk(&["GET", "x"], "1");
    let at = |ms: i64| (T0 + ms).to_string();
    assert_eq!(
        t.take_props(),
        vec![
            format!("SET a 1 PXAT {}", at(100_000)),
            format!("SET a 1 PXAT {}", at(100)),
            "set a 2".into(),
            "SET a 3 KEEPTTL".into(),
            "SET a 4 PXAT 2000000000000".into(),
            format!("SET b v PXAT {}", at(10_000)),
            format!("SET b v PXAT {}", at(10)),
            "SETNX c v".into(),
            "SET d v".into(),
            format!("PEXPIREAT b {}", at(7000)),
            "PERSIST b".into(),
            "DEL b".into(),
            "DEL c".into(),
            "INCR n".into(),
            "APPEND n 0".into(),
            "SETRANGE n 0 5".into(),
            "MSET x 1 y 2".into(),
        ]
    );
}

#[test]
fn keyspace_events() {
    let mut t = t();
    t.ok(&["SET", "a", "1", "EX", "100"]);
    t.ok(&["MSET", "a", "1", "b", "2"]);
    t.int(&["MSETNX", "a", "1"], 0);
    t.int(&["INCRBY", "a", "2"], 3);
    t.int(&["APPEND", "a", "x"], 2);
    t.int(&["SETRANGE", "a", "0", "y"], 2);
    t.int(&["SETRANGE", "a", "0", ""], 2);
    t.bulk(&["GETEX", "a", "PX", "100"], "yx");
    t.bulk(&["GETEX", "a", "PERSIST"], "yx");
    t.bulk(&["GETEX", "a", "PERSIST"], "yx");
    t.bulk(&["GETDEL", "a"], "yx");
    t.bulk(&["GETSET", "b", "3"], "2");
    t.bulk(&["GETEX", "b", "EXAT", "1"], "3");
    assert_eq!(
        t.take_events(),
        vec![
            "set a",
            "expire a",
            "set a",
            "set b",
            "incrby a",
            "append a",
            "setrange a",
            "expire a",
            "persist a",
            "del a",
            "set b",
            "del b"
        ]
    );
}

#[test]
fn options_are_case_insensitive() {
    let mut t = t();
    t.ok(&["set", "k", "v", "eX", "10", "nX"]);
    t.nil(&["SET", "k", "v", "Nx"]);
    t.ok(&["SET", "k", "v", "kEePtTl"]);
    assert_eq!(t.expire_of("k"), Some(T0 + 10_000));
    t.bulk(&["getex", "k", "pErSiSt"], "v");
    assert_eq!(t.expire_of("k"), None);
    t.int(&["lcs", "k", "k", "len"], 1);
}

#[test]
fn incrbyfloat_semantics() {
    let mut t = t();
    let not_float = "ERR value is not a valid float";
    t.bulk(&["INCRBYFLOAT", "f", "0.1"], "0.1");
    t.bulk(&["INCRBYFLOAT", "f", "0.2"], "0.3");
    t.bulk(&["INCRBYFLOAT", "f", "-0.3"], "0");
    assert_eq!(t.encoding("f"), "embstr");
    t.bulk(
        &["INCRBYFLOAT", "f", "1e30"],
        "1000000000000000000024696061952",
    );
    t.ok(&["SET", "i", "10", "EX", "100"]);
    t.bulk(&["INCRBYFLOAT", "i", "5"], "15");
    // Stored as text even when it reads as an integer; the TTL stays.
    assert_eq!(t.encoding("i"), "embstr");
    assert_eq!(t.expire_of("i"), Some(T0 + 100_000));
    t.int(&["INCR", "i"], 16);
    t.err(&["INCRBYFLOAT", "i", "abc"], not_float);
    t.err(&["INCRBYFLOAT", "i", " 1"], not_float);
    t.err(&["INCRBYFLOAT", "i", "nan"], not_float);
    t.err(
        &["INCRBYFLOAT", "i", "inf"],
        "ERR increment would produce NaN or Infinity",
    );
    t.ok(&["SET", "s", "text"]);
    t.err(&["INCRBYFLOAT", "s", "1"], not_float);
    t.take_props();
    t.take_events();
    t.bulk(&["INCRBYFLOAT", "i", "1.5"], "17.5");
    assert_eq!(t.take_props(), vec!["SET i 17.5 KEEPTTL"]);
    assert_eq!(t.take_events(), vec!["incrbyfloat i"]);
}

#[test]
fn lazyfree_options_propagate_unlink() {
    let mut t = t();
    t.engine.config.lazyfree_lazy_user_del = true;
    t.engine.config.lazyfree_lazy_expire = true;
    t.ok(&["MSET", "a", "1", "b", "2"]);
    t.bulk(&["GETDEL", "a"], "1");
    t.bulk(&["GETEX", "b", "PXAT", "1"], "2");
    assert_eq!(t.take_props(), vec!["MSET a 1 b 2", "UNLINK a", "UNLINK b"]);
}

/// SETRANGE creating a key allocates the string exactly, as Redis's
/// sdsnewlen (a vector of the zeroes grown by the value doubled: 200 KB
/// for a 100 KB string, and eviction counted it so).
#[test]
fn setrange_on_a_new_key_is_exactly_sized() {
    let mut t = t();
    t.int(&["SETRANGE", "k", "100000", "x"], 100_001);
    let value = t.engine.dbs[0].get_raw(b"k").expect("created");
    let bytes = value.heap_bytes(5);
    assert!(
        bytes < 100_001 + 64,
        "{bytes} bytes for a 100001-byte string"
    );
}
