//! LATENCY (DOCTOR GRAPH HISTORY LATEST RESET HISTOGRAM HELP): the latency
//! monitor's spikes (`crate::latency`) and the per-command latency
//! histograms that `latency-tracking` keeps, with Redis 7.0's replies and
//! report texts.

use super::command_info::{help_reply, lookup_full_name};
use crate::args::Args;
use crate::command::{acl, flags::*, Command};
use crate::ctx::Ctx;
use crate::engine::Engine;
use crate::error::{CmdError, CmdResult};
use crate::latency::Series;
use crate::sparkline::Sequence;
use bytes::Bytes;
use ember_resp::Reply;

pub fn commands() -> Vec<Command> {
    let admin = ADMIN | NOSCRIPT | LOADING | STALE;
    let cats = acl::ADMIN | acl::DANGEROUS;
    vec![Command::container(
        "latency",
        -2,
        0,
        0,
        vec![
            Command::new("doctor", 2, admin, cats, doctor),
            Command::new("graph", 3, admin, cats, graph),
            Command::new("history", 3, admin, cats, history),
            Command::new("latest", 2, admin, cats, latest),
            Command::new("reset", -2, admin, cats, reset),
            Command::new("histogram", -2, admin, cats, histogram),
            Command::new("help", 2, LOADING | STALE, 0, help),
        ],
    )]
}

/// Records a spike of `latency_ms` for `event` when the monitor is on and
/// the latency reaches `latency-monitor-threshold`.
#[inline]
pub fn add_sample_if_needed(engine: &mut Engine, event: &str, latency_ms: u64) {
    let threshold = engine.config.latency_monitor_threshold;
    if threshold > 0 && latency_ms >= threshold as u64 {
        let now_s = engine.clock.now_ms() / 1000;
        engine.latency.add(event, latency_ms, now_s);
    }
}

/// A completed command's spike, if it is one: "command-unblocking" for a
/// blocked command served by another client's write (Redis times that
/// serve in updateStatsOnUnblock), "fast-command" for commands flagged
/// fast, "command" for the rest. Out of line: the caller checked that the
/// monitor is on, so the common path pays one comparison.
#[cold]
#[inline(never)]
pub fn sample_command(engine: &mut Engine, cmd: &Command, elapsed_us: u64) {
    let event = if engine.blocking.is_rerun() {
        "command-unblocking"
    } else if cmd.has(FAST) {
        "fast-command"
    } else {
        "command"
    };
    add_sample_if_needed(engine, event, elapsed_us / 1000);
}

fn now_s(ctx: &Ctx) -> i64 {
    ctx.now_ms / 1000
}

/// LATENCY HISTORY event: (time, latency) of each kept spike, oldest first.
fn history(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let event = args.next()?;
    let Some((_, series)) = ctx.engine.latency.get(event) else {
        return Ok(Reply::Array(Vec::new()));
    };
    Ok(Reply::Array(
        series
            .history()
            .map(|s| {
                Reply::Array(vec![
                    Reply::Integer(s.time),
                    Reply::Integer(s.latency_ms as i64),
                ])
            })
            .collect(),
    ))
}

/// LATENCY LATEST: per event, its newest spike and its all-time worst.
fn latest(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(Reply::Array(
        ctx.engine
            .latency
            .iter()
            .map(|(event, series)| {
                let last = series.latest();
                Reply::Array(vec![
                    Reply::Bulk(Bytes::copy_from_slice(event.as_bytes())),
                    Reply::Integer(last.time),
                    Reply::Integer(last.latency_ms as i64),
                    Reply::Integer(series.max as i64),
                ])
            })
            .collect(),
    ))
}

/// LATENCY RESET [event ...]: how many events' series were dropped.
fn reset(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let monitor = &mut ctx.engine.latency;
    let resets = if args.remaining() == 0 {
        monitor.reset(None)
    } else {
        let mut n = 0;
        while let Some(event) = args.next_opt() {
            n += monitor.reset(Some(event));
        }
        n
    };
    Ok(Reply::Integer(resets as i64))
}

/// LATENCY GRAPH event: an ASCII sparkline of the kept spikes, labelled
/// with how long ago each happened.
fn graph(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let event = args.next()?;
    let now = now_s(ctx);
    let Some((name, series)) = ctx.engine.latency.get(event) else {
        return Err(CmdError::other(format!(
            "ERR No samples available for event '{}'",
            String::from_utf8_lossy(event)
        )));
    };
    Ok(Reply::Verbatim(
        "txt",
        Bytes::from(sparkline(name, series, now)),
    ))
}

