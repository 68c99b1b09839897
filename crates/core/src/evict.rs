//! `maxmemory`: memory accounting and key eviction (Redis's evict.c).
//!
//! Accounting: `used_memory` is a process-wide figure. The `ember-server`
//! binary installs [`CountingAlloc`] around jemalloc as its global allocator
//! and hands the live-byte counter to the core with [`set_used_memory_probe`];
//! an embedder can do the same with any allocator. Without a probe, INFO
//! reports RSS, which does not shrink when memory is freed: eviction then
//! cannot see what it frees and removes far too much, so an embedder that sets
//! `maxmemory` should install the counting allocator.
//!
//! Eviction runs before every command while `maxmemory` is set
//! ([`precheck`], called by the dispatch in Redis's processCommand order) and
//! frees keys until used memory is back under the limit, by policy:
//! - `allkeys-*` pick among all keys, `volatile-*` only among keys with a TTL;
//! - LRU, LFU and TTL policies sample `maxmemory-samples` keys per database
//!   into a 16-entry pool ordered by "idleness" (idle time, 255 - LFU
//!   counter, or the inverse of the expire time) and evict the best;
//! - random policies take a random key, visiting the databases in turn.
//!
//! Each eviction deletes the key, counts `evicted_keys`, fires the `evicted`
//! keyspace event, invalidates WATCH and propagates DEL (UNLINK with
//! `lazyfree-lazy-eviction`). When nothing can be freed (or under
//! `noeviction`) commands flagged `denyoom` are refused with `-OOM`.

use crate::client::ClientId;
use crate::command::{flags, Command};
use crate::engine::Engine;
use crate::error::CmdError;
use crate::events::classes;
use bytes::Bytes;
use rand::Rng;
use std::alloc::{GlobalAlloc, Layout};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::Instant;

/// Redis's shared.oomerr.
pub const OOM_ERROR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Entries in the eviction pool (Redis's EVPOOL_SIZE).
pub const POOL_SIZE: usize = 16;

// ---------------------------------------------------------------------------
// Accounting

static ALLOCATOR_NAME: OnceLock<&'static str> = OnceLock::new();

/// Installs the process's `used_memory` source (once per process; false if
/// one was already set) and the allocator name INFO shows as `mem_allocator`.
pub fn set_used_memory_probe(probe: fn() -> u64, allocator: &'static str) -> bool {
    let fresh = crate::cmd::info::USED_MEMORY_PROBE.set(probe).is_ok();
    if fresh {
        let _ = ALLOCATOR_NAME.set(allocator);
    }
    fresh
}

/// `mem_allocator` for INFO: the probe's allocator, else `libc`.
pub fn allocator_name() -> &'static str {
    ALLOCATOR_NAME.get().copied().unwrap_or("libc")
}

/// True when `used_memory` comes from an allocator counter (not RSS).
pub fn has_probe() -> bool {
    crate::cmd::info::USED_MEMORY_PROBE.get().is_some()
}

/// Bytes in use as eviction sees them (Redis's zmalloc_used_memory less the
/// replication and AOF buffers, which Ember does not hold in this process yet).
pub fn used_memory() -> u64 {
    crate::cmd::info::used_memory()
}

/// Live bytes counted by every [`CountingAlloc`] in the process.
static COUNTED: AtomicUsize = AtomicUsize::new(0);

/// What [`CountingAlloc`] has counted: live bytes at usable size. Pass it to
/// [`set_used_memory_probe`].
pub fn counted_bytes() -> u64 {
    COUNTED.load(Relaxed) as u64
}

/// How much of an allocator's memory a block of a given layout occupies (its
/// usable size, as Redis counts `malloc_usable_size`). It must depend on the
/// layout only, so freeing counts exactly what allocating counted.
pub trait SizeClass {
    fn usable(layout: Layout) -> usize;
}

/// glibc malloc's chunks: 8 bytes of header, 16-byte steps, 32 bytes minimum;
/// the usable part is the chunk less its header.
pub struct GlibcClasses;

