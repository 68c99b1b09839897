//! The engine: all server state behind one `&mut`, and `execute`, the one place
//! where a command is looked up, checked and rejected in Redis's order, run,
//! counted and propagated (Redis's processCommand + call).

use crate::args::Args;
use crate::client::{Client, ClientId, ReplyMode};
use crate::clock::{Clock, SystemClock};
use crate::command::{flags, Command, CommandTable, TableBuilder};
use crate::config::Config;
use crate::ctx::Ctx;
use crate::db::Db;
use crate::error::CmdError;
use crate::events::KeyspaceEvent;
use crate::stats::Stats;
use ahash::AHashMap;
use bytes::Bytes;
use ember_resp::Reply;
use rand::rngs::SmallRng;
use rand::SeedableRng;
use std::sync::Arc;

/// Receives every write in deterministic form: (database index, argv).
pub type PropagationSink = Box<dyn FnMut(usize, &[Bytes]) + Send>;
/// Renders one INFO section contributed by an upper layer.
pub type InfoProvider = fn(&Engine) -> String;
/// Receives keyspace events when `notify-keyspace-events` enables them.
pub type EventSink = Box<dyn FnMut(&KeyspaceEvent) + Send>;
/// Acts on a CONFIG SET of parameters an upper layer owns (e.g. `appendonly`),
/// given the configuration as it was before; an `Err(text)` undoes the whole
/// CONFIG SET and becomes its reply (`-ERR text`).
pub type ConfigHook = fn(&mut Engine, &Config) -> Result<(), String>;
/// The MISCONF text while writes must be refused (see `Engine::disk_error_probe`).
pub type DiskErrorProbe = fn(&Engine) -> Option<String>;
/// Periodic work of an upper layer (save points, AOF fsync, replication pings),
/// run at the end of every `Engine::cron`.
pub type CronHook = fn(&mut Engine);

/// Why the engine wants the process to stop (set by SHUTDOWN).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShutdownRequest {
    Default,
    Save,
    NoSave,
}

