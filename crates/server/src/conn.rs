//! One client connection: read, parse every complete command, execute the batch
//! under one engine lock, write all replies with one write. A pipelined batch's
//! write waits until the other ready connections have run theirs, so replies
//! leave in bursts as Redis's do (see the yield in `serve` and
//! `listener::EVENT_INTERVAL`). A client that sends on without reading its
//! replies is still read and answered, the replies queueing unwritten, as in
//! Redis (see `written` in `serve`).

use bytes::BytesMut;
use ember_core::Engine;
use ember_resp::{encode, Reply, RequestParser};
use parking_lot::Mutex;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;
use tracing::warn;

mod output;
use output::{set_obuf, write_watching, Flush};

/// What the listener tells a connection about itself.
pub struct ConnInfo {
    pub addr: String,
    pub laddr: String,
    pub fd: i64,
    /// Peer is 127.0.0.1, ::1 or a unix socket (Redis's connIsLocal).
    pub local: bool,
}

const READ_CHUNK: usize = 16 * 1024;
/// The most one read asks room for (see `read_size` in `serve`).
const READ_MAX: usize = 64 * 1024;
/// Output past which a batch stops to write (the rest of the batch runs right
/// after): bounds the buffer of a deep pipeline of long replies, which would
/// otherwise be regrown and copied several times over (Redis likewise writes
/// at most 64 KiB per client per event-loop turn).
const FLUSH_AT: usize = 128 * 1024;
/// The most one write sends before the other ready connections run (Redis's
/// NET_MAX_WRITES_PER_EVENT): long replies then reach their clients in step
/// with their reading. Written whole, fifty clients' 600 KiB LRANGE replies sat
/// in the kernel at once and cost the reader a third more CPU per reply
/// (softirq and wake-up work), which made it the bottleneck (d1024 lrange_600
/// -P 1: 0.86 of Redis's rps, 1.09 with this bound).
const WRITE_MAX: usize = 64 * 1024;
/// The most reply bytes held back for one burst (see the yield in `serve`).
const BURST_MAX: usize = 1024 * 1024;
/// Reply bytes held back for the current burst, all connections together.
static DEFERRED: AtomicUsize = AtomicUsize::new(0);

/// One batch's bytes in `DEFERRED`, taken out again when it is dropped: after
/// its write, or with the task if the runtime drops it mid-wait (a stopped
/// embedded server must not leave the count up for the rest of the process).
struct HeldBack(usize);

impl Drop for HeldBack {
    fn drop(&mut self) {
        DEFERRED.fetch_sub(self.0, Ordering::Relaxed);
    }
}