impl SizeClass for GlibcClasses {
    #[inline]
    fn usable(layout: Layout) -> usize {
        (layout.size() + 8).max(32).next_multiple_of(16) - 8
    }
}

/// A global allocator wrapper counting live bytes (see [`counted_bytes`]).
/// Only a binary installs it (`#[global_allocator]`), never a library:
///
/// ```ignore
/// #[global_allocator]
/// static A: CountingAlloc<std::alloc::System, GlibcClasses> = CountingAlloc::new(std::alloc::System);
/// fn main() { ember_core::evict::set_used_memory_probe(ember_core::evict::counted_bytes, "libc"); }
/// ```
pub struct CountingAlloc<A, S> {
    inner: A,
    classes: PhantomData<S>,
}

impl<A, S> CountingAlloc<A, S> {
    pub const fn new(inner: A) -> Self {
        CountingAlloc {
            inner,
            classes: PhantomData,
        }
    }
}

// SAFETY: every call is forwarded unchanged to `inner`; only a counter is kept.
unsafe impl<A: GlobalAlloc, S: SizeClass> GlobalAlloc for CountingAlloc<A, S> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = self.inner.alloc(layout);
        if !p.is_null() {
            COUNTED.fetch_add(S::usable(layout), Relaxed);
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = self.inner.alloc_zeroed(layout);
        if !p.is_null() {
            COUNTED.fetch_add(S::usable(layout), Relaxed);
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        COUNTED.fetch_sub(S::usable(layout), Relaxed);
        self.inner.dealloc(ptr, layout)
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = self.inner.realloc(ptr, layout, new_size);
        if !p.is_null() {
            let new = Layout::from_size_align_unchecked(new_size, layout.align());
            let (old, new) = (S::usable(layout), S::usable(new));
            if new >= old {
                COUNTED.fetch_add(new - old, Relaxed);
            } else {
                COUNTED.fetch_sub(old - new, Relaxed);
            }
        }
        p
    }
}

// ---------------------------------------------------------------------------
// Policies

/// `maxmemory-policy` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    NoEviction,
    AllKeysLru,
    AllKeysLfu,
    AllKeysRandom,
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
}

impl Policy {
    pub fn parse(name: &str) -> Policy {
        match name {
            "allkeys-lru" => Policy::AllKeysLru,
            "allkeys-lfu" => Policy::AllKeysLfu,
            "allkeys-random" => Policy::AllKeysRandom,
            "volatile-lru" => Policy::VolatileLru,
            "volatile-lfu" => Policy::VolatileLfu,
            "volatile-random" => Policy::VolatileRandom,
            "volatile-ttl" => Policy::VolatileTtl,
            _ => Policy::NoEviction,
        }
    }

    fn all_keys(self) -> bool {
        matches!(
            self,
            Policy::AllKeysLru | Policy::AllKeysLfu | Policy::AllKeysRandom
        )
    }

    fn random(self) -> bool {
        matches!(self, Policy::AllKeysRandom | Policy::VolatileRandom)
    }
}

// ---------------------------------------------------------------------------
// State

#[derive(Clone, Debug, Default)]
struct PoolEntry {
    /// Higher is evicted first.
    idle: u64,
    db: usize,
    /// Empty = free slot (keys in the pool are never empty: Redis keys may be
    /// empty strings, so a separate flag marks use).
    used: bool,
    key: Vec<u8>,
}

/// Eviction state kept in the engine between commands.
pub struct EvictState {
    /// Best candidates seen so far, ascending idleness (Redis's EvictionPoolLRU).
    pool: Vec<PoolEntry>,
    /// Random policies visit the databases in turn.
    next_db: usize,
    /// The time limit cut an eviction short: the cron goes on with it
    /// (Redis's evictionTimeProc).
    pub running: bool,
    /// Since when memory has stayed over the limit (evictions cut short or
    /// failing), and the total of past such spells in µs (INFO's
    /// `current_eviction_exceeded_time` / `total_eviction_exceeded_time`).
    exceeded_since: Option<Instant>,
    exceeded_total_us: u64,
}

