//! Polling the sockets instead of sleeping, while the server is loaded.
//!
//! Why: at one command per round trip (`redis-benchmark -P 1`, or any client
//! that waits for each reply) the server often sleeps in `epoll_wait` between
//! requests, and each request's send must then wake it. The sender pays for
//! that wake-up (on a VM, an interrupt to an idle vCPU): perf puts 17% of
//! redis-benchmark's CPU there against Ember and 8% against Redis, which is
//! asleep less often only because it spends more CPU per request.
//!
//! So while the thread's work fills at least `LOAD_TO_POLL` of its time, it
//! keeps polling the sockets (`epoll_wait` with a zero timeout) until `QUIET`
//! has passed without a batch, and only then sleeps. (A `sched_yield` between
//! polls, to hand the core to any other thread wanting it, was measured and
//! dropped: it lengthened -P 1 tails past Redis's and cost 5% at -c 1000
//! -P 16; the kernel's scheduler still shares the core fairly.) The load is
//! reviewed about every millisecond of batches, and a review also turns
//! polling off once it took more of the thread's time than the work did.
//! An idle or lightly loaded server never polls and sleeps as Redis does;
//! a loaded one spends at most as much time polling as working. Only the
//! single-threaded runtime of `ember-server` polls (`io-threads 1`, two
//! cores or more, and not with `EMBER_BUSY_POLL=no`: `decide`); embedded
//! servers never do.

use std::cell::Cell;
use std::future::poll_fn;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

/// The share of the thread's time its work must take for polling to start.
const LOAD_TO_POLL: f64 = 0.3;
/// How long the poller goes on without a batch before the thread sleeps.
const QUIET: Duration = Duration::from_micros(50);
/// Batches between two looks at the clock for a review.
const REVIEW_EVERY: u64 = 16;
/// The shortest period a review measures the load over.
const REVIEW_PERIOD: Duration = Duration::from_millis(1);

/// The poller of one runtime thread.
struct Poller {
    /// Whether this thread runs a poller at all.
    installed: Cell<bool>,
    /// Batches run on this thread so far (the poller's sign of activity).
    batches: Cell<u64>,
    /// Whether the last review found the thread loaded.
    enabled: Cell<bool>,
    /// The poller task is polling (not parked).
    polling: Cell<bool>,
    /// The parked poller task's waker.
    parked: Cell<Option<Waker>>,
    /// Time spent polling with nothing to do, in total.
    spent: Cell<Duration>,
    /// The last review's instant, thread CPU time and `spent`.
    reviewed: Cell<Option<(Instant, Duration, Duration)>>,
}

impl Poller {
    const fn new() -> Poller {
        Poller {
            installed: Cell::new(false),
            batches: Cell::new(0),
            enabled: Cell::new(false),
            polling: Cell::new(false),
            parked: Cell::new(None),
            spent: Cell::new(Duration::ZERO),
            reviewed: Cell::new(None),
        }
    }
}

thread_local! {
    static POLLER: Poller = const { Poller::new() };
}

/// Whether `ember-server`'s runtime polls: see `decide`.
pub(crate) fn wanted(io_threads: u32) -> bool {
    let env = std::env::var("EMBER_BUSY_POLL").ok();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    decide(io_threads, env.as_deref(), cores)
}

/// Polling needs `io-threads 1`, the environment not saying
/// `EMBER_BUSY_POLL=no` (or `0`; not a config parameter, as CONFIG GET must
/// list exactly Redis's), and two cores or more (as the process may use
/// them: std counts the affinity mask and a cgroup's CPU quota). With one,
/// polling would take the core from the clients and other processes on it,
/// and under a one-CPU quota it would spend the quota and get the server
/// throttled.
fn decide(io_threads: u32, env: Option<&str>, cores: usize) -> bool {
    let off = env.is_some_and(|v| v.eq_ignore_ascii_case("no") || v == "0");
    io_threads <= 1 && !off && cores >= 2
}

/// A connection ran a batch on this thread: reviews the load now and then,
/// and starts the poller if the thread is loaded and the poller parked.
#[inline]
pub(crate) fn after_batch() {
    POLLER.with(|p| {
        let batches = p.batches.get().wrapping_add(1);
        p.batches.set(batches);
        if !p.installed.get() {
            return;
        }
        if batches % REVIEW_EVERY == 0 {
            review(p, Instant::now(), thread_cpu_time);
        }
        if p.enabled.get() && !p.polling.get() {
            if let Some(waker) = p.parked.take() {
                p.polling.set(true);
                waker.wake();
            }
        }
    });
}

/// Whether the thread polls after a period of `wall` in which it used `cpu`,
/// `polling` of it polling: the work (the rest) took at least `LOAD_TO_POLL`
/// of the period, and at least as much time as the polling.
fn worth_polling(wall: Duration, cpu: Duration, polling: Duration) -> bool {
    let work = cpu.saturating_sub(polling);
    !wall.is_zero() && work.as_secs_f64() >= LOAD_TO_POLL * wall.as_secs_f64() && polling <= work
}

/// Decides from the load since the last review (at least `REVIEW_PERIOD`
/// before `at`) whether the thread polls from now on. A review after an idle
/// spell finds little load: it turns polling off and starts a new period.
fn review(p: &Poller, at: Instant, cpu_time: impl Fn() -> Duration) {
    let last = p.reviewed.get();
    if last.is_some_and(|(then, _, _)| at - then < REVIEW_PERIOD) {
        return;
    }
    let now = (at, cpu_time(), p.spent.get());
    if let Some((then, cpu, spent)) = last {
        let polling = now.2.saturating_sub(spent);
        p.enabled
            .set(worth_polling(at - then, now.1.saturating_sub(cpu), polling));
    }
    p.reviewed.set(Some(now));
}

/// The poller task (spawned once on the runtime's thread): parked while the
/// thread is not loaded, or once it has been quiet for `QUIET`; otherwise it
/// yields to the runtime, which then polls the sockets without sleeping
/// before it runs the task again.
pub(crate) async fn run() {
    POLLER.with(|p| p.installed.set(true));
    loop {
        poll_fn(|cx| {
            POLLER.with(|p| {
                if p.polling.get() {
                    Poll::Ready(())
                } else {
                    p.parked.set(Some(cx.waker().clone()));
                    Poll::Pending
                }
            })
        })
        .await;
        let mut seen = POLLER.with(|p| p.batches.get());
        let mut last_batch = Instant::now();
        // The end of the time accounted for so far (what the runtime does
        // between two polls of this task counts with the poll after it).
        let mut mark = last_batch;
        loop {
            tokio::task::yield_now().await;
            let now = Instant::now();
            let (batches, enabled) = POLLER.with(|p| (p.batches.get(), p.enabled.get()));
            if batches != seen {
                seen = batches;
                last_batch = now;
            } else {
                POLLER.with(|p| p.spent.set(p.spent.get() + (now - mark)));
                if !enabled || now - last_batch >= QUIET {
                    break;
                }
            }
            mark = now;
        }
        POLLER.with(|p| p.polling.set(false));
    }
}

/// CPU time of the calling thread.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for the call to fill.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[cfg(test)]
#[path = "poll_tests.rs"]
mod tests;
