//! Runtime configuration shared by the engine and the front end.
//!
//! [`Config`] holds a typed field for every parameter some part of Ember reads
//! (or is expected to read: persistence, replication, encodings ...). Every other
//! parameter Redis 7.0.15 knows is kept, validated per its Redis type, in
//! [`Config::params`], so `CONFIG GET *` answers all of them with Redis's values.
//! The parameter table (names, aliases, types, ranges, defaults) and the
//! CONFIG SET / config-file machinery live in `config_table.rs`; see its module
//! documentation for which parameters are stored-only.

use std::collections::BTreeMap;

pub use crate::config_table::{apply_directive, ParamValue};

/// One class of `client-output-buffer-limit` (normal, replica, pubsub).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObufLimit {
    pub hard_bytes: u64,
    pub soft_bytes: u64,
    pub soft_seconds: i64,
}

/// Typed values of the parameters Ember acts on (see the module documentation).
#[derive(Clone, Debug)]
pub struct Config {
    // --- network and process ---
    pub databases: usize,
    pub port: u16,
    pub bind: Vec<String>,
    pub unixsocket: String,
    pub unixsocketperm: u32,
    pub timeout: u64,
    pub tcp_keepalive: u64,
    pub tcp_backlog: u32,
    pub maxclients: u64,
    pub hz: u32,
    pub dynamic_hz: bool,
    /// `debug`, `verbose`, `notice` or `warning`; the server crate watches it.
    pub loglevel: String,
    pub logfile: String,
    pub syslog_enabled: bool,
    pub syslog_ident: String,
    pub syslog_facility: String,
    pub daemonize: bool,
    pub supervised: String,
    pub pidfile: String,
    /// Working directory, absolute once set through CONFIG SET or a config file
    /// (Redis chdir()s there; Ember resolves file names against it instead).
    pub dir: String,
    /// Path of the config file the server was started with ("" = none): CONFIG
    /// REWRITE writes there and INFO shows it as `config_file`.
    pub config_file: String,
    pub io_threads: u32,
    pub protected_mode: bool,
    pub always_show_logo: bool,
    pub set_proc_title: bool,
    pub proc_title_template: String,
    pub shutdown_timeout: i64,
    /// `shutdown-on-sigint` / `shutdown-on-sigterm` flags: bit 0 save, 1 nosave,
    /// 2 now, 3 force (0 = default).
    pub shutdown_on_sigint: u32,
    pub shutdown_on_sigterm: u32,
    /// `no`, `yes` or `local`.
    pub enable_protected_configs: String,
    pub enable_debug_command: String,
    pub enable_module_command: String,

    // --- protocol and clients ---
    pub proto_max_bulk_len: i64,
    pub client_query_buffer_limit: u64,
    /// normal, replica, pubsub (Redis's order).
    pub client_output_buffer_limit: [ObufLimit; 3],
    /// 0 = off; negative = percentage of maxmemory (as Redis stores it).
    pub maxmemory_clients: i64,
    pub tracking_table_max_keys: u64,
    pub busy_reply_threshold: i64,

    // --- keyspace, expiry, eviction ---
    /// Toggled by DEBUG SET-ACTIVE-EXPIRE (not a config parameter).
    pub active_expire_enabled: bool,
    pub active_expire_effort: u32,
    pub activerehashing: bool,
    /// `notify-keyspace-events` flags (`events::classes`); CONFIG SET also
    /// updates `Engine::notify_flags`, which the engine starts from.
    pub notify_keyspace_events: u32,
    pub maxmemory: u64,
    /// `maxmemory-policy` as configured (`noeviction`, `allkeys-lfu` ...).
    pub maxmemory_policy: String,
    pub maxmemory_samples: u32,
    pub maxmemory_eviction_tenacity: u32,
    pub lfu_log_factor: u32,
    /// Minutes per LFU counter decrement.
    pub lfu_decay_time: u32,
    pub lazyfree_lazy_eviction: bool,
    pub lazyfree_lazy_expire: bool,
    pub lazyfree_lazy_server_del: bool,
    pub lazyfree_lazy_user_del: bool,
    pub lazyfree_lazy_user_flush: bool,

    // --- encodings ---
    pub hash_max_listpack_entries: u64,
    pub hash_max_listpack_value: u64,
    pub set_max_intset_entries: u64,
    pub zset_max_listpack_entries: u64,
    pub zset_max_listpack_value: u64,
    pub list_max_listpack_size: i32,
    pub list_compress_depth: i32,
    pub stream_node_max_bytes: u64,
    pub stream_node_max_entries: i64,
    pub hll_sparse_max_bytes: u64,

