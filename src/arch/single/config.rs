//! What a `kind = "single"` architecture reads of its `[[architecture]]`
//! entry: its registry entry, its tables and the settings it refuses, the
//! roles faults can target, its memory per key, its constructor.

use documented::DocumentedFields;
use serde::{Deserialize, Serialize};

use crate::arch::memory::{CACHE, COPY, LEASE};
use crate::arch::registry::{self, Contradiction, Foreign, Kind, KindConfig, Shorthand};
use crate::arch::{
    AnalyticsOn, CacheConfig, DbConfig, Launch, Placement, ReplicasConfig, RunResult,
};
use crate::faults::{self, Role, RoleSet};

pub const KIND: Kind = Kind {
    kind: registry::ArchKind::Single,
    name: "single",
    summary: "Stage 1, Single System: one primary database, cache-aside cache, read replicas",
    tables: &["db", "cache", "replicas"],
    optional: &[],
    fields: &["analytics_on"],
    shorthands: &[CACHE_NODES],
    serves: registry::serves_records,
};

/// A single system: one primary, a cache, read replicas.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where `analytics` operations run: "primary" or "replica" (the last read replica). Default "primary".
    pub analytics_on: AnalyticsOn,
    /// The primary database.
    pub db: DbConfig,
    /// The app-tier cache (cache-aside). Default: none (capacity 0).
    pub cache: CacheConfig,
    /// Asynchronous read replicas. Default: none (count 0).
    pub replicas: ReplicasConfig,
}

impl Config {
    /// Caches of their own per application server are in-process maps,
    /// without leases.
    fn app_server_caches(&self) -> Option<Contradiction> {
        let c = &self.cache;
        if c.app_servers <= 1 {
            return None;
        }
        let why = if c.placement == Placement::Remote {
            "app_servers > 1 gives each application server a cache of its own, which needs \
             placement = \"in-process\" (a remote cache is one shared server); set placement = \
             \"in-process\" or app_servers = 1"
        } else if c.leases {
            "cache leases are simulated for one shared cache; remove leases or set \
             app_servers = 1"
        } else {
            return None;
        };
        Some((vec!["cache", "app_servers"], why.to_string()))
    }
}

/// `cache_nodes = 4` for `cache.nodes`.
pub const CACHE_NODES: Shorthand = Shorthand {
    key: "cache_nodes",
    field: ["cache", "nodes"],
    doc: "Shorthand for `cache.nodes`: the nodes of the sharded architecture's cache grid.",
};

impl KindConfig for Config {
    const KIND: &'static Kind = &KIND;

    /// The primary, the replicas, the cache.
    fn roles(&self) -> RoleSet {
        let mut set = RoleSet::default();
        set.add(Role::Primary, faults::SOURCE);
        if self.replicas.count > 0 {
            set.add(Role::Replica, faults::REPLICA);
        }
        if self.cache.capacity > 0 {
            set.add(Role::Cache, faults::CACHE);
        }
        set
    }

    fn check(&self, _foreign: &Foreign) -> Option<Contradiction> {
        registry::one_cache_node(&self.cache)
            .or_else(|| self.app_server_caches())
            .or_else(|| registry::cache_fencing_write_behind(&self.cache, false))
    }

    fn check_tables(&self) -> Option<Contradiction> {
        if let Some(c) = self.replicas.contradiction() {
            return Some(c);
        }
        (self.replicas.count == 0 && self.analytics_on == AnalyticsOn::Replica).then(|| {
            (
                vec!["analytics_on"],
                "analytics_on = \"replica\" needs a read replica; set [architecture.replicas] \
                 count to 1 or more"
                    .to_string(),
            )
        })
    }

    /// One cache per application server.
    fn bytes_per_key(&self) -> u64 {
        let cache = match (self.cache.capacity > 0, self.cache.leases) {
            (false, _) => 0,
            (true, false) => CACHE,
            (true, true) => CACHE + LEASE,
        };
        cache * u64::from(self.cache.app_servers) + COPY * u64::from(self.replicas.count)
    }

    fn cache_entries(&self, keys: u64) -> u64 {
        self.cache
            .capacity
            .min(keys)
            .saturating_mul(u64::from(self.cache.app_servers))
    }

    fn serialize_field<S: serde::ser::SerializeStruct>(
        &self,
        field: &'static str,
        out: &mut S,
    ) -> Result<bool, S::Error> {
        registry::serialize_fields!(self, field, out; analytics_on, db, cache, replicas)
    }

    fn run(&self, launch: Launch<'_>) -> RunResult {
        let system = super::Single::new(self, launch.setting(), launch.streams(), launch.window());
        launch.run(system)
    }
}
