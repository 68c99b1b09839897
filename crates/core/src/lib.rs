//! Ember's core: keyspace, values, expiry, the command table and every handler.
//!
//! Synchronous and free of I/O: the server crate feeds it parsed commands and
//! writes back the [`Reply`] values it returns; embedders call it directly.

pub mod acl;
pub mod args;
pub mod blocking;
pub mod client;
pub mod client_memory;
pub mod clock;
pub mod cmd;
pub mod command;
pub mod command_docs;
pub mod compact;
pub mod config;
pub mod config_rewrite;
pub mod config_table;
pub mod ctx;
pub mod db;
pub mod dict;
pub mod digest;
pub mod engine;
pub mod error;
pub mod events;
pub mod evict;
pub mod expire;
pub mod ext;
pub mod glob;
pub mod latency;
pub mod long_double;
pub mod multi;
pub mod pack;
pub mod pqsort;
pub mod pubsub;
pub mod snapshot;
pub mod sparkline;
pub mod stats;
#[cfg(test)]
pub(crate) mod testkit;
pub mod tracking;
pub mod ttl_index;
pub mod types;
pub mod value;

/// The Redis version Ember is compatible with (HELLO, INFO `redis_version`).
pub const REDIS_VERSION: &str = "7.0.15";

pub use bytes::Bytes;
pub use client::ClientId;
pub use clock::{Clock, ManualClock, SystemClock};
pub use command::{Command, CommandTable};
pub use config::Config;
pub use ctx::Ctx;
pub use ember_resp::{Proto, Reply};
pub use engine::{Engine, EngineBuilder};
pub use error::{CmdError, CmdResult};
