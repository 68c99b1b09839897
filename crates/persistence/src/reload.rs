//! Loading RDB files into the engine: at startup (`load_file`) and for
//! DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE].

use crate::error::{RdbError, Result};
use crate::rdb::{self, LoadOptions, LoadStats};
use crate::rio::RdbReader;
use crate::save;
use ember_core::{Bytes, CmdError, CmdResult, Ctx, Engine, Reply};
use std::io::BufReader;
use std::path::Path;
use std::time::Instant;

/// Loads the RDB file at `path` into the engine's databases (keys already
/// present are an error unless `allow_dup`). Logs Redis's lines.
pub fn load_file_with(engine: &mut Engine, path: &Path, allow_dup: bool) -> Result<LoadStats> {
    let started = Instant::now();
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    let mut reader = RdbReader::with_len(BufReader::with_capacity(1 << 16, file), size);
    let opts = LoadOptions {
        now_ms: engine.now_ms(),
        drop_expired: !engine.is_replica,
        allow_dup,
        verify_checksum: engine.config.rdbchecksum,
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
    tracing::info!(
        "DB loaded from disk: {:.3} seconds",
        started.elapsed().as_secs_f64()
    );
    Ok(stats)
}

/// Loads `path` at startup. A missing file is `RdbError::Io` with kind
/// `NotFound`, which the caller treats as an empty dataset (as Redis does).
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
