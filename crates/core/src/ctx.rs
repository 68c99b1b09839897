//! The execution context a handler receives: the engine, the calling client and
//! the keyspace primitives every handler goes through. Keeping reads and writes
//! behind these methods is what lets expiry, statistics, keyspace events,
//! propagation and (later) WATCH invalidation live in one place.

use crate::client::Client;
use crate::command::Command;
use crate::db::Db;
use crate::engine::Engine;
use crate::error::CmdError;
use crate::events;
use crate::value::{StrValue, Value};
use bytes::Bytes;

pub struct Ctx<'a> {
    pub engine: &'a mut Engine,
    pub client_id: u64,
    /// Index of the client's selected database.
    pub db_index: usize,
    /// Time cached at command start, so one command sees one instant (as Redis's
    /// `commandTimeSnapshot`).
    pub now_ms: i64,
    pub cmd: &'a Command,
    /// Replaces the command's own argv when propagating (EXPIRE -> PEXPIREAT).
    pub(crate) rewritten: Option<Vec<Vec<Bytes>>>,
}

impl<'a> Ctx<'a> {
    pub fn db(&mut self) -> &mut Db {
        &mut self.engine.dbs[self.db_index]
    }

    pub fn db_at(&mut self, index: usize) -> &mut Db {
        &mut self.engine.dbs[index]
    }

    pub fn client(&mut self) -> &mut Client {
        self.engine
            .clients
            .get_mut(&self.client_id)
            .expect("calling client is registered")
    }

    /// Redis's checkAlreadyExpired: a write giving an absolute time at or
    /// before now deletes the key instead, except on a replica (its master
    /// sends the DEL) and while the dataset loads (an AOF replays the
    /// PEXPIREAT, and later writes find the key as they did then).
    pub fn already_expired(&self, at_ms: i64) -> bool {
        at_ms <= self.now_ms && !self.engine.is_replica && !self.engine.loading_dataset()
    }

    /// Deletes `key` if its TTL has passed; returns true if it did. Replicas keep
    /// the key (their master sends the DEL) but still report it as expired.
    pub fn expire_if_needed(&mut self, key: &[u8]) -> bool {
        let now = self.now_ms;
        let db = self.db_index;
        self.engine.expire_if_needed(db, key, now)
    }

    /// Lookup for reading: lazily expires, updates the key's access stamp
    /// (LRU/LFU), counts keyspace hits/misses and fires `keymiss`.
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&Value> {
        self.lookup_read_with(key, true, true)
    }

    /// `lookup_read` with Redis's LOOKUP_NOTOUCH (`touch` false: EXISTS, TYPE,
    /// TTL, OBJECT) and LOOKUP_NONOTIFY (`notify_miss` false) flags.
    pub fn lookup_read_with(
        &mut self,
        key: &[u8],
        touch: bool,
        notify_miss: bool,
    ) -> Option<&Value> {
        let db = self.db_index;
        let now = self.now_ms;
        let miss_event = notify_miss && self.engine.notify_flags & events::classes::KEY_MISS != 0;
        if self.expire_if_needed(key) || (miss_event && !self.engine.dbs[db].keys.contains_key(key))
        {
            self.engine.stats.keyspace_misses += 1;
            if miss_event {
                self.engine
                    .notify_keyspace_event(events::classes::KEY_MISS, "keymiss", key, db);
            }
            return None;
        }
        let engine = &mut *self.engine;
        match engine.dbs[db].keys.get_with_meta_mut(key) {
            Some((value, meta)) => {
                if touch {
                    meta.stamp = crate::cmd::object::touched(
                        &engine.config,
                        &mut engine.rng,
                        meta.stamp,
                        now,
                    );
                }
                engine.stats.keyspace_hits += 1;
                Some(&*value)
            }
            None => {
                engine.stats.keyspace_misses += 1;
                None
            }
        }
    }

    /// Lookup for writing: lazily expires and updates the access stamp; no
    /// statistics.
    pub fn lookup_write(&mut self, key: &[u8]) -> Option<&mut Value> {
        if self.expire_if_needed(key) {
            return None;
        }
        let now = self.now_ms;
        let engine = &mut *self.engine;
        let (value, stamp) = engine.dbs[self.db_index].get_with_stamp_mut(key)?;
        *stamp = crate::cmd::object::touched(&engine.config, &mut engine.rng, *stamp, now);
        Some(value)
    }

