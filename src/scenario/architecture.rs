//! `[[architecture]]` entries: which architectures a scenario compares and
//! how each is sized.

use std::fmt;

use documented::{Documented, DocumentedFields};
use serde::de::Error;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::arch::registry::{self, Contradiction};
use crate::dist::Dist;
use crate::dist::checks::{
    at_least_one_u32, core_count, node_count, node_count_of, optional_core_count,
    optional_node_count, positive_duration, positive_f64, read_replica_count, unit_interval,
};
use crate::model::router::{PartitionBy, ShardPlacement};
use crate::sim::SimDuration;

/// The five architectures, in the order a platform meets them as it grows;
/// what each reads and refuses is in the registry (`arch::registry`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ArchKind {
    Single,
    Polyglot,
    Sharded,
    Coordinator,
    Colocated,
}

impl ArchKind {
    /// `kind = "<name>"` in a scenario (from the registry).
    pub fn name(self) -> &'static str {
        registry::entry(self).name
    }

    /// Whether the kind has a store for operations of `op` (documents need
    /// sharded's document store, sessions polyglot's session store, search
    /// queries polyglot's index or sharded's scatter over every shard).
    pub fn serves(self, op: crate::workload::OpKind) -> bool {
        (registry::entry(self).serves)(op)
    }
}

impl fmt::Display for ArchKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for ArchKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for ArchKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        match registry::KINDS.iter().find(|k| k.name == text) {
            Some(k) => Ok(k.kind),
            None => Err(D::Error::custom(format!(
                "unknown architecture kind \"{text}\"; expected one of {}",
                registry::KINDS.map(|k| k.name).join(", ")
            ))),
        }
    }
}

/// One architecture under test (`[[architecture]]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, DocumentedFields)]
#[serde(deny_unknown_fields)]
pub struct ArchitectureConfig {
    /// Which architecture: single, polyglot, sharded, coordinator or colocated.
    pub kind: ArchKind,
    /// Name in results and in `--set architecture.<name>.…` paths. Default: the kind; give one when a scenario compares two of the same kind.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Where `analytics` operations run: "primary" or "replica" (the last read replica). Default "primary".
    #[serde(default)]
    pub analytics_on: AnalyticsOn,
    /// The primary database (each shard's, for kind = "sharded" and "coordinator"; for kind = "colocated" only `analytics`, the CPU time of one query over all the data).
    #[serde(default)]
    pub db: DbConfig,
    /// The app-tier cache (cache-aside). Default: none (capacity 0).
    #[serde(default)]
    pub cache: CacheConfig,
    /// Asynchronous read replicas. Default: none (count 0).
    #[serde(default)]
    pub replicas: ReplicasConfig,
    /// The sharded database (`kind = "sharded"`): a table, or just the shard count (`shards = 16`).
    #[serde(default, deserialize_with = "shard_count_or_table")]
    pub shards: ShardsConfig,
    /// Shorthand for `shards.router`.
    #[serde(default, skip_serializing)]
    pub router: Option<ShardPlacement>,
    /// Shorthand for `shards.partition_by` (`partitions.partition_by` for kind = "colocated").
    #[serde(default, skip_serializing)]
    pub partition_by: Option<PartitionBy>,
    /// Shorthand for `shards.cross_shard`.
    #[serde(default, skip_serializing)]
    pub cross_shard: Option<CrossShard>,
    /// Shorthand for `stores.sync`: one sync path for every derived store of the polyglot architecture.
    #[serde(default, skip_serializing)]
    pub sync: Option<Sync>,
    /// Shorthand for `cache.nodes`: the nodes of the sharded architecture's cache grid.
    #[serde(default, skip_serializing, deserialize_with = "optional_node_count")]
    pub cache_nodes: Option<u32>,
    /// The leaderless document store (`kind = "sharded"`).
    #[serde(default)]
    pub docstore: DocstoreConfig,
    /// The specialized stores and how they are kept in sync (`kind = "polyglot"`).
    #[serde(default)]
    pub stores: StoresConfig,
    /// The transaction coordinator and read models (`kind = "coordinator"`).
    #[serde(default)]
    pub coordinator: CoordinatorConfig,
    /// Partitions, Raft groups and nodes (`kind = "colocated"`).
    #[serde(default)]
    pub partitions: PartitionsConfig,
}

