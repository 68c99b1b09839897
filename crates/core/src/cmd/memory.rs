//! MEMORY (USAGE STATS DOCTOR MALLOC-STATS PURGE HELP) and the memory
//! overview that INFO memory shares with it (Redis's memoryCommand and
//! getMemoryOverheadData, object.c).
//!
//! `used_memory` is the binary's allocator counter (see `evict`). Figures only
//! the allocator itself knows (jemalloc's allocated / active / resident bytes,
//! its statistics report, purging dirty pages) come through
//! [`AllocatorHooks`], which the binary installs: a library never links an
//! allocator. Without them the allocator figures fall back to `used_memory`
//! and RSS, MALLOC-STATS says stats are not supported (as Redis built with
//! libc malloc does) and PURGE is a no-op.

use crate::args::Args;
use crate::cmd::command_info::help_reply;
use crate::cmd::info::{rss_bytes, used_memory};
use crate::command::{flags::*, Command};
use crate::ctx::Ctx;
use crate::db::Keyspace;
use crate::engine::Engine;
use crate::error::{CmdError, CmdResult};
use bytes::Bytes;
use ember_resp::Reply;
use std::sync::OnceLock;

/// Elements MEMORY USAGE samples by default (Redis's OBJ_COMPUTE_SIZE_DEF_SAMPLES).
const DEFAULT_SAMPLES: usize = 5;

/// The allocator's own counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllocatorStats {
    /// Bytes handed out to the program (jemalloc's stats.allocated).
    pub allocated: u64,
    /// Bytes in pages holding live allocations (stats.active).
    pub active: u64,
    /// Bytes in physically resident allocator pages (stats.resident).
    pub resident: u64,
}

/// What the binary's allocator can tell or do beyond counting bytes.
#[derive(Clone, Copy)]
pub struct AllocatorHooks {
    /// Fresh counters (None when unavailable).
    pub stats: fn() -> Option<AllocatorStats>,
    /// The allocator's statistics report (MEMORY MALLOC-STATS).
    pub report: fn() -> Option<String>,
    /// Returns dirty unused pages to the system (MEMORY PURGE); false on failure.
    pub purge: fn() -> bool,
    /// Starts or stops the allocator's background purging threads
    /// (`jemalloc-bg-thread`); false on failure.
    pub background_thread: fn(bool) -> bool,
}

static HOOKS: OnceLock<AllocatorHooks> = OnceLock::new();

/// Installs the allocator hooks (once per process; false if already set).
pub fn set_allocator_hooks(hooks: AllocatorHooks) -> bool {
    HOOKS.set(hooks).is_ok()
}

/// Applies `jemalloc-bg-thread` (default yes) to the allocator, as Redis does
/// at startup and on CONFIG SET: jemalloc's background threads return freed
/// pages to the system over time even while no command allocates. A no-op
/// without allocator hooks.
pub fn apply_background_thread(config: &crate::config::Config) {
    use crate::config_table::ParamValue;
    let on = !matches!(
        config.params.get("jemalloc-bg-thread"),
        Some(ParamValue::Bool(false))
    );
    if let Some(h) = HOOKS.get() {
        (h.background_thread)(on);
    }
}

/// After a synchronous FLUSHALL / FLUSHDB, returns the freed pages to the
/// system at once, as Redis 7.0 does (jemalloc keeps them otherwise until
/// allocation traffic or a background thread purges them).
pub fn purge_after_flush() {
    if let Some(h) = HOOKS.get() {
        (h.purge)();
    }
}

/// `used_memory` when the first engine's cron (or INFO) first looked.
static STARTUP_MEMORY: OnceLock<u64> = OnceLock::new();

/// `used_memory_startup`: fixed by the first call (with the figure it passes).
pub fn startup_memory(used_now: u64) -> u64 {
    *STARTUP_MEMORY.get_or_init(|| used_now)
}