impl Default for EvictState {
    fn default() -> Self {
        EvictState {
            pool: vec![PoolEntry::default(); POOL_SIZE],
            next_db: 0,
            running: false,
            exceeded_since: None,
            exceeded_total_us: 0,
        }
    }
}

/// Result of [`perform_evictions`] (Redis's EVICT_OK / EVICT_RUNNING / EVICT_FAIL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Running,
    Fail,
}

/// Microseconds one eviction call may spend (Redis's evictionTimeLimitUs).
fn time_limit_us(tenacity: u32) -> u64 {
    if tenacity <= 10 {
        50 * tenacity as u64
    } else if tenacity < 100 {
        (500.0 * 1.15f64.powf(tenacity as f64 - 10.0)) as u64
    } else {
        u64::MAX
    }
}

/// Memory to free to get back under `maxmemory`, or `None` when under it
/// (Redis's getMaxmemoryState).
pub fn over_limit(engine: &Engine) -> Option<u64> {
    let max = engine.config.maxmemory;
    if max == 0 {
        return None;
    }
    let used = used_memory();
    (used > max).then(|| used - max)
}

/// Redis's isSafeToPerformEvictions: replicas ignoring maxmemory and a
/// paused server do not evict.
fn safe_to_evict(engine: &Engine) -> bool {
    let ignoring = engine.is_replica && engine.config.replica_ignore_maxmemory;
    !ignoring && !crate::cmd::pause::is_paused(engine)
}

/// Frees keys until memory is under `maxmemory` (Redis's performEvictions).
pub fn perform_evictions(engine: &mut Engine) -> Outcome {
    if !safe_to_evict(engine) {
        return Outcome::Ok;
    }
    let outcome = evict(engine);
    // Time spent over the limit (Redis's stat_last_eviction_exceeded_time).
    let st = &mut engine.evict;
    match outcome {
        Outcome::Ok => {
            if let Some(since) = st.exceeded_since.take() {
                st.exceeded_total_us += since.elapsed().as_micros() as u64;
            }
        }
        _ => {
            st.exceeded_since.get_or_insert_with(Instant::now);
        }
    }
    outcome
}

/// `(total, current)` time over the limit in ms, for INFO stats.
pub fn exceeded_times_ms(engine: &Engine) -> (u64, u64) {
    let st = &engine.evict;
    let current = st
        .exceeded_since
        .map_or(0, |s| s.elapsed().as_micros() as u64);
    ((st.exceeded_total_us + current) / 1000, current / 1000)
}

fn evict(engine: &mut Engine) -> Outcome {
    let Some(to_free) = over_limit(engine) else {
        engine.evict.running = false;
        return Outcome::Ok;
    };
    let policy = Policy::parse(&engine.config.maxmemory_policy);
    if policy == Policy::NoEviction {
        return Outcome::Fail;
    }
    // Cycles with keys to free are timed for the latency monitor, as
    // Redis's performEvictions times them.
    let started = Instant::now();
    let outcome = evict_keys(engine, policy, to_free, started);
    let took_ms = started.elapsed().as_millis() as u64;
    crate::cmd::latency::add_sample_if_needed(engine, "eviction-cycle", took_ms);
    outcome
}

/// Evicts keys picked by `policy` until `to_free` bytes went, the time limit
/// (counted from `started`) passed, or nothing is left to evict.
fn evict_keys(engine: &mut Engine, policy: Policy, to_free: u64, started: Instant) -> Outcome {
    let limit_us = time_limit_us(engine.config.maxmemory_eviction_tenacity);
    let mut freed: u64 = 0;
    let mut keys_freed: u64 = 0;
    while freed < to_free {
        let Some((db, key)) = pick(engine, policy) else {
            // Nothing left to evict.
            engine.evict.running = false;
            return Outcome::Fail;
        };
        freed += evict_key(engine, db, &key);
        keys_freed += 1;
        if keys_freed & 15 == 0 {
            let lazy = engine.config.lazyfree_lazy_eviction;
            if lazy && over_limit(engine).is_none() {
                break;
            }
            if started.elapsed().as_micros() as u64 > limit_us {
                // Still over: the cron continues (Redis's startEvictionTimeProc).
                engine.evict.running = true;
                return Outcome::Running;
            }
        }
    }
    engine.evict.running = false;
    Outcome::Ok
}

