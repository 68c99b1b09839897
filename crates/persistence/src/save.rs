//! Saving the dataset to `dir`/`dbfilename`: SAVE, BGSAVE [SCHEDULE], save
//! points checked from the cron, save on shutdown, and the persistence
//! section of INFO.
//!
//! Files are written to a temporary name in `dir`, flushed, fsync'ed and
//! renamed over the target (then the directory is fsync'ed), so a crash leaves
//! either the old file or the new one.
//!
//! BGSAVE runs on the fork-less snapshot (`crate::snapshot`): the image is
//! the dataset at the moment BGSAVE ran, serialized in slices between
//! commands and written by a background thread to a temporary file that is
//! fsync'ed and renamed when complete. Entries changed meanwhile are copied
//! once, before their first change (see `ember_core::snapshot`).

use crate::error::{RdbError, Result};
use crate::rdb::{self, RdbSink, SaveOptions};
use crate::snapshot::{self, Kind};
use ember_core::{Config, Engine};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Redis waits this long after a failed background save before the save
/// points may start another (CONFIG_BGSAVE_RETRY_DELAY).
const BGSAVE_RETRY_DELAY_S: i64 = 5;

/// Persistence state kept in the engine (`engine.ext`).
pub struct State {
    pub bgsave: Option<BgSave>,
    /// BGSAVE SCHEDULE (or BGSAVE inside MULTI): start when possible.
    pub bgsave_scheduled: bool,
    pub last_bgsave_ok: bool,
    pub last_bgsave_time_s: i64,
    /// Unix seconds of the last background save attempt (for the retry delay).
    pub last_bgsave_try_s: i64,
    /// SAVE and BGSAVE runs (INFO `rdb_saves`).
    pub rdb_saves: u64,
    pub last_load_keys_loaded: u64,
    pub last_load_keys_expired: u64,
    pub loading: bool,
    /// DEBUG SET-SKIP-CHECKSUM-VALIDATION: RDB loads and RESTORE accept a
    /// payload whatever its CRC-64 (Redis's skip_checksum_validation).
    pub skip_checksum_validation: bool,
}

impl Default for State {
    fn default() -> Self {
        State {
            bgsave: None,
            bgsave_scheduled: false,
            last_bgsave_ok: true,
            last_bgsave_time_s: -1,
            last_bgsave_try_s: 0,
            rdb_saves: 0,
            last_load_keys_loaded: 0,
            last_load_keys_expired: 0,
            loading: false,
            skip_checksum_validation: false,
        }
    }
}

/// A background save in progress.
pub struct BgSave {
    /// The snapshot's id.
    pub id: u64,
    started_ms: i64,
    /// `engine.dirty` when the snapshot was taken.
    dirty_at_start: u64,
    keys_total: u64,
}

pub fn state(engine: &mut Engine) -> &mut State {
    engine.ext.get_or_default::<State>()
}

/// Whether loads check the RDB's CRC-64: `rdbchecksum`, unless DEBUG
/// SET-SKIP-CHECKSUM-VALIDATION turned checks off.
pub fn verify_checksums(engine: &Engine) -> bool {
    let skip = engine
        .ext
        .get::<State>()
        .is_some_and(|s| s.skip_checksum_validation);
    engine.config.rdbchecksum && !skip
}

/// `dir`/`dbfilename`, as the server resolves file names.
pub fn rdb_path(config: &Config) -> PathBuf {
    Path::new(&config.dir).join(&config.dbfilename)
}

