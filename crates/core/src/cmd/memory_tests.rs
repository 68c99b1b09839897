use super::*;
use crate::testkit::T;

fn err(r: Reply) -> String {
    match r {
        Reply::Error(e) => e.into_owned(),
        other => panic!("expected an error, got {other:?}"),
    }
}

/// MEMORY STATS as (name, reply) pairs.
fn stats_of(t: &mut T) -> Vec<(String, Reply)> {
    let Reply::Map(m) = t.run(&["MEMORY", "STATS"]) else {
        panic!("MEMORY STATS is a map");
    };
    m.into_iter()
        .map(|(k, v)| match k {
            Reply::Bulk(b) => (String::from_utf8_lossy(&b).into_owned(), v),
            other => panic!("field name {other:?}"),
        })
        .collect()
}

#[test]
fn usage_grows_with_the_value_and_samples_large_collections() {
    let mut t = T::new();
    assert_eq!(t.run(&["MEMORY", "USAGE", "missing"]), Reply::Nil);
    t.run(&["SET", "small", "x"]);
    t.run(&["SET", "big", &"x".repeat(10_000)]);
    let small = t.int(&["MEMORY", "USAGE", "small"]);
    let big = t.int(&["MEMORY", "USAGE", "big"]);
    assert!(small > 0 && small < 100, "{small}");
    assert!(big - small >= 10_000, "{small} {big}");
    // A long key counts its bytes too.
    let long_key = "k".repeat(200);
    t.run(&["SET", &long_key, "x"]);
    assert!(t.int(&["MEMORY", "USAGE", &long_key]) >= small + 200);

    // 2000 fields of ~100 bytes: far past any compact encoding, and the
    // default 5 samples estimate the same as sampling everything (uniform
    // elements).
    for i in 0..2000 {
        let f = format!("field:{i:06}");
        t.run(&["HSET", "h", &f, &"v".repeat(100)]);
        t.run(&["SADD", "s", &format!("{f}{}", "m".repeat(90))]);
        t.run(&[
            "ZADD",
            "z",
            &i.to_string(),
            &format!("{f}{}", "m".repeat(90)),
        ]);
        t.run(&["RPUSH", "l", &"e".repeat(100)]);
    }
    for key in ["h", "s", "z", "l"] {
        let default = t.int(&["MEMORY", "USAGE", key]);
        let all = t.int(&["MEMORY", "USAGE", key, "SAMPLES", "0"]);
        let one = t.int(&["MEMORY", "USAGE", key, "samples", "1"]);
        assert!(default > 200_000, "{key}: {default}");
        let close = |a: i64, b: i64| (a - b).abs() * 50 < b;
        assert!(
            close(default, all) && close(one, all),
            "{key}: {default} {one} {all}"
        );
    }
    // Small encodings are one block each: far less than the large ones.
    t.run(&["HSET", "smallhash", "a", "1", "b", "2"]);
    t.run(&["ZADD", "smallzset", "1", "a", "2", "b"]);
    t.run(&["SADD", "intset", "1", "2", "3"]);
    for key in ["smallhash", "smallzset", "intset"] {
        let n = t.int(&["MEMORY", "USAGE", key]);
        assert!(n > 0 && n < 120, "{key}: {n}");
    }
}

