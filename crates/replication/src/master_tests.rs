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
    let c2 = e.add_client();
    e.execute(c2, &argv(&["SET", "k2", "v"]));
    let before = master::master_offset(&e);
    assert!(e.execute(c, &argv(&["WAIT", "1", "0"])).is_none());
    assert!(e.execute(c2, &argv(&["WAIT", "1", "0"])).is_none());
    // The GETACK goes out after the command (Redis's beforeSleep).
    assert_eq!(master::master_offset(&e), before);
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

/// WAIT waits for the caller's own last write (Redis's `c->woff`), not for
/// the end of the stream: writes of other clients do not hold it back, and
/// a client that never wrote is answered at once.
#[test]
fn wait_uses_the_callers_own_write_offset() {
    let (mut e, _clock) = engine();
    let r = replica(&mut e);
    let c = e.add_client();
    e.execute(c, &argv(&["SET", "mine", "1"]));
    let mine = master::master_offset(&e);
    assert_eq!(e.clients[&c].woff, mine);
    e.execute(r, &argv(&["REPLCONF", "ACK", &mine.to_string()]));
    // Another client writes: the stream moves past what the replica acked.
    let other = e.add_client();
    e.execute(other, &argv(&["SET", "theirs", "2"]));
    assert!(master::master_offset(&e) > mine);
    // Reads do not move `woff`.
    e.execute(c, &argv(&["GET", "mine"]));
    assert_eq!(e.clients[&c].woff, mine);
    assert_eq!(
        e.execute(c, &argv(&["WAIT", "1", "0"])),
        Some(ember_core::Reply::Integer(1))
    );
    let idle = e.add_client();
    assert_eq!(
        e.execute(idle, &argv(&["WAIT", "1", "0"])),
        Some(ember_core::Reply::Integer(1))
    );
    // The writer of the unacknowledged bytes waits.
    assert!(e.execute(other, &argv(&["WAIT", "1", "0"])).is_none());
    let end = master::master_offset(&e);
    e.execute(r, &argv(&["REPLCONF", "ACK", &end.to_string()]));
    assert_eq!(e.take_pending(other), b":1\r\n");
}

