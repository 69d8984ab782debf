//! Latency of one class of operations: an HDR histogram for percentiles, and
//! exact count, sum and max beside it (the histogram's mean is only as exact
//! as its buckets).

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::Outcome;
use crate::sim::SimDuration;

/// Highest latency tracked at full precision: one hour, in ns.
const HIGHEST_NS: u64 = 3_600_000_000_000;
/// Significant decimal digits kept by the histogram (relative error ≤ 0.1 %).
const SIGNIFICANT_DIGITS: u8 = 3;

#[derive(Clone, Debug)]
pub struct LatencyRecorder {
    /// 32-bit counts (saturating): half the memory of 64-bit ones, and no
    /// bucket of one run receives 4 billion samples.
    histogram: Histogram<u32>,
    count: u64,
    sum_ns: u128,
    max_ns: u64,
    errors: u64,
    unfinished: u64,
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
            unfinished: 0,
        }
    }

    /// Failed operations count as errors only; unfinished ones are recorded
    /// with the latency they had reached, so a stalled system cannot hide them.
    #[inline]
    pub fn record(&mut self, latency: SimDuration, outcome: Outcome) {
        match outcome {
            Outcome::Failed => {
                self.errors += 1;
                return;
            }
            Outcome::Unfinished => self.unfinished += 1,
            Outcome::Ok => {}
        }
        let ns = latency.as_nanos();
        self.histogram.saturating_record(ns);
        self.count += 1;
        self.sum_ns += u128::from(ns);
        self.max_ns = self.max_ns.max(ns);
    }

    /// Adds `other`'s observations to these.
    pub fn merge(&mut self, other: &LatencyRecorder) {
        self.histogram
            .add(&other.histogram)
            .expect("recorders share their bounds");
        self.count += other.count;
        self.sum_ns += other.sum_ns;
        self.max_ns = self.max_ns.max(other.max_ns);
        self.errors += other.errors;
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
        self.histogram.value_at_quantile(q).min(self.max_ns)
    }

    pub fn summary(&self) -> LatencySummary {
        let ms = |ns: u64| round6(ns as f64 / 1e6);
        LatencySummary {
            count: self.count,
            errors: self.errors,
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
