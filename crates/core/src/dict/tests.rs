//! Unit tests of `Dict`: lookups, SCAN across resizes, sampling, prefetching.

use super::*;
use rand::SeedableRng;
use std::collections::HashSet;

fn k(i: usize) -> Vec<u8> {
    format!("key:{i}").into_bytes()
}

/// One whole SCAN of `d` (until the cursor comes back to 0), calling
/// `between` with the number of calls so far after each call; returns the
/// keys seen.
fn scan_all_while<V>(
    d: &mut Dict<Vec<u8>, V>,
    mut between: impl FnMut(&mut Dict<Vec<u8>, V>, usize),
) -> HashSet<Vec<u8>> {
    let mut seen = HashSet::new();
    let (mut cursor, mut calls) = (0, 0);
    loop {
        cursor = d.scan(cursor, |key, _| {
            seen.insert(key.clone());
        });
        calls += 1;
        between(d, calls);
        if cursor == 0 {
            return seen;
        }
    }
}

/// Completes a running rehash (what the cron and later writes would do).
fn settle<K: Borrow<[u8]>, V, M: Default>(d: &mut Dict<K, V, M>) {
    while d.is_rehashing() {
        d.rehash_for(std::time::Duration::from_secs(1));
    }
}

#[test]
fn member_prefetch_steps_stay_in_bounds() {
    use std::sync::Arc;
    let empty: Dict<Arc<[u8]>, f64> = Dict::new();
    assert_eq!(empty.member_slot(b"m"), None);
    let mut d: Dict<Arc<[u8]>, f64> = Dict::new();
    for i in 0..1000 {
        d.insert(Arc::from(&k(i)[..]), i as f64);
    }
    let index: &dyn MemberIndex = &d;
    for i in (0..2000).step_by(7) {
        let slot = index.member_slot(&k(i)).expect("non-empty");
        assert!(slot < d.buckets());
        index.member_head(slot);
        index.member_key(slot);
    }
    assert_eq!(d.len(), 1000);
    assert_eq!(d.get(&k(999)), Some(&999.0));
}

#[test]
fn prefetch_is_only_a_hint() {
    let mut d: Dict<crate::compact::KeyBuf, usize> = Dict::new();
    let none = |_: &usize, _: &()| [None, None];
    d.prefetch(&[b"nothing yet"], none);
    let long = |i: usize| format!("a-key-longer-than-fifteen-bytes:{i}").into_bytes();
    for i in 0..100 {
        d.insert(crate::compact::KeyBuf::new(&k(i)), i);
        d.insert(crate::compact::KeyBuf::new(&long(i)), i + 1000);
    }
    let (a, b, missing) = (k(7), long(9), b"missing".to_vec());
    let keys: Vec<&[u8]> = vec![&a, &b, &missing, &[]];
    d.prefetch(&keys, |v, _| [Some(v as *const usize as *const u8), None]);
    // More keys than one pass takes are cut, not read out of bounds.
    d.prefetch(&[&a[..]; 40], none);
    assert_eq!(d.get(&a), Some(&7));
    assert_eq!(d.get(&b), Some(&1009));
    assert_eq!(d.get(&missing), None);
    assert_eq!(d.len(), 200);
}

#[test]
fn insert_get_remove() {
    let mut d: Dict<Vec<u8>, usize> = Dict::new();
    for i in 0..1000 {
        assert_eq!(d.insert(k(i), i), None);
    }
    assert_eq!(d.insert(k(5), 55), Some(5));
    assert_eq!(d.len(), 1000);
    assert_eq!(d.get(&k(5)), Some(&55));
    for i in 0..990 {
        assert!(d.remove(&k(i)).is_some());
    }
    assert_eq!(d.len(), 10);
    // The shrink that started at 1/8 full finishes; the next removal starts
    // the next one.
    settle(&mut d);
    assert!(d.remove(&k(990)).is_some());
    settle(&mut d);
    assert!(d.buckets() <= 16, "shrinks when sparse: {}", d.buckets());
    assert_eq!(d.iter().count(), 9);
}

