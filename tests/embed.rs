//! The embedding API: `ember::Ember` in-process with typed replies and an injected
//! clock, and `ember::start_server` with a real client (the `redis` crate).

use ember::{Config, Ember, ManualClock, Reply};
use std::sync::Arc;

#[test]
fn execute_returns_typed_replies() {
    let mut db = Ember::new();
    assert_eq!(db.execute(["PING"]), Reply::status("PONG"));
    assert_eq!(db.execute(["PING", "hi"]), Reply::bulk("hi"));
    assert_eq!(db.execute(["ECHO", "echoed"]), Reply::bulk("echoed"));
    assert_eq!(db.execute(["SET", "greeting", "hello"]), Reply::OK);
    assert_eq!(db.execute(["GET", "greeting"]), Reply::bulk("hello"));
    assert_eq!(db.execute(["GET", "missing"]), Reply::Nil);
    // Arguments may be any byte strings: &str, String, Vec<u8>, &[u8].
    let key = String::from("owned");
    assert_eq!(
        db.execute(vec![
            b"SET".to_vec(),
            key.clone().into_bytes(),
            vec![0, 1, 2]
        ]),
        Reply::OK
    );
    assert_eq!(
        db.execute([b"GET".as_slice(), key.as_bytes()]),
        Reply::bulk([0u8, 1, 2])
    );
}

#[test]
fn errors_are_replies_with_redis_texts() {
    let mut db = Ember::new();
    assert_eq!(
        db.execute(["NOSUCH", "a"]),
        Reply::error("ERR unknown command 'NOSUCH', with args beginning with: 'a' ")
    );
    assert_eq!(
        db.execute(["GET"]),
        Reply::error("ERR wrong number of arguments for 'get' command")
    );
    assert_eq!(
        db.execute(["SELECT", "99"]),
        Reply::error("ERR DB index is out of range")
    );
    assert!(db.execute(["SELECT", "x"]).is_error());
    // Nothing was lost or broken by the errors.
    assert_eq!(db.execute(["PING"]), Reply::status("PONG"));
}

#[test]
fn select_switches_databases_of_the_session() {
    let mut db = Ember::new();
    db.execute(["SET", "k", "zero"]);
    assert_eq!(db.execute(["SELECT", "5"]), Reply::OK);
    assert_eq!(db.execute(["GET", "k"]), Reply::Nil);
    db.execute(["SET", "k", "five"]);
    db.execute(["SELECT", "0"]);
    assert_eq!(db.execute(["GET", "k"]), Reply::bulk("zero"));
    assert_eq!(db.engine().dbs[5].len(), 1);
}

#[test]
fn with_config_sets_the_number_of_databases() {
    let mut db = Ember::with_config(Config {
        databases: 2,
        ..Config::default()
    });
    assert_eq!(db.execute(["SELECT", "1"]), Reply::OK);
    assert_eq!(
        db.execute(["SELECT", "2"]),
        Reply::error("ERR DB index is out of range")
    );
}

#[test]
fn expiry_follows_the_manual_clock() {
    let clock = ManualClock::new(1_700_000_000_000);
    let mut db = Ember::with_clock(Arc::new(clock.clone()));
    assert_eq!(db.execute(["SET", "px", "v", "PX", "1500"]), Reply::OK);
    assert_eq!(db.execute(["SET", "ex", "v", "EX", "10"]), Reply::OK);
    assert_eq!(db.execute(["SET", "forever", "v"]), Reply::OK);

    // As in Redis, a key expires once the clock is strictly past its deadline.
    clock.advance(1500);
    assert_eq!(db.execute(["GET", "px"]), Reply::bulk("v"));
    clock.advance(1);
    assert_eq!(
        db.execute(["GET", "px"]),
        Reply::Nil,
        "expired 1 ms after the deadline"
    );
    assert_eq!(db.execute(["GET", "ex"]), Reply::bulk("v"));

    clock.advance(8_499);
    assert_eq!(db.execute(["GET", "ex"]), Reply::bulk("v"));
    clock.advance(1);
    assert_eq!(db.execute(["GET", "ex"]), Reply::Nil);
    assert_eq!(db.execute(["GET", "forever"]), Reply::bulk("v"));

    // Absolute expiry times are read against the same clock.
    let at = (1_700_000_000_000i64 + 20_000).to_string();
    assert_eq!(db.execute(["SET", "pxat", "v", "PXAT", &at]), Reply::OK);
    clock.set(1_700_000_000_000 + 20_000);
    assert_eq!(db.execute(["GET", "pxat"]), Reply::bulk("v"));
    clock.set(1_700_000_000_000 + 20_001);
    assert_eq!(db.execute(["GET", "pxat"]), Reply::Nil);
}

