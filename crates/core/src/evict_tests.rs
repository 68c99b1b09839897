//! Eviction in one engine. No counting allocator is installed in this test
//! binary, so `used_memory` is the process RSS: with `maxmemory 1` the server
//! is always over its limit, which makes outcomes deterministic (evict every
//! candidate, then refuse denyoom commands). Memory-level behaviour (staying
//! near the limit) is tested in tests/eviction.rs with a counting allocator.

use super::*;
use crate::clock::ManualClock;
use crate::engine::Engine;
use ember_resp::Reply;
use std::sync::{Arc, Mutex};

const NOW: i64 = 1_700_000_000_000;

struct T {
    e: Engine,
    clock: ManualClock,
    id: u64,
    props: Arc<Mutex<Vec<Vec<String>>>>,
    events: Arc<Mutex<Vec<String>>>,
}

fn engine() -> T {
    let clock = ManualClock::new(NOW);
    let mut e = Engine::builder().clock(Arc::new(clock.clone())).build();
    let id = e.add_client();
    let props = Arc::new(Mutex::new(Vec::new()));
    let p = props.clone();
    e.add_propagation_sink(Box::new(move |_db, argv| {
        p.lock().unwrap().push(
            argv.iter()
                .map(|a| String::from_utf8_lossy(a).into())
                .collect(),
        );
    }));
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev = events.clone();
    e.set_event_sink(Box::new(move |k| {
        ev.lock()
            .unwrap()
            .push(format!("{}:{}", k.event, String::from_utf8_lossy(&k.key)));
    }));
    T {
        e,
        clock,
        id,
        props,
        events,
    }
}

impl T {
    fn run(&mut self, args: &[&str]) -> Reply {
        let argv: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.to_string())).collect();
        self.e.execute(self.id, &argv).unwrap()
    }

    fn limit(&mut self, policy: &str) {
        self.e.config.maxmemory_policy = policy.into();
        self.e.config.maxmemory = 1;
    }

    /// Keys evicted so far, in order (from the propagated deletions).
    fn evicted(&self) -> Vec<String> {
        self.props
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a[0] == "DEL" || a[0] == "UNLINK")
            .map(|a| a[1].clone())
            .collect()
    }
}

fn oom() -> Reply {
    Reply::error(OOM_ERROR)
}

