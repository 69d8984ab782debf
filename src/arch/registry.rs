//! The registry of architecture kinds: the one place that says which kinds
//! exist. Each kind's `config.rs` holds its registry entry ([`Kind`]: the
//! tables it reads, the operations it serves, its shorthands) and its
//! config ([`KindConfig`]: the tables, their checks, the roles faults can
//! target, its memory per key and its constructor). Parsing and writing a
//! scenario, `archsim list`, `archsim check` and the run all read this
//! registry, so they cannot disagree.
//!
//! Adding a kind: a module `arch/<kind>.rs` with its request paths and
//! `arch/<kind>/config.rs` with its `KIND` entry and `Config`, and one line
//! in the `kinds!` list below.

use std::fmt;

use serde::de::{DeserializeOwned, Error as _};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Launch, RunResult};
use crate::faults::RoleSet;
use crate::workload::OpKind;

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
    /// Those of its tables that add what they describe only when given
    /// (sharded's `stores`): absent by default, and left out of the
    /// resolved scenario then.
    pub optional: &'static [&'static str],
    /// The other keys it reads at the top of its entry (besides `kind`,
    /// `name`, its tables and its shorthands).
    pub fields: &'static [&'static str],
    /// Its shorthands at the top of its entry, each for a field of one of
    /// its tables (`router = "range"` for `shards.router`).
    pub shorthands: &'static [Shorthand],
    /// Whether it has a store for operations of this kind.
    pub serves: fn(OpKind) -> bool,
}

/// What a kind with no document store, search index or session store
/// serves: every operation but those.
pub fn serves_records(op: OpKind) -> bool {
    !matches!(
        op,
        OpKind::DocGet | OpKind::DocPut | OpKind::Search | OpKind::SessionGet | OpKind::SessionPut
    )
}

/// A key at the top of an entry that stands for a field of a table: the
/// entry reads it as that field, and a file that gives both is refused.
pub struct Shorthand {
    pub key: &'static str,
    /// The table and field it stands for.
    pub field: [&'static str; 2],
    /// What it sets, for `archsim list`.
    pub doc: &'static str,
}

impl Kind {
    /// Whether `key` at the top of an entry is one this kind reads.
    pub fn reads(&self, key: &str) -> bool {
        self.tables.contains(&key) || self.fields.contains(&key) || self.shorthand(key).is_some()
    }

    /// Its shorthand `key`, if it takes one.
    pub fn shorthand(&self, key: &str) -> Option<&'static Shorthand> {
        self.shorthands.iter().find(|s| s.key == key)
    }
}