/// CLIENT UNBLOCK on a WAIT answers the acknowledgements so far (Redis's
/// replyToBlockedClientTimedOut for BLOCKED_WAIT); with ERROR, the error.
#[test]
fn client_unblock_on_wait_replies_the_count() {
    let (mut e, _clock) = engine();
    let r = replica(&mut e);
    let c = e.add_client();
    e.execute(c, &argv(&["SET", "k", "v"]));
    let off = master::master_offset(&e);
    e.execute(r, &argv(&["REPLCONF", "ACK", &off.to_string()]));
    assert!(e.execute(c, &argv(&["WAIT", "2", "0"])).is_none());
    let admin = e.add_client();
    let id = c.to_string();
    assert_eq!(
        e.execute(admin, &argv(&["CLIENT", "UNBLOCK", &id])),
        Some(ember_core::Reply::Integer(1))
    );
    assert_eq!(e.take_pending(c), b":1\r\n");
    assert_eq!(crate::wait::waiting(&e), 0);
    assert!(e.execute(c, &argv(&["WAIT", "2", "0"])).is_none());
    e.execute(admin, &argv(&["CLIENT", "UNBLOCK", &id, "ERROR"]));
    assert_eq!(
        e.take_pending(c),
        b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    // A timeout after an UNBLOCK leaves nothing behind to answer twice.
    e.cron();
    assert_eq!(e.take_pending(c), b"");
}

/// PUBLISH inside MULTI/EXEC reaches replicas inside the transaction, in
/// order (Redis's alsoPropagate with PROPAGATE_REPL), and never the AOF.
#[test]
fn publish_inside_multi_is_propagated_inside_the_transaction() {
    let (mut e, _clock) = engine();
    let r = replica(&mut e);
    crate::flush(&mut e);
    e.take_pending(r);
    let seen = Arc::new(parking_lot::Mutex::new(Vec::<String>::new()));
    let aof = seen.clone();
    e.add_propagation_sink(Box::new(move |_, argv| {
        aof.lock()
            .push(String::from_utf8_lossy(&argv[0]).to_uppercase());
    }));
    let c = e.add_client();
    for cmd in [
        &["MULTI"][..],
        &["SET", "a", "1"],
        &["PUBLISH", "ch", "hi"],
        &["SET", "b", "2"],
        &["EXEC"],
    ] {
        e.execute(c, &argv(cmd));
    }
    crate::flush(&mut e);
    let stream = String::from_utf8_lossy(&e.take_pending(r)).into_owned();
    let names: Vec<&str> = stream
        .split("\r\n")
        .filter(|l| ["MULTI", "SET", "PUBLISH", "EXEC"].contains(l))
        .collect();
    assert_eq!(
        names,
        ["MULTI", "SET", "PUBLISH", "SET", "EXEC"],
        "{stream}"
    );
    assert_eq!(*seen.lock(), ["MULTI", "SET", "SET", "EXEC"]);
    // A lone PUBLISH in a transaction goes alone, to replicas only.
    for cmd in [&["MULTI"][..], &["PUBLISH", "ch", "x"], &["EXEC"]] {
        e.execute(c, &argv(cmd));
    }
    crate::flush(&mut e);
    let stream = String::from_utf8_lossy(&e.take_pending(r)).into_owned();
    assert_eq!(stream, "*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$1\r\nx\r\n");
    assert_eq!(seen.lock().len(), 4);
}

/// Disk-based full sync as Redis does it: a normal BGSAVE to
/// `dir`/`dbfilename`, whose file is then streamed as `$<len>`; a second
/// disk-based replica arriving while that BGSAVE runs attaches to it (same
/// offset, same file, the stream held since), and a BGSAVE of the user's
/// running when a replica arrives delays it without refusing it.
#[test]
fn disk_sync_streams_the_bgsave_file_and_attaches_late_replicas() {
    let dir = std::env::temp_dir().join(format!("ember-repl-disk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let clock = Arc::new(ManualClock::new(1_000_000));
    let mut b = Engine::builder().clock(clock.clone());
    b.config.repl_diskless_sync = false;
    b.config.dir = dir.to_string_lossy().into_owned();
    let mut e = crate::build(ember_persistence::install(b));
    let c = e.add_client();
    for i in 0..200 {
        e.execute(c, &argv(&["SET", &format!("k{i}"), "v"]));
    }
    // A user BGSAVE runs: the replica waits for the next one.
    e.execute(c, &argv(&["BGSAVE"]));
    let r1 = e.add_client();
    e.execute(r1, &argv(&["REPLCONF", "capa", "eof", "capa", "psync2"]));
    assert!(e.execute(r1, &argv(&["PSYNC", "?", "-1"])).is_none());
    assert_eq!(fullsync::replica_state(&e, r1), "wait_bgsave");
    assert_eq!(e.take_pending(r1), b"");
    ember_persistence::snapshot::run_to_completion(&mut e);
    e.cron();
    let head1 = String::from_utf8(e.take_pending(r1)).unwrap();
    // (After a keepalive newline.)
    let head1 = head1.trim_start_matches('\n').to_string();
    assert!(head1.starts_with("+FULLRESYNC "), "{head1:?}");
    assert_eq!(fullsync::replica_state(&e, r1), "wait_bgsave");
    // Written after the snapshot: in the stream that follows the payload.
    e.execute(c, &argv(&["SET", "late", "1"]));
    let r2 = e.add_client();
    e.execute(r2, &argv(&["REPLCONF", "capa", "eof"]));
    assert!(e.execute(r2, &argv(&["PSYNC", "?", "-1"])).is_none());
    let head2 = String::from_utf8(e.take_pending(r2)).unwrap();
    assert_eq!(head1, head2, "attached to the same BGSAVE");
    ember_persistence::snapshot::run_to_completion(&mut e);
    let file = std::fs::read(dir.join("dump.rdb")).unwrap();
    let mut outs = [Vec::new(), Vec::new()];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while [r1, r2]
        .iter()
        .any(|&r| fullsync::replica_state(&e, r) != "online")
    {
        assert!(std::time::Instant::now() < deadline, "transfer never ended");
        crate::flush(&mut e);
        for (out, r) in outs.iter_mut().zip([r1, r2]) {
            out.extend(e.take_pending(r));
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    crate::flush(&mut e);
    for (out, r) in outs.iter_mut().zip([r1, r2]) {
        out.extend(e.take_pending(r));
        let prefix = format!("${}\r\n", file.len());
        assert!(out.starts_with(prefix.as_bytes()));
        let rest = &out[prefix.len()..];
        assert_eq!(&rest[..file.len()], &file[..]);
        let stream = String::from_utf8_lossy(&rest[file.len()..]).into_owned();
        assert!(stream.starts_with("*2\r\n$6\r\nSELECT"), "{stream:?}");
        assert!(stream.contains("$4\r\nlate\r\n"), "{stream:?}");
    }
    // Two BGSAVEs in all (the user's and the replicas' one).
    let st = ember_persistence::save::state(&mut e);
    assert_eq!((st.rdb_saves, st.last_bgsave_ok), (2, true));
    let _ = std::fs::remove_dir_all(&dir);
}
