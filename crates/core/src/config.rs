//! Runtime configuration shared by the engine and the front end. The parameter
//! table that CONFIG GET/SET and config files go through lives in `config_table.rs`.

/// Typed values of the parameters Ember acts on.
#[derive(Clone, Debug)]
pub struct Config {
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
    pub loglevel: String,
    pub logfile: String,
    pub daemonize: bool,
    pub pidfile: String,
    pub dir: String,
    pub dbfilename: String,
    pub proto_max_bulk_len: i64,
    pub client_query_buffer_limit: u64,
    /// Toggled by DEBUG SET-ACTIVE-EXPIRE.
    pub active_expire_enabled: bool,
    pub active_expire_effort: u32,
    pub io_threads: u32,
    pub requirepass: String,
    pub maxmemory: u64,
    pub always_show_logo: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            databases: 16,
            port: 6379,
            bind: vec!["127.0.0.1".into(), "-::1".into()],
            unixsocket: String::new(),
            unixsocketperm: 0,
            timeout: 0,
            tcp_keepalive: 300,
            tcp_backlog: 511,
            maxclients: 10000,
            hz: 10,
            loglevel: "notice".into(),
            logfile: String::new(),
            daemonize: false,
            pidfile: String::new(),
            dir: ".".into(),
            dbfilename: "dump.rdb".into(),
            proto_max_bulk_len: ember_resp::DEFAULT_MAX_BULK_LEN,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            active_expire_enabled: true,
            active_expire_effort: 1,
            io_threads: 1,
            requirepass: String::new(),
            maxmemory: 0,
            always_show_logo: false,
        }
    }
}