    // --- persistence ---
    /// RDB save points: (seconds, changes).
    pub save: Vec<(i64, i32)>,
    pub dbfilename: String,
    pub rdbcompression: bool,
    pub rdbchecksum: bool,
    pub rdb_del_sync_files: bool,
    pub stop_writes_on_bgsave_error: bool,
    pub appendonly: bool,
    pub appendfilename: String,
    pub appenddirname: String,
    /// `everysec`, `always` or `no`.
    pub appendfsync: String,
    pub no_appendfsync_on_rewrite: bool,
    pub auto_aof_rewrite_percentage: i64,
    pub auto_aof_rewrite_min_size: i64,
    pub aof_load_truncated: bool,
    pub aof_use_rdb_preamble: bool,
    pub aof_timestamp_enabled: bool,
    pub sanitize_dump_payload: String,

    // --- replication ---
    /// `replicaof <host> <port>` from the config file (None = master).
    pub replicaof: Option<(String, u16)>,
    pub masterauth: String,
    pub masteruser: String,
    pub replica_read_only: bool,
    pub replica_serve_stale_data: bool,
    pub replica_lazy_flush: bool,
    pub replica_ignore_maxmemory: bool,
    pub replica_priority: i64,
    pub replica_announce_ip: String,
    pub replica_announce_port: i64,
    pub repl_backlog_size: i64,
    pub repl_backlog_ttl: i64,
    pub repl_timeout: i64,
    pub repl_ping_replica_period: i64,
    pub repl_diskless_sync: bool,
    pub repl_diskless_sync_delay: i64,
    pub repl_diskless_sync_max_replicas: i64,
    pub repl_diskless_load: String,
    pub repl_disable_tcp_nodelay: bool,
    pub min_replicas_to_write: i64,
    pub min_replicas_max_lag: i64,

    // --- security, diagnostics ---
    pub requirepass: String,
    pub aclfile: String,
    pub acllog_max_len: u64,
    /// `allchannels` or `resetchannels`.
    pub acl_pubsub_default: String,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: u64,
    pub latency_monitor_threshold: i64,
    pub latency_tracking: bool,
    pub latency_tracking_info_percentiles: Vec<f64>,
    pub cluster_enabled: bool,
    /// `user` lines of the config file, checked while reading it: the name,
    /// then the rules (selectors merged). Loaded when the engine is built.
    pub acl_users: Vec<Vec<Vec<u8>>>,
    /// `rename-command <from> <to>` lines (`to` empty = disabled), in order;
    /// applied to the command table when the engine is built.
    pub renamed_commands: Vec<(Vec<u8>, Vec<u8>)>,

    /// `loadmodule <path>` lines. Ember cannot load Redis modules, so a
    /// server given one stops after initializing, as Redis does when a
    /// module fails to load.
    pub load_modules: Vec<String>,

    /// Values of the stored-only parameters that differ from their defaults,
    /// by canonical name (see `config_table`).
    pub params: BTreeMap<&'static str, ParamValue>,
    /// Config-file loading state: the first `save` line replaces the defaults,
    /// later ones append (Redis's `reading_config_file` logic).
    pub save_loaded_from_file: bool,
}

/// Redis's default `client-output-buffer-limit` (normal, replica, pubsub).
pub const DEFAULT_OBUF_LIMITS: [ObufLimit; 3] = [
    ObufLimit {
        hard_bytes: 0,
        soft_bytes: 0,
        soft_seconds: 0,
    },
    ObufLimit {
        hard_bytes: 256 << 20,
        soft_bytes: 64 << 20,
        soft_seconds: 60,
    },
    ObufLimit {
        hard_bytes: 32 << 20,
        soft_bytes: 8 << 20,
        soft_seconds: 60,
    },
];

