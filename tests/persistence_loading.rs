//! Loading and disk errors against redis-server 7.0.15: `-LOADING` while the
//! dataset loads at startup (slowed by the hidden `key-load-delay` config),
//! INFO's loading fields, Redis's log lines; MISCONF after a failed
//! background save and its recovery.

mod support;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{Pair, RawConn, RedisServer, Resp};

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ember-load-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The value `write_rdb` gives `key:{i}`: about 100 bytes, so that a KiB of
/// file (Redis's `loading-process-events-interval-bytes` at its minimum)
/// holds few keys and Redis answers often while it loads.
/// Hex from a per-key LCG, which LZF cannot shrink (the save compresses
/// values).
fn value_of(i: usize) -> String {
    let mut x = i as u64 ^ 0x9e37_79b9_7f4a_7c15;
    let mut v = format!("value-{i}-");
    for _ in 0..6 {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        v.push_str(&format!("{x:016x}"));
    }
    v
}

/// Writes `dump.rdb` with `n` string keys (and one hash) into `dir`, saved by
/// an in-process Ember.
fn write_rdb(dir: &Path, n: usize) {
    let config = ember::Config {
        dir: dir.display().to_string(),
        save: vec![],
        ..Default::default()
    };
    let mut db = ember::Ember::with_config(config);
    for i in 0..n {
        db.execute(["SET", &format!("key:{i}"), &value_of(i)]);
    }
    db.execute(["HSET", "h", "f", "v"]);
    assert_eq!(db.execute(["SAVE"]), ember::Reply::OK);
}

fn ask(c: &mut RawConn, cmd: &[&str]) -> (Vec<u8>, Resp) {
    c.write_raw(&support::encode_command(cmd));
    c.read_reply().expect("reply")
}

fn connect_retry(name: &'static str, port: u16) -> RawConn {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(c) = RawConn::connect(name, port) {
            let _ = c.stream.set_read_timeout(Some(Duration::from_secs(5)));
            return c;
        }
        assert!(Instant::now() < deadline, "{name} did not listen");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// PINGs until the load is over. The bound is far above the few seconds a
