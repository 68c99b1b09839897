//! ACL unit tests; the expected texts were taken from redis-server 7.0.15.

use super::*;
use crate::engine::Engine;
use ember_resp::Reply;

fn run(e: &mut Engine, id: ClientId, words: &[&str]) -> Reply {
    let argv: Vec<Bytes> = words
        .iter()
        .map(|w| Bytes::copy_from_slice(w.as_bytes()))
        .collect();
    e.execute(id, &argv).expect("a reply")
}

fn err(s: &str) -> Reply {
    Reply::error(s.to_string())
}

fn getuser_field(e: &mut Engine, id: ClientId, user: &str, field: &str) -> Reply {
    let Reply::Map(fields) = run(e, id, &["ACL", "GETUSER", user]) else {
        panic!("GETUSER replies with a map")
    };
    fields
        .into_iter()
        .find(|(k, _)| *k == Reply::bulk(field))
        .map(|(_, v)| v)
        .expect("field present")
}

#[test]
fn setuser_rules_describe_like_redis() {
    let mut e = Engine::builder().build();
    let id = e.add_client();
    let ok = |e: &mut Engine, w: &[&str]| assert_eq!(run(e, id, w), Reply::OK, "{w:?}");
    ok(
        &mut e,
        &[
            "ACL", "SETUSER", "u4", "%RW~foo", "%R~bar", "%W~bar", "~baz", "%R~baz",
        ],
    );
    ok(&mut e, &["ACL", "SETUSER", "u5", "reset"]);
    ok(&mut e, &["ACL", "SETUSER", "u", "%R"]);
    ok(
        &mut e,
        &[
            "ACL", "SETUSER", "u13", "+@all", "-@string", "+get", "-@list",
        ],
    );
    ok(
        &mut e,
        &["ACL", "SETUSER", "u16", "-@all", "+@fast", "+@connection"],
    );
    ok(
        &mut e,
        &["ACL", "SETUSER", "u12", "(~a +get)", "(%R~b", "+@all)"],
    );
    ok(
        &mut e,
        &[
            "ACL",
            "SETUSER",
            "u6",
            "+select|0",
            "+config|get",
            "-config|get",
        ],
    );
    ok(
        &mut e,
        &[
            "ACL",
            "SETUSER",
            "u7",
            "on",
            ">pass",
            ">pass",
            "#5e884898da28047151d0e56f8dc6292773603d0d61aabdf7273c4a7f1b8b1d2f",
        ],
    );
    ok(
        &mut e,
        &[
            "ACL",
            "SETUSER",
            "u7",
            "!5e884898da28047151d0e56f8dc6292773603d0d61aabdf7273c4a7f1b8b1d2f",
        ],
    );
    let lines = [
        "user default on nopass ~* &* +@all",
        "user u off %R~ resetchannels -@all",
        "user u12 off resetchannels -@all (~a resetchannels -@all +get) (%R~b resetchannels +@all)",
        "user u13 off resetchannels +@all -@list -@string +get",
        "user u16 off resetchannels -@all +@fast +@connection",
        "user u4 off ~foo ~bar ~baz resetchannels -@all",
        "user u5 off sanitize-payload resetchannels -@all",
        "user u6 off resetchannels -@all +select|0",
        "user u7 on #d74ff0ee8da3b9806b18c877dbf29bbde50b5bd8e4dad7a3a725000feb82e8f1 resetchannels -@all",
    ];
    let expected = Reply::Array(lines.iter().map(Reply::bulk).collect());
    assert_eq!(run(&mut e, id, &["ACL", "LIST"]), expected);
    assert_eq!(
        getuser_field(&mut e, id, "u4", "keys"),
        Reply::bulk("~foo ~bar ~baz")
    );
    assert_eq!(
        getuser_field(&mut e, id, "u5", "flags"),
        Reply::Set(vec![Reply::bulk("off"), Reply::bulk("sanitize-payload")])
    );
    // Redis's greedy category fit: categories first, then single commands.
    ok(
        &mut e,
        &[
            "ACL",
            "SETUSER",
            "u10",
            "+@all",
            "-@dangerous",
            "-keys",
            "+@admin",
            "-flushall",
        ],
    );
    let Reply::Bulk(rules) = getuser_field(&mut e, id, "u10", "commands") else {
        panic!()
    };
    assert_eq!(
        &rules[..],
        b"+@all -flushall -flushdb -info -keys -migrate -restore -restore-asking -sort -sort_ro -swapdb"
    );
    assert_eq!(run(&mut e, id, &["ACL", "GETUSER", "nosuch"]), Reply::Nil);
}

