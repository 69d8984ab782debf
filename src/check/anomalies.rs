//! Anomaly counters and their report (the `anomalies` object of results).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::history::{ReadCheck, Staleness};
use crate::metrics::{LatencyRecorder, Outcome, round6};
use crate::sim::SimDuration;

/// Counts of one class, with where they happened.
#[derive(Default)]
pub(super) struct Tally {
    pub count: u64,
    pub by: BTreeMap<&'static str, u64>,
}

impl Tally {
    pub fn add(&mut self, at: &'static str) {
        self.count += 1;
        *self.by.entry(at).or_default() += 1;
    }
}

#[derive(Default)]
pub(super) struct Counters {
    /// Operations invoked in the window (the base of `per_1k`).
    pub operations: u64,
    /// Reads checked.
    pub reads: u64,
    pub stale: Tally,
    stale_age: Option<LatencyRecorder>,
    stale_depth_sum: u64,
    stale_depth_max: u32,
    /// Reads served by a read quorum, by depth: 0, 1, 2, 3, 4 or more.
    quorum_depths: [u64; 5],
    pub ryw: Tally,
    pub monotonic: Tally,
    pub lost_update: Tally,
    pub fractured: Tally,
    pub torn: Tally,
    pub dirty: Tally,
    pub wrong_total_observations: u64,
    pub negative_stock_commits: u64,
    pub lost_writes: Tally,
    pub out_of_order: Tally,
    pub duplicate: Tally,
    pub split_brain: Tally,
    pub split_brain_ns: u64,
    pub split_brain_lost: u64,
    pub split_brain_diverged: u64,
    pub split_brain_replayable: u64,
}

impl Counters {
    pub fn stale_read(&mut self, read: &ReadCheck, s: &Staleness) {
        let at = read.served_by.name();
        self.stale.add(at);
        self.stale_age
            .get_or_insert_with(LatencyRecorder::new)
            .record(SimDuration(s.age_ns), Outcome::Ok);
        self.stale_depth_sum += u64::from(s.depth);
        self.stale_depth_max = self.stale_depth_max.max(s.depth);
        if s.own_write_missed {
            self.ryw.add(at);
        }
    }

    /// A read served by a read quorum returned a version `depth` versions
    /// behind the newest acknowledged before it was invoked (0: fresh).
    pub fn quorum_read(&mut self, depth: u32) {
        self.quorum_depths[(depth as usize).min(4)] += 1;
    }

    pub fn report(&self, end: EndState) -> AnomalyReport {
        let per_1k = |n: u64| {
            if self.operations == 0 {
                0.0
            } else {
                round6(n as f64 * 1000.0 / self.operations as f64)
            }
        };
        let class = |t: &Tally| ClassReport {
            count: t.count,
            per_1k: per_1k(t.count),
            by_served_by: t.by.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
            ..ClassReport::default()
        };
        let mut stale_read = class(&self.stale);
        stale_read.age_ms = self.stale_age.as_ref().map(|r| {
            let s = r.summary();
            AgeSummary {
                mean_ms: s.mean_ms,
                p50_ms: s.p50_ms,
                p99_ms: s.p99_ms,
                max_ms: s.max_ms,
            }
        });
        stale_read.depth = (self.stale.count > 0).then(|| DepthSummary {
            mean: round6(self.stale_depth_sum as f64 / self.stale.count as f64),
            max: self.stale_depth_max,
        });
        let bank_wrong = end.bank_total_final != end.bank_total_expected;
        let invariant_count = self.wrong_total_observations
            + u64::from(bank_wrong)
            + end.negative_balances
            + self.negative_stock_commits;
        let mut lost_write = class(&self.lost_writes);
        lost_write.count += end.lost_writes;
        lost_write.per_1k = per_1k(lost_write.count);
        let [fresh, behind_1, behind_2, behind_3, behind_4_or_more] = self.quorum_depths;
        let quorum_reads = self.quorum_depths.iter().sum::<u64>();
        AnomalyReport {
            reads_checked: self.reads,
            quorum_read_depth: (quorum_reads > 0).then_some(ReadDepths {
                reads: quorum_reads,
                fresh,
                behind_1,
                behind_2,
                behind_3,
                behind_4_or_more,
            }),
            stale_read,
            read_your_writes: class(&self.ryw),
            monotonic_reads: class(&self.monotonic),
            lost_update: LostUpdateReport {
                count: self.lost_update.count,
                per_1k: per_1k(self.lost_update.count),
                lost_increments: end.lost_increments,
            },
            fractured_read: class(&self.fractured),
            torn_transaction: class(&self.torn),
            dirty_read: class(&self.dirty),
            invariant: InvariantReport {
                count: invariant_count,
                per_1k: per_1k(invariant_count),
                bank_total_expected: end.bank_total_expected,
                bank_total_final: end.bank_total_final,
                wrong_total_observations: self.wrong_total_observations,
                negative_balances: end.negative_balances,
                negative_stock_commits: self.negative_stock_commits,
                oversold_units: end.oversold_units,
            },
            lost_write,
            divergence: end.divergence,
            out_of_order_apply: class(&self.out_of_order),
            duplicate_apply: class(&self.duplicate),
            split_brain: SplitBrainReport {
                count: self.split_brain.count,
                per_1k: per_1k(self.split_brain.count),
                duration_ms: round6(self.split_brain_ns as f64 / 1e6),
                lost_acknowledged_writes: self.split_brain_lost,
                keys_diverged: self.split_brain_diverged,
                keys_replayable: self.split_brain_replayable,
                by_served_by: (self.split_brain.by.iter())
                    .map(|(k, n)| (k.to_string(), *n))
                    .collect(),
            },
        }
    }
}

