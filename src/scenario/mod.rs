//! Scenario files: the TOML schema, its defaults, validation with file
//! positions, and `--set` overrides.
//!
//! A scenario names only what it varies; every other field has a default,
//! documented on the field with its source (see PARAMETERS in the README).
//! Unknown fields are errors.

mod error;
pub mod memory;
mod overrides;
pub mod slo;
mod sweep;
mod warmup;

use std::path::Path;

use documented::DocumentedFields;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

pub use crate::arch::{
    AnalyticsOn, ArchKind, ArchitectureConfig, CacheConfig, CacheStart, Compute, CoordinatorConfig,
    CrossShard, DbConfig, Delays, DocstoreConfig, ENTRY_OVERHEAD, Invalidate, PartitionsConfig,
    Placement, RaftReads, ReadRouting, ReplicasConfig, ShardsConfig, StoresConfig, Sync,
};
pub use crate::model::network::NetworkConfig;
pub use crate::workload::{EntitiesConfig, Mix, Phase, ProbeSession, WorkloadConfig};
pub use error::ScenarioError;
pub use overrides::Override;
pub use slo::Slo;
pub use sweep::{Point, Sweep, display as display_value};
pub use warmup::Warmup;

use crate::arch::registry;
pub use crate::dist::checks::MAX_KEYS;
pub(crate) use crate::dist::checks::{self, positive_duration};
/// Sizes in bytes: the one parser of scenario fields and `archsim init`.
pub use crate::dist::size;
use crate::sim::SimDuration;

/// A whole scenario, as read from a file and completed with defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, DocumentedFields)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name of the results folder (`results/<name>/`): letters, digits, `-`, `_`, `.`. Default: the file's stem.
    #[serde(default, deserialize_with = "folder_name")]
    pub name: String,
    /// One line on what the scenario shows, carried into the results.
    #[serde(default)]
    pub description: String,
    /// Seed of every random stream. Default 1.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Measured simulated time, after the warm-up. Default "60s".
    #[serde(default = "default_duration", deserialize_with = "positive_duration")]
    pub duration: SimDuration,
    /// Simulated time before measurement starts; operations starting in it are not measured. "auto" picks it from a pilot run of each architecture (MSER-5 truncation of the completions' latencies; the longest for all). Default "5s".
    #[serde(default = "default_warmup")]
    pub warmup: Warmup,
    /// Independent runs per architecture, each with its own seed derived from `seed`, 1 to 1000. Default 1.
    #[serde(
        default = "default_replications",
        deserialize_with = "replication_count"
    )]
    pub replications: u32,
    /// Stop a run whose backlog (operations in flight or waiting) grows for a fifth of the measured duration, and report it saturated, instead of simulating its growing queue to the end: the operations it never served count as failed at the client's whole wait. false runs every overloaded run to the end (slow). Default true.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub stop_saturated: bool,
    /// The clients' operation stream.
    #[serde(default)]
    pub workload: WorkloadConfig,
    /// The network between components.
    #[serde(default)]
    pub network: NetworkConfig,
    /// The architectures compared, each run on the same operation stream.
    #[serde(rename = "architecture", default, deserialize_with = "distinct_names")]
    pub architectures: Vec<ArchitectureConfig>,
    /// Faults injected into every architecture: what goes wrong, when, for how long, and the role it hits (see `archsim list`). Default: none.
    #[serde(rename = "fault", default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<crate::faults::Fault>,
    /// The service-level objective: the budgets a run must meet for its load to count as carried (`archsim capacity`, the growth ladder, the review's knee). Default: p99 ≤ 5 ms.
    #[serde(default, skip_serializing_if = "Slo::is_default")]
    pub slo: Slo,
    /// Parameters to sweep: scenario paths (as `--set` takes them) to lists of values; every point of their cartesian product runs every architecture, first path slowest. Default: none.
    #[serde(default, skip_serializing_if = "Sweep::is_empty")]
    pub sweep: Sweep,
}

/// Most architectures one scenario compares.
pub const MAX_ARCHITECTURES: usize = 64;
/// Most operations one run may generate (about an hour and a half of one
/// core at 2 million operations per second).
pub const MAX_OPERATIONS_PER_RUN: f64 = 1e10;
/// Most operations all the runs of a scenario may generate.
pub const MAX_OPERATIONS: f64 = 1e11;