pub struct Engine {
    pub dbs: Vec<Db>,
    pub config: Config,
    pub stats: Stats,
    pub clients: AHashMap<ClientId, Client>,
    pub table: &'static CommandTable,
    pub clock: Arc<dyn Clock>,
    pub rng: SmallRng,
    /// Changes since the last save (`rdb_changes_since_last_save`).
    pub dirty: u64,
    pub start_time_ms: i64,
    pub lastsave_s: i64,
    /// Run id shown by INFO (`run_id`), 40 hex characters.
    pub run_id: String,
    /// Replication ids shown by INFO (`master_replid`, `master_replid2`);
    /// DEBUG CHANGE-REPL-ID renews the first and clears the second.
    pub replid: String,
    pub replid2: String,
    /// `notify-keyspace-events` flags.
    pub notify_flags: u32,
    pub shutdown: Option<ShutdownRequest>,
    /// True on a replica: keys are not expired locally, only hidden.
    pub is_replica: bool,
    /// Set by the replication layer while it runs its master's stream: keys
    /// past their TTL are still seen (Redis's expireIfNeeded for the master
    /// client), so the stream applies exactly as on the master.
    pub in_master_stream: bool,
    /// Replica link up (Redis's repl_state == CONNECTED), kept by the
    /// replication layer; with `replica-serve-stale-data no` other commands
    /// get -MASTERDOWN while it is down.
    pub master_link_up: bool,
    /// Replicas online with a lag within `min-replicas-max-lag` (kept by the
    /// replication layer; Redis's repl_good_slaves_count).
    pub repl_good_replicas: usize,
    /// The replication stream's offset (`master_repl_offset`), kept by the
    /// replication layer; `call` copies it into the client's `woff` when the
    /// command moved it.
    pub repl_offset: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    /// Set by `Ctx::force_propagation`: propagate even though dirty did not move
    /// (Redis's forceCommandPropagation, e.g. FLUSHDB on an empty database).
    pub(crate) force_propagation: bool,
    /// Active expiry's state between cycles (next database, time-limit flag).
    pub expire_cycle: crate::expire::CycleState,
    next_client_id: ClientId,
    sinks: Vec<PropagationSink>,
    /// The replication stream's sinks: every write plus replica-only ones.
    repl_sinks: Vec<PropagationSink>,
    event_sink: Option<EventSink>,
    /// Extra information sections contributed by upper layers (persistence, replication).
    pub info_providers: Vec<(String, InfoProvider)>,
    /// Run after every successful CONFIG SET (see `ConfigHook`).
    pub config_hooks: Vec<ConfigHook>,
    /// Run at the end of every cron tick (see `CronHook`).
    pub cron_hooks: Vec<CronHook>,
    /// Pub/sub registries (channels, shard channels, patterns).
    pub pubsub: crate::pubsub::PubSub,
    /// Clients in MONITOR mode, in the order they started monitoring.
    pub monitors: Vec<ClientId>,
    /// The current CLIENT PAUSE, if any (see `cmd::pause`).
    pub pause: Option<crate::cmd::pause::Pause>,
    /// Set by a handler that must send no reply at all (a second MONITOR).
    pub(crate) reply_suppressed: bool,
    /// Set by the dispatch when CLIENT PAUSE held the command.
    pub(crate) postponed_now: bool,
    /// MONITOR lines for the calling client's own command, written after its reply.
    pub(crate) self_monitor_out: Vec<u8>,
    /// Which clients WATCH which keys (see `multi`).
    pub watches: crate::multi::WatchRegistry,
    /// Clients blocked on keys, their deadlines and the keys ready to serve (see `blocking`).
    pub blocking: crate::blocking::BlockRegistry,
    /// While EXEC runs, propagated writes collect here to leave as one unit.
    /// (The flag marks writes for replicas only, see `propagate_repl_only`.)
    pub(crate) prop_buffer: Option<Vec<(usize, Vec<Bytes>, bool)>>,
    /// State of upper layers (persistence, replication), one value per type.
    pub ext: crate::ext::Extensions,
    /// maxmemory eviction state (pool of candidates, see `evict`).
    pub evict: crate::evict::EvictState,
    /// ACL users, the ACL log and the permission-check fast path (see `acl`).
    pub acl: crate::acl::Acl,
    /// True while the dataset loads (startup, replica full sync): commands
    /// without the `loading` flag get `-LOADING` (set by the persistence layer).
    pub loading: bool,
    /// Asked before every write command and PING: the MISCONF error text
    /// while writes must be refused because the last background save or AOF
    /// write failed (installed by the persistence layer).
    pub disk_error_probe: Option<DiskErrorProbe>,
    /// The last command-table lookup (pipelines repeat one command).
    cmd_memo: CmdMemo,
}

/// One remembered lookup: `name` exactly as sent (case included) and its row.
#[derive(Default)]
struct CmdMemo {
    len: usize,
    name: [u8; 16],
    cmd: Option<&'static Command>,
}

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
            clock: Arc::new(SystemClock),
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
            pause: None,
            reply_suppressed: false,
            postponed_now: false,
            self_monitor_out: Vec::new(),
            watches: Default::default(),
            blocking: Default::default(),
            prop_buffer: None,
            ext: Default::default(),
            evict: Default::default(),
            acl,
            loading: false,
            disk_error_probe: self.disk_error_probe,
            cmd_memo: CmdMemo::default(),
        }
    }
}

impl Engine {
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Registers a new client and returns its id.
    pub fn add_client(&mut self) -> ClientId {
        let id = self.next_client_id;
        self.next_client_id += 1;
        let now = self.now_ms();
        let mut c = Client::new(id, now);
        c.authenticated = self.acl.default_is_open();
        self.clients.insert(id, c);
        id
    }

    /// False while the default user needs a password (`requirepass`, or ACL
    /// rules) and the client has not authenticated (Redis's authRequired):
    /// only NO_AUTH commands may run.
    pub fn is_authenticated(&self, id: ClientId) -> bool {
        // The client's flag first: a field read, where the ACL look is a map search.
        self.clients.get(&id).is_some_and(|c| c.authenticated) || self.acl.default_is_open()
    }

    pub fn remove_client(&mut self, id: ClientId) {
        crate::pubsub::forget_client(self, id);
        self.monitors.retain(|&m| m != id);
        crate::multi::forget_client(self, id);
        crate::blocking::forget_client(self, id);
        self.clients.remove(&id);
    }

