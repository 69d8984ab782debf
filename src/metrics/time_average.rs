//! Time-weighted average of a piecewise-constant quantity (busy servers,
//! queue length), clipped to the measurement window. Integer area, so the
//! result is exact and platform independent.

use super::Window;
use crate::sim::SimTime;

#[derive(Clone, Debug)]
pub struct TimeAverage {
    window: Window,
    value: u64,
    since: SimTime,
    /// Σ value × ns inside the window.
    area: u128,
}

impl TimeAverage {
    pub fn new(window: Window) -> TimeAverage {
        TimeAverage {
            window,
            value: 0,
            since: SimTime::ZERO,
            area: 0,
        }
    }

    fn area_until(&self, now: SimTime) -> u128 {
        self.area + u128::from(self.value) * self.window.overlap_ns(self.since, now)
    }

    /// The quantity changes to `value` at `now`.
    #[inline]
    pub fn set(&mut self, now: SimTime, value: u64) {
        self.area = self.area_until(now);
        self.since = now;
        self.value = value;
    }

    pub fn value(&self) -> u64 {
        self.value
    }

    /// Average over the whole window (the quantity holds its last value to
    /// the window's end).
    pub fn mean(&self) -> f64 {
        let len = self.window.length().as_nanos();
        if len == 0 {
            return 0.0;
        }
        self.area_until(self.window.end) as f64 / len as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimDuration;

    #[test]
    fn clips_to_the_window() {
        let w = Window::new(SimDuration(10), SimDuration(100));
        let mut a = TimeAverage::new(w);
        a.set(SimTime(0), 4); // before the window: only [10, 50) counts
        a.set(SimTime(50), 2); // [50, 110) at 2
        assert_eq!(a.mean(), (4.0 * 40.0 + 2.0 * 60.0) / 100.0);
    }
}
