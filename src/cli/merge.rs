//! `archsim merge`: joins the slices of a sharded sweep into the results of
//! the whole sweep, the same bytes as one unsharded run.

use anyhow::{Context as _, bail};

use super::MergeArgs;
use crate::report::{Manifest, write_folder};
use crate::runner;
use crate::scenario::Scenario;
use crate::sweep;

pub fn merge(args: &MergeArgs) -> anyhow::Result<()> {
    let first = &args.folders[0];
    let scenario_file = first.join("scenario.toml");
    let scenario = Scenario::load(&scenario_file, &[])
        .with_context(|| format!("{} is not a sweep slice", first.display()))?;
    let expected = sweep::Expected::new(&scenario)?;
    let hash = expected.hash.clone();
    let points = expected.labels.len();
    let found = sweep::read_points(&args.folders, &expected)?;
    let missing: Vec<String> = (0..points)
        .filter(|i| !found.iter().any(|p| p.index == *i))
        .map(|i| i.to_string())
        .collect();
    if !missing.is_empty() {
        bail!(
            "{} of {} points are missing (indices {}); run the shards that hold them and \
             merge again",
            missing.len(),
            points,
            missing.join(", ")
        );
    }
    let files: Vec<(String, Vec<u8>)> = found
        .iter()
        .map(|p| {
            let mut text = serde_json::to_string(p).expect("a point serializes");
            text.push('\n');
            (format!("points/{:05}.json", p.index), text.into_bytes())
        })
        .collect();
    let results = runner::assemble(&scenario, found.into_iter().flat_map(|p| p.runs).collect());
    let manifest = Manifest {
        archsim_version: crate::VERSION.to_string(),
        scenario_file: scenario_file.display().to_string(),
        scenario_name: scenario.name.clone(),
        seed: scenario.seed,
        scenario_hash: hash,
        command_line: std::env::args().collect(),
    };
    let mut folder = super::run::results_folder(&scenario, &results, &manifest)?;
    folder.files.extend(files);
    let _lock = super::lock(&args.output, &scenario.name, args.quiet)?;
    let target = super::interrupt::uninterrupted(
        || write_folder(&args.output, &scenario.name, &folder),
        |target| format!("{} written", target.display()),
    )?;
    super::print_out(&args.format.exporter().render(&results)?)
        .context("the results folder is written: read the output there")?;
    if !args.quiet {
        super::note(&format!(
            "merged {} slices into {}/",
            args.folders.len(),
            target.display()
        ));
    }
    Ok(())
}
