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
    /// `scenario` with every override applied in order. Shares of the
    /// operation mix are the exception: the shares the overrides name are
    /// set, and the kinds they do not name are rescaled together to fill
    /// the rest, keeping their proportions — so `workload.mix.put=0.2` works
    /// on any mix. The whole mix then takes the place of the first share
    /// override.
    pub fn apply_all(
        overrides: &[Override],
        scenario: &Scenario,
    ) -> Result<Scenario, ScenarioError> {
        let shares: Vec<&Override> = overrides
            .iter()
            .filter(|o| o.mix_share().is_some())
            .collect();
        let mut applied = scenario.clone();
        let mut mix_done = false;
        for o in overrides {
            if o.mix_share().is_none() {
                applied = o.apply(&applied)?;
            } else if !mix_done {
                mix_done = true;
                applied = Override::rescaled_mix(&shares, &applied)?.apply(&applied)?;
            }
        }
        Ok(applied)
    }

    /// The kind this override sets a share of (`workload.mix.<kind>`).
    fn mix_share(&self) -> Option<&str> {
        match self.path.as_slice() {
            [w, m, kind] if w == "workload" && m == "mix" => Some(kind),
            _ => None,
        }
    }

    /// One override of the whole `workload.mix`: the shares `set` name,
    /// and the other kinds of `scenario`'s mix scaled to fill the rest.
    fn rescaled_mix(set: &[&Override], scenario: &Scenario) -> Result<Override, ScenarioError> {
        let text = set
            .iter()
            .map(|o| o.text.as_str())
            .collect::<Vec<_>>()
            .join(" --set ");
        let err = |message: String| ScenarioError::Override {
            set: text.clone(),
            message,
        };
        let mut named = toml::Table::new();
        for o in set {
            let kind = o.mix_share().expect("a share override");
            let share = match &o.value {
                toml::Value::Float(f) => *f,
                toml::Value::Integer(i) => *i as f64,
                other => {
                    return Err(err(format!(
                        "a share is a number from 0 to 1, found {other}"
                    )));
                }
            };
            if !(0.0..=1.0).contains(&share) {
                return Err(err(format!(
                    "the share of {kind} is {share}; shares are from 0 to 1"
                )));
            }
            named.insert(kind.to_string(), toml::Value::Float(share));
        }
        let fixed: f64 = named.values().filter_map(toml::Value::as_float).sum();
        let others: Vec<(String, f64)> = scenario
            .workload
            .mix
            .shares()
            .filter(|(k, _)| !named.contains_key(k.name()))
            .map(|(k, s)| (k.name().to_string(), s))
            .collect();
        let rest: f64 = others.iter().map(|(_, s)| s).sum();
        let left = 1.0 - fixed;
        if left < -crate::workload::Mix::TOLERANCE {
            return Err(err(format!(
                "the shares set sum to {}, more than 1",
                round_share(fixed)
            )));
        }
        if rest <= 0.0 && left.abs() > crate::workload::Mix::TOLERANCE {
            return Err(err(format!(
                "the shares set sum to {}, and the mix has no other kind to take the remaining \
                 {}; set the shares of all kinds so they sum to 1",
                round_share(fixed),
                round_share(left)
            )));
        }
        let mut mix = named;
        for (kind, share) in others {
            mix.insert(kind, toml::Value::Float(round_share(share / rest * left)));
        }
        Ok(Override {
            path: vec!["workload".to_string(), "mix".to_string()],
            value: toml::Value::Table(mix),
            text,
        })
    }

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
        for rule in super::presets(&scenario.workload) {
            let sets = |p: &[&str]| {
                path.len() >= p.len() && path.iter().zip(p.iter()).all(|(a, b)| a == b)
            };
            if let Some(field) = rule.fields.iter().find(|p| sets(p)) {
                return Err(err(format!(
                    "{} sets {}; remove the preset from the scenario and write the workload \
                     out to vary it",
                    rule.name,
                    field[1..].join(".")
                )));
            }
        }
        table.insert(last.clone(), self.value.clone());
        let text = toml::to_string(&root).map_err(|e| err(e.to_string()))?;
        let mut applied = toml::from_str::<Scenario>(&text)
            .map_err(|e| err(super::error::plain(e.message().trim_end())))?;
        applied.keep_sizes_given(scenario, &path);
        applied
            .resolve_sizes("", "")
            .map_err(|e| err(e.message()))?;
        if applied.workload.trace != scenario.workload.trace {
            return Err(err(
                "the trace is read with the file; name it in the scenario's [workload] trace"
                    .to_string(),
            ));
        }
        applied.workload.replay = scenario.workload.replay.clone();
        applied.workload.follow_trace();
        let rules = super::presets(&applied.workload);
        if rules.len() > 1 {
            return Err(err(
                "give either `ycsb` or `tpcc`: each sets the whole mix".to_string()
            ));
        }
        for rule in rules {
            if applied.workload.trace.is_some() {
                return Err(err(
                    "a trace brings its own operations; give either `trace` or a preset"
                        .to_string(),
                ));
            }
            (rule.apply)(&mut applied.workload);
        }
        Ok(applied)
    }
}

/// A share to 12 decimals: rescaling leaves no float noise
/// (`0.30000000000000004`) in the resolved scenario.
fn round_share(x: f64) -> f64 {
    (x * 1e12).round() / 1e12
}
