//! The consistency oracle. A simulator knows the ground truth, so every
//! anomaly is an exact check against it (see ANOMALIES in the README), made
//! online in memory bounded by keys, sessions and operations in flight.
//!
//! Versions come from the system of record (`model::store`): 1, 2, 3, … per
//! key, 0 the initial value, so "how many versions behind" is a subtraction.
//! Architectures tell the oracle what clients were told (acknowledgements),
//! what reads returned, what committed, and what copies applied; it counts.

mod anomalies;
mod commits;
mod elle;
mod history;
mod sessions;
mod visibility;

pub use anomalies::{
    AnomalyReport, ClassReport, DivergenceReport, EndState, InvariantReport, LostUpdateReport,
    ReadDepths,
};
pub use commits::Partner;
pub use elle::{HistoryLog, MicroOp};
pub use history::{KeyHistory, ReadCheck, ServedBy, Version};
pub use visibility::{LagSummary, ProbePoint, VisibilityReport};

use crate::metrics::Window;
use crate::sim::{SimDuration, SimTime};
use crate::workload::{Entity, KeySpace};

/// A write as it commits at the system of record.
#[derive(Clone, Copy, Debug)]
pub struct Commit {
    pub key: u64,
    pub version: Version,
    /// The value installed.
    pub value: i64,
    /// The other write of a two-key transaction.
    pub partner: Option<Partner>,
    /// For a read-modify-write: the version it read.
    pub rmw_read: Option<Version>,
    /// When the operation was invoked (only those in the window count).
    pub invoked: SimTime,
}

/// Counts anomalies of one run.
pub struct Oracle {
    space: KeySpace,
    keys: KeyHistory,
    commits: commits::Commits,
    sessions: sessions::SessionReads,
    probes: visibility::Probes,
    counters: anomalies::Counters,
    /// Acknowledged increments per counter, all run long.
    increments: Vec<i64>,
    window: Window,
    /// Anomalies per time-series window, by invocation.
    series: Vec<u64>,
    series_window: SimDuration,
    /// Keys a failover rolled back: the highest version lost (already
    /// counted as lost writes, so not counted again at the end).
    rolled_back: std::collections::BTreeMap<u64, Version>,
}

impl Oracle {
    pub fn new(space: KeySpace, sessions: u32, probes: &[SimDuration], window: Window) -> Oracle {
        Oracle {
            space,
            keys: KeyHistory::new(space.total()),
            commits: commits::Commits::new(space.total()),
            sessions: sessions::SessionReads::new(sessions),
            probes: visibility::Probes::new(probes),
            counters: anomalies::Counters::default(),
            increments: vec![0; space.counters as usize],
            window,
            series: Vec::new(),
            series_window: crate::metrics::window_length(window.end),
            rolled_back: std::collections::BTreeMap::new(),
        }
    }

    /// Hints that `key` will be checked soon, for `session` (see
    /// `Architecture::prefetch`).
    #[inline]
    pub fn prefetch(&self, key: u64, session: u32) {
        self.keys.prefetch(key);
        self.sessions.prefetch(session);
    }

    /// Operations of the workload invoked in the window.
    pub fn operations(&self) -> u64 {
        self.counters.operations
    }

    /// An anomaly of an operation invoked at `invoked`, for the time series.
    fn tick(&mut self, invoked: SimTime) {
        let i = (invoked.as_nanos() / self.series_window.as_nanos().max(1)) as usize;
        if i >= self.series.len() {
            self.series.resize(i + 1, 0);
        }
        self.series[i] += 1;
    }

    /// Anomalies per window of the time series (see `metrics::Timeline`).
    pub fn series(&self) -> &[u64] {
        &self.series
    }

    /// Counts an operation of the workload (the per-1,000 base).
    #[inline]
    pub fn operation(&mut self, invoked: SimTime) {
        if self.window.contains(invoked) {
            self.counters.operations += 1;
        }
    }

    /// A write commits at the system of record: remembers its transaction
    /// partner and, for a read-modify-write, checks for a lost update; a
    /// commit that leaves an item's stock below zero breaks the inventory
    /// invariant.
    pub fn committed(&mut self, c: Commit) {
        let lost = self.commits.commit(c.key, c.version, c.partner, c.rmw_read);
        let counted = self.window.contains(c.invoked);
        if lost && counted {
            self.counters.lost_update.add("primary");
            self.tick(c.invoked);
        }
        if counted && c.value < 0 && self.space.entity(c.key).0 == Entity::Item {
            self.counters.negative_stock_commits += 1;
        }
    }

