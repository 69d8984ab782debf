//! The run over time: from the start (warm-up included) to the end of the
//! measurement window, cut into about a hundred equal windows, each with
//! the operations answered ok in it (throughput), the p99 latency of every
//! operation that ended in it — failures and timeouts counted at the
//! client's whole wait, so a window where nothing succeeds shows the
//! timeout, not a short tail —, the failures, and the anomalies of
//! operations invoked in it.

use serde::{Deserialize, Serialize};

use super::buckets::Buckets;
use super::round6;
use crate::sim::{SimDuration, SimTime};

/// Windows a run is cut into, about.
const WINDOWS: u64 = 100;

/// The length of the windows of a run ending at `end`: a round number of
/// milliseconds, at least 10 ms.
pub fn window_length(end: SimTime) -> SimDuration {
    let ms = (end.as_nanos() / WINDOWS / 1_000_000).max(10);
    // 1, 2 or 5 × 10^k ms.
    let decade = 10u64.pow(ms.ilog10());
    let step = [1, 2, 5, 10]
        .into_iter()
        .map(|m| m * decade)
        .find(|s| *s >= ms)
        .unwrap_or(10 * decade);
    SimDuration::from_millis(step)
}

/// Per-window counts, filled as the run goes.
#[derive(Clone, Debug)]
pub struct Timeline {
    length: SimDuration,
    ok: Vec<u64>,
    errors: Vec<u64>,
    /// Latencies of the operations that ended in each window, failures at
    /// the wait they count at, and the exact largest (the histogram's
    /// buckets are 1 % wide; a p99 among the failures is their wait exactly).
    latency: Vec<Buckets>,
    max_ns: Vec<u64>,
    /// The client's whole wait for an ordinary operation (timeout ×
    /// attempts), where failures count.
    timeout: Option<SimDuration>,
    /// The window the last record fell in: its start and end in ns and
    /// its index. Operations end in time order, so the next one nearly
    /// always falls there too, found without a division.
    last: (u64, u64, usize),
}

impl Timeline {
    /// The windows of a run ending at `end`, whose clients wait `timeout`
    /// (× attempts) for an ordinary operation.
    pub fn new(end: SimTime, timeout: Option<SimDuration>) -> Timeline {
        let length = window_length(end);
        let n = end.as_nanos().div_ceil(length.as_nanos().max(1)) as usize;
        Timeline {
            length,
            ok: vec![0; n],
            errors: vec![0; n],
            latency: (0..n).map(|_| Buckets::new(3_600_000_000_000, 2)).collect(),
            max_ns: vec![0; n],
            timeout,
            last: (0, 0, 0),
        }
    }

    /// The length of one window.
    pub fn window_length(&self) -> SimDuration {
        self.length
    }

    fn index(&mut self, t: SimTime) -> Option<usize> {
        let ns = t.as_nanos();
        let (start, end, i) = self.last;
        if (start..end).contains(&ns) {
            return Some(i);
        }
        let length = self.length.as_nanos().max(1);
        let i = (ns / length) as usize;
        if i >= self.ok.len() {
            return None;
        }
        let start = i as u64 * length;
        self.last = (start, start + length, i);
        Some(i)
    }

    /// An operation ended now: ok after `latency`, or not (an error or a
    /// timeout), counting at `latency`, the client's whole wait.
    pub fn record(&mut self, now: SimTime, latency: SimDuration, ok: bool) {
        if let Some(i) = self.index(now) {
            if ok {
                self.ok[i] += 1;
            } else {
                self.errors[i] += 1;
            }
            let ns = latency.as_nanos().max(1);
            self.latency[i].record(ns);
            self.max_ns[i] = self.max_ns[i].max(ns);
        }
    }

