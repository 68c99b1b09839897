//! Walking a Dict: SCAN's cursor, random entries and samples, iteration and
//! `retain`, each over both tables while a rehash runs.

use super::{Dict, Entry, Link};
use rand::Rng;
use std::borrow::Borrow;

/// Redis's reverse-binary cursor increment over the bits of `mask`.
fn next_cursor(cursor: u64, mask: u64) -> u64 {
    ((cursor | !mask).reverse_bits().wrapping_add(1)).reverse_bits()
}

fn visit_chain<K, V, M>(mut cur: &Link<K, V, M>, visit: &mut impl FnMut(&K, &V)) {
    while let Some(e) = cur {
        visit(&e.key, &e.value);
        cur = &e.next;
    }
}

impl<K: Borrow<[u8]>, V, M: Default> Dict<K, V, M> {
    /// Visits the entries of the bucket(s) for `cursor` and returns the next
    /// cursor (0 when the iteration is complete), with Redis's reverse-binary
    /// increment. During a rehash, as Redis's dictScan: the smaller table's
    /// bucket, then every bucket of the larger table that expands it.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&K, &V)) -> u64 {
        if self.len == 0 {
            return 0;
        }
        let Some(old) = &self.old else {
            let mask = (self.buckets.len() - 1) as u64;
            visit_chain(&self.buckets[(cursor & mask) as usize], &mut visit);
            return next_cursor(cursor, mask);
        };
        let (small, large) = if old.buckets.len() <= self.buckets.len() {
            (&old.buckets, &self.buckets)
        } else {
            (&self.buckets, &old.buckets)
        };
        let (m0, m1) = ((small.len() - 1) as u64, (large.len() - 1) as u64);
        let mut v = cursor;
        visit_chain(&small[(v & m0) as usize], &mut visit);
        loop {
            visit_chain(&large[(v & m1) as usize], &mut visit);
            v = next_cursor(v, m1);
            // Done once the bits only the larger table has wrap around.
            if v & (m0 ^ m1) == 0 {
                return v;
            }
        }
    }

    /// The bucket slots of both tables as one index space (see `slot`).
    fn slot_count(&self) -> usize {
        self.buckets()
    }

    /// A random entry, each bucket equally likely (Redis's dictGetRandomKey flavour).
    pub fn random_entry(&self, rng: &mut impl Rng) -> Option<(&K, &V)> {
        if self.len == 0 {
            return None;
        }
        let n = self.slot_count();
        loop {
            let Some(first) = self.slot(rng.gen_range(0..n)) else {
                continue;
            };
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

    /// A random entry chosen evenly among up to 20 sampled ones (Redis's
    /// dictGetFairRandomKey, behind RANDOMKEY, SRANDMEMBER, SPOP, HRANDFIELD
    /// and ZRANDMEMBER): `random_entry` alone favours entries that are alone
    /// in their bucket, which shows in the counts of repeated picks.
    pub fn fair_random_entry(&self, rng: &mut impl Rng) -> Option<(&K, &V)> {
        const FAIR_SAMPLE: usize = 20;
        let mut sampled: [Option<(&K, &V)>; FAIR_SAMPLE] = [None; FAIR_SAMPLE];
        let mut n = 0;
        if self.len <= FAIR_SAMPLE && self.buckets() <= 8 * FAIR_SAMPLE {
            // A sample may miss some of them (it jumps past long empty runs,
            // as a table in mid-rehash has): take them all, so every entry
            // of a small dict is exactly as likely. (A sparse large table,
            // not yet shrunk, is sampled: its walk would be long.)
            for (k, v) in self.iter() {
                sampled[n] = Some((k, v));
                n += 1;
            }
        } else {
            self.sample(rng, FAIR_SAMPLE, |k, v| {
                sampled[n] = Some((k, v));
                n += 1;
            });
        }
        if n == 0 {
            return self.random_entry(rng);
        }
        sampled[rng.gen_range(0..n)]
    }

    /// Up to `count` entries starting from a random bucket, walking forward (Redis's
    /// dictGetSomeKeys): cheap sampling for active expiry and eviction.
    pub fn sample<'a>(
        &'a self,
        rng: &mut impl Rng,
        count: usize,
        mut visit: impl FnMut(&'a K, &'a V),
    ) {
        self.sample_with_meta(rng, count, |k, v, _| visit(k, v));
    }

    /// `sample`, with each entry's metadata (eviction reads the access stamps).
    pub fn sample_with_meta<'a>(
        &'a self,
        rng: &mut impl Rng,
        count: usize,
        mut visit: impl FnMut(&'a K, &'a V, &'a M),
    ) {
        if self.len == 0 || count == 0 {
            return;
        }
        let n = self.slot_count();
        let mut b = rng.gen_range(0..n);
        let mut seen = 0;
        let mut empty_run = 0;
        for _ in 0..n {
            let mut cur = self.slot(b);
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
            b = (b + 1) % n;
        }
    }

    pub fn iter(&self) -> Iter<'_, K, V, M> {
        let old: &[Link<K, V, M>] = match &self.old {
            Some(o) => &o.buckets[o.next..],
            None => &[],
        };
        Iter {
            tables: [&self.buckets, old],
            bucket: 0,
            cur: None,
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(k, _)| k)
    }

    /// Removes every entry for which `keep` returns false.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        let Dict {
            buckets, old, len, ..
        } = self;
        let old_slots = old.as_mut().map(|o| &mut o.buckets[..]);
        for slot in buckets.iter_mut().chain(old_slots.into_iter().flatten()) {
            let mut chain = slot.take();
            let mut kept: Link<K, V, M> = None;
            while let Some(mut e) = chain {
                chain = e.next.take();
                if keep(&e.key, &mut e.value) {
                    e.next = kept;
                    kept = Some(e);
                } else {
                    *len -= 1;
                }
            }
            *slot = kept;
        }
        self.shrink_if_needed();
    }
}

/// The entries of the current table, then those of a draining one.
pub struct Iter<'a, K, V, M = ()> {
    tables: [&'a [Link<K, V, M>]; 2],
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
            let slot = match self.tables[0].get(self.bucket) {
                Some(slot) => slot,
                None if self.tables[1].is_empty() => return None,
                None => {
                    self.tables = [self.tables[1], &[]];
                    self.bucket = 0;
                    continue;
                }
            };
            self.bucket += 1;
            self.cur = slot.as_deref();
        }
    }
}
