//! Engine-level tests: the commands, whole-file round trips, damaged files.

use crate::rdb::{self, LoadOptions, SaveOptions};
use crate::rio::RdbReader;
use ember_core::{Bytes, Config, Engine, ManualClock, Reply};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use std::path::PathBuf;
use std::sync::Arc;

const NOW: i64 = 1_700_000_000_000;

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ember-persist-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn engine_in(dir: &std::path::Path) -> (Engine, u64, ManualClock) {
    let clock = ManualClock::new(NOW);
    let config = Config {
        dir: dir.to_string_lossy().into_owned(),
        enable_debug_command: "yes".into(),
        ..Default::default()
    };
    let mut e = crate::build(
        Engine::builder()
            .config(config)
            .clock(Arc::new(clock.clone())),
    );
    let id = e.add_client();
    (e, id, clock)
}

fn run(e: &mut Engine, id: u64, args: &[&[u8]]) -> Reply {
    let argv: Vec<Bytes> = args.iter().map(|a| Bytes::copy_from_slice(a)).collect();
    e.execute(id, &argv).expect("reply")
}

fn cmd(e: &mut Engine, id: u64, line: &str) -> Reply {
    let parts: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
    run(e, id, &parts)
}

/// Fills every type and encoding across two databases.
fn populate(e: &mut Engine, id: u64) {
    for line in [
        "set s hello",
        "set n 12345",
        "set big 9223372036854775807",
        "rpush l a b c 1 2 3",
        "hset h f1 v1 f2 22",
        "sadd si 1 2 3 -5",
        "sadd ss a b c",
        "zadd z 1 a 2.5 b -3 c",
        "set ttl x",
        "pexpire ttl 100000",
        "select 3",
        "set other db3",
    ] {
        assert!(!cmd(e, id, line).is_error(), "{line}");
    }
    let long = "x".repeat(100);
    cmd(e, id, &format!("set long {long}"));
    cmd(e, id, &format!("hset hbig f {long}"));
    cmd(e, id, &format!("zadd zbig 1 {long}"));
    for i in 0..600 {
        cmd(e, id, &format!("sadd sbig {i}"));
        cmd(e, id, &format!("rpush lbig item{i}"));
    }
    cmd(e, id, "select 0");
}

/// Every key of every database: value (compared by content), encoding, expiry.
type Contents = Vec<(
    usize,
    Vec<u8>,
    String,
    Option<i64>,
    ember_core::value::Value,
)>;

fn contents(e: &mut Engine, _id: u64) -> Contents {
    let mut out = Vec::new();
    for (i, db) in e.dbs.iter().enumerate() {
        for (k, v) in db.keys().iter() {
            out.push((
                i,
                k.to_vec(),
                v.encoding().to_string(),
                db.expire_of(k),
                v.clone(),
            ));
        }
    }
    out.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    out
}

fn same(a: &Contents, b: &Contents) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!(
            x == y,
            "{:?} {:?} {:?} != {:?} {:?}",
            x.1,
            x.2,
            x.3,
            y.2,
            y.3
        );
    }
}