#[test]
fn setuser_errors_change_nothing() {
    let mut e = Engine::builder().build();
    let id = e.add_client();
    let cases: &[(&[&str], &str)] = &[
        (&["u", "(+get"], "ERR Unmatched parenthesis in acl selector starting at '(+get'."),
        (&["u", "%~foo"], "ERR Error in ACL SETUSER modifier '%~foo': Syntax error"),
        (&["u", "%RX~foo"], "ERR Error in ACL SETUSER modifier '%RX~foo': Syntax error"),
        (&["u", "+acl|setuser|x"], "ERR Error in ACL SETUSER modifier '+acl|setuser|x': Allowing first-arg of a subcommand is not supported"),
        (&["u", "+client|foo"], "ERR Error in ACL SETUSER modifier '+client|foo': Unknown command or category name in ACL"),
        (&["u", "<nope"], "ERR Error in ACL SETUSER modifier '<nope': The password you are trying to remove from the user does not exist"),
        (&["u", "#abc"], "ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"),
        (&["u 8"], "ERR Usernames can't contain spaces or null characters"),
        (&["u", "~*", "~foo"], "ERR Error in ACL SETUSER modifier '~foo': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"),
        (&["u", "&*", "&foo"], "ERR Error in ACL SETUSER modifier '&foo': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"),
        (&["u", "+@nosuch"], "ERR Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in ACL"),
        (&["u", "on", "foo"], "ERR Error in ACL SETUSER modifier 'foo': Syntax error"),
    ];
    for (args, expected) in cases {
        let mut words = vec!["ACL", "SETUSER"];
        words.extend_from_slice(args);
        assert_eq!(run(&mut e, id, &words), err(expected), "{args:?}");
    }
    assert_eq!(
        run(&mut e, id, &["ACL", "USERS"]),
        Reply::Array(vec![Reply::bulk("default")])
    );
    assert!(e.acl.unrestricted);
}

