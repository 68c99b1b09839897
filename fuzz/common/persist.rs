//! The RDB loader and RESTORE on hostile input, shared by the cargo-fuzz
//! targets `rdb_load` and `restore` and the seeded run in the normal test
//! suite (`tests/fuzz_seeded.rs`).
//!
//! - [`load_rdb`]: any bytes as an RDB file (the checksum is not verified,
//!   so mutations reach the decoders): an error or a dataset, never a panic,
//!   a hang or an allocation beyond what the input holds; a dataset that
//!   loads must save again.
//! - [`RestoreDriver`]: any value body as a RESTORE payload (a valid footer
//!   and CRC are added, so the decoder runs), then the key is read back by
//!   the commands of its type, dumped and deleted: no panic.
//!
//! Mutations start from [`seed_rdb`] / [`seed_bodies`]: every type in its
//! compact and big encodings, with TTLs, in two databases.
#![allow(dead_code)]

use bytes::Bytes;
use ember_core::db::Db;
use ember_core::{ClientId, Config, Engine, ManualClock, Reply};
use ember_persistence::rdb::{self, LoadOptions, RdbSink, SaveOptions};
use ember_persistence::rio::RdbReader;
use std::sync::{Arc, OnceLock};

const NOW_MS: i64 = 1_700_000_000_000;

fn argv(parts: &[&str]) -> Vec<Bytes> {
    parts
        .iter()
        .map(|p| Bytes::copy_from_slice(p.as_bytes()))
        .collect()
}

/// Keys of every type and encoding (listpack/intset and past their limits,
/// integers, LZF-compressible strings, TTLs) in databases 0 and 1.
fn populate(engine: &mut Engine, id: ClientId) {
    let mut cmds: Vec<Vec<String>> = vec![
        vec!["SET".into(), "str".into(), "hello world".into()],
        vec!["SET".into(), "int".into(), "-12345".into()],
        vec!["SET".into(), "bigstr".into(), "abcd".repeat(300)],
        vec![
            "RPUSH".into(),
            "list".into(),
            "a".into(),
            "7".into(),
            "c".into(),
        ],
        vec!["SADD".into(), "set".into(), "a".into(), "b".into()],
        vec![
            "SADD".into(),
            "intset".into(),
            "1".into(),
            "70000".into(),
            "-3".into(),
        ],
        vec![
            "HSET".into(),
            "hash".into(),
            "f".into(),
            "v".into(),
            "n".into(),
            "1".into(),
        ],
        vec![
            "ZADD".into(),
            "zset".into(),
            "1".into(),
            "a".into(),
            "2.5".into(),
            "b".into(),
        ],
        vec![
            "SET".into(),
            "ttl".into(),
            "v".into(),
            "PXAT".into(),
            "1900000000000".into(),
        ],
    ];
    let big: Vec<String> = (0..140).map(|i| format!("member-{i}")).collect();
    let mut with = |cmd: &str, key: &str, per: &dyn Fn(usize, &String) -> Vec<String>| {
        let mut c = vec![cmd.to_string(), key.to_string()];
        for (i, m) in big.iter().enumerate() {
            c.extend(per(i, m));
        }
        cmds.push(c);
    };
    with("RPUSH", "biglist", &|_, m| vec![m.clone()]);
    with("SADD", "bigset", &|_, m| vec![m.clone()]);
    with("SADD", "bigintset", &|i, _| vec![(i * 1000).to_string()]);
    with("HSET", "bighash", &|_, m| vec![m.clone(), m.repeat(2)]);
    with("ZADD", "bigzset", &|i, m| vec![format!("{i}.5"), m.clone()]);
    engine.execute(id, &argv(&["SELECT", "1"]));
    for c in &cmds[..4] {
        let a: Vec<&str> = c.iter().map(String::as_str).collect();
        engine.execute(id, &argv(&a));
    }
    engine.execute(id, &argv(&["SELECT", "0"]));
    for c in &cmds {
        let a: Vec<&str> = c.iter().map(String::as_str).collect();
        engine.execute(id, &argv(&a));
    }
}

