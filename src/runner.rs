//! Runs a scenario: every architecture × replication is an independent
//! simulation, run side by side on a rayon pool. Results come back in
//! scenario order, so they are identical for any number of threads.

use rayon::prelude::*;

use crate::arch::{self, Recording};
use crate::report::{Results, ScenarioInfo};
use crate::scenario::Scenario;

/// Simulates `scenario` on the current rayon pool.
pub fn run(scenario: &Scenario) -> Results {
    run_recording(scenario, Recording::default())
}

/// Simulates `scenario`, recording what `recording` asks for.
pub fn run_recording(scenario: &Scenario, recording: Recording) -> Results {
    let jobs: Vec<_> = scenario
        .architectures
        .iter()
        .flat_map(|a| (0..scenario.replications).map(move |r| (a, r)))
        .collect();
    let runs = jobs
        .par_iter()
        .map(|(a, r)| arch::simulate_recording(scenario, a, *r, recording))
        .collect();
    Results {
        archsim_version: crate::VERSION.to_string(),
        scenario: ScenarioInfo::new(scenario),
        runs,
    }
}
