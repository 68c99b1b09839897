//! Blocking commands' engine side (Redis's blocked.c): which clients wait on
//! which keys, in arrival order, their deadlines, and the keys that became
//! ready during the last command.
//!
//! A handler that finds nothing to pop calls [`Ctx::block`] and returns; the
//! engine then parks the client with the command's argv. When a key a client
//! waits on is modified and holds a value of the awaited type after the
//! command, the engine runs the parked command again through the normal
//! dispatch path, telling the handler (via [`Ctx::keys_to_try`]) to look only
//! at the key that became ready, as Redis 7.0 serves a client from that key.
//! The reply goes out with `push_to_client`. So each command has one code
//! path: the re-run is the command itself.

use crate::client::ClientId;
use crate::ctx::Ctx;
use crate::engine::Engine;
use crate::error::{CmdError, CmdResult};
use crate::value::Value;
use ahash::{AHashMap, AHashSet};
use bytes::Bytes;
use ember_resp::Reply;
use std::collections::{BTreeSet, VecDeque};

/// What a client waits for (Redis's BLOCKED_LIST / BLOCKED_ZSET): a key
/// becoming ready with another type does not wake it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockKind {
    List,
    ZSet,
}

impl BlockKind {
    fn matches(self, v: &Value) -> bool {
        matches!(
            (self, v),
            (BlockKind::List, Value::List(_)) | (BlockKind::ZSet, Value::ZSet(_))
        )
    }
}

/// A parked client: what it waits for and the command to run again.
pub struct BlockState {
    pub kind: BlockKind,
    pub db: usize,
    pub keys: Vec<Bytes>,
    /// Absolute deadline in ms; `None` waits forever.
    pub deadline: Option<i64>,
    pub argv: Vec<Bytes>,
}

/// Set by [`Ctx::block`] while a handler runs; the engine turns it into a
/// [`BlockState`] once the command returns.
pub struct BlockRequest {
    kind: BlockKind,
    keys: Vec<Bytes>,
    deadline: Option<i64>,
}

#[derive(Default)]
pub struct BlockRegistry {
    /// Per database: key -> clients waiting on it, first blocked first.
    by_key: Vec<AHashMap<Bytes, VecDeque<ClientId>>>,
    /// (deadline, client) of clients with a timeout.
    timeouts: BTreeSet<(i64, ClientId)>,
    /// Keys with waiters that were modified, in signal order (deduplicated).
    ready: Vec<(usize, Bytes)>,
    ready_set: AHashSet<(usize, Bytes)>,
    pub(crate) request: Option<BlockRequest>,
    /// The key being served while a parked command runs again.
    serving: Option<(usize, Bytes)>,
    blocked: usize,
    /// The timeout reply of waits an upper layer owns (WAIT: the count of
    /// acknowledging replicas); None falls back to the null array.
    pub timeout_reply: Option<TimeoutReply>,
}

/// Asked for the reply of a client unblocked as on timeout (CLIENT UNBLOCK).
pub type TimeoutReply = fn(&mut Engine, ClientId) -> Option<Reply>;

impl BlockRegistry {
    /// Clients currently blocked (INFO `blocked_clients`).
    pub fn blocked_clients(&self) -> usize {
        self.blocked
    }

    /// Blocked clients with a timeout (INFO `clients_in_timeout_table`).
    pub fn clients_with_timeout(&self) -> usize {
        self.timeouts.len()
    }

    /// True while a blocked command runs again to be served.
    pub fn is_rerun(&self) -> bool {
        self.serving.is_some()
    }

    /// The earliest deadline of a blocked client, so a front end can wake up
    /// on time (ms, engine clock).
    pub fn next_deadline(&self) -> Option<i64> {
        self.timeouts.first().map(|&(d, _)| d)
    }

    fn waiters(&self, db: usize, key: &[u8]) -> Option<&VecDeque<ClientId>> {
        self.by_key.get(db)?.get(key)
    }

    fn mark_ready(&mut self, db: usize, key: Bytes) {
        if self.ready_set.insert((db, key.clone())) {
            self.ready.push((db, key));
        }
    }
}

