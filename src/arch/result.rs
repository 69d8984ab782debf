//! What one run of one architecture produced, and what the architecture is
//! made of: filled in by the run, written out by `report` (as the runs of
//! `results.json`). Field names carry their unit and are kept stable: other
//! tools read them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ArchKind;
use super::price::{Instances, PIPELINE_CORES};
use crate::check::{AnomalyReport, VisibilityReport};
use crate::metrics::{BusinessReport, ComponentStats, CoordinationReport, LatencySummary, round6};

/// Latency summaries keyed by operation kind, plus `"all"`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Latency(pub BTreeMap<String, LatencySummary>);

impl Latency {
    pub fn all(&self) -> &LatencySummary {
        self.0.get("all").expect("every run has an `all` summary")
    }

    /// `"all"` first, then the operation kinds in order.
    pub fn ordered(&self) -> impl Iterator<Item = (&str, &LatencySummary)> {
        let all = self.0.get_key_value("all");
        all.into_iter()
            .chain(self.0.iter().filter(|(k, _)| k.as_str() != "all"))
            .map(|(k, v)| (k.as_str(), v))
    }
}

/// One architecture, one replication, one sweep point.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunResult {
    pub architecture: String,
    pub kind: ArchKind,
    pub replication: u32,
    pub seed: u64,
    /// Swept parameter values of this point (empty without a sweep).
    pub point: BTreeMap<String, String>,
    /// Operations answered successfully per second of measured time
    /// (answered in the window, whenever they started).
    pub throughput_per_s: f64,
    /// Operations of the workload started in the window, per second of it,
    /// whatever became of them: the load offered.
    #[serde(default)]
    pub offered_ops_per_s: f64,
    /// Of those, the operations answered ok (within the client's timeout ×
    /// attempts, or it would have given up), per second: what the offered
    /// load got done. Well below `offered_ops_per_s` is an overloaded or
    /// failing system, whatever its latency percentiles.
    #[serde(default)]
    pub goodput_ops_per_s: f64,
    /// Share of the operations started in the window that were not
    /// answered ok (errors, timeouts, unfinished), 0..1: their client saw
    /// no answer, so their reads could not be checked for anomalies.
    /// Anomaly rates are per offered operation; read them with this beside.
    #[serde(default)]
    pub unchecked_share: f64,
    pub latency: Latency,
    pub components: BTreeMap<String, ComponentStats>,
    /// The component with the highest utilization: the first to saturate
    /// as load rises, and what a goodput below the offered load points at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busiest: Option<Busiest>,
    /// Present when the run was stopped early because its backlog grew for
    /// a sustained window: the load is beyond what the architecture
    /// completes. Its figures still cover the whole offered load: what was
    /// in flight at the stop counts as unfinished, what was still to arrive
    /// as timed out at the client's whole wait, so goodput is what got done
    /// before the stop (a lower bound) and the percentiles are lower bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saturated: Option<Saturation>,
    /// Consistency anomalies by class.
    pub anomalies: AnomalyReport,
    /// Business outcomes: transfers refused for balance, reservations
    /// refused for stock.
    #[serde(default)]
    pub business: BusinessReport,
    /// Probe t-visibility curve and copies' visibility lag.
    pub visibility: VisibilityReport,
    /// The systems an architecture runs and how data flows between them.
    pub footprint: Footprint,
    /// Coordination cost: messages, round trips, forced writes, locks, aborts.
    #[serde(default, skip_serializing_if = "CoordinationReport::is_empty")]
    pub coordination: CoordinationReport,
    /// The run over time: throughput, p99, errors and anomalies per window.
    #[serde(default)]
    pub series: crate::metrics::Series,
    /// Each fault of the scenario: its window, errors and p99 while it was
    /// on, the anomalies it caused, writes lost, transactions in doubt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<crate::faults::FaultReport>,
    /// The stage indicators read off this run: each figure with its
    /// threshold and whether it fired (see `report::indicators`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<Indicator>,
    /// Simulation events processed (arrivals included).
    pub events: u64,
    /// The warm-up of this run when the scenario picks it (`warmup = "auto"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup_s: Option<f64>,
    /// What a reader of the figures should know: a cache hit ratio or a
    /// copy's lag that had not settled by the end of the run, a TTL that
    /// caps the hit ratio well below what the capacity would give. Printed
    /// on stderr and in the report. Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// MSER-5's truncation point of a pilot run, in s.
    #[serde(skip)]
    pub truncation_s: Option<f64>,
    /// The client history in Elle JSON lines, when recorded (`--history`).
    #[serde(skip)]
    pub history: Option<String>,
}

