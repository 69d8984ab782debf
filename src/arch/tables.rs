//! The `[architecture.<table>]` tables that several kinds read: the
//! database, the app-tier cache, read replicas and the shards (which kinds
//! read which is in the registry, `arch::registry`). A table one kind reads
//! alone lives in that kind's `config.rs`.

use std::fmt;

use documented::{Documented, DocumentedFields};
use serde::de::Error;
use serde::{Deserialize, Deserializer, Serialize};

use crate::dist::Dist;
use crate::dist::checks::{
    at_least_one_u32, core_count, node_count, node_count_of, optional_core_count,
    optional_retry_bound, positive_duration, positive_f64, read_replica_count, unit_interval,
    usl_coefficient,
};
use crate::dist::size::Bytes;
use crate::metrics::Window;
use crate::model::ApplyWorkers;
use crate::model::cache::Cache;
use crate::model::router::{PartitionBy, ShardPlacement};
use crate::model::streams::Stream;
use crate::model::{CommitLog, LogDevice, Scalability, Station};
use crate::sim::{SimDuration, SimRng, Streams};
use crate::workload::{KeyChooser, KeySpace, WorkloadConfig};

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
    /// The cache's memory instead of `capacity` (give one or the other): a size like "10GB", turned into entries = memory / (`workload.row_size` + `entry_overhead`); the resolved scenario shows the `capacity` it came to. Default: none (`capacity` counts).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::dist::size::cache_memory"
    )]
    pub memory: Option<Bytes>,
    /// Bytes an entry takes beyond its row, for `memory`: the key's hash-table slot, object header and allocator rounding. Default "64B" (estimate: Redis keeps about 50–90 B per key beyond the key and value — dictEntry 24 B, redisObject 16 B, SDS headers, jemalloc size classes, Redis docs "Memory optimization"; memcached's item header is 48–56 B).
    #[serde(
        deserialize_with = "crate::dist::size::any_size",
        skip_serializing_if = "is_entry_overhead_default"
    )]
    pub entry_overhead: Bytes,
    /// What the cache holds at t = 0: "empty" (cold: it fills as reads miss; also accepted as "cold") or "warm" (its steady state: what it holds after a long history of reads drawn from the workload's popularity and rate of gets, replayed through its LRU and TTL on a stream of its own, entries at their keys' initial versions, TTLs left as the history left them). Same option and meaning in every kind with an app-tier cache (single, polyglot's grid, sharded's grid, coordinator's boundary cache; colocated has none). Default "empty".
    #[serde(skip_serializing_if = "CacheStart::is_empty")]
    pub start: CacheStart,
    /// Time to live, fixed from the fill; "0s" means entries never expire. Default "60s" (common practice: 5–60 min for computed values; estimate).
    pub ttl: SimDuration,
    /// "in-process" (a map in the application: no network hop) or "remote" (Redis-like: one hop each way to a server). Default "remote".
    pub placement: Placement,
    /// Server time of one cache operation. Default: "0.5us" in-process (memory reference + hash + copy; estimate), "10us" remote (Redis: 5–20 µs with syscalls; estimate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Dist>,
    /// Cores of a remote cache server: its worker threads, each serving one operation at a time. Default 4 (memcached's default, `-t 4` worker threads; a single-threaded Redis is `cores = 1`).
    #[serde(deserialize_with = "core_count")]
    pub cores: u32,
    /// Cache servers, hash-partitioned into a grid (kind = "sharded"); `capacity` is per server. Default 1.
    #[serde(deserialize_with = "node_count")]
    pub nodes: u32,
    /// After a write commits: "delete" the entry, "update" it with the new value, or "none" (entries stay until TTL or eviction). Default "delete".
    pub invalidate: Invalidate,
    /// Memcache leases (Nishtala et al., "Scaling Memcache at Facebook", NSDI 2013, §3.2.1), kind = "single": a lookup that misses is handed a token for its key and only a valid token's holder may fill it; a writer's invalidation voids the token, so a fill that raced the write is refused (no stale sets); a reader that misses while another holds the key's token waits `lease_wait` and looks again instead of reading the database (the thundering herd shrinks to one read per key). Default false.
    #[serde(skip_serializing_if = "is_false")]
    pub leases: bool,
    /// Under `leases`: a key's token is handed out at most once per this while it is outstanding (a fill, an invalidation or a flush ends it sooner), which also bounds how long a holder that never fills holds the key. Default "10s" (the paper: "a token only once every 10 seconds per key").
    #[serde(
        deserialize_with = "positive_duration",
        skip_serializing_if = "is_lease_every_default"
    )]
    pub lease_every: SimDuration,
    /// Under `leases`: how long a reader told to wait (a hot miss) waits before it looks the key up again. Default "10ms" (estimate: the paper says only "a short amount of time", the holder having "typically" filled the key "within a few milliseconds"; 10 ms covers a loaded database's read and two hops).
    #[serde(
        deserialize_with = "positive_duration",
        skip_serializing_if = "is_lease_wait_default"
    )]
    pub lease_wait: SimDuration,
    /// Under `leases`: how many times at most a reader waits `lease_wait` and looks again before it reads the database without a token (and does not fill). Default: no bound — the paper's clients wait and retry, and `lease_every` bounds a holder that never fills. A bound keeps the readers of a key written again before each fill lands from waiting until their timeout (the paper serves them the value just deleted, when the application allows it, which is not modelled), but past it they read the database and cannot fill, so a database slowed by a cold start stays slow: the herd comes back.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_retry_bound"
    )]
    pub lease_retries: Option<u32>,
    /// Application servers, each with its own in-process cache of `capacity` entries (so N servers hold up to N × `capacity`), kind = "single" with `placement = "in-process"`: a read looks up and fills the cache of the server its request went to (`sticky`); a writer's server deletes or updates its own copy at once and broadcasts the invalidation to the other N − 1, which apply it after `invalidation_delay` unless it is lost (`invalidation_loss`), leaving their copy stale until its TTL or the key's next write. Default 1 (one cache shared by every client).
    #[serde(
        deserialize_with = "node_count",
        skip_serializing_if = "is_one_app_server"
    )]
    pub app_servers: u32,
    /// Under `app_servers` > 1: whether a session's requests all go to one server (session mod N: session affinity), or each request to a server drawn uniformly. Default false (AWS ALB's target-group stickiness and nginx's upstream balancing are off until switched on).
    #[serde(skip_serializing_if = "is_false")]
    pub sticky: bool,
    /// Under `app_servers` > 1: delay of the invalidation broadcast from the writer's server to each other server, drawn per server and write. Default: one network hop (`network.hop`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalidation_delay: Option<Dist>,
    /// Under `app_servers` > 1: probability that the broadcast to one other server is lost (drawn per server and write), leaving its copy stale until the TTL or the key's next write. Default 0 (a setting: lossy pub/sub such as Redis Pub/Sub, at-most-once, loses messages to a subscriber that is disconnected; no rate is published).
    #[serde(
        deserialize_with = "unit_interval",
        skip_serializing_if = "is_zero_share"
    )]
    pub invalidation_loss: f64,
    /// What keeps a write-behind cache that is cut off from the system of record but not from all of its clients (a `[[fault]]` partition of "cache" with `clients`, kind coordinator with `coordinator.critical` below 1; refused elsewhere) from overwriting what the system of record accepted meanwhile: "none" (nothing: it accepts its clients' puts until the partition heals and then flushes them over the newer writes the others made directly, which are lost), "lease" (it holds a lease from the system of record and stops accepting write-behind puts — they fail — `lease` after it last reached it; what it accepted before is flushed at the heal as under "none") or "token" (each flushed key carries the version the cache last saw and the write model refuses it — compare-and-set — when the key has moved on since: the cache's writes to such keys are refused, counted as lost and the key reported for manual resolution, instead of silently overwriting; Kleppmann, "How to do distributed locking", 2016). Default "none", what a write-behind cache (Redis Gears write-behind, Hazelcast MapStore, Ehcache write-behind) does unless the write-back is made conditional.
    #[serde(default, skip_serializing_if = "Fencing::is_none")]
    pub fencing: Fencing,
    /// Under `fencing = "lease"`: how long after it last reached the system of record the cache stops accepting write-behind puts. Default "5s" (an estimate, like the replicas' lease-based failover: lease TTLs of a few seconds, PARAMETERS "leader election after a crash").
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_positive_duration"
    )]
    pub lease: Option<SimDuration>,
    // The `memory` the scenario gave, kept once it is turned into
    // `capacity` (see `resolve_memory`); not an option.
    #[serde(skip)]
    #[documented_fields(default = "")]
    pub memory_given: Option<Bytes>,
}

