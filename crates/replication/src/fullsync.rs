//! Full resynchronization on the fork-less snapshot (`ember_persistence::snapshot`).
//!
//! A replica asking for a full sync waits (`wait_bgsave`) until a transfer
//! starts: at once for a disk-based one, after `repl-diskless-sync-delay`
//! seconds (or `repl-diskless-sync-max-replicas` waiting) for a diskless one,
//! so several replicas share one snapshot, as Redis batches them. Starting
//! takes the snapshot's point in time and the stream offset together, sends
//! `+FULLRESYNC <replid> <offset>`, and attaches the replicas to the stream;
//! while the payload is produced (`send_bulk`), their stream bytes are held
//! back here and go out right after it. Diskless payloads are framed
//! `$EOF:<40 chars>\r\n<rdb><40 chars>` and stream as the snapshot is
//! serialized. Disk-based ones are Redis's: a normal BGSAVE to
//! `dir`/`dbfilename` (with the replication AUX fields), then the file
//! streamed as `$<len>\r\n<rdb>` by a reader thread, with bounded memory;
//! disk-based replicas arriving while that BGSAVE runs attach to it.

use crate::{shared, state};
use ember_core::client::{ClientId, Waker};
use ember_core::Engine;
use ember_persistence::snapshot::{self, Kind};
use parking_lot::Mutex;
use std::io::Write;
use std::sync::Arc;

/// Payload bytes buffered per replica (between the producer thread and the
/// engine, and again in the connection's output) before the producer waits.
const BUFFER_LIMIT: usize = 8 << 20;

/// A replica waiting for a transfer to start.
#[derive(Clone, Debug)]
pub struct Waiting {
    pub id: ClientId,
    /// Sent `capa eof`: can take a diskless payload.
    pub eof: bool,
    /// SYNC (not PSYNC): no `+FULLRESYNC` line.
    pub old_sync: bool,
    pub since_ms: i64,
}

/// Payload bytes between the snapshot writer thread and the engine thread.
#[derive(Default)]
struct Buf {
    data: Vec<u8>,
    /// The replica is gone: the writer stops waiting for it.
    closed: bool,
    /// Disk-based: the file reader reached the end (true) or failed.
    finished: Option<bool>,
}

struct Transfer {
    id: ClientId,
    snap: u64,
    buf: Arc<Mutex<Buf>>,
    /// Diskless end mark; None = disk-based (`$<len>` prefix).
    mark: Option<String>,
    /// Disk-based: the RDB file, sent once its BGSAVE (`snap`) is over;
    /// None once its reader started.
    file: Option<std::path::PathBuf>,
    /// `+FULLRESYNC` id and offset (replicas attaching to the same BGSAVE).
    replid: String,
    offset: u64,
    /// Stream bytes produced since the snapshot, sent after the payload.
    held: Vec<u8>,
    /// Set by the snapshot's end: Some(true) complete, Some(false) failed.
    done: Option<bool>,
    /// Diskless payload sent: the stream waits for the replica's first
    /// REPLCONF ACK (it reads the payload up to the mark, and bytes right
    /// behind the mark would hide it), as Redis 7.0 does.
    awaiting_ack: bool,
}

/// Full-sync state in the engine's extensions.
#[derive(Default)]
pub struct FullSync {
    pub waiting: Vec<Waiting>,
    transfers: Vec<Transfer>,
}

fn fs(engine: &mut Engine) -> &mut FullSync {
    engine.ext.get_or_default::<FullSync>()
}

/// `wait_bgsave`, `send_bulk` or `online`, as INFO shows a replica.
pub fn replica_state(engine: &Engine, id: ClientId) -> &'static str {
    match engine.ext.get::<FullSync>() {
        Some(f) if f.waiting.iter().any(|w| w.id == id) => "wait_bgsave",
        // Disk-based: the BGSAVE still runs (Redis's WAIT_BGSAVE_END).
        Some(f) if f.transfers.iter().any(|t| t.id == id && t.file.is_some()) => "wait_bgsave",
        Some(f) if f.transfers.iter().any(|t| t.id == id && !t.awaiting_ack) => "send_bulk",
        _ => "online",
    }
}