/// Writes `data` (an RDB stream written by `fill`) to `path` through a
/// temporary file in the same directory, fsync and rename.
pub fn write_file_atomically(
    path: &Path,
    tmp_name: &str,
    fill: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let tmp = dir
        .map(|d| d.join(tmp_name))
        .unwrap_or_else(|| PathBuf::from(tmp_name));
    let file = File::create(&tmp).map_err(|e| {
        tracing::warn!(
            "Failed opening the temp RDB file {tmp_name} (in server root dir {}) for saving: {e}",
            dir.map(|d| d.display().to_string())
                .unwrap_or_else(|| ".".into())
        );
        RdbError::Io(e)
    })?;
    let mut out = BufWriter::with_capacity(1 << 16, file);
    let result = fill(&mut out)
        .and_then(|()| out.flush().map_err(RdbError::from))
        .and_then(|()| out.get_ref().sync_all().map_err(RdbError::from))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(RdbError::from));
    if let Err(e) = result {
        tracing::warn!("Write error saving DB on disk: {e}");
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if let Some(d) = dir {
        if let Ok(f) = File::open(d) {
            let _ = f.sync_all();
        }
    }
    Ok(())
}

fn save_options(engine: &Engine) -> SaveOptions {
    let mut opts = SaveOptions::from_config(&engine.config, engine.now_ms());
    opts.used_mem = ember_core::cmd::info::used_memory();
    opts
}

/// SAVE: serializes the dataset on the calling thread (Redis's rdbSave).
pub fn save_now(engine: &mut Engine) -> Result<()> {
    let path = rdb_path(&engine.config);
    let opts = save_options(engine);
    let tmp = format!("temp-{}.rdb", std::process::id());
    let result = write_file_atomically(&path, &tmp, |out| {
        let mut sink = RdbSink::start(out, opts)?;
        rdb::write_dbs(&mut sink, &engine.dbs, &engine.config)?;
        sink.finish().map(|_| ())
    });
    state(engine).rdb_saves += 1;
    if result.is_ok() {
        tracing::info!("DB saved on disk");
        engine.dirty = 0;
        engine.lastsave_s = engine.now_ms() / 1000;
        state(engine).last_bgsave_ok = true;
    }
    result
}

/// A file written by the snapshot's writer thread: a temporary file in the
/// target's directory, flushed, fsync'ed and renamed over the target when
/// complete (then the directory is fsync'ed); removed when abandoned.
pub struct FileOutput {
    out: BufWriter<File>,
    tmp: PathBuf,
    /// None: keep the temporary name (the caller installs it).
    dest: Option<PathBuf>,
}

impl FileOutput {
    pub fn create(tmp: PathBuf, dest: Option<PathBuf>) -> Result<FileOutput> {
        let file = File::create(&tmp).inspect_err(|e| {
            tracing::warn!(
                "Failed opening the temp RDB file {} for saving: {e}",
                tmp.display()
            );
        })?;
        Ok(FileOutput {
            out: BufWriter::with_capacity(1 << 16, file),
            tmp,
            dest,
        })
    }
}

impl snapshot::Output for FileOutput {
    fn write_chunk(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.out.write_all(buf)
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        let r = self
            .out
            .flush()
            .and_then(|()| self.out.get_ref().sync_all())
            .map_err(RdbError::from)
            .and_then(|()| match &self.dest {
                Some(dest) => std::fs::rename(&self.tmp, dest).map_err(RdbError::from),
                None => Ok(()),
            });
        if let Err(e) = r {
            tracing::warn!("Write error saving DB on disk: {e}");
            let _ = std::fs::remove_file(&self.tmp);
            return Err(e);
        }
        if let Some(dir) = self
            .dest
            .as_deref()
            .and_then(Path::parent)
            .filter(|d| !d.as_os_str().is_empty())
        {
            if let Ok(f) = File::open(dir) {
                let _ = f.sync_all();
            }
        }
        Ok(())
    }

    fn abandon(self: Box<Self>) {
        let tmp = self.tmp.clone();
        drop(self);
        let _ = std::fs::remove_file(tmp);
    }
}

/// Starts a background save (Redis's rdbSaveBackground). Errors when one
/// is already running.
pub fn bgsave_start(engine: &mut Engine) -> Result<()> {
    bgsave_start_with_aux(engine, Vec::new()).map(|_| ())
}