#[test]
fn usage_options_and_errors_follow_redis() {
    let mut t = T::new();
    t.run(&["SET", "k", "v"]);
    assert!(t.int(&["MEMORY", "USAGE", "k", "SAMPLES", "0"]) > 0);
    assert!(t.int(&["MEMORY", "USAGE", "k", "SAMPLES", "3", "SAMPLES", "9"]) > 0);
    for (args, want) in [
        (&["MEMORY", "USAGE", "k", "SAMPLES"][..], "ERR syntax error"),
        (
            &["MEMORY", "USAGE", "k", "SAMPLES", "-1"],
            "ERR syntax error",
        ),
        (
            &["MEMORY", "USAGE", "k", "SAMPLES", "x"],
            "ERR value is not an integer or out of range",
        ),
        (&["MEMORY", "USAGE", "k", "FOO"], "ERR syntax error"),
        // Options are checked before the lookup.
        (&["MEMORY", "USAGE", "missing", "FOO"], "ERR syntax error"),
        (
            &["MEMORY", "USAGE"],
            "ERR wrong number of arguments for 'memory|usage' command",
        ),
        (
            &["MEMORY", "STATS", "x"],
            "ERR wrong number of arguments for 'memory|stats' command",
        ),
        (
            &["MEMORY"],
            "ERR wrong number of arguments for 'memory' command",
        ),
        (
            &["MEMORY", "FOO"],
            "ERR unknown subcommand 'FOO'. Try MEMORY HELP.",
        ),
    ] {
        assert_eq!(err(t.run(args)), want, "{args:?}");
    }
    // Neither a hit nor a miss, as Redis's direct table lookup.
    let hits = |t: &mut T| {
        let Reply::Verbatim(_, info) = t.run(&["INFO", "stats"]) else {
            panic!("INFO is verbatim")
        };
        let info = String::from_utf8_lossy(&info).into_owned();
        ["keyspace_hits:", "keyspace_misses:"].map(|f| {
            info.lines()
                .find_map(|l| l.strip_prefix(f).map(str::to_string))
                .expect("field present")
        })
    };
    let before = hits(&mut t);
    t.run(&["MEMORY", "USAGE", "k"]);
    t.run(&["MEMORY", "USAGE", "nokey"]);
    assert_eq!(hits(&mut t), before);
}

