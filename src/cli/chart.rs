//! `archsim chart`: draws a results folder's charts again from its
//! `results.json`, without running anything.

use std::fs;

use anyhow::Context as _;

use super::ChartArgs;
use crate::report::{Results, chart_files};

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
        for (name, bytes) in chart_files(&results)? {
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
