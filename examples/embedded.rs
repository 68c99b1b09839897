//! Ember in-process: no socket, commands in, typed replies out.
//!
//! Run with `cargo run --example embedded`.

use ember::{Ember, ManualClock, Reply};
use std::sync::Arc;

fn main() {
    let mut db = Ember::new();
    assert_eq!(db.execute(["SET", "greeting", "hello"]), Reply::OK);
    match db.execute(["GET", "greeting"]) {
        Reply::Bulk(value) => println!("greeting = {}", String::from_utf8_lossy(&value)),
        other => println!("unexpected reply: {other:?}"),
    }
    // Errors are replies too, with Redis's texts.
    if let Reply::Error(text) = db.execute(["NOSUCH"]) {
        println!("error: {text}");
    }

    // With a manual clock, expiry happens when the test says so.
    let clock = ManualClock::new(1_700_000_000_000);
    let mut timed = Ember::with_clock(Arc::new(clock.clone()));
    timed.execute(["SET", "session", "token", "PX", "1000"]);
    println!("before: {:?}", timed.execute(["GET", "session"]));
    clock.advance(1000);
    println!("at the deadline: {:?}", timed.execute(["GET", "session"]));
    clock.advance(1); // keys expire once the clock is past their deadline
    println!("1 ms later: {:?}", timed.execute(["GET", "session"]));
}
