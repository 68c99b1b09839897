//! The append-only file as Redis 7.0 writes it: a directory (`appenddirname`)
//! holding a manifest, one base file (an RDB with `aof-use-rdb-preamble yes`,
//! else commands) and incr files of commands in RESP multibulk form.
//!
//! - [`writer`]: the state shared by the engine, the fsync thread and a
//!   background rewrite; writes come from the engine's propagation sink, so
//!   they are already deterministic (PEXPIREAT, SET ... PXAT), with SELECT
//!   when the database changes and MULTI ... EXEC units kept whole.
//! - [`manifest`]: reading and writing `appendonly.aof.manifest`.
//! - [`load`]: loading at startup and by DEBUG LOADAOF (legacy single-file
//!   AOFs included, torn tails truncated under `aof-load-truncated`).
//! - [`rewrite`]: BGREWRITEAOF without fork, automatic rewrites.
//!
//! Server wiring: [`open`] once at startup (loads the AOF, or the RDB when
//! `appendonly no`) and [`shutdown`] before exit; optionally
//! [`set_deferred_flush`] plus [`flush`] after each batch of commands.
//! [`crate::install`] registers BGREWRITEAOF, the CONFIG SET hook, [`cron`]
//! and the INFO fields.

pub mod load;
pub mod manifest;
pub mod rewrite;
pub mod writer;

#[cfg(test)]
mod tests;

use ember_core::args::Args;
use ember_core::command::{flags::*, Command};
use ember_core::{CmdError, CmdResult, Config, Ctx, Engine, Reply};
use load::LoadStatus;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use writer::{lock, Inner, Shared};
pub use writer::{Fsync, Status};

/// The AOF state kept in `engine.ext`.
pub struct Aof {
    pub shared: Shared,
}

/// `dir`/`appenddirname`.
pub fn aof_dir(config: &Config) -> PathBuf {
    Path::new(&config.dir).join(&config.appenddirname)
}

/// Copies the parameters the writer acts on from the configuration.
pub(crate) fn sync_config(g: &mut Inner, config: &Config) {
    g.dir = aof_dir(config);
    g.filename = config.appendfilename.clone();
    g.policy = Fsync::from_config(&config.appendfsync);
    g.no_fsync_on_rewrite = config.no_appendfsync_on_rewrite;
    g.timestamps = config.aof_timestamp_enabled;
}

/// The shared AOF state, created on first use together with its
/// propagation sink and fsync thread.
pub fn shared(engine: &mut Engine) -> Shared {
    if let Some(a) = engine.ext.get::<Aof>() {
        return a.shared.clone();
    }
    let mut inner = Inner::default();
    sync_config(&mut inner, &engine.config);
    let shared: Shared = Arc::new(std::sync::Mutex::new(inner));
    writer::spawn_fsync_thread(Arc::downgrade(&shared));
    let sink = shared.clone();
    // Only `status != Off` can accept a write (see Inner::accepting).
    let enabled = lock(&shared).enabled.clone();
    engine.add_propagation_sink(Box::new(move |db, argv| {
        if enabled.load(std::sync::atomic::Ordering::Relaxed) {
            lock(&sink).feed(db, argv)
        }
    }));
    engine.ext.insert(Aof {
        shared: shared.clone(),
    });
    shared
}

fn peek(engine: &Engine) -> Option<&Shared> {
    engine.ext.get::<Aof>().map(|a| &a.shared)
}

/// True while a background rewrite runs (BGSAVE answers "Another child
/// process is active" meanwhile, as in Redis).
pub fn rewrite_in_progress(engine: &Engine) -> bool {
    peek(engine).is_some_and(|s| lock(s).rewrite.is_some())
}

/// The AOF status (Off / On / WaitRewrite).
pub fn status(engine: &Engine) -> Status {
    peek(engine).map_or(Status::Off, |s| lock(s).status)
}

/// Startup (Redis's loadDataFromDisk, aofOpenIfNeededOnServerStart and
/// aofDelHistoryFiles): with `appendonly yes` loads the AOF directory (or a
/// legacy single file) and opens the incr file for appending, creating a
/// base first when there is no AOF yet; with `appendonly no` loads the RDB
/// file if there is one. An error means the server must not start (it has
/// been logged as Redis logs it).
pub fn open(engine: &mut Engine) -> Result<(), String> {
    let sh = shared(engine);
    sync_config(&mut lock(&sh), &engine.config);
    let (dir, filename) = {
        let g = lock(&sh);
        (g.dir.clone(), g.filename.clone())
    };
    lock(&sh).manifest = manifest::load(&dir, &filename)?;
    if engine.config.appendonly {
        let started = Instant::now();
        match load::load_all(engine, &sh) {
            LoadStatus::Failed | LoadStatus::OpenErr => {
                return Err("Error loading the append only file".into())
            }
            LoadStatus::NotExist => {}
            _ => tracing::info!(
                "DB loaded from append only file: {:.3} seconds",
                started.elapsed().as_secs_f64()
            ),
        }
        open_on_start(engine, &sh)?;
    } else {
        let path = crate::save::rdb_path(&engine.config);
        match crate::reload::load_file(engine, &path) {
            Ok(_) => {}
            Err(crate::RdbError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                let msg = format!("Fatal error loading the DB: {e}. Exiting.");
                tracing::warn!("{msg}");
                return Err(msg);
            }
        }
    }
    rewrite::delete_history(&mut lock(&sh));
    Ok(())
}

