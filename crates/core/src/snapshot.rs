//! Fork-less point-in-time snapshots of the keyspace (BGSAVE, BGREWRITEAOF,
//! replication full sync), and the engine's generic background-work hook.
//!
//! Redis forks and lets the kernel copy pages on write. Ember cannot fork a
//! multi-threaded process, so it copies on write at the level of keyspace
//! entries instead:
//!
//! - Every keyspace entry carries a "saved" bit: bit 31 of its access stamp
//!   ([`SAVED_BIT`]; the low 24 bits are Redis's `lru` field, bit 24 a flag).
//!   Every stamp write preserves it (`Db` methods and `object::touched` keep
//!   the high bits). Each database keeps a parity: the bit all its entries
//!   carry while no snapshot runs.
//! - A snapshot ([`begin`]) targets the opposite bit: an entry whose bit
//!   differs from the target is "not yet saved"; entries created while it
//!   runs get the target bit (they are not part of the image).
//! - Before any mutation of a not-yet-saved entry (`Db::get_raw_mut`,
//!   `insert*`, `remove`, `delete`, `get_with_stamp_mut`), the entry is
//!   captured into the database's pending queue (key, value, expiry at the
//!   start, stamp) and marked saved. Removal and replacement move the old
//!   value into the queue (no copy); in-place changes clone it once. A TTL
//!   change (`set_expire`, `persist`) only remembers the key's original
//!   expiry (no value copy). `Db::clear` (FLUSHDB, FLUSHALL, DEBUG RELOAD,
//!   full-sync load) hands the whole old dictionaries to the snapshot.
//! - [`Walk::step`] serializes in slices: pending captures first, then the
//!   not-yet-saved entries of each database found with a resumable
//!   reverse-binary cursor (`Dict::scan` tolerates resizes; an entry visited
//!   twice is skipped the second time thanks to its bit). It stops when the
//!   [`Budget`] is spent and resumes on the next call.
//! - The per-database state lives in the `Db` struct, so SWAPDB moves it with
//!   the data and every entry keeps its original database index.
//! - When the walk is complete every entry carries the target bit, which
//!   becomes the new parity. An aborted snapshot keeps walking in "discard"
//!   mode (no captures, no output) to finish flipping the bits.
//!
//! Memory overhead: the values of entries changed while the snapshot runs and
//! not yet serialized (bounded by the write rate times the slice interval),
//! plus whatever a FLUSH hands over. Only one snapshot runs at a time.
//!
//! The core only walks; the persistence layer serializes (RDB or AOF
//! commands) and ships the bytes to a writer thread. Slices are driven by
//! [`Engine::background_step`], which runs the steppers upper layers
//! register; a front end installs a waker to learn that work is pending.

use crate::db::{AccessStamp, Db};
use crate::dict::Dict;
use crate::engine::Engine;
use crate::ttl_index::{KeyMeta, TtlIndex};
use crate::value::Value;
use ahash::AHashMap;
use bytes::Bytes;
use std::borrow::Borrow;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

/// The snapshot bit of an access stamp.
pub const SAVED_BIT: AccessStamp = 1 << 31;

fn bit(set: bool) -> AccessStamp {
    if set {
        SAVED_BIT
    } else {
        0
    }
}

/// An entry captured before a write changed it.
pub struct Captured {
    pub key: Bytes,
    pub value: Value,
    pub expire: Option<i64>,
    pub stamp: AccessStamp,
}

/// The contents of a database cleared while the snapshot ran.
struct Retired<K> {
    keys: Dict<K, Value, KeyMeta>,
    ttls: TtlIndex,
    overrides: AHashMap<Bytes, Option<i64>>,
    cursor: u64,
}

/// Per-database snapshot state, kept in `Db` (it moves with SWAPDB).
pub struct DbSnap<K> {
    /// The bit every entry carries while no snapshot runs.
    parity: bool,
    pub(crate) active: Option<Box<Active<K>>>,
}

impl<K> Default for DbSnap<K> {
    fn default() -> Self {
        DbSnap {
            parity: false,
            active: None,
        }
    }
}

