//! Ember's persistence layer: one RDB codec over `std::io::Read`/`Write`,
//! shared by RDB files, DUMP/RESTORE payloads and (later) replication
//! transfers, and the commands that need it, registered into the engine's
//! command table by [`install`].
//!
//! Layers of the codec, bottom up:
//! - [`rio`]: lengths, strings (integer and LZF encodings), doubles, CRC-64;
//! - [`packed`]: listpack, ziplist, zipmap and intset blobs;
//! - [`codec`]: one value (type byte + body), every encoding since RDB v1;
//! - [`rdb`]: whole streams (header, AUX, databases, keys, EOF, checksum);
//! - [`dump`]: DUMP/RESTORE payloads.
//!
//! Untrusted input (files, RESTORE payloads, replication streams) is
//! rejected with an [`RdbError`], never a panic: every length is checked
//! against the input left, strings are allocated as their bytes arrive, and
//! collections grow only as elements are actually read.
//!
//! Server wiring: build the engine with [`install`], call [`load_file`] at
//! startup, [`cron`] from the server cron, and [`save_on_shutdown`] when the
//! engine asks to stop.

pub mod aof;
pub mod codec;
pub mod commands;
pub mod dump;
pub mod error;
pub mod lzf;
pub mod packed;
pub mod rdb;
pub mod reload;
pub mod rio;
pub mod save;
pub mod snapshot;

pub use commands::{commands, prepare_shutdown};
pub use error::RdbError;
pub use rdb::LoadStats;
pub use reload::load_file;
pub use save::{cron, save_on_shutdown};

use ember_core::{Engine, EngineBuilder};

/// Adds this layer to an engine under construction: its command rows (SAVE,
/// BGSAVE, DUMP, RESTORE, DEBUG with RELOAD) and the INFO persistence section.
pub fn install(builder: EngineBuilder) -> EngineBuilder {
    builder
        .commands(commands())
        .commands(aof::commands())
        .config_hook(aof::config_hook)
        .info_provider("Persistence", reload::info_section)
        .cron_hook(save::cron)
        .cron_hook(aof::cron)
        .disk_error_probe(commands::disk_error)
}

/// `install` then `build`, for embedders and tests.
pub fn build(builder: EngineBuilder) -> Engine {
    install(builder).build()
}

#[cfg(test)]
mod tests;