    pub fn client_mut(&mut self, id: ClientId) -> Option<&mut Client> {
        self.clients.get_mut(&id)
    }

    pub fn add_propagation_sink(&mut self, sink: PropagationSink) {
        self.sinks.push(sink);
    }

    /// A sink for the replication stream: it also gets the writes
    /// propagated to replicas only (`propagate_repl_only`).
    pub fn add_replication_sink(&mut self, sink: PropagationSink) {
        self.repl_sinks.push(sink);
    }

    pub fn set_event_sink(&mut self, sink: EventSink) {
        self.event_sink = Some(sink);
    }

    /// Runs one command for `client` and returns its reply. Replies suppressed by
    /// `CLIENT REPLY OFF|SKIP` come back as `None`, and so does the reply of a
    /// command that blocked (it arrives later through `push_to_client`).
    pub fn execute(&mut self, client: ClientId, argv: &[Bytes]) -> Option<Reply> {
        // Embedders get plain aggregates, never the wire-form BulkArray.
        self.execute_wire(client, argv).map(Reply::normalize)
    }

    /// `execute` for a front end that encodes the reply (it may be a `BulkArray`).
    fn execute_wire(&mut self, client: ClientId, argv: &[Bytes]) -> Option<Reply> {
        let reply = self.execute_command(client, argv);
        // Clients blocked on keys this command made ready are served now,
        // after the whole command (EXEC included), as Redis does.
        crate::blocking::serve_ready(self);
        reply
    }

    fn execute_command(&mut self, client: ClientId, argv: &[Bytes]) -> Option<Reply> {
        self.self_monitor_out.clear();
        self.postponed_now = false;
        self.reply_suppressed = false;
        let reply = self.dispatch(client, argv);
        if let Some(req) = self.blocking.request.take() {
            crate::blocking::block_client(self, client, argv, req);
            return None;
        }
        match &reply {
            Reply::Error(text) => self.stats.count_error(text),
            Reply::ErrorBytes(raw) => self.stats.count_error(&String::from_utf8_lossy(raw)),
            _ => {}
        }
        let c = self.clients.get_mut(&client)?;
        // CLIENT PAUSE held the command: no reply now; the front end resubmits it.
        c.postponed = std::mem::take(&mut self.postponed_now);
        if c.postponed {
            return None;
        }
        // Confirmations of (un)subscribe commands are pushes: CLIENT REPLY
        // OFF/SKIP does not silence them (Redis's CLIENT_PUSHING).
        let pushing = matches!(reply, Reply::Push(_));
        if std::mem::take(&mut self.reply_suppressed) {
            return None;
        }
        match c.reply_mode {
            ReplyMode::On => Some(reply),
            ReplyMode::Off => pushing.then_some(reply),
            // Set by CLIENT REPLY SKIP itself: its own reply and the next one go.
            ReplyMode::Skip => {
                c.reply_mode = ReplyMode::SkipThis;
                pushing.then_some(reply)
            }
            ReplyMode::SkipThis => {
                c.reply_mode = ReplyMode::On;
                pushing.then_some(reply)
            }
        }
    }

