//! Background snapshots (BGSAVE, BGREWRITEAOF, replication full sync) on
//! the core's fork-less point-in-time walk (`ember_core::snapshot`).
//!
//! `start` marks the point in time (the caller holds the engine) and spawns a
//! writer thread. The walk then runs in slices on the engine thread, from
//! `Engine::background_step` (the server's background driver), from the cron
//! and from `run_to_completion`: each slice serializes captured and
//! not-yet-saved entries (RDB, or AOF commands) into a buffer, and full
//! chunks go to the writer thread over a bounded channel (when it is full the
//! slice waits instead of buffering more). The writer writes them to the
//! output (a temporary file fsync'ed and renamed, an AOF base file, or any
//! `Write` such as a replica's transfer) and `on_done` runs on the engine
//! thread once the output is complete, or has failed or was aborted.

use crate::error::{RdbError, Result};
use crate::rdb::{self, RdbSink, SaveOptions};
use crate::rio::opcode;
use ember_core::db::AccessStamp;
use ember_core::snapshot::{self as core_snap, Budget, Progress, Visitor, Walk};
use ember_core::value::Value;
use ember_core::{Config, Engine};
use std::io::Write;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;

/// Bytes per chunk handed to the writer thread.
const CHUNK: usize = 256 << 10;
/// Chunks in flight between the engine and the writer (bounds the memory).
const CHANNEL_CHUNKS: usize = 8;
/// One slice: about this long (the engine lock is held meanwhile).
const SLICE_MS: u64 = 1;
const SLICE_ENTRIES: usize = 16 << 10;

/// What a snapshot is for (one runs at a time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Bgsave,
    AofRewrite,
    Replication,
}

/// The serialization.
#[derive(Clone, Debug)]
pub enum Format {
    /// An RDB stream: header, AUX fields, databases, EOF, CRC-64.
    Rdb(SaveOptions),
    /// An AOF base as commands (`aof-use-rdb-preamble no`), after an
    /// optional `#TS:` annotation (unix ms; written in seconds).
    AofCommands { timestamp_ms: Option<i64> },
}

#[derive(Clone, Debug)]
pub struct Options {
    pub kind: Kind,
    pub format: Format,
    /// Extra AUX fields after the standard ones (repl-stream-db, repl-id...).
    pub extra_aux: Vec<(Vec<u8>, Vec<u8>)>,
}

/// RDB options from the engine's configuration.
pub fn rdb_options(engine: &Engine, kind: Kind) -> Options {
    let mut opts = SaveOptions::from_config(&engine.config, engine.now_ms());
    opts.used_mem = ember_core::cmd::info::used_memory();
    Options {
        kind,
        format: Format::Rdb(opts),
        extra_aux: Vec::new(),
    }
}

/// A finished snapshot.
#[derive(Clone, Copy, Debug, Default)]
pub struct Done {
    pub bytes: u64,
    pub keys: u64,
}

/// Runs on the engine thread when the snapshot ends.
pub type OnDone = Box<dyn FnOnce(&mut Engine, Result<Done>) + Send>;

/// Where the writer thread puts the bytes.
pub trait Output: Send {
    fn write_chunk(&mut self, buf: &[u8]) -> std::io::Result<()>;
    /// Everything was written: make it durable / visible.
    fn commit(self: Box<Self>) -> Result<()>;
    /// The snapshot failed or was aborted.
    fn abandon(self: Box<Self>) {}
}

struct Stream(Box<dyn Write + Send>);

impl Output for Stream {
    fn write_chunk(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.0.write_all(buf)
    }
    fn commit(mut self: Box<Self>) -> Result<()> {
        self.0.flush()?;
        Ok(())
    }
}

/// Serializes the image: the `Visitor` the core's walk feeds.
pub struct Serializer {
    rdb: Option<RdbSink<Vec<u8>>>,
    /// AOF commands (when not RDB).
    cmds: Vec<u8>,
    config: Config,
    now_ms: i64,
    pub(crate) err: Option<RdbError>,
}

