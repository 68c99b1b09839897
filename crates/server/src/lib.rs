//! Ember's network front end: the tokio listener, connections, timers and the
//! process-level concerns (config files, logging, signals).

pub mod conn;
mod listener;

pub use listener::{start_background, Server, ServerHandle};

/// Entry point of the `ember-server` binary; returns the process exit code.
pub fn main_with_args(args: Vec<String>) -> i32 {
    let mut config = ember_core::Config::default();
    let mut i = 1;
    while i < args.len() {
        if args[i] == "--port" && i + 1 < args.len() {
            config.port = args[i + 1].parse().unwrap_or(6379);
            i += 1;
        }
        i += 1;
    }
    let engine = ember_core::Engine::builder().config(config).build();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let server = match Server::bind(engine).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("Failed listening: {e}");
                return 1;
            }
        };
        server.run().await;
        0
    })
}
