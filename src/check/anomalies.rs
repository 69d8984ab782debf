//! Anomaly counters and their report (the `anomalies` object of results).

use std::collections::BTreeMap;

use serde::Serialize;

use super::history::{ReadCheck, ServedBy, Staleness};
use crate::metrics::{LatencyRecorder, Outcome, round6};
use crate::sim::SimDuration;

#[derive(Default)]
pub(super) struct Counters {
    /// Operations invoked in the window (the base of `per_1k`).
    pub operations: u64,
    /// Reads checked.
    pub reads: u64,
    stale: u64,
    stale_by: BTreeMap<ServedBy, u64>,
    stale_age: Option<LatencyRecorder>,
    stale_depth_sum: u64,
    stale_depth_max: u32,
    ryw: u64,
    ryw_by: BTreeMap<ServedBy, u64>,
}

impl Counters {
    pub fn stale_read(&mut self, read: &ReadCheck, s: &Staleness) {
        self.stale += 1;
        *self.stale_by.entry(read.served_by).or_default() += 1;
        self.stale_age
            .get_or_insert_with(LatencyRecorder::new)
            .record(SimDuration(s.age_ns), Outcome::Ok);
        self.stale_depth_sum += u64::from(s.depth);
        self.stale_depth_max = self.stale_depth_max.max(s.depth);
        if s.own_write_missed {
            self.ryw += 1;
            *self.ryw_by.entry(read.served_by).or_default() += 1;
        }
    }

    pub fn report(&self) -> AnomalyReport {
        let per_1k = |n: u64| {
            if self.operations == 0 {
                0.0
            } else {
                round6(n as f64 * 1000.0 / self.operations as f64)
            }
        };
        let by = |m: &BTreeMap<ServedBy, u64>| {
            m.iter().map(|(k, v)| (k.name().to_string(), *v)).collect()
        };
        let age = self.stale_age.as_ref().map(|r| {
            let s = r.summary();
            AgeSummary {
                mean_ms: s.mean_ms,
                p50_ms: s.p50_ms,
                p99_ms: s.p99_ms,
                max_ms: s.max_ms,
            }
        });
        AnomalyReport {
            reads_checked: self.reads,
            stale_read: ClassReport {
                count: self.stale,
                per_1k: per_1k(self.stale),
                by_served_by: by(&self.stale_by),
                age_ms: age,
                depth: (self.stale > 0).then(|| DepthSummary {
                    mean: round6(self.stale_depth_sum as f64 / self.stale as f64),
                    max: self.stale_depth_max,
                }),
            },
            read_your_writes: ClassReport {
                count: self.ryw,
                per_1k: per_1k(self.ryw),
                by_served_by: by(&self.ryw_by),
                age_ms: None,
                depth: None,
            },
        }
    }
}

/// Anomalies of one run, by class.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AnomalyReport {
    /// Reads invoked in the window and checked.
    pub reads_checked: u64,
    pub stale_read: ClassReport,
    pub read_your_writes: ClassReport,
}

/// One anomaly class: how many, how often, where, and how bad.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ClassReport {
    pub count: u64,
    /// Per 1,000 operations of any kind invoked in the window.
    pub per_1k: f64,
    /// Counts by the copy that answered: primary, cache, replica.
    pub by_served_by: BTreeMap<String, u64>,
    /// How long the missed version had been acknowledged when the read was invoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_ms: Option<AgeSummary>,
    /// Versions behind the newest acknowledged one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depth: Option<DepthSummary>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AgeSummary {
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DepthSummary {
    pub mean: f64,
    pub max: u32,
}
