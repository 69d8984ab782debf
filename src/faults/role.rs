//! Roles: what a fault targets, named the same way for every architecture.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::FaultKind;

/// A part of an architecture, by the role it plays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// The database primary (every shard's primary in a sharded design).
    Primary,
    /// The read replicas.
    Replica,
    /// The cache in front of the database (all its nodes).
    Cache,
    /// One shard's primary.
    Shard(u32),
    /// The transaction coordinator.
    Coordinator,
    /// One node of a colocated cluster.
    Node(u32),
    /// The leader of one partition's Raft group.
    Leader(u32),
    /// The replication path or pipeline feeding a store.
    Pipeline(String),
    /// The search index.
    Index,
    /// The analytics warehouse.
    Warehouse,
    /// The session store.
    SessionStore,
    /// A directory-routed cluster's directory service: clients whose
    /// cached entry covers a key route without it; a miss must ask it.
    Directory,
}

/// Roles without an index, by name.
const PLAIN: [(&str, Role); 8] = [
    ("primary", Role::Primary),
    ("replica", Role::Replica),
    ("cache", Role::Cache),
    ("coordinator", Role::Coordinator),
    ("index", Role::Index),
    ("warehouse", Role::Warehouse),
    ("session_store", Role::SessionStore),
    ("directory", Role::Directory),
];

impl Role {
    /// Parses "primary", "shard:3", "pipeline:search", ….
    pub fn parse(text: &str) -> Result<Role, String> {
        let text = text.trim();
        if let Some((_, role)) = PLAIN.iter().find(|(name, _)| *name == text) {
            return Ok(role.clone());
        }
        let expected = "expected a role: primary, replica, cache, shard:<i>, coordinator, \
                        node:<i>, leader:<partition>, pipeline:<store>, index, warehouse, \
                        session_store or directory";
        let Some((base, arg)) = text.split_once(':') else {
            return Err(format!("unknown role \"{text}\"; {expected}"));
        };
        let index = || {
            arg.parse::<u32>().map_err(|_| {
                format!("\"{text}\": the part after \"{base}:\" must be a number from 0, e.g. \"{base}:0\"")
            })
        };
        match base {
            "shard" => index().map(Role::Shard),
            "node" => index().map(Role::Node),
            "leader" => index().map(Role::Leader),
            "pipeline" if is_store_name(arg) => Ok(Role::Pipeline(arg.to_string())),
            "pipeline" => Err(format!(
                "\"{text}\": name the store the pipeline feeds, e.g. \"pipeline:search\""
            )),
            _ => Err(format!("unknown role \"{text}\"; {expected}")),
        }
    }

    /// Whether the two roles can name one component: the same role,
    /// `primary` and any shard or leader, a node and any leader or
    /// `primary` (a leader lives on some node).
    pub fn intersects(&self, other: &Role) -> bool {
        use Role::{Leader, Node, Primary, Shard};
        self == other
            || matches!(
                (self, other),
                (Primary, Shard(_) | Leader(_) | Node(_))
                    | (Shard(_) | Leader(_) | Node(_), Primary)
                    | (Node(_), Leader(_))
                    | (Leader(_), Node(_))
            )
    }

    /// The role's name without its index: "shard" for "shard:3".
    pub fn base(&self) -> &str {
        match self {
            Role::Shard(_) => "shard",
            Role::Node(_) => "node",
            Role::Leader(_) => "leader",
            Role::Pipeline(_) => "pipeline",
            other => PLAIN
                .iter()
                .find(|(_, r)| r == other)
                .map(|(n, _)| *n)
                .expect("a plain role"),
        }
    }
}

fn is_store_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 32 && s.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Role::Shard(i) | Role::Node(i) | Role::Leader(i) => write!(f, "{}:{i}", self.base()),
            Role::Pipeline(store) => write!(f, "pipeline:{store}"),
            _ => f.write_str(self.base()),
        }
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Role, D::Error> {
        let text = String::deserialize(d)?;
        Role::parse(&text).map_err(D::Error::custom)
    }
}

/// One role an architecture has, and the faults it can take.
#[derive(Clone, Debug)]
struct Entry {
    /// "primary", "shard", "pipeline:search".
    name: String,
    /// For an indexed role, how many there are (indices 0..count).
    count: Option<u32>,
    kinds: &'static [FaultKind],
}

/// The roles one architecture has (see `arch::roles`).
#[derive(Clone, Debug, Default)]
pub struct RoleSet {
    entries: Vec<Entry>,
}

