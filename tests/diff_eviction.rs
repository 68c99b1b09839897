//! Differential tests of maxmemory behaviour that is deterministic: with
//! `maxmemory 1` both servers are always over the limit (Ember in this test
//! binary measures RSS, redis-server its allocator; both are far above one
//! byte), so each policy evicts every candidate and then refuses denyoom
//! commands with the same `-OOM` error. Eviction order is deterministic too
//! when every key is sampled (`maxmemory-samples` above the key count) and
//! the scores differ: volatile-ttl and allkeys-lfu are compared through the
//! `evicted` keyspace events. Memory-level behaviour (staying near a real
//! limit, which keys survive) is in tests/eviction.rs.

mod support;

use support::{Diff, Pair, Resp};

/// `field:value` of an INFO section (from redis-server's reply).
fn info_field(p: &mut Pair, section: &str, field: &str) -> (String, String) {
    let get = |r: Resp| -> String {
        let text = r.text();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
            .unwrap_or_default()
    };
    let (e, r) = p.both(&["INFO", section]);
    (get(e), get(r))
}

/// `rejected_calls=N,failed_calls=N` of one command in INFO commandstats.
fn rejected(p: &mut Pair, cmd: &str) -> (String, String) {
    let (e, r) = info_field(p, "commandstats", &format!("cmdstat_{cmd}"));
    let tail = |s: String| {
        s.find("rejected_calls")
            .map(|i| s[i..].to_string())
            .unwrap_or(s)
    };
    (tail(e), tail(r))
}

#[test]
fn noeviction_refuses_denyoom_commands() {
    let mut d = Diff::new();
    d.check(&["SET", "k", "v"]);
    d.check(&["RPUSH", "l", "a", "b", "c"]);
    d.check(&["HSET", "h", "f", "v"]);
    d.check(&["CONFIG", "GET", "maxmemory-policy"]);
    d.check(&["CONFIG", "SET", "maxmemory", "1"]);
    // Commands that may grow memory are refused...
    for cmd in [
        &["SET", "k2", "v"][..],
        &["SET", "k", "v2"],
        &["APPEND", "k", "x"],
        &["INCR", "n"],
        &["RPUSH", "l", "d"],
        &["LINSERT", "l", "BEFORE", "a", "z"],
        &["HSET", "h", "f2", "v"],
        &["SADD", "s", "m"],
        &["ZADD", "z", "1", "m"],
        &["SETBIT", "b", "100", "1"],
        &["COPY", "k", "k3"],
        &["MSET", "a", "1"],
        &["SETRANGE", "k", "5", "x"],
    ] {
        d.check(cmd);
    }
    // ...the rest still runs: reads, deletions, pops, TTL changes, admin.
    for cmd in [
        &["GET", "k"][..],
        &["LRANGE", "l", "0", "-1"],
        &["LPOP", "l"],
        &["EXPIRE", "h", "100"],
        &["PERSIST", "h"],
        &["HDEL", "h", "f"],
        &["DEL", "k"],
        &["DBSIZE"],
        &["PING"],
        &["ECHO", "x"],
        &["CONFIG", "GET", "maxmemory"],
    ] {
        d.check(cmd);
    }
    assert_eq!(rejected(&mut d, "set").0, rejected(&mut d, "set").1);
    // Nothing was evicted, and the errors were counted alike.
    let (e, r) = info_field(&mut d, "stats", "evicted_keys");
    assert_eq!((e.as_str(), r.as_str()), ("0", "0"));
    d.check(&["INFO", "errorstats"]);
    d.check(&["CONFIG", "SET", "maxmemory", "0"]);
    d.check(&["SET", "k2", "v"]);
}

