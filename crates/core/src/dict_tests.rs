//! Unit tests of `Dict`: lookups, SCAN across resizes, sampling, prefetching.

use super::*;
use rand::SeedableRng;
use std::collections::HashSet;

fn k(i: usize) -> Vec<u8> {
    format!("key:{i}").into_bytes()
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
    let index: &dyn MemberPrefetch = &d;
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
    assert!(d.buckets() <= 16, "shrinks when sparse: {}", d.buckets());
    assert_eq!(d.iter().count(), 10);
}

#[test]
fn scan_returns_every_stable_element_across_resizes() {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(1);
    let mut d: Dict<Vec<u8>, ()> = Dict::new();
    for i in 0..500 {
        d.insert(k(i), ());
    }
    let stable: HashSet<Vec<u8>> = (0..250).map(k).collect();
    let mut seen = HashSet::new();
    let mut cursor = 0;
    let mut step = 0;
    loop {
        cursor = d.scan(cursor, |key, _| {
            seen.insert(key.clone());
        });
        // Grow and shrink the table while iterating; keys 0..250 stay throughout.
        step += 1;
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
        if cursor == 0 {
            break;
        }
    }
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
    // No hasher state per table.
    assert_eq!(std::mem::size_of::<Dict<KeyBuf, ()>>(), 24);
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
    let mut seen = HashSet::new();
    let mut cursor = 0;
    let mut step = 0;
    loop {
        cursor = d.scan(cursor, |key, _| {
            seen.insert(key.clone());
        });
        step += 1;
        if step == 100 {
            d.reserve(10_000);
            assert_eq!(d.buckets(), 16384);
        }
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(seen.len(), 1000);
    // An over-reserved table shrinks on removal as usual.
    for i in 0..995 {
        d.remove(&k(i));
    }
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
