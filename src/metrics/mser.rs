//! Warm-up detection by MSER-5 (White 1997; Franklin and White 2008): the
//! completions' latencies, in completion order, are averaged in batches of
//! five; the truncation point d minimises the marginal standard error of
//! the batches after it,
//! MSER(d) = Σ_{i > d} (X_i − X̄_d)² / (n − d)²,
//! over d up to half the batches (a truncation past half means the run is
//! too short to tell). The warm-up is the instant batch d ended.

use crate::sim::{SimDuration, SimTime};

/// Batch means of five completions, in completion order.
#[derive(Clone, Debug, Default)]
pub struct BatchMeans {
    /// (instant the batch's last completion happened, mean latency in ns).
    batches: Vec<(SimTime, f64)>,
    sum: f64,
    in_batch: u32,
}

/// Completions per batch.
pub const BATCH: u32 = 5;

impl BatchMeans {
    pub fn record(&mut self, now: SimTime, latency: SimDuration) {
        self.sum += latency.as_nanos() as f64;
        self.in_batch += 1;
        if self.in_batch == BATCH {
            self.batches.push((now, self.sum / f64::from(BATCH)));
            self.sum = 0.0;
            self.in_batch = 0;
        }
    }

    /// Batches given whole: (instant the batch ended, its mean), in time
    /// order — e.g. the means of a series' windows.
    pub fn of(batches: Vec<(SimTime, f64)>) -> BatchMeans {
        BatchMeans {
            batches,
            ..BatchMeans::default()
        }
    }

    /// The MSER-5 truncation instant (zero when no truncation helps).
    pub fn truncation(&self) -> SimTime {
        let n = self.batches.len();
        if n < 4 {
            return SimTime::ZERO;
        }
        // Suffix sums give every MSER(d) in one pass from the end.
        let (mut sum, mut sq) = (0.0, 0.0);
        let mut best = (f64::INFINITY, 0usize);
        for d in (0..n).rev() {
            let x = self.batches[d].1;
            sum += x;
            sq += x * x;
            let m = (n - d) as f64;
            if d <= n / 2 {
                let ss = (sq - sum * sum / m).max(0.0);
                let mser = ss / (m * m);
                if mser <= best.0 {
                    best = (mser, d);
                }
            }
        }
        match best.1 {
            0 => SimTime::ZERO,
            d => self.batches[d - 1].0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transient_is_cut_and_a_steady_run_is_not() {
        // 200 batches: the first 40 decay from 50 ms to 1 ms, then noise
        // around 1 ms.
        let mut b = BatchMeans::default();
        let mut t = 0u64;
        for i in 0..1000u64 {
            t += 1_000_000;
            let transient = if i < 200 {
                50.0 - 49.0 * i as f64 / 200.0
            } else {
                1.0
            };
            let noise = ((i * 7919) % 13) as f64 / 13.0 - 0.5;
            let ms = transient + 0.2 * noise;
            b.record(SimTime(t), SimDuration((ms * 1e6) as u64));
        }
        let cut = b.truncation().as_nanos() as f64 / 1e9;
        assert!((0.15..=0.25).contains(&cut), "cut at {cut} s");
        let mut steady = BatchMeans::default();
        for i in 0..1000u64 {
            let noise = ((i * 7919) % 13) as f64 / 13.0;
            steady.record(
                SimTime(i * 1_000_000),
                SimDuration((1e6 + 1e5 * noise) as u64),
            );
        }
        assert!(steady.truncation() < SimTime(100_000_000));
    }
}