impl Default for Config {
    fn default() -> Self {
        Config {
            databases: 16,
            port: 6379,
            // Redis's built-in default (its sample redis.conf narrows it to
            // loopback); protected mode guards a server without a password.
            bind: vec!["*".into(), "-::*".into()],
            unixsocket: String::new(),
            unixsocketperm: 0,
            timeout: 0,
            tcp_keepalive: 300,
            tcp_backlog: 511,
            maxclients: 10000,
            hz: 10,
            dynamic_hz: true,
            loglevel: "notice".into(),
            logfile: String::new(),
            syslog_enabled: false,
            syslog_ident: "redis".into(),
            syslog_facility: "local0".into(),
            daemonize: false,
            supervised: "no".into(),
            pidfile: String::new(),
            dir: ".".into(),
            config_file: String::new(),
            io_threads: 1,
            protected_mode: true,
            always_show_logo: false,
            set_proc_title: true,
            proc_title_template: "{title} {listen-addr} {server-mode}".into(),
            shutdown_timeout: 10,
            shutdown_on_sigint: 0,
            shutdown_on_sigterm: 0,
            enable_protected_configs: "no".into(),
            enable_debug_command: "no".into(),
            enable_module_command: "no".into(),

            proto_max_bulk_len: ember_resp::DEFAULT_MAX_BULK_LEN,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            client_output_buffer_limit: DEFAULT_OBUF_LIMITS,
            maxmemory_clients: 0,
            tracking_table_max_keys: 1_000_000,
            busy_reply_threshold: 5000,

            active_expire_enabled: true,
            active_expire_effort: 1,
            activerehashing: true,
            notify_keyspace_events: 0,
            maxmemory: 0,
            maxmemory_policy: "noeviction".into(),
            maxmemory_samples: 5,
            maxmemory_eviction_tenacity: 10,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            lazyfree_lazy_eviction: false,
            lazyfree_lazy_expire: false,
            lazyfree_lazy_server_del: false,
            lazyfree_lazy_user_del: false,
            lazyfree_lazy_user_flush: false,

            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            stream_node_max_bytes: 4096,
            stream_node_max_entries: 100,
            hll_sparse_max_bytes: 3000,

            save: vec![(3600, 1), (300, 100), (60, 10000)],
            dbfilename: "dump.rdb".into(),
            rdbcompression: true,
            rdbchecksum: true,
            rdb_del_sync_files: false,
            stop_writes_on_bgsave_error: true,
            appendonly: false,
            appendfilename: "appendonly.aof".into(),
            appenddirname: "appendonlydir".into(),
            appendfsync: "everysec".into(),
            no_appendfsync_on_rewrite: false,
            auto_aof_rewrite_percentage: 100,
            auto_aof_rewrite_min_size: 64 << 20,
            aof_load_truncated: true,
            aof_use_rdb_preamble: true,
            aof_timestamp_enabled: false,
            sanitize_dump_payload: "no".into(),

            replicaof: None,
            masterauth: String::new(),
            masteruser: String::new(),
            replica_read_only: true,
            replica_serve_stale_data: true,
            replica_lazy_flush: false,
            replica_ignore_maxmemory: true,
            replica_priority: 100,
            replica_announce_ip: String::new(),
            replica_announce_port: 0,
            repl_backlog_size: 1 << 20,
            repl_backlog_ttl: 3600,
            repl_timeout: 60,
            repl_ping_replica_period: 10,
            repl_diskless_sync: true,
            repl_diskless_sync_delay: 5,
            repl_diskless_sync_max_replicas: 0,
            repl_diskless_load: "disabled".into(),
            repl_disable_tcp_nodelay: false,
            min_replicas_to_write: 0,
            min_replicas_max_lag: 10,

            requirepass: String::new(),
            aclfile: String::new(),
            acllog_max_len: 128,
            acl_pubsub_default: "resetchannels".into(),
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            latency_monitor_threshold: 0,
            latency_tracking: true,
            latency_tracking_info_percentiles: vec![50.0, 99.0, 99.9],
            cluster_enabled: false,
            acl_users: Vec::new(),
            renamed_commands: Vec::new(),
            load_modules: Vec::new(),

            params: BTreeMap::new(),
            save_loaded_from_file: false,
        }
    }
}

impl Config {
    /// `dir` as an absolute path (Redis's getcwd() after chdir()).
    pub fn dir_absolute(&self) -> String {
        match std::fs::canonicalize(&self.dir) {
            Ok(p) => p.to_string_lossy().into_owned(),
            Err(_) => self.dir.clone(),
        }
    }

    /// The value CONFIG GET would answer for `name` (or an alias), if it exists.
    pub fn get(&self, name: &str) -> Option<String> {
        let p = crate::config_table::lookup(name.as_bytes())?;
        Some(p.0.get(self))
    }

    /// CONFIG SET semantics for one parameter, as if from a trusted client
    /// (immutable parameters are refused). Returns Redis's error text without
    /// the `ERR ` prefix.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        crate::config_table::config_set(self, &[(name.as_bytes(), value.as_bytes())], true, false)
    }
}
