//! A derived store: a copy of the system of record's data kept in sync by a
//! pipeline (a search index, a warehouse, a cache fed by CDC or an event
//! bus). It applies what it is sent, in the order it arrives — so an older
//! version arriving after a newer one regresses it (an out-of-order apply),
//! and a redelivered one is applied again (a duplicate apply) — and it
//! accounts how long it lagged the system of record.

use crate::check::Version;
use crate::metrics::{LatencyRecorder, Outcome, Trend, Window};
use crate::sim::SimTime;
use crate::workload::KeySpace;

/// What an apply did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// A newer version than the store held.
    InOrder,
    /// An older version than the store held, which it now holds.
    OutOfOrder,
    /// The version the store already held, applied again.
    Duplicate,
}

#[derive(Clone, Copy, Debug, Default)]
struct KeyCopy {
    value: i64,
    /// Since when the copy has differed from the system of record (valid
    /// while `behind`).
    since: SimTime,
    version: Version,
    behind: bool,
}

pub struct DerivedStore {
    keys: Vec<KeyCopy>,
    /// Apply − commit of the writes committed in the window.
    visibility: LatencyRecorder,
    /// Visibility lag by commit instant over the whole run, in ns.
    lag_trend: Trend,
    /// ∫ keys differing dt over the window, in ns.
    differ_ns: u128,
    window: Window,
}

impl DerivedStore {
    pub fn new(space: &KeySpace, window: Window) -> DerivedStore {
        DerivedStore {
            keys: space.copies(|value| KeyCopy {
                value,
                ..KeyCopy::default()
            }),
            visibility: LatencyRecorder::new(),
            lag_trend: Trend::new(window.end),
            differ_ns: 0,
            window,
        }
    }

    /// The system of record committed a new version of `key` now.
    #[inline]
    pub fn source_committed(&mut self, key: u64, now: SimTime) {
        let c = &mut self.keys[key as usize];
        if !c.behind {
            c.behind = true;
            c.since = now;
        }
    }

    /// Applies `version` of `key` now; `current` is the system of record's
    /// version and `committed` when this version committed there.
    pub fn apply(
        &mut self,
        key: u64,
        version: Version,
        value: i64,
        current: Version,
        committed: SimTime,
        now: SimTime,
    ) -> Applied {
        let c = &mut self.keys[key as usize];
        let applied = if version == c.version {
            Applied::Duplicate
        } else if version < c.version {
            Applied::OutOfOrder
        } else {
            Applied::InOrder
        };
        if applied == Applied::InOrder {
            if self.window.contains(committed) {
                self.visibility.record(now - committed, Outcome::Ok);
            }
            self.lag_trend
                .record(committed, (now - committed).as_nanos() as f64);
        }
        c.version = version;
        c.value = value;
        let differs = version != current;
        if c.behind && !differs {
            self.differ_ns += self.window.overlap_ns(c.since, now);
            c.behind = false;
        } else if !c.behind && differs {
            c.behind = true;
            c.since = now;
        }
        applied
    }

    /// Starts loading `key`'s copy ahead of a read or an apply (see
    /// `model::prefetch`).
    #[inline]
    pub fn prefetch(&self, key: u64) {
        if let Some(c) = self.keys.get(key as usize) {
            super::prefetch::prefetch_all(c);
        }
    }

    /// The version and value held for `key`.
    #[inline]
    pub fn read(&self, key: u64) -> (Version, i64) {
        let c = &self.keys[key as usize];
        (c.version, c.value)
    }

    /// Visibility lag by commit instant over the whole run.
    pub fn lag_trend(&self) -> &Trend {
        &self.lag_trend
    }

    pub fn visibility_lag(&self) -> &LatencyRecorder {
        &self.visibility
    }

    /// Share of key-time (all keys × window) the store differed from the
    /// system of record; keys still differing count to the window's end.
    pub fn differ_share(&self) -> f64 {
        let mut ns = self.differ_ns;
        for c in self.keys.iter().filter(|c| c.behind) {
            ns += self.window.overlap_ns(c.since, self.window.end);
        }
        let total = self.keys.len() as f64 * self.window.length().as_nanos() as f64;
        if total == 0.0 { 0.0 } else { ns as f64 / total }
    }

    /// (older, phantom) keys against the system of record's final versions.
    pub fn compare(&self, current: impl Fn(u64) -> Version) -> (u64, u64) {
        let mut older = 0;
        let mut phantom = 0;
        for (k, c) in self.keys.iter().enumerate() {
            let sor = current(k as u64);
            older += u64::from(c.version < sor);
            phantom += u64::from(c.version > sor);
        }
        (older, phantom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimDuration;
    use crate::workload::WorkloadConfig;

    #[test]
    fn applies_in_arrival_order_and_says_how() {
        let space = KeySpace::new(&WorkloadConfig {
            keys: 4,
            ..WorkloadConfig::default()
        });
        let w = Window::new(SimDuration::ZERO, SimDuration(1000));
        let mut d = DerivedStore::new(&space, w);
        d.source_committed(1, SimTime(10));
        d.source_committed(1, SimTime(20));
        assert_eq!(
            d.apply(1, 2, 20, 2, SimTime(20), SimTime(30)),
            Applied::InOrder
        );
        assert_eq!(
            d.apply(1, 1, 10, 2, SimTime(10), SimTime(40)),
            Applied::OutOfOrder
        );
        assert_eq!(d.read(1), (1, 10), "the older version now stands");
        assert_eq!(
            d.apply(1, 1, 10, 2, SimTime(10), SimTime(50)),
            Applied::Duplicate
        );
        assert_eq!(d.compare(|k| if k == 1 { 2 } else { 0 }), (1, 0));
        // Differed from 10 to 30, then again from 40 to the end (1000).
        assert!(
            (d.differ_share() - (20.0 + 960.0) / (space.total() as f64 * 1000.0)).abs() < 1e-12
        );
    }
}
