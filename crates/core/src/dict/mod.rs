//! A chained hash table keyed by byte strings, with Redis's SCAN guarantee
//! and incremental rehashing.
//!
//! The bucket array is a power of two and an entry lives in bucket `hash & mask`,
//! so the reverse-binary cursor of Redis's `dictScan` works: every element present
//! for a whole SCAN iteration is returned at least once, even when the table grows
//! or shrinks between calls. std's HashMap exposes no bucket order, hence this type.
//! Used for the keyspace and for large hash, set and sorted-set values.
//!
//! A resize never moves every entry at once: that would stall the server for
//! seconds on a large keyspace (4M keys took 9 s in one SET). As in Redis, the
//! previous table stays beside the new one and is drained a bucket at a time
//! by each write and by the cron (`rehash.rs`).

use ahash::RandomState;
use rand::Rng;
use std::borrow::Borrow;
use std::sync::OnceLock;

mod rehash;
pub(crate) mod stats;
mod walk;

pub use walk::Iter;

/// One hasher for every Dict of the process: seeded randomly once (HashDoS
/// resistance, like Redis's per-process siphash seed) so that a Dict carries no
/// per-instance hasher state; small hashes and sets are numerous.
fn hasher() -> &'static RandomState {
    static SEEDS: OnceLock<RandomState> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut rng = rand::thread_rng();
        RandomState::with_seeds(rng.gen(), rng.gen(), rng.gen(), rng.gen())
    })
}

/// The most keys one `Dict::prefetch` call takes (more would be evicted
/// again before their lookups run).
pub const PREFETCH_MAX: usize = 16;

/// A hint to load the cache line at `p`; never faults, changes nothing.
#[inline(always)]
fn prefetch_read<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint: it does not dereference `p` architecturally.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

struct Entry<K, V, M> {
    key: K,
    value: V,
    /// Per-entry metadata: `()` (free) by default; the keyspace keeps its LRU/LFU
    /// access stamp here (Redis's `robj.lru`), see `cmd::object`.
    meta: M,
    next: Link<K, V, M>,
}

type Link<K, V, M> = Option<Box<Entry<K, V, M>>>;
type Table<K, V, M> = Box<[Link<K, V, M>]>;

pub struct Dict<K, V, M = ()> {
    /// The current table; during a rehash, the one entries move to.
    buckets: Table<K, V, M>,
    len: usize,
    /// The previous table while a rehash drains it (Redis's `ht_table[0]`
    /// during `rehashidx != -1`); None otherwise.
    old: Option<Box<rehash::Draining<K, V, M>>>,
}

const MIN_BUCKETS: usize = 4;

/// A table of `size` empty buckets, from zeroed memory: the allocator hands
/// out fresh pages without writing them, so a large new table costs no pass
/// over its memory up front (its pages fault in as the rehash fills them).
fn empty_table<K, V, M>(size: usize) -> Table<K, V, M> {
    let zeroed = Box::<[Link<K, V, M>]>::new_zeroed_slice(size);
    // SAFETY: `Option<Box<_>>` is a nullable pointer whose `None` is all
    // zero bytes (the guaranteed null-pointer optimization).
    unsafe { zeroed.assume_init() }
}

impl<K: Borrow<[u8]>, V, M: Default> Default for Dict<K, V, M> {
    fn default() -> Self {
        Dict {
            buckets: Box::default(),
            len: 0,
            old: None,
        }
    }
}

impl<K: Borrow<[u8]>, V> Dict<K, V> {
    pub fn new() -> Self {
        Self::default()
    }
}

