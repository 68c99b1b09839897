//! AOF rewrite (BGREWRITEAOF) without fork: the engine thread switches
//! writes to a new incr file and starts a point-in-time snapshot in the same
//! step (no command runs in between); the snapshot (`crate::snapshot`, on
//! the core's copy-on-write walk) serializes the new base file in slices
//! between commands (an RDB with `aof-base 1`, or commands with
//! `aof-use-rdb-preamble no`) and its writer thread fills a temporary file;
//! when it is complete, the engine thread installs it: rename, manifest
//! update, old files removed (Redis's rewriteAppendOnlyFileBackground and
//! backgroundRewriteDoneHandler).

use super::manifest::{self, temp_incr_name};
use super::writer::{encode_command, lock, Inner, Running, Shared, Status};
use crate::error::{RdbError, Result};
use crate::rdb::SaveOptions;
use crate::snapshot::{Format, Kind};
use ember_core::value::Value;
use ember_core::Engine;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Redis's AOF_REWRITE_ITEMS_PER_CMD: elements per RPUSH/SADD/ZADD/HMSET.
const ITEMS_PER_CMD: usize = 64;

/// The format of a new base file.
fn base_format(engine: &Engine) -> Format {
    if engine.config.aof_use_rdb_preamble {
        let mut opts = SaveOptions::from_config(&engine.config, engine.now_ms());
        opts.used_mem = ember_core::cmd::info::used_memory();
        opts.aof_base = true;
        Format::Rdb(opts)
    } else {
        Format::AofCommands {
            timestamp_ms: engine.config.aof_timestamp_enabled.then(|| engine.now_ms()),
        }
    }
}

/// Writes the base file's contents for the dataset as it is now, on the
/// calling thread (Redis's rewriteAppendOnlyFile body).
pub fn write_base_to(engine: &Engine, out: &mut dyn Write) -> Result<u64> {
    crate::snapshot::write_now(engine, &base_format(engine), out)
}

/// Emits `verb key` followed by `items` in commands of at most
/// ITEMS_PER_CMD elements (an element is one or two arguments).
fn batched<'a>(
    out: &mut Vec<u8>,
    verb: &[u8],
    key: &[u8],
    total: usize,
    items: impl Iterator<Item = Vec<std::borrow::Cow<'a, [u8]>>>,
) {
    let mut left = total;
    let mut argv: Vec<std::borrow::Cow<'a, [u8]>> = Vec::new();
    let mut in_cmd = 0;
    for item in items {
        if in_cmd == 0 {
            argv.clear();
            argv.push(verb.to_vec().into());
            argv.push(key.to_vec().into());
        }
        argv.extend(item);
        in_cmd += 1;
        left -= 1;
        if in_cmd == ITEMS_PER_CMD || left == 0 {
            encode_command(out, &argv);
            in_cmd = 0;
        }
    }
}

/// The commands that rebuild one value (Redis's rewrite*Object).
pub(crate) fn rewrite_value(out: &mut Vec<u8>, key: &[u8], v: &Value) {
    use std::borrow::Cow;
    match v {
        Value::Str(s) => {
            let bytes = match s.int() {
                Some(n) => Cow::Owned(n.to_string().into_bytes()),
                None => s.as_bytes(),
            };
            encode_command(out, &[b"SET".as_slice(), key, &bytes]);
        }
        Value::List(l) => batched(
            out,
            b"RPUSH",
            key,
            l.len(),
            l.iter().map(|e| vec![Cow::Borrowed(e)]),
        ),
        Value::Set(s) => batched(out, b"SADD", key, s.len(), s.iter().map(|m| vec![m])),
        Value::ZSet(z) => batched(
            out,
            b"ZADD",
            key,
            z.len(),
            z.iter().map(|(m, score)| {
                let s = ember_resp::num::fmt_g17(score);
                vec![Cow::Owned(s.into_bytes()), Cow::Borrowed(m)]
            }),
        ),
        Value::Hash(h) => batched(
            out,
            b"HMSET",
            key,
            h.len(),
            h.iter()
                .map(|(f, v)| vec![Cow::Borrowed(f), Cow::Borrowed(v)]),
        ),
    }
}

