//! Transactions: a client's MULTI state (queued commands, abort flags, watched
//! keys) and the engine-wide WATCH registry that key modifications consult
//! (Redis's multi.c). The commands themselves live in `cmd/transactions.rs`.

use crate::client::ClientId;
use crate::command::Command;
use crate::engine::Engine;
use crate::error::CmdError;
use ahash::AHashMap;
use bytes::Bytes;
use ember_resp::Reply;

/// A command queued between MULTI and EXEC, already looked up and checked.
pub struct Queued {
    pub cmd: &'static Command,
    pub argv: Vec<Bytes>,
    /// Words before the first argument (1, or 2 for a subcommand).
    pub skip: usize,
}

/// One key a client WATCHes.
pub struct Watched {
    pub db: usize,
    pub key: Bytes,
    /// The key was already logically expired when watched: its deletion is no
    /// change (Redis's watchedKey.expired).
    pub expired: bool,
}

/// Per-client transaction state.
#[derive(Default)]
pub struct TxState {
    /// Between MULTI and the end of EXEC/DISCARD (Redis's CLIENT_MULTI).
    pub active: bool,
    pub queue: Vec<Queued>,
    /// A watched key was modified (CLIENT_DIRTY_CAS): EXEC answers a null array.
    pub dirty_cas: bool,
    /// A command was refused while queueing (CLIENT_DIRTY_EXEC): EXEC aborts.
    pub dirty_exec: bool,
    /// `multi-mem` of CLIENT LIST: argument bytes plus a pointer per argument.
    pub mem: usize,
    pub watched: Vec<Watched>,
}

/// Which clients watch which keys, per database.
#[derive(Default)]
pub struct WatchRegistry {
    dbs: Vec<AHashMap<Bytes, Vec<ClientId>>>,
    /// Watched (client, key) pairs in all databases; 0 makes every hook free.
    count: usize,
}

impl WatchRegistry {
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn watchers(&self, db: usize, key: &[u8]) -> Option<&Vec<ClientId>> {
        self.dbs.get(db)?.get(key)
    }

    fn add(&mut self, db: usize, key: &Bytes, id: ClientId) {
        if self.dbs.len() <= db {
            self.dbs.resize_with(db + 1, AHashMap::new);
        }
        self.dbs[db].entry(key.clone()).or_default().push(id);
        self.count += 1;
    }

    fn remove(&mut self, db: usize, key: &[u8], id: ClientId) {
        let Some(map) = self.dbs.get_mut(db) else {
            return;
        };
        if let Some(ids) = map.get_mut(key) {
            if let Some(pos) = ids.iter().position(|&c| c == id) {
                ids.remove(pos);
                self.count -= 1;
            }
            if ids.is_empty() {
                map.remove(key);
            }
        }
    }

