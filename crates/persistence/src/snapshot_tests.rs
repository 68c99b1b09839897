//! Snapshots under concurrent writes: the output is the dataset at the start.

use super::*;
use crate::rdb::LoadOptions;
use crate::rio::RdbReader;
use ember_core::db::Db;
use ember_core::{Bytes, Engine};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::Arc;

type Contents = BTreeMap<(usize, Vec<u8>), (Value, Option<i64>)>;

fn contents(dbs: &[Db]) -> Contents {
    let mut m = BTreeMap::new();
    for (i, db) in dbs.iter().enumerate() {
        for (k, v) in db.keys().iter() {
            let k: &[u8] = k.as_ref();
            m.insert((i, k.to_vec()), (v.clone(), db.expire_of(k)));
        }
    }
    m
}

fn engine() -> (Engine, u64) {
    let mut e = crate::build(Engine::builder());
    let id = e.add_client();
    (e, id)
}

fn run(e: &mut Engine, id: u64, args: &[&str]) {
    let argv: Vec<Bytes> = args
        .iter()
        .map(|a| Bytes::copy_from_slice(a.as_bytes()))
        .collect();
    e.execute(id, &argv);
}

fn populate(e: &mut Engine, id: u64) {
    for db in 0..3 {
        run(e, id, &["SELECT", &db.to_string()]);
        for i in 0..400 {
            let k = format!("k{i}");
            run(
                e,
                id,
                &["SET", &k, &format!("value-{db}-{i}-{}", "x".repeat(i % 50))],
            );
            if i % 4 == 0 {
                run(
                    e,
                    id,
                    &[
                        "PEXPIREAT",
                        &k,
                        &(4_000_000_000_000i64 + i as i64).to_string(),
                    ],
                );
            }
        }
        let items: Vec<String> = (0..300).map(|i| format!("item{i}")).collect();
        let mut argv = vec!["RPUSH", "biglist"];
        argv.extend(items.iter().map(String::as_str));
        run(e, id, &argv);
        run(e, id, &["HSET", "h", "f1", "v1", "f2", "v2"]);
        run(e, id, &["SADD", "s", "a", "b", "1", "2"]);
        run(e, id, &["ZADD", "z", "1", "a", "2.5", "b"]);
    }
    run(e, id, &["SELECT", "0"]);
}

/// A shared in-memory output.
#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

type Outcome = Arc<Mutex<Option<std::result::Result<Done, String>>>>;

fn start_rdb(e: &mut Engine) -> (Buf, Outcome, u64) {
    let buf = Buf::default();
    let outcome: Outcome = Arc::default();
    let o = outcome.clone();
    let opts = rdb_options(e, Kind::Replication);
    let id = start(
        e,
        Box::new(buf.clone()),
        opts,
        Box::new(move |_, r| *o.lock() = Some(r.map_err(|e| e.to_string()))),
    )
    .unwrap();
    (buf, outcome, id)
}

fn load_image(e: &Engine, bytes: &[u8]) -> Contents {
    let mut dbs: Vec<Db> = (0..e.dbs.len()).map(|_| Db::new()).collect();
    let opts = LoadOptions {
        now_ms: 0,
        drop_expired: false,
        allow_dup: false,
        verify_checksum: true,
    };
    rdb::load(&mut RdbReader::new(bytes), &mut dbs, &e.config, opts).unwrap();
    contents(&dbs)
}

