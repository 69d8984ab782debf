//! Asynchronous replication from the primary's log to a read replica: each
//! committed write is shipped with a lag drawn from the replica's `lag`
//! distribution and applied in commit order, so a later write never becomes
//! visible before an earlier one (apply instant = max(commit + lag, previous
//! apply)).

use crate::check::Version;
use crate::dist::Dist;
use crate::metrics::{LatencyRecorder, Outcome, Window};
use crate::sim::{SimRng, SimTime};

pub struct Replica {
    /// Applied version per key.
    versions: Vec<Version>,
    lag: Dist,
    rng: SimRng,
    last_apply: SimTime,
    /// Visibility lag (apply − commit) of writes committed in the window.
    visibility: LatencyRecorder,
    window: Window,
}

impl Replica {
    pub fn new(keys: u64, lag: Dist, rng: SimRng, window: Window) -> Replica {
        Replica {
            versions: vec![0; keys as usize],
            lag,
            rng,
            last_apply: SimTime::ZERO,
            visibility: LatencyRecorder::new(),
            window,
        }
    }

    /// A write committed at the primary now: when this replica will apply it.
    #[inline]
    pub fn ship(&mut self, committed: SimTime) -> SimTime {
        let at = (committed + self.lag.sample(&mut self.rng)).max(self.last_apply);
        self.last_apply = at;
        if self.window.contains(committed) {
            self.visibility.record(at - committed, Outcome::Ok);
        }
        at
    }

    /// Applies a shipped write (in shipping order).
    #[inline]
    pub fn apply(&mut self, key: u64, version: Version) {
        let v = &mut self.versions[key as usize];
        debug_assert!(version > *v, "replicas apply in commit order");
        *v = version;
    }

    /// The version this replica holds for `key` now.
    #[inline]
    pub fn version(&self, key: u64) -> Version {
        self.versions[key as usize]
    }

    /// Apply − commit of the writes committed in the window.
    pub fn visibility_lag(&self) -> &LatencyRecorder {
        &self.visibility
    }
}