/// Redis's redisMemOverhead: the figures MEMORY STATS lists and INFO memory
/// shows.
pub struct Overview {
    pub peak: u64,
    pub used: u64,
    pub startup: u64,
    pub rss: u64,
    pub alloc: AllocatorStats,
    /// (index, main table bytes, expires table bytes) of each non-empty db.
    pub dbs: Vec<(usize, u64, u64)>,
    /// What clients' buffers take: normal and pub/sub clients, replicas
    /// and monitors (`mem_clients_normal`, `mem_clients_slaves`).
    pub clients_normal: u64,
    pub clients_slaves: u64,
    /// Connected clients, and how many of them are replicas.
    pub num_clients: u64,
    pub num_replicas: u64,
    /// Startup memory, clients and the keyspace tables (`used_memory_overhead`).
    pub overhead: u64,
    pub keys: u64,
    /// `used` less `overhead` (`used_memory_dataset`).
    pub dataset: u64,
}

/// `a / b` as Redis's float ratios (0 when `b` is 0).
fn ratio(a: u64, b: u64) -> f32 {
    if b == 0 {
        0.0
    } else {
        a as f32 / b as f32
    }
}

impl Overview {
    pub fn of(e: &Engine) -> Overview {
        let used = used_memory();
        let rss = rss_bytes();
        let startup = startup_memory(used);
        let alloc = HOOKS
            .get()
            .and_then(|h| (h.stats)())
            .unwrap_or(AllocatorStats {
                allocated: used,
                active: used,
                resident: rss,
            });
        let dbs: Vec<(usize, u64, u64)> = e
            .dbs
            .iter()
            .enumerate()
            .filter(|(_, db)| !db.is_empty())
            .map(|(i, db)| (i, db.keys.table_bytes() as u64, db.ttls().bytes() as u64))
            .collect();
        let clients_normal = e.clients_normal_memory() as u64;
        let replica = |c: &&crate::client::Client| c.kind == crate::client::ClientKind::Replica;
        let clients_slaves: u64 = e
            .clients
            .values()
            .filter(|c| replica(c) || c.monitor)
            .map(|c| c.memory_usage() as u64)
            .sum();
        let tables: u64 = dbs.iter().map(|d| d.1 + d.2).sum();
        let overhead = (startup + clients_normal + clients_slaves + tables).min(used);
        Overview {
            peak: e.stats.used_memory_peak.max(used),
            used,
            startup,
            rss,
            alloc,
            dbs,
            clients_normal,
            clients_slaves,
            num_clients: e.clients.len() as u64,
            num_replicas: e.clients.values().filter(replica).count() as u64,
            overhead,
            keys: e.dbs.iter().map(|db| db.len() as u64).sum(),
            dataset: used - overhead,
        }
    }

    /// Memory above startup (at least 1, as Redis divides by it).
    fn net(&self) -> u64 {
        self.used.saturating_sub(self.startup).max(1)
    }

    pub fn bytes_per_key(&self) -> u64 {
        match self.keys {
            0 => 0,
            n => self.net() / n,
        }
    }

    pub fn dataset_perc(&self) -> f32 {
        self.dataset as f32 * 100.0 / self.net() as f32
    }

    pub fn peak_perc(&self) -> f32 {
        ratio(self.used, self.peak) * 100.0
    }

    /// Active pages over allocated bytes: (ratio, bytes).
    pub fn allocator_frag(&self) -> (f32, i64) {
        let a = &self.alloc;
        (
            ratio(a.active, a.allocated),
            a.active as i64 - a.allocated as i64,
        )
    }

    /// Resident allocator pages over active ones.
    pub fn allocator_rss(&self) -> (f32, i64) {
        let a = &self.alloc;
        (
            ratio(a.resident, a.active),
            a.resident as i64 - a.active as i64,
        )
    }

    /// Process RSS over the allocator's resident pages.
    pub fn rss_overhead(&self) -> (f32, i64) {
        let r = self.alloc.resident;
        (ratio(self.rss, r), self.rss as i64 - r as i64)
    }

