//! Sweeps: every point of a scenario's `[sweep]` (and `--param`s) × every
//! architecture × replication, run on a rayon pool and written point by
//! point (`points/NNNNN.json`), so an interrupted sweep keeps what it
//! finished and `--resume` goes on from there. `--shard K/N` runs a
//! deterministic slice of the points (point i belongs to shard i mod N + 1),
//! and [`read_points`] joins slices written on several machines into the
//! same results as one unsharded sweep.

pub mod param;

use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

pub use param::Param;

use crate::report::RunResult;
use crate::scenario::{Point, Scenario};

/// The slice of a sweep's points one process runs: the `k`-th of `n`
/// (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub k: u32,
    pub n: u32,
}

impl Shard {
    pub const ALL: Shard = Shard { k: 1, n: 1 };

    /// Whether point `index` belongs to this shard.
    pub fn takes(&self, index: usize) -> bool {
        index % self.n as usize == (self.k - 1) as usize
    }

    pub fn is_all(&self) -> bool {
        self.n == 1
    }

    /// The shard of a job-array task, from its environment: Slurm
    /// (`SLURM_ARRAY_TASK_ID` from `SLURM_ARRAY_TASK_MIN`, default 0, of
    /// `SLURM_ARRAY_TASK_COUNT`) or a Kubernetes Indexed Job
    /// (`JOB_COMPLETION_INDEX` of `JOB_COMPLETIONS`, which the Job's
    /// manifest sets to its `completions`).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let num = |name: &str| -> Result<Option<u32>, String> {
            var(name)
                .map(|v| {
                    v.trim()
                        .parse::<u32>()
                        .map_err(|_| format!("{name}={v} is not a whole number"))
                })
                .transpose()
        };
        let (index, count, source) = if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let step = num("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
            let count = num("SLURM_ARRAY_TASK_COUNT")?
                .ok_or("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not")?;
            let offset = id
                .checked_sub(min)
                .ok_or("SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN")?;
            (offset / step, count, "Slurm")
        } else if let Some(index) = num("JOB_COMPLETION_INDEX")? {
            let count = num("JOB_COMPLETIONS")?.ok_or(
                "JOB_COMPLETION_INDEX is set but JOB_COMPLETIONS is not; set it in the Job's \
                 env to its `completions`",
            )?;
            (index, count, "Kubernetes")
        } else {
            return Err(
                "--shard auto needs a Slurm array task (SLURM_ARRAY_TASK_ID, \
                        SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job \
                        (JOB_COMPLETION_INDEX, JOB_COMPLETIONS)"
                    .to_string(),
            );
        };
        if count == 0 || index >= count {
            return Err(format!(
                "{source} task {index} of {count} is not a valid slice"
            ));
        }
        Ok(Shard {
            k: index + 1,
            n: count,
        })
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(text: &str) -> Result<Shard, String> {
        if text == "auto" {
            return Shard::from_env(|name| std::env::var(name).ok());
        }
        let usage = || format!("\"{text}\" is not K/N (e.g. 2/8) or auto");
        let (k, n) = text.split_once('/').ok_or_else(usage)?;
        let (k, n) = (
            k.trim().parse::<u32>().map_err(|_| usage())?,
            n.trim().parse::<u32>().map_err(|_| usage())?,
        );
        if n == 0 || k == 0 || k > n {
            return Err(format!("shard {k}/{n}: K runs from 1 to N"));
        }
        Ok(Shard { k, n })
    }
}

/// One finished point of a sweep, as written to `points/NNNNN.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PointFile {
    /// The resolved scenario's hash: points of another scenario never mix.
    pub scenario_hash: String,
    pub index: usize,
    /// Points in the whole sweep.
    pub points: usize,
    pub runs: Vec<RunResult>,
}

/// The folder of point files inside a results (or staging) folder.
pub fn points_dir(folder: &Path) -> PathBuf {
    folder.join("points")
}

/// Writes a finished point (temporary file, then rename: a point file is
/// whole or absent).
pub fn write_point(folder: &Path, point: &PointFile) -> anyhow::Result<()> {
    let dir = points_dir(folder);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let target = dir.join(format!("{:05}.json", point.index));
    let mut text = serde_json::to_string(point)?;
    text.push('\n');
    crate::report::write_file(&target, text.as_bytes())
        .with_context(|| format!("cannot write {}", target.display()))
}