/// Why a run was stopped early: its backlog — attempts the system held, in
/// flight or waiting, abandoned ones included — grew in every checkpoint
/// interval of a sustained window (the rule and its thresholds:
/// `sim::saturation`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Saturation {
    /// Simulated instant the run stopped, in s from its start (warm-up
    /// included).
    pub at_s: f64,
    /// Where the sustained growth began, in s from the start.
    pub since_s: f64,
    /// Attempts held when the run stopped.
    pub backlog: u64,
    /// How fast the backlog grew over the sustained window, operations/s.
    pub backlog_growth_per_s: f64,
    /// Share of the operations arriving in that window that the backlog
    /// kept, 0..1: the load beyond what the system completed, so its
    /// capacity is about (1 − this) × the offered load.
    pub excess_share: f64,
    /// Operations offered after the stop: never issued, each counted as
    /// timed out at its client's whole wait.
    pub unserved: u64,
}

impl Saturation {
    /// The figures of engine verdict `v`, with `unserved` operations
    /// offered after the stop.
    pub fn new(v: &crate::sim::Verdict, unserved: u64) -> Saturation {
        let round6 = crate::metrics::round6;
        let grew = v.backlog.saturating_sub(v.backlog_since) as f64;
        let secs = (v.at - v.since).as_secs_f64();
        Saturation {
            at_s: round6(v.at.as_nanos() as f64 / 1e9),
            since_s: round6(v.since.as_nanos() as f64 / 1e9),
            backlog: v.backlog,
            backlog_growth_per_s: round6(if secs > 0.0 { grew / secs } else { 0.0 }),
            excess_share: round6(if v.arrivals > 0 {
                grew / v.arrivals as f64
            } else {
                0.0
            }),
            unserved,
        }
    }
}

/// One stage indicator of a run: a sign that the architecture is leaving
/// the load it was built for, as a figure beside its threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    pub indicator: IndicatorKind,
    /// The component or copy it is about (`db`, `shard_2`, `replica_1`,
    /// `cache`), when it is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<String>,
    /// The figure: a utilization or share (0..1), or a lag or wait in ms
    /// (see `unit`). `None` when there is nothing to measure (a copy that
    /// received none of the writes).
    pub value: Option<f64>,
    /// `share` (0..1) or `ms`.
    pub unit: String,
    /// The value it fires beyond (above, or for a hit ratio below). `None`
    /// when it cannot be judged from this run alone (a hit ratio at the
    /// first point of a sweep, or without one).
    pub threshold: Option<f64>,
    pub fired: bool,
    /// What else it rests on: the run saturated with this component the
    /// busiest, a copy received none of the writes, the latency premium of
    /// crossing parts, the hit ratio it fell from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The stage indicators, in the order a review lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    DatabaseCpu,
    HitRatio,
    ReplicaLag,
    SyncLag,
    /// A CDC connector's backlog grows: the copy it feeds falls further
    /// behind every second.
    SyncBacklog,
    HotRows,
    CrossShard,
    Coordinator,
}

/// A run's most utilized component.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Busiest {
    /// Its name among the run's components (`db`, `cache`, `node_1`, …).
    pub name: String,
    /// Busy share of its servers over the window, 0..1.
    pub utilization: f64,
}

