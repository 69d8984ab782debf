//! Faults: the scenario's `[[fault]]` list, the roles it targets, and the
//! schedule the engine delivers to an architecture.
//!
//! A fault is orthogonal to the architecture and the workload: it names a
//! *role* (`primary`, `cache`, `shard:2`, `leader:0`, `pipeline:search`, …),
//! each architecture says which roles it has (`arch::roles`) and which model
//! parts hold each, and the harness delivers the fault to those parts
//! (`harness::Part`: a paused station, an emptied cache, a stalled
//! pipeline). What needs a protocol (a failover that rolls the primary back
//! to a replica, an election) is the architecture's, beside its request
//! paths.
//!
//! Randomness contract: faults draw nothing. A fault begins at `at` and
//! ends `for` later, both exact instants of simulated time, so a scenario
//! with faults stays reproducible from its seed.

mod report;
mod role;

pub use report::{
    Effect, Effects, Failover, FaultReport, Migration, SchemaRollout, StoreWindow, report,
};
pub use role::{CACHE, PIPELINE, REPLICA, RESHARDABLE, Role, RoleSet, SERVER, SOURCE};

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

use crate::sim::{Edge, SimDuration, SimTime};

/// What goes wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The target stops: work arriving waits for the restart (clients time
    /// out and retry), and it restarts after `for` with what it had made
    /// durable — a cache restarts empty, a write-behind cache loses its
    /// unflushed writes, a primary with replicas fails over after
    /// `failover_after` and loses what the replica had not applied, a Raft
    /// leader's group elects a new leader.
    Crash,
    /// The network to the target drops messages for `for`: nothing reaches
    /// it and it answers nothing until the partition heals (clients time
    /// out and retry); nothing it holds is lost. A partitioned primary with
    /// replicas fails over like a crashed one; a partitioned Raft leader
    /// loses its leadership.
    Partition,
    /// The target's service times are multiplied by `factor` (a GC pause is
    /// `slow` with a huge factor).
    Slow,
    /// A replication path or pipeline stalls for `for` (a CDC connector
    /// down, a replica's apply stopped), or, with `factor`, its delays are
    /// multiplied by `factor`. What it missed is delivered when it resumes.
    Lag,
    /// A cache loses every entry at `at` (a cold start): the reads that
    /// follow miss and fall on the database.
    Flush,
    /// A sharded database grows to `shards` shards at `at`: new shards
    /// like the old ones join, and every key whose owner changes is copied
    /// from its old shard to its new one, `rate` keys a second (see
    /// `arch::sharded::reshard`). The migration runs until its last key
    /// has landed; it has no `for`.
    Reshard,
    /// A schema change at the source of record (target "primary") at `at`,
    /// which must reach every store fed from it. The source runs an online
    /// migration (a backfill rewriting rows beside the workload) for `for`,
    /// its service times multiplied by `factor` meanwhile; each derived
    /// store fed by a pipeline cannot apply changes written in the new
    /// schema until its consumer is deployed, `for` after `at`: its path
    /// stalls, or with `downstream = "reject"` the store drops them (see
    /// `harness::schema`).
    SchemaChange,
}

/// What a derived store's consumer does with changes in a new schema
/// before its deploy (`downstream` of a "schema_change").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Downstream {
    /// It stops at the first such change and resumes at its deploy: the
    /// store lags, then catches up.
    #[default]
    Stall,
    /// It drops each such change and goes on: the store diverges from the
    /// source until a backfill.
    Reject,
}

impl Downstream {
    pub fn name(self) -> &'static str {
        match self {
            Downstream::Stall => "stall",
            Downstream::Reject => "reject",
        }
    }
}

impl FaultKind {
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Crash => "crash",
            FaultKind::Partition => "partition",
            FaultKind::Slow => "slow",
            FaultKind::Lag => "lag",
            FaultKind::Flush => "flush",
            FaultKind::Reshard => "reshard",
            FaultKind::SchemaChange => "schema_change",
        }
    }
}

