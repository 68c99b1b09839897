//! Ember: a Redis-compatible in-memory data server, embeddable as a library.
//!
//! Two ways to embed it:
//! - [`Ember`]: execute commands in-process, with no socket, and get typed [`Reply`] values;
//! - [`start_server`]: run a real RESP server on a port (0 = ephemeral) on a background
//!   thread with its own tokio runtime, e.g. for an application's integration tests.
//!
//! ```
//! let mut db = ember::Ember::new();
//! assert_eq!(db.execute(["SET", "greeting", "hello"]), ember::Reply::OK);
//! assert_eq!(db.execute(["GET", "greeting"]), ember::Reply::bulk("hello"));
//! ```

/// Live-byte accounting for `maxmemory`: an embedder that sets `maxmemory`
/// should install `CountingAlloc` as its `#[global_allocator]` and hand
/// `counted_bytes` to `set_used_memory_probe`; without it, used memory is the
/// process RSS (which does not shrink when keys are freed).
pub use ember_core::evict::{counted_bytes, set_used_memory_probe, CountingAlloc, GlibcClasses};
pub use ember_core::{
    Bytes, ClientId, Clock, CmdError, Config, Engine, EngineBuilder, ManualClock, Proto, Reply,
    SystemClock,
};
/// RDB persistence: the codec, SAVE/BGSAVE/DUMP/RESTORE, file loading.
pub use ember_persistence as persistence;
pub use ember_server::{start_background, ServerHandle};

use std::sync::Arc;

/// An in-process Ember instance with one client session.
pub struct Ember {
    engine: Engine,
    client: ClientId,
}

impl Default for Ember {
    fn default() -> Self {
        Self::new()
    }
}

impl Ember {
    /// An instance with default configuration (16 databases) and the system clock.
    pub fn new() -> Self {
        Self::from_engine(builder().build())
    }

    pub fn with_config(config: Config) -> Self {
        Self::from_engine(builder().config(config).build())
    }

    /// An instance whose time only moves when the given clock does (for tests of expiry).
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self::from_engine(builder().clock(clock).build())
    }

    pub fn from_engine(mut engine: Engine) -> Self {
        // No shared handle here for a replica link thread: REPLICAOF host
        // port answers an error instead of recording a master.
        ember_replication::replica::mark_embedded(&mut engine);
        let client = engine.add_client();
        // Nothing else runs on this engine to wake a blocked caller, so blocking
        // commands answer as on timeout (as they do inside MULTI).
        if let Some(c) = engine.client_mut(client) {
            c.deny_blocking = true;
        }
        Ember { engine, client }
    }

    /// Executes one command (`["SET", "k", "v"]`) and returns its reply.
    pub fn execute<I, A>(&mut self, argv: I) -> Reply
    where
        I: IntoIterator<Item = A>,
        A: AsRef<[u8]>,
    {
        let argv: Vec<Bytes> = argv
            .into_iter()
            .map(|a| Bytes::copy_from_slice(a.as_ref()))
            .collect();
        // `None` only when the client turned replies off with CLIENT REPLY.
        self.engine
            .execute(self.client, &argv)
            .unwrap_or(Reply::Nil)
    }

    /// The engine, for advanced use (more clients, cron, direct keyspace access).
    pub fn engine(&mut self) -> &mut Engine {
        &mut self.engine
    }

    /// Runs periodic housekeeping (active expiry) once, as the server's timer does.
    pub fn tick(&mut self) {
        self.engine.cron();
    }
}

/// Starts a RESP server for `config` on a background thread; `config.port = 0`
/// picks a free port, reported by [`ServerHandle::port`]. Dropping the handle stops it.
pub fn start_server(config: Config) -> std::io::Result<ServerHandle> {
    start_background(builder().config(config).build())
}

/// An engine builder with every layer's commands installed (core plus
/// persistence: SAVE, BGSAVE, DUMP, RESTORE, BGREWRITEAOF ...).
pub fn builder() -> EngineBuilder {
    ember_replication::install(ember_persistence::install(Engine::builder()))
}
