//! Replication plumbing of the front end: the task that moves the master's
//! command stream into replica connections as soon as it is produced.

use ember_core::Engine;
use parking_lot::Mutex;
use std::sync::Arc;
use tokio::sync::Notify;

/// Starts the stream flusher: the propagation sink wakes it, and it hands
/// queued stream bytes to the replica clients under the engine lock.
pub fn spawn_flusher(engine: Arc<Mutex<Engine>>) {
    let notify = Arc::new(Notify::new());
    let n = notify.clone();
    ember_replication::set_notifier(&mut engine.lock(), Arc::new(move || n.notify_one()));
    tokio::spawn(async move {
        loop {
            notify.notified().await;
            ember_replication::flush(&mut engine.lock());
        }
    });
}

/// Hands the shared engine to the replication layer once listening on
/// `port` (REPLICAOF starts link threads with it), and starts the link when
/// the configuration has `replicaof`.
pub fn start_replica_link(engine: Arc<Mutex<Engine>>, port: u16) {
    ember_replication::replica::register(&engine, port);
}
