//! Replications summarised: every figure of the runs of one architecture at
//! one sweep point as its mean over the replications and the half-width of
//! a 95 % confidence interval, from Student's t with n − 1 degrees of
//! freedom (the replications are independent: each has its own seed).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::RunResult;
use crate::metrics::round6;
use crate::scenario::ArchKind;

/// A figure over replications: mean ± `ci95`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub mean: f64,
    /// Half-width of the 95 % confidence interval of the mean; 0 with one
    /// replication.
    pub ci95: f64,
}

impl Estimate {
    /// The mean of `samples` and its 95 % confidence half-width.
    pub fn of(samples: &[f64]) -> Estimate {
        let n = samples.len();
        if n == 0 {
            return Estimate::default();
        }
        let mean = samples.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return Estimate {
                mean: round6(mean),
                ci95: 0.0,
            };
        }
        let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
            .expect("positive degrees of freedom")
            .inverse_cdf(0.975);
        Estimate {
            mean: round6(mean),
            ci95: round6(t * (var / n as f64).sqrt()),
        }
    }

    /// `12.345 ± 0.400` (three decimals).
    pub fn text(&self) -> String {
        format!("{:.3} ± {:.3}", self.mean, self.ci95)
    }
}

/// Latency figures of one operation kind over replications, in ms (see
/// `LatencySummary`: operations not answered ok count at the client's
/// whole wait).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyEstimate {
    /// Operations started in the window, whatever their outcome.
    pub count: Estimate,
    /// Operations answered ok.
    #[serde(default)]
    pub ok: Estimate,
    /// Operations that ended in an error.
    pub errors: Estimate,
    /// Operations the client gave up on after its timeout and retries.
    #[serde(default)]
    pub timeouts: Estimate,
    /// Operations still in flight when the run stopped.
    #[serde(default)]
    pub unfinished: Estimate,
    pub mean_ms: Estimate,
    pub p50_ms: Estimate,
    pub p90_ms: Estimate,
    pub p99_ms: Estimate,
    pub p999_ms: Estimate,
    pub max_ms: Estimate,
    /// Figures (`"p99_ms"`…) that fall among the failures in at least one
    /// replication: their mean is a lower bound, shown as "≥".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub at_least: Vec<String>,
}

/// One architecture at one sweep point, over its replications.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub architecture: String,
    pub kind: ArchKind,
    pub point: BTreeMap<String, String>,
    pub replications: u32,
    pub throughput_per_s: Estimate,
    /// Operations started in the window per second (see `RunResult`).
    #[serde(default)]
    pub offered_ops_per_s: Estimate,
    /// Operations started in the window and answered ok, per second.
    #[serde(default)]
    pub goodput_ops_per_s: Estimate,
    /// Share of offered operations not answered ok (unchecked for anomalies).
    #[serde(default)]
    pub unchecked_share: Estimate,
    pub latency: BTreeMap<String, LatencyEstimate>,
    /// Per 1,000 offered operations, by anomaly class.
    pub anomalies_per_1k: BTreeMap<String, Estimate>,
    /// Transfers refused for balance and reservations refused for stock,
    /// each per 1,000 of its kind answered ok (see `BusinessReport`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub business_per_1000: BTreeMap<String, Estimate>,
    /// Messages, round trips, forced writes and consensus rounds per
    /// operation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub coordination: BTreeMap<String, Estimate>,
    /// Per component, each figure it reports (utilization, queue, hit
    /// ratio, forced writes, lag…).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub components: BTreeMap<String, BTreeMap<String, Estimate>>,
    /// Per probe delay (ms), the share of probe reads that saw the write.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub visibility: BTreeMap<String, Estimate>,
}

/// The runs grouped by (sweep point, architecture), in the order they
/// first appear, each group summarised.
pub fn summarize(runs: &[RunResult]) -> Vec<Summary> {
    let mut groups: Vec<Vec<&RunResult>> = Vec::new();
    for run in runs {
        match groups
            .iter_mut()
            .find(|g| g[0].architecture == run.architecture && g[0].point == run.point)
        {
            Some(g) => g.push(run),
            None => groups.push(vec![run]),
        }
    }
    groups.iter().map(|g| summary(g)).collect()
}