/// Opens the last incr file for appending (Redis's aofOpenIfNeededOnServerStart).
pub(crate) fn open_on_start(engine: &mut Engine, sh: &Shared) -> Result<(), String> {
    let mut g = lock(sh);
    if let Err(e) = std::fs::create_dir_all(&g.dir) {
        let msg = format!(
            "Can't open or create append-only dir {}: {e}",
            g.dir.display()
        );
        tracing::warn!("{msg}");
        return Err(msg);
    }
    let filename = g.filename.clone();
    if g.manifest.is_empty() {
        let base = g
            .manifest
            .new_base(&filename, engine.config.aof_use_rdb_preamble);
        rewrite::write_base_now(engine, &g.dir.join(&base)).map_err(|e| e.to_string())?;
        tracing::info!("Creating AOF base file {base} on server start");
    }
    let had_incr = !g.manifest.incr.is_empty();
    let name = g.manifest.last_incr_or_new(&filename);
    let file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(g.dir.join(&name))
        .map_err(|e| {
            let msg = format!("Can't open the append-only file {name}: {e}");
            tracing::warn!("{msg}");
            msg
        })?;
    let (dir, mut am) = (g.dir.clone(), g.manifest.clone());
    manifest::persist(&dir, &filename, &mut am).map_err(|e| e.to_string())?;
    g.manifest = am;
    g.last_incr_size = file.metadata().map_or(0, |m| m.len());
    g.file = Some(Arc::new(file));
    g.selected_db = None;
    g.set_status(Status::On);
    if had_incr {
        tracing::info!("Opening AOF incr file {name} on server start");
    } else {
        tracing::info!("Creating AOF incr file {name} on server start");
    }
    Ok(())
}

/// Redis's aofRewriteLimited: after 3 consecutive failures, automatic
/// rewrites wait 1, 2, 4 ... 60 minutes.
fn rewrite_limited(g: &mut Inner, now_s: i64) -> bool {
    if g.consecutive_failures < 3 {
        g.limit_next_delay_min = 0;
        g.limit_next_time_s = 0;
        return false;
    }
    if g.limit_next_time_s != 0 {
        if now_s < g.limit_next_time_s {
            return true;
        }
        g.limit_next_time_s = 0;
        return false;
    }
    g.limit_next_delay_min = (g.limit_next_delay_min * 2).clamp(1, 60);
    g.limit_next_time_s = now_s + g.limit_next_delay_min * 60;
    tracing::warn!(
        "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {} minutes",
        g.limit_next_delay_min
    );
    true
}

/// Periodic work (call from the server cron): scheduled and automatic
/// rewrites (`auto-aof-rewrite-percentage`, `auto-aof-rewrite-min-size`).
pub fn cron(engine: &mut Engine) {
    let Some(sh) = peek(engine).cloned() else {
        return;
    };
    let busy = crate::save::bgsave_in_progress(engine);
    let now_s = rewrite::unix_ms() / 1000;
    let start = {
        let mut g = lock(&sh);
        sync_config(&mut g, &engine.config);
        if busy || g.rewrite.is_some() {
            false
        } else if g.rewrite_scheduled {
            !rewrite_limited(&mut g, now_s)
        } else {
            let perc = engine.config.auto_aof_rewrite_percentage;
            let min = engine.config.auto_aof_rewrite_min_size.max(0) as u64;
            if g.status == Status::On && perc > 0 && g.current_size > min {
                let base = g.rewrite_base_size.max(1);
                let growth = (g.current_size * 100 / base) as i64 - 100;
                let go = growth >= perc && !rewrite_limited(&mut g, now_s);
                if go {
                    tracing::info!("Starting automatic rewriting of AOF on {growth}% growth");
                }
                go
            } else {
                false
            }
        }
    };
    if start {
        let _ = rewrite::start(engine, &sh);
    }
}

