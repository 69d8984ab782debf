//! What a `kind = "colocated"` architecture reads of its `[[architecture]]`
//! entry: its registry entry, its tables (partitions, Raft groups and
//! nodes; of the database only `analytics` and `analytics_merge`) and the
//! settings it refuses, the roles faults can target, its memory per key,
//! its constructor.

use documented::{Documented, DocumentedFields};
use serde::{Deserialize, Serialize};

use crate::arch::memory::COPY;
use crate::arch::registry::{self, Contradiction, Foreign, Kind, KindConfig, Shorthand};
use crate::arch::{DbConfig, Launch, RunResult};
use crate::dist::Dist;
use crate::dist::checks::{at_least_one_u32, core_count, node_count, optional_node_count};
use crate::faults::{self, Role, RoleSet};
use crate::model::router::PartitionBy;
use crate::sim::SimDuration;

pub const KIND: Kind = Kind {
    kind: registry::ArchKind::Colocated,
    name: "colocated",
    summary: "Stage 5, Acceleration Database: affinity-partitioned Raft groups, memory-first, server-side execution",
    tables: &["db", "partitions"],
    fields: &[],
    shorthands: &[Shorthand {
        key: "partition_by",
        field: ["partitions", "partition_by"],
        doc: "Shorthand for `partitions.partition_by`.",
    }],
    serves: registry::serves_records,
};

/// Affinity-partitioned Raft groups over memory-first nodes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Of the database only `analytics` (the CPU time of one query over all the data) and `analytics_merge` (the client's merge of one more partition's partial result).
    pub db: DbConfig,
    /// Partitions, Raft groups and nodes.
    pub partitions: PartitionsConfig,
}

impl KindConfig for Config {
    const KIND: &'static Kind = &KIND;

    /// Each partition's leader, every leader (`primary`), each node.
    fn roles(&self) -> RoleSet {
        let c = &self.partitions;
        let mut set = RoleSet::default();
        set.add(Role::Primary, faults::SERVER)
            .add_indexed("leader", c.partitions(), faults::SERVER)
            .add_indexed("node", c.nodes, faults::SERVER);
        set
    }

    fn check(&self, foreign: &Foreign) -> Option<Contradiction> {
        let db_beyond_analytics = self.db
            != DbConfig {
                analytics: self.db.analytics.clone(),
                analytics_merge: self.db.analytics_merge.clone(),
                ..DbConfig::default()
            };
        if db_beyond_analytics {
            return Some((
                vec!["db"],
                "the colocated store is sized by [architecture.partitions] (nodes, cores, \
                 read, write, fsync); of [architecture.db] it reads only analytics and \
                 analytics_merge"
                    .to_string(),
            ));
        }
        if foreign.set("cache") {
            return Some((
                vec!["cache"],
                "the colocated store keeps its data in memory and has no separate cache; \
                 remove [architecture.cache]"
                    .to_string(),
            ));
        }
        if let Some(c) = registry::analytics_on_primary(foreign) {
            return Some(c);
        }
        let p = &self.partitions;
        if p.reads == RaftReads::Follower && p.replication < 2 {
            return Some((
                vec!["partitions", "reads"],
                "follower reads need followers: set replication to 2 or more, or reads = \
                 \"leader\""
                    .to_string(),
            ));
        }
        if p.replication > p.nodes {
            return Some((
                vec!["partitions", "nodes"],
                format!(
                    "replication = {} needs at least as many nodes, and there are {}; \
                     raise partitions.nodes or lower replication",
                    p.replication, p.nodes
                ),
            ));
        }
        None
    }

    /// The followers' copies, when they serve reads; no separate cache.
    fn bytes_per_key(&self) -> u64 {
        let p = &self.partitions;
        if p.reads == RaftReads::Follower {
            COPY * u64::from(p.replication.saturating_sub(1))
        } else {
            0
        }
    }

    fn serialize_field<S: serde::ser::SerializeStruct>(
        &self,
        field: &'static str,
        out: &mut S,
    ) -> Result<bool, S::Error> {
        registry::serialize_fields!(self, field, out; db, partitions)
    }