impl Serializer {
    pub fn new(config: &Config, format: &Format, extra_aux: &[(Vec<u8>, Vec<u8>)]) -> Result<Self> {
        let mut s = Serializer {
            rdb: None,
            cmds: Vec::new(),
            config: config.clone(),
            now_ms: 0,
            err: None,
        };
        match format {
            Format::Rdb(opts) => {
                s.now_ms = opts.now_ms;
                let mut sink = RdbSink::start(Vec::with_capacity(CHUNK), opts.clone())?;
                for (k, v) in extra_aux {
                    sink.aux(k, v)?;
                }
                s.rdb = Some(sink);
            }
            Format::AofCommands { timestamp_ms } => {
                if let Some(ms) = timestamp_ms {
                    s.cmds
                        .extend_from_slice(format!("#TS:{}\r\n", ms / 1000).as_bytes());
                }
            }
        }
        Ok(s)
    }

    fn buffered(&mut self) -> &mut Vec<u8> {
        match &mut self.rdb {
            Some(sink) => sink.w.get_mut(),
            None => &mut self.cmds,
        }
    }

    pub fn len(&mut self) -> usize {
        self.buffered().len()
    }

    pub fn is_empty(&mut self) -> bool {
        self.len() == 0
    }

    /// The bytes serialized since the last call.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::replace(self.buffered(), Vec::with_capacity(CHUNK))
    }

    /// Ends the stream (RDB: EOF and checksum); returns the last bytes.
    pub fn finish(&mut self) -> Result<Vec<u8>> {
        if let Some(e) = self.err.take() {
            return Err(e);
        }
        match self.rdb.take() {
            Some(sink) => sink.finish(),
            None => Ok(std::mem::take(&mut self.cmds)),
        }
    }

    fn record(&mut self, r: Result<()>) {
        if let Err(e) = r {
            self.err.get_or_insert(e);
        }
    }
}

impl Visitor for Serializer {
    fn select_db(&mut self, db: usize, resize: Option<(usize, usize)>) {
        match &mut self.rdb {
            Some(sink) => {
                let w = &mut sink.w;
                let r = w
                    .write_u8(opcode::SELECTDB)
                    .and_then(|()| w.write_len(db as u64))
                    .and_then(|()| match resize {
                        Some((n, e)) => w
                            .write_u8(opcode::RESIZEDB)
                            .and_then(|()| w.write_len(n as u64))
                            .and_then(|()| w.write_len(e as u64)),
                        None => Ok(()),
                    });
                self.record(r);
            }
            None => {
                let d = db.to_string();
                crate::aof::writer::encode_command(
                    &mut self.cmds,
                    &[b"SELECT".as_slice(), d.as_bytes()],
                );
            }
        }
    }

    fn key(&mut self, key: &[u8], value: &Value, expire: Option<i64>, stamp: AccessStamp) {
        match &mut self.rdb {
            Some(sink) => {
                let rec = rdb::record(&self.config, self.now_ms, key, value, expire, stamp);
                let r = sink.key(&rec);
                self.record(r);
            }
            None => {
                crate::aof::rewrite::rewrite_value(&mut self.cmds, key, value);
                if let Some(at) = expire {
                    let ms = at.to_string();
                    crate::aof::writer::encode_command(
                        &mut self.cmds,
                        &[b"PEXPIREAT".as_slice(), key, ms.as_bytes()],
                    );
                }
            }
        }
    }
}

/// Serializes the whole dataset now into `out` (SAVE-like, on the calling
/// thread; used where nothing runs concurrently, e.g. the first AOF base).
pub fn write_now(engine: &Engine, format: &Format, out: &mut dyn Write) -> Result<u64> {
    struct Flushing<'a> {
        ser: Serializer,
        out: &'a mut dyn Write,
        written: u64,
    }
    impl Flushing<'_> {
        fn drain(&mut self) {
            if self.ser.len() >= CHUNK {
                let b = self.ser.take();
                self.written += b.len() as u64;
                let r = self.out.write_all(&b).map_err(RdbError::from);
                self.ser.record(r);
            }
        }
    }
    impl Visitor for Flushing<'_> {
        fn select_db(&mut self, db: usize, resize: Option<(usize, usize)>) {
            self.ser.select_db(db, resize);
        }
        fn key(&mut self, key: &[u8], value: &Value, expire: Option<i64>, stamp: AccessStamp) {
            self.ser.key(key, value, expire, stamp);
            self.drain();
        }
    }
    let ser = Serializer::new(&engine.config, format, &[])?;
    let mut f = Flushing {
        ser,
        out,
        written: 0,
    };
    core_snap::feed_all(&engine.dbs, &mut f);
    let mut rest = f.ser.take();
    rest.extend(f.ser.finish()?);
    f.out.write_all(&rest)?;
    f.out.flush()?;
    Ok(f.written + rest.len() as u64)
}

