//! Differential tests of configuration and server administration: CONFIG GET
//! of every parameter, CONFIG SET accept/reject and read-back, CONFIG
//! HELP/RESETSTAT/REWRITE errors, INFO sections and field names, TIME,
//! LASTSAVE, SHUTDOWN and DEBUG error texts, against the real redis-server.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use support::{Diff, Resp};

/// Parameters whose values necessarily differ: the harness gives each server
/// its own port, bind address and directory.
const SKIP: &[&str] = &["port", "bind", "dir"];

/// The harness starts redis-server with `--save ''`; Ember gets the same.
fn config() -> ember::Config {
    ember::Config {
        save: Vec::new(),
        ..ember::Config::default()
    }
}

fn diff() -> Diff {
    Diff::with_config(&[], config())
}

/// Servers that accept DEBUG.
fn debug_diff() -> Diff {
    let config = ember::Config {
        enable_debug_command: "yes".into(),
        ..config()
    };
    Diff::with_config(&["--enable-debug-command", "yes"], config)
}

fn text(r: &Resp) -> String {
    String::from_utf8_lossy(r.bytes().unwrap_or_default()).into_owned()
}

fn pairs(r: &Resp) -> BTreeMap<String, String> {
    r.items()
        .chunks(2)
        .map(|c| (text(&c[0]), text(&c[1])))
        .collect()
}

#[test]
fn config_get_every_parameter_individually() {
    let mut d = diff();
    let all = d.redis(&["CONFIG", "GET", "*"]);
    let names: Vec<String> = pairs(&all).into_keys().collect();
    assert!(names.len() > 180, "redis lists {} parameters", names.len());
    let hidden = [
        "use-exit-on-panic",
        "rdb-key-save-delay",
        "key-load-delay",
        "watchdog-period",
        "loading-process-events-interval-bytes",
    ];
    for name in names.iter().map(String::as_str).chain(hidden) {
        if !SKIP.contains(&name) {
            d.check(&["CONFIG", "GET", name]);
        }
    }
}

#[test]
fn config_get_star_lists_the_same_names_and_values() {
    let mut d = diff();
    let (r, e) = d.both(&["CONFIG", "GET", "*"]);
    let (mut r, mut e) = (pairs(&r), pairs(&e));
    assert_eq!(
        r.keys().collect::<BTreeSet<_>>(),
        e.keys().collect::<BTreeSet<_>>()
    );
    for name in SKIP {
        r.remove(*name);
        e.remove(*name);
    }
    assert_eq!(r, e);
}

#[test]
fn config_get_patterns() {
    let mut d = diff();
    for pats in [
        &["*max*"][..],
        &["hash-*"],
        &["*-ziplist-*"],
        &["[e-h]*"],
        &["*LISTPACK*"],
        &["?z*"],
        &["slave*", "replica*"],
        &["maxmemory", "MAXMEMORY"],
        &["MAXMEMORY", "maxmem*"],
        &["nonexistent"],
        &["key-load-*"],
        &["appendonly", "appendfsync", "nosuch", "hz"],
        &["lua-time-limit"],
        &["SlaveOf"],
    ] {
        let mut cmd = vec!["CONFIG", "GET"];
        cmd.extend_from_slice(pats);
        d.check_unordered_pairs(&cmd);
    }
    d.check(&["CONFIG", "GET"]);
    d.check(&["CONFIG"]);
    d.check(&["CONFIG", "NOSUCH"]);
    d.check(&["CONFIG", "HELP"]);
    d.check(&["CONFIG", "HELP", "x"]);
}

#[test]
fn config_get_resp3_is_a_map() {
    let mut d = diff();
    d.hello3();
    d.check(&["CONFIG", "GET", "maxmemory"]);
    d.check_unordered(&["CONFIG", "GET", "hash-max-*"]);
}