/// Turns AOF on at runtime (Redis's startAppendOnly): writes collect in a
/// temporary incr file while the first rewrite makes the base.
fn start_append_only(engine: &mut Engine, sh: &Shared) -> Result<(), String> {
    let bgsave = crate::save::bgsave_in_progress(engine);
    let in_exec = engine.in_exec();
    {
        let mut g = lock(sh);
        g.set_status(Status::WaitRewrite);
        if bgsave {
            g.rewrite_scheduled = true;
            tracing::warn!(
                "AOF was enabled but there is already another background operation. An AOF \
                 background was scheduled to start when possible."
            );
        } else if in_exec {
            g.rewrite_scheduled = true;
            tracing::warn!(
                "AOF was enabled during a transaction. An AOF background was scheduled to start \
                 when possible."
            );
        } else if g.rewrite.is_some() {
            tracing::warn!(
                "AOF was enabled but there is already an AOF rewriting in background. Stopping \
                 background AOF and starting a rewrite now."
            );
            rewrite::kill(&mut g);
        }
    }
    if !bgsave && !in_exec && rewrite::start(engine, sh).is_err() {
        lock(sh).set_status(Status::Off);
        tracing::warn!(
            "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. \
             Check the above logs for more info about the error."
        );
        return Err("Unable to turn on AOF. Check server logs.".into());
    }
    let mut g = lock(sh);
    g.last_fsync = Instant::now();
    if !g.last_write_ok {
        tracing::warn!("AOF reopen, just ignore the last error.");
        g.last_write_ok = true;
    }
    Ok(())
}

/// Turns AOF off at runtime (Redis's stopAppendOnly).
fn stop_append_only(sh: &Shared) {
    let mut g = lock(sh);
    g.fsync_now();
    g.file = None;
    g.selected_db = None;
    g.set_status(Status::Off);
    g.rewrite_scheduled = false;
    g.last_incr_size = 0;
    rewrite::kill(&mut g);
    g.buf.clear();
}

/// CONFIG SET hook: `appendonly` switches AOF on (with a rewrite) or off;
/// `appendfsync` and friends take effect at once.
pub fn config_hook(engine: &mut Engine, _before: &Config) -> Result<(), String> {
    let sh = match peek(engine) {
        Some(s) => s.clone(),
        None if engine.config.appendonly => shared(engine),
        None => return Ok(()),
    };
    let status = {
        let mut g = lock(&sh);
        sync_config(&mut g, &engine.config);
        g.status
    };
    if !engine.config.appendonly && status != Status::Off {
        stop_append_only(&sh);
    } else if engine.config.appendonly && status == Status::Off {
        start_append_only(engine, &sh).map_err(|e| {
            format!("CONFIG SET failed (possibly related to argument 'appendonly') - {e}")
        })?;
    }
    Ok(())
}

/// Flushes and fsyncs before the process exits (Redis's prepareForShutdown
/// AOF part). Refuses while the first rewrite after CONFIG SET appendonly
/// yes is still being written, as Redis does.
pub fn shutdown(engine: &mut Engine) -> Result<(), String> {
    let Some(sh) = peek(engine).cloned() else {
        return Ok(());
    };
    let mut g = lock(&sh);
    if g.rewrite.is_some() {
        if g.status == Status::WaitRewrite {
            tracing::warn!("Writing initial AOF, can't exit.");
            return Err("Writing initial AOF, can't exit.".into());
        }
        tracing::warn!("There is a child rewriting the AOF. Killing it!");
        rewrite::kill(&mut g);
    }
    if g.status != Status::Off {
        tracing::info!("Calling fsync() on the AOF file.");
        g.fsync_now();
    }
    Ok(())
}

/// Opt-in batching for the front end: with `on`, propagated writes are
/// buffered until [`flush`], which must then be called after each batch of
/// commands and before their replies are sent (still holding the engine):
/// one write (and under `appendfsync always` one fsync) per batch instead of
/// per command.
pub fn set_deferred_flush(engine: &mut Engine, on: bool) {
    let sh = shared(engine);
    let mut g = lock(&sh);
    g.deferred = on;
    if !on {
        g.flush_pending();
    }
}

/// Writes (and under `always` fsyncs) what the batch just executed appended;
/// see [`set_deferred_flush`]. Cheap when nothing is pending.
pub fn flush(engine: &Engine) {
    if let Some(sh) = peek(engine) {
        let mut g = lock(sh);
        if !g.buf.is_empty() {
            g.flush_pending();
        }
    }
}

