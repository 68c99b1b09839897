//! The fork-less snapshot end to end: BGSAVE (and BGREWRITEAOF) while
//! clients keep writing, in a running server; the RDB file must hold the
//! dataset exactly as it was when BGSAVE answered, and redis-server 7.0.15
//! must load it with those contents.

mod support;

use ember::Config;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use support::{encode_command, RawConn, RedisServer, Resp};

const KEYS: usize = 60_000;

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ember-snapshot-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Sends all commands pipelined and returns the replies.
fn pipeline(c: &mut RawConn, cmds: &[Vec<String>]) -> Vec<Resp> {
    let mut out = Vec::with_capacity(cmds.len());
    for chunk in cmds.chunks(1000) {
        let mut buf = Vec::new();
        for cmd in chunk {
            buf.extend(encode_command(cmd));
        }
        c.write_raw(&buf);
        for _ in chunk {
            out.push(c.read_reply().expect("reply").1);
        }
    }
    out
}

fn cmd(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

fn info_field(c: &mut RawConn, field: &str) -> String {
    let text = c.cmd(&["INFO", "persistence"]).text();
    text.lines()
        .find_map(|l| {
            l.strip_prefix(&format!("{field}:"))
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default()
}

/// The probe: keys of every kind whose values are read before and after.
fn probe() -> Vec<Vec<String>> {
    let mut cmds = vec![cmd(&["SELECT", "0"])];
    for i in (0..KEYS).step_by(7) {
        cmds.push(cmd(&["GET", &format!("key:{i}")]));
    }
    cmds.push(cmd(&["DBSIZE"]));
    cmds.push(cmd(&["LRANGE", "biglist", "0", "-1"]));
    cmds.push(cmd(&["HGETALL", "hash"]));
    cmds.push(cmd(&["SELECT", "1"]));
    cmds.push(cmd(&["DBSIZE"]));
    for i in 0..200 {
        cmds.push(cmd(&["GET", &format!("ttl:{i}")]));
        cmds.push(cmd(&["PEXPIRETIME", &format!("ttl:{i}")]));
    }
    cmds.push(cmd(&["SMEMBERS", "set"]));
    cmds.push(cmd(&["ZRANGE", "zset", "0", "-1", "WITHSCORES"]));
    cmds
}

fn normalize(replies: Vec<Resp>) -> Vec<Resp> {
    replies
        .into_iter()
        .map(|r| match r {
            Resp::Array(_) => r.sorted(),
            other => other,
        })
        .collect()
}

#[test]
fn bgsave_under_writes_is_point_in_time_and_loads_in_redis() {
    let dir = tmpdir("bgsave");
    let server = support::start_ember(Config {
        dir: dir.to_string_lossy().into_owned(),
        save: Vec::new(),
        enable_debug_command: "yes".into(),
        ..Default::default()
    });
    let mut c = RawConn::connect("ember", server.port).unwrap();
    c.stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    assert_eq!(
        c.cmd(&["DEBUG", "POPULATE", &KEYS.to_string(), "key", "100"])
            .text(),
        "OK"
    );
    let mut setup = vec![cmd(&["SELECT", "0"])];
    let mut rpush = cmd(&["RPUSH", "biglist"]);
    rpush.extend((0..3000).map(|i| format!("element-{i}")));
    setup.push(rpush);
    setup.push(cmd(&["HSET", "hash", "a", "1", "b", "2", "c", "3"]));
    setup.push(cmd(&["SELECT", "1"]));
    for i in 0..200 {
        let k = format!("ttl:{i}");
        setup.push(cmd(&["SET", &k, &format!("v{i}")]));
        setup.push(cmd(&[
            "PEXPIREAT",
            &k,
            &(4_000_000_000_000u64 + i).to_string(),
        ]));
    }
    let mut sadd = cmd(&["SADD", "set"]);
    sadd.extend((0..500).map(|i| format!("m{i}")));
    setup.push(sadd);
    setup.push(cmd(&["ZADD", "zset", "1", "a", "2", "b", "3.5", "c"]));
    pipeline(&mut c, &setup);
    let before = normalize(pipeline(&mut c, &probe()));

    assert_eq!(c.cmd(&["BGSAVE"]).text(), "Background saving started");
    // Everything from here on is after the point in time.
    let mut writes = vec![cmd(&["SELECT", "0"])];
    for i in (0..KEYS).step_by(7) {
        match (i / 7) % 4 {
            0 => writes.push(cmd(&["SET", &format!("key:{i}"), "overwritten"])),
            1 => writes.push(cmd(&["DEL", &format!("key:{i}")])),
            2 => writes.push(cmd(&["APPEND", &format!("key:{i}"), "+more"])),
            _ => writes.push(cmd(&["EXPIRE", &format!("key:{i}"), "1000"])),
        }
        if i % 700 == 0 {
            writes.push(cmd(&["LPUSH", "biglist", "new"]));
            writes.push(cmd(&["SET", &format!("created:{i}"), "new"]));
        }
    }
    writes.push(cmd(&["HSET", "hash", "a", "changed"]));
    writes.push(cmd(&["SELECT", "1"]));
    for i in 0..200 {
        writes.push(cmd(&["PERSIST", &format!("ttl:{i}")]));
    }
    writes.push(cmd(&["SADD", "set", "late"]));
    writes.push(cmd(&["SWAPDB", "0", "1"]));
    writes.push(cmd(&["FLUSHALL"]));
    let in_progress_during = info_field(&mut c, "rdb_bgsave_in_progress");
    pipeline(&mut c, &writes);
    let deadline = Instant::now() + Duration::from_secs(60);
    while info_field(&mut c, "rdb_bgsave_in_progress") != "0" {
        assert!(Instant::now() < deadline, "BGSAVE did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    eprintln!("BGSAVE in progress while writing: {in_progress_during}");
    assert_eq!(
        c.cmd(&["DBSIZE"]).int(),
        0,
        "FLUSHALL emptied the live data"
    );

    // Ember itself reloads the image...
    assert_eq!(c.cmd(&["DEBUG", "RELOAD", "NOSAVE"]).text(), "OK");
    let ember_after = normalize(pipeline(&mut c, &probe()));
    assert!(
        ember_after == before,
        "Ember's reload differs from the point in time"
    );
    drop(c);
    drop(server);

    // ...and so does redis-server 7.0.15.
    let d = dir.to_string_lossy().into_owned();
    let redis = RedisServer::start(&["--dir", &d, "--dbfilename", "dump.rdb"]);
    let mut r = RawConn::connect("redis", redis.port).unwrap();
    let redis_after = normalize(pipeline(&mut r, &probe()));
    assert!(
        redis_after == before,
        "redis-server's load differs from the point in time"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bgrewriteaof_under_writes_replays_the_point_in_time() {
    for preamble in ["yes", "no"] {
        let dir = tmpdir(&format!("aof-{preamble}"));
        let server = support::start_ember(Config {
            dir: dir.to_string_lossy().into_owned(),
            save: Vec::new(),
            enable_debug_command: "yes".into(),
            aof_use_rdb_preamble: preamble == "yes",
            ..Default::default()
        });
        let mut c = RawConn::connect("ember", server.port).unwrap();
        c.stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        c.cmd(&["DEBUG", "POPULATE", "20000", "key", "50"]);
        // AOF on: the first rewrite runs; wait for it.
        assert_eq!(c.cmd(&["CONFIG", "SET", "appendonly", "yes"]).text(), "OK");
        let wait = |c: &mut RawConn| {
            let deadline = Instant::now() + Duration::from_secs(60);
            while info_field(c, "aof_rewrite_in_progress") != "0" {
                assert!(Instant::now() < deadline, "rewrite did not finish");
                std::thread::sleep(Duration::from_millis(20));
            }
            assert_eq!(info_field(c, "aof_last_bgrewrite_status"), "ok");
        };
        wait(&mut c);
        assert_eq!(
            c.cmd(&["BGREWRITEAOF"]).text(),
            "Background append only file rewriting started"
        );
        let mut writes = vec![];
        for i in (0..20_000).step_by(5) {
            writes.push(cmd(&["SET", &format!("key:{i}"), "after"]));
            if i % 3 == 0 {
                writes.push(cmd(&["DEL", &format!("key:{}", i + 1)]));
            }
        }
        writes.push(cmd(&["FLUSHDB"]));
        writes.push(cmd(&["SET", "last", "1"]));
        pipeline(&mut c, &writes);
        wait(&mut c);
        // The base (point in time) plus the incr file (later writes) load
        // to the live dataset.
        let live = normalize(pipeline(&mut c, &[cmd(&["KEYS", "*"])]));
        assert_eq!(c.cmd(&["DEBUG", "LOADAOF"]).text(), "OK");
        let reloaded = normalize(pipeline(&mut c, &[cmd(&["KEYS", "*"])]));
        assert!(live == reloaded, "AOF reload differs (preamble {preamble})");
        assert_eq!(c.cmd(&["GET", "last"]).text(), "1");
        drop(c);
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