/// CONFIG SET hook: a new `maxmemory` takes effect at once, evicting before
/// CONFIG SET answers (Redis's updateMaxmemory).
pub fn config_hook(engine: &mut Engine, before: &crate::config::Config) -> Result<(), String> {
    if engine.config.maxmemory != before.maxmemory && engine.config.maxmemory > 0 {
        perform_evictions(engine);
    }
    Ok(())
}

/// Called from the engine's cron: goes on with an eviction the time limit cut short.
pub fn cron(engine: &mut Engine) {
    if engine.evict.running {
        if engine.config.maxmemory == 0 {
            engine.evict.running = false;
        } else {
            perform_evictions(engine);
        }
    }
}

/// The maxmemory step of the dispatch: evicts, then refuses commands that
/// would grow memory while it stays over the limit. Only called with
/// `maxmemory` set.
pub fn precheck(engine: &mut Engine, client: ClientId, cmd: &Command) -> Option<CmdError> {
    let out_of_memory = perform_evictions(engine) == Outcome::Fail;
    if !out_of_memory {
        return None;
    }
    let is_exec = cmd.name == "exec";
    let (in_multi, queued_denyoom) = match engine.clients.get(&client) {
        Some(c) => (
            c.tx.active,
            c.tx.queue.iter().any(|q| q.cmd.has(flags::DENYOOM)),
        ),
        None => (false, false),
    };
    let mut reject = cmd.has(flags::DENYOOM) || (is_exec && queued_denyoom);
    // Queueing inside MULTI grows memory without bound: only the commands
    // that end the transaction (or the connection) are let through.
    if in_multi && !matches!(cmd.name, "exec" | "discard" | "quit" | "reset") {
        reject = true;
    }
    reject.then(|| CmdError::other(OOM_ERROR))
}

// ---------------------------------------------------------------------------
// Choosing and deleting

/// The next key to evict under `policy`, or `None` if no candidate exists.
fn pick(engine: &mut Engine, policy: Policy) -> Option<(usize, Vec<u8>)> {
    let all = policy.all_keys();
    let ndbs = engine.dbs.len();
    if policy.random() {
        for _ in 0..ndbs {
            engine.evict.next_db = engine.evict.next_db.wrapping_add(1);
            let j = engine.evict.next_db % ndbs;
            let db = &engine.dbs[j];
            let rng = &mut engine.rng;
            let key = if all {
                db.keys.random_entry(rng).map(|(k, _)| k.to_vec())
            } else {
                let n = db.expires_count();
                (n > 0)
                    .then(|| rng.gen_range(0..n))
                    .and_then(|i| db.volatile_at(i))
                    .map(|(k, _, _)| k.to_vec())
            };
            if let Some(k) = key {
                return Some((j, k));
            }
        }
        return None;
    }
    loop {
        let mut total = 0;
        for i in 0..ndbs {
            let db = &engine.dbs[i];
            let n = if all { db.len() } else { db.expires_count() };
            if n > 0 {
                populate(engine, i, policy);
                total += n;
            }
        }
        if total == 0 {
            return None;
        }
        // From the best candidate down; entries whose key is gone are ghosts.
        let pool = &mut engine.evict.pool;
        for k in (0..POOL_SIZE).rev() {
            if !pool[k].used {
                continue;
            }
            let entry = std::mem::take(&mut pool[k]);
            let db = &engine.dbs[entry.db];
            let present = if all {
                db.keys.contains_key(&entry.key)
            } else {
                db.expire_of(&entry.key).is_some()
            };
            if present {
                return Some((entry.db, entry.key));
            }
        }
    }
}

