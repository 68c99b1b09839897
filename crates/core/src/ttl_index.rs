//! The expiry times of a database's volatile keys, without a second table
//! entry per key.
//!
//! Redis keeps a second dict (`db->expires`): a volatile key costs one more
//! bucket slot and dictEntry (~40 bytes) and every TTL check one more hash
//! lookup. Here each volatile key owns one 16-byte slot of a dense vector
//! (its expiry and its key's hash), and its keyspace entry names that slot in
//! its metadata ([`KeyMeta::ttl`], in what was padding). So:
//!
//! - the TTL of a key found in the keyspace is one indexed load;
//! - active expiry and volatile eviction sample the dense slots directly (no
//!   empty buckets to skip), and reach a slot's key through its hash: the
//!   entry in that chain whose metadata names the slot;
//! - removing a slot moves the last one into the hole (`swap_remove`), and the
//!   moved slot's entry is found the same way and renumbered.
//!
//! `Db` keeps the two sides consistent; this type only stores.

use crate::db::AccessStamp;

/// Keyspace entry metadata: the access stamp and the entry's TTL slot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyMeta {
    /// LRU/LFU stamp and snapshot bit (`db::AccessStamp`).
    pub stamp: AccessStamp,
    /// 1 + the index of the key's slot in its database's `TtlIndex`; 0: no TTL.
    pub(crate) ttl: TtlRef,
}

impl KeyMeta {
    pub fn new(stamp: AccessStamp) -> KeyMeta {
        KeyMeta { stamp, ttl: NO_TTL }
    }
}

/// A slot reference as stored in `KeyMeta` (index + 1; `NO_TTL` for none).
pub type TtlRef = u32;
pub const NO_TTL: TtlRef = 0;

#[derive(Clone, Copy, Debug)]
struct Slot {
    /// Absolute expiry, ms.
    at: i64,
    /// The key's `Dict::hash_of`.
    hash: u64,
}

/// A slot that `remove` moved into the hole: its entry must be renumbered
/// from `from` to `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moved {
    pub hash: u64,
    pub from: TtlRef,
    pub to: TtlRef,
}

#[derive(Default)]
pub struct TtlIndex {
    slots: Vec<Slot>,
}

impl TtlIndex {
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Bytes held (MEMORY STATS's `overhead.hashtable.expires`).
    pub fn bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
    }

    /// The expiry `r` refers to (None for `NO_TTL`).
    #[inline]
    pub fn at(&self, r: TtlRef) -> Option<i64> {
        if r == NO_TTL {
            return None;
        }
        Some(self.slots[r as usize - 1].at)
    }

    /// Where the slot of a key with metadata `meta` lives, for prefetching
    /// (never dereferenced here); None without a TTL.
    #[inline]
    pub fn slot_ptr(&self, meta: &KeyMeta) -> Option<*const u8> {
        (meta.ttl != NO_TTL)
            .then(|| self.slots.as_ptr().wrapping_add(meta.ttl as usize - 1) as *const u8)
    }

    /// Updates the expiry of an existing slot.
    pub fn set(&mut self, r: TtlRef, at: i64) {
        debug_assert_ne!(r, NO_TTL);
        self.slots[r as usize - 1].at = at;
    }

    /// Adds a slot for a key hashing to `hash`; returns its reference.
    pub fn push(&mut self, hash: u64, at: i64) -> TtlRef {
        // (4 billion volatile keys in one database would need ~300 GB first.)
        let r = TtlRef::try_from(self.slots.len() + 1).expect("TTL index full");
        self.slots.push(Slot { at, hash });
        r
    }

    /// Drops the slot `r`. When another slot had to move into its place, the
    /// caller renumbers that slot's entry as `Moved` says.
    pub fn remove(&mut self, r: TtlRef) -> Option<Moved> {
        debug_assert_ne!(r, NO_TTL);
        let i = r as usize - 1;
        let last = self.slots.len();
        self.slots.swap_remove(i);
        // Give memory back once the vector is mostly empty (as a dict shrinks).
        if self.slots.capacity() > 64 && self.slots.len() * 4 < self.slots.capacity() {
            self.slots.shrink_to(self.slots.len() * 2);
        }
        (i + 1 < last).then(|| Moved {
            hash: self.slots[i].hash,
            from: last as TtlRef,
            to: r,
        })
    }

    /// The slot at position `i` (0-based): its reference, expiry and key hash.
    pub fn slot(&self, i: usize) -> (TtlRef, i64, u64) {
        let s = self.slots[i];
        ((i + 1) as TtlRef, s.at, s.hash)
    }

    pub fn reserve(&mut self, additional: usize) {
        self.slots.reserve(additional);
    }

    pub fn clear(&mut self) {
        self.slots = Vec::new();
    }

    /// DEBUG HTSTATS's "[Expires HT]" part, describing this vector in the
    /// dict format: its capacity is the table size and each used slot a
    /// chain of one (there are no collisions to report).
    pub fn stats_text(&self) -> String {
        let mut out = String::new();
        let used = self.slots.len();
        let chains = (0..self.slots.capacity()).map(|i| usize::from(i < used));
        crate::dict::stats::table_stats(&mut out, 0, chains);
        crate::dict::stats::truncated(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_moves_the_last_slot_into_the_hole() {
        let mut t = TtlIndex::default();
        let a = t.push(10, 100);
        let b = t.push(20, 200);
        let c = t.push(30, 300);
        assert_eq!((a, b, c), (1, 2, 3));
        assert_eq!(t.at(b), Some(200));
        assert_eq!(t.at(NO_TTL), None);
        // The middle one goes: the last moves into its place.
        assert_eq!(
            t.remove(b),
            Some(Moved {
                hash: 30,
                from: 3,
                to: 2
            })
        );
        assert_eq!(t.len(), 2);
        assert_eq!(t.at(2), Some(300));
        // The last one goes: nothing moves.
        assert_eq!(t.remove(2), None);
        assert_eq!(t.slot(0), (1, 100, 10));
        t.set(1, 150);
        assert_eq!(t.at(1), Some(150));
        assert_eq!(t.remove(1), None);
        assert!(t.is_empty());
    }

    #[test]
    fn shrinks_when_mostly_empty() {
        let mut t = TtlIndex::default();
        for i in 0..1000 {
            t.push(i, i as i64);
        }
        let full = t.bytes();
        while t.len() > 10 {
            t.remove(1);
        }
        assert!(t.bytes() < full / 4, "{} of {}", t.bytes(), full);
        // Remaining slots are intact: each (at == hash) pair survived the moves.
        for i in 0..t.len() {
            let (_, at, hash) = t.slot(i);
            assert_eq!(at as u64, hash);
        }
    }
}
