//! AOF unit tests: files on disk in a private temporary directory, an
//! in-process engine, contents compared after reopening.

use super::*;
use ember_core::value::Value;
use ember_core::Bytes;
use std::time::Duration;

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("ember-aof-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
    fn aof(&self) -> PathBuf {
        self.0.join("appendonlydir")
    }
    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.aof().join(name)).unwrap_or_default()
    }
    fn manifest(&self) -> String {
        String::from_utf8(self.read("appendonly.aof.manifest")).unwrap()
    }
    fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.aof())
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn config(dir: &Dir, extra: &[(&str, &str)]) -> Config {
    let mut c = Config {
        dir: dir.0.display().to_string(),
        ..Config::default()
    };
    for (k, v) in extra {
        c.set(k, v).unwrap();
    }
    c
}

struct Server {
    e: Engine,
    id: ember_core::ClientId,
}

impl Server {
    fn open(cfg: Config) -> Result<Server, String> {
        let mut e = crate::build(Engine::builder().config(cfg));
        open(&mut e)?;
        let id = e.add_client();
        Ok(Server { e, id })
    }
    fn run(&mut self, argv: &[&str]) -> Reply {
        let argv: Vec<Bytes> = argv
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect();
        self.e.execute(self.id, &argv).unwrap_or(Reply::Nil)
    }
    fn info(&mut self, field: &str) -> String {
        let Reply::Verbatim(_, text) = self.run(&["INFO", "persistence"]) else {
            panic!("INFO")
        };
        let text = String::from_utf8(text.to_vec()).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
            .unwrap_or_default()
    }
    fn wait(&mut self) {
        assert!(wait_rewrite(&mut self.e, Duration::from_secs(10)));
    }
    /// Every key in a canonical form: (db, key, type, elements, expiry).
    fn contents(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, db) in self.e.dbs.iter().enumerate() {
            for (k, v) in db.keys().iter() {
                let mut elems: Vec<String> = match v {
                    Value::Str(s) => vec![String::from_utf8_lossy(&s.as_bytes()).into_owned()],
                    Value::List(l) => l
                        .iter()
                        .map(|e| String::from_utf8_lossy(e).into())
                        .collect(),
                    Value::Set(s) => {
                        let mut m: Vec<String> = s
                            .iter()
                            .map(|e| String::from_utf8_lossy(&e).into())
                            .collect();
                        m.sort();
                        m
                    }
                    Value::Hash(h) => {
                        let mut m: Vec<String> = h
                            .iter()
                            .map(|(f, v)| {
                                format!(
                                    "{}={}",
                                    String::from_utf8_lossy(f),
                                    String::from_utf8_lossy(v)
                                )
                            })
                            .collect();
                        m.sort();
                        m
                    }
                    Value::ZSet(z) => z
                        .iter()
                        .map(|(m, s)| format!("{}@{s}", String::from_utf8_lossy(m)))
                        .collect(),
                };
                elems.insert(0, v.type_name().to_string());
                out.push(format!(
                    "{i} {} {:?} ttl={:?}",
                    String::from_utf8_lossy(k),
                    elems,
                    db.expire_of(k)
                ));
            }
        }
        out.sort();
        out
    }
}

fn populate(s: &mut Server) {
    s.run(&["SET", "str", "hello"]);
    s.run(&["SET", "int", "12345"]);
    s.run(&["SET", "ttl", "v", "EX", "1000"]);
    s.run(&["RPUSH", "list", "a", "b", "c"]);
    s.run(&["SADD", "iset", "1", "2", "3"]);
    s.run(&["SADD", "set", "x", "y"]);
    s.run(&["HSET", "hash", "f1", "v1", "f2", "v2"]);
    s.run(&["ZADD", "zset", "1.5", "m1", "-2", "m2", "inf", "m3"]);
    s.run(&["EXPIRE", "hash", "5000"]);
    s.run(&["SELECT", "3"]);
    s.run(&["SET", "in3", "x"]);
    s.run(&["MULTI"]);
    s.run(&["INCR", "counter"]);
    s.run(&["LPUSH", "l3", "z"]);
    s.run(&["EXEC"]);
    s.run(&["SELECT", "0"]);
    let big: Vec<String> = (0..200).map(|i| format!("e{i}")).collect();
    let mut argv = vec!["RPUSH", "biglist"];
    argv.extend(big.iter().map(String::as_str));
    s.run(&argv);
    argv[0] = "SADD";
    argv[1] = "bigset";
    s.run(&argv);
}

