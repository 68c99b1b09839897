//! Loading AOF files into the engine: an optional RDB preamble (base files,
//! old-style preamble AOFs), then commands in RESP multibulk form replayed
//! through the engine by an internal client whose replies are dropped and
//! whose writes are not appended back (Redis's loadSingleAppendOnlyFile and
//! loadAppendOnlyFiles, with their log lines).

use super::manifest::{self, AofFile, Manifest};
use super::writer::{lock, Shared};
use crate::rdb::{self, LoadOptions};
use crate::rio::RdbReader;
use crate::RdbError;
use ember_core::{Bytes, ClientId, Engine};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::time::Instant;

/// Redis's AOF_* load results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadStatus {
    Ok,
    NotExist,
    Empty,
    OpenErr,
    Failed,
    Truncated,
}

/// fgets's buffer in Redis's loader (AOF_ANNOTATION_LINE_MAX_LEN).
const LINE_MAX: usize = 1024;

/// A reader that counts the bytes it consumed (for `valid_up_to`).
struct Src<R> {
    r: R,
    pos: u64,
}

enum Got {
    Data(Vec<u8>),
    /// The input ended first.
    Eof,
}

impl<R: BufRead> Src<R> {
    /// C's fgets: through the newline, at most LINE_MAX-1 bytes; `Eof` when
    /// nothing at all could be read.
    fn line(&mut self) -> std::io::Result<Got> {
        let mut out = Vec::new();
        while out.len() < LINE_MAX - 1 {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let room = LINE_MAX - 1 - out.len();
            let chunk = &buf[..buf.len().min(room)];
            let (n, done) = match chunk.iter().position(|&c| c == b'\n') {
                Some(p) => (p + 1, true),
                None => (chunk.len(), false),
            };
            out.extend_from_slice(&chunk[..n]);
            self.r.consume(n);
            self.pos += n as u64;
            if done {
                break;
            }
        }
        Ok(if out.is_empty() {
            Got::Eof
        } else {
            Got::Data(out)
        })
    }

    /// Exactly `n` bytes (allocated as they arrive), or `Eof` if fewer remain.
    fn exact(&mut self, n: u64) -> std::io::Result<Got> {
        let mut out = Vec::with_capacity(n.min(1 << 20) as usize);
        let got = (&mut self.r).take(n).read_to_end(&mut out)?;
        self.pos += got as u64;
        Ok(if (got as u64) < n {
            Got::Eof
        } else {
            Got::Data(out)
        })
    }
}

/// C's atoi/strtol on what follows the type byte.
fn leading_int(s: &[u8]) -> i64 {
    let s = s.trim_ascii_start();
    let (neg, d) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for &c in d.iter().take_while(|c| c.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add((c - b'0') as i64);
    }
    if neg {
        -n
    } else {
        n
    }
}

/// How one file's replay ended before cleanup.
enum End {
    Ok,
    /// Input ended mid-record (or mid-transaction): truncate at the offset.
    Eof(u64),
    ReadErr(std::io::Error),
    Format,
    Failed,
}

/// Loads one file from `dir` (Redis's loadSingleAppendOnlyFile).
pub fn load_single(
    engine: &mut Engine,
    client: ClientId,
    dir: &Path,
    name: &str,
    old_style: bool,
) -> LoadStatus {
    let path = dir.join(name);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!("The append log file {name} doesn't exist: {e}");
            return LoadStatus::NotExist;
        }
        Err(e) => {
            tracing::warn!("Fatal error: can't open the append log file {name} for reading: {e}");
            return LoadStatus::OpenErr;
        }
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size == 0 {
        return LoadStatus::Empty;
    }
    let truncate_ok = engine.config.aof_load_truncated;
    let mut src = Src {
        r: BufReader::with_capacity(1 << 16, file),
        pos: 0,
    };
    let end = replay(engine, client, &mut src, size, name, old_style, truncate_ok);
    match end {
        End::Ok => LoadStatus::Ok,
        End::Failed => LoadStatus::Failed,
        End::Format => {
            tracing::warn!(
                "Bad file format reading the append only file {name}: make a backup of your AOF \
                 file, then use ./redis-check-aof --fix <filename.manifest>"
            );
            LoadStatus::Failed
        }
        End::ReadErr(e) => {
            tracing::warn!("Unrecoverable error reading the append only file {name}: {e}");
            LoadStatus::Failed
        }
        End::Eof(valid_up_to) => {
            if truncate_ok {
                tracing::warn!("!!! Warning: short read while loading the AOF file {name}!!!");
                tracing::warn!("!!! Truncating the AOF {name} at offset {valid_up_to} !!!");
                let cut = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .and_then(|f| f.set_len(valid_up_to));
                match cut {
                    Ok(()) => {
                        tracing::warn!(
                            "AOF {name} loaded anyway because aof-load-truncated is enabled"
                        );
                        return LoadStatus::Truncated;
                    }
                    Err(e) => tracing::warn!("Error truncating the AOF file {name}: {e}"),
                }
            }
            tracing::warn!(
                "Unexpected end of file reading the append only file {name}. You can: 1) Make a \
                 backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. \
                 2) Alternatively you can set the 'aof-load-truncated' configuration option to \
                 yes and restart the server."
            );
            LoadStatus::Failed
        }
    }
}