/// Top-level shorthands of an architecture and the field each stands for
/// (`partition_by` stands for `partitions.partition_by` in a colocated
/// architecture: see [`shorthand_field`]).
pub const SHORTHANDS: [(&str, [&str; 2]); 5] = [
    ("router", ["shards", "router"]),
    ("partition_by", ["shards", "partition_by"]),
    ("cross_shard", ["shards", "cross_shard"]),
    ("cache_nodes", ["cache", "nodes"]),
    ("sync", ["stores", "sync"]),
];

/// The field a shorthand stands for in an architecture of `kind`.
pub fn shorthand_field(kind: ArchKind, short: &str) -> Option<[&'static str; 2]> {
    if kind == ArchKind::Colocated && short == "partition_by" {
        return Some(["partitions", "partition_by"]);
    }
    SHORTHANDS
        .iter()
        .find(|(s, _)| *s == short)
        .map(|(_, long)| *long)
}

impl ArchitectureConfig {
    pub fn new(kind: ArchKind) -> ArchitectureConfig {
        ArchitectureConfig {
            kind,
            name: kind.name().to_string(),
            analytics_on: AnalyticsOn::default(),
            db: DbConfig::default(),
            cache: CacheConfig::default(),
            replicas: ReplicasConfig::default(),
            shards: ShardsConfig::default(),
            router: None,
            partition_by: None,
            cross_shard: None,
            cache_nodes: None,
            sync: None,
            docstore: DocstoreConfig::default(),
            stores: StoresConfig::default(),
            coordinator: CoordinatorConfig::default(),
            partitions: PartitionsConfig::default(),
        }
    }

    /// Moves the shorthands (`router`, `partition_by`, `cross_shard`,
    /// `cache_nodes`, `sync`) into their tables' fields. A file that gives
    /// both a shorthand and its field is refused when it is checked
    /// ([`SHORTHANDS`]).
    pub fn fold_shorthands(&mut self) {
        if let Some(v) = self.router.take() {
            self.shards.router = v;
        }
        if let Some(v) = self.partition_by.take() {
            if self.kind == ArchKind::Colocated {
                self.partitions.partition_by = v;
            } else {
                self.shards.partition_by = v;
            }
        }
        if let Some(v) = self.cross_shard.take() {
            self.shards.cross_shard = v;
        }
        if let Some(v) = self.cache_nodes.take() {
            self.cache.nodes = v;
        }
        let st = &mut self.stores;
        if let Some(sync) = self.sync.take().or(st.sync.take()) {
            let d = StoresConfig::default();
            for (field, default) in [
                (&mut st.cache_sync, d.cache_sync),
                (&mut st.search_sync, d.search_sync),
                (&mut st.warehouse_sync, d.warehouse_sync),
            ] {
                if *field == default {
                    *field = sync;
                }
            }
        }
    }

    /// Where reads that miss the cache go, after defaults: to the replicas
    /// when there are some, else to the primary.
    pub fn read_routing(&self) -> ReadRouting {
        self.replicas.reads.unwrap_or(if self.replicas.count > 0 {
            ReadRouting::Replicas
        } else {
            ReadRouting::Primary
        })
    }

    /// Settings that contradict each other: (field path, message). First
    /// the kind's own checks, then tables the kind does not read — set to
    /// other than their defaults, or `present` in the file as written by
    /// hand (a shorthand for one of its fields, or the table with some of
    /// its fields, even defaults) — then the checks of the tables it reads.
    pub fn contradictions(&self, present: impl Fn(&str) -> bool) -> Option<Contradiction> {
        let kind = registry::entry(self.kind);
        if let Some(c) = (kind.check)(self) {
            return Some(c);
        }
        let ours = toml::Table::try_from(self).ok()?;
        let defaults = toml::Table::try_from(ArchitectureConfig::new(self.kind)).ok()?;
        for table in registry::tables() {
            let set = ours.get(table) != defaults.get(table);
            if !kind.tables.contains(&table) && (set || present(table)) {
                return Some((
                    vec![table],
                    format!(
                        "[architecture.{table}] applies to {} only; remove it here",
                        registry::kinds_phrase(registry::readers(table))
                    ),
                ));
            }
        }
        let d = &self.docstore;
        if d.r > d.n || d.w > d.n {
            return Some((
                vec!["docstore"],
                format!(
                    "a quorum of r = {} reads and w = {} writes cannot be met by n = {} replicas; \
                     keep r and w at most n",
                    d.r, d.w, d.n
                ),
            ));
        }
        for (field, delays) in [
            ("write", &d.write),
            ("ack", &d.ack),
            ("read", &d.read),
            ("response", &d.response),
        ] {
            if let Delays::PerReplica(list) = delays {
                if list.len() != d.n as usize {
                    return Some((
                        vec!["docstore"],
                        format!(
                            "docstore.{field} lists {} delays for n = {} replicas; give one per \
                             replica, or a single distribution for all",
                            list.len(),
                            d.n
                        ),
                    ));
                }
            }
        }
        let reads = self.replicas.reads.unwrap_or(ReadRouting::Primary);
        if self.replicas.count == 0 && reads != ReadRouting::Primary {
            return Some((
                vec!["replicas", "reads"],
                format!(
                    "reads = \"{}\" needs read replicas; set [architecture.replicas] count to 1 or more",
                    reads.name()
                ),
            ));
        }
        if self.replicas.count == 0 && self.analytics_on == AnalyticsOn::Replica {
            return Some((
                vec!["analytics_on"],
                "analytics_on = \"replica\" needs a read replica; set [architecture.replicas] count \
                 to 1 or more"
                    .to_string(),
            ));
        }
        None
    }
}

