//! `archsim check`: reads every scenario, refuses what `run` would refuse,
//! and says on stdout what running it would take.

use super::ScenarioArgs;
use crate::scenario::memory;

/// Operations per second one core simulates, for the run-time estimate: the
/// M/M/1 pipeline measured about 1.4 million on the reference machine;
/// architectures with more messages per operation are slower, so the
/// estimate is rough (a factor of two either way).
const OPERATIONS_PER_CORE_S: f64 = 1.0e6;

/// `archsim check`: reads every scenario and reports the first error; for
/// each valid one, an ok line with the memory and time a run would take.
pub fn check(args: &ScenarioArgs) -> anyhow::Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let mut out = String::new();
    for (path, scenario) in args.load()? {
        super::check_memory(&scenario, None)?;
        let names: Vec<&str> = scenario
            .architectures
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        let points = if scenario.sweep.is_empty() {
            String::new()
        } else {
            format!("{} sweep points × ", scenario.sweep.len())
        };
        let (need, _) = memory::bytes_at_once_swept(&scenario, threads);
        let (operations, setup, runs) = scenario.work();
        let seconds = (operations + setup) * runs / OPERATIONS_PER_CORE_S / threads as f64;
        out += &format!(
            "{}: ok — \"{}\", {} ({}), {points}{} × {} replication(s); about {} of memory \
             and {} on {threads} core(s)\n",
            path.display(),
            scenario.name,
            scenario.duration,
            names.join(", "),
            names.len(),
            scenario.replications,
            memory::human(need),
            rough_duration(seconds),
        );
    }
    super::print_out(&out)
}

/// A run-time estimate in words, to one significant figure.
fn rough_duration(seconds: f64) -> String {
    if seconds < 1.0 {
        "under a second".to_string()
    } else if seconds < 90.0 {
        format!("roughly {:.0} s", seconds)
    } else if seconds < 5400.0 {
        format!("roughly {:.0} min", seconds / 60.0)
    } else {
        format!("roughly {:.1} h", seconds / 3600.0)
    }
}
