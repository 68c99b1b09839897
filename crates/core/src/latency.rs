//! The latency monitor (Redis's latency.c): for each event class ("command",
//! "fast-command", "expire-cycle", ...) a ring of the last 160 spikes of at
//! least `latency-monitor-threshold` ms, one per second (the worst of that
//! second), and the all-time worst. `LATENCY` reads it.

/// Samples kept per event.
const SERIES_LEN: usize = 160;

#[derive(Clone, Copy, Default)]
pub struct Sample {
    /// Unix time, seconds; 0 marks an unused slot.
    pub time: i64,
    pub latency_ms: u64,
}

/// One event's ring of samples.
pub struct Series {
    samples: Box<[Sample; SERIES_LEN]>,
    /// Where the next sample goes.
    next: usize,
    /// All-time worst, in ms.
    pub max: u64,
}

impl Series {
    fn new() -> Series {
        Series {
            samples: Box::new([Sample::default(); SERIES_LEN]),
            next: 0,
            max: 0,
        }
    }

    fn add(&mut self, now_s: i64, latency_ms: u64) {
        self.max = self.max.max(latency_ms);
        let prev = &mut self.samples[(self.next + SERIES_LEN - 1) % SERIES_LEN];
        if prev.time == now_s {
            prev.latency_ms = prev.latency_ms.max(latency_ms);
            return;
        }
        self.samples[self.next] = Sample {
            time: now_s,
            latency_ms,
        };
        self.next = (self.next + 1) % SERIES_LEN;
    }

    /// The newest sample.
    pub fn latest(&self) -> Sample {
        self.samples[(self.next + SERIES_LEN - 1) % SERIES_LEN]
    }

    /// The samples kept, oldest first.
    pub fn history(&self) -> impl Iterator<Item = Sample> + '_ {
        (0..SERIES_LEN)
            .map(move |j| self.samples[(self.next + j) % SERIES_LEN])
            .filter(|s| s.time != 0)
    }

    /// Average, mean absolute deviation and span of the kept samples
    /// (Redis's analyzeLatencyForEvent).
    pub fn analyze(&self, now_s: i64) -> Analysis {
        let kept: Vec<Sample> = self
            .samples
            .iter()
            .copied()
            .filter(|s| s.time != 0)
            .collect();
        let n = kept.len() as u64;
        if n == 0 {
            return Analysis::default();
        }
        let avg = kept.iter().map(|s| s.latency_ms).sum::<u64>() / n;
        let oldest = kept.iter().map(|s| s.time).min().unwrap_or(now_s);
        let mad = kept
            .iter()
            .map(|s| (avg as i64 - s.latency_ms as i64).unsigned_abs())
            .sum::<u64>()
            / n;
        Analysis {
            samples: n,
            avg,
            mad,
            period_s: (now_s - oldest).max(1) as u64,
        }
    }
}

#[derive(Default, Debug, PartialEq, Eq)]
pub struct Analysis {
    pub samples: u64,
    pub avg: u64,
    pub mad: u64,
    /// Seconds from the oldest kept sample to now (at least 1).
    pub period_s: u64,
}

/// Every event's series, in the order the events first happened.
#[derive(Default)]
pub struct LatencyMonitor {
    events: Vec<(String, Series)>,
}

impl LatencyMonitor {
    /// Records a spike (the caller checked the threshold:
    /// `cmd::latency::add_sample_if_needed`).
    pub fn add(&mut self, event: &str, latency_ms: u64, now_s: i64) {
        let at = match self.events.iter().position(|(e, _)| e == event) {
            Some(i) => i,
            None => {
                self.events.push((event.to_string(), Series::new()));
                self.events.len() - 1
            }
        };
        self.events[at].1.add(now_s, latency_ms);
    }

    /// The series of `event` (names are case-sensitive, as in Redis).
    pub fn get(&self, event: &[u8]) -> Option<(&str, &Series)> {
        self.events
            .iter()
            .find(|(e, _)| e.as_bytes() == event)
            .map(|(e, s)| (e.as_str(), s))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Series)> {
        self.events.iter().map(|(e, s)| (e.as_str(), s))
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Drops the series of `event` (case-insensitive), or all of them;
    /// returns how many went.
    pub fn reset(&mut self, event: Option<&[u8]>) -> usize {
        let before = self.events.len();
        match event {
            None => self.events.clear(),
            Some(name) => self
                .events
                .retain(|(e, _)| !e.as_bytes().eq_ignore_ascii_case(name)),
        }
        before - self.events.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_per_second_keeps_its_worst_and_the_all_time_max() {
        let mut m = LatencyMonitor::default();
        m.add("command", 150, 10);
        m.add("command", 300, 10);
        m.add("command", 120, 10);
        m.add("command", 200, 12);
        let (_, s) = m.get(b"command").unwrap();
        let h: Vec<(i64, u64)> = s.history().map(|s| (s.time, s.latency_ms)).collect();
        assert_eq!(h, vec![(10, 300), (12, 200)]);
        assert_eq!(
            (s.latest().time, s.latest().latency_ms, s.max),
            (12, 200, 300)
        );
        assert_eq!(
            s.analyze(20),
            Analysis {
                samples: 2,
                avg: 250,
                mad: 50,
                period_s: 10
            }
        );
        assert!(m.get(b"COMMAND").is_none());
    }

    #[test]
    fn the_ring_keeps_the_last_160_seconds() {
        let mut m = LatencyMonitor::default();
        for t in 1..=200 {
            m.add("expire-cycle", t as u64, t);
        }
        let (_, s) = m.get(b"expire-cycle").unwrap();
        let times: Vec<i64> = s.history().map(|s| s.time).collect();
        assert_eq!(times, (41..=200).collect::<Vec<_>>());
        assert_eq!(s.max, 200);
    }

    #[test]
    fn reset_matches_names_without_case() {
        let mut m = LatencyMonitor::default();
        m.add("command", 5, 1);
        m.add("fast-command", 5, 1);
        assert_eq!(m.reset(Some(b"nosuch")), 0);
        assert_eq!(m.reset(Some(b"COMMAND")), 1);
        assert_eq!(m.len(), 1);
        assert_eq!(m.reset(None), 1);
        assert!(m.is_empty());
    }
}
