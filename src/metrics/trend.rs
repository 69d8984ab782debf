//! A quantity over the run — a cache's hit ratio, a copy's visibility lag —
//! as its mean in each of the run's windows (those of `Timeline`, about a
//! hundred, warm-up included): what automatic warm-up truncates (MSER over
//! the window means) and what tells whether the quantity had settled by the
//! end of the run.

use super::mser::BatchMeans;
use super::series::window_length;
use crate::sim::{SimDuration, SimTime, Window};

/// Per-window sums and counts of one quantity.
#[derive(Clone, Debug)]
pub struct Trend {
    length: SimDuration,
    sum: Vec<f64>,
    count: Vec<u64>,
    /// The window the last sample fell in, and its span in ns: samples
    /// come in time order, so most find their window without a division.
    current: usize,
    span: (u64, u64),
}

/// What a trend measures: how "settled" is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrendKind {
    /// A share (0..1) such as a hit ratio: settled when the last quarter of
    /// the measured window is within [`HIT_RATIO_TOLERANCE`] of the quarter
    /// before (and the gap is beyond chance: four standard errors).
    HitRatio,
    /// A lag in ns: settled unless the last quarter's mean exceeds the
    /// quarter before by more than [`LAG_GROWTH`] and [`LAG_FLOOR_MS`].
    Lag,
}

/// Largest change of a hit ratio between the last two quarters of the
/// measured window that still counts as settled: 0.01 (one point).
pub const HIT_RATIO_TOLERANCE: f64 = 0.01;
/// Growth of a mean lag between the last two quarters beyond which it is
/// still growing: 25 %…
pub const LAG_GROWTH: f64 = 1.25;
/// …and at least 1 ms.
pub const LAG_FLOOR_MS: f64 = 1.0;
/// Fewest samples in each quarter for a verdict.
const MIN_SAMPLES: u64 = 100;

impl Trend {
    /// The windows of a run ending at `end`.
    pub fn new(end: SimTime) -> Trend {
        let length = window_length(end);
        let n = end.as_nanos().div_ceil(length.as_nanos().max(1)) as usize;
        Trend {
            length,
            sum: vec![0.0; n],
            count: vec![0; n],
            current: 0,
            span: (0, length.as_nanos().max(1)),
        }
    }

    /// A sample of `value` at `at` (outside the run: ignored).
    #[inline]
    pub fn record(&mut self, at: SimTime, value: f64) {
        let t = at.as_nanos();
        if t < self.span.0 || t >= self.span.1 {
            let len = self.length.as_nanos().max(1);
            self.current = (t / len) as usize;
            let from = self.current as u64 * len;
            self.span = (from, from.saturating_add(len));
        }
        let i = self.current;
        if let (Some(s), Some(c)) = (self.sum.get_mut(i), self.count.get_mut(i)) {
            *s += value;
            *c += 1;
        }
    }

    /// Adds `other`'s samples (same run) to these.
    pub fn merge(&mut self, other: &Trend) {
        for (i, (s, c)) in other.sum.iter().zip(&other.count).enumerate() {
            if let (Some(a), Some(b)) = (self.sum.get_mut(i), self.count.get_mut(i)) {
                *a += s;
                *b += c;
            }
        }
    }

    /// Samples and their mean over the windows that begin in [from, to).
    fn over(&self, from: SimTime, to: SimTime) -> (u64, f64) {
        let len = self.length.as_nanos().max(1);
        let (mut n, mut sum) = (0, 0.0);
        for i in 0..self.sum.len() {
            let start = i as u64 * len;
            if start >= from.as_nanos() && start < to.as_nanos() {
                n += self.count[i];
                sum += self.sum[i];
            }
        }
        (n, if n == 0 { 0.0 } else { sum / n as f64 })
    }

    /// MSER's truncation instant over the window means (windows without a
    /// sample left out): where the quantity's transient ends.
    pub fn truncation(&self) -> SimTime {
        let len = self.length.as_nanos();
        let means = (0..self.sum.len())
            .filter(|&i| self.count[i] > 0)
            .map(|i| {
                (
                    SimTime((i as u64 + 1) * len),
                    self.sum[i] / self.count[i] as f64,
                )
            })
            .collect();
        BatchMeans::of(means).truncation()
    }

    /// Whether the quantity had not settled by the end of `window`: its
    /// last quarter against the quarter before, as `kind` judges it; with
    /// the two means when it had not.
    pub fn unsettled(&self, kind: TrendKind, window: Window) -> Option<(f64, f64)> {
        let q = window.length().as_nanos() / 4;
        let third = window.start + SimDuration(2 * q);
        let fourth = window.start + SimDuration(3 * q);
        let (n3, m3) = self.over(third, fourth);
        let (n4, m4) = self.over(fourth, window.end);
        if n3 < MIN_SAMPLES || n4 < MIN_SAMPLES {
            return None;
        }
        let moved = match kind {
            TrendKind::HitRatio => {
                let p = (m3 * n3 as f64 + m4 * n4 as f64) / (n3 + n4) as f64;
                let se = (p * (1.0 - p) * (1.0 / n3 as f64 + 1.0 / n4 as f64)).sqrt();
                (m4 - m3).abs() > HIT_RATIO_TOLERANCE.max(4.0 * se)
            }
            TrendKind::Lag => m4 > m3 * LAG_GROWTH && m4 - m3 > LAG_FLOOR_MS * 1e6,
        };
        moved.then_some((m3, m4))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rising_ratio_is_unsettled_and_a_flat_one_is_not() {
        let end = SimTime(10_000_000_000);
        let window = Window::new(SimDuration::from_secs(2), SimDuration::from_secs(8));
        let (mut rising, mut flat) = (Trend::new(end), Trend::new(end));
        for i in 0..100_000u64 {
            let t = SimTime(i * 100_000);
            let share = t.as_nanos() as f64 / end.as_nanos() as f64;
            rising.record(t, f64::from(u8::from((i % 100) as f64 / 100.0 < share)));
            flat.record(t, f64::from(u8::from(i % 2 == 0)));
        }
        assert!(rising.unsettled(TrendKind::HitRatio, window).is_some());
        assert!(flat.unsettled(TrendKind::HitRatio, window).is_none());
        assert!(rising.truncation() > SimTime(2_000_000_000));
    }

    #[test]
    fn samples_out_of_order_land_in_their_own_windows() {
        let end = SimTime(10_000_000_000);
        let (mut a, mut b) = (Trend::new(end), Trend::new(end));
        let times = [5u64, 1, 9, 1, 5, 3, 12, 0];
        for (i, &s) in times.iter().enumerate() {
            a.record(SimTime(s * 1_000_000_000), i as f64);
        }
        let mut sorted: Vec<_> = times.iter().enumerate().collect();
        sorted.sort_by_key(|(_, s)| **s);
        for (i, &s) in sorted {
            b.record(SimTime(s * 1_000_000_000), i as f64);
        }
        assert_eq!((a.sum, a.count), (b.sum, b.count));
    }
}
