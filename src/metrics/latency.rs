//! Latency of one class of operations: an HDR histogram for percentiles, and
//! exact count, sum and max beside it (the histogram's mean is only as exact
//! as its buckets). While a class has seen no more than a few distinct
//! latencies — a validation run with constant delays — its percentiles are
//! exact too: the distinct values are kept with their counts.
//!
//! Nothing is hidden in the tail: an operation that was not answered ok
//! (an error, a timeout, still in flight at the end) counts in the
//! percentiles at the client's whole wait — its timeout times its attempts,
//! the top bucket, "≥ timeout" — because the time it took to succeed is at
//! least that. Percentiles that fall among those failures are lower bounds
//! and are reported as such ([`LatencySummary::at_least`]).

use std::cell::OnceCell;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::Outcome;
use super::buckets::Buckets;
use crate::sim::SimDuration;

/// Highest latency tracked at full precision: one hour, in ns.
const HIGHEST_NS: u64 = 3_600_000_000_000;
/// Significant decimal digits kept by the histogram (relative error ≤ 0.1 %).
const SIGNIFICANT_DIGITS: u8 = 3;
/// Distinct latencies kept exactly before percentiles fall back to the
/// histogram.
const EXACT_VALUES: usize = 64;

/// A percentile: its value in ns, and whether it falls among the
/// operations not answered ok (then the value is the client's whole wait
/// and the true time to a successful answer is at least that).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantile {
    pub ns: u64,
    pub at_least: bool,
}

#[derive(Clone, Debug)]
pub struct LatencyRecorder {
    /// Latencies of operations answered ok, in an HDR histogram's buckets.
    buckets: Buckets,
    /// Operations answered ok, and their exact sum and max.
    count: u64,
    sum_ns: u128,
    max_ns: u64,
    errors: u64,
    timeouts: u64,
    unfinished: u64,
    /// Operations not answered ok, by the wait they count at (the
    /// client's whole wait), ascending: the top bucket(s), one per timeout.
    failures: Vec<(u64, u64)>,
    /// Each distinct ok latency and its count, ascending, while there are
    /// at most `EXACT_VALUES`.
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
            buckets: Buckets::new(HIGHEST_NS, SIGNIFICANT_DIGITS),
            count: 0,
            sum_ns: 0,
            max_ns: 0,
            errors: 0,
            timeouts: 0,
            unfinished: 0,
            failures: Vec::new(),
            exact: Some(Vec::new()),
        }
    }

    /// Records one operation. `latency` is the time to its ok answer, or
    /// for any other outcome the wait it counts at in the percentiles: the
    /// client's whole wait (timeout × attempts) for a failure or a timeout,
    /// at least that for one still in flight at the end.
    #[inline]
    pub fn record(&mut self, latency: SimDuration, outcome: Outcome) {
        let ns = latency.as_nanos();
        match outcome {
            Outcome::Ok => {}
            failed => {
                match failed {
                    Outcome::Failed => self.errors += 1,
                    Outcome::TimedOut => self.timeouts += 1,
                    _ => self.unfinished += 1,
                }
                match self.failures.binary_search_by_key(&ns, |v| v.0) {
                    Ok(i) => self.failures[i].1 += 1,
                    Err(i) => self.failures.insert(i, (ns, 1)),
                }
                return;
            }
        }
        self.buckets.record(ns);
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
        self.buckets.add(&other.buckets);
        self.exact = match (self.exact.take(), &other.exact) {
            (Some(mut mine), Some(theirs)) => {
                merge_counts(&mut mine, theirs);
                (mine.len() <= EXACT_VALUES).then_some(mine)
            }
            _ => None,
        };
        merge_counts(&mut self.failures, &other.failures);
        self.count += other.count;
        self.sum_ns += other.sum_ns;
        self.max_ns = self.max_ns.max(other.max_ns);
        self.errors += other.errors;
        self.timeouts += other.timeouts;
        self.unfinished += other.unfinished;
    }

    /// Operations answered ok.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The exact sum of the latencies of the operations answered ok, in ns.
    pub fn sum_ns(&self) -> u128 {
        self.sum_ns
    }

    /// Operations not answered ok: errors, timeouts, unfinished.
    pub fn failed(&self) -> u64 {
        self.errors + self.timeouts + self.unfinished
    }

    /// Every operation recorded, whatever its outcome.
    pub fn total(&self) -> u64 {
        self.count + self.failed()
    }

    /// Mean of every operation recorded, failures at the wait they count
    /// at, in ns (a lower bound when some failed).
    pub fn mean_ns(&self) -> f64 {
        let total = self.total();
        if total == 0 {
            return 0.0;
        }
        let failed: u128 = self
            .failures
            .iter()
            .map(|&(ns, n)| u128::from(ns) * u128::from(n))
            .sum();
        (self.sum_ns + failed) as f64 / total as f64
    }

    /// The `q` quantile in ns (within the histogram's 0.1 %), never above the
    /// exact maximum.
    pub fn quantile_ns(&self, q: f64) -> u64 {
        self.quantile(q).ns
    }

    /// The `q` quantile of every operation recorded, failures counting at
    /// their wait (see [`Quantile`]).
    pub fn quantile(&self, q: f64) -> Quantile {
        self.quantile_in(&OnceCell::new(), q)
    }

    /// [`Self::quantile`], the ok latencies' histogram built into `ok`
    /// when first needed (once for several quantiles).
    fn quantile_in(&self, ok: &OnceCell<Histogram<u32>>, q: f64) -> Quantile {
        let total = self.total();
        if total == 0 {
            return Quantile {
                ns: 0,
                at_least: false,
            };
        }
        if self.failures.is_empty() {
            return Quantile {
                ns: self.ok_quantile(ok, q),
                at_least: false,
            };
        }
        // The smallest value with at least ⌈q × total⌉ at or below it,
        // walking the failure buckets among the ok latencies.
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut failed_below = 0;
        for &(ns, n) in &self.failures {
            let ok_below = self.ok_at_or_below(ok, ns);
            if rank <= ok_below + failed_below {
                break;
            }
            if rank <= ok_below + failed_below + n {
                return Quantile { ns, at_least: true };
            }
            failed_below += n;
        }
        // Among the ok latencies, at rank `rank - failed_below` of them.
        let k = rank - failed_below;
        Quantile {
            ns: self.ok_quantile(ok, (k as f64 - 0.5) / self.count as f64),
            at_least: false,
        }
    }

    /// The `q` quantile of the ok latencies alone.
    fn ok_quantile(&self, ok: &OnceCell<Histogram<u32>>, q: f64) -> u64 {
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
        self.histogram(ok).value_at_quantile(q).min(self.max_ns)
    }

    /// Ok latencies at or below `ns`.
    fn ok_at_or_below(&self, ok: &OnceCell<Histogram<u32>>, ns: u64) -> u64 {
        if ns >= self.max_ns {
            return self.count;
        }
        match &self.exact {
            Some(values) => values.iter().take_while(|v| v.0 <= ns).map(|v| v.1).sum(),
            None => self.histogram(ok).count_between(0, ns),
        }
    }

    fn histogram<'h>(&self, ok: &'h OnceCell<Histogram<u32>>) -> &'h Histogram<u32> {
        ok.get_or_init(|| self.buckets.histogram())
    }

    pub fn summary(&self) -> LatencySummary {
        let ms = |ns: u64| round6(ns as f64 / 1e6);
        let mut at_least = Vec::new();
        let ok = OnceCell::new();
        let mut pick = |name: &str, q: f64| {
            let v = self.quantile_in(&ok, q);
            if v.at_least {
                at_least.push(name.to_string());
            }
            ms(v.ns)
        };
        let (p50_ms, p90_ms, p99_ms, p999_ms) = (
            pick("p50_ms", 0.50),
            pick("p90_ms", 0.90),
            pick("p99_ms", 0.99),
            pick("p999_ms", 0.999),
        );
        let top_failure = self.failures.last().map_or(0, |f| f.0);
        if self.failed() > 0 {
            at_least.insert(0, "mean_ms".to_string());
        }
        if top_failure > self.max_ns {
            at_least.push("max_ms".to_string());
        }
        LatencySummary {
            count: self.total(),
            ok: self.count,
            errors: self.errors,
            timeouts: self.timeouts,
            unfinished: self.unfinished,
            mean_ms: round6(self.mean_ns() / 1e6),
            p50_ms,
            p90_ms,
            p99_ms,
            p999_ms,
            max_ms: ms(self.max_ns.max(top_failure)),
            at_least,
        }
    }
}