/// Where analytics queries run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnalyticsOn {
    #[default]
    Primary,
    Replica,
}

/// The app-tier cache (`[architecture.cache]`), used cache-aside: a read
/// looks in the cache, and on a miss reads the database and fills the cache;
/// a write commits at the database and then deletes or updates the entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Documented, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    /// Entries held, with LRU eviction; 0 means no cache. Default 0.
    pub capacity: u64,
    /// Time to live, fixed from the fill; "0s" means entries never expire. Default "60s" (common practice: 5–60 min for computed values; estimate).
    pub ttl: SimDuration,
    /// "in-process" (a map in the application: no network hop) or "remote" (Redis-like: one hop each way to a server). Default "remote".
    pub placement: Placement,
    /// Server time of one cache operation. Default: "0.5us" in-process (memory reference + hash + copy; estimate), "10us" remote (Redis: 5–20 µs with syscalls; estimate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Dist>,
    /// Cores of a remote cache server (Redis runs commands on one). Default 1.
    #[serde(deserialize_with = "core_count")]
    pub cores: u32,
    /// Cache servers, hash-partitioned into a grid (kind = "sharded"); `capacity` is per server. Default 1.
    #[serde(deserialize_with = "node_count")]
    pub nodes: u32,
    /// After a write commits: "delete" the entry, "update" it with the new value, or "none" (entries stay until TTL or eviction). Default "delete".
    pub invalidate: Invalidate,
}

impl CacheConfig {
    pub fn service(&self) -> Dist {
        self.service.clone().unwrap_or_else(|| {
            Dist::parse(match self.placement {
                Placement::InProcess => "0.5us",
                Placement::Remote => "10us",
            })
            .expect("valid default")
        })
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            capacity: 0,
            ttl: SimDuration::from_secs(60),
            placement: Placement::Remote,
            service: None,
            cores: 1,
            nodes: 1,
            invalidate: Invalidate::Delete,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    InProcess,
    Remote,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Invalidate {
    Delete,
    Update,
    None,
}

/// Asynchronous read replicas (`[architecture.replicas]`) fed from the
/// primary's log, applying each key's writes in commit order after a lag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Documented, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct ReplicasConfig {
    /// Number of read replicas, 0 to 16. Default 0.
    #[serde(deserialize_with = "read_replica_count")]
    pub count: u32,
    /// Delay from a commit at the primary to its apply at a replica, drawn per write; the writes of one key apply in commit order (so a hot key's writes can wait for each other and see more lag than drawn). Default "exp(20ms)" (Aurora: "usually much less than 100 milliseconds"; vanilla replicas: estimate).
    pub lag: Dist,
    /// Cores per replica. Default: the primary's `db.cores`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_core_count"
    )]
    pub cores: Option<u32>,
    /// Where reads that miss the cache go: "primary", "replicas" (spread uniformly) or "read-your-writes" (the primary for keys the session wrote within `ryw_window`, else the replicas). Default: "replicas" when count > 0, else "primary".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reads: Option<ReadRouting>,
    /// How long after its write a session keeps reading that key from the primary under "read-your-writes". Default "2s" (Rails' automatic role switching delay).
    pub ryw_window: SimDuration,
    /// After a crash or partition of the primary, how long until replica 1 is promoted in its place (failure detection + election + lease expiry); a fault shorter than this ends with the old primary back and nothing lost. Replication being asynchronous, the promoted replica lacks the commits it had not applied: they are lost writes. Default "5s" (lease-based primaries: up to 5 s, PARAMETERS "leader election after a crash").
    #[serde(deserialize_with = "crate::dist::checks::positive_duration")]
    pub failover_after: SimDuration,
}

