//! The shape of `results.json`. Field names carry their unit and are kept
//! stable: other tools read them.

use serde::{Deserialize, Serialize};

pub use crate::arch::{Footprint, Latency, RunResult, SyncPath};
use crate::scenario::Scenario;

/// Everything one `archsim run` of a scenario produced.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Results {
    pub archsim_version: String,
    pub scenario: ScenarioInfo,
    /// One per sweep point × architecture × replication, in scenario order.
    pub runs: Vec<RunResult>,
    /// With replications: each architecture at each point over its
    /// replications (mean and 95 % confidence half-width of every figure).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub summaries: Vec<super::Summary>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScenarioInfo {
    pub name: String,
    pub description: String,
    pub seed: u64,
    /// SHA-256 of the resolved scenario (`scenario.toml` in the folder).
    pub hash: String,
    pub duration_s: f64,
    pub warmup_s: f64,
    /// The warm-up is picked per point by MSER-5 (each run's `warmup_s`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub warmup_auto: bool,
    pub replications: u32,
    /// Offered load, operations per second (before any load profile).
    pub rate_per_s: f64,
    /// Swept parameters, in sweep order (none without a sweep).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub swept: Vec<String>,
}

impl ScenarioInfo {
    pub fn new(scenario: &Scenario) -> ScenarioInfo {
        ScenarioInfo {
            name: scenario.name.clone(),
            description: scenario.description.clone(),
            seed: scenario.seed,
            hash: scenario.hash(),
            duration_s: scenario.duration.as_secs_f64(),
            warmup_s: scenario.warmup.duration().as_secs_f64(),
            warmup_auto: scenario.warmup == crate::scenario::Warmup::Auto,
            replications: scenario.replications,
            rate_per_s: scenario.workload.rate,
            swept: scenario.sweep.0.iter().map(|(p, _)| p.clone()).collect(),
        }
    }
}

/// `manifest.json`: how to reproduce a results folder.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub archsim_version: String,
    pub scenario_file: String,
    pub scenario_name: String,
    pub seed: u64,
    pub scenario_hash: String,
    /// The command line that produced the folder, program name first.
    pub command_line: Vec<String>,
}

/// Why a `results.json` cannot be drawn from.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("it is not an archsim results file ({0})")]
    Json(#[from] serde_json::Error),
    #[error("{path}: {why}")]
    Value { path: String, why: String },
}

/// Largest magnitude of any figure of a results file (a year in
/// nanoseconds is 3e16; no figure archsim writes comes near).
const MAX_FIGURE: f64 = 1e17;
/// Smallest magnitude of a figure that is not 0: below it the value is
/// noise (or a denormal a chart's log axis would spend minutes on).
const MIN_FIGURE: f64 = 1e-30;
/// Longest string of a results file (names, labels, descriptions).
const MAX_TEXT: usize = 4096;
/// Most windows one run's time series may have.
const MAX_WINDOWS: usize = 1_000_000;

impl Results {
    /// Every run's notes as "architecture: note", each once, in run order
    /// (replications and sweep points often repeat one).
    pub fn notes(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.runs {
            // At a sweep point, the point too: "polyglot at workload.rate = 50000".
            let mut at = r.architecture.clone();
            for (path, value) in &r.point {
                at += &format!(" at {path} = {value}");
            }
            for n in &r.notes {
                let line = format!("{at}: {n}");
                if !out.contains(&line) {
                    out.push(line);
                }
            }
        }
        out
    }

    /// Reads a `results.json`, possibly edited by hand, checking what the
    /// charts rely on: every figure finite and in range, strings of
    /// reasonable length, each run's time series of one length and span,
    /// an `all` latency summary, numeric sweep values finite.
    pub fn from_json(text: &str) -> Result<Results, LoadError> {
        let value: serde_json::Value = serde_json::from_str(text)?;
        check_value(&value, &mut String::new())?;
        let results: Results = serde_json::from_value(value)?;
        let bad = |path: String, why: String| Err(LoadError::Value { path, why });
        let points = results
            .runs
            .iter()
            .map(|r| &r.point)
            .chain(results.summaries.iter().map(|s| &s.point))
            .enumerate();
        for (i, point) in points {
            if let Some((k, v)) = point
                .iter()
                .find(|(_, v)| v.parse::<f64>().is_ok_and(|x| !x.is_finite()))
            {
                return bad(
                    format!("point {i}, {k}"),
                    format!("the swept value \"{v}\" is not a finite number"),
                );
            }
        }
        for (i, run) in results.runs.iter().enumerate() {
            if !run.latency.0.contains_key("all") {
                return bad(
                    format!("runs[{i}].latency"),
                    "has no \"all\" summary".into(),
                );
            }
            let s = &run.series;
            let n = s.throughput_per_s.len();
            if [s.p99_ms.len(), s.errors.len(), s.anomalies.len()] != [n, n, n] || n > MAX_WINDOWS {
                return bad(
                    format!("runs[{i}].series"),
                    format!(
                        "its series have {}, {}, {} and {} windows; they have one length, at \
                         most {MAX_WINDOWS}",
                        n,
                        s.p99_ms.len(),
                        s.errors.len(),
                        s.anomalies.len()
                    ),
                );
            }
            let span = s.window_s * n as f64;
            if !(s.window_s > 0.0 && span <= crate::sim::time::MAX_DURATION_NS * 2.0 / 1e9) {
                return bad(
                    format!("runs[{i}].series.window_s"),
                    format!(
                        "{} s windows × {n} span more than a run may last",
                        s.window_s
                    ),
                );
            }
        }
        Ok(results)
    }
}

/// Checks every number and string under `value`; `path` names the place.
fn check_value(value: &serde_json::Value, path: &mut String) -> Result<(), LoadError> {
    use serde_json::Value;
    let bad = |path: &str, why: String| {
        Err(LoadError::Value {
            path: if path.is_empty() {
                "the file".into()
            } else {
                path.to_string()
            },
            why,
        })
    };
    match value {
        // Whole numbers (counts, seeds) are exact and any size.
        Value::Number(n) if n.is_f64() => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            if !x.is_finite() || x.abs() > MAX_FIGURE || (x != 0.0 && x.abs() < MIN_FIGURE) {
                return bad(
                    path,
                    format!(
                        "{n} is out of range (figures are 0 or between {MIN_FIGURE:e} and {MAX_FIGURE:e} in size)"
                    ),
                );
            }
        }
        Value::String(s) if s.chars().count() > MAX_TEXT => {
            return bad(
                path,
                format!(
                    "a text of {} characters (at most {MAX_TEXT})",
                    s.chars().count()
                ),
            );
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check_value(item, path)?;
                path.truncate(len);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                if key.chars().count() > MAX_TEXT {
                    return bad(
                        path,
                        format!(
                            "a key of {} characters (at most {MAX_TEXT})",
                            key.chars().count()
                        ),
                    );
                }
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                check_value(item, path)?;
                path.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}
