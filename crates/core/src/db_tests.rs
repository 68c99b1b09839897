//! The keyspace and its TTL index stay in step under every `Db` mutation.

use super::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::borrow::Borrow;
use std::collections::HashMap;

impl Db {
    /// Panics unless every TTL slot names exactly one entry that names it
    /// back, and every entry's reference is in range.
    fn check_ttl_index(&self) {
        let mut named = 0;
        for (k, _) in self.keys.iter() {
            let (_, meta) = self.keys.get_with_meta(k.borrow()).expect("listed key");
            if meta.ttl != NO_TTL {
                named += 1;
                let (r, _, hash) = self.ttls.slot(meta.ttl as usize - 1);
                assert_eq!(r, meta.ttl);
                assert_eq!(hash, Keyspace::hash_of(k.borrow()), "slot hash of {k:?}");
            }
        }
        assert_eq!(named, self.ttls.len(), "entries naming a slot vs slots");
        for i in 0..self.ttls.len() {
            assert!(self.volatile_at(i).is_some(), "slot {i} has no key");
        }
    }
}

fn key(i: u32) -> Vec<u8> {
    // Short (inline) and long (heap) keys alike.
    if i.is_multiple_of(3) {
        format!("a-long-key-that-lives-on-the-heap:{i}").into_bytes()
    } else {
        format!("k{i}").into_bytes()
    }
}

#[test]
fn ttl_index_follows_every_mutation() {
    let mut rng = SmallRng::seed_from_u64(7);
    let mut db = Db::new();
    // The model: key -> (value, expiry).
    let mut model: HashMap<Vec<u8>, (Value, Option<i64>)> = HashMap::new();
    let mut rehashing_steps = 0;
    for step in 0..20_000u32 {
        let k = key(rng.gen_range(0..300));
        let v = Value::from_bytes(format!("v{step}").as_bytes());
        let at = rng.gen_range(1..1_000_000);
        match rng.gen_range(0..10) {
            0 | 1 => {
                let keep = rng.gen_bool(0.3);
                db.insert(&k, v.clone(), keep);
                let e = model.entry(k).or_insert((v.clone(), None));
                e.0 = v;
                if !keep {
                    e.1 = None;
                }
            }
            2 => {
                db.insert_stamped(&k, v.clone(), false, |_| 5);
                model.insert(k, (v, None));
            }
            3 | 4 => {
                assert_eq!(db.set_expire(&k, at), model.contains_key(&k));
                if let Some(e) = model.get_mut(&k) {
                    e.1 = Some(at);
                }
            }
            5 => {
                let had = model.get(&k).is_some_and(|e| e.1.is_some());
                assert_eq!(db.persist(&k), had);
                if let Some(e) = model.get_mut(&k) {
                    e.1 = None;
                }
            }
            6 => assert_eq!(db.remove(&k), model.remove(&k).map(|e| e.0)),
            7 => assert_eq!(db.delete(&k), model.remove(&k).is_some()),
            8 => {
                let exp = rng.gen_bool(0.5).then_some(at);
                let added = db.insert_loaded(&k, v.clone(), exp, 0).is_ok();
                assert_eq!(added, !model.contains_key(&k));
                if added {
                    model.insert(k, (v, exp));
                }
            }
            _ => {
                if rng.gen_range(0..200) == 0 {
                    db.clear();
                    model.clear();
                }
            }
        }
        if step.is_multiple_of(97) {
            db.check_ttl_index();
        }
        rehashing_steps += usize::from(db.keys.is_rehashing());
    }
    // Slots reach their entries by hash in either table of a rehash too.
    assert!(
        rehashing_steps > 100,
        "{rehashing_steps} steps during a rehash"
    );
    db.check_ttl_index();
    assert_eq!(db.len(), model.len());
    let volatile = model.values().filter(|e| e.1.is_some()).count();
    assert_eq!(db.expires_count(), volatile);
    for (k, (v, exp)) in &model {
        assert_eq!(db.get_raw(k), Some(v));
        assert_eq!(db.expire_of(k), *exp, "{k:?}");
    }
}

#[test]
fn volatile_slots_name_their_keys() {
    let mut db = Db::new();
    for i in 0..50 {
        db.insert(&key(i), Value::from_bytes(b"v"), false);
        if i.is_multiple_of(2) {
            assert!(db.set_expire(&key(i), 1000 + i as i64));
        }
    }
    assert_eq!(db.expires_count(), 25);
    // Re-timing keeps the slot; persisting gives it up.
    assert!(db.set_expire(&key(0), 7));
    assert_eq!(db.expires_count(), 25);
    assert_eq!(db.expire_of(&key(0)), Some(7));
    assert!(db.persist(&key(0)));
    assert!(!db.persist(&key(0)));
    assert!(!db.set_expire(b"absent", 1));
    let mut seen: Vec<(Vec<u8>, i64)> = (0..db.expires_count())
        .map(|i| {
            let (k, _, at) = db.volatile_at(i).expect("slot");
            (k.to_bytes().to_vec(), at)
        })
        .collect();
    seen.sort();
    let mut want: Vec<(Vec<u8>, i64)> = (2..50)
        .step_by(2)
        .map(|i| (key(i), 1000 + i as i64))
        .collect();
    want.sort();
    assert_eq!(seen, want);
    db.check_ttl_index();
}