/// A write-behind cache's lease by default (`cache.lease`), 5 s.
pub const CACHE_LEASE: SimDuration = SimDuration::from_secs(5);

fn is_one_app_server(n: &u32) -> bool {
    *n == 1
}

fn is_zero_share(p: &f64) -> bool {
    *p == 0.0
}

/// What a cache holds when the run starts.
///
/// "warm" starts it at its steady state: before t = 0 a history of reads,
/// drawn from the workload's popularity of plain keys at its rate of gets
/// on a stream of their own ("cache/warm": every other stream draws as it
/// would from empty, and the start is the same for a seed), is replayed
/// through the cache with its own LRU and TTL, until the history has read
/// as many distinct keys as the cache holds — from then on an LRU holds
/// exactly the most recently read ones, its stationary content under
/// independent reads, which Che's approximation describes — and, with a
/// TTL, two TTLs of reads more, so the TTL's steady state is reached too.
/// A replay rather than the `capacity` most popular keys: a real LRU never
/// quite holds those (and a TTL keeps even fewer), and a replay needs no
/// per-key probability (scrambled Zipf has none). Entries hold their keys'
/// initial versions (0) and values, as the system of record starts with
/// them, so the oracle's checks hold; each keeps the TTL its fill in the
/// history left it, so expiries are spread as in a long run rather than
/// all falling at t = ttl. The history stops at 64 reads per entry (at
/// least ten million): a cache nearly as large as a skewed key space may
/// start short of full. Writes are not replayed (they only delete
/// entries); popularities that move (latest, sequential) have no steady
/// state, and start from the history's draws.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CacheStart {
    /// Nothing cached at t = 0.
    #[default]
    #[serde(alias = "cold")]
    Empty,
    /// The steady state of an LRU of the cache's capacity.
    Warm,
}