pub async fn serve<S>(
    mut stream: S,
    engine: Arc<Mutex<Engine>>,
    info: ConnInfo,
    shutdown: Arc<Notify>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let wake = Arc::new(Wake::default());
    let refused = {
        let mut eng = engine.lock();
        eng.stats.total_connections_received += 1;
        // Protected mode: no password and a non-local peer (Redis's clientAcceptHandler).
        let refused = ember_core::acl::protected_mode_refuses(&eng, info.local);
        if refused {
            eng.stats.rejected_connections += 1;
        }
        refused
    };
    if refused {
        let denied = ember_core::acl::PROTECTED_MODE_DENIED.as_bytes();
        let _ = stream.write_all(denied).await;
        let _ = stream.shutdown().await;
        return;
    }
    let (id, max_bulk, authenticated, mut query_limit) = {
        let mut eng = engine.lock();
        let id = eng.add_client();
        let max_bulk = eng.config.proto_max_bulk_len;
        let w = wake.clone();
        if let Some(c) = eng.client_mut(id) {
            c.addr = info.addr;
            c.laddr = info.laddr;
            c.fd = info.fd;
            c.is_local = false;
            c.loopback = info.local;
            c.waker = Some(Arc::new(move || w.notify()));
        }
        let authenticated = eng.is_authenticated(id);
        let query_limit = eng.config.client_query_buffer_limit;
        (id, max_bulk, authenticated, query_limit)
    };
    let mut parser = RequestParser::new(max_bulk);
    // Before AUTH, Redis caps request sizes (CVE-2021-32675).
    parser.set_unauthenticated(!authenticated);
    // Whether the client was authenticated when the engine was last looked at.
    let mut authed = authenticated;
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let mut out: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut batch = Queue::new();
    // Commands wait in `batch` while the client is held: CLIENT PAUSE
    // postponed its first command (resubmitted when woken or when the pause
    // ends) or a blocking command parked it (its reply arrives as pending
    // output; the next commands run once it is unblocked).
    let mut held = false;
    let mut protocol_error = None;
    // Room each read should have. A read that fills its room doubles it (up
    // to READ_MAX): a pipelined batch larger than the room (16 requests of
    // 1 KiB values) is then read, run and answered whole, one read and one
    // write, instead of being cut in two at every read (Redis too reads
    // greedily into its grown query buffer).
    let mut read_size = READ_CHUNK;
    let mut small_reads = 0u32;
    // Replies still unwritten: `out[written..]`. The client may send more
    // before it reads them (a pipeline written whole before its replies are
    // read, as redis-py's does); as Redis, the server goes on reading and
    // answering meanwhile, the replies queueing behind, so neither side waits
    // for the other forever. `carried` is such a read, run as the next batch.
    let mut written = 0usize;
    let mut carried: Option<std::io::Result<usize>> = None;
    'conn: loop {
        let room = buf.capacity() - buf.len();
        // The consumed front is reused when no argument still points into
        // it (cheap: moves the unparsed tail). A buffer that queued or
        // blocked commands still pin is replaced only when it is nearly
        // full, so they do not each pin a buffer of their own.
        if room < read_size / 2 && !buf.try_reclaim(read_size) && room < 1024 {
            reserve_input(&mut buf, &parser, read_size);
        }
        let retry_in = if held {
            let eng = engine.lock();
            let pause = ember_core::cmd::pause::pause_remaining_ms(&eng);
            // A blocked client's timeout fires on time, not at the next cron tick.
            let block = eng
                .clients
                .get(&id)
                .and_then(|c| c.blocked.as_ref()?.deadline)
                .map(|d| (d - eng.now_ms()).max(0));
            match (pause, block) {
                (Some(p), Some(b)) => Some(p.min(b)),
                (p, b) => p.or(b),
            }
        } else {
            None
        };
        // One poll covers input, wake-ups (CLIENT KILL, pushes; checked first)
        // and, while held, the retry timer. A wake-up is an atomic flag and a
        // stored waker, not a Notify registration per request.
        let event = if let Some(read) = carried.take() {
            // Input that arrived while replies waited for the client to read.
            Input::Read(read)
        } else if !held && !batch.is_empty() {
            // Commands left over by a batch that stopped at FLUSH_AT.
            Input::Timer
        } else {
            let mut read = std::pin::pin!(stream.read_buf(&mut buf));
            // (Only created while held: no timer per request.)
            let mut timer = retry_in.map(|ms| {
                Box::pin(tokio::time::sleep(std::time::Duration::from_millis(
                    ms as u64 + 1,
                )))
            });
            std::future::poll_fn(|cx| {
                if wake.take() {
                    return Poll::Ready(Input::Woken);
                }
                if let Poll::Ready(r) = read.as_mut().poll(cx) {
                    return Poll::Ready(Input::Read(r));
                }
                if wake.register(cx) {
                    return Poll::Ready(Input::Woken);
                }
                match timer.as_mut().map(|t| t.as_mut().poll(cx)) {
                    Some(Poll::Ready(())) => Poll::Ready(Input::Timer),
                    _ => Poll::Pending,
                }
            })
            .await
        };
        let n = match event {
            Input::Read(Ok(0)) | Input::Read(Err(_)) => {
                // Redis counts the read that finds the connection closed too.
                engine.lock().stats.total_reads_processed += 1;
                break 'conn;
            }
            Input::Read(Ok(n)) => {
                // (The read filled all the room it had.)
                if buf.len() == buf.capacity() {
                    read_size = (read_size * 2).min(READ_MAX);
                    small_reads = 0;
                } else if read_size > READ_CHUNK && n < read_size / 8 {
                    // Back down only after a run of small reads: the tail
                    // of a batch cut by a full read is small too.
                    small_reads += 1;
                    if small_reads == 64 {
                        read_size /= 2;
                        small_reads = 0;
                    }
                } else {
                    small_reads = 0;
                }
                n
            }
            Input::Timer => 0,
            Input::Woken => {
                let (gone, close, mut pending) = {
                    let mut eng = engine.lock();
                    let gone = eng.client_mut(id).map(|c| c.killed).unwrap_or(true);
                    // Closed once this output is written (a blocked client
                    // force-unblocked when the server became a replica).
                    let close = eng.client_mut(id).is_some_and(|c| c.close_after_reply);
                    let pending = eng.take_pending(id);
                    eng.stats.total_writes_processed += u64::from(!pending.is_empty());
                    (gone, close, pending)
                };
                if gone {
                    break 'conn;
                }
                let mut from = 0;
                let flushed = write_watching(
                    &mut stream,
                    &mut pending,
                    &mut from,
                    None,
                    false,
                    &wake,
                    &engine,
                    id,
                    !authed,
                )
                .await;
                if !matches!(flushed, Flush::Done) {
                    break 'conn;
                }
                if close {
                    break 'conn;
                }
                if !held {
                    continue;
                }
                0
            }
        };
        let mut keep_open = true;
        let mut stop_server = false;
        // The query buffer as the batch starts: CLIENT LIST shows it as the
        // running client's qbuf (Redis trims its buffer after the batch).
        let batch_input = buf.len();
        // Parse before taking the engine lock, so that with `io-threads` the
        // connections' parsing runs in parallel (as Redis's I/O threads do).
        // Only for an authenticated client with nothing queued and input
        // under the query buffer limit; otherwise the locked path below
        // parses, with the checks that must come first.
        if n > 0 && authed && !held && batch.is_empty() && buf.len() as u64 <= query_limit {
            take_queue(&mut batch);
            while protocol_error.is_none() {
                match parser.parse(&mut buf) {
                    Ok(Some(argv)) => batch.push_back(argv),
                    Ok(None) => break,
                    Err(e) => protocol_error = Some(e),
                }
            }
        }
        // Commands this batch runs.
        let mut ran = 0u32;
        // Replies of earlier batches still wait (see `written`): compact them
        // once at least half the buffer has gone out, so that a long backlog
        // is moved a bounded number of times.
        if written > 0 && written >= out.len() / 2 {
            out.drain(..written);
            written = 0;
        }
        let backlog = out.len();
        {
            let mut eng = engine.lock();
            eng.batch_input = batch_input;
            eng.stats.total_net_input_bytes += n as u64;
            eng.stats.total_reads_processed += u64::from(n > 0);
            // Unprocessed input past `client-query-buffer-limit` closes the
            // client without a reply (Redis's readQueryFromClient).
            if buf.len() as u64 > eng.config.client_query_buffer_limit {
                let info = ember_core::acl::client_info(&eng, id);
                warn!(
                    "Closing client that reached max query buffer length: {info} (qbuf initial bytes: {})",
                    repr(&buf[..buf.len().min(64)])
                );
                break 'conn;
            }
            eng.handle_block_timeouts();
            // (The count first: no client lookup while nobody is blocked.)
            held = eng.blocking.blocked_clients() > 0 && ember_core::blocking::is_blocked(&eng, id);
            // Commands left to run before the next batch prefetch.
            let mut prefetched = 0;
            // Parse and run until input is exhausted or the client is held
            // (input that arrived while held is parsed once it is released).
            ember_core::tracking::begin_batch(&mut eng);
            while !held && keep_open {
                if batch.is_empty() {
                    // Nothing left to parse (the usual end of a batch).
                    if buf.is_empty() {
                        break;
                    }
                    // Before AUTH, one command at a time: its size limits
                    // depend on whether the previous one authenticated.
                    let one = !eng.is_authenticated(id);
                    parser.set_unauthenticated(one);
                    take_queue(&mut batch);
                    while protocol_error.is_none() {
                        match parser.parse(&mut buf) {
                            Ok(Some(argv)) => {
                                batch.push_back(argv);
                                if one {
                                    break;
                                }
                            }
                            Ok(None) => break,
                            Err(e) => protocol_error = Some(e),
                        }
                    }
                }
                // A lone command may still name several keys (MSET k v k v).
                if prefetched == 0
                    && (batch.len() > 1 || batch.front().is_some_and(|a| a.len() > 2))
                {
                    prefetched = eng.prefetch_batch(id, batch.iter().map(|argv| &argv[..]));
                }
                prefetched = prefetched.saturating_sub(1);
                let Some(argv) = batch.front() else { break };
                let open = eng.execute_into(id, argv, &mut out);
                // (Field checks first: the lookups only happen while a pause
                // is set or some client is blocked.)
                if eng.pause.is_some() && eng.client_mut(id).is_some_and(|c| c.postponed) {
                    // Not run: keep it first in line and stop here.
                    held = true;
                    break;
                }
                if let Some(argv) = batch.pop_front() {
                    // Its vector serves the next command parsed.
                    parser.recycle(argv);
                }
                keep_open = open;
                ran += 1;
                held = eng.blocking.blocked_clients() > 0
                    && ember_core::blocking::is_blocked(&eng, id);
                if out.len() - backlog >= FLUSH_AT && !batch.is_empty() {
                    break;
                }
            }
            if keep_open && !held && batch.is_empty() {
                if let Some(e) = protocol_error.take() {
                    let proto = eng.client_mut(id).map(|c| c.proto).unwrap_or_default();
                    encode(&Reply::error(e.message().to_string()), proto, &mut out);
                    keep_open = false;
                }
            }
            // (Redis's beforeSleep runs it once per event-loop turn; the
            // cycle itself spaces its runs.)
            eng.before_sleep();
            ember_core::tracking::end_batch(&mut eng, id, &mut out);
            release_queue(&mut batch);
            let (authenticated, over_limit) = end_batch(
                &mut eng,
                id,
                n,
                &mut out,
                backlog,
                &buf,
                parser.partial_args(),
            );
            if out.is_empty() {
                written = 0;
            }
            if over_limit {
                keep_open = false;
            }
            if eng.shutdown.is_some() {
                stop_server = true;
            }
            parser.set_max_bulk_len(eng.config.proto_max_bulk_len);
            authed = authenticated;
            parser.set_unauthenticated(!authed);
            query_limit = eng.config.client_query_buffer_limit;
        }
        crate::poll::after_batch();
        if stop_server {
            shutdown.notify_waiters();
            break 'conn;
        }
        if !out.is_empty() {
            // A pipelined batch lets every other connection with input run
            // its batch before this reply goes out (tokio polls a yielded
            // task again only after the ready ones and an I/O poll): replies
            // then leave in a burst, as Redis writes them all before it
            // sleeps, and the client is woken once per burst instead of once
            // per reply. A lone command is answered at once: its client waits
            // for this reply alone, and the yield would cost a task poll and
            // an epoll_wait per request (+5% server CPU at -P 1). Once a burst
            // holds BURST_MAX bytes, replies go out at once: a thousand
            // clients' long LRANGE replies would otherwise all wait for the
            // whole round while the client idles.
            if ran > 1 && backlog == 0 {
                let n = out.len();
                let within = DEFERRED.fetch_add(n, Ordering::Relaxed) + n <= BURST_MAX;
                let _counted = HeldBack(n);
                if within {
                    tokio::task::yield_now().await;
                }
            }
            // Input is read meanwhile only from a client that will be
            // answered: not after its last reply, nor while held (its input
            // waits in the query buffer), nor before AUTH (closed instead).
            let input = if keep_open && !held {
                if buf.capacity() - buf.len() < 1024 {
                    reserve_input(&mut buf, &parser, read_size);
                }
                Some(&mut buf)
            } else {
                None
            };
            let queued = !batch.is_empty();
            match write_watching(
                &mut stream,
                &mut out,
                &mut written,
                input,
                queued,
                &wake,
                &engine,
                id,
                !authed,
            )
            .await
            {
                Flush::Done => {
                    if backlog > 0 {
                        // (`obuf` showed the backlog since it stopped a write.)
                        set_obuf(&engine, id, 0);
                    }
                    if out.capacity() > 1024 * 1024 {
                        out.shrink_to(READ_CHUNK);
                    }
                }
                Flush::Closed => break 'conn,
                Flush::Input(read) => {
                    carried = Some(read);
                    continue 'conn;
                }
                // (The loop's next turn runs them: `batch` is not empty.)
                Flush::Queued => continue 'conn,
            }
        }
        if !keep_open {
            break 'conn;
        }
    }
    let _ = stream.shutdown().await;
    engine.lock().remove_client(id);
}

