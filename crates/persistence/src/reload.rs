//! Loading datasets into the engine: at startup, off the engine lock while
//! clients get `-LOADING` ([`load_at_startup`]); the building blocks a
//! replica's full sync reuses ([`begin_loading`], [`load_rdb_detached`],
//! [`install_loaded`], [`end_loading`]; see /work/notes/load-api.md); and
//! DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE], which loads under the lock.
//!
//! While loading, INFO persistence shows `loading:1` and Redis's
//! `loading_*` progress fields; `key-load-delay` (hidden config, in
//! microseconds per key, negative: sleep 1us every -N keys on average)
//! slows loads down for tests, as in Redis.

use crate::error::{RdbError, Result};
use crate::rdb::{self, LoadEvent, LoadOptions, LoadStats};
use crate::rio::RdbReader;
use crate::save;
use ember_core::config::ParamValue;
use ember_core::db::Db;
use ember_core::{Bytes, CmdError, CmdResult, Config, Ctx, Engine, Reply};
use parking_lot::Mutex;
use std::fmt::Write as _;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant;

/// Progress of a load in flight, written by the loader thread and read by
/// INFO (no engine lock needed on the loader side).
#[derive(Debug, Default)]
pub struct LoadProgress {
    /// Unix seconds when loading started (`loading_start_time`).
    pub start_s: i64,
    /// Input size when known, else 0 (`loading_total_bytes`).
    pub total_bytes: AtomicU64,
    /// Bytes consumed so far (`loading_loaded_bytes`).
    pub loaded_bytes: AtomicU64,
    /// The `used-mem` AUX field of the RDB (`loading_rdb_used_mem`).
    pub rdb_used_mem: AtomicU64,
}

/// The loading state kept in `engine.ext`.
#[derive(Default)]
pub struct Loading {
    pub progress: Option<Arc<LoadProgress>>,
}

/// Enters the loading state (Redis's startLoading): commands without the
/// `loading` flag get `-LOADING`, INFO shows `loading:1`. `total_bytes` is
/// the input size (0 when unknown). Call under the engine lock.
pub fn begin_loading(engine: &mut Engine, total_bytes: u64) -> Arc<LoadProgress> {
    let progress = Arc::new(LoadProgress {
        start_s: unix_s(),
        total_bytes: AtomicU64::new(total_bytes),
        ..Default::default()
    });
    engine.loading = true;
    save::state(engine).loading = true;
    engine.ext.get_or_default::<Loading>().progress = Some(progress.clone());
    progress
}

/// Leaves the loading state (Redis's stopLoading).
pub fn end_loading(engine: &mut Engine) {
    engine.loading = false;
    save::state(engine).loading = false;
    engine.ext.get_or_default::<Loading>().progress = None;
}

/// What a load away from the engine needs, captured under the lock.
#[derive(Clone)]
pub struct DetachedLoad {
    pub config: Config,
    pub now_ms: i64,
    /// Masters drop keys whose TTL passed; replicas keep them.
    pub drop_expired: bool,
    pub verify_checksum: bool,
    /// Databases to create (the engine's count).
    pub databases: usize,
}

impl DetachedLoad {
    pub fn from_engine(engine: &Engine) -> DetachedLoad {
        DetachedLoad {
            config: engine.config.clone(),
            now_ms: engine.now_ms(),
            drop_expired: !engine.is_replica,
            verify_checksum: save::verify_checksums(engine),
            databases: engine.dbs.len(),
        }
    }

    /// `key-load-delay` (0: none).
    fn key_load_delay(&self) -> i64 {
        match self.config.params.get("key-load-delay") {
            Some(ParamValue::Num(n)) => *n,
            _ => 0,
        }
    }
}

/// Redis's debugDelay: sleeps `usec` microseconds; a negative value sleeps
/// 1us with probability 1/-usec.
fn debug_delay(usec: i64, counter: &mut u64) {
    let usec = if usec < 0 {
        *counter += 1;
        u64::from(counter.is_multiple_of(usec.unsigned_abs()))
    } else {
        usec as u64
    };
    if usec > 0 {
        std::thread::sleep(std::time::Duration::from_micros(usec));
    }
}

