//! A replication path or pipeline under a `lag` fault: stalled (nothing
//! gets through until it resumes) or slowed (its delays multiplied); and
//! under a schema change's window, when its consumer cannot apply changes
//! written in the new schema until it is redeployed: it holds them (a
//! stall) or drops them (a rejection), and counts them.

use crate::sim::{SimDuration, SimTime};

/// The state of one path: normal, stalled or slowed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Impairment {
    /// While a fault is on: until when, and the factor (`None`: stalled).
    on: Option<(SimTime, Option<f64>)>,
    /// A schema change's window on this path, while it is open.
    schema: Option<SchemaWindow>,
}

/// A schema change's window on one path: changes written from `opened`
/// until `until` are in the new schema, which the path's consumer learns
/// only at `until` (its deploy).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SchemaWindow {
    pub opened: SimTime,
    pub until: SimTime,
    /// Dropped at the store (true) or held until `until` (false).
    pub rejects: bool,
    /// Changes written in the window: held or dropped.
    pub changes: u64,
    /// When the first of them was written.
    pub first: Option<SimTime>,
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

    /// A schema change opens its window on this path now, until `until`:
    /// a stall (the consumer stops at the first change in the new schema
    /// and resumes at its deploy, so everything after waits) or, with
    /// `rejects`, a window in which each such change is dropped.
    pub fn open_schema(&mut self, now: SimTime, until: SimTime, rejects: bool) {
        if !rejects {
            self.begin(until, None);
        }
        self.schema = Some(SchemaWindow {
            opened: now,
            until,
            rejects,
            changes: 0,
            first: None,
        });
    }

    /// The consumer is deployed: the window closes, and what it saw.
    pub fn close_schema(&mut self) -> Option<SchemaWindow> {
        let window = self.schema.take()?;
        if !window.rejects {
            self.end();
        }
        Some(window)
    }

    /// A change is written to the path now: whether it goes on (false: the
    /// store rejects it, in a schema change's window with `rejects`). A
    /// change in an open window is counted.
    #[inline]
    pub fn admits(&mut self, now: SimTime) -> bool {
        let Some(w) = &mut self.schema else {
            return true;
        };
        if now >= w.until {
            return true;
        }
        w.changes += 1;
        w.first.get_or_insert(now);
        !w.rejects
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

    #[test]
    fn a_schema_window_holds_or_drops_and_counts() {
        let mut p = Impairment::default();
        assert!(p.admits(SimTime(50)), "no window: everything goes on");
        p.open_schema(SimTime(100), SimTime(500), false);
        assert!(p.admits(SimTime(200)));
        assert_eq!(p.arrival(SimTime(200), SimDuration(10)), SimTime(500));
        let w = p.close_schema().unwrap();
        assert_eq!((w.changes, w.first), (1, Some(SimTime(200))));
        assert_eq!(p.arrival(SimTime(200), SimDuration(10)), SimTime(210));
        p.open_schema(SimTime(100), SimTime(500), true);
        assert!(!p.admits(SimTime(200)), "dropped in the window");
        assert!(!p.admits(SimTime(300)));
        assert!(p.admits(SimTime(500)), "the deploy ends the window");
        assert_eq!(p.close_schema().unwrap().changes, 2);
        assert_eq!(p.close_schema(), None);
    }
}
