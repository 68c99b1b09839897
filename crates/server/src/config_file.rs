//! The text side of redis-server's config loading: config files, `include`s and the
//! command line become a list of directives; errors read exactly as Redis's. What each
//! directive means is decided elsewhere. Matching redis-server 7.0 byte for byte lets
//! existing `redis.conf` files and `redis-server /etc/redis.conf --port 7000` command
//! lines work unchanged, with the same line numbers in errors:
//!
//! * Lines split on `\n`, trimmed of `" \t\r\n"`; blank and `#` lines skipped; words split
//!   with `sdssplitargs` quoting ([`split_args`]); the name lowercased.
//! * `include <path>` (a glob is allowed) is parsed on its own, so errors inside it carry
//!   its own line numbers, as in Redis.
//! * The parsed text is `file contents + extra`, where [`args_to_config_text`] makes
//!   `extra` from stdin (`-`) and `--name value` options, after a `"\n"`.

use std::fmt;
use std::io::Read;
use std::path::PathBuf;

use crate::logging::{log_raw, os_error_text, LogLevel};

/// The Redis version Ember reports in fatal config errors.
pub const REDIS_VERSION: &str = "7.0.15";

/// Error text for a line whose quoting `sdssplitargs` rejects.
pub const UNBALANCED_QUOTES: &str = "Unbalanced quotes in configuration line";
/// Error text for an unknown directive, or a known one with a bad argument count.
pub const BAD_DIRECTIVE: &str = "Bad directive or wrong number of arguments";

/// Redis recurses on `include` without limit (and crashes on a loop); we stop here.
const MAX_INCLUDE_DEPTH: usize = 32;
/// `fgets` buffer size in Redis's file reader; see [`append_like_fgets`].
const CONFIG_READ_LEN: usize = 1024;

/// One configuration line, split into arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// 1-based line number within the text (or included file) it came from.
    pub line: usize,
    /// The first word, ASCII-lowercased.
    pub name: String,
    /// The remaining words, unquoted (they may hold any bytes, e.g. via `\xHH`).
    pub args: Vec<Vec<u8>>,
    /// The trimmed line as written, for error messages.
    pub text: String,
}

impl Directive {
    /// The arguments as a Redis multi-argument config (`save`, `replicaof`,
    /// `client-output-buffer-limit`, `oom-score-adj-values`, ...) sees them: a single
    /// non-empty argument is split again with [`split_args`], so that `--save "900 1"`
    /// works like `save 900 1` (an unsplittable one yields no arguments, as in Redis).
    pub fn expanded_args(&self) -> Vec<Vec<u8>> {
        match self.args.as_slice() {
            [one] if !one.is_empty() => split_args(one).unwrap_or_default(),
            _ => self.args.clone(),
        }
    }
}

/// A fatal configuration error, displayed exactly as redis-server prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    place: Place,
    message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    /// Line number and line text, shown in the FATAL block.
    Line(usize, String),
    /// A FATAL block without the line part.
    General,
    /// Redis reports unreadable config files with a log line, not the FATAL block.
    OpenFailure,
}

impl ConfigError {
    /// An error about a directive, e.g. `ConfigError::at(&d, "argument must be 'yes' or 'no'")`.
    pub fn at(directive: &Directive, message: impl Into<String>) -> ConfigError {
        ConfigError::at_line(directive.line, directive.text.clone(), message)
    }

    /// An error at a given line (text as it should be quoted after `>>>`).
    pub fn at_line(line: usize, text: impl Into<String>, message: impl Into<String>) -> Self {
        let (place, message) = (Place::Line(line, text.into()), message.into());
        ConfigError { place, message }
    }

    /// An error not tied to a line, like Redis's checks after the last line
    /// (`Can't open the log file: ...`, `Invalid timeout value`): the block has no
    /// "Reading the configuration file" part.
    pub fn general(message: impl Into<String>) -> ConfigError {
        let (place, message) = (Place::General, message.into());
        ConfigError { place, message }
    }

    fn open_failed(path: &[u8], err: &std::io::Error) -> ConfigError {
        let (path, err) = (String::from_utf8_lossy(path), os_error_text(err));
        let message = format!("Fatal error, can't open config file '{path}': {err}");
        let place = Place::OpenFailure;
        ConfigError { place, message }
    }

    /// The line the error refers to, if any.
    pub fn line(&self) -> Option<usize> {
        match self.place {
            Place::Line(line, _) => Some(line),
            _ => None,
        }
    }