impl Default for ReplicasConfig {
    fn default() -> Self {
        ReplicasConfig {
            count: 0,
            lag: Dist::parse("exp(20ms)").expect("valid default"),
            cores: None,
            reads: None,
            ryw_window: SimDuration::from_secs(2),
            failover_after: SimDuration::from_secs(5),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadRouting {
    Primary,
    Replicas,
    ReadYourWrites,
}

impl ReadRouting {
    pub fn name(self) -> &'static str {
        match self {
            ReadRouting::Primary => "primary",
            ReadRouting::Replicas => "replicas",
            ReadRouting::ReadYourWrites => "read-your-writes",
        }
    }
}

/// The primary database (`[architecture.db]`): a queueing station with
/// `cores` servers in front of one FIFO queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Documented, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct DbConfig {
    /// CPU cores, the vertical-scaling knob: the station's servers. Default 8 (a mid-size cloud instance; estimate).
    #[serde(deserialize_with = "core_count")]
    pub cores: u32,
    /// Server time of a primary-key read on one core. Default "lognormal(p50=50us, p99=300us)" (pgbench select-only ≈ 17 µs unloaded; estimate for a loaded server).
    pub read: Dist,
    /// Server CPU time of a single-row write on one core, before its commit. Default "80us" (PostgreSQL single-row update CPU; estimate).
    pub write: Dist,
    /// Forced write of the commit record (the log device, not a core); concurrent commits share one flush (group commit). Default "lognormal(p50=300us, p99=1.5ms)" (NVMe/cloud SSD; etcd guide: SSD fdatasync usually < 1 ms). "0s" turns durability waits off.
    pub fsync: Dist,
    /// Server time of one `analytics` query on one core. Default "lognormal(p50=2s, p99=20s)" (estimate).
    pub analytics: Dist,
}

impl Default for DbConfig {
    fn default() -> Self {
        DbConfig {
            cores: 8,
            read: Dist::parse("lognormal(p50=50us, p99=300us)").expect("valid default"),
            write: Dist::parse("80us").expect("valid default"),
            fsync: Dist::parse("lognormal(p50=300us, p99=1.5ms)").expect("valid default"),
            analytics: Dist::parse("lognormal(p50=2s, p99=20s)").expect("valid default"),
        }
    }
}

/// The sharded database (`[architecture.shards]`): `count` primaries, each a
/// queueing station with `[architecture.db]`'s cores and service times and
/// its own log, owning the keys the router assigns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Documented, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct ShardsConfig {
    /// Number of shards, 1 to 10000. Default 8.
    #[serde(deserialize_with = "node_count")]
    pub count: u32,
    /// How keys map to shards: "hash" (even spread), "range" (contiguous ids: a popular range makes a hot shard) or "directory" (a lookup service, cached by clients). Default "hash".
    pub router: ShardPlacement,
    /// What is placed: each "key" on its own, or whole entity "group"s (a group's keys share a shard). Default "key".
    pub partition_by: PartitionBy,
    /// A transfer between accounts on two shards: "best-effort" (two local commits in sequence, no atomicity across them) or "reject" (the operation fails). Default "best-effort".
    pub cross_shard: CrossShard,
    /// Probability that the application fails between the two local commits of a best-effort transfer: the debit stays, the credit never happens, and the client, whose error handling swallows it, is told ok. Default 0.
    #[serde(deserialize_with = "unit_interval")]
    pub leg_failure: f64,
    /// Entries of the clients' cache of directory lookups (router = "directory"). Default 10000.
    pub directory_cache: u64,
    /// Server time of one shard's part of a `search` query: with no separate search index, each shard runs the full-text query over its own slice on one core. Default "lognormal(p50=5ms, p99=50ms)" (as a search index's query, `stores.search`; estimate).
    pub search: Dist,
}

