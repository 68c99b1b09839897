//! Differential tests of connection introspection against the real redis-server:
//! CLIENT, HELLO, AUTH, RESET and the COMMAND family (INFO and DOCS for every
//! command Ember has, byte for byte in RESP2 and RESP3).

mod support;

use std::time::Duration;
use support::{Diff, Pair, RawConn, Resp};

fn fields(line: &str) -> Vec<(String, String)> {
    line.trim_end()
        .split(' ')
        .map(|f| {
            let (k, v) = f.split_once('=').expect("field=value");
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// The caller's CLIENT INFO fields whose values do not depend on addresses,
/// ids, timing or buffer sizes (`qbuf`: the caller's own command is still in
/// its query buffer, other clients' are empty).
const STABLE: &[&str] = &[
    "name",
    "qbuf",
    "flags",
    "db",
    "sub",
    "psub",
    "ssub",
    "multi",
    "multi-mem",
    "events",
    "cmd",
    "user",
    "redir",
    "resp",
    "argv-mem",
];

fn check_client_line(redis: &str, ember: &str) {
    let (r, e) = (fields(redis), fields(ember));
    let names = |v: &[(String, String)]| v.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&r),
        names(&e),
        "CLIENT LIST fields\n redis: {redis}\n ember: {ember}"
    );
    for ((k, rv), (_, ev)) in r.iter().zip(&e) {
        if STABLE.contains(&k.as_str()) {
            assert_eq!(rv, ev, "field {k}\n redis: {redis}\n ember: {ember}");
        }
    }
}

fn field_of(line: &str, name: &str) -> String {
    fields(line)
        .into_iter()
        .find(|(k, _)| k == name)
        .expect("field")
        .1
}

fn client_info(p: &mut Pair) -> (String, String) {
    let (r, e) = p.both(&["CLIENT", "INFO"]);
    (r.text(), e.text())
}

#[test]
fn client_names_ids_and_errors() {
    let mut d = Diff::new();
    d.check_shape(&["CLIENT", "ID"]);
    for cmd in [
        &["CLIENT", "GETNAME"][..],
        &["CLIENT", "SETNAME", "worker-1"],
        &["CLIENT", "GETNAME"],
        &["CLIENT", "SETNAME", "a b"],
        &["CLIENT", "SETNAME", "a\nb"],
        &["CLIENT", "SETNAME", "caf\u{e9}"],
        &["CLIENT", "SETNAME", "~!@#$%^&*()"],
        &["CLIENT", "GETNAME"],
        &["CLIENT", "SETNAME", ""],
        &["CLIENT", "GETNAME"],
        &["CLIENT", "GETREDIR"],
        &["CLIENT", "HELP"],
        &["client", "help"],
        &["CLIENT"],
        &["CLIENT", "ID", "x"],
        &["CLIENT", "SETNAME"],
        &["CLIENT", "SETNAME", "a", "b"],
        &["CLIENT", "GETNAME", "x"],
        &["CLIENT", "KILL"],
        &["CLIENT", "REPLY"],
        &["CLIENT", "REPLY", "maybe"],
        &["CLIENT", "NO-EVICT", "on"],
        &["CLIENT", "NO-EVICT", "OFF"],
        &["CLIENT", "NO-EVICT", "maybe"],
        &["CLIENT", "NOSUCH"],
        &["CLIENT", "NOSUCH", "x"],
        &["CLIENT", "LIST", "TYPE", "nosuch"],
        &["CLIENT", "LIST", "TYPE"],
        &["CLIENT", "LIST", "ID"],
        &["CLIENT", "LIST", "ID", "1", "abc"],
        &["CLIENT", "LIST", "ID", "999999"],
        &["CLIENT", "LIST", "TYPE", "pubsub"],
        &["CLIENT", "LIST", "TYPE", "master"],
        &["CLIENT", "LIST", "foo"],
        &["CLIENT", "KILL", "1.2.3.4:5"],
        &["CLIENT", "KILL", "addr"],
        &["CLIENT", "KILL", "foo", "bar"],
        &["CLIENT", "KILL", "ID", "abc"],
        &["CLIENT", "KILL", "ID", "0"],
        &["CLIENT", "KILL", "ID", "-1"],
        &["CLIENT", "KILL", "ID", "999999"],
        &["CLIENT", "KILL", "ID", "5", "TYPE"],
        &["CLIENT", "KILL", "TYPE", "foo"],
        &["CLIENT", "KILL", "TYPE", "normal"],
        &["CLIENT", "KILL", "TYPE", "replica"],
        &["CLIENT", "KILL", "TYPE", "slave"],
        &["CLIENT", "KILL", "TYPE", "master"],
        &["CLIENT", "KILL", "TYPE", "pubsub"],
        &["CLIENT", "KILL", "USER", "bob"],
        &["CLIENT", "KILL", "USER", "default"],
        &["CLIENT", "KILL", "SKIPME", "maybe"],
        &["CLIENT", "KILL", "SKIPME", "yes"],
        &["CLIENT", "KILL", "ADDR", "1.2.3.4:5", "SKIPME", "no"],
        &["CLIENT", "KILL", "LADDR", "1.2.3.4:5"],
    ] {
        d.check(cmd);
    }
}

#[test]
fn client_list_and_info_lines() {
    let mut d = Diff::new();
    for proto in ["2", "3"] {
        d.check_shape(&["HELLO", proto]);
        d.check(&["CLIENT", "SETNAME", "main"]);
        d.check(&["SELECT", "2"]);
        let (r, e) = client_info(&mut d);
        assert!(r.ends_with('\n') && e.ends_with('\n'));
        check_client_line(&r, &e);
        d.check(&["CLIENT", "NO-EVICT", "on"]);
        let (r, e) = client_info(&mut d);
        check_client_line(&r, &e);
        d.check(&["CLIENT", "NO-EVICT", "off"]);
        d.check(&["SELECT", "0"]);
    }
    // With a second connection: two lines, oldest first, filters by type and id.
    let mut other = d.connect();
    other.check(&["CLIENT", "SETNAME", "other"]);
    let (r, e) = d.both(&["CLIENT", "LIST"]);
    let (r, e) = (r.text(), e.text());
    let (rl, el): (Vec<&str>, Vec<&str>) = (r.lines().collect(), e.lines().collect());
    assert_eq!((rl.len(), el.len()), (2, 2), "redis:\n{r}\nember:\n{e}");
    assert_eq!(field_of(el[1], "name"), "other");
    assert_eq!(field_of(el[1], "cmd"), "client|setname");
    check_client_line(rl[0], el[0]);
    let (r, e) = d.both(&["CLIENT", "LIST", "TYPE", "normal"]);
    assert_eq!((r.text().lines().count(), e.text().lines().count()), (2, 2));
    let (rid, eid) = (
        other.redis.cmd(&["CLIENT", "ID"]),
        other.ember.cmd(&["CLIENT", "ID"]),
    );
    let r = d
        .redis(&["CLIENT", "LIST", "ID", &rid.int().to_string(), "999999"])
        .text();
    let e = d
        .ember(&["CLIENT", "LIST", "ID", &eid.int().to_string(), "999999"])
        .text();
    assert_eq!((r.lines().count(), e.lines().count()), (1, 1));
    check_client_line(&r, &e);
}

/// Kills `victim` (identified by what `filter` builds from its CLIENT INFO line)
/// from `killer` on both servers; checks the replies and that the victim closes.
fn kill_and_check(killer: &mut Pair, victim: &mut Pair, filter: fn(&str) -> Vec<String>) {
    let (r, e) = client_info(victim);
    let (rf, ef) = (filter(&r), filter(&e));
    let ((rraw, _), (eraw, _)) = (killer.redis.send(&rf), killer.ember.send(&ef));
    assert_eq!(
        support::escape(&rraw),
        support::escape(&eraw),
        "{rf:?} / {ef:?}"
    );
    for conn in [&mut victim.redis, &mut victim.ember] {
        let (bytes, closed) = conn.read_until_close(Duration::from_secs(2));
        assert!(bytes.is_empty() && closed, "{} left open", conn.name);
    }
}

/// `parts` followed by the value of `field` in a CLIENT INFO line.
fn by(parts: &[&str], line: &str, field: &str) -> Vec<String> {
    let mut v: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
    v.push(field_of(line, field));
    v
}

#[test]
fn client_kill_other_connections() {
    let mut d = Diff::new();
    let mut v = d.connect();
    kill_and_check(&mut d.main, &mut v, |l| by(&["CLIENT", "KILL"], l, "addr"));
    let mut v = d.connect();
    kill_and_check(&mut d.main, &mut v, |l| {
        by(&["CLIENT", "KILL", "ID"], l, "id")
    });
    let mut v = d.connect();
    kill_and_check(&mut d.main, &mut v, |l| {
        by(&["CLIENT", "KILL", "ADDR"], l, "addr")
    });
    // Filters combine: a wrong user or type spares the connection.
    let mut v = d.connect();
    let (r, e) = client_info(&mut v);
    let rr = d.redis(&[
        "CLIENT",
        "KILL",
        "ID",
        &field_of(&r, "id"),
        "TYPE",
        "pubsub",
    ]);
    let ee = d.ember(&[
        "CLIENT",
        "KILL",
        "ID",
        &field_of(&e, "id"),
        "TYPE",
        "pubsub",
    ]);
    assert_eq!((rr, ee), (Resp::Int(0), Resp::Int(0)));
    v.check(&["PING"]);
    // Everyone but the caller.
    d.check(&["CLIENT", "KILL", "TYPE", "normal"]);
    for conn in [&mut v.redis, &mut v.ember] {
        assert!(conn.read_until_close(Duration::from_secs(2)).1);
    }
    d.check(&["PING"]);
}

#[test]
fn client_kill_self() {
    let d = Diff::new();
    // The old form may kill the caller: it answers OK, then closes.
    let mut p = d.connect();
    let (r, e) = client_info(&mut p);
    for (conn, line) in [(&mut p.redis, r), (&mut p.ember, e)] {
        let addr = field_of(&line, "addr");
        assert_eq!(
            conn.cmd(&["CLIENT", "KILL", &addr]),
            Resp::Simple(b"OK".to_vec())
        );
        assert!(
            conn.read_until_close(Duration::from_secs(2)).1,
            "{} open",
            conn.name
        );
    }
    let mut p = d.connect();
    for conn in [&mut p.redis, &mut p.ember] {
        let r = conn.cmd(&["CLIENT", "KILL", "USER", "default", "SKIPME", "no"]);
        assert!(matches!(r, Resp::Int(n) if n >= 1), "{}: {r:?}", conn.name);
        assert!(
            conn.read_until_close(Duration::from_secs(2)).1,
            "{} open",
            conn.name
        );
    }
}

#[test]
fn client_reply_modes() {
    let d = Diff::new();
    let cmd = |words: &[&str]| support::encode_command(words);
    let script: Vec<u8> = [
        cmd(&["CLIENT", "REPLY", "SKIP"]),
        cmd(&["PING", "skipped"]),
        cmd(&["PING", "shown"]),
        cmd(&["CLIENT", "REPLY", "OFF"]),
        cmd(&["PING", "off"]),
        cmd(&["CLIENT", "REPLY", "SKIP"]),
        cmd(&["SET", "k", "v"]),
        cmd(&["CLIENT", "REPLY", "ON"]),
        cmd(&["GET", "k"]),
        cmd(&["CLIENT", "REPLY", "SKIP"]),
        cmd(&["CLIENT", "REPLY", "ON"]),
        cmd(&["CLIENT", "REPLY", "SKIP"]),
        cmd(&["NOSUCHCOMMAND"]),
        cmd(&["CLIENT", "REPLY", "BAD"]),
    ]
    .concat();
    d.check_raw(&script);
}

fn without_id(r: &Resp) -> Resp {
    match r {
        Resp::Map(m) => Resp::Map(
            m.iter()
                .map(|(k, v)| match k {
                    Resp::Bulk(b) if b == b"id" => (k.clone(), Resp::Int(0)),
                    _ => (k.clone(), v.clone()),
                })
                .collect(),
        ),
        Resp::Array(a) => Resp::Array(
            a.chunks(2)
                .flat_map(|kv| match &kv[0] {
                    Resp::Bulk(b) if b == b"id" => vec![kv[0].clone(), Resp::Int(0)],
                    _ => kv.to_vec(),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn check_hello(p: &mut Pair, cmd: &[&str]) {
    let (r, e) = p.both(cmd);
    assert_eq!(without_id(&r), without_id(&e), "{cmd:?}");
}

#[test]
fn hello_and_protocols() {
    let mut d = Diff::new();
    check_hello(&mut d, &["HELLO"]);
    check_hello(&mut d, &["HELLO", "3"]);
    d.check(&["GET", "missing"]);
    d.check(&["CLIENT", "GETNAME"]);
    check_hello(&mut d, &["HELLO"]);
    check_hello(&mut d, &["HELLO", "2", "SETNAME", "hi"]);
    d.check(&["GET", "missing"]);
    d.check(&["CLIENT", "GETNAME"]);
    check_hello(
        &mut d,
        &["hello", "3", "auth", "default", "whatever", "setname", "x"],
    );
    d.check(&["CLIENT", "GETNAME"]);
    for cmd in [
        &["HELLO", "1"][..],
        &["HELLO", "4"],
        &["HELLO", "-1"],
        &["HELLO", "x"],
        &["HELLO", "2.0"],
        &["HELLO", "99999999999999999999"],
        &["HELLO", "2", "foo"],
        &["HELLO", "2", "AUTH"],
        &["HELLO", "2", "AUTH", "default"],
        &["HELLO", "2", "SETNAME"],
        &["HELLO", "2", "SETNAME", "a b"],
        &["HELLO", "2", "AUTH", "bob", "pw"],
        &["HELLO", "2", "AUTH", "bob", "pw", "SETNAME", "a b"],
    ] {
        d.check(cmd);
    }
    // Failed HELLOs changed nothing: still RESP3 with the name "x".
    d.check(&["GET", "missing"]);
    d.check(&["CLIENT", "GETNAME"]);
}

#[test]
fn auth_without_password() {
    let mut d = Diff::new();
    for cmd in [
        &["AUTH"][..],
        &["AUTH", "x"],
        &["AUTH", "bob", "x"],
        &["AUTH", "default", "anything"],
        &["AUTH", "DEFAULT", "anything"],
        &["AUTH", "a", "b", "c"],
    ] {
        d.check(cmd);
    }
}

#[test]
fn auth_with_requirepass() {
    let config = ember::Config {
        requirepass: "s3cret".into(),
        ..ember::Config::default()
    };
    // The harness probes readiness with INFO, so the password is set afterwards.
    let redis_server = support::RedisServer::start(&[]);
    let mut admin = RawConn::connect("redis", redis_server.port).expect("connect");
    admin.cmd(&["CONFIG", "SET", "requirepass", "s3cret"]);
    let ember_server = support::start_ember(config);
    let main = Pair::connect(ember_server.port, redis_server.port);
    let mut d = Diff {
        main,
        ember_server,
        redis_server,
    };
    for cmd in [
        &["GET", "k"][..],
        &["GET"],
        &["PING"],
        &["NOSUCH", "x"],
        &["CLIENT", "ID"],
        &["CLIENT", "NOSUCH"],
        &["HELLO"],
        &["HELLO", "3"],
        &["HELLO", "3", "AUTH", "default", "wrong"],
        &["GET", "k"],
        &["AUTH", "wrong"],
        &["AUTH", "default", "wrong"],
        &["AUTH", "bob", "s3cret"],
        &["AUTH", "a", "b", "c"],
        &["HELLO", "2", "AUTH", "default", "wrong"],
        &["AUTH", "s3cret"],
        &["AUTH", "default", "s3cret"],
    ] {
        d.check(cmd);
    }
    d.check(&["SET", "k", "v"]);
    check_hello(&mut d, &["HELLO", "3", "AUTH", "default", "s3cret"]);
    check_hello(&mut d, &["HELLO", "2"]);
    // RESET drops the authentication; QUIT and AUTH still work without it.
    d.check(&["RESET"]);
    d.check(&["GET", "k"]);
    d.check(&["AUTH", "s3cret"]);
    d.check(&["GET", "k"]);
    d.check(&["RESET"]);
    d.check(&["QUIT"]);
}

#[test]
fn reset_restores_defaults() {
    let mut d = Diff::new();
    check_hello(&mut d, &["HELLO", "3", "SETNAME", "before"]);
    d.check(&["SELECT", "4"]);
    d.check(&["SET", "k", "in-4"]);
    d.check(&["CLIENT", "NO-EVICT", "on"]);
    d.check(&["RESET"]);
    d.check(&["GET", "k"]);
    d.check(&["GET", "missing"]);
    d.check(&["CLIENT", "GETNAME"]);
    let (r, e) = client_info(&mut d);
    check_client_line(&r, &e);
    d.check(&["RESET", "x"]);
    // RESET answers even with replies off, and turns them back on.
    let script = [
        support::encode_command(&["CLIENT", "REPLY", "OFF"]),
        support::encode_command(&["RESET"]),
        support::encode_command(&["PING"]),
        support::encode_command(&["CLIENT", "REPLY", "SKIP"]),
        support::encode_command(&["RESET"]),
        support::encode_command(&["PING", "after"]),
    ]
    .concat();
    d.check_raw(&script);
}

/// Sorts what Redis emits in hash order, the subcommands of a container in
/// COMMAND INFO (its tenth element) and COMMAND DOCS (its `subcommands` map),
/// keeping only the subcommands Ember has (`names`).
fn normalize(r: &Resp, names: &[String]) -> Resp {
    let known = |name: &Resp| {
        names
            .iter()
            .any(|n| n.as_bytes() == name.bytes().unwrap_or(b""))
    };
    match r {
        Resp::Array(items) | Resp::Set(items) => {
            let mut items: Vec<Resp> = items.iter().map(|i| normalize(i, names)).collect();
            // RESP2 COMMAND DOCS: `subcommands` followed by a flat name/docs array.
            for i in (0..items.len().saturating_sub(1)).step_by(2) {
                if items[i] != Resp::Bulk(b"subcommands".to_vec()) {
                    continue;
                }
                if let Resp::Array(flat) = &items[i + 1] {
                    let mut pairs: Vec<(Resp, Resp)> = flat
                        .chunks(2)
                        .filter(|kv| known(&kv[0]))
                        .map(|kv| (kv[0].clone(), kv[1].clone()))
                        .collect();
                    pairs.sort();
                    items[i + 1] =
                        Resp::Array(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect());
                }
            }
            let is_info = items.len() == 10
                && matches!(items[0], Resp::Bulk(_))
                && matches!(items[1], Resp::Int(_));
            if is_info {
                if let Resp::Array(subs) = &mut items[9] {
                    subs.retain(|s| matches!(s, Resp::Array(v) if known(&v[0])));
                    subs.sort();
                }
            }
            match r {
                Resp::Set(_) => Resp::Set(items),
                _ => Resp::Array(items),
            }
        }
        Resp::Map(pairs) => {
            let mut pairs: Vec<(Resp, Resp)> = pairs
                .iter()
                .map(|(k, v)| (normalize(k, names), normalize(v, names)))
                .collect();
            for (k, v) in pairs.iter_mut() {
                if let (Resp::Bulk(name), Resp::Map(subs)) = (k, v) {
                    if name == b"subcommands" {
                        subs.retain(|(s, _)| known(s));
                        subs.sort();
                    }
                }
            }
            Resp::Map(pairs)
        }
        other => other.clone(),
    }
}

/// Every command and subcommand name Ember has, from its COMMAND LIST.
fn ember_names(conn: &mut RawConn) -> Vec<String> {
    conn.cmd(&["COMMAND", "LIST"])
        .items()
        .iter()
        .map(Resp::text)
        .collect()
}

#[test]
fn command_info_and_docs_match_redis_for_every_command() {
    let mut d = Diff::new();
    let names = ember_names(&mut d.ember);
    assert!(names.iter().any(|n| n == "command|docs"));
    for proto in ["2", "3"] {
        d.check_shape(&["HELLO", proto]);
        for name in &names {
            for sub in ["INFO", "DOCS"] {
                let cmd = ["COMMAND", sub, name.as_str()];
                let ((rraw, r), (eraw, e)) = d.exchange(&cmd);
                let container = names.iter().any(|n| n.starts_with(&format!("{name}|")));
                if container {
                    assert_eq!(
                        normalize(&r, &names),
                        normalize(&e, &names),
                        "RESP{proto} {cmd:?}"
                    );
                } else {
                    assert_eq!(
                        support::escape(&rraw),
                        support::escape(&eraw),
                        "RESP{proto} {cmd:?}"
                    );
                }
            }
        }
        d.check(&[
            "COMMAND", "INFO", "get", "nosuch", "GET", "set", "", "get|x", "x|y|z",
        ]);
        d.check(&["COMMAND", "DOCS", "get", "nosuch", "SET", "", "get|x"]);
        d.check(&[
            "COMMAND",
            "INFO",
            "client|list",
            "CLIENT|KILL",
            "command|docs",
        ]);
        d.check(&["COMMAND", "DOCS", "client|list", "CLIENT|KILL", "client|"]);
        d.check(&["COMMAND", "HELP"]);
        d.check(&["COMMAND", "NOSUCH"]);
        d.check(&["COMMAND", "COUNT", "x"]);
        d.check(&["COMMAND", "HELP", "x"]);
    }
}

#[test]
fn command_count_and_list_follow_the_table() {
    let mut d = Diff::new();
    let names = ember_names(&mut d.ember);
    let top = names.iter().filter(|n| !n.contains('|')).count() as i64;
    assert_eq!(d.ember(&["COMMAND", "COUNT"]), Resp::Int(top));
    assert_eq!(d.ember(&["COMMAND"]).items().len() as i64, top);
    assert_eq!(d.ember(&["COMMAND", "INFO"]).items().len() as i64, top);
    // Ember's list is Redis's list restricted to Ember's commands.
    let mine = |r: Resp| -> Vec<String> {
        let mut v: Vec<String> = r.items().iter().map(Resp::text).collect();
        v.sort();
        v
    };
    for filter in [
        &["COMMAND", "LIST"][..],
        &["COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection"],
        &["COMMAND", "LIST", "FILTERBY", "aclcat", "KEYSPACE"],
        &["COMMAND", "LIST", "FILTERBY", "ACLCAT", "dangerous"],
        &["COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"],
        &["COMMAND", "LIST", "FILTERBY", "PATTERN", "client*"],
        &["COMMAND", "LIST", "FILTERBY", "pattern", "*|*"],
        &["COMMAND", "LIST", "FILTERBY", "PATTERN", "[a-g]e?"],
        &["COMMAND", "LIST", "FILTERBY", "MODULE", "x"],
    ] {
        let (r, e) = d.both(filter);
        let expected: Vec<String> = mine(r).into_iter().filter(|n| names.contains(n)).collect();
        assert_eq!(expected, mine(e), "{filter:?}");
    }
    for cmd in [
        &["COMMAND", "LIST", "FILTERBY"][..],
        &["COMMAND", "LIST", "FILTERBY", "x", "y"],
        &["COMMAND", "LIST", "FILTERBY", "PATTERN"],
        &["COMMAND", "LIST", "FILTERBY", "PATTERN", "a", "b"],
        &["COMMAND", "LIST", "foo"],
    ] {
        d.check(cmd);
    }
}

#[test]
fn command_getkeys() {
    let mut d = Diff::new();
    let names = ember_names(&mut d.ember);
    let cases: &[&[&str]] = &[
        &["GET", "k"],
        &["get", "k"],
        &["SET", "k", "v"],
        &["SET", "k", "v", "GET"],
        &["SET", "k", "v", "EX", "10", "get"],
        &["MSET", "a", "1", "b", "2"],
        &["MSET", "a", "1", "b"],
        &["MGET", "a", "b", "c"],
        &["DEL", "a", "b"],
        &["EXISTS", "a"],
        &["RENAME", "a", "b"],
        &["COPY", "a", "b", "DB", "1"],
        &["BITOP", "AND", "d", "a", "b"],
        &["BITFIELD", "k", "GET", "u8", "0"],
        &["BITFIELD", "k", "SET", "u8", "0", "1"],
        &["BITFIELD", "k", "INCRBY", "u8", "0"],
        &["BITFIELD_RO", "k", "GET", "u8", "0"],
        &["OBJECT", "ENCODING", "k"],
        &["OBJECT", "HELP"],
        &["EXPIRE", "k", "10"],
        &["LCS", "a", "b"],
        &["SORT", "k", "STORE", "dst"],
        &["SORT_RO", "k", "BY", "x"],
        &["ZUNIONSTORE", "d", "2", "a", "b"],
        &["ZUNIONSTORE", "d", "5", "a"],
        &["EVAL", "return 1", "2", "a", "b"],
        &["EVAL", "return 1", "2", "a"],
        &["EVAL", "return 1", "0"],
        &["XREAD", "STREAMS", "a", "b", "0", "0"],
        &["XREAD", "COUNT", "1", "STREAMS", "a", "0"],
        &["MIGRATE", "h", "1", "k", "0", "10"],
        &["MIGRATE", "h", "1", "", "0", "10", "KEYS", "a", "b"],
        &[
            "GEORADIUS",
            "a",
            "1",
            "2",
            "3",
            "m",
            "STORE",
            "x",
            "STOREDIST",
            "y",
        ],
        &["SPUBLISH", "ch", "msg"],
        &["SCAN", "0"],
        &["PING"],
    ];
    for case in cases {
        let present = names.iter().any(|n| n.eq_ignore_ascii_case(case[0]));
        if !present {
            continue;
        }
        for sub in ["GETKEYS", "GETKEYSANDFLAGS"] {
            let cmd: Vec<&str> = ["COMMAND", sub]
                .into_iter()
                .chain(case.iter().copied())
                .collect();
            d.check(&cmd);
        }
    }
    for cmd in [
        &["COMMAND", "GETKEYS"][..],
        &["COMMAND", "GETKEYS", "GET"],
        &["COMMAND", "GETKEYS", "NOSUCH", "a"],
        &["COMMAND", "GETKEYS", "GET", "a", "b"],
        &["COMMAND", "GETKEYS", "CLIENT", "LIST"],
        &["COMMAND", "GETKEYS", "CLIENT", "NOSUCH"],
        &["COMMAND", "GETKEYS", "COMMAND", "INFO"],
        &["COMMAND", "GETKEYSANDFLAGS", "PING", "x"],
        &["COMMAND", "GETKEYSANDFLAGS", "NOSUCH", "x"],
    ] {
        d.check(cmd);
    }
}

/// `total_reads_processed` / `total_writes_processed` from INFO stats.
fn io_counts(c: &mut RawConn) -> (u64, u64) {
    (
        c.info_u64("stats", "total_reads_processed"),
        c.info_u64("stats", "total_writes_processed"),
    )
}

/// A pipelined batch of large requests (16 SETs of 1 KiB values, 17 KB, more
/// than one 16 KiB read) is read, run and answered whole, as Redis does once
/// its query buffer has grown: one read and one write per batch, counted by
/// INFO's total_reads_processed / total_writes_processed on both servers.
#[test]
fn large_pipelined_batches_take_one_read_and_one_write() {
    const BATCHES: u64 = 10;
    let d = Diff::new();
    let value = "v".repeat(1024);
    let batch: Vec<u8> = (0..16)
        .flat_map(|i| support::encode_command(&["SET", &format!("big:{i}"), &value]))
        .collect();
    for (name, port) in [("ember", d.ember_port()), ("redis", d.redis_port())] {
        let mut c = RawConn::connect(name, port).expect("connect");
        let run_batch = |c: &mut RawConn| {
            c.write_raw(&batch);
            for _ in 0..16 {
                assert_eq!(
                    c.read_reply().expect("reply").1,
                    Resp::Simple(b"OK".to_vec())
                );
            }
        };
        // The first batch grows the buffers.
        run_batch(&mut c);
        let (reads0, writes0) = io_counts(&mut c);
        for _ in 0..BATCHES {
            run_batch(&mut c);
        }
        let (reads1, writes1) = io_counts(&mut c);
        // Between the two INFOs: the batches, the second INFO's read and
        // the first INFO's reply.
        let reads = (reads1 - reads0).saturating_sub(1);
        let writes = (writes1 - writes0).saturating_sub(1);
        // (One spare each: the kernel may deliver a batch in two parts.)
        assert!(
            (BATCHES..=BATCHES + 1).contains(&reads),
            "{name}: {reads} reads for {BATCHES} batches"
        );
        assert!(
            (BATCHES..=BATCHES + 1).contains(&writes),
            "{name}: {writes} writes for {BATCHES} batches"
        );
    }
}