/// (CONFIG SET arguments..., parameter to read back)
const SETS: &[(&[&str], &str)] = &[
    (&["maxmemory", "1gb"], "maxmemory"),
    (&["maxmemory", "1GB"], "maxmemory"),
    (&["maxmemory", "5k"], "maxmemory"),
    (&["maxmemory", "5kb"], "maxmemory"),
    (&["maxmemory", "3m"], "maxmemory"),
    (&["maxmemory", ""], "maxmemory"),
    (&["maxmemory", "99999999999999999999"], "maxmemory"),
    (&["maxmemory", "-1"], "maxmemory"),
    (&["maxmemory", " 5"], "maxmemory"),
    (&["maxmemory", "1.5"], "maxmemory"),
    (&["maxmemory", "5kbb"], "maxmemory"),
    (&["maxmemory", "0"], "maxmemory"),
    (&["maxmemory-clients", "50%"], "maxmemory-clients"),
    (&["maxmemory-clients", "101%"], "maxmemory-clients"),
    (&["maxmemory-clients", "-5%"], "maxmemory-clients"),
    (&["maxmemory-clients", "0%"], "maxmemory-clients"),
    (&["maxmemory-clients", "2mb"], "maxmemory-clients"),
    (&["maxmemory-clients", "0"], "maxmemory-clients"),
    (&["hz", "abc"], "hz"),
    (&["hz", "+5"], "hz"),
    (&["hz", "05"], "hz"),
    (&["hz", "-5"], "hz"),
    (&["hz", "0"], "hz"),
    (&["hz", "1000"], "hz"),
    (&["hz", "10"], "hz"),
    (&["port", "abc"], "hz"),
    (&["port", "70000"], "hz"),
    (&["maxclients", "0"], "maxclients"),
    (&["maxclients", "4294967296"], "maxclients"),
    (&["maxclients", "1000000"], "maxclients"),
    (&["maxclients", "100"], "maxclients"),
    (&["maxclients", "10000"], "maxclients"),
    (&["timeout", "-1"], "timeout"),
    (&["timeout", "30"], "timeout"),
    (&["timeout", "0"], "timeout"),
    (&["tcp-keepalive", "60"], "tcp-keepalive"),
    (&["list-max-listpack-size", "-3"], "list-max-ziplist-size"),
    (&["list-max-ziplist-size", "-2"], "list-max-listpack-size"),
    (
        &["hash-max-ziplist-entries", "100"],
        "hash-max-listpack-entries",
    ),
    (
        &["hash-max-listpack-value", "1kb"],
        "hash-max-ziplist-value",
    ),
    (
        &["hash-max-listpack-value", "99999999999999999999"],
        "hash-max-listpack-value",
    ),
    (&["set-max-intset-entries", "-1"], "set-max-intset-entries"),
    (
        &["slowlog-log-slower-than", "-1"],
        "slowlog-log-slower-than",
    ),
    (
        &["slowlog-log-slower-than", "-2"],
        "slowlog-log-slower-than",
    ),
    (&["proto-max-bulk-len", "1000"], "proto-max-bulk-len"),
    (&["proto-max-bulk-len", "2mb"], "proto-max-bulk-len"),
    (
        &["client-query-buffer-limit", "1mb"],
        "client-query-buffer-limit",
    ),
    (&["active-expire-effort", "11"], "active-expire-effort"),
    (&["active-expire-effort", "5"], "active-expire-effort"),
    (
        &["auto-aof-rewrite-min-size", "99999999999999999999"],
        "auto-aof-rewrite-min-size",
    ),
    (&["appendonly", "maybe"], "appendonly"),
    (&["activerehashing", "NO"], "activerehashing"),
    (&["activerehashing", "Yes"], "activerehashing"),
    (&["activedefrag", "yes"], "activedefrag"),
    (&["loglevel", "NOTICE"], "loglevel"),
    (&["loglevel", "loud"], "loglevel"),
    (&["loglevel", "notice warning"], "loglevel"),
    (&["loglevel", "warning"], "loglevel"),
    (&["maxmemory-policy", "allkeys-LRU"], "maxmemory-policy"),
    (&["maxmemory-policy", "lru"], "maxmemory-policy"),
    (&["maxmemory-policy", "noeviction"], "maxmemory-policy"),
    (&["oom-score-adj", "relative"], "oom-score-adj"),
    (&["oom-score-adj", "no"], "oom-score-adj"),
    (&["appendfsync", "always"], "appendfsync"),
    (&["appendfsync", "sometimes"], "appendfsync"),
    (&["shutdown-on-sigint", "nosave now"], "shutdown-on-sigint"),
    (
        &["shutdown-on-sigint", "now nosave force"],
        "shutdown-on-sigint",
    ),
    (&["shutdown-on-sigint", "save nosave"], "shutdown-on-sigint"),
    (&["shutdown-on-sigint", "default now"], "shutdown-on-sigint"),
    (&["shutdown-on-sigint", ""], "shutdown-on-sigint"),
    (&["shutdown-on-sigint", "now  force"], "shutdown-on-sigint"),
    (&["shutdown-on-sigint", "default"], "shutdown-on-sigint"),
    (&["save", "3600 1 300 100"], "save"),
    (&["save", "100"], "save"),
    (&["save", "0 1"], "save"),
    (&["save", "1 -1"], "save"),
    (&["save", "1  2"], "save"),
    (&["save", "5 "], "save"),
    (&["save", "1 0x5"], "save"),
    (
        &["save", "99999999999999999999 99999999999999999999"],
        "save",
    ),
    (&["save", ""], "save"),
    (
        &["client-output-buffer-limit", "normal 1mb 2mb 3"],
        "client-output-buffer-limit",
    ),
    (
        &[
            "client-output-buffer-limit",
            "REPLICA 1gb 2k 0 pubsub 1 2 3",
        ],
        "client-output-buffer-limit",
    ),
    (
        &["client-output-buffer-limit", "master 1 2 3"],
        "client-output-buffer-limit",
    ),
    (
        &["client-output-buffer-limit", "normal -1 2 3"],
        "client-output-buffer-limit",
    ),
    (
        &["client-output-buffer-limit", "normal 1 2 -3"],
        "client-output-buffer-limit",
    ),
    (
        &["client-output-buffer-limit", "normal 1 2 3 slave"],
        "client-output-buffer-limit",
    ),
    (
        &["client-output-buffer-limit", ""],
        "client-output-buffer-limit",
    ),
    (&["notify-keyspace-events", "KEA"], "notify-keyspace-events"),
    (&["notify-keyspace-events", "Kn"], "notify-keyspace-events"),
    (&["notify-keyspace-events", "Axn"], "notify-keyspace-events"),
    (
        &["notify-keyspace-events", "gA$lshzxetdmnKE"],
        "notify-keyspace-events",
    ),
    (&["notify-keyspace-events", "Q"], "notify-keyspace-events"),
    (&["notify-keyspace-events", ""], "notify-keyspace-events"),
    (
        &["latency-tracking-info-percentiles", "50 99.5 100"],
        "latency-tracking-info-percentiles",
    ),
    (
        &[
            "latency-tracking-info-percentiles",
            "1e1 0.0001 33.333333333",
        ],
        "latency-tracking-info-percentiles",
    ),
    (
        &["latency-tracking-info-percentiles", "101"],
        "latency-tracking-info-percentiles",
    ),
    (
        &["latency-tracking-info-percentiles", "x"],
        "latency-tracking-info-percentiles",
    ),
    (
        &["latency-tracking-info-percentiles", ""],
        "latency-tracking-info-percentiles",
    ),
    (&["oom-score-adj-values", "1 2"], "oom-score-adj-values"),
    (
        &["oom-score-adj-values", "1 2 3000"],
        "oom-score-adj-values",
    ),
    (
        &["oom-score-adj-values", "10 20 30"],
        "oom-score-adj-values",
    ),
    (&["proc-title-template", "{title}"], "proc-title-template"),
    (&["proc-title-template", "{foo}"], "proc-title-template"),
    (&["proc-title-template", "x {port}"], "proc-title-template"),
    (
        &["cluster-announce-hostname", "a.b-c"],
        "cluster-announce-hostname",
    ),
    (
        &["cluster-announce-hostname", "a_b"],
        "cluster-announce-hostname",
    ),
    (&["masterauth", "secret"], "masterauth"),
    (&["replica-announce-ip", "10.0.0.1"], "slave-announce-ip"),
    (&["slave-priority", "abc"], "replica-priority"),
    (&["Slave-Priority", "7"], "replica-priority"),
    (&["tls-port", "abc"], "tls-port"),
    (&["tls-port", "0"], "tls-port"),
    (&["tls-port", "6380"], "tls-port"),
    (&["tls-replication", "yes"], "tls-replication"),
    (&["tls-ciphers", "DEFAULT"], "tls-ciphers"),
    (&["tls-auth-clients", "optional"], "tls-auth-clients"),
    (&["bind", "zz!"], "maxmemory"),
    (&["databases", "5"], "databases"),
    (&["DATABASES", "5"], "databases"),
    (&["daemonize", "yes"], "daemonize"),
    (&["unixsocketperm", "777"], "unixsocketperm"),
    (&["replicaof", "127.0.0.1 6379"], "replicaof"),
    (&["slaveof", "no one"], "slaveof"),
    (&["dir", "/tmp"], "hz"),
    (&["dbfilename", "x.rdb"], "dbfilename"),
    (&["enable-debug-command", "yes"], "enable-debug-command"),
    (&["foo", "bar"], "hz"),
    (&["hz", "5", "maxmemory"], "hz"),
    (&["hz", "5", "foo", "bar"], "hz"),
    (&["FOO", "bar", "hz", "5"], "hz"),
    (&["hz", "5", "HZ", "6"], "hz"),
    (&["hz", "7", "databases", "3", "maxmemory", "abc"], "hz"),
    (&["maxmemory", "abc", "databases", "3"], "maxmemory"),
    (&["hz", "7", "maxmemory", "abc"], "hz"),
    (&["hz", "8", "maxmemory", "1mb"], "maxmemory"),
    (&["hz", "10", "maxmemory", "0", "timeout", "5"], "timeout"),
    (&["key-load-delay", "-5"], "key-load-delay"),
    (&["watchdog-period", "-1"], "watchdog-period"),
    (&["rdb-key-save-delay", "abc"], "rdb-key-save-delay"),
];

