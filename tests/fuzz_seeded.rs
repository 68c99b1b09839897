//! Bounded, seeded fuzzing in the normal test suite: the same generators as
//! the cargo-fuzz targets in `fuzz/` (shared through `fuzz/common`), driven
//! by a seeded RNG for a few seconds.
//!
//! - The request parser gets valid, mutated and random protocol bytes, cut
//!   into random reads: no panic, the same result however the input is cut,
//!   and valid commands come back exactly as encoded.
//! - An in-process engine gets random argument vectors (every command and
//!   subcommand of the table, with keys of every type, huge and negative
//!   integers, floats with inf/nan, long and binary strings) from several
//!   clients, with time moving and the cron running: no panic, no command
//!   that allocates without bound (this binary counts allocations: a command
//!   may not grow the heap by more than [`STEP_LIMIT`], and a single
//!   allocation over 1 GiB aborts), and the engine still answers afterwards.
//! - The RDB loader gets mutated RDB files (every type and encoding, two
//!   databases, TTLs; checksum not verified so mutations reach the decoders)
//!   and random bytes after a header: an error or a dataset that saves
//!   again. RESTORE gets mutated DUMP bodies with a valid footer and CRC,
//!   under `sanitize-dump-payload` yes and no; accepted keys are read back by
//!   the commands of their type. Same heap bounds, no panic.
//!
//! Longer runs:
//!
//! ```text
//! EMBER_FUZZ_ITERS=1000000 cargo test --release --test fuzz_seeded -- --nocapture
//! EMBER_FUZZ_SEED=42 EMBER_FUZZ_VERBOSE=1 cargo test --test fuzz_seeded engine   # replay one seed
//! ```
//!
//! `EMBER_FUZZ_ITERS` is the number of parser inputs and of engine commands
//! per test (split over seeds of 2,000 commands); `EMBER_FUZZ_SEED` runs that
//! seed only; `EMBER_FUZZ_VERBOSE` prints every input and `EMBER_FUZZ_REPLIES`
//! every reply. Coverage-guided fuzzing (cargo-fuzz): see fuzz/README.md.

#[path = "../fuzz/common/mod.rs"]
mod common;

use bytes::Bytes;
use common::{Driver, Entropy};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Live heap bytes, and the most seen since the last reset.
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// No single allocation may be this big (a preallocation sized by a count
/// from the client would be).
const MAX_ONE_ALLOC: usize = 1 << 30;
/// How much one command may grow the heap: Redis's biggest legitimate
/// allocation is a 512 MB string (proto-max-bulk-len).
const STEP_LIMIT: usize = 600 << 20;

