//! The registry of architecture kinds: the one place that says which kinds
//! exist, which `[architecture.<table>]` tables each reads, which
//! operations it serves, the roles faults can target and the settings that
//! contradict each other in it. Parsing and checking a scenario, `archsim
//! list` and `archsim check` all read it, so they cannot disagree.
//!
//! Adding a kind: a module `arch/<kind>.rs` with its request paths and
//! `arch/<kind>/config.rs` with its `KIND` entry, one line in [`KINDS`], a
//! variant of `ArchKind` and the arm of `arch::run_kind` the compiler asks for.

use crate::faults::RoleSet;
use crate::scenario::{AnalyticsOn, ArchKind, ArchitectureConfig};
use crate::workload::OpKind;

use super::{colocated, coordinator, polyglot, sharded, single};

/// A settings problem: the field's path inside `[[architecture]]` and what
/// to do about it.
pub type Contradiction = (Vec<&'static str>, String);

/// What the rest of the program knows of one architecture kind.
pub struct Kind {
    pub kind: ArchKind,
    /// `kind = "<name>"` in a scenario.
    pub name: &'static str,
    /// One line on what the kind models.
    pub summary: &'static str,
    /// The `[architecture.<table>]` tables it reads; any other table in its
    /// entry is refused.
    pub tables: &'static [&'static str],
    /// Whether it has a store for operations of this kind.
    pub serves: fn(OpKind) -> bool,
    /// The roles faults can target, with the counts its settings give.
    pub roles: fn(&ArchitectureConfig) -> RoleSet,
    /// Settings of its tables that contradict each other or the kind.
    pub check: fn(&ArchitectureConfig) -> Option<Contradiction>,
}

/// Every kind, in the order a platform meets them as it grows.
pub const KINDS: [Kind; 5] = [
    single::config::KIND,
    polyglot::config::KIND,
    sharded::config::KIND,
    coordinator::config::KIND,
    colocated::config::KIND,
];

/// The registry's entry of `kind`.
pub fn entry(kind: ArchKind) -> &'static Kind {
    KINDS
        .iter()
        .find(|k| k.kind == kind)
        .expect("every kind is registered")
}

/// The kinds that read `[architecture.<table>]`, in registry order.
pub fn readers(table: &str) -> impl Iterator<Item = &'static Kind> + use<'_> {
    KINDS.iter().filter(move |k| k.tables.contains(&table))
}

/// Every table some kind reads, in the order of the kinds that read them.
pub fn tables() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = Vec::new();
    for t in KINDS.iter().flat_map(|k| k.tables.iter()) {
        if !all.contains(t) {
            all.push(t);
        }
    }
    all
}

/// `kind = "a" or "b"`, for messages and `archsim list`.
pub fn kinds_phrase<'a>(kinds: impl Iterator<Item = &'a Kind>) -> String {
    let names: Vec<String> = kinds.map(|k| format!("\"{}\"", k.name)).collect();
    format!("kind = {}", names.join(" or "))
}

/// A cache grid of several nodes is simulated for kind = "sharded" only.
pub fn one_cache_node(config: &ArchitectureConfig) -> Option<Contradiction> {
    (config.cache.nodes > 1).then(|| {
        (
            vec!["cache", "nodes"],
            "a cache grid of several nodes is simulated for kind = \"sharded\"; use \
             nodes = 1 here"
                .to_string(),
        )
    })
}

/// Analytics on a read replica is simulated for kind = "single" only.
pub fn analytics_on_primary(config: &ArchitectureConfig) -> Option<Contradiction> {
    (config.analytics_on == AnalyticsOn::Replica).then(|| {
        (
            vec!["analytics_on"],
            "analytics_on = \"replica\" applies to kind = \"single\"; remove it here".to_string(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_registered_once_under_its_own_name() {
        for (i, k) in KINDS.iter().enumerate() {
            assert!(
                KINDS[..i]
                    .iter()
                    .all(|o| o.kind != k.kind && o.name != k.name)
            );
            assert_eq!(entry(k.kind).name, k.name);
            let parsed: ArchKind = toml::Value::String(k.name.to_string()).try_into().unwrap();
            assert_eq!(parsed, k.kind);
        }
    }
}
