//! maxmemory eviction under real memory accounting: this test binary installs
//! the same counting global allocator as `ember-server` (over the system
//! allocator here) and hands its counter to the engine, then fills an engine
//! past its limit under each policy and checks that used memory stays near the
//! limit, which kinds of keys survive (statistically, with wide tolerances)
//! and that OOM comes when nothing is left to evict.
//!
//! The engine runs in-process with a manual clock (LRU idle times have a
//! resolution of one second: the clock moves a second per round of writes).
//! The counter is process-wide, so the tests run one at a time.

use ember::{Bytes, Engine, ManualClock, Reply};
use ember_core::evict::{counted_bytes, set_used_memory_probe, CountingAlloc, GlibcClasses};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::alloc::System;
use std::sync::{Arc, Mutex, MutexGuard};

#[global_allocator]
static ALLOC: CountingAlloc<System, GlibcClasses> = CountingAlloc::new(System);

static SERIAL: Mutex<()> = Mutex::new(());

/// Room above the engine's starting footprint.
const HEADROOM: u64 = 1 << 20;
/// How far used memory may sit from the limit: one command's allocations,
/// including a keyspace table doubling (Ember has no dictExpandAllowed guard).
const SLACK: u64 = 160 << 10;
const VALUE: [u8; 100] = [b'x'; 100];

struct T {
    e: Engine,
    clock: ManualClock,
    id: u64,
    max: u64,
    _serial: MutexGuard<'static, ()>,
}

impl T {
    fn new(policy: &str) -> T {
        let serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        set_used_memory_probe(counted_bytes, "libc");
        let clock = ManualClock::new(1_700_000_000_000);
        let mut e = Engine::builder().clock(Arc::new(clock.clone())).build();
        let id = e.add_client();
        let mut t = T {
            e,
            clock,
            id,
            max: 0,
            _serial: serial,
        };
        t.ok(&["CONFIG", "SET", "maxmemory-policy", policy]);
        t.max = t.used() + HEADROOM;
        let max = t.max.to_string();
        t.ok(&["CONFIG", "SET", "maxmemory", &max]);
        t
    }

    fn run<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Reply {
        let argv: Vec<Bytes> = args
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_ref()))
            .collect();
        self.e.execute(self.id, &argv).expect("a reply")
    }

    fn ok(&mut self, args: &[&str]) {
        assert_eq!(self.run(args), Reply::OK, "{args:?}");
    }

    /// `used_memory` as INFO reports it.
    fn used(&mut self) -> u64 {
        let Reply::Verbatim(_, text) = self.run(&["INFO", "memory"]) else {
            panic!("INFO reply")
        };
        let text = String::from_utf8_lossy(&text).into_owned();
        text.lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .and_then(|v| v.parse().ok())
            .expect("used_memory field")
    }

    fn evicted(&mut self) -> u64 {
        let Reply::Verbatim(_, text) = self.run(&["INFO", "stats"]) else {
            panic!("INFO reply")
        };
        let text = String::from_utf8_lossy(&text).into_owned();
        text.lines()
            .find_map(|l| l.strip_prefix("evicted_keys:"))
            .and_then(|v| v.parse().ok())
            .expect("evicted_keys field")
    }

    fn set(&mut self, key: &str, ttl_s: Option<u64>) -> Reply {
        match ttl_s {
            Some(s) => self.run(&[
                b"SET".as_slice(),
                key.as_bytes(),
                &VALUE,
                b"EX",
                s.to_string().as_bytes(),
            ]),
            None => self.run(&[b"SET".as_slice(), key.as_bytes(), &VALUE]),
        }
    }

    fn exists(&self, key: &str) -> bool {
        self.e.dbs[0].keys().contains_key(key.as_bytes())
    }

    /// Asserts used memory is not above the limit (beyond one command's worth).
    fn assert_within_limit(&mut self, what: &str) {
        let used = self.used();
        assert!(
            used <= self.max + SLACK,
            "{what}: used_memory {used} above maxmemory {}",
            self.max
        );
    }

    /// Asserts used memory is near the limit (never far above it).
    fn assert_near_limit(&mut self, what: &str) {
        let used = self.used();
        assert!(
            used <= self.max + SLACK && used + SLACK >= self.max,
            "{what}: used_memory {used} not near maxmemory {}",
            self.max
        );
    }
}

