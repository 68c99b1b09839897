//! Keyspace hooks: lazy expiry, the signals of modified keys and flushed or
//! swapped databases (WATCH, blocked clients), and keyspace events.

use super::{Engine, EventSink};
use crate::client::ClientId;
use crate::events::KeyspaceEvent;
use bytes::Bytes;

impl Engine {
    pub fn set_event_sink(&mut self, sink: EventSink) {
        self.event_sink = Some(sink);
    }

    /// Runs the upper layers' config hooks after the config changed from
    /// `before` (CONFIG SET, REPLICAOF). When one fails, the config goes back
    /// to `before` and the hooks run again from the new values to the old,
    /// undoing what those before it applied (Redis's restoreBackupConfig);
    /// the failure's text is returned.
    pub fn apply_config_hooks(&mut self, before: crate::Config) -> Result<(), String> {
        for hook in self.config_hooks.clone() {
            if let Err(text) = hook(self, &before) {
                let failed = std::mem::replace(&mut self.config, before);
                for undo in self.config_hooks.clone() {
                    let _ = undo(self, &failed);
                }
                return Err(text);
            }
        }
        Ok(())
    }

    /// True while a dataset loads: an RDB at startup or an AOF replaying
    /// (Redis's server.loading).
    #[inline]
    pub fn loading_dataset(&self) -> bool {
        self.loading || self.replay_client.is_some()
    }

    /// Lazy expiry (Redis's expireIfNeeded): true if the key is logically expired.
    #[inline]
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8], now_ms: i64) -> bool {
        // Inlined up to here: most lookups are in a database without TTLs.
        if self.dbs[db].expires_count() == 0 {
            return false;
        }
        self.expire_if_needed_volatile(db, key, now_ms)
    }

    fn expire_if_needed_volatile(&mut self, db: usize, key: &[u8], now_ms: i64) -> bool {
        // Nothing expires while the dataset loads (Redis's keyIsExpired): an
        // AOF's writes to a key past its TTL find it as they did when logged.
        if !self.dbs[db].is_expired(key, now_ms) || self.loading_dataset() {
            return false;
        }
        // Replicas wait for their master's DEL; during CLIENT PAUSE the dataset
        // stays constant (Redis's checkClientPauseTimeoutAndReturnIfPaused).
        if self.is_replica && self.in_master_stream {
            return false;
        }
        if self.is_replica || crate::cmd::pause::is_paused(self) {
            return true;
        }
        self.delete_expired(db, key);
        true
    }

    /// Removes an expired key: statistics, the `expired` event and a propagated DEL.
    pub fn delete_expired(&mut self, db: usize, key: &[u8]) {
        // The deletion alone is timed for the latency monitor's "expire-del"
        // (a large value is freed right here), and only while it is on.
        let started = (self.config.latency_monitor_threshold > 0).then(std::time::Instant::now);
        if !self.dbs[db].delete(key) {
            return;
        }
        if let Some(started) = started {
            let took_ms = started.elapsed().as_millis() as u64;
            crate::cmd::latency::add_sample_if_needed(self, "expire-del", took_ms);
        }
        self.stats.expired_keys += 1;
        self.signal_removed_by_server(db, key);
        self.notify_keyspace_event(crate::events::classes::EXPIRED, "expired", key, db);
        // Redis's propagateDeletion: UNLINK under lazyfree-lazy-expire.
        let verb: &'static [u8] = if self.config.lazyfree_lazy_expire {
            b"UNLINK"
        } else {
            b"DEL"
        };
        let del = [Bytes::from_static(verb), Bytes::copy_from_slice(key)];
        self.propagate(db, &del);
    }

    /// Hook for WATCH invalidation (transactions) and tracking; see `Ctx::signal_modified`.
    pub fn signal_modified_key(&mut self, db: usize, key: &[u8]) {
        let by = self.current_client();
        self.signal_modified_key_by(db, key, by);
    }

    /// `signal_modified_key` for a key the server itself removed (expiry,
    /// eviction): client-side caching credits the change to no client, as
    /// Redis's signalModifiedKey(NULL, ...) there.
    pub(crate) fn signal_removed_by_server(&mut self, db: usize, key: &[u8]) {
        self.signal_modified_key_by(db, key, None);
    }

    /// A key was created (Redis's dbAdd, which calls signalKeyAsReady):
    /// clients blocked on it get a look after the command. Only creation
    /// wakes them, as in Redis: a value written over a key of another type
    /// (SORT ... STORE, ZUNIONSTORE over a string) leaves them blocked.
    pub fn signal_key_added(&mut self, db: usize, key: &[u8]) {
        crate::blocking::signal_key(self, db, key);
    }

    fn signal_modified_key_by(&mut self, db: usize, key: &[u8], by: Option<ClientId>) {
        crate::multi::touch_key(self, db, key);
        if self.tracking.is_active() {
            crate::tracking::invalidate_key(self, by, key);
        }
    }

    /// Hook for WATCH invalidation when a whole database is emptied (FLUSHDB,
    /// FLUSHALL: `None` = every database), before its keys are dropped.
    pub fn signal_flushed_db(&mut self, db: Option<usize>) {
        let now = self.now_ms();
        let dbs = match db {
            Some(d) => d..d + 1,
            None => 0..self.dbs.len(),
        };
        for d in dbs {
            crate::multi::touch_all_in_db(self, d, None, now);
        }
        crate::tracking::invalidate_all(self);
    }

    /// Hook for WATCH invalidation when SWAPDB exchanged two databases' contents.
    /// Called before the swap.
    pub fn signal_swapped_dbs(&mut self, a: usize, b: usize) {
        let now = self.now_ms();
        crate::multi::touch_all_in_db(self, a, Some(b), now);
        crate::multi::touch_all_in_db(self, b, Some(a), now);
        // Keys waited on in either database may exist after the swap.
        crate::blocking::signal_db(self, a);
        crate::blocking::signal_db(self, b);
    }

    pub fn notify_keyspace_event(&mut self, class: u32, event: &str, key: &[u8], db: usize) {
        if self.notify_flags & class == 0 {
            return;
        }
        if let Some(sink) = self.event_sink.as_mut() {
            sink(&KeyspaceEvent {
                class,
                event: event.to_string(),
                key: key.to_vec(),
                db,
            });
        }
        crate::pubsub::notify_keyspace_event(self, event, key, db);
    }
}
