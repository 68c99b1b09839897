//! The configuration parameter table: every parameter redis-server 7.0.15 knows,
//! with its alias, type, range, default and flags, and the machinery shared by
//! CONFIG GET/SET and config files (parsing per type with Redis's exact error
//! texts, atomic multi-parameter CONFIG SET, glob CONFIG GET, directives).
//!
//! Parameters whose row has a typed accessor live in a field of [`Config`];
//! they take effect where that field is read. Read today: `hz` (cron),
//! `databases`, `port`, `bind`, `unixsocket`, `unixsocketperm`, `maxclients`,
//! `timeout`, `tcp-keepalive` (server crate), `proto-max-bulk-len` (read when
//! a connection opens), `requirepass`, `notify-keyspace-events`,
//! `maxmemory`, `maxmemory-policy`, `lfu-log-factor`, `lfu-decay-time`,
//! `active-expire-effort`, `latency-tracking`,
//! `latency-tracking-info-percentiles`, `enable-debug-command`,
//! `enable-protected-configs`, `dir`, `repl-backlog-size` and `appendonly`
//! (INFO). The other typed fields (persistence, replication, encodings,
//! slowlog, ACL, eviction details ...) wait for the layer that implements them.
//!
//! Stored-only parameters (validated and answered exactly, no field, no
//! effect in Ember): every `tls-*` (enabling TLS fails as on a Redis without
//! certificates), every `cluster-*` except `cluster-enabled`, `activedefrag`
//! (can't be enabled, as on a Redis built without jemalloc defrag) and
//! `active-defrag-*`, the four `*_cpulist`, `crash-log-enabled`,
//! `crash-memcheck-enabled`, `disable-thp`, `io-threads-do-reads`,
//! `ignore-warnings`, `bind-source-addr`, `socket-mark-id`,
//! `propagation-error-behavior`, `replica-ignore-disk-write-errors`,
//! `replica-announced`, `aof-rewrite-incremental-fsync`,
//! `rdb-save-incremental-fsync`, `aof-disable-auto-gc`, and the hidden
//! `use-exit-on-panic`, `rdb-key-save-delay`, `watchdog-period`,
//! `loading-process-events-interval-bytes`. Some more have no field but do
//! act: the persistence layer reads `key-load-delay` from the stored values,
//! the binary's allocator hooks apply `jemalloc-bg-thread` (`cmd::memory`),
//! and the server binary applies `oom-score-adj` and `oom-score-adj-values`
//! to its process (server crate, `oom.rs`).

use crate::config::Config;
use ahash::AHashMap;
use std::sync::OnceLock;

/// Parameter flags (Redis's *_CONFIG flags).
pub mod flag {
    pub const IMMUTABLE: u32 = 1 << 0;
    pub const PROTECTED: u32 = 1 << 1;
    /// Only an exact name finds it in CONFIG GET (no glob).
    pub const HIDDEN: u32 = 1 << 2;
    /// The value is a list: CONFIG SET splits it on spaces, directives take many words.
    pub const MULTI_ARG: u32 = 1 << 3;
    /// An empty string means "unset" (no line in CONFIG REWRITE output).
    pub const EMPTY_IS_NULL: u32 = 1 << 4;
    /// CONFIG SET refuses it while the dataset loads (DENY_LOADING_CONFIG).
    pub const DENY_LOADING: u32 = 1 << 5;
}
use flag::*;

/// A stored-only parameter's value.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    Bool(bool),
    /// Strings, and enums by their canonical name.
    Str(String),
    Num(i64),
    /// Multi-valued enums (`shutdown-on-sigint`).
    Flags(u32),
}

/// How a number is written and read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumFmt {
    Int,
    /// Accepts `1gb`, `5mb` ...; printed unsigned.
    Memory,
    /// Memory, or `N%` stored as `-N`.
    MemoryPercent,
    Octal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    Dir,
    Save,
    ClientOutputBufferLimit,
    OomScoreAdjValues,
    NotifyKeyspaceEvents,
    Bind,
    ReplicaOf,
    LatencyPercentiles,
}

pub type StrCheck = fn(&str) -> Result<(), &'static str>;
pub type BoolCheck = fn(bool) -> Result<(), &'static str>;

