//! One logical database: the key dictionary plus the TTL index.
//!
//! Expiry policy (lazy deletion, stats, propagation) lives in `Ctx`; this type
//! only stores. Keys are copied out of the request buffer (never slices of it)
//! into compact `KeyBuf`s (inline up to 15 bytes). A volatile key's expiry is
//! a slot of `ttls` named by its entry's metadata (see `ttl_index`): every
//! method here that adds, removes or re-times a key keeps both sides in step.

use crate::compact::KeyBuf;
use crate::dict::Dict;
use crate::snapshot::{Captured, DbSnap, SAVED_BIT};
use crate::ttl_index::{KeyMeta, TtlIndex, TtlRef, NO_TTL};
use crate::value::Value;
use bytes::Bytes;

/// The access stamp kept beside every key (Redis's 24-bit `robj.lru`): LRU
/// seconds or LFU minutes+counter depending on `maxmemory-policy`; see
/// `cmd::object` for its encoding. 0 means "never stamped". Bit 31 is the
/// snapshot bit (`snapshot::SAVED_BIT`): every write of a stamp keeps it, and
/// `stamp_of` leaves it out.
pub type AccessStamp = u32;

/// A database's key table: keys, values, access stamps and TTL slots.
pub type Keyspace = Dict<KeyBuf, Value, KeyMeta>;

#[derive(Default)]
pub struct Db {
    pub(crate) keys: Keyspace,
    pub(crate) ttls: TtlIndex,
    /// Active expiry's resumable position in `ttls` (Redis's `expires_cursor`).
    pub expires_cursor: u64,
    /// Running estimate of the TTL of volatile keys, ms (INFO keyspace `avg_ttl`).
    pub avg_ttl: i64,
    /// Copy-on-write state of a running snapshot (see `snapshot`); every
    /// mutation below calls its hooks first.
    pub(crate) snap: DbSnap<KeyBuf>,
}

impl Db {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn expires_count(&self) -> usize {
        self.ttls.len()
    }

    /// The TTL index (read-only: `Db` keeps it in step with the keys).
    pub fn ttls(&self) -> &TtlIndex {
        &self.ttls
    }

    /// The key and entry metadata of TTL slot `i` (0-based; `i < expires_count()`).
    pub fn volatile_at(&self, i: usize) -> Option<(&KeyBuf, &KeyMeta, i64)> {
        let (r, at, hash) = self.ttls.slot(i);
        let (k, _, m) = self.keys.find_hashed(hash, |m| m.ttl == r)?;
        Some((k, m, at))
    }

    pub fn keys(&self) -> &Keyspace {
        &self.keys
    }

    /// Absolute expiry time in ms, if the key has one.
    pub fn expire_of(&self, key: &[u8]) -> Option<i64> {
        if self.ttls.is_empty() {
            return None;
        }
        let (_, meta) = self.keys.get_with_meta(key)?;
        self.ttls.at(meta.ttl)
    }

    /// Drops TTL slot `r` (already unlinked from its entry, or its entry
    /// removed) and renumbers the entry of the slot moved into its place.
    fn drop_ttl(&mut self, r: TtlRef) {
        if r == NO_TTL {
            return;
        }
        if let Some(m) = self.ttls.remove(r) {
            let meta = self
                .keys
                .find_hashed_meta_mut(m.hash, |meta| meta.ttl == m.from);
            debug_assert!(meta.is_some(), "TTL slot without its key");
            if let Some(meta) = meta {
                meta.ttl = m.to;
            }
        }
    }

    /// Removes `key`'s TTL (entry side and slot); true if it had one.
    fn unlink_ttl(&mut self, key: &[u8]) -> bool {
        if self.ttls.is_empty() {
            return false;
        }
        let Some((_, meta)) = self.keys.get_with_meta_mut(key) else {
            return false;
        };
        let r = std::mem::replace(&mut meta.ttl, NO_TTL);
        self.drop_ttl(r);
        r != NO_TTL
    }

    pub fn is_expired(&self, key: &[u8], now_ms: i64) -> bool {
        matches!(self.expire_of(key), Some(at) if at < now_ms)
    }

    /// The value regardless of expiry.
    pub fn get_raw(&self, key: &[u8]) -> Option<&Value> {
        self.keys.get(key)
    }

    pub fn get_raw_mut(&mut self, key: &[u8]) -> Option<&mut Value> {
        self.snap_preserve(key);
        self.keys.get_mut(key)
    }

    /// The value and access stamp for modification (Ctx::lookup_write). A
    /// new stamp must keep the high bits (`object::touched` does).
    pub fn get_with_stamp_mut(&mut self, key: &[u8]) -> Option<(&mut Value, &mut AccessStamp)> {
        self.snap_preserve(key);
        self.keys
            .get_with_meta_mut(key)
            .map(|(v, m)| (v, &mut m.stamp))
    }

    /// A running snapshot that still needs `key` keeps `old`, its previous value.
    fn snap_keep(&mut self, key: &[u8], claimed: Option<AccessStamp>, old: Value) {
        if let Some(stamp) = claimed {
            let expire = self.snap_expire(key);
            self.snap_push(Captured {
                key: Bytes::copy_from_slice(key),
                value: old,
                expire,
                stamp,
            });
        }
    }

    /// Stores `value`; a new key is copied into its own allocation. Clears any
    /// TTL unless `keep_ttl`.
    pub fn insert(&mut self, key: &[u8], value: Value, keep_ttl: bool) {
        let claimed = self.snap_claim(key);
        if let Some(slot) = self.keys.get_mut(key) {
            let old = std::mem::replace(slot, value);
            self.snap_keep(key, claimed, old);
        } else {
            let bit = self.snap.new_bit();
            self.keys
                .insert_new(KeyBuf::new(key), value, KeyMeta::new(bit));
            return;
        }
        if !keep_ttl {
            self.unlink_ttl(key);
        }
    }

