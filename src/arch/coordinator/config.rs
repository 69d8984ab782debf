//! What a `kind = "coordinator"` architecture reads of its `[[architecture]]`
//! entry: its registry entry, its tables (the shards, the transaction
//! coordinator and read models) and the settings it refuses, the roles
//! faults can target, its memory per key, its constructor.

use documented::{Documented, DocumentedFields};
use serde::{Deserialize, Serialize};

use crate::arch::memory::{CACHE, COPY};
use crate::arch::registry::{self, Contradiction, Foreign, Kind, KindConfig};
use crate::arch::sharded::config::SHARD_SHORTHANDS;
use crate::arch::tables::shard_count_or_table;
use crate::arch::{CacheConfig, DbConfig, Launch, RunResult, ShardsConfig, StoresConfig, Sync};
use crate::dist::Dist;
use crate::dist::checks::{core_count, positive_duration, unit_interval};
use crate::faults::{self, Role, RoleSet};
use crate::sim::SimDuration;
use crate::workload::OpKind;

pub const KIND: Kind = Kind {
    kind: registry::ArchKind::Coordinator,
    name: "coordinator",
    summary: "Stage 4, Managed Consistency: shards under a 2PC transaction coordinator, CQRS read models",
    tables: &["db", "cache", "shards", "coordinator", "stores"],
    optional: &["stores"],
    fields: &[],
    shorthands: SHARD_SHORTHANDS,
    serves: registry::serves_records,
};

/// Shards under a transaction coordinator, with read models beside them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Each shard's database.
    pub db: DbConfig,
    /// The boundary cache (write-through or write-behind). Default: none (capacity 0).
    pub cache: CacheConfig,
    /// The shards: a table, or just the shard count (`shards = 16`).
    #[serde(deserialize_with = "shard_count_or_table")]
    pub shards: ShardsConfig,
    /// The transaction coordinator and read models.
    pub coordinator: CoordinatorConfig,
    /// The specialized stores of stage 2 (a search index, a warehouse, a session store) and the sync paths of the index and the warehouse, beside the read model: a polyglot system under a coordinator. `analytics` then runs on the warehouse; the boundary cache keeps its own write-through or write-behind path (`stores.cache_sync` does not apply). Default: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stores: Option<StoresConfig>,
}

impl Config {
    /// Whether the boundary cache takes puts behind the write model: there
    /// is one, and not every key is critical (written through).
    fn writes_behind(&self) -> bool {
        self.cache.capacity > 0 && self.coordinator.critical < 1.0
    }
}

impl KindConfig for Config {
    const KIND: &'static Kind = &KIND;

    /// The coordinator, every shard (`primary`) or one, the boundary cache,
    /// the event log feeding the read model.
    fn roles(&self) -> RoleSet {
        let mut set = RoleSet::default();
        set.add(Role::Coordinator, faults::SERVER)
            .add(Role::Primary, faults::SOURCE)
            .add_indexed("shard", self.shards.count, faults::SERVER)
            .add(Role::Pipeline("read_model".to_string()), faults::PIPELINE);
        if self.cache.capacity > 0 {
            set.add(Role::Cache, faults::CACHE);
        }
        if let Some(stores) = &self.stores {
            stores.roles(&mut set, false);
        }
        set
    }

    /// With the specialized stores, search queries and sessions too.
    fn serves(&self, op: OpKind) -> bool {
        let stored = matches!(op, OpKind::Search | OpKind::SessionGet | OpKind::SessionPut);
        (KIND.serves)(op) || (self.stores.is_some() && stored)
    }

    fn fold_shorthands(&mut self) {
        if let Some(stores) = &mut self.stores {
            stores.fold_sync();
        }
    }