type Queue = VecDeque<Vec<bytes::Bytes>>;

thread_local! {
    /// Command queues of connections between batches, shared by the thread:
    /// a batch fills a queue the previous connection just emptied, still in
    /// cache, where each connection's own queue is cold once many clients
    /// take turns (as the parser's argument vectors, see ember_resp).
    static QUEUES: RefCell<Vec<Queue>> = const { RefCell::new(Vec::new()) };
}

/// Gives `batch` a pooled queue if it has none (before parsing into it).
fn take_queue(batch: &mut Queue) {
    if batch.capacity() == 0 {
        if let Some(q) = QUEUES.with_borrow_mut(|pool| pool.pop()) {
            *batch = q;
        }
    }
}

/// Hands an emptied queue back to the pool; one still holding commands
/// (a held client, a batch cut at FLUSH_AT) stays with its connection.
fn release_queue(batch: &mut Queue) {
    if batch.is_empty() && batch.capacity() > 0 && batch.capacity() <= 1024 {
        let q = std::mem::take(batch);
        QUEUES.with_borrow_mut(|pool| {
            if pool.len() < 64 {
                pool.push(q);
            }
        });
    }
}

/// Makes room for `read_size` more bytes of input, unless a big argument is
/// being read: the parser gave it room for the whole at once, and growing
/// the buffer now would double that allocation (which client eviction counts
/// as the client's, as Redis counts its query buffer's).
fn reserve_input(buf: &mut BytesMut, parser: &RequestParser, read_size: usize) {
    let room = buf.capacity() - buf.len();
    match parser.big_arg_remaining(buf.len()) {
        Some(rest) if rest > 0 && rest <= room => {}
        _ => buf.reserve(read_size),
    }
}