enum Msg {
    Data(Vec<u8>),
    End,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Walking,
    /// The walk is complete: the last bytes and the end mark go out.
    Flushing,
    /// Waiting for the writer thread.
    Draining,
}

struct Job {
    id: u64,
    kind: Kind,
    walk: Option<Walk>,
    ser: Serializer,
    tx: Option<SyncSender<Msg>>,
    /// Chunks waiting for room in the channel (at most a couple).
    held: Vec<Msg>,
    writer: Option<JoinHandle<Result<u64>>>,
    on_done: Option<OnDone>,
    phase: Phase,
    error: Option<RdbError>,
    keys_total: u64,
    keys_saved: u64,
    /// When it started (engine clock, ms).
    started_ms: i64,
}

#[derive(Default)]
struct Snapshots {
    job: Option<Job>,
    /// An aborted walk still flipping bits.
    flipping: Option<Walk>,
    next_id: u64,
}

fn busy_error() -> RdbError {
    RdbError::Unsupported("snapshot already in progress".into())
}

/// Starts a snapshot streaming into `out` (see the module docs); returns its id.
pub fn start(
    engine: &mut Engine,
    out: Box<dyn Write + Send>,
    opts: Options,
    on_done: OnDone,
) -> Result<u64> {
    start_with(engine, Box::new(Stream(out)), opts, on_done)
}

/// `start` with a custom output.
pub fn start_with(
    engine: &mut Engine,
    out: Box<dyn Output>,
    opts: Options,
    on_done: OnDone,
) -> Result<u64> {
    let snaps = engine.ext.get_or_default::<Snapshots>();
    if snaps.job.is_some() {
        return Err(busy_error());
    }
    if let Some(mut w) = snaps.flipping.take() {
        w.finish_discarding(&mut engine.dbs);
    }
    let ser = Serializer::new(&engine.config, &opts.format, &opts.extra_aux)?;
    let walk = core_snap::begin(&mut engine.dbs).ok_or_else(busy_error)?;
    let (tx, rx) = sync_channel(CHANNEL_CHUNKS);
    let spawned = std::thread::Builder::new()
        .name("ember-snapshot".into())
        .spawn(move || write_loop(rx, out));
    let writer = match spawned {
        Ok(h) => h,
        Err(e) => {
            let mut walk = walk;
            walk.finish_discarding(&mut engine.dbs);
            return Err(RdbError::Io(e));
        }
    };
    let started_ms = engine.now_ms();
    let snaps = engine.ext.get_or_default::<Snapshots>();
    snaps.next_id += 1;
    let id = snaps.next_id;
    snaps.job = Some(Job {
        id,
        kind: opts.kind,
        keys_total: walk.keys_total(),
        walk: Some(walk),
        ser,
        tx: Some(tx),
        held: Vec::new(),
        writer: Some(writer),
        on_done: Some(on_done),
        phase: Phase::Walking,
        error: None,
        keys_saved: 0,
        started_ms,
    });
    engine.add_background_step("snapshot", step);
    engine.wake_background();
    Ok(id)
}

fn write_loop(rx: Receiver<Msg>, mut out: Box<dyn Output>) -> Result<u64> {
    let mut bytes = 0u64;
    loop {
        match rx.recv() {
            Ok(Msg::Data(b)) => {
                if let Err(e) = out.write_chunk(&b) {
                    out.abandon();
                    return Err(e.into());
                }
                bytes += b.len() as u64;
            }
            Ok(Msg::End) => {
                out.commit()?;
                return Ok(bytes);
            }
            Err(_) => {
                out.abandon();
                return Err(RdbError::Unsupported("snapshot aborted".into()));
            }
        }
    }
}

/// The running snapshot's kind.
pub fn busy(engine: &Engine) -> Option<Kind> {
    engine
        .ext
        .get::<Snapshots>()
        .and_then(|s| s.job.as_ref())
        .map(|j| j.kind)
}

/// When the running snapshot started (engine clock, ms).
pub fn started_ms(engine: &Engine) -> Option<i64> {
    Some(engine.ext.get::<Snapshots>()?.job.as_ref()?.started_ms)
}