    /// The last line of the report: what went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// True for "can't open config file" errors, which Redis logs instead of printing
    /// the FATAL block.
    pub fn is_open_failure(&self) -> bool {
        self.place == Place::OpenFailure
    }

    /// Prints the error where and how redis-server does before it exits with status 1:
    /// the FATAL block on stderr after a blank line, or, for an unreadable file, a
    /// warning log line on stdout.
    pub fn report(&self) {
        if self.is_open_failure() {
            log_raw('C', LogLevel::Warning, &self.message);
        } else {
            eprintln!("\n{self}");
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_open_failure() {
            return f.write_str(&self.message);
        }
        writeln!(f, "*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***")?;
        if let Place::Line(line, text) = &self.place {
            writeln!(f, "Reading the configuration file, at line {line}")?;
            writeln!(f, ">>> '{text}'")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Parses config text into directives, expanding `include`s.
pub fn parse_config_text(text: &str) -> Result<Vec<Directive>, ConfigError> {
    parse_config_bytes(text.as_bytes())
}

/// [`parse_config_text`] for text that need not be UTF-8 (files may hold raw bytes).
pub fn parse_config_bytes(text: &[u8]) -> Result<Vec<Directive>, ConfigError> {
    let mut out = Vec::new();
    visit_config_bytes(text, |d| {
        out.push(d);
        Ok(())
    })?;
    Ok(out)
}

/// Calls `visit` on each directive in order, stopping at the first error from either the
/// text or `visit`. This matches Redis's order of errors (an earlier bad value wins over
/// a later quoting error), and lets a relative `include` after `dir` resolve against the
/// new directory if `visit` applies `dir` with `chdir` the way Redis does.
pub fn visit_config_bytes(
    text: &[u8],
    mut visit: impl FnMut(Directive) -> Result<(), ConfigError>,
) -> Result<(), ConfigError> {
    visit_inner(text, 0, &mut visit)
}

fn visit_inner(
    text: &[u8],
    depth: usize,
    visit: &mut dyn FnMut(Directive) -> Result<(), ConfigError>,
) -> Result<(), ConfigError> {
    for (idx, raw) in text.split(|&b| b == b'\n').enumerate() {
        // Redis trims the whole line, then uses it as a C string (up to any NUL byte).
        let line = trim(raw);
        let line = &line[..line.iter().position(|&b| b == 0).unwrap_or(line.len())];
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        let shown = String::from_utf8_lossy(line).into_owned();
        let Some(mut argv) = split_args(line) else {
            return Err(ConfigError::at_line(idx + 1, shown, UNBALANCED_QUOTES));
        };
        if argv.is_empty() {
            continue;
        }
        let name = String::from_utf8_lossy(&argv.remove(0)).to_ascii_lowercase();
        if name == "include" {
            if argv.len() != 1 {
                return Err(ConfigError::at_line(idx + 1, shown, BAD_DIRECTIVE));
            }
            if depth >= MAX_INCLUDE_DEPTH {
                let msg = "Too many nested include directives (include loop?)";
                return Err(ConfigError::at_line(idx + 1, shown, msg));
            }
            let content = read_source(&argv[0])?;
            visit_inner(&content, depth + 1, visit)?;
            continue;
        }
        visit(Directive {
            line: idx + 1,
            name,
            args: argv,
            text: shown,
        })?;
    }
    Ok(())
}

fn trim(s: &[u8]) -> &[u8] {
    // sdstrim's set is " \t\r\n"; its strchr() lookup also matches NUL bytes.
    let keep = |b: &u8| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0);
    match (s.iter().position(keep), s.iter().rposition(keep)) {
        (Some(start), Some(end)) => &s[start..=end],
        _ => &[],
    }
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Splits a line like Redis's `sdssplitargs`: words separated by blanks; `"..."` with
/// `\xHH`, `\n`, `\r`, `\t`, `\b`, `\a` and `\<any>` escapes; `'...'` with only `\'`;
/// quotes may start mid-word; a closing quote must be followed by a blank or the end.
/// Returns `None` for unbalanced quotes. The line ends at a NUL byte, as a C string would.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let line = &line[..line.iter().position(|&b| b == 0).unwrap_or(line.len())];
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let hex = |i: usize| hex_value(at(i));
    let mut args = Vec::new();
    let mut p = 0;
    loop {
        while at(p) != 0 && is_c_space(at(p)) {
            p += 1;
        }
        if at(p) == 0 {
            return Some(args);
        }
        let mut quote = 0; // the open quote character, if any
        let mut cur = Vec::new();
        loop {
            let (c, next) = (at(p), at(p + 1));
            if quote == 0 {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => break,
                    b'"' | b'\'' => quote = c,
                    _ => cur.push(c),
                }
            } else if c == 0 {
                return None;
            } else if c == quote {
                if next != 0 && !is_c_space(next) {
                    return None;
                }
                p += 1;
                break;
            } else if quote == b'\'' && c == b'\\' && next == b'\'' {
                p += 1;
                cur.push(b'\'');
            } else if let (b'"', b'\\', b'x', Some(h), Some(l)) =
                (quote, c, next, hex(p + 2), hex(p + 3))
            {
                cur.push(h * 16 + l);
                p += 3;
            } else if quote == b'"' && c == b'\\' && next != 0 {
                p += 1;
                cur.push(match next {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'b' => 0x08,
                    b'a' => 0x07,
                    other => other,
                });
            } else {
                cur.push(c);
            }
            p += 1;
        }
        args.push(cur);
    }
}

/// Quotes bytes like Redis's `sdscatrepr`, so that [`split_args`] gives them back.
pub fn quote_arg(out: &mut String, arg: &[u8]) {
    out.push('"');
    for &b in arg {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
}

/// Builds the complete text Redis parses: the config file (if any) followed by the
/// `extra` text from [`args_to_config_text`]. The file is read as for `include`: a path
/// with `*`, `?` or `[` is a glob whose sorted matches are concatenated (no match gives
/// nothing); otherwise it must open, or the error is Redis's
/// `Fatal error, can't open config file '<path>': <strerror>`.
pub fn assemble_config(path: Option<&str>, extra: &str) -> Result<Vec<u8>, ConfigError> {
    let mut text = match path {
        Some(p) => read_source(p.as_bytes())?,
        None => Vec::new(),
    };
    text.extend_from_slice(extra.as_bytes());
    Ok(text)
}

fn read_source(path: &[u8]) -> Result<Vec<u8>, ConfigError> {
    let mut out = Vec::new();
    if path.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
        for file in glob(path) {
            read_one(&file, &mut out)?;
        }
    } else {
        read_one(path, &mut out)?;
    }
    Ok(out)
}

fn read_one(path: &[u8], out: &mut Vec<u8>) -> Result<(), ConfigError> {
    let p = bytes_to_path(path);
    match std::fs::read(&p) {
        Ok(data) => append_like_fgets(&data, out),
        // fopen() of a directory succeeds on Linux and fgets() then reads nothing.
        Err(_) if p.is_dir() => {}
        Err(e) => return Err(ConfigError::open_failed(path, &e)),
    }
    Ok(())
}

/// Redis appends each `fgets` chunk (at most 1024 bytes, ending at a newline) with
/// `sdscat`, which stops at a NUL byte; mirror that so odd files read identically.
fn append_like_fgets(data: &[u8], out: &mut Vec<u8>) {
    for line in data.split_inclusive(|&b| b == b'\n') {
        for chunk in line.chunks(CONFIG_READ_LEN) {
            let end = chunk.iter().position(|&b| b == 0).unwrap_or(chunk.len());
            out.extend_from_slice(&chunk[..end]);
        }
    }
}

#[cfg(unix)]
fn bytes_to_path(b: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(b))
}

#[cfg(not(unix))]
fn bytes_to_path(b: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(b).into_owned())
}

