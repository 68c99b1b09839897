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

// ---------------------------------------------------------------------------
// Randomized model test: random commands through the engine (every command
// family, lazy and active expiry, blocking pops served on wake-up, SWAPDB,
// FLUSH*) interleaved with random slices of a walk; the image must equal the
// dataset taken (only in the test) when the snapshot started.
// ---------------------------------------------------------------------------

mod model {
    use super::*;
    use crate::clock::ManualClock;
    use bytes::Bytes;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    pub(super) struct M {
        pub e: Engine,
        pub ids: [u64; 2],
        pub clock: ManualClock,
        pub rng: StdRng,
    }

    impl M {
        pub fn new(seed: u64) -> M {
            let clock = ManualClock::new(1_700_000_000_000);
            let mut e = Engine::builder().clock(Arc::new(clock.clone())).build();
            let ids = [e.add_client(), e.add_client()];
            M {
                e,
                ids,
                clock,
                rng: StdRng::seed_from_u64(seed),
            }
        }

        pub fn exec(&mut self, who: usize, args: &[String]) {
            let argv: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.clone())).collect();
            let _ = self.e.execute(self.ids[who], &argv);
        }

        fn key(&mut self) -> String {
            if self.rng.gen_range(0..3) == 0 {
                return format!("p{}", self.rng.gen_range(0..300));
            }
            let t = ["s", "n", "l", "h", "S", "z", "x"][self.rng.gen_range(0..7)];
            format!("{t}{}", self.rng.gen_range(0..12))
        }

        fn num(&mut self) -> String {
            self.rng.gen_range(-3..40).to_string()
        }

        /// A random command (strings as words).
        pub fn command(&mut self) -> Vec<String> {
            let k = self.key();
            let k2 = self.key();
            let n = self.num();
            let v = format!("v{}", self.rng.gen_range(0..1000));
            let db = self.rng.gen_range(0..3).to_string();
            let w = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
            match self.rng.gen_range(0..64) {
                0 => w(&["SET", &k, &v]),
                1 => w(&["SET", &k, &n, "KEEPTTL"]),
                2 => w(&["APPEND", &k, &v]),
                3 => w(&["SETRANGE", &k, "3", &v]),
                4 => w(&["SETBIT", &k, &n.replace('-', ""), "1"]),
                5 => w(&["INCR", &k]),
                6 => w(&["INCRBYFLOAT", &k, "1.5"]),
                7 => w(&["DEL", &k, &k2]),
                8 => w(&["UNLINK", &k]),
                9 => w(&["EXPIRE", &k, &n]),
                10 => w(&["PEXPIRE", &k, &n]),
                11 => w(&["PERSIST", &k]),
                12 => w(&["GETDEL", &k]),
                13 => w(&["GETEX", &k, "PERSIST"]),
                14 => w(&["GETEX", &k, "PX", "5"]),
                15 => w(&["LPUSH", &k, &v, &n]),
                16 => w(&["RPUSH", &k, &v]),
                17 => w(&["LPOP", &k]),
                18 => w(&["LMOVE", &k, &k, "LEFT", "RIGHT"]),
                19 => w(&["RPOPLPUSH", &k, &k2]),
                20 => w(&["LSET", &k, "0", &v]),
                21 => w(&["LTRIM", &k, "1", "-2"]),
                22 => w(&["SADD", &k, &v, &n]),
                23 => w(&["SREM", &k, &n]),
                24 => w(&["SPOP", &k]),
                25 => w(&["SMOVE", &k, &k2, &n]),
                26 => w(&["SUNIONSTORE", &k, &k2, &k]),
                27 => w(&["SINTERSTORE", &k2, &k, &k2]),
                28 => w(&["SDIFFSTORE", &k, &k2]),
                29 => w(&["ZADD", &k, &n, &v]),
                30 => w(&["ZINCRBY", &k, "2", &v]),
                31 => w(&["ZUNIONSTORE", &k, "2", &k, &k2]),
                32 => w(&["ZPOPMIN", &k]),
                33 => w(&["ZRANGESTORE", &k2, &k, "0", "-1"]),
                34 => w(&["HSET", &k, &n, &v]),
                35 => w(&["HDEL", &k, &n]),
                36 => w(&["HINCRBY", &k, &n, "3"]),
                37 => w(&["RENAME", &k, &k2]),
                38 => w(&["RENAMENX", &k, &k2]),
                39 => w(&["MOVE", &k, &db]),
                40 => w(&["COPY", &k, &k2, "DB", &db, "REPLACE"]),
                41 => w(&["COPY", &k, &k2]),
                42 => w(&["SELECT", &db]),
                43 => w(&["SWAPDB", &db, "0"]),
                44 if self.rng.gen_range(0..6) == 0 => w(&["FLUSHDB"]),
                45 if self.rng.gen_range(0..40) == 0 => w(&["FLUSHALL"]),
                46 => w(&["SORT", &k, "ALPHA", "STORE", &k2]),
                47 => w(&["BITOP", "OR", &k, &k2, &k]),
                48 => w(&["MSET", &k, &v, &k2, &n]),
                49 => w(&["GETSET", &k, &v]),
                50 => w(&["DECRBY", &k, &n]),
                51 => w(&["LINSERT", &k, "BEFORE", &n, &v]),
                52 => w(&["LREM", &k, "0", &n]),
                53 => w(&["ZREM", &k, &v]),
                54 => w(&["ZREMRANGEBYRANK", &k, "0", "1"]),
                55 => w(&["HINCRBYFLOAT", &k, &n, "0.5"]),
                56 => w(&["EXPIREAT", &k, "1"]),
                57 => w(&["BITFIELD", &k, "INCRBY", "u8", "8", "7"]),
                58 => w(&["LMPOP", "2", &k, &k2, "LEFT"]),
                59 => w(&["ZINTERSTORE", &k2, "2", &k, &k2]),
                60 => w(&["SETEX", &k, "1", &v]),
                61 => w(&["GET", &k]),
                62 => w(&["OBJECT", "FREQ", &k]),
                _ => w(&["TOUCH", &k, &k2]),
            }
        }

        /// One random action besides client 0's commands: client 1 blocks,
        /// time passes (lazy expiry) or the cron runs (active expiry).
        pub fn side(&mut self) {
            match self.rng.gen_range(0..20) {
                0 => {
                    let k = format!("l{}", self.rng.gen_range(0..12));
                    let op = ["BLPOP", "BRPOP"][self.rng.gen_range(0..2)];
                    self.exec(1, &[op.into(), k, "0".into()]);
                }
                1 => {
                    let k = format!("l{}", self.rng.gen_range(0..12));
                    let k2 = format!("l{}", self.rng.gen_range(0..12));
                    self.exec(
                        1,
                        &[
                            "BLMOVE".into(),
                            k,
                            k2,
                            "LEFT".into(),
                            "LEFT".into(),
                            "0".into(),
                        ],
                    );
                }
                2 => {
                    let k = format!("z{}", self.rng.gen_range(0..12));
                    self.exec(1, &["BZPOPMIN".into(), k, "0".into()]);
                }
                3 | 4 => self.clock.advance(self.rng.gen_range(1..3000)),
                5 => self.e.cron(),
                _ => {}
            }
        }

        pub fn populate(&mut self) {
            for db in 0..3 {
                self.exec(0, &["SELECT".into(), db.to_string()]);
                for _ in 0..150 {
                    let c = self.command();
                    if !matches!(c[0].as_str(), "FLUSHDB" | "FLUSHALL" | "SELECT" | "SWAPDB") {
                        self.exec(0, &c);
                    }
                }
                for i in 0..300 {
                    self.exec(0, &["SET".into(), format!("p{i}"), format!("v{db}-{i}")]);
                    if i % 3 == 0 {
                        self.exec(0, &["PEXPIRE".into(), format!("p{i}"), "100000000".into()]);
                    }
                }
            }
        }
    }
}

