//! The real `redis-cli` against an in-process Ember server, and the same
//! invocation against a real redis-server where the output is deterministic.

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use support::Diff;

/// Runs `redis-cli -p port args...` with `stdin` piped in; panics if it is missing.
fn cli(port: u16, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new("redis-cli")
        .arg("-p")
        .arg(port.to_string())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run redis-cli ({e}): install it with apt-get install -y redis-tools")
        });
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    child.wait_with_output().expect("redis-cli output")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs the same redis-cli invocation against both servers and asserts the same
/// stdout, stderr and exit status; returns Ember's output.
fn same(d: &Diff, args: &[&str]) -> Output {
    same_stdin(d, args, b"")
}

fn same_stdin(d: &Diff, args: &[&str], stdin: &[u8]) -> Output {
    let r = cli(d.redis_port(), args, stdin);
    let e = cli(d.ember_port(), args, stdin);
    assert_eq!(
        (
            support::escape(&r.stdout),
            support::escape(&r.stderr),
            r.status.code()
        ),
        (
            support::escape(&e.stdout),
            support::escape(&e.stderr),
            e.status.code()
        ),
        "redis-cli {args:?}: redis-server (left) and Ember (right) differ"
    );
    e
}

#[test]
fn ping() {
    let d = Diff::new();
    assert_eq!(stdout(&same(&d, &["ping"])), "PONG\n");
    assert_eq!(stdout(&same(&d, &["ping", "hello"])), "hello\n");
    assert_eq!(
        stdout(&same(&d, &["--no-raw", "ping", "hello"])),
        "\"hello\"\n"
    );
    assert_eq!(stdout(&same(&d, &["echo", "a b"])), "a b\n");
}

#[test]
fn set_and_get() {
    let d = Diff::new();
    assert_eq!(stdout(&same(&d, &["set", "name", "ember"])), "OK\n");
    assert_eq!(stdout(&same(&d, &["get", "name"])), "ember\n");
    assert_eq!(
        stdout(&same(&d, &["--no-raw", "get", "name"])),
        "\"ember\"\n"
    );
    assert_eq!(stdout(&same(&d, &["get", "missing"])), "\n");
    assert_eq!(
        stdout(&same(&d, &["--no-raw", "get", "missing"])),
        "(nil)\n"
    );
    same(&d, &["-n", "3", "set", "name", "three"]);
    assert_eq!(stdout(&same(&d, &["-n", "3", "get", "name"])), "three\n");
    assert_eq!(stdout(&same(&d, &["get", "name"])), "ember\n");
}

#[test]
fn raw_output_of_binary_and_newline_values() {
    let mut d = Diff::new();
    d.check(&[b"SET".as_slice(), b"nl", b"line1\nline2\r\n"]);
    d.check(&[b"SET".as_slice(), b"bin", b"a\x00b\xff"]);
    assert_eq!(
        same(&d, &["--raw", "get", "nl"]).stdout,
        b"line1\nline2\r\n\n"
    );
    assert_eq!(same(&d, &["--raw", "get", "bin"]).stdout, b"a\x00b\xff\n");
    assert_eq!(
        stdout(&same(&d, &["--no-raw", "get", "nl"])),
        "\"line1\\nline2\\r\\n\"\n"
    );
    assert_eq!(
        stdout(&same(&d, &["--no-raw", "get", "bin"])),
        "\"a\\x00b\\xff\"\n"
    );
    // Arguments given to redis-cli are sent as they are.
    same(&d, &["set", "spaced key", "a value with spaces"]);
    assert_eq!(
        stdout(&same(&d, &["get", "spaced key"])),
        "a value with spaces\n"
    );
}

#[test]
fn errors_are_printed_the_same() {
    let d = Diff::new();
    same(&d, &["nosuchcommand", "a", "b"]);
    same(&d, &["--no-raw", "nosuchcommand", "a", "b"]);
    same(&d, &["get"]);
    same(&d, &["--no-raw", "select", "99"]);
    same(&d, &["-n", "99", "ping"]);
}

#[test]
fn dbsize() {
    let mut d = Diff::new();
    assert_eq!(stdout(&same(&d, &["dbsize"])), "0\n");
    for i in 0..5 {
        d.check(&["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(stdout(&same(&d, &["dbsize"])), "5\n");
    assert_eq!(stdout(&same(&d, &["--no-raw", "dbsize"])), "(integer) 5\n");
}

#[test]
fn info_prints_redis_version() {
    let d = Diff::new();
    let out = cli(d.ember_port(), &["info"], b"");
    let text = stdout(&out);
    assert!(out.status.success(), "redis-cli info failed: {text}");
    assert!(
        text.contains("redis_version:"),
        "INFO through redis-cli should print redis_version:, got:\n{text}"
    );
    let server = stdout(&cli(d.ember_port(), &["info", "server"], b""));
    assert!(server.starts_with("# Server"), "got:\n{server}");
}

#[test]
fn scan_with_pattern() {
    let mut d = Diff::new();
    for i in 0..120 {
        d.check(&["SET", &format!("user:{i}"), "v"]);
        d.check(&["SET", &format!("order:{i}"), "v"]);
    }
    let sorted = |o: Output| {
        let mut lines: Vec<String> = stdout(&o).lines().map(String::from).collect();
        lines.sort();
        lines
    };
    let mut expected: Vec<String> = (0..120).map(|i| format!("user:{i}")).collect();
    expected.sort();
    let args = ["--scan", "--pattern", "user:*"];
    assert_eq!(sorted(cli(d.ember_port(), &args, b"")), expected);
    assert_eq!(sorted(cli(d.redis_port(), &args, b"")), expected);
    assert_eq!(sorted(cli(d.ember_port(), &["--scan"], b"")).len(), 240);
    let args = ["--scan", "--pattern", "*:1?"];
    assert_eq!(
        sorted(cli(d.ember_port(), &args, b"")),
        sorted(cli(d.redis_port(), &args, b""))
    );
}

#[test]
fn commands_from_stdin() {
    let d = Diff::new();
    let out = same_stdin(&d, &[], b"set a 1\nget a\nping\necho \"quoted arg\"\n");
    assert_eq!(stdout(&out), "OK\n1\nPONG\nquoted arg\n");
}

#[test]
fn pipe_mode_mass_insertion() {
    let mut d = Diff::new();
    let mut input = Vec::new();
    for i in 0..1000 {
        input.extend(support::encode_command(&[
            "SET",
            &format!("key:{i}"),
            &format!("{i}"),
        ]));
    }
    input.extend(support::encode_command(&["NOSUCH"]));
    let out = same_stdin(&d, &["--pipe"], &input);
    assert!(
        stdout(&out).contains("errors: 1, replies: 1001"),
        "{}",
        stdout(&out)
    );
    d.check(&["GET", "key:999"]);
}