#[test]
fn tick_expires_keys_nobody_reads() {
    let clock = ManualClock::new(1_000_000);
    let mut db = Ember::with_clock(Arc::new(clock.clone()));
    for i in 0..50 {
        let key = format!("k{i}");
        assert_eq!(db.execute(["SET", &key, "v", "PX", "100"]), Reply::OK);
    }
    db.execute(["SET", "kept", "v"]);
    assert_eq!(db.engine().dbs[0].len(), 51);
    clock.advance(101);
    // Active expiry samples keys; a few rounds clear all of them.
    for _ in 0..50 {
        db.tick();
        if db.engine().dbs[0].len() == 1 {
            break;
        }
    }
    assert_eq!(db.engine().dbs[0].len(), 1);
    assert_eq!(db.execute(["GET", "kept"]), Reply::bulk("v"));
}

#[test]
fn instances_are_independent() {
    let mut a = Ember::new();
    let mut b = Ember::default();
    a.execute(["SET", "k", "a"]);
    assert_eq!(b.execute(["GET", "k"]), Reply::Nil);
    assert_eq!(a.execute(["GET", "k"]), Reply::bulk("a"));
}

fn client(port: u16) -> redis::Connection {
    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .expect("client")
        .get_connection()
        .expect("connect")
}

#[test]
fn server_on_port_zero_speaks_to_a_redis_client() {
    let handle = ember::start_server(Config {
        port: 0,
        ..Config::default()
    })
    .expect("start server");
    assert_ne!(handle.port, 0, "the bound port is reported");
    let mut con = client(handle.port);
    let pong: String = redis::cmd("PING").query(&mut con).unwrap();
    assert_eq!(pong, "PONG");
    let () = redis::cmd("SET")
        .arg("key")
        .arg("value")
        .query(&mut con)
        .unwrap();
    let v: String = redis::cmd("GET").arg("key").query(&mut con).unwrap();
    assert_eq!(v, "value");
    let missing: Option<String> = redis::cmd("GET").arg("nope").query(&mut con).unwrap();
    assert_eq!(missing, None);
    let bin: Vec<u8> = vec![0, 255, b'\r', b'\n'];
    let () = redis::cmd("SET")
        .arg("bin")
        .arg(&bin)
        .query(&mut con)
        .unwrap();
    let back: Vec<u8> = redis::cmd("GET").arg("bin").query(&mut con).unwrap();
    assert_eq!(back, bin);
    let err = redis::cmd("NOSUCH").query::<()>(&mut con).unwrap_err();
    assert!(err.to_string().contains("unknown command"), "{err}");
    // A pipeline in one round trip.
    let (a, b): (String, Option<String>) = redis::pipe()
        .cmd("GET")
        .arg("key")
        .cmd("GET")
        .arg("nope")
        .query(&mut con)
        .unwrap();
    assert_eq!((a.as_str(), b), ("value", None));
    // The handle shares the engine with the server.
    assert_eq!(handle.engine.lock().dbs[0].len(), 2);
    let port = handle.port;
    drop(con);
    handle.stop();
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens after stop()"
    );
}

#[test]
fn servers_are_independent_and_stop_on_drop() {
    let a = ember::start_server(Config {
        port: 0,
        ..Config::default()
    })
    .unwrap();
    let b = ember::start_server(Config {
        port: 0,
        ..Config::default()
    })
    .unwrap();
    assert_ne!(a.port, b.port);
    let mut ca = client(a.port);
    let mut cb = client(b.port);
    let () = redis::cmd("SET").arg("k").arg("a").query(&mut ca).unwrap();
    let v: Option<String> = redis::cmd("GET").arg("k").query(&mut cb).unwrap();
    assert_eq!(v, None);
    let port = b.port;
    drop(cb);
    drop(b);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    let v: String = redis::cmd("GET").arg("k").query(&mut ca).unwrap();
    assert_eq!(v, "a");
}

#[test]
fn embedded_blocking_pop_answers_like_a_timeout() {
    let mut db = ember::Ember::new();
    // No other client can push, so BLPOP must not hang: it answers nil at once.
    assert_eq!(
        db.execute(["BLPOP", "nothing", "0"]),
        ember::Reply::NilArray
    );
    db.execute(["RPUSH", "q", "job"]);
    assert_eq!(
        db.execute(["BLPOP", "q", "0"]),
        ember::Reply::Array(vec![ember::Reply::bulk("q"), ember::Reply::bulk("job")])
    );
}