#[test]
fn noeviction_refuses_denyoom_commands_only() {
    let mut t = engine();
    t.run(&["SET", "k", "v"]);
    t.run(&["RPUSH", "l", "a"]);
    t.limit("noeviction");
    assert_eq!(t.run(&["SET", "k2", "v"]), oom());
    assert_eq!(t.run(&["INCR", "n"]), oom());
    assert_eq!(t.run(&["RPUSH", "l", "b"]), oom());
    // Reads and commands that only free memory still run.
    assert_eq!(t.run(&["GET", "k"]), Reply::bulk("v"));
    assert_eq!(t.run(&["LPOP", "l"]), Reply::bulk("a"));
    assert_eq!(t.run(&["DEL", "k"]), Reply::Integer(1));
    assert_eq!(t.run(&["PING"]), Reply::status("PONG"));
    assert_eq!(t.e.stats.evicted_keys, 0);
    let set = t.e.table.lookup(b"set").unwrap();
    assert_eq!(
        set.stats
            .rejected_calls
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    // Time over the limit is being counted; back under the limit it stops.
    assert!(t.e.evict.exceeded_since.is_some());
    t.e.config.maxmemory = u64::MAX;
    assert_eq!(t.run(&["SET", "k2", "v"]), Reply::OK);
    assert!(t.e.evict.exceeded_since.is_none());
    let Reply::Verbatim(_, info) = t.run(&["INFO", "stats"]) else {
        panic!()
    };
    let info = String::from_utf8_lossy(&info).into_owned();
    assert!(info.contains("\r\ncurrent_eviction_exceeded_time:0\r\n"));
    assert!(info.contains("\r\ntotal_eviction_exceeded_time:"));
    // No limit, no refusal.
    t.e.config.maxmemory = 0;
    assert_eq!(t.run(&["SET", "k3", "v"]), Reply::OK);
}

#[test]
fn multi_under_oom() {
    let mut t = engine();
    t.run(&["MULTI"]);
    t.run(&["SET", "a", "1"]);
    t.limit("noeviction");
    // A queued write makes EXEC itself a denyoom command.
    assert_eq!(
        t.run(&["EXEC"]),
        Reply::error(
            "EXECABORT Transaction discarded because of: OOM command not allowed when used \
             memory > 'maxmemory'."
        )
    );
    assert_eq!(t.run(&["EXISTS", "a"]), Reply::Integer(0));
    // Inside MULTI even reads are refused (queueing grows memory); EXEC then
    // aborts for the refused command.
    assert_eq!(t.run(&["MULTI"]), Reply::OK);
    assert_eq!(t.run(&["GET", "a"]), oom());
    assert_eq!(
        t.run(&["EXEC"]),
        Reply::error("EXECABORT Transaction discarded because of previous errors.")
    );
    assert_eq!(t.run(&["MULTI"]), Reply::OK);
    assert_eq!(t.run(&["PING"]), oom());
    assert_eq!(t.run(&["DISCARD"]), Reply::OK);
}

#[test]
fn allkeys_evicts_everything_it_can_then_refuses() {
    let mut t = engine();
    t.e.notify_flags = crate::events::parse_flags("Ee").unwrap();
    for i in 0..10 {
        t.run(&["SET", &format!("k{i}"), "v"]);
    }
    t.run(&["SELECT", "3"]);
    t.run(&["SADD", "s", "m"]);
    t.run(&["SELECT", "0"]);
    t.limit("allkeys-random");
    assert_eq!(t.run(&["SET", "x", "y"]), oom());
    assert_eq!(t.e.total_keys(), 0);
    assert_eq!(t.e.stats.evicted_keys, 11);
    let mut evicted = t.evicted();
    evicted.sort();
    assert_eq!(evicted.len(), 11);
    assert_eq!(evicted[10], "s");
    let events = t.events.lock().unwrap().clone();
    assert_eq!(events.len(), 11);
    assert!(events.iter().all(|e| e.starts_with("evicted:")));
    // INFO stats shows the count.
    let Reply::Verbatim(_, info) = t.run(&["INFO", "stats"]) else {
        panic!()
    };
    assert!(String::from_utf8_lossy(&info).contains("evicted_keys:11\r\n"));
}

#[test]
fn lazyfree_eviction_propagates_unlink() {
    let mut t = engine();
    t.run(&["SET", "a", "1"]);
    t.e.config.lazyfree_lazy_eviction = true;
    t.limit("allkeys-lru");
    assert_eq!(t.run(&["SET", "b", "1"]), oom());
    let props = t.props.lock().unwrap().clone();
    assert_eq!(
        props.last().unwrap(),
        &vec!["UNLINK".to_string(), "a".into()]
    );
}

#[test]
fn volatile_policies_only_evict_keys_with_a_ttl() {
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let mut t = engine();
        for i in 0..6 {
            t.run(&["SET", &format!("p{i}"), "v"]);
            t.run(&["SET", &format!("t{i}"), "v", "EX", &format!("{}", 100 + i)]);
        }
        t.run(&["SELECT", "1"]);
        t.run(&["SET", "t-db1", "v", "PX", "5000"]);
        t.run(&["SELECT", "0"]);
        t.limit(policy);
        assert_eq!(t.run(&["SET", "x", "y"]), oom(), "{policy}");
        assert_eq!(t.e.stats.evicted_keys, 7, "{policy}");
        assert_eq!(t.e.total_keys(), 6, "{policy}");
        assert!(t.evicted().iter().all(|k| k.starts_with('t')), "{policy}");
        // Reads still work on the survivors.
        assert_eq!(t.run(&["GET", "p3"]), Reply::bulk("v"));
    }
}

#[test]
fn volatile_ttl_evicts_soonest_expiry_first() {
    let mut t = engine();
    t.e.config.maxmemory_samples = 20;
    for (k, ttl) in [("c", 300), ("a", 100), ("e", 500), ("b", 200), ("d", 400)] {
        t.run(&["SET", k, "v", "EX", &ttl.to_string()]);
    }
    t.run(&["SET", "persistent", "v"]);
    t.limit("volatile-ttl");
    assert_eq!(t.run(&["SET", "x", "y"]), oom());
    assert_eq!(t.evicted(), ["a", "b", "c", "d", "e"]);
}

#[test]
fn lru_evicts_least_recently_used_first() {
    let mut t = engine();
    t.e.config.maxmemory_samples = 20;
    for k in ["k1", "k2", "k3", "k4", "k5"] {
        t.run(&["SET", k, "v"]);
        t.clock.advance(2_000);
    }
    // Reading k2 makes it the most recently used.
    t.run(&["GET", "k2"]);
    t.clock.advance(1_000);
    t.limit("allkeys-lru");
    assert_eq!(t.run(&["SET", "x", "y"]), oom());
    assert_eq!(t.evicted(), ["k1", "k3", "k4", "k5", "k2"]);
}

#[test]
fn lfu_evicts_least_frequently_used_first() {
    let mut t = engine();
    t.e.config.maxmemory_policy = "allkeys-lfu".into();
    t.e.config.maxmemory_samples = 20;
    for k in ["hot", "cold", "warm"] {
        t.run(&["SET", k, "v"]);
    }
    // From the initial counter the first access always counts; later ones
    // less and less often, so "hot" (many reads) stays ahead of "warm" (one).
    t.run(&["GET", "warm"]);
    for _ in 0..300 {
        t.run(&["GET", "hot"]);
    }
    assert_eq!(t.run(&["OBJECT", "FREQ", "cold"]), Reply::Integer(5));
    assert_eq!(t.run(&["OBJECT", "FREQ", "warm"]), Reply::Integer(6));
    t.limit("allkeys-lfu");
    assert_eq!(t.run(&["SET", "x", "y"]), oom());
    assert_eq!(t.evicted(), ["cold", "warm", "hot"]);
}

