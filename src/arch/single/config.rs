//! What a `kind = "single"` architecture reads of its `[[architecture]]`
//! entry: its registry entry, the settings it refuses, the roles faults can
//! target.

use crate::arch::registry::{self, Contradiction, Kind};
use crate::faults::{self, Role, RoleSet};
use crate::scenario::{ArchKind, ArchitectureConfig};
use crate::workload::OpKind;

pub const KIND: Kind = Kind {
    kind: ArchKind::Single,
    name: "single",
    summary: "Stage 1, Single System: one primary database, cache-aside cache, read replicas",
    tables: &["db", "cache", "replicas"],
    serves: |op| {
        !matches!(
            op,
            OpKind::DocGet
                | OpKind::DocPut
                | OpKind::Search
                | OpKind::SessionGet
                | OpKind::SessionPut
        )
    },
    roles,
    check,
};

/// The roles faults can target: the primary, the replicas, the cache.
pub fn roles(config: &ArchitectureConfig) -> RoleSet {
    let mut set = RoleSet::default();
    set.add(Role::Primary, faults::SERVER);
    if config.replicas.count > 0 {
        set.add(Role::Replica, faults::REPLICA);
    }
    if config.cache.capacity > 0 {
        set.add(Role::Cache, faults::CACHE);
    }
    set
}

fn check(config: &ArchitectureConfig) -> Option<Contradiction> {
    registry::one_cache_node(config)
}
