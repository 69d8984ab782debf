//! The growth ladder: for each architecture, the highest load it carries
//! within the scenario's SLO, what limits it, and what the next stage costs
//! at the load where the one before it breaks. Written as `capacity.json`
//! (a public contract: field names carry their unit), `capacity.md` and a
//! terminal table; `archsim capacity` finds the capacities by search,
//! `archsim sweep` over `workload.rate` reads them off its grid.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::table::{Table, usd};
use super::thousands as rate;
use super::{Estimate, Results, RunResult, ScenarioInfo};
use crate::arch::Busiest;
use crate::scenario::ArchKind;
use crate::scenario::slo::{BudgetKind, Judgement, Slo};

/// `capacity.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Ladder {
    pub archsim_version: String,
    pub scenario: ScenarioInfo,
    /// The budgets every run was judged by (`p99<=5ms`, …).
    pub slo: Vec<String>,
    /// How the capacities were found: `search` (bisection on the rate,
    /// `archsim capacity`) or `sweep` (the highest swept rate that met the
    /// SLO: as coarse as the grid).
    pub method: String,
    /// The search stopped when the highest rate that met the SLO was within
    /// this share of the lowest that did not (`search` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
    /// In scenario order: the order a platform grows through.
    pub architectures: Vec<Rung>,
}

/// One architecture on the ladder.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Rung {
    pub name: String,
    pub kind: ArchKind,
    /// The highest offered rate (ops/s) that met every budget: the mean
    /// over replications. 0 when no rate tried met it.
    pub capacity_ops_per_s: f64,
    /// Half-width of the 95 % confidence interval of the capacity over the
    /// replications (each searched with its own seed); 0 with one.
    pub ci95_ops_per_s: f64,
    /// Each replication's capacity.
    pub capacities_ops_per_s: Vec<f64>,
    /// The lowest rate tried that failed a budget (replication 0); none
    /// when every rate tried met the SLO (the capacity is then a lower
    /// bound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_failing_ops_per_s: Option<f64>,
    /// What gives out first: the busiest component when a latency or
    /// failure budget breaks (`db`, `shard_3`, `coordinator`), else the
    /// budget (`freshness: cache`, `anomalies: lost_update`); `none` when
    /// no rate tried broke the SLO.
    pub limiting: String,
    /// The budgets broken at `first_failing_ops_per_s`, with what was
    /// measured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub broken: Vec<Judgement>,
    /// What its servers cost to run, in dollars per hour (every node
    /// priced by its cores, `arch::price`); none when a node is larger
    /// than any instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd_per_hour: Option<f64>,
    /// That cost per 1,000 ops/s of capacity: dollars per hour for each
    /// 1,000 operations per second it carries within the SLO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd_per_hour_per_1k_ops_per_s: Option<f64>,
    /// The figures at the capacity (replication 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_capacity: Option<Figures>,
    /// This architecture at the rate where the architecture before it (in
    /// scenario order) reached its capacity: what the next stage costs
    /// where the previous one breaks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_previous_capacity: Option<Step>,
    /// Every rate tried (replication 0), by rate: the goodput-vs-offered
    /// curve.
    pub curve: Vec<CurvePoint>,
}

/// An architecture at another's capacity.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Step {
    /// The architecture whose capacity this rate is.
    pub from: String,
    pub rate_ops_per_s: f64,
    pub figures: Figures,
}

/// One rate tried.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub offered_ops_per_s: f64,
    pub goodput_ops_per_s: f64,
    /// Over all operations, failed ones at their whole wait.
    pub p99_ms: f64,
    pub met: bool,
}

/// What one run cost and showed, for the ladder.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Figures {
    pub offered_ops_per_s: f64,
    pub goodput_ops_per_s: f64,
    /// Share of offered operations not answered ok.
    pub failed_share: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    /// Figures above that fall among failed operations: lower bounds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub at_least: Vec<String>,
    pub messages_per_op: f64,
    pub forced_writes_per_op: f64,
    pub platforms: u32,
    pub nodes: u32,
    /// What its servers cost to run, in dollars per hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd_per_hour: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busiest: Option<Busiest>,
    /// Anomalies per 1,000 offered operations, by class (classes with none
    /// left out).
    pub anomalies_per_1k: BTreeMap<String, f64>,
    /// Every budget's verdict.
    pub judgements: Vec<Judgement>,
}