impl<K> DbSnap<K> {
    /// The snapshot bit a new entry gets.
    #[inline]
    pub(crate) fn new_bit(&self) -> AccessStamp {
        match &self.active {
            Some(a) => a.target,
            None => bit(self.parity),
        }
    }
}

pub(crate) struct Active<K> {
    /// The database's index when the snapshot started.
    orig: usize,
    pub(crate) target: AccessStamp,
    /// Aborted: only finish flipping bits.
    pub(crate) discard: bool,
    pub(crate) pending: VecDeque<Captured>,
    retired: Vec<Retired<K>>,
    /// Original expiries of unsaved keys whose TTL changed.
    pub(crate) overrides: AHashMap<Bytes, Option<i64>>,
    cursor: u64,
    /// The live dictionary holds no unsaved entry any more.
    live_done: bool,
}

impl<K> Active<K> {
    #[inline]
    pub(crate) fn unsaved(&self, meta: &KeyMeta) -> bool {
        meta.stamp & SAVED_BIT != self.target
    }

    fn walk_done(&self) -> bool {
        self.live_done && self.retired.is_empty()
    }
}

/// Db-side hooks (called by `Db`'s mutation methods).
impl Db {
    /// If a running snapshot still needs `key`'s current contents: marks the
    /// entry saved and returns its stamp (None in discard mode).
    #[inline]
    pub(crate) fn snap_claim(&mut self, key: &[u8]) -> Option<AccessStamp> {
        let a = self.snap.active.as_deref()?;
        let (_, meta) = self.keys.get_with_meta_mut(key)?;
        if !a.unsaved(meta) {
            return None;
        }
        meta.stamp = (meta.stamp & !SAVED_BIT) | a.target;
        if a.discard {
            None
        } else {
            Some(meta.stamp & !SAVED_BIT)
        }
    }

    /// The expiry `key` had when the snapshot started (call before changing it).
    pub(crate) fn snap_expire(&mut self, key: &[u8]) -> Option<i64> {
        if let Some(a) = self.snap.active.as_deref_mut() {
            if let Some(e) = a.overrides.remove(key) {
                return e;
            }
        }
        self.expire_of(key)
    }

    /// Queues a captured entry (after `snap_claim` said so).
    pub(crate) fn snap_push(&mut self, c: Captured) {
        if let Some(a) = self.snap.active.as_deref_mut() {
            a.pending.push_back(c);
        }
    }

    /// Captures `key` by cloning its value when a snapshot still needs it.
    #[inline]
    pub(crate) fn snap_preserve(&mut self, key: &[u8]) {
        if self.snap.active.is_none() {
            return;
        }
        let Some(stamp) = self.snap_claim(key) else {
            return;
        };
        let Some(value) = self.keys.get(key).cloned() else {
            return;
        };
        let expire = self.snap_expire(key);
        self.snap_push(Captured {
            key: Bytes::copy_from_slice(key),
            value,
            expire,
            stamp,
        });
    }

    /// The TTL of `key` is about to change: remember the original one.
    #[inline]
    pub(crate) fn snap_note_expire(&mut self, key: &[u8]) {
        let Some(a) = self.snap.active.as_deref_mut() else {
            return;
        };
        if a.discard || a.overrides.contains_key(key) {
            return;
        }
        let Some((_, meta)) = self.keys.get_with_meta(key) else {
            return;
        };
        if a.unsaved(meta) {
            let old = self.ttls.at(meta.ttl);
            a.overrides.insert(Bytes::copy_from_slice(key), old);
        }
    }

    /// `clear` during a snapshot: the old dictionaries go to the snapshot.
    pub(crate) fn snap_retire(&mut self) {
        let Some(a) = self.snap.active.as_deref_mut() else {
            return;
        };
        if !a.discard && !a.live_done && !self.keys.is_empty() {
            a.retired.push(Retired {
                keys: std::mem::take(&mut self.keys),
                ttls: std::mem::take(&mut self.ttls),
                overrides: std::mem::take(&mut a.overrides),
                cursor: a.cursor,
            });
        }
        a.overrides.clear();
        a.live_done = true;
    }
}

/// How much one slice may do.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Entries examined (saved or not).
    pub entries: usize,
    /// Wall-clock limit.
    pub until: Option<Instant>,
}

