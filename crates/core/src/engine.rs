//! The engine: all server state behind one `&mut`, and `execute`, the one
//! entry for a command. The work is split by what it holds:
//!
//! - `process`: Redis's processCommand (lookup and every refusal, in order)
//! - `call`: Redis's call() (the handler, statistics, propagation, `woff`)
//! - `propagate`: the propagation sinks
//! - `keyspace`: lazy expiry, modification signals and keyspace events
//! - `clients`: the client registry and out-of-band output
//! - `cron`: periodic housekeeping
//! - `builder`: `EngineBuilder`

mod builder;
mod call;
mod clients;
mod cron;
mod keyspace;
mod prefetch;
mod process;
mod propagate;

pub use builder::EngineBuilder;

use crate::client::{Client, ClientId, ReplyMode};
use crate::clock::Clock;
use crate::command::CommandTable;
use crate::config::Config;
use crate::db::Db;
use crate::events::KeyspaceEvent;
use crate::stats::Stats;
use ahash::AHashMap;
use bytes::Bytes;
use ember_resp::Reply;
use rand::rngs::SmallRng;
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
    /// SLOWLOG's entries (see `cmd::slowlog`).
    pub slowlog: crate::cmd::slowlog::SlowLog,
    /// The latency monitor's spikes (see `cmd::latency`).
    pub latency: crate::latency::LatencyMonitor,
    /// The current CLIENT PAUSE, if any (see `cmd::pause`).
    pub pause: Option<crate::cmd::pause::Pause>,
    /// Set by a handler that must send no reply at all (a second MONITOR).
    pub(crate) reply_suppressed: bool,
    /// Set by the dispatch when CLIENT PAUSE held the command.
    pub(crate) postponed_now: bool,
    /// Output for the calling client that follows its reply: MONITOR lines
    /// of its own command, invalidations of keys the command changed.
    pub(crate) self_after_reply: Vec<u8>,
    /// The client whose command is running (Redis's current_client), 0
    /// for none (ids start at 1; a plain id is one store per command).
    current_client: ClientId,
    /// True while a command's handler runs (Redis's CLIENT_EXECUTING_COMMAND):
    /// invalidations for the running client then wait for its reply, while
    /// those of an eviction before the command go out ahead of it.
    pub(crate) executing_command: bool,
    /// Bytes of the query buffer as the running batch started, set by the
    /// front end: the running client's `qbuf` in CLIENT LIST / INFO.
    pub batch_input: usize,
    /// What clients' buffers take, for INFO and `maxmemory-clients`.
    pub clients_memory: crate::client_memory::ClientsMemory,
    /// DEBUG PAUSE-CRON: the cron does nothing while set (Redis's pause_cron).
    pub(crate) cron_paused: bool,
    /// Client-side caching's tables (see `tracking`).
    pub tracking: crate::tracking::Tracking,
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
    /// The client replaying an AOF, whose commands are not counted in
    /// command statistics nor offered to the slow log (Redis runs them
    /// without `call()`).
    pub replay_client: Option<ClientId>,
    /// Asked before every write command and PING: the MISCONF error text
    /// while writes must be refused because the last background save or AOF
    /// write failed (installed by the persistence layer).
    pub disk_error_probe: Option<DiskErrorProbe>,
    /// The last command-table lookup (pipelines repeat one command).
    cmd_memo: process::CmdMemo,
}

impl Engine {
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The client whose command is running, if any.
    pub(crate) fn current_client(&self) -> Option<ClientId> {
        (self.current_client != 0).then_some(self.current_client)
    }

    /// Makes `id` the running client; returns the one it replaces.
    pub(crate) fn swap_current_client(&mut self, id: ClientId) -> ClientId {
        std::mem::replace(&mut self.current_client, id)
    }

