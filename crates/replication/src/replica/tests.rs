//! The replica side without sockets: REPLICAOF state, ROLE and INFO, the
//! refusals, and the stream applier (offsets, GETACK, proxying, expiry).

use super::stream::{self, Applier};
use super::{state, LinkState};
use ember_core::{Bytes, ClientId, Engine, ManualClock, Reply};
use std::sync::Arc;

fn engine() -> (Engine, ClientId, ManualClock) {
    let clock = ManualClock::new(1_000_000);
    let mut e = crate::build(Engine::builder().clock(Arc::new(clock.clone())));
    let id = e.add_client();
    (e, id, clock)
}

fn run(e: &mut Engine, id: ClientId, args: &[&str]) -> Reply {
    let argv: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.to_string())).collect();
    e.execute(id, &argv).unwrap()
}

fn resp(args: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    let parts: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    crate::encode_argv(&parts, &mut out);
    out
}

fn info(e: &Engine) -> String {
    super::info_section(e)
}

#[test]
fn replicaof_sets_state_role_and_info() {
    let (mut e, c, _) = engine();
    assert_eq!(run(&mut e, c, &["REPLICAOF", "NO", "ONE"]), Reply::OK);
    assert_eq!(
        run(&mut e, c, &["REPLICAOF", "h", "70000"]),
        Reply::error("ERR Invalid master port")
    );
    assert_eq!(run(&mut e, c, &["SLAVEOF", "10.0.0.9", "6390"]), Reply::OK);
    assert!(e.is_replica);
    assert_eq!(e.config.replicaof, Some(("10.0.0.9".into(), 6390)));
    assert_eq!(
        run(&mut e, c, &["REPLICAOF", "10.0.0.9", "6390"]),
        Reply::Status("OK Already connected to specified master".into())
    );
    assert_eq!(
        run(&mut e, c, &["ROLE"]),
        Reply::Array(vec![
            Reply::bulk("slave"),
            Reply::bulk("10.0.0.9"),
            Reply::Integer(6390),
            Reply::bulk("connect"),
            Reply::Integer(-1),
        ])
    );
    let text = info(&e);
    let names: Vec<&str> = text
        .lines()
        .map(|l| l.split(':').next().unwrap_or(""))
        .collect();
    assert_eq!(
        &names[..13],
        [
            "role",
            "master_host",
            "master_port",
            "master_link_status",
            "master_last_io_seconds_ago",
            "master_sync_in_progress",
            "slave_read_repl_offset",
            "slave_repl_offset",
            "master_link_down_since_seconds",
            "slave_priority",
            "slave_read_only",
            "replica_announced",
            "connected_slaves",
        ]
    );
    assert!(text.contains("master_link_status:down\r\n"));
    assert!(text.contains("master_link_down_since_seconds:-1\r\n"));
    // Our own history is what the first PSYNC asks for.
    let cached = state(&mut e).cached.clone().unwrap();
    assert_eq!(
        (cached.replid.as_str(), cached.offset),
        (e.replid.as_str(), 0)
    );
}

#[test]
fn readonly_and_masterdown() {
    let (mut e, c, _) = engine();
    run(&mut e, c, &["SET", "k", "v"]);
    run(&mut e, c, &["REPLICAOF", "127.0.0.1", "1"]);
    assert_eq!(
        run(&mut e, c, &["SET", "k", "w"]),
        Reply::error("READONLY You can't write against a read only replica.")
    );
    // A transaction with a write is refused when queued.
    run(&mut e, c, &["MULTI"]);
    assert!(matches!(run(&mut e, c, &["INCR", "n"]), Reply::Error(_)));
    run(&mut e, c, &["DISCARD"]);
    assert_eq!(run(&mut e, c, &["GET", "k"]), Reply::bulk("v"));
    run(
        &mut e,
        c,
        &["CONFIG", "SET", "replica-serve-stale-data", "no"],
    );
    assert_eq!(
        run(&mut e, c, &["GET", "k"]),
        Reply::error(
            "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
        )
    );
    // Commands flagged `stale` still run.
    assert!(!run(&mut e, c, &["INFO", "replication"]).is_error());
    assert!(!run(&mut e, c, &["ROLE"]).is_error());
    run(&mut e, c, &["CONFIG", "SET", "replica-read-only", "no"]);
    run(
        &mut e,
        c,
        &["CONFIG", "SET", "replica-serve-stale-data", "yes"],
    );
    assert_eq!(run(&mut e, c, &["SET", "k", "w"]), Reply::OK);
}

/// A replica whose full sync from `id` at `offset` just finished.
fn synced(offset: u64) -> (Engine, ClientId, ManualClock) {
    let (mut e, c, clock) = engine();
    run(&mut e, c, &["REPLICAOF", "127.0.0.1", "1"]);
    let replid = "a".repeat(40);
    stream::finish_full_sync(&mut e, replid, offset, 0, ("127.0.0.1:1", "127.0.0.1:2"));
    (e, c, clock)
}