impl Budget {
    /// About `ms` milliseconds (and at most `entries` entries).
    pub fn millis(ms: u64, entries: usize) -> Budget {
        Budget {
            entries,
            until: Some(Instant::now() + std::time::Duration::from_millis(ms)),
        }
    }

    /// No limit.
    pub fn unlimited() -> Budget {
        Budget {
            entries: usize::MAX,
            until: None,
        }
    }

    fn spent(&self, n: usize) -> bool {
        n >= self.entries || self.until.is_some_and(|t| Instant::now() >= t)
    }
}

/// Receives the image, one database section and key at a time.
pub trait Visitor {
    /// The following keys belong to database `db` (its index when the
    /// snapshot started). `resize` (keys, keys with a TTL at the start) is
    /// given the first time only.
    fn select_db(&mut self, db: usize, resize: Option<(usize, usize)>);
    fn key(&mut self, key: &[u8], value: &Value, expire: Option<i64>, stamp: AccessStamp);
}

/// A snapshot in progress: walks the databases in slices.
pub struct Walk {
    sizes: Vec<(usize, usize)>,
    announced: Vec<bool>,
    current: Option<usize>,
    discard: bool,
    finished: bool,
    /// Some databases vanished (the engine's `dbs` were replaced wholesale):
    /// the image is incomplete.
    lost: bool,
    scratch: Vec<u8>,
    ends: Vec<usize>,
    /// Keys handed to the visitor so far.
    pub keys_saved: u64,
}

/// True while a snapshot (or an aborted one finishing its bit flips) runs.
pub fn active(dbs: &[Db]) -> bool {
    dbs.iter().any(|d| d.snap.active.is_some())
}

/// Starts a snapshot of `dbs` as they are now; None if one is running.
pub fn begin(dbs: &mut [Db]) -> Option<Walk> {
    if active(dbs) {
        return None;
    }
    let mut sizes = Vec::with_capacity(dbs.len());
    for (i, db) in dbs.iter_mut().enumerate() {
        sizes.push((db.keys.len(), db.ttls.len()));
        db.snap.active = Some(Box::new(Active {
            orig: i,
            target: bit(!db.snap.parity),
            discard: false,
            pending: VecDeque::new(),
            retired: Vec::new(),
            overrides: AHashMap::new(),
            cursor: 0,
            live_done: db.keys.is_empty(),
        }));
    }
    Some(Walk {
        announced: vec![false; sizes.len()],
        sizes,
        current: None,
        discard: false,
        finished: false,
        lost: false,
        scratch: Vec::new(),
        ends: Vec::new(),
        keys_saved: 0,
    })
}

/// Feeds every key of `dbs` to `v` at once (no snapshot state involved):
/// for synchronous saves, where nothing runs concurrently.
pub fn feed_all(dbs: &[Db], v: &mut dyn Visitor) {
    for (i, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        v.select_db(i, Some((db.len(), db.expires_count())));
        db.keys.scan_all(|k, value, meta| {
            v.key(
                k.borrow(),
                value,
                db.ttls.at(meta.ttl),
                meta.stamp & !SAVED_BIT,
            );
        });
    }
}

/// `Dict::iter` with metadata, through the public scan.
trait ScanAll<K, V> {
    fn scan_all(&self, f: impl FnMut(&K, &V, KeyMeta));
}

impl<K: Borrow<[u8]>, V> ScanAll<K, V> for Dict<K, V, KeyMeta> {
    fn scan_all(&self, mut f: impl FnMut(&K, &V, KeyMeta)) {
        for (k, v) in self.iter() {
            let meta = self
                .get_with_meta(k.borrow())
                .map_or(KeyMeta::default(), |(_, m)| *m);
            f(k, v, meta);
        }
    }
}

/// Reusable buffers for one bucket's keys.
struct Scratch<'a> {
    bytes: &'a mut Vec<u8>,
    ends: &'a mut Vec<usize>,
}