/// (keys saved, keys in the image) of the running snapshot.
pub fn progress(engine: &Engine) -> Option<(u64, u64)> {
    let j = engine.ext.get::<Snapshots>()?.job.as_ref()?;
    let saved = j.walk.as_ref().map_or(j.keys_saved, |w| w.keys_saved);
    Some((saved, j.keys_total))
}

/// Abandons snapshot `id` (its `on_done` gets an error once the writer stops).
pub fn abort(engine: &mut Engine, id: u64) {
    let Some(snaps) = engine.ext.get_mut::<Snapshots>() else {
        return;
    };
    let Some(job) = snaps.job.as_mut().filter(|j| j.id == id) else {
        return;
    };
    job.fail(RdbError::Unsupported("snapshot aborted".into()));
    if let Some(mut w) = job.walk.take() {
        w.abort(&mut engine.dbs);
        job.keys_saved = w.keys_saved;
        snaps.flipping = Some(w);
    }
    engine.wake_background();
}

/// Aborts the running snapshot if it is of `kind`.
pub fn abort_kind(engine: &mut Engine, kind: Kind) {
    let id = engine
        .ext
        .get::<Snapshots>()
        .and_then(|s| s.job.as_ref())
        .filter(|j| j.kind == kind)
        .map(|j| j.id);
    if let Some(id) = id {
        abort(engine, id);
    }
}

/// Kills the running snapshot if its kind is in `kinds` (shutdown: Redis's
/// killRDBChild + rdbRemoveTempFile) and waits until its writer has let go of
/// the output (a temporary file is removed) and `on_done` ran with an error.
/// The bit flips of the abandoned walk continue later (background, cron, or
/// the next `start`), so the engine stays usable if the shutdown fails.
pub fn kill(engine: &mut Engine, kinds: &[Kind]) {
    let Some(id) = engine
        .ext
        .get::<Snapshots>()
        .and_then(|s| s.job.as_ref())
        .filter(|j| kinds.contains(&j.kind))
        .map(|j| j.id)
    else {
        return;
    };
    abort(engine, id);
    loop {
        let Some(job) = engine
            .ext
            .get_mut::<Snapshots>()
            .and_then(|s| s.job.as_mut())
        else {
            return;
        };
        // Aborted: the walk went to `flipping`; only the writer is left.
        if job.walk.is_none() && job.writer.as_ref().is_some_and(|h| !h.is_finished()) {
            std::thread::sleep(std::time::Duration::from_micros(200));
            continue;
        }
        step_with(engine, Budget::millis(1, SLICE_ENTRIES));
    }
}