pub enum Kind {
    Bool {
        default: bool,
        check: Option<BoolCheck>,
    },
    Str {
        default: &'static str,
        check: Option<StrCheck>,
    },
    /// `values`: (name, id); several names may share an id (the first is canonical).
    /// `multi`: ids are bit flags and several names may be given.
    Enum {
        values: &'static [(&'static str, u32)],
        default: u32,
        multi: bool,
    },
    /// `unsigned`: bounds are compared as unsigned (Redis's unsigned types).
    Num {
        unsigned: bool,
        min: i64,
        max: i64,
        default: i64,
        fmt: NumFmt,
    },
    Special(Special),
}

/// Where a parameter's value lives.
pub enum Access {
    Stored,
    Bool(fn(&Config) -> bool, fn(&mut Config, bool)),
    Str(fn(&Config) -> &str, fn(&mut Config, String)),
    Num(fn(&Config) -> i64, fn(&mut Config, i64)),
    Flags(fn(&Config) -> u32, fn(&mut Config, u32)),
    /// Special parameters read and write their own fields.
    Special,
}

pub struct Param {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub flags: u32,
    pub kind: Kind,
    pub access: Access,
}

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;
/// ULLONG_MAX as the `long long` Redis compares through.
const ULLONG_MAX: i64 = -1;
const MB: i64 = 1 << 20;

const PROTECTED_ACTION: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("local", 2)];
const SHUTDOWN_FLAGS: &[(&str, u32)] = &[
    ("default", 0),
    ("save", 1),
    ("nosave", 2),
    ("now", 4),
    ("force", 8),
];

macro_rules! boolean {
    ($name:expr, $alias:expr, $flags:expr, $def:expr) => {
        Param {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Bool {
                default: $def,
                check: None,
            },
            access: Access::Stored,
        }
    };
    ($name:expr, $alias:expr, $flags:expr, $def:expr, $field:ident) => {
        Param {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Bool {
                default: $def,
                check: None,
            },
            access: Access::Bool(|c| c.$field, |c, v| c.$field = v),
        }
    };
}

macro_rules! string {
    ($name:expr, $alias:expr, $flags:expr, $def:expr, $check:expr) => {
        Param {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Str {
                default: $def,
                check: $check,
            },
            access: Access::Stored,
        }
    };
    ($name:expr, $alias:expr, $flags:expr, $def:expr, $check:expr, $field:ident) => {
        Param {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Str {
                default: $def,
                check: $check,
            },
            access: Access::Str(|c| c.$field.as_str(), |c, v| c.$field = v),
        }
    };
}

macro_rules! enumeration {
    ($name:expr, $flags:expr, $values:expr, $def:expr) => {
        Param {
            name: $name,
            alias: None,
            flags: $flags,
            kind: Kind::Enum {
                values: $values,
                default: $def,
                multi: false,
            },
            access: Access::Stored,
        }
    };
    ($name:expr, $flags:expr, $values:expr, $def:expr, $field:ident) => {
        Param {
            name: $name,
            alias: None,
            flags: $flags,
            kind: Kind::Enum {
                values: $values,
                default: $def,
                multi: false,
            },
            access: Access::Str(|c| c.$field.as_str(), |c, v| c.$field = v),
        }
    };
}

macro_rules! number {
    ($name:expr, $alias:expr, $flags:expr, $uns:expr, $min:expr, $max:expr, $def:expr, $fmt:expr) => {
        Param {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Num {
                unsigned: $uns,
                min: $min,
                max: $max,
                default: $def,
                fmt: $fmt,
            },
            access: Access::Stored,
        }
    };
    ($name:expr, $alias:expr, $flags:expr, $uns:expr, $min:expr, $max:expr, $def:expr, $fmt:expr,
     $field:ident as $t:ty) => {
        Param {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Num {
                unsigned: $uns,
                min: $min,
                max: $max,
                default: $def,
                fmt: $fmt,
            },
            access: Access::Num(|c| c.$field as i64, |c, v| c.$field = v as $t),
        }
    };
}

macro_rules! special {
    ($name:expr, $alias:expr, $flags:expr, $kind:expr) => {
        Param {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Special($kind),
            access: Access::Special,
        }
    };
}

use NumFmt::{Int, Memory, MemoryPercent, Octal};

