//! `archsim run`: simulate, write the results folder, print the table.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;

use super::RunArgs;
use crate::arch::Recording;
use crate::report::{
    CsvExporter, Exporter, JsonExporter, Ladder, Manifest, MarkdownExporter, Results,
    ResultsFolder, Review, chart_files, write_folder,
};
use crate::runner;
use crate::scenario::Scenario;

pub fn run(args: &RunArgs) -> anyhow::Result<()> {
    // Read every scenario first: a typo in the last file stops the command
    // before anything runs or is written.
    let scenarios = args.scenario.load()?;
    if let Some(path) = &args.history {
        check_history_path(path)?;
    }
    for (i, (_, a)) in scenarios.iter().enumerate() {
        if let Some((p, _)) = scenarios[..i].iter().find(|(_, b)| b.name == a.name) {
            anyhow::bail!(
                "two scenarios are named \"{}\" ({} and another), and one would overwrite the \
                 other's results; give one a different `name` (or --set name=…)",
                a.name,
                p.display()
            );
        }
    }
    for (_, scenario) in &scenarios {
        super::check_memory(scenario, args.jobs)?;
    }
    // Every results folder is ours before anything runs: a second archsim
    // writing one of them is refused now, not after the simulations.
    let _locks = scenarios
        .iter()
        .map(|(_, s)| super::lock(&args.output, &s.name, args.quiet))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .context("cannot start the worker threads; try a smaller --jobs")?;
    let command_line: Vec<String> = std::env::args().collect();

    let mut written: Vec<String> = Vec::new();
    for (path, scenario) in &scenarios {
        let target = args.output.join(&scenario.name);
        let mut note = format!("{} is as it was before this run", target.display());
        if !written.is_empty() {
            note += &format!(" ({} finished and written)", written.join(", "));
        }
        super::interrupt::on_interrupt(note);
        super::interrupt::remove_on_interrupt(crate::report::staging_path(
            &args.output,
            &scenario.name,
        ));
        let runs =
            scenario.sweep.len() * scenario.architectures.len() * scenario.replications as usize;
        if !args.quiet {
            super::note(&format!(
                "running {} ({} run{}: {} simulated each)…",
                scenario.name,
                runs,
                if runs == 1 { "" } else { "s" },
                scenario.warmup.duration() + scenario.duration
            ));
        }
        let started = Instant::now();
        let recording = Recording {
            history_limit: args.history.as_ref().map(|_| args.history_limit),
            truncation: false,
        };
        let progress = super::progress(runs, args.quiet);
        let results =
            pool.install(|| runner::run_reporting(scenario, recording, &|| progress.inc(1)));
        progress.finish_and_clear();
        if !args.quiet {
            let notes = crate::report::terminal_notes(&results.notes());
            if !notes.is_empty() {
                super::note(&format!("{}\n", notes.trim_end()));
            }
        }
        if args.verbose {
            let events: u64 = results.runs.iter().map(|r| r.events).sum();
            let secs = started.elapsed().as_secs_f64();
            super::note(&format!(
                "  {events} events in {secs:.2} s wall time ({:.1} M events/s)",
                events as f64 / secs / 1e6
            ));
        }
        let manifest = Manifest {
            archsim_version: crate::VERSION.to_string(),
            scenario_file: path.display().to_string(),
            scenario_name: scenario.name.clone(),
            seed: scenario.seed,
            scenario_hash: results.scenario.hash.clone(),
            command_line: command_line.clone(),
        };
        let folder = results_folder(scenario, &results, &manifest)?;
        let target = super::interrupt::uninterrupted(
            || write_folder(&args.output, &scenario.name, &folder),
            |target| {
                written.push(target.display().to_string());
                format!("{} finished and written", written.join(", "))
            },
        )?;
        if let Some(path) = &args.history {
            write_histories(path, &results, args.quiet)?;
        }
        super::print_out(&args.format.exporter().render(&results)?)
            .context("the results folder is written: read the output there")?;
        if !args.quiet {
            super::note(&format!("wrote {}/", target.display()));
        }
    }
    Ok(())
}

/// Every file of a results folder, rendered in memory before anything is
/// written.
pub(super) fn results_folder(
    scenario: &Scenario,
    results: &Results,
    manifest: &Manifest,
) -> anyhow::Result<ResultsFolder> {
    let exporters: [&dyn Exporter; 3] = [&JsonExporter, &CsvExporter, &MarkdownExporter];
    let mut files = Vec::new();
    for e in exporters {
        files.push((e.file_name().to_string(), e.render(results)?.into_bytes()));
    }
    let charts = chart_files(results)?;
    files.extend(review_files(scenario, results, manifest, &charts)?);
    files.extend(charts);
    files.push(("scenario.toml".to_string(), scenario.to_toml().into_bytes()));
    let mut manifest_json = serde_json::to_string_pretty(manifest)?;
    manifest_json.push('\n');
    files.push(("manifest.json".to_string(), manifest_json.into_bytes()));
    Ok(ResultsFolder { files })
}

/// The review, `report.md` and `report.html` (with `charts` inline), of
/// `results`; for a sweep of `workload.rate`, the growth ladder read off it
/// too (`capacity.json`, `capacity.md` and its charts, in the review).
pub(super) fn review_files(
    scenario: &Scenario,
    results: &Results,
    manifest: &Manifest,
    charts: &[(String, Vec<u8>)],
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let ladder = Ladder::from_sweep(results, &scenario.slo);
    let mut files = Vec::new();
    if let Some(ladder) = &ladder {
        files.extend(super::capacity::ladder_files(ladder)?);
    }
    let stems: Vec<&str> = charts
        .iter()
        .chain(&files)
        .filter_map(|(name, _)| name.strip_suffix(".svg"))
        .collect();
    let review = Review::new(scenario, results, manifest, &stems, ladder.as_ref());
    let svg = |stem: &str| {
        charts
            .iter()
            .chain(&files)
            .find(|(name, _)| name == &format!("{stem}.svg"))
            .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
    };
    let reviews = vec![
        ("report.md".to_string(), review.to_markdown().into_bytes()),
        ("report.html".to_string(), review.to_html(svg).into_bytes()),
    ];
    files.extend(reviews);
    Ok(files)
}

/// Refuses a history path that cannot be written, before anything runs: a
/// missing folder, or anything but a regular file (see
/// `report::check_regular`).
fn check_history_path(path: &Path) -> anyhow::Result<()> {
    crate::report::check_regular(path).map_err(|e| anyhow::anyhow!("--history: {e}"))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        anyhow::bail!(
            "--history {}: the folder {} does not exist; create it or choose another path",
            path.display(),
            parent.display()
        );
    }
    Ok(())
}

/// Writes each run's history: to `path` for a single run, else to
/// `path.<architecture>.<replication>.jsonl`. Each file is written whole
/// (see `report::write_file`).
fn write_histories(path: &Path, results: &Results, quiet: bool) -> anyhow::Result<()> {
    let single = results.runs.len() == 1;
    for run in &results.runs {
        let Some(history) = &run.history else {
            continue;
        };
        let target = if single {
            path.to_path_buf()
        } else {
            let mut name = path.as_os_str().to_owned();
            name.push(format!(".{}.{}.jsonl", run.architecture, run.replication));
            PathBuf::from(name)
        };
        crate::report::write_file(&target, history.as_bytes())
            .with_context(|| format!("cannot write the history to {}", target.display()))?;
        if !quiet {
            super::note(&format!("wrote history {}", target.display()));
        }
    }
    Ok(())
}
