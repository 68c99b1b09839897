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
use std::time::Instant;

/// Receives every write in deterministic form: (database index, argv).
pub type PropagationSink = Box<dyn FnMut(usize, &[Bytes]) + Send>;
/// Renders one INFO section contributed by an upper layer.
pub type InfoProvider = fn(&Engine) -> String;
/// Receives keyspace events when `notify-keyspace-events` enables them.
pub type EventSink = Box<dyn FnMut(&KeyspaceEvent) + Send>;

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
    /// Set by `Ctx::force_propagation`: propagate even though dirty did not move
    /// (Redis's forceCommandPropagation, e.g. FLUSHDB on an empty database).
    pub(crate) force_propagation: bool,
    /// Active expiry's state between cycles (next database, time-limit flag).
    pub expire_cycle: crate::expire::CycleState,
    next_client_id: ClientId,
    sinks: Vec<PropagationSink>,
    event_sink: Option<EventSink>,
    /// Extra information sections contributed by upper layers (persistence, replication).
    pub info_providers: Vec<(String, InfoProvider)>,
}

/// Builds an engine from a command table (families plus upper-layer rows).
pub struct EngineBuilder {
    pub table: TableBuilder,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
}

impl Default for EngineBuilder {
    fn default() -> Self {
        let mut table = TableBuilder::new();
        table.add(crate::cmd::all_commands());
        EngineBuilder {
            table,
            config: Config::default(),
            clock: Arc::new(SystemClock),
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

    pub fn build(self) -> Engine {
        // The table lives as long as the process: leaking it gives handlers a
        // `&'static Command` with no reference counting on the hot path.
        let table: &'static CommandTable = Box::leak(Box::new(self.table.build()));
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
            force_propagation: false,
            expire_cycle: Default::default(),
            next_client_id: 1,
            sinks: Vec::new(),
            event_sink: None,
            info_providers: Vec::new(),
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
        c.authenticated = self.config.requirepass.is_empty();
        self.clients.insert(id, c);
        id
    }

    /// False while `requirepass` is set and the client has not authenticated
    /// (Redis's authRequired): only NO_AUTH commands may run.
    pub fn is_authenticated(&self, id: ClientId) -> bool {
        self.config.requirepass.is_empty() || self.clients.get(&id).is_some_and(|c| c.authenticated)
    }

    pub fn remove_client(&mut self, id: ClientId) {
        self.clients.remove(&id);
    }

    pub fn client_mut(&mut self, id: ClientId) -> Option<&mut Client> {
        self.clients.get_mut(&id)
    }

    pub fn add_propagation_sink(&mut self, sink: PropagationSink) {
        self.sinks.push(sink);
    }

    pub fn set_event_sink(&mut self, sink: EventSink) {
        self.event_sink = Some(sink);
    }

    /// Runs one command for `client` and returns its reply. Replies suppressed by
    /// `CLIENT REPLY OFF|SKIP` come back as `None`.
    pub fn execute(&mut self, client: ClientId, argv: &[Bytes]) -> Option<Reply> {
        let reply = self.dispatch(client, argv);
        if reply.is_error() {
            if let Reply::Error(text) = &reply {
                self.stats.count_error(text);
            }
        }
        let c = self.clients.get_mut(&client)?;
        match c.reply_mode {
            ReplyMode::On => Some(reply),
            ReplyMode::Off => None,
            // Set by CLIENT REPLY SKIP itself: its own reply and the next one go.
            ReplyMode::Skip => {
                c.reply_mode = ReplyMode::SkipThis;
                None
            }
            ReplyMode::SkipThis => {
                c.reply_mode = ReplyMode::On;
                None
            }
        }
    }

    fn dispatch(&mut self, client: ClientId, argv: &[Bytes]) -> Reply {
        let table = self.table;
        let Some(name) = argv.first() else {
            return Reply::NilArray;
        };
        let Some(mut cmd) = table.lookup(name) else {
            return CmdError::UnknownCommand {
                name: c_string(name),
                args: argv[1..].iter().map(|a| c_string(a)).collect(),
            }
            .into();
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
                        return CmdError::UnknownSubcommand {
                            sub: String::from_utf8_lossy(sub).into_owned(),
                            container: cmd.name.to_string(),
                        }
                        .into()
                    }
                },
                None => return CmdError::WrongArity(cmd.full_name.clone()).into(),
            }
        }
        if !cmd.arity_ok(argv.len()) {
            cmd.stats
                .rejected_calls
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return CmdError::WrongArity(cmd.full_name.clone()).into();
        }
        if !cmd.has(flags::NO_AUTH) && !self.is_authenticated(client) {
            cmd.stats
                .rejected_calls
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return CmdError::other("NOAUTH Authentication required.").into();
        }
        self.call(client, cmd, argv, skip)
    }

    /// Runs a checked command: the handler, statistics and propagation (Redis's call()).
    fn call(
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
                c.last_cmd.clear();
                c.last_cmd.push_str(&cmd.full_name);
                c.db
            }
            None => return Reply::error("ERR client is not registered"),
        };
        let dirty_before = self.dirty;
        let started = Instant::now();
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
        let elapsed = started.elapsed().as_micros() as u64;
        use std::sync::atomic::Ordering::Relaxed;
        cmd.stats.calls.fetch_add(1, Relaxed);
        cmd.stats.usec.fetch_add(elapsed, Relaxed);
        if self.config.latency_tracking {
            cmd.stats.latency.record(elapsed * 1000);
        }
        self.stats.total_commands_processed += 1;
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
        reply
    }

    /// Hands a write to every propagation sink (AOF, replicas, MONITOR-like tools).
    pub fn propagate(&mut self, db: usize, argv: &[Bytes]) {
        for sink in self.sinks.iter_mut() {
            sink(db, argv);
        }
    }

    /// Lazy expiry (Redis's expireIfNeeded): true if the key is logically expired.
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8], now_ms: i64) -> bool {
        if !self.dbs[db].is_expired(key, now_ms) {
            return false;
        }
        if self.is_replica {
            return true;
        }
        self.delete_expired(db, key);
        true
    }

    /// Removes an expired key: statistics, the `expired` event and a propagated DEL.
    pub fn delete_expired(&mut self, db: usize, key: &[u8]) {
        if self.dbs[db].remove(key).is_none() {
            return;
        }
        self.stats.expired_keys += 1;
        self.signal_modified_key(db, key);
        self.notify_keyspace_event(crate::events::classes::EXPIRED, "expired", key, db);
        let del = [Bytes::from_static(b"DEL"), Bytes::copy_from_slice(key)];
        self.propagate(db, &del);
    }

    /// Hook for WATCH invalidation (transactions) and tracking; see `Ctx::signal_modified`.
    pub fn signal_modified_key(&mut self, _db: usize, _key: &[u8]) {}

    /// Hook for WATCH invalidation when a whole database is emptied (FLUSHDB,
    /// FLUSHALL: `None` = every database), before its keys are dropped.
    pub fn signal_flushed_db(&mut self, _db: Option<usize>) {}

    /// Hook for WATCH invalidation when SWAPDB exchanged two databases' contents.
    pub fn signal_swapped_dbs(&mut self, _a: usize, _b: usize) {}

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
        let reply = self.execute(client, argv);
        let Some(c) = self.clients.get_mut(&client) else {
            return false;
        };
        // Pushes generated while the command ran (e.g. a message published to
        // ourselves) precede its reply, as in Redis's output buffer.
        if !c.pending.is_empty() {
            out.append(&mut c.pending);
        }
        if let Some(reply) = reply {
            ember_resp::encode(&reply, c.proto, out);
        }
        !(c.close_after_reply || c.killed)
    }

    /// Queues `reply` for client `id` out of band (pub/sub message, reply of an
    /// unblocked command), in that client's protocol, and wakes its front end.
    pub fn push_to_client(&mut self, id: ClientId, reply: &Reply) {
        if let Some(c) = self.clients.get_mut(&id) {
            ember_resp::encode(reply, c.proto, &mut c.pending);
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
        if self.config.active_expire_enabled && !self.is_replica {
            crate::expire::active_expire_cycle(self);
        }
        self.close_idle_clients();
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
            {
                c.killed = true;
                c.wake();
            }
        }
    }
}

/// How Redis's `%s` prints an argument: up to the first NUL byte. (Invalid UTF-8
/// is replaced, a known difference: Redis echoes the raw bytes.)
fn c_string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}