#[test]
fn scan_returns_every_stable_element_across_resizes() {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(1);
    let mut d: Dict<Vec<u8>, ()> = Dict::new();
    for i in 0..500 {
        d.insert(k(i), ());
    }
    let stable: HashSet<Vec<u8>> = (0..250).map(k).collect();
    // Grow and shrink the table while iterating; keys 0..250 stay throughout.
    let seen = scan_all_while(&mut d, |d, step| {
        if step % 3 == 0 {
            for j in 0..200 {
                d.insert(k(1000 + step * 200 + j), ());
            }
        } else {
            let victims: Vec<Vec<u8>> = d
                .keys()
                .filter(|key| !stable.contains(*key))
                .take(150 + rng.gen_range(0..50))
                .cloned()
                .collect();
            for v in victims {
                d.remove(&v);
            }
        }
    });
    for s in &stable {
        assert!(seen.contains(s), "missed {:?}", String::from_utf8_lossy(s));
    }
}

#[test]
fn keyspace_entries_fit_a_48_byte_class() {
    // next + key (inline up to 15 bytes) + value (inline strings up to 15
    // bytes) + access stamp + TTL slot: a small string key is one 48-byte
    // allocation, with or without a TTL.
    use crate::{compact::KeyBuf, ttl_index::KeyMeta, value::Value};
    assert_eq!(std::mem::size_of::<Entry<KeyBuf, Value, KeyMeta>>(), 48);
    // No hasher state per table: the bucket array, the count and the
    // pointer to a draining table during a rehash.
    assert_eq!(std::mem::size_of::<Dict<KeyBuf, ()>>(), 32);
}

#[test]
fn reserve_presizes_and_keeps_scan_and_shrink() {
    let mut d: Dict<Vec<u8>, usize> = Dict::new();
    d.reserve(1000);
    assert_eq!(d.buckets(), 1024);
    for i in 0..1000 {
        assert!(d.try_insert_new(&k(i), || k(i), i, ()).is_ok());
    }
    assert_eq!(d.buckets(), 1024, "no rehash while filling");
    assert_eq!(d.try_insert_new(&k(7), || k(7), 0, ()), Err(0));
    assert_eq!(d.get(&k(7)), Some(&7));
    assert_eq!(d.len(), 1000);
    d.reserve(10);
    assert_eq!(d.buckets(), 1024, "already room");
    // Reserving in the middle of a SCAN still returns every element.
    let seen = scan_all_while(&mut d, |d, step| {
        if step == 100 {
            d.reserve(10_000);
            assert_eq!(d.buckets(), 16384);
        }
    });
    assert_eq!(seen.len(), 1000);
    // An over-reserved table shrinks on removal as usual.
    for i in 0..995 {
        d.remove(&k(i));
    }
    settle(&mut d);
    d.remove(&k(995));
    settle(&mut d);
    assert!(d.buckets() <= 16, "{}", d.buckets());
    let mut e: Dict<Vec<u8>, usize> = Dict::new();
    e.reserve(0);
    assert_eq!(e.buckets(), 0);
    e.reserve(1);
    assert_eq!(e.buckets(), MIN_BUCKETS);
}

#[test]
fn random_and_sample_find_entries() {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(2);
    let mut d: Dict<Vec<u8>, usize> = Dict::new();
    assert!(d.random_entry(&mut rng).is_none());
    for i in 0..100 {
        d.insert(k(i), i);
    }
    let mut got = HashSet::new();
    for _ in 0..2000 {
        got.insert(*d.random_entry(&mut rng).unwrap().1);
    }
    assert!(got.len() > 90);
    let mut n = 0;
    d.sample(&mut rng, 20, |_, _| n += 1);
    assert_eq!(n, 20);
    d.retain(|_, v| *v % 2 == 0);
    assert_eq!(d.len(), 50);
    assert!(d.iter().all(|(_, v)| v % 2 == 0));
}

