//! What a `kind = "sharded"` architecture reads of its `[[architecture]]`
//! entry: its registry entry, its tables (the shards, the leaderless
//! document store) and the settings it refuses, the roles faults can
//! target, its memory per key, its constructor.

use documented::{Documented, DocumentedFields};
use serde::{Deserialize, Serialize};

use crate::arch::memory::{CACHE, COPY};
use crate::arch::registry::{self, Contradiction, Foreign, Kind, KindConfig, Shorthand};
use crate::arch::single::config::CACHE_NODES;
use crate::arch::tables::shard_count_or_table;
use crate::arch::{
    AnalyticsOn, CacheConfig, DbConfig, Launch, ReadRouting, ReplicasConfig, RunResult,
    ShardsConfig, StoresConfig,
};
use crate::dist::Dist;
use crate::dist::checks::{at_least_one_u32, u32_in};
use crate::faults::{self, Fault, Role, RoleSet};
use crate::model::quorum::{Handoff, Propagate};
use crate::model::router::ShardPlacement;
use crate::workload::OpKind;

pub const KIND: Kind = Kind {
    kind: registry::ArchKind::Sharded,
    name: "sharded",
    summary: "Stage 3, Distributed by Default: sharded DB with hash/range/directory routing and scatter-gather",
    tables: &["db", "cache", "replicas", "shards", "docstore", "stores"],
    optional: &["stores"],
    fields: &[],
    shorthands: SHARD_SHORTHANDS,
    serves: |op| !matches!(op, OpKind::SessionGet | OpKind::SessionPut),
};

/// The shorthands of an architecture over shards (`router = "range"` for
/// `shards.router`), and `cache_nodes` for `cache.nodes`.
pub const SHARD_SHORTHANDS: &[Shorthand] = &[
    Shorthand {
        key: "router",
        field: ["shards", "router"],
        doc: "Shorthand for `shards.router`.",
    },
    Shorthand {
        key: "partition_by",
        field: ["shards", "partition_by"],
        doc: "Shorthand for `shards.partition_by` (`partitions.partition_by` for kind = \
              \"colocated\").",
    },
    Shorthand {
        key: "cross_shard",
        field: ["shards", "cross_shard"],
        doc: "Shorthand for `shards.cross_shard`.",
    },
    CACHE_NODES,
];

/// A sharded database with a cache grid, replicas and a leaderless
/// document store.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Each shard's primary database.
    pub db: DbConfig,
    /// The cache grid (cache-aside). Default: none (capacity 0).
    pub cache: CacheConfig,
    /// Asynchronous read replicas of each shard. Default: none (count 0).
    pub replicas: ReplicasConfig,
    /// The sharded database: a table, or just the shard count (`shards = 16`).
    #[serde(deserialize_with = "shard_count_or_table")]
    pub shards: ShardsConfig,
    /// The leaderless document store.
    pub docstore: DocstoreConfig,
    /// The specialized stores of stage 2 (a search index, a warehouse, a session store) and the sync paths of the derived ones, the cache grid's included: a polyglot system, sharded. Default: none (search scatters to the shards, analytics runs on them, the grid is cache-aside).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stores: Option<StoresConfig>,
}

impl Config {
    /// Whether clients look shards up in a directory (router =
    /// "directory"), keeping a cache of its answers.
    fn directory(&self) -> bool {
        self.shards.router == ShardPlacement::Directory
    }
}

impl KindConfig for Config {
    const KIND: &'static Kind = &KIND;

    /// Every shard's primary (`primary`) or one (`shard:<i>`), the
    /// replicas, the cache grid.
    fn roles(&self) -> RoleSet {
        let mut set = RoleSet::default();
        set.add(Role::Primary, faults::RESHARDABLE).add_indexed(
            "shard",
            self.shards.count,
            faults::SERVER,
        );
        if self.replicas.count > 0 {
            set.add(Role::Replica, faults::REPLICA);
        }
        if self.cache.capacity > 0 {
            set.add(Role::Cache, faults::CACHE);
        }
        if self.shards.router == ShardPlacement::Directory {
            set.add(Role::Directory, faults::SERVER);
        }
        if let Some(stores) = &self.stores {
            stores.roles(&mut set, self.cache.capacity > 0);
        }
        set
    }

