//! The measurement window of a run.

use super::time::{SimDuration, SimTime};

/// The measurement window: operations that *start* inside it are measured;
/// utilisation and throughput are averaged over it. Warm-up precedes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start: SimTime,
    pub end: SimTime,
}

impl Window {
    pub fn new(warmup: SimDuration, duration: SimDuration) -> Window {
        let start = SimTime::ZERO + warmup;
        Window {
            start,
            end: start + duration,
        }
    }

    pub fn length(&self) -> SimDuration {
        self.end - self.start
    }

    #[inline]
    pub fn contains(&self, t: SimTime) -> bool {
        t >= self.start && t < self.end
    }

    /// Length of [from, to) inside the window, in ns (0 when they miss).
    #[inline]
    pub fn overlap_ns(&self, from: SimTime, to: SimTime) -> u128 {
        u128::from(to.min(self.end).since(from.max(self.start)).as_nanos())
    }
}