fn summary(runs: &[&RunResult]) -> Summary {
    let first = runs[0];
    let of = |f: &dyn Fn(&RunResult) -> f64| -> Estimate {
        Estimate::of(&runs.iter().map(|r| f(r)).collect::<Vec<_>>())
    };
    let latency = first
        .latency
        .0
        .keys()
        .map(|op| {
            let l = |f: fn(&crate::metrics::LatencySummary) -> f64| {
                of(&|r: &RunResult| r.latency.0.get(op).map_or(0.0, f))
            };
            let mut at_least: Vec<String> = Vec::new();
            for r in runs {
                for f in r.latency.0.get(op).map_or(&[][..], |s| &s.at_least) {
                    if !at_least.contains(f) {
                        at_least.push(f.clone());
                    }
                }
            }
            let e = LatencyEstimate {
                count: l(|s| s.count as f64),
                ok: l(|s| s.ok as f64),
                errors: l(|s| s.errors as f64),
                timeouts: l(|s| s.timeouts as f64),
                unfinished: l(|s| s.unfinished as f64),
                mean_ms: l(|s| s.mean_ms),
                p50_ms: l(|s| s.p50_ms),
                p90_ms: l(|s| s.p90_ms),
                p99_ms: l(|s| s.p99_ms),
                p999_ms: l(|s| s.p999_ms),
                max_ms: l(|s| s.max_ms),
                at_least,
            };
            (op.clone(), e)
        })
        .collect();
    let anomalies_per_1k = first
        .anomalies
        .counts()
        .into_iter()
        .map(|(class, _)| {
            let per_1k = |r: &RunResult| {
                let n = r
                    .anomalies
                    .counts()
                    .into_iter()
                    .find(|c| c.0 == class)
                    .map_or(0, |c| c.1);
                let ops = r.latency.all().count.max(1) as f64;
                n as f64 * 1000.0 / ops
            };
            (class.to_string(), of(&per_1k))
        })
        .collect();
    let mut coordination = BTreeMap::new();
    if first.coordination.per_operation.is_some() {
        let per_op = |f: fn(&crate::metrics::MeanCost) -> f64| {
            of(&|r: &RunResult| r.coordination.per_operation.as_ref().map_or(0.0, f))
        };
        coordination.insert("messages".to_string(), per_op(|m| m.messages));
        coordination.insert("forced_writes".to_string(), per_op(|m| m.forced_writes));
        let first_op = first.coordination.per_operation.as_ref();
        if first_op.is_some_and(|m| m.round_trips.is_some()) {
            coordination.insert(
                "round_trips".to_string(),
                per_op(|m| m.round_trips.unwrap_or(0.0)),
            );
        }
        if first_op.is_some_and(|m| m.consensus_rounds.is_some()) {
            coordination.insert(
                "consensus_rounds".to_string(),
                per_op(|m| m.consensus_rounds.unwrap_or(0.0)),
            );
        }
    }
    let components = first
        .components
        .keys()
        .map(|name| {
            let figures = |r: &RunResult| {
                r.components
                    .get(name)
                    .and_then(|c| serde_json::to_value(c).ok())
                    .and_then(|v| v.as_object().cloned())
                    .unwrap_or_default()
            };
            let keys: Vec<String> = figures(first).keys().cloned().collect();
            let per_figure = keys
                .into_iter()
                .map(|k| {
                    let e = of(&|r: &RunResult| {
                        figures(r).get(&k).and_then(|v| v.as_f64()).unwrap_or(0.0)
                    });
                    (k, e)
                })
                .collect();
            (name.clone(), per_figure)
        })
        .collect();
    let visibility = first
        .visibility
        .probes
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let share =
                of(&|r: &RunResult| r.visibility.probes.get(i).map_or(0.0, |q| q.consistent));
            (format!("{}", p.after_ms), share)
        })
        .collect();
    let business_per_1000 = if runs.iter().all(|r| r.business.is_empty()) {
        BTreeMap::new()
    } else {
        BTreeMap::from([
            (
                "transfers_refused".to_string(),
                of(&|r: &RunResult| r.business.transfers_refused_per_1000),
            ),
            (
                "reservations_refused".to_string(),
                of(&|r: &RunResult| r.business.reservations_refused_per_1000),
            ),
        ])
    };
    Summary {
        architecture: first.architecture.clone(),
        kind: first.kind,
        point: first.point.clone(),
        replications: runs.len() as u32,
        throughput_per_s: of(&|r: &RunResult| r.throughput_per_s),
        offered_ops_per_s: of(&|r: &RunResult| r.offered_ops_per_s),
        goodput_ops_per_s: of(&|r: &RunResult| r.goodput_ops_per_s),
        unchecked_share: of(&|r: &RunResult| r.unchecked_share),
        latency,
        anomalies_per_1k,
        business_per_1000,
        coordination,
        components,
        visibility,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_uses_students_t() {
        // Two samples: t(0.975, 1) = 12.706; sd = √2 · 0.5; half-width
        // 12.706 · sd / √2 = 6.353.
        let e = Estimate::of(&[1.0, 2.0]);
        assert_eq!(e.mean, 1.5);
        assert!((e.ci95 - 6.353102).abs() < 1e-6, "{e:?}");
        // Ten samples 0..9: sd 3.02765, t(0.975, 9) = 2.262157 → 2.165852.
        let xs: Vec<f64> = (0..10).map(f64::from).collect();
        assert!((Estimate::of(&xs).ci95 - 2.165852).abs() < 1e-5);
        assert_eq!(Estimate::of(&[4.0]).ci95, 0.0);
    }
}