/// Replicas that get a keepalive newline while their payload is prepared:
/// waiting for a transfer, or for the BGSAVE of a disk-based one.
pub fn keepalive_ids(engine: &Engine) -> Vec<ClientId> {
    let Some(f) = engine.ext.get::<FullSync>() else {
        return Vec::new();
    };
    f.waiting
        .iter()
        .map(|w| w.id)
        .chain(
            f.transfers
                .iter()
                .filter(|t| t.file.is_some())
                .map(|t| t.id),
        )
        .collect()
}

pub fn is_online(engine: &Engine, id: ClientId) -> bool {
    replica_state(engine, id) == "online"
}

/// Queues replica `id` for a full sync and starts one if it may start now.
pub fn request(engine: &mut Engine, id: ClientId, eof: bool, old_sync: bool) {
    let now = engine.now_ms();
    let f = fs(engine);
    f.waiting.retain(|w| w.id != id);
    f.waiting.push(Waiting {
        id,
        eof,
        old_sync,
        since_ms: now,
    });
    maybe_start(engine);
}

/// Starts a transfer for the waiting replicas when due (called on requests
/// and from the cron): disk-based at once, diskless after the delay or when
/// enough replicas wait; never while another snapshot runs.
pub fn maybe_start(engine: &mut Engine) {
    let now = engine.now_ms();
    let alive: Vec<ClientId> = engine.clients.keys().copied().collect();
    let f = fs(engine);
    f.waiting.retain(|w| alive.contains(&w.id));
    if f.waiting.is_empty() {
        return;
    }
    let waiting = f.waiting.clone();
    let cfg = &engine.config;
    let diskless = cfg.repl_diskless_sync && waiting.iter().all(|w| w.eof && !w.old_sync);
    if diskless && cfg.repl_diskless_sync_delay > 0 {
        let max = cfg.repl_diskless_sync_max_replicas;
        let oldest = waiting.iter().map(|w| w.since_ms).min().unwrap_or(now);
        let enough = max > 0 && waiting.len() as i64 >= max;
        if !enough && now - oldest < cfg.repl_diskless_sync_delay * 1000 {
            return;
        }
    }
    if !diskless && attach(engine, &waiting) {
        return;
    }
    if snapshot::busy(engine).is_some() {
        // A BGSAVE of someone else's: wait for the next one (Redis's
        // "Waiting for next BGSAVE for SYNC").
        return;
    }
    start(engine, waiting, diskless);
}

/// Disk-based replicas arriving while the BGSAVE of another disk-based
/// transfer runs share it: same `+FULLRESYNC` offset and a copy of the
/// stream held since (Redis's syncCommand, BGSAVE in progress with disk
/// target). True when they were attached.
fn attach(engine: &mut Engine, batch: &[Waiting]) -> bool {
    let Some(bgsave) = ember_persistence::save::state(engine)
        .bgsave
        .as_ref()
        .map(|b| b.id)
    else {
        return false;
    };
    let Some(f) = engine.ext.get::<FullSync>() else {
        return false;
    };
    let Some(base) = f
        .transfers
        .iter()
        .find(|t| t.file.is_some() && t.snap == bgsave)
    else {
        return false;
    };
    let (base_id, snap, file, replid, offset) = (
        base.id,
        base.snap,
        base.file.clone(),
        base.replid.clone(),
        base.offset,
    );
    let sh = shared(engine);
    let mut held = engine
        .ext
        .get::<FullSync>()
        .and_then(|f| f.transfers.iter().find(|t| t.id == base_id))
        .map(|t| t.held.clone())
        .unwrap_or_default();
    {
        let s = sh.lock();
        if let Some((_, out)) = s.outs.iter().find(|(c, _)| *c == base_id) {
            held.extend_from_slice(out);
        }
    }
    fs(engine)
        .waiting
        .retain(|w| !batch.iter().any(|b| b.id == w.id));
    for w in batch {
        tracing::info!("Waiting for end of BGSAVE for SYNC");
        let mut s = sh.lock();
        s.outs.retain(|(c, _)| *c != w.id);
        s.outs.push((w.id, Vec::new()));
        drop(s);
        if !w.old_sync {
            if let Some(c) = engine.clients.get_mut(&w.id) {
                c.pending
                    .extend_from_slice(format!("+FULLRESYNC {replid} {offset}\r\n").as_bytes());
                c.wake();
            }
        }
        fs(engine).transfers.push(Transfer {
            id: w.id,
            snap,
            buf: Arc::default(),
            mark: None,
            file: file.clone(),
            replid: replid.clone(),
            offset,
            held: held.clone(),
            done: None,
            awaiting_ack: false,
        });
    }
    true
}

