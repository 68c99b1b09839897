//! Active expiry: a sampling cycle run from the cron, like Redis's
//! activeExpireCycle, so expired keys disappear without being touched.

use crate::engine::Engine;
use bytes::Bytes;
use std::time::{Duration, Instant};

/// Keys sampled per database per loop (Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP).
const KEYS_PER_LOOP: usize = 20;
/// Keep looping while more than this percentage of sampled keys were expired.
const ACCEPTABLE_STALE_PERCENT: usize = 10;

/// One slow cycle: samples keys with a TTL in every database and deletes the
/// expired ones, repeating while many samples were stale, within a time budget
/// of 25% of a cron tick.
pub fn active_expire_cycle(engine: &mut Engine) {
    let hz = engine.config.hz.max(1) as u64;
    let effort = engine.config.active_expire_effort.clamp(1, 10) as usize;
    let per_loop = KEYS_PER_LOOP + KEYS_PER_LOOP / 4 * (effort - 1);
    let budget = Duration::from_micros(1_000_000 * 25 / 100 / hz);
    let started = Instant::now();
    let now = engine.now_ms();
    let mut sampled_total = 0usize;
    let mut expired_total = 0usize;
    for db in 0..engine.dbs.len() {
        loop {
            if engine.dbs[db].expires.is_empty() {
                break;
            }
            let mut expired: Vec<Bytes> = Vec::new();
            let mut sampled = 0;
            let mut rng = std::mem::replace(&mut engine.rng, rand::SeedableRng::seed_from_u64(0));
            engine.dbs[db].expires.sample(&mut rng, per_loop, |k, at| {
                sampled += 1;
                if *at < now {
                    expired.push(k.clone());
                }
            });
            engine.rng = rng;
            sampled_total += sampled;
            expired_total += expired.len();
            for key in &expired {
                engine.delete_expired(db, key);
            }
            if started.elapsed() > budget {
                engine.stats.expired_time_cap_reached_count += 1;
                return;
            }
            if sampled == 0 || expired.len() * 100 <= sampled * ACCEPTABLE_STALE_PERCENT {
                break;
            }
        }
    }
    if sampled_total > 0 {
        let current = expired_total as f64 / sampled_total as f64;
        engine.stats.expired_stale_perc = current * 0.05 + engine.stats.expired_stale_perc * 0.95;
    }
}