impl CacheStart {
    fn is_empty(&self) -> bool {
        *self == CacheStart::Empty
    }
}

/// Reads a warm start replays at most: 64 per entry, and no fewer than
/// ten million (a few seconds of drawing).
fn most_draws(capacity: u64) -> u64 {
    capacity.saturating_mul(64).max(10_000_000)
}

/// Fills `cache` with its steady state (see `CacheStart`): a history of
/// reads drawn from the workload's popularity of plain keys on `rng`, at
/// its rate of gets, replayed through the cache until it has read as many
/// distinct keys as the cache holds, then two TTLs more (none without one).
fn warm(
    cache: &mut Cache,
    w: &WorkloadConfig,
    space: &KeySpace,
    mut rng: SimRng,
    ttl: SimDuration,
) {
    let capacity = cache.capacity() as u64;
    let reads_per_s = (w.rate * w.mix.share(crate::workload::OpKind::Get)).max(1.0);
    let gap = SimDuration((1e9 / reads_per_s).round().max(1.0) as u64);
    let more = if ttl.is_zero() {
        0
    } else {
        (2.0 * ttl.as_secs_f64() * reads_per_s).ceil() as u64
    };
    let most = most_draws(capacity).saturating_add(more);
    let mut chooser = KeyChooser::new(w.popularity, w.keys);
    cache.warm(
        || chooser.sample(&mut rng),
        |key| space.initial_value(key),
        gap,
        (capacity.min(w.keys), more, most),
    );
}

