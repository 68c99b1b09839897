//! Differential tests for authentication and ACLs against redis-server 7.0.15:
//! AUTH / HELLO AUTH, ACL SETUSER rules and their descriptions (GETUSER,
//! LIST), DRYRUN, CAT, LOG, NOPERM denials, requirepass and the limits
//! applied before authentication. Protected mode and config-file users are
//! in diff_exposure.rs.
//!
//! Redis walks its command table in a per-process random order when it
//! describes single-command rules (`-@all +get +set` or `-@all +set +get`),
//! so those runs of rules are compared as sets; everything else byte for byte.

mod support;

use std::time::Duration;
use support::{Diff, Pair, Resp};

/// Sorts each run of single-command rules (`+get`, `-config|set`) in a rules
/// text, keeping a selector's closing parenthesis at the end of its run.
fn normalize_rules(text: &[u8]) -> Vec<u8> {
    let tokens: Vec<&[u8]> = text.split(|&b| b == b' ').collect();
    let is_single = |t: &[u8]| t.len() > 1 && (t[0] == b'+' || t[0] == b'-') && t[1] != b'@';
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut run: Vec<Vec<u8>> = Vec::new();
    let flush = |run: &mut Vec<Vec<u8>>, out: &mut Vec<Vec<u8>>, close: bool| {
        run.sort();
        out.append(run);
        if close {
            out.last_mut().expect("run not empty").push(b')');
        }
    };
    for t in tokens {
        if is_single(t) {
            match t.strip_suffix(b")") {
                Some(inner) => {
                    run.push(inner.to_vec());
                    flush(&mut run, &mut out, true);
                }
                None => run.push(t.to_vec()),
            }
        } else {
            flush(&mut run, &mut out, false);
            out.push(t.to_vec());
        }
    }
    flush(&mut run, &mut out, false);
    out.join(&b' ')
}

