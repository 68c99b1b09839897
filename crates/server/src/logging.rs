//! Redis-format logging for `tracing` events.
//!
//! Operators grep, rotate and parse Ember's log exactly like redis-server's, so every
//! event becomes one line in Redis's format:
//!
//! ```text
//! 12345:M 21 Nov 2026 20:56:21.133 * Ready to accept connections
//! ```
//!
//! that is `<pid>:<role> <dd> <Mon> <yyyy> <hh:mm:ss.mmm> <level char> <message>`, in local
//! time (taken from the C library's `localtime_r`, which honours `TZ` and `/etc/localtime`
//! as Redis does). Redis's four loglevels map onto `tracing` levels as
//! `debug`=TRACE, `verbose`=DEBUG, `notice`=INFO, `warning`=WARN and ERROR; the level
//! characters are `.`, `-`, `*` and `#`.
//!
//! Like redis-server, the log file is opened in append mode for every line and closed
//! again. That is what makes Debian's logrotate rule (no `copytruncate`, no signal) work,
//! so [`reopen`] only re-checks that the file can be opened.

use std::fmt::{self, Write as _};
use std::fs::OpenOptions;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::Layer;

/// Redis truncates a formatted message to `LOG_MAX_LEN - 1` bytes (1023).
const LOG_MAX_LEN: usize = 1024;

/// Error text redis-server gives for a bad loglevel (from config file or CONFIG SET).
pub const BAD_LEVEL: &str =
    "argument(s) must be one of the following: debug, verbose, notice, warning";

/// Redis's loglevels, least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    Debug,
    Verbose,
    Notice,
    Warning,
}

impl LogLevel {
    /// Parses a Redis loglevel name, case-insensitively like Redis's enum configs.
    pub fn from_name(name: &str) -> Option<LogLevel> {
        [Self::Debug, Self::Verbose, Self::Notice, Self::Warning]
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(name))
    }

    /// The name CONFIG GET loglevel reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Verbose => "verbose",
            Self::Notice => "notice",
            Self::Warning => "warning",
        }
    }

    /// The character Redis prints between the timestamp and the message.
    pub fn marker(self) -> char {
        match self {
            Self::Debug => '.',
            Self::Verbose => '-',
            Self::Notice => '*',
            Self::Warning => '#',
        }
    }

    /// The Redis level a `tracing` level is printed as.
    pub fn from_tracing(level: &tracing::Level) -> LogLevel {
        match *level {
            tracing::Level::TRACE => Self::Debug,
            tracing::Level::DEBUG => Self::Verbose,
            tracing::Level::INFO => Self::Notice,
            _ => Self::Warning,
        }
    }

    /// The most verbose `tracing` level that passes when this is the configured level.
    pub fn tracing_filter(self) -> LevelFilter {
        match self {
            Self::Debug => LevelFilter::TRACE,
            Self::Verbose => LevelFilter::DEBUG,
            Self::Notice => LevelFilter::INFO,
            Self::Warning => LevelFilter::WARN,
        }
    }

    fn from_u8(v: u8) -> LogLevel {
        match v {
            0 => Self::Debug,
            1 => Self::Verbose,
            2 => Self::Notice,
            _ => Self::Warning,
        }
    }
}

/// A broken-down wall-clock time with milliseconds, as a log line shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogTime {
    pub year: i32,
    /// 1..=12
    pub month: u8,
    /// 1..=31
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub millis: u16,
}

impl LogTime {
    /// `t` in UTC; pure arithmetic, used where no local time zone can be had.
    pub fn utc(t: SystemTime) -> LogTime {
        let (secs, millis) = split_time(t);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        // Civil-from-days (Howard Hinnant's algorithm), valid for the proleptic Gregorian calendar.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        LogTime {
            year,
            month,
            day,
            hour: (rem / 3600) as u8,
            minute: (rem / 60 % 60) as u8,
            second: (rem % 60) as u8,
            millis,
        }
    }

    /// `t` in the local time zone, as redis-server stamps its lines; UTC if the C library
    /// cannot convert it.
    pub fn local(t: SystemTime) -> LogTime {
        let (secs, millis) = split_time(t);
        local_tm(secs).map_or_else(|| LogTime::utc(t), |lt| LogTime { millis, ..lt })
    }

    /// The current local time.
    pub fn now() -> LogTime {
        LogTime::local(SystemTime::now())
    }
}

