//! Capacity at an SLO: for each architecture, the highest offered rate
//! (`workload.rate`) whose run meets every budget of the scenario's SLO.
//!
//! The search brackets the capacity from the scenario's own rate — doubling
//! while runs meet the SLO, halving while they do not — then bisects until
//! the highest rate that met it is within `tolerance` of the lowest that did
//! not. Each rate is one whole run of the scenario (warm-up and duration as
//! written), so a capacity is a measured rate, never an extrapolation. Each
//! replication searches with its own seed; their spread gives the
//! capacity's confidence interval. Then each architecture runs once more at
//! the capacity of the one before it: the growth ladder's step.
//!
//! The search assumes that a rate which breaks the SLO breaks it at every
//! higher rate too; near the capacity, noise can break that, and the
//! tolerance is no finer than the runs' own noise (run longer for less).

use rayon::prelude::*;

use crate::arch::Recording;
use crate::report::ladder::{Figures, Rung, Step};
use crate::report::{Ladder, RunResult, ScenarioInfo};
use crate::scenario::{MAX_OPERATIONS_PER_RUN, Point, Scenario, Slo};

/// How the search proceeds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Search {
    /// Stop when the highest rate that met the SLO is within this share of
    /// the lowest that did not. Default 0.02 (2 %).
    pub tolerance: f64,
    /// The bracket goes at most this factor above or below the scenario's
    /// rate. Default 1024.
    pub reach: f64,
}

impl Default for Search {
    fn default() -> Search {
        Search {
            tolerance: 0.02,
            reach: 1024.0,
        }
    }
}

/// Why a scenario cannot be searched.
#[derive(Debug, thiserror::Error)]
pub enum CapacityError {
    #[error(
        "scenario \"{0}\" has a [sweep]; capacity searches workload.rate itself: remove the \
         [sweep] (or run archsim sweep)"
    )]
    Swept(String),
    #[error(
        "scenario \"{0}\" replays a trace, whose rate is the trace's; capacity needs a \
         generated workload (archsim fit turns a trace into one)"
    )]
    Replayed(String),
    #[error("the SLO has no budget; give one, e.g. --slo 'p99<=5ms'")]
    NoBudget,
}

/// One architecture × replication's search: every run it made.
struct Searched {
    arch: usize,
    runs: Vec<RunResult>,
}

/// Searches the capacity of every architecture of `scenario` at `slo`,
/// calling `done` after each run. Deterministic: the same scenario, SLO and
/// search give the same ladder at any thread count.
pub fn capacity(
    scenario: &Scenario,
    slo: &Slo,
    search: Search,
    done: &(dyn Fn() + Sync),
) -> Result<Ladder, CapacityError> {
    if !scenario.sweep.is_empty() {
        return Err(CapacityError::Swept(scenario.name.clone()));
    }
    if scenario.workload.replay.is_some() {
        return Err(CapacityError::Replayed(scenario.name.clone()));
    }
    if slo.is_empty() {
        return Err(CapacityError::NoBudget);
    }
    let jobs: Vec<(usize, u32)> = (0..scenario.architectures.len())
        .flat_map(|a| (0..scenario.replications).map(move |r| (a, r)))
        .collect();
    let searched: Vec<Searched> = jobs
        .par_iter()
        .map(|&(arch, replication)| Searched {
            arch,
            runs: search_one(scenario, arch, replication, slo, search, done),
        })
        .collect();
    let mut rungs: Vec<Rung> = scenario
        .architectures
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let by_replication: Vec<Vec<&RunResult>> = searched
                .iter()
                .filter(|s| s.arch == i)
                .map(|s| s.runs.iter().collect())
                .collect();
            Rung::from_runs(&a.name, a.config.kind(), &by_replication, slo)
        })
        .collect();
    // The step: each architecture at the capacity of the one before it.
    let steps: Vec<Option<Step>> = (0..rungs.len())
        .into_par_iter()
        .map(|i| {
            let prev = rungs.get(i.checked_sub(1)?)?;
            let rate = *prev.capacities_ops_per_s.first()?;
            if rate <= 0.0 {
                return None;
            }
            let run = run_at(scenario, i, 0, rate);
            done();
            Some(Step {
                from: prev.name.clone(),
                rate_ops_per_s: rate,
                figures: Figures::of(&run, slo),
            })
        })
        .collect();
    for (rung, step) in rungs.iter_mut().zip(steps) {
        rung.at_previous_capacity = step;
    }
    Ok(Ladder {
        archsim_version: crate::VERSION.to_string(),
        scenario: ScenarioInfo::new(scenario),
        slo: slo.budgets(),
        method: "search".to_string(),
        tolerance: Some(search.tolerance),
        architectures: rungs,
    })
}

