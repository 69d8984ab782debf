//! What a `kind = "polyglot"` architecture reads of its `[[architecture]]`
//! entry: its registry entry, the settings it refuses, the roles faults can
//! target.

use super::Derived;
use crate::arch::registry::{self, Contradiction, Kind};
use crate::faults::{self, Role, RoleSet};
use crate::scenario::{ArchKind, ArchitectureConfig, Sync};
use crate::workload::OpKind;

pub const KIND: Kind = Kind {
    kind: ArchKind::Polyglot,
    name: "polyglot",
    summary: "Stage 2, Specialized Persistence: DB + cache + search + warehouse + session store kept in sync by dual writes, CDC or an event bus",
    tables: &["db", "cache", "stores"],
    serves: |op| !matches!(op, OpKind::DocGet | OpKind::DocPut),
    roles,
    check,
};

/// The roles faults can target: the database, the cache, the index, the
/// warehouse, the session store, and the pipeline of each store fed by CDC
/// or an event bus.
pub fn roles(config: &ArchitectureConfig) -> RoleSet {
    let mut set = RoleSet::default();
    set.add(Role::Primary, faults::SERVER);
    if config.cache.capacity > 0 {
        set.add(Role::Cache, faults::CACHE);
    }
    set.add(Role::Index, faults::SERVER)
        .add(Role::Warehouse, faults::SERVER)
        .add(Role::SessionStore, faults::SERVER);
    let st = &config.stores;
    for (store, sync) in [
        (Derived::Cache, st.cache_sync),
        (Derived::Search, st.search_sync),
        (Derived::Warehouse, st.warehouse_sync),
    ] {
        let fed = store != Derived::Cache || config.cache.capacity > 0;
        if sync != Sync::DualWrite && fed {
            set.add(Role::Pipeline(store.name().to_string()), faults::PIPELINE);
        }
    }
    set
}

fn check(config: &ArchitectureConfig) -> Option<Contradiction> {
    registry::one_cache_node(config)
}