impl Figures {
    pub fn of(run: &RunResult, slo: &Slo) -> Figures {
        let all = run.latency.all();
        let offered = all.count.max(1) as f64;
        let per_op = run.coordination.per_operation.as_ref();
        Figures {
            offered_ops_per_s: run.offered_ops_per_s,
            goodput_ops_per_s: run.goodput_ops_per_s,
            failed_share: crate::metrics::round6(all.failed() as f64 / offered),
            p50_ms: all.p50_ms,
            p99_ms: all.p99_ms,
            p999_ms: all.p999_ms,
            at_least: all.at_least.clone(),
            messages_per_op: per_op.map_or(0.0, |c| c.messages),
            forced_writes_per_op: per_op.map_or(0.0, |c| c.forced_writes),
            platforms: run.footprint.platforms,
            nodes: run.footprint.nodes,
            cost_usd_per_hour: run.footprint.cost_usd_per_hour,
            busiest: run.busiest.clone(),
            anomalies_per_1k: run
                .anomalies
                .counts()
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .map(|(c, n)| {
                    (
                        c.to_string(),
                        crate::metrics::round6(n as f64 * 1000.0 / offered),
                    )
                })
                .collect(),
            judgements: slo.judge(run),
        }
    }

    /// The three most frequent classes, most frequent first (`+ N more`).
    fn anomalies_text(&self) -> String {
        if self.anomalies_per_1k.is_empty() {
            return "none".to_string();
        }
        let mut classes: Vec<(&String, &f64)> = self.anomalies_per_1k.iter().collect();
        classes.sort_by(|a, b| b.1.total_cmp(a.1));
        let mut text = classes
            .iter()
            .take(3)
            .map(|(c, v)| format!("{c} {}", per_1k(**v)))
            .collect::<Vec<_>>()
            .join(", ");
        if classes.len() > 3 {
            text += &format!(" + {} more", classes.len() - 3);
        }
        text
    }

    fn p99_text(&self) -> String {
        super::table::ms_at_least(self.p99_ms, self.at_least.iter().any(|f| f == "p99_ms"))
    }
}

impl CurvePoint {
    pub fn of(run: &RunResult, slo: &Slo) -> CurvePoint {
        CurvePoint {
            offered_ops_per_s: run.offered_ops_per_s,
            goodput_ops_per_s: run.goodput_ops_per_s,
            p99_ms: run.latency.all().p99_ms,
            met: slo.met_by(run),
        }
    }
}

/// What limits a run that broke `broken`. For a latency or failure budget:
/// the busiest component when it is at least 70 % busy (or the run was
/// stopped as saturated); else the rows whose lock waits are longest
/// (`row locks at shard_0`), when writers waited more than 1 ms on average
/// — a hot row saturates before any server does; else still the busiest
/// component, whose queueing breaks a tight budget well below saturation
/// (an M/M/1 with 0.5 ms service breaks p99 ≤ 5 ms at 54 % busy). For a
/// freshness or anomaly budget: the budget.
pub fn limiting(run: &RunResult, broken: &[Judgement]) -> String {
    let first = |k: fn(&BudgetKind) -> bool| broken.iter().find(|j| k(&j.kind));
    if first(|k| matches!(k, BudgetKind::Latency | BudgetKind::Failed)).is_some() {
        let Some(busiest) = &run.busiest else {
            return "latency".to_string();
        };
        if busiest.utilization >= 0.7 || run.saturated.is_some() {
            return busiest.name.clone();
        }
        let locks = run
            .components
            .iter()
            .filter_map(|(n, c)| Some((n, c.lock_wait_mean_ms?, c.lock_waits?)))
            .filter(|(_, mean, _)| *mean > 1.0)
            .max_by(|a, b| (a.1 * a.2 as f64).total_cmp(&(b.1 * b.2 as f64)));
        if let Some((name, _, _)) = locks {
            return format!("row locks at {name}");
        }
        return busiest.name.clone();
    }
    match broken.first().map(|j| &j.kind) {
        Some(BudgetKind::Freshness(copy)) => format!("freshness: {copy}"),
        Some(BudgetKind::Anomalies(class)) => format!("anomalies: {class}"),
        _ => "none".to_string(),
    }
}

