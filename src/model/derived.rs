//! A derived store: a copy of the system of record's data kept in sync by a
//! pipeline (a search index, a warehouse, a cache fed by CDC or an event
//! bus). It applies what it is sent, in the order it arrives — so an older
//! version arriving after a newer one regresses it (an out-of-order apply),
//! and a redelivered one is applied again (a duplicate apply) — and it
//! accounts how long it lagged the system of record.
//!
//! A store that shows changes only at its refresh or batch load (a search
//! index, a warehouse) holds what was delivered since the last one as a
//! [`Batch`]: per key, not per change, so that a warehouse loading every 15
//! minutes holds at most a version per key rather than 15 minutes of
//! writes. Applying a batch's changes one by one at the boundary, in
//! delivery order, and applying each key's last one there are the same
//! thing: every change is classified as it arrives against the version
//! the store would hold by then, the lags of the in-order ones are
//! recorded at the boundary in delivery order, and a key's time behind the
//! system of record splits at the boundary without changing its sum.

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

impl Applied {
    /// How `version` applies over `held`.
    fn of(version: Version, held: Version) -> Applied {
        if version == held {
            Applied::Duplicate
        } else if version < held {
            Applied::OutOfOrder
        } else {
            Applied::InOrder
        }
    }
}

/// What a store that publishes at boundaries was delivered since the last
/// one: per key the last version and value, stamped with the batch they
/// belong to (16 bytes a key, one line with the stamp), the keys in the
/// order they first came, and the commit instants of the changes that
/// apply in order (8 bytes each), whose lags are recorded at the boundary.
struct Batch {
    staged: Vec<Staged>,
    /// This batch's stamp; a record with another is from an earlier one.
    stamp: u32,
    keys: Vec<u64>,
    in_order: Vec<SimTime>,
}

#[derive(Clone, Copy, Default)]
struct Staged {
    version: Version,
    stamp: u32,
    value: i64,
}

impl Batch {
    fn new(keys: usize) -> Batch {
        Batch {
            staged: vec![Staged::default(); keys],
            stamp: 1,
            keys: Vec::new(),
            in_order: Vec::new(),
        }
    }

    fn staged(&self, key: u64) -> Option<(Version, i64)> {
        let s = self.staged[key as usize];
        (s.stamp == self.stamp).then_some((s.version, s.value))
    }

    fn stage(&mut self, key: u64, version: Version, value: i64) {
        let s = &mut self.staged[key as usize];
        if s.stamp != self.stamp {
            self.keys.push(key);
        }
        *s = Staged {
            version,
            stamp: self.stamp,
            value,
        };
    }