impl Busiest {
    /// The component of `components` with the highest utilization (the
    /// first by name of equals), if any has one.
    pub fn of(components: &BTreeMap<String, ComponentStats>) -> Option<Busiest> {
        let mut busiest: Option<(&String, f64)> = None;
        for (name, c) in components {
            if let Some(u) = c.utilization {
                if busiest.is_none_or(|(_, b)| u > b) {
                    busiest = Some((name, u));
                }
            }
        }
        busiest.map(|(name, utilization)| Busiest {
            name: name.clone(),
            utilization,
        })
    }
}

/// What an architecture is made of: the platforms a team operates, their
/// servers and what they cost to run, and, for the diagram, its systems
/// (boxes) and the paths that keep copies in sync (arrows).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Footprint {
    /// Kinds of system to operate — each a product to deploy, upgrade,
    /// monitor and be on call for: `database`, `cache`, `search`,
    /// `warehouse`, `session_store`, `directory`, `document_store`,
    /// `coordinator`, `read_model`, `event_log`, `cdc`, `event_bus`. Many
    /// shards or nodes of one database are one platform; an in-process
    /// cache is a library of the application, not a platform.
    #[serde(default)]
    pub platforms: u32,
    /// Servers over all platforms: primaries and replicas, shards and their
    /// replicas, cache servers and grid nodes, a quorum store's replicas,
    /// the coordinator, a colocated store's nodes. A pipeline the model
    /// runs without a server of its own (a CDC connector, an event bus, an
    /// event log) counts as one.
    #[serde(default)]
    pub nodes: u32,
    /// The servers of each platform, by platform.
    #[serde(default)]
    pub by_platform: BTreeMap<String, u32>,
    /// Every server priced by its cores (`arch::price`): nodes × the price
    /// per hour of the instance their cores need, in dollars; `None` when a
    /// node has more cores than the largest instance.
    #[serde(default)]
    pub cost_usd_per_hour: Option<f64>,
    /// The servers by platform and size, with their instance and price.
    #[serde(default)]
    pub instances: Vec<Instances>,
    /// The boxes of the diagram: servers, or groups of them (`shard_0`,
    /// `cache`, `replica_1`).
    pub systems: Vec<String>,
    pub sync: Vec<SyncPath>,
}

impl Footprint {
    /// Adds `nodes` servers of `cores` cores each to platform `platform` (a
    /// platform named again adds servers, not a platform).
    pub fn platform(&mut self, platform: &str, nodes: u32, cores: u32) {
        if nodes == 0 {
            return;
        }
        *self.by_platform.entry(platform.to_string()).or_default() += nodes;
        self.platforms = self.by_platform.len() as u32;
        self.nodes = self.by_platform.values().sum();
        self.instances.push(Instances::of(platform, nodes, cores));
        self.cost_usd_per_hour = self
            .instances
            .iter()
            .map(|i| i.usd_per_hour)
            .sum::<Option<f64>>()
            .map(round6);
    }

    /// Adds a pipeline the model runs without a server of its own (a CDC
    /// connector, an event bus, an event log): one node, priced at
    /// [`PIPELINE_CORES`] cores.
    pub fn pipeline(&mut self, platform: &str) {
        self.platform(platform, 1, PIPELINE_CORES);
    }

    /// Dollars per hour of running per 1,000 operations per second carried:
    /// what each unit of `capacity_ops_per_s` costs.
    pub fn cost_per_1k_ops_per_s(&self, capacity_ops_per_s: f64) -> Option<f64> {
        let cost = self.cost_usd_per_hour?;
        (capacity_ops_per_s > 0.0).then(|| round6(cost / (capacity_ops_per_s / 1000.0)))
    }
}

/// One arrow: data flows `from` → `to` by `via`. An end may be a pattern
/// (`shard_*`) standing for every system it matches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncPath {
    pub from: String,
    pub to: String,
    pub via: String,
}

impl SyncPath {
    pub fn new(from: &str, to: &str, via: impl Into<String>) -> SyncPath {
        SyncPath {
            from: from.to_string(),
            to: to.to_string(),
            via: via.into(),
        }
    }
}