#[test]
fn stream_applies_counts_acks_and_proxies() {
    let (mut e, c, _) = synced(100);
    assert!(super::is_connected_replica(&e));
    assert_eq!(e.replid, "a".repeat(40));
    let select = resp(&["SELECT", "1"]);
    let set = resp(&["SET", "k", "v"]);
    let getack = resp(&["REPLCONF", "GETACK", "*"]);
    let incr = resp(&["INCR", "n"]);
    let mut ap = Applier::default();
    for part in [&select, &set, &getack] {
        ap.push(part);
    }
    ap.push(&incr[..5]);
    let acks = stream::apply(&mut e, &mut ap, true).unwrap();
    let before_getack = 100 + (select.len() + set.len()) as u64;
    assert_eq!(acks, vec![before_getack]);
    let applied = before_getack + getack.len() as u64;
    let st = state(&mut e);
    assert_eq!((st.reploff, st.read_reploff), (applied, applied + 5));
    assert_eq!(crate::master::master_offset(&e), applied);
    ap.push(&incr[5..]);
    assert!(stream::apply(&mut e, &mut ap, true).unwrap().is_empty());
    assert_eq!(state(&mut e).reploff, applied + incr.len() as u64);
    // The backlog holds the master's bytes verbatim (PSYNC2 from sub-replicas).
    let sh = crate::shared(&mut e);
    let tail = {
        let s = sh.lock();
        s.backlog.since(101, s.offset).unwrap()
    };
    assert_eq!(tail, [select, set, getack, incr].concat());
    // The master's writes landed in db 1; local clients see them.
    run(&mut e, c, &["SELECT", "1"]);
    assert_eq!(run(&mut e, c, &["GET", "k"]), Reply::bulk("v"));
    assert_eq!(run(&mut e, c, &["GET", "n"]), Reply::bulk("1"));
    // ROLE shows the applied offset.
    let Reply::Array(role) = run(&mut e, c, &["ROLE"]) else {
        panic!()
    };
    assert_eq!(role[3], Reply::bulk("connected"));
    assert_eq!(role[4], Reply::Integer(state(&mut e).reploff as i64));
}

#[test]
fn expired_keys_hidden_but_kept_and_stream_sees_them() {
    let (mut e, c, clock) = synced(0);
    let mut ap = Applier::default();
    ap.push(&resp(&["SET", "k", "v", "PX", "100"]));
    stream::apply(&mut e, &mut ap, true).unwrap();
    clock.advance(500);
    // Hidden from clients, never deleted by the replica itself.
    assert_eq!(run(&mut e, c, &["GET", "k"]), Reply::Nil);
    e.cron();
    assert_eq!(e.dbs[0].len(), 1);
    // The master's stream still sees it (it has not expired it yet there).
    ap.push(&resp(&["APPEND", "k", "w"]));
    stream::apply(&mut e, &mut ap, true).unwrap();
    ap.push(&resp(&["DEL", "k"]));
    stream::apply(&mut e, &mut ap, true).unwrap();
    assert_eq!(e.dbs[0].len(), 0);
}

#[test]
fn killed_master_client_drops_link_and_caches_master() {
    let (mut e, c, _) = synced(50);
    let mut ap = Applier::default();
    ap.push(&resp(&["SET", "a", "1"]));
    stream::apply(&mut e, &mut ap, true).unwrap();
    let off = state(&mut e).reploff;
    assert_eq!(
        run(&mut e, c, &["CLIENT", "KILL", "TYPE", "master"]),
        Reply::Integer(1)
    );
    assert!(stream::apply(&mut e, &mut ap, true).is_err());
    stream::link_down(&mut e);
    let st = state(&mut e);
    assert_eq!(st.link, LinkState::Connect);
    let cached = st.cached.clone().unwrap();
    assert_eq!((cached.replid, cached.offset), ("a".repeat(40), off));
    assert!(!e.master_link_up);
    // Partial resync resumes from the cache.
    stream::finish_partial_sync(&mut e, None, ("m:1", "l:2"));
    assert_eq!(state(&mut e).reploff, off);
    assert!(super::is_connected_replica(&e));
}

#[test]
fn promotion_shifts_ids_and_takes_writes() {
    let (mut e, c, _) = synced(10);
    let mut ap = Applier::default();
    ap.push(&resp(&["SET", "a", "1"]));
    stream::apply(&mut e, &mut ap, true).unwrap();
    let off = state(&mut e).reploff;
    assert_eq!(run(&mut e, c, &["REPLICAOF", "NO", "ONE"]), Reply::OK);
    assert!(!e.is_replica);
    assert_eq!(e.replid2, "a".repeat(40));
    assert_ne!(e.replid, "a".repeat(40));
    assert_eq!(crate::ids::second_offset(&e), off as i64 + 1);
    assert_eq!(run(&mut e, c, &["GET", "a"]), Reply::bulk("1"));
    // Its own writes now go into its stream, after a SELECT.
    assert_eq!(run(&mut e, c, &["SET", "b", "2"]), Reply::OK);
    let sh = crate::shared(&mut e);
    let tail = {
        let s = sh.lock();
        s.backlog.since(off + 1, s.offset).unwrap()
    };
    assert_eq!(
        tail,
        [resp(&["SELECT", "0"]), resp(&["SET", "b", "2"])].concat()
    );
    let Reply::Array(role) = run(&mut e, c, &["ROLE"]) else {
        panic!()
    };
    assert_eq!(role[0], Reply::bulk("master"));
}
