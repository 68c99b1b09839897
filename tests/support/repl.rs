//! Helpers shared by the replication tests (redis-rs connections): commands,
//! INFO fields, a full rendering of a dataset and waiting for a replica.

use redis::{Connection, Value};
use std::time::{Duration, Instant};

/// Runs a command that must succeed.
pub fn cmd(c: &mut Connection, args: &[&str]) -> Value {
    let mut q = redis::cmd(args[0]);
    for a in &args[1..] {
        q.arg(*a);
    }
    q.query(c).unwrap()
}

/// One field of an INFO section.
pub fn info_field(c: &mut Connection, section: &str, name: &str) -> Option<String> {
    let info: String = redis::cmd("INFO").arg(section).query(c).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
}

/// One field of INFO replication.
pub fn repl(c: &mut Connection, name: &str) -> Option<String> {
    info_field(c, "replication", name)
}

/// Every key of databases 0..4 rendered by per-type reads (sets and hashes
/// sorted), with whether it has a long TTL (short TTLs could expire between
/// the reads of the two servers compared).
pub fn contents(c: &mut Connection) -> Vec<String> {
    let mut out = Vec::new();
    for db in 0..4 {
        cmd(c, &["SELECT", &db.to_string()]);
        let mut keys: Vec<String> = redis::cmd("KEYS").arg("*").query(c).unwrap();
        keys.sort();
        for k in keys {
            let ty: String = redis::cmd("TYPE").arg(&k).query(c).unwrap();
            let mut val = match ty.as_str() {
                "string" => cmd(c, &["GET", &k]),
                "list" => cmd(c, &["LRANGE", &k, "0", "-1"]),
                "hash" => cmd(c, &["HGETALL", &k]),
                "set" => cmd(c, &["SMEMBERS", &k]),
                "zset" => cmd(c, &["ZRANGE", &k, "0", "-1", "WITHSCORES"]),
                other => panic!("unexpected type {other}"),
            };
            if let (Value::Array(items), "set" | "hash") = (&mut val, ty.as_str()) {
                items.sort_by_key(|v| format!("{v:?}"));
            }
            let ttl: i64 = redis::cmd("TTL").arg(&k).query(c).unwrap();
            out.push(format!("{db} {k} {ty} {val:?} ttl={}", ttl > 900));
        }
    }
    cmd(c, &["SELECT", "0"]);
    out
}

/// Waits (bounded) until the replica's link is up at the master's offset.
pub fn wait_caught_up(m: &mut Connection, r: &mut Connection) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let up = repl(r, "master_link_status").as_deref() == Some("up");
        let master = repl(m, "master_repl_offset");
        let seen = repl(r, "slave_repl_offset");
        if up && master.is_some() && master == seen {
            return;
        }
        if Instant::now() >= deadline {
            let a: String = redis::cmd("INFO").arg("replication").query(m).unwrap();
            let b: String = redis::cmd("INFO").arg("replication").query(r).unwrap();
            panic!("replica did not catch up: {master:?} {seen:?}\n{a}\n{b}");
        }
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// Small keys of every type in the selected database: strings (some with a
/// TTL), integers, lists, hashes, intsets, sets, sorted sets; every third
/// round deletes and pops so the stream carries more than additions.
pub fn load_small_keys(c: &mut Connection, tag: &str, n: usize) {
    for i in 0..n {
        let k = |t: &str| format!("{tag}:{t}:{i}");
        cmd(c, &["SET", &k("s"), &format!("v{i}")]);
        cmd(c, &["INCRBY", &k("n"), &i.to_string()]);
        cmd(c, &["RPUSH", &k("l"), "a", "b", &i.to_string()]);
        cmd(c, &["HSET", &k("h"), "f", "v", "g", &i.to_string()]);
        cmd(c, &["SADD", &k("set"), "1", "2", &i.to_string()]);
        cmd(c, &["SADD", &k("sets"), "x", "y", &format!("m{i}")]);
        cmd(c, &["ZADD", &k("z"), "1.5", "a", &i.to_string(), "b"]);
        cmd(c, &["EXPIRE", &k("s"), "1000"]);
        if i % 3 == 0 {
            cmd(c, &["DEL", &k("n")]);
            cmd(c, &["LPOP", &k("l")]);
        }
    }
}
