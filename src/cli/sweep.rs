//! `archsim sweep`: every point of a scenario's sweep, written point by
//! point; `--resume` goes on after an interruption, `--shard` runs a slice.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rayon::prelude::*;

use super::SweepArgs;
use crate::arch::Recording;
use crate::report::{Manifest, ResultsFolder, write_folder};
use crate::runner;
use crate::sweep::{self, PointFile};

pub fn sweep(args: &SweepArgs) -> anyhow::Result<()> {
    let mut overrides = args.overrides.clone();
    if let Some(seed) = args.seed {
        overrides.push(format!("seed={seed}").parse().map_err(anyhow::Error::msg)?);
    }
    let (file, loaded) = match (&args.ycsb, &args.scenario) {
        (Some(ycsb), scenario) => {
            let given: Vec<PathBuf> = scenario.iter().cloned().collect();
            super::ycsb::load(ycsb, &args.properties, &given, &overrides)?
                .pop()
                .expect("one scenario per file")
        }
        (None, Some(path)) => (
            path.clone(),
            crate::scenario::Scenario::load(path, &overrides)?,
        ),
        (None, None) => unreachable!("clap requires a scenario or --ycsb"),
    };
    let origin = file.display().to_string();
    let params: Vec<(String, Vec<toml::Value>)> = args
        .params
        .iter()
        .map(|p| (p.path.clone(), p.values.clone()))
        .collect();
    let scenario = super::only(loaded, &args.only)?.with_params(&origin, &params)?;
    super::check_memory(&scenario, args.jobs)?;
    let shard = args.shard.unwrap_or(sweep::Shard::ALL);
    let mut paths: Vec<&str> = Vec::new();
    for p in &args.params {
        if paths.contains(&p.path.as_str()) {
            anyhow::bail!(
                "--param {} is given twice; give all its values in one --param, e.g. {}=a,b,c",
                p.path,
                p.path
            );
        }
        paths.push(&p.path);
    }
    let points = scenario.points()?;
    let expected = sweep::Expected::new(&scenario)?;
    let hash = expected.hash.clone();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .context("cannot start the worker threads; try a smaller --jobs")?;

    // Points go to a staging folder beside the results; an interrupted
    // sweep leaves them there for --resume.
    fs::create_dir_all(&args.output)
        .with_context(|| format!("cannot create {}", args.output.display()))?;
    // Each shard has its own staging and result folders: shards may share
    // one output folder.
    let name = if shard.is_all() {
        scenario.name.clone()
    } else {
        format!("{}.shard-{}-of-{}", scenario.name, shard.k, shard.n)
    };
    let staging = args.output.join(format!(".{name}.sweep"));
    let finished = args.output.join(&name);
    // The staging folder and the results are this process's alone.
    let _lock = super::lock(&args.output, &name, args.quiet)?;
    super::interrupt::on_interrupt(format!(
        "the points finished so far are kept in {}; run the same command with --resume to go \
         on. {} is as it was",
        staging.display(),
        finished.display()
    ));
    if !args.resume && staging.exists() {
        fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot clear {}", staging.display()))?;
    }
    let done: Vec<usize> = if args.resume {
        sweep::read_points(&[staging.clone(), finished.clone()], &expected)?
            .into_iter()
            .filter(|p| shard.takes(p.index))
            .map(|p| {
                let index = p.index;
                sweep::write_point(&staging, &p).map(|()| index)
            })
            .collect::<anyhow::Result<_>>()?
    } else {
        Vec::new()
    };
    let todo: Vec<usize> = (0..points.len())
        .filter(|&i| shard.takes(i) && !done.contains(&i))
        .collect();
    let per_point = scenario.architectures.len() * scenario.replications as usize;
    if !args.quiet {
        let mine = (0..points.len()).filter(|&i| shard.takes(i)).count();
        super::note(&format!(
            "sweeping {}: {} of {} points{}{} ({} simulations each)…",
            scenario.name,
            todo.len(),
            points.len(),
            if shard.is_all() {
                String::new()
            } else {
                format!(" in shard {}/{} ({mine} points)", shard.k, shard.n)
            },
            if done.is_empty() {
                String::new()
            } else {
                format!(", {} already done", done.len())
            },
            per_point
        ));
    }
    let progress = super::progress(todo.len() * per_point, args.quiet);
    let tick = || progress.inc(1);
    pool.install(|| {
        todo.par_iter().try_for_each(|&i| {
            let (label, point) = &points[i];
            let runs = runner::run_point(label, point, Recording::default(), &tick);
            sweep::write_point(
                &staging,
                &PointFile {
                    scenario_hash: hash.clone(),
                    index: i,
                    points: points.len(),
                    runs,
                },
            )
        })
    })?;
    progress.finish_and_clear();

    let command_line: Vec<String> = std::env::args().collect();
    let manifest = Manifest {
        archsim_version: crate::VERSION.to_string(),
        scenario_file: origin.clone(),
        scenario_name: scenario.name.clone(),
        seed: scenario.seed,
        scenario_hash: hash.clone(),
        command_line,
    };
    let all = sweep::read_points(std::slice::from_ref(&staging), &expected)?;
    let mine = (0..points.len()).filter(|&i| shard.takes(i)).count();
    if all.len() != mine {
        anyhow::bail!(
            "{} holds {} of the {mine} points this sweep ran; something removed the others \
             while it ran. Nothing was assembled; run the same command with --resume to \
             finish them",
            staging.display(),
            all.len()
        );
    }
    let mut folder = point_files(&staging)?;
    if shard.is_all() {
        let results = runner::assemble(&scenario, all.into_iter().flat_map(|p| p.runs).collect());
        folder
            .files
            .extend(super::run::results_folder(&scenario, &results, &manifest)?.files);
        let target = write_whole(&args.output, &scenario.name, &folder, &staging)?;
        super::print_out(&args.format.exporter().render(&results)?)
            .context("the results folder is written: read the output there")?;
        if !args.quiet {
            super::note(&format!("wrote {}/", target.display()));
        }
    } else {
        let mut manifest_json = serde_json::to_string_pretty(&manifest)?;
        manifest_json.push('\n');
        folder
            .files
            .push(("manifest.json".to_string(), manifest_json.into_bytes()));
        folder
            .files
            .push(("scenario.toml".to_string(), scenario.to_toml().into_bytes()));
        let target = write_whole(&args.output, &name, &folder, &staging)?;
        if !args.quiet {
            super::note(&format!(
                "wrote shard {}/{} ({} points) to {}/; join the shards with archsim merge",
                shard.k,
                shard.n,
                all.len(),
                target.display()
            ));
        }
    }
    Ok(())
}

/// Writes the sweep's results folder, then removes its staging folder, with
/// interruptions held back until both are done.
fn write_whole(
    root: &Path,
    name: &str,
    folder: &ResultsFolder,
    staging: &Path,
) -> anyhow::Result<std::path::PathBuf> {
    super::interrupt::uninterrupted(
        || {
            let target = write_folder(root, name, folder)?;
            fs::remove_dir_all(staging).ok();
            Ok(target)
        },
        |target| format!("{} finished and written", target.display()),
    )
}

/// The point files of a staging folder, as files of a results folder.
fn point_files(staging: &Path) -> anyhow::Result<ResultsFolder> {
    let mut files = Vec::new();
    let dir = sweep::points_dir(staging);
    if let Ok(entries) = fs::read_dir(&dir) {
        let mut names: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        for path in names {
            let name = path.file_name().expect("a file").to_string_lossy();
            files.push((format!("points/{name}"), fs::read(&path)?));
        }
    }
    Ok(ResultsFolder { files })
}
