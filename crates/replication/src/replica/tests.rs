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

/// The applied offset stays before an open MULTI until its EXEC (Redis's
/// commandProcessed skips a master client in MULTI): nothing of it is
/// proxied or acknowledged, and a link lost mid-transaction resumes before
/// the MULTI, whose queued commands were discarded with the master client.
#[test]
fn multi_moves_the_offset_at_exec_only() {
    let (mut e, c, _) = synced(10);
    let (multi, set, exec) = (resp(&["MULTI"]), resp(&["SET", "k", "v"]), resp(&["EXEC"]));
    let getack = resp(&["REPLCONF", "GETACK", "*"]);
    let mut ap = Applier::default();
    ap.push(&multi);
    ap.push(&set);
    stream::apply(&mut e, &mut ap, true).unwrap();
    let st = state(&mut e);
    let queued = (multi.len() + set.len()) as u64;
    assert_eq!((st.reploff, st.read_reploff), (10, 10 + queued));
    assert_eq!(crate::master::master_offset(&e), 10);
    ap.push(&exec);
    ap.push(&getack);
    let acks = stream::apply(&mut e, &mut ap, true).unwrap();
    let end = 10 + queued + exec.len() as u64;
    assert_eq!(acks, vec![end]);
    assert_eq!(state(&mut e).reploff, end + getack.len() as u64);
    assert_eq!(run(&mut e, c, &["GET", "k"]), Reply::bulk("v"));
    let sh = crate::shared(&mut e);
    let tail = {
        let s = sh.lock();
        s.backlog.since(11, s.offset).unwrap()
    };
    assert_eq!(tail, [multi.clone(), set.clone(), exec, getack].concat());
    // A link lost inside a MULTI: PSYNC asks for the MULTI again.
    let mut ap = Applier::default();
    ap.push(&multi);
    ap.push(&set);
    stream::apply(&mut e, &mut ap, true).unwrap();
    let before = state(&mut e).reploff;
    stream::link_down(&mut e);
    assert_eq!(state(&mut e).cached.as_ref().unwrap().offset, before);
}

/// REPLICAOF host port force-unblocks every blocked client with Redis's
/// error and closes it after the reply (disconnectAllBlockedClients).
#[test]
fn replicaof_unblocks_blocked_clients() {
    let (mut e, c, _) = engine();
    let b = e.add_client();
    assert!(e
        .execute(
            b,
            &[Bytes::from("BLPOP"), Bytes::from("q"), Bytes::from("0")]
        )
        .is_none());
    let w = e.add_client();
    // A replica so that WAIT blocks.
    crate::shared(&mut e);
    let r = e.add_client();
    e.execute(
        r,
        &[Bytes::from("PSYNC"), Bytes::from("?"), Bytes::from("-1")],
    );
    run(&mut e, w, &["SET", "x", "1"]);
    assert!(e
        .execute(
            w,
            &[Bytes::from("WAIT"), Bytes::from("1"), Bytes::from("0")]
        )
        .is_none());
    assert_eq!(run(&mut e, c, &["REPLICAOF", "127.0.0.1", "1"]), Reply::OK);
    let err = b"-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n";
    for id in [b, w] {
        assert_eq!(e.take_pending(id), err);
        assert!(e.clients[&id].close_after_reply);
        assert!(!e.is_blocked(id));
    }
    assert_eq!(e.blocking.blocked_clients(), 0);
}

/// An embedded engine (no link possible) refuses REPLICAOF host port.
#[test]
fn embedded_engine_refuses_replicaof() {
    let (mut e, c, _) = engine();
    super::mark_embedded(&mut e);
    let Reply::Error(text) = run(&mut e, c, &["REPLICAOF", "127.0.0.1", "6379"]) else {
        panic!()
    };
    assert!(text.starts_with("ERR REPLICAOF is not available"), "{text}");
    assert!(!e.is_replica);
    assert_eq!(run(&mut e, c, &["REPLICAOF", "NO", "ONE"]), Reply::OK);
}

