//! What a `kind = "colocated"` architecture reads of its `[[architecture]]`
//! entry: its registry entry, the settings it refuses, the roles faults can
//! target.

use crate::arch::registry::{self, Contradiction, Kind};
use crate::faults::{self, Role, RoleSet};
use crate::scenario::{ArchKind, ArchitectureConfig, CacheConfig, DbConfig, RaftReads};
use crate::workload::OpKind;

pub const KIND: Kind = Kind {
    kind: ArchKind::Colocated,
    name: "colocated",
    summary: "Stage 5, Acceleration Database: affinity-partitioned Raft groups, memory-first, server-side execution",
    tables: &["db", "partitions"],
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

/// The roles faults can target: each partition's leader, every leader
/// (`primary`), each node.
pub fn roles(config: &ArchitectureConfig) -> RoleSet {
    let c = &config.partitions;
    let mut set = RoleSet::default();
    set.add(Role::Primary, faults::SERVER)
        .add_indexed("leader", c.partitions(), faults::SERVER)
        .add_indexed("node", c.nodes, faults::SERVER);
    set
}

fn check(config: &ArchitectureConfig) -> Option<Contradiction> {
    let db_beyond_analytics = config.db
        != DbConfig {
            analytics: config.db.analytics.clone(),
            ..DbConfig::default()
        };
    if db_beyond_analytics {
        return Some((
            vec!["db"],
            "the colocated store is sized by [architecture.partitions] (nodes, cores, \
             read, write, fsync); of [architecture.db] it reads only analytics"
                .to_string(),
        ));
    }
    if config.cache != CacheConfig::default() {
        return Some((
            vec!["cache"],
            "the colocated store keeps its data in memory and has no separate cache; \
             remove [architecture.cache]"
                .to_string(),
        ));
    }
    if let Some(c) = registry::analytics_on_primary(config) {
        return Some(c);
    }
    let p = &config.partitions;
    if p.reads == RaftReads::Follower && p.replication < 2 {
        return Some((
            vec!["partitions", "reads"],
            "follower reads need followers: set replication to 2 or more, or reads = \
             \"leader\""
                .to_string(),
        ));
    }
    if p.replication > p.nodes {
        return Some((
            vec!["partitions", "nodes"],
            format!(
                "replication = {} needs at least as many nodes, and there are {}; \
                 raise partitions.nodes or lower replication",
                p.replication, p.nodes
            ),
        ));
    }
    None
}