impl Rung {
    /// The rung of an architecture from its runs at the rates tried (one
    /// list per replication, any order): the capacity of each replication is
    /// the highest rate that met `slo` below the lowest that did not.
    pub fn from_runs(
        name: &str,
        kind: ArchKind,
        by_replication: &[Vec<&RunResult>],
        slo: &Slo,
    ) -> Rung {
        let rate = |r: &RunResult| offered_rate(r);
        let mut capacities = Vec::new();
        let mut first: Option<(&RunResult, Option<&RunResult>)> = None;
        for runs in by_replication {
            let mut sorted: Vec<&RunResult> = runs.clone();
            sorted.sort_by(|a, b| rate(a).total_cmp(&rate(b)));
            let failing = sorted.iter().position(|r| !slo.met_by(r));
            let below = &sorted[..failing.unwrap_or(sorted.len())];
            let best = below.last().copied();
            capacities.push(best.map_or(0.0, rate));
            if first.is_none() {
                first = Some((best.unwrap_or(sorted[0]), failing.map(|i| sorted[i])));
            }
        }
        let estimate = Estimate::of(&capacities);
        let (best, failing) = first.expect("an architecture has runs");
        let broken: Vec<Judgement> = failing
            .map(|r| slo.judge(r).into_iter().filter(|j| !j.met).collect())
            .unwrap_or_default();
        let mut curve: Vec<CurvePoint> = by_replication[0]
            .iter()
            .map(|r| CurvePoint::of(r, slo))
            .collect();
        curve.sort_by(|a, b| a.offered_ops_per_s.total_cmp(&b.offered_ops_per_s));
        Rung {
            name: name.to_string(),
            kind,
            capacity_ops_per_s: estimate.mean,
            ci95_ops_per_s: estimate.ci95,
            capacities_ops_per_s: capacities.clone(),
            first_failing_ops_per_s: failing.map(rate),
            limiting: failing.map_or_else(|| "none".to_string(), |r| limiting(r, &broken)),
            broken,
            cost_usd_per_hour: best.footprint.cost_usd_per_hour,
            cost_usd_per_hour_per_1k_ops_per_s: best.footprint.cost_per_1k_ops_per_s(estimate.mean),
            at_capacity: (capacities[0] > 0.0).then(|| Figures::of(best, slo)),
            at_previous_capacity: None,
            curve,
        }
    }
}

/// The rate `run` was offered: its point's `workload.rate` when swept or
/// searched, else the measured offered load.
pub fn offered_rate(run: &RunResult) -> f64 {
    run.point
        .get("workload.rate")
        .and_then(|v| v.parse().ok())
        .unwrap_or(run.offered_ops_per_s)
}

impl Ladder {
    /// The ladder of a sweep over `workload.rate` (alone): each
    /// architecture's capacity is the highest swept rate meeting `slo`.
    /// None when the sweep is not over the rate alone.
    pub fn from_sweep(results: &Results, slo: &Slo) -> Option<Ladder> {
        if results.scenario.swept != ["workload.rate"] {
            return None;
        }
        let mut names: Vec<(&str, ArchKind)> = Vec::new();
        for r in &results.runs {
            if !names.iter().any(|(n, _)| *n == r.architecture) {
                names.push((&r.architecture, r.kind));
            }
        }
        let replications = results.scenario.replications.max(1);
        let mut architectures: Vec<Rung> = names
            .iter()
            .map(|(name, kind)| {
                let by_replication: Vec<Vec<&RunResult>> = (0..replications)
                    .map(|rep| {
                        results
                            .runs
                            .iter()
                            .filter(|r| r.architecture == *name && r.replication == rep)
                            .collect()
                    })
                    .collect();
                Rung::from_runs(name, *kind, &by_replication, slo)
            })
            .collect();
        // The next stage at the previous one's capacity: the swept rate
        // equal to it (the capacities are swept rates).
        for i in 1..architectures.len() {
            let (before, after) = architectures.split_at_mut(i);
            let prev = &before[i - 1];
            if prev.capacity_ops_per_s <= 0.0 {
                continue;
            }
            let at = results.runs.iter().find(|r| {
                r.architecture == after[0].name
                    && r.replication == 0
                    && offered_rate(r) == prev.capacities_ops_per_s[0]
            });
            after[0].at_previous_capacity = at.map(|r| Step {
                from: prev.name.clone(),
                rate_ops_per_s: prev.capacities_ops_per_s[0],
                figures: Figures::of(r, slo),
            });
        }
        Some(Ladder {
            archsim_version: crate::VERSION.to_string(),
            scenario: results.scenario.clone(),
            slo: slo.budgets(),
            method: "sweep".to_string(),
            tolerance: None,
            architectures,
        })
    }