/// Parses a blocking timeout in seconds (a long double, as Redis) into an
/// absolute deadline in ms; `None` is "forever" (0). Redis computes
/// `ceill(ftval * 1000.0)` in x87 precision, so a tiny positive timeout
/// still times out, and a product past `LLONG_MAX` converts to `LLONG_MIN`
/// ("negative"); a deadline past the end of time never comes.
pub fn parse_timeout(arg: &[u8], now_ms: i64) -> Result<Option<i64>, CmdError> {
    let ld = crate::long_double::LongDouble::parse(arg)
        .ok_or_else(|| CmdError::err("timeout is not a float or out of range"))?;
    let negative = || CmdError::err("timeout is negative");
    let ms = ms_of_seconds(ld.to_bits()).ok_or_else(negative)?;
    if ms < 0 {
        return Err(negative());
    }
    if ms == 0 {
        return Ok(None);
    }
    Ok(ms.checked_add(now_ms))
}

/// `(long long) ceill(x * 1000.0L)` for the x87 value with memory image
/// `bits`; `None` where C's conversion overflows (infinities included).
fn ms_of_seconds(bits: u128) -> Option<i64> {
    let neg = (bits >> 79) & 1 == 1;
    let biased = ((bits >> 64) & 0x7fff) as i64;
    let mant = bits as u64;
    if biased == 0x7fff {
        return None;
    }
    if mant == 0 {
        return Some(0);
    }
    // value = mant * 2^sh; the product by 1000 is exact in 128 bits, then
    // rounded to a 64-bit significand (nearest, ties to even) as `fmul` does.
    let mut sh = biased.max(1) - 16383 - 63;
    let mut prod = u128::from(mant) * 1000;
    let width = 128 - prod.leading_zeros() as i64;
    if width > 64 {
        let drop = (width - 64) as u32;
        let half = 1u128 << (drop - 1);
        let rest = prod & ((1u128 << drop) - 1);
        prod >>= drop;
        if rest > half || (rest == half && prod & 1 == 1) {
            prod += 1;
        }
        sh += i64::from(drop);
    }
    // Ceiling toward +inf: for a negative value that is truncation.
    let magnitude = if sh >= 0 {
        if (128 - prod.leading_zeros()) as i64 + sh > 63 {
            return None;
        }
        prod << sh
    } else if -sh >= 127 {
        u128::from(!neg)
    } else {
        let s = (-sh) as u32;
        if neg {
            prod >> s
        } else {
            (prod + (1u128 << s) - 1) >> s
        }
    };
    if magnitude >> 63 != 0 {
        return None;
    }
    let m = magnitude as i64;
    Some(if neg { -m } else { m })
}

impl Ctx<'_> {
    /// Blocking is refused inside MULTI/EXEC (and later scripts) and for
    /// clients that cannot wait: the command then answers as if it timed out.
    pub fn blocking_denied(&mut self) -> bool {
        let c = self.client();
        c.tx.active || c.deny_blocking
    }

    /// The keys a blocking command should look at: all of them, except when
    /// the engine runs a parked command because one became ready, then only
    /// that one (Redis 7.0 serves a woken client from the ready key).
    pub fn keys_to_try<'k>(&self, keys: &'k [Bytes]) -> &'k [Bytes] {
        if let Some((db, ready)) = &self.engine.blocking.serving {
            if *db == self.db_index {
                if let Some(i) = keys.iter().position(|k| k == ready) {
                    return std::slice::from_ref(&keys[i]);
                }
            }
        }
        keys
    }

    /// Parks the caller on `keys` until one of them gets a value of `kind`
    /// or `deadline` (ms) passes. Where blocking is denied this is the
    /// timeout answer at once (a null array, as Redis).
    pub fn block(&mut self, kind: BlockKind, keys: &[Bytes], deadline: Option<i64>) -> CmdResult {
        if !self.blocking_denied() {
            self.engine.blocking.request = Some(BlockRequest {
                kind,
                keys: keys.to_vec(),
                deadline,
            });
        }
        Ok(Reply::NilArray)
    }
}