/// Every parameter, in Redis's table order (config.c), then 7.0.x additions.
#[rustfmt::skip]
pub static PARAMS: &[Param] = &[
    // Booleans.
    boolean!("rdbchecksum", None, IMMUTABLE, true, rdbchecksum),
    boolean!("daemonize", None, IMMUTABLE, false, daemonize),
    boolean!("io-threads-do-reads", None, IMMUTABLE, false),
    boolean!("always-show-logo", None, IMMUTABLE, false, always_show_logo),
    boolean!("protected-mode", None, 0, true, protected_mode),
    boolean!("rdbcompression", None, 0, true, rdbcompression),
    boolean!("rdb-del-sync-files", None, 0, false, rdb_del_sync_files),
    boolean!("activerehashing", None, 0, true, activerehashing),
    boolean!("stop-writes-on-bgsave-error", None, 0, true, stop_writes_on_bgsave_error),
    boolean!("set-proc-title", None, IMMUTABLE, true, set_proc_title),
    boolean!("dynamic-hz", None, 0, true, dynamic_hz),
    boolean!("lazyfree-lazy-eviction", None, 0, false, lazyfree_lazy_eviction),
    boolean!("lazyfree-lazy-expire", None, 0, false, lazyfree_lazy_expire),
    boolean!("lazyfree-lazy-server-del", None, 0, false, lazyfree_lazy_server_del),
    boolean!("lazyfree-lazy-user-del", None, 0, false, lazyfree_lazy_user_del),
    boolean!("lazyfree-lazy-user-flush", None, 0, false, lazyfree_lazy_user_flush),
    boolean!("repl-disable-tcp-nodelay", None, 0, false, repl_disable_tcp_nodelay),
    boolean!("repl-diskless-sync", None, 0, true, repl_diskless_sync),
    boolean!("aof-rewrite-incremental-fsync", None, 0, true),
    boolean!("no-appendfsync-on-rewrite", None, 0, false, no_appendfsync_on_rewrite),
    boolean!("cluster-require-full-coverage", None, 0, true),
    boolean!("rdb-save-incremental-fsync", None, 0, true),
    boolean!("aof-load-truncated", None, 0, true, aof_load_truncated),
    boolean!("aof-use-rdb-preamble", None, 0, true, aof_use_rdb_preamble),
    boolean!("aof-timestamp-enabled", None, 0, false, aof_timestamp_enabled),
    boolean!("cluster-replica-no-failover", Some("cluster-slave-no-failover"), 0, false),
    boolean!("replica-lazy-flush", Some("slave-lazy-flush"), 0, false, replica_lazy_flush),
    boolean!("replica-serve-stale-data", Some("slave-serve-stale-data"), 0, true, replica_serve_stale_data),
    boolean!("replica-read-only", Some("slave-read-only"), 0, true, replica_read_only),
    boolean!("replica-ignore-maxmemory", Some("slave-ignore-maxmemory"), 0, true, replica_ignore_maxmemory),
    boolean!("jemalloc-bg-thread", None, 0, true),
    Param { name: "activedefrag", alias: None, flags: 0,
        kind: Kind::Bool { default: false, check: Some(check_activedefrag) }, access: Access::Stored },
    boolean!("syslog-enabled", None, IMMUTABLE, false, syslog_enabled),
    boolean!("cluster-enabled", None, IMMUTABLE, false, cluster_enabled),
    boolean!("appendonly", None, DENY_LOADING, false, appendonly),
    boolean!("cluster-allow-reads-when-down", None, 0, false),
    boolean!("cluster-allow-pubsubshard-when-down", None, 0, true),
    boolean!("crash-log-enabled", None, 0, true),
    boolean!("crash-memcheck-enabled", None, 0, true),
    boolean!("use-exit-on-panic", None, HIDDEN, false),
    boolean!("disable-thp", None, IMMUTABLE, true),
    boolean!("cluster-allow-replica-migration", None, 0, true),
    boolean!("replica-announced", None, 0, true),
    boolean!("latency-tracking", None, 0, true, latency_tracking),
    boolean!("aof-disable-auto-gc", None, 0, false),
    boolean!("replica-ignore-disk-write-errors", None, 0, false),

    // Strings.
    string!("aclfile", None, IMMUTABLE, "", None, aclfile),
    string!("unixsocket", None, IMMUTABLE | EMPTY_IS_NULL, "", None, unixsocket),
    string!("pidfile", None, IMMUTABLE | EMPTY_IS_NULL, "", None, pidfile),
    string!("replica-announce-ip", Some("slave-announce-ip"), EMPTY_IS_NULL, "", None, replica_announce_ip),
    string!("masteruser", None, EMPTY_IS_NULL, "", None, masteruser),
    string!("cluster-announce-ip", None, EMPTY_IS_NULL, "", None),
    string!("cluster-config-file", None, IMMUTABLE, "nodes.conf", None),
    string!("cluster-announce-hostname", None, EMPTY_IS_NULL, "", Some(check_hostname)),
    string!("syslog-ident", None, IMMUTABLE, "redis", None, syslog_ident),
    string!("dbfilename", None, PROTECTED, "dump.rdb", Some(check_dbfilename), dbfilename),
    string!("appendfilename", None, IMMUTABLE, "appendonly.aof", Some(check_aof_filename), appendfilename),
    string!("appenddirname", None, IMMUTABLE, "appendonlydir", Some(check_aof_dirname), appenddirname),
    string!("server_cpulist", None, IMMUTABLE | EMPTY_IS_NULL, "", None),
    string!("bio_cpulist", None, IMMUTABLE | EMPTY_IS_NULL, "", None),
    string!("aof_rewrite_cpulist", None, IMMUTABLE | EMPTY_IS_NULL, "", None),
    string!("bgsave_cpulist", None, IMMUTABLE | EMPTY_IS_NULL, "", None),
    string!("ignore-warnings", None, 0, "", None),
    string!("proc-title-template", None, 0, "{title} {listen-addr} {server-mode}",
        Some(check_proc_title), proc_title_template),
    string!("bind-source-addr", None, EMPTY_IS_NULL, "", None),
    string!("logfile", None, IMMUTABLE, "", None, logfile),
    string!("masterauth", None, EMPTY_IS_NULL, "", None, masterauth),
    string!("requirepass", None, EMPTY_IS_NULL, "", None, requirepass),

    // Enums.
    enumeration!("supervised", IMMUTABLE,
        &[("upstart", 1), ("systemd", 2), ("auto", 3), ("no", 0)], 0, supervised),
    enumeration!("syslog-facility", IMMUTABLE,
        &[("user", 8), ("local0", 128), ("local1", 136), ("local2", 144), ("local3", 152),
          ("local4", 160), ("local5", 168), ("local6", 176), ("local7", 184)], 128, syslog_facility),
    enumeration!("repl-diskless-load", 0,
        &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)], 0, repl_diskless_load),
    enumeration!("loglevel", 0,
        &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)], 2, loglevel),
    enumeration!("maxmemory-policy", 0,
        &[("volatile-lru", 1), ("volatile-lfu", 2), ("volatile-random", 3), ("volatile-ttl", 4),
          ("allkeys-lru", 5), ("allkeys-lfu", 6), ("allkeys-random", 7), ("noeviction", 0)],
        0, maxmemory_policy),
    enumeration!("appendfsync", 0, &[("everysec", 1), ("always", 2), ("no", 0)], 1, appendfsync),
    enumeration!("oom-score-adj", 0,
        &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)], 0),
    enumeration!("acl-pubsub-default", 0,
        &[("allchannels", 1), ("resetchannels", 0)], 0, acl_pubsub_default),
    enumeration!("sanitize-dump-payload", 0,
        &[("no", 0), ("yes", 1), ("clients", 2)], 0, sanitize_dump_payload),
    enumeration!("enable-protected-configs", IMMUTABLE, PROTECTED_ACTION, 0, enable_protected_configs),
    enumeration!("enable-debug-command", IMMUTABLE, PROTECTED_ACTION, 0, enable_debug_command),
    enumeration!("enable-module-command", IMMUTABLE, PROTECTED_ACTION, 0, enable_module_command),
    enumeration!("cluster-preferred-endpoint-type", 0,
        &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)], 0),
    enumeration!("propagation-error-behavior", 0,
        &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)], 0),
    Param { name: "shutdown-on-sigint", alias: None, flags: MULTI_ARG,
        kind: Kind::Enum { values: SHUTDOWN_FLAGS, default: 0, multi: true },
        access: Access::Flags(|c| c.shutdown_on_sigint, |c, v| c.shutdown_on_sigint = v) },
    Param { name: "shutdown-on-sigterm", alias: None, flags: MULTI_ARG,
        kind: Kind::Enum { values: SHUTDOWN_FLAGS, default: 0, multi: true },
        access: Access::Flags(|c| c.shutdown_on_sigterm, |c, v| c.shutdown_on_sigterm = v) },

    // Signed integers (int, long, long long, ssize_t, time_t, off_t).
    number!("databases", None, IMMUTABLE, false, 1, INT_MAX, 16, Int, databases as usize),
    number!("port", None, 0, false, 0, 65535, 6379, Int, port as u16),
    number!("io-threads", None, IMMUTABLE, false, 1, 128, 1, Int, io_threads as u32),
    number!("auto-aof-rewrite-percentage", None, 0, false, 0, INT_MAX, 100, Int, auto_aof_rewrite_percentage as i64),
    number!("cluster-replica-validity-factor", Some("cluster-slave-validity-factor"), 0, false, 0, INT_MAX, 10, Int),
    number!("list-max-listpack-size", Some("list-max-ziplist-size"), 0, false, INT_MIN, INT_MAX, -2, Int, list_max_listpack_size as i32),
    number!("tcp-keepalive", None, 0, false, 0, INT_MAX, 300, Int, tcp_keepalive as u64),
    number!("cluster-migration-barrier", None, 0, false, 0, INT_MAX, 1, Int),
    number!("active-defrag-cycle-min", None, 0, false, 1, 99, 1, Int),
    number!("active-defrag-cycle-max", None, 0, false, 1, 99, 25, Int),
    number!("active-defrag-threshold-lower", None, 0, false, 0, 1000, 10, Int),
    number!("active-defrag-threshold-upper", None, 0, false, 0, 1000, 100, Int),
    number!("lfu-log-factor", None, 0, false, 0, INT_MAX, 10, Int, lfu_log_factor as u32),
    number!("lfu-decay-time", None, 0, false, 0, INT_MAX, 1, Int, lfu_decay_time as u32),
    number!("replica-priority", Some("slave-priority"), 0, false, 0, INT_MAX, 100, Int, replica_priority as i64),
    number!("repl-diskless-sync-delay", None, 0, false, 0, INT_MAX, 5, Int, repl_diskless_sync_delay as i64),
    number!("maxmemory-samples", None, 0, false, 1, INT_MAX, 5, Int, maxmemory_samples as u32),
    number!("maxmemory-eviction-tenacity", None, 0, false, 0, 100, 10, Int, maxmemory_eviction_tenacity as u32),
    number!("timeout", None, 0, false, 0, INT_MAX, 0, Int, timeout as u64),
    number!("replica-announce-port", Some("slave-announce-port"), 0, false, 0, 65535, 0, Int, replica_announce_port as i64),
    number!("tcp-backlog", None, IMMUTABLE, false, 0, INT_MAX, 511, Int, tcp_backlog as u32),
    number!("cluster-port", None, IMMUTABLE, false, 0, 65535, 0, Int),
    number!("cluster-announce-bus-port", None, 0, false, 0, 65535, 0, Int),
    number!("cluster-announce-port", None, 0, false, 0, 65535, 0, Int),
    number!("cluster-announce-tls-port", None, 0, false, 0, 65535, 0, Int),
    number!("repl-timeout", None, 0, false, 1, INT_MAX, 60, Int, repl_timeout as i64),
    number!("repl-ping-replica-period", Some("repl-ping-slave-period"), 0, false, 1, INT_MAX, 10, Int, repl_ping_replica_period as i64),
    number!("list-compress-depth", None, 0, false, 0, INT_MAX, 0, Int, list_compress_depth as i32),
    number!("rdb-key-save-delay", None, HIDDEN, false, INT_MIN, INT_MAX, 0, Int),
    number!("key-load-delay", None, HIDDEN, false, INT_MIN, INT_MAX, 0, Int),
    number!("active-expire-effort", None, 0, false, 1, 10, 1, Int, active_expire_effort as u32),
    Param { name: "hz", alias: None, flags: 0,
        kind: Kind::Num { unsigned: false, min: 0, max: INT_MAX, default: 10, fmt: Int },
        // Redis accepts any hz but caps it to 1..=500 (updateHZ).
        access: Access::Num(|c| c.hz as i64, |c, v| c.hz = v.clamp(1, 500) as u32) },
    number!("min-replicas-to-write", Some("min-slaves-to-write"), 0, false, 0, INT_MAX, 0, Int, min_replicas_to_write as i64),
    number!("min-replicas-max-lag", Some("min-slaves-max-lag"), 0, false, 0, INT_MAX, 10, Int, min_replicas_max_lag as i64),
    number!("watchdog-period", None, HIDDEN, false, 0, INT_MAX, 0, Int),
    number!("shutdown-timeout", None, 0, false, 0, INT_MAX, 10, Int, shutdown_timeout as i64),
    number!("repl-diskless-sync-max-replicas", None, 0, false, 0, INT_MAX, 0, Int, repl_diskless_sync_max_replicas as i64),
    // Unsigned int, unsigned long.
    number!("maxclients", None, 0, true, 1, UINT_MAX, 10000, Int, maxclients as u64),
    number!("unixsocketperm", None, IMMUTABLE, true, 0, 0o777, 0, Octal, unixsocketperm as u32),
    number!("socket-mark-id", None, IMMUTABLE, true, 0, UINT_MAX, 0, Int),
    number!("active-defrag-max-scan-fields", None, 0, false, 1, LONG_MAX, 1000, Int),
    number!("slowlog-max-len", None, 0, false, 0, LONG_MAX, 128, Int, slowlog_max_len as u64),
    number!("acllog-max-len", None, 0, false, 0, LONG_MAX, 128, Int, acllog_max_len as u64),
    // Long long.
    number!("busy-reply-threshold", Some("lua-time-limit"), 0, false, 0, LONG_MAX, 5000, Int, busy_reply_threshold as i64),
    number!("cluster-node-timeout", None, 0, false, 0, LONG_MAX, 15000, Int),
    number!("slowlog-log-slower-than", None, 0, false, -1, LONG_MAX, 10000, Int, slowlog_log_slower_than as i64),
    number!("latency-monitor-threshold", None, 0, false, 0, LONG_MAX, 0, Int, latency_monitor_threshold as i64),
    number!("proto-max-bulk-len", None, 0, false, MB, LONG_MAX, 512 * MB, Memory, proto_max_bulk_len as i64),
    number!("stream-node-max-entries", None, 0, false, 0, LONG_MAX, 100, Int, stream_node_max_entries as i64),
    number!("repl-backlog-size", None, 0, false, 1, LONG_MAX, MB, Memory, repl_backlog_size as i64),
    // Unsigned long long.
    number!("maxmemory", None, 0, true, 0, ULLONG_MAX, 0, Memory, maxmemory as u64),
    number!("cluster-link-sendbuf-limit", None, 0, true, 0, ULLONG_MAX, 0, Memory),
    // size_t, ssize_t.
    number!("hash-max-listpack-entries", Some("hash-max-ziplist-entries"), 0, true, 0, LONG_MAX, 512, Int, hash_max_listpack_entries as u64),
    number!("set-max-intset-entries", None, 0, true, 0, LONG_MAX, 512, Int, set_max_intset_entries as u64),
    number!("zset-max-listpack-entries", Some("zset-max-ziplist-entries"), 0, true, 0, LONG_MAX, 128, Int, zset_max_listpack_entries as u64),
    number!("active-defrag-ignore-bytes", None, 0, true, 1, LONG_MAX, 100 * MB, Memory),
    number!("hash-max-listpack-value", Some("hash-max-ziplist-value"), 0, true, 0, LONG_MAX, 64, Memory, hash_max_listpack_value as u64),
    number!("stream-node-max-bytes", None, 0, true, 0, LONG_MAX, 4096, Memory, stream_node_max_bytes as u64),
    number!("zset-max-listpack-value", Some("zset-max-ziplist-value"), 0, true, 0, LONG_MAX, 64, Memory, zset_max_listpack_value as u64),
    number!("hll-sparse-max-bytes", None, 0, true, 0, LONG_MAX, 3000, Memory, hll_sparse_max_bytes as u64),
    number!("tracking-table-max-keys", None, 0, true, 0, LONG_MAX, 1_000_000, Int, tracking_table_max_keys as u64),
    number!("client-query-buffer-limit", None, 0, true, MB, LONG_MAX, 1024 * MB, Memory, client_query_buffer_limit as u64),
    number!("maxmemory-clients", None, 0, false, -100, LONG_MAX, 0, MemoryPercent, maxmemory_clients as i64),
    // time_t, off_t.
    number!("repl-backlog-ttl", None, 0, false, 0, LONG_MAX, 3600, Int, repl_backlog_ttl as i64),
    number!("auto-aof-rewrite-min-size", None, 0, false, 0, LONG_MAX, 64 * MB, Memory, auto_aof_rewrite_min_size as i64),
    number!("loading-process-events-interval-bytes", None, HIDDEN, false, 1024, INT_MAX, 2 * MB, Int),

    // TLS (Redis built with TLS support, as Debian's is).
    number!("tls-port", None, 0, false, 0, 65535, 0, Int),
    number!("tls-session-cache-size", None, 0, false, 0, INT_MAX, 20 * 1024, Int),
    number!("tls-session-cache-timeout", None, 0, false, 0, INT_MAX, 300, Int),
    boolean!("tls-cluster", None, 0, false),
    boolean!("tls-replication", None, 0, false),
    enumeration!("tls-auth-clients", 0, &[("no", 0), ("yes", 1), ("optional", 2)], 1),
    boolean!("tls-prefer-server-ciphers", None, 0, false),
    boolean!("tls-session-caching", None, 0, true),
    string!("tls-cert-file", None, EMPTY_IS_NULL, "", None),
    string!("tls-key-file", None, EMPTY_IS_NULL, "", None),
    string!("tls-key-file-pass", None, EMPTY_IS_NULL, "", None),
    string!("tls-client-cert-file", None, EMPTY_IS_NULL, "", None),
    string!("tls-client-key-file", None, EMPTY_IS_NULL, "", None),
    string!("tls-client-key-file-pass", None, EMPTY_IS_NULL, "", None),
    string!("tls-dh-params-file", None, EMPTY_IS_NULL, "", None),
    string!("tls-ca-cert-file", None, EMPTY_IS_NULL, "", None),
    string!("tls-ca-cert-dir", None, EMPTY_IS_NULL, "", None),
    string!("tls-protocols", None, EMPTY_IS_NULL, "", None),
    string!("tls-ciphers", None, EMPTY_IS_NULL, "", None),
    string!("tls-ciphersuites", None, EMPTY_IS_NULL, "", None),

    // Specials.
    special!("dir", None, PROTECTED | DENY_LOADING, Special::Dir),
    special!("save", None, MULTI_ARG, Special::Save),
    special!("client-output-buffer-limit", None, MULTI_ARG, Special::ClientOutputBufferLimit),
    special!("oom-score-adj-values", None, MULTI_ARG, Special::OomScoreAdjValues),
    special!("notify-keyspace-events", None, 0, Special::NotifyKeyspaceEvents),
    special!("bind", None, MULTI_ARG, Special::Bind),
    special!("replicaof", Some("slaveof"), IMMUTABLE | MULTI_ARG, Special::ReplicaOf),
    special!("latency-tracking-info-percentiles", None, MULTI_ARG, Special::LatencyPercentiles),
];