    /// Two writes committed separately belong to one logical transaction (a
    /// best-effort cross-shard transfer): reads that see one and miss the
    /// other are fractured.
    pub fn link_partners(&mut self, a: (u64, Version), b: (u64, Version)) {
        let partner = |(key, version)| Some(Partner { key, version });
        self.commits.commit(a.0, a.1, partner(b), None);
        self.commits.commit(b.0, b.1, partner(a), None);
    }

    /// Writes committed separately belong to one logical transaction (a
    /// best-effort `txn` over several shards): each is linked to the next,
    /// cyclically, so a read that sees some and misses others is fractured.
    pub fn link_ring(&mut self, writes: &[(u64, Version)]) {
        let n = writes.len();
        for (i, &(key, version)) in writes.iter().enumerate() {
            let (pk, pv) = writes[(i + 1) % n];
            let partner = Partner {
                key: pk,
                version: pv,
            };
            self.commits.commit(key, version, Some(partner), None);
        }
    }

    /// A write of `version` was applied somewhere but failed: reads of it
    /// are dirty.
    pub fn write_failed(&mut self, key: u64, version: Version) {
        self.commits.failed(key, version);
    }

    /// The client of `session` receives the ok of its write of `version`.
    #[inline]
    pub fn acknowledged(&mut self, key: u64, version: Version, session: u32, now: SimTime) {
        self.keys.acknowledge(key, version, session, now);
    }

    /// A read-modify-write increment of counter `key` is acknowledged.
    pub fn increment_acknowledged(&mut self, key: u64) {
        if let (Entity::Counter, i) = self.space.entity(key) {
            self.increments[i as usize] += 1;
        }
    }

    /// A read of `key` is invoked now: what it must at least return to be
    /// fresh. Keep it with the operation and pass it back in `ReadCheck`.
    #[inline]
    pub fn read_invoked(&self, key: u64) -> Version {
        self.keys.acked_max(key)
    }

    /// A single-key read completes: stale read, read-your-writes, monotonic
    /// reads and dirty read. Only reads invoked in the window count.
    pub fn read_returned(&mut self, read: ReadCheck) {
        if !self.window.contains(read.invoked) {
            return;
        }
        self.counters.reads += 1;
        if read.served_by == ServedBy::Quorum {
            self.counters
                .quorum_read(read.floor.saturating_sub(read.returned));
        }
        if let Some(stale) = self.keys.check(&read) {
            self.counters.stale_read(&read, &stale);
            self.tick(read.invoked);
        }
        let at = read.served_by.name();
        if self.sessions.read(&read) {
            self.counters.monotonic.add(at);
            self.tick(read.invoked);
        }
        if self.commits.is_failed(read.key, read.returned) {
            self.counters.dirty.add(at);
            self.tick(read.invoked);
        }
    }

    /// Stale reads counted so far that `at` served (in the window).
    pub fn stale_reads_served_by(&self, at: ServedBy) -> u64 {
        self.counters.stale.by.get(at.name()).copied().unwrap_or(0)
    }

    /// A multi-key read completes: each key is checked as a read, then the
    /// whole for a fractured read (it saw a transaction's write on one key
    /// and missed it on another key it read).
    pub fn multi_read_returned(&mut self, reads: &[ReadCheck]) {
        for r in reads {
            self.read_returned(*r);
        }
        let Some(first) = reads.first() else { return };
        if !self.window.contains(first.invoked) {
            return;
        }
        let fractured = reads.iter().find(|r| {
            self.commits.partner(r.key, r.returned).is_some_and(|p| {
                reads
                    .iter()
                    .any(|o| o.key == p.key && o.returned < p.version)
            })
        });
        if let Some(r) = fractured {
            self.counters.fractured.add(r.served_by.name());
            self.tick(first.invoked);
        }
    }

    /// A consistent read saw every account: their sum must be the bank's
    /// initial total.
    pub fn bank_observed(&mut self, total: i64, invoked: SimTime) {
        if self.window.contains(invoked) && total != self.bank_total() {
            self.counters.wrong_total_observations += 1;
        }
    }

