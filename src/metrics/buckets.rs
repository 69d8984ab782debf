//! The counts of an HDR histogram, recorded in line.
//!
//! Every operation records its latency twice (its kind's histogram, its
//! time-series window's), so recording is on the hot path of every run.
//! `hdrhistogram`'s `record` is a call that also tracks the minimum, the
//! maximum and the total — about fifty instructions; here a record is the
//! bucket's index (a leading-zero count and two shifts) and one saturating
//! increment. The buckets are exactly `hdrhistogram`'s (same bounds, same
//! significant digits, same index of every value), and everything read from
//! them goes through a `hdrhistogram::Histogram` built from the counts
//! ([`Buckets::histogram`]), so percentiles are the crate's own. The tests
//! check both against the crate.

use hdrhistogram::Histogram;

/// Counts of values in `hdrhistogram`'s buckets for values from 1 to
/// `highest` at `sigfig` significant decimal digits (0 has a bucket too).
/// 32-bit counts, saturating: no bucket of one run receives 4 billion
/// values.
#[derive(Clone, Debug)]
pub struct Buckets {
    counts: Vec<u32>,
    highest: u64,
    sigfig: u8,
    /// log2 of half the buckets per power of two.
    half_magnitude: u32,
    /// Values below this are in the first power of two's buckets, one per
    /// value.
    first_mask: u64,
    /// Index of the value `highest`: where values beyond the last bucket
    /// are counted (as `hdrhistogram`'s saturating record clamps them).
    top: usize,
}

impl Buckets {
    /// Empty buckets for values from 1 to `highest` (≥ 2) at `sigfig`
    /// (≤ 5) significant digits.
    pub fn new(highest: u64, sigfig: u8) -> Buckets {
        // As `hdrhistogram` sizes them (lowest discernible value 1): single
        // unit resolution up to 2 × 10^sigfig, rounded up to a power of two
        // of buckets per power of two of values.
        let largest = 2 * 10u64.pow(u32::from(sigfig));
        let magnitude = largest.next_power_of_two().trailing_zeros();
        let half_magnitude = magnitude - 1;
        let mut b = Buckets {
            counts: Vec::new(),
            highest,
            sigfig,
            half_magnitude,
            first_mask: (1u64 << magnitude) - 1,
            top: 0,
        };
        // Powers of two needed to cover `highest`.
        let mut powers = 1u32;
        let mut untrackable = 1u64 << magnitude;
        while untrackable <= highest {
            if untrackable > u64::MAX / 2 {
                powers += 1;
                break;
            }
            untrackable <<= 1;
            powers += 1;
        }
        b.counts = vec![0; ((powers + 1) << half_magnitude) as usize];
        b.top = b.index(highest);
        b
    }

    /// The bucket `value` falls in.
    #[inline(always)]
    fn index(&self, value: u64) -> usize {
        let power = (63 - self.half_magnitude) - (value | self.first_mask).leading_zeros();
        let sub = value >> power;
        (((power + 1) as u64) << self.half_magnitude) as usize + sub as usize
            - (1usize << self.half_magnitude)
    }

    /// The smallest value of bucket `index`.
    fn value_of(&self, index: usize) -> u64 {
        let half = 1usize << self.half_magnitude;
        let power = (index >> self.half_magnitude) as i64 - 1;
        let sub = (index & (half - 1)) + half;
        if power < 0 {
            (sub - half) as u64
        } else {
            (sub as u64) << power
        }
    }

    /// Counts one `value`; one beyond the last bucket (which ends at or
    /// above `highest`) counts at `highest`.
    #[inline(always)]
    pub fn record(&mut self, value: u64) {
        let i = self.index(value);
        let i = if i < self.counts.len() { i } else { self.top };
        self.counts[i] = self.counts[i].saturating_add(1);
    }

    /// Adds `other`'s counts (the same bounds and digits) to these.
    pub fn add(&mut self, other: &Buckets) {
        debug_assert_eq!(self.counts.len(), other.counts.len(), "same buckets");
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine = mine.saturating_add(*theirs);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.counts.iter().all(|c| *c == 0)
    }

