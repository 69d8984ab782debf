//! `[[architecture]]` entries: which architectures a scenario compares and
//! how each is sized.

use std::fmt;

use documented::{Documented, DocumentedFields};
use serde::de::Error;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::checks::at_least_one_u32;
use crate::dist::Dist;

/// The five architectures, in the order a platform meets them as it grows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ArchKind {
    Single,
    Polyglot,
    Sharded,
    Coordinator,
    Colocated,
}

impl ArchKind {
    pub const ALL: [ArchKind; 5] = [
        ArchKind::Single,
        ArchKind::Polyglot,
        ArchKind::Sharded,
        ArchKind::Coordinator,
        ArchKind::Colocated,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ArchKind::Single => "single",
            ArchKind::Polyglot => "polyglot",
            ArchKind::Sharded => "sharded",
            ArchKind::Coordinator => "coordinator",
            ArchKind::Colocated => "colocated",
        }
    }

    /// Whether this version simulates the kind.
    pub fn is_available(self) -> bool {
        matches!(self, ArchKind::Single)
    }

    /// One line on what the kind models.
    pub fn summary(self) -> &'static str {
        match self {
            ArchKind::Single => {
                "Stage 1, Single System: one primary database serving every operation"
            }
            ArchKind::Polyglot => {
                "Stage 2, Specialized Persistence: DB + cache + search + warehouse + session store kept in sync"
            }
            ArchKind::Sharded => {
                "Stage 3, Distributed by Default: sharded DB, cache grid, leaderless quorum store"
            }
            ArchKind::Coordinator => {
                "Stage 4, Managed Consistency: shards under a 2PC transaction coordinator, CQRS read models"
            }
            ArchKind::Colocated => {
                "Stage 5, Acceleration Database: affinity-partitioned Raft groups, memory-first, server-side execution"
            }
        }
    }

    pub fn available() -> impl Iterator<Item = ArchKind> {
        Self::ALL.into_iter().filter(|k| k.is_available())
    }
}

impl fmt::Display for ArchKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for ArchKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for ArchKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let available: Vec<_> = ArchKind::available().map(|k| k.name()).collect();
        match ArchKind::ALL.into_iter().find(|k| k.name() == text) {
            Some(k) if k.is_available() => Ok(k),
            Some(k) => Err(D::Error::custom(format!(
                "architecture kind \"{k}\" is not simulated by this version yet; available: {}",
                available.join(", ")
            ))),
            None => Err(D::Error::custom(format!(
                "unknown architecture kind \"{text}\"; expected one of {}",
                ArchKind::ALL.map(|k| k.name()).join(", ")
            ))),
        }
    }
}

/// One architecture under test (`[[architecture]]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, DocumentedFields)]
#[serde(deny_unknown_fields)]
pub struct ArchitectureConfig {
    /// Which architecture: single, polyglot, sharded, coordinator or colocated.
    pub kind: ArchKind,
    /// Name in results and in `--set architecture.<name>.…` paths. Default: the kind; give one when a scenario compares two of the same kind.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The primary database.
    #[serde(default)]
    pub db: DbConfig,
}

impl ArchitectureConfig {
    pub fn new(kind: ArchKind) -> ArchitectureConfig {
        ArchitectureConfig {
            kind,
            name: kind.name().to_string(),
            db: DbConfig::default(),
        }
    }
}

/// The primary database (`[architecture.db]`): a queueing station with
/// `cores` servers in front of one FIFO queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Documented, DocumentedFields)]
#[serde(deny_unknown_fields, default)]
pub struct DbConfig {
    /// CPU cores, the vertical-scaling knob: the station's servers. Default 8 (a mid-size cloud instance; estimate).
    #[serde(deserialize_with = "at_least_one_u32")]
    pub cores: u32,
    /// Server time of a primary-key read on one core. Default "lognormal(p50=50us, p99=300us)" (pgbench select-only ≈ 17 µs unloaded; estimate for a loaded server).
    pub read: Dist,
    /// Server CPU time of a single-row write on one core. Default "80us" (PostgreSQL single-row update CPU; estimate).
    pub write: Dist,
}

impl Default for DbConfig {
    fn default() -> Self {
        DbConfig {
            cores: 8,
            read: Dist::parse("lognormal(p50=50us, p99=300us)").expect("valid default"),
            write: Dist::parse("80us").expect("valid default"),
        }
    }
}
