//! Active expiry (Redis's activeExpireCycle): keys with a TTL are sampled from
//! each database's expires index and reclaimed without being touched.
//!
//! Like Redis, the sampling walks the volatile keys (here the TTL index's
//! dense slots, see `ttl_index`) with a per-database cursor that persists
//! between cycles (so every volatile key is eventually
//! visited), repeats on a database while more than an acceptable share of the
//! sampled keys were stale, and stops when its time budget is spent, resuming
//! from the next database on the next call.

use crate::engine::Engine;
use bytes::Bytes;
use std::time::Instant;

/// Keys sampled per database per loop (ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP).
const KEYS_PER_LOOP: u64 = 20;
/// Duration of a fast cycle, µs (ACTIVE_EXPIRE_CYCLE_FAST_DURATION).
const FAST_DURATION_US: u64 = 1000;
/// Share of a cron period a slow cycle may use, % (ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC).
const SLOW_TIME_PERC: u64 = 25;
/// Keep working on a database while more than this % of samples were stale.
const ACCEPTABLE_STALE: u64 = 10;
/// Databases visited per call (CRON_DBS_PER_CALL).
const DBS_PER_CALL: usize = 16;

/// Which cycle to run: `Slow` from the cron (`hz` times a second), `Fast` from
/// the event loop between polls (Redis's beforeSleep).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CycleKind {
    Slow,
    Fast,
}

/// State carried between cycles (static variables in Redis).
#[derive(Default, Debug)]
pub struct CycleState {
    /// Next database to test.
    current_db: usize,
    /// Whether the previous cycle ran out of time.
    timelimit_exit: bool,
    /// When the last fast cycle started, µs since the engine's first cycle.
    last_fast_cycle_us: Option<u64>,
    /// Origin of the monotonic µs clock used above.
    origin: Option<Instant>,
}

/// One slow cycle (the cron's).
pub fn active_expire_cycle(engine: &mut Engine) {
    run_cycle(engine, CycleKind::Slow);
}

/// One fast cycle: runs only if the last slow cycle hit its time limit or
/// many keys look stale, and at most once per two fast-cycle durations.
#[inline]
pub fn active_expire_cycle_fast(engine: &mut Engine) {
    // Decided here, inline and before any clock read: the front end asks
    // after every batch and there is nearly always nothing to do.
    let effort = engine.config.active_expire_effort.clamp(1, 10) as u64 - 1;
    let acceptable_stale = (ACCEPTABLE_STALE - effort) as f64;
    if !engine.expire_cycle.timelimit_exit && engine.stats.expired_stale_perc < acceptable_stale {
        return;
    }
    run_cycle(engine, CycleKind::Fast);
}

/// Volatile keys seen in one sampling loop of one database.
struct Sample {
    sampled: u64,
    expired: Vec<Bytes>,
    ttl_sum: i64,
    ttl_samples: i64,
}

