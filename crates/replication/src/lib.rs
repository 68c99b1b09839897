//! Ember's replication, master side: PSYNC/SYNC with a full resync from an
//! in-memory RDB snapshot or a partial one from the backlog, the command
//! stream fed by the engine's propagation hook (SELECT when the database
//! changes), REPLCONF, ROLE, periodic PINGs and INFO replication.
//!
//! The propagation sink cannot reach the engine, so the stream is queued per
//! replica in [`Shared`] and moved into each replica client's output by
//! [`flush`]: the front end calls it when [`set_notifier`]'s waker fires, and
//! the cron hook calls it too (embedders without a front end).

pub mod backlog;
pub mod fullsync;
pub mod ids;
pub mod master;
pub mod replica;
pub mod wait;

use backlog::Backlog;
use ember_core::client::{ClientId, Waker};
use ember_core::{Engine, EngineBuilder};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The stream as the propagation sink sees it.
pub struct Shared {
    /// `master_repl_offset`: bytes of stream produced since the backlog was created.
    pub offset: u64,
    pub backlog: Backlog,
    /// Database the stream last selected (None: the next write emits SELECT).
    pub seldb: Option<usize>,
    /// Stream bytes not yet handed to each replica client.
    pub outs: Vec<(ClientId, Vec<u8>)>,
    pub notify: Option<Waker>,
    /// True on a replica: the stream is the master's, proxied verbatim with
    /// `feed_raw` by the replica link; the engine's own writes are not fed
    /// (Redis's replicationFeedSlaves returns early when masterhost is set).
    pub proxy: bool,
    /// `offset`, readable without this lock (the engine's `repl_offset`:
    /// commands that move it set their client's `woff`).
    pub offset_cell: Arc<AtomicU64>,
    /// Reused by `feed` to encode each write.
    scratch: Vec<u8>,
}

impl Shared {
    /// Appends raw stream bytes: backlog, offset and every replica.
    pub fn feed_raw(&mut self, bytes: &[u8]) {
        // A master without backlog nor replicas keeps no stream (Redis's
        // replicationFeedSlaves returns early; the offset stays).
        if !self.backlog.is_active() && self.outs.is_empty() {
            return;
        }
        self.set_offset(self.offset + bytes.len() as u64);
        self.backlog.feed(bytes);
        for (_, out) in self.outs.iter_mut() {
            out.extend_from_slice(bytes);
        }
        if !self.outs.is_empty() {
            if let Some(n) = &self.notify {
                n();
            }
        }
    }

    /// Moves the stream's offset (a full sync from our master).
    pub fn set_offset(&mut self, offset: u64) {
        self.offset = offset;
        self.offset_cell.store(offset, Ordering::Relaxed);
    }

    /// One propagated write, preceded by SELECT when the database changes.
    pub fn feed(&mut self, db: usize, argv: &[ember_core::Bytes]) {
        // Nothing to feed: no encoding, and the stream's SELECT state stays
        // as it is (Redis's replicationFeedSlaves returns first thing).
        if self.proxy || (!self.backlog.is_active() && self.outs.is_empty()) {
            return;
        }
        // Encoded into a buffer kept between writes: no allocation per write.
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        if self.seldb != Some(db) {
            let mut n = itoa::Buffer::new();
            encode_argv(&[b"SELECT".as_slice(), n.format(db).as_bytes()], &mut buf);
            self.seldb = Some(db);
        }
        encode_argv(argv, &mut buf);
        self.feed_raw(&buf);
        self.scratch = buf;
    }
}

/// A command as a RESP multibulk (the AOF's encoding: the stream and the
/// AOF carry the same bytes).
pub fn encode_argv(argv: &[impl AsRef<[u8]>], out: &mut Vec<u8>) {
    ember_persistence::aof::writer::encode_command(out, argv);
}

/// A connected replica as the master tracks it.
#[derive(Clone, Debug)]
pub struct Replica {
    pub id: ClientId,
    pub ip: String,
    pub port: u16,
    pub ack_offset: u64,
    pub ack_ms: i64,
}

/// Replication state kept in the engine's extensions.
#[derive(Default)]
pub struct Repl {
    pub shared: Option<Arc<Mutex<Shared>>>,
    pub replicas: Vec<Replica>,
    /// `REPLCONF listening-port` announced before PSYNC.
    pub ports: Vec<(ClientId, u16)>,
    /// When the once-a-second part of the cron last ran, and how many times
    /// it has (Redis's replication_cron_loops).
    pub last_second_ms: i64,
    pub cron_seconds: u64,
    pub notify: Option<Waker>,
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
}

pub fn state(engine: &mut Engine) -> &mut Repl {
    engine.ext.get_or_default::<Repl>()
}

/// The stream, created (with its backlog and propagation sink) on first use.
pub fn shared(engine: &mut Engine) -> Arc<Mutex<Shared>> {
    if let Some(s) = &state(engine).shared {
        return s.clone();
    }
    let size = engine.config.repl_backlog_size.max(1) as usize;
    let notify = state(engine).notify.clone();
    let cell = Arc::new(AtomicU64::new(0));
    engine.repl_offset = Some(cell.clone());
    let s = Arc::new(Mutex::new(Shared {
        offset: 0,
        backlog: Backlog::new(size),
        seldb: None,
        outs: Vec::new(),
        scratch: Vec::new(),
        notify,
        proxy: engine.is_replica,
        offset_cell: cell,
    }));
    let sink = s.clone();
    engine.add_replication_sink(Box::new(move |db, argv| sink.lock().feed(db, argv)));
    state(engine).shared = Some(s.clone());
    s
}

/// Registers how the front end is told that replica output is waiting
/// (it then calls [`flush`] under the engine lock).
pub fn set_notifier(engine: &mut Engine, notify: Waker) {
    let st = state(engine);
    st.notify = Some(notify.clone());
    if let Some(s) = &st.shared {
        s.lock().notify = Some(notify);
    }
}

/// Moves queued stream bytes into the replica clients' output and wakes
/// them; forgets replicas whose connection is gone.
pub fn flush(engine: &mut Engine) {
    // A WAIT that blocked asks its replicas for an acknowledgement now.
    wait::send_getack(engine);
    // Replicas in a full-sync transfer get the payload first (their stream waits).
    fullsync::pump(engine);
    let Some(s) = engine.ext.get::<Repl>().and_then(|r| r.shared.clone()) else {
        return;
    };
    let mut sh = s.lock();
    let mut gone = Vec::new();
    for (id, out) in sh.outs.iter_mut() {
        match engine.clients.get_mut(id) {
            Some(c) => {
                if !out.is_empty() {
                    c.pending.append(out);
                    c.wake();
                }
            }
            None => gone.push(*id),
        }
    }
    if !gone.is_empty() {
        sh.outs.retain(|(id, _)| !gone.contains(id));
        drop(sh);
        let st = state(engine);
        st.replicas.retain(|r| !gone.contains(&r.id));
        st.ports.retain(|(id, _)| !gone.contains(id));
    }
}

/// Adds this layer to an engine under construction.
pub fn install(builder: EngineBuilder) -> EngineBuilder {
    builder
        .commands(master::commands())
        .info_provider("Replication", master::info_section)
        .cron_hook(master::cron)
        .config_hook(master::config_hook)
        // After the master rows: REPLICAOF, and ROLE/INFO that know replicas.
        .commands(replica::commands())
        .info_provider("Replication", replica::info_section)
}

/// `install` then `build`, for embedders and tests.
pub fn build(builder: EngineBuilder) -> Engine {
    install(builder).build()
}