fn split_time(t: SystemTime) -> (i64, u16) {
    let ms = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    };
    (ms.div_euclid(1000), ms.rem_euclid(1000) as u16)
}

#[cfg(unix)]
fn local_tm(secs: i64) -> Option<LogTime> {
    let t = libc::time_t::try_from(secs).ok()?;
    // SAFETY: `tm` is plain old data, so all-zeroes is a valid value; localtime_r only
    // writes through the pointers we give it and is thread-safe.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return None;
        }
        tm
    };
    Some(LogTime {
        year: tm.tm_year + 1900,
        month: (tm.tm_mon + 1) as u8,
        day: tm.tm_mday as u8,
        hour: tm.tm_hour as u8,
        minute: tm.tm_min as u8,
        second: tm.tm_sec as u8,
        millis: 0,
    })
}

#[cfg(not(unix))]
fn local_tm(_secs: i64) -> Option<LogTime> {
    None
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Formats one log line (without the newline) exactly as redis-server's `serverLogRaw`:
/// `"%d:%c %d %b %Y %H:%M:%S.%03d %c %s"`. Messages longer than 1023 bytes are cut, as
/// Redis's fixed message buffer does.
pub fn format_line(pid: u32, role: char, time: &LogTime, level: LogLevel, msg: &str) -> String {
    let msg = truncate_at_char(msg, LOG_MAX_LEN - 1);
    let mut out = String::with_capacity(40 + msg.len());
    let month = MONTHS[usize::from(time.month.clamp(1, 12)) - 1];
    let _ = write!(
        out,
        "{pid}:{role} {:02} {month} {} {:02}:{:02}:{:02}.{:03} {} {msg}",
        time.day,
        time.year,
        time.hour,
        time.minute,
        time.second,
        time.millis,
        level.marker()
    );
    out
}

fn truncate_at_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The C library's text for an I/O error (`strerror`), without Rust's " (os error N)".
pub fn os_error_text(e: &io::Error) -> String {
    let text = e.to_string();
    match e.raw_os_error() {
        Some(code) => text
            .strip_suffix(&format!(" (os error {code})"))
            .map_or_else(|| text.clone(), str::to_owned),
        None => text,
    }
}

/// Writes one line to stdout right away, bypassing the subscriber. redis-server logs this
/// way while it is still reading its config (logfile unset, so stdout, and role `C` since
/// its pid is not recorded yet); Ember's config loader uses it for the same messages.
pub fn log_raw(role: char, level: LogLevel, msg: &str) {
    let mut line = format_line(std::process::id(), role, &LogTime::now(), level, msg);
    line.push('\n');
    let mut out = io::stdout().lock();
    let _ = out.write_all(line.as_bytes());
    let _ = out.flush();
}

/// Settings shared by the installed layer and the control functions.
#[derive(Debug)]
struct Shared {
    level: AtomicU8,
    role: AtomicU32,
    /// `None` writes to stdout.
    logfile: Mutex<Option<PathBuf>>,
}

impl Shared {
    fn level(&self) -> LogLevel {
        LogLevel::from_u8(self.level.load(Ordering::Relaxed))
    }

    fn role(&self) -> char {
        char::from_u32(self.role.load(Ordering::Relaxed)).unwrap_or('M')
    }

    fn write_line(&self, line: &str) {
        let path = self
            .logfile
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match path {
            // Opened per line, like Redis, so rotated files are picked up with no signal.
            // One write call per line keeps concurrent lines whole (O_APPEND).
            Some(p) => {
                if let Ok(mut f) = open_append(&p) {
                    let _ = f.write_all(line.as_bytes());
                }
            }
            None => {
                let mut out = io::stdout().lock();
                let _ = out.write_all(line.as_bytes());
                let _ = out.flush();
            }
        }
    }
}

fn open_append(path: &Path) -> io::Result<std::fs::File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// Checks the log file opens in append mode, with Redis's error text.
fn check_logfile(path: Option<&Path>) -> Result<Option<PathBuf>, String> {
    match path {
        Some(p) if !p.as_os_str().is_empty() => match open_append(p) {
            Ok(_) => Ok(Some(p.to_path_buf())),
            Err(e) => Err(format!("Can't open the log file: {}", os_error_text(&e))),
        },
        _ => Ok(None),
    }
}

/// The `tracing_subscriber` layer that prints events as Redis log lines. Filtering by the
/// Redis loglevel is built in; spans are ignored (Redis has no equivalent).
#[derive(Debug, Clone)]
struct RedisLogLayer {
    shared: Arc<Shared>,
}

impl RedisLogLayer {
    fn new(level: LogLevel, logfile: Option<PathBuf>, role: char) -> Self {
        RedisLogLayer {
            shared: Arc::new(Shared {
                level: AtomicU8::new(level as u8),
                role: AtomicU32::new(role as u32),
                logfile: Mutex::new(logfile),
            }),
        }
    }

    fn passes(&self, meta: &Metadata<'_>) -> bool {
        LogLevel::from_tracing(meta.level()) >= self.shared.level()
    }
}

impl<S: Subscriber> Layer<S> for RedisLogLayer {
    fn register_callsite(&self, _meta: &'static Metadata<'static>) -> Interest {
        // The level can change at runtime, so never let a callsite be cached as off.
        Interest::sometimes()
    }

    fn enabled(&self, meta: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        !meta.is_event() || self.passes(meta)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.shared.level().tracing_filter())
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        if !self.passes(meta) {
            return;
        }
        let mut msg = MessageVisitor::default();
        event.record(&mut msg);
        msg.message.push_str(&msg.fields);
        let mut line = format_line(
            std::process::id(),
            self.shared.role(),
            &LogTime::now(),
            LogLevel::from_tracing(meta.level()),
            &msg.message,
        );
        line.push('\n');
        self.shared.write_line(&line);
    }
}