    /// Process RSS over `used_memory`.
    pub fn fragmentation(&self) -> (f32, i64) {
        (
            ratio(self.rss, self.used),
            self.rss as i64 - self.used as i64,
        )
    }
}

pub fn commands() -> Vec<Command> {
    vec![Command::container(
        "memory",
        -2,
        0,
        0,
        vec![
            Command::new("doctor", 2, 0, 0, doctor),
            Command::new("malloc-stats", 2, 0, 0, malloc_stats),
            Command::new("purge", 2, 0, 0, purge),
            Command::new("stats", 2, 0, 0, stats),
            Command::new("usage", -3, READONLY, 0, usage).keys(2, 2, 1),
            Command::new("help", 2, LOADING | STALE, 0, help),
        ],
    )]
}

/// MEMORY USAGE key [SAMPLES count]: the key's entry, its key bytes and an
/// estimate of its value. Like Redis it reads the table directly: no expiry,
/// no hit/miss counting, no access-time update.
fn usage(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let mut samples = DEFAULT_SAMPLES;
    while !args.is_empty() {
        if !args.eat("SAMPLES") || args.is_empty() {
            return Err(CmdError::Syntax);
        }
        samples = match args.next_i64()? {
            n if n < 0 => return Err(CmdError::Syntax),
            0 => usize::MAX,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
    }
    let keys = &ctx.engine.dbs[ctx.db_index].keys;
    Ok(match keys.get_key_value(key) {
        Some((k, v)) => {
            Reply::Integer((Keyspace::ENTRY_BYTES + k.heap_len() + v.heap_bytes(samples)) as i64)
        }
        None => Reply::Nil,
    })
}

fn stats(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    let o = Overview::of(&*ctx.engine);
    let int = |n: u64| Reply::Integer(n as i64);
    let dbl = |f: f32| Reply::Double(f as f64);
    let field = |name: &'static str, v: Reply| (Reply::bulk_static(name.as_bytes()), v);
    let mut out = vec![
        field("peak.allocated", int(o.peak)),
        field("total.allocated", int(o.used)),
        field("startup.allocated", int(o.startup)),
        field("replication.backlog", int(0)),
        field("clients.slaves", int(o.clients_slaves)),
        field("clients.normal", int(o.clients_normal)),
        field("cluster.links", int(0)),
        field("aof.buffer", int(0)),
        field("lua.caches", int(0)),
        field("functions.caches", int(0)),
    ];
    for &(db, main, expires) in &o.dbs {
        out.push((
            Reply::Bulk(Bytes::from(format!("db.{db}"))),
            Reply::Map(vec![
                field("overhead.hashtable.main", int(main)),
                field("overhead.hashtable.expires", int(expires)),
                field("overhead.hashtable.slot-to-keys", int(0)),
            ]),
        ));
    }
    let (frag, frag_bytes) = o.allocator_frag();
    let (arss, arss_bytes) = o.allocator_rss();
    let (rss_over, rss_over_bytes) = o.rss_overhead();
    let (total_frag, total_frag_bytes) = o.fragmentation();
    out.extend([
        field("overhead.total", int(o.overhead)),
        field("keys.count", int(o.keys)),
        field("keys.bytes-per-key", int(o.bytes_per_key())),
        field("dataset.bytes", int(o.dataset)),
        field("dataset.percentage", dbl(o.dataset_perc())),
        field("peak.percentage", dbl(o.peak_perc())),
        field("allocator.allocated", int(o.alloc.allocated)),
        field("allocator.active", int(o.alloc.active)),
        field("allocator.resident", int(o.alloc.resident)),
        field("allocator-fragmentation.ratio", dbl(frag)),
        field("allocator-fragmentation.bytes", Reply::Integer(frag_bytes)),
        field("allocator-rss.ratio", dbl(arss)),
        field("allocator-rss.bytes", Reply::Integer(arss_bytes)),
        field("rss-overhead.ratio", dbl(rss_over)),
        field("rss-overhead.bytes", Reply::Integer(rss_over_bytes)),
        field("fragmentation", dbl(total_frag)),
        field("fragmentation.bytes", Reply::Integer(total_frag_bytes)),
    ]);
    Ok(Reply::Map(out))
}

/// What MEMORY DOCTOR can find (Redis's getMemoryDoctorReport). Client and
/// replica buffers and the script cache are not counted here (INFO shows
/// them as 0), so those three checks never fire.
const PEAK: &str = " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n";
const HIGH_ALLOC_FRAG: &str = " * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n";
const HIGH_ALLOC_RSS: &str = " * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n";
const BIG_REPLICA_BUFFERS: &str = " * Big replica buffers: The replica output buffers in this instance are greater than 10MB for each replica (on average). This likely means that there is some replica instance that is struggling receiving data, either because it is too slow or because of networking issues. As a result, data piles on the master output buffers. Please try to identify what replica is not receiving data correctly and why. You can use the INFO output in order to check the replicas delays and the CLIENT LIST command to check the output buffers of each replica.\n\n";
const BIG_CLIENT_BUFFERS: &str = " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n";
const HIGH_PROC_RSS: &str = " * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n";

fn high_frag(allocator: &str) -> String {
    format!(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"{allocator}\".\n\n")
}

/// The doctor's report for these figures.
pub fn doctor_report(o: &Overview, allocator: &str) -> String {
    const MB10: i64 = 10 << 20;
    if o.used < 5 << 20 {
        return "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n".to_string();
    }
    let over = |(r, bytes): (f32, i64), limit: f32| r > limit && bytes > MB10;
    let mut issues = Vec::new();
    if ratio(o.peak, o.used) > 1.5 {
        issues.push(PEAK.to_string());
    }
    if over(o.fragmentation(), 1.4) {
        issues.push(high_frag(allocator));
    }
    if over(o.allocator_frag(), 1.1) {
        issues.push(HIGH_ALLOC_FRAG.to_string());
    }
    if over(o.allocator_rss(), 1.1) {
        issues.push(HIGH_ALLOC_RSS.to_string());
    }
    if over(o.rss_overhead(), 1.1) {
        issues.push(HIGH_PROC_RSS.to_string());
    }
    if o.num_replicas > 0 && o.clients_slaves / o.num_replicas > 10 << 20 {
        issues.push(BIG_REPLICA_BUFFERS.to_string());
    }
    let normal_clients = o.num_clients.saturating_sub(o.num_replicas).max(1);
    if o.clients_normal / normal_clients > 200 << 10 {
        issues.push(BIG_CLIENT_BUFFERS.to_string());
    }
    if issues.is_empty() {
        return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n".to_string();
    }
    let mut s =
        "Sam, I detected a few issues in this Redis instance memory implants:\n\n".to_string();
    issues.iter().for_each(|i| s.push_str(i));
    s.push_str("I'm here to keep you safe, Sam. I want to help you.\n");
    s
}

fn doctor(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    let report = doctor_report(&Overview::of(&*ctx.engine), crate::evict::allocator_name());
    Ok(Reply::Verbatim("txt", Bytes::from(report)))
}

fn malloc_stats(_ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(match HOOKS.get().and_then(|h| (h.report)()) {
        Some(text) => Reply::Verbatim("txt", Bytes::from(text)),
        None => Reply::bulk_static(b"Stats not supported for the current allocator"),
    })
}

fn purge(_ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    match HOOKS.get() {
        Some(h) if !(h.purge)() => Err(CmdError::err("Error purging dirty pages")),
        _ => Ok(Reply::OK),
    }
}

const HELP: &[&str] = &[
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
];

fn help(_ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(help_reply("MEMORY", HELP))
}

#[cfg(test)]
#[path = "memory_tests.rs"]
mod tests;