const GRAPH_COLUMNS: usize = 80;

fn sparkline(event: &str, series: &Series, now_s: i64) -> String {
    let mut seq = Sequence::default();
    let (mut low, mut high) = (u64::MAX, 0);
    for s in series.history() {
        low = low.min(s.latency_ms);
        high = high.max(s.latency_ms);
        let ago = now_s - s.time;
        let label = match ago {
            ..=59 => format!("{ago}s"),
            60..=3599 => format!("{}m", ago / 60),
            3600..=86_399 => format!("{}h", ago / 3600),
            _ => format!("{}d", ago / 86_400),
        };
        seq.push(s.latency_ms as f64, &label);
    }
    if high == 0 {
        low = 0;
    }
    let mut out = format!(
        "{event} - high {high} ms, low {low} ms (all time high {} ms)\n",
        series.max
    );
    out.push_str(&"-".repeat(GRAPH_COLUMNS));
    out.push('\n');
    seq.render(&mut out, GRAPH_COLUMNS, 4);
    out
}

/// LATENCY HISTOGRAM [command ...]: per command with calls recorded since
/// the last CONFIG RESETSTAT, its calls and cumulative latency distribution.
/// Unknown names are skipped; a container stands for its subcommands.
fn histogram(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let table = ctx.engine.table;
    let mut picked: Vec<&Command> = Vec::new();
    let mut pick = |cmd: &'static Command| {
        picked.push(cmd);
        picked.extend(cmd.subcommands.iter());
    };
    if args.remaining() == 0 {
        table.iter().for_each(&mut pick);
    } else {
        while let Some(name) = args.next_opt() {
            if let Some(cmd) = lookup_full_name(table, name) {
                pick(cmd);
            }
        }
    }
    let entries = picked
        .into_iter()
        .filter(|cmd| !cmd.stats.latency.is_empty())
        .map(|cmd| {
            let latency = &cmd.stats.latency;
            let buckets = latency
                .cdf()
                .into_iter()
                .map(|(us, calls)| (Reply::Integer(us as i64), Reply::Integer(calls as i64)))
                .collect();
            (
                Reply::bulk(cmd.full_name.as_bytes()),
                Reply::Map(vec![
                    (
                        Reply::bulk_static(b"calls"),
                        Reply::Integer(latency.total() as i64),
                    ),
                    (Reply::bulk_static(b"histogram_usec"), Reply::Map(buckets)),
                ]),
            )
        })
        .collect();
    Ok(Reply::Map(entries))
}

fn doctor(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    let report = report(ctx.engine, now_s(ctx), anon_huge_pages_bytes());
    Ok(Reply::Verbatim("txt", Bytes::from(report)))
}

/// AnonHugePages of this process (/proc/self/smaps), in bytes: huge pages
/// behind the heap are a latency source the report warns about.
fn anon_huge_pages_bytes() -> u64 {
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
        return 0;
    };
    smaps
        .lines()
        .filter_map(|l| l.strip_prefix("AnonHugePages:"))
        .filter_map(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

/// Advice the report can give, in the order it is printed.
#[derive(Default)]
struct Advice {
    slowlog_enabled: bool,
    slowlog_tuning: bool,
    slowlog_inspect: bool,
    scheduler: bool,
    local_disk: bool,
    ssd: bool,
    data_writeback: bool,
    disk_contention: bool,
    no_appendfsync: bool,
    relax_fsync_policy: bool,
    write_load_info: bool,
    hz: bool,
    large_objects: bool,
    mass_eviction: bool,
    disable_thp: bool,
    count: usize,
}

/// The LATENCY DOCTOR text (Redis's createLatencyReport). Ember never
/// forks, so the report has no "fork" event to rate.
fn report(engine: &Engine, now_s: i64, anon_huge_pages: u64) -> String {
    let threshold = engine.config.latency_monitor_threshold;
    if engine.latency.is_empty() && threshold == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis \
                instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in \
                order to enable it. If we weren't in a deep space mission I'd suggest to take a \
                look at https://redis.io/topics/latency-monitor.\n"
            .into();
    }
    let mut out = String::new();
    let mut a = Advice::default();
    for (n, (event, series)) in engine.latency.iter().enumerate() {
        if n == 0 {
            out.push_str(
                "Dave, I have observed latency spikes in this Redis instance. You don't mind \
                 talking about it, do you Dave?\n\n",
            );
        }
        let st = series.analyze(now_s);
        out.push_str(&format!(
            "{}. {event}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2} \
             sec). Worst all time event {}ms.",
            n + 1,
            st.samples,
            st.avg,
            st.mad,
            st.period_s as f64 / st.samples.max(1) as f64,
            series.max
        ));
        advise_for_event(engine, &event.to_ascii_lowercase(), &mut a);
        out.push('\n');
    }
    if anon_huge_pages > 0 {
        a.disable_thp = true;
        a.count += 1;
    }
    let events = engine.latency.len();
    if events == 0 && a.count == 0 {
        out.push_str(
            "Dave, no latency spike was observed during the lifetime of this Redis instance, not \
             in the slightest bit. I honestly think you ought to sit down calmly, take a stress \
             pill, and think things over.\n",
        );
    } else if events > 0 && a.count == 0 {
        out.push_str(
            "\nWhile there are latency events logged, I'm not able to suggest any easy fix. \
             Please use the Redis community to get some help, providing this report in your \
             help request.\n",
        );
    } else {
        out.push_str("\nI have a few advices for you:\n\n");
        write_advice(engine, &a, &mut out);
    }
    out
}

