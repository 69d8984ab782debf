//! A replication path or pipeline under a `lag` fault: stalled (nothing
//! gets through until it resumes) or slowed (its delays multiplied).

use crate::sim::{SimDuration, SimTime};

/// The state of one path: normal, stalled or slowed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Impairment {
    /// While a fault is on: until when, and the factor (`None`: stalled).
    on: Option<(SimTime, Option<f64>)>,
}

impl Impairment {
    /// The path stalls (`factor` `None`) or slows until `until`.
    pub fn begin(&mut self, until: SimTime, factor: Option<f64>) {
        self.on = Some((until, factor));
    }

    /// The path is normal again.
    pub fn end(&mut self) {
        self.on = None;
    }

    /// A `lag` fault begins or ends on this path.
    pub fn on_fault(&mut self, fault: &crate::faults::Fault, begins: bool) {
        if begins {
            self.begin(fault.until(), fault.factor);
        } else {
            self.end();
        }
    }

    /// When something sent now with `delay` arrives: as drawn when normal;
    /// not before the path resumes when stalled; after `delay × factor`
    /// when slowed.
    #[inline]
    pub fn arrival(&self, now: SimTime, delay: SimDuration) -> SimTime {
        match self.on {
            None => now + delay,
            Some((until, None)) => (now + delay).max(until),
            Some((_, Some(f))) => now + self.scale(delay, f),
        }
    }

    /// `delay` as the path takes it now (a slowed path's factor applied).
    pub fn stretched(&self, delay: SimDuration) -> SimDuration {
        match self.on {
            Some((_, Some(f))) => self.scale(delay, f),
            _ => delay,
        }
    }

    /// When a stalled path resumes (`None` unless it is stalled).
    pub fn stalled_until(&self) -> Option<SimTime> {
        match self.on {
            Some((until, None)) => Some(until),
            _ => None,
        }
    }

    fn scale(&self, delay: SimDuration, f: f64) -> SimDuration {
        SimDuration((delay.as_nanos() as f64 * f).min(1e18) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stalled_slowed_and_normal_arrivals() {
        let mut p = Impairment::default();
        let (t, d) = (SimTime(100), SimDuration(10));
        assert_eq!(p.arrival(t, d), SimTime(110));
        p.begin(SimTime(500), None);
        assert_eq!(p.arrival(t, d), SimTime(500), "held until the path resumes");
        assert_eq!(p.stalled_until(), Some(SimTime(500)));
        p.begin(SimTime(500), Some(3.0));
        assert_eq!(p.arrival(t, d), SimTime(130));
        assert_eq!(p.stalled_until(), None);
        p.end();
        assert_eq!(p.arrival(t, d), SimTime(110));
    }
}