impl Default for ShardsConfig {
    fn default() -> Self {
        ShardsConfig {
            count: 8,
            router: ShardPlacement::Hash,
            partition_by: PartitionBy::Key,
            cross_shard: CrossShard::BestEffort,
            leg_failure: 0.0,
            directory_cache: 10_000,
            search: Dist::parse("lognormal(p50=5ms, p99=50ms)").expect("valid default"),
        }
    }
}

/// `shards = 16` (the count, every other setting defaulted) or a
/// `[architecture.shards]` table.
fn shard_count_or_table<'de, D: Deserializer<'de>>(d: D) -> Result<ShardsConfig, D::Error> {
    struct CountOrTable;
    impl<'de> serde::de::Visitor<'de> for CountOrTable {
        type Value = ShardsConfig;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a shard count (shards = 16) or a table ([architecture.shards])")
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<ShardsConfig, E> {
            Ok(ShardsConfig {
                count: node_count_of(v).map_err(E::custom)?,
                ..ShardsConfig::default()
            })
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<ShardsConfig, E> {
            self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<ShardsConfig, A::Error> {
            ShardsConfig::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
    }
    d.deserialize_any(CountOrTable)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CrossShard {
    BestEffort,
    Reject,
}

/// A leaderless, quorum-replicated document store (`[architecture.docstore]`,
/// Dynamo-style): a write goes to all `n` replicas and succeeds after `w`
/// acknowledgements; a read asks all `n` and answers with the newest of the
/// first `r` replies. Each leg of each replica has its own one-way delay, so
/// replicas in other regions are simply slower legs.
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
        }
    }
}

fn replica_count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    crate::dist::checks::u32_in(d, 1..=16, |v| {
        format!("expected from 1 to 16 replicas, found {v}")
    })
}

/// The specialized stores of the polyglot architecture (`[architecture.stores]`):
/// a cache (sized by `[architecture.cache]`), a search index, a warehouse
/// and a session store beside the database, and how each derived one learns
/// of the database's writes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Documented, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct StoresConfig {
    /// Shorthand: one sync for every derived store; a per-store `*_sync` that differs from its default wins.
    #[serde(default, skip_serializing)]
    pub sync: Option<Sync>,
    /// How the cache learns of writes: "dual-write" (the application sets it after the commit), "cdc" or "event-bus". Default "dual-write".
    pub cache_sync: Sync,
    /// How the search index learns of writes. Default "cdc".
    pub search_sync: Sync,
    /// How the warehouse learns of writes. Default "cdc".
    pub warehouse_sync: Sync,
    /// Server time of one search query. Default "lognormal(p50=5ms, p99=50ms)" (estimate).
    pub search: Dist,
    /// A change reaching the index becomes searchable at the next refresh. Default "1s" (Elasticsearch refresh_interval).
    #[serde(deserialize_with = "positive_duration")]
    pub refresh: SimDuration,
    /// The warehouse makes changes visible in batch loads this far apart (also accepted as `interval`). Default "15m" (micro-batches; Snowpipe "within minutes").
    #[serde(alias = "interval", deserialize_with = "positive_duration")]
    pub load_every: SimDuration,
    /// Server time of one session store operation. Default "20us" (estimate).
    pub session: Dist,
    /// Cores of the search index, the warehouse and the session store each. Default 4.
    #[serde(deserialize_with = "core_count")]
    pub cores: u32,
    /// Dual write: probability that one extra write fails (the store keeps its old value until the key is written again). Default 0.001.
    #[serde(deserialize_with = "unit_interval")]
    pub fail: f64,
    /// CDC: the connector polls the log this often while idle. Default "500ms" (Debezium).
    #[serde(deserialize_with = "positive_duration")]
    pub poll: SimDuration,
    /// CDC: changes per batch. Default 2048 (Debezium max.batch.size).
    #[serde(deserialize_with = "at_least_one_u32")]
    pub batch: u32,
    /// CDC: changes per second one connector can process; above it the lag grows without bound. Default 8000 (published Debezium benchmarks: 6–10 k/s).
    #[serde(deserialize_with = "positive_f64")]
    pub throughput: f64,
    /// Event bus: end-to-end delay of one event. Default "lognormal(p50=10ms, p99=30ms)" (OpenMessaging benchmark runs).
    pub bus_delay: Dist,
    /// Event bus: probability an event is delivered twice (at-least-once). Default 0.
    #[serde(deserialize_with = "unit_interval")]
    pub duplicate: f64,
    /// Event bus: consumers per store; with more than one, a key's events may apply out of order. Default 1.
    #[serde(deserialize_with = "at_least_one_u32")]
    pub consumers: u32,
}

