//! Replication interop: a real redis-server 7.0 replica of an Ember master
//! syncs a mixed dataset loaded before the sync, then follows the stream of
//! writes made during and after it; both sides end with identical contents.

mod support;

use redis::{Connection, Value};
use std::time::{Duration, Instant};
use support::{start_ember, RedisServer};

fn conn(port: u16) -> Connection {
    let c = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
    let con = c.get_connection().unwrap();
    con.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    con
}

fn cmd(c: &mut Connection, args: &[&str]) -> Value {
    let mut q = redis::cmd(args[0]);
    for a in &args[1..] {
        q.arg(*a);
    }
    q.query(c).unwrap()
}

fn info_field(c: &mut Connection, name: &str) -> Option<String> {
    let info: String = redis::cmd("INFO").arg("replication").query(c).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
}

/// Writes covering every supported type, in several databases, with TTLs.
fn load(c: &mut Connection, tag: &str, n: usize) {
    for db in [0, 2] {
        cmd(c, &["SELECT", &db.to_string()]);
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
    cmd(c, &["SELECT", "0"]);
}

/// Every key of databases 0..4 rendered by per-type reads.
fn contents(c: &mut Connection) -> Vec<String> {
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
            out.push(format!("{db} {k} {ty} {val:?} ttl={}", ttl > 0));
        }
    }
    out
}

/// Waits (bounded) until the replica's link is up at the master's offset.
fn wait_caught_up(m: &mut Connection, r: &mut Connection) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let up = info_field(r, "master_link_status").as_deref() == Some("up");
        let master = info_field(m, "master_repl_offset");
        let seen = info_field(r, "slave_repl_offset");
        if up && master.is_some() && master == seen {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "replica did not catch up: {master:?} {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn redis_replica_of_ember_master() {
    let ember = start_ember(ember::Config::default());
    let mut m = conn(ember.port);
    load(&mut m, "pre", 40);
    let port = ember.port.to_string();
    let replica = RedisServer::start(&["--replicaof", "127.0.0.1", &port]);
    // Writes during the sync and after it, from another connection.
    let writer = std::thread::spawn({
        let p = ember.port;
        move || {
            let mut w = conn(p);
            load(&mut w, "live", 30);
        }
    });
    let mut r = conn(replica.port);
    writer.join().unwrap();
    wait_caught_up(&mut m, &mut r);
    let (a, b) = (contents(&mut m), contents(&mut r));
    assert!(a.len() > 500, "dataset too small: {}", a.len());
    assert_eq!(a, b);
    // The master sees its replica.
    assert_eq!(info_field(&mut m, "role").as_deref(), Some("master"));
    assert_eq!(info_field(&mut m, "connected_slaves").as_deref(), Some("1"));
    let slave0 = info_field(&mut m, "slave0").unwrap();
    assert!(
        slave0.starts_with(&format!(
            "ip=127.0.0.1,port={},state=online,offset=",
            replica.port
        )),
        "{slave0}"
    );
    assert_eq!(
        info_field(&mut m, "repl_backlog_active").as_deref(),
        Some("1")
    );
    let role = cmd(&mut m, &["ROLE"]);
    let Value::Array(role) = role else {
        panic!("{role:?}")
    };
    assert_eq!(role[0], Value::BulkString(b"master".to_vec()));

    // A dropped link resumes from the backlog (+CONTINUE), not a full sync.
    cmd(&mut m, &["CLIENT", "KILL", "TYPE", "replica"]);
    load(&mut m, "after", 10);
    wait_caught_up(&mut m, &mut r);
    assert_eq!(contents(&mut m), contents(&mut r));
    let (full, partial_ok, _) = ember_replication::master::sync_counters(&ember.engine.lock());
    assert_eq!((full, partial_ok), (1, 1));
}