    /// A multi-key transaction ends: torn when it was acknowledged with only
    /// some of its writes installed at the system of record.
    pub fn transaction_ended(
        &mut self,
        acknowledged: bool,
        installed: usize,
        writes: usize,
        invoked: SimTime,
    ) {
        if acknowledged && installed > 0 && installed < writes && self.window.contains(invoked) {
            self.counters.torn.add("primary");
            self.tick(invoked);
        }
    }

    /// A copy applied an older version of a key after a newer one.
    pub fn out_of_order_apply(&mut self, copy: &'static str) {
        self.counters.out_of_order.add(copy);
    }

    /// A copy applied one write twice.
    pub fn duplicate_apply(&mut self, copy: &'static str) {
        self.counters.duplicate.add(copy);
    }

    /// The system of record's `key` went back from version `from` to `to`
    /// now (a failover to a replica that had applied only `to`), or writes
    /// `to + 1 ..= from` never reached it (a write-behind cache's unflushed
    /// writes lost in a crash): the
    /// acknowledged writes in between are lost writes at `at`. Reads now
    /// return `to`, older than what clients were told: stale reads follow
    /// until a newer write. Returns the writes lost (counted only when
    /// `now` is in the measurement window).
    pub fn rolled_back(
        &mut self,
        key: u64,
        from: Version,
        to: Version,
        at: &'static str,
        now: SimTime,
    ) -> u64 {
        let lost = from.min(self.keys.acked_max(key)).saturating_sub(to);
        // Losses in the warm-up are not measured, like everything in it.
        if self.window.contains(now) {
            for _ in 0..lost {
                self.counters.lost_writes.add(at);
                self.tick(now);
            }
        }
        let highest = self.rolled_back.entry(key).or_default();
        *highest = (*highest).max(from);
        if self.window.contains(now) {
            u64::from(lost)
        } else {
            0
        }
    }

    /// Two nodes accepted writes as primary for the same data for `length`;
    /// `lost` acknowledged writes on the losing side (already counted as
    /// lost writes), `diverged` keys both sides wrote (manual resolution)
    /// and `replayable` keys only the losing side wrote.
    pub fn split_brain(
        &mut self,
        at: &'static str,
        length: SimDuration,
        lost: u64,
        diverged: u64,
        replayable: u64,
    ) {
        self.counters.split_brain.add(at);
        self.counters.split_brain_ns += length.as_nanos();
        self.counters.split_brain_lost += lost;
        self.counters.split_brain_diverged += diverged;
        self.counters.split_brain_replayable += replayable;
    }

    /// A probe read at delay index `delay` saw its write (or not).
    pub fn probe_returned(&mut self, delay: usize, visible: bool, invoked: SimTime) {
        if self.window.contains(invoked) {
            self.probes.record(delay, visible);
        }
    }

    /// The bank's total at the start: accounts × initial balance.
    pub fn bank_total(&self) -> i64 {
        self.space.accounts as i64 * self.space.balance
    }

    /// The report, given the system of record's final values and versions
    /// (`final_state(key) = (version, value)`) and each copy's divergence.
    pub fn report(
        &self,
        final_state: impl Fn(u64) -> (Version, i64),
        divergence: std::collections::BTreeMap<String, DivergenceReport>,
    ) -> AnomalyReport {
        let s = self.space;
        let mut end = EndState {
            bank_total_expected: self.bank_total(),
            divergence,
            ..EndState::default()
        };
        for i in 0..s.accounts {
            let (_, balance) = final_state(s.account(i));
            end.bank_total_final += balance;
            end.negative_balances += u64::from(balance < 0);
        }
        for i in 0..s.items {
            end.oversold_units += (-final_state(s.item(i)).1).max(0);
        }
        for i in 0..s.counters {
            end.lost_increments += self.increments[i as usize] - final_state(s.counter(i)).1;
        }
        for key in 0..s.total() {
            let acked = self.keys.acked_max(key);
            let (mut version, _) = final_state(key);
            if let Some(counted) = self.rolled_back.get(&key) {
                version = version.max(*counted);
            }
            end.lost_writes += u64::from(acked.saturating_sub(version));
        }
        self.counters.report(end)
    }

    /// The probe part of the visibility report.
    pub fn probe_curve(&self) -> Vec<ProbePoint> {
        self.probes.report()
    }
}
