//! Unit tests of CLIENT.

use super::*;
use crate::engine::Engine;

fn run(engine: &mut Engine, id: ClientId, words: &[&str]) -> Option<Reply> {
    let argv: Vec<Bytes> = words
        .iter()
        .map(|w| Bytes::copy_from_slice(w.as_bytes()))
        .collect();
    engine.execute(id, &argv)
}

fn text(r: Option<Reply>) -> String {
    match r {
        Some(Reply::Verbatim(_, b)) | Some(Reply::Bulk(b)) => {
            String::from_utf8(b.to_vec()).unwrap()
        }
        other => panic!("not text: {other:?}"),
    }
}

fn err(s: &'static str) -> Option<Reply> {
    Some(Reply::error(s))
}

const FIELDS: &[&str] = &[
    "id",
    "addr",
    "laddr",
    "fd",
    "name",
    "age",
    "idle",
    "flags",
    "db",
    "sub",
    "psub",
    "ssub",
    "multi",
    "qbuf",
    "qbuf-free",
    "argv-mem",
    "multi-mem",
    "rbs",
    "rbp",
    "obl",
    "oll",
    "omem",
    "tot-mem",
    "events",
    "cmd",
    "user",
    "redir",
    "resp",
];

#[test]
fn names_and_ids() {
    let mut e = Engine::builder().build();
    let id = e.add_client();
    assert_eq!(
        run(&mut e, id, &["CLIENT", "ID"]),
        Some(Reply::Integer(id as i64))
    );
    assert_eq!(run(&mut e, id, &["CLIENT", "GETNAME"]), Some(Reply::Nil));
    assert_eq!(
        run(&mut e, id, &["CLIENT", "SETNAME", "my-app"]),
        Some(Reply::OK)
    );
    assert_eq!(
        run(&mut e, id, &["client", "getname"]),
        Some(Reply::bulk("my-app"))
    );
    let bad = "ERR Client names cannot contain spaces, newlines or special characters.";
    for name in ["a b", "a\nb", "caf\u{e9}", "\x7f"] {
        assert_eq!(run(&mut e, id, &["CLIENT", "SETNAME", name]), err(bad));
    }
    assert_eq!(run(&mut e, id, &["CLIENT", "SETNAME", ""]), Some(Reply::OK));
    assert_eq!(run(&mut e, id, &["CLIENT", "GETNAME"]), Some(Reply::Nil));
    assert_eq!(
        run(&mut e, id, &["CLIENT", "GETREDIR"]),
        Some(Reply::Integer(-1))
    );
    assert_eq!(
        run(&mut e, id, &["CLIENT", "PAUSEX", "10"]),
        err("ERR unknown subcommand 'PAUSEX'. Try CLIENT HELP.")
    );
}

#[test]
fn list_and_info_lines() {
    let mut e = Engine::builder().build();
    let a = e.add_client();
    let b = e.add_client();
    run(&mut e, b, &["CLIENT", "SETNAME", "bee"]);
    run(&mut e, b, &["CLIENT", "NO-EVICT", "on"]);
    let info = text(run(&mut e, a, &["CLIENT", "INFO"]));
    assert!(info.ends_with('\n'));
    let fields: Vec<&str> = info
        .trim_end()
        .split(' ')
        .map(|f| f.split('=').next().unwrap())
        .collect();
    assert_eq!(fields, FIELDS);
    assert!(info.contains(" cmd=client|info "));
    assert!(info.contains(" argv-mem=10 "));
    let list = text(run(&mut e, a, &["CLIENT", "LIST"]));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with(&format!("id={a} ")));
    assert!(lines[1].contains(" name=bee ") && lines[1].contains(" flags=e "));
    let only_b = text(run(
        &mut e,
        a,
        &["CLIENT", "LIST", "ID", &b.to_string(), "999"],
    ));
    assert_eq!(only_b.lines().count(), 1);
    assert!(only_b.starts_with(&format!("id={b} ")));
    assert_eq!(
        text(run(&mut e, a, &["CLIENT", "LIST", "TYPE", "pubsub"])),
        ""
    );
    assert_eq!(
        text(run(&mut e, a, &["CLIENT", "LIST", "TYPE", "NORMAL"]))
            .lines()
            .count(),
        2
    );
    assert_eq!(
        run(&mut e, a, &["CLIENT", "LIST", "TYPE", "x"]),
        err("ERR Unknown client type 'x'")
    );
    assert_eq!(
        run(&mut e, a, &["CLIENT", "LIST", "ID", "1", "x"]),
        err("ERR Invalid client ID")
    );
    assert_eq!(
        run(&mut e, a, &["CLIENT", "LIST", "TYPE"]),
        err("ERR syntax error")
    );
    assert_eq!(
        run(&mut e, a, &["CLIENT", "NO-EVICT", "maybe"]),
        err("ERR syntax error")
    );
}

