//! `--ycsb FILE -p key=value`: a YCSB workload file as the workload of the
//! scenarios given, or of all five architectures when none is.

use std::path::{Path, PathBuf};

use crate::arch::registry::KINDS;
use crate::scenario::{Override, Scenario};
use crate::workload::ycsb::{Properties, YcsbWorkload};

/// The scenarios with the YCSB workload of `file` (after the `-p`
/// `properties`), then `user`'s overrides (`--set`, `--seed`), which win.
pub fn load(
    file: &Path,
    properties: &[String],
    scenarios: &[PathBuf],
    user: &[Override],
) -> anyhow::Result<Vec<(PathBuf, Scenario)>> {
    let mut props = Properties::read(file)?;
    for p in properties {
        props.set(p)?;
    }
    let workload = props.workload()?;
    let origin = file.display().to_string();
    let fields: Vec<Override> = workload
        .fields()
        .into_iter()
        .map(|(path, value)| from_file(&path, value, &origin))
        .collect();
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = if name.is_empty() {
        "ycsb".to_string()
    } else {
        name
    };
    let builtin = five_architectures(&origin);
    let load_one = |path: Option<&Path>, extra: &[Override]| -> anyhow::Result<Scenario> {
        let all: Vec<Override> = fields.iter().chain(extra).chain(user).cloned().collect();
        Ok(match path {
            Some(p) => Scenario::load(p, &all)?,
            None => Scenario::from_toml(&builtin, &origin, &name, &all)?,
        })
    };
    let targets: Vec<Option<&Path>> = if scenarios.is_empty() {
        vec![None]
    } else {
        scenarios.iter().map(|p| Some(p.as_path())).collect()
    };
    let mut out = Vec::new();
    for target in targets {
        // The duration (operationcount at the rate) and the counters (as
        // many as records) follow the scenario's final rate and keys: from
        // the file when it gives them, else from a first reading.
        let guess = derived(&workload, workload.target, workload.records, user, &origin);
        let first = load_one(target, &guess)?;
        let w = &first.workload;
        let extra = derived(&workload, Some(w.rate), Some(w.keys), user, &origin);
        let scenario = if extra == guess {
            first
        } else {
            load_one(target, &extra)?
        };
        out.push((target.unwrap_or(file).to_path_buf(), scenario));
    }
    Ok(out)
}

/// The fields that follow the final rate and keys: the duration of
/// `operationcount` (or `maxexecutiontime`) and, with read-modify-writes, as
/// many counters as keys; none that `user` sets itself.
fn derived(
    workload: &YcsbWorkload,
    rate: Option<f64>,
    keys: Option<u64>,
    user: &[Override],
    origin: &str,
) -> Vec<Override> {
    let sets = |path: &[&str]| user.iter().any(|o| o.path == path);
    let mut out = Vec::new();
    if !sets(&["duration"]) {
        let duration = match rate {
            Some(rate) => workload.duration(rate),
            None => workload.max_time,
        };
        if let Some(d) = duration {
            out.push(from_file(
                "duration",
                toml::Value::String(d.to_string()),
                origin,
            ));
        }
    }
    if let (true, Some(keys), false) = (
        workload.has_rmw(),
        keys,
        sets(&["workload", "entities", "counters"]),
    ) {
        out.push(from_file(
            "workload.entities.counters",
            toml::Value::Integer(keys as i64),
            origin,
        ));
    }
    out
}

fn from_file(path: &str, value: toml::Value, origin: &str) -> Override {
    let shown = match &value {
        toml::Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    Override {
        path: path.split('.').map(str::to_string).collect(),
        text: format!("{path}={shown} (from {origin})"),
        value,
    }
}

/// The scenario a YCSB file runs in when no scenario is given: every
/// architecture with its defaults.
fn five_architectures(origin: &str) -> String {
    let mut text = format!(
        "description = \"YCSB workload {} on the five architectures, each with its defaults\"\n",
        origin.replace(['\\', '"'], "_")
    );
    for kind in &KINDS {
        text += &format!("\n[[architecture]]\nkind = \"{}\"\n", kind.name);
    }
    text
}