/// [`bgsave_start`] with extra AUX fields (a disk-based replica full sync:
/// Redis's rdbSaveBackground with replication info, `repl-stream-db`,
/// `repl-id`, `repl-offset`). Returns the snapshot's id; the save is over
/// when `state(engine).bgsave` no longer has it (`last_bgsave_ok` tells).
pub fn bgsave_start_with_aux(
    engine: &mut Engine,
    extra_aux: Vec<(Vec<u8>, Vec<u8>)>,
) -> Result<u64> {
    // The snapshot of a killed AOF rewrite is of no use any more.
    if snapshot::busy(engine) == Some(Kind::AofRewrite) && !crate::aof::rewrite_in_progress(engine)
    {
        snapshot::abort_kind(engine, Kind::AofRewrite);
    }
    if state(engine).bgsave.is_some() || snapshot::busy(engine).is_some() {
        return Err(RdbError::Unsupported(
            "Background save already in progress".into(),
        ));
    }
    let now = engine.now_ms();
    let path = rdb_path(&engine.config);
    let tmp_name = format!("temp-{}-bg.rdb", std::process::id());
    let tmp = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.join(&tmp_name))
        .unwrap_or_else(|| PathBuf::from(&tmp_name));
    {
        let st = state(engine);
        st.last_bgsave_try_s = now / 1000;
        st.rdb_saves += 1;
    }
    let started = FileOutput::create(tmp, Some(path)).and_then(|out| {
        let opts = snapshot::Options {
            kind: Kind::Bgsave,
            format: snapshot::Format::Rdb(save_options(engine)),
            extra_aux,
        };
        snapshot::start_with(engine, Box::new(out), opts, Box::new(bgsave_done))
    });
    match started {
        Ok(id) => {
            let keys_total = snapshot::progress(engine).map_or(0, |p| p.1);
            let dirty = engine.dirty;
            let st = state(engine);
            st.bgsave = Some(BgSave {
                id,
                started_ms: now,
                dirty_at_start: dirty,
                keys_total,
            });
            st.bgsave_scheduled = false;
            tracing::info!("Background saving started");
            Ok(id)
        }
        Err(e) => {
            state(engine).last_bgsave_ok = false;
            tracing::warn!("Can't save in background: {e}");
            Err(e)
        }
    }
}

/// The end of a background save (Redis's backgroundSaveDoneHandler).
fn bgsave_done(engine: &mut Engine, result: Result<snapshot::Done>) {
    let now = engine.now_ms();
    let st = state(engine);
    let Some(job) = st.bgsave.take() else { return };
    st.last_bgsave_time_s = (now - job.started_ms) / 1000;
    match result {
        Ok(_) => {
            st.last_bgsave_ok = true;
            tracing::info!("DB saved on disk");
            tracing::info!("Background saving terminated with success");
            engine.dirty = engine.dirty.saturating_sub(job.dirty_at_start);
            engine.lastsave_s = now / 1000;
        }
        Err(e) => {
            st.last_bgsave_ok = false;
            tracing::warn!("Background saving error: {e}");
        }
    }
}

/// Collects a finished background save. With `wait`, runs it to the end
/// on the calling thread first.
pub fn bgsave_collect(engine: &mut Engine, wait: bool) {
    if wait && state(engine).bgsave.is_some() {
        snapshot::run_to_completion(engine);
    } else {
        snapshot::cron(engine);
    }
}

/// True while a background save runs (or an RDB snapshot for a replica:
/// Redis's `child_type == CHILD_TYPE_RDB`).
pub fn bgsave_in_progress(engine: &Engine) -> bool {
    engine
        .ext
        .get::<State>()
        .is_some_and(|s| s.bgsave.is_some())
        || snapshot::busy(engine) == Some(Kind::Replication)
}