/// One kind's settings: the tables it reads, and what follows from them.
pub trait KindConfig:
    Default + Clone + fmt::Debug + PartialEq + Serialize + DeserializeOwned
{
    /// Its registry entry.
    const KIND: &'static Kind;

    /// The roles faults can target, with the counts its settings give.
    fn roles(&self) -> RoleSet;

    /// Settings that contradict each other or the kind, checked before the
    /// tables it does not read; `foreign` holds those as written.
    fn check(&self, _foreign: &Foreign) -> Option<Contradiction> {
        None
    }

    /// What is wrong with fault `f` against these settings, if anything:
    /// the fault's field and the message (a reshard to fewer shards).
    fn check_fault(&self, _f: &crate::faults::Fault) -> Option<(&'static str, String)> {
        None
    }

    /// Checks of its own tables, after the tables it does not read.
    fn check_tables(&self) -> Option<Contradiction> {
        None
    }

    /// Settles fields that stand for others once the entry is read (the
    /// entry has put each shorthand into its table already).
    fn fold_shorthands(&mut self) {}

    /// Bytes per key its copies take (caches, replicas, derived stores,
    /// followers) beyond the system of record and the oracle
    /// (`arch::memory`).
    fn bytes_per_key(&self) -> u64;

    /// Entries its caches can hold, all of them together, over `keys` keys
    /// (each keeps a recency log sized by the entries it can hold,
    /// `arch::memory::RECENCY`; a cache holds no more entries than there
    /// are keys, whatever its capacity).
    fn cache_entries(&self, _keys: u64) -> u64 {
        0
    }

    /// Bytes per document of its document store, if it has one.
    fn bytes_per_document(&self) -> u64 {
        0
    }

    /// Whether these settings give it a store for operations of `op` (by
    /// default, whether the kind has one).
    fn serves(&self, op: OpKind) -> bool {
        (Self::KIND.serves)(op)
    }

    /// Changes its copies hold delivered and not yet visible, at most,
    /// when the system of record commits `writes_per_s` row writes per
    /// second (a derived store publishing at refreshes or batch loads).
    fn pending_changes(&self, _writes_per_s: f64) -> f64 {
        0.0
    }

    /// Writes `field` (a table or top-level key it reads) into the
    /// resolved scenario; false when it does not read it.
    fn serialize_field<S: SerializeStruct>(
        &self,
        field: &'static str,
        out: &mut S,
    ) -> Result<bool, S::Error>;

    /// Builds the architecture and runs it.
    fn run(&self, launch: Launch<'_>) -> RunResult;
}

/// Writes the named fields of a kind's config, for
/// [`KindConfig::serialize_field`]: true when `field` is one of them.
macro_rules! serialize_fields {
    ($config:ident, $field:ident, $out:ident; $($name:ident),+) => {{
        match $field {
            $(stringify!($name) => $out.serialize_field(stringify!($name), &$config.$name)?,)+
            _ => return Ok(false),
        }
        Ok(true)
    }};
}
pub(crate) use serialize_fields;

/// The kinds, in the order a platform meets them as it grows: each line a
/// variant and the module that holds it.
macro_rules! kinds {
    ($($variant:ident => $module:ident),+ $(,)?) => {
        use super::{$($module),+};

        /// The architectures, in the order a platform meets them as it
        /// grows; what each reads and refuses is in its registry entry.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum ArchKind {
            $($variant),+
        }

        /// Every kind's registry entry, in [`ArchKind`] order.
        pub const KINDS: [&Kind; [$(stringify!($variant)),+].len()] =
            [$(<$module::config::Config as KindConfig>::KIND),+];

        /// One architecture's settings: its kind and that kind's config.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Config {
            $($variant($module::config::Config)),+
        }

        /// The documented keys of `kind`'s entry, tables and shorthands:
        /// (key, doc).
        pub fn key_docs(kind: ArchKind) -> Vec<(&'static str, &'static str)> {
            fn of<C: documented::DocumentedFields>() -> Vec<(&'static str, &'static str)> {
                C::FIELD_NAMES.iter().copied().zip(C::FIELD_DOCS.iter().copied()).collect()
            }
            let mut docs = match kind {
                $(ArchKind::$variant => of::<$module::config::Config>()),+
            };
            docs.extend(entry(kind).shorthands.iter().map(|s| (s.key, s.doc)));
            docs
        }

        impl Config {
            /// The defaults of `kind`.
            pub fn default_of(kind: ArchKind) -> Config {
                match kind {
                    $(ArchKind::$variant => Config::$variant(Default::default())),+
                }
            }

            pub fn kind(&self) -> ArchKind {
                match self {
                    $(Config::$variant(_) => ArchKind::$variant),+
                }
            }

            pub fn roles(&self) -> RoleSet {
                match self {
                    $(Config::$variant(c) => c.roles()),+
                }
            }

            pub fn check(&self, foreign: &Foreign) -> Option<Contradiction> {
                match self {
                    $(Config::$variant(c) => c.check(foreign)),+
                }
            }

            pub fn check_fault(&self, f: &crate::faults::Fault) -> Option<(&'static str, String)> {
                match self {
                    $(Config::$variant(c) => c.check_fault(f)),+
                }
            }

            pub fn check_tables(&self) -> Option<Contradiction> {
                match self {
                    $(Config::$variant(c) => c.check_tables()),+
                }
            }

            pub fn bytes_per_key(&self) -> u64 {
                match self {
                    $(Config::$variant(c) => c.bytes_per_key()),+
                }
            }

            pub fn cache_entries(&self, keys: u64) -> u64 {
                match self {
                    $(Config::$variant(c) => c.cache_entries(keys)),+
                }
            }

            pub fn bytes_per_document(&self) -> u64 {
                match self {
                    $(Config::$variant(c) => c.bytes_per_document()),+
                }
            }

            pub fn serves(&self, op: OpKind) -> bool {
                match self {
                    $(Config::$variant(c) => c.serves(op)),+
                }
            }

            pub fn pending_changes(&self, writes_per_s: f64) -> f64 {
                match self {
                    $(Config::$variant(c) => c.pending_changes(writes_per_s)),+
                }
            }

            pub fn serialize_field<S: SerializeStruct>(
                &self,
                field: &'static str,
                out: &mut S,
            ) -> Result<bool, S::Error> {
                match self {
                    $(Config::$variant(c) => c.serialize_field(field, out)),+
                }
            }

            pub fn run(&self, launch: Launch<'_>) -> RunResult {
                match self {
                    $(Config::$variant(c) => c.run(launch)),+
                }
            }

            /// The config of `kind` from its own keys, read and checked
            /// already (so this does not fail on a scenario's input).
            pub(super) fn from_table(
                kind: ArchKind,
                keys: toml::Table,
            ) -> Result<Config, toml::de::Error> {
                Ok(match kind {
                    $(ArchKind::$variant => {
                        let mut c: $module::config::Config = toml::Value::Table(keys).try_into()?;
                        c.fold_shorthands();
                        Config::$variant(c)
                    }),+
                })
            }

            /// The config of `owner` with only `key` given (its defaults
            /// otherwise): how one key of an entry is read and checked.
            pub(super) fn read_one<'de, D: Deserializer<'de>>(
                owner: ArchKind,
                key: &'static str,
                value: D,
            ) -> Result<Config, D::Error> {
                Ok(match owner {
                    $(ArchKind::$variant => {
                        Config::$variant(read_one::<$module::config::Config, D>(key, value)?)
                    }),+
                })
            }
        }
    };
}