/// End-of-run figures computed from the final state.
#[derive(Clone, Debug, Default)]
pub struct EndState {
    pub bank_total_expected: i64,
    pub bank_total_final: i64,
    pub negative_balances: u64,
    pub oversold_units: i64,
    pub lost_increments: i64,
    pub lost_writes: u64,
    pub divergence: BTreeMap<String, DivergenceReport>,
}

/// Anomalies of one run, by class (see ANOMALIES in the README).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AnomalyReport {
    /// Reads invoked in the window and checked.
    pub reads_checked: u64,
    /// A leaderless store's reads (served by a read quorum) by how many
    /// versions behind the newest acknowledged one they returned. Absent
    /// when no read was served by a quorum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quorum_read_depth: Option<ReadDepths>,
    pub stale_read: ClassReport,
    pub read_your_writes: ClassReport,
    pub monotonic_reads: ClassReport,
    pub lost_update: LostUpdateReport,
    pub fractured_read: ClassReport,
    pub torn_transaction: ClassReport,
    pub dirty_read: ClassReport,
    pub invariant: InvariantReport,
    pub lost_write: ClassReport,
    /// Per copy, after writes stopped and pipelines drained.
    pub divergence: BTreeMap<String, DivergenceReport>,
    pub out_of_order_apply: ClassReport,
    pub duplicate_apply: ClassReport,
    pub split_brain: SplitBrainReport,
}

impl AnomalyReport {
    /// (class name, count) of every class, in report order.
    pub fn counts(&self) -> Vec<(&'static str, u64)> {
        self.classes().map(|(name, n, _)| (name, n)).collect()
    }

    /// Every class in report order: its name, its count, and its details
    /// where the class has the common shape.
    pub fn classes<'a>(
        &'a self,
    ) -> impl Iterator<Item = (&'static str, u64, Option<&'a ClassReport>)> + 'a {
        let class = |name: &'static str, c: &'a ClassReport| (name, c.count, Some(c));
        [
            class("stale_read", &self.stale_read),
            class("read_your_writes", &self.read_your_writes),
            class("monotonic_reads", &self.monotonic_reads),
            ("lost_update", self.lost_update.count, None),
            class("fractured_read", &self.fractured_read),
            class("torn_transaction", &self.torn_transaction),
            class("dirty_read", &self.dirty_read),
            ("invariant", self.invariant.count, None),
            class("lost_write", &self.lost_write),
            (
                "divergence",
                self.divergence.values().map(|d| d.older + d.phantom).sum(),
                None,
            ),
            class("out_of_order_apply", &self.out_of_order_apply),
            class("duplicate_apply", &self.duplicate_apply),
            ("split_brain", self.split_brain.count, None),
        ]
        .into_iter()
    }
}

