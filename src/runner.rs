//! Runs a scenario: every architecture × replication is an independent
//! simulation, run side by side on a rayon pool. Results come back in
//! scenario order, so they are identical for any number of threads.

use rayon::prelude::*;

use crate::arch;
use crate::report::{Results, ScenarioInfo};
use crate::scenario::Scenario;

/// Simulates `scenario` on the current rayon pool.
pub fn run(scenario: &Scenario) -> Results {
    let jobs: Vec<_> = scenario
        .architectures
        .iter()
        .flat_map(|a| (0..scenario.replications).map(move |r| (a, r)))
        .collect();
    let runs = jobs
        .par_iter()
        .map(|(a, r)| arch::simulate(scenario, a, *r))
        .collect();
    Results {
        archsim_version: crate::VERSION.to_string(),
        scenario: ScenarioInfo::new(scenario),
        runs,
    }
}