fn normalize(r: &Resp) -> Resp {
    match r {
        Resp::Bulk(b) => Resp::Bulk(normalize_rules(b)),
        Resp::Array(items) => Resp::Array(items.iter().map(normalize).collect()),
        Resp::Map(pairs) => Resp::Map(
            pairs
                .iter()
                .map(|(k, v)| (normalize(k), normalize(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn check_rules(p: &mut Pair, cmd: &[&str]) -> Resp {
    p.check_normalized(cmd, normalize)
}

#[test]
fn normalizer_sorts_only_single_command_runs() {
    assert_eq!(
        normalize_rules(b"+@all -@list -set -get (~a resetchannels -@all +set +get) -zz"),
        b"+@all -@list -get -set (~a resetchannels -@all +get +set) -zz".to_vec()
    );
}

/// Rules as ACL SETUSER takes them, each applied to a fresh user.
const RULE_SETS: &[&[&str]] = &[
    &["on", ">pw", "~*", "&*", "+@all"],
    &["%R"],
    &["%RW~foo", "%R~bar", "%W~bar", "~baz", "%R~baz"],
    &["reset"],
    &["+select|0", "+config|get", "+debug|object"],
    &["on", ">pass", ">pass", ">pass2", "<pass2"],
    &[
        "#5e884898da28047151d0e56f8dc6292773603d0d61aabdf7273c4a7f1b8b1d2f",
        "nopass",
    ],
    &["allkeys", "allchannels", "allcommands", "nopass", "on"],
    &["+@all", "-@dangerous", "-keys", "+@admin", "-flushall"],
    &["-@all", "+@read", "+@write", "-@dangerous"],
    &["+@all", "-@string", "+get", "-@list", "+lpush"],
    &["-@all", "+@string", "-get", "+@hash", "-hset"],
    &["+@all", "-@admin", "-@dangerous", "-@slow"],
    &["-@all", "+@fast", "+@connection", "-ping"],
    &["(~a +get)", "(%R~b", "+@all)", "~c", "+set"],
    &["+@all", "clearselectors", "(+get)", "clearselectors"],
    &["&ch*", "&news.*", "&ch*", "resetchannels", "&x"],
    &["~k*", "allkeys"],
    &["+CONFIG|GET", "-config", "+client", "-client|kill"],
    &["nocommands", "+@pubsub", "-@all", "+@scripting"],
    &["skip-sanitize-payload", "off", "sanitize-payload"],
    &["", "on", "", "~x"],
];

#[test]
fn setuser_rules_and_their_descriptions() {
    let mut d = Diff::new();
    for (i, rules) in RULE_SETS.iter().enumerate() {
        let name = format!("user{i:02}");
        let mut cmd = vec!["ACL", "SETUSER", name.as_str()];
        cmd.extend_from_slice(rules);
        d.check(&cmd);
        check_rules(&mut d, &["ACL", "GETUSER", &name]);
    }
    // Applying rules on top of an existing user.
    d.check(&[
        "ACL",
        "SETUSER",
        "user00",
        "-@all",
        "+get",
        "resetpass",
        "nopass",
    ]);
    check_rules(&mut d, &["ACL", "GETUSER", "user00"]);
    check_rules(&mut d, &["ACL", "LIST"]);
    d.check(&["ACL", "USERS"]);
    d.check(&["ACL", "GETUSER", "nosuch"]);
    d.check(&["ACL", "GETUSER", "default"]);
    // RESP3 maps and sets.
    d.hello3();
    check_rules(&mut d, &["ACL", "GETUSER", "user14"]);
    check_rules(&mut d, &["ACL", "GETUSER", "user05"]);
}

#[test]
fn setuser_errors() {
    let mut d = Diff::new();
    let bad: &[&[&str]] = &[
        &["u", "(+get"],
        &["u", "+get", "(+set", "~x"],
        &["u", "%~foo"],
        &["u", "%RX~foo"],
        &["u", "%RR~foo"],
        &["u", "+acl|setuser|x"],
        &["u", "+config|"],
        &["u", "+client|foo"],
        &["u", "-select|0"],
        &["u", "<nope"],
        &["u", "#abc"],
        &[
            "u",
            "!5e884898da28047151d0e56f8dc6292773603d0d61aabdf7273c4a7f1b8b1d2f",
        ],
        &["u 8"],
        &["u\x008"],
        &["u", "~*", "~foo"],
        &["u", "&*", "&foo"],
        &["u", "+@nosuch"],
        &["u", "+nosuch"],
        &["u", "+"],
        &["u", "foo"],
        &["u", "on", "~a b"],
        &["u", "(~a b)"],
        &["u", "()"],
    ];
    for args in bad {
        let mut cmd = vec!["ACL", "SETUSER"];
        cmd.extend_from_slice(args);
        d.check(&cmd);
    }
    // Nothing above created a user.
    d.check(&["ACL", "USERS"]);
    d.check(&["ACL", "SETUSER"]);
    d.check(&["ACL", "DELUSER", "default"]);
    d.check(&["ACL", "DELUSER", "nosuch", "other"]);
}

#[test]
fn acl_subcommands() {
    let mut d = Diff::new();
    d.check(&["ACL", "CAT"]);
    for cat in [
        "keyspace",
        "read",
        "write",
        "set",
        "sortedset",
        "list",
        "hash",
        "string",
        "bitmap",
        "hyperloglog",
        "geo",
        "stream",
        "pubsub",
        "admin",
        "fast",
        "slow",
        "blocking",
        "dangerous",
        "connection",
        "transaction",
        "scripting",
    ] {
        d.check_unordered(&["ACL", "CAT", cat]);
    }
    d.check_unordered(&["ACL", "CAT", "READ"]);
    for cmd in [
        &["ACL", "CAT", "nosuch"][..],
        &["ACL", "CAT", "read", "extra"],
        &["ACL", "WHOAMI"],
        &["ACL", "WHOAMI", "extra"],
        &["ACL", "GENPASS", "0"],
        &["ACL", "GENPASS", "4097"],
        &["ACL", "GENPASS", "x"],
        &["ACL", "GENPASS", "1", "2"],
        &["ACL", "LOG", "x"],
        &["ACL", "LOG", "-1"],
        &["ACL", "LOG", "1", "2"],
        &["ACL", "LOAD"],
        &["ACL", "SAVE"],
        &["ACL", "foo"],
        &["ACL"],
        &["ACL", "HELP"],
        &["ACL", "DRYRUN", "default"],
        &["ACL", "DRYRUN", "nosuch", "get", "x"],
    ] {
        d.check(cmd);
    }
    for bits in ["1", "5", "8", "255", "256", "4096"] {
        let (r, e) = d.both(&["ACL", "GENPASS", bits]);
        assert_eq!(r.text().len(), e.text().len(), "GENPASS {bits}");
        assert!(e.text().bytes().all(|b| b.is_ascii_hexdigit()));
    }
    assert_eq!(d.both(&["ACL", "GENPASS"]).1.text().len(), 64);
}

#[test]
fn dryrun_reports_denials() {
    let mut d = Diff::new();
    d.check(&[
        "ACL",
        "SETUSER",
        "al",
        "on",
        ">pw",
        "%R~r*",
        "%W~w*",
        "~k*",
        "&ch*",
        "-@all",
        "+get",
        "+set",
        "+publish",
        "+subscribe",
        "+psubscribe",
        "+copy",
        "+select|0",
        "+mget",
        "+object|freq",
        "+sort",
        "+bitfield",
        "+lmove",
    ]);
    for cmd in [
        &["get", "k1"][..],
        &["get", "x"],
        &["GET", "w1"],
        &["get"],
        &["set", "w1", "v"],
        &["set", "w1", "v", "GET"],
        &["set", "r1", "v"],
        &["copy", "r1", "w2"],
        &["copy", "w1", "r2"],
        &["mget", "k1", "x", "k2", "y"],
        &["lmove", "r1", "w1", "LEFT", "RIGHT"],
        &["lmove", "w1", "w1", "LEFT", "RIGHT"],
        &["bitfield", "r1", "GET", "u8", "0"],
        &["bitfield", "r1", "SET", "u8", "0", "1"],
        &["bitfield", "w1", "INCRBY", "u8", "0", "1"],
        &["sort", "r1"],
        &["sort", "r1", "STORE", "w1"],
        &["sort", "r1", "STORE", "r2"],
        &["sort", "w1"],
        &["publish", "ch1", "m"],
        &["publish", "zz", "m"],
        &["subscribe", "ch1", "zz", "ch2"],
        &["psubscribe", "ch*"],
        &["psubscribe", "ch1"],
        &["select", "0"],
        &["select", "1"],
        &["object", "freq", "x"],
        &["object", "encoding", "k1"],
        &["config", "get", "x"],
        &["config", "foo", "x"],
        &["CONFIG"],
        &["config", "get"],
        &["client"],
        &["nosuchcmd", "x"],
        &["lpush", "k1", "a"],
        &["auth", "a", "b"],
    ] {
        let mut full = vec!["ACL", "DRYRUN", "al"];
        full.extend_from_slice(cmd);
        d.check(&full);
    }
}

#[test]
fn auth_and_permission_denials() {
    let mut d = Diff::new();
    d.check(&["AUTH", "x"]);
    d.check(&["AUTH", "default", "anything"]);
    d.check(&["AUTH", "a", "b", "c"]);
    d.check(&[
        "ACL",
        "SETUSER",
        "al",
        "on",
        ">pw",
        "~k*",
        "&ch*",
        "-@all",
        "+get",
        "+set",
        "+publish",
        "+subscribe",
        "+multi",
        "+exec",
        "+ping",
        "+mget",
        "+object|freq",
        "+acl|whoami",
        "+select|0",
        "+lpush",
    ]);
    d.check(&["ACL", "SETUSER", "off-user", "off", ">pw", "+@all", "~*"]);
    let mut c = d.connect();
    c.check(&["AUTH", "al", "wrong"]);
    c.check(&["AUTH", "nosuch", "pw"]);
    c.check(&["AUTH", "off-user", "pw"]);
    c.check(&["ACL", "WHOAMI"]);
    c.check(&["AUTH", "al", "pw"]);
    c.check(&["ACL", "WHOAMI"]);
    for cmd in [
        &["GET", "x"][..],
        &["GET", "k1"],
        &["MGET", "k1", "x", "k2", "y"],
        &["SET", "x", "1"],
        &["SET", "k1", "1"],
        &["LPUSH", "k1", "a"],
        &["LPUSH", "x", "a"],
        &["PUBLISH", "zz", "m"],
        &["PUBLISH", "ch1", "m"],
        &["OBJECT", "FREQ", "x"],
        &["OBJECT", "ENCODING", "k1"],
        &["SELECT", "1"],
        &["SELECT", "0"],
        &["CONFIG", "GET", "maxmemory"],
        &["DEL", "k1"],
        &["PING"],
        // Arity is checked before permissions.
        &["DEL"],
        &["CONFIG", "nosuch"],
    ] {
        c.check(cmd);
    }
    // A denial inside MULTI dooms the transaction.
    c.check(&["MULTI"]);
    c.check(&["GET", "x"]);
    c.check(&["GET", "k1"]);
    c.check(&["EXEC"]);
    c.check(&["SUBSCRIBE", "ch1", "zz"]);
    // HELLO AUTH.
    let mut h = d.connect();
    h.check(&["HELLO", "2", "AUTH", "al", "nope"]);
    h.check_normalized(&["HELLO", "2", "AUTH", "al", "pw"], drop_id);
    h.check(&["ACL", "WHOAMI"]);
    h.check(&["HELLO", "2", "AUTH", "al"]);
    // CLIENT KILL USER.
    d.check(&["CLIENT", "KILL", "USER", "nosuch"]);
    d.check(&["CLIENT", "KILL", "USER", "al", "SKIPME", "yes"]);
    for conn in [&mut c.ember, &mut c.redis, &mut h.ember, &mut h.redis] {
        let (_, closed) = conn.read_until_close(Duration::from_millis(500));
        assert!(closed, "{} still open after CLIENT KILL USER", conn.name);
    }
}

/// HELLO's reply without the connection id, which differs between servers.
fn drop_id(r: &Resp) -> Resp {
    match r {
        Resp::Array(items) => Resp::Array(
            items
                .iter()
                .map(|i| match i {
                    Resp::Int(_) => Resp::Int(0),
                    other => other.clone(),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The ACL LOG fields both servers must agree on (the age and the client
/// line describe each server's own connection).
fn log_essentials(r: &Resp) -> Resp {
    let entry = |e: &Resp| {
        let fields: Vec<Resp> = e.items().to_vec();
        let mut kept = Vec::new();
        for pair in fields.chunks(2) {
            let name = pair[0].text();
            match name.as_str() {
                "age-seconds" => {
                    let age: f64 = pair[1].text().parse().expect("age is a number");
                    assert!((0.0..60.0).contains(&age), "age {age}");
                }
                "client-info" => {
                    let info = pair[1].text();
                    assert!(info.starts_with("id=") && info.contains(" user="), "{info}");
                    let cmd = info
                        .split(' ')
                        .find(|f| f.starts_with("cmd="))
                        .unwrap_or("");
                    kept.push(Resp::Bulk(cmd.as_bytes().to_vec()));
                }
                _ => kept.extend_from_slice(pair),
            }
        }
        Resp::Array(kept)
    };
    Resp::Array(r.items().iter().map(entry).collect())
}

#[test]
fn acl_log_entries() {
    let mut d = Diff::new();
    d.check(&["ACL", "LOG"]);
    d.check(&[
        "ACL", "SETUSER", "al", "on", ">pw", "~k*", "&ch*", "-@all", "+get", "+multi", "+publish",
    ]);
    let mut c = d.connect();
    c.check(&["AUTH", "al", "nope"]);
    c.check(&["AUTH", "AL", "pw"]);
    c.check(&["auth", "al", "pw"]);
    c.check(&["GET", "x"]);
    c.check(&["GET", "x"]);
    c.check(&["SET", "k", "v"]);
    c.check(&["PUBLISH", "zz", "m"]);
    c.check(&["MULTI"]);
    c.check(&["GET", "y"]);
    d.check_normalized(&["ACL", "LOG"], log_essentials);
    d.check_normalized(&["ACL", "LOG", "2"], log_essentials);
    d.check(&["ACL", "LOG", "0"]);
    d.check(&["ACL", "LOG", "RESET"]);
    d.check(&["ACL", "LOG"]);
    // acllog-max-len caps the log.
    d.check(&["CONFIG", "SET", "acllog-max-len", "2"]);
    for key in ["a", "b", "c"] {
        c.check(&["GET", key]);
    }
    d.check_normalized(&["ACL", "LOG"], log_essentials);
}

fn requirepass_diff() -> Diff {
    Diff::with_config(
        &["--requirepass", "secret"],
        ember::Config {
            requirepass: "secret".into(),
            ..Default::default()
        },
    )
}

#[test]
fn requirepass_is_the_default_users_password() {
    let mut d = requirepass_diff();
    d.check(&["PING"]);
    d.check(&["ACL", "WHOAMI"]);
    d.check(&["HELLO", "3"]);
    d.check(&["AUTH", "wrong"]);
    d.check(&["AUTH", "default", "wrong"]);
    d.check(&["AUTH", "secret"]);
    d.check(&["ACL", "LIST"]);
    d.check(&["CONFIG", "GET", "requirepass"]);
    d.check(&["ACL", "SETUSER", "default", ">other"]);
    d.check(&["ACL", "GETUSER", "default"]);
    // CONFIG SET requirepass replaces every password of the default user.
    d.check(&["CONFIG", "SET", "requirepass", "new"]);
    d.check(&["ACL", "LIST"]);
    let mut c = d.connect();
    c.check(&["GET", "k"]);
    c.check(&["AUTH", "secret"]);
    c.check(&["AUTH", "new"]);
    c.check(&["GET", "k"]);
    c.check(&["RESET"]);
    c.check(&["GET", "k"]);
    // Without a password, new connections need no AUTH; a user turned off
    // cannot be used.
    d.check(&["CONFIG", "SET", "requirepass", ""]);
    d.check(&["ACL", "LIST"]);
    let mut c2 = d.connect();
    c2.check(&["GET", "k"]);
    d.check(&["ACL", "SETUSER", "default", "off"]);
    let mut c3 = d.connect();
    c3.check(&["GET", "k"]);
    c3.check(&["AUTH", "default", "x"]);
    d.check(&["ACL", "SETUSER", "default", "on"]);
}

#[test]
fn limits_before_authentication() {
    let d = requirepass_diff();
    d.check_raw(b"*11\r\n");
    d.check_raw(b"*10\r\n");
    d.check_raw(b"*1\r\n$16385\r\n");
    d.check_raw(b"*2\r\n$4\r\nECHO\r\n$16384\r\n");
    // Once authenticated (even within the same write), the limits are gone.
    let mut big = b"*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n*12\r\n$4\r\nMSET\r\n".to_vec();
    for i in 0..11 {
        big.extend_from_slice(format!("$1\r\n{}\r\n", i % 10).as_bytes());
    }
    d.check_raw(&big);
    let mut pair = d.connect();
    let mut payload =
        b"*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n*2\r\n$4\r\nECHO\r\n$20000\r\n".to_vec();
    payload.extend_from_slice(&[b'x'; 20000]);
    payload.extend_from_slice(b"\r\n");
    pair.check_raw_replies(&payload, 2);
}

#[test]
fn deleting_a_user_closes_its_connections() {
    let mut d = Diff::new();
    d.check(&["ACL", "SETUSER", "bob", "on", "nopass", "+@all", "~*"]);
    let mut c = d.connect();
    c.check(&["AUTH", "bob", "x"]);
    c.check(&["PING"]);
    d.check(&["ACL", "DELUSER", "bob"]);
    for conn in [&mut c.ember, &mut c.redis] {
        let (_, closed) = conn.read_until_close(Duration::from_millis(500));
        assert!(closed, "{} kept a deleted user's connection", conn.name);
    }
    // A user deleting itself gets its reply, then the connection closes.
    d.check(&["ACL", "SETUSER", "eve", "on", "nopass", "+@all", "~*"]);
    let mut c = d.connect();
    c.check(&["AUTH", "eve", "x"]);
    c.check(&["ACL", "DELUSER", "eve"]);
    for conn in [&mut c.ember, &mut c.redis] {
        let (_, closed) = conn.read_until_close(Duration::from_millis(500));
        assert!(closed, "{} kept the connection", conn.name);
    }
}

#[test]
fn revoked_channels_close_subscribers() {
    let mut d = Diff::new();
    d.check(&[
        "ACL",
        "SETUSER",
        "sub",
        "on",
        "nopass",
        "+@all",
        "~*",
        "resetchannels",
        "&ch*",
        "&news",
    ]);
    let mut s = d.connect();
    s.check(&["AUTH", "sub", "x"]);
    s.check(&["SUBSCRIBE", "ch1", "news"]);
    // Still allowed: the subscriber stays.
    d.check(&["ACL", "SETUSER", "sub", "&more"]);
    d.check(&["PUBLISH", "ch1", "hello"]);
    let (r, e) = (
        s.redis.read_reply().unwrap().0,
        s.ember.read_reply().unwrap().0,
    );
    assert_eq!(e, r);
    // `news` is no longer allowed: the subscriber is disconnected.
    d.check(&["ACL", "SETUSER", "sub", "resetchannels", "&ch*"]);
    for conn in [&mut s.ember, &mut s.redis] {
        let (_, closed) = conn.read_until_close(Duration::from_millis(500));
        assert!(
            closed,
            "{} kept a subscriber with revoked channels",
            conn.name
        );
    }
}

/// Shard channels are checked as channels, not as keys (SPUBLISH's and
/// SSUBSCRIBE's key specs are `not_key`), and a subscriber that loses
/// allchannels is closed even when its pattern was allowed before.
#[test]
fn shard_channels_and_losing_allchannels() {
    let mut d = Diff::new();
    d.check(&[
        "ACL",
        "SETUSER",
        "psuser",
        "on",
        "nopass",
        "+@pubsub",
        "resetchannels",
    ]);
    let mut c = d.connect();
    c.check(&["AUTH", "psuser", "x"]);
    c.check(&["SPUBLISH", "foo", "bar"]);
    c.check(&["SSUBSCRIBE", "foo"]);
    d.check(&["ACL", "SETUSER", "psuser", "&foo:1"]);
    c.check(&["SPUBLISH", "foo:1", "m"]);
    d.check(&["ACL", "DRYRUN", "psuser", "SPUBLISH", "foo", "m"]);
    d.check(&["ACL", "DRYRUN", "psuser", "SPUBLISH", "foo:1", "m"]);
    d.check_normalized(&["ACL", "LOG", "1"], log_essentials);
    d.check(&["ACL", "SETUSER", "psuser", "allchannels"]);
    let mut s = d.connect();
    s.check(&["AUTH", "psuser", "x"]);
    s.check(&["PSUBSCRIBE", "foo*"]);
    d.check(&["ACL", "SETUSER", "psuser", "resetchannels"]);
    for conn in [&mut s.ember, &mut s.redis] {
        let (_, closed) = conn.read_until_close(Duration::from_millis(500));
        assert!(
            closed,
            "{} kept a subscriber that lost allchannels",
            conn.name
        );
    }
}

/// Writes SETs without reading the NOAUTH replies; true once the server
/// closes the connection (a write fails or the read side ends).
fn flood_without_reading(port: u16) -> bool {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    let chunk = "*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\n5\r\n".repeat(2000);
    for _ in 0..500 {
        match s.write_all(chunk.as_bytes()) {
            Ok(()) => {}
            // Still open, only not reading: the write timed out.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false
            }
            Err(_) => return true,
        }
    }
    // Everything went out: the server must have closed the read side.
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Err(e) => {
                return !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                )
            }
            Ok(_) => continue,
        }
    }
}

/// A client that has not authenticated cannot make the server hold its
/// replies: one sending without reading is closed (Redis's 1 KiB limit
/// past its reply buffer), where an authenticated one would be waited for.
#[test]
fn unauthenticated_clients_output_is_limited() {
    let d = requirepass_diff();
    for (name, port) in [("redis", d.redis_port()), ("ember", d.ember_port())] {
        assert!(flood_without_reading(port), "{name} kept the connection");
    }
}