fn new_engine() -> Engine {
    let clock = ManualClock::new(NOW_MS);
    let config = Config {
        save: vec![],
        ..Config::default()
    };
    ember_persistence::build(Engine::builder().config(config).clock(Arc::new(clock)))
}

struct Seeds {
    rdb: Vec<u8>,
    bodies: Vec<Vec<u8>>,
}

/// Built once: every engine leaks its command table.
fn seeds() -> &'static Seeds {
    static SEEDS: OnceLock<Seeds> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut engine = new_engine();
        let id = engine.add_client();
        populate(&mut engine, id);
        let opts = SaveOptions::from_config(&engine.config, NOW_MS);
        let rdb = rdb::save_engine(Vec::new(), &engine, opts).expect("save to memory");
        let mut bodies = Vec::new();
        for db in ["0", "1"] {
            engine.execute(id, &argv(&["SELECT", db]));
            let Some(Reply::Array(keys)) = engine.execute(id, &argv(&["KEYS", "*"])) else {
                continue;
            };
            for k in keys {
                let Reply::Bulk(k) = k else { continue };
                let dump = [Bytes::from_static(b"DUMP"), k];
                if let Some(Reply::Bulk(p)) = engine.execute(id, &dump) {
                    bodies.push(p[..p.len() - 10].to_vec());
                }
            }
        }
        Seeds { rdb, bodies }
    })
}

/// A valid RDB file with every type and encoding.
pub fn seed_rdb() -> Vec<u8> {
    seeds().rdb.clone()
}

/// DUMP payload bodies (type byte and value, without the footer) of every
/// type and encoding.
pub fn seed_bodies() -> Vec<Vec<u8>> {
    seeds().bodies.clone()
}

/// Loads `data` as an RDB file into fresh databases; a dataset that loads is
/// saved again (every decoded value must be writable). Returns the keys
/// loaded, or the error's text.
pub fn load_rdb(data: &[u8]) -> Result<u64, String> {
    let config = Config::default();
    let mut dbs: Vec<Db> = (0..config.databases.max(1)).map(|_| Db::new()).collect();
    let mut r = RdbReader::with_len(data, data.len() as u64);
    let opts = LoadOptions {
        now_ms: NOW_MS,
        drop_expired: true,
        allow_dup: false,
        verify_checksum: false,
    };
    let stats = rdb::load(&mut r, &mut dbs, &config, opts).map_err(|e| e.to_string())?;
    let mut sink = RdbSink::start(Vec::new(), SaveOptions::from_config(&config, NOW_MS))
        .map_err(|e| e.to_string())?;
    rdb::write_dbs(&mut sink, &dbs, &config).expect("a loaded dataset saves again");
    sink.finish().expect("finish");
    Ok(stats.keys_loaded)
}

/// An engine (with the persistence layer) for RESTORE inputs.
pub struct RestoreDriver {
    pub engine: Engine,
    client: ClientId,
    /// RESTOREs accepted / refused.
    pub accepted: u64,
    pub refused: u64,
}

impl Default for RestoreDriver {
    fn default() -> Self {
        Self::new()
    }
}

impl RestoreDriver {
    pub fn new() -> RestoreDriver {
        let mut engine = new_engine();
        let client = engine.add_client();
        RestoreDriver {
            engine,
            client,
            accepted: 0,
            refused: 0,
        }
    }

    fn run(&mut self, parts: &[&[u8]]) -> Option<Reply> {
        let a: Vec<Bytes> = parts.iter().map(|p| Bytes::copy_from_slice(p)).collect();
        self.engine.execute(self.client, &a)
    }