/// Collects the `message` field; any other fields follow it as ` key=value`.
#[derive(Default)]
struct MessageVisitor {
    message: String,
    fields: String,
}

impl MessageVisitor {
    fn push_field(&mut self, field: &Field, value: fmt::Arguments<'_>) {
        if field.name() == "message" {
            let _ = self.message.write_fmt(value);
        } else {
            let _ = write!(self.fields, " {}={}", field.name(), value);
        }
    }
}

impl Visit for MessageVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.push_field(field, format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.push_field(field, format_args!("{value:?}"));
    }
}

static GLOBAL: OnceLock<Arc<Shared>> = OnceLock::new();

/// Installs the Redis-format subscriber as the process-wide default.
///
/// `level` is a Redis loglevel name (`debug`, `verbose`, `notice`, `warning`); `logfile`
/// `None` or an empty path means stdout, as `logfile ""` does. `role_char` is `M` for a
/// master, `S` for a replica, `X` for sentinel (see [`set_role`]). Errors carry Redis's
/// text ([`BAD_LEVEL`], `Can't open the log file: <strerror>`), ready for
/// `ConfigError::general`. Calling it again just updates the settings.
pub fn init(level: &str, logfile: Option<&Path>, role_char: char) -> Result<(), String> {
    let lvl = LogLevel::from_name(level).ok_or_else(|| BAD_LEVEL.to_string())?;
    let file = check_logfile(logfile)?;
    if let Some(shared) = GLOBAL.get() {
        *shared.logfile.lock().unwrap_or_else(|e| e.into_inner()) = file;
        shared.role.store(role_char as u32, Ordering::Relaxed);
        store_level(shared, lvl);
        return Ok(());
    }
    let layer = RedisLogLayer::new(lvl, file, role_char);
    let shared = layer.shared.clone();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|_| "another global tracing subscriber is already installed".to_string())?;
    let _ = GLOBAL.set(shared);
    Ok(())
}

