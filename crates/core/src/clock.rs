//! Injectable time source, so expiry tests move time without sleeping.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
    /// Microseconds since the Unix epoch.
    fn now_us(&self) -> i64 {
        self.now_ms() * 1000
    }
    /// `now_ms` at the monotonic instant `mono` (a [`mono_us`] reading just
    /// taken). The system clock derives it from that reading, so a command
    /// costs one clock read for its time and its duration's start, not two;
    /// other clocks ignore `mono`.
    fn now_ms_at(&self, mono: u64) -> i64 {
        let _ = mono;
        self.now_ms()
    }
    /// Called by the engine's cron: the system clock re-reads the wall clock
    /// here (and at least once a second without a cron), so a step of it
    /// (settimeofday) shows within one cron period.
    fn recalibrate(&self) {}
}

/// Monotonic microseconds (command durations, and the system clock's
/// per-command time). Read twice per command, so it matters what it costs:
/// the CPU's time-stamp counter where the kernel keeps time with it (see
/// [`tsc`]), else one clock_gettime (a vDSO call, ~3x the cost here).
#[inline]
pub fn mono_us() -> u64 {
    #[cfg(target_arch = "x86_64")]
    if let Some(t) = tsc::calibrated() {
        return t.now_us();
    }
    posix_mono_ns() / 1000
}

fn posix_mono_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// The time-stamp counter as a microsecond clock, used only when the
/// kernel's own clocksource is `tsc` (it checked that the counter is
/// invariant and synchronized across CPUs; in a VM the hypervisor vouched for
/// it). The rate is measured once against CLOCK_MONOTONIC over ~10 ms;
/// durations are off by that measurement's error (< 0.1%), and the wall time
/// derived from it is re-anchored every cron tick (`Clock::recalibrate`).
#[cfg(target_arch = "x86_64")]
mod tsc {
    use std::sync::OnceLock;

    pub struct Tsc {
        base_ticks: u64,
        base_us: u64,
        /// Microseconds per tick, in 32.32 fixed point.
        us_per_tick: u64,
    }

    impl Tsc {
        #[inline]
        pub fn now_us(&self) -> u64 {
            let ticks = read().saturating_sub(self.base_ticks);
            self.base_us + ((ticks as u128 * self.us_per_tick as u128) >> 32) as u64
        }
    }

    #[inline]
    fn read() -> u64 {
        // SAFETY: rdtsc has no memory effects; every x86_64 CPU has it.
        unsafe { std::arch::x86_64::_rdtsc() }
    }

    pub fn calibrated() -> Option<&'static Tsc> {
        static TSC: OnceLock<Option<Tsc>> = OnceLock::new();
        TSC.get_or_init(calibrate).as_ref()
    }

    fn calibrate() -> Option<Tsc> {
        let source = std::fs::read_to_string(
            "/sys/devices/system/clocksource/clocksource0/current_clocksource",
        )
        .ok()?;
        if source.trim() != "tsc" {
            return None;
        }
        // A busy machine can preempt the thread between a TSC read and its
        // clock read, which would skew the rate by the preemption's length
        // for the process's lifetime. So each
        // end of the measurement is bracketed, and an attempt whose brackets
        // leave more than 0.1% of uncertainty is retried.
        for _ in 0..5 {
            let (t0, n0, e0) = paired();
            std::thread::sleep(std::time::Duration::from_millis(CALIBRATION_MS));
            let (t1, n1, e1) = paired();
            let span = n1.saturating_sub(n0);
            if e0 + e1 > span / 1000 {
                continue;
            }
            let ticks = t1.checked_sub(t0).filter(|&t| t > 0)?;
            let us_per_tick = ((span as u128) << 32) / (ticks as u128 * 1000);
            return Some(Tsc {
                base_ticks: t1,
                base_us: n1 / 1000,
                us_per_tick: u64::try_from(us_per_tick).ok().filter(|&m| m > 0)?,
            });
        }
        None
    }

    /// How long the rate is measured over.
    const CALIBRATION_MS: u64 = 10;

    /// A TSC reading, the CLOCK_MONOTONIC time it was taken at (ns; the
    /// midpoint of the clock reads around it) and that bracket's width: the
    /// tightest of a few tries, so one preemption cannot spoil it.
    fn paired() -> (u64, u64, u64) {
        let mut best = (0, 0, u64::MAX);
        for _ in 0..32 {
            let before = super::posix_mono_ns();
            let ticks = read();
            let after = super::posix_mono_ns();
            let width = after.saturating_sub(before);
            if width < best.2 {
                best = (ticks, before + width / 2, width);
            }
        }
        best
    }
}