/// `entry_overhead`'s default, 64 bytes.
pub const ENTRY_OVERHEAD: u64 = 64;

fn is_entry_overhead_default(b: &Bytes) -> bool {
    b.0 == ENTRY_OVERHEAD
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `lease_every`'s default, 10 s.
const LEASE_EVERY: SimDuration = SimDuration::from_secs(10);
/// `lease_wait`'s default, 10 ms.
const LEASE_WAIT: SimDuration = SimDuration::from_millis(10);

fn is_lease_every_default(d: &SimDuration) -> bool {
    *d == LEASE_EVERY
}

fn is_lease_wait_default(d: &SimDuration) -> bool {
    *d == LEASE_WAIT
}

impl CacheConfig {
    /// Entries a cache of `memory` bytes holds at `row` bytes a row and
    /// `overhead` bytes per entry beyond it.
    pub fn entries_in(memory: u64, row: u64, overhead: u64) -> u64 {
        memory / (row + overhead).max(1)
    }

    /// Sets `capacity` from `memory` at `row` bytes a row (nothing without
    /// `memory`), and moves `memory` aside, so the resolved scenario shows
    /// the entries and a later `row_size` or `entry_overhead` converts the
    /// same memory again.
    pub fn resolve_memory(&mut self, row: u64) {
        if let Some(memory) = self.memory.take() {
            self.memory_given = Some(memory);
        }
        if let Some(memory) = self.memory_given {
            self.capacity = CacheConfig::entries_in(memory.0, row, self.entry_overhead.0);
        }
    }

    /// The cache of `capacity` entries over `space`'s keys this table
    /// describes, holding at t = 0 what `start` says.
    pub fn cache(
        &self,
        capacity: u64,
        workload: &WorkloadConfig,
        space: &KeySpace,
        streams: &Streams,
        window: Window,
    ) -> Cache {
        let mut cache = Cache::new(capacity, self.ttl, space.total(), window);
        if self.start == CacheStart::Warm {
            warm(
                &mut cache,
                workload,
                space,
                Stream::CacheWarm.of(streams),
                self.ttl,
            );
        }
        cache
    }

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

impl CacheConfig {
    /// The invalidation broadcast's delay to one other server, after
    /// defaults: one hop of `network`.
    pub fn invalidation_delay(&self, network: &crate::model::network::NetworkConfig) -> Dist {
        self.invalidation_delay
            .clone()
            .unwrap_or_else(|| network.hop.clone())
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            capacity: 0,
            memory: None,
            memory_given: None,
            entry_overhead: Bytes(ENTRY_OVERHEAD),
            start: CacheStart::Empty,
            ttl: SimDuration::from_secs(60),
            placement: Placement::Remote,
            service: None,
            cores: 4,
            nodes: 1,
            invalidate: Invalidate::Delete,
            leases: false,
            lease_every: LEASE_EVERY,
            lease_wait: LEASE_WAIT,
            lease_retries: None,
            app_servers: 1,
            sticky: false,
            invalidation_delay: None,
            invalidation_loss: 0.0,
            fencing: Fencing::None,
            lease: None,
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

/// Asynchronous read replicas (`[architecture.replicas]`), each fed the
/// primary's log as one stream and applying it in commit order with its own
/// capacity (`model::apply`): a replica is a prefix of its primary, and its
/// lag comes from its load.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Documented, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct ReplicasConfig {
    /// Number of read replicas, 0 to 16. Default 0.
    #[serde(deserialize_with = "read_replica_count")]
    pub count: u32,
    /// Delay of each commit from the primary to a replica, drawn per commit; the log is one stream, so a commit arrives no earlier than the one before it (a wide distribution at a high write rate adds that wait). The lag a reader sees is this plus the replica's apply queue (`apply`, `db.apply`). Also accepted as `lag`, its name when it was the whole lag. Default: one network hop (`network.hop`; a Raft follower learns of an entry after one hop too).
    #[serde(default, alias = "lag", skip_serializing_if = "Option::is_none")]
    pub shipping: Option<Dist>,
    /// Apply workers per replica: "single" (one commit after another) or N (N commits at once, those sharing a key one after the other), each taking a core for `db.apply` per row; commits show in commit order either way. Above what the workers apply per second, lag grows without bound. Default "single" (MySQL's single applier thread, replica_parallel_workers = 0 before 8.0.27: lag < 1 s at 1k writes/s, 60 s at 5k, 300 s at 10k, against Aurora's 2.6–5.4 ms, Verbitski et al., SIGMOD 2017, Table 4; PostgreSQL's startup process replays the WAL alone).
    pub apply: ApplyWorkers,
    /// Cores per replica, shared by the reads it serves and the writes it applies. Default: the primary's `db.cores`.
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
    #[serde(deserialize_with = "positive_duration")]
    pub failover_after: SimDuration,
    /// What stops an old primary that is cut off from the failure detector but not from all of its clients (a `[[fault]]` partition with `clients`, modelled for kind single; elsewhere this has no effect) from accepting writes after a replica is promoted: "none" (nothing: it serves its side until the partition heals — split brain, and its writes are discarded then), "lease" (it holds a lease it renews with the failure detector and stops serving when the lease runs out, `lease` after it lost it; the failover waits the lease out: Patroni's leader key TTL, Chubby) or "token" (every commit carries the primary's epoch and the log it writes to refuses a stale one once the replica is promoted: its writes fail, its reads keep answering from old data; Kleppmann, "How to do distributed locking", 2016). Default "none", what asynchronous replication with an external failover tool gives unless fencing is set up.
    #[serde(default, skip_serializing_if = "Fencing::is_none")]
    pub fencing: Fencing,
    /// Under `fencing = "lease"`: how long after it last reached the failure detector the old primary stops serving. Default `failover_after`, so no two primaries overlap; a longer lease (a clock that runs slow, a lease not waited out) leaves split brain for the difference.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_positive_duration"
    )]
    pub lease: Option<SimDuration>,
}

fn optional_positive_duration<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<SimDuration>, D::Error> {
    positive_duration(d).map(Some)
}

/// How an old primary is fenced off after a failover (`replicas.fencing`),
/// or a write-behind cache cut off from the system of record
/// (`cache.fencing`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fencing {
    #[default]
    None,
    Lease,
    Token,
}

