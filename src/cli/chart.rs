//! `archsim chart`: draws a results folder's charts again from its
//! `results.json`, without running anything, and the review
//! (`report.md`, `report.html`) with them, from the folder's resolved
//! `scenario.toml` and `manifest.json`.

use std::fs;

use anyhow::Context as _;

use super::ChartArgs;
use crate::report::{Manifest, Results, chart_files};
use crate::scenario::Scenario;

pub fn chart(args: &ChartArgs) -> anyhow::Result<()> {
    for folder in &args.folders {
        let path = folder.join("results.json");
        let text = fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read {}; give a folder written by archsim run or sweep",
                path.display()
            )
        })?;
        let results = Results::from_json(&text).with_context(|| {
            format!(
                "{} cannot be drawn from; run the scenario again (archsim run) to write it \
                 afresh",
                path.display()
            )
        })?;
        let charts = chart_files(&results)?;
        let mut files = review(folder, &results, &charts)?;
        files.extend(charts);
        for (name, bytes) in files {
            let target = folder.join(&name);
            crate::report::write_file(&target, &bytes)
                .with_context(|| format!("cannot write {}", target.display()))?;
            if !args.quiet {
                super::note(&format!("wrote {}", target.display()));
            }
        }
    }
    Ok(())
}

/// The review of the results in `folder`, drawn with `charts`; none, with
/// a note saying why, when the folder lacks its `scenario.toml` or
/// `manifest.json`.
fn review(
    folder: &std::path::Path,
    results: &Results,
    charts: &[(String, Vec<u8>)],
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let (scenario_path, manifest_path) =
        (folder.join("scenario.toml"), folder.join("manifest.json"));
    if !scenario_path.is_file() || !manifest_path.is_file() {
        super::note(&format!(
            "{} has no scenario.toml or manifest.json: report.md and report.html not redrawn",
            folder.display()
        ));
        return Ok(Vec::new());
    }
    let scenario = Scenario::load(&scenario_path, &[]).with_context(|| {
        format!(
            "cannot read {} to redraw the review; run the scenario again (archsim run)",
            scenario_path.display()
        )
    })?;
    let text = fs::read_to_string(&manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let manifest: Manifest = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a manifest archsim wrote; run the scenario again (archsim run)",
            manifest_path.display()
        )
    })?;
    super::run::review_files(&scenario, results, &manifest, charts)
}