impl<K: Borrow<[u8]>, V, M: Default> Dict<K, V, M> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bucket slots allocated: the table's size, plus the previous table's
    /// during a rehash (what the bucket arrays cost in memory).
    pub fn buckets(&self) -> usize {
        self.buckets.len() + self.old.as_ref().map_or(0, |o| o.buckets.len())
    }

    /// Bytes of one entry (its key and value's inline parts included).
    pub const ENTRY_BYTES: usize = std::mem::size_of::<Entry<K, V, M>>();

    /// Bytes of the table's own structure, bucket slots and entries (MEMORY
    /// STATS's `overhead.hashtable.*`).
    pub fn table_bytes(&self) -> usize {
        self.buckets() * std::mem::size_of::<Link<K, V, M>>() + self.len * Self::ENTRY_BYTES
    }

    /// The hash that places `key` in any Dict of the process (an index kept
    /// beside a Dict stores it to find an entry again without its key).
    pub fn hash_of(key: &[u8]) -> u64 {
        hasher().hash_one(key)
    }

    /// Where entries hashing to `hash` live: an index into `buckets`, or,
    /// past `buckets.len()`, into the draining table (one probe either way:
    /// a bucket of the old table below its drain point has moved). Only for
    /// a non-empty table.
    #[inline]
    fn slot_of(&self, hash: u64) -> usize {
        if let Some(old) = &self.old {
            let i = hash as usize & (old.buckets.len() - 1);
            if i >= old.next {
                return self.buckets.len() + i;
            }
        }
        hash as usize & (self.buckets.len() - 1)
    }

    /// The chain entries hashing to `hash` live in (`slot(slot_of(hash))`
    /// without the round trip through an index: that costs GET -P 16 19 more
    /// instructions per request, 1898 vs 1879). Only for a non-empty table.
    #[inline]
    fn link_for(&self, hash: u64) -> &Link<K, V, M> {
        if let Some(old) = &self.old {
            let i = hash as usize & (old.buckets.len() - 1);
            if i >= old.next {
                return &old.buckets[i];
            }
        }
        &self.buckets[hash as usize & (self.buckets.len() - 1)]
    }

    #[inline]
    fn link_for_mut(&mut self, hash: u64) -> &mut Link<K, V, M> {
        if let Some(old) = &mut self.old {
            let i = hash as usize & (old.buckets.len() - 1);
            if i >= old.next {
                return &mut old.buckets[i];
            }
        }
        let mask = self.buckets.len() - 1;
        &mut self.buckets[hash as usize & mask]
    }

    #[inline]
    fn slot(&self, s: usize) -> &Link<K, V, M> {
        match self.buckets.get(s) {
            Some(link) => link,
            None => {
                &self.old.as_ref().expect("slot past the table").buckets[s - self.buckets.len()]
            }
        }
    }

    /// The chain `key` would be in (None when the table is empty).
    #[inline]
    fn chain(&self, key: &[u8]) -> Option<&Link<K, V, M>> {
        if self.len == 0 {
            return None;
        }
        Some(self.link_for(Self::hash_of(key)))
    }

    /// The entry holding `key`.
    #[inline]
    fn find(&self, key: &[u8]) -> Option<&Entry<K, V, M>> {
        let mut cur = self.chain(key)?;
        while let Some(e) = cur {
            if e.key.borrow() == key {
                return Some(e);
            }
            cur = &e.next;
        }
        None
    }

    /// The entry holding `key`, mutable. Moves a bucket of a running rehash
    /// first, as Redis's lookups do, so that a table only updated in place
    /// still finishes its rehash.
    #[inline]
    fn find_mut(&mut self, key: &[u8]) -> Option<&mut Entry<K, V, M>> {
        if self.len == 0 {
            return None;
        }
        self.rehash_step();
        let mut cur = self.link_for_mut(Self::hash_of(key));
        while let Some(e) = cur {
            if e.key.borrow() == key {
                return Some(e);
            }
            cur = &mut e.next;
        }
        None
    }

    /// The entry in `hash`'s chain whose metadata satisfies `pick`: finds an
    /// entry by its hash and something unique in its metadata, without the key.
    pub fn find_hashed(&self, hash: u64, pick: impl Fn(&M) -> bool) -> Option<(&K, &V, &M)> {
        if self.len == 0 {
            return None;
        }
        let mut cur = self.link_for(hash);
        while let Some(e) = cur {
            if pick(&e.meta) {
                return Some((&e.key, &e.value, &e.meta));
            }
            cur = &e.next;
        }
        None
    }

    /// `find_hashed`, for changing the entry's metadata.
    pub fn find_hashed_meta_mut(&mut self, hash: u64, pick: impl Fn(&M) -> bool) -> Option<&mut M> {
        if self.len == 0 {
            return None;
        }
        let mut cur = self.link_for_mut(hash);
        while let Some(e) = cur {
            if pick(&e.meta) {
                return Some(&mut e.meta);
            }
            cur = &mut e.next;
        }
        None
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.find(key).map(|e| &e.value)
    }

    pub fn get_key_value(&self, key: &[u8]) -> Option<(&K, &V)> {
        self.find(key).map(|e| (&e.key, &e.value))
    }

    /// The value and the metadata of `key`.
    pub fn get_with_meta(&self, key: &[u8]) -> Option<(&V, &M)> {
        self.find(key).map(|e| (&e.value, &e.meta))
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        self.find_mut(key).map(|e| &mut e.value)
    }

    /// The value and the metadata of `key`, both mutable.
    pub fn get_with_meta_mut(&mut self, key: &[u8]) -> Option<(&mut V, &mut M)> {
        self.find_mut(key).map(|e| (&mut e.value, &mut e.meta))
    }

    /// The stored key and value of `key`, both mutable. The caller must not
    /// change what the key borrows as (it decides the bucket and equality);
    /// hashes use this to rewrite a value kept in the same allocation as its field.
    pub fn get_key_value_mut(&mut self, key: &[u8]) -> Option<(&mut K, &mut V)> {
        self.find_mut(key).map(|e| (&mut e.key, &mut e.value))
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.find(key).is_some()
    }

    /// Inserts or replaces; returns the previous value. An existing key object
    /// (and its metadata) is kept; a new entry gets `M::default()`.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        if let Some(slot) = self.get_mut(key.borrow()) {
            return Some(std::mem::replace(slot, value));
        }
        self.insert_new(key, value, M::default());
        None
    }

    /// Adds an entry known to be absent (the caller has just looked it up).
    pub fn insert_new(&mut self, key: K, value: V, meta: M) {
        let hash = Self::hash_of(key.borrow());
        self.link_new(hash, key, value, meta);
    }

    /// Adds `(make_key(), value, meta)` unless `key` is present, hashing `key`
    /// once; a present key is left alone and `value` handed back.
    pub fn try_insert_new(
        &mut self,
        key: &[u8],
        make_key: impl FnOnce() -> K,
        value: V,
        meta: M,
    ) -> Result<(), V> {
        let hash = Self::hash_of(key);
        if self.len > 0 {
            let mut cur = self.link_for(hash);
            while let Some(e) = cur {
                if e.key.borrow() == key {
                    return Err(value);
                }
                cur = &e.next;
            }
        }
        self.link_new(hash, make_key(), value, meta);
        Ok(())
    }

    /// Puts a new entry at the head of `hash`'s chain, after growing (or
    /// moving one bucket of a running rehash).
    fn link_new(&mut self, hash: u64, key: K, value: V, meta: M) {
        self.grow_if_needed();
        let slot = self.link_for_mut(hash);
        let next = slot.take();
        *slot = Some(Box::new(Entry {
            key,
            value,
            meta,
            next,
        }));
        self.len += 1;
    }

    /// Makes room for `additional` more entries without rehashing as they
    /// arrive (Redis's dictExpand on RESIZEDB): the table grows at once to the
    /// power of two that holds them. For loading, where the table is empty or
    /// small: a rehash running is finished first and the move is not spread
    /// out. Never shrinks; a later removal may shrink an over-reserved table
    /// as usual. SCAN's cursor guarantee holds across it as across any
    /// power-of-two resize.
    pub fn reserve(&mut self, additional: usize) {
        let want = self.len.saturating_add(additional);
        if want <= self.buckets.len() {
            return;
        }
        let Some(size) = want.checked_next_power_of_two() else {
            return;
        };
        self.finish_rehash();
        self.resize_at_once(size.max(MIN_BUCKETS));
    }

    /// Asks the CPU to bring in what looking up `keys` will read: the bucket
    /// slots, then the first entry of each chain, then those entries' key
    /// bytes and the (up to two) addresses `data_ptrs` finds in their values
    /// and metadata, each pass over all keys before the next so the misses of
    /// different keys overlap. Changes nothing; the lookups that follow run
    /// from cache.
    pub fn prefetch(&self, keys: &[&[u8]], data_ptrs: impl Fn(&V, &M) -> [Option<*const u8>; 2]) {
        let mut slots = [None; PREFETCH_MAX];
        let keys = &keys[..keys.len().min(PREFETCH_MAX)];
        for (slot, key) in slots.iter_mut().zip(keys) {
            *slot = self.prefetch_slot(key);
        }
        for &slot in slots[..keys.len()].iter().flatten() {
            self.prefetch_head(slot);
        }
        for &slot in slots[..keys.len()].iter().flatten() {
            if let Some(e) = self.slot(slot) {
                // Inline keys point into the entry itself: a no-op then.
                prefetch_read(e.key.borrow().as_ptr());
                for p in data_ptrs(&e.value, &e.meta).into_iter().flatten() {
                    prefetch_read(p);
                }
            }
        }
    }

    /// First step of a prefetch: `key`'s bucket slot, returned for the next
    /// steps (None when the table is empty).
    fn prefetch_slot(&self, key: &[u8]) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let slot = self.slot_of(Self::hash_of(key));
        prefetch_read(self.slot(slot));
        Some(slot)
    }

    /// Second step: the first entry of `slot`'s chain (reads the slot).
    fn prefetch_head(&self, slot: usize) {
        if let Some(e) = self.slot(slot) {
            prefetch_read::<Entry<K, V, M>>(&**e);
        }
    }

    /// Removes `key`, returning the stored key and value.
    pub fn remove_entry(&mut self, key: &[u8]) -> Option<(K, V)> {
        self.remove_with_meta(key).map(|(k, v, _)| (k, v))
    }

    /// Removes `key`, returning the stored key, value and metadata.
    pub fn remove_with_meta(&mut self, key: &[u8]) -> Option<(K, V, M)> {
        if self.len == 0 {
            return None;
        }
        let mut cur = self.link_for_mut(Self::hash_of(key));
        loop {
            match cur {
                None => return None,
                Some(e) if e.key.borrow() == key => {
                    let mut removed = cur.take().expect("matched entry");
                    *cur = removed.next.take();
                    self.len -= 1;
                    self.shrink_if_needed();
                    return Some((removed.key, removed.value, removed.meta));
                }
                Some(e) => cur = &mut e.next,
            }
        }
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        self.remove_entry(key).map(|(_, v)| v)
    }

    pub fn clear(&mut self) {
        drop_chains(&mut self.buckets);
        if let Some(mut old) = self.old.take() {
            drop_chains(&mut old.buckets);
        }
        self.buckets = Box::default();
        self.len = 0;
    }

    /// Before adding an entry: the first table, or a rehash to twice the
    /// size once the table holds as many entries as buckets (load factor 1,
    /// as Redis), or, while a rehash runs, one more bucket of it moved.
    fn grow_if_needed(&mut self) {
        if self.buckets.is_empty() {
            self.buckets = empty_table(MIN_BUCKETS);
        } else if self.old.is_some() {
            self.rehash_step();
        } else if self.len >= self.buckets.len() {
            self.start_rehash(self.buckets.len() * 2);
        }
    }

    /// After a removal: a rehash to a smaller table when less than 1/8 full
    /// (Redis's HT_MIN_FILL), never below the minimum; or one more bucket of
    /// a running rehash moved.
    fn shrink_if_needed(&mut self) {
        if self.old.is_some() {
            self.rehash_step();
            return;
        }
        let n = self.buckets.len();
        if n > MIN_BUCKETS && self.len * 8 < n {
            let want = (self.len.max(1)).next_power_of_two().max(MIN_BUCKETS);
            self.start_rehash(want);
        }
    }
}

