//! What a `kind = "colocated"` architecture reads of its `[[architecture]]`
//! entry: its registry entry, its tables (the database's cost table, which
//! sizes its nodes as every stage's, with its analytics query and merge;
//! partitions, Raft groups and placement) and the settings it refuses, the
//! roles faults can target, its memory per key, its constructor.

use documented::{Documented, DocumentedFields};
use serde::de::{Deserializer, Error as _, IgnoredAny};
use serde::{Deserialize, Serialize};

use crate::arch::memory::COPY;
use crate::arch::registry::{self, Contradiction, Foreign, Kind, KindConfig, Shorthand};
use crate::arch::{DbConfig, Launch, RunResult};
use crate::dist::Dist;
use crate::dist::checks::{at_least_one_u32, node_count, optional_node_count};
use crate::faults::{self, Role, RoleSet};
use crate::model::ApplyWorkers;
use crate::model::election::ElectionTimeout;
use crate::model::locks::Conflict;
use crate::model::router::PartitionBy;
use crate::sim::SimDuration;

pub const KIND: Kind = Kind {
    kind: registry::ArchKind::Colocated,
    name: "colocated",
    summary: "Stage 5, Acceleration Database: affinity-partitioned Raft groups, colocated transactions, server-side execution",
    tables: &["db", "partitions"],
    optional: &[],
    fields: &[],
    shorthands: &[Shorthand {
        key: "partition_by",
        field: ["partitions", "partition_by"],
        doc: "Shorthand for `partitions.partition_by`.",
    }],
    serves: registry::serves_records,
};

/// Affinity-partitioned Raft groups over nodes costed by the database's table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Each node's cores, CPU per read and per written row, forced write of the Raft log, analytics query time and the client's merge of one more partition's partial result: the same cost table as every stage's database. `fsync = "0s"` here is the memory-first store with no forced log (Ignite 3's raft.fsync = false).
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
        set.add(Role::Primary, faults::SOURCE)
            .add_indexed("leader", self.partitions(), faults::SERVER)
            .add_indexed("node", c.nodes, faults::SERVER);
        set
    }

    fn check(&self, foreign: &Foreign) -> Option<Contradiction> {
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
        if let Some(beat) = p.heartbeat
            && beat >= p.election_timeout.low
        {
            return Some((
                vec!["partitions", "heartbeat"],
                format!(
                    "heartbeat = {beat} is not shorter than the shortest election timeout ({}): \
                     followers would stand for election between two heartbeats of a live \
                     leader; lower heartbeat or raise election_timeout",
                    p.election_timeout.low
                ),
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

impl Config {
    /// The partition count after defaults (the nodes' cores are the
    /// database's).
    pub fn partitions(&self) -> u32 {
        self.partitions.count(self.db.cores)
    }
}

/// Where a cross-partition transaction's coordinator runs
/// (`[architecture.partitions] coordinator`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CoordinatorAt {
    /// At the first participant's leader; its group holds the decision.
    #[default]
    Colocated,
    /// In a Raft group of its own.
    Separate,
}

impl CoordinatorAt {
    fn is_colocated(&self) -> bool {
        *self == CoordinatorAt::Colocated
    }
}

/// The colocated store of `kind = "colocated"` (`[architecture.partitions]`):
/// data split into partitions placed by an affinity key, each partition a
/// Raft group of `replication` replicas over `nodes`; the nodes' cores and
/// costs are `[architecture.db]`'s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Documented, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct PartitionsConfig {
    /// Server nodes, 1 to 10000, each with `[architecture.db]`'s cores. Default 3.
    #[serde(deserialize_with = "node_count")]
    pub nodes: u32,
    /// Partitions, 1 to 10000. Default nodes × `[architecture.db]` cores × 2 / replication (Ignite 3 sizing advice).
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
    /// Where `get`s go: "leader" (linearizable, under the leader's lease) or "follower" (any replica of the partition: bounded staleness). Default "leader".
    pub reads: RaftReads,
    /// Apply workers of each follower for its partition's log, as a read replica's (`replicas.apply`): "single" (one entry after another) or N (N entries at once, those sharing a key one after the other), each taking a core of the follower's node for `db.apply` per row; entries show in log order either way. Default "single" (a Raft state machine applies its log in index order, Raft §5.3; as MySQL's single applier thread and PostgreSQL's WAL replay, `replicas.apply`).
    pub apply: ApplyWorkers,
    /// `analytics` and `multi_get`: "colocated" runs them next to the data, one request per partition in parallel; "client" pulls the rows to the client and computes there (a multi_get's keys one request each, all in parallel; an analytics query's rows from every partition in parallel, from each a page of `page` rows per round trip). Default "colocated".
    pub compute: Compute,
    /// Rows per round trip when the client pulls rows for an `analytics` query (compute = "client"). Default 1000 (a JDBC fetch size; estimate).
    #[serde(deserialize_with = "at_least_one_u32")]
    pub page: u32,
    /// What a transaction does when a key it needs is locked: "wait-die" (an older one waits, a younger one aborts at once and is retried with its age: no deadlock can form; Ignite 3's default) or "wait" (it queues, in arrival order, as a database's row lock does, and gives up after `lock_timeout`, which also breaks deadlocks across partitions). Default "wait-die".
    pub conflict: Conflict,
    /// Under `conflict = "wait"`: a lock wait longer than this aborts the attempt, which is retried. Default "1s" (as the coordinator's).
    pub lock_timeout: SimDuration,
    /// Retries of a transaction aborted by a lock conflict (wait-die, or a lock timeout) before the client gets an error. Default 3 (estimate).
    pub retries: u32,
    /// Pause before a retry. Default "exp(5ms)" (estimate).
    pub backoff: Dist,
    /// How long a follower waits without hearing from a leader before it stands for election, drawn anew each time its timer starts: a range "150ms..300ms" (uniform between the two), or one duration "150ms" (no randomness: simultaneous candidates split the vote again and again). Default "150ms..300ms" (Raft paper §9.3: "We recommend using a conservative election timeout such as 150–300ms").
    pub election_timeout: ElectionTimeout,
    /// The leader's heartbeat interval (empty AppendEntries when it has no entries to send), shorter than the shortest election timeout: a leader lost at a uniform instant within it was last heard that long before, at most. Default half the shortest election timeout, 75ms (the Raft paper's measurements, §9.3).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_heartbeat"
    )]
    pub heartbeat: Option<SimDuration>,
    /// A new leader serves only after the old leader's lease has run out. Default "5s" (Ignite 3 lease).
    pub lease: SimDuration,
    /// Where the two-phase commit of a transaction over several partitions is coordinated: "colocated" at the leader of its first key's partition, whose Raft group holds the decision record (Ignite 3's commit partition), or "separate" in a Raft group of its own (`replication` replicas on the nodes, as a partition's), whose leader receives the client's request, sends every participant its write intent and replicates the decision in that group. Separate: every participant is remote, 3p leader-to-leader messages instead of 3(p − 1), and one more hop before the first intent. Default "colocated".
    #[serde(skip_serializing_if = "CoordinatorAt::is_colocated")]
    pub coordinator: CoordinatorAt,
    /// Moved to `[architecture.db] cores`.
    #[serde(default, skip_serializing, deserialize_with = "moved_cores")]
    cores: MovedToDb,
    /// Moved to `[architecture.db] read`.
    #[serde(default, skip_serializing, deserialize_with = "moved_read")]
    read: MovedToDb,
    /// Moved to `[architecture.db] write`.
    #[serde(default, skip_serializing, deserialize_with = "moved_write")]
    write: MovedToDb,
    /// Moved to `[architecture.db] fsync`.
    #[serde(default, skip_serializing, deserialize_with = "moved_fsync")]
    fsync: MovedToDb,
}

