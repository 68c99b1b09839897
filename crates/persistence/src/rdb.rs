//! Whole RDB streams (files, replication transfers): the `REDIS0010` header,
//! AUX fields, per-database sections, keys with their expiry and LRU/LFU
//! opcodes, EOF and the CRC-64 trailer; and the loader for versions 1-10.

use crate::codec::{self, Encodings};
use crate::error::{RdbError, Result};
use crate::rio::{opcode, RdbReader, RdbWriter, RDB_VERSION};
use ember_core::cmd::object;
use ember_core::db::{AccessStamp, Db};
use ember_core::value::Value;
use ember_core::{Config, Engine};
use std::io::{Read, Write};

/// What the writer needs to know beyond the data.
#[derive(Clone, Debug)]
pub struct SaveOptions {
    pub enc: Encodings,
    /// `rdbcompression`.
    pub compress: bool,
    /// `rdbchecksum` (no: the trailer is 0 and loaders skip the check).
    pub checksum: bool,
    /// Write IDLE (LRU policies) or FREQ (LFU policies) before each key.
    pub save_lru: bool,
    pub save_lfu: bool,
    /// Wall clock, for `ctime` and idle times.
    pub now_ms: i64,
    /// `used-mem` AUX field.
    pub used_mem: u64,
    /// `aof-base` AUX field (an RDB that starts an AOF).
    pub aof_base: bool,
}

impl SaveOptions {
    pub fn from_config(config: &Config, now_ms: i64) -> SaveOptions {
        let policy = &config.maxmemory_policy;
        SaveOptions {
            enc: Encodings::from_config(config),
            compress: config.rdbcompression,
            checksum: config.rdbchecksum,
            save_lru: policy == "allkeys-lru" || policy == "volatile-lru",
            save_lfu: object::lfu_policy(config),
            now_ms,
            used_mem: 0,
            aof_base: false,
        }
    }
}

/// One key as written: the value and its metadata.
pub struct KeyRecord<'a> {
    pub key: &'a [u8],
    pub value: &'a Value,
    pub expire_ms: Option<i64>,
    /// Idle seconds (written under LRU policies).
    pub idle_s: u64,
    /// LFU counter (written under LFU policies).
    pub freq: u8,
}

/// Writes an RDB stream piece by piece (header, databases, keys, trailer).
pub struct RdbSink<W: Write> {
    pub w: RdbWriter<W>,
    pub opts: SaveOptions,
}

impl<W: Write> RdbSink<W> {
    /// Starts the stream: signature and AUX fields (Redis's rdbSaveInfoAuxFields).
    pub fn start(inner: W, opts: SaveOptions) -> Result<Self> {
        let mut w = RdbWriter::new(inner, opts.compress);
        w.write_all(format!("REDIS{RDB_VERSION:04}").as_bytes())?;
        let mut sink = RdbSink { w, opts };
        let ctime = (sink.opts.now_ms / 1000).to_string();
        let used = sink.opts.used_mem.to_string();
        let base = (sink.opts.aof_base as u8).to_string();
        for (k, v) in [
            ("redis-ver", ember_core::REDIS_VERSION),
            ("redis-bits", "64"),
            ("ctime", ctime.as_str()),
            ("used-mem", used.as_str()),
            ("aof-base", base.as_str()),
        ] {
            sink.aux(k.as_bytes(), v.as_bytes())?;
        }
        Ok(sink)
    }

    pub fn aux(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.w.write_u8(opcode::AUX)?;
        self.w.write_string(key)?;
        self.w.write_string(value)
    }

    /// SELECTDB and RESIZEDB for a non-empty database.
    pub fn select_db(&mut self, index: usize, size: usize, expires: usize) -> Result<()> {
        self.w.write_u8(opcode::SELECTDB)?;
        self.w.write_len(index as u64)?;
        self.w.write_u8(opcode::RESIZEDB)?;
        self.w.write_len(size as u64)?;
        self.w.write_len(expires as u64)
    }

    /// One key (Redis's rdbSaveKeyValuePair).
    pub fn key(&mut self, rec: &KeyRecord<'_>) -> Result<()> {
        if let Some(at) = rec.expire_ms {
            self.w.write_u8(opcode::EXPIRETIME_MS)?;
            self.w.write_all(&at.to_le_bytes())?;
        }
        if self.opts.save_lru {
            self.w.write_u8(opcode::IDLE)?;
            self.w.write_len(rec.idle_s)?;
        }
        if self.opts.save_lfu {
            self.w.write_u8(opcode::FREQ)?;
            self.w.write_u8(rec.freq)?;
        }
        self.w.write_u8(codec::type_byte(rec.value))?;
        self.w.write_string(rec.key)?;
        codec::write_body(&mut self.w, rec.value, &self.opts.enc)
    }

    /// EOF and the checksum (0 with `rdbchecksum no`); returns the output.
    pub fn finish(mut self) -> Result<W> {
        self.w.write_u8(opcode::EOF)?;
        let crc = if self.opts.checksum { self.w.crc() } else { 0 };
        self.w.write_all(&crc.to_le_bytes())?;
        self.w.flush()?;
        Ok(self.w.into_inner())
    }
}