/// Writes a base file synchronously (Redis's rewriteAppendOnlyFile, used on
/// startup with an empty AOF): temporary file in `dir`, then renamed to `dest`.
pub fn write_base_now(engine: &Engine, dest: &Path) -> Result<()> {
    let tmp =
        Path::new(&engine.config.dir).join(format!("temp-rewriteaof-{}.aof", std::process::id()));
    let result = File::create(&tmp)
        .map_err(RdbError::from)
        .and_then(|file| {
            let mut out = BufWriter::with_capacity(1 << 16, file);
            write_base_to(engine, &mut out)?;
            let file = out.into_inner().map_err(|e| RdbError::Io(e.into_error()))?;
            file.sync_all()?;
            Ok(())
        })
        .and_then(|()| std::fs::rename(&tmp, dest).map_err(RdbError::from));
    if let Err(e) = &result {
        tracing::warn!("Write error writing append only file on disk: {e}");
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

pub fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Opens the incr file writes go to from now on (Redis's
/// openNewIncrAofForAppend): a new listed incr file when AOF is on, the
/// temporary one while it is being switched on.
fn open_new_incr(g: &mut Inner) -> std::io::Result<()> {
    let (name, am) = match g.status {
        Status::Off => return Ok(()),
        Status::WaitRewrite => (temp_incr_name(&g.filename), None),
        Status::On => {
            let mut am = g.manifest.clone();
            (am.new_incr(&g.filename), Some(am))
        }
    };
    let file = File::create(g.dir.join(&name)).inspect_err(|e| {
        tracing::warn!("Can't open the append-only file {name}: {e}");
    })?;
    if let Some(mut am) = am {
        manifest::persist(&g.dir, &g.filename, &mut am)?;
        g.manifest = am;
    }
    tracing::info!("Creating AOF incr file {name} on background rewrite");
    g.switch_file(Some(file));
    Ok(())
}

/// Abandons a running rewrite (Redis's killAppendOnlyChild): its thread
/// finishes writing and removes its temporary file.
pub fn kill(g: &mut Inner) {
    if g.rewrite.take().is_some() {
        tracing::info!("Killing running AOF rewrite child: {}", std::process::id());
        g.generation += 1;
    }
}

/// Starts a background rewrite (Redis's rewriteAppendOnlyFileBackground).
pub fn start(engine: &mut Engine, shared: &Shared) -> std::result::Result<(), String> {
    let mut g = lock(shared);
    if g.rewrite.is_some() {
        return Err("Background append only file rewriting already in progress".into());
    }
    super::sync_config(&mut g, &engine.config);
    if let Err(e) = std::fs::create_dir_all(&g.dir) {
        let msg = format!(
            "Can't open or create append-only dir {}: {e}",
            g.dir.display()
        );
        tracing::warn!("{msg}");
        g.last_bgrewrite_ok = false;
        return Err(msg);
    }
    g.selected_db = None;
    g.flush_force();
    if let Err(e) = open_new_incr(&mut g) {
        g.last_bgrewrite_ok = false;
        return Err(e.to_string());
    }
    g.rewrites += 1;
    g.generation += 1;
    let generation = g.generation;
    let started_ms = unix_ms();
    g.rewrite = Some(Running {
        generation,
        started_ms,
    });
    g.rewrite_scheduled = false;
    drop(g);
    // A killed rewrite's snapshot may still run: it is of no use any more.
    crate::snapshot::abort_kind(engine, Kind::AofRewrite);
    // Same step as the incr switch: no command runs before the snapshot starts.
    let pid = std::process::id();
    let tmp_name = format!("temp-rewriteaof-bg-{pid}-{generation}.aof");
    let tmp = Path::new(&engine.config.dir).join(&tmp_name);
    let preamble = engine.config.aof_use_rdb_preamble;
    let opts = crate::snapshot::Options {
        kind: Kind::AofRewrite,
        format: base_format(engine),
        extra_aux: Vec::new(),
    };
    let sh = shared.clone();
    let tmp_done = tmp.clone();
    let on_done: crate::snapshot::OnDone = Box::new(move |_engine, result| {
        match &result {
            Ok(_) => {
                tracing::info!("Successfully created the temporary AOF base file {tmp_name}")
            }
            Err(e) => tracing::warn!("Write error writing append only file on disk: {e}"),
        }
        done(&sh, generation, result.is_ok(), &tmp_done, preamble);
    });
    let started = crate::save::FileOutput::create(tmp, None)
        .and_then(|out| crate::snapshot::start_with(engine, Box::new(out), opts, on_done));
    if let Err(e) = started {
        let msg = format!("Can't rewrite append only file in background: fork: {e}");
        tracing::warn!("{msg}");
        let mut g = lock(shared);
        g.rewrite = None;
        g.last_bgrewrite_ok = false;
        return Err(msg);
    }
    tracing::info!("Background append only file rewriting started by pid {pid}");
    Ok(())
}

/// Installs a finished rewrite (Redis's backgroundRewriteDoneHandler).
fn done(shared: &Shared, generation: u64, ok: bool, tmp: &Path, preamble: bool) {
    let mut g = lock(shared);
    let Some(run) = g.rewrite.filter(|r| r.generation == generation) else {
        // Killed meanwhile.
        let _ = std::fs::remove_file(tmp);
        return;
    };
    if ok {
        tracing::info!("Background AOF rewrite terminated with success");
        if install(&mut g, tmp, preamble).is_ok() {
            g.last_bgrewrite_ok = true;
            g.consecutive_failures = 0;
            tracing::info!("Background AOF rewrite finished successfully");
            if g.status == Status::WaitRewrite {
                g.set_status(Status::On);
            }
        } else {
            g.last_bgrewrite_ok = false;
            g.consecutive_failures += 1;
        }
    } else {
        g.last_bgrewrite_ok = false;
        g.consecutive_failures += 1;
        tracing::warn!("Background AOF rewrite terminated with error");
    }
    let _ = std::fs::remove_file(tmp);
    if g.status == Status::WaitRewrite {
        // Switching on failed: drop what the temporary incr file collected
        // and try again (the next rewrite copies everything anyway).
        g.buf.clear();
        let name = temp_incr_name(&g.filename);
        tracing::info!("Removing the temp incr aof file {name} in the background");
        let _ = std::fs::remove_file(g.dir.join(&name));
        g.file = None;
        g.rewrite_scheduled = true;
    }
    g.last_rewrite_time_s = (unix_ms() - run.started_ms) / 1000;
    g.rewrite = None;
}

fn install(g: &mut Inner, tmp: &Path, preamble: bool) -> std::result::Result<(), ()> {
    let tmp_name = tmp
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut am = g.manifest.clone();
    let base = am.new_base(&g.filename, preamble);
    let base_path = g.dir.join(&base);
    if let Err(e) = std::fs::rename(tmp, &base_path) {
        tracing::warn!(
            "Error trying to rename the temporary AOF base file {tmp_name} into {}: {e}",
            base_path.display()
        );
        return Err(());
    }
    tracing::info!("Successfully renamed the temporary AOF base file {tmp_name} into {base}");
    let mut new_incr: Option<PathBuf> = None;
    if g.status == Status::WaitRewrite {
        let temp_incr = temp_incr_name(&g.filename);
        let incr = am.new_incr(&g.filename);
        let path = g.dir.join(&incr);
        if let Err(e) = std::fs::rename(g.dir.join(&temp_incr), &path) {
            tracing::warn!(
                "Error trying to rename the temporary AOF incr file {temp_incr} into {}: {e}",
                path.display()
            );
            let _ = std::fs::remove_file(&base_path);
            return Err(());
        }
        tracing::info!("Successfully renamed the temporary AOF incr file {temp_incr} into {incr}");
        new_incr = Some(path);
    }
    am.mark_rewritten_incr_as_history(g.file.is_some());
    if manifest::persist(&g.dir, &g.filename, &mut am).is_err() {
        let _ = std::fs::remove_file(&base_path);
        if let Some(p) = new_incr {
            let _ = std::fs::remove_file(p);
        }
        return Err(());
    }
    g.manifest = am;
    if g.file.is_some() {
        g.selected_db = None;
        let base_size = std::fs::metadata(&base_path).map_or(0, |m| m.len());
        g.current_size = base_size + g.last_incr_size;
        g.rewrite_base_size = g.current_size;
        g.fsynced_size = g.current_size;
    }
    delete_history(g);
    Ok(())
}

/// Removes history files and drops them from the manifest (Redis's
/// aofDelHistoryFiles); unlinking happens on a background thread.
pub fn delete_history(g: &mut Inner) {
    if g.manifest.history.is_empty() {
        return;
    }
    let mut doomed = Vec::new();
    for f in g.manifest.history.drain(..) {
        tracing::info!("Removing the history file {} in the background", f.name);
        doomed.push(g.dir.join(&f.name));
    }
    let _ = std::thread::Builder::new()
        .name("ember-aof-unlink".into())
        .spawn(move || {
            for p in doomed {
                let _ = std::fs::remove_file(p);
            }
        });
    g.manifest.dirty = true;
    let (dir, filename) = (g.dir.clone(), g.filename.clone());
    let _ = manifest::persist(&dir, &filename, &mut g.manifest);
}