/// Changes the loglevel at runtime (CONFIG SET loglevel). Errors with [`BAD_LEVEL`].
pub fn set_level(level: &str) -> Result<(), String> {
    let lvl = LogLevel::from_name(level).ok_or_else(|| BAD_LEVEL.to_string())?;
    if let Some(shared) = GLOBAL.get() {
        store_level(shared, lvl);
    }
    Ok(())
}

fn store_level(shared: &Shared, level: LogLevel) {
    shared.level.store(level as u8, Ordering::Relaxed);
    // Recompute tracing's global max level from `max_level_hint`, so that events below
    // the new level cost one comparison again (and newly enabled ones get through).
    tracing::callsite::rebuild_interest_cache();
}

/// The current loglevel (`notice` before [`init`]).
pub fn level() -> LogLevel {
    GLOBAL.get().map_or(LogLevel::Notice, |s| s.level())
}

/// Changes the role character, e.g. `S` after REPLICAOF host port, `M` after REPLICAOF NO ONE.
pub fn set_role(role_char: char) {
    if let Some(shared) = GLOBAL.get() {
        shared.role.store(role_char as u32, Ordering::Relaxed);
    }
}

/// Points the log at another file (`None`/empty: stdout), checking it opens first.
pub fn set_logfile(logfile: Option<&Path>) -> Result<(), String> {
    let file = check_logfile(logfile)?;
    if let Some(shared) = GLOBAL.get() {
        *shared.logfile.lock().unwrap_or_else(|e| e.into_inner()) = file;
    }
    Ok(())
}

