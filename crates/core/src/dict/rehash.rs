//! Incremental rehashing (Redis's `rehashidx`): a resize allocates the new
//! table and keeps the previous one beside it; buckets move over one at a
//! time, on each write to the table and in the cron (`activerehashing`).
//!
//! Where an entry lives is decided by its old bucket alone: below the drain
//! point it has moved to the new table, at or above it it is still in the old
//! one (new entries go to the same place), so a lookup probes one chain.
//!
//! Growth is at load factor 1 and every insert moves at least one old bucket,
//! so a rehash to twice the size is over before the table fills again: no
//! second resize ever waits on the first.

use super::{empty_table, Dict, Link, Table, MIN_BUCKETS};
use std::borrow::Borrow;
use std::time::{Duration, Instant};

/// Empty old buckets one step may pass over before it gives up (Redis's
/// `empty_visits = n * 10`): a step's cost stays bounded in a sparse table.
const EMPTY_VISITS: usize = 10;

/// The previous table of a running rehash.
pub(super) struct Draining<K, V, M> {
    pub(super) buckets: Table<K, V, M>,
    /// Buckets below this index have moved to the new table (and are empty).
    pub(super) next: usize,
}

impl<K: Borrow<[u8]>, V, M: Default> Dict<K, V, M> {
    /// True while entries are still moving to a resized table.
    pub fn is_rehashing(&self) -> bool {
        self.old.is_some()
    }

    /// Starts moving every entry to a table of `size` buckets (a power of
    /// two); no entry moves yet beyond one bucket.
    pub(super) fn start_rehash(&mut self, size: usize) {
        debug_assert!(self.old.is_none());
        let old = std::mem::replace(&mut self.buckets, empty_table(size));
        if self.len == 0 {
            return;
        }
        self.old = Some(Box::new(Draining {
            buckets: old,
            next: 0,
        }));
        self.rehash_step();
    }

    /// Moves the next non-empty old bucket (passing at most `EMPTY_VISITS`
    /// empty ones); returns false once no rehash is running.
    #[inline]
    pub(super) fn rehash_step(&mut self) -> bool {
        if self.old.is_none() {
            return false;
        }
        self.move_buckets(1)
    }

    /// Moves up to `n` non-empty old buckets; returns whether the rehash is
    /// still running.
    fn move_buckets(&mut self, mut n: usize) -> bool {
        let Dict { buckets, old, .. } = self;
        let Some(draining) = old.as_mut() else {
            return false;
        };
        let mask = buckets.len() - 1;
        let mut empty = n * EMPTY_VISITS;
        while n > 0 && draining.next < draining.buckets.len() {
            let mut chain = draining.buckets[draining.next].take();
            draining.next += 1;
            if chain.is_none() {
                empty -= 1;
                if empty == 0 {
                    break;
                }
                continue;
            }
            while let Some(mut e) = chain {
                chain = e.next.take();
                let b = Self::hash_of(e.key.borrow()) as usize & mask;
                e.next = buckets[b].take();
                buckets[b] = Some(e);
            }
            n -= 1;
        }
        if draining.next == draining.buckets.len() {
            *old = None;
            return false;
        }
        true
    }

    /// Moves buckets for about `budget` of CPU time, 100 at a time (Redis's
    /// `dictRehashMilliseconds`, called by the cron with 1 ms); returns
    /// whether any work was done.
    pub fn rehash_for(&mut self, budget: Duration) -> bool {
        if self.old.is_none() {
            return false;
        }
        let start = Instant::now();
        while self.move_buckets(100) {
            if start.elapsed() >= budget {
                break;
            }
        }
        true
    }

    /// Redis's `dictTryExpand(d, size)`: unless a rehash runs or `size` is
    /// below the entry count, starts a rehash to the power of two that holds
    /// `size` entries (smaller or larger; a no-op at the current size).
    /// False only when that table cannot be allocated.
    #[must_use]
    pub fn try_expand(&mut self, size: usize) -> bool {
        if self.old.is_some() || self.len > size {
            return true;
        }
        let Some(target) = size.max(MIN_BUCKETS).checked_next_power_of_two() else {
            return true;
        };
        if target == self.buckets.len() {
            return true;
        }
        let Some(table) = try_empty_table(target) else {
            return false;
        };
        let old = std::mem::replace(&mut self.buckets, table);
        if self.len > 0 {
            self.old = Some(Box::new(Draining {
                buckets: old,
                next: 0,
            }));
        }
        true
    }

    /// Completes a running rehash at once (loading, where nobody waits).
    pub(super) fn finish_rehash(&mut self) {
        while self.move_buckets(usize::MAX / EMPTY_VISITS) {}
    }

    /// Resizes to `size` buckets, moving every entry now.
    pub(super) fn resize_at_once(&mut self, size: usize) {
        debug_assert!(self.old.is_none());
        if self.len == 0 {
            self.buckets = empty_table(size);
            return;
        }
        self.start_rehash(size);
        self.finish_rehash();
    }
}

/// `empty_table`, or None when the allocator refuses the memory.
fn try_empty_table<K, V, M>(size: usize) -> Option<Table<K, V, M>> {
    let layout = std::alloc::Layout::array::<Link<K, V, M>>(size).ok()?;
    if layout.size() == 0 {
        return Some(empty_table(size));
    }
    // SAFETY: a non-zero-sized layout, as `alloc_zeroed` requires.
    let p = unsafe { std::alloc::alloc_zeroed(layout) } as *mut Link<K, V, M>;
    if p.is_null() {
        return None;
    }
    // SAFETY: `p` holds `size` zeroed links allocated by the global allocator
    // with the layout a boxed slice of them has; all-zero links are `None`.
    Some(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(p, size)) })
}