fn default_seed() -> u64 {
    1
}
fn default_duration() -> SimDuration {
    SimDuration::from_secs(60)
}
fn default_warmup() -> Warmup {
    Warmup::Fixed(SimDuration::from_secs(5))
}
fn default_replications() -> u32 {
    1
}
fn yes() -> bool {
    true
}
fn is_yes(b: &bool) -> bool {
    *b
}

fn replication_count<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    checks::u32_in(d, 1..=1000, |v| {
        format!("expected from 1 to 1000 replications, found {v}")
    })
}

fn folder_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let name = String::deserialize(d)?;
    if is_folder_name(&name) {
        Ok(name)
    } else {
        Err(D::Error::custom(format!(
            "scenario name \"{name}\" cannot name a results folder; use letters, digits, '-', '_' \
             and '.', not starting with '.'"
        )))
    }
}

fn is_folder_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn distinct_names<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ArchitectureConfig>, D::Error> {
    let mut archs = Vec::<ArchitectureConfig>::deserialize(d)?;
    for a in &mut archs {
        if a.name.is_empty() {
            a.name = a.kind().name().to_string();
        }
    }
    for (i, a) in archs.iter().enumerate() {
        if !is_folder_name(&a.name) || a.name.contains('.') {
            return Err(D::Error::custom(format!(
                "architecture name \"{}\" is not usable in paths and --set; use letters, \
                 digits, '-' and '_'",
                a.name
            )));
        }
        if archs[..i].iter().any(|b| b.name == a.name) {
            return Err(D::Error::custom(format!(
                "two architectures are named \"{}\"; give each [[architecture]] of one kind its own `name`",
                a.name
            )));
        }
    }
    Ok(archs)
}

impl Scenario {
    /// Reads `path`, applies `overrides` in order, and checks the result.
    pub fn load(path: &Path, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
        let text = read_capped(path)?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Scenario::from_toml(&text, &path.display().to_string(), &stem, overrides)
    }

    /// Parses scenario text; `origin` names it in errors and `default_name`
    /// is used when the text has no `name`.
    pub fn from_toml(
        text: &str,
        origin: &str,
        default_name: &str,
        overrides: &[Override],
    ) -> Result<Scenario, ScenarioError> {
        let mut scenario: Scenario =
            toml::from_str(text).map_err(|e| ScenarioError::from_toml(origin, text, &e))?;
        let folder = Path::new(origin).parent().unwrap_or(Path::new(""));
        scenario.workload.load_trace(folder).map_err(|message| {
            ScenarioError::at_path(origin, text, &["workload", "trace"], message)
        })?;
        follow_preset(&mut scenario, origin, text)?;
        scenario.resolve_sizes(origin, text)?;
        if scenario.name.is_empty() {
            if !is_folder_name(default_name) {
                return Err(ScenarioError::Invalid {
                    origin: origin.to_string(),
                    message: format!(
                        "the file name \"{default_name}\" cannot name a results folder; add a \
                         `name = \"...\"` line (letters, digits, '-', '_', '.')"
                    ),
                });
            }
            scenario.name = default_name.to_string();
        }
        scenario.check(origin, text)?;
        scenario = Override::apply_all(overrides, &scenario)?;
        if !overrides.is_empty() {
            // Checked once all are applied, so their order does not matter.
            scenario
                .check(origin, "")
                .map_err(|e| ScenarioError::Override {
                    set: overrides
                        .iter()
                        .map(|o| o.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" --set "),
                    message: e.message(),
                })?;
        }
        scenario.set_aside_inserts();
        scenario.check_sweep(origin, text)?;
        Ok(scenario)
    }

    /// The scenario with more swept parameters (`--param`): a path already
    /// swept takes the new values, a new path is swept after the others;
    /// every point is checked.
    pub fn with_params(
        mut self,
        origin: &str,
        params: &[(String, Vec<toml::Value>)],
    ) -> Result<Scenario, ScenarioError> {
        for (path, values) in params {
            match self.sweep.0.iter_mut().find(|(p, _)| p == path) {
                Some((_, old)) => *old = values.clone(),
                None => self.sweep.0.push((path.clone(), values.clone())),
            }
        }
        self.check_sweep(origin, "")?;
        Ok(self)
    }

