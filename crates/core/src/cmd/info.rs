//! INFO [section ...] with Redis 7.0's sections, field names and order.
//!
//! Sections: server clients memory persistence stats replication cpu modules
//! commandstats errorstats latencystats cluster keyspace. No argument or
//! `default` gives the default set; `all` adds commandstats and latencystats;
//! `everything` also includes sections contributed by upper layers.
//!
//! Upper layers contribute through `Engine::info_providers`: `(name, f)` where
//! `f` returns the section's `field:value\r\n` lines. A provider named like a
//! built-in section (case-insensitive, e.g. "Persistence") replaces that
//! section's body; any other name is an extra section shown for `everything`
//! or when asked for by name.
//!
//! Memory figures: `used_memory` comes from [`USED_MEMORY_PROBE`] when the
//! binary installs a counting allocator, else it is the process RSS
//! (/proc/self/statm); the allocator/fragmentation fields are derived from
//! those two numbers.

use super::memory::Overview;
use crate::args::Args;
use crate::client::ClientKind;
use crate::command::{acl, flags::*, Command};
use crate::config_table::format_percentile;
use crate::ctx::Ctx;
use crate::engine::Engine;
use crate::error::CmdResult;
use crate::stats::InstMetric;
use bytes::Bytes;
use ember_resp::Reply;
use std::fmt::Write;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::OnceLock;

pub fn commands() -> Vec<Command> {
    vec![Command::new(
        "info",
        -1,
        LOADING | STALE,
        acl::DANGEROUS,
        info,
    )]
}

/// Bytes allocated by the process, when the binary tracks them (a counting
/// global allocator); INFO falls back to RSS otherwise.
pub static USED_MEMORY_PROBE: OnceLock<fn() -> u64> = OnceLock::new();

/// Built-in sections in output order: (argument name, header).
const SECTIONS: &[(&str, &str)] = &[
    ("server", "Server"),
    ("clients", "Clients"),
    ("memory", "Memory"),
    ("persistence", "Persistence"),
    ("stats", "Stats"),
    ("replication", "Replication"),
    ("cpu", "CPU"),
    ("modules", "Modules"),
    ("commandstats", "Commandstats"),
    ("errorstats", "Errorstats"),
    ("latencystats", "Latencystats"),
    ("cluster", "Cluster"),
    ("keyspace", "Keyspace"),
];

const NOT_DEFAULT: &[&str] = &["commandstats", "latencystats"];

fn info(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let words: Vec<String> = args
        .rest()
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let text = info_string(ctx.engine, &words);
    Ok(Reply::Verbatim("txt", Bytes::from(text)))
}

/// The INFO text for the given (lowercase) arguments; none means `default`.
pub fn info_string(engine: &Engine, args: &[&str]) -> String {
    let (mut all, mut everything) = (false, false);
    let mut wanted: Vec<&str> = Vec::new();
    if args.is_empty() {
        wanted.push("default");
    }
    for a in args {
        match *a {
            "all" => all = true,
            "everything" => everything = true,
            other => wanted.push(other),
        }
    }
    let default = wanted.contains(&"default");
    let selected = |name: &str| {
        all || everything || wanted.contains(&name) || (default && !NOT_DEFAULT.contains(&name))
    };
    let mut out = String::new();
    let mut first = true;
    let mut section = |out: &mut String, header: &str, body: String| {
        if !first {
            out.push_str("\r\n");
        }
        first = false;
        let _ = write!(out, "# {header}\r\n");
        out.push_str(&body);
    };
    for (name, header) in SECTIONS {
        if !selected(name) {
            continue;
        }
        let provided = engine
            .info_providers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name));
        let body = match provided {
            Some((_, f)) => f(engine),
            None => builtin(engine, name),
        };
        section(&mut out, header, body);
    }
    for (name, f) in &engine.info_providers {
        let lower = name.to_ascii_lowercase();
        if SECTIONS.iter().any(|(n, _)| *n == lower) {
            continue;
        }
        if everything || wanted.contains(&lower.as_str()) {
            section(&mut out, name, f(engine));
        }
    }
    out
}