/// The wall clock.
pub struct SystemClock {
    /// Wall-clock minus monotonic microseconds, from the last calibration.
    /// The two advance at the same (NTP-slewed) rate; only a step of the
    /// wall clock (or the TSC rate's measurement error) changes the difference.
    offset_us: AtomicI64,
    /// The monotonic reading of that calibration.
    calibrated_at: AtomicU64,
}

/// Derived time is re-anchored at least this often (microseconds), cron or
/// not (an embedder may never run the cron).
const MAX_ANCHOR_AGE_US: u64 = 1_000_000;

impl Default for SystemClock {
    fn default() -> Self {
        let clock = SystemClock {
            offset_us: AtomicI64::new(0),
            calibrated_at: AtomicU64::new(0),
        };
        clock.recalibrate();
        clock
    }
}

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        self.now_us() / 1000
    }
    fn now_us(&self) -> i64 {
        // clock_gettime and integer math directly (SystemTime's
        // duration_since and u128 conversions cost more).
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime only writes the timespec it is given.
        if unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) } != 0 {
            return SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_micros() as i64)
                .unwrap_or(0);
        }
        ts.tv_sec * 1_000_000 + ts.tv_nsec / 1000
    }
    fn now_ms_at(&self, mono: u64) -> i64 {
        if mono.saturating_sub(self.calibrated_at.load(Ordering::Relaxed)) > MAX_ANCHOR_AGE_US {
            self.recalibrate();
        }
        (mono as i64 + self.offset_us.load(Ordering::Relaxed)) / 1000
    }
    fn recalibrate(&self) {
        let mono = mono_us();
        self.offset_us
            .store(self.now_us() - mono as i64, Ordering::Relaxed);
        self.calibrated_at.store(mono, Ordering::Relaxed);
    }
}

/// A clock that only moves when told to; clones share the same time.
#[derive(Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(start_ms: i64) -> Self {
        ManualClock(Arc::new(AtomicI64::new(start_ms)))
    }
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `f()` read together with CLOCK_MONOTONIC (ns, the midpoint of a
    /// bracket around it): retried until no preemption split the bracket, so
    /// that a busy machine (parallel tests on 2 cores) cannot fake a skew.
    fn bracketed<T>(mut f: impl FnMut() -> T) -> (T, u64) {
        loop {
            let before = posix_mono_ns();
            let x = f();
            let after = posix_mono_ns();
            if after - before < 200_000 {
                return (x, before + (after - before) / 2);
            }
        }
    }

    #[test]
    fn system_time_from_the_monotonic_reading_matches_the_wall_clock() {
        let clock = SystemClock::default();
        for _ in 0..3 {
            let ((derived, wall), _) = bracketed(|| (clock.now_ms_at(mono_us()), clock.now_ms()));
            assert!((wall - derived).abs() <= 2, "wall {wall} derived {derived}");
            clock.recalibrate();
        }
        // A reading taken later gives a later time.
        let a = mono_us();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let b = mono_us();
        assert!(clock.now_ms_at(b) - clock.now_ms_at(a) >= 20);
    }

    #[test]
    fn mono_us_keeps_pace_with_clock_monotonic() {
        // Whichever source `mono_us` uses (the TSC or clock_gettime), it
        // measures the same durations as CLOCK_MONOTONIC, within 1%.
        let (m0, n0) = bracketed(mono_us);
        std::thread::sleep(std::time::Duration::from_millis(50));
        let (m1, n1) = bracketed(mono_us);
        let ours = (m1 - m0) as f64;
        let theirs = (n1 - n0) as f64 / 1000.0;
        assert!(
            (ours - theirs).abs() < theirs * 0.01 + 2.0,
            "{ours} vs {theirs} us"
        );
        assert!(mono_us() >= m1);
    }

    #[test]
    fn a_stale_anchor_is_renewed_without_the_cron() {
        let clock = SystemClock::default();
        // As if the wall clock had been stepped an hour since an anchor taken
        // more than a second ago (no cron ran since).
        clock.offset_us.fetch_add(3_600_000_000, Ordering::Relaxed);
        let now = mono_us();
        clock
            .calibrated_at
            .store(now.saturating_sub(MAX_ANCHOR_AGE_US + 1), Ordering::Relaxed);
        let derived = clock.now_ms_at(mono_us());
        assert!((clock.now_ms() - derived).abs() <= 2);
    }

    #[test]
    fn a_manual_clock_ignores_the_monotonic_reading() {
        let clock = ManualClock::new(5000);
        assert_eq!(clock.now_ms_at(mono_us()), 5000);
        clock.advance(7);
        assert_eq!(clock.now_ms_at(0), 5007);
    }
}
