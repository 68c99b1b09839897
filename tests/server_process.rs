//! The `ember-server` binary as a process: command-line options, config files,
//! the log lines supervisors wait for, busy ports, daemonize and pidfile.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{ember_server_binary as binary, free_port};

/// Sends one inline command and returns the first reply line.
fn ask(port: u16, cmd: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(format!("{cmd}\r\n").as_bytes()).ok()?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    Some(line.trim_end().to_string())
}

fn wait_for_pong(port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if ask(port, "PING").as_deref() == Some("+PONG") {
            return true;
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    false
}

/// The child and its working directory (removed with it).
struct Proc(Child, PathBuf);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

/// Starts the binary in a fresh working directory of its own, so the default
/// `dir ./` never reads or leaves a dump.rdb in the checkout.
fn spawn(args: &[&str]) -> Proc {
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let cwd = std::env::temp_dir().join(format!("ember-proc-{}-{seq}", std::process::id()));
    std::fs::create_dir_all(&cwd).unwrap();
    Proc(
        Command::new(binary())
            .current_dir(&cwd)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn"),
        cwd,
    )
}

/// Reads stdout until `needle` shows up (or the process exits / time runs out).
fn read_until(p: &mut Proc, needle: &str) -> String {
    let mut out = p.0.stdout.take().expect("stdout");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut text = String::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline && !text.contains(needle) {
        match out.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => text.push_str(&String::from_utf8_lossy(&buf[..n])),
        }
    }
    p.0.stdout = Some(out);
    text
}

#[test]
fn starts_with_command_line_options_and_logs_ready() {
    let port = free_port();
    let ps = port.to_string();
    let mut p = spawn(&[
        "--port",
        &ps,
        "--save",
        "",
        "--appendonly",
        "no",
        "--loglevel",
        "verbose",
    ]);
    let log = read_until(&mut p, "Ready to accept connections");
    assert!(log.contains("Ready to accept connections"), "log: {log}");
    assert!(
        log.contains(&format!("Running mode=standalone, port={port}.")),
        "log: {log}"
    );
    assert!(wait_for_pong(port));
    assert_eq!(ask(port, "CONFIG GET save").as_deref(), Some("*2"));
    assert_eq!(ask(port, "SET k v").as_deref(), Some("+OK"));
    // Log lines follow Redis's `pid:role dd Mon yyyy hh:mm:ss.mmm <level> msg` shape.
    let ready = log.lines().find(|l| l.contains("Ready to accept")).unwrap();
    let pid = p.0.id().to_string();
    assert!(ready.starts_with(&format!("{pid}:M ")), "{ready}");
    assert!(ready.contains(" * Ready to accept connections"), "{ready}");
}

#[test]
fn shutdown_command_stops_the_process() {
    let port = free_port();
    let mut p = spawn(&["--port", &port.to_string()]);
    assert!(wait_for_pong(port));
    let _ = ask(port, "SHUTDOWN NOSAVE");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = p.0.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "server did not exit after SHUTDOWN"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn debian_redis_conf_starts() {
    let conf = "/etc/redis/redis.conf";
    if !std::path::Path::new(conf).exists() {
        panic!("{conf} is missing: install redis-server (the CI script does)");
    }
    let port = free_port();
    let dir = std::env::temp_dir();
    let log = dir.join(format!("ember-debian-{port}.log"));
    let _p = spawn(&[
        conf,
        "--port",
        &port.to_string(),
        "--daemonize",
        "no",
        "--logfile",
        log.to_str().unwrap(),
        "--dir",
        dir.to_str().unwrap(),
        "--pidfile",
        "",
    ]);
    assert!(wait_for_pong(port), "server with {conf} did not answer");
    // A directive from the file was applied (Debian sets `databases 16`, `tcp-keepalive 300`).
    assert_eq!(ask(port, "CONFIG GET tcp-keepalive").as_deref(), Some("*2"));
    let _ = std::fs::remove_file(log);
}

#[test]
fn busy_port_fails_like_redis() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let out = Command::new(binary())
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(
        log.contains(&format!("Failed listening on port {port} (TCP), aborting.")),
        "{log}"
    );
    assert!(log.contains("bind: Address already in use"), "{log}");
}