/// Drops a table's chains iteratively: a long chain dropped recursively could
/// overflow the stack.
fn drop_chains<K, V, M>(table: &mut [Link<K, V, M>]) {
    for slot in table.iter_mut() {
        let mut cur = slot.take();
        while let Some(mut e) = cur {
            cur = e.next.take();
        }
    }
}

impl<K, V, M> Drop for Dict<K, V, M> {
    fn drop(&mut self) {
        drop_chains(&mut self.buckets);
        if let Some(old) = self.old.as_mut() {
            drop_chains(&mut old.buckets);
        }
    }
}

impl<K: Borrow<[u8]> + Clone, V: Clone, M: Default> Clone for Dict<K, V, M> {
    /// A copy with the same entries (bucket layout may differ; metadata is reset).
    fn clone(&self) -> Self {
        let mut d = Dict::default();
        d.reserve(self.len);
        for (k, v) in self.iter() {
            d.insert_new(k.clone(), v.clone(), M::default());
        }
        d
    }
}

impl<K: Borrow<[u8]>, V: std::fmt::Debug, M: Default> std::fmt::Debug for Dict<K, V, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(
                self.iter()
                    .map(|(k, v)| (String::from_utf8_lossy(k.borrow()), v)),
            )
            .finish()
    }
}

impl<K: Borrow<[u8]>, V: PartialEq, M: Default> PartialEq for Dict<K, V, M> {
    /// Same set of keys with equal values.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k.borrow()) == Some(v))
    }
}