/// Reads one RESP multibulk command (uppercased name first).
fn read_command(r: &mut impl std::io::BufRead) -> Option<Vec<String>> {
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let n: usize = line.trim_end().strip_prefix('*')?.parse().ok()?;
    let mut out = Vec::new();
    for _ in 0..n {
        line.clear();
        r.read_line(&mut line).ok()?;
        let len: usize = line.trim_end().strip_prefix('$')?.parse().ok()?;
        let mut buf = vec![0u8; len + 2];
        r.read_exact(&mut buf).ok()?;
        buf.truncate(len);
        out.push(String::from_utf8_lossy(&buf).into_owned());
    }
    out[0] = out[0].to_uppercase();
    Some(out)
}

/// A master that answers PSYNC with an error (an old one) gets SYNC, as
/// Redis's PSYNC_NOT_SUPPORTED path does; the payload goes to disk
/// (`temp-<unixtime>.<pid>.rdb` renamed to `dbfilename`), then the stream
/// applies, and no REPLCONF ACK is sent to a pre-PSYNC master.
#[test]
fn falls_back_to_sync_when_psync_is_refused() {
    use std::io::{BufReader, Read, Write};
    let mut src = crate::build(ember_persistence::install(Engine::builder()));
    let id = src.add_client();
    run(&mut src, id, &["SET", "a", "1"]);
    let mut rdb = Vec::new();
    let opts = ember_persistence::rdb::SaveOptions::from_config(&src.config, src.now_ms());
    ember_persistence::snapshot::write_now(
        &src,
        &ember_persistence::snapshot::Format::Rdb(opts),
        &mut rdb,
    )
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let payload = rdb.clone();
    let master = std::thread::spawn(move || {
        let rdb = payload;
        let (s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
        let mut seen = Vec::new();
        while let Some(cmd) = read_command(&mut r) {
            seen.push(cmd[0].clone());
            let reply: Vec<u8> = match cmd[0].as_str() {
                "PING" => b"+PONG\r\n".to_vec(),
                "REPLCONF" => b"+OK\r\n".to_vec(),
                "PSYNC" => b"-ERR unknown command 'PSYNC'\r\n".to_vec(),
                "SYNC" => {
                    let mut out = format!("${}\r\n", rdb.len()).into_bytes();
                    out.extend_from_slice(&rdb);
                    out.extend_from_slice(&resp(&["SET", "b", "2"]));
                    out
                }
                _ => b"-ERR unexpected\r\n".to_vec(),
            };
            w.write_all(&reply).unwrap();
            if cmd[0] == "SYNC" {
                break;
            }
        }
        // Whatever the replica sends next (it must not acknowledge).
        r.get_mut()
            .set_read_timeout(Some(std::time::Duration::from_millis(1500)))
            .unwrap();
        let mut rest = Vec::new();
        let _ = r.read_to_end(&mut rest);
        (seen, rest)
    });
    let dir = std::env::temp_dir().join(format!("ember-repl-sync-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (mut e, c, _) = engine();
    e.config.dir = dir.to_string_lossy().into_owned();
    let shared = Arc::new(parking_lot::Mutex::new(e));
    super::register(&shared, 0);
    let port_s = port.to_string();
    assert_eq!(
        run(&mut shared.lock(), c, &["REPLICAOF", "127.0.0.1", &port_s]),
        Reply::OK
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while run(&mut shared.lock(), c, &["GET", "b"]) != Reply::bulk("2") {
        assert!(std::time::Instant::now() < deadline, "stream never applied");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(run(&mut shared.lock(), c, &["GET", "a"]), Reply::bulk("1"));
    let (seen, rest) = master.join().unwrap();
    assert_eq!(seen, ["PING", "REPLCONF", "REPLCONF", "PSYNC", "SYNC"]);
    assert!(
        !String::from_utf8_lossy(&rest).contains("ACK"),
        "{:?}",
        String::from_utf8_lossy(&rest)
    );
    // The transfer went through a file: dbfilename holds it, no temp left.
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["dump.rdb"]);
    assert_eq!(std::fs::read(dir.join("dump.rdb")).unwrap(), rdb);
    run(&mut shared.lock(), c, &["REPLICAOF", "NO", "ONE"]);
    let _ = std::fs::remove_dir_all(&dir);
}
