//! Engine-level tests of the master side with a manual clock: WAIT's
//! timeout and GETACK, the backlog TTL, replica states and counters.

use crate::{fullsync, ids, master};
use ember_core::clock::ManualClock;
use ember_core::{Bytes, Engine};
use std::sync::Arc;

fn engine() -> (Engine, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(1_000_000));
    let mut b = Engine::builder().clock(clock.clone());
    b.config.repl_diskless_sync_delay = 0;
    let e = crate::build(ember_persistence::install(b));
    (e, clock)
}

fn argv(parts: &[&str]) -> Vec<Bytes> {
    parts
        .iter()
        .map(|p| Bytes::copy_from_slice(p.as_bytes()))
        .collect()
}

/// A replica client that asked for a full sync (and got it).
fn replica(e: &mut Engine) -> u64 {
    let id = e.add_client();
    e.execute(id, &argv(&["REPLCONF", "capa", "eof", "capa", "psync2"]));
    assert!(e.execute(id, &argv(&["PSYNC", "?", "-1"])).is_none());
    ember_persistence::snapshot::run_to_completion(e);
    crate::flush(e);
    let out = e.take_pending(id);
    assert!(out.starts_with(b"+FULLRESYNC "), "{:?}", &out[..20]);
    // The first acknowledgement starts the stream after a diskless payload.
    e.execute(id, &argv(&["REPLCONF", "ACK", "0"]));
    id
}

#[test]
fn wait_times_out_with_the_count() {
    let (mut e, clock) = engine();
    let c = e.add_client();
    assert_eq!(
        e.execute(c, &argv(&["WAIT", "0", "0"])),
        Some(ember_core::Reply::Integer(0))
    );
    assert!(e.execute(c, &argv(&["WAIT", "1", "100"])).is_none());
    assert!(e.is_blocked(c));
    assert_eq!(crate::wait::waiting(&e), 1);
    clock.advance(50);
    e.cron();
    assert!(e.is_blocked(c));
    clock.advance(60);
    e.cron();
    assert!(!e.is_blocked(c));
    assert_eq!(e.take_pending(c), b":0\r\n");
}

#[test]
fn wait_asks_for_acks_once_and_counts_them() {
    let (mut e, _clock) = engine();
    let r = replica(&mut e);
    let c = e.add_client();
    e.execute(c, &argv(&["SET", "k", "v"]));
    let before = master::master_offset(&e);
    assert!(e.execute(c, &argv(&["WAIT", "1", "0"])).is_none());
    let c2 = e.add_client();
    assert!(e.execute(c2, &argv(&["WAIT", "1", "0"])).is_none());
    crate::flush(&mut e);
    let stream = e.take_pending(r);
    let getack = b"*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";
    // One GETACK for both waiters, after the write.
    assert!(
        stream.ends_with(getack),
        "{:?}",
        String::from_utf8_lossy(&stream)
    );
    assert_eq!(
        stream.windows(getack.len()).filter(|w| w == getack).count(),
        1
    );
    // The replica acknowledges the offset before the GETACK.
    e.execute(r, &argv(&["REPLCONF", "ACK", &before.to_string()]));
    assert_eq!(e.take_pending(r), b"");
    assert_eq!(e.take_pending(c), b":1\r\n");
    assert_eq!(e.take_pending(c2), b":1\r\n");
    assert_eq!(fullsync::replica_state(&e, r), "online");
}

#[test]
fn backlog_ttl_frees_the_backlog_and_renews_the_id() {
    let (mut e, clock) = engine();
    e.config.repl_backlog_ttl = 2;
    let r = replica(&mut e);
    let id = e.replid.clone();
    e.remove_client(r);
    e.cron();
    clock.advance(1500);
    e.cron();
    let info = master::info_section(&e);
    assert!(info.contains("repl_backlog_active:1\r\n"), "{info}");
    clock.advance(1000);
    e.cron();
    let info = master::info_section(&e);
    assert!(info.contains("connected_slaves:0\r\n"), "{info}");
    assert!(info.contains("repl_backlog_active:0\r\n"), "{info}");
    assert!(
        info.contains("repl_backlog_first_byte_offset:0\r\n"),
        "{info}"
    );
    assert_ne!(e.replid, id);
    assert_eq!(ids::second_offset(&e), -1);
    // Writes are not counted while nobody needs the stream.
    let off = master::master_offset(&e);
    let c = e.add_client();
    e.execute(c, &argv(&["SET", "k", "v"]));
    assert_eq!(master::master_offset(&e), off);
}

#[test]
fn replica_states_and_the_diskless_delay() {
    let clock = Arc::new(ManualClock::new(1_000_000));
    let mut b = Engine::builder().clock(clock.clone());
    b.config.repl_diskless_sync_delay = 2;
    let mut e = crate::build(ember_persistence::install(b));
    let r = e.add_client();
    e.execute(r, &argv(&["REPLCONF", "capa", "eof"]));
    e.execute(r, &argv(&["PSYNC", "?", "-1"]));
    assert_eq!(fullsync::replica_state(&e, r), "wait_bgsave");
    clock.advance(1000);
    e.cron();
    // Still waiting: only keepalive newlines so far.
    assert_eq!(fullsync::replica_state(&e, r), "wait_bgsave");
    assert_eq!(e.take_pending(r), b"\n");
    clock.advance(1100);
    e.cron();
    ember_persistence::snapshot::run_to_completion(&mut e);
    crate::flush(&mut e);
    let out = e.take_pending(r);
    let text = String::from_utf8_lossy(&out);
    // (Possibly after one more keepalive newline.)
    assert!(
        text.trim_start_matches('\n').starts_with("+FULLRESYNC "),
        "{text}"
    );
    assert!(text.contains("\r\n$EOF:"), "{text}");
    // Online once sent, the stream waits for the first ACK.
    assert_eq!(fullsync::replica_state(&e, r), "online");
    let c = e.add_client();
    e.execute(c, &argv(&["SET", "k", "v"]));
    crate::flush(&mut e);
    assert_eq!(e.take_pending(r), b"");
    e.execute(r, &argv(&["REPLCONF", "ACK", "0"]));
    let stream = e.take_pending(r);
    assert!(
        stream.starts_with(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET"),
        "{:?}",
        String::from_utf8_lossy(&stream)
    );
}
