//! Propagation: writes in deterministic form to the sinks (AOF, the
//! replication stream), collected while EXEC runs to leave as one unit.

use super::{Engine, PropagationSink};
use bytes::Bytes;

impl Engine {
    pub fn add_propagation_sink(&mut self, sink: PropagationSink) {
        self.sinks.push(sink);
    }

    /// A sink for the replication stream: it also gets the writes
    /// propagated to replicas only (`propagate_repl_only`).
    pub fn add_replication_sink(&mut self, sink: PropagationSink) {
        self.repl_sinks.push(sink);
    }

    /// The replication stream's offset, when a replication layer keeps one.
    pub fn repl_offset_now(&self) -> Option<u64> {
        self.repl_offset
            .as_ref()
            .map(|a| a.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Hands a write to every propagation sink (AOF, replicas, MONITOR-like tools).
    pub fn propagate(&mut self, db: usize, argv: &[Bytes]) {
        self.propagate_op(db, argv, false);
    }

    /// Propagates to replicas only, never to the AOF (Redis's
    /// PROPAGATE_REPL: PUBLISH); inside EXEC it joins the transaction.
    pub fn propagate_repl_only(&mut self, db: usize, argv: &[Bytes]) {
        self.propagate_op(db, argv, true);
    }

    pub(crate) fn propagate_op(&mut self, db: usize, argv: &[Bytes], repl_only: bool) {
        if let Some(buf) = self.prop_buffer.as_mut() {
            buf.push((db, argv.to_vec(), repl_only));
            return;
        }
        if !repl_only {
            for sink in self.sinks.iter_mut() {
                sink(db, argv);
            }
        }
        for sink in self.repl_sinks.iter_mut() {
            sink(db, argv);
        }
    }
}