    /// Keys watched in database `db`.
    fn keys_in(&self, db: usize) -> Vec<Bytes> {
        self.dbs
            .get(db)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// Commands that run at once inside MULTI instead of being queued.
pub fn runs_immediately(cmd: &Command) -> bool {
    matches!(
        cmd.name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

pub fn in_multi(engine: &Engine, id: ClientId) -> bool {
    engine.clients.get(&id).is_some_and(|c| c.tx.active)
}

/// A command was refused while the client is in MULTI: EXEC will abort
/// (Redis's flagTransaction).
pub fn flag_transaction(engine: &mut Engine, id: ClientId) {
    if let Some(c) = engine.clients.get_mut(&id) {
        if c.tx.active {
            c.tx.dirty_exec = true;
        }
    }
}

/// Queues a checked command and answers `+QUEUED`. Once the transaction is
/// doomed (a watched key changed, or a command was refused) nothing more is
/// stored, as in Redis.
pub fn queue(
    engine: &mut Engine,
    id: ClientId,
    cmd: &'static Command,
    argv: &[Bytes],
    skip: usize,
) -> Reply {
    if let Some(c) = engine.clients.get_mut(&id) {
        if !(c.tx.dirty_cas || c.tx.dirty_exec) {
            c.tx.mem += argv.iter().map(|a| a.len() + 8).sum::<usize>();
            c.tx.queue.push(Queued {
                cmd,
                argv: argv.to_vec(),
                skip,
            });
        }
    }
    Reply::status("QUEUED")
}

/// EXEC refused before running (wrong arity, NOAUTH ...): the transaction is
/// discarded and the refusal reported inside an EXECABORT error (Redis's
/// execCommandAbort, which drops a leading `ERR`).
pub fn exec_abort(engine: &mut Engine, id: ClientId, err: CmdError) -> Reply {
    discard(engine, id);
    let text = err.text();
    let reason = text.strip_prefix("ERR ").unwrap_or(&text);
    Reply::error(format!(
        "EXECABORT Transaction discarded because of: {reason}"
    ))
}

/// Ends the transaction without running it and unwatches every key (Redis's
/// discardTransaction).
pub fn discard(engine: &mut Engine, id: ClientId) {
    if let Some(c) = engine.clients.get_mut(&id) {
        c.tx.active = false;
        c.tx.queue.clear();
        c.tx.dirty_cas = false;
        c.tx.dirty_exec = false;
        c.tx.mem = 0;
    }
    unwatch_all(engine, id);
}

/// Starts watching `key` in `db` for client `id` (no-op if already watched).
pub fn watch(engine: &mut Engine, id: ClientId, db: usize, key: &Bytes, now_ms: i64) {
    let expired =
        engine.dbs[db].keys().contains_key(&key[..]) && engine.dbs[db].is_expired(key, now_ms);
    let Some(c) = engine.clients.get_mut(&id) else {
        return;
    };
    if c.tx.watched.iter().any(|w| w.db == db && w.key == *key) {
        return;
    }
    c.tx.watched.push(Watched {
        db,
        key: key.clone(),
        expired,
    });
    engine.watches.add(db, key, id);
}

/// Forgets every key client `id` watches (its dirty flag is the caller's business).
pub fn unwatch_all(engine: &mut Engine, id: ClientId) {
    let Some(c) = engine.clients.get_mut(&id) else {
        return;
    };
    if c.tx.watched.is_empty() {
        return;
    }
    for w in std::mem::take(&mut c.tx.watched) {
        engine.watches.remove(w.db, &w.key, id);
    }
}

/// Marks a client's transaction as failed and drops its watches: further
/// changes cannot matter.
fn make_dirty(engine: &mut Engine, id: ClientId) {
    if let Some(c) = engine.clients.get_mut(&id) {
        c.tx.dirty_cas = true;
    }
    unwatch_all(engine, id);
}

/// A key changed (Redis's touchWatchedKey); called after the change.
pub fn touch_key(engine: &mut Engine, db: usize, key: &[u8]) {
    if engine.watches.is_empty() {
        return;
    }
    let Some(ids) = engine.watches.watchers(db, key) else {
        return;
    };
    let ids = ids.clone();
    let exists = engine.dbs[db].keys().contains_key(key);
    for id in ids {
        let Some(c) = engine.clients.get_mut(&id) else {
            continue;
        };
        let Some(w) = c.tx.watched.iter_mut().find(|w| w.db == db && w.key == key) else {
            continue;
        };
        if w.expired && !exists {
            // An already expired key was deleted: logically nothing changed.
            w.expired = false;
            continue;
        }
        make_dirty(engine, id);
    }
}

/// Database `emptied` loses its keys (FLUSHDB/FLUSHALL, `replaced_with`
/// None) or gets database `replaced_with`'s contents (SWAPDB); called before
/// the change. Watchers of keys that exist before or after are dirtied, with
/// Redis's care for keys that are logically expired on either side.
pub fn touch_all_in_db(
    engine: &mut Engine,
    emptied: usize,
    replaced_with: Option<usize>,
    now_ms: i64,
) {
    if engine.watches.is_empty() {
        return;
    }
    for key in engine.watches.keys_in(emptied) {
        let in_emptied = engine.dbs[emptied].keys().contains_key(&key[..]);
        let in_replacement =
            replaced_with.is_some_and(|r| engine.dbs[r].keys().contains_key(&key[..]));
        if !in_emptied && !in_replacement {
            continue;
        }
        let replacement_expired =
            replaced_with.is_some_and(|r| engine.dbs[r].is_expired(&key, now_ms));
        let ids = engine
            .watches
            .watchers(emptied, &key)
            .cloned()
            .unwrap_or_default();
        for id in ids {
            let Some(c) = engine.clients.get_mut(&id) else {
                continue;
            };
            let Some(w) =
                c.tx.watched
                    .iter_mut()
                    .find(|w| w.db == emptied && w.key == key)
            else {
                continue;
            };
            if w.expired {
                if !in_replacement {
                    // The expired key is now deleted: no logical change.
                    w.expired = false;
                    continue;
                } else if replacement_expired {
                    continue; // Still expired.
                }
            } else if !in_emptied && replacement_expired {
                // A missing key is replaced by an expired one.
                w.expired = true;
                continue;
            }
            make_dirty(engine, id);
        }
    }
}

/// True if a watched key that was alive when watched is now logically
/// expired (EXEC then fails even though nobody deleted it yet).
pub fn watched_key_expired(engine: &Engine, id: ClientId, now_ms: i64) -> bool {
    engine.clients.get(&id).is_some_and(|c| {
        c.tx.watched
            .iter()
            .any(|w| !w.expired && engine.dbs[w.db].is_expired(&w.key, now_ms))
    })
}

/// Cleans up a departing client's watches.
pub fn forget_client(engine: &mut Engine, id: ClientId) {
    unwatch_all(engine, id);
}
