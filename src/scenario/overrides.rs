//! `--set path=value` overrides, using the scenario's own paths:
//! `workload.rate=30000`, `architecture.<name>.db.cores=16`,
//! `network.hop=exp(0.2ms)`. The value is read as a TOML value when it is
//! one (number, boolean, quoted string, array) and as a plain string
//! otherwise, so distributions need no quotes. A value is one value: it
//! cannot add tables or other keys.

use std::str::FromStr;

use super::{Scenario, ScenarioError};
use crate::arch::registry::shorthand_field;

#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub path: Vec<String>,
    pub value: toml::Value,
    /// As typed, for error messages.
    pub text: String,
}

impl FromStr for Override {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (path, raw) = text
            .split_once('=')
            .ok_or_else(|| format!("\"{text}\" is not path=value, e.g. workload.rate=30000"))?;
        let path: Vec<String> = path
            .trim()
            .split('.')
            .map(|s| s.trim().to_string())
            .collect();
        if path.iter().any(|s| s.is_empty()) {
            return Err(format!("\"{text}\": the path has an empty part"));
        }
        let raw = raw.trim();
        Ok(Override {
            path,
            value: parse_value(raw),
            text: text.to_string(),
        })
    }
}

/// A TOML value if `raw` is exactly one, else the text as a string.
fn parse_value(raw: &str) -> toml::Value {
    if !raw.contains(['\n', '\r']) {
        if let Ok(mut table) = toml::from_str::<toml::Table>(&format!("v = {raw}")) {
            if table.len() == 1 {
                if let Some(v) = table.remove("v") {
                    return v;
                }
            }
        }
    }
    toml::Value::String(raw.to_string())
}

impl Override {
    /// The path with an architecture's shorthand (`router`, `shards = 16`, …)
    /// spelled as the field it stands for, as the resolved scenario has it.
    fn canonical_path(&self, scenario: &Scenario) -> Vec<String> {
        let mut path = self.path.clone();
        if path.len() == 3 && path[0] == "architecture" {
            let kind = scenario.architecture(&path[1]).map(|a| a.kind());
            let long = kind.and_then(|k| shorthand_field(k, &path[2]));
            if let Some(long) = long {
                path.truncate(2);
                path.extend(long.iter().map(|p| p.to_string()));
            } else if path[2] == "shards" && self.value.is_integer() {
                path.push("count".to_string());
            }
        }
        path
    }

    /// The scenario with this override applied and checked again.
    pub fn apply(&self, scenario: &Scenario) -> Result<Scenario, ScenarioError> {
        let err = |message: String| ScenarioError::Override {
            set: self.text.clone(),
            message,
        };
        let mut root = toml::Table::try_from(scenario).map_err(|e| err(e.to_string()))?;
        let path = self.canonical_path(scenario);
        let (last, parents) = path.split_last().expect("paths are never empty");
        let mut table = &mut root;
        let mut walked = Vec::new();
        let mut parts = parents.iter();
        while let Some(part) = parts.next() {
            walked.push(part.as_str());
            let here = walked.join(".");
            if part == "architecture" {
                let name = parts.next().ok_or_else(|| {
                    err("name the architecture: architecture.<name>.<field>".to_string())
                })?;
                let names: Vec<&str> = scenario
                    .architectures
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect();
                let index = names.iter().position(|n| n == name).ok_or_else(|| {
                    err(format!(
                        "no architecture named \"{name}\"; this scenario has {}",
                        names.join(", ")
                    ))
                })?;
                walked.push(name);
                table = table
                    .get_mut("architecture")
                    .and_then(|v| v.as_array_mut())
                    .and_then(|a| a.get_mut(index))
                    .and_then(|v| v.as_table_mut())
                    .expect("architectures serialize as an array of tables");
                continue;
            }
            let entry = table
                .entry(part.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            table = match entry {
                toml::Value::Table(t) => t,
                toml::Value::Array(items) => {
                    let i = parts
                        .next()
                        .and_then(|s| s.parse::<usize>().ok())
                        .ok_or_else(|| {
                            err(format!(
                                "{here} is a list; follow it with an index, e.g. {here}.0"
                            ))
                        })?;
                    let len = items.len();
                    items
                        .get_mut(i)
                        .and_then(|v| v.as_table_mut())
                        .ok_or_else(|| {
                            err(format!(
                                "{here} has {len} entries; index {i} is out of range"
                            ))
                        })?
                }
                _ => return Err(err(format!("{here} is a value, not a section"))),
            };
        }
        table.insert(last.clone(), self.value.clone());
        let text = toml::to_string(&root).map_err(|e| err(e.to_string()))?;
        let mut applied = toml::from_str::<Scenario>(&text)
            .map_err(|e| err(e.message().trim_end().to_string()))?;
        if applied.workload.trace != scenario.workload.trace {
            return Err(err(
                "the trace is read with the file; name it in the scenario's [workload] trace"
                    .to_string(),
            ));
        }
        applied.workload.replay = scenario.workload.replay.clone();
        applied.workload.follow_trace();
        Ok(applied)
    }
}