/// Every evicting policy: persistent keys first (about a quarter of the
/// room), then three times the room in volatile keys, then persistent keys
/// until the server refuses or the round ends.
#[test]
fn every_policy_holds_the_limit_and_spares_persistent_keys_when_volatile() {
    for policy in [
        "allkeys-lru",
        "allkeys-lfu",
        "allkeys-random",
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let mut t = T::new(policy);
        let mut rng = SmallRng::seed_from_u64(7);
        let persistent = 1000;
        for i in 0..persistent {
            assert_eq!(t.set(&format!("p:{i}"), None), Reply::OK);
        }
        assert_eq!(t.evicted(), 0, "{policy}: nothing evicted below the limit");
        for i in 0..10_000 {
            let ttl = rng.gen_range(1_000..100_000);
            assert_eq!(t.set(&format!("v:{i}"), Some(ttl)), Reply::OK, "{policy}");
            if i % 500 == 499 {
                t.clock.advance(1000);
                t.assert_within_limit(policy);
            }
        }
        t.assert_near_limit(policy);
        let evicted = t.evicted();
        assert!(evicted > 4_000, "{policy}: evicted {evicted}");
        assert_eq!(evicted, t.e.stats.evicted_keys);
        let kept_p = (0..persistent)
            .filter(|i| t.exists(&format!("p:{i}")))
            .count();
        if policy.starts_with("volatile") {
            assert_eq!(kept_p, persistent, "{policy} evicts only keys with a TTL");
            // More persistent keys: once the volatile ones are gone, OOM.
            let mut refused = None;
            for i in persistent..persistent + 20_000 {
                let reply = t.set(&format!("p:{i}"), None);
                if reply != Reply::OK {
                    refused = Some((i, reply));
                    break;
                }
            }
            let (at, reply) = refused.unwrap_or_else(|| panic!("{policy}: never refused"));
            assert_eq!(
                reply,
                Reply::error("OOM command not allowed when used memory > 'maxmemory'."),
                "{policy}"
            );
            assert_eq!(
                t.e.dbs[0].expires_count(),
                0,
                "{policy}: volatile keys all gone"
            );
            assert_eq!(t.e.dbs[0].len(), at, "{policy}: every persistent key kept");
            t.assert_near_limit(policy);
            // Reads and deletions still work; deleting makes room again.
            assert_eq!(t.run(&["GET", "p:1"]), Reply::bulk(VALUE));
            // (Enough to cover the last write's overshoot, a table doubling.)
            let dels: Vec<String> = (0..2000).map(|i| format!("p:{i}")).collect();
            let mut argv = vec!["DEL".to_string()];
            argv.extend(dels);
            assert_eq!(t.run(&argv), Reply::Integer(2000));
            assert_eq!(t.set("again", None), Reply::OK, "{policy}");
        } else {
            // The oldest keys were the persistent ones: most are gone.
            assert!(kept_p < persistent / 2, "{policy}: kept {kept_p} old keys");
        }
    }
}

#[test]
fn volatile_ttl_keeps_the_longest_ttls() {
    let mut t = T::new("volatile-ttl");
    let mut rng = SmallRng::seed_from_u64(11);
    let mut ttls = Vec::new();
    for i in 0..12_000u32 {
        let ttl = rng.gen_range(1_000..100_000u64);
        ttls.push(ttl);
        assert_eq!(t.set(&format!("v:{i}"), Some(ttl)), Reply::OK);
    }
    t.assert_near_limit("volatile-ttl");
    let kept: Vec<u64> = (0..ttls.len())
        .filter(|&i| t.exists(&format!("v:{i}")))
        .map(|i| ttls[i])
        .collect();
    let all_mean = ttls.iter().sum::<u64>() as f64 / ttls.len() as f64;
    let kept_mean = kept.iter().sum::<u64>() as f64 / kept.len() as f64;
    // Survivors are a minority with long TTLs (uniform would be ~50_500).
    assert!(kept.len() < ttls.len() / 2, "kept {}", kept.len());
    assert!(
        kept_mean > all_mean * 1.3,
        "survivors' mean TTL {kept_mean:.0} vs all {all_mean:.0}"
    );
    let short = kept.iter().filter(|&&t| t < 20_000).count();
    // Uniform survival would leave ~19% of them.
    assert!(
        short * 12 < kept.len(),
        "{short} of {} survivors have a short TTL",
        kept.len()
    );
}