    /// The capacity of each architecture, what limits it and, at the rate
    /// where the stage before breaks, what it costs.
    pub fn table(&self) -> Table {
        let mut rows = Vec::new();
        for r in &self.architectures {
            let capacity = if r.capacity_ops_per_s <= 0.0 {
                "below every rate tried".to_string()
            } else if r.first_failing_ops_per_s.is_none() {
                format!("≥ {}", rate(r.capacity_ops_per_s))
            } else if r.ci95_ops_per_s > 0.0 {
                format!(
                    "{} ± {}",
                    rate(r.capacity_ops_per_s),
                    rate(r.ci95_ops_per_s)
                )
            } else {
                rate(r.capacity_ops_per_s)
            };
            let broken = r
                .broken
                .iter()
                .map(|j| j.measured.clone())
                .collect::<Vec<_>>()
                .join("; ");
            let at = r.at_capacity.as_ref();
            rows.push(vec![
                r.name.clone(),
                capacity,
                r.limiting.clone(),
                if broken.is_empty() {
                    "—".to_string()
                } else {
                    format!(
                        "{broken} at {}",
                        rate(r.first_failing_ops_per_s.unwrap_or(0.0))
                    )
                },
                at.map_or("—".to_string(), Figures::p99_text),
                at.map_or("—".to_string(), |f| format!("{:.1}", f.messages_per_op)),
                at.map_or("—".to_string(), |f| {
                    format!("{:.2}", f.forced_writes_per_op)
                }),
                at.map_or("—".to_string(), |f| {
                    format!("{} / {}", f.platforms, f.nodes)
                }),
                usd(r.cost_usd_per_hour),
                r.cost_usd_per_hour_per_1k_ops_per_s
                    .map_or("—".to_string(), |c| format!("${c:.4}")),
            ]);
        }
        Table {
            headers: [
                "architecture",
                "capacity ops/s",
                "limiting",
                "broken by",
                "p99 ms at capacity",
                "msgs/op",
                "forced/op",
                "platforms / nodes",
                "$/h",
                "$/h per 1k ops/s",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        }
    }

    /// What the capacity table's figures mean.
    pub fn note(&self) -> String {
        format!(
            "Capacity: the highest offered rate meeting every budget ({}), {}; failed and \
                 timed-out operations count in the percentiles at their whole wait. Limiting: \
                 the busiest component where a latency or failure budget breaks, else the \
                 budget that breaks. $/h: every server priced by its cores as an AWS r6i \
                 instance, on demand; per 1k ops/s: that cost over the capacity, in thousands \
                 of operations per second.",
            self.slo.join(", "),
            match self.tolerance {
                Some(t) => format!(
                    "found by bisection on the rate to within {:.0} %",
                    t * 100.0
                ),
                None => "the highest rate of the sweep that met them".to_string(),
            }
        )
    }

    /// Each stage at the rate where the stage before it reaches capacity.
    pub fn step_table(&self) -> Table {
        let mut rows = Vec::new();
        for r in &self.architectures {
            let Some(step) = &r.at_previous_capacity else {
                continue;
            };
            let f = &step.figures;
            rows.push(vec![
                format!("{} → {}", step.from, r.name),
                rate(step.rate_ops_per_s),
                f.p99_text(),
                rate(f.goodput_ops_per_s),
                format!("{:.1}", f.messages_per_op),
                format!("{:.2}", f.forced_writes_per_op),
                format!("{} / {}", f.platforms, f.nodes),
                usd(f.cost_usd_per_hour),
                f.anomalies_text(),
                if f.judgements.iter().all(|j| j.met) {
                    "yes"
                } else {
                    "no"
                }
                .to_string(),
            ]);
        }
        Table {
            headers: [
                "step",
                "at ops/s",
                "p99 ms",
                "goodput ops/s",
                "msgs/op",
                "forced/op",
                "platforms / nodes",
                "$/h",
                "anomalies /1k ops",
                "meets SLO",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        }
    }

    /// `capacity.md`.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "# Capacity of {}\n\n{}\n\nService-level objective: {}.\n\n",
            super::one_line(&self.scenario.name),
            super::one_line(&self.scenario.description),
            self.slo.join(", ")
        );
        out += "## Capacity at the SLO\n\n";
        out += &self.table().to_markdown();
        out += &format!("\n{}\n", self.note());
        let steps = self.step_table();
        if !steps.rows.is_empty() {
            out += "\n## The next stage where the previous one breaks\n\n";
            out += &steps.to_markdown();
            out += &format!("\n{STEP_NOTE}\n");
        }
        out
    }

    /// The terminal summary.
    pub fn to_text(&self) -> String {
        let mut out = self.table().to_text();
        let steps = self.step_table();
        if !steps.rows.is_empty() {
            out.push('\n');
            out += &steps.to_text();
        }
        out
    }
}

/// What the step table shows.
pub(crate) const STEP_NOTE: &str = "Each architecture at the rate where the one before it (in the \
     scenario's order) reaches its capacity: what the next stage costs where the previous one \
     breaks.";

/// A rate per 1,000 operations with three significant figures, so a rare
/// class does not print as 0.00.
fn per_1k(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else if v >= 0.001 {
        format!("{v:.3}")
    } else {
        "< 0.001".to_string()
    }
}