impl Fencing {
    pub fn is_none(&self) -> bool {
        *self == Fencing::None
    }

    pub fn name(self) -> &'static str {
        match self {
            Fencing::None => "none",
            Fencing::Lease => "lease",
            Fencing::Token => "token",
        }
    }
}

impl ReplicasConfig {
    /// The shipping delay after defaults: one hop of `network`.
    pub fn shipping(&self, network: &crate::model::network::NetworkConfig) -> Dist {
        self.shipping.clone().unwrap_or_else(|| network.hop.clone())
    }

    /// Where reads that miss the cache go, after defaults: to the replicas
    /// when there are some, else to the primary.
    pub fn routing(&self) -> ReadRouting {
        self.reads.unwrap_or(if self.count > 0 {
            ReadRouting::Replicas
        } else {
            ReadRouting::Primary
        })
    }

    /// Read routing that needs replicas the table does not have.
    pub fn contradiction(&self) -> Option<super::registry::Contradiction> {
        let reads = self.reads.unwrap_or(ReadRouting::Primary);
        (self.count == 0 && reads != ReadRouting::Primary).then(|| {
            (
                vec!["replicas", "reads"],
                format!(
                    "reads = \"{}\" needs read replicas; set [architecture.replicas] count to 1 or more",
                    reads.name()
                ),
            )
        })
    }
}