fn in_multi(engine: &Engine, client: ClientId) -> bool {
    engine.clients.get(&client).is_some_and(|c| c.tx.active)
}

fn replay<R: BufRead>(
    engine: &mut Engine,
    client: ClientId,
    src: &mut Src<R>,
    size: u64,
    name: &str,
    old_style: bool,
    truncate_ok: bool,
) -> End {
    // An RDB first: a base file, or the preamble of an old-style AOF.
    match src.r.fill_buf() {
        Ok(b) if b.starts_with(b"REDIS") => {
            if old_style {
                tracing::info!("Reading RDB preamble from AOF file...");
            } else {
                tracing::info!("Reading RDB base file on AOF loading...");
            }
            if let Err(e) = load_rdb(engine, src, size) {
                tracing::warn!("{e}");
                if old_style {
                    tracing::warn!(
                        "Error reading the RDB preamble of the AOF file {name}, AOF loading aborted"
                    );
                } else {
                    tracing::warn!("Error reading the RDB base file {name}, AOF loading aborted");
                }
                return match e {
                    RdbError::Truncated => End::Eof(0),
                    _ => End::Failed,
                };
            }
            if old_style {
                tracing::info!("Reading the remaining AOF tail...");
            }
        }
        Ok(_) => {}
        Err(e) => return End::ReadErr(e),
    }
    let mut valid_up_to = 0u64;
    let mut valid_before_multi = 0u64;
    loop {
        let line = match src.line() {
            Ok(Got::Data(l)) => l,
            Ok(Got::Eof) => break,
            Err(e) => return End::ReadErr(e),
        };
        if line[0] == b'#' {
            continue;
        }
        if line[0] != b'*' {
            return End::Format;
        }
        if line.len() == 1 {
            return End::Eof(valid_up_to);
        }
        let argc = leading_int(&line[1..]);
        if argc < 1 {
            return End::Format;
        }
        let mut argv: Vec<Bytes> = Vec::with_capacity(argc.min(1024) as usize);
        for _ in 0..argc {
            let head = match src.line() {
                Ok(Got::Data(l)) => l,
                Ok(Got::Eof) => return End::Eof(valid_up_to),
                Err(e) => return End::ReadErr(e),
            };
            if head[0] != b'$' {
                return End::Format;
            }
            let len = leading_int(&head[1..]);
            let len = if len < 0 { u64::MAX } else { len as u64 };
            let arg = match src.exact(len) {
                Ok(Got::Data(a)) => a,
                Ok(Got::Eof) => return End::Eof(valid_up_to),
                Err(e) => return End::ReadErr(e),
            };
            // The CRLF after the argument is skipped unchecked, as Redis does.
            match src.exact(2) {
                Ok(Got::Data(_)) => {}
                Ok(Got::Eof) => return End::Eof(valid_up_to),
                Err(e) => return End::ReadErr(e),
            }
            argv.push(Bytes::from(arg));
        }
        if engine.table.lookup(&argv[0]).is_none() {
            tracing::warn!(
                "Unknown command '{}' reading the append only file {name}",
                String::from_utf8_lossy(&argv[0])
            );
            return End::Failed;
        }
        if argv.len() == 1 && argv[0].eq_ignore_ascii_case(b"multi") {
            valid_before_multi = valid_up_to;
        }
        let _ = engine.execute(client, &argv);
        if truncate_ok {
            valid_up_to = src.pos;
        }
    }
    // A MULTI without its EXEC is treated as a torn tail.
    if in_multi(engine, client) {
        tracing::warn!("Revert incomplete MULTI/EXEC transaction in AOF file {name}");
        let _ = engine.execute(client, &[Bytes::from_static(b"DISCARD")]);
        return End::Eof(valid_before_multi);
    }
    End::Ok
}

/// The RDB part of a file, read in place (the reader stops right after it).
fn load_rdb<R: BufRead>(engine: &mut Engine, src: &mut Src<R>, size: u64) -> Result<(), RdbError> {
    let opts = LoadOptions {
        now_ms: engine.now_ms(),
        drop_expired: !engine.is_replica,
        allow_dup: false,
        verify_checksum: crate::save::verify_checksums(engine),
    };
    let mut reader = RdbReader::with_len(&mut src.r, size);
    let result = rdb::load(&mut reader, &mut engine.dbs, &engine.config, opts);
    src.pos += reader.position();
    let stats = result?;
    tracing::info!(
        "Done loading RDB, keys loaded: {}, keys expired: {}.",
        stats.keys_loaded,
        stats.keys_expired
    );
    let st = crate::save::state(engine);
    st.last_load_keys_loaded = stats.keys_loaded;
    st.last_load_keys_expired = stats.keys_expired;
    Ok(())
}

