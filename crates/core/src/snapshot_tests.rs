//! Unit tests of the snapshot walk and its copy-on-write hooks.

use super::*;
use crate::value::{StrValue, Value};
use std::collections::BTreeMap;

type Image = BTreeMap<(usize, Vec<u8>), (Value, Option<i64>)>;

#[derive(Default)]
struct Collect {
    db: Option<usize>,
    image: Image,
    selects: Vec<(usize, Option<(usize, usize)>)>,
}

impl Visitor for Collect {
    fn select_db(&mut self, db: usize, resize: Option<(usize, usize)>) {
        self.db = Some(db);
        self.selects.push((db, resize));
    }
    fn key(&mut self, key: &[u8], value: &Value, expire: Option<i64>, _stamp: AccessStamp) {
        let db = self.db.expect("SELECTDB first");
        let prev = self
            .image
            .insert((db, key.to_vec()), (value.clone(), expire));
        assert!(prev.is_none(), "key emitted twice: {key:?}");
    }
}

fn s(v: &str) -> Value {
    Value::Str(StrValue::from_bytes(v.as_bytes()))
}

fn image_of(dbs: &[Db]) -> Image {
    let mut c = Collect::default();
    feed_all(dbs, &mut c);
    c.image
}

fn dbs_with(n: usize, keys: usize) -> Vec<Db> {
    let mut dbs: Vec<Db> = (0..n).map(|_| Db::new()).collect();
    for (i, db) in dbs.iter_mut().enumerate() {
        for k in 0..keys {
            db.insert(format!("k{k}").as_bytes(), s(&format!("v{i}-{k}")), false);
            if k % 3 == 0 {
                db.set_expire(format!("k{k}").as_bytes(), 1_000_000 + k as i64);
            }
        }
    }
    dbs
}

fn small() -> Budget {
    Budget {
        entries: 7,
        until: None,
    }
}

fn run(walk: &mut Walk, dbs: &mut [Db], c: &mut Collect) {
    while !walk.step(dbs, small(), c) {}
}

#[test]
fn walk_without_writes_equals_dataset() {
    let mut dbs = dbs_with(3, 200);
    let before = image_of(&dbs);
    let mut w = begin(&mut dbs).unwrap();
    assert!(begin(&mut dbs).is_none(), "one at a time");
    let mut c = Collect::default();
    run(&mut w, &mut dbs, &mut c);
    assert_eq!(c.image, before);
    assert!(!active(&dbs));
    // RESIZEDB sizes are the ones at the start, given once per database.
    let firsts: Vec<_> = c.selects.iter().filter(|s| s.1.is_some()).collect();
    assert_eq!(firsts.len(), 3);
    assert_eq!(firsts[0].1, Some((200, 67)));
}

#[test]
fn concurrent_writes_do_not_change_the_image() {
    let mut dbs = dbs_with(2, 300);
    let before = image_of(&dbs);
    let mut w = begin(&mut dbs).unwrap();
    let mut c = Collect::default();
    let mut round = 0;
    loop {
        let done = w.step(&mut dbs, small(), &mut c);
        round += 1;
        let k = |i: usize| format!("k{}", (round * 7 + i) % 300).into_bytes();
        let d = &mut dbs[round % 2];
        d.insert(&k(0), s("overwritten"), false);
        d.delete(&k(1));
        d.set_expire(&k(2), 5);
        d.persist(&k(3));
        if let Some(Value::Str(v)) = d.get_raw_mut(&k(4)) {
            *v = StrValue::from_bytes(b"mutated");
        }
        d.insert(format!("new{round}").as_bytes(), s("new"), false);
        let _ = d.remove(&k(5));
        if done {
            break;
        }
    }
    assert_eq!(c.image, before);
    assert!(!active(&dbs));
}

#[test]
fn flush_and_swapdb_during_the_walk() {
    let mut dbs = dbs_with(3, 100);
    let before = image_of(&dbs);
    let mut w = begin(&mut dbs).unwrap();
    let mut c = Collect::default();
    w.step(&mut dbs, small(), &mut c);
    dbs.swap(0, 2);
    w.step(&mut dbs, small(), &mut c);
    dbs[1].clear();
    dbs[1].insert(b"after-flush", s("x"), false);
    w.step(&mut dbs, small(), &mut c);
    for db in dbs.iter_mut() {
        db.clear();
    }
    dbs[0].insert(b"k1", s("later"), false);
    run(&mut w, &mut dbs, &mut c);
    assert_eq!(c.image, before);
}

#[test]
fn two_snapshots_in_a_row_and_an_aborted_one() {
    let mut dbs = dbs_with(1, 150);
    for _ in 0..2 {
        let mut w = begin(&mut dbs).unwrap();
        let mut c = Collect::default();
        run(&mut w, &mut dbs, &mut c);
        assert_eq!(c.image, image_of(&dbs));
    }
    // Aborted halfway: the rest of the walk only flips bits.
    let mut w = begin(&mut dbs).unwrap();
    let mut c = Collect::default();
    w.step(&mut dbs, small(), &mut c);
    dbs[0].insert(b"k1", s("changed"), false);
    w.abort(&mut dbs);
    assert!(active(&dbs));
    w.finish_discarding(&mut dbs);
    assert!(!active(&dbs));
    // The next one sees the data as it is now.
    let now = image_of(&dbs);
    let mut w = begin(&mut dbs).unwrap();
    let mut c = Collect::default();
    dbs[0].insert(b"k2", s("after start"), false);
    run(&mut w, &mut dbs, &mut c);
    assert_eq!(c.image, now);
}

#[test]
fn stamps_keep_the_snapshot_bit() {
    let mut dbs = dbs_with(1, 10);
    let mut w = begin(&mut dbs).unwrap();
    dbs[0].insert(b"fresh", s("x"), false);
    dbs[0].set_stamp(b"fresh", 123);
    assert_eq!(dbs[0].stamp_of(b"fresh"), Some(123));
    dbs[0].insert_stamped(b"fresh", s("y"), false, |old| old.unwrap() + 1);
    assert_eq!(dbs[0].stamp_of(b"fresh"), Some(124));
    let mut c = Collect::default();
    run(&mut w, &mut dbs, &mut c);
    assert!(!c.image.contains_key(&(0, b"fresh".to_vec())));
    assert_eq!(c.image.len(), 10);
}

#[test]
fn background_steppers_run_and_report() {
    fn busy_once(e: &mut Engine) -> Progress {
        let n = e.ext.get_or_default::<u32>();
        *n += 1;
        if *n < 3 {
            Progress::Busy
        } else {
            Progress::Idle
        }
    }
    let mut e = Engine::builder().build();
    assert_eq!(e.background_step(), Progress::Idle);
    e.add_background_step("t", busy_once);
    e.add_background_step("t", busy_once);
    let woke = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let w2 = woke.clone();
    e.set_background_waker(Arc::new(move || {
        w2.store(true, std::sync::atomic::Ordering::SeqCst)
    }));
    e.wake_background();
    assert!(woke.load(std::sync::atomic::Ordering::SeqCst));
    assert_eq!(e.background_step(), Progress::Busy);
    assert_eq!(e.background_step(), Progress::Busy);
    assert_eq!(e.background_step(), Progress::Idle);
}
