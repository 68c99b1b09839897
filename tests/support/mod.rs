//! Differential test harness: the same commands go to a fresh real `redis-server`
//! (the oracle) and a fresh in-process Ember, and the replies must be identical
//! byte for byte.
//!
//! ```ignore
//! mod support;
//! let mut d = support::Diff::new();
//! d.check(&["SET", "k", "v"]);             // identical raw replies
//! d.check_unordered(&["KEYS", "*"]);       // same multiset of elements
//! d.check_shape(&["RANDOMKEY"]);           // same reply type/shape
//! let mut c2 = d.connect();                // a second client on both servers
//! c2.check(&["GET", "k"]);
//! ```
//! Every `Diff` owns its two servers, so tests run in parallel threads freely.
#![allow(dead_code)]

pub mod repl;
pub mod resp;
pub mod zsets;

pub use resp::{encode_command, escape, show_command, RawConn, Resp};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::net::{TcpListener, TcpStream};
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long `check_raw` waits for more bytes before deciding the server is done.
pub const RAW_IDLE: Duration = Duration::from_millis(300);

/// A real `redis-server` child process on a private port, killed on drop.
pub struct RedisServer {
    pub port: u16,
    child: Child,
    dir: PathBuf,
}

impl RedisServer {
    /// Starts `redis-server` with `--save '' --appendonly no` plus `extra` args
    /// (e.g. `&["--hz", "100"]`) and waits until it answers.
    pub fn start(extra: &[&str]) -> RedisServer {
        let mut last_err = String::new();
        for _attempt in 0..20 {
            let port = free_port();
            let dir =
                std::env::temp_dir().join(format!("ember-diff-{}-{}", std::process::id(), port));
            let _ = std::fs::create_dir_all(&dir);
            let spawned = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
                .args(["--logfile", "", "--dir"])
                .arg(&dir)
                .args(extra)
                .stdin(Stdio::null())
                // It logs to stdout (`logfile ""`, as CONFIG GET must show):
                // kept for the failure report (see Drop).
                .stdout(
                    std::fs::File::create(dir.join("redis.log"))
                        .map(Stdio::from)
                        .unwrap_or_else(|_| Stdio::null()),
                )
                .stderr(Stdio::null())
                .spawn();
            let child = match spawned {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                    "redis-server not found in PATH: the differential tests need the real \
                     Redis 7.0 as their oracle (apt-get install -y redis-server)"
                ),
                Err(e) => panic!("cannot start redis-server: {e}"),
            };
            let mut server = RedisServer { port, child, dir };
            match server.wait_ready() {
                Ok(()) => return server,
                Err(e) => last_err = e, // port taken or slow start: drop (kill) and retry
            }
        }
        panic!("redis-server did not start after 20 attempts: {last_err}");
    }

    /// Waits until the child answers on its port. The answer must come from
    /// *this* process (INFO's `process_id`): if our port was taken by another
    /// test's server in the meantime, the child exits and we retry elsewhere.
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let pid_line = format!("process_id:{}\r\n", self.child.id());
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("redis-server exited early ({status})"));
            }
            if Instant::now() > deadline {
                return Err("redis-server did not answer within 10s".into());
            }
            if let Ok(mut c) = RawConn::connect("redis", self.port) {
                let _ = c.stream.set_read_timeout(Some(Duration::from_secs(2)));
                // A connection reset while the server starts up (or by a
                // process that held the port a moment) is "not ready yet".
                let info = encode_command(&["INFO", "server"]);
                if std::io::Write::write_all(&mut c.stream, &info).is_err() {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
                match c.read_reply() {
                    Ok((_, Resp::Bulk(info))) => {
                        if String::from_utf8_lossy(&info).contains(&pid_line) {
                            return Ok(());
                        }
                        return Err("another server answered on the port".into());
                    }
                    // With --requirepass INFO is refused: trust the port if our
                    // child is still alive a moment later (a bind failure exits at once).
                    Ok((_, Resp::Error(e))) if e.starts_with(b"NOAUTH") => {
                        std::thread::sleep(Duration::from_millis(20));
                        if let Ok(None) = self.child.try_wait() {
                            return Ok(());
                        }
                    }
                    _ => {}
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // A failing test shows what the oracle logged (a replica's handshake
        // and sync steps, say) next to its own message.
        if std::thread::panicking() {
            if let Ok(log) = std::fs::read_to_string(self.dir.join("redis.log")) {
                let lines: Vec<&str> = log.lines().collect();
                let tail = &lines[lines.len().saturating_sub(40)..];
                eprintln!(
                    "--- redis-server on port {} logged (last {} lines):\n{}",
                    self.port,
                    tail.len(),
                    tail.join("\n")
                );
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port that was free a moment ago (bind to port 0, then release it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

/// The `ember-server` binary of this checkout (debug build), brought up to
/// date once per test process: a test run on its own (`cargo test --test
/// server_process`) must not start a binary built before the last change
/// (cargo builds only the root package's targets for it).
pub fn ember_server_binary() -> std::path::PathBuf {
    static BUILT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let ok = BUILT.get_or_init(|| {
        std::process::Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "-p",
                "ember-cli",
                "--bin",
                "ember-server",
            ])
            .status()
            .is_ok_and(|s| s.success())
    });
    assert!(*ok, "building ember-server failed");
    target.join("debug").join("ember-server")
}

/// Starts an in-process Ember server on an ephemeral port.
pub fn start_ember(config: ember::Config) -> ember::ServerHandle {
    ember::start_server(ember::Config { port: 0, ..config }).expect("start in-process Ember")
}

/// Two servers under test, and the first client pair (reachable through `Deref`:
/// `d.check(..)` is `d.main.check(..)`).
pub struct Diff {
    pub main: Pair,
    // Field order: connections close before the servers stop.
    pub ember_server: ember::ServerHandle,
    pub redis_server: RedisServer,
}

impl Diff {
    /// Fresh redis-server and Ember with default configurations.
    pub fn new() -> Diff {
        // Like the redis-server side (`--save ''`), no save points.
        Diff::with_config(
            &[],
            ember::Config {
                save: vec![],
                ..Default::default()
            },
        )
    }

    /// Fresh servers that accept DEBUG (`enable-debug-command yes`), no save points.
    pub fn with_debug() -> Diff {
        let config = ember::Config {
            save: vec![],
            enable_debug_command: "yes".into(),
            ..Default::default()
        };
        Diff::with_config(&["--enable-debug-command", "yes"], config)
    }

    /// Fresh servers with extra redis-server arguments and an Ember configuration
    /// (its port is ignored); both should describe the same settings.
    pub fn with_config(redis_args: &[&str], config: ember::Config) -> Diff {
        let redis_server = RedisServer::start(redis_args);
        let ember_server = start_ember(config);
        let main = Pair::connect(ember_server.port, redis_server.port);
        Diff {
            main,
            ember_server,
            redis_server,
        }
    }

    pub fn ember_port(&self) -> u16 {
        self.ember_server.port
    }

    pub fn redis_port(&self) -> u16 {
        self.redis_server.port
    }

    /// A new client pair (one connection to each server), e.g. for multi-client tests.
    pub fn connect(&self) -> Pair {
        Pair::connect(self.ember_port(), self.redis_port())
    }

    /// Alias of [`Diff::connect`].
    pub fn second(&self) -> Pair {
        self.connect()
    }

    /// Replaces the main pair with fresh connections (after QUIT or a protocol error).
    pub fn reconnect(&mut self) {
        self.main = self.connect();
    }

    /// Sends `bytes` verbatim on fresh connections to both servers, reads until each
    /// closes the connection or stays silent for [`RAW_IDLE`], and asserts both sent
    /// the same bytes and both did (or did not) close. Returns (bytes, closed).
    pub fn check_raw(&self, bytes: &[u8]) -> (Vec<u8>, bool) {
        self.check_raw_idle(bytes, RAW_IDLE)
    }

    pub fn check_raw_idle(&self, bytes: &[u8], idle: Duration) -> (Vec<u8>, bool) {
        let mut p = self.connect();
        p.ember.write_raw(bytes);
        p.redis.write_raw(bytes);
        let (mut eb, mut ec) = p.ember.read_until_close(idle);
        let (mut rb, mut rc) = p.redis.read_until_close(idle);
        // A busy machine can make one side slow: before calling it a difference,
        // give whichever side is still open more time to catch up.
        let slow = Duration::from_secs(3);
        if (eb != rb || ec != rc) && !ec {
            let (more, closed) = p.ember.read_until_close(slow);
            eb.extend(more);
            ec = closed;
        }
        if (eb != rb || ec != rc) && !rc {
            let (more, closed) = p.redis.read_until_close(slow);
            rb.extend(more);
            rc = closed;
        }
        if eb != rb || ec != rc {
            panic!(
                "raw exchange differs\n  sent:  {}\n  redis: {} (closed: {rc})\n  ember: {} (closed: {ec})",
                escape(bytes),
                escape(&rb),
                escape(&eb)
            );
        }
        (rb, rc)
    }
}

impl Default for Diff {
    fn default() -> Self {
        Diff::new()
    }
}

impl Deref for Diff {
    type Target = Pair;
    fn deref(&self) -> &Pair {
        &self.main
    }
}

impl DerefMut for Diff {
    fn deref_mut(&mut self) -> &mut Pair {
        &mut self.main
    }
}

/// How a reply pair is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// Raw bytes identical.
    Exact,
    /// Same multiset of top-level elements (arrays, sets, maps).
    Unordered,
    /// Flat arrays compared as multisets of (field, value) pairs.
    UnorderedPairs,
    /// Same type and shape only.
    Shape,
    /// A TTL in seconds: identical, or two non-negative integers one apart.
    /// TTL rounds to the nearest second, so an expiry read a moment apart
    /// on each server can straddle a half-second boundary.
    TtlSeconds,
}

/// One connection to each server.
pub struct Pair {
    pub ember: RawConn,
    pub redis: RawConn,
}

impl Pair {
    pub fn connect(ember_port: u16, redis_port: u16) -> Pair {
        let ember = RawConn::connect("ember", ember_port)
            .unwrap_or_else(|e| panic!("connect to Ember on {ember_port}: {e}"));
        let redis = RawConn::connect("redis", redis_port)
            .unwrap_or_else(|e| panic!("connect to redis-server on {redis_port}: {e}"));
        Pair { ember, redis }
    }

    /// Sends `cmd` to both servers; returns ((redis raw, parsed), (ember raw, parsed)).
    pub fn exchange<A: AsRef<[u8]>>(&mut self, cmd: &[A]) -> ((Vec<u8>, Resp), (Vec<u8>, Resp)) {
        let r = self.redis.send(cmd);
        let e = self.ember.send(cmd);
        (r, e)
    }

    /// Asserts both servers reply with identical bytes; returns the parsed reply.
    pub fn check<A: AsRef<[u8]>>(&mut self, cmd: &[A]) -> Resp {
        self.check_by(cmd, Cmp::Exact)
    }

    /// Asserts the replies hold the same elements in any order (top level).
    pub fn check_unordered<A: AsRef<[u8]>>(&mut self, cmd: &[A]) -> Resp {
        self.check_by(cmd, Cmp::Unordered)
    }

    /// Asserts flat (field, value, ...) arrays hold the same pairs in any order.
    pub fn check_unordered_pairs<A: AsRef<[u8]>>(&mut self, cmd: &[A]) -> Resp {
        self.check_by(cmd, Cmp::UnorderedPairs)
    }

    /// Asserts the replies have the same type and shape (nondeterministic commands).
    pub fn check_shape<A: AsRef<[u8]>>(&mut self, cmd: &[A]) -> Resp {
        self.check_by(cmd, Cmp::Shape)
    }

    /// Asserts `normalize(redis reply) == normalize(ember reply)` (e.g. to drop
    /// fields that legitimately differ); returns redis's reply.
    pub fn check_normalized<A: AsRef<[u8]>>(
        &mut self,
        cmd: &[A],
        normalize: impl Fn(&Resp) -> Resp,
    ) -> Resp {
        let ((rraw, r), (eraw, e)) = self.exchange(cmd);
        if normalize(&r) != normalize(&e) {
            panic!(
                "normalized replies differ for {}\n  redis: {}\n  ember: {}",
                show_command(cmd),
                escape(&rraw),
                escape(&eraw)
            );
        }
        r
    }

    /// Compares with `how`; panics with both replies on a difference. Returns redis's reply.
    pub fn check_by<A: AsRef<[u8]>>(&mut self, cmd: &[A], how: Cmp) -> Resp {
        match self.try_check(cmd, how) {
            Ok(r) => r,
            Err(msg) => panic!("{msg}"),
        }
    }

    /// Like [`Pair::check_by`] but returns the failure message instead of panicking.
    pub fn try_check<A: AsRef<[u8]>>(&mut self, cmd: &[A], how: Cmp) -> Result<Resp, String> {
        let ((rraw, r), (eraw, e)) = self.exchange(cmd);
        if compare(how, &rraw, &r, &eraw, &e) {
            Ok(r)
        } else {
            Err(format!(
                "replies differ ({how:?}) for {}\n  redis: {}\n  ember: {}",
                show_command(cmd),
                escape(&rraw),
                escape(&eraw)
            ))
        }
    }

    /// Checks every command in order (exact comparison); returns the replies.
    pub fn check_seq<A: AsRef<[u8]>>(&mut self, cmds: &[&[A]]) -> Vec<Resp> {
        cmds.iter().map(|c| self.check(c)).collect()
    }

    /// Sends all commands in one write (a pipeline), reads one reply per command and
    /// asserts the concatenated reply bytes are identical.
    pub fn check_pipeline<A: AsRef<[u8]>>(&mut self, cmds: &[&[A]]) -> Vec<Resp> {
        let bytes: Vec<u8> = cmds.iter().flat_map(|c| encode_command(c)).collect();
        self.check_raw_replies(&bytes, cmds.len())
    }

    /// Writes `bytes` verbatim to both servers, reads exactly `n` replies from each
    /// and asserts the concatenated reply bytes are identical.
    pub fn check_raw_replies(&mut self, bytes: &[u8], n: usize) -> Vec<Resp> {
        self.redis.write_raw(bytes);
        self.ember.write_raw(bytes);
        let read_n = |c: &mut RawConn| -> Result<(Vec<u8>, Vec<Resp>), String> {
            let mut raw = Vec::new();
            let mut parsed = Vec::new();
            for i in 0..n {
                let (b, r) = c.read_reply().map_err(|e| {
                    format!(
                        "{}: reply {i} of {n}: {e} (so far {})",
                        c.name,
                        escape(&raw)
                    )
                })?;
                raw.extend_from_slice(&b);
                parsed.push(r);
            }
            Ok((raw, parsed))
        };
        let r = read_n(&mut self.redis);
        let e = read_n(&mut self.ember);
        match (r, e) {
            (Ok((rraw, rp)), Ok((eraw, _))) if rraw == eraw => rp,
            (r, e) => {
                let show = |x: Result<(Vec<u8>, Vec<Resp>), String>| match x {
                    Ok((raw, _)) => escape(&raw),
                    Err(msg) => msg,
                };
                panic!(
                    "replies differ for raw input {}\n  redis: {}\n  ember: {}",
                    escape(bytes),
                    show(r),
                    show(e)
                )
            }
        }
    }

    /// Sends `cmd` to both and returns (redis reply, ember reply) without comparing.
    pub fn both<A: AsRef<[u8]>>(&mut self, cmd: &[A]) -> (Resp, Resp) {
        let ((_, r), (_, e)) = self.exchange(cmd);
        (r, e)
    }

    /// Waits (up to 10 s) until both servers report `value` for the numeric
    /// INFO field `section`/`name`: a client's close, block or subscription
    /// takes effect on each server at its own moment.
    pub fn wait_info(&mut self, section: &str, name: &str, value: u64) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let r = self.redis.info_u64(section, name);
            let e = self.ember.info_u64(section, name);
            if r == value && e == value {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "INFO {name} never reached {value} (redis {r}, ember {e})"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Sends to Ember only.
    pub fn ember<A: AsRef<[u8]>>(&mut self, cmd: &[A]) -> Resp {
        self.ember.cmd(cmd)
    }

    /// Sends to redis-server only.
    pub fn redis<A: AsRef<[u8]>>(&mut self, cmd: &[A]) -> Resp {
        self.redis.cmd(cmd)
    }

    /// Switches both connections to RESP3 with `HELLO 3` (the HELLO replies differ
    /// by design: server name, version, client id; only their shape is compared).
    pub fn hello3(&mut self) {
        self.check_shape(&["HELLO", "3"]);
    }

    /// Runs `n` commands drawn from `generators` with a deterministic RNG seeded by
    /// `seed`, comparing every reply exactly. On a difference it panics with the
    /// seed, the index and the commands that led there.
    pub fn random_sequence(&mut self, seed: u64, n: usize, generators: &[Generator]) {
        self.random_sequence_by(seed, n, generators, |_| Cmp::Exact)
    }

    /// Like [`Pair::random_sequence`], with `classify` choosing the comparison per command.
    pub fn random_sequence_by(
        &mut self,
        seed: u64,
        n: usize,
        generators: &[Generator],
        classify: fn(&[String]) -> Cmp,
    ) {
        assert!(!generators.is_empty(), "random_sequence needs generators");
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut history: Vec<Vec<String>> = Vec::with_capacity(n);
        for i in 0..n {
            let g = generators[rng.gen_range(0..generators.len())];
            let cmd = g(&mut rng);
            history.push(cmd.clone());
            if let Err(msg) = self.try_check(&cmd, classify(&cmd)) {
                let tail: Vec<String> = history
                    .iter()
                    .rev()
                    .take(20)
                    .rev()
                    .map(|c| format!("    {}", show_command(c)))
                    .collect();
                panic!(
                    "random sequence seed={seed} index={i}: {msg}\n  last commands:\n{}\n  \
                     (replay with the same seed; EMBER_SEED=<n> overrides seeds in `seeds()`)",
                    tail.join("\n")
                );
            }
        }
    }
}

/// Compares two replies under `how`.
pub fn compare(how: Cmp, rraw: &[u8], r: &Resp, eraw: &[u8], e: &Resp) -> bool {
    match how {
        Cmp::Exact => rraw == eraw,
        Cmp::Unordered => rraw == eraw || r.sorted() == e.sorted(),
        Cmp::UnorderedPairs => rraw == eraw || r.sorted_pairs() == e.sorted_pairs(),
        Cmp::Shape => r.same_shape(e),
        Cmp::TtlSeconds => {
            rraw == eraw
                || matches!((r, e), (Resp::Int(a), Resp::Int(b))
                    if *a >= 0 && *b >= 0 && a.abs_diff(*b) <= 1)
        }
    }
}

/// A random command generator for [`Pair::random_sequence`].
pub type Generator = fn(&mut SmallRng) -> Vec<String>;

/// Seeds for randomized tests: `EMBER_SEED=<n>` runs just that seed, otherwise
/// `defaults`.
pub fn seeds(defaults: &[u64]) -> Vec<u64> {
    match std::env::var("EMBER_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(s) => vec![s],
        None => defaults.to_vec(),
    }
}

/// A fresh `Diff` running one seeded random sequence (see [`Pair::random_sequence`]).
pub fn random_sequence(seed: u64, n: usize, generators: &[Generator]) {
    Diff::new().random_sequence(seed, n, generators)
}

/// Helpers for writing generators.
pub mod gen {
    use rand::rngs::SmallRng;
    use rand::Rng;

    /// One of `items`.
    pub fn pick<'a>(rng: &mut SmallRng, items: &[&'a str]) -> &'a str {
        items[rng.gen_range(0..items.len())]
    }

    /// `prefix` followed by a number below `n` (a small keyspace collides often).
    pub fn key(rng: &mut SmallRng, prefix: &str, n: u32) -> String {
        format!("{prefix}{}", rng.gen_range(0..n))
    }

    /// A decimal integer in `lo..=hi`.
    pub fn int(rng: &mut SmallRng, lo: i64, hi: i64) -> String {
        rng.gen_range(lo..=hi).to_string()
    }

    /// Lowercase ASCII text of length `0..=max_len`.
    pub fn text(rng: &mut SmallRng, max_len: usize) -> String {
        let len = rng.gen_range(0..=max_len);
        (0..len)
            .map(|_| rng.gen_range(b'a'..=b'z') as char)
            .collect()
    }

    /// True with probability `p`.
    pub fn chance(rng: &mut SmallRng, p: f64) -> bool {
        rng.gen_bool(p)
    }
}

/// Connects a plain `TcpStream` to Ember on `port` (for tests that need a socket).
/// Whether something accepts connections on 127.0.0.1:`port`.
pub fn tcp_try(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

pub fn tcp(port: u16) -> TcpStream {
    TcpStream::connect(("127.0.0.1", port)).expect("connect")
}
