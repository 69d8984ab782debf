//! `archsim capacity`: the highest load each architecture carries within the
//! SLO, what limits it, and the growth ladder; written as a results folder.

use anyhow::Context as _;

use super::{CapacityArgs, CapacityFormat};
use crate::capacity::{self, Search};
use crate::report::{Ladder, Manifest, ResultsFolder, ladder_chart_files, write_folder};
use crate::scenario::Slo;

pub fn capacity(args: &CapacityArgs) -> anyhow::Result<()> {
    let mut scenario = args.scenario.load()?;
    let asked = Slo {
        latency: args.latency.clone(),
        failed: args.max_failed,
        freshness: args.freshness.clone(),
        anomalies: args.anomalies.clone(),
    };
    scenario.slo = scenario.slo.overridden_by(&asked);
    super::check_memory(&scenario, args.jobs)?;
    let _lock = super::lock(&args.output, &scenario.name, args.quiet)?;
    let target = args.output.join(&scenario.name);
    super::interrupt::on_interrupt(format!("{} is as it was before", target.display()));
    super::interrupt::remove_on_interrupt(crate::report::staging_path(
        &args.output,
        &scenario.name,
    ));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .context("cannot start the worker threads; try a smaller --jobs")?;
    if !args.quiet {
        super::note(&format!(
            "searching the capacity of {} at {} ({} architecture(s) × {} replication(s), \
             {} simulated per run)…",
            scenario.name,
            scenario.slo.budgets().join(", "),
            scenario.architectures.len(),
            scenario.replications,
            scenario.warmup.duration() + scenario.duration
        ));
    }
    let search = Search {
        tolerance: args.tolerance.0,
        ..Search::default()
    };
    let progress = super::spinner(args.quiet);
    let ladder =
        pool.install(|| capacity::capacity(&scenario, &scenario.slo, search, &|| progress.inc(1)))?;
    progress.finish_and_clear();

    let manifest = Manifest {
        archsim_version: crate::VERSION.to_string(),
        scenario_file: args.scenario.file.display().to_string(),
        scenario_name: scenario.name.clone(),
        seed: scenario.seed,
        scenario_hash: scenario.hash(),
        command_line: std::env::args().collect(),
    };
    let folder = ladder_folder(&scenario, &ladder, &manifest)?;
    let written = super::interrupt::uninterrupted(
        || write_folder(&args.output, &scenario.name, &folder),
        |target| format!("{} finished and written", target.display()),
    )?;
    let text = match args.format {
        CapacityFormat::Table => ladder.to_text(),
        CapacityFormat::Json => json(&ladder)?,
        CapacityFormat::Markdown => ladder.to_markdown(),
    };
    super::print_out(&text).context("the results folder is written: read the output there")?;
    if !args.quiet {
        super::note(&format!("wrote {}/", written.display()));
    }
    Ok(())
}

fn json(ladder: &Ladder) -> anyhow::Result<String> {
    let mut text = serde_json::to_string_pretty(ladder)?;
    text.push('\n');
    Ok(text)
}

/// The ladder's own files: `capacity.json`, `capacity.md` and its charts.
pub(super) fn ladder_files(ladder: &Ladder) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut files = vec![
        ("capacity.json".to_string(), json(ladder)?.into_bytes()),
        ("capacity.md".to_string(), ladder.to_markdown().into_bytes()),
    ];
    files.extend(ladder_chart_files(ladder)?);
    Ok(files)
}

/// The files of a capacity folder: the ladder as JSON and Markdown, its
/// charts, the resolved scenario (its `[slo]` included) and the manifest.
pub(super) fn ladder_folder(
    scenario: &crate::scenario::Scenario,
    ladder: &Ladder,
    manifest: &Manifest,
) -> anyhow::Result<ResultsFolder> {
    let mut files = ladder_files(ladder)?;
    files.push(("scenario.toml".to_string(), scenario.to_toml().into_bytes()));
    let mut manifest_json = serde_json::to_string_pretty(manifest)?;
    manifest_json.push('\n');
    files.push(("manifest.json".to_string(), manifest_json.into_bytes()));
    Ok(ResultsFolder { files })
}