/// Faults a server (a station) can take.
pub const SERVER: &[FaultKind] = &[FaultKind::Crash, FaultKind::Partition, FaultKind::Slow];
/// Faults a cache can take.
pub const CACHE: &[FaultKind] = &[
    FaultKind::Crash,
    FaultKind::Partition,
    FaultKind::Slow,
    FaultKind::Flush,
];
/// Faults a replicated copy can take: its server's, and lag on its path.
pub const REPLICA: &[FaultKind] = &[
    FaultKind::Crash,
    FaultKind::Partition,
    FaultKind::Slow,
    FaultKind::Lag,
];
/// Faults the source of record can take: a server's, and a schema change
/// that must reach every store fed from it.
pub const SOURCE: &[FaultKind] = &[
    FaultKind::Crash,
    FaultKind::Partition,
    FaultKind::Slow,
    FaultKind::SchemaChange,
];
/// Faults a sharded database's primaries can take: the source's, and a
/// reshard of them all.
pub const RESHARDABLE: &[FaultKind] = &[
    FaultKind::Crash,
    FaultKind::Partition,
    FaultKind::Slow,
    FaultKind::Reshard,
    FaultKind::SchemaChange,
];
/// Faults a pipeline can take.
pub const PIPELINE: &[FaultKind] = &[FaultKind::Lag];

impl RoleSet {
    /// Adds a role without an index.
    pub fn add(&mut self, role: Role, kinds: &'static [FaultKind]) -> &mut Self {
        self.entries.push(Entry {
            name: role.to_string(),
            count: None,
            kinds,
        });
        self
    }

    /// Adds `count` roles `base:0` … `base:count-1` ("shard", "node", "leader").
    pub fn add_indexed(
        &mut self,
        base: &str,
        count: u32,
        kinds: &'static [FaultKind],
    ) -> &mut Self {
        self.entries.push(Entry {
            name: base.to_string(),
            count: Some(count),
            kinds,
        });
        self
    }

    /// Checks that `kind` can hit `role` here; the error says what can.
    pub fn check(&self, role: &Role, kind: FaultKind) -> Result<(), String> {
        let found = self.entries.iter().find(|e| match (e.count, role) {
            (Some(_), Role::Shard(_) | Role::Node(_) | Role::Leader(_)) => e.name == role.base(),
            (None, _) => e.name == role.to_string(),
            _ => false,
        });
        let Some(entry) = found else {
            return Err(format!("it has no {role}; its roles are {}", self.list()));
        };
        if let (Some(count), Role::Shard(i) | Role::Node(i) | Role::Leader(i)) = (entry.count, role)
            && *i >= count
        {
            return Err(format!(
                "it has {} {}s, numbered from 0: {role} does not exist",
                count,
                role.base()
            ));
        }
        if !entry.kinds.contains(&kind) {
            let kinds: Vec<&str> = entry.kinds.iter().map(|k| k.name()).collect();
            return Err(format!(
                "the {role} cannot take a \"{kind}\" fault; it can take {}",
                kinds.join(", ")
            ));
        }
        Ok(())
    }

    /// The pipelines feeding derived stores, in the order they were added.
    pub fn pipelines(&self) -> Vec<Role> {
        self.entries
            .iter()
            .filter_map(|e| Role::parse(&e.name).ok())
            .filter(|r| matches!(r, Role::Pipeline(_)))
            .collect()
    }

    /// "primary, cache, shard:0..3, pipeline:search".
    pub fn list(&self) -> String {
        let names: Vec<String> = self
            .entries
            .iter()
            .map(|e| match e.count {
                Some(1) => format!("{}:0", e.name),
                Some(n) => format!("{}:0..{}", e.name, n - 1),
                None => e.name.clone(),
            })
            .collect();
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for text in [
            "primary",
            "replica",
            "cache",
            "shard:3",
            "coordinator",
            "node:0",
            "leader:12",
            "pipeline:search",
            "index",
            "warehouse",
            "session_store",
        ] {
            assert_eq!(Role::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn bad_roles_say_what_is_expected() {
        assert!(
            Role::parse("primry")
                .unwrap_err()
                .contains("expected a role")
        );
        assert!(
            Role::parse("shard:x")
                .unwrap_err()
                .contains("must be a number")
        );
        assert!(
            Role::parse("pipeline:")
                .unwrap_err()
                .contains("name the store")
        );
    }

    #[test]
    fn a_role_set_names_what_it_has() {
        let mut set = RoleSet::default();
        set.add(Role::Primary, SERVER)
            .add_indexed("shard", 4, SERVER);
        assert!(set.check(&Role::Shard(3), FaultKind::Crash).is_ok());
        let e = set.check(&Role::Shard(4), FaultKind::Crash).unwrap_err();
        assert!(e.contains("4 shards"), "{e}");
        let e = set.check(&Role::Coordinator, FaultKind::Crash).unwrap_err();
        assert_eq!(
            e,
            "it has no coordinator; its roles are primary, shard:0..3"
        );
        let e = set.check(&Role::Primary, FaultKind::Flush).unwrap_err();
        assert!(e.contains("crash, partition, slow"), "{e}");
    }
}