    /// A reshard must grow the cluster, by hash or range placement, without
    /// read replicas (their logs are shipped per shard; not modelled).
    fn check_fault(&self, f: &Fault) -> Option<(&'static str, String)> {
        let to = f.shards?;
        let from = self.shards.count;
        if to <= from {
            return Some((
                "shards",
                format!(
                    "a reshard adds shards: it has {from}, so `shards` must be above {from} \
                     (shrinking a cluster is not modelled), found {to}"
                ),
            ));
        }
        if to > u32::from(u16::MAX) {
            return Some(("shards", format!("at most {} shards, found {to}", u16::MAX)));
        }
        if self.shards.router == ShardPlacement::Directory {
            return Some((
                "kind",
                "a reshard is modelled for hash and range placement; a directory moves \
                 entries one by one (not modelled) — use router = \"hash\" or \"range\""
                    .to_string(),
            ));
        }
        if self.replicas.count > 0 {
            return Some((
                "kind",
                "a reshard is modelled for shards without read replicas (each shard's log \
                 ships to its own replicas; moving keys between logs is not modelled) — set \
                 [architecture.replicas] count = 0"
                    .to_string(),
            ));
        }
        None
    }

    /// With the specialized stores, sessions too (their store).
    fn serves(&self, op: OpKind) -> bool {
        (KIND.serves)(op)
            || (self.stores.is_some() && matches!(op, OpKind::SessionGet | OpKind::SessionPut))
    }

    fn fold_shorthands(&mut self) {
        if let Some(stores) = &mut self.stores {
            stores.fold_sync();
        }
    }

    fn check(&self, foreign: &Foreign) -> Option<Contradiction> {
        if self.stores.is_some() && self.cache.invalidate != CacheConfig::default().invalidate {
            return Some((
                vec!["cache", "invalidate"],
                "with [architecture.stores] the cache grid learns of writes by \
                 stores.cache_sync, as polyglot's cache does; remove cache.invalidate"
                    .to_string(),
            ));
        }
        if self.replicas.reads == Some(ReadRouting::ReadYourWrites) {
            return Some((
                vec!["replicas", "reads"],
                "read-your-writes routing is simulated for kind = \"single\"; use \
                 \"primary\" or \"replicas\" here"
                    .to_string(),
            ));
        }
        if foreign.value("analytics_on") == Some(AnalyticsOn::Replica) {
            return Some((
                vec!["analytics_on"],
                "analytics runs on every shard's primary for kind = \"sharded\"; remove \
                 analytics_on"
                    .to_string(),
            ));
        }
        registry::leases_single_only(&self.cache)
            .or_else(|| registry::one_app_server(&self.cache))
            .or_else(|| registry::cache_fencing_write_behind(&self.cache, false))
    }

    fn check_tables(&self) -> Option<Contradiction> {
        self.docstore
            .contradiction()
            .or_else(|| self.replicas.contradiction())
    }

    /// The cache grid's index, the clients' cache of directory lookups
    /// (router = "directory": an index over the keys, or over the groups,
    /// counted as if over the keys), the replicas and the specialized
    /// stores.
    fn bytes_per_key(&self) -> u64 {
        let cache = if self.cache.capacity > 0 { CACHE } else { 0 };
        let directory = if self.directory() { CACHE } else { 0 };
        let stores = self.stores.as_ref().map_or(0, StoresConfig::bytes_per_key);
        cache + directory + COPY * u64::from(self.replicas.count) + stores
    }

    /// The cache grid's servers together (one LRU of their capacity), and
    /// the directory's cache.
    fn cache_entries(&self, keys: u64) -> u64 {
        let grid = self
            .cache
            .capacity
            .saturating_mul(u64::from(self.cache.nodes));
        let directory = if self.directory() {
            self.shards.directory_cache
        } else {
            0
        };
        grid.min(keys).saturating_add(directory.min(keys))
    }

    /// The specialized stores' index and warehouse, if carried.
    fn pending_changes(&self, writes_per_s: f64) -> f64 {
        self.stores
            .as_ref()
            .map_or(0.0, |s| s.pending_changes(writes_per_s))
    }

    /// Each document on each of its `n` replicas.
    fn bytes_per_document(&self) -> u64 {
        u64::from(self.docstore.n) * 4
    }

    fn serialize_field<S: serde::ser::SerializeStruct>(
        &self,
        field: &'static str,
        out: &mut S,
    ) -> Result<bool, S::Error> {
        registry::serialize_fields!(self, field, out; db, cache, replicas, shards, docstore, stores)
    }