#[test]
fn kill_forms() {
    let mut e = Engine::builder().build();
    let a = e.add_client();
    let b = e.add_client();
    let c = e.add_client();
    e.clients.get_mut(&b).unwrap().addr = "10.0.0.1:5000".into();
    assert_eq!(
        run(&mut e, a, &["CLIENT", "KILL", "1.2.3.4:5"]),
        err("ERR No such client")
    );
    assert_eq!(
        run(&mut e, a, &["CLIENT", "KILL", "10.0.0.1:5000"]),
        Some(Reply::OK)
    );
    assert!(e.clients[&b].killed);
    // Killed clients are gone from the listing even before the front end drops them.
    assert_eq!(text(run(&mut e, a, &["CLIENT", "LIST"])).lines().count(), 2);
    let kill_c = ["CLIENT", "KILL", "ID", &c.to_string()];
    assert_eq!(run(&mut e, a, &kill_c), Some(Reply::Integer(1)));
    assert_eq!(run(&mut e, a, &kill_c), Some(Reply::Integer(0)));
    // The caller is skipped unless SKIPME no.
    assert_eq!(
        run(&mut e, a, &["CLIENT", "KILL", "TYPE", "normal"]),
        Some(Reply::Integer(0))
    );
    let errors: &[(&[&str], &str)] = &[
        (
            &["CLIENT", "KILL", "ID", "0"],
            "ERR client-id should be greater than 0",
        ),
        (
            &["CLIENT", "KILL", "ID", "x"],
            "ERR client-id should be greater than 0",
        ),
        (
            &["CLIENT", "KILL", "TYPE", "x"],
            "ERR Unknown client type 'x'",
        ),
        (&["CLIENT", "KILL", "USER", "bob"], "ERR No such user 'bob'"),
        (&["CLIENT", "KILL", "SKIPME", "maybe"], "ERR syntax error"),
        (&["CLIENT", "KILL", "ID", "5", "TYPE"], "ERR syntax error"),
        (&["CLIENT", "KILL", "foo", "bar"], "ERR syntax error"),
    ];
    for (cmd, msg) in errors {
        assert_eq!(run(&mut e, a, cmd), err(msg));
    }
    assert_eq!(
        run(
            &mut e,
            a,
            &["CLIENT", "KILL", "USER", "default", "SKIPME", "no"]
        ),
        Some(Reply::Integer(1))
    );
    assert!(e.clients[&a].close_after_reply && !e.clients[&a].killed);
}

#[test]
fn reply_modes() {
    let mut e = Engine::builder().build();
    let id = e.add_client();
    assert_eq!(run(&mut e, id, &["CLIENT", "REPLY", "SKIP"]), None);
    assert_eq!(run(&mut e, id, &["PING"]), None);
    assert_eq!(run(&mut e, id, &["PING"]), Some(Reply::status("PONG")));
    assert_eq!(run(&mut e, id, &["CLIENT", "REPLY", "OFF"]), None);
    assert_eq!(run(&mut e, id, &["PING"]), None);
    assert_eq!(run(&mut e, id, &["CLIENT", "REPLY", "SKIP"]), None);
    assert_eq!(run(&mut e, id, &["PING"]), None);
    assert_eq!(run(&mut e, id, &["CLIENT", "REPLY", "ON"]), Some(Reply::OK));
    assert_eq!(run(&mut e, id, &["CLIENT", "REPLY", "SKIP"]), None);
    assert_eq!(run(&mut e, id, &["CLIENT", "REPLY", "ON"]), Some(Reply::OK));
    assert_eq!(
        run(&mut e, id, &["CLIENT", "REPLY", "MAYBE"]),
        err("ERR syntax error")
    );
}

#[test]
fn help_lists_redis_text() {
    let mut e = Engine::builder().build();
    let id = e.add_client();
    let Some(Reply::Array(lines)) = run(&mut e, id, &["CLIENT", "HELP"]) else {
        panic!()
    };
    assert_eq!(lines.len(), 48);
    assert_eq!(
        lines[0],
        Reply::status("CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
    );
}
