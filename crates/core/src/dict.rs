//! A chained hash table keyed by byte strings, with Redis's SCAN guarantee.
//!
//! The bucket array is a power of two and an entry lives in bucket `hash & mask`,
//! so the reverse-binary cursor of Redis's `dictScan` works: every element present
//! for a whole SCAN iteration is returned at least once, even when the table grows
//! or shrinks between calls. std's HashMap exposes no bucket order, hence this type.
//! Used for the keyspace, the expires index and (later) hash and set values.

use ahash::RandomState;
use rand::Rng;
use std::borrow::Borrow;
use std::sync::OnceLock;

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

pub struct Dict<K, V, M = ()> {
    buckets: Box<[Link<K, V, M>]>,
    len: usize,
}

const MIN_BUCKETS: usize = 4;

impl<K: Borrow<[u8]>, V, M: Default> Default for Dict<K, V, M> {
    fn default() -> Self {
        Dict {
            buckets: Box::default(),
            len: 0,
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

    /// Number of buckets (Redis's "table size", shown by DEBUG HTSTATS-like output).
    pub fn buckets(&self) -> usize {
        self.buckets.len()
    }

    /// Bytes of one entry (its key and value's inline parts included).
    pub const ENTRY_BYTES: usize = std::mem::size_of::<Entry<K, V, M>>();

    /// Bytes of the table's own structure, bucket slots and entries (MEMORY
    /// STATS's `overhead.hashtable.*`).
    pub fn table_bytes(&self) -> usize {
        self.buckets.len() * std::mem::size_of::<Link<K, V, M>>() + self.len * Self::ENTRY_BYTES
    }

    fn hash(&self, key: &[u8]) -> u64 {
        Self::hash_of(key)
    }

    /// The hash that places `key` in any Dict of the process (an index kept
    /// beside a Dict stores it to find an entry again without its key).
    pub fn hash_of(key: &[u8]) -> u64 {
        hasher().hash_one(key)
    }

    /// The entry in `hash`'s chain whose metadata satisfies `pick`: finds an
    /// entry by its hash and something unique in its metadata, without the key.
    pub fn find_hashed(&self, hash: u64, pick: impl Fn(&M) -> bool) -> Option<(&K, &V, &M)> {
        if self.len == 0 {
            return None;
        }
        let mut cur = &self.buckets[hash as usize & (self.buckets.len() - 1)];
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
        let b = hash as usize & (self.buckets.len() - 1);
        let mut cur = &mut self.buckets[b];
        while let Some(e) = cur {
            if pick(&e.meta) {
                return Some(&mut e.meta);
            }
            cur = &mut e.next;
        }
        None
    }

    fn bucket_of(&self, key: &[u8]) -> usize {
        (self.hash(key) as usize) & (self.buckets.len() - 1)
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        if self.len == 0 {
            return None;
        }
        let mut cur = &self.buckets[self.bucket_of(key)];
        while let Some(e) = cur {
            if e.key.borrow() == key {
                return Some(&e.value);
            }
            cur = &e.next;
        }
        None
    }

    pub fn get_key_value(&self, key: &[u8]) -> Option<(&K, &V)> {
        if self.len == 0 {
            return None;
        }
        let mut cur = &self.buckets[self.bucket_of(key)];
        while let Some(e) = cur {
            if e.key.borrow() == key {
                return Some((&e.key, &e.value));
            }
            cur = &e.next;
        }
        None
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        if self.len == 0 {
            return None;
        }
        let b = self.bucket_of(key);
        let mut cur = &mut self.buckets[b];
        while let Some(e) = cur {
            if e.key.borrow() == key {
                return Some(&mut e.value);
            }
            cur = &mut e.next;
        }
        None
    }

    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
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
        self.grow_if_needed();
        let b = self.bucket_of(key.borrow());
        let next = self.buckets[b].take();
        self.buckets[b] = Some(Box::new(Entry {
            key,
            value,
            meta,
            next,
        }));
        self.len += 1;
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
        let h = self.hash(key) as usize;
        if self.len > 0 {
            let mut cur = &self.buckets[h & (self.buckets.len() - 1)];
            while let Some(e) = cur {
                if e.key.borrow() == key {
                    return Err(value);
                }
                cur = &e.next;
            }
        }
        self.grow_if_needed();
        let b = h & (self.buckets.len() - 1);
        let next = self.buckets[b].take();
        self.buckets[b] = Some(Box::new(Entry {
            key: make_key(),
            value,
            meta,
            next,
        }));
        self.len += 1;
        Ok(())
    }

    /// Makes room for `additional` more entries without rehashing as they
    /// arrive (Redis's dictExpand on RESIZEDB): the table grows at once to the
    /// power of two that holds them. Never shrinks; a later removal may shrink
    /// an over-reserved table as usual. SCAN's cursor guarantee holds across
    /// it as across any power-of-two resize.
    pub fn reserve(&mut self, additional: usize) {
        let want = self.len.saturating_add(additional);
        if want <= self.buckets.len() {
            return;
        }
        let Some(size) = want.checked_next_power_of_two() else {
            return;
        };
        self.resize(size.max(MIN_BUCKETS));
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
            if let Some(e) = &self.buckets[slot] {
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
        let slot = self.bucket_of(key);
        prefetch_read(&self.buckets[slot]);
        Some(slot)
    }

    /// Second step: the first entry of `slot`'s chain (reads the slot).
    fn prefetch_head(&self, slot: usize) {
        if let Some(e) = &self.buckets[slot] {
            prefetch_read::<Entry<K, V, M>>(&**e);
        }
    }

    /// The value and the metadata of `key`, both mutable.
    pub fn get_with_meta_mut(&mut self, key: &[u8]) -> Option<(&mut V, &mut M)> {
        if self.len == 0 {
            return None;
        }
        let b = self.bucket_of(key);
        let mut cur = &mut self.buckets[b];
        while let Some(e) = cur {
            if e.key.borrow() == key {
                return Some((&mut e.value, &mut e.meta));
            }
            cur = &mut e.next;
        }
        None
    }

    /// The stored key and value of `key`, both mutable. The caller must not
    /// change what the key borrows as (it decides the bucket and equality);
    /// hashes use this to rewrite a value kept in the same allocation as its field.
    pub fn get_key_value_mut(&mut self, key: &[u8]) -> Option<(&mut K, &mut V)> {
        if self.len == 0 {
            return None;
        }
        let b = self.bucket_of(key);
        let mut cur = &mut self.buckets[b];
        while let Some(e) = cur {
            if e.key.borrow() == key {
                return Some((&mut e.key, &mut e.value));
            }
            cur = &mut e.next;
        }
        None
    }

    /// The value and the metadata of `key`.
    pub fn get_with_meta(&self, key: &[u8]) -> Option<(&V, &M)> {
        if self.len == 0 {
            return None;
        }
        let mut cur = &self.buckets[self.bucket_of(key)];
        while let Some(e) = cur {
            if e.key.borrow() == key {
                return Some((&e.value, &e.meta));
            }
            cur = &e.next;
        }
        None
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
        let b = self.bucket_of(key);
        let mut cur = &mut self.buckets[b];
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
        // Drop chains iteratively: a long chain dropped recursively could overflow the stack.
        for slot in self.buckets.iter_mut() {
            let mut cur = slot.take();
            while let Some(mut e) = cur {
                cur = e.next.take();
            }
        }
        self.buckets = Box::default();
        self.len = 0;
    }

    fn grow_if_needed(&mut self) {
        if self.buckets.is_empty() {
            self.buckets = (0..MIN_BUCKETS).map(|_| None).collect();
        } else if self.len >= self.buckets.len() {
            self.resize(self.buckets.len() * 2);
        }
    }

    fn shrink_if_needed(&mut self) {
        let n = self.buckets.len();
        // Like Redis, shrink when less than 1/8 full (HT_MIN_FILL), never below the minimum.
        if n > MIN_BUCKETS && self.len * 8 < n {
            let want = (self.len.max(1)).next_power_of_two().max(MIN_BUCKETS);
            self.resize(want);
        }
    }

    fn resize(&mut self, new_size: usize) {
        let old = std::mem::replace(&mut self.buckets, (0..new_size).map(|_| None).collect());
        let mask = new_size - 1;
        for mut slot in old.into_vec() {
            while let Some(mut e) = slot {
                slot = e.next.take();
                let b = (self.hash(e.key.borrow()) as usize) & mask;
                e.next = self.buckets[b].take();
                self.buckets[b] = Some(e);
            }
        }
    }

    /// Visits one bucket's entries for cursor `cursor` and returns the next cursor
    /// (0 when the iteration is complete), with Redis's reverse-binary increment.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&K, &V)) -> u64 {
        if self.len == 0 {
            return 0;
        }
        let mask = (self.buckets.len() - 1) as u64;
        let mut cur = &self.buckets[(cursor & mask) as usize];
        while let Some(e) = cur {
            visit(&e.key, &e.value);
            cur = &e.next;
        }
        let mut v = cursor | !mask;
        v = v.reverse_bits();
        v = v.wrapping_add(1);
        v.reverse_bits()
    }

    /// A random entry, each bucket equally likely (Redis's dictGetRandomKey flavour).
    pub fn random_entry(&self, rng: &mut impl Rng) -> Option<(&K, &V)> {
        if self.len == 0 {
            return None;
        }
        loop {
            let b = rng.gen_range(0..self.buckets.len());
            if let Some(first) = &self.buckets[b] {
                // Pick uniformly within the chain.
                let mut chain = 0;
                let mut cur = Some(first);
                while let Some(e) = cur {
                    chain += 1;
                    cur = e.next.as_ref();
                }
                let mut pick = rng.gen_range(0..chain);
                let mut cur = first;
                while pick > 0 {
                    cur = cur.next.as_ref().expect("chain length");
                    pick -= 1;
                }
                return Some((&cur.key, &cur.value));
            }
        }
    }

    /// Up to `count` entries starting from a random bucket, walking forward (Redis's
    /// dictGetSomeKeys): cheap sampling for active expiry and eviction.
    pub fn sample(&self, rng: &mut impl Rng, count: usize, mut visit: impl FnMut(&K, &V)) {
        self.sample_with_meta(rng, count, |k, v, _| visit(k, v));
    }

    /// `sample`, with each entry's metadata (eviction reads the access stamps).
    pub fn sample_with_meta(
        &self,
        rng: &mut impl Rng,
        count: usize,
        mut visit: impl FnMut(&K, &V, &M),
    ) {
        if self.len == 0 || count == 0 {
            return;
        }
        let n = self.buckets.len();
        let mut b = rng.gen_range(0..n);
        let mut seen = 0;
        let mut empty_run = 0;
        for _ in 0..n {
            let mut cur = &self.buckets[b];
            if cur.is_none() {
                empty_run += 1;
                if empty_run >= 5 && empty_run > count {
                    b = rng.gen_range(0..n);
                    empty_run = 0;
                    continue;
                }
            } else {
                empty_run = 0;
            }
            while let Some(e) = cur {
                visit(&e.key, &e.value, &e.meta);
                seen += 1;
                if seen >= count {
                    return;
                }
                cur = &e.next;
            }
            b = (b + 1) & (n - 1);
        }
    }

    pub fn iter(&self) -> Iter<'_, K, V, M> {
        Iter {
            buckets: &self.buckets,
            bucket: 0,
            cur: None,
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(k, _)| k)
    }