/// Where a key's bytes live, found without reading them (a key whose
/// `borrow` parses a header would stall the prefetch it is meant to feed).
pub trait KeyAddr {
    fn key_addr(&self) -> *const u8;
}

/// A large collection's Dict seen through its key bytes only, so that one
/// loop serves hashes, sets and sorted sets alike: member-lookup prefetching
/// (the second level of `Engine::prefetch_batch`; each step reads what the
/// previous one prefetched, run each over a whole batch before the next) and
/// DEBUG HTSTATS-KEY.
pub trait MemberIndex {
    /// The table's stats text (`Dict::stats_text`).
    fn stats_text(&self) -> String;
    /// `member`'s bucket slot, for the next steps; None when empty.
    fn member_slot(&self, member: &[u8]) -> Option<usize>;
    /// The first entry of `slot`'s chain.
    fn member_head(&self, slot: usize);
    /// The key bytes of `slot`'s first entry.
    fn member_key(&self, slot: usize);
}

impl<K: Borrow<[u8]> + KeyAddr, V, M: Default> MemberIndex for Dict<K, V, M> {
    fn stats_text(&self) -> String {
        Dict::stats_text(self)
    }

    fn member_slot(&self, member: &[u8]) -> Option<usize> {
        self.prefetch_slot(member)
    }

    fn member_head(&self, slot: usize) {
        self.prefetch_head(slot)
    }

    fn member_key(&self, slot: usize) {
        if let Some(e) = self.slot(slot) {
            prefetch_read(e.key.key_addr());
        }
    }
}

impl KeyAddr for std::sync::Arc<[u8]> {
    fn key_addr(&self) -> *const u8 {
        self.as_ptr()
    }
}

#[cfg(test)]
mod tests;