#[test]
fn replicas_ignoring_maxmemory_and_paused_servers_do_not_evict() {
    let mut t = engine();
    t.run(&["SET", "a", "1"]);
    t.limit("allkeys-lru");
    t.e.is_replica = true;
    assert_eq!(t.run(&["GET", "a"]), Reply::bulk("1"));
    assert_eq!(t.e.stats.evicted_keys, 0);
    t.e.is_replica = false;
    assert_eq!(t.run(&["GET", "a"]), Reply::Nil);
    assert_eq!(t.e.stats.evicted_keys, 1);
}

#[test]
fn pool_keeps_the_sixteen_most_idle_in_order() {
    let mut pool = vec![PoolEntry::default(); POOL_SIZE];
    let idles = [
        50u64, 3, 99, 7, 12, 80, 1, 64, 33, 21, 5, 77, 90, 2, 45, 60, 8, 95, 30, 11,
    ];
    for (i, idle) in idles.iter().enumerate() {
        insert_into_pool(&mut pool, 0, *idle, format!("k{i}").as_bytes());
    }
    let got: Vec<u64> = pool.iter().map(|p| p.idle).collect();
    let mut want = idles.to_vec();
    want.sort_unstable();
    assert_eq!(got, want[idles.len() - POOL_SIZE..]);
    assert!(pool.iter().all(|p| p.used));
    // Partly filled: ascending with free slots at the end.
    let mut pool = vec![PoolEntry::default(); POOL_SIZE];
    for idle in [5u64, 1, 3] {
        insert_into_pool(&mut pool, 2, idle, b"");
    }
    let got: Vec<(bool, u64)> = pool.iter().take(4).map(|p| (p.used, p.idle)).collect();
    assert_eq!(got, [(true, 1), (true, 3), (true, 5), (false, 0)]);
}

#[test]
fn policy_names_and_time_limits() {
    for (name, p) in [
        ("noeviction", Policy::NoEviction),
        ("allkeys-lru", Policy::AllKeysLru),
        ("allkeys-lfu", Policy::AllKeysLfu),
        ("allkeys-random", Policy::AllKeysRandom),
        ("volatile-lru", Policy::VolatileLru),
        ("volatile-lfu", Policy::VolatileLfu),
        ("volatile-random", Policy::VolatileRandom),
        ("volatile-ttl", Policy::VolatileTtl),
    ] {
        assert_eq!(Policy::parse(name), p);
    }
    assert_eq!(time_limit_us(0), 0);
    assert_eq!(time_limit_us(10), 500);
    assert_eq!(time_limit_us(11), 575);
    assert_eq!(time_limit_us(100), u64::MAX);
}

#[test]
fn glibc_size_classes() {
    let l = |n| Layout::from_size_align(n, 8).unwrap();
    assert_eq!(GlibcClasses::usable(l(1)), 24);
    assert_eq!(GlibcClasses::usable(l(24)), 24);
    assert_eq!(GlibcClasses::usable(l(25)), 40);
    assert_eq!(GlibcClasses::usable(l(100)), 104);
}

#[test]
fn config_set_maxmemory_evicts_at_once() {
    let mut t = engine();
    for k in ["a", "b", "c"] {
        t.run(&["SET", k, "v"]);
    }
    t.run(&["CONFIG", "SET", "maxmemory-policy", "allkeys-random"]);
    assert_eq!(t.e.stats.evicted_keys, 0);
    assert_eq!(t.run(&["CONFIG", "SET", "maxmemory", "1"]), Reply::OK);
    assert_eq!(t.e.stats.evicted_keys, 3);
    assert_eq!(t.e.total_keys(), 0);
}

/// A tracked key evicted before a command runs is invalidated ahead of the
/// command's reply, as Redis sends at once when no command is executing
/// (its "invalidation message of eviction keys should be before response"
/// test); a key the command itself changes is invalidated after it.
#[test]
fn eviction_before_a_command_invalidates_ahead_of_its_reply() {
    let mut t = engine();
    t.run(&["HELLO", "3"]);
    t.run(&["CLIENT", "TRACKING", "on"]);
    t.run(&["SET", "volatile-key", "x", "EX", "10000"]);
    t.run(&["GET", "volatile-key"]);
    t.limit("volatile-random");
    let argv = [
        Bytes::from_static(b"GET"),
        Bytes::from_static(b"volatile-key"),
    ];
    let mut out = Vec::new();
    t.e.execute_into(t.id, &argv, &mut out);
    assert_eq!(
        String::from_utf8_lossy(&out),
        ">2\r\n$10\r\ninvalidate\r\n*1\r\n$12\r\nvolatile-key\r\n_\r\n"
    );
    assert_eq!(t.evicted(), ["volatile-key"]);
}