/// A `loadmodule` line (file or command line) stops the start after
/// initializing, with Redis's two log lines, since no module can be loaded.
#[test]
fn loadmodule_stops_the_start_like_a_failed_load() {
    let out = Command::new(binary())
        .args(["--port", "0", "--loadmodule", "/nonexistent/m.so", "a"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(log.contains("Server initialized"), "{log}");
    assert!(
        log.contains("# Module /nonexistent/m.so failed to load: "),
        "{log}"
    );
    assert!(
        log.contains("# Can't load module from /nonexistent/m.so: server aborting"),
        "{log}"
    );
    assert!(!log.contains("Ready to accept connections"), "{log}");
}

#[test]
fn bad_config_is_a_fatal_error_with_the_line() {
    let dir = std::env::temp_dir().join(format!("ember-badconf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("bad.conf");
    std::fs::write(&conf, "port 7777\nfoo bar\n").unwrap();
    let out = Command::new(binary()).arg(&conf).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***"),
        "{err}"
    );
    assert!(err.contains("Reading the configuration file, at line 2\n>>> 'foo bar'\nBad directive or wrong number of arguments"), "{err}");
    let out = Command::new(binary())
        .args(["--port", "notanumber"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("argument couldn't be parsed into an integer"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn daemonize_writes_and_removes_the_pidfile() {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("ember-daemon-{port}"));
    std::fs::create_dir_all(&dir).unwrap();
    let pidfile = dir.join("ember.pid");
    let logfile = dir.join("ember.log");
    let status = Command::new(binary())
        .args(["--port", &port.to_string(), "--daemonize", "yes"])
        // Its shutdown save (default save points) goes there, not into the checkout.
        .args(["--dir", dir.to_str().unwrap()])
        .args([
            "--pidfile",
            pidfile.to_str().unwrap(),
            "--logfile",
            logfile.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success(), "the parent exits 0 after forking");
    assert!(wait_for_pong(port));
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(ask(port, "INFO server").is_some());
    // SIGTERM: graceful shutdown removes the pidfile and logs the bye line.
    unsafe_kill(pid);
    let deadline = Instant::now() + Duration::from_secs(10);
    while pidfile.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!pidfile.exists(), "pidfile removed on shutdown");
    let log = std::fs::read_to_string(&logfile).unwrap();
    assert!(
        log.contains("Received SIGTERM scheduling shutdown..."),
        "{log}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

fn unsafe_kill(pid: i32) {
    let ok = Command::new("kill")
        .arg(pid.to_string())
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[test]
fn version_and_help() {
    let out = Command::new(binary()).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("redis_version=7.0.15"));
    let out = Command::new(binary()).arg("--help").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("ember-server [/path/to/redis.conf] [options]"));
}

#[test]
fn always_show_logo_shows_the_pid() {
    let port = free_port();
    let mut p = spawn(&["--port", &port.to_string(), "--always-show-logo", "yes"]);
    let log = read_until(&mut p, "Ready to accept connections");
    assert!(log.contains(&format!("PID: {}", p.0.id())), "{log}");
    assert!(log.contains(&format!("Port: {port}")), "{log}");
}

#[test]
fn example_config_loads() {
    let port = free_port();
    let conf = concat!(env!("CARGO_MANIFEST_DIR"), "/redis.conf.example");
    let _p = spawn(&[conf, "--port", &port.to_string(), "--save", ""]);
    assert!(wait_for_pong(port), "redis.conf.example did not start");
    assert_eq!(ask(port, "CONFIG GET hz").as_deref(), Some("*2"));
}

#[test]
fn dataset_survives_shutdown_save_and_restart() {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("ember-restart-{port}"));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_str().unwrap();
    let mut p = spawn(&["--port", &port.to_string(), "--dir", d, "--save", ""]);
    assert!(wait_for_pong(port));
    assert_eq!(ask(port, "SET survivor yes").as_deref(), Some("+OK"));
    assert_eq!(ask(port, "RPUSH list a b c").as_deref(), Some(":3"));
    let _ = ask(port, "SHUTDOWN SAVE");
    let _ = p.0.wait();
    assert!(
        dir.join("dump.rdb").exists(),
        "SHUTDOWN SAVE wrote dump.rdb"
    );
    let mut p2 = spawn(&["--port", &port.to_string(), "--dir", d, "--save", ""]);
    let log = read_until(&mut p2, "Ready to accept connections");
    assert!(log.contains("DB loaded from disk"), "{log}");
    assert_eq!(ask(port, "LLEN list").as_deref(), Some(":3"));
    assert_eq!(ask(port, "STRLEN survivor").as_deref(), Some(":3"));
    drop(p2);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn unix_socket_only() {
    use std::os::unix::net::UnixStream;
    let dir = std::env::temp_dir().join(format!("ember-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sock = dir.join("ember.sock");
    let _p = spawn(&[
        "--port",
        "0",
        "--unixsocket",
        sock.to_str().unwrap(),
        "--unixsocketperm",
        "700",
    ]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut reply = String::new();
    while Instant::now() < deadline {
        if let Ok(mut s) = UnixStream::connect(&sock) {
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            s.write_all(b"PING\r\nCLIENT INFO\r\n").unwrap();
            let mut r = BufReader::new(s);
            r.read_line(&mut reply).unwrap();
            break;
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    assert_eq!(reply, "+PONG\r\n");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&sock).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    let _ = std::fs::remove_dir_all(dir);
}

/// With no RDB or AOF file there is nothing to load, so (as with Redis) the
/// very first reply a client can get is a real one, never -LOADING.
#[test]
fn empty_start_never_answers_loading() {
    for appendonly in ["no", "yes"] {
        let port = free_port();
        let _p = spawn(&["--port", &port.to_string(), "--appendonly", appendonly]);
        let deadline = Instant::now() + Duration::from_secs(10);
        let first = loop {
            if let Some(reply) = ask(port, "PING") {
                break reply;
            }
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(1));
        };
        assert_eq!(first, "+PONG", "appendonly {appendonly}");
    }
}

/// CPU time (user + system) the process `pid` has used, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Under load the binary may poll its sockets instead of sleeping
/// (crates/server/src/poll.rs); once the clients stop, it must sleep again.
#[test]
fn a_loaded_server_sleeps_once_its_clients_stop() {
    let port = free_port();
    let p = spawn(&["--port", &port.to_string(), "--save", ""]);
    assert!(wait_for_pong(port));
    // Four clients, one command per round trip, for a third of a second:
    // as busy as a client at a time makes it.
    let clients: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let mut c = support::RawConn::connect("ember", port).unwrap();
                let until = Instant::now() + Duration::from_millis(300);
                let mut answered = 0u32;
                while Instant::now() < until {
                    assert!(c.cmd(&["GET", "k"]).is_nil());
                    answered += 1;
                }
                answered
            })
        })
        .collect();
    let answered: u32 = clients.into_iter().map(|c| c.join().unwrap()).sum();
    assert!(answered > 0);
    std::thread::sleep(Duration::from_millis(100));
    let before = cpu_ticks(p.0.id());
    std::thread::sleep(Duration::from_secs(1));
    let idle = cpu_ticks(p.0.id()) - before;
    // An idle server's cron costs well under a tick a second; a thread that
    // kept polling would use about a hundred.
    assert!(idle < 20, "{idle} ticks of CPU in an idle second");
}

/// With no `bind`, the server listens as Redis's built-in default does:
/// `* -::*`, every IPv4 address and (where the host has IPv6) every IPv6
/// one, on the same port.
#[test]
fn default_bind_is_every_address() {
    let port = free_port();
    let ps = port.to_string();
    let _p = spawn(&["--port", &ps, "--save", ""]);
    assert!(wait_for_pong(port));
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"CONFIG GET bind\r\n").unwrap();
    let mut reply = vec![0u8; 64];
    let n = s.read(&mut reply).unwrap();
    assert_eq!(&reply[..n], b"*2\r\n$4\r\nbind\r\n$6\r\n* -::*\r\n");
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        let mut v6 = TcpStream::connect(("::1", port)).expect("IPv6 loopback");
        v6.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        v6.write_all(b"PING\r\n").unwrap();
        let n = v6.read(&mut reply).unwrap();
        assert_eq!(&reply[..n], b"+PONG\r\n");
    }
}

/// `oom-score-adj` moves the process's OOM-killer score (master's value of
/// `oom-score-adj-values`, relative to the score it started with) and `no`
/// restores it, as Redis does.
#[test]
fn oom_score_adj_sets_the_process_score() {
    let port = free_port();
    let ps = port.to_string();
    let p = spawn(&[
        "--port",
        &ps,
        "--save",
        "",
        "--oom-score-adj",
        "yes",
        "--oom-score-adj-values",
        "10 20 30",
    ]);
    assert!(wait_for_pong(port));
    let file = format!("/proc/{}/oom_score_adj", p.0.id());
    let score = || std::fs::read_to_string(&file).unwrap().trim().to_string();
    let base: i64 = std::fs::read_to_string("/proc/self/oom_score_adj")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(score(), (base + 10).clamp(-1000, 1000).to_string());
    assert_eq!(
        ask(port, "CONFIG SET oom-score-adj-values \"15 20 30\"").as_deref(),
        Some("+OK")
    );
    assert_eq!(score(), (base + 15).clamp(-1000, 1000).to_string());
    // A replica takes the second value; a master again the first.
    assert_eq!(ask(port, "REPLICAOF localhost 1").as_deref(), Some("+OK"));
    assert_eq!(score(), (base + 20).clamp(-1000, 1000).to_string());
    assert_eq!(ask(port, "REPLICAOF NO ONE").as_deref(), Some("+OK"));
    assert_eq!(score(), (base + 15).clamp(-1000, 1000).to_string());
    // A CONFIG SET that fails later (a port in use) undoes the score too.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let reply = ask(
        port,
        &format!("CONFIG SET oom-score-adj-values \"1 1 1\" port {taken_port}"),
    );
    assert!(
        reply
            .as_deref()
            .is_some_and(|r| r.contains("Unable to listen on this port")),
        "{reply:?}"
    );
    assert_eq!(score(), (base + 15).clamp(-1000, 1000).to_string());
    assert_eq!(
        ask(port, "CONFIG SET oom-score-adj no").as_deref(),
        Some("+OK")
    );
    assert_eq!(score(), base.to_string());
}

/// SIGTERM saves as SHUTDOWN does; when that save fails the server logs it
/// and keeps running with its data (Redis's prepareForShutdown), unless
/// shutdown-on-sigterm says `force`.
#[test]
fn sigterm_with_a_failing_save_keeps_running() {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("ember-sigterm-{port}"));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_str().unwrap();
    let mut p = spawn(&["--port", &port.to_string(), "--dir", d, "--save", "900 1"]);
    assert!(wait_for_pong(port));
    // A directory where the save would write: it fails.
    std::fs::create_dir_all(dir.join("dump.rdb")).unwrap();
    assert_eq!(ask(port, "SET x 1").as_deref(), Some("+OK"));
    unsafe_kill(p.0.id() as i32);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        p.0.try_wait().unwrap().is_none(),
        "exited despite the failed save"
    );
    assert_eq!(ask(port, "GET x").as_deref(), Some("$1"));
    assert_eq!(
        ask(port, "CONFIG SET shutdown-on-sigterm force").as_deref(),
        Some("+OK")
    );
    unsafe_kill(p.0.id() as i32);
    let deadline = Instant::now() + Duration::from_secs(10);
    while p.0.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "force did not shut it down");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// CONFIG GET * as (name, value) pairs, sorted.
fn all_config(port: u16) -> Vec<(String, String)> {
    let mut c = support::RawConn::connect("ember", port).unwrap();
    let reply = c.cmd(&["CONFIG", "GET", "*"]);
    let mut pairs: Vec<(String, String)> = reply
        .items()
        .chunks(2)
        .map(|kv| (kv[0].text(), kv[1].text()))
        .collect();
    pairs.sort();
    pairs
}

#[test]
fn config_rewrite_force_all_writes_a_file_that_restores_every_option() {
    // Redis's "CONFIG REWRITE sanity": rewrite everything, restart from the
    // file, and every option reads back the same.
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("ember-force-all-{port}"));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("ember.conf");
    std::fs::write(
        &conf,
        format!(
            "port {port}\nsave \"\"\nenable-debug-command yes\ndir {}\nmaxmemory-clients 5%\n",
            dir.display()
        ),
    )
    .unwrap();
    let conf = conf.to_str().unwrap().to_string();
    let mut p = spawn(&[&conf]);
    assert!(wait_for_pong(port));
    let _ = ask(port, "CONFIG SET hz 25");
    let before = all_config(port);
    assert_eq!(
        ask(port, "DEBUG CONFIG-REWRITE-FORCE-ALL").as_deref(),
        Some("+OK")
    );
    let text = std::fs::read_to_string(&conf).unwrap();
    // Options at their defaults are written too.
    for line in [
        "hz 25",
        "maxmemory-clients 5%",
        "databases 16",
        "appendonly no",
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
    }
    let _ = ask(port, "SHUTDOWN NOSAVE");
    let _ = p.0.wait();
    let _p2 = spawn(&[&conf]);
    assert!(
        wait_for_pong(port),
        "the rewritten file did not start:\n{text}"
    );
    let after = all_config(port);
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b, a, "changed by the rewrite");
    }
    let _ = std::fs::remove_dir_all(dir);
}