/// The drain point of a running rehash (None when none runs).
fn drain_point<K, V, M>(d: &Dict<K, V, M>) -> Option<usize> {
    d.old.as_ref().map(|o| o.next)
}

#[test]
fn a_resize_moves_one_bucket_per_write() {
    let mut d: Dict<Vec<u8>, usize> = Dict::new();
    d.reserve(1024);
    for i in 0..1024 {
        d.insert_new(k(i), i, ());
    }
    assert!(!d.is_rehashing());
    assert_eq!(d.buckets(), 1024);
    // The write that fills the table starts a rehash to twice the size and
    // moves one old bucket, not all of them.
    d.insert_new(k(1024), 1024, ());
    assert!(d.is_rehashing());
    assert_eq!(d.buckets(), 1024 + 2048);
    assert!(drain_point(&d).unwrap() <= 11);
    let mut most_per_write = 0;
    let mut i = 1025;
    while let Some(before) = drain_point(&d) {
        d.insert_new(k(i), i, ());
        // At most one non-empty bucket and ten empty ones per write.
        let moved = drain_point(&d).unwrap_or(1024) - before;
        most_per_write = most_per_write.max(moved);
        assert!((1..=11).contains(&moved), "write {i} moved {moved} buckets");
        i += 1;
    }
    assert!(
        most_per_write >= 2,
        "empty buckets are skipped within a step"
    );
    // Over before the table is full again: the next growth never waits.
    assert!(d.len() < 2048, "rehash took {} writes", d.len() - 1024);
    assert_eq!(d.buckets(), 2048);
    for j in 0..i {
        assert_eq!(d.get(&k(j)), Some(&j));
    }
}

#[test]
fn random_operations_match_a_map_through_rehashes() {
    use std::collections::HashMap;
    let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
    let mut d: Dict<Vec<u8>, usize> = Dict::new();
    let mut model: HashMap<Vec<u8>, usize> = HashMap::new();
    let (mut grows, mut shrinks, mut rehashing_ops) = (0, 0, 0);
    for step in 0..60_000usize {
        // Waves: a growing phase inserts over a wide range, a shrinking one
        // mostly removes, so the table grows and shrinks over and over.
        let growing = (step / 7500).is_multiple_of(2);
        let key = k(rng.gen_range(0..2000));
        let small_key = k(rng.gen_range(0..50));
        let key = if growing || rng.gen_bool(0.8) {
            key
        } else {
            small_key
        };
        let was = (d.is_rehashing(), d.buckets());
        let op = match rng.gen_range(0..8) {
            0..=3 if !growing => 4,
            op => op,
        };
        match op {
            0..=2 => assert_eq!(d.insert(key.clone(), step), model.insert(key, step)),
            3 => {
                let r = d.try_insert_new(&key, || key.clone(), step, ());
                match model.entry(key) {
                    std::collections::hash_map::Entry::Occupied(_) => assert_eq!(r, Err(step)),
                    std::collections::hash_map::Entry::Vacant(v) => {
                        assert_eq!(r, Ok(()));
                        v.insert(step);
                    }
                }
            }
            4 | 5 => assert_eq!(d.remove(&key), model.remove(&key)),
            6 => {
                if let Some(v) = d.get_mut(&key) {
                    *v += 1;
                }
                if let Some(v) = model.get_mut(&key) {
                    *v += 1;
                }
            }
            _ => assert_eq!(d.get(&key), model.get(&key)),
        }
        if d.is_rehashing() {
            rehashing_ops += 1;
            if !was.0 {
                if d.buckets() > was.1 * 2 {
                    grows += 1;
                } else {
                    shrinks += 1;
                }
            }
        }
        assert_eq!(d.len(), model.len());
        if step % 500 == 0 {
            assert_eq!(d.iter().count(), model.len());
            for (key, v) in &model {
                assert_eq!(d.get(key), Some(v));
            }
        }
    }
    assert!(
        grows >= 5 && shrinks >= 3,
        "grows {grows}, shrinks {shrinks}"
    );
    assert!(
        rehashing_ops > 1000,
        "{rehashing_ops} operations during a rehash"
    );
}