    fn run(&self, launch: Launch<'_>) -> RunResult {
        let system = super::Sharded::new(self, launch.setting(), launch.streams(), launch.window());
        launch.run(system)
    }
}

impl DocstoreConfig {
    /// A quorum the replicas cannot meet, or delays not one per replica.
    pub fn contradiction(&self) -> Option<Contradiction> {
        if self.r > self.n || self.w > self.n {
            return Some((
                vec!["docstore"],
                format!(
                    "a quorum of r = {} reads and w = {} writes cannot be met by n = {} replicas; \
                     keep r and w at most n",
                    self.r, self.w, self.n
                ),
            ));
        }
        for (field, delays) in [
            ("write", &self.write),
            ("ack", &self.ack),
            ("read", &self.read),
            ("response", &self.response),
        ] {
            if let Delays::PerReplica(list) = delays {
                if list.len() != self.n as usize {
                    return Some((
                        vec!["docstore"],
                        format!(
                            "docstore.{field} lists {} delays for n = {} replicas; give one per \
                             replica, or a single distribution for all",
                            list.len(),
                            self.n
                        ),
                    ));
                }
            }
        }
        None
    }
}

/// A leaderless, quorum-replicated document store (`[architecture.docstore]`,
/// Dynamo-style): a write goes to all `n` replicas and succeeds after `w`
/// acknowledgements — or, under `propagate = "quorum"`, to `w` of them at
/// random, the others learning of it by hinted handoff later; a read asks
/// all `n` and answers with the newest of the first `r` replies. Each leg
/// of each replica has its own one-way delay, so replicas in other regions
/// are simply slower legs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Documented, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct DocstoreConfig {
    /// Replicas of each document, 1 to 16. Default 3.
    #[serde(deserialize_with = "replica_count")]
    pub n: u32,
    /// Replies a read waits for. Default 1 (Cassandra's ONE).
    #[serde(deserialize_with = "at_least_one_u32")]
    pub r: u32,
    /// Acknowledgements a write waits for. Default 1.
    #[serde(deserialize_with = "at_least_one_u32")]
    pub w: u32,
    /// Where the replicas are, for the reader (labels only). Default none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// One-way delay of a write to a replica: one distribution for every replica, or a list of `n`. Default the zone hop, lognormal(p50=150us, p99=500us).
    pub write: Delays,
    /// One-way delay of a replica's acknowledgement back. Default the zone hop.
    pub ack: Delays,
    /// One-way delay of a read request to a replica. Default the zone hop.
    pub read: Delays,
    /// One-way delay of a replica's reply to a read. Default the zone hop.
    pub response: Delays,
    /// Which replicas a write is sent to: "all" (every one of the `n` at once, succeeding at the `w`-th acknowledgement) or "quorum" (a sloppy quorum: `w` replicas chosen at random per write, succeeding when all `w` acknowledge; the others learn of it after `handoff`). Default "all".
    #[serde(skip_serializing_if = "Propagate::is_all")]
    pub propagate: Propagate,
    /// Under propagate = "quorum": when each replica a write skipped learns of it (hinted handoff, anti-entropy), counted from the write's send; a distribution, or "off" for never (an infinite delay: the write stays on its `w` replicas). Default uniform(0s, 10s), an estimate: Cassandra's hint service looks for hints to deliver every 10 s. Ignored under "all".
    #[serde(skip_serializing_if = "Handoff::is_estimate")]
    pub handoff: Handoff,
}

/// One delay distribution for all replicas, or one per replica.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Delays {
    All(Dist),
    PerReplica(Vec<Dist>),
}

impl Delays {
    /// The distribution of replica `i`'s leg.
    pub fn of(&self, i: usize) -> &Dist {
        match self {
            Delays::All(d) => d,
            Delays::PerReplica(list) => &list[i],
        }
    }
}

impl Default for DocstoreConfig {
    fn default() -> Self {
        let hop =
            || Delays::All(Dist::parse("lognormal(p50=150us, p99=500us)").expect("valid default"));
        DocstoreConfig {
            n: 3,
            r: 1,
            w: 1,
            regions: Vec::new(),
            write: hop(),
            ack: hop(),
            read: hop(),
            response: hop(),
            propagate: Propagate::All,
            handoff: Handoff::estimate(),
        }
    }
}

fn replica_count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    u32_in(d, 1..=16, |v| {
        format!("expected from 1 to 16 replicas, found {v}")
    })
}