    pub(crate) fn dispatch(&mut self, client: ClientId, argv: &[Bytes]) -> Reply {
        let table = self.table;
        let Some(name) = argv.first() else {
            return Reply::NilArray;
        };
        let Some(mut cmd) = self.lookup_memo(table, name) else {
            self.note_last_cmd(client, "NULL");
            let err = CmdError::UnknownCommand {
                name: c_string(name),
                args: argv[1..].iter().map(|a| c_string(a)).collect(),
            };
            return self.reject(client, None, err);
        };
        let mut skip = 1;
        // A container with a handler of its own (COMMAND) runs it when alone.
        if cmd.handler.is_none() || (!cmd.subcommands.is_empty() && argv.len() > 1) {
            // A container: the subcommand picks the row (arity 2 means "needs one").
            match argv.get(1) {
                Some(sub) => match cmd.subcommand(sub) {
                    Some(s) => {
                        cmd = s;
                        skip = 2;
                    }
                    None => {
                        self.note_last_cmd(client, "NULL");
                        let err = CmdError::UnknownSubcommand {
                            sub: String::from_utf8_lossy(sub).into_owned(),
                            container: cmd.name.to_string(),
                        };
                        return self.reject(client, None, err);
                    }
                },
                None => {
                    self.note_last_cmd(client, &cmd.full_name);
                    return self.reject(client, None, CmdError::WrongArity(cmd.full_name.clone()));
                }
            }
        }
        // CLIENT LIST's `cmd=` names the last command received, even one that
        // is then refused or queued (Redis sets lastcmd at lookup). The same
        // look at the client answers the AUTH and MULTI checks below.
        let (client_authenticated, in_multi) = self.note_last_cmd(client, &cmd.full_name);
        if !cmd.arity_ok(argv.len()) {
            cmd.stats
                .rejected_calls
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return self.reject(
                client,
                Some(cmd),
                CmdError::WrongArity(cmd.full_name.clone()),
            );
        }
        // DEBUG/MODULE refused by `enable-*-command`, before authentication.
        if let Some(err) = crate::acl::protected_command_refusal(self, client, cmd) {
            cmd.stats
                .rejected_calls
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return self.reject(client, Some(cmd), err);
        }
        if !cmd.has(flags::NO_AUTH) && !client_authenticated && !self.acl.default_is_open() {
            cmd.stats
                .rejected_calls
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let err = CmdError::other("NOAUTH Authentication required.");
            return self.reject(client, Some(cmd), err);
        }
        if in_multi && cmd.has(flags::NO_MULTI) {
            cmd.stats
                .rejected_calls
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let err = CmdError::err("Command not allowed inside a transaction");
            return self.reject(client, Some(cmd), err);
        }
        // ACL permissions of the client's user (skipped while nobody is restricted).
        // (The master's stream on a replica runs unchecked, as Redis's master client.)
        if !self.acl.unrestricted && !self.in_master_stream {
            if let Err(err) = crate::acl::check_command(self, client, cmd, argv) {
                cmd.stats
                    .rejected_calls
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return self.reject(client, Some(cmd), err);
            }
        }
        // maxmemory: evict first, then refuse commands that would grow memory.
        if self.config.maxmemory > 0 {
            if let Some(err) = crate::evict::precheck(self, client, cmd) {
                cmd.stats
                    .rejected_calls
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return self.reject(client, Some(cmd), err);
            }
        }
        // min-replicas-to-write: writes need enough good replicas (masters only).
        if self.config.min_replicas_to_write > 0
            && self.config.min_replicas_max_lag > 0
            && !self.is_replica
            && (self.repl_good_replicas as i64) < self.config.min_replicas_to_write
            && is_write_call(self, client, cmd)
        {
            cmd.stats
                .rejected_calls
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let err = CmdError::other("NOREPLICAS Not enough good replicas to write.");
            return self.reject(client, Some(cmd), err);
        }
        // Persistence errors (MISCONF): writes and PING are refused, except
        // from our master (Redis's writeCommandsDeniedByDiskError).
        if let Some(probe) = self.disk_error_probe {
            if let Some(err) = self.disk_error_refusal(client, cmd, probe) {
                cmd.stats
                    .rejected_calls
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return self.reject(client, Some(cmd), err);
            }
        }
        // Pub/sub context, MONITOR clients and CLIENT PAUSE (cmd::pause), in
        // Redis's processCommand order; only looked at when one is in effect.
        if self.pubsub.subscribed_clients > 0 || !self.monitors.is_empty() || self.pause.is_some() {
            match crate::cmd::pause::precheck(self, client, cmd) {
                Some(Ok(held)) => return held,
                Some(Err(err)) => return self.reject(client, Some(cmd), err),
                None => {}
            }
        }
        // A replica refuses writes (READONLY) and, with its link down and
        // stale data not served, most commands (MASTERDOWN).
        if self.is_replica {
            if let Some(err) = self.replica_refusal(client, cmd) {
                cmd.stats
                    .rejected_calls
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return self.reject(client, Some(cmd), err);
            }
        }
        // While loading, only commands flagged `loading` run.
        if self.loading && self.denied_while_loading(client, cmd) {
            cmd.stats
                .rejected_calls
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let err = CmdError::other("LOADING Redis is loading the dataset in memory");
            return self.reject(client, Some(cmd), err);
        }
        // Inside MULTI everything but the transaction commands is queued.
        if in_multi && !crate::multi::runs_immediately(cmd) {
            return crate::multi::queue(self, client, cmd, argv, skip);
        }
        self.call(client, cmd, argv, skip)
    }