/// Re-checks that the current log file can be opened (e.g. after log rotation or on
/// SIGHUP). Lines already reopen the file each time, so nothing needs resetting.
pub fn reopen() -> Result<(), String> {
    let path = GLOBAL
        .get()
        .and_then(|s| s.logfile.lock().unwrap_or_else(|e| e.into_inner()).clone());
    check_logfile(path.as_deref()).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn t(year: i32, month: u8, day: u8, h: u8, m: u8, s: u8, ms: u16) -> LogTime {
        LogTime {
            year,
            month,
            day,
            hour: h,
            minute: m,
            second: s,
            millis: ms,
        }
    }

    #[test]
    fn formats_like_redis() {
        let time = t(2026, 11, 21, 20, 56, 21, 133);
        assert_eq!(
            format_line(
                12345,
                'M',
                &time,
                LogLevel::Notice,
                "Ready to accept connections"
            ),
            "12345:M 21 Nov 2026 20:56:21.133 * Ready to accept connections"
        );
        // %d zero-pads the day, %H:%M:%S and %03d pad too.
        let time = t(2026, 12, 1, 9, 5, 3, 7);
        assert_eq!(
            format_line(7, 'C', &time, LogLevel::Warning, "Configuration loaded"),
            "7:C 01 Dec 2026 09:05:03.007 # Configuration loaded"
        );
        assert_eq!(
            format_line(1, 'S', &time, LogLevel::Verbose, "x"),
            "1:S 01 Dec 2026 09:05:03.007 - x"
        );
        assert_eq!(
            format_line(1, 'X', &time, LogLevel::Debug, ""),
            "1:X 01 Dec 2026 09:05:03.007 . "
        );
    }

    #[test]
    fn long_messages_are_cut_like_redis() {
        let time = t(2026, 1, 2, 3, 4, 5, 6);
        let line = format_line(1, 'M', &time, LogLevel::Notice, &"a".repeat(5000));
        assert_eq!(line.len(), "1:M 02 Jan 2026 03:04:05.006 * ".len() + 1023);
        let line = format_line(1, 'M', &time, LogLevel::Notice, &"é".repeat(600));
        assert!(line.ends_with('é'));
    }

    #[test]
    fn utc_conversion() {
        let at = |secs: u64, ms: u64| {
            LogTime::utc(UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(ms))
        };
        assert_eq!(at(0, 0), t(1970, 1, 1, 0, 0, 0, 0));
        // 2026-11-21 20:56:21.133 UTC
        assert_eq!(at(1_795_294_581, 133), t(2026, 11, 21, 20, 56, 21, 133));
        // Leap day and end of year.
        assert_eq!(at(951_782_400, 999), t(2000, 2, 29, 0, 0, 0, 999));
        assert_eq!(at(1_798_761_599, 0), t(2026, 12, 31, 23, 59, 59, 0));
        let before = LogTime::utc(UNIX_EPOCH - Duration::from_millis(1));
        assert_eq!(before, t(1969, 12, 31, 23, 59, 59, 999));
    }

    #[test]
    fn local_time_matches_utc_under_tz_utc() {
        // The machine clock runs in UTC unless TZ says otherwise; only compare then.
        if std::env::var("TZ").map_or(true, |tz| tz.is_empty() || tz == "UTC")
            && std::fs::read_link("/etc/localtime").map_or(true, |p| p.ends_with("UTC"))
        {
            let now = SystemTime::now();
            assert_eq!(LogTime::local(now), LogTime::utc(now));
        }
    }

    #[test]
    fn levels() {
        assert_eq!(LogLevel::from_name("VERBOSE"), Some(LogLevel::Verbose));
        assert_eq!(LogLevel::from_name("nothing"), None);
        assert_eq!(
            LogLevel::from_tracing(&tracing::Level::ERROR),
            LogLevel::Warning
        );
        assert_eq!(
            LogLevel::from_tracing(&tracing::Level::TRACE),
            LogLevel::Debug
        );
        assert_eq!(LogLevel::Verbose.tracing_filter(), LevelFilter::DEBUG);
        assert_eq!(set_level("loud"), Err(BAD_LEVEL.to_string()));
    }

    #[test]
    fn os_errors_read_like_strerror() {
        let e = io::Error::from_raw_os_error(2);
        assert_eq!(os_error_text(&e), "No such file or directory");
        let err = check_logfile(Some(Path::new("/nonexistent/dir/x.log"))).unwrap_err();
        assert_eq!(err, "Can't open the log file: No such file or directory");
        assert_eq!(check_logfile(Some(Path::new(""))), Ok(None));
    }

    #[test]
    fn layer_writes_filters_and_changes_level() {
        let dir = std::env::temp_dir().join(format!("ember-log-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("test.log");
        let _ = std::fs::remove_file(&path);
        let layer = RedisLogLayer::new(LogLevel::Notice, Some(path.clone()), 'M');
        let shared = layer.shared.clone();
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("Ready to accept connections");
            tracing::debug!("hidden at notice");
            store_level(&shared, LogLevel::Verbose);
            shared.role.store('S' as u32, Ordering::Relaxed);
            tracing::debug!(fd = 8, "Accepted {}", "127.0.0.1:5000");
            tracing::trace!("still hidden");
            tracing::error!("bad");
        });
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        let pid = format!("{}:", std::process::id());
        assert!(lines[0].starts_with(&format!("{pid}M ")), "{}", lines[0]);
        assert!(lines[0].ends_with(" * Ready to accept connections"));
        assert!(lines[1].starts_with(&format!("{pid}S ")));
        assert!(lines[1].ends_with(" - Accepted 127.0.0.1:5000 fd=8"));
        assert!(lines[2].ends_with(" # bad"));
        // "<pid>:M dd Mon yyyy hh:mm:ss.mmm * ..." has fixed-width time fields.
        let stamp = &lines[0][pid.len() + 2..pid.len() + 2 + 24];
        assert_eq!(stamp.as_bytes()[2], b' ');
        assert_eq!(stamp.as_bytes()[20], b'.');
        let _ = std::fs::remove_dir_all(&dir);
    }
}
