//! Differential tests for exposure defaults against redis-server 7.0.15:
//! protected mode (clients from a non-loopback address, through a second
//! loopback address and, where it can be made, a network namespace), DEBUG
//! and protected configs refused, and the config-file directives `user`,
//! `aclfile` and `rename-command`.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;
use support::{Diff, Pair, Resp};

fn requirepass_diff() -> Diff {
    Diff::with_config(
        &["--requirepass", "secret"],
        ember::Config {
            requirepass: "secret".into(),
            ..Default::default()
        },
    )
}

/// Sorts each run of single-command rules (`+get +set`): Redis lists them in
/// a per-process random order.
fn normalize_rules(text: &[u8]) -> Vec<u8> {
    let mut out: Vec<&[u8]> = Vec::new();
    let mut run: Vec<&[u8]> = Vec::new();
    for t in text.split(|&b| b == b' ') {
        if t.len() > 1 && (t[0] == b'+' || t[0] == b'-') && t[1] != b'@' {
            run.push(t);
        } else {
            run.sort();
            out.append(&mut run);
            out.push(t);
        }
    }
    run.sort();
    out.append(&mut run);
    out.join(&b' ')
}

fn normalize(r: &Resp) -> Resp {
    match r {
        Resp::Bulk(b) => Resp::Bulk(normalize_rules(b)),
        Resp::Array(items) => Resp::Array(items.iter().map(normalize).collect()),
        other => other.clone(),
    }
}

#[test]
fn debug_and_protected_configs_are_refused() {
    let mut d = Diff::new();
    d.check(&["DEBUG", "SLEEP", "0"]);
    d.check(&["CONFIG", "SET", "dir", "/tmp"]);
    d.check(&["CONFIG", "SET", "dbfilename", "x.rdb"]);
    d.check(&["MULTI"]);
    d.check(&["DEBUG", "SLEEP", "0"]);
    d.check(&["EXEC"]);
    d.check_unordered_pairs(&["CONFIG", "GET", "enable-*"]);
    d.check(&["CONFIG", "SET", "enable-debug-command", "yes"]);
    let d = requirepass_diff();
    // Refused before authentication is asked for.
    d.connect().check(&["DEBUG", "SLEEP", "0"]);
}

/// Connects to `port` from `source` (a loopback address other than
/// 127.0.0.1) and returns what the server sent before closing.
fn exchange_from(source: &str, port: u16) -> Vec<u8> {
    let sock =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    let src: SocketAddr = format!("{source}:0").parse().unwrap();
    sock.bind(&src.into()).expect("bind source address");
    let dst: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    sock.connect(&dst.into()).expect("connect");
    let mut s: TcpStream = sock.into();
    let _ = s.write_all(b"PING\r\n");
    read_to_close(&mut s)
}

fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    // One reply line, then a short wait to see the server close (or not).
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if out.ends_with(b"\r\n") {
            s.set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
        }
    }
    out
}

#[test]
fn protected_mode_refuses_other_loopback_addresses() {
    // Redis trusts exactly 127.0.0.1 and ::1: 127.0.0.2 is "remote".
    let mut d = Diff::new();
    let (r, e) = (
        exchange_from("127.0.0.2", d.redis_port()),
        exchange_from("127.0.0.2", d.ember_port()),
    );
    assert!(
        r.starts_with(b"-DENIED Redis is running in protected mode"),
        "{r:?}"
    );
    assert_eq!(String::from_utf8_lossy(&e), String::from_utf8_lossy(&r));
    d.check_normalized(&["INFO", "stats"], |r| {
        let text = r.text();
        let line = text
            .lines()
            .find(|l| l.starts_with("rejected_connections:"));
        Resp::Bulk(line.unwrap_or("").as_bytes().to_vec())
    });
    // With a password, or protected mode off, they are let in.
    d.check(&["CONFIG", "SET", "requirepass", "x"]);
    let (r, e) = (
        exchange_from("127.0.0.2", d.redis_port()),
        exchange_from("127.0.0.2", d.ember_port()),
    );
    assert_eq!(r, b"-NOAUTH Authentication required.\r\n");
    assert_eq!(e, r);
    d.check(&["CONFIG", "SET", "requirepass", ""]);
    d.check(&["CONFIG", "SET", "protected-mode", "no"]);
    assert_eq!(exchange_from("127.0.0.2", d.ember_port()), b"+PONG\r\n");
}