    /// RESTOREs `body` (with a valid footer and CRC added) under key `k`,
    /// with `sanitize` = sanitize-dump-payload yes/no, then reads it back.
    pub fn restore(&mut self, body: &[u8], sanitize: bool) {
        let mut payload = body.to_vec();
        payload.extend_from_slice(&10u16.to_le_bytes());
        let crc = crc64(&payload);
        payload.extend_from_slice(&crc.to_le_bytes());
        let mode: &[u8] = if sanitize { b"yes" } else { b"no" };
        self.run(&[b"CONFIG", b"SET", b"sanitize-dump-payload", mode]);
        let reply = self.run(&[b"RESTORE", b"k", b"0", &payload, b"REPLACE"]);
        if reply != Some(Reply::OK) {
            self.refused += 1;
            return;
        }
        self.accepted += 1;
        let reads: &[&[&[u8]]] = &[
            &[b"TYPE", b"k"],
            &[b"OBJECT", b"ENCODING", b"k"],
            &[b"STRLEN", b"k"],
            &[b"GETRANGE", b"k", b"0", b"-1"],
            &[b"LRANGE", b"k", b"0", b"-1"],
            &[b"LINDEX", b"k", b"-1"],
            &[b"LPOS", b"k", b"a"],
            &[b"HGETALL", b"k"],
            &[b"HGET", b"k", b"f"],
            &[b"HRANDFIELD", b"k", b"-3", b"WITHVALUES"],
            &[b"SMEMBERS", b"k"],
            &[b"SISMEMBER", b"k", b"1"],
            &[b"SRANDMEMBER", b"k", b"-3"],
            &[b"ZRANGE", b"k", b"0", b"-1", b"WITHSCORES"],
            &[b"ZRANGEBYSCORE", b"k", b"-inf", b"+inf"],
            &[b"ZSCORE", b"k", b"a"],
            &[b"DUMP", b"k"],
            &[b"LPOP", b"k"],
            &[b"HDEL", b"k", b"f"],
            &[b"SPOP", b"k"],
            &[b"ZPOPMIN", b"k"],
            &[b"DEL", b"k"],
        ];
        for r in reads {
            self.run(r);
        }
    }

    /// The engine still answers.
    pub fn assert_alive(&mut self) {
        assert_eq!(
            self.run(&[b"PING"]),
            Some(Reply::Status("PONG".into())),
            "engine stopped answering"
        );
    }
}

/// CRC-64/Jones as in DUMP payloads (reflected, poly 0xad93d23594c935a9).
pub fn crc64(data: &[u8]) -> u64 {
    static TABLE: OnceLock<[u64; 256]> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let poly: u64 = 0x95ac_9329_ac4b_c9b5; // 0xad93d23594c935a9 reflected
        let mut t = [0u64; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            let mut c = i as u64;
            for _ in 0..8 {
                c = if c & 1 == 1 { (c >> 1) ^ poly } else { c >> 1 };
            }
            *slot = c;
        }
        t
    });
    let mut crc = 0u64;
    for &b in data {
        crc = table[((crc ^ b as u64) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

/// Flips, overwrites, inserts or deletes a few bytes (choices from `next`).
pub fn mutate(next: &mut dyn FnMut() -> u32, data: &mut Vec<u8>) {
    for _ in 0..1 + next() % 3 {
        if data.is_empty() {
            data.push(next() as u8);
            continue;
        }
        let i = next() as usize % data.len();
        match next() % 6 {
            0 => data[i] ^= 1 << (next() % 8),
            1 => data[i] = next() as u8,
            2 => data[i] = [0x00, 0x7f, 0x80, 0xc0, 0xc3, 0xf0, 0xfe, 0xff][next() as usize % 8],
            3 => data.insert(i, next() as u8),
            4 => {
                // A length-sized run of 0xff (huge lengths, counts).
                let n = (1 + next() % 8) as usize;
                for j in i..(i + n).min(data.len()) {
                    data[j] = 0xff;
                }
            }
            _ => data.truncate(i),
        }
    }
}