/// What woke the connection loop.
enum Input {
    Read(std::io::Result<usize>),
    Woken,
    /// The retry timer of a held client, or leftover commands to run: no input.
    Timer,
}

/// The engine's wake-up for one connection (pushes, CLIENT KILL, unblocking):
/// a permit flag plus the last task waker, like `Notify::notify_one` but
/// without a waiter-list registration on every wait.
#[derive(Default)]
struct Wake {
    flag: AtomicBool,
    waker: parking_lot::Mutex<Option<Waker>>,
}

impl Wake {
    /// Sets the permit and wakes the task if it waits.
    fn notify(&self) {
        self.flag.store(true, Ordering::Release);
        if let Some(w) = self.waker.lock().take() {
            w.wake();
        }
    }

    /// Consumes the permit if set.
    #[inline]
    fn take(&self) -> bool {
        self.flag.load(Ordering::Relaxed) && self.flag.swap(false, Ordering::AcqRel)
    }

    /// Registers the task for the next `notify`; true if a permit arrived
    /// meanwhile (consumed).
    fn register(&self, cx: &mut Context<'_>) -> bool {
        {
            let mut w = self.waker.lock();
            match &*w {
                Some(old) if old.will_wake(cx.waker()) => {}
                _ => *w = Some(cx.waker().clone()),
            }
        }
        self.flag.swap(false, Ordering::AcqRel)
    }
}