/// `glob(3)` with no flags, as Redis calls it: sorted matches (in the C locale's byte order
/// here, since Rust programs do not call `setlocale`), dotfiles only for a leading `.`.
#[cfg(unix)]
fn glob(pattern: &[u8]) -> Vec<Vec<u8>> {
    let Ok(c_pattern) = std::ffi::CString::new(pattern) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // SAFETY: all-zeroes is a valid empty `glob_t`; glob() fills it, we copy each
    // NUL-terminated path out before globfree() releases them (it accepts an empty one).
    unsafe {
        let mut g: libc::glob_t = std::mem::zeroed();
        if libc::glob(c_pattern.as_ptr(), 0, None, &mut g) == 0 {
            for i in 0..g.gl_pathc {
                let path = std::ffi::CStr::from_ptr(*g.gl_pathv.add(i));
                out.push(path.to_bytes().to_vec());
            }
        }
        libc::globfree(&mut g);
    }
    out
}

#[cfg(not(unix))]
fn glob(_pattern: &[u8]) -> Vec<Vec<u8>> {
    Vec::new()
}

/// Converts redis-server's command line (the arguments after the program name) into the
/// config file path and the text Redis appends after the file contents.
///
/// As in redis-server 7.0: a first argument not starting with `-` is the config file
/// (Redis records its absolute path for CONFIG REWRITE; this returns it as given). A `-`
/// as first or last argument reads config text from stdin, placed first in the returned
/// text (lossily decoded as UTF-8). Each `--name` starts a line `name ` and the following
/// arguments are appended quoted, `--replicaof 127.0.0.1 6379` giving
/// `replicaof "127.0.0.1" "6379"`. Right after a bare `--name` the next argument is a
/// value even if it starts with `--` (`--zzz --port` gives `zzz "--port"`), except that
/// a bare `--save` followed by an option or at the end means `save ""`, and `--sentinel`
/// takes no value. `-v`, `--version`, `-h`, `--help`, `--test-memory` and
/// `--check-system` are for the caller to handle first.
///
/// The text starts with `"\n"` (Redis's separator), so line numbers in errors count the
/// file's lines first: with no file, the first option is line 2.
pub fn args_to_config_text(args: &[String]) -> Result<(Option<String>, String), ConfigError> {
    args_to_config_text_with(args, || {
        log_raw('C', LogLevel::Warning, "Reading config from stdin");
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        Ok(buf)
    })
}