#[test]
fn scan_returns_every_stable_element_while_rehashing() {
    let mut d: Dict<Vec<u8>, ()> = Dict::new();
    let stable: Vec<Vec<u8>> = (0..2048).map(k).collect();
    let mut stable_set: HashSet<Vec<u8>> = stable.iter().cloned().collect();
    for s in &stable {
        d.insert(s.clone(), ());
    }
    // Grows (one insert per SCAN call, so each call sees a different drain
    // point), then shrinks the same way.
    for phase in ["grow", "shrink"] {
        let (mut calls, mut calls_rehashing, mut extra) = (0, 0, 0);
        let seen = scan_all_while(&mut d, |d, n| {
            calls = n;
            calls_rehashing += usize::from(d.is_rehashing());
            if phase == "grow" {
                d.insert(k(100_000 + extra), ());
                extra += 1;
            } else {
                let victim = d.keys().find(|key| !stable_set.contains(*key)).cloned();
                if let Some(victim) = victim {
                    d.remove(&victim);
                }
            }
        });
        for s in &stable_set {
            assert!(
                seen.contains(s),
                "{phase}: missed {:?}",
                String::from_utf8_lossy(s)
            );
        }
        assert!(
            calls_rehashing >= 100,
            "{phase}: {calls_rehashing} of {calls}"
        );
        if phase == "grow" {
            // Give the shrink phase something to remove: a sparse table.
            settle(&mut d);
            for i in 0..extra {
                d.remove(&k(100_000 + i));
            }
            for s in &stable[256..] {
                d.remove(s);
                stable_set.remove(s);
            }
            settle(&mut d);
            let mut extra_keys: Vec<Vec<u8>> = (0..2000).map(|i| k(200_000 + i)).collect();
            for e in extra_keys.drain(..) {
                d.insert(e, ());
            }
            settle(&mut d);
        }
    }
}

#[test]
fn random_and_sample_reach_both_tables_while_rehashing() {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(4);
    let mut d: Dict<Vec<u8>, usize> = Dict::new();
    d.reserve(512);
    for i in 0..513 {
        d.insert_new(k(i), i, ());
    }
    assert!(d.is_rehashing());
    // Which entries are still in the old table.
    let old_keys: HashSet<usize> = {
        let old = d.old.as_ref().unwrap();
        let mut v = HashSet::new();
        for slot in old.buckets.iter() {
            let mut cur = slot;
            while let Some(e) = cur {
                v.insert(e.value);
                cur = &e.next;
            }
        }
        v
    };
    assert!(!old_keys.is_empty() && old_keys.len() < 513);
    let mut from_old = 0;
    let mut got = HashSet::new();
    for _ in 0..5000 {
        let (key, v) = d.random_entry(&mut rng).unwrap();
        assert_eq!(key, &k(*v));
        from_old += old_keys.contains(v) as usize;
        got.insert(*v);
    }
    assert!(from_old > 0 && from_old < 5000, "{from_old}");
    assert!(got.len() > 450);
    let mut n = 0;
    d.sample(&mut rng, 40, |key, v| {
        assert_eq!(key, &k(*v));
        n += 1;
    });
    assert_eq!(n, 40);
    assert_eq!(d.iter().count(), 513);
    // retain reaches entries in both tables.
    d.retain(|_, v| *v % 2 == 0);
    assert_eq!(d.len(), 257);
    assert!(d.iter().all(|(_, v)| v % 2 == 0));
    assert_eq!(d.iter().count(), 257);
}