fn model_round(m: &mut model::M, abort: bool) {
    use rand::Rng;
    if m.e.total_keys() < 300 {
        m.populate();
    }
    let before = image_of(&m.e.dbs);
    let mut w = begin(&mut m.e.dbs).expect("idle");
    let mut c = Collect::default();
    let abort_at = if abort {
        m.rng.gen_range(1..20)
    } else {
        usize::MAX
    };
    let mut slices = 0;
    loop {
        for _ in 0..m.rng.gen_range(0..6) {
            let cmd = m.command();
            m.exec(0, &cmd);
            m.side();
        }
        let budget = Budget {
            entries: m.rng.gen_range(1..24),
            until: None,
        };
        slices += 1;
        if slices == abort_at {
            w.abort(&mut m.e.dbs);
        }
        if w.step(&mut m.e.dbs, budget, &mut c) {
            break;
        }
    }
    assert!(!active(&m.e.dbs));
    assert!(!w.is_lost());
    if !abort {
        assert_eq!(c.image.len(), before.len());
        for (k, v) in &before {
            assert_eq!(c.image.get(k), Some(v), "key {k:?}");
        }
    }
    // RESIZEDB once per database at most, with the sizes at the start.
    let mut seen = std::collections::BTreeSet::new();
    for (db, r) in &c.selects {
        if r.is_some() {
            assert!(seen.insert(*db), "RESIZEDB twice for db {db}");
        }
    }
}

#[test]
fn model_random_commands_between_slices() {
    for seed in 0..12 {
        let mut m = model::M::new(seed);
        m.populate();
        // Several snapshots in a row (keys created during one are saved by
        // the next), one of them aborted midway.
        for round in 0..4 {
            model_round(&mut m, round == 2);
        }
    }
}
