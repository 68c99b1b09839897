//! The replica link: a thread per REPLICAOF that connects to the master,
//! handshakes as Redis 7.0 does (PING, AUTH, REPLCONF listening-port /
//! ip-address / capa eof capa psync2, PSYNC), receives a full sync (`$<len>`
//! or diskless `$EOF:<mark>`) or continues partially, then applies the
//! stream and acknowledges it every second. Network I/O never happens under
//! the engine lock; a dropped link is retried with backoff, PSYNC asking for
//! the cached master's id and offset.

use super::stream::{self, Applier, ApplyError};
use super::{state, LinkState, Transfer};
use ember_core::Engine;
use ember_persistence::reload;
use parking_lot::Mutex;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::Weak;
use std::time::{Duration, Instant};

/// How often a blocked read wakes up to check for REPLICAOF changes.
const POLL: Duration = Duration::from_millis(100);
const ACK_PERIOD: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Starts the link thread of `generation`.
pub fn spawn(handle: Weak<Mutex<Engine>>, generation: u64) {
    let link = Link { handle, generation };
    let _ = std::thread::Builder::new()
        .name("ember-replica".into())
        .spawn(move || link.run());
}

/// Why a session ended.
enum End {
    /// REPLICAOF changed (or the engine is gone): the thread exits.
    Stop,
    /// The link failed: log, then reconnect.
    Retry(String),
}

struct Link {
    handle: Weak<Mutex<Engine>>,
    generation: u64,
}

/// What a session needs from the configuration, read once per attempt.
struct Params {
    host: String,
    port: u16,
    auth: Option<(String, String)>,
    listening_port: u16,
    announce_ip: String,
    timeout: Duration,
    /// PSYNC's (replid, offset + 1), from the cached master.
    psync: Option<(String, u64)>,
}

impl Params {
    fn read(e: &mut Engine) -> Option<Params> {
        let c = &e.config;
        let auth = (!c.masterauth.is_empty()).then(|| (c.masteruser.clone(), c.masterauth.clone()));
        let announce_ip = c.replica_announce_ip.clone();
        let timeout = Duration::from_secs(c.repl_timeout.max(1) as u64);
        let announce_port = c.replica_announce_port;
        let config_port = c.port;
        let st = state(e);
        let (host, port) = st.master.clone()?;
        st.link = LinkState::Connecting;
        let listening_port = if announce_port > 0 {
            announce_port as u16
        } else if st.port != 0 {
            st.port
        } else {
            config_port
        };
        let psync = st.cached.as_ref().map(|c| (c.replid.clone(), c.offset + 1));
        Some(Params {
            host,
            port,
            auth,
            listening_port,
            announce_ip,
            timeout,
            psync,
        })
    }
}

impl Link {
    /// Runs `f` under the engine lock while this link is still the current one.
    fn with<R>(&self, f: impl FnOnce(&mut Engine) -> R) -> Option<R> {
        let arc = self.handle.upgrade()?;
        let mut e = arc.lock();
        if !e.is_replica || state(&mut e).generation != self.generation {
            return None;
        }
        Some(f(&mut e))
    }

    /// Runs `f` under the engine lock even if REPLICAOF moved on (cleanup).
    fn with_any(&self, f: impl FnOnce(&mut Engine)) {
        if let Some(arc) = self.handle.upgrade() {
            f(&mut arc.lock());
        }
    }

    fn set_link(&self, link: LinkState) -> Result<(), End> {
        self.with(|e| state(e).link = link).ok_or(End::Stop)
    }