/// One cycle of either kind; a fast one is admitted by `active_expire_cycle_fast`.
fn run_cycle(engine: &mut Engine, kind: CycleKind) {
    let effort = engine.config.active_expire_effort.clamp(1, 10) as u64 - 1;
    let keys_per_loop = KEYS_PER_LOOP + KEYS_PER_LOOP / 4 * effort;
    let fast_duration = FAST_DURATION_US + FAST_DURATION_US / 4 * effort;
    let slow_time_perc = SLOW_TIME_PERC + 2 * effort;
    let acceptable_stale = ACCEPTABLE_STALE - effort;

    let start = Instant::now();
    let origin = *engine.expire_cycle.origin.get_or_insert(start);
    let start_us = start.duration_since(origin).as_micros() as u64;

    if kind == CycleKind::Fast {
        let state = &engine.expire_cycle;
        if let Some(last) = state.last_fast_cycle_us {
            if start_us < last + fast_duration * 2 {
                return;
            }
        }
        engine.expire_cycle.last_fast_cycle_us = Some(start_us);
    }

    let dbnum = engine.dbs.len();
    let mut dbs_per_call = DBS_PER_CALL;
    if dbs_per_call > dbnum || engine.expire_cycle.timelimit_exit {
        dbs_per_call = dbnum;
    }
    let hz = engine.config.hz.max(1) as u64;
    let timelimit_us = match kind {
        CycleKind::Slow => (slow_time_perc * 1_000_000 / hz / 100).max(1),
        CycleKind::Fast => fast_duration,
    };
    engine.expire_cycle.timelimit_exit = false;

    let mut total_sampled = 0u64;
    let mut total_expired = 0u64;
    let mut iteration = 0u64;
    let mut j = 0;
    while j < dbs_per_call && !engine.expire_cycle.timelimit_exit {
        j += 1;
        let db = engine.expire_cycle.current_db % dbnum;
        // Advance first, so running out of time here resumes at the next one.
        engine.expire_cycle.current_db = engine.expire_cycle.current_db.wrapping_add(1);
        loop {
            iteration += 1;
            let num = engine.dbs[db].expires_count() as u64;
            if num == 0 {
                engine.dbs[db].avg_ttl = 0;
                break;
            }
            // (Redis skips a nearly empty expires dict here, expensive to
            // sample; the TTL index is dense, so every sample finds a key.)
            let now = engine.now_ms();
            let sample = sample_db(engine, db, now, num.min(keys_per_loop));
            total_sampled += sample.sampled;
            total_expired += sample.expired.len() as u64;
            for key in &sample.expired {
                engine.delete_expired(db, key);
            }
            if sample.ttl_samples > 0 {
                let avg = sample.ttl_sum / sample.ttl_samples;
                let d = &mut engine.dbs[db];
                if d.avg_ttl == 0 {
                    d.avg_ttl = avg;
                }
                d.avg_ttl = (d.avg_ttl / 50) * 49 + avg / 50;
            }
            if iteration & 0xf == 0 && start.elapsed().as_micros() as u64 > timelimit_us {
                engine.expire_cycle.timelimit_exit = true;
                engine.stats.expired_time_cap_reached_count += 1;
                break;
            }
            let stale = sample.expired.len() as u64;
            if sample.sampled != 0 && stale * 100 / sample.sampled <= acceptable_stale {
                break;
            }
        }
    }

    let elapsed_us = start.elapsed().as_micros() as u64;
    engine.stats.expire_cycle_time_used_us += elapsed_us;
    crate::cmd::latency::add_sample_if_needed(engine, "expire-cycle", elapsed_us / 1000);
    let current = if total_sampled > 0 {
        total_expired as f64 / total_sampled as f64
    } else {
        0.0
    };
    engine.stats.expired_stale_perc = current * 0.05 + engine.stats.expired_stale_perc * 0.95;
}

