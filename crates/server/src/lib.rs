//! Ember's network front end: the tokio listener, connections, timers and the
//! process-level concerns (config files, logging, signals).

mod background;
pub mod config_file;
pub mod conn;
mod listener;
pub mod logging;
mod oom;
mod poll;
mod rebind;
pub mod replica_link;
mod startup;

pub use listener::{start_background, BindError, Server, ServerHandle};
pub use startup::{load_config, main_with_args, run};