    /// Runs one command for `client` and returns its reply. Replies suppressed by
    /// `CLIENT REPLY OFF|SKIP` come back as `None`, and so does the reply of a
    /// command that blocked (it arrives later through `push_to_client`).
    pub fn execute(&mut self, client: ClientId, argv: &[Bytes]) -> Option<Reply> {
        let outcome = self.run(client, argv);
        let c = self.clients.get_mut(&client)?;
        // Output that follows the reply waits with the pushes.
        c.pending.append(&mut self.self_after_reply);
        // Embedders get plain aggregates, never the wire-form BulkArray.
        outcome.deliver(c).map(Reply::normalize)
    }

    /// Runs one command and appends its encoded reply (if any) to `out`, in the
    /// client's current protocol (so `HELLO 3` answers in RESP3). Returns false
    /// when the connection must close after writing `out`.
    pub fn execute_into(&mut self, client: ClientId, argv: &[Bytes], out: &mut Vec<u8>) -> bool {
        let outcome = self.run(client, argv);
        let Some(c) = self.clients.get_mut(&client) else {
            return false;
        };
        // Pushes generated while the command ran (e.g. a message published to
        // ourselves) precede its reply, as in Redis's output buffer.
        if !c.pending.is_empty() {
            out.append(&mut c.pending);
        }
        if let Some(reply) = outcome.deliver(c) {
            ember_resp::encode_owned(reply, c.proto, out);
        }
        // A monitor's own command, and invalidations of keys the command
        // changed, reach the client after its reply, as in Redis.
        if !self.self_after_reply.is_empty() {
            out.append(&mut self.self_after_reply);
        }
        !(c.close_after_reply || c.killed)
    }

    /// Runs the command and what it triggers; the client is looked at once
    /// more by the caller, to apply its reply mode and take its output.
    fn run(&mut self, client: ClientId, argv: &[Bytes]) -> Outcome {
        self.self_after_reply.clear();
        self.current_client = client;
        if self.tracking.clients > 0 {
            crate::tracking::limit_table(self);
        }
        self.postponed_now = false;
        self.reply_suppressed = false;
        let reply = self.dispatch(client, argv);
        let outcome = if let Some(req) = self.blocking.request.take() {
            crate::blocking::block_client(self, client, argv, req);
            Outcome {
                reply: None,
                postponed: false,
                suppressed: false,
            }
        } else {
            match &reply {
                Reply::Error(text) => self.stats.count_error(text),
                Reply::ErrorBytes(raw) => self.stats.count_error(&String::from_utf8_lossy(raw)),
                _ => {}
            }
            Outcome {
                reply: Some(reply),
                postponed: std::mem::take(&mut self.postponed_now),
                suppressed: std::mem::take(&mut self.reply_suppressed),
            }
        };
        // Clients blocked on keys this command made ready are served now,
        // after the whole command (EXEC included), as Redis does.
        crate::blocking::serve_ready(self);
        if self.tracking.clients > 0 || !self.tracking.deferred.is_empty() {
            crate::tracking::after_command(self, client, outcome.postponed);
        }
        self.current_client = 0;
        outcome
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

/// A command's result before the client's reply mode applies.
struct Outcome {
    /// `None` when the command blocked: its reply comes later.
    reply: Option<Reply>,
    /// CLIENT PAUSE held the command.
    postponed: bool,
    /// The handler asked for no reply at all (a second MONITOR).
    suppressed: bool,
}

impl Outcome {
    /// The reply the client gets now, if any, under `CLIENT REPLY`.
    #[inline]
    fn deliver(self, c: &mut Client) -> Option<Reply> {
        let reply = self.reply?;
        // CLIENT PAUSE held the command: no reply now; the front end resubmits it.
        c.postponed = self.postponed;
        if c.postponed || self.suppressed {
            return None;
        }
        // Confirmations of (un)subscribe commands are pushes: CLIENT REPLY
        // OFF/SKIP does not silence them (Redis's CLIENT_PUSHING).
        let pushing = matches!(reply, Reply::Push(_));
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
}