fn builtin(e: &Engine, name: &str) -> String {
    let mut s = String::new();
    match name {
        "server" => server(e, &mut s),
        "clients" => clients(e, &mut s),
        "memory" => memory(e, &mut s),
        "persistence" => persistence(e, &mut s),
        "stats" => stats(e, &mut s),
        "replication" => replication(e, &mut s),
        "cpu" => cpu(&mut s),
        "commandstats" => commandstats(e, &mut s),
        "errorstats" => errorstats(e, &mut s),
        "latencystats" => latencystats(e, &mut s),
        "cluster" => s.push_str("cluster_enabled:0\r\n"),
        "keyspace" => keyspace(e, &mut s),
        _ => {}
    }
    s
}

/// Appends `name:value\r\n`.
macro_rules! field {
    ($s:expr, $name:expr, $($arg:tt)*) => {{
        let _ = write!($s, concat!($name, ":"));
        let _ = write!($s, $($arg)*);
        $s.push_str("\r\n");
    }};
}

fn read_trimmed(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn server(e: &Engine, s: &mut String) {
    let now_us = e.clock.now_us();
    let uptime = (e.now_ms() - e.start_time_ms).max(0) / 1000;
    let os = format!(
        "{} {} {}",
        read_trimmed("/proc/sys/kernel/ostype"),
        read_trimmed("/proc/sys/kernel/osrelease"),
        std::env::consts::ARCH
    );
    let exe = std::env::current_exe()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let config_file = if e.config.config_file.is_empty() {
        String::new()
    } else {
        std::fs::canonicalize(&e.config.config_file)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| e.config.config_file.clone())
    };
    field!(s, "redis_version", "7.0.15");
    field!(s, "redis_git_sha1", "00000000");
    field!(s, "redis_git_dirty", "0");
    field!(s, "redis_build_id", "{}", &e.run_id[..15]);
    field!(s, "redis_mode", "standalone");
    field!(s, "os", "{os}");
    field!(s, "arch_bits", "{}", usize::BITS);
    field!(s, "monotonic_clock", "POSIX clock_gettime");
    field!(s, "multiplexing_api", "epoll");
    field!(s, "atomicvar_api", "c11-builtin");
    field!(s, "gcc_version", "0.0.0");
    field!(s, "process_id", "{}", std::process::id());
    field!(s, "process_supervised", "no");
    field!(s, "run_id", "{}", e.run_id);
    field!(s, "tcp_port", "{}", e.config.port);
    field!(s, "server_time_usec", "{now_us}");
    field!(s, "uptime_in_seconds", "{uptime}");
    field!(s, "uptime_in_days", "{}", uptime / 86400);
    field!(s, "hz", "{}", e.config.hz);
    field!(s, "configured_hz", "{}", e.config.hz);
    field!(s, "lru_clock", "{}", (e.now_ms() / 1000) & 0xff_ffff);
    field!(s, "executable", "{exe}");
    field!(s, "config_file", "{config_file}");
    field!(s, "io_threads_active", "0");
}

fn clients(e: &Engine, s: &mut String) {
    let normal = e
        .clients
        .values()
        .filter(|c| c.kind != ClientKind::Replica)
        .count();
    let max_in = e.clients.values().map(|c| c.qbuf).max().unwrap_or(0);
    let max_out = e.clients.values().map(|c| c.obuf).max().unwrap_or(0);
    field!(s, "connected_clients", "{normal}");
    field!(s, "cluster_connections", "0");
    field!(s, "maxclients", "{}", e.config.maxclients);
    field!(s, "client_recent_max_input_buffer", "{max_in}");
    field!(s, "client_recent_max_output_buffer", "{max_out}");
    field!(s, "blocked_clients", "{}", e.blocking.blocked_clients());
    field!(s, "tracking_clients", "{}", e.tracking.clients);
    field!(
        s,
        "clients_in_timeout_table",
        "{}",
        e.blocking.clients_with_timeout()
    );
}

