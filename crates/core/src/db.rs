//! One logical database: the key dictionary plus the expires index.
//!
//! Expiry policy (lazy deletion, stats, propagation) lives in `Ctx`; this type
//! only stores. Keys are copied out of the request buffer (never slices of it)
//! and the same `Bytes` is shared between the two dictionaries.

use crate::dict::Dict;
use crate::value::Value;
use bytes::Bytes;

/// The access stamp kept beside every key (Redis's 24-bit `robj.lru`): LRU
/// seconds or LFU minutes+counter depending on `maxmemory-policy`; see
/// `cmd::object` for its encoding. 0 means "never stamped".
pub type AccessStamp = u32;

#[derive(Default)]
pub struct Db {
    pub(crate) keys: Dict<Bytes, Value, AccessStamp>,
    pub(crate) expires: Dict<Bytes, i64>,
    /// Active expiry's resumable scan position in `expires` (Redis's `expires_cursor`).
    pub expires_cursor: u64,
    /// Running estimate of the TTL of volatile keys, ms (INFO keyspace `avg_ttl`).
    pub avg_ttl: i64,
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

    pub fn keys(&self) -> &Dict<Bytes, Value, AccessStamp> {
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
        self.keys.get_mut(key)
    }

    /// Stores `value`; a new key is copied into its own allocation. Clears any
    /// TTL unless `keep_ttl`.
    pub fn insert(&mut self, key: &[u8], value: Value, keep_ttl: bool) {
        if let Some(slot) = self.keys.get_mut(key) {
            *slot = value;
        } else {
            self.keys.insert(Bytes::copy_from_slice(key), value);
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
        if let Some((slot, meta)) = self.keys.get_with_meta_mut(key) {
            *slot = value;
            *meta = stamp(Some(*meta));
        } else {
            self.keys
                .insert_new(Bytes::copy_from_slice(key), value, stamp(None));
        }
        if !keep_ttl {
            self.expires.remove(key);
        }
    }

    /// The key's access stamp (regardless of expiry).
    pub fn stamp_of(&self, key: &[u8]) -> Option<AccessStamp> {
        self.keys.get_with_meta(key).map(|(_, m)| *m)
    }

    /// Overwrites the key's access stamp; false if the key is absent.
    pub fn set_stamp(&mut self, key: &[u8], stamp: AccessStamp) -> bool {
        match self.keys.get_with_meta_mut(key) {
            Some((_, m)) => {
                *m = stamp;
                true
            }
            None => false,
        }
    }

    /// Removes the key and its TTL; returns the value.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        let v = self.keys.remove(key)?;
        self.expires.remove(key);
        Some(v)
    }

    /// Sets an absolute expiry on an existing key. Returns false if the key is absent.
    pub fn set_expire(&mut self, key: &[u8], at_ms: i64) -> bool {
        let Some((k, _)) = self.keys.get_key_value(key) else {
            return false;
        };
        let k = k.clone();
        self.expires.insert(k, at_ms);
        true
    }

    /// Removes the TTL; true if there was one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        self.expires.remove(key).is_some()
    }

    pub fn clear(&mut self) {
        self.keys.clear();
        self.expires.clear();
        self.expires_cursor = 0;
        self.avg_ttl = 0;
    }
}