struct Tracking;

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if l.size() > MAX_ONE_ALLOC {
            return std::ptr::null_mut();
        }
        let p = System.alloc(l);
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Relaxed);
        System.dealloc(p, l)
    }

    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        if new > MAX_ONE_ALLOC {
            return std::ptr::null_mut();
        }
        let q = System.realloc(p, l, new);
        if !q.is_null() {
            if new >= l.size() {
                let now = LIVE.fetch_add(new - l.size(), Relaxed) + new - l.size();
                PEAK.fetch_max(now, Relaxed);
            } else {
                LIVE.fetch_sub(l.size() - new, Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static ALLOC: Tracking = Tracking;

struct Rand(SmallRng);

impl Entropy for Rand {
    fn next_u32(&mut self) -> Option<u32> {
        Some(self.0.gen())
    }
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok()?.parse().ok()
}

/// (seed, iterations) pairs for a test: `EMBER_FUZZ_SEED` alone, or seeds
/// 1.. sharing `EMBER_FUZZ_ITERS` (default `default_iters`) in chunks.
fn plan(default_iters: usize, chunk: usize) -> Vec<(u64, usize)> {
    let iters = env_usize("EMBER_FUZZ_ITERS").unwrap_or(default_iters);
    if let Some(seed) = env_usize("EMBER_FUZZ_SEED") {
        return vec![(seed as u64, iters.min(chunk))];
    }
    let mut out = Vec::new();
    let mut left = iters;
    let mut seed = 1;
    while left > 0 {
        let n = left.min(chunk);
        out.push((seed, n));
        left -= n;
        seed += 1;
    }
    out
}

fn verbose() -> bool {
    std::env::var_os("EMBER_FUZZ_VERBOSE").is_some()
}

#[test]
fn parser_random_and_mutated_input() {
    let names = Driver::new().names;
    for (seed, iters) in plan(12_000, 6_000) {
        let mut r = Rand(SmallRng::seed_from_u64(seed));
        for i in 0..iters {
            let input = common::gen_protocol(&mut r, &names).expect("rng never runs out");
            let cuts: Vec<usize> = (0..r.0.gen_range(0..6))
                .map(|_| r.0.gen_range(0..=input.len()))
                .collect();
            let unauthenticated = r.0.gen_ratio(1, 4);
            if verbose() {
                eprintln!("seed {seed} #{i}: {:?}", String::from_utf8_lossy(&input));
            }
            common::check_parser(&input, &cuts, unauthenticated);
        }
    }
}

#[test]
fn parser_returns_valid_commands_exactly() {
    let names = Driver::new().names;
    let mut r = Rand(SmallRng::seed_from_u64(99));
    for _ in 0..env_usize("EMBER_FUZZ_ITERS").unwrap_or(2_000) {
        let cmds: Vec<Vec<Bytes>> = (0..r.0.gen_range(1..5))
            .map(|_| common::gen_argv(&mut r, &names).unwrap())
            .collect();
        let mut input = Vec::new();
        for c in &cmds {
            common::encode(c, &mut input);
        }
        let cuts: Vec<usize> = (0..3).map(|_| r.0.gen_range(0..=input.len())).collect();
        let parsed = common::parse_in_pieces(&input, &cuts, false);
        assert_eq!(parsed.commands, cmds);
        assert_eq!((parsed.error, parsed.in_progress), (None, false));
    }
}

#[test]
fn engine_random_commands() {
    let mut d = Driver::new();
    for (seed, iters) in plan(16_000, 2_000) {
        d.reset();
        let baseline = LIVE.load(Relaxed);
        let mut r = Rand(SmallRng::seed_from_u64(seed));
        for i in 0..iters {
            let who = r.0.gen_range(0..4);
            let argv = common::gen_argv(&mut r, &d.names).unwrap();
            if verbose() {
                let shown: Vec<String> = argv
                    .iter()
                    .map(|a| {
                        let s = String::from_utf8_lossy(&a[..a.len().min(40)]).into_owned();
                        if a.len() > 40 {
                            format!("{s}...({} bytes)", a.len())
                        } else {
                            s
                        }
                    })
                    .collect();
                eprintln!("seed {seed} #{i} client {who}: {shown:?}");
            }
            let before = LIVE.load(Relaxed);
            PEAK.store(before, Relaxed);
            d.step(&argv, who);
            let grew = PEAK.load(Relaxed).saturating_sub(before);
            assert!(
                grew < STEP_LIMIT,
                "seed {seed} #{i}: {argv:?} grew the heap by {grew} bytes"
            );
            // Legitimately big values pile up: start over when they do.
            if LIVE.load(Relaxed).saturating_sub(baseline) > 512 << 20 {
                d.reset();
            }
        }
        if verbose() {
            eprintln!(
                "seed {seed}: {} errors, {} other replies",
                d.errors, d.successes
            );
        }
        d.assert_alive();
    }
}

/// Protocol bytes all the way into the engine (what a connection does).
#[test]
fn protocol_into_engine() {
    let mut d = Driver::new();
    let names = d.names.clone();
    for (seed, iters) in plan(4_000, 2_000) {
        let mut r = Rand(SmallRng::seed_from_u64(1000 + seed));
        for _ in 0..iters {
            let input = common::gen_protocol(&mut r, &names).unwrap();
            let parsed = common::parse_in_pieces(&input, &[], false);
            for cmd in parsed.commands {
                d.step(&cmd, 0);
            }
        }
        d.assert_alive();
        d.reset();
    }
}

/// The RDB loader on mutated files (every type and encoding in the seed,
/// the checksum not verified so mutations reach the decoders) and on random
/// bytes after a valid header: an error or a dataset that saves again, no
/// panic, no allocation over [`STEP_LIMIT`].
#[test]
fn rdb_loader_mutated_files() {
    let seed_file = common::persist::seed_rdb();
    assert_eq!(common::persist::load_rdb(&seed_file), Ok(18));
    let (mut loaded, mut failed) = (0, 0);
    for (seed, iters) in plan(3_000, 1_000) {
        let mut r = SmallRng::seed_from_u64(2000 + seed);
        for i in 0..iters {
            let data = if r.gen_ratio(1, 10) {
                let mut d = b"REDIS0010".to_vec();
                let n = r.gen_range(0..200);
                d.extend((0..n).map(|_| r.gen::<u8>()));
                d
            } else {
                let mut d = seed_file.clone();
                let mut next = || r.gen::<u32>();
                common::persist::mutate(&mut next, &mut d);
                d
            };
            let before = LIVE.load(Relaxed);
            PEAK.store(before, Relaxed);
            match common::persist::load_rdb(&data) {
                Ok(_) => loaded += 1,
                Err(_) => failed += 1,
            }
            let grew = PEAK.load(Relaxed).saturating_sub(before);
            assert!(
                grew < STEP_LIMIT,
                "seed {seed} #{i}: the load grew the heap by {grew}"
            );
        }
    }
    if verbose() {
        eprintln!("rdb: {loaded} loaded, {failed} refused");
    }
    assert!(
        failed > 0 && loaded > 0,
        "mutations should both pass and fail"
    );
}

/// RESTORE of mutated DUMP bodies of every type and encoding (footer and
/// CRC made valid so the decoder runs), with sanitize-dump-payload yes and
/// no; accepted keys are read back by the commands of their type.
#[test]
fn restore_mutated_payloads() {
    let seeds = common::persist::seed_bodies();
    assert!(seeds.len() >= 14, "{} seed bodies", seeds.len());
    let mut d = common::persist::RestoreDriver::new();
    // Unmutated, every seed restores (so the footer's CRC is DUMP's).
    for body in &seeds {
        d.restore(body, true);
    }
    assert_eq!(d.accepted as usize, seeds.len(), "the seeds restore as is");
    for (seed, iters) in plan(4_000, 1_000) {
        let mut r = SmallRng::seed_from_u64(3000 + seed);
        for _ in 0..iters {
            let mut body = seeds[r.gen_range(0..seeds.len())].clone();
            let mut next = || r.gen::<u32>();
            common::persist::mutate(&mut next, &mut body);
            let sanitize = r.gen_bool(0.5);
            let before = LIVE.load(Relaxed);
            PEAK.store(before, Relaxed);
            d.restore(&body, sanitize);
            let grew = PEAK.load(Relaxed).saturating_sub(before);
            assert!(grew < STEP_LIMIT, "RESTORE grew the heap by {grew}");
        }
        d.assert_alive();
    }
    if verbose() {
        eprintln!("restore: {} accepted, {} refused", d.accepted, d.refused);
    }
}
