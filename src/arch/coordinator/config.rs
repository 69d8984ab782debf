//! What a `kind = "coordinator"` architecture reads of its `[[architecture]]`
//! entry: its registry entry, the settings it refuses, the roles faults can
//! target.

use crate::arch::registry::{self, Contradiction, Kind};
use crate::faults::{self, Role, RoleSet};
use crate::scenario::{ArchKind, ArchitectureConfig, ShardsConfig};
use crate::workload::OpKind;

pub const KIND: Kind = Kind {
    kind: ArchKind::Coordinator,
    name: "coordinator",
    summary: "Stage 4, Managed Consistency: shards under a 2PC transaction coordinator, CQRS read models",
    tables: &["db", "cache", "shards", "coordinator"],
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

/// The roles faults can target: the coordinator, every shard (`primary`)
/// or one, the boundary cache, the event log feeding the read model.
pub fn roles(config: &ArchitectureConfig) -> RoleSet {
    let mut set = RoleSet::default();
    set.add(Role::Coordinator, faults::SERVER)
        .add(Role::Primary, faults::SERVER)
        .add_indexed("shard", config.shards.count, faults::SERVER)
        .add(Role::Pipeline("read_model".to_string()), faults::PIPELINE);
    if config.cache.capacity > 0 {
        set.add(Role::Cache, faults::CACHE);
    }
    set
}

fn check(config: &ArchitectureConfig) -> Option<Contradiction> {
    if config.shards.cross_shard != ShardsConfig::default().cross_shard {
        return Some((
            vec!["shards", "cross_shard"],
            "the coordinator commits cross-shard transfers with two-phase commit; \
             remove cross_shard"
                .to_string(),
        ));
    }
    let allowed = [OpKind::Get, OpKind::Rmw, OpKind::Reserve, OpKind::Transfer];
    if let Some(k) = config
        .coordinator
        .strong
        .iter()
        .find(|k| !allowed.contains(k))
    {
        return Some((
            vec!["coordinator", "strong"],
            format!(
                "strong lists {k}; the write model serves get, rmw, reserve and \
                 transfer (multi_get and analytics are served by the read model)"
            ),
        ));
    }
    registry::analytics_on_primary(config).or_else(|| registry::one_cache_node(config))
}
