//! Server-wide counters reported by INFO.

use ahash::AHashMap;

#[derive(Default, Debug)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
    /// Full and partial resyncs served to replicas (kept by the replication layer).
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    pub expired_keys: u64,
    pub expired_stale_perc: f64,
    pub expired_time_cap_reached_count: u64,
    /// Time spent in active expiry cycles, µs (INFO `expire_cycle_cpu_milliseconds` / 1000).
    pub expire_cycle_time_used_us: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub evicted_keys: u64,
    /// Clients closed for `maxmemory-clients`.
    pub evicted_clients: u64,
    pub total_net_input_bytes: u64,
    pub total_net_output_bytes: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    /// Error replies by their code word (`ERR`, `WRONGTYPE` ...), for `INFO errorstats`.
    pub errors: AHashMap<String, u64>,
    /// Socket reads and writes, counted by the front end (INFO stats).
    pub total_reads_processed: u64,
    pub total_writes_processed: u64,
    /// Highest `used_memory` INFO has reported.
    pub used_memory_peak: u64,
    /// Samples behind INFO's `instantaneous_*` fields: commands, net input
    /// bytes, net output bytes (see `cmd::info::track_metrics`).
    pub inst_metrics: [InstMetric; 3],
}

/// Redis's instantaneous metric: a rate sampled every 100 ms over 16 samples.
#[derive(Default, Debug, Clone, Copy)]
pub struct InstMetric {
    pub last_sample_ms: i64,
    pub last_reading: u64,
    pub samples: [u64; 16],
    pub idx: usize,
}

impl Stats {
    /// Counts an error reply under its first word, as Redis's errorstats do.
    pub fn count_error(&mut self, text: &str) {
        self.total_error_replies += 1;
        let code = text.split(' ').next().unwrap_or("ERR");
        match self.errors.get_mut(code) {
            Some(n) => *n += 1,
            None => {
                // Redis stops tracking new error codes past 128 distinct ones.
                if self.errors.len() < 128 {
                    self.errors.insert(code.to_string(), 1);
                }
            }
        }
    }

    /// CONFIG RESETSTAT.
    pub fn reset(&mut self) {
        *self = Stats::default();
    }
}

/// A command's latency distribution for `INFO latencystats`: the HDR
/// histogram Redis keeps (values 1 ns to 1 s, two significant digits), with
/// its bucket layout so percentiles read back the same values. The counts are
/// allocated on the first record; an empty histogram is "not tracked".
#[derive(Default, Debug)]
pub struct LatencyHistogram {
    counts: std::sync::OnceLock<Box<[std::sync::atomic::AtomicU64]>>,
    total: std::sync::atomic::AtomicU64,
}

/// 2 significant digits: 256 sub-buckets, half of them per bucket after the first.
const HDR_SUB_HALF_MAGNITUDE: u32 = 7;
const HDR_SUB_HALF: u64 = 1 << HDR_SUB_HALF_MAGNITUDE;
/// 23 buckets reach 1e9 from 256; (23 + 1) * 128 counters.
const HDR_LEN: usize = 24 * HDR_SUB_HALF as usize;
const HDR_MAX: u64 = 1_000_000_000;

impl LatencyHistogram {
    fn index_of(v: u64) -> usize {
        let pow2ceiling = 64 - (v | 255).leading_zeros();
        let bucket = pow2ceiling - (HDR_SUB_HALF_MAGNITUDE + 1);
        let sub = v >> bucket;
        (((bucket as u64 + 1) << HDR_SUB_HALF_MAGNITUDE) + sub - HDR_SUB_HALF) as usize
    }

    /// (lowest value, range size) of the counter at `index`.
    fn range_at(index: usize) -> (u64, u64) {
        let mut bucket = (index as i64 >> HDR_SUB_HALF_MAGNITUDE) - 1;
        let mut sub = (index as u64 & (HDR_SUB_HALF - 1)) + HDR_SUB_HALF;
        if bucket < 0 {
            sub -= HDR_SUB_HALF;
            bucket = 0;
        }
        (sub << bucket, 1 << bucket)
    }

