//! The consistency oracle. A simulator knows the ground truth, so every
//! anomaly is an exact check against it (see ANOMALIES in the README), made
//! online in memory bounded by keys, sessions and operations in flight.
//!
//! Versions come from the system of record (`model::store`): 1, 2, 3, … per
//! key, 0 the initial value, so "how many versions behind" is a subtraction.
//! The oracle sees what clients were told (acknowledgements) and what reads
//! returned, and compares.

mod anomalies;
mod history;

pub use anomalies::{AnomalyReport, ClassReport};
pub use history::{KeyHistory, ReadCheck, ServedBy, Version};

use crate::metrics::Window;
use crate::sim::SimTime;

/// Counts anomalies of one run.
pub struct Oracle {
    keys: KeyHistory,
    report: anomalies::Counters,
    window: Window,
}

impl Oracle {
    pub fn new(keys: u64, window: Window) -> Oracle {
        Oracle {
            keys: KeyHistory::new(keys),
            report: anomalies::Counters::default(),
            window,
        }
    }

    /// Hints that `key` will be checked soon (see `Architecture::prefetch`).
    #[inline]
    pub fn prefetch(&self, key: u64) {
        self.keys.prefetch(key);
    }

    /// The client of `session` receives the ok of its write of `version`.
    #[inline]
    pub fn acknowledged(&mut self, key: u64, version: Version, session: u32, now: SimTime) {
        self.keys.acknowledge(key, version, session, now);
    }

    /// A read of `key` is invoked now: what it must at least return to be
    /// fresh. Keep it with the operation and pass it to [`Oracle::read_returned`].
    #[inline]
    pub fn read_invoked(&self, key: u64) -> Version {
        self.keys.acked_max(key)
    }

    /// A read completes: checks it for a stale read and a read-your-writes
    /// violation. Only reads invoked inside the measurement window count.
    pub fn read_returned(&mut self, read: ReadCheck) {
        if !self.window.contains(read.invoked) {
            return;
        }
        self.report.reads += 1;
        if let Some(stale) = self.keys.check(&read) {
            self.report.stale_read(&read, &stale);
        }
    }

    /// Counts an operation of any kind in the window (the per-1,000 base).
    #[inline]
    pub fn operation(&mut self, invoked: SimTime) {
        if self.window.contains(invoked) {
            self.report.operations += 1;
        }
    }

    pub fn report(&self) -> AnomalyReport {
        self.report.report()
    }
}