/// load takes here: it only catches a load that never ends, and says how far
/// it got.
fn wait_pong(c: &mut RawConn) -> Duration {
    let start = Instant::now();
    loop {
        let (raw, _) = ask(c, &["PING"]);
        if raw == b"+PONG\r\n" {
            return start.elapsed();
        }
        assert!(
            raw.starts_with(b"-LOADING"),
            "unexpected {:?}",
            String::from_utf8_lossy(&raw)
        );
        if start.elapsed() > Duration::from_secs(120) {
            let (_, info) = ask(c, &["INFO", "persistence"]);
            panic!(
                "load never ended: loaded {:?} of {:?} bytes",
                info_field(&info, "loading_loaded_bytes"),
                info_field(&info, "loading_total_bytes")
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn info_field(info: &Resp, name: &str) -> Option<String> {
    let Resp::Bulk(text) = info else { return None };
    String::from_utf8_lossy(text)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
}

#[test]
fn loading_error_then_data_as_redis() {
    // Fewer, longer sleeps than one per millisecond: a sleep's overshoot
    // (large on a loaded machine) is then a small part of each.
    const KEYS: usize = 300;
    let dir = temp_dir("loading");
    write_rdb(&dir, KEYS);
    let rdb_size = std::fs::metadata(dir.join("dump.rdb")).unwrap().len();
    // Ember: 10 ms per key keeps it loading for about 3 s.
    let port = support::free_port();
    let log = dir.join("ember.log");
    let _ember = Proc(
        Command::new(support::ember_server_binary())
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .arg("--dir")
            .arg(&dir)
            .arg("--logfile")
            .arg(&log)
            .args(["--key-load-delay", "10000"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ember-server"),
    );
    // Redis: same file, same delay; it serves clients every 1 KiB loaded.
    let redis_dir = temp_dir("loading-redis");
    std::fs::copy(dir.join("dump.rdb"), redis_dir.join("dump.rdb")).unwrap();
    let redis = RedisServer::start(&[
        "--dir",
        redis_dir.to_str().unwrap(),
        "--key-load-delay",
        "10000",
        "--loading-process-events-interval-bytes",
        "1024",
    ]);
    let mut e = connect_retry("ember", port);
    let mut pair = Pair::connect(port, redis.port);
    // While both load: the same -LOADING for commands without the flag.
    for cmd in [
        &["PING"][..],
        &["GET", "key:1"],
        &["DBSIZE"],
        &["SET", "x", "1"],
    ] {
        pair.check(cmd);
    }
    // Commands flagged `loading` run; INFO shows the progress fields.
    let (_, info) = ask(&mut e, &["INFO", "persistence"]);
    assert_eq!(info_field(&info, "loading").as_deref(), Some("1"));
    assert_eq!(
        info_field(&info, "loading_total_bytes"),
        Some(rdb_size.to_string())
    );
    for f in [
        "loading_start_time",
        "loading_rdb_used_mem",
        "loading_loaded_bytes",
        "loading_loaded_perc",
        "loading_eta_seconds",
    ] {
        assert!(info_field(&info, f).is_some(), "{f} missing");
    }
    let (raw, _) = ask(&mut e, &["CONFIG", "GET", "key-load-delay"]);
    assert!(raw.ends_with(b"$5\r\n10000\r\n"), "{:?}", raw);
    // Then the data.
    wait_pong(&mut e);
    let (raw, _) = ask(&mut e, &["DBSIZE"]);
    assert_eq!(raw, format!(":{}\r\n", KEYS + 1).as_bytes());
    let (_, got) = ask(&mut e, &["GET", "key:7"]);
    assert_eq!(got, Resp::Bulk(value_of(7).into_bytes()));
    let (_, info) = ask(&mut e, &["INFO", "persistence"]);
    assert_eq!(info_field(&info, "loading").as_deref(), Some("0"));
    assert_eq!(info_field(&info, "loading_total_bytes"), None);
    assert_eq!(
        info_field(&info, "rdb_last_load_keys_loaded"),
        Some((KEYS + 1).to_string())
    );
    // Redis's log lines, in order.
    let mut text = String::new();
    std::fs::File::open(&log)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let mut at = 0;
    for line in [
        "Loading RDB produced by version 7.0.15",
        "RDB age ",
        "RDB memory usage when created ",
        &format!(
            "Done loading RDB, keys loaded: {}, keys expired: 0.",
            KEYS + 1
        ),
        "DB loaded from disk: ",
        "Ready to accept connections",
    ] {
        let found = text[at..].find(line);
        assert!(
            found.is_some(),
            "log lacks {line:?} after byte {at}:\n{text}"
        );
        at += found.unwrap();
    }
    let mut r = connect_retry("redis", redis.port);
    wait_pong(&mut r);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&redis_dir);
}

/// Waits until the background save finished (its status reported).
fn wait_bgsave_done(c: &mut RawConn) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, info) = ask(c, &["INFO", "persistence"]);
        if info_field(&info, "rdb_bgsave_in_progress").as_deref() == Some("0") {
            return info_field(&info, "rdb_last_bgsave_status").unwrap_or_default();
        }
        assert!(Instant::now() < deadline, "BGSAVE never ended");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn misconf_after_failed_bgsave_as_redis() {
    let edir = temp_dir("misconf-ember");
    let rdir = temp_dir("misconf-redis");
    let mut d = support::Diff::with_config(
        &["--save", "3600 1", "--dir", rdir.to_str().unwrap()],
        ember::Config {
            save: vec![(3600, 1)],
            dir: edir.display().to_string(),
            ..Default::default()
        },
    );
    d.check(&["SET", "a", "1"]);
    // The rename over `dump.rdb` fails: it is a non-empty directory (works as root too).
    for dir in [&edir, &rdir] {
        std::fs::create_dir_all(dir.join("dump.rdb").join("x")).unwrap();
    }
    d.check(&["BGSAVE"]);
    let (ep, rp) = (d.ember_port(), d.redis_port());
    assert_eq!(wait_bgsave_done(&mut connect_retry("ember", ep)), "err");
    assert_eq!(wait_bgsave_done(&mut connect_retry("redis", rp)), "err");
    // Writes and PING are refused; reads are not.
    let misconf = d.check(&["SET", "a", "2"]);
    assert!(matches!(&misconf, Resp::Error(e) if e.starts_with(b"MISCONF Redis is configured")));
    d.check(&["PING"]);
    d.check(&["PING", "hello"]);
    d.check(&["GET", "a"]);
    d.check(&["ECHO", "x"]);
    d.check(&["DEL", "a"]);
    d.check(&["INCR", "n"]);
    // In a transaction the write is refused when queued and EXEC aborts.
    d.check(&["MULTI"]);
    d.check(&["SET", "b", "1"]);
    d.check(&["GET", "a"]);
    d.check(&["EXEC"]);
    // stop-writes-on-bgsave-error no lifts it; yes brings it back.
    d.check(&["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"]);
    d.check(&["SET", "c", "1"]);
    d.check(&["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"]);
    d.check(&["SET", "c", "2"]);
    // So does `save ""` (no save points).
    d.check(&["CONFIG", "SET", "save", ""]);
    d.check(&["SET", "c", "3"]);
    d.check(&["CONFIG", "SET", "save", "3600 1"]);
    d.check(&["SET", "c", "4"]);
    // A successful SAVE clears the error.
    for dir in [&edir, &rdir] {
        std::fs::remove_dir_all(dir.join("dump.rdb")).unwrap();
    }
    d.check(&["SAVE"]);
    d.check(&["SET", "a", "3"]);
    d.check(&["PING"]);
    d.check(&["GET", "a"]);
    drop(d);
    let _ = std::fs::remove_dir_all(&edir);
    let _ = std::fs::remove_dir_all(&rdir);
}

/// SHUTDOWN while loading exits at once without saving (Redis 7.0's
/// prepareForShutdown), even with save points: the file is not replaced by
/// the partial dataset, and the exit does not wait for the load to finish.
#[test]
fn shutdown_while_loading_keeps_the_file() {
    let dir = temp_dir("shutdown");
    write_rdb(&dir, 2000);
    let before = std::fs::read(dir.join("dump.rdb")).unwrap();
    let port = support::free_port();
    let mut child = Proc(
        Command::new(support::ember_server_binary())
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "3600 1 300 100 60 10000"])
            .arg("--dir")
            .arg(&dir)
            // 10 ms per key: the load takes 20 s or more, twice the deadline
            // below, so an exit that waits for the load fails the test.
            .args(["--key-load-delay", "10000", "--logfile", ""])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ember-server"),
    );
    let mut e = connect_retry("ember", port);
    let (raw, _) = ask(&mut e, &["PING"]);
    assert!(raw.starts_with(b"-LOADING"), "{:?}", raw);
    e.write_raw(&support::encode_command(&["SHUTDOWN"]));
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.0.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "no exit after SHUTDOWN");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(std::fs::read(dir.join("dump.rdb")).unwrap(), before);
    let _ = std::fs::remove_dir_all(&dir);
}
