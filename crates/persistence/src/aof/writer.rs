//! The AOF state shared by the engine thread (propagation sink, commands,
//! cron), the everysec fsync thread and a background rewrite: the manifest,
//! the incr file being appended to, sizes and statistics.
//!
//! Writes arrive through the engine's propagation sink, inside command
//! execution and before the reply is encoded, and each complete unit (one
//! command, or MULTI ... EXEC) is written to the file at once; with
//! `appendfsync always` it is also fsync'ed there, so an acknowledged write
//! is on disk before its reply leaves. `everysec` fsyncs from a thread about
//! once a second; `no` leaves it to the OS.

use super::manifest::Manifest;
use bytes::Bytes;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

/// Redis's aof_state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Off,
    On,
    /// Switched on at runtime: writes go to a temporary incr file until the
    /// first rewrite gives them a base.
    WaitRewrite,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fsync {
    Always,
    EverySec,
    No,
}

impl Fsync {
    pub fn from_config(s: &str) -> Fsync {
        match s {
            "always" => Fsync::Always,
            "no" => Fsync::No,
            _ => Fsync::EverySec,
        }
    }
}

/// A background rewrite in progress.
#[derive(Clone, Copy, Debug)]
pub struct Running {
    pub generation: u64,
    pub started_ms: i64,
}

pub struct Inner {
    /// Changed only through [`Inner::set_status`], which keeps `enabled` in step.
    pub status: Status,
    /// `status != Off`, readable without the lock: with AOF off (the default)
    /// the propagation sink skips locking for every write.
    pub enabled: Arc<AtomicBool>,
    pub manifest: Manifest,
    /// `dir`/`appenddirname`.
    pub dir: PathBuf,
    /// `appendfilename`.
    pub filename: String,
    /// The incr file appended to (None while AOF is off).
    pub file: Option<Arc<File>>,
    pub policy: Fsync,
    pub no_fsync_on_rewrite: bool,
    pub timestamps: bool,
    last_ts: i64,
    /// Database of the last command written (None: the next one SELECTs).
    pub selected_db: Option<usize>,
    /// Encoded commands not yet written (an open MULTI, or a failed write).
    pub buf: Vec<u8>,
    in_multi: bool,
    /// Complete units wait in `buf` for [`Inner::flush_pending`], which the
    /// front end calls once per batch of commands, before sending replies
    /// (one write, one fsync per batch, as Redis's beforeSleep).
    pub deferred: bool,
    /// While loading, commands replayed through the engine are not written back.
    pub loading: bool,
    /// `aof_current_size`: base plus incr files.
    pub current_size: u64,
    /// Bytes in the incr file being written.
    pub last_incr_size: u64,
    pub fsynced_size: u64,
    pub last_fsync: Instant,
    /// DEBUG AOF-FLUSH-SLEEP: microseconds to sleep before each flush that
    /// has something to write (Redis's aof_flush_sleep, for tests).
    pub flush_sleep_us: u64,
    pub last_write_ok: bool,
    /// errno of the last failed write (MISCONF's text; ENOSPC for a short write).
    pub last_write_errno: i32,
    /// Size of the AOF after the last rewrite (auto-rewrite growth base).
    pub rewrite_base_size: u64,
    pub rewrite: Option<Running>,
    /// Bumped to abandon a running rewrite.
    pub generation: u64,
    pub rewrite_scheduled: bool,
    pub last_rewrite_time_s: i64,
    pub last_bgrewrite_ok: bool,
    pub rewrites: u64,
    pub consecutive_failures: u64,
    /// Redis's aofRewriteLimited backoff.
    pub limit_next_delay_min: i64,
    pub limit_next_time_s: i64,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            status: Status::Off,
            enabled: Arc::new(AtomicBool::new(false)),
            manifest: Manifest::default(),
            dir: PathBuf::from("appendonlydir"),
            filename: "appendonly.aof".into(),
            file: None,
            policy: Fsync::EverySec,
            no_fsync_on_rewrite: false,
            timestamps: false,
            last_ts: 0,
            selected_db: None,
            buf: Vec::new(),
            in_multi: false,
            deferred: false,
            loading: false,
            current_size: 0,
            last_incr_size: 0,
            fsynced_size: 0,
            last_fsync: Instant::now(),
            flush_sleep_us: 0,
            last_write_ok: true,
            last_write_errno: 0,
            rewrite_base_size: 0,
            rewrite: None,
            generation: 0,
            rewrite_scheduled: false,
            last_rewrite_time_s: -1,
            last_bgrewrite_ok: true,
            rewrites: 0,
            consecutive_failures: 0,
            limit_next_delay_min: 0,
            limit_next_time_s: 0,
        }
    }
}