/// What the point files of one sweep must hold: the scenario's hash, and
/// per point its label and the runs (architecture, replication) in the
/// order a sweep writes them.
pub struct Expected {
    pub hash: String,
    pub labels: Vec<Point>,
    pub runs: Vec<(String, u32)>,
}

impl Expected {
    /// The points of `scenario` (expanded from its sweep).
    pub fn new(scenario: &Scenario) -> Result<Expected, crate::scenario::ScenarioError> {
        Ok(Expected {
            hash: scenario.hash(),
            labels: scenario.points()?.into_iter().map(|(l, _)| l).collect(),
            runs: scenario
                .architectures
                .iter()
                .flat_map(|a| (0..scenario.replications).map(|r| (a.name.clone(), r)))
                .collect(),
        })
    }

    /// Why `point` is not one of this sweep's points, if it is not.
    fn problem(&self, point: &PointFile) -> Option<String> {
        let hash = &self.hash;
        if point.scenario_hash != *hash {
            return Some(format!(
                "belongs to another scenario (hash {}…, expected {}…); sweep slices must come \
                 from the same scenario file, --set and --param",
                point.scenario_hash.chars().take(12).collect::<String>(),
                &hash[..12.min(hash.len())]
            ));
        }
        let Some(label) = self.labels.get(point.index) else {
            return Some(format!(
                "is point {} of a sweep of {} points (0 to {})",
                point.index,
                self.labels.len(),
                self.labels.len() - 1
            ));
        };
        if point.points != self.labels.len() {
            return Some(format!(
                "says the sweep has {} points; it has {}",
                point.points,
                self.labels.len()
            ));
        }
        if point.runs.len() != self.runs.len() {
            return Some(format!(
                "holds {} runs; a point has {} (architectures × replications)",
                point.runs.len(),
                self.runs.len()
            ));
        }
        let runs = point.runs.iter().zip(&self.runs);
        if let Some((run, (name, r))) = runs
            .clone()
            .find(|(run, (name, r))| run.architecture != *name || run.replication != *r)
        {
            return Some(format!(
                "holds a run of \"{}\" replication {} where the sweep has \"{name}\" \
                 replication {r}",
                run.architecture, run.replication
            ));
        }
        if let Some((run, _)) = runs.clone().find(|(run, _)| run.point != *label) {
            return Some(format!(
                "holds a run labelled {:?}; point {} is {:?}",
                run.point, point.index, label
            ));
        }
        None
    }
}

/// The point files in `folders` (each a results folder with `points/`),
/// each checked to be a point of the sweep `expected` describes, by index
/// (a point present twice is taken once). A file that is not (another
/// scenario's, an index past the end, runs missing or relabelled) is
/// refused with what is wrong with it.
pub fn read_points(folders: &[PathBuf], expected: &Expected) -> anyhow::Result<Vec<PointFile>> {
    let mut found: Vec<PointFile> = Vec::new();
    for folder in folders {
        let dir = points_dir(folder);
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        for path in names {
            let text = fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let point: PointFile = serde_json::from_str(&text).with_context(|| {
                format!("{} is not a sweep point file; remove it", path.display())
            })?;
            if let Some(problem) = expected.problem(&point) {
                bail!(
                    "{} {problem}; it is not a point of this sweep: remove it (or run without \
                     --resume to start over)",
                    path.display()
                );
            }
            if !found.iter().any(|p| p.index == point.index) {
                found.push(point);
            }
        }
    }
    found.sort_by_key(|p| p.index);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_the_points_and_read_job_arrays() {
        let s: Shard = "2/3".parse().unwrap();
        let mine: Vec<usize> = (0..8).filter(|&i| s.takes(i)).collect();
        assert_eq!(mine, [1, 4, 7]);
        assert!("0/3".parse::<Shard>().is_err() && "4/3".parse::<Shard>().is_err());
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let slurm = Shard::from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
        ]));
        assert_eq!(slurm, Ok(Shard { k: 5, n: 8 }));
        // --array=0-6:2: tasks 0, 2, 4, 6 are slices 1 to 4.
        let stepped = Shard::from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]));
        assert_eq!(stepped, Ok(Shard { k: 3, n: 4 }));
        let k8s = Shard::from_env(env(&[
            ("JOB_COMPLETION_INDEX", "0"),
            ("JOB_COMPLETIONS", "4"),
        ]));
        assert_eq!(k8s, Ok(Shard { k: 1, n: 4 }));
        assert!(Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "0")])).is_err());
        assert!(Shard::from_env(env(&[])).is_err());
    }
}
