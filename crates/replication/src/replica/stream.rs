//! What the replica link does under the engine lock: install a loaded full
//! sync, resume after `+CONTINUE`, and apply the master's command stream as
//! the master client (replies dropped; bytes proxied to our own backlog and
//! sub-replicas, so chained replicas and PSYNC2 see the master's stream).

use super::{state, LinkState};
use crate::shared;
use bytes::BytesMut;
use ember_core::client::{ClientId, ClientKind};
use ember_core::{args, Bytes, Engine};
use ember_resp::RequestParser;

/// The master's stream as received: the parser's buffer plus a copy of the
/// raw bytes not yet applied (proxied verbatim once applied).
pub struct Applier {
    parser: RequestParser,
    buf: BytesMut,
    raw: Vec<u8>,
    /// Bytes of `raw` the parser consumed for the command in progress.
    partial: usize,
    /// Bytes of `raw` already applied inside a MULTI not yet executed: the
    /// offset moves past them at EXEC only (Redis's commandProcessed skips
    /// a master client in MULTI), so a link lost mid-transaction resumes
    /// before its MULTI.
    in_multi: usize,
}

impl Default for Applier {
    fn default() -> Self {
        Applier {
            parser: RequestParser::new(i64::MAX / 2),
            buf: BytesMut::new(),
            raw: Vec::new(),
            partial: 0,
            in_multi: 0,
        }
    }
}

impl Applier {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        self.raw.extend_from_slice(bytes);
    }

    /// Bytes received and not yet applied.
    pub fn unapplied(&self) -> usize {
        self.raw.len()
    }
}

/// Why applying stopped the link.
#[derive(Debug)]
pub enum ApplyError {
    /// The master client is gone (CLIENT KILL TYPE master) or REPLICAOF changed.
    Gone,
    Protocol(String),
}

/// The master client for a synced link, selecting `db`.
fn create_master_client(engine: &mut Engine, addr: &str, laddr: &str, db: usize) -> ClientId {
    let id = engine.add_client();
    let dbs = engine.dbs.len();
    if let Some(c) = engine.client_mut(id) {
        c.kind = ClientKind::Master;
        c.addr = addr.to_string();
        c.laddr = laddr.to_string();
        c.is_local = false;
        c.authenticated = true;
        c.user = "(superuser)".to_string();
        c.db = db.min(dbs.saturating_sub(1));
    }
    id
}

/// Link up after a sync: Redis's replicationCreateMasterClient + CONNECTED.
fn link_up(engine: &mut Engine, addr: &str, laddr: &str, db: usize, offset: u64) {
    let id = create_master_client(engine, addr, laddr, db);
    let now = engine.now_ms();
    engine.master_link_up = true;
    let st = state(engine);
    st.master_client = Some(id);
    st.reploff = offset;
    st.read_reploff = offset;
    st.last_io_ms = now;
    st.down_since_ms = 0;
    st.transfer = None;
    st.cached = None;
    st.link = LinkState::Connected;
}

/// After a full sync's databases were swapped in: the master's id and
/// offset become ours, our sub-replicas resync (Redis's readSyncBulkPayload
/// after a successful load).
pub fn finish_full_sync(
    engine: &mut Engine,
    replid: String,
    offset: u64,
    stream_db: usize,
    conn: (&str, &str),
) {
    engine.dirty += 1;
    super::disconnect_replicas(engine);
    crate::ids::set_replid(engine, replid);
    let size = engine.config.repl_backlog_size.max(1) as usize;
    let sh = shared(engine);
    {
        let mut s = sh.lock();
        s.set_offset(offset);
        s.backlog = crate::backlog::Backlog::new(size);
        s.seldb = None;
        s.proxy = true;
    }
    link_up(engine, conn.0, conn.1, stream_db, offset);
    // The AOF no longer describes the dataset: rewrite it (Redis's
    // restartAOFAfterSYNC).
    if engine.config.appendonly {
        if let Some(id) = state(engine).master_client {
            let argv = [Bytes::from_static(b"BGREWRITEAOF")];
            let _ = engine.execute(id, &argv);
        }
    }
}

/// Resumes after `+CONTINUE [newid]` from the cached master; a new id means
/// the master changed history: ours shifts and our replicas must reconnect.
pub fn finish_partial_sync(engine: &mut Engine, new_id: Option<String>, conn: (&str, &str)) {
    let Some(cached) = state(engine).cached.clone() else {
        return;
    };
    engine.replid = cached.replid.clone();
    if let Some(id) = new_id {
        if id != cached.replid {
            crate::ids::shift_replid_to(engine, id);
            super::disconnect_replicas(engine);
        }
    }
    let sh = shared(engine);
    sh.lock().proxy = true;
    link_up(engine, conn.0, conn.1, cached.db, cached.offset);
}

/// Applies every complete command in `ap` (`fresh`: bytes just arrived). Returns the offsets to answer
/// `REPLCONF GETACK` with (the offset before the GETACK, as Redis).
pub fn apply(engine: &mut Engine, ap: &mut Applier, fresh: bool) -> Result<Vec<u64>, ApplyError> {
    let st = state(engine);
    let Some(master) = st.master_client else {
        return Err(ApplyError::Gone);
    };
    let base = st.reploff;
    match engine.clients.get(&master) {
        Some(c) if !c.killed => {}
        _ => return Err(ApplyError::Gone),
    }
    let mut acks = Vec::new();
    // Bytes applied (`consumed`), and those of them the offset covers.
    let mut consumed = ap.in_multi;
    let mut done = 0usize;
    let mut failure = None;
    loop {
        let before = ap.buf.len();
        let parsed = ap.parser.parse(&mut ap.buf);
        ap.partial += before - ap.buf.len();
        let argv = match parsed {
            Ok(Some(argv)) => argv,
            Ok(None) => break,
            Err(e) => {
                failure = Some(ApplyError::Protocol(e.message().to_string()));
                break;
            }
        };
        if is_getack(&argv) {
            acks.push(base + done as u64);
        } else {
            engine.in_master_stream = true;
            let _ = engine.execute(master, &argv);
            engine.in_master_stream = false;
            if let Some(c) = engine.clients.get_mut(&master) {
                c.pending.clear();
            }
        }
        consumed += std::mem::take(&mut ap.partial);
        if !engine.clients.get(&master).is_some_and(|c| c.tx.active) {
            done = consumed;
        }
        ap.parser.recycle(argv);
    }
    ap.in_multi = consumed - done;
    if done > 0 {
        let sh = shared(engine);
        sh.lock().feed_raw(&ap.raw[..done]);
        ap.raw.drain(..done);
    }
    let now = engine.now_ms();
    let st = state(engine);
    st.reploff = base + done as u64;
    st.read_reploff = st.reploff + ap.raw.len() as u64;
    if fresh {
        st.last_io_ms = now;
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(acks),
    }
}

fn is_getack(argv: &[Bytes]) -> bool {
    argv.len() >= 2 && args::is(&argv[0], "replconf") && args::is(&argv[1], "getack")
}

/// Link lost (Redis's replicationHandleMasterDisconnection): the master
/// client is cached for PSYNC, the link goes back to CONNECT.
pub fn link_down(engine: &mut Engine) {
    let was_up = state(engine).master_client.is_some();
    super::drop_link(engine);
    engine.master_link_up = false;
    let now = engine.now_ms();
    let st = state(engine);
    if was_up {
        st.down_since_ms = now;
    }
    st.transfer = None;
    if st.master.is_some() {
        st.link = LinkState::Connect;
    }
}