#[test]
fn permissions_keys_channels_and_first_args() {
    let mut e = Engine::builder().build();
    let admin = e.add_client();
    assert_eq!(
        run(
            &mut e,
            admin,
            &[
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
                "+psubscribe",
                "+multi",
                "+exec",
                "+select|0",
                "+copy",
                "+acl|whoami"
            ]
        ),
        Reply::OK
    );
    assert!(!e.acl.unrestricted);
    let id = e.add_client();
    assert_eq!(run(&mut e, id, &["AUTH", "al", "pw"]), Reply::OK);
    assert_eq!(run(&mut e, id, &["ACL", "WHOAMI"]), Reply::bulk("al"));
    let key_err =
        err("NOPERM this user has no permissions to access one of the keys used as arguments");
    let chan_err =
        err("NOPERM this user has no permissions to access one of the channels used as arguments");
    assert_eq!(run(&mut e, id, &["GET", "k1"]), Reply::Nil);
    assert_eq!(run(&mut e, id, &["GET", "r1"]), Reply::Nil);
    assert_eq!(run(&mut e, id, &["GET", "w1"]), key_err);
    assert_eq!(run(&mut e, id, &["SET", "w1", "v"]), Reply::OK);
    // SET ... GET also reads.
    assert_eq!(run(&mut e, id, &["SET", "w1", "v", "GET"]), key_err);
    assert_eq!(run(&mut e, id, &["SET", "r1", "v"]), key_err);
    // COPY reads its source and writes its destination.
    assert_eq!(run(&mut e, id, &["COPY", "r1", "w2"]), Reply::Integer(0));
    assert_eq!(run(&mut e, id, &["COPY", "w1", "r2"]), key_err);
    assert_eq!(
        run(&mut e, id, &["LPUSH", "k1", "a"]),
        err("NOPERM this user has no permissions to run the 'lpush' command")
    );
    assert_eq!(
        run(&mut e, id, &["CONFIG", "GET", "x"]),
        err("NOPERM this user has no permissions to run the 'config|get' command")
    );
    assert_eq!(run(&mut e, id, &["SELECT", "0"]), Reply::OK);
    assert_eq!(
        run(&mut e, id, &["SELECT", "1"]),
        err("NOPERM this user has no permissions to run the 'select' command")
    );
    assert_eq!(run(&mut e, id, &["PUBLISH", "ch1", "m"]), Reply::Integer(0));
    assert_eq!(run(&mut e, id, &["PUBLISH", "zz", "m"]), chan_err);
    // PSUBSCRIBE patterns match channel rules literally.
    assert_eq!(run(&mut e, id, &["PSUBSCRIBE", "ch1"]), chan_err);
    // Refused inside MULTI: the transaction is doomed, and logged as `multi`.
    assert_eq!(run(&mut e, id, &["MULTI"]), Reply::OK);
    assert_eq!(run(&mut e, id, &["GET", "zz"]), key_err);
    assert!(matches!(run(&mut e, id, &["EXEC"]), Reply::Error(m) if m.starts_with("EXECABORT")));
    let Reply::Array(entries) = run(&mut e, admin, &["ACL", "LOG", "1"]) else {
        panic!()
    };
    let Reply::Map(fields) = &entries[0] else {
        panic!()
    };
    assert_eq!(fields[1].1, Reply::bulk("key"));
    assert_eq!(fields[2].1, Reply::bulk("multi"));
    assert_eq!(fields[3].1, Reply::bulk("zz"));
    assert_eq!(fields[4].1, Reply::bulk("al"));
    // DRYRUN answers for any user without running anything.
    assert_eq!(
        run(&mut e, admin, &["ACL", "DRYRUN", "al", "GET", "k1"]),
        Reply::OK
    );
    assert_eq!(
        run(&mut e, admin, &["ACL", "DRYRUN", "al", "GET", "w1"]),
        Reply::bulk("This user has no permissions to access the 'w1' key")
    );
    assert_eq!(
        run(&mut e, admin, &["ACL", "DRYRUN", "al", "PUBLISH", "x", "m"]),
        Reply::bulk("This user has no permissions to access the 'x' channel")
    );
    assert_eq!(
        run(
            &mut e,
            admin,
            &["ACL", "DRYRUN", "al", "CONFIG", "GET", "x"]
        ),
        Reply::bulk("This user has no permissions to run the 'config|get' command")
    );
    assert_eq!(
        run(&mut e, admin, &["ACL", "DRYRUN", "al", "CONFIG", "foo"]),
        err("ERR Command 'CONFIG' not found")
    );
    assert_eq!(
        run(&mut e, admin, &["ACL", "DRYRUN", "al", "GET"]),
        err("ERR wrong number of arguments for 'get' command")
    );
}

#[test]
fn selectors_widen_permissions() {
    let mut e = Engine::builder().build();
    let id = e.add_client();
    assert_eq!(
        run(
            &mut e,
            id,
            &[
                "ACL",
                "SETUSER",
                "s",
                "on",
                "nopass",
                "~a*",
                "+get",
                "(~b* +set)"
            ]
        ),
        Reply::OK
    );
    let c = e.add_client();
    assert_eq!(run(&mut e, c, &["AUTH", "s", "x"]), Reply::OK);
    assert_eq!(run(&mut e, c, &["GET", "a1"]), Reply::Nil);
    assert_eq!(run(&mut e, c, &["SET", "b1", "v"]), Reply::OK);
    // Neither selector allows GET b1 and SET a1; the key reason outranks
    // the command reason.
    let key_err = "NOPERM this user has no permissions to access one of the keys used as arguments";
    assert_eq!(run(&mut e, c, &["GET", "b1"]), err(key_err));
    assert_eq!(run(&mut e, c, &["SET", "a1", "v"]), err(key_err));
}