    /// Removes every entry for which `keep` returns false.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        for slot in self.buckets.iter_mut() {
            let mut chain = slot.take();
            let mut kept: Link<K, V, M> = None;
            while let Some(mut e) = chain {
                chain = e.next.take();
                if keep(&e.key, &mut e.value) {
                    e.next = kept;
                    kept = Some(e);
                } else {
                    self.len -= 1;
                }
            }
            *slot = kept;
        }
        self.shrink_if_needed();
    }
}

impl<K, V, M> Drop for Dict<K, V, M> {
    fn drop(&mut self) {
        for slot in self.buckets.iter_mut() {
            let mut cur = slot.take();
            while let Some(mut e) = cur {
                cur = e.next.take();
            }
        }
    }
}

pub struct Iter<'a, K, V, M = ()> {
    buckets: &'a [Link<K, V, M>],
    bucket: usize,
    cur: Option<&'a Entry<K, V, M>>,
}

impl<'a, K, V, M> Iterator for Iter<'a, K, V, M> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.cur {
                self.cur = e.next.as_deref();
                return Some((&e.key, &e.value));
            }
            let slot = self.buckets.get(self.bucket)?;
            self.bucket += 1;
            self.cur = slot.as_deref();
        }
    }
}

impl<K: Borrow<[u8]> + Clone, V: Clone, M: Default> Clone for Dict<K, V, M> {
    /// A copy with the same entries (bucket layout may differ; metadata is reset).
    fn clone(&self) -> Self {
        let mut d = Dict {
            buckets: Box::default(),
            len: 0,
        };
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

/// A collection's Dict seen through its key bytes only, so that one loop can
/// prefetch member lookups in hashes, sets and sorted sets alike (the second
/// level of `Engine::prefetch_batch`). Each step reads what the previous one
/// prefetched; run each over a whole batch before the next.
pub trait MemberPrefetch {
    /// `member`'s bucket slot, for the next steps; None when empty.
    fn member_slot(&self, member: &[u8]) -> Option<usize>;
    /// The first entry of `slot`'s chain.
    fn member_head(&self, slot: usize);
    /// The key bytes of `slot`'s first entry.
    fn member_key(&self, slot: usize);
}

impl<K: Borrow<[u8]> + KeyAddr, V, M: Default> MemberPrefetch for Dict<K, V, M> {
    fn member_slot(&self, member: &[u8]) -> Option<usize> {
        self.prefetch_slot(member)
    }

    fn member_head(&self, slot: usize) {
        self.prefetch_head(slot)
    }

    fn member_key(&self, slot: usize) {
        if let Some(e) = &self.buckets[slot] {
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
#[path = "dict_tests.rs"]
mod tests;