/// Walks one bucket of `keys` at `*cursor`; returns the entries examined.
fn walk_bucket<K: Borrow<[u8]>>(
    keys: &mut Dict<K, Value, KeyMeta>,
    ttls: &TtlIndex,
    overrides: &mut AHashMap<Bytes, Option<i64>>,
    cursor: &mut u64,
    (target, discard): (AccessStamp, bool),
    scratch: Scratch<'_>,
    mut emit: impl FnMut(&[u8], &Value, Option<i64>, AccessStamp),
) -> usize {
    scratch.bytes.clear();
    scratch.ends.clear();
    let next = keys.scan(*cursor, |k, _| {
        scratch.bytes.extend_from_slice(k.borrow());
        scratch.ends.push(scratch.bytes.len());
    });
    let mut start = 0;
    for &end in scratch.ends.iter() {
        let k = &scratch.bytes[start..end];
        start = end;
        let Some((v, meta)) = keys.get_with_meta_mut(k) else {
            continue;
        };
        if meta.stamp & SAVED_BIT == target {
            continue;
        }
        meta.stamp = (meta.stamp & !SAVED_BIT) | target;
        if discard {
            continue;
        }
        let expire = match overrides.remove(k) {
            Some(e) => e,
            None => ttls.at(meta.ttl),
        };
        emit(k, v, expire, meta.stamp & !SAVED_BIT);
    }
    *cursor = next;
    scratch.ends.len().max(1)
}

impl Walk {
    pub fn is_discarding(&self) -> bool {
        self.discard
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// True when the walk ended without some databases: they were replaced
    /// (e.g. a replica's full-sync load), so the image is incomplete.
    pub fn is_lost(&self) -> bool {
        self.lost
    }

    /// Keys in the image (the databases' sizes at the start).
    pub fn keys_total(&self) -> u64 {
        self.sizes.iter().map(|s| s.0 as u64).sum()
    }

    fn select(&mut self, db: usize, v: &mut dyn Visitor) {
        if self.current == Some(db) {
            return;
        }
        self.current = Some(db);
        let resize = if self.announced[db] {
            None
        } else {
            self.announced[db] = true;
            Some(self.sizes[db])
        };
        v.select_db(db, resize);
    }

    /// Abandons the image: drops what was captured and keeps walking only to
    /// flip the remaining bits (`step` with any visitor finishes it).
    pub fn abort(&mut self, dbs: &mut [Db]) {
        self.discard = true;
        for db in dbs.iter_mut() {
            if let Some(a) = db.snap.active.as_deref_mut() {
                a.discard = true;
                a.pending.clear();
                a.retired.clear();
                a.overrides.clear();
            }
        }
    }

    /// Runs one slice; true when the snapshot is complete (every entry of
    /// the image was handed to `v`, and the bits are flipped).
    pub fn step(&mut self, dbs: &mut [Db], budget: Budget, v: &mut dyn Visitor) -> bool {
        if self.finished {
            return true;
        }
        let mut n = 0usize;
        loop {
            // Captured entries first, all of them (they hold memory; the
            // budget applies to the walk).
            for db in dbs.iter_mut() {
                let Some(a) = db.snap.active.as_deref_mut() else {
                    continue;
                };
                if a.pending.is_empty() {
                    continue;
                }
                self.select(a.orig, v);
                while let Some(c) = a.pending.pop_front() {
                    v.key(&c.key, &c.value, c.expire, c.stamp);
                    self.keys_saved += 1;
                    n += 1;
                }
            }
            if budget.spent(n) {
                return false;
            }
            // The database being walked, else the lowest unfinished one.
            let pick = dbs
                .iter()
                .position(|d| {
                    d.snap
                        .active
                        .as_deref()
                        .is_some_and(|a| Some(a.orig) == self.current && !a.walk_done())
                })
                .or_else(|| {
                    dbs.iter()
                        .enumerate()
                        .filter_map(|(i, d)| {
                            let a = d.snap.active.as_deref()?;
                            (!a.walk_done()).then_some((a.orig, i))
                        })
                        .min()
                        .map(|(_, i)| i)
                });
            let Some(i) = pick else {
                if dbs.iter().any(|d| {
                    d.snap
                        .active
                        .as_deref()
                        .is_some_and(|a| !a.pending.is_empty())
                }) {
                    continue;
                }
                self.complete(dbs);
                return true;
            };
            let (orig, discard) = {
                let a = dbs[i].snap.active.as_deref().expect("picked");
                (a.orig, a.discard)
            };
            if !discard {
                self.select(orig, v);
            }
            let db = &mut dbs[i];
            let a = db.snap.active.as_deref_mut().expect("picked");
            let target = a.target;
            let mut saved = 0u64;
            let mut emit = |k: &[u8], val: &Value, exp: Option<i64>, st: AccessStamp| {
                v.key(k, val, exp, st);
                saved += 1;
            };
            let examined = if let Some(r) = a.retired.last_mut() {
                let e = walk_bucket(
                    &mut r.keys,
                    &r.ttls,
                    &mut r.overrides,
                    &mut r.cursor,
                    (target, discard),
                    Scratch {
                        bytes: &mut self.scratch,
                        ends: &mut self.ends,
                    },
                    &mut emit,
                );
                if r.cursor == 0 {
                    a.retired.pop();
                }
                e
            } else {
                let e = walk_bucket(
                    &mut db.keys,
                    &db.ttls,
                    &mut a.overrides,
                    &mut a.cursor,
                    (target, discard),
                    Scratch {
                        bytes: &mut self.scratch,
                        ends: &mut self.ends,
                    },
                    &mut emit,
                );
                if a.cursor == 0 {
                    a.live_done = true;
                }
                e
            };
            self.keys_saved += saved;
            n += examined;
        }
    }

    /// Runs to the end in discard mode (an aborted snapshot that must be out
    /// of the way now).
    pub fn finish_discarding(&mut self, dbs: &mut [Db]) {
        self.abort(dbs);
        struct Nothing;
        impl Visitor for Nothing {
            fn select_db(&mut self, _: usize, _: Option<(usize, usize)>) {}
            fn key(&mut self, _: &[u8], _: &Value, _: Option<i64>, _: AccessStamp) {}
        }
        while !self.step(dbs, Budget::unlimited(), &mut Nothing) {}
    }

    fn complete(&mut self, dbs: &mut [Db]) {
        let mut found = 0;
        for db in dbs.iter_mut() {
            if let Some(a) = db.snap.active.take() {
                db.snap.parity = a.target != 0;
                found += 1;
            }
        }
        self.lost = found < self.sizes.len();
        self.finished = true;
    }
}

/// What a background stepper did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Progress {
    /// Nothing to do: the driver may sleep until woken.
    Idle,
    /// Waiting on something outside the engine (a writer thread): poll soon.
    Waiting,
    /// Did work and has more: run again as soon as others had the lock.
    Busy,
}

