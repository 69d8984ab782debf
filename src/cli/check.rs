use super::ScenarioArgs;

/// `archsim check`: reads every scenario and reports the first error.
pub fn check(args: &ScenarioArgs) -> anyhow::Result<()> {
    for (path, scenario) in args.load()? {
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
        super::note(&format!(
            "{}: ok — \"{}\", {} ({}), {points}{} × {} replication(s)",
            path.display(),
            scenario.name,
            scenario.duration,
            names.join(", "),
            names.len(),
            scenario.replications
        ));
    }
    Ok(())
}