    /// Every point of the sweep: its label and its scenario (the scenario
    /// itself, with an empty label, without a sweep).
    pub fn points(&self) -> Result<Vec<(Point, Scenario)>, ScenarioError> {
        if self.sweep.is_empty() {
            return Ok(vec![(Point::new(), self.clone())]);
        }
        let mut base = self.clone();
        base.sweep = Sweep::default();
        self.sweep
            .points()
            .into_iter()
            .map(|overrides| {
                let mut point = base.clone();
                point = Override::apply_all(&overrides, &point)?;
                point
                    .check(&self.name, "")
                    .map_err(|e| ScenarioError::Override {
                        set: overrides
                            .iter()
                            .map(|o| o.text.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        message: e.message(),
                    })?;
                Ok((Sweep::label(&overrides), point))
            })
            .collect()
    }

    /// Checks every swept value on its own (placing an error on its line),
    /// then every point.
    fn check_sweep(&self, origin: &str, text: &str) -> Result<(), ScenarioError> {
        if self.sweep.is_empty() {
            return Ok(());
        }
        let points = self.sweep.len();
        if points > sweep::MAX_POINTS {
            return Err(ScenarioError::at_path(
                origin,
                text,
                &["sweep"],
                format!(
                    "the sweep has {points} points; at most {} are run at once — split it \
                     into several scenarios",
                    sweep::MAX_POINTS
                ),
            ));
        }
        let mut base = self.clone();
        base.sweep = Sweep::default();
        for (path, values) in &self.sweep.0 {
            let from_trace = path == "workload.rate"
                || path == "workload.trace"
                || path.starts_with("workload.mix");
            if self.workload.replay.is_some() && from_trace {
                return Err(ScenarioError::at_path(
                    origin,
                    text,
                    &["sweep", path],
                    format!(
                        "\"{path}\" comes from the trace; sweep workload.speed to replay it \
                         faster or slower"
                    ),
                ));
            }
            for value in values {
                let o = Override {
                    path: path.split('.').map(str::to_string).collect(),
                    value: value.clone(),
                    text: format!("{path}={value}"),
                };
                let checked = Override::apply_all(std::slice::from_ref(&o), &base)
                    .and_then(|s| s.check(origin, ""));
                if let Err(e) = checked {
                    return Err(ScenarioError::at_path(
                        origin,
                        text,
                        &["sweep", path],
                        format!("sweep \"{path}\" = {value}: {}", e.message()),
                    ));
                }
            }
        }
        self.points().map(|_| ())
    }

    /// The work of one run — the operations it generates at the highest
    /// rate any phase reaches, and the setup of its keys, once and again
    /// for each fault (a crash or flush may touch every copy) — and the
    /// number of runs: (operations, setup, runs).
    pub fn work(&self) -> (f64, f64, f64) {
        let w = &self.workload;
        let end = self.warmup.duration() + self.duration;
        let peak = w.phases.iter().map(|p| p.rate).fold(w.rate, f64::max);
        let operations = peak * end.as_secs_f64() * (1.0 + w.probe_share * w.probes.len() as f64);
        let setup =
            crate::workload::KeySpace::new(w).total() as f64 * (1 + self.faults.len()) as f64;
        let runs = self.architectures.len() as f64
            * f64::from(self.replications)
            * self.sweep.len().max(1) as f64;
        (operations, setup, runs)
    }

    /// Whole-scenario checks that no single field can make. `text` is the
    /// file, to place an error on its line (empty after overrides).
    fn check(&self, origin: &str, text: &str) -> Result<(), ScenarioError> {
        if self.architectures.is_empty() {
            return Err(ScenarioError::Invalid {
                origin: origin.to_string(),
                message: "the scenario has no [[architecture]]; add at least one, for example\n\n\
                          [[architecture]]\nkind = \"single\""
                    .to_string(),
            });
        }
        let w = &self.workload;
        if w.mix.share(crate::workload::OpKind::Transfer) > 0.0 && w.entities.accounts < 2 {
            return Err(ScenarioError::at_path(
                origin,
                text,
                &["workload", "entities", "accounts"],
                "transfers need at least 2 accounts; raise workload.entities.accounts".to_string(),
            ));
        }
        if self.architectures.len() > MAX_ARCHITECTURES {
            return Err(ScenarioError::at_path(
                origin,
                text,
                &["architecture"],
                format!(
                    "{} architectures; at most {MAX_ARCHITECTURES} are compared in one scenario — \
                     split it",
                    self.architectures.len()
                ),
            ));
        }
        let end = self.warmup.duration() + self.duration;
        if let Some((i, p)) = w.phases.iter().enumerate().find(|(_, p)| p.at >= end) {
            return Err(ScenarioError::at_path(
                origin,
                text,
                &["workload", "phase", &i.to_string(), "at"],
                format!(
                    "the phase begins at {} but the run ends at {end} (warm-up + duration); move \
                     it earlier or lengthen the run",
                    p.at
                ),
            ));
        }
        w.check_trace().map_err(|message| {
            ScenarioError::at_path(origin, text, &["workload", "trace"], message)
        })?;
        // The work of one run: the operations it generates, at the highest
        // rate any phase reaches, and the setup of its keys, once and again
        // for each fault (a crash or flush may touch every copy); and over
        // all runs. Refused before hours of work.
        let peak = w.phases.iter().map(|p| p.rate).fold(w.rate, f64::max);
        let (operations, setup, runs) = self.work();
        let per_run = operations + setup;
        if per_run > MAX_OPERATIONS_PER_RUN || per_run * runs > MAX_OPERATIONS {
            return Err(ScenarioError::at_path(
                origin,
                text,
                &["workload", "rate"],
                format!(
                    "{per_run:.3e} operations per run ({peak:.3e} ops/s at most over {end}, plus \
                     {setup:.3e} to set up the keys, once and for each of {} faults) and \
                     {:.3e} over all {runs} runs; at about 2 million operations per second per \
                     core that is more than this tool runs at once (at most \
                     {MAX_OPERATIONS_PER_RUN:.0e} per run and {MAX_OPERATIONS:.0e} in all) — \
                     lower the rate, the duration, workload.keys, the faults, the replications \
                     or the sweep",
                    self.faults.len(),
                    per_run * runs
                ),
            ));
        }
        if w.probes.len() > 64 {
            return Err(ScenarioError::at_path(
                origin,
                text,
                &["workload", "probes"],
                format!("{} probe delays; at most 64 are supported", w.probes.len()),
            ));
        }
        for (i, arch) in self.architectures.iter().enumerate() {
            let index = i.to_string();
            for short in registry::shorthands() {
                let [table, field] =
                    registry::shorthand_field(arch.kind(), short).expect("a shorthand");
                let shorthand = ["architecture", index.as_str(), short];
                let long = ["architecture", index.as_str(), table, field];
                if error::has_path(text, &shorthand) && error::has_path(text, &long) {
                    return Err(ScenarioError::at_path(
                        origin,
                        text,
                        &shorthand,
                        format!(
                            "architecture \"{}\": {short} is given both at the top of the \
                             architecture and in [architecture.{table}]; keep one",
                            arch.name
                        ),
                    ));
                }
            }
            if let Some(op) = w.mix.kinds().find(|k| !arch.config.serves(*k)) {
                let stores = registry::entry(arch.kind()).tables.contains(&"stores");
                let or_stores = if stores
                    && !matches!(
                        op,
                        crate::workload::OpKind::DocGet | crate::workload::OpKind::DocPut
                    ) {
                    ", give it the specialized stores ([architecture.stores])"
                } else {
                    ""
                };
                return Err(ScenarioError::at_path(
                    origin,
                    text,
                    &["workload", "mix", op.name()],
                    format!(
                        "architecture \"{}\" (kind {}) has no store for {op} operations; \
                         remove {op} from the mix{or_stores} or remove the architecture from \
                         the scenario",
                        arch.name,
                        arch.kind()
                    ),
                ));
            }
            // The shorthand at the top of this architecture that the file
            // writes for `field` of `table` (any field when `None`).
            let shorthand_for = |table: &str, field: Option<&str>| {
                registry::shorthands().into_iter().find(|short| {
                    registry::shorthand_field(arch.kind(), short)
                        .is_some_and(|[t, f]| t == table && field.is_none_or(|x| x == f))
                        && error::has_path(text, &["architecture", index.as_str(), short])
                })
            };
            // Written by hand: a shorthand, or a table with some of its
            // fields; a resolved scenario writes every table in full.
            let full = toml::Table::try_from(ArchitectureConfig::new(arch.kind())).ok();
            let present = |table: &str| {
                let fields = full
                    .as_ref()
                    .and_then(|f| f.get(table))
                    .and_then(toml::Value::as_table)
                    .map_or(0, toml::Table::len);
                let written = error::key_count(text, &["architecture", index.as_str(), table]);
                shorthand_for(table, None).is_some()
                    || (error::has_path(text, &["architecture", index.as_str(), table])
                        && written < fields)
            };
            if let Some((field, message)) = arch.contradictions(present) {
                let mut path = vec!["architecture", index.as_str()];
                // A field the file sets only through a shorthand is placed on
                // the shorthand's line.
                let table_written = error::has_path(text, &[path[0], path[1], field[0]]);
                let short = shorthand_for(field[0], field.get(1).copied())
                    .or_else(|| shorthand_for(field[0], None));
                match short {
                    Some(short) if !table_written => path.push(short),
                    _ => path.extend(field),
                }
                let message = format!("architecture \"{}\": {message}", arch.name);
                return Err(ScenarioError::at_path(origin, text, &path, message));
            }
        }
        self.check_faults(origin, text)
    }

    /// Each fault on its own, against the run's length, against every
    /// architecture's roles, and against the others on its target. Linear
    /// in the number of faults (but for faults that overlap in time), and
    /// the number is capped at [`MAX_FAULTS`].
    fn check_faults(&self, origin: &str, text: &str) -> Result<(), ScenarioError> {
        let at = |i: usize, field: &str, message: String| {
            let index = i.to_string();
            ScenarioError::at_path(origin, text, &["fault", index.as_str(), field], message)
        };
        if self.faults.len() > MAX_FAULTS {
            return Err(at(
                MAX_FAULTS,
                "at",
                format!(
                    "the scenario has {} faults; at most {MAX_FAULTS} are allowed (each \
                     one is a row of the results) — keep the ones the review needs",
                    self.faults.len()
                ),
            ));
        }
        let end = self.warmup.duration() + self.duration;
        let roles: Vec<_> = self
            .architectures
            .iter()
            .map(|a| (a, crate::arch::roles(a)))
            .collect();
        for (i, f) in self.faults.iter().enumerate() {
            if let Some((field, message)) = f.problem() {
                return Err(at(i, field, message));
            }
            if f.at >= end {
                return Err(at(
                    i,
                    "at",
                    format!(
                        "the fault begins at {} but the run ends at {end} (warm-up + duration); \
                         move it earlier or lengthen the run",
                        f.at
                    ),
                ));
            }
            if f.kind == crate::faults::FaultKind::SchemaChange
                && f.until() > crate::sim::SimTime::ZERO + end
            {
                return Err(at(
                    i,
                    "for",
                    format!(
                        "the schema change's consumers are deployed at {} but the run ends at \
                         {end} (warm-up + duration): its windows must close within the run to \
                         be reported — shorten `for`, move it earlier or lengthen the run",
                        f.at + f.lasts.unwrap_or_default()
                    ),
                ));
            }
            for (arch, roles) in &roles {
                let split_at = match f.target {
                    crate::faults::Role::Cache => crate::arch::ArchKind::Coordinator,
                    _ => crate::arch::ArchKind::Single,
                };
                if f.clients > 0.0 && arch.kind() != split_at {
                    let side = if split_at == crate::arch::ArchKind::Single {
                        "the old primary's side"
                    } else {
                        "the cut-off write-behind cache's side"
                    };
                    return Err(at(
                        i,
                        "clients",
                        format!(
                            "architecture \"{}\" (kind {}): a partition that leaves clients on \
                             {side} (split brain) is modelled for kind {split_at} only; remove \
                             `clients`, or leave this architecture out of the scenario",
                            arch.name,
                            arch.kind()
                        ),
                    ));
                }
                if f.kind == crate::faults::FaultKind::Reshard
                    && arch.kind() != crate::arch::ArchKind::Sharded
                {
                    return Err(at(
                        i,
                        "kind",
                        format!(
                            "architecture \"{}\" (kind {}) has no shards to add: a reshard is \
                             for kind sharded; leave this architecture out of the scenario",
                            arch.name,
                            arch.kind()
                        ),
                    ));
                }
                if let Err(why) = roles.check(&f.target, f.kind) {
                    return Err(at(
                        i,
                        "target",
                        format!(
                            "architecture \"{}\" (kind {}): {why}; retarget the fault or \
                             leave this architecture out of the scenario",
                            arch.name,
                            arch.kind()
                        ),
                    ));
                }
                if let Some((field, why)) = arch.config.check_fault(f) {
                    return Err(at(
                        i,
                        field,
                        format!("architecture \"{}\" (kind sharded): {why}", arch.name),
                    ));
                }
            }
        }
        if let Some((first, second)) = first_overlap(&self.faults) {
            let (f, other) = (&self.faults[second], &self.faults[first]);
            return Err(at(
                second,
                "at",
                format!(
                    "{} overlaps {} on the same component; one component takes one fault \
                     at a time — move one, or end the first before the second begins",
                    f.describe(),
                    other.describe()
                ),
            ));
        }
        Ok(())
    }

    /// Turns sizes in bytes into the counts the simulation uses:
    /// `workload.working_set` into `workload.keys` and each cache's
    /// `memory` into its `capacity`, at `workload.row_size`; the sizes are
    /// then dropped, so the resolved scenario shows the counts. A file that
    /// gives both forms of one quantity is refused at the size.
    pub(crate) fn resolve_sizes(&mut self, origin: &str, text: &str) -> Result<(), ScenarioError> {
        let both = |size: &[&str], count: &str| {
            let mut other: Vec<&str> = size[..size.len() - 1].to_vec();
            other.push(count);
            error::has_path(text, size) && error::has_path(text, &other)
        };
        let w = &mut self.workload;
        let row = w.row_size.0;
        if both(&["workload", "working_set"], "keys") {
            return Err(ScenarioError::at_path(
                origin,
                text,
                &["workload", "working_set"],
                "give the working set either in bytes (working_set) or in keys (keys), not both"
                    .to_string(),
            ));
        }
        if let Some(size) = w.working_set.take() {
            w.working_set_given = Some(size);
        }
        if let Some(size) = w.working_set_given {
            let keys = size.0.div_ceil(row).max(1);
            if keys > MAX_KEYS as u64 {
                return Err(ScenarioError::at_path(
                    origin,
                    text,
                    &["workload", "working_set"],
                    format!(
                        "a working set of {size} at {} a row is {keys} keys; at most {MAX_KEYS} \
                         are simulated — give a larger row_size or a smaller working_set",
                        w.row_size
                    ),
                ));
            }
            w.keys = keys;
        }
        for (i, arch) in self.architectures.iter_mut().enumerate() {
            let index = i.to_string();
            let memory = ["architecture", index.as_str(), "cache", "memory"];
            if both(&memory, "capacity") {
                return Err(ScenarioError::at_path(
                    origin,
                    text,
                    &memory,
                    format!(
                        "architecture \"{}\": give the cache either in bytes (memory) or in \
                         entries (capacity), not both",
                        arch.name
                    ),
                ));
            }
            if let Some(cache) = arch.cache_mut() {
                cache.resolve_memory(row);
            }
        }
        Ok(())
    }

    /// Keeps the sizes in bytes `before` was given (which its TOML, and so
    /// an override's round trip through it, no longer shows), unless the
    /// override at `path` gives the count instead: so `--set
    /// workload.row_size=2KB` on a scenario of `working_set = "10GB"`
    /// resolves to 5 M keys, and a cache's `memory` to entries of the new
    /// size.
    pub(crate) fn keep_sizes_given(&mut self, before: &Scenario, path: &[String]) {
        let sets = |p: &[&str]| path.len() == p.len() && path.iter().zip(p).all(|(a, b)| a == b);
        if !sets(&["workload", "keys"]) {
            self.workload.working_set_given = before.workload.working_set_given;
        }
        for (arch, old) in self.architectures.iter_mut().zip(&before.architectures) {
            let counted = sets(&["architecture", arch.name.as_str(), "cache", "capacity"]);
            let given = old.cache().and_then(|c| c.memory_given);
            if let Some(cache) = arch.cache_mut().filter(|_| !counted) {
                cache.memory_given = given;
            }
        }
    }

    /// The resolved scenario as TOML: every default written out.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a scenario always serializes")
    }

