//! Unit tests of the COMMAND family and of the table rows against the
//! interface data.

use super::*;
use crate::command_docs;
use crate::engine::Engine;

fn run(engine: &mut Engine, id: crate::ClientId, words: &[&str]) -> Reply {
    let argv: Vec<Bytes> = words
        .iter()
        .map(|w| Bytes::copy_from_slice(w.as_bytes()))
        .collect();
    engine.execute(id, &argv).expect("a reply")
}

fn row_mismatches(cmd: &Command, out: &mut Vec<String>) {
    let Some(d) = command_docs::get(&cmd.full_name) else {
        out.push(format!("{}: not a Redis 7.0 command", cmd.full_name));
        return;
    };
    let shown: Vec<String> = flags::NAMES
        .iter()
        .filter(|(bit, _)| cmd.flags & bit & !HIDDEN_FLAGS != 0)
        .map(|(_, n)| n.to_string())
        .collect();
    let cats = cmd.acl_categories();
    let acl_shown: Vec<String> = acl::NAMES
        .iter()
        .filter(|(bit, _)| cats & bit != 0)
        .map(|(_, n)| format!("@{n}"))
        .collect();
    let name = &cmd.full_name;
    if cmd.arity != d.arity {
        out.push(format!("{name}: arity {} (redis {})", cmd.arity, d.arity));
    }
    if shown != d.flags {
        out.push(format!("{name}: flags {shown:?} (redis {:?})", d.flags));
    }
    let keys = (cmd.first_key, cmd.last_key, cmd.step);
    if keys != (d.first_key, d.last_key, d.step) {
        out.push(format!(
            "{name}: keys {keys:?} (redis {:?})",
            (d.first_key, d.last_key, d.step)
        ));
    }
    if acl_shown != d.acl_categories {
        out.push(format!(
            "{name}: acl {acl_shown:?} (redis {:?})",
            d.acl_categories
        ));
    }
    for sub in &cmd.subcommands {
        row_mismatches(sub, out);
    }
}

#[test]
fn every_row_matches_redis() {
    let engine = Engine::builder().build();
    let mut out = Vec::new();
    for cmd in engine.table.iter() {
        row_mismatches(cmd, &mut out);
    }
    assert!(
        out.is_empty(),
        "table rows differ from Redis 7.0:\n{}",
        out.join("\n")
    );
}

#[test]
fn count_list_and_info_follow_the_table() {
    let mut engine = Engine::builder().build();
    let id = engine.add_client();
    let n = engine.table.len() as i64;
    assert_eq!(
        run(&mut engine, id, &["COMMAND", "COUNT"]),
        Reply::Integer(n)
    );
    let Reply::Array(all) = run(&mut engine, id, &["COMMAND"]) else {
        panic!()
    };
    assert_eq!(all.len() as i64, n);
    let Reply::Array(info) = run(
        &mut engine,
        id,
        &["command", "info", "GET", "nosuch", "Command|Count", "get|x"],
    ) else {
        panic!()
    };
    assert_eq!(info[1], Reply::Nil);
    assert_eq!(info[3], Reply::Nil);
    let Reply::Array(get) = &info[0] else {
        panic!()
    };
    assert_eq!(get[0], Reply::bulk("get"));
    let Reply::Array(cc) = &info[2] else { panic!() };
    assert_eq!(cc[0], Reply::bulk("command|count"));
    let Reply::Array(names) = run(
        &mut engine,
        id,
        &["COMMAND", "LIST", "FILTERBY", "PATTERN", "command|*"],
    ) else {
        panic!()
    };
    assert_eq!(names.len(), 7);
    let Reply::Array(none) = run(
        &mut engine,
        id,
        &["COMMAND", "LIST", "FILTERBY", "aclcat", "nosuch"],
    ) else {
        panic!()
    };
    assert!(none.is_empty());
    assert_eq!(
        run(&mut engine, id, &["COMMAND", "LIST", "FILTERBY", "x", "y"]),
        Reply::error("ERR syntax error")
    );
}

#[test]
fn getkeys_errors_and_fallbacks() {
    let mut engine = Engine::builder().build();
    let id = engine.add_client();
    let err = |s: &'static str| Reply::error(s);
    assert_eq!(
        run(&mut engine, id, &["COMMAND", "GETKEYS", "nosuch", "a"]),
        err("ERR Invalid command specified")
    );
    assert_eq!(
        run(&mut engine, id, &["COMMAND", "GETKEYS", "ping", "a"]),
        err("ERR The command has no key arguments")
    );
    assert_eq!(
        run(&mut engine, id, &["COMMAND", "GETKEYS", "get", "a", "b"]),
        err("ERR Invalid number of arguments specified for command")
    );
    assert_eq!(
        run(&mut engine, id, &["COMMAND", "GETKEYS", "get", "k"]),
        Reply::Array(vec![Reply::bulk("k")])
    );
    let flags = |v: &[&'static str]| Reply::Set(v.iter().map(|s| status(*s)).collect());
    assert_eq!(
        run(
            &mut engine,
            id,
            &["COMMAND", "GETKEYSANDFLAGS", "set", "k", "v", "GET"]
        ),
        Reply::Array(vec![Reply::Array(vec![
            Reply::bulk("k"),
            flags(&["RW", "access", "update"])
        ])])
    );
    assert_eq!(
        run(
            &mut engine,
            id,
            &["COMMAND", "GETKEYSANDFLAGS", "set", "k", "v"]
        ),
        Reply::Array(vec![Reply::Array(vec![
            Reply::bulk("k"),
            flags(&["OW", "update"])
        ])])
    );
}

#[test]
fn bitfield_write_detection() {
    let argv = |w: &[&str]| {
        w.iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect::<Vec<_>>()
    };
    assert!(!bitfield_writes(&argv(&[
        "bitfield", "k", "get", "u8", "0"
    ])));
    assert!(bitfield_writes(&argv(&[
        "bitfield", "k", "get", "u8", "0", "set", "u8", "0", "1"
    ])));
    assert!(bitfield_writes(&argv(&["bitfield", "k", "get", "u8"])));
    assert!(bitfield_writes(&argv(&["bitfield", "k", "foo"])));
    assert!(!bitfield_writes(&argv(&[
        "bitfield", "k", "overflow", "wrap"
    ])));
    assert!(!bitfield_writes(&argv(&["bitfield", "k"])));
    assert!(bitfield_writes(&argv(&[
        "bitfield", "k", "overflow", "wrap", "incrby", "u8", "0", "1"
    ])));
}

#[test]
fn data_names_are_lowercase_full_names() {
    for name in command_docs::names() {
        assert_eq!(name, name.to_ascii_lowercase());
        assert!(name.matches('|').count() <= 1, "{name}");
    }
}