    fn run(self) {
        let mut backoff = Duration::from_millis(100);
        loop {
            let Some(Some(params)) = self.with(Params::read) else {
                return;
            };
            let mut connected = false;
            match self.session(&params, &mut connected) {
                End::Stop => return,
                End::Retry(msg) => tracing::warn!("{msg}"),
            }
            if self.with(stream::link_down).is_none() {
                return;
            }
            if connected {
                backoff = Duration::from_millis(100);
                tracing::info!("Reconnecting to MASTER {}:{}", params.host, params.port);
            }
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    fn session(&self, p: &Params, connected: &mut bool) -> End {
        match self.session_inner(p, connected) {
            Ok(never) => match never {},
            Err(end) => end,
        }
    }

    fn session_inner(
        &self,
        p: &Params,
        connected: &mut bool,
    ) -> Result<std::convert::Infallible, End> {
        let mut w = Wire::connect(p)?;
        tracing::info!("MASTER <-> REPLICA sync started");
        self.set_link(LinkState::Handshake)?;
        w.send(&[b"PING"])?;
        let pong = w.line(self, p.timeout)?;
        if pong.starts_with('-')
            && !pong.starts_with("-NOAUTH")
            && !pong.starts_with("-NOPERM")
            && !pong.starts_with("-ERR operation not permitted")
        {
            return Err(End::Retry(format!(
                "Error reply to PING from master: '{pong}'"
            )));
        }
        tracing::info!("Master replied to PING, replication can continue...");
        if let Some((user, pass)) = &p.auth {
            if user.is_empty() {
                w.send(&[b"AUTH", pass.as_bytes()])?;
            } else {
                w.send(&[b"AUTH", user.as_bytes(), pass.as_bytes()])?;
            }
            let r = w.line(self, p.timeout)?;
            if r.starts_with('-') {
                return Err(End::Retry(format!("Unable to AUTH to MASTER: {r}")));
            }
        }
        let port = p.listening_port.to_string();
        w.send(&[b"REPLCONF", b"listening-port", port.as_bytes()])?;
        let r = w.line(self, p.timeout)?;
        if r.starts_with('-') {
            tracing::info!(
                "(Non critical) Master does not understand REPLCONF listening-port: {r}"
            );
        }
        if !p.announce_ip.is_empty() {
            w.send(&[b"REPLCONF", b"ip-address", p.announce_ip.as_bytes()])?;
            let r = w.line(self, p.timeout)?;
            if r.starts_with('-') {
                tracing::info!(
                    "(Non critical) Master does not understand REPLCONF ip-address: {r}"
                );
            }
        }
        w.send(&[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"])?;
        let r = w.line(self, p.timeout)?;
        if r.starts_with('-') {
            tracing::info!("(Non critical) Master does not understand REPLCONF capa: {r}");
        }
        let (id, off) = match &p.psync {
            Some((id, off)) => {
                tracing::info!("Trying a partial resynchronization (request {id}:{off}).");
                (id.clone(), off.to_string())
            }
            None => {
                tracing::info!("Partial resynchronization not possible (no cached master)");
                ("?".to_string(), "-1".to_string())
            }
        };
        w.send(&[b"PSYNC", id.as_bytes(), off.as_bytes()])?;
        let reply = loop {
            let r = w.line(self, p.timeout)?;
            // Empty lines are the master's keepalives while it prepares.
            if !r.is_empty() {
                break r;
            }
        };
        let conn = (w.peer.clone(), w.local.clone());
        if let Some(rest) = reply.strip_prefix("+FULLRESYNC") {
            let mut parts = rest.split_whitespace();
            let (Some(replid), Some(offset)) = (parts.next(), parts.next()) else {
                return Err(End::Retry(format!("Bad FULLRESYNC reply: '{reply}'")));
            };
            let offset: u64 = offset
                .parse()
                .map_err(|_| End::Retry("Bad FULLRESYNC offset".into()))?;
            tracing::info!("Full resync from master: {replid}:{offset}");
            self.full_sync(&mut w, p, replid.to_string(), offset, &conn)?;
        } else if let Some(rest) = reply.strip_prefix("+CONTINUE") {
            let new_id = rest.split_whitespace().next().map(str::to_string);
            tracing::info!("Successful partial resynchronization with master.");
            let ok = self
                .with(|e| {
                    if state(e).cached.is_none() {
                        return false;
                    }
                    stream::finish_partial_sync(e, new_id, (&conn.0, &conn.1));
                    true
                })
                .ok_or(End::Stop)?;
            if !ok {
                return Err(End::Retry("+CONTINUE without a cached master".into()));
            }
            tracing::info!("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
        } else if reply.starts_with("-NOMASTERLINK") || reply.starts_with("-LOADING") {
            return Err(End::Retry(format!(
                "Master is currently unable to PSYNC but should be in the future: {reply}"
            )));
        } else {
            // An old master (or one in an error state): the pre-PSYNC
            // protocol, as Redis's PSYNC_NOT_SUPPORTED path does.
            if reply.starts_with("-ERR") {
                tracing::info!(
                    "Master does not support PSYNC or is in error state (reply: {reply})"
                );
            } else {
                tracing::warn!("Unexpected reply to PSYNC from master: {reply}");
            }
            tracing::info!("Retrying with SYNC...");
            w.send(&[b"SYNC"])?;
            // No history to continue later: a fresh id at offset 0.
            let replid = self
                .with(|e| ember_core::cmd::server::random_hex40(&mut e.rng))
                .ok_or(End::Stop)?;
            self.full_sync(&mut w, p, replid, 0, &conn)?;
            *connected = true;
            return self.stream(w, p, false);
        }
        *connected = true;
        self.stream(w, p, true)
    }

    /// Receives the payload, loads it off-lock into fresh databases, swaps them in.
    fn full_sync(
        &self,
        w: &mut Wire,
        p: &Params,
        replid: String,
        offset: u64,
        conn: &(String, String),
    ) -> Result<(), End> {
        self.with(|e| {
            let now = e.now_ms();
            let st = state(e);
            st.link = LinkState::Transfer;
            st.transfer = Some(Transfer {
                total: -1,
                read: 0,
                last_io_ms: now,
            });
        })
        .ok_or(End::Stop)?;
        let header = loop {
            let r = w.line(self, p.timeout)?;
            if !r.is_empty() {
                break r;
            }
        };
        if header.starts_with('-') {
            return Err(End::Retry(format!(
                "MASTER aborted replication with an error: {header}"
            )));
        }
        let Some(spec) = header.strip_prefix('$') else {
            return Err(End::Retry(format!(
                "Bad protocol from MASTER, the first byte is not '$' (we received '{header}'), are you sure the host and port are right?"
            )));
        };
        let mark = match spec.strip_prefix("EOF:") {
            Some(m) if m.len() == 40 => Some(m.as_bytes().to_vec()),
            _ => None,
        };
        let len = match &mark {
            Some(_) => None,
            None => Some(
                spec.parse::<u64>()
                    .map_err(|_| End::Retry(format!("Bad bulk length from MASTER: '{header}'")))?,
            ),
        };
        let (disk, dir, dbfilename) = self
            .with(|e| {
                let c = &e.config;
                let disk = !c.repl_diskless_load.eq_ignore_ascii_case("swapdb")
                    && !c.repl_diskless_load.eq_ignore_ascii_case("on-empty-db");
                (disk, c.dir.clone(), c.dbfilename.clone())
            })
            .ok_or(End::Stop)?;
        let loaded = if disk {
            self.load_via_file(w, p, mark.as_deref(), len, Path::new(&dir), &dbfilename)?
        } else {
            // repl-diskless-load swapdb / on-empty-db: from memory, no file.
            let mut payload = Vec::new();
            match &mark {
                Some(m) => {
                    tracing::info!("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to parser");
                    w.copy_until_mark(self, p.timeout, m, &mut payload)?;
                }
                None => {
                    let n = len.unwrap_or(0);
                    tracing::info!(
                        "MASTER <-> REPLICA sync: receiving {n} bytes from master to parser"
                    );
                    w.copy_exact_len(self, p.timeout, n, &mut payload)?;
                }
            }
            let n = payload.len() as u64;
            self.load(&payload[..], n)?
        };
        let (dbs, stats) = loaded;
        let stream_db = stats
            .aux
            .iter()
            .find(|(k, _)| k == b"repl-stream-db")
            .and_then(|(_, v)| std::str::from_utf8(v).ok()?.parse::<usize>().ok())
            .unwrap_or(0);
        let mut dbs = Some(dbs);
        let old = self.with(|e| {
            let old = reload::install_loaded(e, dbs.take().unwrap_or_default(), &stats);
            reload::end_loading(e);
            stream::finish_full_sync(e, replid, offset, stream_db, (&conn.0, &conn.1));
            old
        });
        let Some(old) = old else {
            self.with_any(reload::end_loading);
            return Err(End::Stop);
        };
        drop(old);
        tracing::info!("MASTER <-> REPLICA sync: Finished with success");
        Ok(())
    }

    /// Disk load (`repl-diskless-load disabled`, Redis's default): the
    /// transfer goes to `temp-<unixtime>.<pid>.rdb` in `dir` with bounded
    /// memory, is renamed to `dbfilename`, then loaded from that file.
    fn load_via_file(
        &self,
        w: &mut Wire,
        p: &Params,
        mark: Option<&[u8]>,
        len: Option<u64>,
        dir: &Path,
        dbfilename: &str,
    ) -> Result<Loaded, End> {
        let unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let tmp = dir.join(format!("temp-{unix}.{}.rdb", std::process::id()));
        let file = std::fs::File::create(&tmp).map_err(|e| {
            End::Retry(format!(
                "Opening the temp file needed for MASTER <-> REPLICA synchronization: {e}"
            ))
        })?;
        let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
        let received = match (mark, len) {
            (Some(m), _) => {
                tracing::info!(
                    "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk"
                );
                w.copy_until_mark(self, p.timeout, m, &mut out)
            }
            (None, n) => {
                let n = n.unwrap_or(0);
                tracing::info!("MASTER <-> REPLICA sync: receiving {n} bytes from master to disk");
                w.copy_exact_len(self, p.timeout, n, &mut out)
            }
        };
        let dest = dir.join(dbfilename);
        let finished = received.and_then(|n| {
            out.flush()
                .and_then(|()| out.get_ref().sync_all())
                .map_err(disk_err)?;
            drop(out);
            std::fs::rename(&tmp, &dest).map_err(|e| {
                End::Retry(format!(
                    "Failed trying to rename the temp DB into {dbfilename} in MASTER <-> REPLICA synchronization: {e}"
                ))
            })?;
            Ok(n)
        });
        let n = match finished {
            Ok(n) => n,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };
        let file = std::fs::File::open(&dest).map_err(|e| {
            End::Retry(format!(
                "Failed trying to load the MASTER synchronization DB from disk: {e}"
            ))
        })?;
        self.load(std::io::BufReader::with_capacity(1 << 16, file), n)
    }

    /// Loads a received payload off the lock into fresh databases while
    /// clients get -LOADING (REPLICAOF has no `loading` flag: this link
    /// stays current meanwhile).
    fn load<R: Read>(&self, input: R, len: u64) -> Result<Loaded, End> {
        tracing::info!("MASTER <-> REPLICA sync: Flushing old data");
        tracing::info!("MASTER <-> REPLICA sync: Loading DB in memory");
        let (params, progress) = self
            .with(|e| {
                let progress = reload::begin_loading(e, len);
                (reload::DetachedLoad::from_engine(e), progress)
            })
            .ok_or(End::Stop)?;
        match reload::load_rdb_detached(input, Some(len), &params, &progress) {
            Ok(x) => Ok(x),
            Err(e) => {
                self.with_any(reload::end_loading);
                Err(End::Retry(format!(
                    "Failed trying to load the MASTER synchronization DB: {e}"
                )))
            }
        }
    }

    /// Applies the stream until the link fails or REPLICAOF changes. A
    /// master that only spoke SYNC (`psync` false) gets no REPLCONF ACK
    /// (Redis's CLIENT_PRE_PSYNC master).
    fn stream(
        &self,
        mut w: Wire,
        p: &Params,
        psync: bool,
    ) -> Result<std::convert::Infallible, End> {
        let mut ap = Applier::default();
        ap.push(&std::mem::take(&mut w.buf));
        let mut last_io = Instant::now();
        // The first ACK goes at once: a diskless master starts the stream on it.
        let mut last_ack: Option<Instant> = None;
        let mut timeout = p.timeout;
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let n = w.read_some(&mut chunk)?;
            if n > 0 {
                last_io = Instant::now();
                ap.push(&chunk[..n]);
            }
            let acks = match self.with(|e| stream::apply(e, &mut ap, n > 0)) {
                None => return Err(End::Stop),
                Some(Ok(acks)) => acks,
                Some(Err(ApplyError::Gone)) => {
                    return Err(End::Retry("Connection with master lost.".into()))
                }
                Some(Err(ApplyError::Protocol(m))) => {
                    return Err(End::Retry(format!("Protocol error from MASTER: {m}")))
                }
            };
            for off in acks {
                w.ack(off)?;
            }
            if psync && last_ack.is_none_or(|t| t.elapsed() >= ACK_PERIOD) {
                // `repl-timeout` may change at runtime (CONFIG SET).
                let (off, secs) = self
                    .with(|e| (state(e).reploff, e.config.repl_timeout))
                    .ok_or(End::Stop)?;
                timeout = Duration::from_secs(secs.max(1) as u64);
                w.ack(off)?;
                last_ack = Some(Instant::now());
            }
            if last_io.elapsed() > timeout {
                return Err(End::Retry(
                    "MASTER timeout: no data nor PING received...".into(),
                ));
            }
        }
    }
}

/// The socket to the master and the bytes read but not yet consumed.
struct Wire {
    s: TcpStream,
    buf: Vec<u8>,
    peer: String,
    local: String,
}

/// Databases and statistics of a loaded payload.
type Loaded = (Vec<ember_core::db::Db>, ember_persistence::rdb::LoadStats);

const BULK_TIMEOUT: &str = "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.";

fn disk_err(e: std::io::Error) -> End {
    End::Retry(format!(
        "Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: {e}"
    ))
}

fn io_err(e: std::io::Error) -> End {
    End::Retry(format!("Error condition on socket for SYNC: {e}"))
}

impl Wire {
    fn connect(p: &Params) -> Result<Wire, End> {
        let addrs = (p.host.as_str(), p.port)
            .to_socket_addrs()
            .map_err(|e| End::Retry(format!("Unable to connect to MASTER: {e}")))?;
        let mut last = None;
        for a in addrs {
            match TcpStream::connect_timeout(&a, p.timeout) {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    s.set_read_timeout(Some(POLL)).map_err(io_err)?;
                    s.set_write_timeout(Some(p.timeout)).map_err(io_err)?;
                    let peer = s.peer_addr().map(|a| a.to_string()).unwrap_or_default();
                    let local = s.local_addr().map(|a| a.to_string()).unwrap_or_default();
                    tracing::info!("Non blocking connect for SYNC fired the event.");
                    return Ok(Wire {
                        s,
                        buf: Vec::new(),
                        peer,
                        local,
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(End::Retry(format!(
            "Unable to connect to MASTER: {}",
            last.map(|e| e.to_string())
                .unwrap_or_else(|| "no address".into())
        )))
    }

    fn send(&mut self, argv: &[&[u8]]) -> Result<(), End> {
        let mut out = Vec::new();
        crate::encode_argv(argv, &mut out);
        self.s.write_all(&out).map_err(io_err)
    }

    fn ack(&mut self, offset: u64) -> Result<(), End> {
        let off = offset.to_string();
        self.send(&[b"REPLCONF", b"ACK", off.as_bytes()])
    }

    /// Reads what is available (0 after a quiet poll interval).
    fn read_some(&mut self, chunk: &mut [u8]) -> Result<usize, End> {
        match self.s.read(chunk) {
            Ok(0) => Err(End::Retry("Connection with master lost.".into())),
            Ok(n) => Ok(n),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(0),
            Err(e) if e.kind() == ErrorKind::Interrupted => Ok(0),
            Err(e) => Err(io_err(e)),
        }
    }

    /// Reads more into `buf`; false after a quiet poll interval (the link is
    /// then checked for REPLICAOF changes).
    fn fill(&mut self, link: &Link) -> Result<bool, End> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.read_some(&mut chunk)?;
        if n == 0 {
            link.with(|_| ()).ok_or(End::Stop)?;
            return Ok(false);
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(true)
    }

    /// One reply line without its CRLF.
    fn line(&mut self, link: &Link, timeout: Duration) -> Result<String, End> {
        let mut last_io = Instant::now();
        loop {
            if let Some(pos) = memchr::memchr(b'\n', &self.buf) {
                let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            if self.fill(link)? {
                last_io = Instant::now();
            } else if last_io.elapsed() > timeout {
                return Err(End::Retry("Timeout connecting to the MASTER...".into()));
            }
        }
    }

    /// Records transfer progress for INFO (every MiB or so).
    fn progress(link: &Link, read: u64, total: i64) -> Result<(), End> {
        link.with(|e| {
            let now = e.now_ms();
            if let Some(t) = state(e).transfer.as_mut() {
                t.total = total;
                t.read = read;
                t.last_io_ms = now;
            }
        })
        .ok_or(End::Stop)
    }

    /// Copies a `$<len>` payload to `out`; bytes after it stay in `buf`
    /// (the stream). Returns the bytes copied.
    fn copy_exact_len(
        &mut self,
        link: &Link,
        timeout: Duration,
        len: u64,
        out: &mut dyn Write,
    ) -> Result<u64, End> {
        let take = (self.buf.len() as u64).min(len) as usize;
        out.write_all(&self.buf[..take]).map_err(disk_err)?;
        self.buf.drain(..take);
        let mut copied = take as u64;
        Wire::progress(link, copied, len as i64)?;
        let mut chunk = vec![0u8; 256 * 1024];
        let mut last_io = Instant::now();
        let mut reported = copied;
        while copied < len {
            let want = ((len - copied) as usize).min(chunk.len());
            let n = self.read_some(&mut chunk[..want])?;
            if n == 0 {
                link.with(|_| ()).ok_or(End::Stop)?;
                if last_io.elapsed() > timeout {
                    return Err(End::Retry(BULK_TIMEOUT.into()));
                }
                continue;
            }
            last_io = Instant::now();
            out.write_all(&chunk[..n]).map_err(disk_err)?;
            copied += n as u64;
            if copied - reported >= 1 << 20 {
                reported = copied;
                Wire::progress(link, reported, len as i64)?;
            }
        }
        Wire::progress(link, copied, len as i64)?;
        Ok(copied)
    }

    /// Copies a diskless payload ending with the 40-byte `mark` (not
    /// copied) to `out`, holding back only what could be the start of the
    /// mark; bytes after the mark stay in `buf`. Returns the bytes copied.
    fn copy_until_mark(
        &mut self,
        link: &Link,
        timeout: Duration,
        mark: &[u8],
        out: &mut dyn Write,
    ) -> Result<u64, End> {
        let mut pend = std::mem::take(&mut self.buf);
        let mut copied = 0u64;
        let mut chunk = vec![0u8; 256 * 1024];
        let mut last_io = Instant::now();
        let mut reported = 0u64;
        loop {
            if let Some(pos) = memchr::memmem::find(&pend, mark) {
                out.write_all(&pend[..pos]).map_err(disk_err)?;
                copied += pos as u64;
                self.buf = pend.split_off(pos + mark.len());
                Wire::progress(link, copied, -1)?;
                return Ok(copied);
            }
            let keep = mark.len().saturating_sub(1);
            if pend.len() > keep {
                let cut = pend.len() - keep;
                out.write_all(&pend[..cut]).map_err(disk_err)?;
                pend.drain(..cut);
                copied += cut as u64;
            }
            let n = self.read_some(&mut chunk)?;
            if n == 0 {
                link.with(|_| ()).ok_or(End::Stop)?;
                if last_io.elapsed() > timeout {
                    return Err(End::Retry(BULK_TIMEOUT.into()));
                }
                continue;
            }
            last_io = Instant::now();
            pend.extend_from_slice(&chunk[..n]);
            if copied - reported >= 1 << 20 {
                reported = copied;
                Wire::progress(link, reported, -1)?;
            }
        }
    }
}
