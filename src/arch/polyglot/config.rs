//! What a `kind = "polyglot"` architecture reads of its `[[architecture]]`
//! entry: its registry entry, its tables (the specialized stores and how
//! they are kept in sync) and the settings it refuses, the roles faults can
//! target, its memory per key, its constructor.

use documented::DocumentedFields;
use serde::{Deserialize, Serialize};

use crate::arch::memory::CACHE;
use crate::arch::registry::{self, Contradiction, Foreign, Kind, KindConfig, Shorthand};
use crate::arch::single::config::CACHE_NODES;
use crate::arch::{CacheConfig, DbConfig, Launch, RunResult, StoresConfig};
use crate::faults::{self, Role, RoleSet};
use crate::workload::OpKind;

pub const KIND: Kind = Kind {
    kind: registry::ArchKind::Polyglot,
    name: "polyglot",
    summary: "Stage 2, Specialized Persistence: DB + cache + search + warehouse + session store kept in sync by dual writes, CDC or an event bus",
    tables: &["db", "cache", "stores"],
    optional: &[],
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
        set.add(Role::Primary, faults::SOURCE);
        if self.cache.capacity > 0 {
            set.add(Role::Cache, faults::CACHE);
        }
        self.stores.roles(&mut set, self.cache.capacity > 0);
        set
    }

    fn check(&self, foreign: &Foreign) -> Option<Contradiction> {
        registry::one_cache_node(&self.cache)
            .or_else(|| registry::leases_single_only(&self.cache))
            .or_else(|| registry::one_app_server(&self.cache))
            .or_else(|| registry::analytics_on_primary(foreign))
            .or_else(|| registry::cache_fencing_write_behind(&self.cache, false))
    }

    /// `stores.sync` (or the `sync` shorthand) sets every derived store's
    /// sync path left at its default.
    fn fold_shorthands(&mut self) {
        self.stores.fold_sync();
    }

    /// The cache's index, the search index and the warehouse, and the
    /// pipelines' per-key order.
    fn bytes_per_key(&self) -> u64 {
        let cache = if self.cache.capacity > 0 { CACHE } else { 0 };
        cache + self.stores.bytes_per_key()
    }

    fn cache_entries(&self, keys: u64) -> u64 {
        self.cache.capacity.min(keys)
    }

    /// The index holds a refresh interval of changes, the warehouse a
    /// load interval (15 minutes by default: the larger share).
    fn pending_changes(&self, writes_per_s: f64) -> f64 {
        self.stores.pending_changes(writes_per_s)
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