/// Steps the running snapshot to its end on the calling thread (SAVE-like
/// callers: shutdown, tests, BGSAVE collection with wait).
pub fn run_to_completion(engine: &mut Engine) {
    loop {
        let pending = engine
            .ext
            .get::<Snapshots>()
            .is_some_and(|s| s.job.is_some() || s.flipping.is_some());
        if !pending {
            return;
        }
        if step_with(engine, Budget::millis(50, usize::MAX)) == Progress::Waiting {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }
}

/// Cron: a few slices (embedders without the server's driver still progress).
pub fn cron(engine: &mut Engine) {
    let until = std::time::Instant::now() + std::time::Duration::from_millis(5);
    while std::time::Instant::now() < until {
        if step(engine) != Progress::Busy {
            return;
        }
    }
}

/// The background stepper registered with the engine.
pub fn step(engine: &mut Engine) -> Progress {
    step_with(engine, Budget::millis(SLICE_MS, SLICE_ENTRIES))
}

fn step_with(engine: &mut Engine, budget: Budget) -> Progress {
    let Some(snaps) = engine.ext.get_mut::<Snapshots>() else {
        return Progress::Idle;
    };
    if let Some(w) = snaps.flipping.as_mut() {
        struct Nothing;
        impl Visitor for Nothing {
            fn select_db(&mut self, _: usize, _: Option<(usize, usize)>) {}
            fn key(&mut self, _: &[u8], _: &Value, _: Option<i64>, _: AccessStamp) {}
        }
        if w.step(&mut engine.dbs, budget, &mut Nothing) {
            snaps.flipping = None;
        } else if snaps.job.is_none() {
            return Progress::Busy;
        }
    }
    let Some(job) = snaps.job.as_mut() else {
        return Progress::Idle;
    };
    let p = job.advance(&mut engine.dbs, budget);
    if let Some(walk) = job.walk.take_if(|w| w.is_discarding()) {
        job.keys_saved = walk.keys_saved;
        snaps.flipping = Some(walk);
    }
    if p != Step::Finished {
        return match p {
            Step::Busy => Progress::Busy,
            _ => Progress::Waiting,
        };
    }
    let mut job = snaps.job.take().expect("running");
    let written = job
        .writer
        .take()
        .map(|h| {
            h.join()
                .unwrap_or_else(|_| Err(RdbError::Unsupported("snapshot writer panicked".into())))
        })
        .unwrap_or(Ok(0));
    let keys = job.walk.as_ref().map_or(job.keys_saved, |w| w.keys_saved);
    let result = match (job.error.take(), written) {
        (Some(e), _) | (None, Err(e)) => Err(e),
        (None, Ok(bytes)) => Ok(Done { bytes, keys }),
    };
    if let Some(f) = job.on_done.take() {
        f(engine, result);
    }
    if engine
        .ext
        .get::<Snapshots>()
        .is_some_and(|s| s.flipping.is_some() || s.job.is_some())
    {
        Progress::Busy
    } else {
        Progress::Idle
    }
}

#[derive(PartialEq, Eq)]
enum Step {
    Busy,
    Waiting,
    Finished,
}

impl Job {
    /// Records the first error and stops feeding the writer (it abandons
    /// its output when the channel closes without the end mark).
    fn fail(&mut self, e: RdbError) {
        self.error.get_or_insert(e);
        self.held.clear();
        self.tx = None;
        self.phase = Phase::Draining;
    }

    /// Sends held chunks; false while the channel is full.
    fn send_held(&mut self) -> bool {
        while !self.held.is_empty() {
            let Some(tx) = &self.tx else {
                self.held.clear();
                return true;
            };
            let msg = self.held.remove(0);
            match tx.try_send(msg) {
                Ok(()) => {}
                Err(TrySendError::Full(m)) => {
                    self.held.insert(0, m);
                    return false;
                }
                Err(TrySendError::Disconnected(_)) => {
                    // The writer failed; its error is collected at the end.
                    self.held.clear();
                    self.tx = None;
                    self.phase = Phase::Draining;
                    return true;
                }
            }
        }
        true
    }

    fn advance(&mut self, dbs: &mut [ember_core::db::Db], budget: Budget) -> Step {
        loop {
            match self.phase {
                Phase::Walking => {
                    if !self.send_held() {
                        return Step::Waiting;
                    }
                    if self.phase != Phase::Walking {
                        // The writer is gone: finish flipping, then collect.
                        if let Some(w) = self.walk.as_mut() {
                            w.abort(dbs);
                        }
                        continue;
                    }
                    let walk = self.walk.as_mut().expect("walking");
                    let done = walk.step(dbs, budget, &mut self.ser);
                    if let Some(e) = self.ser.err.take() {
                        walk.abort(dbs);
                        self.fail(e);
                        continue;
                    }
                    if self.ser.len() >= CHUNK || done {
                        let b = self.ser.take();
                        if !b.is_empty() {
                            self.held.push(Msg::Data(b));
                        }
                    }
                    if done && walk.is_lost() {
                        self.fail(RdbError::Unsupported(
                            "the dataset was replaced while the snapshot ran".into(),
                        ));
                        continue;
                    }
                    if done {
                        match self.ser.finish() {
                            Ok(tail) => {
                                self.held.push(Msg::Data(tail));
                                self.held.push(Msg::End);
                                self.phase = Phase::Flushing;
                            }
                            Err(e) => self.fail(e),
                        }
                        continue;
                    }
                    self.send_held();
                    return Step::Busy;
                }
                Phase::Flushing => {
                    if !self.send_held() {
                        return Step::Waiting;
                    }
                    self.tx = None;
                    self.phase = Phase::Draining;
                }
                Phase::Draining => {
                    if let Some(w) = self.walk.as_mut().filter(|w| !w.is_finished()) {
                        // Failed mid-walk (e.g. the writer died while a chunk
                        // was being handed over): abandon the image, and the
                        // flipping continues elsewhere (`step_with` moves a
                        // discarding walk out of the job).
                        if !w.is_discarding() {
                            w.abort(dbs);
                        }
                        return Step::Busy;
                    }
                    return match &self.writer {
                        Some(h) if !h.is_finished() => Step::Waiting,
                        _ => Step::Finished,
                    };
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;
