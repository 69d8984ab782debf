//! Latency of one class of operations: an HDR histogram for percentiles, and
//! exact count, sum and max beside it (the histogram's mean is only as exact
//! as its buckets). While a class has seen no more than a few distinct
//! latencies — a validation run with constant delays — its percentiles are
//! exact too: the distinct values are kept with their counts.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::Outcome;
use crate::sim::SimDuration;

/// Highest latency tracked at full precision: one hour, in ns.
const HIGHEST_NS: u64 = 3_600_000_000_000;
/// Significant decimal digits kept by the histogram (relative error ≤ 0.1 %).
const SIGNIFICANT_DIGITS: u8 = 3;
/// Distinct latencies kept exactly before percentiles fall back to the
/// histogram.
const EXACT_VALUES: usize = 64;

#[derive(Clone, Debug)]
pub struct LatencyRecorder {
    /// 32-bit counts (saturating): half the memory of 64-bit ones, and no
    /// bucket of one run receives 4 billion samples.
    histogram: Histogram<u32>,
    count: u64,
    sum_ns: u128,
    max_ns: u64,
    errors: u64,
    timeouts: u64,
    unfinished: u64,
    /// Each distinct latency and its count, ascending, while there are at
    /// most `EXACT_VALUES`.
    exact: Option<Vec<(u64, u64)>>,
}

impl Default for LatencyRecorder {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyRecorder {
    pub fn new() -> LatencyRecorder {
        LatencyRecorder {
            histogram: Histogram::new_with_bounds(1, HIGHEST_NS, SIGNIFICANT_DIGITS)
                .expect("valid histogram bounds"),
            count: 0,
            sum_ns: 0,
            max_ns: 0,
            errors: 0,
            timeouts: 0,
            unfinished: 0,
            exact: Some(Vec::new()),
        }
    }

    /// Failed and timed-out operations are counted only; unfinished ones
    /// are recorded with the latency they had reached, so a stalled system
    /// cannot hide them.
    #[inline]
    pub fn record(&mut self, latency: SimDuration, outcome: Outcome) {
        match outcome {
            Outcome::Failed => {
                self.errors += 1;
                return;
            }
            Outcome::TimedOut => {
                self.timeouts += 1;
                return;
            }
            Outcome::Unfinished => self.unfinished += 1,
            Outcome::Ok => {}
        }
        let ns = latency.as_nanos();
        self.histogram.saturating_record(ns);
        if let Some(values) = &mut self.exact {
            match values.binary_search_by_key(&ns, |v| v.0) {
                Ok(i) => values[i].1 += 1,
                Err(_) if values.len() == EXACT_VALUES => self.exact = None,
                Err(i) => values.insert(i, (ns, 1)),
            }
        }
        self.count += 1;
        self.sum_ns += u128::from(ns);
        self.max_ns = self.max_ns.max(ns);
    }

    /// Adds `other`'s observations to these.
    pub fn merge(&mut self, other: &LatencyRecorder) {
        self.histogram
            .add(&other.histogram)
            .expect("recorders share their bounds");
        self.exact = match (self.exact.take(), &other.exact) {
            (Some(mut mine), Some(theirs)) => {
                for &(ns, n) in theirs {
                    match mine.binary_search_by_key(&ns, |v| v.0) {
                        Ok(i) => mine[i].1 += n,
                        Err(i) => mine.insert(i, (ns, n)),
                    }
                }
                (mine.len() <= EXACT_VALUES).then_some(mine)
            }
            _ => None,
        };
        self.count += other.count;
        self.sum_ns += other.sum_ns;
        self.max_ns = self.max_ns.max(other.max_ns);
        self.errors += other.errors;
        self.timeouts += other.timeouts;
        self.unfinished += other.unfinished;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Exact mean, in ns.
    pub fn mean_ns(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum_ns as f64 / self.count as f64
        }
    }

    /// The `q` quantile in ns (within the histogram's 0.1 %), never above the
    /// exact maximum.
    pub fn quantile_ns(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        if let Some(values) = &self.exact {
            // The smallest latency with at least ⌈q × count⌉ at or below it.
            let rank = ((q * self.count as f64).ceil() as u64).max(1);
            let mut seen = 0;
            for &(ns, n) in values {
                seen += n;
                if seen >= rank {
                    return ns;
                }
            }
        }
        self.histogram.value_at_quantile(q).min(self.max_ns)
    }

    pub fn summary(&self) -> LatencySummary {
        let ms = |ns: u64| round6(ns as f64 / 1e6);
        LatencySummary {
            count: self.count,
            errors: self.errors,
            timeouts: self.timeouts,
            unfinished: self.unfinished,
            mean_ms: round6(self.mean_ns() / 1e6),
            p50_ms: ms(self.quantile_ns(0.50)),
            p90_ms: ms(self.quantile_ns(0.90)),
            p99_ms: ms(self.quantile_ns(0.99)),
            p999_ms: ms(self.quantile_ns(0.999)),
            max_ms: ms(self.max_ns),
        }
    }
}

/// Rounds to 6 decimals: nanosecond resolution for milliseconds, and
/// figures that print the same on every platform.
pub fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// Latency figures as they appear in results (milliseconds).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Operations measured (started inside the window).
    pub count: u64,
    /// Operations that ended in an error (not in the percentiles).
    pub errors: u64,
    /// Operations the client gave up on after its timeout and retries (not
    /// in the percentiles).
    #[serde(default)]
    pub timeouts: u64,
    /// Operations still in flight when the run stopped (in the percentiles
    /// with the latency they had reached).
    pub unfinished: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_distinct_latencies_give_exact_percentiles() {
        let mut r = LatencyRecorder::new();
        for i in 0..1000u64 {
            let ns = if i % 10 == 0 { 2_600_000 } else { 1_200_000 };
            r.record(SimDuration(ns), Outcome::Ok);
        }
        assert_eq!(r.quantile_ns(0.5), 1_200_000);
        assert_eq!(r.quantile_ns(0.9), 1_200_000);
        assert_eq!(r.quantile_ns(0.91), 2_600_000);
        // Many distinct values: the histogram, within its 0.1 %.
        for ns in 0..10_000u64 {
            r.record(SimDuration(3_000_000 + ns * 100), Outcome::Ok);
        }
        let q = r.quantile_ns(0.99) as f64;
        assert!((q - 3_989_000.0).abs() / 3_989_000.0 < 0.002, "{q}");
    }
}