    /// Records one duration in nanoseconds (clamped to 1 ns ..= 1 s). Only
    /// the engine writes (under its `&mut`), so plain stores suffice.
    pub fn record(&self, ns: u64) {
        use std::sync::atomic::AtomicU64;
        let counts = self
            .counts
            .get_or_init(|| (0..HDR_LEN).map(|_| AtomicU64::new(0)).collect());
        bump(&counts[Self::index_of(ns.clamp(1, HDR_MAX))], 1);
        bump(&self.total, 1);
    }

    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    /// Durations recorded.
    pub fn total(&self) -> u64 {
        self.total.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// CONFIG RESETSTAT.
    pub fn reset(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        if let Some(counts) = self.counts.get() {
            counts.iter().for_each(|c| c.store(0, Relaxed));
        }
        self.total.store(0, Relaxed);
    }

    /// The cumulative distribution `LATENCY HISTOGRAM` shows: (µs, calls
    /// so far) at each power-of-two step from 1024 ns on, where the count
    /// grew. Walks the counters as HdrHistogram's log iterator
    /// (`hdr_iter_log_init(1024, 2)`) does, so each step's µs is the highest
    /// value equivalent to the last counter it passed, and a step past the
    /// last counter reports that counter.
    pub fn cdf(&self) -> Vec<(u64, u64)> {
        use std::sync::atomic::Ordering::Relaxed;
        let Some(counts) = self.counts.get() else {
            return Vec::new();
        };
        let total = self.total.load(Relaxed);
        let mut out = Vec::new();
        let (mut next, mut value, mut highest) = (0, 0, 0);
        let (mut cumulative, mut previous) = (0, 0);
        // Powers of two from 256 on are the lowest value of their counter.
        let mut level: u64 = 1024;
        while cumulative < total {
            let mut exhausted = false;
            while value < level {
                if next == HDR_LEN {
                    exhausted = true;
                    break;
                }
                cumulative += counts[next].load(Relaxed);
                let (low, size) = Self::range_at(next);
                (value, highest) = (low, low + size - 1);
                next += 1;
            }
            level *= 2;
            if cumulative > previous {
                out.push((highest / 1000, cumulative));
            }
            previous = cumulative;
            if exhausted {
                break;
            }
        }
        out
    }

    /// hdr_value_at_percentile: the highest value equivalent to the first
    /// counter reaching the percentile (the lowest for percentile 0).
    pub fn value_at_percentile(&self, percentile: f64) -> u64 {
        use std::sync::atomic::Ordering::Relaxed;
        let Some(counts) = self.counts.get() else {
            return 0;
        };
        let total = self.total.load(Relaxed);
        let p = percentile.min(100.0);
        let wanted = (((p / 100.0) * total as f64) + 0.5) as u64;
        let wanted = wanted.max(1);
        let mut seen = 0;
        for (i, c) in counts.iter().enumerate() {
            seen += c.load(Relaxed);
            if seen >= wanted {
                let (low, size) = Self::range_at(i);
                return if percentile == 0.0 {
                    low
                } else {
                    low + size - 1
                };
            }
        }
        0
    }
}

/// `counter += n` for statistics only written under the engine's `&mut self`
/// (the command table is the engine's own; other threads only read): a plain
/// load and store instead of a locked read-modify-write on every command.
#[inline]
pub(crate) fn bump(counter: &std::sync::atomic::AtomicU64, n: u64) {
    use std::sync::atomic::Ordering::Relaxed;
    counter.store(counter.load(Relaxed).wrapping_add(n), Relaxed);
}

#[cfg(test)]
mod latency_tests {
    use super::LatencyHistogram;

    #[test]
    fn cdf_steps_like_redis_latency_histogram() {
        let h = LatencyHistogram::default();
        assert!(h.cdf().is_empty());
        // Durations redis-server 7.0.15 reported as 264, 4227, 33816 and
        // 1073741 µs for DEBUG SLEEP 0.0001 / 0.003 / 0.02 / 0.7.
        for ns in [150_000, 2_900_000, 20_300_000, 700_000_000] {
            h.record(ns);
        }
        assert_eq!(h.cdf(), vec![(264, 1), (4227, 2), (33816, 3), (1073741, 4)]);
        // A value at a step's lower edge is counted in that step.
        let h = LatencyHistogram::default();
        h.record(1024);
        h.record(1031);
        h.record(1032);
        h.record(500_000);
        assert_eq!(h.cdf(), vec![(1, 2), (2, 3), (528, 4)]);
    }

    #[test]
    fn percentiles_read_back_like_hdr() {
        let h = LatencyHistogram::default();
        assert!(h.is_empty());
        h.record(3000);
        h.record(6000);
        assert_eq!(h.value_at_percentile(50.0), 3007);
        assert_eq!(h.value_at_percentile(99.0), 6015);
        assert_eq!(h.value_at_percentile(100.0), 6015);
        h.record(7000);
        assert_eq!(h.value_at_percentile(99.9), 7007);
        h.record(200);
        assert_eq!(h.value_at_percentile(0.0), 200);
        h.record(0);
        assert_eq!(h.value_at_percentile(0.0), 1);
        h.record(5_000_000_000);
        assert_eq!(h.value_at_percentile(100.0), 1_002_438_655);
        h.reset();
        assert!(h.is_empty());
    }
}
