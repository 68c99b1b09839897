//! `EngineBuilder`: the command table, configuration and upper layers' hooks
//! an engine is built from.

use super::{ConfigHook, CronHook, DiskErrorProbe, Engine, InfoProvider};
use crate::clock::{Clock, SystemClock};
use crate::command::{Command, CommandTable, TableBuilder};
use crate::config::Config;
use crate::db::Db;
use crate::stats::Stats;
use ahash::AHashMap;
use rand::rngs::SmallRng;
use rand::SeedableRng;
use std::sync::Arc;

/// Builds an engine from a command table (families plus upper-layer rows).
pub struct EngineBuilder {
    pub table: TableBuilder,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
    /// INFO sections from upper layers (see `Engine::info_providers`).
    pub info_providers: Vec<(String, InfoProvider)>,
    /// CONFIG SET hooks from upper layers (see `Engine::config_hooks`).
    pub config_hooks: Vec<ConfigHook>,
    /// Cron hooks from upper layers (see `Engine::cron_hooks`).
    pub cron_hooks: Vec<CronHook>,
    /// See `Engine::disk_error_probe`.
    pub disk_error_probe: Option<DiskErrorProbe>,
}

impl Default for EngineBuilder {
    fn default() -> Self {
        let mut table = TableBuilder::new();
        table.add(crate::cmd::all_commands());
        EngineBuilder {
            table,
            config: Config::default(),
            clock: Arc::new(SystemClock::default()),
            info_providers: Vec::new(),
            // CONFIG SET maxmemory evicts at once (Redis's updateMaxmemory).
            config_hooks: vec![crate::evict::config_hook],
            cron_hooks: Vec::new(),
            disk_error_probe: None,
        }
    }
}

impl EngineBuilder {
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Adds rows from an upper layer (they replace same-named rows).
    pub fn commands(mut self, rows: impl IntoIterator<Item = Command>) -> Self {
        self.table.add(rows);
        self
    }

    /// Adds an INFO section from an upper layer (a built-in name replaces that section).
    pub fn info_provider(mut self, name: &str, f: InfoProvider) -> Self {
        self.info_providers
            .retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.info_providers.push((name.to_string(), f));
        self
    }

    /// Adds a CONFIG SET hook from an upper layer.
    pub fn config_hook(mut self, f: ConfigHook) -> Self {
        self.config_hooks.push(f);
        self
    }

    /// Sets the MISCONF probe (the persistence layer's).
    pub fn disk_error_probe(mut self, f: DiskErrorProbe) -> Self {
        self.disk_error_probe = Some(f);
        self
    }

    /// Adds periodic work from an upper layer, run by every `Engine::cron`.
    pub fn cron_hook(mut self, f: CronHook) -> Self {
        self.cron_hooks.push(f);
        self
    }

    pub fn build(self) -> Engine {
        // The table lives as long as the process: leaking it gives handlers a
        // `&'static Command` with no reference counting on the hot path.
        let mut table = self.table.build();
        // `rename-command` lines (checked when the config was read).
        for (from, to) in &self.config.renamed_commands {
            let _ = table.rename(from, to);
        }
        let table: &'static CommandTable = Box::leak(Box::new(table));
        let acl = crate::acl::Acl::new(table, &self.config);
        let now = self.clock.now_ms();
        let notify_flags = self.config.notify_keyspace_events;
        let mut rng = SmallRng::from_entropy();
        let run_id: String = (0..40)
            .map(|_| char::from_digit(rand::Rng::gen_range(&mut rng, 0..16), 16).unwrap())
            .collect();
        let replid = crate::cmd::server::random_hex40(&mut rng);
        Engine {
            dbs: (0..self.config.databases.max(1))
                .map(|_| Db::new())
                .collect(),
            config: self.config,
            stats: Stats::default(),
            clients: AHashMap::new(),
            table,
            clock: self.clock,
            rng,
            dirty: 0,
            start_time_ms: now,
            lastsave_s: now / 1000,
            run_id,
            replid,
            replid2: "0".repeat(40),
            notify_flags,
            shutdown: None,
            is_replica: false,
            in_master_stream: false,
            master_link_up: false,
            repl_good_replicas: 0,
            repl_offset: None,
            force_propagation: false,
            expire_cycle: Default::default(),
            next_client_id: 1,
            sinks: Vec::new(),
            repl_sinks: Vec::new(),
            event_sink: None,
            info_providers: self.info_providers,
            config_hooks: self.config_hooks,
            cron_hooks: self.cron_hooks,
            pubsub: Default::default(),
            monitors: Vec::new(),
            slowlog: Default::default(),
            latency: Default::default(),
            pause: None,
            reply_suppressed: false,
            postponed_now: false,
            self_after_reply: Vec::new(),
            executing_command: false,
            cron_paused: false,
            batch_input: 0,
            clients_memory: Default::default(),
            current_client: 0,
            tracking: Default::default(),
            watches: Default::default(),
            blocking: Default::default(),
            prop_buffer: None,
            ext: Default::default(),
            evict: Default::default(),
            acl,
            loading: false,
            replay_client: None,
            disk_error_probe: self.disk_error_probe,
            cmd_memo: Default::default(),
        }
    }
}