/// Periodic work (call from the server cron): collect a finished background
/// save, start a scheduled one, and check the save points (Redis's
/// serverCron persistence part).
pub fn cron(engine: &mut Engine) {
    bgsave_collect(engine, false);
    if bgsave_in_progress(engine) || crate::aof::rewrite_in_progress(engine) {
        return;
    }
    if state(engine).bgsave_scheduled {
        let _ = bgsave_start(engine);
        return;
    }
    let now_s = engine.now_ms() / 1000;
    let (ok, last_try) = {
        let st = state(engine);
        (st.last_bgsave_ok, st.last_bgsave_try_s)
    };
    let since_save = now_s - engine.lastsave_s;
    let point = engine.config.save.iter().copied().find(|&(secs, changes)| {
        engine.dirty >= changes.max(0) as u64
            && since_save > secs
            && (ok || now_s - last_try > BGSAVE_RETRY_DELAY_S)
    });
    if let Some((secs, changes)) = point {
        tracing::info!("{changes} changes in {secs} seconds. Saving...");
        let _ = bgsave_start(engine);
    }
}

/// Save on shutdown (call when the engine asks to stop): saves when SHUTDOWN
/// SAVE was given, or save points are configured and SHUTDOWN NOSAVE was not.
/// A running background save is killed first (its temporary file removed),
/// as Redis kills its RDB child. `Ok(false)`: nothing saved.
pub fn save_on_shutdown(engine: &mut Engine) -> Result<bool> {
    use ember_core::engine::ShutdownRequest;
    if bgsave_in_progress(engine) {
        tracing::warn!("There is a child saving an .rdb. Killing it!");
        snapshot::kill(engine, &[Kind::Bgsave, Kind::Replication]);
    }
    let wanted = match engine.shutdown {
        Some(ShutdownRequest::Save) => true,
        Some(ShutdownRequest::NoSave) => false,
        _ => !engine.config.save.is_empty(),
    };
    if !wanted {
        return Ok(false);
    }
    tracing::info!("Saving the final RDB snapshot before exiting.");
    match save_now(engine) {
        Ok(()) => Ok(true),
        Err(e) => {
            tracing::warn!("Error trying to save the DB, can't exit.");
            Err(e)
        }
    }
}

/// INFO persistence (replaces the core's placeholder section).
pub fn info_section(engine: &Engine) -> String {
    let default = State::default();
    let st = engine.ext.get::<State>().unwrap_or(&default);
    let now = engine.now_ms();
    // A replica's snapshot counts as Redis's RDB child does.
    let (in_progress, current_s, keys_total) = match (&st.bgsave, snapshot::busy(engine)) {
        (Some(b), _) => (1, (now - b.started_ms) / 1000, b.keys_total),
        (None, Some(Kind::Replication)) => (
            1,
            snapshot::started_ms(engine).map_or(0, |t| (now - t) / 1000),
            snapshot::progress(engine).map_or(0, |p| p.1),
        ),
        _ => (0, -1, 0),
    };
    let keys_done = snapshot::progress(engine).map_or(0, |p| p.0);
    let mut s = String::new();
    let mut f = |name: &str, value: &dyn std::fmt::Display| {
        let _ = write!(s, "{name}:{value}\r\n");
    };
    f("loading", &(st.loading as u8));
    f("async_loading", &0);
    f("current_cow_peak", &0);
    f("current_cow_size", &0);
    f("current_cow_size_age", &0);
    f("current_fork_perc", &"0.00");
    f("current_save_keys_processed", &keys_done);
    f("current_save_keys_total", &keys_total);
    f("rdb_changes_since_last_save", &engine.dirty);
    f("rdb_bgsave_in_progress", &in_progress);
    f("rdb_last_save_time", &engine.lastsave_s);
    f(
        "rdb_last_bgsave_status",
        &if st.last_bgsave_ok { "ok" } else { "err" },
    );
    f("rdb_last_bgsave_time_sec", &st.last_bgsave_time_s);
    f("rdb_current_bgsave_time_sec", &current_s);
    f("rdb_saves", &st.rdb_saves);
    f("rdb_last_cow_size", &0);
    f("rdb_last_load_keys_expired", &st.last_load_keys_expired);
    f("rdb_last_load_keys_loaded", &st.last_load_keys_loaded);
    // The AOF fields come from the AOF layer (aof_current_size... only while on).
    s.push_str(&crate::aof::info_fields(engine));
    s.push_str("module_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n");
    s.push_str(&crate::aof::info_tail(engine));
    s
}