/// The key's metadata from its access stamp.
pub fn record<'a>(
    config: &Config,
    now_ms: i64,
    key: &'a [u8],
    value: &'a Value,
    expire_ms: Option<i64>,
    stamp: AccessStamp,
) -> KeyRecord<'a> {
    KeyRecord {
        key,
        value,
        expire_ms,
        idle_s: (object::idle_ms(stamp, now_ms) / 1000).max(0) as u64,
        freq: object::lfu_decr(config, stamp, now_ms).min(255) as u8,
    }
}

/// Writes every database of `dbs` to `sink`.
pub fn write_dbs<W: Write>(sink: &mut RdbSink<W>, dbs: &[Db], config: &Config) -> Result<()> {
    let now = sink.opts.now_ms;
    // The access stamp is only written under LRU/LFU policies: skip its
    // lookup otherwise.
    let stamps = sink.opts.save_lru || sink.opts.save_lfu;
    for (i, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        sink.select_db(i, db.len(), db.expires_count())?;
        for (key, value) in db.keys().iter() {
            let expire = db.expire_of(key);
            let rec = if stamps {
                let stamp = db.stamp_of(key).unwrap_or(0);
                record(config, now, key, value, expire, stamp)
            } else {
                KeyRecord {
                    key,
                    value,
                    expire_ms: expire,
                    idle_s: 0,
                    freq: 0,
                }
            };
            sink.key(&rec)?;
        }
    }
    Ok(())
}

/// Serializes the whole dataset of `engine` as an RDB stream into `out`.
pub fn save_engine<W: Write>(out: W, engine: &Engine, opts: SaveOptions) -> Result<W> {
    let mut sink = RdbSink::start(out, opts)?;
    write_dbs(&mut sink, &engine.dbs, &engine.config)?;
    sink.finish()
}

/// What a load did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadStats {
    pub rdb_version: u32,
    pub keys_loaded: u64,
    /// Keys skipped because their TTL had passed (masters only).
    pub keys_expired: u64,
    pub empty_keys_skipped: u64,
    /// AUX fields as read.
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    /// Bytes read.
    pub bytes: u64,
}

/// How a load treats its target.
#[derive(Clone, Copy, Debug)]
pub struct LoadOptions {
    pub now_ms: i64,
    /// Masters drop keys whose TTL passed; replicas keep them (their master expires them).
    pub drop_expired: bool,
    /// A key already present is replaced instead of failing the load
    /// (DEBUG RELOAD MERGE).
    pub allow_dup: bool,
    /// Verify the CRC-64 trailer (`rdbchecksum`; a stored 0 is never checked).
    pub verify_checksum: bool,
}

/// The most entries one RESIZEDB opcode pre-sizes a table for.
const RESIZEDB_CAP: u64 = 1 << 24;

/// The access stamp of a loaded key (Redis's objectSetLRUOrLFU).
pub(crate) fn restored_stamp(
    config: &Config,
    now_ms: i64,
    idle_s: Option<u64>,
    freq: Option<u8>,
) -> AccessStamp {
    if object::lfu_policy(config) {
        if let Some(f) = freq {
            let minutes = ((now_ms.max(0) / 60_000) & 0xffff) as u32;
            return (minutes << 8) | f as u32;
        }
    } else if let Some(idle) = idle_s {
        let clock = object::lru_clock(now_ms) as i64;
        let max = object::LRU_MASK as i64;
        let mut abs = clock - idle.min(i64::MAX as u64) as i64;
        if abs < 0 {
            abs = (clock + max / 2) % max;
        }
        return abs as AccessStamp;
    }
    object::new_stamp(config, now_ms)
}

/// Loads an RDB stream into `dbs` (Redis's rdbLoadRio). On error the
/// databases hold what was loaded before it.
pub fn load<R: Read>(
    r: &mut RdbReader<R>,
    dbs: &mut [Db],
    config: &Config,
    opts: LoadOptions,
) -> Result<LoadStats> {
    load_observed(r, dbs, config, opts, &mut |_| {})
}

/// What [`load_observed`] reports while it reads (progress, throttling).
pub enum LoadEvent<'a> {
    /// An AUX field (name, value).
    Aux(&'a [u8], &'a [u8]),
    /// A key was read; the stream position after it.
    Key(u64),
}