impl std::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One `[[fault]]` of a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, documented::DocumentedFields)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// When the fault begins, from the start of the run (warm-up included), e.g. "30s".
    pub at: SimDuration,
    /// How long it lasts; omitted, it lasts until the end of the run. Not used by `flush`, which is instantaneous.
    #[serde(
        rename = "for",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "positive_duration"
    )]
    pub lasts: Option<SimDuration>,
    /// What goes wrong: "crash", "partition", "slow", "lag", "flush", "reshard" or "schema_change".
    pub kind: FaultKind,
    /// The role it hits: "primary", "replica", "cache", "shard:<i>", "coordinator", "node:<i>", "leader:<partition>", "pipeline:<store>", "index", "warehouse", "session_store" (`archsim list` shows each architecture's roles).
    pub target: Role,
    /// For "slow": the multiplier of service times, above 1 (required). For "lag": the multiplier of the path's delays; omitted, the path stalls. For "schema_change": the multiplier of the source's service times while its online migration runs (`for`); default 1.25 — an estimate, a setting to vary: the backfill's throttle decides it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "factor"
    )]
    pub factor: Option<f64>,
    /// For a "partition" of "primary" (kind single): the share of clients left on the primary's side, from 0 to below 1. They still reach the old primary; the failure detector and the replicas do not, so a replica is promoted after `failover_after` while the old primary keeps serving them — two primaries accept writes (split brain) until the partition heals, unless `[architecture.replicas] fencing` stops it. For a "partition" of "cache" (kind coordinator with a write-behind cache): the share of clients still reaching the cache, which is cut off from the write model — it keeps accepting write-behind puts from them while the other clients, for whom the cache is down, write the write model directly; its flushes wait for the heal, when they land on keys the write model changed meanwhile, unless `[architecture.cache] fencing` says otherwise. Sessions are assigned in order: the first `clients` × `workload.sessions` are on the old primary's (or the cache's) side. Default 0 (the partition cuts the target off from everyone).
    #[serde(
        default,
        skip_serializing_if = "is_zero",
        deserialize_with = "client_share"
    )]
    pub clients: f64,
    /// For a "reshard" (of "primary", kind sharded): the shard count after it, above the count before (required). New shards are like the old ones (the same `[architecture.db]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shards: Option<u32>,
    /// For a "reshard": keys copied per second, the migration's throttle. Default 5,000 — an estimate, a setting to vary: online migrations are throttled to spare the workload (MongoDB's balancer, Vitess's VReplication copy), at rates that depend on row size and hardware.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "key_rate"
    )]
    pub rate: Option<f64>,
    /// For a "schema_change": what each derived store fed by a pipeline does with changes written in the new schema until its consumer is deployed, `for` after `at`: "stall" (its pipeline holds them, then catches up: the store lags) or "reject" (the store drops them: it diverges until a backfill). Default "stall".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downstream: Option<Downstream>,
}

/// A schema change's default multiplier of the source's service times
/// while its migration runs (see `Fault::factor`).
pub const SCHEMA_SLOWDOWN: f64 = 1.25;

/// A reshard's default throttle, keys per second (see `Fault::rate`).
pub const RESHARD_RATE: f64 = 5_000.0;

fn key_rate<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v = f64::deserialize(d)?;
    if v.is_finite() && v > 0.0 && v <= 1e9 {
        Ok(Some(v))
    } else {
        Err(D::Error::custom(format!(
            "expected keys copied per second, above 0 and at most 1e9, found {v}"
        )))
    }
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

fn client_share<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if v.is_finite() && (0.0..1.0).contains(&v) {
        Ok(v)
    } else {
        Err(D::Error::custom(format!(
            "expected a share of clients from 0 to below 1 (those still reaching the old \
             primary or the cut-off cache), found {v}"
        )))
    }
}

fn positive_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SimDuration>, D::Error> {
    crate::dist::checks::positive_duration(d).map(Some)
}

fn factor<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v = f64::deserialize(d)?;
    if v.is_finite() && v > 1.0 && v <= 1e9 {
        Ok(Some(v))
    } else {
        Err(D::Error::custom(format!(
            "expected a factor above 1 and at most 1e9 (a slow target's service times, or a \
             lagging path's delays, or a schema change's source's service times, are \
             multiplied by it), found {v}"
        )))
    }
}

impl Fault {
    /// When it begins.
    pub fn begins(&self) -> SimTime {
        SimTime::ZERO + self.at
    }

    /// When it ends (`None`: at the end of the run). A flush ends as it
    /// begins; so does a reshard, whose migration then runs on its own.
    pub fn ends(&self) -> Option<SimTime> {
        if self.is_instant() {
            return Some(self.begins());
        }
        self.lasts.map(|d| self.begins() + d)
    }

    /// Whether it happens at one instant (a flush, the start of a reshard).
    pub fn is_instant(&self) -> bool {
        matches!(self.kind, FaultKind::Flush | FaultKind::Reshard)
    }

    /// When it ends, or `FOREVER` when it lasts to the end of the run.
    pub fn until(&self) -> SimTime {
        self.ends().unwrap_or(crate::sim::FOREVER)
    }