/// A network namespace with a veth pair to the host, removed on drop.
struct Netns {
    name: String,
    host_if: String,
    host_ip: String,
}

impl Netns {
    fn sh(args: &[&str]) -> bool {
        std::process::Command::new(args[0])
            .args(&args[1..])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// None when namespaces cannot be made here (not root, no iproute2).
    fn create() -> Option<Netns> {
        let pid = std::process::id();
        let net = pid % 250 + 1;
        let ns = Netns {
            name: format!("ember-acl-{pid}"),
            host_if: format!("eah{}", pid % 100_000),
            host_ip: format!("198.18.{net}.1"),
        };
        let peer_if = format!("eap{}", pid % 100_000);
        let ok = Self::sh(&["ip", "netns", "add", &ns.name])
            && Self::sh(&[
                "ip",
                "link",
                "add",
                &ns.host_if,
                "type",
                "veth",
                "peer",
                "name",
                &peer_if,
            ])
            && Self::sh(&["ip", "link", "set", &peer_if, "netns", &ns.name])
            && Self::sh(&[
                "ip",
                "addr",
                "add",
                &format!("{}/30", ns.host_ip),
                "dev",
                &ns.host_if,
            ])
            && Self::sh(&["ip", "link", "set", &ns.host_if, "up"])
            && Self::sh(&[
                "ip",
                "netns",
                "exec",
                &ns.name,
                "ip",
                "addr",
                "add",
                &format!("198.18.{net}.2/30"),
                "dev",
                &peer_if,
            ])
            && Self::sh(&[
                "ip", "netns", "exec", &ns.name, "ip", "link", "set", &peer_if, "up",
            ]);
        ok.then_some(ns)
    }

    /// Sends PING from inside the namespace and returns the reply bytes.
    fn ping_from_inside(&self, port: u16) -> Vec<u8> {
        let script = format!(
            "import socket,sys\ns=socket.create_connection(('{}',{port}),timeout=3)\n\
             s.sendall(b'PING\\r\\n')\nout=b''\n\
             try:\n  while True:\n    d=s.recv(4096)\n    if not d: break\n    out+=d\n\
             except Exception: pass\nsys.stdout.buffer.write(out)\n",
            self.host_ip
        );
        let out = std::process::Command::new("ip")
            .args(["netns", "exec", &self.name, "python3", "-c", &script])
            .output()
            .expect("run python3 in the namespace");
        out.stdout
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        Self::sh(&["ip", "link", "del", &self.host_if]);
        Self::sh(&["ip", "netns", "del", &self.name]);
    }
}

#[test]
fn protected_mode_refuses_clients_from_another_network() {
    let Some(ns) = Netns::create() else {
        eprintln!("skipped: cannot create a network namespace here (needs root and iproute2)");
        return;
    };
    let redis = support::RedisServer::start(&["--bind", "127.0.0.1", &ns.host_ip]);
    let ember = support::start_ember(ember::Config {
        bind: vec!["127.0.0.1".into(), ns.host_ip.clone()],
        ..Default::default()
    });
    let r = ns.ping_from_inside(redis.port);
    let e = ns.ping_from_inside(ember.port);
    assert!(
        r.starts_with(b"-DENIED Redis is running in protected mode"),
        "{r:?}"
    );
    assert_eq!(String::from_utf8_lossy(&e), String::from_utf8_lossy(&r));
}

/// Runs a server binary on a config file; returns (exit code, stdout+stderr)
/// when it exits within 5 s, or kills it and returns None if it kept running.
fn run_config(binary: &std::path::Path, conf: &std::path::Path) -> Option<(i32, String)> {
    let mut child = std::process::Command::new(binary)
        .arg(conf)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn server");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            let out = child.wait_with_output().expect("output");
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            return Some((status.code().unwrap_or(-1), text));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[test]
fn config_file_user_lines_and_rename_command() {
    let dir = std::env::temp_dir().join(format!("ember-acl-conf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("acl.conf");
    // Fatal errors: both servers refuse to start with the same message.
    let fatal = [
        ("user alice on >pw badrule ~*", "Error in user declaration 'on': Syntax error"),
        ("user alice on\nuser alice off", "Error in user declaration 'alice': Duplicate user found. A user can only be defined once in config files"),
        ("rename-command nosuch foo", "No such command in rename-command"),
        ("rename-command get set", "Target command name already exists"),
        ("user alice on +nosuchcmd ~*", "Error loading ACL rule '+nosuchcmd' for the user named 'alice': Unknown command or category name in ACL"),
        ("aclfile /nonexistent/users.acl", "Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '/nonexistent/users.acl': No such file or directory"),
    ];
    for (lines, message) in fatal {
        let port = support::free_port();
        std::fs::write(&conf, format!("port {port}\nsave \"\"\n{lines}\n")).unwrap();
        for bin in [
            std::path::PathBuf::from("redis-server"),
            support::ember_server_binary(),
        ] {
            let (code, out) = run_config(&bin, &conf)
                .unwrap_or_else(|| panic!("{bin:?} started despite `{lines}`"));
            assert_eq!(code, 1, "{bin:?}: {out}");
            assert!(out.contains(message), "{bin:?} for `{lines}`:\n{out}");
        }
    }
    // A working configuration: both servers agree on what it means.
    let (rport, eport) = (support::free_port(), support::free_port());
    let body = "user default on >adminpw ~* &* +@all\n\
                user alice on >pw ~app:* -@all +get +set\n\
                rename-command GET fetch\nrename-command flushall \"\"\n";
    let (rconf, econf) = (dir.join("r.conf"), dir.join("e.conf"));
    std::fs::write(
        &rconf,
        format!("port {rport}\nsave \"\"\ndir {}\n{body}", dir.display()),
    )
    .unwrap();
    std::fs::write(
        &econf,
        format!("port {eport}\nsave \"\"\ndir {}\n{body}", dir.display()),
    )
    .unwrap();
    let spawn = |bin: &std::path::Path, conf: &std::path::Path| {
        std::process::Command::new(bin)
            .arg(conf)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn")
    };
    let mut children = [
        spawn(std::path::Path::new("redis-server"), &rconf),
        spawn(&support::ember_server_binary(), &econf),
    ];
    let connect = |port: u16| {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(c) = support::RawConn::connect("server", port) {
                return c;
            }
            assert!(std::time::Instant::now() < deadline, "no server on {port}");
            std::thread::sleep(Duration::from_millis(30));
        }
    };
    let mut p = Pair {
        ember: connect(eport),
        redis: connect(rport),
    };
    p.check(&["GET", "k"]);
    p.check(&["AUTH", "adminpw"]);
    p.check_normalized(&["ACL", "LIST"], normalize);
    p.check(&["GET", "k"]);
    p.check(&["FETCH", "k"]);
    p.check(&["FETCH"]);
    p.check(&["FLUSHALL"]);
    p.check(&["ACL", "DRYRUN", "alice", "fetch", "app:1"]);
    p.check(&["AUTH", "alice", "pw"]);
    p.check(&["FETCH", "app:1"]);
    p.check(&["FETCH", "other"]);
    p.check(&["SET", "app:1", "v"]);
    for c in children.iter_mut() {
        let _ = c.kill();
        let _ = c.wait();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
