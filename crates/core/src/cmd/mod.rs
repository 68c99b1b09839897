//! Command families. Each family file holds its handlers and a `commands()`
//! function returning its table rows; `all_commands` is the core table.

pub mod bitmaps;
pub mod client;
pub mod command_info;
pub mod config;
pub mod connection;
pub mod expire;
pub mod hello;
pub mod info;
pub mod keys;
pub mod object;
pub mod scan;
pub mod server;
pub mod strings;

use crate::command::Command;

/// Every command the core crate implements.
pub fn all_commands() -> Vec<Command> {
    let mut rows = Vec::new();
    rows.extend(bitmaps::commands());
    rows.extend(client::commands());
    rows.extend(command_info::commands());
    rows.extend(config::commands());
    rows.extend(connection::commands());
    rows.extend(expire::commands());
    rows.extend(hello::commands());
    rows.extend(info::commands());
    rows.extend(keys::commands());
    rows.extend(object::commands());
    rows.extend(scan::commands());
    rows.extend(server::commands());
    rows.extend(strings::commands());
    rows
}
