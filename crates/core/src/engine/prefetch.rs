//! Batch prefetch for pipelines: before a client's parsed batch runs, the
//! keyspace entries of its commands' first keys are requested from memory
//! together, so the cache misses of a lookup (bucket slot, entry, key bytes,
//! the value's heap block) overlap across the batch instead of stalling each
//! command in turn (the idea of Valkey 8's batched key prefetching). Only a
//! hint to the CPU: what runs and what it sees are unchanged.

use super::Engine;
use crate::client::ClientId;
use crate::dict::PREFETCH_MAX;
use crate::value::Value;
use bytes::Bytes;

impl Engine {
    /// Prefetches the first key of each of the first [`PREFETCH_MAX`]
    /// commands in `batch` (commands of `client`, in its selected database;
    /// a front end running a deeper pipeline calls again every
    /// `PREFETCH_MAX` commands); commands without keys and unknown names are
    /// skipped.
    pub fn prefetch_batch<'a>(
        &mut self,
        client: ClientId,
        batch: impl Iterator<Item = &'a [Bytes]>,
    ) {
        let Some(db) = self.clients.get(&client).map(|c| c.db) else {
            return;
        };
        let mut keys: [&[u8]; PREFETCH_MAX] = [&[]; PREFETCH_MAX];
        let mut n = 0;
        for argv in batch.take(PREFETCH_MAX) {
            let Some(cmd) = argv.first().and_then(|name| self.lookup_memo(name)) else {
                continue;
            };
            if let Some(key) = usize::try_from(cmd.first_key)
                .ok()
                .filter(|&i| i > 0)
                .and_then(|i| argv.get(i))
            {
                keys[n] = key;
                n += 1;
            }
        }
        if n > 1 {
            if let Some(db) = self.dbs.get(db) {
                db.keys.prefetch(&keys[..n], Value::heap_ptr);
            }
        }
    }
}