#[test]
fn transactions_under_oom() {
    let d = Diff::new();
    let mut a = d.connect();
    let mut admin = d.connect();
    a.check(&["MULTI"]);
    a.check(&["SET", "x", "1"]);
    admin.check(&["CONFIG", "SET", "maxmemory", "1"]);
    // EXEC of a transaction holding a denyoom command is itself refused.
    a.check(&["EXEC"]);
    a.check(&["EXISTS", "x"]);
    // While out of memory, queueing anything is refused (and dooms EXEC).
    a.check(&["MULTI"]);
    a.check(&["GET", "x"]);
    a.check(&["PING"]);
    a.check(&["EXEC"]);
    a.check(&["MULTI"]);
    a.check(&["INCR", "x"]);
    a.check(&["DISCARD"]);
    // A transaction with only reads queued before the limit still runs.
    admin.check(&["CONFIG", "SET", "maxmemory", "0"]);
    a.check(&["MULTI"]);
    a.check(&["GET", "x"]);
    a.check(&["DBSIZE"]);
    admin.check(&["CONFIG", "SET", "maxmemory", "1"]);
    a.check(&["EXEC"]);
    assert_eq!(rejected(&mut a, "exec").0, rejected(&mut a, "exec").1);
    admin.check(&["CONFIG", "SET", "maxmemory", "0"]);
}

/// Fills both servers, switches the policy and a 1-byte limit, and compares
/// what survives: every key under allkeys-*, only persistent keys under volatile-*.
fn fill_and_limit(policy: &str) {
    let mut d = Diff::new();
    for i in 0..12 {
        d.check(&["SET", &format!("p{i}"), "v"]);
        d.check(&["SET", &format!("t{i}"), "v", "EX", &format!("{}", 1000 + i)]);
    }
    d.check(&["SELECT", "2"]);
    d.check(&["RPUSH", "list", "a"]);
    d.check(&["HSET", "hash", "f", "v"]);
    d.check(&["EXPIRE", "hash", "500"]);
    d.check(&["SELECT", "0"]);
    // No time limit per eviction call, so one command evicts all it must.
    d.check(&["CONFIG", "SET", "maxmemory-eviction-tenacity", "100"]);
    d.check(&["CONFIG", "SET", "maxmemory-policy", policy]);
    d.check(&["CONFIG", "SET", "maxmemory", "1"]);
    d.check(&["DBSIZE"]);
    d.check_unordered(&["KEYS", "*"]);
    d.check(&["SET", "new", "v"]);
    d.check(&["GET", "p3"]);
    d.check(&["SELECT", "2"]);
    d.check_unordered(&["KEYS", "*"]);
    let (e, r) = info_field(&mut d, "stats", "evicted_keys");
    assert_eq!(e, r, "evicted_keys under {policy}");
    assert_eq!(
        r,
        if policy.starts_with("allkeys") {
            "26"
        } else {
            "13"
        }
    );
    d.check(&["INFO", "errorstats"]);
}

#[test]
fn allkeys_policies_evict_every_key() {
    for policy in ["allkeys-lru", "allkeys-lfu", "allkeys-random"] {
        fill_and_limit(policy);
    }
}

#[test]
fn volatile_policies_keep_persistent_keys() {
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        fill_and_limit(policy);
    }
}

/// Runs `setup`, limits memory under `policy` with every key sampled, and
/// compares the `evicted` event streams (the eviction order).
fn eviction_order(policy: &str, setup: &[&[&str]]) {
    let mut d = Diff::new();
    let mut sub = d.connect();
    d.check(&["CONFIG", "SET", "notify-keyspace-events", "Ee"]);
    d.check(&["CONFIG", "SET", "maxmemory-samples", "20"]);
    d.check(&["CONFIG", "SET", "maxmemory-eviction-tenacity", "100"]);
    d.check(&["CONFIG", "SET", "maxmemory-policy", policy]);
    sub.check(&["SUBSCRIBE", "__keyevent@0__:evicted"]);
    for cmd in setup {
        d.check(cmd);
    }
    d.check(&["CONFIG", "SET", "maxmemory", "1"]);
    d.check(&["DBSIZE"]);
    d.check(&["CONFIG", "SET", "maxmemory", "0"]);
    d.check(&["PUBLISH", "__keyevent@0__:evicted", "sentinel"]);
    let read = |c: &mut support::RawConn| {
        let mut raw = Vec::new();
        loop {
            let (b, _) = c.read_reply().expect("evicted event");
            let done = b.windows(8).any(|w| w == b"sentinel");
            raw.extend(b);
            if done {
                return raw;
            }
        }
    };
    let (r, e) = (read(&mut sub.redis), read(&mut sub.ember));
    assert_eq!(
        support::escape(&e),
        support::escape(&r),
        "eviction order under {policy}"
    );
}