    /// The multiplier of service times a `slow` fault applies, or a
    /// schema change's migration at the source (1 for any other).
    pub fn slowdown(&self) -> f64 {
        match self.kind {
            FaultKind::Slow => self.factor.unwrap_or(1.0),
            FaultKind::SchemaChange => self.factor.unwrap_or(SCHEMA_SLOWDOWN),
            _ => 1.0,
        }
    }

    /// Whether a schema change's derived stores drop what they cannot
    /// apply (else they stall).
    pub fn rejects(&self) -> bool {
        self.downstream == Some(Downstream::Reject)
    }

    /// How many of `sessions` are on the old primary's (or the cut-off
    /// cache's) side of a partition that leaves `clients` reaching it: the
    /// first ones, `clients` × `sessions` rounded to the nearest.
    pub fn old_side(&self, sessions: u32) -> u32 {
        (0..sessions)
            .take_while(|&s| f64::from(s) + 0.5 < self.clients * f64::from(sessions))
            .count() as u32
    }

    /// The old side's share of the clients, in % (rounded to 6 decimals),
    /// for the notes: `side` of `sessions` (see `old_side`).
    pub fn side_percent(side: u32, sessions: u32) -> f64 {
        crate::metrics::round6(f64::from(side) * 100.0 / f64::from(sessions))
    }

    /// Whether the target stops answering (a crash or a partition).
    pub fn stops(&self) -> bool {
        matches!(self.kind, FaultKind::Crash | FaultKind::Partition)
    }

    /// Whether `self` and `other` hit one component (see
    /// `Role::intersects`; a schema change reaches every pipeline too) at
    /// overlapping times.
    pub fn overlaps(&self, other: &Fault) -> bool {
        let end = |f: &Fault| f.ends().unwrap_or(SimTime(u64::MAX));
        let reaches = |f: &Fault, g: &Fault| {
            f.kind == FaultKind::SchemaChange && matches!(g.target, Role::Pipeline(_))
        };
        (self.target.intersects(&other.target) || reaches(self, other) || reaches(other, self))
            && !self.is_instant()
            && !other.is_instant()
            && self.begins() < end(other)
            && other.begins() < end(self)
    }

    /// "crash of shard:1 at 30s for 10s".
    pub fn describe(&self) -> String {
        let mut s = format!("{} of {} at {}", self.kind, self.target, self.at);
        if let Some(n) = self.shards {
            s = format!("{} to {n} shards at {}", self.kind, self.at);
        } else if !self.is_instant() {
            match self.lasts {
                Some(d) => s.push_str(&format!(" for {d}")),
                None => s.push_str(" until the end"),
            }
        }
        if let Some(f) = self.factor {
            s.push_str(&format!(" (×{f})"));
        }
        if let Some(d) = self.downstream {
            s.push_str(&format!(" (downstream {})", d.name()));
        }
        if self.clients > 0.0 {
            s.push_str(&format!(
                " ({}% of clients still reach it)",
                crate::metrics::round6(self.clients * 100.0)
            ));
        }
        s
    }