#[test]
fn config_set_accepts_and_rejects_like_redis() {
    let mut d = diff();
    for (set, name) in SETS {
        let mut cmd = vec!["CONFIG", "SET"];
        cmd.extend_from_slice(set);
        d.check(&cmd);
        d.check(&["CONFIG", "GET", name]);
    }
    d.check(&["CONFIG", "SET"]);
    d.check(&["CONFIG", "SET", "hz"]);
}

#[test]
fn config_set_every_parameter_with_a_bad_value() {
    let mut d = diff();
    let all = d.redis(&["CONFIG", "GET", "*"]);
    for name in pairs(&all).keys() {
        // These accept anything, or act on the process (bind, requirepass).
        if SKIP.contains(&name.as_str())
            || name.starts_with("tls-") && name.contains("file")
            || [
                "bind-source-addr",
                "cluster-announce-ip",
                "ignore-warnings",
                "masterauth",
                "masteruser",
                "proc-title-template",
                "replica-announce-ip",
                "slave-announce-ip",
                "requirepass",
                "tls-ca-cert-dir",
                "tls-ciphers",
                "tls-ciphersuites",
                "tls-protocols",
            ]
            .contains(&name.as_str())
        {
            continue;
        }
        for bad in ["zz!", "-99999999999999999999", "99999999999999999999", "-1"] {
            d.check(&["CONFIG", "SET", name, bad]);
            d.check(&["CONFIG", "GET", name]);
        }
    }
}

#[test]
fn config_resetstat_rewrite_help() {
    let mut d = diff();
    d.check(&["SET", "k", "v"]);
    d.check(&["GET", "k"]);
    d.check(&["NOSUCH"]);
    d.check(&["CONFIG", "RESETSTAT"]);
    let (r, e) = d.both(&["INFO", "everything"]);
    for reply in [r, e] {
        let info = text(&reply);
        assert!(info.contains("keyspace_hits:0\r\n"), "{info}");
        assert!(info.contains("total_error_replies:0\r\n"), "{info}");
        assert!(info.contains("# Errorstats\r\n\r\n"), "{info}");
        assert!(!info.contains("cmdstat_get:"), "{info}");
        assert!(info.contains("cmdstat_config|resetstat:calls=1,"), "{info}");
    }
    d.check(&["CONFIG", "RESETSTAT", "x"]);
    d.check(&["CONFIG", "REWRITE"]);
    d.check(&["CONFIG", "REWRITE", "x"]);
}

/// `(header, field names)` of each INFO section.
fn sections(info: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in info.split("\r\n") {
        if let Some(h) = line.strip_prefix("# ") {
            out.push((h.to_string(), Vec::new()));
        } else if let Some((k, _)) = line.split_once(':') {
            if let Some(last) = out.last_mut() {
                last.1.push(k.to_string());
            }
        }
    }
    out
}

#[test]
fn info_sections_and_field_names() {
    let mut d = diff();
    d.check(&["SET", "k", "v"]);
    d.check(&["NOSUCHCMD"]);
    // The harness probed redis with INFO before the test: start both afresh.
    d.check(&["CONFIG", "RESETSTAT"]);
    d.check(&["SET", "k", "v"]);
    d.check(&["GET", "k"]);
    d.check(&["CONFIG", "GET", "hz"]);
    d.check(&["INCR", "k"]);
    for args in [
        &[][..],
        &["default"],
        &["all"],
        &["everything"],
        &["server", "clients"],
        &["SERVER"],
        &["memory"],
        &["persistence"],
        &["stats"],
        &["replication"],
        &["cpu"],
        &["modules"],
        &["errorstats"],
        &["cluster"],
        &["keyspace"],
        &["keyspace", "keyspace"],
        &["default", "commandstats"],
        &["all", "modules"],
        &["everything", "bogus"],
    ] {
        let mut cmd = vec!["INFO"];
        cmd.extend_from_slice(args);
        let (r, e) = d.both(&cmd);
        let (r, e) = (sections(&text(&r)), sections(&text(&e)));
        let headers =
            |s: &Vec<(String, Vec<String>)>| s.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
        assert_eq!(headers(&r), headers(&e), "INFO {args:?}");
        for ((h, rf), (_, ef)) in r.iter().zip(e.iter()) {
            if h == "Commandstats" || h == "Latencystats" {
                // Redis lists commands in its hash table's order.
                let set = |v: &Vec<String>| v.iter().cloned().collect::<BTreeSet<_>>();
                assert_eq!(set(rf), set(ef), "INFO {args:?}, section {h}");
                continue;
            }
            assert_eq!(rf, ef, "INFO {args:?}, section {h}");
        }
    }
    d.check(&["INFO", "bogus"]);
    d.check(&["INFO", "cluster"]);
    d.check(&["INFO", "modules", "cluster"]);
    d.check(&["INFO", "keyspace"]);
    d.check(&["INFO", "errorstats"]);
    d.hello3();
    d.check(&["INFO", "cluster"]);
}

#[test]
fn time_and_lastsave() {
    let mut d = diff();
    let (r, e) = d.both(&["TIME"]);
    assert!(r.same_shape(&e));
    let secs = |x: &Resp| text(&x.items()[0]).parse::<i64>().unwrap();
    assert!((secs(&r) - secs(&e)).abs() <= 2);
    let usec = text(&e.items()[1]).parse::<i64>().unwrap();
    assert!((0..1_000_000).contains(&usec));
    d.check(&["TIME", "x"]);
    d.check_shape(&["LASTSAVE"]);
    d.check(&["LASTSAVE", "x"]);
}