    /// Like `insert`, and stamps the entry: `stamp(Some(old))` when `key`
    /// existed, `stamp(None)` for a new key.
    pub fn insert_stamped(
        &mut self,
        key: &[u8],
        value: Value,
        keep_ttl: bool,
        stamp: impl FnOnce(Option<AccessStamp>) -> AccessStamp,
    ) {
        let claimed = self.snap_claim(key);
        if let Some((slot, meta)) = self.keys.get_with_meta_mut(key) {
            let old = std::mem::replace(slot, value);
            let s = &mut meta.stamp;
            *s = (stamp(Some(*s & !SAVED_BIT)) & !SAVED_BIT) | (*s & SAVED_BIT);
            self.snap_keep(key, claimed, old);
        } else {
            let meta = (stamp(None) & !SAVED_BIT) | self.snap.new_bit();
            self.keys
                .insert_new(KeyBuf::new(key), value, KeyMeta::new(meta));
            return;
        }
        if !keep_ttl {
            self.unlink_ttl(key);
        }
    }

    /// Adds a key that is expected to be new (RDB loading), with its expiry
    /// and access stamp, in one keyspace lookup. A key already present is left
    /// untouched and `value` handed back (the caller fails or replaces it
    /// through `insert_stamped`). A new key needs no snapshot capture: it
    /// only gets the snapshot's "new entry" bit, as `insert` gives it.
    pub fn insert_loaded(
        &mut self,
        key: &[u8],
        value: Value,
        expire: Option<i64>,
        stamp: AccessStamp,
    ) -> Result<(), Value> {
        let mut meta = KeyMeta::new((stamp & !SAVED_BIT) | self.snap.new_bit());
        // The slot first, so the entry is inserted already naming it.
        if let Some(at) = expire {
            meta.ttl = self.ttls.push(Keyspace::hash_of(key), at);
        }
        let added = self
            .keys
            .try_insert_new(key, || KeyBuf::new(key), value, meta);
        if added.is_err() && meta.ttl != NO_TTL {
            // The last slot: removing it moves nothing.
            self.ttls.remove(meta.ttl);
        }
        added
    }

    /// Pre-sizes the keyspace and the expires index for `keys` and `expires`
    /// more entries (RDB RESIZEDB).
    pub fn reserve(&mut self, keys: usize, expires: usize) {
        self.keys.reserve(keys);
        self.ttls.reserve(expires);
    }

    /// Sizes the keyspace for `keys` entries as Redis's `dictTryExpand`
    /// does (DEBUG POPULATE), incrementally when it holds keys; false when
    /// the table cannot be allocated.
    #[must_use]
    pub fn try_expand(&mut self, keys: usize) -> bool {
        self.keys.try_expand(keys)
    }

    /// Moves buckets of a running keyspace rehash for about `budget` (the
    /// cron's share); true if one was running. Entries move whole, none
    /// changes, so a running snapshot is unaffected.
    pub fn rehash_for(&mut self, budget: std::time::Duration) -> bool {
        self.keys.rehash_for(budget)
    }

    /// The key's access stamp (regardless of expiry).
    pub fn stamp_of(&self, key: &[u8]) -> Option<AccessStamp> {
        self.keys
            .get_with_meta(key)
            .map(|(_, m)| m.stamp & !SAVED_BIT)
    }

    /// Overwrites the key's access stamp; false if the key is absent.
    pub fn set_stamp(&mut self, key: &[u8], stamp: AccessStamp) -> bool {
        match self.keys.get_with_meta_mut(key) {
            Some((_, m)) => {
                m.stamp = (stamp & !SAVED_BIT) | (m.stamp & SAVED_BIT);
                true
            }
            None => false,
        }
    }

    /// Removes the key and its TTL; returns the value.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        self.snap_preserve(key);
        let (_, v, meta) = self.keys.remove_with_meta(key)?;
        self.drop_ttl(meta.ttl);
        Some(v)
    }

    /// Removes the key and its TTL, dropping the value (a running snapshot
    /// that still needs it takes it without a copy); true if it existed.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        let claimed = self.snap_claim(key);
        let expire = claimed.and_then(|_| self.snap_expire(key));
        let Some((_, v, meta)) = self.keys.remove_with_meta(key) else {
            return false;
        };
        self.drop_ttl(meta.ttl);
        if let Some(stamp) = claimed {
            self.snap_push(Captured {
                key: Bytes::copy_from_slice(key),
                value: v,
                expire,
                stamp,
            });
        }
        true
    }

    /// Sets an absolute expiry on an existing key. Returns false if the key is absent.
    pub fn set_expire(&mut self, key: &[u8], at_ms: i64) -> bool {
        // (Does nothing for an absent key, nor while no snapshot runs.)
        self.snap_note_expire(key);
        let Some((_, meta)) = self.keys.get_with_meta_mut(key) else {
            return false;
        };
        if meta.ttl != NO_TTL {
            self.ttls.set(meta.ttl, at_ms);
        } else {
            meta.ttl = self.ttls.push(Keyspace::hash_of(key), at_ms);
        }
        true
    }

    /// Removes the TTL; true if there was one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        self.snap_note_expire(key);
        self.unlink_ttl(key)
    }

    pub fn clear(&mut self) {
        self.snap_retire();
        self.keys.clear();
        self.ttls.clear();
        self.expires_cursor = 0;
        self.avg_ttl = 0;
    }
}

#[cfg(test)]
#[path = "db_tests.rs"]
mod tests;
