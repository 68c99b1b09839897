//! Ember's core: keyspace, values, expiry, the command table and every handler.
//!
//! Synchronous and free of I/O: the server crate feeds it parsed commands and
//! writes back the [`Reply`] values it returns; embedders call it directly.

pub mod args;
pub mod client;
pub mod clock;
pub mod cmd;
pub mod command;
pub mod config;
pub mod ctx;
pub mod db;
pub mod dict;
pub mod engine;
pub mod error;
pub mod events;
pub mod expire;
pub mod stats;
pub mod value;

pub use bytes::Bytes;
pub use client::ClientId;
pub use clock::{Clock, ManualClock, SystemClock};
pub use command::{Command, CommandTable};
pub use config::Config;
pub use ctx::Ctx;
pub use ember_resp::{Proto, Reply};
pub use engine::{Engine, EngineBuilder};
pub use error::{CmdError, CmdResult};