#[test]
fn shutdown_argument_errors() {
    let mut d = diff();
    for args in [
        &["ABORT"][..],
        &["abort"],
        &["foo"],
        &["SAVE", "NOSAVE"],
        &["ABORT", "NOW"],
        &["NOSAVE", "ABORT"],
        &["NOW", "FORCE", "bar"],
    ] {
        let mut cmd = vec!["SHUTDOWN"];
        cmd.extend_from_slice(args);
        d.check(&cmd);
    }
    d.check(&["PING"]);
}

#[test]
fn debug_is_refused_by_default() {
    let mut d = diff();
    d.check(&["DEBUG"]);
    d.check(&["DEBUG", "HELP"]);
    d.check(&["DEBUG", "SLEEP", "0"]);
    d.check(&["DEBUG", "OBJECT", "k"]);
    d.check(&["CONFIG", "GET", "enable-debug-command"]);
}

/// MODULE: LIST and HELP answer anyone; LOAD, LOADEX and UNLOAD are refused
/// under the default `enable-module-command no`, and with it on a load fails
/// (no module file exists for either server) and so does an unload.
#[test]
fn module_commands_match_redis() {
    let modules: &[&[&str]] = &[
        &["MODULE"],
        &["MODULE", "foo"],
        &["MODULE", "HELP"],
        &["MODULE", "LIST"],
        &["MODULE", "LIST", "x"],
        &["MODULE", "LOAD"],
        &["MODULE", "LOAD", "/nonexistent/m.so"],
        &["MODULE", "LOAD", "/nonexistent/m.so", "a", "b"],
        &["MODULE", "LOADEX", "/nonexistent/m.so"],
        &["MODULE", "LOADEX", "/nonexistent/m.so", "CONFIG", "a"],
        &[
            "MODULE",
            "LOADEX",
            "/nonexistent/m.so",
            "CONFIG",
            "a",
            "b",
            "ARGS",
            "x",
        ],
        &["MODULE", "LOADEX", "/nonexistent/m.so", "foo"],
        &["MODULE", "UNLOAD"],
        &["MODULE", "UNLOAD", "foo"],
        &["CONFIG", "GET", "enable-module-command"],
    ];
    let mut d = diff();
    for cmd in modules {
        d.check(cmd);
    }
    let config = ember::Config {
        enable_module_command: "yes".into(),
        ..config()
    };
    let mut d = Diff::with_config(&["--enable-module-command", "yes"], config);
    for cmd in modules {
        d.check(cmd);
    }
    d.hello3();
    d.check(&["MODULE", "LIST"]);
    d.check(&["MODULE", "HELP"]);
    // RESTORE-ASKING is RESTORE (cluster's migration form).
    let dump = d.check(&["DUMP", "nosuch"]);
    assert_eq!(dump, support::Resp::Null);
    d.check(&["SET", "k", "v"]);
    let payload = d.redis(&["DUMP", "k"]);
    let payload = payload.bytes().unwrap().to_vec();
    for cmd in [
        &[&b"RESTORE-ASKING"[..], b"k", b"0", &payload][..],
        &[b"RESTORE-ASKING", b"k2", b"0", &payload],
        &[b"RESTORE-ASKING", b"k2", b"0", b"bad payload"],
        &[b"RESTORE-ASKING", b"k2"],
    ] {
        d.check(cmd);
    }
    d.check(&["GET", "k2"]);
}

