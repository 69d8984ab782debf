//! What an architecture carrying the specialized stores reads of its
//! `[architecture.stores]` table: the stores' servers, how each derived
//! store is kept in sync, and the faults and memory they add. Polyglot
//! always carries them; sharded and coordinator carry them when the table
//! is given (a stage-2 system, clustered).

use documented::{Documented, DocumentedFields};
use serde::{Deserialize, Serialize};

use super::Derived;
use crate::arch::memory::{BATCH, COPY};
use crate::dist::Dist;
use crate::dist::checks::{
    at_least_one_u32, core_count, positive_duration, positive_f64, unit_interval,
};
use crate::faults::{self, Role, RoleSet};
use crate::sim::SimDuration;

/// The specialized stores (`[architecture.stores]`): a cache (sized by
/// `[architecture.cache]`), a search index, a warehouse and a session store
/// beside the system of record, and how each derived one learns of its
/// writes. Polyglot's; sharded and coordinator carry them when the table is
/// given, each store one server (cluster) beside all the shards.
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

impl StoresConfig {
    /// Sets every derived store's sync path left at its default to the
    /// `sync` shorthand's, if given.
    pub fn fold_sync(&mut self) {
        if let Some(sync) = self.sync.take() {
            let d = StoresConfig::default();
            for (field, default) in [
                (&mut self.cache_sync, d.cache_sync),
                (&mut self.search_sync, d.search_sync),
                (&mut self.warehouse_sync, d.warehouse_sync),
            ] {
                if *field == default {
                    *field = sync;
                }
            }
        }
    }

    /// The index, the warehouse and the session store as fault targets,
    /// and the pipeline of each derived store fed by CDC or an event bus
    /// (the cache's only when there is a cache it feeds, `cache_fed`).
    pub fn roles(&self, set: &mut RoleSet, cache_fed: bool) {
        set.add(Role::Index, faults::SERVER)
            .add(Role::Warehouse, faults::SERVER)
            .add(Role::SessionStore, faults::SERVER);
        for (store, sync) in [
            (Derived::Cache, self.cache_sync),
            (Derived::Search, self.search_sync),
            (Derived::Warehouse, self.warehouse_sync),
        ] {
            let fed = store != Derived::Cache || cache_fed;
            if sync != Sync::DualWrite && fed {
                set.add(Role::Pipeline(store.name().to_string()), faults::PIPELINE);
            }
        }
    }

    /// The search index's and the warehouse's copies and what each holds
    /// until its boundary, and the pipelines' per-key order.
    pub fn bytes_per_key(&self) -> u64 {
        2 * (COPY + BATCH) + 8
    }

    /// The index holds a refresh interval of changes, the warehouse a
    /// load interval (15 minutes by default: the larger share).
    pub fn pending_changes(&self, writes_per_s: f64) -> f64 {
        let held = self.refresh + self.load_every;
        writes_per_s * held.as_secs_f64()
    }
}