    /// Existence check that does not count as a hit or miss.
    pub fn exists(&mut self, key: &[u8]) -> bool {
        !self.expire_if_needed(key) && self.engine.dbs[self.db_index].keys.contains_key(key)
    }

    /// A string value for reading; `WRONGTYPE` for other types.
    pub fn read_str(&mut self, key: &[u8]) -> Result<Option<&StrValue>, CmdError> {
        match self.lookup_read(key) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            #[allow(unreachable_patterns)]
            Some(_) => Err(CmdError::WrongType),
        }
    }

    /// A string value for modification; `WRONGTYPE` for other types.
    pub fn write_str(&mut self, key: &[u8]) -> Result<Option<&mut StrValue>, CmdError> {
        match self.lookup_write(key) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            #[allow(unreachable_patterns)]
            Some(_) => Err(CmdError::WrongType),
        }
    }

    /// Stores `value` at `key` (Redis's setKey). Clears the TTL unless `keep_ttl`.
    pub fn set_key(&mut self, key: &[u8], value: Value, keep_ttl: bool) {
        let now = self.now_ms;
        let engine = &mut *self.engine;
        let (config, rng) = (&engine.config, &mut engine.rng);
        // An overwrite counts as an access of the old value (Redis's setKey does
        // lookupKeyWrite, and under LFU the new value inherits the counter).
        let mut added = false;
        engine.dbs[self.db_index].insert_stamped(key, value, keep_ttl, |old| match old {
            Some(s) => crate::cmd::object::replaced(config, rng, s, now),
            None => {
                added = true;
                crate::cmd::object::new_stamp(config, now)
            }
        });
        if added {
            // Redis's dbAdd announces every key it creates (`n` class) and
            // wakes the clients blocked on it.
            self.notify(events::classes::NEW, "new", key);
            let db = self.db_index;
            self.engine.signal_key_added(db, key);
        }
        self.signal_modified(key);
    }

    /// Deletes `key` (if present and not expired); true if something was removed.
    pub fn delete_key(&mut self, key: &[u8]) -> bool {
        if self.expire_if_needed(key) {
            return false;
        }
        let removed = self.engine.dbs[self.db_index].delete(key);
        if removed {
            self.signal_modified(key);
        }
        removed
    }

    /// Sets an absolute expiry in ms on an existing key.
    pub fn set_expire(&mut self, key: &[u8], at_ms: i64) {
        self.engine.dbs[self.db_index].set_expire(key, at_ms);
        self.signal_modified(key);
    }

    pub fn expire_of(&self, key: &[u8]) -> Option<i64> {
        self.engine.dbs[self.db_index].expire_of(key)
    }

    /// Marks a key as changed by a command: the single point where WATCH
    /// invalidation and client-side caching will hook in.
    pub fn signal_modified(&mut self, key: &[u8]) {
        let db = self.db_index;
        self.engine.signal_modified_key(db, key);
    }

    /// Counts changes for `rdb_changes_since_last_save`; a command that adds to
    /// dirty is propagated.
    pub fn dirty(&mut self, n: u64) {
        self.engine.dirty += n;
    }

    /// Publishes a keyspace event (`class` from [`events`]) if enabled.
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        let db = self.db_index;
        self.engine.notify_keyspace_event(class, event, key, db);
    }

    /// Propagates `argv` instead of the command as received (may be called
    /// several times to emit several commands, as Redis's alsoPropagate).
    pub fn propagate_as(&mut self, argv: Vec<Bytes>) {
        self.rewritten.get_or_insert_with(Vec::new).push(argv);
    }

    /// Propagates the command even if it did not increment dirty (Redis's
    /// forceCommandPropagation).
    pub fn force_propagation(&mut self) {
        self.engine.force_propagation = true;
    }

    /// Propagates nothing even though dirty was incremented.
    pub fn propagate_nothing(&mut self) {
        self.rewritten = Some(Vec::new());
    }
}

/// Keyspace-event class flags, as `notify-keyspace-events` letters name them.
pub use events::classes;