/// [`args_to_config_text`] with the stdin reader supplied (for tests and embedding).
pub fn args_to_config_text_with(
    args: &[String],
    read_stdin: impl FnOnce() -> std::io::Result<Vec<u8>>,
) -> Result<(Option<String>, String), ConfigError> {
    if args.is_empty() {
        return Ok((None, String::new()));
    }
    let config_file = args.first().filter(|a| !a.starts_with('-')).cloned();
    let mut j = usize::from(config_file.is_some());
    let last = args.len() - 1;
    let mut from_stdin = false;
    let mut options = String::new();
    let mut handled_last_arg = true;
    while j < args.len() {
        let arg = &args[j];
        if arg == "-" && (j == 0 || j == last) {
            from_stdin = true;
        } else if handled_last_arg && arg.starts_with("--") {
            if !options.is_empty() {
                options.push('\n');
            }
            options.push_str(&arg[2..]);
            options.push(' ');
            // "--port" alone waits for its value; "--port 6380" in one argument does not.
            if split_args(arg.as_bytes()).map_or(0, |v| v.len()) == 1 {
                handled_last_arg = false;
                let next_is_option = j != last && args[j + 1].starts_with("--");
                if arg.eq_ignore_ascii_case("--save") && (next_is_option || j == last) {
                    // Pre-7.0.1 compatibility: a bare --save means `save ""`.
                    options.push_str("\"\"");
                    handled_last_arg = true;
                } else if arg.eq_ignore_ascii_case("--sentinel") && next_is_option {
                    // --sentinel takes no value.
                    handled_last_arg = true;
                }
            } else {
                handled_last_arg = true;
            }
        } else {
            quote_arg(&mut options, arg.as_bytes());
            options.push(' ');
            handled_last_arg = true;
        }
        j += 1;
    }
    let mut text = String::new();
    if from_stdin {
        let mut raw = Vec::new();
        let failed = |e| format!("Error reading config from stdin: {}", os_error_text(&e));
        let stdin = read_stdin().map_err(|e| ConfigError::general(failed(e)))?;
        append_like_fgets(&stdin, &mut raw);
        text.push_str(&String::from_utf8_lossy(&raw));
    }
    text.push('\n');
    text.push_str(&options);
    Ok((config_file, text))
}

