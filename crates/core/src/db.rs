//! One logical database: the key dictionary plus the expires index.
//!
//! Expiry policy (lazy deletion, stats, propagation) lives in `Ctx`; this type
//! only stores. Keys are copied out of the request buffer (never slices of it)
//! into compact `KeyBuf`s (inline up to 15 bytes); a volatile key's entry in
//! `expires` holds its own copy.

use crate::compact::KeyBuf;
use crate::dict::Dict;
use crate::snapshot::{Captured, DbSnap, SAVED_BIT};
use crate::value::Value;
use bytes::Bytes;

/// The access stamp kept beside every key (Redis's 24-bit `robj.lru`): LRU
/// seconds or LFU minutes+counter depending on `maxmemory-policy`; see
/// `cmd::object` for its encoding. 0 means "never stamped". Bit 31 is the
/// snapshot bit (`snapshot::SAVED_BIT`): every write of a stamp keeps it, and
/// `stamp_of` leaves it out.
pub type AccessStamp = u32;

/// A database's key table: keys, values and their access stamps.
pub type Keyspace = Dict<KeyBuf, Value, AccessStamp>;

#[derive(Default)]
pub struct Db {
    pub(crate) keys: Keyspace,
    pub(crate) expires: Dict<KeyBuf, i64>,
    /// Active expiry's resumable scan position in `expires` (Redis's `expires_cursor`).
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
        self.expires.len()
    }

    pub fn keys(&self) -> &Keyspace {
        &self.keys
    }

    /// Absolute expiry time in ms, if the key has one.
    pub fn expire_of(&self, key: &[u8]) -> Option<i64> {
        if self.expires.is_empty() {
            return None;
        }
        self.expires.get(key).copied()
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
        self.keys.get_with_meta_mut(key)
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
            self.keys.insert_new(KeyBuf::new(key), value, bit);
        }
        if !keep_ttl {
            self.expires.remove(key);
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
            *meta = (stamp(Some(*meta & !SAVED_BIT)) & !SAVED_BIT) | (*meta & SAVED_BIT);
            self.snap_keep(key, claimed, old);
        } else {
            let meta = (stamp(None) & !SAVED_BIT) | self.snap.new_bit();
            self.keys.insert_new(KeyBuf::new(key), value, meta);
        }
        if !keep_ttl {
            self.expires.remove(key);
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
        let meta = (stamp & !SAVED_BIT) | self.snap.new_bit();
        self.keys
            .try_insert_new(key, || KeyBuf::new(key), value, meta)?;
        if let Some(at) = expire {
            // Every key of `expires` is in `keys`: a new key has no entry there.
            self.expires.insert_new(KeyBuf::new(key), at, ());
        }
        Ok(())
    }

    /// Pre-sizes the keyspace and the expires index for `keys` and `expires`
    /// more entries (RDB RESIZEDB).
    pub fn reserve(&mut self, keys: usize, expires: usize) {
        self.keys.reserve(keys);
        self.expires.reserve(expires);
    }

    /// The key's access stamp (regardless of expiry).
    pub fn stamp_of(&self, key: &[u8]) -> Option<AccessStamp> {
        self.keys.get_with_meta(key).map(|(_, m)| *m & !SAVED_BIT)
    }

    /// Overwrites the key's access stamp; false if the key is absent.
    pub fn set_stamp(&mut self, key: &[u8], stamp: AccessStamp) -> bool {
        match self.keys.get_with_meta_mut(key) {
            Some((_, m)) => {
                *m = (stamp & !SAVED_BIT) | (*m & SAVED_BIT);
                true
            }
            None => false,
        }
    }

    /// Removes the key and its TTL; returns the value.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        self.snap_preserve(key);
        let v = self.keys.remove(key)?;
        self.expires.remove(key);
        Some(v)
    }

    /// Removes the key and its TTL, dropping the value (a running snapshot
    /// that still needs it takes it without a copy); true if it existed.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        let claimed = self.snap_claim(key);
        let expire = claimed.and_then(|_| self.snap_expire(key));
        let Some(v) = self.keys.remove(key) else {
            return false;
        };
        self.expires.remove(key);
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
        let Some((k, _)) = self.keys.get_key_value(key) else {
            return false;
        };
        let k = k.clone();
        self.snap_note_expire(key);
        self.expires.insert(k, at_ms);
        true
    }

    /// Removes the TTL; true if there was one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        self.snap_note_expire(key);
        self.expires.remove(key).is_some()
    }

    pub fn clear(&mut self) {
        self.snap_retire();
        self.keys.clear();
        self.expires.clear();
        self.expires_cursor = 0;
        self.avg_ttl = 0;
    }
}
