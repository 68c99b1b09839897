//! The `ember-server` binary's allocator behaviour against redis-server
//! 7.0.15 (both built with jemalloc): `jemalloc-bg-thread` starts and stops
//! jemalloc's background purging threads, and a synchronous FLUSHALL /
//! FLUSHDB hands the freed pages back to the system at once (an ASYNC one
//! does not). Linux only: threads and RSS are read from /proc.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{RawConn, RedisServer, Resp};

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_ember() -> (Proc, u16) {
    let port = support::free_port();
    let dir = std::env::temp_dir().join(format!("ember-alloc-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let child = Command::new(support::ember_server_binary())
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args([
            "--save",
            "",
            "--enable-debug-command",
            "yes",
            "--logfile",
            "",
        ])
        .arg("--dir")
        .arg(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn ember-server");
    (Proc(child), port)
}

fn connect(name: &'static str, port: u16) -> RawConn {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(c) = RawConn::connect(name, port) {
            let _ = c.stream.set_read_timeout(Some(Duration::from_secs(30)));
            let mut c = c;
            if ask(&mut c, &["PING"]) == Resp::Simple(b"PONG".to_vec()) {
                return c;
            }
        }
        assert!(Instant::now() < deadline, "{name} did not answer");
        std::thread::sleep(Duration::from_millis(30));
    }
}

fn ask(c: &mut RawConn, cmd: &[&str]) -> Resp {
    c.write_raw(&support::encode_command(cmd));
    c.read_reply().expect("reply").1
}

/// Threads of `pid` that jemalloc named as its background purgers.
fn jemalloc_threads(pid: u64) -> usize {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .is_ok_and(|name| name.trim() == "jemalloc_bg_thd")
        })
        .count()
}

/// Polls until `jemalloc_threads(pid)` satisfies `want` (threads start and
/// stop asynchronously).
fn wait_threads(pid: u64, what: &str, want: impl Fn(usize) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !want(jemalloc_threads(pid)) {
        assert!(
            Instant::now() < deadline,
            "pid {pid}: jemalloc background threads never became {what} (now {})",
            jemalloc_threads(pid)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn jemalloc_bg_thread_starts_and_stops_the_purging_threads_as_redis() {
    let (_ember, port) = start_ember();
    let redis = RedisServer::start(&[]);
    for (name, port) in [("ember", port), ("redis", redis.port)] {
        let mut c = connect(name, port);
        let pid = c.info_u64("server", "process_id");
        // On by default.
        wait_threads(pid, "present", |n| n > 0);
        assert_eq!(
            ask(&mut c, &["CONFIG", "SET", "jemalloc-bg-thread", "no"]),
            Resp::Simple(b"OK".to_vec())
        );
        wait_threads(pid, "absent", |n| n == 0);
        assert_eq!(
            ask(&mut c, &["CONFIG", "GET", "jemalloc-bg-thread"]),
            Resp::Array(vec![
                Resp::Bulk(b"jemalloc-bg-thread".to_vec()),
                Resp::Bulk(b"no".to_vec())
            ]),
            "{name}"
        );
        assert_eq!(
            ask(&mut c, &["CONFIG", "SET", "jemalloc-bg-thread", "yes"]),
            Resp::Simple(b"OK".to_vec())
        );
        wait_threads(pid, "present again", |n| n > 0);
    }
}

/// Fills the database with DEBUG POPULATE; returns the RSS after.
fn populate(c: &mut RawConn, keys: &str) -> u64 {
    assert_eq!(
        ask(c, &["DEBUG", "POPULATE", keys]),
        Resp::Simple(b"OK".to_vec())
    );
    c.info_u64("memory", "used_memory_rss")
}

#[test]
fn sync_flushes_purge_freed_pages_as_redis() {
    const KEYS: &str = "500000";
    let (_ember, port) = start_ember();
    let redis = RedisServer::start(&["--enable-debug-command", "yes"]);
    for (name, port) in [("ember", port), ("redis", redis.port)] {
        let mut c = connect(name, port);
        // Background purging would shrink RSS on its own, slowly: keep it
        // off so only the flush itself can.
        ask(&mut c, &["CONFIG", "SET", "jemalloc-bg-thread", "no"]);
        let base = c.info_u64("memory", "used_memory_rss");
        // A flush is synchronous unless ASYNC (or lazyfree-lazy-user-flush).
        let cases: [(&[&str], bool); 3] = [
            (&["FLUSHALL", "ASYNC"], false),
            (&["FLUSHALL"], true),
            (&["FLUSHDB", "SYNC"], true),
        ];
        for (flush, purges) in cases {
            let full = populate(&mut c, KEYS);
            let grown = full.saturating_sub(base);
            assert!(
                grown > 16 << 20,
                "{name}: {KEYS} keys grew RSS by only {grown} bytes"
            );
            assert_eq!(ask(&mut c, flush), Resp::Simple(b"OK".to_vec()));
            let after = c.info_u64("memory", "used_memory_rss");
            let returned = full.saturating_sub(after);
            if purges {
                assert!(
                    returned > grown / 2,
                    "{name} {flush:?}: RSS {full} -> {after}, base {base}: the pages were kept"
                );
            } else {
                assert!(
                    returned < grown / 4,
                    "{name} {flush:?}: RSS {full} -> {after}, base {base}: purged although ASYNC"
                );
            }
        }
        // With lazyfree-lazy-user-flush a bare FLUSHALL is asynchronous.
        ask(
            &mut c,
            &["CONFIG", "SET", "lazyfree-lazy-user-flush", "yes"],
        );
        let full = populate(&mut c, KEYS);
        assert_eq!(ask(&mut c, &["FLUSHALL"]), Resp::Simple(b"OK".to_vec()));
        let after = c.info_u64("memory", "used_memory_rss");
        assert!(
            full.saturating_sub(after) < full.saturating_sub(base) / 4,
            "{name}: lazy FLUSHALL purged: RSS {full} -> {after}"
        );
    }
}