#[test]
fn stats_lists_redis_fields_and_each_used_db() {
    let mut t = T::new();
    t.run(&["SET", "a", "1"]);
    t.run(&["SET", "b", "2", "EX", "100"]);
    t.run(&["SELECT", "3"]);
    t.run(&["SET", "c", "3"]);
    let stats = stats_of(&mut t);
    let names: Vec<&str> = stats.iter().map(|(n, _)| n.as_str()).collect();
    let want = [
        "peak.allocated",
        "total.allocated",
        "startup.allocated",
        "replication.backlog",
        "clients.slaves",
        "clients.normal",
        "cluster.links",
        "aof.buffer",
        "lua.caches",
        "functions.caches",
        "db.0",
        "db.3",
        "overhead.total",
        "keys.count",
        "keys.bytes-per-key",
        "dataset.bytes",
        "dataset.percentage",
        "peak.percentage",
        "allocator.allocated",
        "allocator.active",
        "allocator.resident",
        "allocator-fragmentation.ratio",
        "allocator-fragmentation.bytes",
        "allocator-rss.ratio",
        "allocator-rss.bytes",
        "rss-overhead.ratio",
        "rss-overhead.bytes",
        "fragmentation",
        "fragmentation.bytes",
    ];
    assert_eq!(names, want);
    let get = |name: &str| {
        stats
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(get("keys.count"), Some(Reply::Integer(3)));
    assert!(matches!(get("dataset.percentage"), Some(Reply::Double(_))));
    let Some(Reply::Map(db0)) = get("db.0") else {
        panic!("db.0 is a map")
    };
    let fields: Vec<(String, i64)> = db0
        .iter()
        .map(|(k, v)| match (k, v) {
            (Reply::Bulk(k), Reply::Integer(n)) => (String::from_utf8_lossy(k).into_owned(), *n),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(fields[0].0, "overhead.hashtable.main");
    assert!(fields[0].1 > 0);
    assert_eq!(fields[1].0, "overhead.hashtable.expires");
    assert!(fields[1].1 > 0, "db 0 has a volatile key");
    assert_eq!(
        fields[2],
        ("overhead.hashtable.slot-to-keys".to_string(), 0)
    );
    // INFO memory shows the same overhead and peak fields.
    let Reply::Verbatim(_, info) = t.run(&["INFO", "memory"]) else {
        panic!("INFO is verbatim")
    };
    let info = String::from_utf8_lossy(&info).into_owned();
    for f in [
        "used_memory_overhead:",
        "allocator_frag_ratio:",
        "rss_overhead_ratio:",
    ] {
        assert!(info.contains(f), "{f}");
    }
}

#[test]
fn doctor_reports_follow_redis() {
    let o = |used: u64, peak: u64, rss: u64, alloc: (u64, u64, u64)| Overview {
        peak,
        used,
        startup: 1 << 20,
        rss,
        alloc: AllocatorStats {
            allocated: alloc.0,
            active: alloc.1,
            resident: alloc.2,
        },
        dbs: Vec::new(),
        clients_normal: 0,
        clients_slaves: 0,
        num_clients: 1,
        num_replicas: 0,
        overhead: 1 << 20,
        keys: 1,
        dataset: used - (1 << 20),
    };
    let mb = 1u64 << 20;
    let empty = doctor_report(
        &o(4 * mb, 4 * mb, 5 * mb, (4 * mb, 4 * mb, 5 * mb)),
        "jemalloc-5.3.0",
    );
    assert!(
        empty.starts_with("Hi Sam, this instance is empty"),
        "{empty}"
    );
    let fine = doctor_report(
        &o(100 * mb, 110 * mb, 105 * mb, (100 * mb, 102 * mb, 104 * mb)),
        "x",
    );
    assert_eq!(
        fine,
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
    );
    // A 300 MB peak and RSS twice what is in use.
    let bad = doctor_report(
        &o(100 * mb, 300 * mb, 200 * mb, (100 * mb, 102 * mb, 195 * mb)),
        "jemalloc-5.3.0",
    );
    assert!(bad.starts_with(
        "Sam, I detected a few issues in this Redis instance memory implants:\n\n * Peak memory:"
    ));
    assert!(bad.contains("Note: The currently used allocator is \"jemalloc-5.3.0\".\n\n"));
    assert!(bad.contains(" * High allocator RSS overhead:"));
    assert!(!bad.contains("High allocator fragmentation"));
    assert!(bad.ends_with("I'm here to keep you safe, Sam. I want to help you.\n"));
    // Clients holding 300 KB each on average, one replica 20 MB: both
    // reported, the replicas first, as Redis orders them.
    let buffers = Overview {
        clients_normal: 3 * 300_000,
        clients_slaves: 20 * mb,
        num_clients: 4,
        num_replicas: 1,
        ..o(100 * mb, 110 * mb, 105 * mb, (100 * mb, 102 * mb, 104 * mb))
    };
    let report = doctor_report(&buffers, "x");
    let replica = report
        .find(" * Big replica buffers: The replica output buffers")
        .unwrap();
    let client = report
        .find(" * Big client buffers: The clients output buffers")
        .unwrap();
    assert!(replica < client, "{report}");
    // 200 KiB each on average is not over the line.
    let fine = Overview {
        clients_normal: 3 * 200 * 1024,
        num_clients: 3,
        ..o(100 * mb, 110 * mb, 105 * mb, (100 * mb, 102 * mb, 104 * mb))
    };
    assert!(doctor_report(&fine, "x").starts_with("Hi Sam, I can't find any memory issue"));
}

#[test]
fn help_malloc_stats_and_purge_without_allocator_hooks() {
    let mut t = T::new();
    let Reply::Array(lines) = t.run(&["MEMORY", "HELP"]) else {
        panic!("HELP is an array")
    };
    let help: Vec<String> = lines
        .iter()
        .map(|l| match l {
            Reply::Status(s) => s.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        help[0],
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
    assert_eq!(help.len(), 14);
    assert_eq!(help[12], "HELP");
    // The unit tests' allocator has no hooks (only the binary installs them).
    if HOOKS.get().is_none() {
        assert_eq!(
            t.run(&["MEMORY", "MALLOC-STATS"]),
            Reply::bulk_static(b"Stats not supported for the current allocator")
        );
    }
    assert_eq!(t.run(&["MEMORY", "PURGE"]), Reply::OK);
    assert!(matches!(
        t.run(&["MEMORY", "DOCTOR"]),
        Reply::Verbatim("txt", _)
    ));
}