/// Parks client `id` after its command asked to block. A command run again
/// for a client that is still parked keeps its place and deadline.
pub(crate) fn block_client(engine: &mut Engine, id: ClientId, argv: &[Bytes], req: BlockRequest) {
    let Some(c) = engine.clients.get_mut(&id) else {
        return;
    };
    if c.blocked.is_some() {
        return;
    }
    let db = c.db;
    let reg = &mut engine.blocking;
    if reg.by_key.len() <= db {
        reg.by_key.resize_with(db + 1, AHashMap::new);
    }
    let mut keys: Vec<Bytes> = Vec::with_capacity(req.keys.len());
    for k in req.keys {
        // A key named twice waits once.
        if keys.contains(&k) {
            continue;
        }
        reg.by_key[db].entry(k.clone()).or_default().push_back(id);
        keys.push(k);
    }
    if let Some(d) = req.deadline {
        reg.timeouts.insert((d, id));
    }
    reg.blocked += 1;
    c.blocked = Some(Box::new(BlockState {
        kind: req.kind,
        db,
        keys,
        deadline: req.deadline,
        argv: argv.to_vec(),
    }));
}

/// Releases client `id` from every key and its deadline; returns its state.
pub fn unblock(engine: &mut Engine, id: ClientId) -> Option<Box<BlockState>> {
    let state = engine.clients.get_mut(&id)?.blocked.take()?;
    let reg = &mut engine.blocking;
    for k in &state.keys {
        if let Some(map) = reg.by_key.get_mut(state.db) {
            if let Some(q) = map.get_mut(&k[..]) {
                q.retain(|&c| c != id);
                if q.is_empty() {
                    map.remove(&k[..]);
                }
            }
        }
    }
    if let Some(d) = state.deadline {
        reg.timeouts.remove(&(d, id));
    }
    reg.blocked -= 1;
    Some(state)
}

pub fn is_blocked(engine: &Engine, id: ClientId) -> bool {
    engine.clients.get(&id).is_some_and(|c| c.blocked.is_some())
}

/// A key was created: if clients wait on it, look at it after the command
/// (Redis's signalKeyAsReady, called by dbAdd; the type is checked when
/// serving). See `Engine::signal_key_added`.
pub fn signal_key(engine: &mut Engine, db: usize, key: &[u8]) {
    let reg = &mut engine.blocking;
    if reg.blocked == 0 {
        return;
    }
    let Some((k, _)) = reg.by_key.get(db).and_then(|m| m.get_key_value(key)) else {
        return;
    };
    let k = k.clone();
    reg.mark_ready(db, k);
}

/// Database `db` changed wholesale (SWAPDB): every key waited on in it may
/// now hold a value (Redis's scanDatabaseForReadyKeys).
pub fn signal_db(engine: &mut Engine, db: usize) {
    let reg = &mut engine.blocking;
    if reg.blocked == 0 {
        return;
    }
    let keys: Vec<Bytes> = match reg.by_key.get(db) {
        Some(m) => m.keys().cloned().collect(),
        None => return,
    };
    for k in keys {
        reg.mark_ready(db, k);
    }
}

/// True if `key` in `db` holds a value a `kind` waiter can take now.
fn key_serves(engine: &mut Engine, db: usize, key: &[u8], kind: BlockKind) -> bool {
    let now = engine.now_ms();
    if engine.expire_if_needed(db, key, now) {
        return false;
    }
    engine.dbs[db].get_raw(key).is_some_and(|v| kind.matches(v))
}

/// Serves clients waiting on keys that became ready, until no key is ready
/// (Redis's handleClientsBlockedOnKeys). Runs after each top-level command,
/// so a MULTI/EXEC or multi-key command wakes clients only once it is done.
pub fn serve_ready(engine: &mut Engine) {
    while !engine.blocking.ready.is_empty() {
        let batch = std::mem::take(&mut engine.blocking.ready);
        engine.blocking.ready_set.clear();
        for (db, key) in batch {
            serve_key(engine, db, key);
        }
    }
}