    /// SHA-256 of the resolved scenario, in hex: two runs with the same hash
    /// and seed produce the same results.
    pub fn hash(&self) -> String {
        let digest = Sha256::digest(self.to_toml().as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// With inserts in the mix and no `workload.inserts` given: sets aside
    /// as many keys as the inserts of the whole run need, at the highest
    /// rate of the load profile, over the warm-up (for `"auto"`, at most
    /// the pilot's `duration`) and the measured duration.
    fn set_aside_inserts(&mut self) {
        let w = &mut self.workload;
        let share = w.mix.share(crate::workload::OpKind::Insert);
        if share <= 0.0 || w.inserts > 0 {
            return;
        }
        let warmup = match self.warmup {
            Warmup::Fixed(d) => d,
            Warmup::Auto => self.duration,
        };
        let rate = w.phases.iter().map(|p| p.rate).fold(w.rate, f64::max);
        w.inserts = crate::workload::insert_slots(rate, warmup + self.duration, share);
    }

    /// What a run of one of its architectures is built against besides
    /// the architecture's own config.
    pub fn setting(&self) -> crate::arch::Setting<'_> {
        crate::arch::Setting {
            seed: self.seed,
            warmup: self.warmup.duration(),
            duration: self.duration,
            workload: &self.workload,
            network: &self.network,
            faults: &self.faults,
            stop_saturated: self.stop_saturated,
        }
    }

    pub fn architecture(&self, name: &str) -> Option<&ArchitectureConfig> {
        self.architectures.iter().find(|a| a.name == name)
    }
}

/// The largest scenario file: a scenario is a short TOML file, and this
/// keeps `archsim run /dev/zero` from reading until memory runs out.
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;

/// The text of the scenario file at `path`, refused past
/// [`MAX_SCENARIO_BYTES`] (reading stops there).
pub(crate) fn read_capped(path: &Path) -> Result<String, ScenarioError> {
    use std::io::Read as _;
    let read = |cause| ScenarioError::Read {
        path: path.to_path_buf(),
        cause,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_SCENARIO_BYTES + 1).read_to_end(&mut bytes))
        .map_err(read)?;
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(ScenarioError::TooLarge {
            path: path.to_path_buf(),
            limit: MAX_SCENARIO_BYTES,
        });
    }
    String::from_utf8(bytes)
        .map_err(|e| read(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

/// A workload preset the scenario names (`[workload] ycsb` or `tpcc`):
/// what it is called in messages, the fields it sets, and what to do
/// instead of writing one of them.
pub(super) struct PresetRule {
    pub(super) name: String,
    pub(super) fields: &'static [&'static [&'static str]],
    instead: &'static str,
    pub(super) apply: Box<dyn Fn(&mut WorkloadConfig)>,
}

/// The presets `w` names; at most one may be given.
pub(super) fn presets(w: &WorkloadConfig) -> Vec<PresetRule> {
    let mut rules = Vec::new();
    if let Some(preset) = w.ycsb {
        rules.push(PresetRule {
            name: format!("workload.ycsb = \"{preset}\""),
            fields: preset.fields(),
            instead: "remove `ycsb` and write the whole workload (or run a YCSB properties file \
                      with archsim run --ycsb FILE -p key=value)",
            apply: Box::new(move |w| apply_ycsb(preset, w)),
        });
    }
    if w.tpcc {
        rules.push(PresetRule {
            name: "workload.tpcc = true".to_string(),
            fields: TPCC_FIELDS,
            instead: "remove `tpcc` and write the whole workload",
            apply: Box::new(apply_tpcc),
        });
    }
    rules
}

/// Applies `[workload] ycsb` or `tpcc`: refuses a file that also writes
/// what the preset sets, both presets, or a preset and a trace, then sets
/// it.
fn follow_preset(scenario: &mut Scenario, origin: &str, text: &str) -> Result<(), ScenarioError> {
    let rules = presets(&scenario.workload);
    if rules.len() > 1 {
        return Err(ScenarioError::at_path(
            origin,
            text,
            &["workload", "tpcc"],
            "give either `ycsb` or `tpcc`: each sets the whole mix".to_string(),
        ));
    }
    let Some(rule) = rules.into_iter().next() else {
        return Ok(());
    };
    // A resolved scenario writes the preset's own values out: those agree.
    let mut expected = scenario.workload.clone();
    (rule.apply)(&mut expected);
    let w = &scenario.workload;
    for path in rule.fields {
        let agrees = match path.last() {
            Some(&"mix") => w.mix == expected.mix,
            Some(&"popularity") => w.popularity == expected.popularity,
            Some(&"locality") => w.locality == expected.locality,
            _ => w.entities.counters == expected.entities.counters,
        };
        if !agrees && error::has_path(text, path) {
            let field = path[1..].join(".");
            return Err(ScenarioError::at_path(
                origin,
                text,
                path,
                format!(
                    "{} sets {field}; remove {field} here, or {}",
                    rule.name, rule.instead
                ),
            ));
        }
    }
    if scenario.workload.trace.is_some() {
        let preset = if scenario.workload.tpcc {
            "tpcc"
        } else {
            "ycsb"
        };
        return Err(ScenarioError::at_path(
            origin,
            text,
            &["workload", preset],
            format!("a trace brings its own operations; give either `trace` or `{preset}`"),
        ));
    }
    (rule.apply)(&mut scenario.workload);
    Ok(())
}

/// Sets what a YCSB preset decides in `w` (see `Preset::fields`).
fn apply_ycsb(preset: crate::workload::ycsb::Preset, w: &mut WorkloadConfig) {
    w.mix = Mix::new(preset.mix()).expect("a preset's shares sum to 1");
    w.popularity = preset.popularity();
    if preset == crate::workload::ycsb::Preset::F {
        w.entities.counters = w.keys;
    }
}

/// The workload fields `tpcc = true` sets.
const TPCC_FIELDS: &[&[&str]] = &[
    &["workload", "mix"],
    &["workload", "locality"],
    &["workload", "popularity"],
];

/// Sets what the TPC-C preset decides in `w`: its mix, Payment's locality
/// (the others are TPC-C's own, see `workload::tpcc`) and uniform
/// popularity (a terminal's warehouse, district and rows are drawn
/// uniformly; NURand's mild skew over customers and items is not modelled).
fn apply_tpcc(w: &mut WorkloadConfig) {
    w.mix = Mix::new(crate::workload::tpcc::mix()).expect("TPC-C's shares sum to 1");
    w.locality = crate::workload::tpcc::PAYMENT_LOCALITY;
    w.popularity = crate::workload::Popularity::Uniform;
}

/// Most faults one scenario may have.
pub const MAX_FAULTS: usize = 1000;

/// The first two faults (in the order they begin; as scenario indices,
/// earlier first) that hit one component at overlapping times. A sweep over
/// the faults in time order compares each only with those still under way.
fn first_overlap(faults: &[crate::faults::Fault]) -> Option<(usize, usize)> {
    let mut order: Vec<usize> = (0..faults.len()).collect();
    order.sort_by_key(|&i| (faults[i].begins(), i));
    let mut under_way: Vec<usize> = Vec::new();
    for i in order {
        let f = &faults[i];
        under_way.retain(|&j| faults[j].until() > f.begins());
        if let Some(&j) = under_way.iter().find(|&&j| faults[j].overlaps(f)) {
            return Some((i.min(j), i.max(j)));
        }
        under_way.push(i);
    }
    None
}

/// Field documentation for `archsim list`: (field, doc) pairs of a section,
/// without the fields that are not options (state kept beside them, which
/// has no doc).
pub fn field_docs<T: DocumentedFields>() -> impl Iterator<Item = (&'static str, &'static str)> {
    T::FIELD_NAMES
        .iter()
        .copied()
        .zip(T::FIELD_DOCS.iter().copied())
        .filter(|(_, doc)| !doc.is_empty())
}
