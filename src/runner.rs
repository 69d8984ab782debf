//! Runs a scenario: every sweep point × architecture × replication is an
//! independent simulation, run side by side on a rayon pool. Results come
//! back in scenario order (points first path slowest, then architectures,
//! then replications), so they are identical for any number of threads.

use rayon::prelude::*;

use crate::arch::{self, Recording};
use crate::report::{Results, RunResult, ScenarioInfo, summarize};
use crate::scenario::{Point, Scenario, Warmup};
use crate::sim::SimDuration;

/// Simulates `scenario` on the current rayon pool.
pub fn run(scenario: &Scenario) -> Results {
    run_recording(scenario, Recording::default())
}

/// Simulates `scenario`, recording what `recording` asks for.
pub fn run_recording(scenario: &Scenario, recording: Recording) -> Results {
    run_reporting(scenario, recording, &|| {})
}

/// Simulates `scenario`, calling `done` after each run (for progress).
pub fn run_reporting(
    scenario: &Scenario,
    recording: Recording,
    done: &(dyn Fn() + Sync),
) -> Results {
    let points = scenario
        .points()
        .expect("every point is checked when the scenario is read");
    let runs = points
        .par_iter()
        .flat_map_iter(|(label, s)| run_point(label, s, recording, done))
        .collect();
    assemble(scenario, runs)
}

/// Simulates every architecture × replication of one sweep point (`point`
/// is the point's scenario), calling `done` after each.
pub fn run_point(
    label: &Point,
    point: &Scenario,
    recording: Recording,
    done: &(dyn Fn() + Sync),
) -> Vec<RunResult> {
    let auto = point.warmup == Warmup::Auto;
    let resolved = with_warmup(point);
    let point = &resolved;
    let jobs: Vec<_> = point
        .architectures
        .iter()
        .flat_map(|a| (0..point.replications).map(move |r| (a, r)))
        .collect();
    jobs.par_iter()
        .map(|(a, r)| {
            let run = run_resolved(label, point, a, *r, auto, recording);
            done();
            run
        })
        .collect()
}

/// Simulates replication `replication` of every architecture of one point
/// (`point` is the point's scenario), one after another.
pub fn run_replication(
    label: &Point,
    point: &Scenario,
    replication: u32,
    recording: Recording,
) -> Vec<RunResult> {
    let auto = point.warmup == Warmup::Auto;
    let resolved = with_warmup(point);
    resolved
        .architectures
        .iter()
        .map(|a| run_resolved(label, &resolved, a, replication, auto, recording))
        .collect()
}

/// One run of `arch` in `point`, whose warm-up is fixed (`auto`: it was
/// picked by pilot runs).
fn run_resolved(
    label: &Point,
    point: &Scenario,
    arch: &crate::scenario::ArchitectureConfig,
    replication: u32,
    auto: bool,
    recording: Recording,
) -> RunResult {
    let mut run = arch::simulate_recording(&point.setting(), arch, replication, recording);
    run.point = label.clone();
    if auto {
        run.warmup_s = Some(point.warmup.duration().as_secs_f64());
    }
    run
}

/// `point` with its warm-up fixed: `auto` becomes the longest MSER-5
/// truncation of the architectures' pilot runs.
fn with_warmup(point: &Scenario) -> Scenario {
    let mut fixed = point.clone();
    if point.warmup == Warmup::Auto {
        let longest = point
            .architectures
            .par_iter()
            .map(|a| arch::pilot_warmup(&point.setting(), a))
            .max()
            .unwrap_or(SimDuration::ZERO);
        fixed.warmup = Warmup::Fixed(longest);
    }
    fixed
}

/// The results of `scenario` from its runs, in scenario order.
pub fn assemble(scenario: &Scenario, mut runs: Vec<RunResult>) -> Results {
    crate::report::indicators::attach(&mut runs, &scenario.slo);
    let summaries = if scenario.replications > 1 {
        summarize(&runs)
    } else {
        Vec::new()
    };
    Results {
        archsim_version: crate::VERSION.to_string(),
        scenario: ScenarioInfo::new(scenario),
        runs,
        summaries,
    }
}