/// How a derived store is kept in sync with the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sync {
    DualWrite,
    Cdc,
    EventBus,
}

impl Sync {
    pub fn name(self) -> &'static str {
        match self {
            Sync::DualWrite => "dual-write",
            Sync::Cdc => "cdc",
            Sync::EventBus => "event-bus",
        }
    }
}

impl Default for StoresConfig {
    fn default() -> Self {
        let dist = |s: &str| Dist::parse(s).expect("valid default");
        StoresConfig {
            sync: None,
            cache_sync: Sync::DualWrite,
            search_sync: Sync::Cdc,
            warehouse_sync: Sync::Cdc,
            search: dist("lognormal(p50=5ms, p99=50ms)"),
            refresh: SimDuration::from_secs(1),
            load_every: SimDuration::from_secs(900),
            session: dist("20us"),
            cores: 4,
            fail: 0.001,
            poll: SimDuration::from_millis(500),
            batch: 2048,
            throughput: 8000.0,
            bus_delay: dist("lognormal(p50=10ms, p99=30ms)"),
            duplicate: 0.0,
            consumers: 1,
        }
    }
}

/// The transaction coordinator of `kind = "coordinator"`
/// (`[architecture.coordinator]`): a transaction manager in front of the
/// shards (sized by `[architecture.shards]` and `[architecture.db]`) that
/// runs two-phase commit with presumed abort, and the CQRS read models fed
/// from the shards' event log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Documented, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct CoordinatorConfig {
    /// Cores of the coordinator: every request, vote and acknowledgement it handles takes one `service` on one of them, so it saturates as load rises. Default 4 (estimate).
    #[serde(deserialize_with = "core_count")]
    pub cores: u32,
    /// Coordinator time per message handled (a client request, a vote, an acknowledgement). Default "20us" (a transaction manager's bookkeeping per message; estimate).
    pub service: Dist,
    /// A lock request waiting longer than this gives up: the transaction aborts and is retried. Default "1s" (services commonly set 1–5 s; InnoDB's innodb_lock_wait_timeout default is 50 s).
    #[serde(deserialize_with = "positive_duration")]
    pub lock_timeout: SimDuration,
    /// Retries of an aborted transaction before the client gets an error. Default 3 (estimate).
    pub retries: u32,
    /// Pause before a retry. Default "exp(5ms)" (randomised backoff; estimate).
    pub backoff: Dist,
    /// Operation kinds whose reads go to the write model (the shards, under locks) instead of a read model. Default ["transfer", "reserve", "rmw"].
    pub strong: Vec<crate::workload::OpKind>,
    /// With a cache (`[architecture.cache]` capacity > 0): share of plain keys whose writes go through the cache to the write model before the ok (write-through); the others are acknowledged by the cache and flushed later (write-behind). Default 1 (every key written through).
    #[serde(deserialize_with = "unit_interval")]
    pub critical: f64,
    /// Write-behind: the cache flushes the writes it holds this often. Default "5s" (Apache Ignite's writeBehindFlushFrequency, 5000 ms).
    #[serde(deserialize_with = "positive_duration")]
    pub flush: SimDuration,
    /// End-to-end delay of the event log from a commit in the write model to its apply in the read model. Default "lognormal(p50=10ms, p99=30ms)" (Kafka-like; OpenMessaging benchmark runs).
    pub log_delay: Dist,
    /// Cores of the read model's store. Default 8 (estimate).
    #[serde(deserialize_with = "core_count")]
    pub read_cores: u32,
}

impl Default for CoordinatorConfig {
    fn default() -> Self {
        use crate::workload::OpKind;
        let dist = |s: &str| Dist::parse(s).expect("valid default");
        CoordinatorConfig {
            cores: 4,
            service: dist("20us"),
            lock_timeout: SimDuration::from_secs(1),
            retries: 3,
            backoff: dist("exp(5ms)"),
            strong: vec![OpKind::Transfer, OpKind::Reserve, OpKind::Rmw],
            critical: 1.0,
            flush: SimDuration::from_secs(5),
            log_delay: dist("lognormal(p50=10ms, p99=30ms)"),
            read_cores: 8,
        }
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
    /// `analytics` and `multi_get`: "colocated" runs them next to the data, one round trip per partition; "client" pulls the rows to the client (one read per key, a page of `page` rows per round trip for analytics) and computes there. Default "colocated".
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