fn advise_for_event(engine: &Engine, event: &str, a: &mut Advice) {
    match event {
        "command" => {
            let slower_than = engine.config.slowlog_log_slower_than;
            if slower_than < 0 {
                a.slowlog_enabled = true;
                a.count += 1;
            } else if slower_than / 1000 > engine.config.latency_monitor_threshold {
                a.slowlog_tuning = true;
                a.count += 1;
            }
            a.slowlog_inspect = true;
            a.large_objects = true;
            a.count += 2;
        }
        "fast-command" => {
            a.scheduler = true;
            a.count += 1;
        }
        "aof-write-pending-fsync" => {
            (a.local_disk, a.disk_contention, a.ssd, a.data_writeback) = (true, true, true, true);
            a.count += 4;
        }
        "aof-write-active-child" => {
            (a.no_appendfsync, a.data_writeback, a.ssd) = (true, true, true);
            a.count += 3;
        }
        "aof-write-alone" => {
            (a.local_disk, a.data_writeback, a.ssd) = (true, true, true);
            a.count += 3;
        }
        "aof-fsync-always" => {
            a.relax_fsync_policy = true;
            a.count += 1;
        }
        "aof-fstat" | "rdb-unlink-temp-file" => {
            (a.disk_contention, a.local_disk) = (true, true);
            a.count += 2;
        }
        "aof-rewrite-diff-write" | "aof-rename" => {
            (a.write_load_info, a.data_writeback, a.ssd, a.local_disk) = (true, true, true, true);
            a.count += 4;
        }
        "expire-cycle" => {
            (a.hz, a.large_objects) = (true, true);
            a.count += 2;
        }
        "eviction-del" => {
            a.large_objects = true;
            a.count += 1;
        }
        "eviction-cycle" => {
            a.mass_eviction = true;
            a.count += 1;
        }
        _ => {}
    }
}

fn write_advice(engine: &Engine, a: &Advice, out: &mut String) {
    // Unsigned and wrapping, as Redis's `(unsigned long long)threshold*1000`
    // (a debug build would panic on a threshold near LONG_MAX).
    let threshold_us = (engine.config.latency_monitor_threshold.max(0) as u64).wrapping_mul(1000);
    if a.slowlog_enabled {
        out.push_str(&format!(
            "- There are latency issues with potentially slow commands you are using. Try to \
             enable the Slow Log Redis feature using the command 'CONFIG SET \
             slowlog-log-slower-than {threshold_us}'. If the Slow log is disabled Redis is not \
             able to log slow commands execution for you.\n"
        ));
    }
    if a.slowlog_tuning {
        out.push_str(&format!(
            "- Your current Slow Log configuration only logs events that are slower than your \
             configured latency monitor threshold. Please use 'CONFIG SET \
             slowlog-log-slower-than {threshold_us}'.\n"
        ));
    }
    let texts = advice_texts(engine, a);
    for text in texts {
        out.push_str(text);
    }
}