impl PartitionsConfig {
    /// The keys it refuses, moved to `[architecture.db]`: not listed, not
    /// written.
    pub const MOVED: &'static [&'static str] = &["cores", "read", "write", "fsync"];

    /// The leader's heartbeat interval after defaults.
    pub fn heartbeat(&self) -> SimDuration {
        self.heartbeat
            .unwrap_or(SimDuration(self.election_timeout.low.as_nanos() / 2))
    }

    /// The partition count after defaults, on nodes of `cores` cores.
    pub fn count(&self, cores: u32) -> u32 {
        self.count.unwrap_or_else(|| {
            (u64::from(self.nodes) * u64::from(cores) * 2 / u64::from(self.replication))
                .clamp(1, 10_000) as u32
        })
    }
}

fn optional_heartbeat<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SimDuration>, D::Error> {
    crate::dist::checks::positive_duration(d).map(Some)
}

/// A key `[architecture.partitions]` no longer reads: the colocated store's
/// nodes take their cores, CPU and forced-write latency from
/// `[architecture.db]`, like every other stage's database. A scenario that
/// still gives one is refused at its position, with where it went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MovedToDb;

fn moved<'de, D: Deserializer<'de>>(d: D, key: &str) -> Result<MovedToDb, D::Error> {
    IgnoredAny::deserialize(d)?;
    let memory_first = if key == "fsync" {
        "; fsync = \"0s\" there is the memory-first store with no forced log"
    } else {
        ""
    };
    Err(D::Error::custom(format!(
        "partitions.{key} has moved to [architecture.db]: the colocated store's nodes take \
         their cores, CPU per read and write and forced-write latency from the database's \
         cost table, like every other stage; write `{key} = …` under [architecture.db] \
         instead{memory_first}"
    )))
}

fn moved_cores<'de, D: Deserializer<'de>>(d: D) -> Result<MovedToDb, D::Error> {
    moved(d, "cores")
}

fn moved_read<'de, D: Deserializer<'de>>(d: D) -> Result<MovedToDb, D::Error> {
    moved(d, "read")
}

fn moved_write<'de, D: Deserializer<'de>>(d: D) -> Result<MovedToDb, D::Error> {
    moved(d, "write")
}

fn moved_fsync<'de, D: Deserializer<'de>>(d: D) -> Result<MovedToDb, D::Error> {
    moved(d, "fsync")
}

impl Default for PartitionsConfig {
    fn default() -> Self {
        let dist = |s: &str| Dist::parse(s).expect("valid default");
        PartitionsConfig {
            nodes: 3,
            count: None,
            replication: 3,
            partition_by: PartitionBy::Key,
            reads: RaftReads::Leader,
            apply: ApplyWorkers::SINGLE,
            compute: Compute::Colocated,
            page: 1000,
            conflict: Conflict::WaitDie,
            lock_timeout: SimDuration::from_secs(1),
            retries: 3,
            backoff: dist("exp(5ms)"),
            election_timeout: ElectionTimeout::default(),
            heartbeat: None,
            lease: SimDuration::from_secs(5),
            coordinator: CoordinatorAt::Colocated,
            cores: MovedToDb,
            read: MovedToDb,
            write: MovedToDb,
            fsync: MovedToDb,
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