/// Reads a whole RDB stream into fresh databases, without the engine (call
/// it off the lock). `len`: the bytes the input holds when known (lengths
/// are then capped by it), or `None` for a stream of unknown size. Progress
/// goes to `progress`. Logs Redis's AUX lines and the "Done loading RDB"
/// line. Returns the databases and what was loaded.
pub fn load_rdb_detached<R: Read>(
    input: R,
    len: Option<u64>,
    params: &DetachedLoad,
    progress: &LoadProgress,
) -> Result<(Vec<Db>, LoadStats)> {
    let mut reader = match len {
        Some(n) => RdbReader::with_len(input, n),
        None => RdbReader::new(input),
    };
    let mut dbs: Vec<Db> = (0..params.databases.max(1)).map(|_| Db::new()).collect();
    let opts = LoadOptions {
        now_ms: params.now_ms,
        drop_expired: params.drop_expired,
        allow_dup: false,
        verify_checksum: params.verify_checksum,
    };
    let delay = params.key_load_delay();
    let mut counter = 0u64;
    let mut observe = |ev: LoadEvent<'_>| match ev {
        LoadEvent::Key(pos) => {
            progress.loaded_bytes.store(pos, Relaxed);
            if delay != 0 {
                debug_delay(delay, &mut counter);
            }
        }
        LoadEvent::Aux(k, v) => {
            if k == b"used-mem" {
                let used = std::str::from_utf8(v).ok().and_then(|s| s.parse().ok());
                progress.rdb_used_mem.store(used.unwrap_or(0), Relaxed);
            }
        }
    };
    let result = rdb::load_observed(&mut reader, &mut dbs, &params.config, opts, &mut observe);
    progress.loaded_bytes.store(reader.position(), Relaxed);
    let stats = result.inspect_err(|e| tracing::warn!("{e}"))?;
    log_done(&stats);
    Ok((dbs, stats))
}

/// Swaps loaded databases in (under the lock) and records the load's
/// statistics. Returns the databases they replace, to drop off the lock.
pub fn install_loaded(engine: &mut Engine, mut dbs: Vec<Db>, stats: &LoadStats) -> Vec<Db> {
    engine.signal_flushed_db(None);
    dbs.resize_with(engine.dbs.len(), Db::new);
    let old = std::mem::replace(&mut engine.dbs, dbs);
    let st = save::state(engine);
    st.last_load_keys_loaded = stats.keys_loaded;
    st.last_load_keys_expired = stats.keys_expired;
    old
}

/// Redis's "Done loading RDB" line.
fn log_done(stats: &LoadStats) {
    if stats.empty_keys_skipped > 0 {
        tracing::warn!(
            "Done loading RDB, keys loaded: {}, keys expired: {}, empty keys skipped: {}.",
            stats.keys_loaded,
            stats.keys_expired,
            stats.empty_keys_skipped
        );
    } else {
        tracing::info!(
            "Done loading RDB, keys loaded: {}, keys expired: {}.",
            stats.keys_loaded,
            stats.keys_expired
        );
    }
}