pub type Shared = Arc<Mutex<Inner>>;

/// Locks the shared state (a panic elsewhere does not make it unusable).
pub fn lock(shared: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// Appends one command in RESP multibulk form (Redis's catAppendOnlyGenericCommand).
pub fn encode_command(out: &mut Vec<u8>, argv: &[impl AsRef<[u8]>]) {
    let mut n = itoa::Buffer::new();
    out.push(b'*');
    out.extend_from_slice(n.format(argv.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in argv {
        let a = a.as_ref();
        out.push(b'$');
        out.extend_from_slice(n.format(a.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

fn unix_now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Inner {
    /// True while writes are recorded (Redis's feedAppendOnlyFile condition).
    pub fn set_status(&mut self, status: Status) {
        self.status = status;
        self.enabled.store(status != Status::Off, Relaxed);
    }

    pub fn accepting(&self) -> bool {
        !self.loading
            && self.file.is_some()
            && (self.status == Status::On
                || (self.status == Status::WaitRewrite && self.rewrite.is_some()))
    }

    /// One propagated command (Redis's feedAppendOnlyFile), written out when
    /// its unit is complete.
    pub fn feed(&mut self, db: usize, argv: &[Bytes]) {
        if !self.accepting() {
            return;
        }
        if self.timestamps {
            let now = unix_now_s();
            if self.last_ts < now {
                self.last_ts = now;
                self.buf
                    .extend_from_slice(format!("#TS:{now}\r\n").as_bytes());
            }
        }
        if self.selected_db != Some(db) {
            let d = db.to_string();
            encode_command(&mut self.buf, &[b"SELECT".as_slice(), d.as_bytes()]);
            self.selected_db = Some(db);
        }
        encode_command(&mut self.buf, argv);
        if argv.len() == 1 {
            if argv[0].eq_ignore_ascii_case(b"multi") {
                self.in_multi = true;
            } else if argv[0].eq_ignore_ascii_case(b"exec") {
                self.in_multi = false;
            }
        }
        if !self.in_multi && !self.deferred {
            self.flush();
        }
    }

    /// Writes the buffer to the incr file (Redis's flushAppendOnlyFile), and
    /// fsyncs it under `appendfsync always`. A failed write is kept and
    /// retried; under `always` it is fatal, as in Redis (the client may
    /// already have seen the change).
    pub fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        if self.flush_sleep_us > 0 {
            std::thread::sleep(std::time::Duration::from_micros(self.flush_sleep_us));
        }
        let Some(file) = self.file.clone() else {
            self.buf.clear();
            return;
        };
        let mut written = 0usize;
        let mut error = None;
        while written < self.buf.len() {
            match (&*file).write(&self.buf[written..]) {
                Ok(0) => {
                    error = Some(std::io::Error::from(std::io::ErrorKind::WriteZero));
                    break;
                }
                Ok(n) => written += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = error {
            if written > 0 {
                tracing::warn!(
                    "Short write while writing to the AOF file: (nwritten={written}, expected={})",
                    self.buf.len()
                );
                // Undo the partial record so the file stays loadable.
                if file.set_len(self.last_incr_size).is_ok() {
                    written = 0;
                }
            } else {
                tracing::warn!("Error writing to the AOF file: {e}");
            }
            if self.policy == Fsync::Always {
                tracing::warn!(
                    "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."
                );
                std::process::exit(1);
            }
            self.last_write_ok = false;
            self.last_write_errno = e.raw_os_error().unwrap_or(28);
            self.current_size += written as u64;
            self.last_incr_size += written as u64;
            self.buf.drain(..written);
            return;
        }
        if !self.last_write_ok {
            tracing::warn!("AOF write error looks solved, Redis can write again.");
            self.last_write_ok = true;
        }
        self.current_size += written as u64;
        self.last_incr_size += written as u64;
        if self.buf.capacity() > 64 * 1024 {
            self.buf = Vec::new();
        } else {
            self.buf.clear();
        }
        if self.policy == Fsync::Always && !(self.no_fsync_on_rewrite && self.rewrite.is_some()) {
            if let Err(e) = file.sync_data() {
                tracing::warn!(
                    "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {e}. Exiting..."
                );
                std::process::exit(1);
            }
            self.fsynced_size = self.current_size;
            self.last_fsync = Instant::now();
        }
    }

    /// Writes the complete units buffered under `deferred`.
    pub fn flush_pending(&mut self) {
        if !self.in_multi {
            self.flush();
        }
    }

    /// Writes everything buffered, an open MULTI included (before a rewrite,
    /// on stop and shutdown).
    pub fn flush_force(&mut self) {
        self.in_multi = false;
        self.flush();
    }

    /// Flushes and fsyncs the current file now.
    pub fn fsync_now(&mut self) {
        self.flush_force();
        if let Some(f) = &self.file {
            match f.sync_data() {
                Ok(()) => {
                    self.fsynced_size = self.current_size;
                    self.last_fsync = Instant::now();
                }
                Err(e) => tracing::warn!("Fail to fsync the AOF file: {e}"),
            }
        }
    }

    /// Replaces the file appended to; the old one is fsync'ed and closed in
    /// the background (Redis's aof_background_fsync_and_close).
    pub fn switch_file(&mut self, file: Option<File>) {
        if let Some(old) = self.file.take() {
            let _ = std::thread::Builder::new()
                .name("ember-aof-close".into())
                .spawn(move || {
                    let _ = old.sync_data();
                });
            self.fsynced_size = self.current_size;
        }
        self.file = file.map(Arc::new);
        self.last_incr_size = 0;
    }
}

/// The everysec fsync (and failed-write retry) loop; ends with the engine.
pub fn spawn_fsync_thread(shared: Weak<Mutex<Inner>>) {
    let _ = std::thread::Builder::new()
        .name("ember-aof-fsync".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_millis(250));
            let Some(shared) = shared.upgrade() else {
                return;
            };
            let mut g = lock(&shared);
            if !g.buf.is_empty() && !g.in_multi && (g.deferred || !g.last_write_ok) {
                g.flush();
            }
            let due = g.policy == Fsync::EverySec
                && g.fsynced_size != g.current_size
                && g.last_fsync.elapsed() >= Duration::from_secs(1)
                && !(g.no_fsync_on_rewrite && g.rewrite.is_some());
            let Some(file) = g.file.clone().filter(|_| due) else {
                continue;
            };
            let size = g.current_size;
            g.last_fsync = Instant::now();
            drop(g);
            // Outside the lock: writers go on while the disk catches up.
            let ok = file.sync_data().is_ok();
            let mut g = lock(&shared);
            if ok && g.file.as_ref().is_some_and(|f| Arc::ptr_eq(f, &file)) {
                g.fsynced_size = g.fsynced_size.max(size);
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_resp_multibulk() {
        let mut out = Vec::new();
        encode_command(&mut out, &[b"SET".as_slice(), b"k", b""]);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
    }

    #[test]
    fn feed_selects_and_keeps_multi_units_whole() {
        let dir = std::env::temp_dir().join(format!("ember-aof-w-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.aof");
        let file = File::create(&path).unwrap();
        let mut w = Inner {
            status: Status::On,
            ..Inner::default()
        };
        w.switch_file(Some(file));
        let b = |s: &str| Bytes::copy_from_slice(s.as_bytes());
        w.feed(0, &[b("SET"), b("a"), b("1")]);
        w.feed(2, &[b("MULTI")]);
        w.feed(2, &[b("INCR"), b("x")]);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), w.current_size);
        assert!(!w.buf.is_empty(), "an open MULTI is held back");
        w.feed(2, &[b("EXEC")]);
        let text = std::fs::read(&path).unwrap();
        assert_eq!(
            text,
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n\
              *2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nx\r\n\
              *1\r\n$4\r\nEXEC\r\n"
        );
        assert_eq!(w.current_size, text.len() as u64);
        w.loading = true;
        w.feed(2, &[b("DEL"), b("x")]);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), text.len() as u64);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