    /// MISCONF for a write command (an EXEC with queued writes included) or
    /// PING, unless the client is our master.
    fn disk_error_refusal(
        &self,
        client: ClientId,
        cmd: &Command,
        probe: DiskErrorProbe,
    ) -> Option<CmdError> {
        let c = self.clients.get(&client)?;
        if c.kind == crate::client::ClientKind::Master {
            return None;
        }
        let write = cmd.has(flags::WRITE)
            || (cmd.name == "exec" && c.tx.queue.iter().any(|q| q.cmd.has(flags::WRITE)));
        if !write && cmd.name != "ping" {
            return None;
        }
        probe(self).map(CmdError::other)
    }

    /// READONLY / MASTERDOWN on a replica, never for its master's stream
    /// (Redis's processCommand checks on `masterhost`).
    fn replica_refusal(&self, client: ClientId, cmd: &Command) -> Option<CmdError> {
        let c = self.clients.get(&client)?;
        if c.kind == crate::client::ClientKind::Master {
            return None;
        }
        let exec = cmd.name == "exec";
        if self.config.replica_read_only
            && (cmd.has(flags::WRITE)
                || (exec && c.tx.queue.iter().any(|q| q.cmd.has(flags::WRITE))))
        {
            return Some(CmdError::other(
                "READONLY You can't write against a read only replica.",
            ));
        }
        if !self.master_link_up
            && !self.config.replica_serve_stale_data
            && (!cmd.has(flags::STALE)
                || (exec && c.tx.queue.iter().any(|q| !q.cmd.has(flags::STALE))))
        {
            return Some(CmdError::other(
                "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            ));
        }
        None
    }

    /// Redis's is_denyloading_command: no `loading` flag, or an EXEC with a
    /// queued command that has none.
    fn denied_while_loading(&self, client: ClientId, cmd: &Command) -> bool {
        if !cmd.has(flags::LOADING) {
            return true;
        }
        cmd.name == "exec"
            && self
                .clients
                .get(&client)
                .is_some_and(|c| c.tx.queue.iter().any(|q| !q.cmd.has(flags::LOADING)))
    }

    /// Records the client's last command; returns whether the client has
    /// authenticated and whether it is in MULTI.
    fn note_last_cmd(&mut self, client: ClientId, name: &'static str) -> (bool, bool) {
        match self.clients.get_mut(&client) {
            Some(c) => {
                c.last_cmd = name;
                (c.authenticated, c.tx.active)
            }
            None => (false, false),
        }
    }

    /// `table.lookup`, remembered for the next call with the same name.
    #[inline]
    fn lookup_memo(
        &mut self,
        table: &'static CommandTable,
        name: &[u8],
    ) -> Option<&'static Command> {
        let m = &self.cmd_memo;
        if m.cmd.is_some() && name.len() == m.len && name == &m.name[..m.len] {
            return m.cmd;
        }
        let cmd = table.lookup(name);
        if cmd.is_some() && name.len() <= self.cmd_memo.name.len() {
            let m = &mut self.cmd_memo;
            m.len = name.len();
            m.name[..name.len()].copy_from_slice(name);
            m.cmd = cmd;
        }
        cmd
    }

    /// A command refused before running (Redis's rejectCommand): an open
    /// transaction is doomed, and a refused EXEC discards it.
    fn reject(&mut self, client: ClientId, cmd: Option<&Command>, err: CmdError) -> Reply {
        crate::multi::flag_transaction(self, client);
        if cmd.is_some_and(|c| c.name == "exec") {
            return crate::multi::exec_abort(self, client, err);
        }
        err.into()
    }

    /// Runs a checked command: the handler, statistics and propagation (Redis's call()).
    pub(crate) fn call(
        &mut self,
        client: ClientId,
        cmd: &'static Command,
        argv: &[Bytes],
        skip: usize,
    ) -> Reply {
        let now_ms = self.now_ms();
        let db_index = match self.clients.get_mut(&client) {
            Some(c) => {
                c.tot_cmds += 1;
                c.last_interaction_ms = now_ms;
                c.db
            }
            None => return Reply::error("ERR client is not registered"),
        };
        let dirty_before = self.dirty;
        let woff_before = self.repl_offset_now();
        let started = mono_us();
        let mut ctx = Ctx {
            engine: self,
            client_id: client,
            db_index,
            now_ms,
            cmd,
            rewritten: None,
        };
        let mut args = Args::new(argv, skip);
        let handler = cmd.handler.expect("leaf command has a handler");
        let result = handler(&mut ctx, &mut args);
        let rewritten = ctx.rewritten.take();
        let db_after = ctx.db_index;
        let elapsed = mono_us().saturating_sub(started);
        use std::sync::atomic::Ordering::Relaxed;
        // A call that blocked is counted once it completes (Redis's updateStatsOnUnblock).
        if self.blocking.request.is_none() {
            bump(&cmd.stats.calls, 1);
            bump(&cmd.stats.usec, elapsed);
            if self.config.latency_tracking {
                cmd.stats.latency.record(elapsed * 1000);
            }
            self.stats.total_commands_processed += 1;
        }
        let reply = match result {
            Ok(r) => {
                if r.is_error() {
                    cmd.stats.failed_calls.fetch_add(1, Relaxed);
                }
                r
            }
            Err(e) => {
                cmd.stats.failed_calls.fetch_add(1, Relaxed);
                e.into()
            }
        };
        let forced = std::mem::take(&mut self.force_propagation);
        if (self.dirty != dirty_before || forced) && !cmd.has(flags::READONLY) {
            match rewritten {
                Some(cmds) => {
                    for c in cmds {
                        self.propagate(db_index, &c);
                    }
                }
                None => self.propagate(db_index, argv),
            }
        }
        if db_after != db_index {
            if let Some(c) = self.clients.get_mut(&client) {
                c.db = db_after;
            }
        }
        // Redis's `c->woff`: the stream offset after the client's last
        // command that propagated (or otherwise moved the stream).
        let woff_after = self.repl_offset_now();
        if woff_after != woff_before {
            if let (Some(off), Some(c)) = (woff_after, self.clients.get_mut(&client)) {
                c.woff = off;
            }
        }
        // A blocked command run again to serve it was shown when first called.
        if !self.monitors.is_empty()
            && !cmd.has(flags::ADMIN | flags::SKIP_MONITOR)
            && !self.blocking.is_rerun()
        {
            crate::cmd::monitor::feed(self, client, db_after, argv);
        }
        reply
    }

    /// The replication stream's offset, when a replication layer keeps one.
    pub fn repl_offset_now(&self) -> Option<u64> {
        self.repl_offset
            .as_ref()
            .map(|a| a.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Hands a write to every propagation sink (AOF, replicas, MONITOR-like tools).
    pub fn propagate(&mut self, db: usize, argv: &[Bytes]) {
        self.propagate_op(db, argv, false);
    }

    /// Propagates to replicas only, never to the AOF (Redis's
    /// PROPAGATE_REPL: PUBLISH); inside EXEC it joins the transaction.
    pub fn propagate_repl_only(&mut self, db: usize, argv: &[Bytes]) {
        self.propagate_op(db, argv, true);
    }

    pub(crate) fn propagate_op(&mut self, db: usize, argv: &[Bytes], repl_only: bool) {
        if let Some(buf) = self.prop_buffer.as_mut() {
            buf.push((db, argv.to_vec(), repl_only));
            return;
        }
        if !repl_only {
            for sink in self.sinks.iter_mut() {
                sink(db, argv);
            }
        }
        for sink in self.repl_sinks.iter_mut() {
            sink(db, argv);
        }
    }

    /// Lazy expiry (Redis's expireIfNeeded): true if the key is logically expired.
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8], now_ms: i64) -> bool {
        if !self.dbs[db].is_expired(key, now_ms) {
            return false;
        }
        // Replicas wait for their master's DEL; during CLIENT PAUSE the dataset
        // stays constant (Redis's checkClientPauseTimeoutAndReturnIfPaused).
        if self.is_replica && self.in_master_stream {
            return false;
        }
        if self.is_replica || crate::cmd::pause::is_paused(self) {
            return true;
        }
        self.delete_expired(db, key);
        true
    }

    /// Removes an expired key: statistics, the `expired` event and a propagated DEL.
    pub fn delete_expired(&mut self, db: usize, key: &[u8]) {
        if !self.dbs[db].delete(key) {
            return;
        }
        self.stats.expired_keys += 1;
        self.signal_modified_key(db, key);
        self.notify_keyspace_event(crate::events::classes::EXPIRED, "expired", key, db);
        // Redis's propagateDeletion: UNLINK under lazyfree-lazy-expire.
        let verb: &'static [u8] = if self.config.lazyfree_lazy_expire {
            b"UNLINK"
        } else {
            b"DEL"
        };
        let del = [Bytes::from_static(verb), Bytes::copy_from_slice(key)];
        self.propagate(db, &del);
    }