    /// What is wrong with this fault on its own, if anything: the field and
    /// the message.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        match self.kind {
            FaultKind::Slow if self.factor.is_none() => Some((
                "kind",
                "a \"slow\" fault needs `factor`, the multiplier of service times (e.g. \
                 factor = 10; a GC pause is a huge factor)"
                    .to_string(),
            )),
            FaultKind::Crash | FaultKind::Partition | FaultKind::Flush | FaultKind::Reshard
                if self.factor.is_some() =>
            {
                Some((
                    "factor",
                    format!(
                        "`factor` means nothing for a \"{}\" fault; it is for \"slow\", \"lag\" and \"schema_change\"",
                        self.kind
                    ),
                ))
            }
            _ if self.clients > 0.0
                && (self.kind != FaultKind::Partition
                    || !matches!(self.target, Role::Primary | Role::Cache)) =>
            {
                Some((
                    "clients",
                    "`clients` is for a \"partition\" of \"primary\" or \"cache\": the share \
                     of clients still reaching the old primary or the cut-off cache; remove it, \
                     or make the fault a partition of one of those"
                        .to_string(),
                ))
            }
            FaultKind::Reshard if self.shards.is_none() => Some((
                "kind",
                "a \"reshard\" needs `shards`, the shard count after it (e.g. shards = 12)"
                    .to_string(),
            )),
            FaultKind::Reshard if self.lasts.is_some() => Some((
                "for",
                "a \"reshard\" has no `for`: its migration runs until the last key has moved \
                 (`rate` keys a second); remove `for`"
                    .to_string(),
            )),
            FaultKind::SchemaChange if self.target != Role::Primary => Some((
                "target",
                format!(
                    "a \"schema_change\" begins at the source of record: target = \"primary\" \
                     (every shard's primary, or a colocated cluster's leaders), not \"{}\"; it \
                     then reaches every store fed from it",
                    self.target
                ),
            )),
            FaultKind::SchemaChange if self.lasts.is_none() => Some((
                "kind",
                "a \"schema_change\" needs `for`: how long after `at` the derived stores' \
                 consumers are deployed (the coordinated-deploy window, e.g. for = \"20s\")"
                    .to_string(),
            )),
            _ if self.kind != FaultKind::SchemaChange && self.downstream.is_some() => Some((
                "downstream",
                "`downstream` is for a \"schema_change\": what the derived stores do with \
                 changes in the new schema before their deploy"
                    .to_string(),
            )),
            _ if self.kind != FaultKind::Reshard && self.shards.is_some() => Some((
                "shards",
                "`shards` is for a \"reshard\": the shard count after it".to_string(),
            )),
            _ if self.kind != FaultKind::Reshard && self.rate.is_some() => Some((
                "rate",
                "`rate` is for a \"reshard\": keys copied per second".to_string(),
            )),
            FaultKind::Flush if self.lasts.is_some() => Some((
                "for",
                "a \"flush\" is instantaneous (the cache empties at `at`); remove `for`, or use \
                 \"crash\" for a cache that stays down"
                    .to_string(),
            )),
            _ => None,
        }
    }
}

/// Every beginning and end of `faults`, in the order they happen.
pub fn schedule(faults: &[Fault]) -> Vec<Edge> {
    // At one instant: beginnings before ends, in the scenario's order.
    let mut edges = Vec::new();
    for (i, f) in faults.iter().enumerate() {
        edges.push(Edge {
            at: f.begins(),
            index: i,
            begins: true,
        });
        if let Some(end) = f.ends() {
            edges.push(Edge {
                at: end,
                index: i,
                begins: false,
            });
        }
    }
    // A flush's end is its beginning: begin first.
    edges.sort_by_key(|e| (e.at, !e.begins, e.index));
    edges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(text: &str) -> Fault {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn schedule_orders_edges_in_time() {
        let a = fault("at = \"10s\"\nfor = \"5s\"\nkind = \"crash\"\ntarget = \"cache\"");
        let b = fault("at = \"12s\"\nkind = \"flush\"\ntarget = \"cache\"");
        let edges = schedule(&[a, b]);
        let got: Vec<(u64, usize, bool)> = edges
            .iter()
            .map(|e| (e.at.as_nanos() / 1_000_000_000, e.index, e.begins))
            .collect();
        assert_eq!(
            got,
            [(10, 0, true), (12, 1, true), (12, 1, false), (15, 0, false)]
        );
    }

    #[test]
    fn overlap_is_per_target_and_ignores_flushes() {
        let a = fault("at = \"10s\"\nfor = \"5s\"\nkind = \"crash\"\ntarget = \"shard:1\"");
        let b = fault("at = \"14s\"\nkind = \"slow\"\nfactor = 3\ntarget = \"shard:1\"");
        let c = fault("at = \"14s\"\nkind = \"slow\"\nfactor = 3\ntarget = \"shard:2\"");
        let d =
            fault("at = \"15s\"\nfor = \"1s\"\nkind = \"slow\"\nfactor = 3\ntarget = \"shard:1\"");
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&c), "another target");
        let all = fault("at = \"12s\"\nfor = \"1s\"\nkind = \"crash\"\ntarget = \"primary\"");
        assert!(all.overlaps(&a), "primary is every shard");
        let node = fault("at = \"10s\"\nfor = \"1s\"\nkind = \"crash\"\ntarget = \"node:0\"");
        let leader =
            fault("at = \"10s\"\nfor = \"1s\"\nkind = \"slow\"\nfactor = 2\ntarget = \"leader:3\"");
        assert!(node.overlaps(&leader), "a leader lives on some node");
        assert!(!a.overlaps(&d), "back to back");
        let schema =
            fault("at = \"10s\"\nfor = \"5s\"\nkind = \"schema_change\"\ntarget = \"primary\"");
        let lag = fault("at = \"12s\"\nfor = \"5s\"\nkind = \"lag\"\ntarget = \"pipeline:search\"");
        assert!(
            schema.overlaps(&lag) && lag.overlaps(&schema),
            "it reaches every pipeline"
        );
    }
}