    fn check(&self, foreign: &Foreign) -> Option<Contradiction> {
        let write_behind = self.writes_behind();
        let dual_written = self.stores.as_ref().and_then(|st| {
            [
                ("search_sync", st.search_sync),
                ("warehouse_sync", st.warehouse_sync),
            ]
            .into_iter()
            .find(|(_, sync)| *sync == Sync::DualWrite)
        });
        if let (true, Some((field, _))) = (write_behind, dual_written) {
            return Some((
                vec!["stores", field],
                "a write-behind put is acknowledged by the cache before it commits, so the \
                 application has nothing to dual-write: use \"cdc\" or \"event-bus\" here, or \
                 write every key through (coordinator.critical = 1)"
                    .to_string(),
            ));
        }
        if self.shards.cross_shard != ShardsConfig::default().cross_shard {
            return Some((
                vec!["shards", "cross_shard"],
                "the coordinator commits cross-shard transfers with two-phase commit; \
                 remove cross_shard"
                    .to_string(),
            ));
        }
        let allowed = [OpKind::Get, OpKind::Transfer];
        if let Some(k) = self
            .coordinator
            .strong
            .iter()
            .find(|k| !allowed.contains(k))
        {
            return Some((
                vec!["coordinator", "strong"],
                format!(
                    "strong lists {k}; it names the reads the write model serves: get \
                     (transfer always runs there; rmw and reserve run where [workload] \
                     rmw says: \"server\" at the shard under its lock, \"client\" read \
                     from the read model and written blind; multi_get and analytics \
                     are served by the read model)"
                ),
            ));
        }
        registry::analytics_on_primary(foreign)
            .or_else(|| registry::one_cache_node(&self.cache))
            .or_else(|| registry::leases_single_only(&self.cache))
            .or_else(|| registry::one_app_server(&self.cache))
            .or_else(|| registry::cache_fencing_write_behind(&self.cache, write_behind))
    }

    /// A partition of the cache that leaves clients on its side needs a
    /// write-behind cache: a write-through one accepts nothing on its own.
    fn check_fault(&self, f: &crate::faults::Fault) -> Option<(&'static str, String)> {
        (f.clients > 0.0 && f.target == Role::Cache && !self.writes_behind()).then(|| {
            (
                "clients",
                "a partition that leaves clients on the cache's side splits the cache from the \
                 write model only when the cache writes behind; set [architecture.coordinator] \
                 critical below 1, or remove `clients`"
                    .to_string(),
            )
        })
    }

    /// The cache's index, the read model and the specialized stores.
    fn bytes_per_key(&self) -> u64 {
        let cache = if self.cache.capacity > 0 { CACHE } else { 0 };
        let stores = self.stores.as_ref().map_or(0, StoresConfig::bytes_per_key);
        cache + COPY + stores
    }

    fn cache_entries(&self, keys: u64) -> u64 {
        self.cache.capacity.min(keys)
    }

    /// The specialized stores' index and warehouse, if carried.
    fn pending_changes(&self, writes_per_s: f64) -> f64 {
        self.stores
            .as_ref()
            .map_or(0.0, |s| s.pending_changes(writes_per_s))
    }

    fn serialize_field<S: serde::ser::SerializeStruct>(
        &self,
        field: &'static str,
        out: &mut S,
    ) -> Result<bool, S::Error> {
        registry::serialize_fields!(self, field, out; db, cache, shards, coordinator, stores)
    }

    fn run(&self, launch: Launch<'_>) -> RunResult {
        let system =
            super::Coordinator::new(self, launch.setting(), launch.streams(), launch.window());
        launch.run(system)
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
    /// Reads that go to the write model (the shards, under locks) instead of the read model: "get" may be listed; "transfer" always goes there; `rmw` and `reserve` follow `[workload] rmw` (at the shards when "server", the default). Default ["transfer"].
    pub strong: Vec<OpKind>,
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
        let dist = |s: &str| Dist::parse(s).expect("valid default");
        CoordinatorConfig {
            cores: 4,
            service: dist("20us"),
            lock_timeout: SimDuration::from_secs(1),
            retries: 3,
            backoff: dist("exp(5ms)"),
            strong: vec![OpKind::Transfer],
            critical: 1.0,
            flush: SimDuration::from_secs(5),
            log_delay: dist("lognormal(p50=10ms, p99=30ms)"),
            read_cores: 8,
        }
    }
}