/// Directives Redis still accepts in config files and ignores.
const DEPRECATED: &[&str] = &[
    "list-max-ziplist-entries",
    "list-max-ziplist-value",
    "lua-replicate-commands",
];

fn index() -> &'static AHashMap<Vec<u8>, (usize, bool)> {
    static INDEX: OnceLock<AHashMap<Vec<u8>, (usize, bool)>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut m = AHashMap::new();
        for (i, p) in PARAMS.iter().enumerate() {
            m.insert(p.name.as_bytes().to_vec(), (i, false));
            if let Some(a) = p.alias {
                m.insert(a.as_bytes().to_vec(), (i, true));
            }
        }
        m
    })
}

/// Case-insensitive lookup by name or alias: the parameter and the name it is
/// registered under (the alias when found through it, as Redis reports it).
pub fn lookup(name: &[u8]) -> Option<(&'static Param, &'static str)> {
    let (i, alias) = *index().get(&name.to_ascii_lowercase())?;
    let p = &PARAMS[i];
    Some((
        p,
        if alias {
            p.alias.unwrap_or(p.name)
        } else {
            p.name
        },
    ))
}

/// Every registered name (primary names and aliases) with its parameter, in
/// table order, aliases right after their primary.
pub fn registered() -> impl Iterator<Item = (&'static str, &'static Param)> {
    PARAMS
        .iter()
        .flat_map(|p| std::iter::once((p.name, p)).chain(p.alias.map(|a| (a, p))))
}

mod ops;
mod values;

pub use ops::{apply_directive, config_get, config_set, LOADING_REFUSED};
pub use values::*;
