//! Runs a scenario: every sweep point × architecture × replication is an
//! independent simulation, run side by side on a rayon pool. Results come
//! back in scenario order (points first path slowest, then architectures,
//! then replications), so they are identical for any number of threads.

use rayon::prelude::*;

use crate::arch::{self, Recording};
use crate::report::{Results, ScenarioInfo, summarize};
use crate::scenario::Scenario;

/// Simulates `scenario` on the current rayon pool.
pub fn run(scenario: &Scenario) -> Results {
    run_recording(scenario, Recording::default())
}

/// Simulates `scenario`, recording what `recording` asks for.
pub fn run_recording(scenario: &Scenario, recording: Recording) -> Results {
    let points = scenario
        .points()
        .expect("every point is checked when the scenario is read");
    let jobs: Vec<_> = points
        .iter()
        .flat_map(|(label, s)| {
            s.architectures
                .iter()
                .flat_map(move |a| (0..s.replications).map(move |r| (label, s, a, r)))
        })
        .collect();
    let runs: Vec<_> = jobs
        .par_iter()
        .map(|(label, s, a, r)| {
            let mut run = arch::simulate_recording(s, a, *r, recording);
            run.point = (*label).clone();
            run
        })
        .collect();
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
