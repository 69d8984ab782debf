//! What a `kind = "polyglot"` architecture reads of its `[[architecture]]`
//! entry: its registry entry, its tables (the specialized stores and how
//! they are kept in sync) and the settings it refuses, the roles faults can
//! target, its memory per key, its constructor.

use documented::{Documented, DocumentedFields};
use serde::{Deserialize, Serialize};

use super::Derived;
use crate::arch::memory::{CACHE, COPY};
use crate::arch::registry::{self, Contradiction, Foreign, Kind, KindConfig, Shorthand};
use crate::arch::single::config::CACHE_NODES;
use crate::arch::{CacheConfig, DbConfig, Launch, RunResult};
use crate::dist::Dist;
use crate::dist::checks::{
    at_least_one_u32, core_count, positive_duration, positive_f64, unit_interval,
};
use crate::faults::{self, Role, RoleSet};
use crate::sim::SimDuration;
use crate::workload::OpKind;

pub const KIND: Kind = Kind {
    kind: registry::ArchKind::Polyglot,
    name: "polyglot",
    summary: "Stage 2, Specialized Persistence: DB + cache + search + warehouse + session store kept in sync by dual writes, CDC or an event bus",
    tables: &["db", "cache", "stores"],
    fields: &[],
    shorthands: &[
        CACHE_NODES,
        Shorthand {
            key: "sync",
            field: ["stores", "sync"],
            doc: "Shorthand for `stores.sync`: one sync path for every derived store of the \
                  polyglot architecture.",
        },
    ],
    serves: |op| !matches!(op, OpKind::DocGet | OpKind::DocPut),
};

/// Specialized persistence: the database beside a cache, a search index, a
/// warehouse and a session store.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The database, the system of record.
    pub db: DbConfig,
    /// The cache kept in sync with the database (`stores.cache_sync`). Default: none (capacity 0).
    pub cache: CacheConfig,
    /// The specialized stores and how they are kept in sync.
    pub stores: StoresConfig,
}

impl KindConfig for Config {
    const KIND: &'static Kind = &KIND;

    /// The database, the cache, the index, the warehouse, the session
    /// store, and the pipeline of each store fed by CDC or an event bus.
    fn roles(&self) -> RoleSet {
        let mut set = RoleSet::default();
        set.add(Role::Primary, faults::SERVER);
        if self.cache.capacity > 0 {
            set.add(Role::Cache, faults::CACHE);
        }
        set.add(Role::Index, faults::SERVER)
            .add(Role::Warehouse, faults::SERVER)
            .add(Role::SessionStore, faults::SERVER);
        let st = &self.stores;
        for (store, sync) in [
            (Derived::Cache, st.cache_sync),
            (Derived::Search, st.search_sync),
            (Derived::Warehouse, st.warehouse_sync),
        ] {
            let fed = store != Derived::Cache || self.cache.capacity > 0;
            if sync != Sync::DualWrite && fed {
                set.add(Role::Pipeline(store.name().to_string()), faults::PIPELINE);
            }
        }
        set
    }

    fn check(&self, foreign: &Foreign) -> Option<Contradiction> {
        registry::one_cache_node(&self.cache).or_else(|| registry::analytics_on_primary(foreign))
    }

    /// `stores.sync` (or the `sync` shorthand) sets every derived store's
    /// sync path left at its default.
    fn fold_shorthands(&mut self) {
        let st = &mut self.stores;
        if let Some(sync) = st.sync.take() {
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

    /// The cache's index, the search index and the warehouse, and the
    /// pipelines' per-key order.
    fn bytes_per_key(&self) -> u64 {
        let cache = if self.cache.capacity > 0 { CACHE } else { 0 };
        cache + 2 * COPY + 8
    }

    /// The index holds a refresh interval of changes, the warehouse a
    /// load interval (15 minutes by default: the larger share).
    fn pending_changes(&self, writes_per_s: f64) -> f64 {
        let held = self.stores.refresh + self.stores.load_every;
        writes_per_s * held.as_secs_f64()
    }

    fn serialize_field<S: serde::ser::SerializeStruct>(
        &self,
        field: &'static str,
        out: &mut S,
    ) -> Result<bool, S::Error> {
        registry::serialize_fields!(self, field, out; db, cache, stores)
    }

    fn run(&self, launch: Launch<'_>) -> RunResult {
        let system =
            super::Polyglot::new(self, launch.setting(), launch.streams(), launch.window());
        launch.run(system)
    }
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
    /// A change reaching the index becomes searchable at the next refresh; refreshes are this far apart, the first at a point of the first interval drawn for each run. Default "1s" (Elasticsearch refresh_interval).
    #[serde(deserialize_with = "positive_duration")]
    pub refresh: SimDuration,
    /// The warehouse makes changes visible in batch loads this far apart (also accepted as `interval`), the first at a point of the first interval drawn for each run, so that the lag reported is the steady state's (mean half of this) however short the run. Default "15m" (micro-batches; Snowpipe "within minutes").
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