impl Default for ReplicasConfig {
    fn default() -> Self {
        ReplicasConfig {
            count: 0,
            shipping: None,
            apply: ApplyWorkers::SINGLE,
            cores: None,
            reads: None,
            ryw_window: SimDuration::from_secs(2),
            failover_after: SimDuration::from_secs(5),
            fencing: Fencing::None,
            lease: None,
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

/// The database's cost table (`[architecture.db]`), one for every stage:
/// each database node — single's primary and replicas, polyglot's system of
/// record, every shard of sharded and coordinator, every colocated node — is
/// a queueing station with `cores` servers in front of one FIFO queue whose
/// cores pay for working together (`contention`, `coherency`), with a log
/// device of limited speed (`log_iops`, `log_mib_per_s`), costing reads,
/// writes and log forces as below.
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
    /// Forced write of the commit record, or of a Raft log entry at each replica (the log device, not a core); concurrent commits share one flush (group commit). Default "lognormal(p50=300us, p99=1.5ms)" (NVMe/cloud SSD; etcd guide: SSD fdatasync usually < 1 ms). "0s" is a memory-first store with no forced log, for any kind (Ignite 3's raft.fsync = false).
    pub fsync: Dist,
    /// CPU time of one `analytics` query over all the data, on one core: a shard or partition holding a share s of the keys runs s × this, drawn once per query. Default "lognormal(p50=2s, p99=20s)" (estimate).
    pub analytics: Dist,
    /// Time the client that scattered an `analytics` query over shards or partitions takes to merge one more part's partial result: a query over n parts answers n − 1 merges after its last part has answered (none with one part, nor on a single primary, warehouse or read model). Default "1ms" (estimate: combining partial aggregates of a few thousand rows).
    pub analytics_merge: Dist,
    /// Server CPU time on one core of a read replica or Raft follower to apply one row its primary or leader committed, queued with the reads it serves; one apply worker applies 1 / (this × rows per commit) commits per second, and the commit shows there once applied, after every earlier one. Default: `write` (state-machine replication runs every command on every replica, Raft §2; a row-based replica re-applies each row change; PostgreSQL's physical redo is lighter — "the replay process only has to find the page and replay the modification" — set it lower to model that; estimate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply: Option<Dist>,
    /// σ of the Universal Scalability Law: the share of each job's work that serializes across the node's cores (a log insertion lock, a hot buffer partition), so n busy cores do the work of n / (1 + σ(n − 1) + κn(n − 1)) free ones; each job's service is stretched by that ratio for the cores busy when it starts. 0 with `coherency = 0` is the plain M/G/c station. Default 0.01 (estimate, of the size fitted to PostgreSQL: σ ≈ 0.008 from Robert Haas's pgbench measurements of PostgreSQL 9.1 on 32 cores, as tabulated in N. Gunther, "PostgreSQL Scalability Analysis Deconstructed", 2012).
    #[serde(deserialize_with = "usl_coefficient")]
    pub contention: f64,
    /// κ of the Universal Scalability Law: the cost of keeping every pair of busy cores coherent, which makes more cores slower past √((1 − σ)/κ) busy ones. Default 0.0001 (estimate: a twentieth of the κ ≈ 0.002 fitted to PostgreSQL 9.1, whose peak at about 21 busy cores came from a lock manager PostgreSQL 9.2 replaced with fast-path locking, after which Haas measured read-only pgbench scaling to 64 cores; with σ = 0.01 the peak is at 99 busy cores).
    #[serde(deserialize_with = "usl_coefficient")]
    pub coherency: f64,
    /// Forced writes (flushes) per second the node's log device takes: a flush starts no sooner than 1/`log_iops` after the one before, so commits beyond `log_iops` × commits per flush wait for the device. Default 3000 (AWS EBS gp3 baseline: 3,000 IOPS).
    #[serde(deserialize_with = "at_least_one_u32")]
    pub log_iops: u32,
    /// The log device's write bandwidth in MiB/s: a flush of k commit records lasts at least k × `log_record_bytes` / bandwidth (and at least its `fsync` draw), so commits beyond bandwidth / record size per second queue without bound. Default 125 (AWS EBS gp3 baseline: 125 MiB/s).
    #[serde(deserialize_with = "positive_f64")]
    pub log_mib_per_s: f64,
    /// Bytes a commit writes to the log, for `log_mib_per_s`. Default 1024 (estimate: a single-row update's WAL record of 100–200 bytes plus its share of the 8 KB full-page images PostgreSQL writes for a page's first change after each checkpoint).
    #[serde(deserialize_with = "at_least_one_u32")]
    pub log_record_bytes: u32,
    /// How a node's cores share an `analytics` query with everything else they run: "time-slice" (the query holds a core for at most `analytics_quantum`, then goes to the back of the run queue, so short statements wait at most a slice, never a whole query; as the quantum shrinks this is processor sharing) or "fcfs" (the query holds its core until it is done: the worst case, short statements queue behind whole queries). Applies wherever a query runs: a database node, polyglot's warehouse, the coordinator's read model. Default "time-slice" (operating systems time-slice a database's backend processes; PostgreSQL runs one process per connection).
    pub analytics_scheduling: AnalyticsScheduling,
    /// The time slice of a query under "time-slice" scheduling. Default "3ms" (Linux: CFS's minimum granularity and EEVDF's base slice, 0.75 ms × (1 + log2 of the CPU count) = 3 ms from 8 CPUs).
    #[serde(deserialize_with = "positive_duration")]
    pub analytics_quantum: SimDuration,
}

/// How a node's cores share a long `analytics` query with short statements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnalyticsScheduling {
    /// Round robin: the query gives up its core after each quantum.
    #[default]
    TimeSlice,
    /// The query holds its core until it is done.
    Fcfs,
}

impl DbConfig {
    /// CPU time to apply one row at a replica or follower, after defaults.
    pub fn apply(&self) -> Dist {
        self.apply.clone().unwrap_or_else(|| self.write.clone())
    }