    fn run(&self, launch: Launch<'_>) -> RunResult {
        let system =
            super::Colocated::new(self, launch.setting(), launch.streams(), launch.window());
        launch.run(system)
    }
}

/// The colocated store of `kind = "colocated"` (`[architecture.partitions]`):
/// data split into partitions placed by an affinity key, each partition a
/// Raft group of `replication` replicas over `nodes`, memory-first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Documented, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct PartitionsConfig {
    /// Server nodes, 1 to 10000. Default 3.
    #[serde(deserialize_with = "node_count")]
    pub nodes: u32,
    /// Cores per node. Default 8 (estimate).
    #[serde(deserialize_with = "core_count")]
    pub cores: u32,
    /// Partitions, 1 to 10000. Default nodes × cores × 2 / replication (Ignite 3 sizing advice).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_node_count"
    )]
    pub count: Option<u32>,
    /// Replicas of each partition (its Raft group), at most `nodes`. Default 3 (CockroachDB, Ignite zones).
    #[serde(deserialize_with = "at_least_one_u32")]
    pub replication: u32,
    /// The affinity key: each "key" placed on its own, or whole entity "group"s together (a group's keys share a partition, so its transactions are local). Default "key".
    pub partition_by: PartitionBy,
    /// Forced write of a Raft log entry, at the leader in parallel with AppendEntries and at each follower before it answers. Default "0s": off, as Ignite 3's raft.fsync = false.
    pub fsync: Dist,
    /// Server time of an in-memory read. Default "5us" (in-memory op 2–20 µs; Ignite 3, VoltDB).
    pub read: Dist,
    /// Server time of an in-memory write at the leader, per row (followers' appends are not charged to their cores). Default "10us" (in-memory op 2–20 µs).
    pub write: Dist,
    /// Where `get`s go: "leader" (linearizable, under the leader's lease) or "follower" (any replica of the partition: bounded staleness). Default "leader".
    pub reads: RaftReads,
    /// `analytics` and `multi_get`: "colocated" runs them next to the data, one request per partition in parallel; "client" pulls the rows to the client and computes there (a multi_get's keys one request each, all in parallel; an analytics query's rows from every partition in parallel, from each a page of `page` rows per round trip). Default "colocated".
    pub compute: Compute,
    /// Rows per round trip when the client pulls rows for an `analytics` query (compute = "client"). Default 1000 (a JDBC fetch size; estimate).
    #[serde(deserialize_with = "at_least_one_u32")]
    pub page: u32,
    /// Retries of a transaction aborted by a lock conflict (wait-die) before the client gets an error. Default 3 (estimate).
    pub retries: u32,
    /// Pause before a retry. Default "exp(5ms)" (estimate).
    pub backoff: Dist,
    /// Followers wait this long without a leader before electing one. Default "uniform(150ms, 300ms)" (Raft paper).
    pub election_timeout: Dist,
    /// A new leader serves only after the old leader's lease has run out. Default "5s" (Ignite 3 lease).
    pub lease: SimDuration,
}

impl PartitionsConfig {
    /// The partition count after defaults.
    pub fn partitions(&self) -> u32 {
        self.count.unwrap_or_else(|| {
            (u64::from(self.nodes) * u64::from(self.cores) * 2 / u64::from(self.replication))
                .clamp(1, 10_000) as u32
        })
    }
}

impl Default for PartitionsConfig {
    fn default() -> Self {
        let dist = |s: &str| Dist::parse(s).expect("valid default");
        PartitionsConfig {
            nodes: 3,
            cores: 8,
            count: None,
            replication: 3,
            partition_by: PartitionBy::Key,
            fsync: dist("0s"),
            read: dist("5us"),
            write: dist("10us"),
            reads: RaftReads::Leader,
            compute: Compute::Colocated,
            page: 1000,
            retries: 3,
            backoff: dist("exp(5ms)"),
            election_timeout: dist("uniform(150ms, 300ms)"),
            lease: SimDuration::from_secs(5),
        }
    }
}

/// Where a colocated store serves `get`s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RaftReads {
    Leader,
    Follower,
}

/// Where `analytics` and `multi_get` compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compute {
    Colocated,
    Client,
}
