//! Command families. Each family file holds its handlers and a `commands()`
//! function returning its table rows; `all_commands` is the core table.

pub mod connection;
pub mod strings;

use crate::command::Command;

/// Every command the core crate implements.
pub fn all_commands() -> Vec<Command> {
    let mut rows = Vec::new();
    rows.extend(connection::commands());
    rows.extend(strings::commands());
    rows
}
