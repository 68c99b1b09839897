//! Crash safety of the AOF: the `ember-server` process writes with
//! `appendfsync always` (and `everysec`) while a client records every write
//! it saw acknowledged; the process is killed with SIGKILL at a random
//! (seeded) moment, sometimes in the middle of a BGREWRITEAOF, restarted on
//! the same directory, and every acknowledged write must be there. Rounds
//! accumulate: each restart also checks everything from earlier rounds.
//!
//! `EMBER_SEED=<n>` replays one seed.

mod support;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{RawConn, Resp};

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, fsync: &str) -> Server {
    for _ in 0..10 {
        let port = support::free_port();
        let child = Command::new(support::ember_server_binary())
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(["--appendonly", "yes", "--appendfsync", fsync, "--dir"])
            .arg(dir)
            .args(["--logfile"])
            .arg(dir.join("ember.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ember-server");
        let mut server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = server.child.try_wait() {
                break;
            }
            if let Ok(mut c) = RawConn::connect("ember", port) {
                c.write_raw(&support::encode_command(&["PING"]));
                if matches!(c.read_reply(), Ok((_, Resp::Simple(ref s))) if s == b"PONG") {
                    return server;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let log = std::fs::read_to_string(dir.join("ember.log")).unwrap_or_default();
        assert!(
            !log.contains("Exiting") && !log.contains("FATAL"),
            "ember-server failed:\n{log}"
        );
    }
    panic!("ember-server did not start");
}

/// What the client saw acknowledged, across rounds.
#[derive(Default)]
struct Acked {
    /// SET key:n -> value (the last acknowledged value of each key).
    sets: std::collections::BTreeMap<u64, u64>,
    /// INCR counter acknowledgements.
    incrs: u64,
    /// RPUSH list values, in order.
    pushes: Vec<u64>,
    /// Writes sent whose reply never came (each may or may not be applied).
    in_doubt: u64,
}

/// Sends one command; None once the server is gone.
fn call(c: &mut RawConn, argv: &[String]) -> Option<Resp> {
    c.stream.write_all(&support::encode_command(argv)).ok()?;
    c.read_reply().ok().map(|(_, r)| r)
}

/// Writes until the connection dies, recording acknowledgements.
fn write_until_killed(port: u16, rng: &mut SmallRng, next: &mut u64, acked: &mut Acked) {
    let Ok(mut c) = RawConn::connect("ember", port) else {
        return;
    };
    let _ = c.stream.set_read_timeout(Some(Duration::from_secs(10)));
    let s = |x: &str| x.to_string();
    loop {
        *next += 1;
        let n = *next;
        let sent = match rng.gen_range(0..10) {
            0..=5 => {
                let key = rng.gen_range(0..500u64);
                match call(&mut c, &[s("SET"), format!("key:{key}"), n.to_string()]) {
                    Some(Resp::Simple(ok)) if ok == b"OK" => {
                        acked.sets.insert(key, n);
                        true
                    }
                    _ => false,
                }
            }
            6 | 7 => match call(&mut c, &[s("INCR"), s("counter")]) {
                Some(Resp::Int(_)) => {
                    acked.incrs += 1;
                    true
                }
                _ => false,
            },
            8 => match call(&mut c, &[s("RPUSH"), s("list"), n.to_string()]) {
                Some(Resp::Int(_)) => {
                    acked.pushes.push(n);
                    true
                }
                _ => false,
            },
            _ => {
                // A transaction: acknowledged as a whole by EXEC's reply.
                let key = rng.gen_range(0..500u64);
                let ok = call(&mut c, &[s("MULTI")]).is_some()
                    && call(&mut c, &[s("SET"), format!("key:{key}"), n.to_string()]).is_some()
                    && call(&mut c, &[s("INCR"), s("counter")]).is_some();
                match ok.then(|| call(&mut c, &[s("EXEC")])).flatten() {
                    Some(Resp::Array(items)) if items.len() == 2 => {
                        acked.sets.insert(key, n);
                        acked.incrs += 1;
                        true
                    }
                    _ => false,
                }
            }
        };
        if !sent {
            acked.in_doubt += 1;
            return;
        }
    }
}

fn verify(port: u16, acked: &Acked, round: usize) {
    let mut c = RawConn::connect("ember", port).unwrap();
    for (key, value) in &acked.sets {
        let got = c.cmd(&["GET", &format!("key:{key}")]);
        // A later write of the same key may have landed without its reply.
        let v: u64 = got
            .bytes()
            .map_or(0, |b| String::from_utf8_lossy(b).parse().unwrap_or(0));
        assert!(
            v >= *value,
            "round {round}: key:{key} holds {got:?}, acknowledged {value}"
        );
    }
    let counter: u64 = c
        .cmd(&["GET", "counter"])
        .bytes()
        .map_or(0, |b| String::from_utf8_lossy(b).parse().unwrap());
    assert!(
        counter >= acked.incrs && counter <= acked.incrs + acked.in_doubt,
        "round {round}: counter {counter}, acknowledged {} (+{} in doubt)",
        acked.incrs,
        acked.in_doubt
    );
    let list: Vec<u64> = c
        .cmd(&["LRANGE", "list", "0", "-1"])
        .items()
        .iter()
        .map(|r| r.text().parse().unwrap())
        .collect();
    assert!(
        list.len() >= acked.pushes.len()
            && list.len() <= acked.pushes.len() + acked.in_doubt as usize,
        "round {round}: list has {} items, {} acknowledged",
        list.len(),
        acked.pushes.len()
    );
    // Acknowledged pushes are all there, in order (unacknowledged ones may
    // sit between them, one per earlier crash).
    let mut it = list.iter();
    for p in &acked.pushes {
        assert!(it.any(|x| x == p), "round {round}: pushed {p} is missing");
    }
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    for seed in support::seeds(&[7, 1234, 99]) {
        let dir =
            std::env::temp_dir().join(format!("ember-crash-aof-{}-{seed}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut acked = Acked::default();
        let mut next = 0u64;
        for round in 0..8 {
            let fsync = if round % 3 == 2 { "everysec" } else { "always" };
            let mut server = start(&dir, fsync);
            verify(server.port, &acked, round);
            let kill_after = Duration::from_millis(rng.gen_range(30..250));
            let rewrite_at = rng
                .gen_bool(0.5)
                .then(|| Duration::from_millis(rng.gen_range(0..kill_after.as_millis() as u64)));
            let port = server.port;
            let pid = server.child.id();
            let done = Arc::new(AtomicBool::new(false));
            let killer = {
                let done = done.clone();
                std::thread::spawn(move || {
                    let started = Instant::now();
                    if let Some(at) = rewrite_at {
                        std::thread::sleep(at);
                        if let Ok(mut c) = RawConn::connect("ember", port) {
                            let _ = call(&mut c, &["BGREWRITEAOF".to_string()]);
                        }
                    }
                    std::thread::sleep(kill_after.saturating_sub(started.elapsed()));
                    // SIGKILL: no shutdown code runs.
                    let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
                    done.store(true, Ordering::SeqCst);
                })
            };
            let before = next;
            write_until_killed(port, &mut rng, &mut next, &mut acked);
            eprintln!(
                "seed {seed} round {round} ({fsync}): {} writes, killed after {kill_after:?}{}",
                next - before,
                if rewrite_at.is_some() {
                    " with a rewrite"
                } else {
                    ""
                }
            );
            killer.join().unwrap();
            assert!(done.load(Ordering::SeqCst));
            let _ = server.child.wait();
        }
        let server = start(&dir, "always");
        verify(server.port, &acked, 8);
        assert!(acked.sets.len() > 10, "the test wrote something");
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