    /// The series, with `anomalies` per window from the oracle.
    pub fn series(&self, anomalies: &[u64]) -> Series {
        let secs = self.length.as_secs_f64();
        Series {
            window_s: round6(secs),
            throughput_per_s: self.ok.iter().map(|n| round6(*n as f64 / secs)).collect(),
            p99_ms: self
                .latency
                .iter()
                .zip(&self.max_ns)
                .map(|(h, max)| {
                    if h.is_empty() {
                        0.0
                    } else {
                        round6(h.histogram().value_at_quantile(0.99).min(*max) as f64 / 1e6)
                    }
                })
                .collect(),
            errors: self.errors.clone(),
            anomalies: (0..self.ok.len())
                .map(|i| anomalies.get(i).copied().unwrap_or(0))
                .collect(),
            timeout_ms: self.timeout.map(|t| round6(t.as_millis_f64())),
        }
    }

    pub fn length(&self) -> SimDuration {
        self.length
    }
}

/// `series` in the results: window `i` covers [i × window_s, (i + 1) × window_s).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub window_s: f64,
    /// Operations answered ok in the window, per second.
    pub throughput_per_s: Vec<f64>,
    /// p99 latency of the operations that ended in the window, those not
    /// answered ok counted at the client's whole wait (0 when none ended).
    /// At or above `timeout_ms` it falls among the failures: a lower bound.
    pub p99_ms: Vec<f64>,
    /// Operations that ended in an error or timed out in the window.
    pub errors: Vec<u64>,
    /// Read and transaction anomalies (stale, session, dirty, fractured
    /// reads, lost updates, torn transactions) of operations invoked in the
    /// window.
    pub anomalies: Vec<u64>,
    /// The client's whole wait for an ordinary operation (timeout ×
    /// attempts), in ms: where operations not answered ok count in `p99_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<f64>,
}

impl Series {
    /// Whether `p99_ms` value `v` falls among the failures (a lower bound).
    pub fn at_least(&self, v: f64) -> bool {
        self.timeout_ms.is_some_and(|t| v >= t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_round_and_about_a_hundred() {
        assert_eq!(
            window_length(SimTime(65_000_000_000)),
            SimDuration::from_millis(1000)
        );
        assert_eq!(
            window_length(SimTime(1_000_000_000)),
            SimDuration::from_millis(10)
        );
        assert_eq!(
            window_length(SimTime(2_020_000_000_000)),
            SimDuration::from_millis(50_000)
        );
        let mut t = Timeline::new(SimTime(1_000_000_000), None);
        t.record(SimTime(5_000_000), SimDuration(2_000_000), true);
        t.record(SimTime(15_000_000), SimDuration(1), false);
        let s = t.series(&[0, 3]);
        assert_eq!(
            (s.throughput_per_s[0], s.errors[1], s.anomalies[1]),
            (100.0, 1, 3)
        );
        assert!((s.p99_ms[0] - 2.0).abs() < 0.03);
    }

    /// The window found last is reused while completions fall in it: each
    /// completion still lands in the window its instant belongs to, at
    /// both edges, going forward and back.
    #[test]
    fn each_completion_lands_in_its_own_window() {
        // 1 s runs have 10 ms windows.
        let mut t = Timeline::new(SimTime(1_000_000_000), None);
        let ms = |m: u64| SimTime(m * 1_000_000);
        let instants = [
            ms(10),
            ms(20),
            SimTime(19_999_999),
            SimTime(9_999_999),
            ms(0),
            SimTime(29_999_999),
            ms(30),
            ms(15),
            SimTime(999_999_999),
        ];
        for at in instants {
            t.record(at, SimDuration(1_000), true);
        }
        let ok = |i: usize| t.series(&[]).throughput_per_s[i] / 100.0;
        assert_eq!(
            (ok(0), ok(1), ok(2), ok(3), ok(99)),
            (2.0, 3.0, 2.0, 1.0, 1.0)
        );
        // Past the end: not counted.
        t.record(SimTime(1_000_000_000), SimDuration(1_000), true);
        assert_eq!(t.series(&[]).throughput_per_s.iter().sum::<f64>(), 900.0);
    }
}