/// Redis's bytesToHuman.
pub fn bytes_to_human(n: u64) -> String {
    for (i, unit) in ["K", "M", "G", "T", "P"].iter().enumerate() {
        let lo = 1u64 << (10 * (i + 1));
        let hi = 1u128 << (10 * (i + 2));
        if n >= lo && (n as u128) < hi {
            return format!("{:.2}{unit}", n as f64 / lo as f64);
        }
    }
    format!("{n}B")
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let v = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if v > 0 {
        v as u64
    } else {
        4096
    }
}

/// Resident set size of the process in bytes.
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map(|pages| pages * page_size())
        .unwrap_or(0)
}

/// `used_memory`: the allocator's figure when available, else RSS.
pub fn used_memory() -> u64 {
    match USED_MEMORY_PROBE.get() {
        Some(f) => f(),
        None => rss_bytes(),
    }
}

fn total_system_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("MemTotal:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

fn memory(e: &Engine, s: &mut String) {
    let o = Overview::of(e);
    let (used, rss, startup, peak) = (o.used, o.rss, o.startup, o.peak);
    let (overhead, dataset) = (o.overhead, o.dataset);
    let total = total_system_memory();
    let maxmemory = e.config.maxmemory;
    field!(s, "used_memory", "{used}");
    field!(s, "used_memory_human", "{}", bytes_to_human(used));
    field!(s, "used_memory_rss", "{rss}");
    field!(s, "used_memory_rss_human", "{}", bytes_to_human(rss));
    field!(s, "used_memory_peak", "{peak}");
    field!(s, "used_memory_peak_human", "{}", bytes_to_human(peak));
    field!(s, "used_memory_peak_perc", "{:.2}%", o.peak_perc());
    field!(s, "used_memory_overhead", "{overhead}");
    field!(s, "used_memory_startup", "{startup}");
    field!(s, "used_memory_dataset", "{dataset}");
    field!(s, "used_memory_dataset_perc", "{:.2}%", o.dataset_perc());
    field!(s, "allocator_allocated", "{}", o.alloc.allocated);
    field!(s, "allocator_active", "{}", o.alloc.active);
    field!(s, "allocator_resident", "{}", o.alloc.resident);
    field!(s, "total_system_memory", "{total}");
    field!(s, "total_system_memory_human", "{}", bytes_to_human(total));
    field!(s, "used_memory_lua", "0");
    field!(s, "used_memory_vm_eval", "0");
    field!(s, "used_memory_lua_human", "0B");
    field!(s, "used_memory_scripts_eval", "0");
    field!(s, "number_of_cached_scripts", "0");
    field!(s, "number_of_functions", "0");
    field!(s, "number_of_libraries", "0");
    field!(s, "used_memory_vm_functions", "0");
    field!(s, "used_memory_vm_total", "0");
    field!(s, "used_memory_vm_total_human", "0B");
    field!(s, "used_memory_functions", "0");
    field!(s, "used_memory_scripts", "0");
    field!(s, "used_memory_scripts_human", "0B");
    field!(s, "maxmemory", "{maxmemory}");
    field!(s, "maxmemory_human", "{}", bytes_to_human(maxmemory));
    field!(s, "maxmemory_policy", "{}", e.config.maxmemory_policy);
    let (frag, frag_bytes) = o.allocator_frag();
    let (alloc_rss, alloc_rss_bytes) = o.allocator_rss();
    let (rss_over, rss_over_bytes) = o.rss_overhead();
    let (total_frag, total_frag_bytes) = o.fragmentation();
    field!(s, "allocator_frag_ratio", "{frag:.2}");
    field!(s, "allocator_frag_bytes", "{frag_bytes}");
    field!(s, "allocator_rss_ratio", "{alloc_rss:.2}");
    field!(s, "allocator_rss_bytes", "{alloc_rss_bytes}");
    field!(s, "rss_overhead_ratio", "{rss_over:.2}");
    field!(s, "rss_overhead_bytes", "{rss_over_bytes}");
    field!(s, "mem_fragmentation_ratio", "{total_frag:.2}");
    field!(s, "mem_fragmentation_bytes", "{total_frag_bytes}");
    field!(s, "mem_not_counted_for_evict", "0");
    field!(s, "mem_replication_backlog", "0");
    field!(s, "mem_total_replication_buffers", "0");
    field!(s, "mem_clients_slaves", "{}", o.clients_slaves);
    field!(s, "mem_clients_normal", "{}", o.clients_normal);
    field!(s, "mem_cluster_links", "0");
    field!(s, "mem_aof_buffer", "0");
    field!(s, "mem_allocator", "{}", crate::evict::allocator_name());
    field!(s, "active_defrag_running", "0");
    field!(s, "lazyfree_pending_objects", "0");
    field!(s, "lazyfreed_objects", "0");
}

fn persistence(e: &Engine, s: &mut String) {
    field!(s, "loading", "0");
    field!(s, "async_loading", "0");
    field!(s, "current_cow_peak", "0");
    field!(s, "current_cow_size", "0");
    field!(s, "current_cow_size_age", "0");
    field!(s, "current_fork_perc", "0.00");
    field!(s, "current_save_keys_processed", "0");
    field!(s, "current_save_keys_total", "0");
    field!(s, "rdb_changes_since_last_save", "{}", e.dirty);
    field!(s, "rdb_bgsave_in_progress", "0");
    field!(s, "rdb_last_save_time", "{}", e.lastsave_s);
    field!(s, "rdb_last_bgsave_status", "ok");
    field!(s, "rdb_last_bgsave_time_sec", "-1");
    field!(s, "rdb_current_bgsave_time_sec", "-1");
    field!(s, "rdb_saves", "0");
    field!(s, "rdb_last_cow_size", "0");
    field!(s, "rdb_last_load_keys_expired", "0");
    field!(s, "rdb_last_load_keys_loaded", "0");
    field!(s, "aof_enabled", "{}", e.config.appendonly as u8);
    field!(s, "aof_rewrite_in_progress", "0");
    field!(s, "aof_rewrite_scheduled", "0");
    field!(s, "aof_last_rewrite_time_sec", "-1");
    field!(s, "aof_current_rewrite_time_sec", "-1");
    field!(s, "aof_last_bgrewrite_status", "ok");
    field!(s, "aof_rewrites", "0");
    field!(s, "aof_rewrites_consecutive_failures", "0");
    field!(s, "aof_last_write_status", "ok");
    field!(s, "aof_last_cow_size", "0");
    field!(s, "module_fork_in_progress", "0");
    field!(s, "module_fork_last_cow_size", "0");
}

/// The average of a metric's samples (Redis's getInstantaneousMetric).
fn instantaneous(m: &InstMetric) -> u64 {
    m.samples.iter().sum::<u64>() / m.samples.len() as u64
}

/// Samples the instantaneous metrics every 100 ms (called from the cron),
/// like Redis's trackInstantaneousMetric.
pub fn track_metrics(e: &mut Engine) {
    let now = e.now_ms();
    let last = e.stats.inst_metrics[0].last_sample_ms;
    if last != 0 && now - last < 100 {
        return;
    }
    let readings = [
        e.stats.total_commands_processed,
        e.stats.total_net_input_bytes,
        e.stats.total_net_output_bytes,
    ];
    for (m, reading) in e.stats.inst_metrics.iter_mut().zip(readings) {
        let elapsed = (now - m.last_sample_ms).max(1) as u64;
        let rate = if m.last_sample_ms == 0 {
            0
        } else {
            reading.saturating_sub(m.last_reading) * 1000 / elapsed
        };
        m.samples[m.idx] = rate;
        m.idx = (m.idx + 1) % m.samples.len();
        m.last_sample_ms = now;
        m.last_reading = reading;
    }
    let used = used_memory();
    super::memory::startup_memory(used);
    if used > e.stats.used_memory_peak {
        e.stats.used_memory_peak = used;
    }
}

fn stats(e: &Engine, s: &mut String) {
    let st = &e.stats;
    let kbps = |m: &InstMetric| instantaneous(m) as f64 / 1024.0;
    field!(
        s,
        "total_connections_received",
        "{}",
        st.total_connections_received
    );
    field!(
        s,
        "total_commands_processed",
        "{}",
        st.total_commands_processed
    );
    field!(
        s,
        "instantaneous_ops_per_sec",
        "{}",
        instantaneous(&st.inst_metrics[0])
    );
    field!(s, "total_net_input_bytes", "{}", st.total_net_input_bytes);
    field!(s, "total_net_output_bytes", "{}", st.total_net_output_bytes);
    field!(s, "total_net_repl_input_bytes", "0");
    field!(s, "total_net_repl_output_bytes", "0");
    field!(
        s,
        "instantaneous_input_kbps",
        "{:.2}",
        kbps(&st.inst_metrics[1])
    );
    field!(
        s,
        "instantaneous_output_kbps",
        "{:.2}",
        kbps(&st.inst_metrics[2])
    );
    field!(s, "instantaneous_input_repl_kbps", "0.00");
    field!(s, "instantaneous_output_repl_kbps", "0.00");
    field!(s, "rejected_connections", "{}", st.rejected_connections);
    field!(s, "sync_full", "{}", st.sync_full);
    field!(s, "sync_partial_ok", "{}", st.sync_partial_ok);
    field!(s, "sync_partial_err", "{}", st.sync_partial_err);
    field!(s, "expired_keys", "{}", st.expired_keys);
    field!(
        s,
        "expired_stale_perc",
        "{:.2}",
        st.expired_stale_perc * 100.0
    );
    field!(
        s,
        "expired_time_cap_reached_count",
        "{}",
        st.expired_time_cap_reached_count
    );
    field!(s, "expire_cycle_cpu_milliseconds", "0");
    field!(s, "evicted_keys", "{}", st.evicted_keys);
    field!(s, "evicted_clients", "{}", st.evicted_clients);
    let (exceeded_total, exceeded_now) = crate::evict::exceeded_times_ms(e);
    field!(s, "total_eviction_exceeded_time", "{exceeded_total}");
    field!(s, "current_eviction_exceeded_time", "{exceeded_now}");
    field!(s, "keyspace_hits", "{}", st.keyspace_hits);
    field!(s, "keyspace_misses", "{}", st.keyspace_misses);
    field!(s, "pubsub_channels", "{}", e.pubsub.channels.len());
    field!(s, "pubsub_patterns", "{}", e.pubsub.numpat());
    field!(
        s,
        "pubsubshard_channels",
        "{}",
        e.pubsub.shard_channels.len()
    );
    field!(s, "latest_fork_usec", "0");
    field!(s, "total_forks", "0");
    field!(s, "migrate_cached_sockets", "0");
    field!(s, "slave_expires_tracked_keys", "0");
    field!(s, "active_defrag_hits", "0");
    field!(s, "active_defrag_misses", "0");
    field!(s, "active_defrag_key_hits", "0");
    field!(s, "active_defrag_key_misses", "0");
    field!(s, "total_active_defrag_time", "0");
    field!(s, "current_active_defrag_time", "0");
    field!(s, "tracking_total_keys", "{}", e.tracking.total_keys());
    field!(s, "tracking_total_items", "{}", e.tracking.total_items());
    field!(
        s,
        "tracking_total_prefixes",
        "{}",
        e.tracking.total_prefixes()
    );
    field!(
        s,
        "unexpected_error_replies",
        "{}",
        st.unexpected_error_replies
    );
    field!(s, "total_error_replies", "{}", st.total_error_replies);
    field!(s, "dump_payload_sanitizations", "0");
    field!(s, "total_reads_processed", "{}", st.total_reads_processed);
    field!(s, "total_writes_processed", "{}", st.total_writes_processed);
    field!(s, "io_threaded_reads_processed", "0");
    field!(s, "io_threaded_writes_processed", "0");
    field!(s, "reply_buffer_shrinks", "0");
    field!(s, "reply_buffer_expands", "0");
}

fn replication(e: &Engine, s: &mut String) {
    field!(s, "role", "master");
    field!(s, "connected_slaves", "0");
    field!(s, "master_failover_state", "no-failover");
    field!(s, "master_replid", "{}", e.replid);
    field!(s, "master_replid2", "{}", e.replid2);
    field!(s, "master_repl_offset", "0");
    field!(s, "second_repl_offset", "-1");
    field!(s, "repl_backlog_active", "0");
    field!(s, "repl_backlog_size", "{}", e.config.repl_backlog_size);
    field!(s, "repl_backlog_first_byte_offset", "0");
    field!(s, "repl_backlog_histlen", "0");
}

/// (user, system) CPU time of `who` as `sec.usec` strings.
fn rusage(who: libc::c_int) -> (String, String) {
    // SAFETY: getrusage writes into the zeroed struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer to a rusage struct.
    unsafe { libc::getrusage(who, &mut ru) };
    let f = |t: libc::timeval| format!("{}.{:06}", t.tv_sec, t.tv_usec);
    (f(ru.ru_utime), f(ru.ru_stime))
}

fn cpu(s: &mut String) {
    let (user, sys) = rusage(libc::RUSAGE_SELF);
    let (cuser, csys) = rusage(libc::RUSAGE_CHILDREN);
    let (tuser, tsys) = rusage(libc::RUSAGE_THREAD);
    field!(s, "used_cpu_sys", "{sys}");
    field!(s, "used_cpu_user", "{user}");
    field!(s, "used_cpu_sys_children", "{csys}");
    field!(s, "used_cpu_user_children", "{cuser}");
    field!(s, "used_cpu_sys_main_thread", "{tsys}");
    field!(s, "used_cpu_user_main_thread", "{tuser}");
}

fn commandstats(e: &Engine, s: &mut String) {
    let mut line = |cmd: &Command| {
        let st = &cmd.stats;
        let (calls, usec) = (st.calls.load(Relaxed), st.usec.load(Relaxed));
        let (rejected, failed) = (
            st.rejected_calls.load(Relaxed),
            st.failed_calls.load(Relaxed),
        );
        if calls == 0 && rejected == 0 && failed == 0 {
            return;
        }
        let per_call = if calls == 0 {
            0.0
        } else {
            usec as f64 / calls as f64
        };
        let _ = write!(
            s,
            "cmdstat_{}:calls={calls},usec={usec},usec_per_call={per_call:.2},\
             rejected_calls={rejected},failed_calls={failed}\r\n",
            cmd.full_name.to_ascii_lowercase()
        );
    };
    for cmd in e.table.iter() {
        line(cmd);
        for sub in &cmd.subcommands {
            line(sub);
        }
    }
}

fn latencystats(e: &Engine, s: &mut String) {
    let percentiles = &e.config.latency_tracking_info_percentiles;
    let mut line = |cmd: &Command| {
        let h = &cmd.stats.latency;
        if h.is_empty() {
            return;
        }
        let _ = write!(
            s,
            "latency_percentiles_usec_{}:",
            cmd.full_name.to_ascii_lowercase()
        );
        for (i, p) in percentiles.iter().enumerate() {
            let v = h.value_at_percentile(*p) as f64 / 1000.0;
            let sep = if i + 1 < percentiles.len() { "," } else { "" };
            let _ = write!(s, "p{}={v:.3}{sep}", format_percentile(*p));
        }
        s.push_str("\r\n");
    };
    for cmd in e.table.iter() {
        line(cmd);
        for sub in &cmd.subcommands {
            line(sub);
        }
    }
}

fn errorstats(e: &Engine, s: &mut String) {
    let mut codes: Vec<(&String, &u64)> = e.stats.errors.iter().collect();
    codes.sort();
    for (code, n) in codes {
        let _ = write!(s, "errorstat_{code}:count={n}\r\n");
    }
}

fn keyspace(e: &Engine, s: &mut String) {
    for (i, db) in e.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        let _ = write!(
            s,
            "db{i}:keys={},expires={},avg_ttl={}\r\n",
            db.len(),
            db.expires_count(),
            db.avg_ttl
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::sync::Arc;

    fn engine() -> (Engine, u64) {
        let mut e = Engine::builder()
            .clock(Arc::new(ManualClock::new(1_700_000_000_000)))
            .build();
        let id = e.add_client();
        (e, id)
    }

    fn run(e: &mut Engine, id: u64, args: &[&str]) -> Reply {
        let argv: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.to_string())).collect();
        e.execute(id, &argv).expect("reply")
    }

    fn headers(text: &str) -> Vec<&str> {
        text.split("\r\n").filter(|l| l.starts_with('#')).collect()
    }

    #[test]
    fn section_selection() {
        let (e, _) = engine();
        let d = info_string(&e, &[]);
        assert_eq!(
            headers(&d),
            [
                "# Server",
                "# Clients",
                "# Memory",
                "# Persistence",
                "# Stats",
                "# Replication",
                "# CPU",
                "# Modules",
                "# Errorstats",
                "# Cluster",
                "# Keyspace"
            ]
        );
        assert_eq!(headers(&info_string(&e, &["default"])), headers(&d));
        assert_eq!(headers(&info_string(&e, &["all"])).len(), 13);
        assert_eq!(
            headers(&info_string(&e, &["keyspace", "server"])),
            ["# Server", "# Keyspace"]
        );
        assert_eq!(info_string(&e, &["bogus"]), "");
        assert_eq!(
            info_string(&e, &["cluster"]),
            "# Cluster\r\ncluster_enabled:0\r\n"
        );
        assert_eq!(
            info_string(&e, &["modules", "cluster"]),
            "# Modules\r\n\r\n# Cluster\r\ncluster_enabled:0\r\n"
        );
        assert!(d.contains("redis_version:7.0.15\r\n"));
    }

    #[test]
    fn counters_and_keyspace() {
        let (mut e, id) = engine();
        run(&mut e, id, &["set", "a", "1"]);
        run(&mut e, id, &["get", "a"]);
        run(&mut e, id, &["get", "b"]);
        run(&mut e, id, &["nosuch"]);
        let Reply::Verbatim("txt", text) = run(&mut e, id, &["INFO", "everything"]) else {
            panic!("verbatim expected")
        };
        let text = String::from_utf8(text.to_vec()).unwrap();
        assert!(text.contains("db0:keys=1,expires=0,avg_ttl=0\r\n"));
        assert!(text.contains("keyspace_hits:1\r\n"));
        assert!(text.contains("keyspace_misses:1\r\n"));
        assert!(text.contains("rdb_changes_since_last_save:1\r\n"));
        assert!(text.contains("errorstat_ERR:count=1\r\n"));
        assert!(text.contains("cmdstat_set:calls=1,usec="));
        assert!(text.contains(",rejected_calls=0,failed_calls=0\r\n"));
        assert!(!text.ends_with("\r\n\r\n"));
    }

    #[test]
    fn providers_replace_or_extend() {
        let (mut e, _) = engine();
        e.info_providers
            .push(("Persistence".into(), |_| "loading:0\r\n".into()));
        e.info_providers
            .push(("Extra".into(), |_| "x:1\r\n".into()));
        assert_eq!(
            info_string(&e, &["persistence"]),
            "# Persistence\r\nloading:0\r\n"
        );
        assert_eq!(info_string(&e, &["extra"]), "# Extra\r\nx:1\r\n");
        assert!(!info_string(&e, &[]).contains("# Extra"));
        assert!(info_string(&e, &["everything"]).ends_with("# Extra\r\nx:1\r\n"));
    }

    #[test]
    fn instantaneous_ops_from_cron_samples() {
        let clock = ManualClock::new(1_700_000_000_000);
        let mut e = Engine::builder().clock(Arc::new(clock.clone())).build();
        let id = e.add_client();
        e.cron();
        for _ in 0..16 {
            for _ in 0..50 {
                run(&mut e, id, &["get", "k"]);
            }
            clock.advance(100);
            e.cron();
        }
        assert!(info_string(&e, &["stats"]).contains("instantaneous_ops_per_sec:500\r\n"));
        assert!(e.stats.used_memory_peak > 0);
    }

    #[test]
    fn human_sizes() {
        assert_eq!(bytes_to_human(1000), "1000B");
        assert_eq!(bytes_to_human(1040104), "1015.73K");
        assert_eq!(bytes_to_human(7200768), "6.87M");
        assert_eq!(bytes_to_human(25274793984), "23.54G");
    }
}