#[test]
fn save_and_load_every_type() {
    let dir = tmpdir("roundtrip");
    let (mut e, id, _) = engine_in(&dir);
    populate(&mut e, id);
    let before = contents(&mut e, id);
    assert!(e.dirty > 0);
    assert_eq!(cmd(&mut e, id, "save"), Reply::OK);
    assert_eq!(e.dirty, 0);
    assert!(dir.join("dump.rdb").exists());
    let (mut e2, id2, _) = engine_in(&dir);
    let stats = crate::load_file(&mut e2, dir.join("dump.rdb")).unwrap();
    assert_eq!(stats.keys_loaded, before.len() as u64);
    same(&contents(&mut e2, id2), &before);
    // DEBUG RELOAD keeps everything too.
    assert_eq!(cmd(&mut e2, id2, "debug reload"), Reply::OK);
    same(&contents(&mut e2, id2), &before);
    assert_eq!(
        cmd(&mut e2, id2, "debug reload bogus"),
        Reply::error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
    );
    // The core's DEBUG subcommands still answer.
    assert!(matches!(cmd(&mut e2, id2, "debug help"), Reply::Array(_)));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn expired_keys_are_skipped_on_load() {
    let dir = tmpdir("expired");
    let (mut e, id, clock) = engine_in(&dir);
    cmd(&mut e, id, "set a 1");
    cmd(&mut e, id, "set b 2");
    cmd(&mut e, id, "pexpire b 50");
    cmd(&mut e, id, "save");
    clock.advance(100);
    let (mut e2, _, c2) = engine_in(&dir);
    c2.set(NOW + 100);
    let stats = crate::load_file(&mut e2, dir.join("dump.rdb")).unwrap();
    assert_eq!((stats.keys_loaded, stats.keys_expired), (1, 1));
    // A replica keeps them.
    let (mut e3, _, c3) = engine_in(&dir);
    c3.set(NOW + 100);
    e3.is_replica = true;
    let stats = crate::load_file(&mut e3, dir.join("dump.rdb")).unwrap();
    assert_eq!(stats.keys_loaded, 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bgsave_lastsave_and_info() {
    let dir = tmpdir("bgsave");
    let (mut e, id, clock) = engine_in(&dir);
    populate(&mut e, id);
    clock.advance(5000);
    assert_eq!(
        cmd(&mut e, id, "bgsave foo"),
        Reply::error("ERR syntax error")
    );
    assert_eq!(
        cmd(&mut e, id, "bgsave"),
        Reply::status("Background saving started")
    );
    // Writes go on while the snapshot is written.
    cmd(&mut e, id, "set during 1");
    // Until the cron collects it, the save counts as running.
    assert_eq!(
        cmd(&mut e, id, "bgsave"),
        Reply::error("ERR Background save already in progress")
    );
    assert_eq!(
        cmd(&mut e, id, "save"),
        Reply::error("ERR Background save already in progress")
    );
    crate::save::bgsave_collect(&mut e, true);
    assert_eq!(cmd(&mut e, id, "lastsave"), Reply::Integer(NOW / 1000 + 5));
    assert_eq!(e.dirty, 1, "the write during the save stays dirty");
    let Reply::Verbatim(_, info) = cmd(&mut e, id, "info persistence") else {
        panic!()
    };
    let info = String::from_utf8_lossy(&info).into_owned();
    assert!(info.contains("rdb_bgsave_in_progress:0\r\n"), "{info}");
    assert!(info.contains("rdb_last_bgsave_status:ok\r\n"), "{info}");
    assert!(info.contains("rdb_changes_since_last_save:1\r\n"), "{info}");
    assert!(info.contains("rdb_saves:"), "{info}");
    // The file is the snapshot from before `set during`.
    let (mut e2, _, _) = engine_in(&dir);
    crate::load_file(&mut e2, dir.join("dump.rdb")).unwrap();
    assert!(e2.dbs[0].get_raw(b"during").is_none(), "point in time");
    assert!(e2.dbs[0].get_raw(b"s").is_some());
    // BGSAVE SCHEDULE with nothing running starts at once.
    assert_eq!(
        cmd(&mut e, id, "bgsave schedule"),
        Reply::status("Background saving started")
    );
    crate::save::bgsave_collect(&mut e, true);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn save_points_fire_from_cron() {
    let dir = tmpdir("savepoints");
    let (mut e, id, clock) = engine_in(&dir);
    e.config.save = vec![(10, 2)];
    cmd(&mut e, id, "set a 1");
    clock.advance(11_000);
    crate::cron(&mut e);
    assert!(
        !crate::save::bgsave_in_progress(&e),
        "one change is not enough"
    );
    cmd(&mut e, id, "set b 1");
    crate::cron(&mut e);
    assert!(crate::save::bgsave_in_progress(&e));
    crate::save::bgsave_collect(&mut e, true);
    assert_eq!(e.dirty, 0);
    assert!(dir.join("dump.rdb").exists());
    // Shutdown: saves with save points, not with NOSAVE.
    cmd(&mut e, id, "set c 1");
    e.shutdown = Some(ember_core::engine::ShutdownRequest::NoSave);
    assert!(!crate::save_on_shutdown(&mut e).unwrap());
    e.shutdown = Some(ember_core::engine::ShutdownRequest::Default);
    assert!(crate::save_on_shutdown(&mut e).unwrap());
    e.config.save.clear();
    assert!(!crate::save_on_shutdown(&mut e).unwrap());
    e.shutdown = Some(ember_core::engine::ShutdownRequest::Save);
    assert!(crate::save_on_shutdown(&mut e).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn save_into_a_missing_directory_fails() {
    let dir = tmpdir("missing");
    let (mut e, id, _) = engine_in(&dir.join("nope"));
    cmd(&mut e, id, "set a 1");
    assert_eq!(cmd(&mut e, id, "save"), Reply::error("ERR"));
    assert_eq!(e.dirty, 1);
    assert!(matches!(
        crate::load_file(&mut e, dir.join("nope/dump.rdb")),
        Err(crate::RdbError::Io(ref io)) if io.kind() == std::io::ErrorKind::NotFound
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dump_matches_redis_bytes() {
    let (mut e, id, _) = engine_in(&std::env::temp_dir());
    cmd(&mut e, id, "set k v");
    // DUMP k from redis-server 7.0.15.
    let redis = b"\x00\x01v\x0a\x00\x91\x08\xce\xb2\x19\x38\x8a\xce";
    assert_eq!(cmd(&mut e, id, "dump k"), Reply::bulk(redis));
    cmd(&mut e, id, "zadd zz -0 a");
    let redis = b"\x11\x0c\x0c\x00\x00\x00\x02\x00\x81\x61\x02\x00\x01\xff\x0a\x00\xb6\xd8\x68\x23\x5c\x4c\x37\x37";
    assert_eq!(cmd(&mut e, id, "dump zz"), Reply::bulk(redis));
    assert_eq!(cmd(&mut e, id, "dump nokey"), Reply::Nil);
}

#[test]
fn restore_errors_and_options() {
    let (mut e, id, clock) = engine_in(&std::env::temp_dir());
    cmd(&mut e, id, "set k v");
    let Reply::Bulk(p) = cmd(&mut e, id, "dump k") else {
        panic!()
    };
    let r = |e: &mut Engine, args: &[&[u8]]| {
        let mut v: Vec<&[u8]> = vec![b"restore"];
        v.extend_from_slice(args);
        run(e, id, &v)
    };
    assert_eq!(
        r(&mut e, &[b"k", b"0", &p]),
        Reply::error("BUSYKEY Target key name already exists.")
    );
    assert_eq!(
        r(&mut e, &[b"k2", b"0", b"abc"]),
        Reply::error("ERR DUMP payload version or checksum are wrong")
    );
    assert_eq!(
        r(&mut e, &[b"k2", b"-1", &p]),
        Reply::error("ERR Invalid TTL value, must be >= 0")
    );
    // A relative TTL that overflows once the time is added wraps as in
    // Redis: already expired, so OK without storing (REPLACE still deletes).
    let far: &[u8] = b"9223372036854775000";
    assert_eq!(r(&mut e, &[b"k2", far, &p]), Reply::OK);
    assert_eq!(cmd(&mut e, id, "exists k2"), Reply::Integer(0));
    assert_eq!(r(&mut e, &[b"k", far, &p, b"replace"]), Reply::OK);
    assert_eq!(cmd(&mut e, id, "exists k"), Reply::Integer(0));
    assert_eq!(r(&mut e, &[b"k", far, &p, b"absttl"]), Reply::OK);
    assert_eq!(
        cmd(&mut e, id, "pexpiretime k"),
        Reply::Integer(9223372036854775000)
    );
    cmd(&mut e, id, "set k v");
    assert_eq!(
        r(&mut e, &[b"k2", b"x", &p]),
        Reply::error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        r(&mut e, &[b"k2", b"0", &p, b"bogus"]),
        Reply::error("ERR syntax error")
    );
    assert_eq!(
        r(&mut e, &[b"k2", b"0", &p, b"idletime", b"-1"]),
        Reply::error("ERR Invalid IDLETIME value, must be >= 0")
    );
    assert_eq!(
        r(&mut e, &[b"k2", b"0", &p, b"freq", b"256"]),
        Reply::error("ERR Invalid FREQ value, must be >= 0 and <= 255")
    );
    assert_eq!(
        r(&mut e, &[b"k2", b"0", &p, b"idletime", b"1", b"freq", b"2"]),
        Reply::error("ERR syntax error")
    );
    // Version 11 is refused; a body that does not parse is bad data.
    let mut newer = p.to_vec();
    let n = newer.len();
    newer[n - 10] = 11;
    let crc = crc64::crc64(0, &newer[..n - 8]);
    newer[n - 8..].copy_from_slice(&crc.to_le_bytes());
    assert_eq!(
        r(&mut e, &[b"k2", b"0", &newer]),
        Reply::error("ERR DUMP payload version or checksum are wrong")
    );
    let mut bad = vec![0x04u8, 0x05];
    bad.extend_from_slice(&[0x0a, 0x00]);
    let crc = crc64::crc64(0, &bad);
    bad.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(
        r(&mut e, &[b"k2", b"0", &bad]),
        Reply::error("ERR Bad data format")
    );
    // REPLACE, relative TTL, IDLETIME.
    assert_eq!(
        r(
            &mut e,
            &[b"k", b"5000", &p, b"replace", b"idletime", b"100"]
        ),
        Reply::OK
    );
    assert_eq!(cmd(&mut e, id, "pttl k"), Reply::Integer(5000));
    assert_eq!(cmd(&mut e, id, "object idletime k"), Reply::Integer(100));
    // ABSTTL in the past: nothing is created.
    let past = (NOW - 1).to_string();
    assert_eq!(
        r(&mut e, &[b"gone", past.as_bytes(), &p, b"absttl"]),
        Reply::OK
    );
    assert_eq!(cmd(&mut e, id, "exists gone"), Reply::Integer(0));
    clock.advance(1);
    assert_eq!(cmd(&mut e, id, "get k"), Reply::bulk("v"));
}

#[test]
fn restore_propagates_absolute_ttl() {
    let (mut e, id, _) = engine_in(&std::env::temp_dir());
    let seen = Arc::new(std::sync::Mutex::new(Vec::<Vec<Bytes>>::new()));
    let s2 = seen.clone();
    e.add_propagation_sink(Box::new(move |_, argv| {
        s2.lock().unwrap().push(argv.to_vec())
    }));
    cmd(&mut e, id, "set k v");
    let Reply::Bulk(p) = cmd(&mut e, id, "dump k") else {
        panic!()
    };
    run(&mut e, id, &[b"restore", b"k2", b"1000", &p]);
    let last = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(last[2], Bytes::from((NOW + 1000).to_string()));
    assert_eq!(last[4], Bytes::from_static(b"ABSTTL"));
}

/// A whole file of every type, as fuzz seed.
fn seed_file() -> Vec<u8> {
    let (mut e, id, _) = engine_in(&std::env::temp_dir());
    populate(&mut e, id);
    let opts = SaveOptions::from_config(&e.config, NOW);
    rdb::save_engine(Vec::new(), &e, opts).unwrap()
}

fn load_bytes(data: &[u8]) -> crate::error::Result<rdb::LoadStats> {
    let config = Config::default();
    let mut dbs: Vec<ember_core::db::Db> = (0..16).map(|_| Default::default()).collect();
    let opts = LoadOptions {
        now_ms: NOW,
        drop_expired: true,
        allow_dup: false,
        verify_checksum: true,
    };
    let mut r = RdbReader::with_len(data, data.len() as u64);
    rdb::load(&mut r, &mut dbs, &config, opts)
}

#[test]
fn file_checks() {
    let file = seed_file();
    assert_eq!(&file[..9], b"REDIS0010");
    assert!(load_bytes(&file).is_ok());
    // Checksum: a flipped data byte is caught; a zero checksum is not checked.
    let mut bad = file.clone();
    let n = bad.len();
    bad[n - 9] = 0; // EOF opcode -> corrupt structure or checksum error
    assert!(load_bytes(&bad).is_err());
    let mut flipped = file.clone();
    let pos = flipped.windows(5).position(|w| w == b"hello").unwrap();
    flipped[pos] = b'j';
    assert!(matches!(
        load_bytes(&flipped),
        Err(crate::RdbError::Checksum { .. })
    ));
    flipped[n - 8..].copy_from_slice(&[0; 8]);
    assert!(load_bytes(&flipped).is_ok());
    // Every truncation is an error.
    for cut in (0..file.len()).step_by(7) {
        assert!(load_bytes(&file[..cut]).is_err(), "cut at {cut}");
    }
    assert!(matches!(
        load_bytes(b"REDIS0011\xff"),
        Err(crate::RdbError::Version(11))
    ));
    assert!(matches!(
        load_bytes(b"RODIS0009\xff"),
        Err(crate::RdbError::Signature)
    ));
    // Old versions have no checksum; version 1 files load.
    assert_eq!(
        load_bytes(b"REDIS0001\xfe\x00\x00\x01a\x01b\xff")
            .unwrap()
            .keys_loaded,
        1
    );
    // FUNCTION2 is refused with a clear error.
    assert!(matches!(
        load_bytes(b"REDIS0010\xf5\x03abc"),
        Err(crate::RdbError::Unsupported(_))
    ));
    // A database index beyond `databases`.
    assert!(matches!(
        load_bytes(b"REDIS0010\xfe\x20\xff"),
        Err(crate::RdbError::TooManyDatabases { .. })
    ));
}

#[test]
fn fuzzed_files_never_panic() {
    let file = seed_file();
    let mut rng = SmallRng::seed_from_u64(42);
    for _ in 0..400 {
        let mut data = file.clone();
        crate::codec::tests::mutate(&mut rng, &mut data);
        let _ = load_bytes(&data);
    }
    for (i, seed) in crate::codec::tests::seeds().into_iter().enumerate() {
        let mut payload = seed;
        payload.extend_from_slice(&[10, 0]);
        let crc = crc64::crc64(0, &payload);
        payload.extend_from_slice(&crc.to_le_bytes());
        assert!(crate::dump::verify(&payload, false));
        for _ in 0..200 {
            let mut p = payload.clone();
            crate::codec::tests::mutate(&mut rng, &mut p);
            let _ = crate::dump::decode(&p, &Default::default());
            let _ = i;
        }
    }
}

/// A version-10 file body (no checksum: trailer 0) from raw opcodes.
fn raw_file(body: &[u8]) -> Vec<u8> {
    let mut f = b"REDIS0010".to_vec();
    f.extend_from_slice(body);
    f.push(0xff);
    f.extend_from_slice(&[0; 8]);
    f
}

#[test]
fn duplicate_keys_fail_or_merge_and_resizedb_presizes() {
    // SELECTDB 0, RESIZEDB 3 keys / 1 expire, then "a"="1" (with a TTL), "b"="2", "a"="3".
    let mut body = b"\xfe\x00\xfb\x03\x01".to_vec();
    body.extend_from_slice(b"\xfc");
    body.extend_from_slice(&(NOW + 100_000).to_le_bytes());
    body.extend_from_slice(b"\x00\x01a\x011\x00\x01b\x012\x00\x01a\x013");
    let file = raw_file(&body);
    assert!(matches!(
        load_bytes(&file),
        Err(crate::RdbError::DuplicateKey { db: 0, .. })
    ));
    let config = Config::default();
    let mut dbs: Vec<ember_core::db::Db> = (0..16).map(|_| Default::default()).collect();
    let opts = LoadOptions {
        now_ms: NOW,
        drop_expired: true,
        allow_dup: true,
        verify_checksum: true,
    };
    let mut r = RdbReader::with_len(&file[..], file.len() as u64);
    let stats = rdb::load(&mut r, &mut dbs, &config, opts).unwrap();
    assert_eq!(stats.keys_loaded, 3);
    assert_eq!(dbs[0].len(), 2);
    assert!(dbs[0].keys().buckets() >= 4);
    // The replacing "a" has no TTL: the first one's is gone.
    assert_eq!(dbs[0].expire_of(b"a"), None);
    assert_eq!(dbs[0].expires_count(), 0);
    match dbs[0].get_raw(b"a") {
        Some(ember_core::value::Value::Str(s)) => assert_eq!(&s.as_bytes()[..], b"3"),
        other => panic!("{other:?}"),
    }
    // A TTL loaded with a new key is there.
    let mut body = b"\xfe\x00\xfb\x02\x01\xfc".to_vec();
    body.extend_from_slice(&(NOW + 100_000).to_le_bytes());
    body.extend_from_slice(b"\x00\x01a\x011\x00\x01b\x012");
    let mut dbs: Vec<ember_core::db::Db> = (0..16).map(|_| Default::default()).collect();
    let file = raw_file(&body);
    let mut r = RdbReader::with_len(&file[..], file.len() as u64);
    rdb::load(&mut r, &mut dbs, &config, opts).unwrap();
    assert_eq!(dbs[0].expire_of(b"a"), Some(NOW + 100_000));
    assert_eq!(dbs[0].expire_of(b"b"), None);
    // RESIZEDB pre-sizes the keyspace for its count.
    let mut body = b"\xfe\x00\xfb\x80\x00\x01\x00\x00\x00".to_vec();
    body.extend_from_slice(b"\x00\x01a\x011");
    let file = raw_file(&body);
    let mut dbs: Vec<ember_core::db::Db> = (0..16).map(|_| Default::default()).collect();
    let mut r = RdbReader::with_len(&file[..], file.len() as u64);
    rdb::load(&mut r, &mut dbs, &config, opts).unwrap();
    assert_eq!(dbs[0].keys().buckets(), 65536);
    // A huge (corrupt) RESIZEDB is capped, not honoured.
    let mut body = b"\xfe\x00\xfb\x81".to_vec();
    body.extend_from_slice(&u64::MAX.to_be_bytes());
    body.extend_from_slice(b"\x00\x00\x01a\x011");
    let file = raw_file(&body);
    let mut dbs: Vec<ember_core::db::Db> = (0..16).map(|_| Default::default()).collect();
    let mut r = RdbReader::with_len(&file[..], file.len() as u64);
    rdb::load(&mut r, &mut dbs, &config, opts).unwrap();
    assert_eq!(dbs[0].keys().buckets(), 1 << 24);
}

/// DEBUG SET-SKIP-CHECKSUM-VALIDATION: a file whose CRC-64 trailer is wrong
/// is refused, then loaded once the checks are off.
#[test]
fn skip_checksum_validation_loads_a_file_with_a_wrong_crc() {
    let dir = tmpdir("skipcrc");
    let (mut e, id, _) = engine_in(&dir);
    cmd(&mut e, id, "set k v");
    assert_eq!(cmd(&mut e, id, "save"), Reply::OK);
    let path = dir.join("dump.rdb");
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    cmd(&mut e, id, "flushall");
    let err = crate::reload::load_file(&mut e, &path).unwrap_err();
    assert!(err.to_string().contains("Wrong RDB checksum"), "{err}");
    cmd(&mut e, id, "debug set-skip-checksum-validation 1");
    cmd(&mut e, id, "flushall");
    crate::reload::load_file(&mut e, &path).expect("loads without the check");
    assert_eq!(cmd(&mut e, id, "get k"), Reply::bulk("v"));
    let _ = std::fs::remove_dir_all(&dir);
}