/// Moves an old single-file AOF (`dir`/`appendfilename`) into the AOF
/// directory as its base (Redis's aofUpgradePrepare).
fn upgrade(legacy: &Path, dir: &Path, filename: &str, am: &mut Manifest) -> Result<(), ()> {
    if let Err(e) = std::fs::create_dir_all(dir) {
        tracing::warn!(
            "Can't open or create append-only dir {}: {e}",
            dir.display()
        );
        return Err(());
    }
    am.base = Some(AofFile {
        name: filename.to_string(),
        seq: 1,
        kind: manifest::Kind::Base,
    });
    am.base_seq = 1;
    am.dirty = true;
    manifest::persist(dir, filename, am).map_err(|_| ())?;
    if let Err(e) = std::fs::rename(legacy, dir.join(filename)) {
        tracing::warn!(
            "Error trying to move the old AOF file {filename} into dir {}: {e}",
            dir.display()
        );
        return Err(());
    }
    tracing::info!(
        "Successfully migrated an old-style AOF file ({filename}) into the AOF directory ({}).",
        dir.display()
    );
    Ok(())
}

/// Loads every file the manifest lists, upgrading an old single-file AOF
/// first (Redis's loadAppendOnlyFiles). The manifest and sizes are updated in
/// the shared state.
pub fn load_all(engine: &mut Engine, shared: &Shared) -> LoadStatus {
    let (dir, filename) = {
        let g = lock(shared);
        (g.dir.clone(), g.filename.clone())
    };
    let legacy = Path::new(&engine.config.dir).join(&filename);
    let mut am = lock(shared).manifest.clone();
    if legacy.is_file() {
        let only_legacy_base = am.incr.is_empty()
            && am.base.as_ref().is_some_and(|b| b.name == filename)
            && !dir.join(&filename).exists();
        if (!dir.is_dir() || am.is_empty() || only_legacy_base)
            && upgrade(&legacy, &dir, &filename, &mut am).is_err()
        {
            return LoadStatus::Failed;
        }
        lock(shared).manifest = am.clone();
    }
    if am.is_empty() {
        return LoadStatus::NotExist;
    }
    let files: Vec<&AofFile> = am.base.iter().chain(&am.incr).collect();
    let mut total = 0u64;
    for f in &files {
        match std::fs::metadata(dir.join(&f.name)) {
            Ok(m) => total += m.len(),
            Err(e) => {
                tracing::warn!("Unable to obtain the AOF file {} length. stat: {e}", f.name);
                return LoadStatus::Failed;
            }
        }
    }
    if total == 0 {
        return LoadStatus::Empty;
    }
    let base_size = am
        .base
        .as_ref()
        .and_then(|b| std::fs::metadata(dir.join(&b.name)).ok())
        .map_or(0, |m| m.len());
    let replay = begin_replay(engine, shared);
    let client = replay.client;
    let mut ret = LoadStatus::Ok;
    for (i, f) in files.iter().enumerate() {
        let last = i + 1 == files.len();
        let started = Instant::now();
        let old_style = f.name == filename;
        ret = load_single(engine, client, &dir, &f.name, old_style);
        let what = if f.kind == manifest::Kind::Base {
            "base"
        } else {
            "incr"
        };
        if ret == LoadStatus::Ok || (ret == LoadStatus::Truncated && last) {
            tracing::info!(
                "DB loaded from {what} file {}: {:.3} seconds",
                f.name,
                started.elapsed().as_secs_f64()
            );
        }
        if ret == LoadStatus::Empty && f.kind == manifest::Kind::Incr {
            ret = LoadStatus::Ok;
        }
        if ret == LoadStatus::Truncated && !last {
            ret = LoadStatus::Failed;
        }
        if matches!(ret, LoadStatus::OpenErr | LoadStatus::Failed) {
            break;
        }
    }
    end_replay(engine, shared, replay);
    if matches!(
        ret,
        LoadStatus::Ok | LoadStatus::Truncated | LoadStatus::Empty
    ) {
        let mut g = lock(shared);
        g.current_size = total;
        g.rewrite_base_size = base_size;
        g.fsynced_size = total;
    }
    ret
}

/// What replay changed in the engine, to put back afterwards.
struct Replay {
    client: ClientId,
    maxmemory: u64,
    acl_unrestricted: bool,
}

/// Sets the engine up for replay as Redis's AOF client runs: no
/// authentication, ACL or eviction checks, the sink muted, INFO `loading:1`.
fn begin_replay(engine: &mut Engine, shared: &Shared) -> Replay {
    let client = engine.add_client();
    if let Some(c) = engine.client_mut(client) {
        c.authenticated = true;
        c.deny_blocking = true;
    }
    engine.replay_client = Some(client);
    lock(shared).loading = true;
    crate::save::state(engine).loading = true;
    let maxmemory = std::mem::take(&mut engine.config.maxmemory);
    let acl_unrestricted = std::mem::replace(&mut engine.acl.unrestricted, true);
    Replay {
        client,
        maxmemory,
        acl_unrestricted,
    }
}

fn end_replay(engine: &mut Engine, shared: &Shared, r: Replay) {
    engine.replay_client = None;
    engine.remove_client(r.client);
    engine.config.maxmemory = r.maxmemory;
    engine.acl.unrestricted = r.acl_unrestricted;
    crate::save::state(engine).loading = false;
    lock(shared).loading = false;
}