    /// A database node with `cores` cores (this table's, or a replica's
    /// own), its cores under this table's scalability law.
    pub fn node(&self, cores: u32, window: Window) -> Station {
        Station::new(cores, window).scaled(self.scalability())
    }

    /// A node's commit path: its log forced to its device, or none with
    /// `fsync = "0s"`.
    pub fn commit_log<J: Copy>(&self, rng: SimRng, window: Window) -> CommitLog<J> {
        CommitLog::new(&self.fsync, self.log_device(), rng, window)
    }

    /// How the node's cores scale together.
    pub fn scalability(&self) -> Scalability {
        Scalability {
            contention: self.contention,
            coherency: self.coherency,
        }
    }

    /// The node's log device.
    pub fn log_device(&self) -> LogDevice {
        LogDevice {
            iops: f64::from(self.log_iops),
            bytes_per_s: self.log_mib_per_s * 1024.0 * 1024.0,
            record_bytes: f64::from(self.log_record_bytes),
        }
    }

    /// The slice an analytics query runs in: `None` when it holds its core
    /// to the end (FCFS).
    pub fn analytics_slice(&self) -> Option<SimDuration> {
        match self.analytics_scheduling {
            AnalyticsScheduling::TimeSlice => Some(self.analytics_quantum),
            AnalyticsScheduling::Fcfs => None,
        }
    }
}

impl Default for DbConfig {
    fn default() -> Self {
        DbConfig {
            cores: 8,
            read: Dist::parse("lognormal(p50=50us, p99=300us)").expect("valid default"),
            write: Dist::parse("80us").expect("valid default"),
            fsync: Dist::parse("lognormal(p50=300us, p99=1.5ms)").expect("valid default"),
            analytics: Dist::parse("lognormal(p50=2s, p99=20s)").expect("valid default"),
            analytics_merge: Dist::parse("1ms").expect("valid default"),
            apply: None,
            contention: 0.01,
            coherency: 0.0001,
            log_iops: 3000,
            log_mib_per_s: 125.0,
            log_record_bytes: 1024,
            analytics_scheduling: AnalyticsScheduling::TimeSlice,
            analytics_quantum: SimDuration::from_millis(3),
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
pub(super) fn shard_count_or_table<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<ShardsConfig, D::Error> {
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