/// Samples database `dbi` into the pool (Redis's evictionPoolPopulate).
fn populate(engine: &mut Engine, dbi: usize, policy: Policy) {
    let now = engine.now_ms();
    let samples = engine.config.maxmemory_samples.max(1) as usize;
    let config = &engine.config;
    let db = &engine.dbs[dbi];
    let score = |stamp: u32| -> u64 {
        match policy {
            Policy::AllKeysLfu | Policy::VolatileLfu => {
                255 - crate::cmd::object::lfu_decr(config, stamp, now) as u64
            }
            _ => crate::cmd::object::idle_ms(stamp, now) as u64,
        }
    };
    let rng = &mut engine.rng;
    let pool = &mut engine.evict.pool;
    if policy.all_keys() {
        db.keys.sample_with_meta(rng, samples, |k, _, stamp| {
            insert_into_pool(pool, dbi, score(stamp.stamp), k)
        });
    } else {
        // Distinct random slots: the TTL index is in insertion order, so
        // neighbouring slots would be alike (Redis's sample walks buckets,
        // which hashing already scatters).
        let n = db.expires_count();
        for i in rand::seq::index::sample(rng, n, samples.min(n)) {
            let Some((k, meta, at)) = db.volatile_at(i) else {
                continue;
            };
            let idle = if policy == Policy::VolatileTtl {
                // Sooner expiry = better candidate.
                u64::MAX - at as u64
            } else {
                score(meta.stamp & !crate::snapshot::SAVED_BIT)
            };
            insert_into_pool(pool, dbi, idle, k);
        }
    }
}

/// Inserts one candidate, keeping the pool sorted by ascending idleness and
/// dropping the least idle entry when full.
fn insert_into_pool(pool: &mut [PoolEntry], dbi: usize, idle: u64, key: &[u8]) {
    let mut k = 0;
    while k < POOL_SIZE && pool[k].used && pool[k].idle < idle {
        k += 1;
    }
    if k == 0 && pool[POOL_SIZE - 1].used {
        // Worse than everything in a full pool.
        return;
    } else if k < POOL_SIZE && !pool[k].used {
        // A free slot: nothing to move.
    } else if !pool[POOL_SIZE - 1].used {
        // Room on the right: shift k.. right by one.
        pool[k..].rotate_right(1);
    } else {
        // Full: drop the first (least idle) entry, shifting ..k left.
        k -= 1;
        pool[..=k].rotate_left(1);
    }
    let slot = &mut pool[k];
    slot.used = true;
    slot.idle = idle;
    slot.db = dbi;
    slot.key.clear();
    slot.key.extend_from_slice(key);
}

/// Deletes an evicted key with its side effects; returns the bytes freed.
fn evict_key(engine: &mut Engine, db: usize, key: &[u8]) -> u64 {
    let before = used_memory();
    let started = Instant::now();
    // `delete`, not `remove`: a running snapshot takes the value over
    // instead of copying it.
    if !engine.dbs[db].delete(key) {
        return 0;
    }
    let took_ms = started.elapsed().as_millis() as u64;
    crate::cmd::latency::add_sample_if_needed(engine, "eviction-del", took_ms);
    let freed = before.saturating_sub(used_memory());
    engine.stats.evicted_keys += 1;
    engine.signal_removed_by_server(db, key);
    engine.notify_keyspace_event(classes::EVICTED, "evicted", key, db);
    let verb: &'static [u8] = if engine.config.lazyfree_lazy_eviction {
        b"UNLINK"
    } else {
        b"DEL"
    };
    engine.propagate(db, &[Bytes::from_static(verb), Bytes::copy_from_slice(key)]);
    freed
}

#[cfg(test)]
#[path = "evict_tests.rs"]
mod tests;