/// Snapshot writer: copies the payload into every replica's buffer.
struct Writer {
    bufs: Vec<Arc<Mutex<Buf>>>,
    notify: Option<Waker>,
    limit: Option<usize>,
}

impl Write for Writer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if let Some(limit) = self.limit {
            // Back-pressure: wait while a live replica has a full buffer.
            loop {
                let full = self.bufs.iter().any(|x| {
                    let x = x.lock();
                    !x.closed && x.data.len() >= limit
                });
                if !full {
                    break;
                }
                if let Some(n) = &self.notify {
                    n();
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
        let mut live = 0;
        for x in &self.bufs {
            let mut x = x.lock();
            if !x.closed {
                x.data.extend_from_slice(b);
                live += 1;
            }
        }
        if live == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "no replica left",
            ));
        }
        if let Some(n) = &self.notify {
            n();
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn start(engine: &mut Engine, batch: Vec<Waiting>, diskless: bool) {
    let sh = shared(engine);
    let offset = sh.lock().offset;
    let stream_db = crate::replica::stream_db(engine).unwrap_or(0);
    let aux = vec![
        (
            b"repl-stream-db".to_vec(),
            stream_db.to_string().into_bytes(),
        ),
        (b"repl-id".to_vec(), engine.replid.clone().into_bytes()),
        (b"repl-offset".to_vec(), offset.to_string().into_bytes()),
    ];
    let bufs: Vec<Arc<Mutex<Buf>>> = batch.iter().map(|_| Arc::default()).collect();
    let started = if diskless {
        let mut opts = snapshot::rdb_options(engine, Kind::Replication);
        opts.extra_aux = aux;
        let writer = Writer {
            bufs: bufs.clone(),
            notify: state(engine).notify.clone(),
            limit: Some(BUFFER_LIMIT),
        };
        let on_done: snapshot::OnDone = Box::new(|e: &mut Engine, res| {
            let ok = res.is_ok();
            if let Some(f) = e.ext.get_mut::<FullSync>() {
                for t in f
                    .transfers
                    .iter_mut()
                    .filter(|t| t.mark.is_some() && t.done.is_none())
                {
                    t.done = Some(ok);
                }
            }
            pump(e);
        });
        snapshot::start(engine, Box::new(writer), opts, on_done)
    } else {
        // A normal BGSAVE to `dir`/`dbfilename`, then the file is sent.
        ember_persistence::save::bgsave_start_with_aux(engine, aux)
    };
    let snap = match started {
        Ok(id) => id,
        // Busy after all: the cron tries again.
        Err(_) if snapshot::busy(engine).is_some() => return,
        Err(e) => {
            tracing::warn!("BGSAVE for replication failed: {e}");
            fs(engine)
                .waiting
                .retain(|w| !batch.iter().any(|b| b.id == w.id));
            for w in &batch {
                if let Some(c) = engine.clients.get_mut(&w.id) {
                    c.pending.extend_from_slice(
                        b"-ERR BGSAVE failed, maybe there is no disk space?\r\n",
                    );
                    c.close_after_reply = true;
                    c.wake();
                }
            }
            return;
        }
    };
    let mark = diskless.then(|| ember_core::cmd::server::random_hex40(&mut engine.rng));
    let file = (!diskless).then(|| ember_persistence::save::rdb_path(&engine.config));
    if !diskless {
        tracing::info!("Starting BGSAVE for SYNC with target: disk");
    }
    let replid = engine.replid.clone();
    fs(engine)
        .waiting
        .retain(|w| !batch.iter().any(|b| b.id == w.id));
    let mut s = sh.lock();
    // Every replica's stream starts by selecting its database.
    s.seldb = None;
    for (w, buf) in batch.iter().zip(bufs) {
        let mut head = Vec::new();
        if !w.old_sync {
            head.extend_from_slice(format!("+FULLRESYNC {replid} {offset}\r\n").as_bytes());
        }
        if let Some(m) = &mark {
            head.extend_from_slice(format!("$EOF:{m}\r\n").as_bytes());
        }
        s.outs.retain(|(c, _)| *c != w.id);
        s.outs.push((w.id, Vec::new()));
        drop(s);
        if let Some(c) = engine.clients.get_mut(&w.id) {
            c.pending.extend_from_slice(&head);
            c.wake();
        }
        fs(engine).transfers.push(Transfer {
            id: w.id,
            snap,
            buf,
            mark: mark.clone(),
            file: file.clone(),
            replid: replid.clone(),
            offset,
            held: Vec::new(),
            done: None,
            awaiting_ack: false,
        });
        s = sh.lock();
    }
}

/// Streams a finished RDB file into `buf` (Redis's sendBulkToSlave), waiting
/// while the replica's buffer is full; marks `finished` at the end.
fn spawn_reader(mut file: std::fs::File, buf: Arc<Mutex<Buf>>, notify: Option<Waker>) {
    let wake = move || {
        if let Some(n) = &notify {
            n();
        }
    };
    let run = move || {
        let mut chunk = vec![0u8; 256 * 1024];
        loop {
            loop {
                let b = buf.lock();
                if b.closed {
                    return;
                }
                if b.data.len() < BUFFER_LIMIT {
                    break;
                }
                drop(b);
                wake();
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            let r = std::io::Read::read(&mut file, &mut chunk);
            let mut b = buf.lock();
            match r {
                Ok(0) => b.finished = Some(true),
                Ok(n) => b.data.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    tracing::warn!("Read error sending DB to replica: {e}");
                    b.finished = Some(false);
                }
            }
            let end = b.finished.is_some();
            drop(b);
            wake();
            if end {
                return;
            }
        }
    };
    let _ = std::thread::Builder::new()
        .name("ember-sendbulk".into())
        .spawn(run);
}

/// A replica acknowledged: after a diskless payload, its stream starts now.
pub fn on_ack(engine: &mut Engine, id: ClientId) {
    let Some(f) = engine.ext.get_mut::<FullSync>() else {
        return;
    };
    let Some(i) = f
        .transfers
        .iter()
        .position(|t| t.id == id && t.awaiting_ack)
    else {
        return;
    };
    let mut t = f.transfers.remove(i);
    if let Some(sh) = engine
        .ext
        .get::<crate::Repl>()
        .and_then(|r| r.shared.clone())
    {
        let mut s = sh.lock();
        if let Some((_, out)) = s.outs.iter_mut().find(|(c, _)| *c == id) {
            t.held.append(out);
        }
    }
    if let Some(c) = engine.clients.get_mut(&id) {
        c.pending.append(&mut t.held);
        c.wake();
    }
}

/// Moves payload bytes to the replicas' output, holding their stream back
/// until the payload is complete; then lets the stream flow. Called by
/// [`crate::flush`] (on every stream or payload wake-up) and the cron.
pub fn pump(engine: &mut Engine) {
    let Some(f) = engine.ext.get_mut::<FullSync>() else {
        return;
    };
    if f.transfers.is_empty() {
        return;
    }
    let transfers = std::mem::take(&mut f.transfers);
    let sh = engine
        .ext
        .get::<crate::Repl>()
        .and_then(|r| r.shared.clone());
    let now = engine.now_ms();
    let (bgsave, bgsave_ok) = {
        let st = ember_persistence::save::state(engine);
        (st.bgsave.as_ref().map(|b| b.id), st.last_bgsave_ok)
    };
    let notify = state(engine).notify.clone();
    let mut keep = Vec::new();
    let mut failed = Vec::new();
    let mut online = Vec::new();
    for mut t in transfers {
        if let Some(sh) = &sh {
            let mut s = sh.lock();
            if let Some((_, out)) = s.outs.iter_mut().find(|(c, _)| *c == t.id) {
                t.held.append(out);
            }
        }
        let Some(c) = engine.clients.get_mut(&t.id).filter(|c| !c.killed) else {
            t.buf.lock().closed = true;
            // A disk BGSAVE goes on (it is a normal save).
            if t.mark.is_some() {
                failed.push(t.snap);
            }
            continue;
        };
        if t.mark.is_none() {
            // Disk-based: wait for the BGSAVE, then stream its file.
            if let Some(path) = t.file.clone() {
                if bgsave == Some(t.snap) {
                    keep.push(t);
                    continue;
                }
                let opened = if bgsave_ok {
                    std::fs::File::open(&path)
                        .and_then(|f| f.metadata().map(|m| (f, m.len())))
                        .map_err(|e| tracing::warn!("Can't open the RDB file for replication: {e}"))
                        .ok()
                } else {
                    None
                };
                let Some((file, len)) = opened else {
                    // The save failed: the replica reconnects and tries again.
                    c.killed = true;
                    c.wake();
                    continue;
                };
                c.pending
                    .extend_from_slice(format!("${len}\r\n").as_bytes());
                c.wake();
                spawn_reader(file, t.buf.clone(), notify.clone());
                t.file = None;
            }
            let finished = {
                let mut b = t.buf.lock();
                if c.pending.len() + c.obuf < BUFFER_LIMIT && !b.data.is_empty() {
                    c.pending.append(&mut b.data);
                    c.wake();
                }
                b.finished.filter(|_| b.data.is_empty())
            };
            match finished {
                Some(true) => {
                    tracing::info!("Synchronization with replica succeeded");
                    c.pending.append(&mut t.held);
                    c.wake();
                    online.push(t.id);
                }
                Some(false) => {
                    c.killed = true;
                    c.wake();
                }
                None => keep.push(t),
            }
            continue;
        }
        match t.done {
            Some(false) => {
                // The snapshot failed: the replica reconnects and tries again.
                c.killed = true;
                c.wake();
                continue;
            }
            Some(true) if t.awaiting_ack => keep.push(t),
            Some(true) => {
                let data = std::mem::take(&mut t.buf.lock().data);
                c.pending.extend_from_slice(&data);
                if let Some(m) = &t.mark {
                    c.pending.extend_from_slice(m.as_bytes());
                }
                c.wake();
                t.awaiting_ack = true;
                online.push(t.id);
                keep.push(t);
            }
            None => {
                if c.pending.len() + c.obuf < BUFFER_LIMIT {
                    let data = std::mem::take(&mut t.buf.lock().data);
                    if !data.is_empty() {
                        c.pending.extend_from_slice(&data);
                        c.wake();
                    }
                }
                keep.push(t);
            }
        }
    }
    // A snapshot nobody receives any more is abandoned.
    for snap in failed {
        if !keep.iter().any(|t| t.snap == snap) {
            snapshot::abort(engine, snap);
        }
    }
    let f = fs(engine);
    keep.append(&mut f.transfers);
    f.transfers = keep;
    let st = state(engine);
    for r in st.replicas.iter_mut().filter(|r| online.contains(&r.id)) {
        r.ack_ms = now;
    }
    if !online.is_empty() {
        crate::master::refresh_good_replicas(engine);
    }
}