kinds! {
    Single => single,
    Polyglot => polyglot,
    Sharded => sharded,
    Coordinator => coordinator,
    Colocated => colocated,
}

fn read_one<'de, C: KindConfig, D: Deserializer<'de>>(
    key: &'static str,
    value: D,
) -> Result<C, D::Error> {
    let one = super::entry::OneKey::new(key, value);
    let mut config = C::deserialize(serde::de::value::MapAccessDeserializer::new(one))?;
    config.fold_shorthands();
    Ok(config)
}

impl ArchKind {
    /// `kind = "<name>"` in a scenario (from the registry).
    pub fn name(self) -> &'static str {
        entry(self).name
    }

    /// Whether the kind has a store for operations of `op` (documents need
    /// sharded's document store, sessions polyglot's session store, search
    /// queries polyglot's index or sharded's scatter over every shard).
    pub fn serves(self, op: OpKind) -> bool {
        (entry(self).serves)(op)
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
        match KINDS.iter().find(|k| k.name == text) {
            Some(k) => Ok(k.kind),
            None => Err(D::Error::custom(format!(
                "unknown architecture kind \"{text}\"; expected one of {}",
                KINDS.map(|k| k.name).join(", ")
            ))),
        }
    }
}

/// The registry's entry of `kind`.
pub fn entry(kind: ArchKind) -> &'static Kind {
    KINDS
        .iter()
        .find(|k| k.kind == kind)
        .expect("every kind is registered")
}

/// The kinds that read `[architecture.<table>]`, in registry order.
pub fn readers(table: &str) -> impl Iterator<Item = &'static Kind> + use<'_> {
    KINDS
        .iter()
        .copied()
        .filter(move |k| k.tables.contains(&table))
}

/// The kinds that read `key` at the top of an entry, in registry order.
pub fn key_readers(key: &str) -> impl Iterator<Item = &'static Kind> + use<'_> {
    KINDS.iter().copied().filter(move |k| k.reads(key))
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

/// Every shorthand some kind takes, in the order of the kinds that take them.
pub fn shorthands() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = Vec::new();
    for s in KINDS.iter().flat_map(|k| k.shorthands.iter()) {
        if !all.contains(&s.key) {
            all.push(s.key);
        }
    }
    all
}

/// The shorthand `key` as an architecture of `kind` reads it: its own, else
/// that of the first kind that takes it.
pub fn shorthand(kind: ArchKind, key: &str) -> Option<&'static Shorthand> {
    entry(kind)
        .shorthand(key)
        .or_else(|| KINDS.iter().find_map(|k| k.shorthand(key)))
}

/// The field a shorthand stands for in an architecture of `kind`.
pub fn shorthand_field(kind: ArchKind, key: &str) -> Option<[&'static str; 2]> {
    shorthand(kind, key).map(|s| s.field)
}

/// `kind = "a" or "b"`, for messages and `archsim list`.
pub fn kinds_phrase<'a>(kinds: impl Iterator<Item = &'a Kind>) -> String {
    let names: Vec<String> = kinds.map(|k| format!("\"{}\"", k.name)).collect();
    format!("kind = {}", names.join(" or "))
}