/// Adds the (value, count) pairs of `theirs` to the ascending `mine`.
fn merge_counts(mine: &mut Vec<(u64, u64)>, theirs: &[(u64, u64)]) {
    for &(ns, n) in theirs {
        match mine.binary_search_by_key(&ns, |v| v.0) {
            Ok(i) => mine[i].1 += n,
            Err(i) => mine.insert(i, (ns, n)),
        }
    }
}

/// Rounds to 6 decimals: nanosecond resolution for milliseconds, and
/// figures that print the same on every platform.
pub fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// A rate or count rounded to a whole number, thousands apart: `150,000`
/// (for notes and the review alike).
pub fn thousands(v: f64) -> String {
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v <= -0.5 {
        out.insert(0, '-');
    }
    out
}

/// Latency figures as they appear in results (milliseconds). Every
/// operation started in the window counts, whatever its outcome: one not
/// answered ok counts at the client's whole wait (timeout × attempts, the
/// top bucket "≥ timeout"), so a saturated or failing system cannot show a
/// short tail by leaving its failures out.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Operations measured: started inside the window, whatever their
    /// outcome (`ok` + `errors` + `timeouts` + `unfinished`).
    pub count: u64,
    /// Operations answered ok.
    #[serde(default)]
    pub ok: u64,
    /// Operations that ended in an error (in the percentiles at the
    /// client's whole wait).
    pub errors: u64,
    /// Operations the client gave up on after its timeout and retries (in
    /// the percentiles at their whole wait).
    #[serde(default)]
    pub timeouts: u64,
    /// Operations still in flight when the run stopped (in the percentiles
    /// at the client's whole wait, or the wait they had reached if longer).
    pub unfinished: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    /// The figures above (`"p99_ms"`, `"mean_ms"`…) that fall among the
    /// operations not answered ok: lower bounds — the time to a successful
    /// answer was at least that — shown as "≥".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub at_least: Vec<String>,
}

impl LatencySummary {
    /// Figure `field` (`"mean_ms"`, `"p50_ms"`, `"p90_ms"`, `"p99_ms"`,
    /// `"p999_ms"`; anything else is `max_ms`), in ms.
    pub fn figure(&self, field: &str) -> f64 {
        match field {
            "mean_ms" => self.mean_ms,
            "p50_ms" => self.p50_ms,
            "p90_ms" => self.p90_ms,
            "p99_ms" => self.p99_ms,
            "p999_ms" => self.p999_ms,
            _ => self.max_ms,
        }
    }

    /// Whether figure `field` (`"p99_ms"`) is a lower bound.
    pub fn is_at_least(&self, field: &str) -> bool {
        self.at_least.iter().any(|f| f == field)
    }

    /// Operations not answered ok.
    pub fn failed(&self) -> u64 {
        self.errors + self.timeouts + self.unfinished
    }
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
