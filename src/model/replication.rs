//! Asynchronous replication from the primary's log to a read replica.
//!
//! Each committed write reaches the replica after its own lag, drawn from the
//! replica's `lag` distribution, and the writes of one key are applied in
//! commit order: a later write of a key never becomes visible before an
//! earlier one (apply instant = max(commit + lag, previous apply of that
//! key)). Drawing each write's lag independently keeps the visibility lag a
//! reader meets equal to the configured distribution, P(visible after t) =
//! P(L ≤ t), which is what replica-staleness formulas assume. Holding every
//! write behind all earlier writes of *other* keys as well would turn an
//! `exp(20ms)` lag into the maximum of many draws (about 100 ms at 4,000
//! writes/s), a burst no real replica shows at steady load; across keys the
//! replica therefore keeps no order.

use crate::check::Version;
use crate::dist::Dist;
use crate::metrics::{LatencyRecorder, Outcome, Window};
use crate::sim::{SimRng, SimTime};

/// What a replica knows of one key, kept together (one cache line).
#[derive(Clone, Copy, Debug, Default)]
struct KeyCopy {
    /// When the newest shipped write of the key is applied.
    applies_at: SimTime,
    /// The applied version.
    version: Version,
}

pub struct Replica {
    keys: Vec<KeyCopy>,
    lag: Dist,
    rng: SimRng,
    /// Visibility lag (apply − commit) of writes committed in the window.
    visibility: LatencyRecorder,
    window: Window,
}

impl Replica {
    pub fn new(keys: u64, lag: Dist, rng: SimRng, window: Window) -> Replica {
        Replica {
            keys: vec![KeyCopy::default(); keys as usize],
            lag,
            rng,
            visibility: LatencyRecorder::new(),
            window,
        }
    }

    /// A write of `key` committed at the primary now: when this replica
    /// will apply it.
    #[inline]
    pub fn ship(&mut self, key: u64, committed: SimTime) -> SimTime {
        let last = &mut self.keys[key as usize].applies_at;
        let at = (committed + self.lag.sample(&mut self.rng)).max(*last);
        *last = at;
        if self.window.contains(committed) {
            self.visibility.record(at - committed, Outcome::Ok);
        }
        at
    }

    /// Applies a shipped write (in commit order for its key).
    #[inline]
    pub fn apply(&mut self, key: u64, version: Version) {
        let v = &mut self.keys[key as usize].version;
        debug_assert!(version > *v, "replicas apply in commit order");
        *v = version;
    }

    /// Hints that `key` will be read or shipped soon.
    #[inline]
    pub fn prefetch(&self, key: u64) {
        if let Some(k) = self.keys.get(key as usize) {
            super::prefetch::prefetch(k);
        }
    }

    /// The version this replica holds for `key` now.
    #[inline]
    pub fn version(&self, key: u64) -> Version {
        self.keys[key as usize].version
    }

    /// Apply − commit of the writes committed in the window.
    pub fn visibility_lag(&self) -> &LatencyRecorder {
        &self.visibility
    }
}