/// [`load`], calling `observe` for every AUX field and after every key.
pub fn load_observed<R: Read>(
    r: &mut RdbReader<R>,
    dbs: &mut [Db],
    config: &Config,
    opts: LoadOptions,
    observe: &mut dyn FnMut(LoadEvent<'_>),
) -> Result<LoadStats> {
    let enc = Encodings::from_config(config);
    let mut stats = LoadStats::default();
    let header: [u8; 9] = r.read_array()?;
    if &header[..5] != b"REDIS" {
        return Err(RdbError::Signature);
    }
    let version = std::str::from_utf8(&header[5..])
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
        .unwrap_or(0);
    if !(1..=RDB_VERSION as u32).contains(&version) {
        return Err(RdbError::Version(version));
    }
    stats.rdb_version = version;
    let mut db = 0usize;
    let (mut expire, mut idle, mut freq) = (None::<i64>, None::<u64>, None::<u8>);
    loop {
        let ty = r.read_u8()?;
        match ty {
            opcode::EXPIRETIME => {
                expire = Some(i32::from_le_bytes(r.read_array()?) as i64 * 1000);
                continue;
            }
            opcode::EXPIRETIME_MS => {
                expire = Some(i64::from_le_bytes(r.read_array()?));
                continue;
            }
            opcode::FREQ => {
                freq = Some(r.read_u8()?);
                continue;
            }
            opcode::IDLE => {
                idle = Some(r.read_len()?);
                continue;
            }
            opcode::EOF => break,
            opcode::SELECTDB => {
                let id = r.read_len()?;
                if id >= dbs.len() as u64 {
                    return Err(RdbError::TooManyDatabases {
                        db: id,
                        databases: dbs.len(),
                    });
                }
                db = id as usize;
                continue;
            }
            opcode::RESIZEDB => {
                let keys = r.read_len()?;
                let expires = r.read_len()?;
                // Pre-size the tables (Redis's dictExpand): no rehash while
                // they fill. Capped so that a corrupt size cannot make a
                // huge allocation before any key is read.
                let cap = |n: u64| n.min(RESIZEDB_CAP) as usize;
                dbs[db].reserve(cap(keys), cap(expires));
                continue;
            }
            opcode::AUX => {
                let k = r.read_string()?;
                let v = r.read_string()?;
                log_aux(&k, &v, opts.now_ms);
                observe(LoadEvent::Aux(&k, &v));
                stats.aux.push((k, v));
                continue;
            }
            opcode::MODULE_AUX => {
                return Err(RdbError::Unsupported(
                    "The RDB file contains AUX module data I can't load: Ember has no modules"
                        .into(),
                ))
            }
            opcode::FUNCTION | opcode::FUNCTION2 => {
                return Err(RdbError::Unsupported(
                    "The RDB file contains function libraries (FUNCTION2), which Ember does \
                     not support"
                        .into(),
                ))
            }
            _ => {}
        }
        let key = r.read_string()?;
        let value = codec::read_value(r, ty, &enc)?;
        let (at, key_idle, key_freq) = (expire.take(), idle.take(), freq.take());
        observe(LoadEvent::Key(r.position()));
        let Some(value) = value else {
            if stats.empty_keys_skipped < 10 {
                tracing::warn!(
                    "rdbLoadObject skipping empty key: {}",
                    String::from_utf8_lossy(&key)
                );
            }
            stats.empty_keys_skipped += 1;
            continue;
        };
        if opts.drop_expired && at.is_some_and(|at| at < opts.now_ms) {
            stats.keys_expired += 1;
            continue;
        }
        let target = &mut dbs[db];
        let stamp = restored_stamp(config, opts.now_ms, key_idle, key_freq);
        // A new key (the usual case) goes in with one keyspace lookup.
        if let Err(value) = target.insert_loaded(&key, value, at, stamp) {
            if !opts.allow_dup {
                return Err(RdbError::DuplicateKey { db, key });
            }
            target.insert_stamped(&key, value, false, |_| stamp);
            if let Some(at) = at {
                target.set_expire(&key, at);
            }
        }
        stats.keys_loaded += 1;
    }
    if version >= 5 {
        let expected = r.crc();
        let stored = u64::from_le_bytes(r.read_array()?);
        if opts.verify_checksum {
            if stored == 0 {
                tracing::warn!("RDB file was saved with checksum disabled: no check performed.");
            } else if stored != expected {
                return Err(RdbError::Checksum { expected, stored });
            }
        }
    }
    stats.bytes = r.position();
    Ok(stats)
}

/// Redis logs some AUX fields while loading.
fn log_aux(k: &[u8], v: &[u8], now_ms: i64) {
    let text = String::from_utf8_lossy(v);
    match k {
        _ if k.first() == Some(&b'%') => {
            tracing::info!("RDB '{}': {text}", String::from_utf8_lossy(k))
        }
        b"redis-ver" => tracing::info!("Loading RDB produced by version {text}"),
        b"ctime" => {
            let age = (now_ms / 1000 - text.parse::<i64>().unwrap_or(0)).max(0);
            tracing::info!("RDB age {age} seconds");
        }
        b"used-mem" => {
            let used = text.parse::<i64>().unwrap_or(0);
            tracing::info!(
                "RDB memory usage when created {:.2} Mb",
                used as f64 / (1024.0 * 1024.0)
            );
        }
        b"aof-base" if text != "0" => tracing::info!("RDB is base AOF"),
        b"aof-preamble" if text != "0" => tracing::info!("RDB has an AOF tail"),
        _ => {}
    }
}