    /// Empties the batch, keeping its buffers: the next one has a new
    /// stamp (after 2^32 boundaries a stamp comes round again, so every
    /// record is unstamped then).
    fn clear(&mut self) {
        self.keys.clear();
        self.in_order.clear();
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.staged.fill(Staged::default());
            self.stamp = 1;
        }
    }
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
    /// What was delivered since the last boundary, for a store that
    /// publishes at boundaries.
    batch: Option<Batch>,
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
            batch: None,
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

    /// A store that shows what it is sent only at its boundaries
    /// ([`Self::deliver`], then [`Self::publish`]).
    pub fn at_boundaries(mut self) -> DerivedStore {
        self.batch = Some(Batch::new(self.keys.len()));
        self
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
        let applied = Applied::of(version, self.keys[key as usize].version);
        if applied == Applied::InOrder {
            self.record_lag(committed, now);
        }
        self.show(key, version, value, current, now);
        applied
    }

    /// `version` of `key`, committed at `committed`, reaches a store that
    /// shows it at its next boundary: how it will apply there, after what
    /// was delivered before it.
    pub fn deliver(
        &mut self,
        key: u64,
        version: Version,
        value: i64,
        committed: SimTime,
    ) -> Applied {
        let b = self
            .batch
            .as_mut()
            .expect("a store that publishes at boundaries");
        let held = b
            .staged(key)
            .map_or(self.keys[key as usize].version, |s| s.0);
        let applied = Applied::of(version, held);
        if applied == Applied::InOrder {
            b.in_order.push(committed);
        }
        b.stage(key, version, value);
        applied
    }

    /// The boundary: what was delivered since the last one shows now;
    /// `current` gives the system of record's version of a key.
    pub fn publish(&mut self, now: SimTime, current: impl Fn(u64) -> Version) {
        let mut b = self
            .batch
            .take()
            .expect("a store that publishes at boundaries");
        for &committed in &b.in_order {
            self.record_lag(committed, now);
        }
        for &key in &b.keys {
            let (version, value) = b.staged(key).expect("a staged key");
            self.show(key, version, value, current(key), now);
        }
        b.clear();
        self.batch = Some(b);
    }

    /// A version applied now, in order, that committed at `committed`.
    fn record_lag(&mut self, committed: SimTime, now: SimTime) {
        if self.window.contains(committed) {
            self.visibility.record(now - committed, Outcome::Ok);
        }
        self.lag_trend
            .record(committed, (now - committed).as_nanos() as f64);
    }

    /// `key` shows `version` now; the system of record has `current`.
    fn show(&mut self, key: u64, version: Version, value: i64, current: Version, now: SimTime) {
        let c = &mut self.keys[key as usize];
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

#[cfg(test)]
mod batch_tests {
    use super::*;
    use crate::sim::SimDuration;
    use crate::workload::WorkloadConfig;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Step {
        /// The system of record commits a new version of a key.
        Commit(u64),
        /// It goes back a version (a failover that lost the newest write).
        Rollback(u64),
        /// A version of a key, `back` versions below the newest, reaches
        /// the store.
        Deliver(u64, u32),
        /// A refresh or load.
        Boundary,
    }

    fn steps() -> impl Strategy<Value = Vec<(Step, u64)>> {
        let step = prop_oneof![
            3 => (0u64..4).prop_map(Step::Commit),
            1 => (0u64..4).prop_map(Step::Rollback),
            5 => (0u64..4, 0u32..3).prop_map(|(k, b)| Step::Deliver(k, b)),
            1 => Just(Step::Boundary),
        ];
        proptest::collection::vec((step, 0u64..40), 1..200)
    }

    proptest! {
        /// Changes held per key and shown at the boundary leave the store
        /// exactly as applying each, in delivery order, at the boundary:
        /// the same copies, classifications, lags, lag trend and time
        /// behind the system of record.
        #[test]
        fn a_batch_shows_what_applying_each_change_in_turn_would(steps in steps()) {
            let space = KeySpace::new(&WorkloadConfig { keys: 4, ..WorkloadConfig::default() });
            let window = Window::new(SimDuration(100), SimDuration(3000));
            let mut each = DerivedStore::new(&space, window);
            let mut batched = DerivedStore::new(&space, window).at_boundaries();
            let n = space.total() as usize;
            let mut sor: Vec<Version> = vec![0; n];
            let mut committed_at: Vec<Vec<SimTime>> = vec![vec![SimTime::ZERO]; n];
            let mut held: Vec<(u64, Version, SimTime)> = Vec::new();
            let (mut each_counts, mut batched_counts) = ([0u32; 3], [0u32; 3]);
            let index = |a: Applied| match a {
                Applied::InOrder => 0,
                Applied::OutOfOrder => 1,
                Applied::Duplicate => 2,
            };
            let mut now = SimTime::ZERO;
            for (step, gap) in steps.into_iter().chain([(Step::Boundary, 1)]) {
                now += SimDuration(gap);
                match step {
                    Step::Commit(k) => {
                        sor[k as usize] += 1;
                        committed_at[k as usize].push(now);
                        each.source_committed(k, now);
                        batched.source_committed(k, now);
                    }
                    Step::Rollback(k) => {
                        if sor[k as usize] > 0 {
                            sor[k as usize] -= 1;
                        }
                    }
                    Step::Deliver(k, back) => {
                        let newest = committed_at[k as usize].len() as u32 - 1;
                        let v = newest.saturating_sub(back);
                        let at = committed_at[k as usize][v as usize];
                        held.push((k, v, at));
                        batched_counts[index(batched.deliver(k, v, i64::from(v) * 10, at))] += 1;
                    }
                    Step::Boundary => {
                        for (k, v, at) in held.drain(..) {
                            let a = each.apply(k, v, i64::from(v) * 10, sor[k as usize], at, now);
                            each_counts[index(a)] += 1;
                        }
                        batched.publish(now, |k| sor[k as usize]);
                        for k in 0..n as u64 {
                            prop_assert_eq!(each.read(k), batched.read(k));
                        }
                    }
                }
            }
            prop_assert_eq!(each_counts, batched_counts);
            prop_assert_eq!(each.visibility_lag().summary(), batched.visibility_lag().summary());
            prop_assert_eq!(format!("{:?}", each.lag_trend()), format!("{:?}", batched.lag_trend()));
            prop_assert_eq!(each.differ_share().to_bits(), batched.differ_share().to_bits());
            prop_assert_eq!(each.compare(|k| sor[k as usize]), batched.compare(|k| sor[k as usize]));
        }
    }
}