#[test]
fn volatile_ttl_evicts_soonest_expiry_first() {
    eviction_order(
        "volatile-ttl",
        &[
            &["SET", "c", "v", "EX", "300"],
            &["SET", "a", "v", "EX", "100"],
            &["SET", "persistent", "v"],
            &["SET", "e", "v", "EX", "500"],
            &["SET", "b", "v", "PX", "200000"],
            &["SET", "d", "v", "EX", "400"],
        ],
    );
}

#[test]
fn lfu_evicts_least_frequently_used_first() {
    let mut setup: Vec<&[&str]> = vec![
        &["SET", "hot", "v"],
        &["SET", "cold", "v"],
        &["SET", "warm", "v"],
        &["GET", "warm"],
        &["OBJECT", "FREQ", "cold"],
        &["OBJECT", "FREQ", "warm"],
    ];
    // The first access from the initial counter always counts, later ones
    // rarely: after 300 reads "hot" is all but certainly above "warm".
    for _ in 0..300 {
        setup.push(&["GET", "hot"]);
    }
    eviction_order("allkeys-lfu", &setup);
}

#[test]
fn policy_configuration() {
    let mut d = Diff::new();
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
        "allkeys-lru",
        "allkeys-lfu",
        "allkeys-random",
        "noeviction",
        "ALLKEYS-LRU",
    ] {
        d.check(&["CONFIG", "SET", "maxmemory-policy", policy]);
        d.check(&["CONFIG", "GET", "maxmemory-policy"]);
    }
    for (param, value) in [
        ("maxmemory-policy", "lru"),
        ("maxmemory-policy", ""),
        ("maxmemory-samples", "0"),
        ("maxmemory-samples", "64"),
        ("maxmemory-samples", "x"),
        ("maxmemory-eviction-tenacity", "101"),
        ("maxmemory-eviction-tenacity", "100"),
        ("lfu-log-factor", "-1"),
        ("lfu-log-factor", "100"),
        ("lfu-decay-time", "0"),
        ("maxmemory", "1gb"),
        ("maxmemory", "-1"),
        ("maxmemory", "100kb"),
        ("maxmemory", "0"),
        ("lazyfree-lazy-eviction", "yes"),
        ("lazyfree-lazy-eviction", "maybe"),
    ] {
        d.check(&["CONFIG", "SET", param, value]);
        d.check(&["CONFIG", "GET", param]);
    }
    d.check_unordered_pairs(&["CONFIG", "GET", "maxmemory*"]);
    // OBJECT FREQ / IDLETIME follow the policy.
    d.check(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"]);
    d.check(&["SET", "k", "v"]);
    d.check(&["OBJECT", "FREQ", "k"]);
    d.check(&["GET", "k"]);
    d.check(&["OBJECT", "FREQ", "k"]);
    d.check(&["OBJECT", "IDLETIME", "k"]);
    d.check(&["CONFIG", "SET", "maxmemory-policy", "volatile-lru"]);
    d.check(&["OBJECT", "FREQ", "k"]);
    // The LFU stamp now reads as an LRU clock: a large, time-dependent idle
    // time. Redis's LRU clock is cached per cron tick (100 ms at hz 10) and
    // the two servers are asked a moment apart, so a second boundary may fall
    // between them; the two readings agree to within one second.
    let (r, e) = d.both(&["OBJECT", "IDLETIME", "k"]);
    assert!(
        r.int().abs_diff(e.int()) <= 1,
        "IDLETIME of an LFU stamp: redis {r:?}, ember {e:?}"
    );
    for field in ["maxmemory", "maxmemory_human", "maxmemory_policy"] {
        let (e, r) = info_field(&mut d, "memory", field);
        assert_eq!(e, r, "INFO {field}");
    }
}