/// Samples `num` volatile keys of the database's TTL index, walking its
/// slots downwards from the database's cursor (wrapping at the bottom).
/// Downwards, because deleting a key moves the index's last slot into the
/// hole: with the walk going down, that slot was already visited and lands
/// among visited ones, so no slot is skipped.
fn sample_db(engine: &mut Engine, db: usize, now: i64, num: u64) -> Sample {
    let d = &mut engine.dbs[db];
    let mut s = Sample {
        sampled: 0,
        expired: Vec::new(),
        ttl_sum: 0,
        ttl_samples: 0,
    };
    let len = d.expires_count();
    let mut i = d.expires_cursor as usize;
    for _ in 0..(num as usize).min(len) {
        if i == 0 || i > len {
            i = len;
        }
        i -= 1;
        let Some((key, _, at)) = d.volatile_at(i) else {
            debug_assert!(false, "TTL slot without its key");
            continue;
        };
        let ttl = at - now;
        if now > at {
            s.expired.push(key.to_bytes());
        }
        if ttl > 0 {
            s.ttl_sum += ttl;
            s.ttl_samples += 1;
        }
        s.sampled += 1;
    }
    d.expires_cursor = i as u64;
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use ember_resp::Reply;
    use std::sync::{Arc, Mutex};

    fn setup() -> (Engine, ManualClock, u64) {
        let clock = ManualClock::new(1_700_000_000_000);
        let mut e = Engine::builder().clock(Arc::new(clock.clone())).build();
        let id = e.add_client();
        (e, clock, id)
    }

    fn run(e: &mut Engine, id: u64, args: &[&str]) -> Reply {
        let argv: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.to_string())).collect();
        e.execute(id, &argv).unwrap()
    }

    #[test]
    fn cron_reclaims_untouched_keys_and_propagates_del() {
        let (mut e, clock, id) = setup();
        let props = Arc::new(Mutex::new(Vec::new()));
        let p = props.clone();
        e.add_propagation_sink(Box::new(move |db, argv| {
            p.lock().unwrap().push((db, argv.to_vec()));
        }));
        for i in 0..100 {
            run(&mut e, id, &["SET", &format!("k{i}"), "v", "PX", "100"]);
            run(&mut e, id, &["SET", &format!("p{i}"), "v"]);
        }
        run(&mut e, id, &["SELECT", "3"]);
        run(&mut e, id, &["SET", "other", "v", "PX", "100"]);
        props.lock().unwrap().clear();
        e.cron();
        assert_eq!(e.total_keys(), 201, "nothing expired yet");
        clock.advance(101);
        e.cron();
        assert_eq!(e.total_keys(), 100);
        assert_eq!(e.stats.expired_keys, 101);
        let props = props.lock().unwrap();
        assert_eq!(props.len(), 101);
        assert!(props.iter().all(|(_, argv)| argv[0].as_ref() == b"DEL"));
        assert!(props
            .iter()
            .any(|(db, argv)| *db == 3 && argv[1].as_ref() == b"other"));
    }

    #[test]
    fn few_volatile_keys_among_many_are_found() {
        let (mut e, clock, id) = setup();
        for i in 0..10_000 {
            run(&mut e, id, &["SET", &format!("key:{i}"), "v"]);
        }
        for k in ["key:17", "key:5000", "key:9999"] {
            run(&mut e, id, &["PEXPIRE", k, "1000"]);
        }
        clock.advance(1001);
        for _ in 0..3 {
            e.cron();
        }
        assert_eq!(e.total_keys(), 9_997);
        assert_eq!(e.dbs[0].expires_count(), 0);
        assert_eq!(run(&mut e, id, &["EXISTS", "key:17"]), Reply::Integer(0));
    }

    #[test]
    fn cursor_resumes_so_every_key_is_eventually_visited() {
        let (mut e, clock, id) = setup();
        // 1000 volatile keys, only 10 of them expiring: each cycle samples 20
        // keys and stops (10% stale at most), so progress relies on the cursor.
        for i in 0..1000 {
            let ttl = if i % 100 == 0 { "10" } else { "1000000" };
            run(&mut e, id, &["SET", &format!("k{i}"), "v", "PX", ttl]);
        }
        clock.advance(11);
        for _ in 0..200 {
            e.cron();
        }
        assert_eq!(e.total_keys(), 990);
        assert!(e.dbs[0].avg_ttl > 900_000, "avg ttl {}", e.dbs[0].avg_ttl);
    }

    #[test]
    fn disabled_and_replica_do_nothing() {
        let (mut e, clock, id) = setup();
        run(&mut e, id, &["SET", "k", "v", "PX", "10"]);
        clock.advance(20);
        e.config.active_expire_enabled = false;
        e.cron();
        assert_eq!(e.total_keys(), 1);
        e.config.active_expire_enabled = true;
        e.is_replica = true;
        e.cron();
        assert_eq!(e.total_keys(), 1);
        e.is_replica = false;
        e.cron();
        assert_eq!(e.total_keys(), 0);
    }

    #[test]
    fn fast_cycle_runs_only_when_needed() {
        let (mut e, clock, id) = setup();
        run(&mut e, id, &["SET", "k", "v", "PX", "10"]);
        clock.advance(20);
        // Only after a slow cycle ran out of time. (Redis compares the stale
        // fraction with a percentage, so that other trigger never fires.)
        e.stats.expired_stale_perc = 0.5;
        active_expire_cycle_fast(&mut e);
        assert_eq!(e.total_keys(), 1);
        e.expire_cycle.timelimit_exit = true;
        active_expire_cycle_fast(&mut e);
        assert_eq!(e.total_keys(), 0);
    }

    /// The front end's hook between batches runs the fast cycle, but not on
    /// a replica, with active expiry off, or while clients are paused.
    #[test]
    fn before_sleep_runs_the_fast_cycle_where_the_cron_would() {
        let (mut e, clock, id) = setup();
        run(&mut e, id, &["SET", "k", "v", "PX", "10"]);
        clock.advance(20);
        e.expire_cycle.timelimit_exit = true;
        e.is_replica = true;
        e.before_sleep();
        assert_eq!(e.total_keys(), 1, "replica");
        e.is_replica = false;
        e.config.active_expire_enabled = false;
        e.before_sleep();
        assert_eq!(e.total_keys(), 1, "active expiry off");
        e.config.active_expire_enabled = true;
        run(&mut e, id, &["CLIENT", "PAUSE", "100000", "WRITE"]);
        e.before_sleep();
        assert_eq!(e.total_keys(), 1, "paused");
        run(&mut e, id, &["CLIENT", "UNPAUSE"]);
        e.before_sleep();
        assert_eq!(e.total_keys(), 0);
        assert_eq!(e.stats.expired_keys, 1);
        // Without a slow cycle that ran out of time, nothing happens.
        run(&mut e, id, &["SET", "k", "v", "PX", "10"]);
        clock.advance(20);
        e.before_sleep();
        assert_eq!(e.total_keys(), 1);
    }
}