/// Every directive name redis-server 7.0.15 accepts in a config file: the 192 names
/// `CONFIG GET *` lists (aliases included), the hidden ones CONFIG GET only answers by
/// exact name, the file-only ones (`include`, `rename-command`, `user`, `loadmodule`,
/// `sentinel`) and the deprecated, ignored ones (`list-max-ziplist-entries`,
/// `list-max-ziplist-value`, `lua-replicate-commands`). Names with a `.` are module
/// configs in Redis and are not listed.
const KNOWN_DIRECTIVES: &str = "\
    acl-pubsub-default aclfile acllog-max-len active-defrag-cycle-max active-defrag-cycle-min \
    active-defrag-ignore-bytes active-defrag-max-scan-fields active-defrag-threshold-lower \
    active-defrag-threshold-upper active-expire-effort activedefrag activerehashing \
    always-show-logo aof-disable-auto-gc aof-load-truncated aof-rewrite-incremental-fsync \
    aof-timestamp-enabled aof-use-rdb-preamble aof_rewrite_cpulist appenddirname appendfilename \
    appendfsync appendonly auto-aof-rewrite-min-size auto-aof-rewrite-percentage bgsave_cpulist \
    bind bind-source-addr bio_cpulist busy-reply-threshold client-output-buffer-limit \
    client-query-buffer-limit cluster-allow-pubsubshard-when-down cluster-allow-reads-when-down \
    cluster-allow-replica-migration cluster-announce-bus-port cluster-announce-hostname \
    cluster-announce-ip cluster-announce-port cluster-announce-tls-port cluster-config-file \
    cluster-enabled cluster-link-sendbuf-limit cluster-migration-barrier cluster-node-timeout \
    cluster-port cluster-preferred-endpoint-type cluster-replica-no-failover \
    cluster-replica-validity-factor cluster-require-full-coverage cluster-slave-no-failover \
    cluster-slave-validity-factor crash-log-enabled crash-memcheck-enabled daemonize databases \
    dbfilename dir disable-thp dynamic-hz enable-debug-command enable-module-command \
    enable-protected-configs hash-max-listpack-entries hash-max-listpack-value \
    hash-max-ziplist-entries hash-max-ziplist-value hll-sparse-max-bytes hz ignore-warnings \
    include io-threads io-threads-do-reads jemalloc-bg-thread key-load-delay \
    latency-monitor-threshold latency-tracking latency-tracking-info-percentiles \
    lazyfree-lazy-eviction lazyfree-lazy-expire lazyfree-lazy-server-del lazyfree-lazy-user-del \
    lazyfree-lazy-user-flush lfu-decay-time lfu-log-factor list-compress-depth \
    list-max-listpack-size list-max-ziplist-entries list-max-ziplist-size list-max-ziplist-value \
    loading-process-events-interval-bytes loadmodule logfile loglevel lua-enable-deprecated-api \
    lua-replicate-commands lua-time-limit masterauth masteruser maxclients maxmemory \
    maxmemory-clients maxmemory-eviction-tenacity maxmemory-policy maxmemory-samples \
    min-replicas-max-lag min-replicas-to-write min-slaves-max-lag min-slaves-to-write \
    no-appendfsync-on-rewrite notify-keyspace-events oom-score-adj oom-score-adj-values pidfile \
    port proc-title-template propagation-error-behavior protected-mode proto-max-bulk-len \
    rdb-del-sync-files rdb-key-save-delay rdb-save-incremental-fsync rdbchecksum rdbcompression \
    rename-command repl-backlog-size repl-backlog-ttl repl-disable-tcp-nodelay \
    repl-diskless-load repl-diskless-sync repl-diskless-sync-delay \
    repl-diskless-sync-max-replicas repl-ping-replica-period repl-ping-slave-period repl-timeout \
    replica-announce-ip replica-announce-port replica-announced \
    replica-ignore-disk-write-errors replica-ignore-maxmemory replica-lazy-flush \
    replica-priority replica-read-only replica-serve-stale-data replicaof requirepass \
    sanitize-dump-payload save sentinel server_cpulist set-max-intset-entries set-proc-title \
    shutdown-on-sigint shutdown-on-sigterm shutdown-timeout slave-announce-ip \
    slave-announce-port slave-ignore-maxmemory slave-lazy-flush slave-priority slave-read-only \
    slave-serve-stale-data slaveof slowlog-log-slower-than slowlog-max-len socket-mark-id \
    stop-writes-on-bgsave-error stream-node-max-bytes stream-node-max-entries supervised \
    syslog-enabled syslog-facility syslog-ident tcp-backlog tcp-keepalive timeout \
    tls-auth-clients tls-ca-cert-dir tls-ca-cert-file tls-cert-file tls-ciphers \
    tls-ciphersuites tls-client-cert-file tls-client-key-file tls-client-key-file-pass \
    tls-cluster tls-dh-params-file tls-key-file tls-key-file-pass tls-port \
    tls-prefer-server-ciphers tls-protocols tls-replication tls-session-cache-size \
    tls-session-cache-timeout tls-session-caching tracking-table-max-keys unixsocket \
    unixsocketperm use-exit-on-panic user watchdog-period zset-max-listpack-entries \
    zset-max-listpack-value zset-max-ziplist-entries zset-max-ziplist-value";

/// Whether redis-server 7.0.15 knows this directive name (ASCII case-insensitive), so a
/// caller can accept valid-but-unimplemented directives with a warning and reject others
/// with [`BAD_DIRECTIVE`].
pub fn is_known_redis_directive(name: &str) -> bool {
    KNOWN_DIRECTIVES
        .split_ascii_whitespace()
        .any(|n| n.eq_ignore_ascii_case(name))
}

#[cfg(test)]
#[path = "config_file_tests.rs"]
mod tests;