/// The end of a batch, in one look at the client: `client-output-buffer-limit`
/// for the `out` about to be written (Redis's checkClientOutputBufferLimits:
/// replies that would leave more output than the client's class allows are
/// dropped with the client), the traffic counters, the client's memory
/// (the query buffer `input`, its spare room included as Redis counts its
/// allocation, and `partial`: the bytes and count of a command's arguments
/// read so far) and `maxmemory-clients`, and whether the client is authenticated
/// now. `out[..backlog]` is earlier batches' output, still unwritten (and
/// counted in `Client::obuf`). Returns (authenticated, closed for the output
/// limit).
fn end_batch(
    eng: &mut Engine,
    id: ember_core::ClientId,
    read: usize,
    out: &mut Vec<u8>,
    backlog: usize,
    input: &BytesMut,
    partial: (usize, usize),
) -> (bool, bool) {
    let new = out.len() - backlog;
    eng.stats.total_net_output_bytes += new as u64;
    eng.stats.total_writes_processed += u64::from(new > 0);
    let open = eng.acl.default_is_open();
    let limits = eng.config.client_output_buffer_limit;
    let Some(c) = eng.clients.get_mut(&id) else {
        return (open, false);
    };
    let mut closed = false;
    // The common case: no limit for normal clients (the default).
    let unlimited = c.kind == ember_core::client::ClientKind::Normal
        && limits[0].hard_bytes == 0
        && limits[0].soft_bytes == 0;
    if new > 0 && !unlimited {
        let before = c.obuf;
        c.obuf = before + new;
        closed = ember_core::pubsub::check_output_limit(c, &limits, eng.clock.now_ms());
        c.obuf = before;
    }
    c.tot_net_in += read as u64;
    c.tot_net_out += new as u64;
    c.qbuf = input.len();
    c.qbuf_free = input.capacity() - input.len();
    (c.argv_mem, c.argv_count) = partial;
    let authenticated = c.authenticated || open;
    let mut killed = c.killed;
    // Kept up to date only while client eviction is on (the cron and INFO
    // count for themselves). Replies written at once are never counted:
    // only those left waiting, in `obuf`, as the write that could not
    // finish set it.
    if eng.config.maxmemory_clients != 0 {
        eng.clients_memory.account(c);
        if eng.evict_clients() {
            killed = eng.clients.get(&id).is_none_or(|c| c.killed);
        }
    } else {
        eng.clients_memory.current = false;
    }
    if killed {
        out.clear();
    }
    if closed {
        let info = ember_core::acl::client_info(eng, id);
        warn!("Client {info} scheduled to be closed ASAP for overcoming of output buffer limits.");
    }
    (authenticated, closed)
}

/// Redis's sdscatrepr: a quoted, escaped rendering of bytes for log lines.
fn repr(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for &b in bytes {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            7 => s.push_str("\\a"),
            8 => s.push_str("\\b"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}