fn unix_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Whether startup has a file to read: the AOF (directory or a pre-7.0
/// single file) when `appendonly yes`, else the RDB file. With nothing to
/// read Redis never answers -LOADING: it serves no client before its start
/// completes, and the server does the same.
pub fn has_data_to_load(config: &Config) -> bool {
    if config.appendonly {
        crate::aof::aof_dir(config).exists()
            || Path::new(&config.dir).join(&config.appendfilename).exists()
    } else {
        save::rdb_path(config).exists()
    }
}

/// Startup (Redis's loadDataFromDisk plus aofOpenIfNeededOnServerStart):
/// loads the AOF (`appendonly yes`) or the RDB file with the engine in the
/// loading state, reading and building the dataset off the lock so that
/// connections are served (`-LOADING`, INFO) meanwhile; then swaps the data
/// in and opens the AOF for appending. Blocks the calling thread (run it on
/// a thread of its own). `Err`: the server must not start (logged).
pub fn load_at_startup(shared: &Mutex<Engine>) -> std::result::Result<(), String> {
    let appendonly = shared.lock().config.appendonly;
    if appendonly {
        load_aof_at_startup(shared)
    } else {
        load_rdb_at_startup(shared)
    }
}

fn load_rdb_at_startup(shared: &Mutex<Engine>) -> std::result::Result<(), String> {
    let (path, params, sh) = {
        let mut e = shared.lock();
        let sh = crate::aof::shared(&mut e);
        crate::aof::sync_config(&mut crate::aof::writer::lock(&sh), &e.config);
        (save::rdb_path(&e.config), DetachedLoad::from_engine(&e), sh)
    };
    let started = Instant::now();
    let file = match std::fs::File::open(&path) {
        Ok(f) => Some(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            let msg = format!("Fatal error loading the DB: {e}. Exiting.");
            tracing::warn!("{msg}");
            return Err(msg);
        }
    };
    if let Some(file) = file {
        let size = file.metadata().map_or(0, |m| m.len());
        let progress = begin_loading(&mut shared.lock(), size);
        let input = BufReader::with_capacity(1 << 16, file);
        let loaded = load_rdb_detached(input, Some(size), &params, &progress);
        let (dbs, stats) = match loaded {
            Ok(x) => x,
            Err(e) => {
                end_loading(&mut shared.lock());
                let msg = format!("Fatal error loading the DB: {e}. Exiting.");
                tracing::warn!("{msg}");
                return Err(msg);
            }
        };
        let old = {
            let mut e = shared.lock();
            let old = install_loaded(&mut e, dbs, &stats);
            end_loading(&mut e);
            old
        };
        drop(old);
        tracing::info!(
            "DB loaded from disk: {:.3} seconds",
            started.elapsed().as_secs_f64()
        );
    }
    // The manifest of an AOF directory left from an earlier run (history
    // files of a rewrite are removed, as aof::open does).
    let (dir, filename) = {
        let e = shared.lock();
        (
            crate::aof::aof_dir(&e.config),
            e.config.appendfilename.clone(),
        )
    };
    let mut g = crate::aof::writer::lock(&sh);
    g.manifest = crate::aof::manifest::load(&dir, &filename)?;
    crate::aof::rewrite::delete_history(&mut g);
    Ok(())
}

/// The AOF is replayed into a scratch engine built from the same
/// configuration (commands need an engine to run), off the lock; its
/// databases are then swapped in and the incr file opened for appending.
fn load_aof_at_startup(shared: &Mutex<Engine>) -> std::result::Result<(), String> {
    let (sh, mut scratch, total) = {
        let mut e = shared.lock();
        let sh = crate::aof::shared(&mut e);
        crate::aof::sync_config(&mut crate::aof::writer::lock(&sh), &e.config);
        let (dir, filename) = {
            let g = crate::aof::writer::lock(&sh);
            (g.dir.clone(), g.filename.clone())
        };
        crate::aof::writer::lock(&sh).manifest = crate::aof::manifest::load(&dir, &filename)?;
        let mut config = e.config.clone();
        // ACL users are the real engine's business, not the replay's.
        config.aclfile.clear();
        config.acl_users.clear();
        let scratch =
            crate::install(Engine::builder().config(config).clock(e.clock.clone())).build();
        let total = aof_total_bytes(&e.config, &dir, &filename);
        (sh, scratch, total)
    };
    scratch.is_replica = shared.lock().is_replica;
    let progress = begin_loading(&mut shared.lock(), total);
    let started = Instant::now();
    let status = crate::aof::load::load_all(&mut scratch, &sh);
    progress.loaded_bytes.store(total, Relaxed);
    use crate::aof::load::LoadStatus;
    if matches!(status, LoadStatus::Failed | LoadStatus::OpenErr) {
        end_loading(&mut shared.lock());
        return Err("Error loading the append only file".into());
    }
    if !matches!(status, LoadStatus::NotExist) {
        tracing::info!(
            "DB loaded from append only file: {:.3} seconds",
            started.elapsed().as_secs_f64()
        );
    }
    let dbs = std::mem::take(&mut scratch.dbs);
    let (loaded, expired) = {
        let st = save::state(&mut scratch);
        (st.last_load_keys_loaded, st.last_load_keys_expired)
    };
    let stats = LoadStats {
        keys_loaded: loaded,
        keys_expired: expired,
        ..Default::default()
    };
    let old = {
        let mut e = shared.lock();
        let old = install_loaded(&mut e, dbs, &stats);
        e.dirty += scratch.dirty;
        e.stats.expired_keys += scratch.stats.expired_keys;
        end_loading(&mut e);
        let opened = crate::aof::open_on_start(&mut e, &sh);
        crate::aof::rewrite::delete_history(&mut crate::aof::writer::lock(&sh));
        opened?;
        old
    };
    drop(old);
    Ok(())
}

/// Sum of the sizes of the AOF files (manifest's base and incr files, or a
/// legacy single file), for `loading_total_bytes`.
fn aof_total_bytes(config: &Config, dir: &Path, filename: &str) -> u64 {
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let legacy = Path::new(&config.dir).join(filename);
    let am = crate::aof::manifest::load(dir, filename).unwrap_or_default();
    let listed: u64 = am
        .base
        .iter()
        .chain(&am.incr)
        .map(|f| size(&dir.join(&f.name)))
        .sum();
    listed.max(size(&legacy))
}

/// INFO persistence: the persistence layer's section, then Redis's
/// `loading_*` fields while a load runs.
pub fn info_section(engine: &Engine) -> String {
    let mut s = save::info_section(engine);
    let Some(p) = engine
        .ext
        .get::<Loading>()
        .and_then(|l| l.progress.as_ref())
    else {
        return s;
    };
    let total = p.total_bytes.load(Relaxed);
    let loaded = p.loaded_bytes.load(Relaxed);
    let used_mem = p.rdb_used_mem.load(Relaxed);
    let (mut perc, mut remaining) = (0.0f64, 1i64);
    if total > 0 {
        perc = loaded as f64 / total as f64 * 100.0;
        remaining = total as i64 - loaded as i64;
    } else if used_mem > 0 {
        perc = (loaded as f64 / used_mem as f64 * 100.0).min(99.99);
        remaining = (used_mem as i64 - loaded as i64).max(1);
    }
    let elapsed = unix_s() - p.start_s;
    let eta = if elapsed == 0 {
        1
    } else {
        elapsed * remaining / (loaded as i64 + 1)
    };
    let _ = write!(
        s,
        "loading_start_time:{}\r\nloading_total_bytes:{total}\r\nloading_rdb_used_mem:{used_mem}\r\n\
         loading_loaded_bytes:{loaded}\r\nloading_loaded_perc:{perc:.2}\r\nloading_eta_seconds:{eta}\r\n",
        p.start_s
    );
    s
}

/// Loads the RDB file at `path` into the engine's databases (keys already
/// present are an error unless `allow_dup`), under the caller's lock.
/// Logs Redis's lines.
pub fn load_file_with(engine: &mut Engine, path: &Path, allow_dup: bool) -> Result<LoadStats> {
    let started = Instant::now();
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    let mut reader = RdbReader::with_len(BufReader::with_capacity(1 << 16, file), size);
    let opts = LoadOptions {
        now_ms: engine.now_ms(),
        drop_expired: !engine.is_replica,
        allow_dup,
        verify_checksum: save::verify_checksums(engine),
    };
    save::state(engine).loading = true;
    let result = rdb::load(&mut reader, &mut engine.dbs, &engine.config, opts);
    let st = save::state(engine);
    st.loading = false;
    let stats = match result {
        Ok(stats) => stats,
        Err(e) => {
            tracing::warn!("{e}");
            return Err(e);
        }
    };
    st.last_load_keys_loaded = stats.keys_loaded;
    st.last_load_keys_expired = stats.keys_expired;
    log_done(&stats);
    tracing::info!(
        "DB loaded from disk: {:.3} seconds",
        started.elapsed().as_secs_f64()
    );
    Ok(stats)
}

/// Loads `path` into the engine under the caller's lock. A missing file is
/// `RdbError::Io` with kind `NotFound`, which the caller treats as an empty
/// dataset (as Redis does).
pub fn load_file(engine: &mut Engine, path: impl AsRef<Path>) -> Result<LoadStats> {
    load_file_with(engine, path.as_ref(), false)
}

/// DEBUG RELOAD: save (unless NOSAVE), empty the dataset (unless NOFLUSH),
/// load the file back (MERGE: file keys replace existing ones).
pub fn debug_reload(ctx: &mut Ctx, opts: &[Bytes]) -> CmdResult {
    let (mut merge, mut flush, mut save) = (false, true, true);
    for o in opts {
        if o.eq_ignore_ascii_case(b"merge") {
            merge = true;
        } else if o.eq_ignore_ascii_case(b"noflush") {
            flush = false;
        } else if o.eq_ignore_ascii_case(b"nosave") {
            save = false;
        } else {
            return Err(CmdError::err(
                "DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
            ));
        }
    }
    if save && save::save_now(ctx.engine).is_err() {
        return Ok(Reply::error("ERR"));
    }
    if flush {
        ctx.engine.signal_flushed_db(None);
        for db in ctx.engine.dbs.iter_mut() {
            db.clear();
        }
    }
    let path = save::rdb_path(&ctx.engine.config);
    match load_file_with(ctx.engine, &path, merge) {
        Ok(_) => {
            tracing::warn!("DB reloaded by DEBUG RELOAD");
            Ok(Reply::OK)
        }
        Err(RdbError::DuplicateKey { .. }) | Err(_) => Err(CmdError::err(
            "Error trying to load the RDB dump, check server logs.",
        )),
    }
}