/// Writes rounds of new keys, one second apart, reading a hot set each round;
/// returns (hot keys kept, first-round cold keys kept) out of 300 each.
fn hot_and_cold(t: &mut T, reads_per_round: usize) -> (usize, usize) {
    for i in 0..300 {
        assert_eq!(t.set(&format!("hot:{i}"), None), Reply::OK);
        assert_eq!(t.set(&format!("cold:{i}"), None), Reply::OK);
    }
    for round in 0..15 {
        t.clock.advance(1000);
        for _ in 0..reads_per_round {
            for i in 0..300 {
                t.run(&["GET", &format!("hot:{i}")]);
            }
        }
        // Enough new keys to evict about half the keyspace over the rounds
        // (scaled to about 170 bytes per key: key, entry and 100-byte value).
        for i in 0..800 {
            assert_eq!(t.set(&format!("new:{round}:{i}"), None), Reply::OK);
        }
    }
    t.assert_near_limit("hot and cold");
    let hot = (0..300).filter(|i| t.exists(&format!("hot:{i}"))).count();
    let cold = (0..300).filter(|i| t.exists(&format!("cold:{i}"))).count();
    (hot, cold)
}

#[test]
fn allkeys_lru_keeps_recently_used_keys() {
    let mut t = T::new("allkeys-lru");
    let (hot, cold) = hot_and_cold(&mut t, 1);
    assert!(hot >= 285, "hot keys kept: {hot}/300");
    assert!(cold <= 15, "cold keys kept: {cold}/300");
}

#[test]
fn allkeys_lfu_keeps_frequently_used_keys() {
    let mut t = T::new("allkeys-lfu");
    for i in 0..300 {
        assert_eq!(t.set(&format!("hot:{i}"), None), Reply::OK);
        assert_eq!(t.set(&format!("cold:{i}"), None), Reply::OK);
    }
    // Frequency, not recency: the hot set is read only before the fill.
    for _ in 0..10 {
        for i in 0..300 {
            t.run(&["GET", &format!("hot:{i}")]);
        }
    }
    for i in 0..15_000 {
        assert_eq!(t.set(&format!("new:{i}"), None), Reply::OK);
    }
    t.assert_near_limit("allkeys-lfu");
    let hot = (0..300).filter(|i| t.exists(&format!("hot:{i}"))).count();
    let cold = (0..300).filter(|i| t.exists(&format!("cold:{i}"))).count();
    assert!(hot >= 285, "hot keys kept: {hot}/300");
    // Never-read keys tie with the new ones (same counter): they go at the
    // same rate as those, age does not matter.
    let new = (0..15_000)
        .filter(|i| t.exists(&format!("new:{i}")))
        .count();
    let (cold_rate, new_rate) = (cold as f64 / 300.0, new as f64 / 15_000.0);
    assert!(
        cold_rate < 2.0 * new_rate + 0.05,
        "cold keys kept: {cold}/300, new keys {new}/15000"
    );
}

#[test]
fn allkeys_random_ignores_access_patterns() {
    let mut t = T::new("allkeys-random");
    let (hot, cold) = hot_and_cold(&mut t, 1);
    // Reads do not protect keys, and old keys are not singled out: both
    // groups survive at a similar, partial rate.
    assert!(hot < 200, "hot keys kept: {hot}/300");
    assert!(cold > 3, "cold keys kept: {cold}/300");
    assert!(hot.abs_diff(cold) < 60, "hot {hot} vs cold {cold}");
}

#[test]
fn evicted_events_and_propagation() {
    let mut t = T::new("allkeys-random");
    let events = Arc::new(Mutex::new(0u64));
    let dels = Arc::new(Mutex::new(0u64));
    let ev = events.clone();
    t.e.set_event_sink(Box::new(move |k| {
        assert_eq!(k.event, "evicted");
        *ev.lock().unwrap() += 1;
    }));
    let d = dels.clone();
    t.e.add_propagation_sink(Box::new(move |_db, argv| {
        if &argv[0][..] == b"DEL" {
            *d.lock().unwrap() += 1;
        }
    }));
    t.ok(&["CONFIG", "SET", "notify-keyspace-events", "Ee"]);
    for i in 0..10_000 {
        assert_eq!(t.set(&format!("k:{i}"), None), Reply::OK);
    }
    let evicted = t.evicted();
    assert!(evicted > 3_000);
    assert_eq!(*events.lock().unwrap(), evicted);
    assert_eq!(*dels.lock().unwrap(), evicted);
}