/// Waits (up to `timeout`) for a running rewrite to finish; true if none runs.
pub fn wait_rewrite(engine: &mut Engine, timeout: std::time::Duration) -> bool {
    // The rewrite's snapshot progresses in slices: run them here.
    if crate::snapshot::busy(engine) == Some(crate::snapshot::Kind::AofRewrite) {
        crate::snapshot::run_to_completion(engine);
    }
    let Some(sh) = peek(engine) else {
        return true;
    };
    let deadline = Instant::now() + timeout;
    loop {
        if lock(sh).rewrite.is_none() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

pub fn commands() -> Vec<Command> {
    vec![Command::new(
        "bgrewriteaof",
        1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        0,
        bgrewriteaof,
    )]
}

fn bgrewriteaof(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    let busy = crate::save::bgsave_in_progress(ctx.engine) || ctx.engine.in_exec();
    let sh = shared(ctx.engine);
    {
        let mut g = lock(&sh);
        if g.rewrite.is_some() {
            return Err(CmdError::err(
                "Background append only file rewriting already in progress",
            ));
        }
        if busy {
            g.rewrite_scheduled = true;
            g.consecutive_failures = 0;
            return Ok(Reply::status(
                "Background append only file rewriting scheduled",
            ));
        }
    }
    match rewrite::start(ctx.engine, &sh) {
        Ok(()) => Ok(Reply::status(
            "Background append only file rewriting started",
        )),
        Err(_) => Err(CmdError::err(
            "Can't execute an AOF background rewriting. Please check the server logs for more \
             information.",
        )),
    }
}

/// DEBUG LOADAOF: empties the dataset and loads it back from the AOF files.
/// (Redis exits when the load fails; Ember answers an error instead.)
pub fn debug_loadaof(ctx: &mut Ctx) -> CmdResult {
    let engine = &mut *ctx.engine;
    let sh = shared(engine);
    {
        let mut g = lock(&sh);
        if g.status == Status::On {
            g.flush_force();
        }
        sync_config(&mut g, &engine.config);
    }
    engine.signal_flushed_db(None);
    for db in engine.dbs.iter_mut() {
        db.clear();
    }
    let (dir, filename) = {
        let g = lock(&sh);
        (g.dir.clone(), g.filename.clone())
    };
    let am = manifest::load(&dir, &filename).map_err(CmdError::err)?;
    {
        let mut g = lock(&sh);
        g.manifest = am;
        rewrite::delete_history(&mut g);
    }
    let ret = load::load_all(engine, &sh);
    if !matches!(ret, LoadStatus::Ok | LoadStatus::Empty) {
        return Err(CmdError::err(
            "Error trying to load the AOF files, check server logs.",
        ));
    }
    engine.dirty = 0;
    ctx.propagate_nothing();
    tracing::warn!("Append Only File loaded by DEBUG LOADAOF");
    Ok(Reply::OK)
}

/// The AOF fields of INFO persistence, `aof_enabled` through
/// `aof_last_cow_size`.
pub fn info_fields(engine: &Engine) -> String {
    let default = Inner::default();
    let g;
    let st = match peek(engine) {
        Some(s) => {
            g = lock(s);
            &*g
        }
        None => &default,
    };
    let now = rewrite::unix_ms();
    let mut s = String::new();
    let mut f = |name: &str, value: &dyn std::fmt::Display| {
        let _ = write!(s, "{name}:{value}\r\n");
    };
    f("aof_enabled", &u8::from(st.status != Status::Off));
    f("aof_rewrite_in_progress", &u8::from(st.rewrite.is_some()));
    f("aof_rewrite_scheduled", &u8::from(st.rewrite_scheduled));
    f("aof_last_rewrite_time_sec", &st.last_rewrite_time_s);
    let current = st.rewrite.map_or(-1, |r| (now - r.started_ms) / 1000);
    f("aof_current_rewrite_time_sec", &current);
    f("aof_last_bgrewrite_status", &ok_err(st.last_bgrewrite_ok));
    f("aof_rewrites", &st.rewrites);
    f(
        "aof_rewrites_consecutive_failures",
        &st.consecutive_failures,
    );
    f("aof_last_write_status", &ok_err(st.last_write_ok));
    f("aof_last_cow_size", &0);
    s
}

/// The fields INFO persistence adds while AOF is on (after
/// `module_fork_last_cow_size`); empty otherwise.
pub fn info_tail(engine: &Engine) -> String {
    let Some(sh) = peek(engine) else {
        return String::new();
    };
    let st = lock(sh);
    if st.status == Status::Off {
        return String::new();
    }
    format!(
        "aof_current_size:{}\r\naof_base_size:{}\r\naof_pending_rewrite:{}\r\n\
         aof_buffer_length:{}\r\naof_pending_bio_fsync:0\r\naof_delayed_fsync:0\r\n",
        st.current_size,
        st.rewrite_base_size,
        u8::from(st.rewrite_scheduled),
        st.buf.len()
    )
}

fn ok_err(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "err"
    }
}