/// One small slice at a time, with writes of every kind in between.
fn step_with_writes(e: &mut Engine, id: u64, outcome: &Outcome) -> usize {
    let mut round = 0usize;
    while outcome.lock().is_none() {
        step_with(
            e,
            Budget {
                entries: 25,
                until: None,
            },
        );
        round += 1;
        assert!(round < 20_000, "the snapshot never ends");
        let k = |j: usize| format!("k{}", (round * 13 + j) % 400);
        let db = (round % 3).to_string();
        run(e, id, &["SELECT", &db]);
        run(e, id, &["SET", &k(0), "overwritten"]);
        run(e, id, &["DEL", &k(1)]);
        run(e, id, &["EXPIRE", &k(2), "1000"]);
        run(e, id, &["PERSIST", &k(3)]);
        run(e, id, &["APPEND", &k(4), "-appended"]);
        run(e, id, &["LPUSH", "biglist", "pushed"]);
        run(e, id, &["HSET", "h", "f1", "changed"]);
        run(e, id, &["SADD", "s", "new"]);
        run(e, id, &["RENAME", &k(5), &format!("renamed{round}")]);
        run(e, id, &["SET", &format!("new{round}"), "fresh"]);
        match round {
            7 => run(e, id, &["SWAPDB", "0", "2"]),
            11 => run(e, id, &["FLUSHDB"]),
            19 => run(e, id, &["FLUSHALL"]),
            _ => {}
        }
        if round & 3 == 0 {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }
    round
}

#[test]
fn rdb_image_is_the_dataset_at_start_despite_writes() {
    let (mut e, id) = engine();
    populate(&mut e, id);
    let before = contents(&e.dbs);
    let (buf, outcome, _) = start_rdb(&mut e);
    assert_eq!(busy(&e), Some(Kind::Replication));
    let rounds = step_with_writes(&mut e, id, &outcome);
    assert!(
        rounds > 20,
        "FLUSHALL happened mid-snapshot ({rounds} slices)"
    );
    run_to_completion(&mut e);
    let done = outcome.lock().clone().unwrap().unwrap();
    assert!(done.bytes > 0);
    assert_eq!(busy(&e), None);
    let bytes = buf.0.lock().clone();
    assert_eq!(done.bytes, bytes.len() as u64);
    assert_eq!(load_image(&e, &bytes), before);
}

#[test]
fn two_in_a_row_and_after_an_abort() {
    let (mut e, id) = engine();
    populate(&mut e, id);
    // Aborted midway: on_done gets an error, the next one is complete.
    let (_, outcome, sid) = start_rdb(&mut e);
    step_with(
        &mut e,
        Budget {
            entries: 50,
            until: None,
        },
    );
    run(&mut e, id, &["SET", "k1", "during-aborted"]);
    abort(&mut e, sid);
    run_to_completion(&mut e);
    assert!(outcome.lock().clone().unwrap().is_err());
    for _ in 0..2 {
        let before = contents(&e.dbs);
        let (buf, outcome, _) = start_rdb(&mut e);
        step_with_writes(&mut e, id, &outcome);
        run_to_completion(&mut e);
        assert!(outcome.lock().clone().unwrap().is_ok());
        assert_eq!(load_image(&e, &buf.0.lock()), before);
    }
}

#[test]
fn a_failing_output_fails_the_snapshot() {
    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("peer gone"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let (mut e, id) = engine();
    populate(&mut e, id);
    let outcome: Outcome = Arc::default();
    let o = outcome.clone();
    let opts = rdb_options(&e, Kind::Replication);
    start(
        &mut e,
        Box::new(Broken),
        opts,
        Box::new(move |_, r| *o.lock() = Some(r.map_err(|e| e.to_string()))),
    )
    .unwrap();
    run_to_completion(&mut e);
    let r = outcome.lock().clone().unwrap();
    assert!(r.unwrap_err().contains("peer gone"));
    // Bits are consistent again: a new snapshot captures everything.
    let before = contents(&e.dbs);
    let (buf, outcome, _) = start_rdb(&mut e);
    run_to_completion(&mut e);
    assert!(outcome.lock().clone().unwrap().is_ok());
    assert_eq!(load_image(&e, &buf.0.lock()), before);
}

#[test]
fn aof_command_base_replays_to_the_dataset_at_start() {
    let (mut e, id) = engine();
    populate(&mut e, id);
    let before = contents(&e.dbs);
    let buf = Buf::default();
    let outcome: Outcome = Arc::default();
    let o = outcome.clone();
    let opts = Options {
        kind: Kind::AofRewrite,
        format: Format::AofCommands { timestamp_ms: None },
        extra_aux: Vec::new(),
    };
    start(
        &mut e,
        Box::new(buf.clone()),
        opts,
        Box::new(move |_, r| *o.lock() = Some(r.map_err(|e| e.to_string()))),
    )
    .unwrap();
    step_with_writes(&mut e, id, &outcome);
    run_to_completion(&mut e);
    assert!(outcome.lock().clone().unwrap().is_ok());
    // Replay the commands into a fresh engine.
    let (mut f, fid) = engine();
    let data = buf.0.lock().clone();
    let mut parser = ember_resp::RequestParser::new(1 << 30);
    let mut input = bytes::BytesMut::from(&data[..]);
    let mut n = 0;
    while let Some(argv) = parser.parse(&mut input).unwrap() {
        f.execute(fid, &argv);
        n += 1;
    }
    assert!(input.is_empty());
    assert!(n > 1000);
    assert_eq!(contents(&f.dbs), before);
}

/// An output that fails once `limit` bytes went through (disk full, EBADF),
/// or at commit (fsync/rename).
struct Failing {
    written: usize,
    limit: usize,
    fail_commit: bool,
}

impl Output for Failing {
    fn write_chunk(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if self.written + buf.len() > self.limit {
            return Err(std::io::Error::from_raw_os_error(28)); // ENOSPC
        }
        self.written += buf.len();
        Ok(())
    }
    fn commit(self: Box<Self>) -> Result<()> {
        if self.fail_commit {
            return Err(std::io::Error::from_raw_os_error(9).into()); // EBADF
        }
        Ok(())
    }
}

/// Enough data for several chunks, so the walk is still running when the
/// writer fails.
fn populate_big(e: &mut Engine, id: u64) {
    populate(e, id);
    // Incompressible values (LZF would shrink repeated bytes to nothing).
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut big = || -> String {
        (0..4000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                char::from(b'!' + (x % 90) as u8)
            })
            .collect()
    };
    for db in 0..3 {
        run(e, id, &["SELECT", &db.to_string()]);
        for i in 0..300 {
            let v = big();
            run(e, id, &["SET", &format!("big{i}"), &v]);
        }
    }
    run(e, id, &["SELECT", "0"]);
}

fn start_failing(e: &mut Engine, limit: usize, fail_commit: bool) -> Outcome {
    let outcome: Outcome = Arc::default();
    let o = outcome.clone();
    let out = Failing {
        written: 0,
        limit,
        fail_commit,
    };
    start_with(
        e,
        Box::new(out),
        rdb_options(e, Kind::Bgsave),
        Box::new(move |_, r| *o.lock() = Some(r.map_err(|e| e.to_string()))),
    )
    .unwrap();
    outcome
}

/// After a failed snapshot, the next ones (with writes between slices, and
/// keys created during the failed one) are exactly the dataset at their start.
fn next_snapshots_are_exact(e: &mut Engine, id: u64) {
    for _ in 0..2 {
        let before = contents(&e.dbs);
        let (buf, outcome, _) = start_rdb(e);
        step_with_writes(e, id, &outcome);
        run_to_completion(e);
        assert!(outcome.lock().clone().unwrap().is_ok());
        assert_eq!(load_image(e, &buf.0.lock()), before);
    }
}

#[test]
fn output_failing_mid_walk_leaves_the_bits_consistent() {
    let (mut e, id) = engine();
    populate_big(&mut e, id);
    let outcome = start_failing(&mut e, CHUNK + 10, false);
    // Writes keep coming while the writer fails and the walk finishes
    // flipping in discard mode.
    step_with_writes(&mut e, id, &outcome);
    let err = outcome.lock().clone().unwrap().unwrap_err();
    assert!(err.contains("No space left"), "{err}");
    assert_eq!(busy(&e), None);
    next_snapshots_are_exact(&mut e, id);
}

#[test]
fn commit_failure_fails_the_snapshot_and_the_next_one_is_exact() {
    let (mut e, id) = engine();
    populate(&mut e, id);
    let outcome = start_failing(&mut e, usize::MAX, true);
    step_with_writes(&mut e, id, &outcome);
    assert!(outcome.lock().clone().unwrap().is_err());
    next_snapshots_are_exact(&mut e, id);
}

#[test]
fn replacing_the_dataset_fails_the_snapshot_cleanly() {
    let (mut e, id) = engine();
    populate(&mut e, id);
    let (_, outcome, _) = start_rdb(&mut e);
    for _ in 0..5 {
        step_with(
            &mut e,
            Budget {
                entries: 20,
                until: None,
            },
        );
        run(&mut e, id, &["SET", "k3", "during"]);
    }
    // A replica's full-sync load installs new databases.
    let mut dbs: Vec<Db> = (0..e.dbs.len()).map(|_| Db::new()).collect();
    for i in 0..50 {
        dbs[1].insert(
            format!("loaded{i}").as_bytes(),
            Value::from_bytes(b"v"),
            false,
        );
    }
    let old = crate::reload::install_loaded(&mut e, dbs, &Default::default());
    drop(old);
    run(&mut e, id, &["SET", "after-load", "1"]);
    run_to_completion(&mut e);
    let err = outcome.lock().clone().unwrap().unwrap_err();
    assert!(err.contains("replaced"), "{err}");
    assert_eq!(busy(&e), None);
    next_snapshots_are_exact(&mut e, id);
}

#[test]
fn shutdown_kills_a_running_bgsave_and_removes_its_temp_file() {
    let dir = std::env::temp_dir().join(format!("ember-snapkill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = ember_core::Config {
        dir: dir.to_string_lossy().into_owned(),
        ..Default::default()
    };
    let mut e = crate::build(Engine::builder().config(config));
    let id = e.add_client();
    populate_big(&mut e, id);
    crate::save::bgsave_start(&mut e).unwrap();
    step_with(
        &mut e,
        Budget {
            entries: 100,
            until: None,
        },
    );
    let files = |d: &std::path::Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(files(&dir).len(), 1, "the temporary file");
    e.shutdown = Some(ember_core::engine::ShutdownRequest::NoSave);
    assert!(!crate::save_on_shutdown(&mut e).unwrap());
    assert!(!crate::save::bgsave_in_progress(&e));
    assert!(files(&dir).is_empty(), "{:?}", files(&dir));
    // A failed shutdown leaves a working server: the next snapshot is exact.
    e.shutdown = None;
    next_snapshots_are_exact(&mut e, id);
    let _ = std::fs::remove_dir_all(&dir);
}
