//! What a `kind = "sharded"` architecture reads of its `[[architecture]]`
//! entry: its registry entry, the settings it refuses, the roles faults can
//! target.

use crate::arch::registry::{Contradiction, Kind};
use crate::faults::{self, Role, RoleSet};
use crate::scenario::{AnalyticsOn, ArchKind, ArchitectureConfig, ReadRouting};
use crate::workload::OpKind;

pub const KIND: Kind = Kind {
    kind: ArchKind::Sharded,
    name: "sharded",
    summary: "Stage 3, Distributed by Default: sharded DB with hash/range/directory routing and scatter-gather",
    tables: &["db", "cache", "replicas", "shards", "docstore"],
    serves: |op| !matches!(op, OpKind::SessionGet | OpKind::SessionPut),
    roles,
    check,
};

/// The roles faults can target: every shard's primary (`primary`) or one
/// (`shard:<i>`), the replicas, the cache grid.
pub fn roles(config: &ArchitectureConfig) -> RoleSet {
    let mut set = RoleSet::default();
    set.add(Role::Primary, faults::SERVER).add_indexed(
        "shard",
        config.shards.count,
        faults::SERVER,
    );
    if config.replicas.count > 0 {
        set.add(Role::Replica, faults::REPLICA);
    }
    if config.cache.capacity > 0 {
        set.add(Role::Cache, faults::CACHE);
    }
    set
}

fn check(config: &ArchitectureConfig) -> Option<Contradiction> {
    if config.replicas.reads == Some(ReadRouting::ReadYourWrites) {
        return Some((
            vec!["replicas", "reads"],
            "read-your-writes routing is simulated for kind = \"single\"; use \
             \"primary\" or \"replicas\" here"
                .to_string(),
        ));
    }
    if config.analytics_on == AnalyticsOn::Replica {
        return Some((
            vec!["analytics_on"],
            "analytics runs on every shard's primary for kind = \"sharded\"; remove \
             analytics_on"
                .to_string(),
        ));
    }
    None
}