/// The runs one architecture × replication makes to find its capacity.
fn search_one(
    scenario: &Scenario,
    arch: usize,
    replication: u32,
    slo: &Slo,
    search: Search,
    done: &(dyn Fn() + Sync),
) -> Vec<RunResult> {
    let start = scenario.workload.rate;
    let window = (scenario.warmup.duration() + scenario.duration).as_secs_f64();
    let highest = (start * search.reach).min(MAX_OPERATIONS_PER_RUN / window);
    let lowest = start / search.reach;
    let mut runs: Vec<RunResult> = Vec::new();
    let mut met_at: Option<f64> = None;
    let mut failed_at: Option<f64> = None;
    let mut rate = start;
    let try_rate = |rate: f64, runs: &mut Vec<RunResult>| -> bool {
        let run = run_at(scenario, arch, replication, rate);
        done();
        let met = slo.met_by(&run);
        runs.push(run);
        met
    };
    // Bracket.
    loop {
        if try_rate(rate, &mut runs) {
            met_at = Some(rate);
            if failed_at.is_some() || rate * 2.0 > highest {
                break;
            }
            rate = round_rate(rate * 2.0);
        } else {
            failed_at = Some(rate);
            if met_at.is_some() || rate / 2.0 < lowest {
                break;
            }
            rate = round_rate(rate / 2.0);
        }
    }
    // Bisect.
    while let (Some(lo), Some(hi)) = (met_at, failed_at) {
        let mid = round_rate((lo + hi) / 2.0);
        if hi - lo <= search.tolerance * lo || mid <= lo || mid >= hi {
            break;
        }
        if try_rate(mid, &mut runs) {
            met_at = Some(mid);
        } else {
            failed_at = Some(mid);
        }
    }
    runs
}

/// Architecture `arch` of `scenario`, replication `replication`, at
/// `rate` ops/s (load phases scaled with it), labelled with the rate.
pub fn run_at(scenario: &Scenario, arch: usize, replication: u32, rate: f64) -> RunResult {
    let mut s = scenario.clone();
    let scale = rate / scenario.workload.rate;
    s.workload.rate = rate;
    for phase in &mut s.workload.phases {
        phase.rate *= scale;
    }
    s.architectures = vec![scenario.architectures[arch].clone()];
    let mut label = Point::default();
    label.insert("workload.rate".to_string(), format!("{rate}"));
    let mut runs = crate::runner::run_replication(&label, &s, replication, Recording::default());
    runs.pop().expect("one architecture, one run")
}

/// `rate` to four significant figures: the rates tried read as a person
/// would write them, and the same on every machine.
fn round_rate(rate: f64) -> f64 {
    if rate <= 0.0 || !rate.is_finite() {
        return rate;
    }
    let scale = 10f64.powi(3 - rate.log10().floor() as i32);
    (rate * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_keep_four_figures() {
        assert_eq!(round_rate(1078.9741), 1079.0);
        assert_eq!(round_rate(123_456.0), 123_500.0);
        assert_eq!(round_rate(0.012_345), 0.012_35);
    }
}
