//! Command families. Each family file holds its handlers and a `commands()`
//! function returning its table rows; `all_commands` is the core table.

pub mod acl;
pub mod bitmaps;
pub mod blocking;
pub mod client;
pub mod client_tracking;
pub mod cluster;
pub mod command_info;
pub mod config;
pub mod connection;
pub mod expire;
pub mod geo;
pub mod hashes;
pub mod hello;
pub mod hyperloglog;
pub mod info;
pub mod keys;
pub mod latency;
pub mod lists;
pub mod lolwut;
pub mod memory;
pub mod module;
pub mod monitor;
pub mod object;
pub mod pause;
pub mod pubsub;
pub mod redact;
pub mod scan;
pub mod server;
pub mod sets;
pub mod slowlog;
pub mod sort;
pub mod strings;
pub mod transactions;
pub mod zsets;
pub mod zsets_pop;
pub mod zsets_range;
pub mod zsets_store;

use crate::command::Command;

/// Every command the core crate implements.
pub fn all_commands() -> Vec<Command> {
    let mut rows = Vec::new();
    rows.extend(acl::commands());
    rows.extend(bitmaps::commands());
    rows.extend(blocking::commands());
    rows.extend(client::commands());
    rows.extend(cluster::commands());
    rows.extend(command_info::commands());
    rows.extend(config::commands());
    rows.extend(connection::commands());
    rows.extend(expire::commands());
    rows.extend(hashes::commands());
    rows.extend(hello::commands());
    rows.extend(hyperloglog::commands());
    rows.extend(geo::commands());
    rows.extend(info::commands());
    rows.extend(keys::commands());
    rows.extend(latency::commands());
    rows.extend(lists::commands());
    rows.extend(lolwut::commands());
    rows.extend(memory::commands());
    rows.extend(module::commands());
    rows.extend(monitor::commands());
    rows.extend(object::commands());
    rows.extend(pubsub::commands());
    rows.extend(scan::commands());
    rows.extend(server::commands());
    rows.extend(sets::commands());
    rows.extend(slowlog::commands());
    rows.extend(sort::commands());
    rows.extend(strings::commands());
    rows.extend(transactions::commands());
    rows.extend(zsets::commands());
    rows
}