    /// Hook for WATCH invalidation (transactions) and tracking; see `Ctx::signal_modified`.
    pub fn signal_modified_key(&mut self, db: usize, key: &[u8]) {
        crate::multi::touch_key(self, db, key);
        crate::blocking::signal_key(self, db, key);
    }

    /// Hook for WATCH invalidation when a whole database is emptied (FLUSHDB,
    /// FLUSHALL: `None` = every database), before its keys are dropped.
    pub fn signal_flushed_db(&mut self, db: Option<usize>) {
        let now = self.now_ms();
        let dbs = match db {
            Some(d) => d..d + 1,
            None => 0..self.dbs.len(),
        };
        for d in dbs {
            crate::multi::touch_all_in_db(self, d, None, now);
        }
    }

    /// Hook for WATCH invalidation when SWAPDB exchanged two databases' contents.
    /// Called before the swap.
    pub fn signal_swapped_dbs(&mut self, a: usize, b: usize) {
        let now = self.now_ms();
        crate::multi::touch_all_in_db(self, a, Some(b), now);
        crate::multi::touch_all_in_db(self, b, Some(a), now);
        // Keys waited on in either database may exist after the swap.
        crate::blocking::signal_db(self, a);
        crate::blocking::signal_db(self, b);
    }

    pub fn notify_keyspace_event(&mut self, class: u32, event: &str, key: &[u8], db: usize) {
        if self.notify_flags & class == 0 {
            return;
        }
        if let Some(sink) = self.event_sink.as_mut() {
            sink(&KeyspaceEvent {
                class,
                event: event.to_string(),
                key: key.to_vec(),
                db,
            });
        }
        crate::pubsub::notify_keyspace_event(self, event, key, db);
    }

