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

/// Slots per chunk (64 KiB). The first chunk grows as a vector up to this
/// size; later ones are allocated whole.
const CHUNK: usize = 4096;

/// The slots, in chunks rather than one vector: growing never copies the
/// slots already there (a vector of 4M slots doubling copies 64 MB while the
/// server waits; Redis's expires dict rehashes incrementally instead).
#[derive(Default)]
pub struct TtlIndex {
    /// Every chunk but the last is full; the last may be an empty spare
    /// (kept so that a count going back and forth across a chunk boundary
    /// does not allocate each time).
    chunks: Vec<Vec<Slot>>,
    len: usize,
}

impl TtlIndex {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held (MEMORY STATS's `overhead.hashtable.expires`).
    pub fn bytes(&self) -> usize {
        self.capacity() * std::mem::size_of::<Slot>()
            + self.chunks.capacity() * std::mem::size_of::<Vec<Slot>>()
    }

    /// Slots allocated.
    fn capacity(&self) -> usize {
        self.chunks.iter().map(Vec::capacity).sum()
    }

    #[inline]
    fn get(&self, i: usize) -> &Slot {
        &self.chunks[i / CHUNK][i % CHUNK]
    }

    #[inline]
    fn get_mut(&mut self, i: usize) -> &mut Slot {
        &mut self.chunks[i / CHUNK][i % CHUNK]
    }

    /// The expiry `r` refers to (None for `NO_TTL`).
    #[inline]
    pub fn at(&self, r: TtlRef) -> Option<i64> {
        if r == NO_TTL {
            return None;
        }
        Some(self.get(r as usize - 1).at)
    }

    /// Where the slot of a key with metadata `meta` lives, for prefetching
    /// (never dereferenced here); None without a TTL.
    #[inline]
    pub fn slot_ptr(&self, meta: &KeyMeta) -> Option<*const u8> {
        let i = (meta.ttl as usize).checked_sub(1)?;
        let chunk = self.chunks.get(i / CHUNK)?;
        Some(chunk.as_ptr().wrapping_add(i % CHUNK) as *const u8)
    }

    /// Updates the expiry of an existing slot.
    pub fn set(&mut self, r: TtlRef, at: i64) {
        debug_assert_ne!(r, NO_TTL);
        self.get_mut(r as usize - 1).at = at;
    }

    /// Adds a slot for a key hashing to `hash`; returns its reference.
    pub fn push(&mut self, hash: u64, at: i64) -> TtlRef {
        // (4 billion volatile keys in one database would need ~300 GB first.)
        let r = TtlRef::try_from(self.len + 1).expect("TTL index full");
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => {
                // The first chunk doubles, but never past CHUNK (a reserved
                // odd size would otherwise overshoot it).
                if last.len() == last.capacity() {
                    let room = (2 * last.capacity()).clamp(4, CHUNK);
                    last.reserve_exact(room - last.len());
                }
                last.push(Slot { at, hash })
            }
            Some(_) => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(Slot { at, hash });
                self.chunks.push(chunk);
            }
            None => self.chunks.push(vec![Slot { at, hash }]),
        }
        self.len += 1;
        r
    }

    /// Drops the slot `r`. When another slot had to move into its place, the
    /// caller renumbers that slot's entry as `Moved` says.
    pub fn remove(&mut self, r: TtlRef) -> Option<Moved> {
        debug_assert_ne!(r, NO_TTL);
        let i = r as usize - 1;
        let last = self.len;
        // The spare empty chunk goes once the one before it starts emptying.
        if self.chunks.last().is_some_and(Vec::is_empty) {
            self.chunks.pop();
        }
        let tail = self.chunks.last_mut().expect("a slot to remove").pop();
        let tail = tail.expect("the last chunk holds the last slot");
        self.len -= 1;
        if self.chunks.len() == 1 {
            // Give memory back once the vector is mostly empty (as a dict shrinks).
            let only = &mut self.chunks[0];
            if only.capacity() > 64 && only.len() * 4 < only.capacity() {
                only.shrink_to(only.len() * 2);
            }
        }
        (i + 1 < last).then(|| {
            *self.get_mut(i) = tail;
            Moved {
                hash: tail.hash,
                from: last as TtlRef,
                to: r,
            }
        })
    }

    /// The slot at position `i` (0-based): its reference, expiry and key hash.
    pub fn slot(&self, i: usize) -> (TtlRef, i64, u64) {
        let s = self.get(i);
        ((i + 1) as TtlRef, s.at, s.hash)
    }

    /// Room for `additional` more slots in the first chunk when the index is
    /// empty (RDB RESIZEDB); later chunks come whole anyway.
    pub fn reserve(&mut self, additional: usize) {
        if self.chunks.is_empty() && additional > 0 {
            self.chunks.push(Vec::with_capacity(additional.min(CHUNK)));
        }
    }

    pub fn clear(&mut self) {
        self.chunks = Vec::new();
        self.len = 0;
    }

    /// DEBUG HTSTATS's "[Expires HT]" part, describing the slots in the dict
    /// format: the allocated slots are the table size and each used slot a
    /// chain of one (there are no collisions to report).
    pub fn stats_text(&self) -> String {
        let mut out = String::new();
        let used = self.len;
        let chains = (0..self.capacity()).map(|i| usize::from(i < used));
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

    fn meta(r: TtlRef) -> KeyMeta {
        KeyMeta { stamp: 0, ttl: r }
    }

    #[test]
    fn growth_never_moves_slots_past_the_first_chunk() {
        let mut t = TtlIndex::default();
        for i in 0..=CHUNK as u64 {
            t.push(i, i as i64);
        }
        let first = t.slot_ptr(&meta(1)).unwrap();
        let second = t.slot_ptr(&meta(CHUNK as TtlRef + 1)).unwrap();
        for i in 0..10 * CHUNK as u64 {
            t.push(i, 0);
        }
        assert_eq!(t.slot_ptr(&meta(1)), Some(first));
        assert_eq!(t.slot_ptr(&meta(CHUNK as TtlRef + 1)), Some(second));
        assert_eq!(t.slot_ptr(&meta(NO_TTL)), None);
        assert_eq!(t.len(), 11 * CHUNK + 1);
        // Whole chunks, no doubling slack.
        assert!(t.bytes() < 12 * CHUNK * 16 + 4096, "{}", t.bytes());
    }

    #[test]
    fn a_reserved_first_chunk_grows_to_a_chunk_exactly() {
        let mut t = TtlIndex::default();
        t.reserve(3000);
        for i in 0..=CHUNK as u64 {
            t.push(i, 0);
        }
        assert_eq!(t.chunks[0].capacity(), CHUNK);
        assert_eq!(t.capacity(), 2 * CHUNK);
    }

    #[test]
    fn slots_match_a_swap_remove_model_across_chunks() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(9);
        let mut t = TtlIndex::default();
        let mut model: Vec<(i64, u64)> = Vec::new();
        let mut most_chunks = 0;
        for step in 0..80_000u64 {
            // Breathes across several chunk boundaries.
            let grow = (step / 20_000).is_multiple_of(2);
            if model.is_empty() || rng.gen_bool(if grow { 0.8 } else { 0.2 }) {
                let r = t.push(step, step as i64 * 2);
                model.push((step as i64 * 2, step));
                assert_eq!(r as usize, model.len());
            } else {
                let i = rng.gen_range(0..model.len());
                let last = model.len();
                let moved = t.remove(i as TtlRef + 1);
                model.swap_remove(i);
                let want = (i + 1 < last).then(|| Moved {
                    hash: model[i].1,
                    from: last as TtlRef,
                    to: i as TtlRef + 1,
                });
                assert_eq!(moved, want);
            }
            if rng.gen_range(0..50) == 0 {
                let r = rng.gen_range(0..model.len()) + 1;
                t.set(r as TtlRef, -(step as i64));
                model[r - 1].0 = -(step as i64);
            }
            assert_eq!(t.len(), model.len());
            most_chunks = most_chunks.max(t.chunks.len());
            if step % 1000 == 0 {
                for (i, &(at, hash)) in model.iter().enumerate() {
                    assert_eq!(t.slot(i), (i as TtlRef + 1, at, hash));
                    assert_eq!(t.at(i as TtlRef + 1), Some(at));
                }
                assert!(
                    t.chunks.len() <= model.len() / CHUNK + 2,
                    "at most one spare chunk"
                );
            }
        }
        assert!(most_chunks >= 3, "{most_chunks} chunks at most");
        t.clear();
        assert!(t.is_empty() && t.bytes() == 0);
    }
}