#[test]
fn authentication_follows_the_default_user() {
    let config = crate::config::Config {
        requirepass: "secret".into(),
        ..Default::default()
    };
    let mut e = Engine::builder().config(config).build();
    let id = e.add_client();
    assert_eq!(
        run(&mut e, id, &["PING"]),
        err("NOAUTH Authentication required.")
    );
    assert_eq!(
        run(&mut e, id, &["AUTH", "nope"]),
        err("WRONGPASS invalid username-password pair or user is disabled.")
    );
    assert_eq!(run(&mut e, id, &["AUTH", "secret"]), Reply::OK);
    assert_eq!(
        run(&mut e, id, &["ACL", "LIST"]),
        Reply::Array(vec![Reply::bulk(
            "user default on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b ~* &* +@all"
        )])
    );
    // CONFIG SET requirepass "" opens the door for new connections.
    assert_eq!(
        run(&mut e, id, &["CONFIG", "SET", "requirepass", ""]),
        Reply::OK
    );
    let fresh = e.add_client();
    assert_eq!(run(&mut e, fresh, &["PING"]), Reply::status("PONG"));
    // A disabled user cannot log in, even with the right password.
    assert_eq!(
        run(&mut e, id, &["ACL", "SETUSER", "bob", ">pw", "off"]),
        Reply::OK
    );
    assert_eq!(
        run(&mut e, id, &["AUTH", "bob", "pw"]),
        err("WRONGPASS invalid username-password pair or user is disabled.")
    );
    assert_eq!(run(&mut e, id, &["ACL", "SETUSER", "bob", "on"]), Reply::OK);
    assert_eq!(run(&mut e, fresh, &["AUTH", "bob", "pw"]), Reply::OK);
    // Deleting a user closes its connections.
    assert_eq!(
        run(&mut e, id, &["ACL", "DELUSER", "bob", "nosuch"]),
        Reply::Integer(1)
    );
    assert!(e.clients[&fresh].killed);
    assert_eq!(
        run(&mut e, id, &["ACL", "DELUSER", "default"]),
        err("ERR The 'default' user cannot be removed")
    );
    // Failed logins are in the log, under the name that was tried.
    let Reply::Array(entries) = run(&mut e, id, &["ACL", "LOG"]) else {
        panic!()
    };
    assert_eq!(entries.len(), 2);
    let Reply::Map(fields) = &entries[0] else {
        panic!()
    };
    assert_eq!(fields[1].1, Reply::bulk("auth"));
    assert_eq!(fields[3].1, Reply::bulk("AUTH"));
    assert_eq!(fields[4].1, Reply::bulk("bob"));
    assert_eq!(run(&mut e, id, &["ACL", "LOG", "RESET"]), Reply::OK);
    assert_eq!(run(&mut e, id, &["ACL", "LOG"]), Reply::Array(vec![]));
}

#[test]
fn protected_mode_and_protected_commands() {
    let mut e = Engine::builder().build();
    assert!(protected_mode_refuses(&e, false));
    assert!(!protected_mode_refuses(&e, true));
    assert!(addr_is_loopback("127.0.0.1:5000") && addr_is_loopback("[::1]:5000"));
    assert!(!addr_is_loopback("127.0.0.2:5000"));
    e.config.requirepass = "x".into();
    requirepass_changed(&mut e);
    assert!(!protected_mode_refuses(&e, false));
    e.config.requirepass.clear();
    requirepass_changed(&mut e);
    e.config.protected_mode = false;
    assert!(!protected_mode_refuses(&e, false));
    // DEBUG is refused before authentication and aborts a transaction.
    let config = crate::config::Config {
        requirepass: "x".into(),
        ..Default::default()
    };
    let mut e = Engine::builder().config(config).build();
    let id = e.add_client();
    e.client_mut(id).unwrap().is_local = false;
    let refused = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";
    assert_eq!(run(&mut e, id, &["DEBUG", "SLEEP", "0"]), err(refused));
    assert_eq!(run(&mut e, id, &["AUTH", "x"]), Reply::OK);
    assert_eq!(run(&mut e, id, &["MULTI"]), Reply::OK);
    assert_eq!(run(&mut e, id, &["DEBUG", "SLEEP", "0"]), err(refused));
    assert!(matches!(run(&mut e, id, &["EXEC"]), Reply::Error(m) if m.starts_with("EXECABORT")));
}