    /// True while EXEC runs its queued commands (Redis's `server.in_exec`).
    pub fn in_exec(&self) -> bool {
        self.prop_buffer.is_some()
    }

    /// Total keys across databases.
    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(Db::len).sum()
    }
}

impl Engine {
    /// Runs one command and appends its encoded reply (if any) to `out`, in the
    /// client's current protocol (so `HELLO 3` answers in RESP3). Returns false
    /// when the connection must close after writing `out`.
    pub fn execute_into(&mut self, client: ClientId, argv: &[Bytes], out: &mut Vec<u8>) -> bool {
        let reply = self.execute_wire(client, argv);
        let Some(c) = self.clients.get_mut(&client) else {
            return false;
        };
        // Pushes generated while the command ran (e.g. a message published to
        // ourselves) precede its reply, as in Redis's output buffer.
        if !c.pending.is_empty() {
            out.append(&mut c.pending);
        }
        if let Some(reply) = reply {
            ember_resp::encode_owned(reply, c.proto, out);
        }
        // A monitor's own command is shown to it after the reply, as in Redis.
        if !self.self_monitor_out.is_empty() {
            out.append(&mut self.self_monitor_out);
        }
        !(c.close_after_reply || c.killed)
    }

    /// Queues `reply` for client `id` out of band (pub/sub message, reply of an
    /// unblocked command), in that client's protocol, and wakes its front end.
    pub fn push_to_client(&mut self, id: ClientId, reply: &Reply) {
        if let Some(c) = self.clients.get_mut(&id) {
            ember_resp::encode(reply, c.proto, &mut c.pending);
            let now = self.clock.now_ms();
            if crate::pubsub::check_output_limit(c, &self.config.client_output_buffer_limit, now) {
                self.pubsub.obuf_limit_disconnections += 1;
            }
            c.wake();
        }
    }