#[test]
fn fresh_start_creates_redis_layout_and_reloads() {
    let d = Dir::new("fresh");
    let cfg = config(&d, &[("appendonly", "yes")]);
    let mut s = Server::open(cfg.clone()).unwrap();
    assert_eq!(
        d.manifest(),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    assert!(d
        .read("appendonly.aof.1.base.rdb")
        .starts_with(b"REDIS0010"));
    s.run(&["set", "a", "1"]);
    assert_eq!(
        d.read("appendonly.aof.1.incr.aof"),
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nset\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    populate(&mut s);
    assert_eq!(s.info("aof_enabled"), "1");
    let incr = d.read("appendonly.aof.1.incr.aof").len();
    assert_eq!(s.info("aof_current_size"), incr.to_string());
    // Relative expiries are written in absolute form.
    let text = String::from_utf8_lossy(&d.read("appendonly.aof.1.incr.aof")).into_owned();
    assert!(
        text.contains("PEXPIREAT") && text.contains("MULTI") && text.contains("SELECT\r\n$1\r\n3")
    );
    let before = s.contents();
    drop(s);
    let s2 = Server::open(cfg).unwrap();
    assert_eq!(s2.contents(), before);
}

#[test]
fn bgrewriteaof_replaces_base_and_keeps_later_writes() {
    for preamble in ["yes", "no"] {
        let d = Dir::new(&format!("rw-{preamble}"));
        let cfg = config(
            &d,
            &[("appendonly", "yes"), ("aof-use-rdb-preamble", preamble)],
        );
        let mut s = Server::open(cfg.clone()).unwrap();
        populate(&mut s);
        assert_eq!(
            s.run(&["BGREWRITEAOF"]),
            Reply::status("Background append only file rewriting started")
        );
        // Written after the snapshot: must land in the new incr file.
        s.run(&["SET", "after", "1"]);
        s.run(&["DEL", "str"]);
        s.wait();
        let ext = if preamble == "yes" { "rdb" } else { "aof" };
        assert_eq!(
            d.manifest(),
            format!(
                "file appendonly.aof.2.base.{ext} seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
            )
        );
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(
            d.files(),
            [
                format!("appendonly.aof.2.base.{ext}"),
                "appendonly.aof.2.incr.aof".into(),
                "appendonly.aof.manifest".into()
            ]
        );
        if preamble == "no" {
            let base = String::from_utf8_lossy(&d.read("appendonly.aof.2.base.aof")).into_owned();
            assert!(
                base.starts_with("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"),
                "{base}"
            );
            assert!(base.contains("$5\r\nRPUSH\r\n$7\r\nbiglist\r\n"));
            assert!(base.contains("*66\r\n$5\r\nRPUSH"), "64 items per command");
            assert!(base.contains("*8\r\n$4\r\nZADD\r\n$4\r\nzset\r\n$2\r\n-2\r\n$2\r\nm2\r\n$3\r\n1.5\r\n$2\r\nm1\r\n$3\r\ninf\r\n"));
            assert!(base.contains("$9\r\nPEXPIREAT\r\n$4\r\nhash\r\n"));
        }
        assert_eq!(s.info("aof_rewrites"), "1");
        assert_eq!(s.info("aof_last_bgrewrite_status"), "ok");
        assert_eq!(s.info("aof_rewrite_in_progress"), "0");
        let base_len = d.read(&format!("appendonly.aof.2.base.{ext}")).len();
        assert_eq!(
            s.info("aof_base_size"),
            (base_len + d.read("appendonly.aof.2.incr.aof").len()).to_string()
        );
        s.run(&["SET", "later", "2"]);
        let before = s.contents();
        drop(s);
        assert_eq!(Server::open(cfg).unwrap().contents(), before);
    }
}

#[test]
fn config_set_appendonly_switches_on_with_a_rewrite_and_off() {
    let d = Dir::new("cfgset");
    let cfg = config(&d, &[]);
    let mut s = Server::open(cfg.clone()).unwrap();
    populate(&mut s);
    assert_eq!(s.info("aof_enabled"), "0");
    assert_eq!(s.run(&["CONFIG", "SET", "appendonly", "yes"]), Reply::OK);
    s.run(&["SET", "during", "1"]);
    s.wait();
    assert_eq!(
        d.manifest(),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    assert_eq!(s.info("aof_enabled"), "1");
    s.run(&["SET", "after", "2"]);
    let before = s.contents();
    let mut on = cfg.clone();
    on.appendonly = true;
    assert_eq!(Server::open(on.clone()).unwrap().contents(), before);
    // Off: later writes are no longer recorded.
    assert_eq!(s.run(&["CONFIG", "SET", "appendonly", "no"]), Reply::OK);
    assert_eq!(s.info("aof_enabled"), "0");
    assert_eq!(s.info("aof_current_size"), "");
    s.run(&["SET", "lost", "x"]);
    assert_eq!(Server::open(on).unwrap().contents(), before);
}

#[test]
fn torn_tail_is_truncated_or_refused() {
    let d = Dir::new("torn");
    let cfg = config(&d, &[("appendonly", "yes")]);
    let mut s = Server::open(cfg.clone()).unwrap();
    s.run(&["SET", "a", "1"]);
    let before = s.contents();
    drop(s);
    let incr = d.aof().join("appendonly.aof.1.incr.aof");
    let good = std::fs::read(&incr).unwrap();
    let mut torn = good.clone();
    torn.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$3\r\nab");
    std::fs::write(&incr, &torn).unwrap();
    let mut strict = cfg.clone();
    strict.aof_load_truncated = false;
    assert!(Server::open(strict).is_err());
    assert_eq!(Server::open(cfg.clone()).unwrap().contents(), before);
    assert_eq!(
        std::fs::read(&incr).unwrap(),
        good,
        "truncated at the last whole command"
    );
    // A MULTI without EXEC is reverted the same way.
    let mut tx = good.clone();
    tx.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n");
    std::fs::write(&incr, &tx).unwrap();
    assert_eq!(Server::open(cfg.clone()).unwrap().contents(), before);
    assert_eq!(std::fs::read(&incr).unwrap(), good);
    // Garbage is a format error, never a panic.
    std::fs::write(&incr, b"hello\r\n").unwrap();
    assert!(Server::open(cfg.clone()).is_err());
    std::fs::write(&incr, b"*1\r\n$7\r\nNOSUCHC\r\n").unwrap();
    assert!(Server::open(cfg).is_err());
}

#[test]
fn legacy_single_file_is_migrated() {
    for preamble in [false, true] {
        let d = Dir::new(&format!("legacy-{preamble}"));
        // Make the legacy file's contents with a rewrite of a populated engine.
        let mut src = Server::open(config(&d, &[])).unwrap();
        populate(&mut src);
        let before = src.contents();
        let mut data = Vec::new();
        let mut snap_cfg = src.e.config.clone();
        snap_cfg.aof_use_rdb_preamble = preamble;
        let saved = std::mem::replace(&mut src.e.config, snap_cfg);
        rewrite::write_base_to(&src.e, &mut data).unwrap();
        src.e.config = saved;
        drop(src);
        data.extend_from_slice(
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$4\r\ntail\r\n$1\r\n1\r\n",
        );
        std::fs::write(d.0.join("appendonly.aof"), &data).unwrap();
        let s = Server::open(config(&d, &[("appendonly", "yes")])).unwrap();
        let mut want = before.clone();
        want.push("0 tail [\"string\", \"1\"] ttl=None".to_string());
        want.sort();
        assert_eq!(s.contents(), want);
        assert!(!d.0.join("appendonly.aof").exists());
        assert_eq!(
            d.manifest(),
            "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
        );
    }
}

#[test]
fn debug_loadaof_and_auto_rewrite() {
    let d = Dir::new("loadaof");
    let cfg = config(
        &d,
        &[
            ("appendonly", "yes"),
            ("auto-aof-rewrite-min-size", "1000"),
            ("auto-aof-rewrite-percentage", "100"),
        ],
    );
    let cfg = Config {
        enable_debug_command: "yes".into(),
        ..cfg
    };
    let mut s = Server::open(cfg).unwrap();
    populate(&mut s);
    let before = s.contents();
    assert_eq!(s.run(&["DEBUG", "LOADAOF"]), Reply::OK);
    assert_eq!(s.contents(), before);
    assert_eq!(s.info("rdb_changes_since_last_save"), "0");
    // The incr file is well over 1000 bytes and the base is tiny: cron rewrites.
    cron(&mut s.e);
    s.wait();
    assert_eq!(s.info("aof_rewrites"), "1");
    assert!(d
        .manifest()
        .starts_with("file appendonly.aof.2.base.rdb seq 2 type b\n"));
    assert_eq!(s.run(&["DEBUG", "LOADAOF"]), Reply::OK);
    assert_eq!(s.contents(), before);
}

#[test]
fn bgrewriteaof_replies_like_redis() {
    let d = Dir::new("replies");
    let mut s = Server::open(config(&d, &[])).unwrap();
    s.run(&["SET", "k", "v"]);
    // With AOF off a rewrite still writes a base file (and only that).
    assert_eq!(
        s.run(&["BGREWRITEAOF"]),
        Reply::status("Background append only file rewriting started")
    );
    let again = s.run(&["BGREWRITEAOF"]);
    if let Reply::Error(e) = &again {
        assert_eq!(
            e.as_ref(),
            "ERR Background append only file rewriting already in progress"
        );
    }
    s.wait();
    assert_eq!(
        d.manifest(),
        "file appendonly.aof.1.base.rdb seq 1 type b\n"
    );
    s.run(&["MULTI"]);
    s.run(&["BGREWRITEAOF"]);
    let Reply::Array(r) = s.run(&["EXEC"]) else {
        panic!()
    };
    assert_eq!(
        r[0],
        Reply::status("Background append only file rewriting scheduled")
    );
    assert_eq!(s.info("aof_rewrite_scheduled"), "1");
    cron(&mut s.e);
    s.wait();
    assert_eq!(s.info("aof_rewrite_scheduled"), "0");
    assert_eq!(s.info("aof_rewrites"), "2");
}

#[test]
fn appendfsync_always_writes_before_the_reply() {
    let d = Dir::new("always");
    let mut s = Server::open(config(
        &d,
        &[("appendonly", "yes"), ("appendfsync", "always")],
    ))
    .unwrap();
    for i in 0..20 {
        s.run(&["SET", &format!("k{i}"), "v"]);
        // Already in the file when execute returns.
        let text = d.read("appendonly.aof.1.incr.aof");
        assert!(String::from_utf8_lossy(&text).contains(&format!("k{i}\r\n")));
    }
    assert_eq!(s.run(&["CONFIG", "SET", "appendfsync", "no"]), Reply::OK);
    s.run(&["SET", "x", "1"]);
    assert!(String::from_utf8_lossy(&d.read("appendonly.aof.1.incr.aof")).contains("x\r\n"));
}

#[test]
fn deferred_flush_writes_once_per_batch() {
    let d = Dir::new("deferred");
    let mut s = Server::open(config(
        &d,
        &[("appendonly", "yes"), ("appendfsync", "always")],
    ))
    .unwrap();
    set_deferred_flush(&mut s.e, true);
    s.run(&["SET", "a", "1"]);
    s.run(&["SET", "b", "2"]);
    assert!(
        d.read("appendonly.aof.1.incr.aof").is_empty(),
        "held until flush"
    );
    assert_eq!(s.info("aof_buffer_length"), "77");
    flush(&s.e);
    let text = String::from_utf8(d.read("appendonly.aof.1.incr.aof")).unwrap();
    assert!(text.ends_with("$1\r\nb\r\n$1\r\n2\r\n"), "{text}");
    // An open MULTI unit is never split by a flush.
    s.run(&["MULTI"]);
    s.run(&["SET", "c", "3"]);
    s.run(&["SET", "d", "4"]);
    s.run(&["EXEC"]);
    flush(&s.e);
    assert!(String::from_utf8(d.read("appendonly.aof.1.incr.aof"))
        .unwrap()
        .ends_with("EXEC\r\n"));
    set_deferred_flush(&mut s.e, false);
    s.run(&["SET", "e", "5"]);
    assert!(String::from_utf8(d.read("appendonly.aof.1.incr.aof"))
        .unwrap()
        .contains("$1\r\ne\r\n"));
}

#[test]
fn failing_to_switch_on_is_refused_and_undone() {
    let d = Dir::new("refused");
    std::fs::write(d.aof(), b"not a directory").unwrap();
    let mut s = Server::open(config(&d, &[])).unwrap();
    assert_eq!(
        s.run(&["CONFIG", "SET", "appendonly", "yes"]),
        Reply::error(
            "ERR CONFIG SET failed (possibly related to argument 'appendonly') - Unable to turn \
             on AOF. Check server logs."
        )
    );
    assert!(!s.e.config.appendonly);
    assert_eq!(s.info("aof_enabled"), "0");
    assert_eq!(s.info("aof_last_bgrewrite_status"), "err");
    assert_eq!(
        s.run(&["BGREWRITEAOF"]),
        Reply::error(
            "ERR Can't execute an AOF background rewriting. Please check the server logs for \
             more information."
        )
    );
}

#[test]
fn replay_ignores_requirepass_and_maxmemory() {
    let d = Dir::new("auth");
    let cfg = config(&d, &[("appendonly", "yes")]);
    let mut s = Server::open(cfg.clone()).unwrap();
    populate(&mut s);
    let before = s.contents();
    drop(s);
    let strict = config(
        &d,
        &[
            ("appendonly", "yes"),
            ("requirepass", "secret"),
            ("maxmemory", "1"),
            ("maxmemory-policy", "noeviction"),
        ],
    );
    let s = Server::open(strict).unwrap();
    assert_eq!(s.contents(), before);
    assert_eq!(s.e.config.maxmemory, 1);
}

#[test]
fn replayed_commands_are_not_counted_nor_slow_logged() {
    let d = Dir::new("stats");
    let cfg = config(
        &d,
        &[("appendonly", "yes"), ("slowlog-log-slower-than", "0")],
    );
    let mut s = Server::open(cfg.clone()).unwrap();
    populate(&mut s);
    drop(s);
    let mut s = Server::open(cfg).unwrap();
    assert!(s.contents().len() > 5, "the AOF was replayed");
    // Redis runs replayed commands without call(): no command statistics,
    // no slow log entries, no processed-commands count.
    let Reply::Verbatim(_, info) = s.run(&["INFO", "commandstats"]) else {
        panic!("INFO reply");
    };
    let info = String::from_utf8_lossy(&info).into_owned();
    assert!(!info.contains("cmdstat_set:"), "{info}");
    assert!(!info.contains("cmdstat_rpush:"), "{info}");
    // Only the INFO call above.
    assert_eq!(s.run(&["SLOWLOG", "LEN"]), Reply::Integer(1));
    let Reply::Verbatim(_, info) = s.run(&["INFO", "stats"]) else {
        panic!("INFO reply");
    };
    let info = String::from_utf8_lossy(&info).into_owned();
    assert!(info.contains("total_commands_processed:2\r\n"), "{info}");
}

/// Nothing expires while an AOF replays (Redis's keyIsExpired and
/// checkAlreadyExpired while loading): a PEXPIREAT in the past keeps the key,
/// the next RPUSH appends to it, and the whole list is gone once loaded
/// (Redis's "AOF+EXPIRE: List should be empty").
#[test]
fn replay_keeps_keys_past_their_ttl_until_loaded() {
    let d = Dir::new("replay-expire");
    let cmds: &[&[&str]] = &[
        &["SELECT", "0"],
        &["RPUSH", "list", "foo"],
        &["PEXPIREAT", "list", "1000"],
        &["RPUSH", "list", "bar"],
        &["SET", "s", "v", "PXAT", "1000"],
        &["APPEND", "s", "w"],
        &["SET", "kept", "v"],
    ];
    let mut data = Vec::new();
    for c in cmds {
        data.extend_from_slice(format!("*{}\r\n", c.len()).as_bytes());
        for a in *c {
            data.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
    }
    std::fs::write(d.0.join("appendonly.aof"), &data).unwrap();
    let mut s = Server::open(config(&d, &[("appendonly", "yes")])).unwrap();
    assert_eq!(s.run(&["LLEN", "list"]), Reply::Integer(0));
    assert_eq!(s.run(&["GET", "s"]), Reply::Nil);
    assert_eq!(s.run(&["DBSIZE"]), Reply::Integer(1));
    assert_eq!(s.run(&["GET", "kept"]), Reply::bulk("v"));
}

/// DEBUG AOF-FLUSH-SLEEP delays every flush that writes (Redis's
/// aof_flush_sleep); under `appendfsync always` the write is in the file
/// when the reply comes (Redis's "AOF fsync always barrier issue").
#[test]
fn debug_aof_flush_sleep_delays_the_write() {
    let d = Dir::new("flush-sleep");
    let cfg = Config {
        enable_debug_command: "yes".into(),
        ..config(&d, &[("appendonly", "yes"), ("appendfsync", "always")])
    };
    let mut s = Server::open(cfg).unwrap();
    assert_eq!(s.run(&["DEBUG", "AOF-FLUSH-SLEEP", "200000"]), Reply::OK);
    let incr = d.aof().join("appendonly.aof.1.incr.aof");
    let before = std::fs::metadata(&incr).unwrap().len();
    let started = std::time::Instant::now();
    assert_eq!(s.run(&["INCR", "n"]), Reply::Integer(1));
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert!(std::fs::metadata(&incr).unwrap().len() > before);
    assert_eq!(s.run(&["DEBUG", "AOF-FLUSH-SLEEP", "0"]), Reply::OK);
    assert_eq!(s.run(&["INCR", "n"]), Reply::Integer(2));
}