/// DEBUG DIGEST and DIGEST-VALUE come out as redis-server's for every type
/// and encoding (integers and listpacks included), with TTLs, across
/// databases, and for logically expired keys still stored.
#[test]
fn debug_digest_matches_redis() {
    let mut d = debug_diff();
    // Expired keys stay until read (the digest counts them).
    d.check(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    d.check(&["DEBUG", "DIGEST"]);
    d.check(&["DEBUG", "DIGEST", "x"]);
    d.check(&["DEBUG", "DIGEST-VALUE"]);
    d.check(&["DEBUG", "DIGEST-VALUE", "nosuch"]);
    let many: Vec<String> = (0..300).map(|i| format!("{}", i * 7 - 100)).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let scored: Vec<String> = (0..300)
        .flat_map(|i| [format!("{}.{}", i, i % 7), format!("m{i}")])
        .collect();
    let scored: Vec<&str> = scored.iter().map(String::as_str).collect();
    let fields: Vec<String> = (0..300)
        .flat_map(|i| [format!("f{i}"), format!("{i}")])
        .collect();
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    let long = "x".repeat(100);
    let cmds: Vec<Vec<&str>> = vec![
        vec!["SET", "str", "hello"],
        vec!["SET", "int", "12345"],
        vec!["SET", "neg", "-9223372036854775808"],
        vec!["SET", "zero-padded", "007"],
        vec!["SET", "long", &long],
        vec!["SET", "ttl", "v", "EX", "1000"],
        vec!["RPUSH", "list", "a", "1", "b", "-2", ""],
        [&["RPUSH", "biglist"][..], &many].concat(),
        vec!["SADD", "intset", "3", "1", "2", "-7"],
        vec!["SADD", "set", "a", "b", "1"],
        [&["SADD", "bigset"][..], &many].concat(),
        vec![
            "ZADD", "zset", "1", "a", "0.1", "b", "-inf", "c", "1e300", "d", "2.5", "7",
        ],
        [&["ZADD", "bigzset"][..], &scored].concat(),
        vec!["HSET", "hash", "f", "v", "n", "1", "e", ""],
        [&["HSET", "bighash"][..], &fields].concat(),
        vec!["EXPIRE", "hash", "1000"],
        vec!["SELECT", "3"],
        vec!["SET", "str", "hello"],
        vec!["SET", "gone", "soon", "PX", "1"],
        vec!["SELECT", "0"],
    ];
    for c in &cmds {
        d.check(c);
    }
    // Stays stored (not read) after its TTL: still part of the digest.
    std::thread::sleep(std::time::Duration::from_millis(20));
    d.check(&["DEBUG", "DIGEST"]);
    d.check(&[
        "DEBUG",
        "DIGEST-VALUE",
        "str",
        "int",
        "neg",
        "zero-padded",
        "long",
        "ttl",
        "list",
        "biglist",
        "intset",
        "set",
        "bigset",
        "zset",
        "bigzset",
        "hash",
        "bighash",
        "nosuch",
    ]);
    d.check(&["OBJECT", "ENCODING", "bigzset"]);
    d.check(&["SELECT", "3"]);
    d.check(&["DEBUG", "DIGEST-VALUE", "str", "gone"]);
    // A change anywhere changes the digest; undoing it restores it.
    let before = d.check(&["DEBUG", "DIGEST"]);
    d.check(&["SELECT", "0"]);
    d.check(&["LPUSH", "biglist", "x"]);
    let changed = d.check(&["DEBUG", "DIGEST"]);
    assert_ne!(before, changed);
    d.check(&["LPOP", "biglist"]);
    assert_eq!(d.check(&["DEBUG", "DIGEST"]), before);
    d.check(&["FLUSHALL"]);
    d.check(&["DEBUG", "DIGEST"]);
}

#[test]
fn debug_subcommands_when_enabled() {
    let mut d = debug_diff();
    d.check(&["DEBUG", "HELP"]);
    d.check(&["DEBUG", "help"]);
    d.check(&["DEBUG"]);
    d.check(&["DEBUG", "foo"]);
    d.check(&["debug", "nosuch", "x"]);
    d.check(&["DEBUG", "SLEEP"]);
    d.check(&["DEBUG", "SLEEP", "0"]);
    d.check(&["DEBUG", "SLEEP", "abc"]);
    d.check(&["DEBUG", "SLEEP", "-1"]);
    d.check(&["DEBUG", "SLEEP", "0.01"]);
    d.check(&["DEBUG", "SET-ACTIVE-EXPIRE"]);
    d.check(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    d.check(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    d.check(&["DEBUG", "OBJECT"]);
    d.check(&["DEBUG", "OBJECT", "nokey"]);
    d.check(&["DEBUG", "OBJECT", "a", "b"]);
    d.check(&["DEBUG", "JMAP"]);
    d.check(&["DEBUG", "CHANGE-REPL-ID"]);
    d.check(&["DEBUG", "CHANGE-REPL-ID", "x"]);
    debug_error_and_protocol(&mut d);
    for size in [
        "1b",
        "0",
        "",
        "1kb",
        "3gb",
        "1GB",
        "4293918720",
        "4293918721",
        "4gb",
        "abc",
        "-1",
        "1.5",
    ] {
        d.check(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", size]);
    }
    d.check(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD"]);
    d.check(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1", "2"]);
    // Lists keep their elements whatever the threshold.
    d.check(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1b"]);
    d.check(&["RPUSH", "plain", "a", &"x".repeat(10_000), "bc"]);
    d.check(&["LRANGE", "plain", "0", "-1"]);
    d.check(&["LINSERT", "plain", "BEFORE", "bc", "y"]);
    d.check(&["LPOS", "plain", "y"]);
    d.check(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"]);
    d.check(&["DEBUG", "LOG", "a line for the log"]);
    d.check(&["DEBUG", "LOG"]);
    d.check(&["HSET", "lp", "f", "v"]);
    for args in [
        &["LISTPACK", "lp"][..],
        &["LISTPACK", "plain"],
        &["LISTPACK", "nokey"],
        &["QUICKLIST", "plain"],
        &["QUICKLIST", "plain", "1"],
        &["QUICKLIST", "lp"],
        &["QUICKLIST", "nokey"],
        &["QUICKLIST", "plain", "1", "2"],
    ] {
        let mut cmd = vec!["DEBUG"];
        cmd.extend_from_slice(args);
        d.check(&cmd);
    }
    for args in [
        &["-1"][..],
        &["abc"],
        &["0"],
        &["1", "x", "-1"],
        &["1", "x", "abc"],
        &["1", "x", "1", "extra"],
        &["3"],
        &["2", "p", "5"],
        &["2", "p", "2"],
        &["2", "q", "10"],
        &["5", "key"],
    ] {
        let mut cmd = vec!["DEBUG", "POPULATE"];
        cmd.extend_from_slice(args);
        d.check(&cmd);
    }
    d.check(&["DBSIZE"]);
    d.check_unordered(&["KEYS", "*"]);
    for k in ["key:0", "key:2", "key:4", "p:0", "p:1", "q:1"] {
        d.check(&["GET", k]);
        d.check(&["OBJECT", "ENCODING", k]);
    }
    d.check(&["INFO", "keyspace"]);
    d.check(&["SET", "n", "123"]);
    d.check(&["SET", "s", "bar"]);
    // serializedlength is the RDB size of every type (LZF included).
    d.check(&["SET", "long", &"a".repeat(100)]);
    d.check(&["RPUSH", "l", "a", "b", "c"]);
    let many: Vec<String> = (0..300).map(|i| i.to_string()).collect();
    let mut rpush = vec!["RPUSH", "biglist"];
    rpush.extend(many.iter().map(String::as_str));
    d.check(&rpush);
    d.check(&["HSET", "h", "f", "v"]);
    d.check(&["SADD", "ints", "1", "2", "3"]);
    d.check(&["SADD", "strs", "a", "b", "c"]);
    d.check(&["ZADD", "z", "1", "a", "2.5", "b"]);
    d.check(&["PFADD", "hll", "a", "b"]);
    for k in [
        "n", "s", "key:1", "long", "l", "biglist", "h", "ints", "strs", "z", "hll",
    ] {
        let (r, e) = d.both(&["DEBUG", "OBJECT", k]);
        let shape = |x: &Resp| {
            let t = match x {
                Resp::Simple(b) => String::from_utf8_lossy(b).into_owned(),
                other => panic!("status expected, got {other:?}"),
            };
            // Same fields, same values except the address and the clock.
            t.split(' ')
                .map(|f| match f.split_once(':') {
                    Some((k @ ("at" | "lru" | "lru_seconds_idle"), _)) => k.to_string(),
                    _ => f.to_string(),
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(shape(&r), shape(&e));
    }
}

/// DEBUG ERROR (an error written raw: not an error reply to INFO) and DEBUG
/// PROTOCOL's sample of every type, in RESP2 and RESP3 and inside EXEC
/// (where attributes and pushes sit beside their element).
fn debug_error_and_protocol(d: &mut Diff) {
    d.check(&["CONFIG", "RESETSTAT"]);
    for text in [
        "LOADING fake message",
        "ab\r\ncd\nef",
        "",
        "-ERR x",
        "WRONGPASS",
    ] {
        d.check(&["DEBUG", "ERROR", text]);
    }
    d.check(&["DEBUG", "ERROR"]);
    d.check(&["DEBUG", "ERROR", "a", "b"]);
    d.check(&["INFO", "errorstats"]);
    d.check_normalized(&["INFO", "commandstats"], |r| {
        let text = r.text();
        let debug = text.lines().find(|l| l.starts_with("cmdstat_debug:"));
        Resp::Bulk(
            debug
                .unwrap_or("")
                .split(',')
                .next_back()
                .unwrap_or("")
                .into(),
        )
    });
    let kinds = [
        "string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push",
        "verbatim", "true", "false", "TRUE", "nosuch",
    ];
    for proto in ["2", "3"] {
        d.check_shape(&["HELLO", proto]);
        d.check(&["DEBUG", "PROTOCOL"]);
        for kind in kinds {
            let cmd = ["DEBUG", "PROTOCOL", kind];
            if proto == "3" && kind == "push" {
                // The push and then the reply: two frames.
                d.check_raw_replies(&support::encode_command(&cmd), 2);
            } else {
                d.check(&cmd);
            }
        }
        d.check(&["MULTI"]);
        for kind in kinds {
            d.check(&["DEBUG", "PROTOCOL", kind]);
        }
        // In RESP3 the push is one frame more than EXEC's count announces
        // (clients take pushes out of band): it is read as an element, and
        // the last element as a reply of its own.
        let frames = if proto == "3" { 2 } else { 1 };
        d.check_raw_replies(&support::encode_command(&["EXEC"]), frames);
    }
    d.check_shape(&["HELLO", "2"]);
}

/// MEMORY: help, errors and option parsing match exactly; USAGE, STATS,
/// DOCTOR and MALLOC-STATS answer with Redis's reply types, and STATS lists
/// the same fields in the same order (the figures themselves differ).
#[test]
fn memory_command_matches_redis() {
    let mut d = diff();
    for cmd in [
        &["SET", "k", "v"][..],
        &["HSET", "h", "f", "v"],
        &["ZADD", "z", "1", "m"],
        &["SELECT", "3"],
        &["SET", "k3", "v"],
        &["SELECT", "0"],
        &["MEMORY", "HELP"],
        &["MEMORY"],
        &["MEMORY", "FOO"],
        &["MEMORY", "USAGE"],
        &["MEMORY", "STATS", "x"],
        &["MEMORY", "DOCTOR", "x"],
        &["MEMORY", "PURGE", "x"],
        &["MEMORY", "USAGE", "nokey"],
        &["MEMORY", "USAGE", "k", "SAMPLES"],
        &["MEMORY", "USAGE", "k", "SAMPLES", "-1"],
        &["MEMORY", "USAGE", "k", "SAMPLES", "x"],
        &["MEMORY", "USAGE", "k", "BAR"],
        &["MEMORY", "USAGE", "nokey", "BAR"],
        &["MEMORY", "PURGE"],
    ] {
        d.check(cmd);
    }
    for cmd in [
        &["MEMORY", "USAGE", "k"][..],
        &["MEMORY", "USAGE", "h", "SAMPLES", "0"],
        &["MEMORY", "USAGE", "z", "samples", "3"],
        &["MEMORY", "DOCTOR"],
        &["MEMORY", "MALLOC-STATS"],
    ] {
        d.check_shape(cmd);
    }
    let names = |r: &Resp| -> Vec<String> { r.items().iter().step_by(2).map(text).collect() };
    let (r, e) = d.both(&["MEMORY", "STATS"]);
    assert_eq!(names(&r), names(&e));
    assert!(names(&e).contains(&"db.3".to_string()));
    d.hello3();
    d.check_shape(&["MEMORY", "STATS"]);
    d.check_shape(&["MEMORY", "USAGE", "k"]);
}

/// DEBUG HTSTATS's text with what depends on the hash function (how entries
/// spread over buckets) blanked: the headers, table sizes and element counts
/// stay, and the distribution lines keep only their shape.
fn htstats_layout(r: &Resp) -> Vec<String> {
    let text = match r {
        Resp::Bulk(b) | Resp::Verbatim(_, b) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("text expected, got {other:?}"),
    };
    assert!(text.ends_with('\n'), "{text:?}");
    text.lines()
        .map(|l| {
            let spread = [" different slots", " max chain length", " avg chain length"];
            if let Some(p) = spread.iter().find(|p| l.starts_with(*p)) {
                return p.to_string();
            }
            if let Some(rest) = l.strip_prefix("   ") {
                let (len, count) = rest.split_once(": ").expect("distribution line");
                assert!(len.parse::<u32>().is_ok(), "{l}");
                let (n, pct) = count.split_once(" (").expect("count (pct)");
                assert!(n.parse::<u64>().is_ok(), "{l}");
                let pct = pct.strip_suffix("%)").expect("pct");
                assert_eq!(pct.split_once('.').map(|(_, d)| d.len()), Some(2), "{l}");
                return "   N: N (P%)".to_string();
            }
            l.to_string()
        })
        .fold(Vec::new(), |mut out: Vec<String>, l| {
            // How many chain lengths occur depends on the spread too.
            if !(l.starts_with("   N") && out.last() == Some(&l)) {
                out.push(l);
            }
            out
        })
}

/// The element counts of every table in an HTSTATS text, summed.
fn htstats_elements(layout: &[String], section: &str) -> u64 {
    let mut in_section = section.is_empty();
    let mut total = 0;
    for l in layout {
        if l.starts_with('[') {
            in_section = l == section;
        } else if let (true, Some(n)) = (in_section, l.strip_prefix(" number of elements: ")) {
            total += n.parse::<u64>().unwrap();
        }
    }
    total
}

/// DEBUG HTSTATS / HTSTATS-KEY: errors exactly as Redis; the stats text in
/// Redis's layout with the same table sizes and counts, a resize shown as a
/// rehash in progress ("rehashing target") on both servers and finished by
/// the cron on both.
#[test]
fn debug_htstats_matches_redis() {
    let mut d = debug_diff();
    for cmd in [
        &["DEBUG", "HTSTATS"][..],
        &["DEBUG", "HTSTATS", "abc"],
        &["DEBUG", "HTSTATS", "-1"],
        &["DEBUG", "HTSTATS", "16"],
        &["DEBUG", "HTSTATS", "0", "full"],
        &["DEBUG", "HTSTATS", "0"],
        &["DEBUG", "htstats", "15"],
        &["DEBUG", "HTSTATS-KEY"],
        &["DEBUG", "HTSTATS-KEY", "nokey"],
        &["DEBUG", "HTSTATS-KEY", "nokey", "x"],
    ] {
        d.check(cmd);
    }
    d.check(&["SET", "s", "v"]);
    d.check(&["HSET", "small", "f", "v"]);
    d.check(&["DEBUG", "HTSTATS-KEY", "s"]);
    d.check(&["DEBUG", "HTSTATS-KEY", "small"]);
    d.check(&["FLUSHALL"]);
    // A database sized by DEBUG POPULATE, then one key more: both servers
    // start a rehash to twice the size and show it in progress.
    d.check(&["DEBUG", "POPULATE", "128"]);
    let (r, e) = d.both(&["DEBUG", "HTSTATS", "0"]);
    assert_eq!(htstats_layout(&r), htstats_layout(&e));
    assert!(htstats_layout(&e).contains(&" table size: 128".to_string()));
    d.check(&["SET", "one-more", "v"]);
    let (r, e) = d.both(&["DEBUG", "HTSTATS", "0"]);
    for layout in [htstats_layout(&r), htstats_layout(&e)] {
        let pos = |line: &str| layout.iter().position(|l| l == line);
        let target = pos("Hash table 1 stats (rehashing target):").expect("rehashing");
        assert_eq!(layout[target + 1], " table size: 256", "{layout:?}");
        assert_eq!(layout[1], "Hash table 0 stats (main hash table):");
        assert_eq!(layout[2], " table size: 128");
        assert_eq!(htstats_elements(&layout, "[Dictionary HT]"), 129);
        assert_eq!(
            layout.last().unwrap(),
            "No stats available for empty dictionaries"
        );
    }
    // The cron finishes the rehash (hz 10: within a few hundred ms).
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (r, e) = d.both(&["DEBUG", "HTSTATS", "0"]);
        let (r, e) = (htstats_layout(&r), htstats_layout(&e));
        if r == e && !e.iter().any(|l| l.contains("rehashing target")) {
            assert!(e.contains(&" table size: 256".to_string()), "{e:?}");
            assert_eq!(htstats_elements(&e, "[Dictionary HT]"), 129);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still rehashing:\n{r:?}\n{e:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Volatile keys: the expires part counts them in a table of the same size.
    for i in 0..5 {
        d.check(&["SET", &format!("t{i}"), "v", "EX", "100"]);
    }
    let (r, e) = d.both(&["DEBUG", "HTSTATS", "0"]);
    let (r, e) = (htstats_layout(&r), htstats_layout(&e));
    // (Redis may be rehashing its expires dict; Ember's index grows at once
    // to the size Redis's rehash ends at.)
    let expires_size = |l: &[String]| {
        let at = l.iter().position(|x| x == "[Expires HT]").unwrap();
        l[at..]
            .iter()
            .filter_map(|x| x.strip_prefix(" table size: "))
            .map(|n| n.parse::<u64>().unwrap())
            .max()
    };
    assert_eq!(expires_size(&r), expires_size(&e), "{r:?}\n{e:?}");
    assert_eq!(expires_size(&e), Some(8));
    assert_eq!(htstats_elements(&r, "[Expires HT]"), 5);
    assert_eq!(htstats_elements(&e, "[Expires HT]"), 5);
    // A value in a hash table (past the listpack limits): its own stats,
    // in tables of the same size once a rehash is over (how far one has got
    // differs: Redis also moves buckets on reads).
    let largest_table = |l: &[String]| {
        l.iter()
            .filter_map(|x| x.strip_prefix(" table size: "))
            .map(|n| n.parse::<u64>().unwrap())
            .max()
    };
    for (key, add, n) in [("h", "HSET", 600), ("st", "SADD", 200), ("z", "ZADD", 200)] {
        for i in 0..n {
            let member = format!("member:{i}");
            let cmd: Vec<&str> = match add {
                "HSET" => vec![add, key, &member, "v"],
                "SADD" => vec![add, key, &member],
                _ => vec![add, key, "1", &member],
            };
            d.check(&cmd);
        }
        let (r, e) = d.both(&["DEBUG", "HTSTATS-KEY", key]);
        let (r, e) = (htstats_layout(&r), htstats_layout(&e));
        assert_eq!(r[0], "Hash table 0 stats (main hash table):");
        assert_eq!(e[0], r[0]);
        assert_eq!(largest_table(&r), largest_table(&e), "{key}\n{r:?}\n{e:?}");
        assert_eq!(htstats_elements(&r, ""), n);
        assert_eq!(htstats_elements(&e, ""), n);
    }
    // RESP3: a verbatim string on both.
    d.hello3();
    let (r, e) = d.both(&["DEBUG", "HTSTATS", "1"]);
    assert!(matches!(r, Resp::Verbatim(ref f, _) if f == "txt"), "{r:?}");
    assert_eq!(r, e);
    d.check(&["DEBUG", "HTSTATS-KEY", "h", "x"]);
}

/// SLOWLOG entries with what depends on the moment and the connection
/// (timestamp, duration, client port) blanked: id, arguments and client
/// name stay.
fn slowlog_entries(r: &Resp) -> Vec<(i64, Vec<String>, String)> {
    r.items()
        .iter()
        .map(|e| {
            let f = e.items();
            assert_eq!(f.len(), 6, "{e:?}");
            assert!(f[1].int() > 1_600_000_000 && f[2].int() >= 0, "{e:?}");
            assert!(f[4].text().starts_with("127.0.0.1:"), "{e:?}");
            let argv = f[3].items().iter().map(Resp::text).collect();
            (f[0].int(), argv, f[5].text())
        })
        .collect()
}

/// SLOWLOG: errors and help exactly as Redis; with every command logged, the
/// same entries on both servers (ids, arguments cut and redacted as Redis
/// does, client names), EXEC left out, a blocked BLPOP logged when served.
#[test]
fn slowlog_matches_redis() {
    let mut d = diff();
    for cmd in [
        &["SLOWLOG"][..],
        &["SLOWLOG", "foo"],
        &["SLOWLOG", "HELP"],
        &["SLOWLOG", "help", "x"],
        &["SLOWLOG", "GET", "-2"],
        &["SLOWLOG", "GET", "abc"],
        &["SLOWLOG", "GET", "1", "2"],
        &["SLOWLOG", "LEN", "x"],
        &["SLOWLOG", "RESET", "x"],
        &["SLOWLOG", "LEN"],
        &["SLOWLOG", "GET"],
    ] {
        d.check(cmd);
    }
    d.check_unordered_pairs(&["CONFIG", "GET", "slowlog-*"]);
    d.check(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    d.check(&["CLIENT", "SETNAME", "tester"]);
    let mut many = vec!["SADD".to_string(), "s".to_string()];
    many.extend((3..=40).map(|i| i.to_string()));
    d.check(&many);
    d.check(&["SADD", "s", "foo", &"A".repeat(129)]);
    d.check(&[
        "CONFIG",
        "SET",
        "masterauth",
        "secret",
        "maxmemory-samples",
        "5",
    ]);
    d.check(&["ACL", "SETUSER", "someone", "on", ">pw", "+get"]);
    d.check(&["AUTH", "nobody", "wrong"]);
    d.check(&["HELLO", "2", "AUTH", "nobody", "wrong"]);
    d.check(&["MULTI"]);
    d.check(&["SET", "in-multi", "1"]);
    d.check(&["EXEC"]);
    d.check_unordered(&["SPOP", "s", "100"]);
    // A blocked BLPOP is logged when it is served, with its own arguments.
    let mut blocked = d.connect();
    blocked.check(&["CLIENT", "SETNAME", "waiter"]);
    for c in [&mut blocked.ember, &mut blocked.redis] {
        c.write_raw(&support::encode_command(&["BLPOP", "l", "0"]));
    }
    std::thread::sleep(Duration::from_millis(200));
    d.check(&["LPUSH", "l", "x"]);
    let (r, e) = (
        blocked.redis.read_reply().unwrap().1,
        blocked.ember.read_reply().unwrap().1,
    );
    assert_eq!(r, e);
    d.check(&["SLOWLOG", "LEN"]);
    let (r, e) = d.both(&["SLOWLOG", "GET", "-1"]);
    let (r, e) = (slowlog_entries(&r), slowlog_entries(&e));
    assert_eq!(r, e);
    assert!(e
        .iter()
        .any(|(_, argv, name)| argv == &["BLPOP", "l", "0"] && name == "waiter"));
    assert!(!e.iter().any(|(_, argv, _)| argv[0] == "EXEC"));
    d.check(&["SLOWLOG", "RESET"]);
    d.check(&["SLOWLOG", "LEN"]);
    d.check(&["CONFIG", "SET", "slowlog-max-len", "2"]);
    for i in 0..5 {
        d.check(&["SET", &format!("k{i}"), "v"]);
    }
    let (r, e) = d.both(&["SLOWLOG", "GET"]);
    assert_eq!(slowlog_entries(&r), slowlog_entries(&e));
    d.check(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
    d.check(&["SLOWLOG", "RESET"]);
    d.check(&["SET", "a", "b"]);
    d.check(&["SLOWLOG", "LEN"]);
}

/// DEBUG PAUSE-CRON holds the periodic work: keys past their TTL stay until
/// it resumes and the active expiry cycle reclaims them.
#[test]
fn debug_pause_cron_holds_active_expiry() {
    let mut d = debug_diff();
    d.check(&["DEBUG", "PAUSE-CRON", "1"]);
    for i in 0..20 {
        d.check(&["SET", &format!("k{i}"), "v", "PX", "50"]);
    }
    std::thread::sleep(std::time::Duration::from_millis(400));
    d.check(&["DBSIZE"]);
    d.check(&["DEBUG", "PAUSE-CRON", "0"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (r, e) = d.both(&["DBSIZE"]);
        if (r.int(), e.int()) == (0, 0) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "redis {r:?}, ember {e:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE takes a payload with a wrong
/// CRC-64 while it is on (the version is still checked).
#[test]
fn debug_skip_checksum_validation() {
    let mut d = debug_diff();
    d.check(&["SET", "src", "some value"]);
    let dump = d.check(&["DUMP", "src"]);
    let mut bad = dump.bytes().expect("a payload").to_vec();
    let last = bad.len() - 1;
    bad[last] ^= 0xff;
    let restore = |key: &str| -> Vec<Vec<u8>> {
        vec![b"RESTORE".to_vec(), key.into(), b"0".to_vec(), bad.clone()]
    };
    d.check(&restore("a"));
    d.check(&["DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1"]);
    d.check(&restore("b"));
    d.check(&["GET", "b"]);
    // A version from the future is refused all the same.
    let mut future = bad.clone();
    let version_at = future.len() - 10;
    future[version_at] = 0xff;
    d.check(&[b"RESTORE".to_vec(), b"c".to_vec(), b"0".to_vec(), future]);
    d.check(&["DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0"]);
    d.check(&restore("d"));
    d.check(&["DEBUG", "SET-SKIP-CHECKSUM-VALIDATION"]);
}

/// A SHUTDOWN whose final save fails is refused with Redis's error and the
/// server keeps its data and keeps serving; FORCE goes past the failure.
#[test]
fn shutdown_refused_when_the_final_save_fails() {
    let dir = std::env::temp_dir().join(format!("ember-shutdown-save-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = ember::Config {
        save: vec![(900, 1)],
        dir: dir.to_string_lossy().into_owned(),
        ..Default::default()
    };
    let mut d = Diff::with_config(&["--save", "900 1"], config);
    // A directory where each server's dump.rdb would go: the save fails.
    let (r, _) = d.both(&["CONFIG", "GET", "dir"]);
    let redis_dir = std::path::PathBuf::from(r.items()[1].text());
    for server_dir in [&redis_dir, &dir] {
        std::fs::create_dir_all(server_dir.join("dump.rdb")).unwrap();
    }
    d.check(&["SET", "x", "1"]);
    d.check(&["SHUTDOWN"]);
    d.check(&["SHUTDOWN", "SAVE"]);
    d.check(&["GET", "x"]);
    // FORCE: the failure is logged and the server stops anyway.
    let pair: &mut support::Pair = &mut d;
    for conn in [&mut pair.redis, &mut pair.ember] {
        conn.write_raw(&support::encode_command(&["SHUTDOWN", "FORCE"]));
        let (bytes, closed) = conn.read_until_close(std::time::Duration::from_secs(5));
        assert!(bytes.is_empty() && closed, "{}: {bytes:?}", conn.name);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// CONFIG SET port moves the listener (the old port closes, open
/// connections stay) and bind replaces the addresses; a port in use or an
/// address that can't be bound fails with Redis's errors and changes nothing.
#[test]
fn config_set_port_and_bind_rebind() {
    let mut d = diff();
    let (redis_port, ember_port) = (d.redis_port(), d.ember_port());
    let pair: &mut support::Pair = &mut d;
    // Each tries the other's port, which is in use.
    let r = pair
        .redis
        .cmd(&["CONFIG", "SET", "port", &ember_port.to_string()]);
    let e = pair
        .ember
        .cmd(&["CONFIG", "SET", "port", &redis_port.to_string()]);
    assert_eq!(r, e);
    assert!(r.text().contains("Unable to listen on this port"), "{r:?}");
    // An address no interface has.
    d.check(&["CONFIG", "SET", "bind", "192.0.2.1"]);
    let pair: &mut support::Pair = &mut d;
    for (conn, old) in [(&mut pair.redis, redis_port), (&mut pair.ember, ember_port)] {
        assert!(support::tcp_try(old), "{} stopped listening", conn.name);
        let new = support::free_port();
        let ok = conn.cmd(&["CONFIG", "SET", "port", &new.to_string()]);
        assert_eq!(ok.text(), "OK", "{}", conn.name);
        assert!(
            support::tcp_try(new),
            "{} is not on its new port",
            conn.name
        );
        assert!(
            !support::tcp_try(old),
            "{} still listens on its old port",
            conn.name
        );
        // This connection, made before the change, still works.
        assert_eq!(conn.cmd(&["PING"]).text(), "PONG");
    }
}