    /// Takes the output queued for client `id` by [`Engine::push_to_client`].
    pub fn take_pending(&mut self, id: ClientId) -> Vec<u8> {
        self.clients
            .get_mut(&id)
            .map(|c| std::mem::take(&mut c.pending))
            .unwrap_or_default()
    }
}

impl Engine {
    /// Periodic housekeeping, called `hz` times per second by the front end
    /// (Redis's serverCron): active expiry and the like.
    pub fn cron(&mut self) {
        crate::cmd::info::track_metrics(self);
        crate::cmd::pause::end_if_expired(self);
        if self.config.active_expire_enabled && !self.is_replica && self.pause.is_none() {
            crate::expire::active_expire_cycle(self);
        }
        crate::evict::cron(self);
        crate::blocking::handle_timeouts(self);
        crate::blocking::serve_ready(self);
        self.close_idle_clients();
        for hook in self.cron_hooks.clone() {
            hook(self);
        }
    }

    /// True while client `id` waits in a blocking command: its front end must
    /// not submit its next command until the late reply was pushed.
    pub fn is_blocked(&self, id: ClientId) -> bool {
        crate::blocking::is_blocked(self, id)
    }

    /// Unblocks clients whose timeout passed (also done by `cron`); a front
    /// end calls it at [`Engine::next_block_deadline`] for precise timeouts.
    pub fn handle_block_timeouts(&mut self) {
        crate::blocking::handle_timeouts(self);
    }

    /// The earliest deadline (engine clock, ms) of a blocked client.
    pub fn next_block_deadline(&self) -> Option<i64> {
        self.blocking.next_deadline()
    }

    /// Closes normal clients idle for more than `timeout` seconds (0 = never).
    fn close_idle_clients(&mut self) {
        let timeout_ms = self.config.timeout as i64 * 1000;
        if timeout_ms == 0 {
            return;
        }
        let now = self.now_ms();
        for c in self.clients.values_mut() {
            let idle = now - c.last_interaction_ms;
            if !c.is_local
                && c.kind == crate::client::ClientKind::Normal
                && idle > timeout_ms
                && !c.killed
                && c.blocked.is_none()
                // Monitors (replica-flagged in Redis) and paused clients stay.
                && !c.monitor
                && !c.postponed
            {
                c.killed = true;
                c.wake();
            }
        }
    }
}

/// Monotonic microseconds for command durations: one vDSO call and integer
/// math (`Instant` subtraction and `Duration` conversion cost more than the call).
#[inline]
fn mono_us() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
}

/// `counter += n` for statistics only written under the engine's `&mut self`
/// (the table is this engine's own): a plain load and store instead of a
/// locked read-modify-write on every command.
#[inline]
fn bump(counter: &std::sync::atomic::AtomicU64, n: u64) {
    use std::sync::atomic::Ordering::Relaxed;
    counter.store(counter.load(Relaxed).wrapping_add(n), Relaxed);
}

/// A write command, or EXEC of a transaction holding one (Redis's
/// is_write_command in processCommand).
fn is_write_call(engine: &Engine, client: ClientId, cmd: &Command) -> bool {
    cmd.has(flags::WRITE)
        || (cmd.name == "exec"
            && engine
                .clients
                .get(&client)
                .is_some_and(|c| c.tx.queue.iter().any(|q| q.cmd.has(flags::WRITE))))
}

/// How Redis's `%s` prints an argument: up to the first NUL byte. (Invalid UTF-8
/// is replaced, a known difference: Redis echoes the raw bytes.)
fn c_string(b: &[u8]) -> Vec<u8> {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    b[..end].to_vec()
}