/// The tables and top-level keys of an entry that a kind does not read, as
/// written (with defaults filled in): kept so that the scenario's check can
/// refuse them with their position, and so that they survive `--set`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Foreign(Vec<(&'static str, toml::Value)>);

impl Foreign {
    pub(super) fn push(&mut self, field: &'static str, value: toml::Value) {
        self.0.push((field, value));
    }

    /// What the entry gives for `field`, if anything (the last of several).
    pub fn get(&self, field: &str) -> Option<&toml::Value> {
        self.0
            .iter()
            .rev()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v)
    }

    /// Whether the entry sets `field` to other than its default.
    pub fn set(&self, field: &str) -> bool {
        self.0
            .iter()
            .any(|(f, v)| *f == field && Some(v) != default_value(f).as_ref())
    }

    /// `field` as a typed value, when the entry gives it.
    pub fn value<T: DeserializeOwned>(&self, field: &str) -> Option<T> {
        self.get(field).and_then(|v| v.clone().try_into().ok())
    }
}

/// The kind that owns `field` (a table or top-level key): the first that
/// reads it.
pub fn owner(field: &str) -> Option<ArchKind> {
    KINDS
        .iter()
        .find(|k| k.tables.contains(&field) || k.fields.contains(&field))
        .map(|k| k.kind)
}

/// The default of `field` (a table or top-level key), as its owner writes it.
pub fn default_value(field: &str) -> Option<toml::Value> {
    let config = Config::default_of(owner(field)?);
    let table = toml::Table::try_from(super::ArchitectureConfig::from(config)).ok()?;
    table.get(field).cloned()
}

/// A cache grid of several nodes is simulated for kind = "sharded" only.
pub fn one_cache_node(cache: &super::CacheConfig) -> Option<Contradiction> {
    (cache.nodes > 1).then(|| {
        (
            vec!["cache", "nodes"],
            "a cache grid of several nodes is simulated for kind = \"sharded\"; use \
             nodes = 1 here"
                .to_string(),
        )
    })
}

/// Cache leases are simulated in kind = "single"'s cache-aside path only.
pub fn leases_single_only(cache: &super::CacheConfig) -> Option<Contradiction> {
    cache.leases.then(|| {
        (
            vec!["cache", "leases"],
            "cache leases are simulated for kind = \"single\"; remove leases here".to_string(),
        )
    })
}

/// Fencing of the cache acts on a write-behind cache's flushes: kind =
/// "coordinator" with `coordinator.critical` below 1 (`write_behind`).
pub fn cache_fencing_write_behind(
    cache: &super::CacheConfig,
    write_behind: bool,
) -> Option<Contradiction> {
    let field = if !cache.fencing.is_none() {
        "fencing"
    } else if cache.lease.is_some() {
        "lease"
    } else {
        return None;
    };
    if cache.lease.is_some() && cache.fencing != super::Fencing::Lease {
        return Some((
            vec!["cache", "lease"],
            "`lease` is how long a write-behind cache's lease lasts under fencing = \"lease\"; \
             set fencing = \"lease\" or remove lease"
                .to_string(),
        ));
    }
    (!write_behind).then(|| {
        (
            vec!["cache", field],
            "cache fencing acts on a write-behind cache's flushes, simulated for kind = \
             \"coordinator\" with coordinator.critical below 1; remove it here"
                .to_string(),
        )
    })
}

/// Application servers with caches of their own are simulated in kind =
/// "single"'s cache-aside path only.
pub fn one_app_server(cache: &super::CacheConfig) -> Option<Contradiction> {
    (cache.app_servers > 1).then(|| {
        (
            vec!["cache", "app_servers"],
            "application servers with in-process caches of their own are simulated for \
             kind = \"single\"; use app_servers = 1 here"
                .to_string(),
        )
    })
}

/// Analytics on a read replica is simulated for kind = "single" only.
pub fn analytics_on_primary(foreign: &Foreign) -> Option<Contradiction> {
    (foreign.value("analytics_on") == Some(super::AnalyticsOn::Replica)).then(|| {
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
            assert_eq!(Config::default_of(k.kind).kind(), k.kind);
            let parsed: ArchKind = toml::Value::String(k.name.to_string()).try_into().unwrap();
            assert_eq!(parsed, k.kind);
        }
    }
}