#[test]
fn config_user_lines_and_rename_command() {
    let args = |w: &[&str]| -> Vec<Vec<u8>> { w.iter().map(|s| s.as_bytes().to_vec()).collect() };
    // Redis names argv[index of the bad rule], an off-by-two quirk.
    assert_eq!(
        file::check_config_user(&args(&["alice", "on", ">pw", "badrule", "~*"]), &[]),
        Err("Error in user declaration 'on': Syntax error".to_string())
    );
    let alice =
        file::check_config_user(&args(&["alice", "on", ">pw", "~*", "+nosuch"]), &[]).unwrap();
    assert_eq!(
        file::check_config_user(&args(&["alice", "off"]), std::slice::from_ref(&alice)),
        Err("Error in user declaration 'alice': Duplicate user found. A user can only be defined once in config files".to_string())
    );
    // Unknown commands pass the file check but stop the start.
    let config = crate::config::Config {
        acl_users: vec![alice],
        ..Default::default()
    };
    let e = Engine::builder().config(config).build();
    assert_eq!(
        e.acl.startup_error.as_deref(),
        Some("Error loading ACL rule '+nosuch' for the user named 'alice': Unknown command or category name in ACL\nCritical error while loading ACLs. Exiting.")
    );
    let good =
        file::check_config_user(&args(&["default", "on", ">pw", "~*", "+@all"]), &[]).unwrap();
    let mut known = file::known_command_names();
    assert_eq!(
        file::check_rename(&mut known, b"nosuch", b"x"),
        Err("No such command in rename-command")
    );
    assert_eq!(
        file::check_rename(&mut known, b"get", b"set"),
        Err("Target command name already exists")
    );
    assert_eq!(file::check_rename(&mut known, b"GET", b"fetch"), Ok(()));
    assert_eq!(file::check_rename(&mut known, b"flushall", b""), Ok(()));
    let config = crate::config::Config {
        acl_users: vec![good],
        renamed_commands: vec![
            (b"GET".to_vec(), b"fetch".to_vec()),
            (b"flushall".to_vec(), Vec::new()),
        ],
        ..Default::default()
    };
    let mut e = Engine::builder().config(config).build();
    assert_eq!(e.acl.startup_error, None);
    let id = e.add_client();
    assert_eq!(run(&mut e, id, &["AUTH", "pw"]), Reply::OK);
    assert!(
        matches!(run(&mut e, id, &["GET", "k"]), Reply::Error(m) if m.starts_with("ERR unknown command 'GET'"))
    );
    assert_eq!(run(&mut e, id, &["FETCH", "k"]), Reply::Nil);
    assert_eq!(
        run(&mut e, id, &["FETCH"]),
        err("ERR wrong number of arguments for 'get' command")
    );
    assert!(run(&mut e, id, &["FLUSHALL"]).is_error());
}

#[test]
fn acl_file_load_and_save() {
    let dir = std::env::temp_dir().join(format!("ember-acl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("users.acl");
    let path_s = path.to_str().unwrap().to_string();
    std::fs::write(
        &path,
        "user alice on >pw ~a* +get\n\nuser default on nopass ~* &* +@all\n",
    )
    .unwrap();
    let config = crate::config::Config {
        aclfile: path_s.clone(),
        ..Default::default()
    };
    let mut e = Engine::builder().config(config).build();
    assert_eq!(e.acl.startup_error, None);
    let id = e.add_client();
    assert_eq!(
        run(&mut e, id, &["ACL", "USERS"]),
        Reply::Array(vec![Reply::bulk("alice"), Reply::bulk("default")])
    );
    assert_eq!(run(&mut e, id, &["ACL", "SETUSER", "bob", "on"]), Reply::OK);
    assert_eq!(run(&mut e, id, &["ACL", "SAVE"]), Reply::OK);
    let saved = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        saved,
        "user alice on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~a* resetchannels -@all +get\nuser bob on resetchannels -@all\nuser default on nopass ~* &* +@all\n"
    );
    std::fs::write(&path, "user carol on\nuser carol off\nfoo\n").unwrap();
    let bad = format!("ERR WARNING: Duplicate user 'carol' found on line 2. {path_s}:3 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed");
    assert_eq!(run(&mut e, id, &["ACL", "LOAD"]), err(&bad));
    std::fs::write(&path, "user carol on nopass +@all ~*\n").unwrap();
    assert_eq!(run(&mut e, id, &["ACL", "LOAD"]), Reply::OK);
    assert_eq!(
        run(&mut e, id, &["ACL", "LIST"]),
        Reply::Array(vec![
            Reply::bulk("user carol on nopass ~* resetchannels +@all"),
            Reply::bulk("user default on nopass ~* &* +@all"),
        ])
    );
    let _ = std::fs::remove_dir_all(&dir);
}