#[test]
fn try_expand_follows_redis() {
    let mut d: Dict<Vec<u8>, usize> = Dict::new();
    assert!(d.try_expand(100));
    assert_eq!((d.buckets(), d.is_rehashing()), (128, false));
    for i in 0..10 {
        d.insert_new(k(i), i, ());
    }
    // Smaller or larger: a rehash to the power of two holding `size`.
    assert!(d.try_expand(1000));
    assert!(d.is_rehashing());
    assert_eq!(d.buckets(), 128 + 1024);
    // Not while one runs, not below the entry count, not to the same size.
    assert!(d.try_expand(5000));
    assert_eq!(d.buckets(), 128 + 1024);
    settle(&mut d);
    assert!(d.try_expand(5));
    assert!(d.try_expand(1024));
    assert_eq!((d.buckets(), d.is_rehashing()), (1024, false));
    assert!(d.try_expand(16));
    settle(&mut d);
    assert_eq!(d.buckets(), 16);
    // A table nobody can allocate is refused and nothing changes.
    assert!(!d.try_expand(usize::MAX / 4));
    assert_eq!((d.buckets(), d.len()), (16, 10));
    for i in 0..10 {
        assert_eq!(d.get(&k(i)), Some(&i));
    }
}

#[test]
fn stats_text_has_redis_layout() {
    let mut d: Dict<Vec<u8>, usize> = Dict::new();
    assert_eq!(
        d.stats_text(),
        "Hash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n"
    );
    d.reserve(8);
    for i in 0..5 {
        d.insert_new(k(i), i, ());
    }
    let text = d.stats_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Hash table 0 stats (main hash table):");
    assert_eq!(lines[1], " table size: 8");
    assert_eq!(lines[2], " number of elements: 5");
    let slots: usize = lines[3]
        .strip_prefix(" different slots: ")
        .unwrap()
        .parse()
        .unwrap();
    let max: usize = lines[4]
        .strip_prefix(" max chain length: ")
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=5).contains(&slots) && (1..=5).contains(&max));
    let avg = format!("{:.2}", 5.0f32 / slots as f32);
    assert_eq!(lines[5], format!(" avg chain length (counted): {avg}"));
    assert_eq!(lines[6], format!(" avg chain length (computed): {avg}"));
    assert_eq!(lines[7], " Chain length distribution:");
    // One line per chain length present, counting every bucket.
    let mut buckets = 0;
    for l in &lines[8..] {
        let (len, rest) = l.trim_start().split_once(": ").unwrap();
        let count: usize = rest.split(' ').next().unwrap().parse().unwrap();
        assert!(len.parse::<usize>().unwrap() <= max);
        assert!(rest.ends_with("%)"), "{l}");
        buckets += count;
    }
    assert_eq!(buckets, 8);
    // During a rehash: the draining table, then the target.
    for i in 5..9 {
        d.insert_new(k(i), i, ());
    }
    assert!(d.is_rehashing());
    let text = d.stats_text();
    assert!(text.starts_with("Hash table 0 stats (main hash table):\n table size: 8\n"));
    assert!(text.contains("Hash table 1 stats (rehashing target):\n table size: 16\n"));
}

/// Repeated fair picks of a small dict (one sample holds it all) come out
/// evenly however the entries share buckets (Redis's ZRANDMEMBER,
/// SRANDMEMBER and HRANDFIELD histogram tests): a plain `random_entry` gave
/// a member alone in its bucket twice its share.
#[test]
fn fair_random_entries_are_even() {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
    for size in [2usize, 3, 4, 10, 20] {
        let mut d: Dict<Vec<u8>, usize> = Dict::new();
        for i in 0..size {
            d.insert(k(i), i);
        }
        let draws = 2000 * size;
        let mut counts = vec![0usize; size];
        for _ in 0..draws {
            counts[*d.fair_random_entry(&mut rng).unwrap().1] += 1;
        }
        // Chi-square against the uniform distribution, as Redis's tests do.
        let expected = (draws / size) as f64;
        let chi: f64 = counts
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        assert!(
            chi < 50.0,
            "size {size}: chi-square {chi}, counts {counts:?}"
        );
    }
}