/// Background work of an upper layer, run in small slices by
/// [`Engine::background_step`].
pub type BackgroundStep = fn(&mut Engine) -> Progress;

/// Registered steppers and the front end's waker (kept in `engine.ext`).
#[derive(Default)]
struct Background {
    steps: Vec<(&'static str, BackgroundStep)>,
    waker: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl Engine {
    /// Registers a background stepper under `name` (once per name).
    pub fn add_background_step(&mut self, name: &'static str, f: BackgroundStep) {
        let bg = self.ext.get_or_default::<Background>();
        if !bg.steps.iter().any(|(n, _)| *n == name) {
            bg.steps.push((name, f));
        }
    }

    /// The front end's waker: called when background work becomes pending.
    pub fn set_background_waker(&mut self, waker: Arc<dyn Fn() + Send + Sync>) {
        self.ext.get_or_default::<Background>().waker = Some(waker);
    }

    /// Tells the front end that background work is pending.
    pub fn wake_background(&self) {
        if let Some(w) = self.ext.get::<Background>().and_then(|b| b.waker.clone()) {
            w();
        }
    }

    /// Runs one slice of every registered stepper; the most urgent progress.
    pub fn background_step(&mut self) -> Progress {
        let steps: Vec<BackgroundStep> = match self.ext.get::<Background>() {
            Some(b) => b.steps.iter().map(|(_, f)| *f).collect(),
            None => return Progress::Idle,
        };
        steps
            .into_iter()
            .map(|f| f(self))
            .max()
            .unwrap_or(Progress::Idle)
    }
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;