    /// The counts as an `hdrhistogram::Histogram`, for its percentiles.
    pub fn histogram(&self) -> Histogram<u32> {
        let mut h = Histogram::new_with_bounds(1, self.highest, self.sigfig).expect("valid bounds");
        for (i, &n) in self.counts.iter().enumerate() {
            if n > 0 {
                h.record_n(self.value_of(i), n)
                    .expect("a bucket's value is in range");
            }
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HOUR_NS: u64 = 3_600_000_000_000;

    /// Values at every bucket edge of the range, and beyond it.
    fn edges() -> Vec<u64> {
        let mut v: Vec<u64> = (0..5000).collect();
        for shift in 0..64 {
            let p = 1u64 << shift;
            v.extend([p - 1, p, p + 1, p.saturating_mul(3) / 2]);
        }
        v.extend([HOUR_NS - 1, HOUR_NS, HOUR_NS + 1, u64::MAX]);
        v
    }

    #[test]
    fn as_many_buckets_as_the_crate() {
        for sigfig in 0..=5 {
            for highest in [2, 1000, 2047, 2048, HOUR_NS, u64::MAX / 3, u64::MAX] {
                let h = Histogram::<u32>::new_with_bounds(1, highest, sigfig).unwrap();
                let b = Buckets::new(highest, sigfig);
                assert_eq!(b.counts.len(), h.distinct_values(), "{highest} {sigfig}");
            }
        }
    }

    #[test]
    fn every_value_lands_in_the_crates_bucket() {
        for sigfig in [2, 3] {
            let mut b = Buckets::new(HOUR_NS, sigfig);
            let mut h = Histogram::<u32>::new_with_bounds(1, HOUR_NS, sigfig).unwrap();
            for v in edges() {
                b.record(v);
                h.saturating_record(v);
                let one = b.counts.iter().filter(|c| **c > 0).count();
                let built = b.histogram();
                assert_eq!(
                    built.iter_recorded().count(),
                    one,
                    "each bucket's value back in its own bucket ({v})"
                );
                assert_eq!(built.len(), h.len());
                assert_eq!(built.max(), h.max(), "{v}");
                assert_eq!(built.min_nz(), h.min_nz(), "{v}");
                b = Buckets::new(HOUR_NS, sigfig);
                h.reset();
            }
        }
    }

    proptest! {
        /// Any values, recorded here or by the crate: the same histogram
        /// (counts, quantiles, extremes, mean), and merging is the crate's.
        #[test]
        fn the_same_histogram_as_the_crates(
            values in proptest::collection::vec(
                prop_oneof![0u64..10_000, 0u64..HOUR_NS, any::<u64>()], 1..300),
            sigfig in 2u8..=3,
            split in 0usize..300,
        ) {
            let mut b = Buckets::new(HOUR_NS, sigfig);
            let mut c = Buckets::new(HOUR_NS, sigfig);
            let mut h = Histogram::<u32>::new_with_bounds(1, HOUR_NS, sigfig).unwrap();
            for (i, &v) in values.iter().enumerate() {
                if i < split { b.record(v) } else { c.record(v) }
                h.saturating_record(v);
            }
            b.add(&c);
            let built = b.histogram();
            let pairs = |h: &Histogram<u32>| -> Vec<(u64, u32)> {
                h.iter_recorded().map(|v| (v.value_iterated_to(), v.count_at_value())).collect()
            };
            prop_assert_eq!(pairs(&built), pairs(&h));
            prop_assert_eq!(built.len(), h.len());
            prop_assert_eq!(built.max(), h.max());
            prop_assert_eq!(built.min(), h.min());
            prop_assert_eq!(built.mean().to_bits(), h.mean().to_bits());
            for q in [0.0, 0.5, 0.9, 0.99, 0.999, 1.0] {
                prop_assert_eq!(built.value_at_quantile(q), h.value_at_quantile(q));
            }
            prop_assert_eq!(b.is_empty(), h.is_empty());
        }
    }
}