/// The fixed-text advice lines that apply, in Redis's order.
fn advice_texts(engine: &Engine, a: &Advice) -> Vec<&'static str> {
    let always_fsync = engine.config.appendfsync.eq_ignore_ascii_case("always");
    [
        (a.slowlog_inspect, SLOWLOG_INSPECT),
        (a.scheduler, SCHEDULER),
        (a.local_disk, LOCAL_DISK),
        (a.ssd, SSD),
        (a.data_writeback, DATA_WRITEBACK),
        (a.disk_contention, DISK_CONTENTION),
        (a.no_appendfsync, NO_APPENDFSYNC),
        (a.relax_fsync_policy && always_fsync, RELAX_FSYNC),
        (a.write_load_info, WRITE_LOAD),
        (a.hz && engine.config.hz < 100, HZ),
        (a.large_objects, LARGE_OBJECTS),
        (a.mass_eviction, MASS_EVICTION),
        (a.disable_thp, DISABLE_THP),
    ]
    .into_iter()
    .filter_map(|(on, text)| on.then_some(text))
    .collect()
}

const SLOWLOG_INSPECT: &str = "- Check your Slow Log to understand what are the commands you are \
running which are too slow to execute. Please check https://redis.io/commands/slowlog for more \
information.\n";
const SCHEDULER: &str = "- The system is slow to execute Redis code paths not containing system \
calls. This usually means the system does not provide Redis CPU time to run for long periods. \
You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you \
are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" \
problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in \
your system.\n  5) Check if the problem is allocator-related by recompiling Redis with \
MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n";
const LOCAL_DISK: &str = "- It is strongly advised to use local disks for persistence, \
especially if you are using AOF. Remote disks provided by platform-as-a-service providers are \
known to be slow.\n";
const SSD: &str = "- SSD disks are able to reduce fsync latency, and total time needed for \
snapshotting and AOF log rewriting (resulting in smaller memory usage and smaller final AOF \
rewrite buffer flushes). With extremely high write load SSD disks can be a good option. However \
Redis should perform reasonably with high load using normal disks. Use this advice as a last \
resort.\n";
const DATA_WRITEBACK: &str = "- Mounting ext3/4 filesystems with data=writeback can provide a \
performance boost compared to data=ordered, however this mode of operation provides less \
guarantees, and sometimes it can happen that after a hard crash the AOF file will have a \
half-written command at the end and will require to be repaired before Redis restarts.\n";
const DISK_CONTENTION: &str = "- Try to lower the disk contention. This is often caused by other \
disk intensive processes running in the same computer (including other Redis instances).\n";
const NO_APPENDFSYNC: &str = "- Assuming from the point of view of data safety this is viable in \
your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync \
will not be performed while there is a child rewriting the AOF file or producing an RDB file \
(the moment where there is high disk contention).\n";
const RELAX_FSYNC: &str = "- Your fsync policy is set to 'always'. It is very hard to get good \
performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n";
const WRITE_LOAD: &str = "- Latency during the AOF atomic rename operation or when the final \
difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very \
high write load, causing the AOF buffer to get very large. If possible try to send less commands \
to accomplish the same work, or use Lua scripts to group multiple operations into a single \
EVALSHA call.\n";
const HZ: &str = "- In order to make the Redis keys expiring process more incremental, try to \
set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n";
const LARGE_OBJECTS: &str = "- Deleting, expiring or evicting (because of maxmemory policy) \
large objects is a blocking operation. If you have very large objects that are often deleted, \
expired, or evicted, try to fragment those objects into multiple smaller objects.\n";
const MASS_EVICTION: &str = "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or \
allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis \
Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the \
server to block trying to evict keys. \n";
const DISABLE_THP: &str = "- I detected a non zero amount of anonymous huge pages used by your \
process. This creates very serious latency events in different conditions, especially when \
Redis is persisting on disk. To disable THP support use the command 'echo never > \
/sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so \
that the command will be executed again after a reboot. Note that even if you have already \
disabled THP, you still need to restart the Redis process to get rid of the huge pages already \
created.\n";

const HELP: &[&str] = &[
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the \
     specified command names.",
    "    If no commands are specified then all histograms are replied.",
];

fn help(_ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(help_reply("LATENCY", HELP))
}

#[cfg(test)]
#[path = "latency_tests.rs"]
mod tests;