fn serve_key(engine: &mut Engine, db: usize, key: Bytes) {
    let kind = {
        let now = engine.now_ms();
        if engine.expire_if_needed(db, &key, now) {
            return;
        }
        match engine.dbs[db].get_raw(&key) {
            Some(Value::List(_)) => BlockKind::List,
            Some(Value::ZSet(_)) => BlockKind::ZSet,
            _ => return,
        }
    };
    let Some(waiting) = engine.blocking.waiters(db, &key) else {
        return;
    };
    let waiting: Vec<ClientId> = waiting.iter().copied().collect();
    for id in waiting {
        // A killed client is as good as gone: it takes nothing.
        let argv = match engine.clients.get(&id).filter(|c| !c.killed) {
            Some(c) => match &c.blocked {
                Some(b) if b.kind == kind => b.argv.clone(),
                _ => continue,
            },
            None => continue,
        };
        engine.blocking.serving = Some((db, key.clone()));
        // The served client is the running one while its command runs (as
        // Redis's serveClientsBlockedOn*Key): its own invalidations follow
        // its reply, and NOLOOP applies to it, not to the pusher.
        // The pusher's own deferred messages wait for its reply meanwhile.
        let pusher = engine.swap_current_client(id);
        let pushers_messages = std::mem::take(&mut engine.tracking.deferred);
        let reply = engine.dispatch(id, &argv);
        engine.blocking.serving = None;
        let still_blocked = engine.blocking.request.take().is_some();
        if !still_blocked {
            unblock(engine, id);
            deliver(engine, id, &reply);
            crate::tracking::deliver_deferred(engine, id);
        }
        engine.tracking.deferred = pushers_messages;
        engine.swap_current_client(pusher);
        if still_blocked {
            // Nothing for it after all: it keeps waiting, in place.
            continue;
        }
        if !key_serves(engine, db, &key, kind) {
            break;
        }
    }
}

/// Sends the late reply of a blocked command (unless replies are off).
fn deliver(engine: &mut Engine, id: ClientId, reply: &Reply) {
    if let Reply::Error(text) = reply {
        engine.stats.count_error(text);
    }
    let off = engine
        .clients
        .get(&id)
        .is_none_or(|c| c.reply_mode == crate::client::ReplyMode::Off);
    if !off {
        engine.push_to_client(id, reply);
    }
}

/// Counts a command of client `id` that ends without running again
/// (timeout, CLIENT UNBLOCK): Redis counts a blocked call once, when it is
/// unblocked, and offers it to the slow log then (its run took ~0 us).
fn count_call(engine: &mut Engine, id: ClientId, argv: &[Bytes], failed: bool) {
    use std::sync::atomic::Ordering::Relaxed;
    if let Some(cmd) = argv.first().and_then(|n| engine.table.lookup(n)) {
        cmd.stats.calls.fetch_add(1, Relaxed);
        if failed {
            cmd.stats.failed_calls.fetch_add(1, Relaxed);
        }
        crate::cmd::slowlog::offer(engine, id, cmd, argv, 0);
    }
}

/// Unblocks clients whose deadline passed with the timeout reply (a null
/// array for every list and sorted-set command, as Redis 7.0).
pub fn handle_timeouts(engine: &mut Engine) {
    if engine.blocking.timeouts.is_empty() {
        return;
    }
    let now = engine.now_ms();
    while let Some(&(deadline, id)) = engine.blocking.timeouts.first() {
        if deadline >= now {
            break;
        }
        if let Some(state) = unblock(engine, id) {
            count_call(engine, id, &state.argv, false);
            deliver(engine, id, &Reply::NilArray);
        } else {
            engine.blocking.timeouts.remove(&(deadline, id));
        }
    }
}

/// CLIENT UNBLOCK: ends client `id`'s wait as a timeout or with an error;
/// false if it is not blocked.
pub fn unblock_by_request(engine: &mut Engine, id: ClientId, error: bool) -> bool {
    let Some(state) = unblock(engine, id) else {
        return false;
    };
    count_call(engine, id, &state.argv, error);
    let reply = if error {
        Reply::error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
    } else {
        engine
            .blocking
            .timeout_reply
            .and_then(|f| f(engine, id))
            .unwrap_or(Reply::NilArray)
    };
    deliver(engine, id, &reply);
    true
}

/// Every blocked client gets `error` and is closed after it (Redis's
/// disconnectAllBlockedClients, when a master becomes a replica).
pub fn disconnect_all_blocked(engine: &mut Engine, error: &str) {
    let ids: Vec<ClientId> = engine
        .clients
        .values()
        .filter(|c| c.blocked.is_some())
        .map(|c| c.id)
        .collect();
    for id in ids {
        if let Some(state) = unblock(engine, id) {
            count_call(engine, id, &state.argv, true);
            deliver(engine, id, &Reply::error(error.to_string()));
            if let Some(c) = engine.clients.get_mut(&id) {
                c.close_after_reply = true;
                c.wake();
            }
        }
    }
}

/// A departing client stops waiting.
pub fn forget_client(engine: &mut Engine, id: ClientId) {
    unblock(engine, id);
}

#[cfg(test)]
#[path = "blocking_tests.rs"]
mod tests;