/// One anomaly class: how many, how often, where, and how bad.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassReport {
    pub count: u64,
    /// Per 1,000 operations of any kind invoked in the window.
    pub per_1k: f64,
    /// Counts by the copy that served the read or applied the write
    /// (`primary`, `cache`, `replica`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_served_by: BTreeMap<String, u64>,
    /// How long the missed version had been acknowledged when the read was invoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_ms: Option<AgeSummary>,
    /// Versions behind the newest acknowledged one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<DepthSummary>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AgeSummary {
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DepthSummary {
    pub mean: f64,
    pub max: u32,
}

/// Reads by staleness depth: how many versions behind the newest version
/// acknowledged before the read was invoked each returned (0: fresh, the
/// newest or newer). The depth distribution of probabilistically bounded
/// staleness (Bailis et al., PVLDB 2012): `within(k)` is the share that
/// returned one of the last `k` versions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadDepths {
    /// Reads counted (invoked in the window).
    pub reads: u64,
    /// Returned the newest acknowledged version, or newer.
    pub fresh: u64,
    pub behind_1: u64,
    pub behind_2: u64,
    pub behind_3: u64,
    pub behind_4_or_more: u64,
}

impl ReadDepths {
    /// Counts of depth 0, 1, 2, 3 and 4 or more.
    pub fn counts(&self) -> [u64; 5] {
        [
            self.fresh,
            self.behind_1,
            self.behind_2,
            self.behind_3,
            self.behind_4_or_more,
        ]
    }

    /// The share of reads fewer than `k` versions behind (`k` from 1 to 4):
    /// PBS k-staleness, the probability of returning one of the last `k`
    /// versions.
    pub fn within(&self, k: usize) -> f64 {
        if self.reads == 0 {
            return 0.0;
        }
        let n: u64 = self.counts().iter().take(k.min(4)).sum();
        n as f64 / self.reads as f64
    }
}

/// Lost updates: pairs of committed read-modify-writes that read the same
/// version, and the counter cross-check.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LostUpdateReport {
    pub count: u64,
    pub per_1k: f64,
    /// Acknowledged increments minus the counters' final values.
    pub lost_increments: i64,
}

/// Business invariants: the bank total is conserved and no balance is
/// negative; stock never goes below zero.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InvariantReport {
    /// Violations: wrong-total observations, a wrong final total (1),
    /// negative final balances, commits that took stock below zero.
    pub count: u64,
    pub per_1k: f64,
    pub bank_total_expected: i64,
    pub bank_total_final: i64,
    /// Consistent reads of every account whose sum was not the expected total.
    pub wrong_total_observations: u64,
    pub negative_balances: u64,
    pub negative_stock_commits: u64,
    /// Units sold beyond the stock there was, at the end.
    pub oversold_units: i64,
}

/// How a copy compares with the system of record at the end, and how long
/// it differed during the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DivergenceReport {
    /// Keys the copy holds at an older version than the system of record.
    pub older: u64,
    /// Keys the copy holds at a version the system of record never committed.
    pub phantom: u64,
    /// Share of key-time (keys held × window) the copy differed.
    pub diverged_share: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SplitBrainReport {
    /// Intervals with two nodes accepting writes for the same data.
    pub count: u64,
    pub per_1k: f64,
    pub duration_ms: f64,
    /// Acknowledged writes on the losing side.
    pub lost_acknowledged_writes: u64,
    /// Keys both sides wrote: two histories, neither a prefix of the other;
    /// they need manual resolution.
    #[serde(default)]
    pub keys_diverged: u64,
    /// Keys only the losing side wrote: its writes could be replayed onto
    /// the winner without conflict.
    #[serde(default)]
    pub keys_replayable: u64,
    /// Intervals by where the second lineage was: "primary" (an old
    /// primary not fenced after a failover) or "cache" (a write-behind
    /// cache cut off from the system of record).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_served_by: BTreeMap<String, u64>,
}
