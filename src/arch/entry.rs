//! One `[[architecture]]` entry: its name and its kind's config, read with
//! the position of every error and written back as the resolved scenario.
//!
//! Reading: each key is read by the first kind that reads it
//! (`arch/<kind>/config.rs`), through the TOML reader, so an error keeps its
//! file position whatever the order of the keys; then the entry's `kind`
//! takes its own keys into its config. Tables and shorthands the kind does
//! not read are kept aside ([`Foreign`]): the scenario's check refuses them
//! with a message that says which kind reads them.

use std::sync::OnceLock;

use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, Error as _, MapAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use super::registry::{self, ArchKind, Config, Contradiction, Foreign, KINDS};

/// One architecture under test (`[[architecture]]`).
#[derive(Clone, Debug, PartialEq)]
pub struct ArchitectureConfig {
    /// Name in results and in `--set architecture.<name>.…` paths. Default: the kind; give one when a scenario compares two of the same kind.
    pub name: String,
    /// Which architecture, and its settings.
    pub config: Config,
    /// Tables and keys of other kinds the entry gives (refused when the
    /// scenario is checked, unless they repeat defaults in full).
    pub foreign: Foreign,
}

impl From<Config> for ArchitectureConfig {
    fn from(config: Config) -> ArchitectureConfig {
        ArchitectureConfig {
            name: config.kind().name().to_string(),
            config,
            foreign: Foreign::default(),
        }
    }
}

/// Documentation of the keys every entry has, for `archsim list`.
pub const COMMON_DOCS: [(&str, &str); 2] = [
    (
        "kind",
        "Which architecture: single, polyglot, sharded, coordinator or colocated.",
    ),
    (
        "name",
        "Name in results and in `--set architecture.<name>.…` paths. Default: the kind; give one \
         when a scenario compares two of the same kind.",
    ),
];

/// The order of an entry's keys after `kind` and `name`: the resolved
/// scenario writes its tables and fields in it (shorthands are folded into
/// their tables), and messages list the keys in it. Fixed, because the
/// resolved scenario's hash identifies results; keys of a kind added later
/// follow, in registry order.
const KEY_ORDER: [&str; 14] = [
    "analytics_on",
    "db",
    "cache",
    "replicas",
    "shards",
    "router",
    "partition_by",
    "cross_shard",
    "sync",
    "cache_nodes",
    "docstore",
    "stores",
    "coordinator",
    "partitions",
];

/// `kind`, `name`, then every key some kind reads, in [`KEY_ORDER`].
pub fn all_keys() -> &'static [&'static str] {
    static KEYS: OnceLock<Vec<&'static str>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys = vec!["kind", "name"];
        keys.extend(KEY_ORDER);
        for k in KINDS {
            let shorts = k.shorthands.iter().map(|s| &s.key);
            for key in k.fields.iter().chain(k.tables).chain(shorts) {
                if !keys.contains(key) {
                    keys.push(key);
                }
            }
        }
        keys
    })
}

/// The keys the resolved scenario writes after `kind` and `name`: fields
/// and tables, not shorthands.
fn written_keys() -> &'static [&'static str] {
    static KEYS: OnceLock<Vec<&'static str>> = OnceLock::new();
    KEYS.get_or_init(|| {
        all_keys()[2..]
            .iter()
            .copied()
            .filter(|key| registry::owner(key).is_some())
            .collect()
    })
}

impl ArchitectureConfig {
    /// An entry of `kind` with every default.
    pub fn new(kind: ArchKind) -> ArchitectureConfig {
        Config::default_of(kind).into()
    }

    pub fn kind(&self) -> ArchKind {
        self.config.kind()
    }

    /// The app-tier cache's table, for the kinds that have one (colocated
    /// has none: its memory-first partitions serve reads themselves).
    pub fn cache_mut(&mut self) -> Option<&mut super::CacheConfig> {
        match &mut self.config {
            Config::Single(c) => Some(&mut c.cache),
            Config::Polyglot(c) => Some(&mut c.cache),
            Config::Sharded(c) => Some(&mut c.cache),
            Config::Coordinator(c) => Some(&mut c.cache),
            Config::Colocated(_) => None,
        }
    }

    /// The app-tier cache's table (see `cache_mut`).
    pub fn cache(&self) -> Option<&super::CacheConfig> {
        match &self.config {
            Config::Single(c) => Some(&c.cache),
            Config::Polyglot(c) => Some(&c.cache),
            Config::Sharded(c) => Some(&c.cache),
            Config::Coordinator(c) => Some(&c.cache),
            Config::Colocated(_) => None,
        }
    }

    /// The roles faults can target in this architecture.
    pub fn roles(&self) -> crate::faults::RoleSet {
        self.config.roles()
    }

    /// Settings that contradict each other: (field path, message). First
    /// the kind's own checks, then tables the kind does not read — set to
    /// other than their defaults, or `present` in the file as written by
    /// hand (a shorthand for one of its fields, or the table with some of
    /// its fields, even defaults) — then the checks of the tables it reads.
    pub fn contradictions(&self, present: impl Fn(&str) -> bool) -> Option<Contradiction> {
        let kind = registry::entry(self.kind());
        if let Some(c) = self.config.check(&self.foreign) {
            return Some(c);
        }
        for table in registry::tables() {
            if !kind.tables.contains(&table) && (self.foreign.set(table) || present(table)) {
                return Some((
                    vec![table],
                    format!(
                        "[architecture.{table}] applies to {} only; remove it here",
                        registry::kinds_phrase(registry::readers(table))
                    ),
                ));
            }
        }
        self.config.check_tables()
    }
}

impl Serialize for ArchitectureConfig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let keys = written_keys();
        let mut out = s.serialize_struct("ArchitectureConfig", 2 + keys.len())?;
        out.serialize_field("kind", &self.kind())?;
        if self.name.is_empty() {
            out.skip_field("name")?;
        } else {
            out.serialize_field("name", &self.name)?;
        }
        for &key in keys {
            if self.config.serialize_field(key, &mut out)? {
                continue;
            }
            // Another kind's table: as written when it is not the default
            // (so that `--set` keeps it for the check to refuse), else the
            // default, written by its owner.
            match self.foreign.get(key) {
                Some(v) if self.foreign.set(key) => out.serialize_field(key, v)?,
                _ => {
                    let owner = registry::owner(key).expect("every written key has an owner");
                    Config::default_of(owner).serialize_field(key, &mut out)?;
                }
            }
        }
        out.end()
    }
}

impl<'de> Deserialize<'de> for ArchitectureConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(EntryVisitor)
    }
}

struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = ArchitectureConfig;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an [[architecture]] table")
    }

    /// Keys come in any order (`kind` is not always first), so each is
    /// read by the first kind that reads it, where the reader sees its
    /// position; then the entry's kind takes its own keys, with each of its
    /// shorthands put into the field it stands for, and the others are kept
    /// aside.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ArchitectureConfig, A::Error> {
        let mut name = String::new();
        let mut kind = None;
        let mut read = Vec::new();
        while let Some(key) = map.next_key_seed(KnownKey)? {
            match key {
                "kind" => kind = Some(map.next_value::<ArchKind>()?),
                "name" => name = map.next_value()?,
                key => {
                    let owner = registry::key_readers(key)
                        .next()
                        .expect("every known key has a reader")
                        .kind;
                    read.push((key, owner, map.next_value_seed(ReadBy { owner, key })?));
                }
            }
        }
        let kind = kind.ok_or_else(|| A::Error::missing_field("kind"))?;
        let mut own = toml::Table::new();
        let mut shorthands = Vec::new();
        let mut foreign = Foreign::default();
        for (key, owner, value) in read {
            let reads = registry::entry(kind).reads(key);
            // A shorthand as the table it stands for, `{ field = value }`.
            let (key, value) = match registry::shorthand(kind, key) {
                Some(short) if reads => {
                    shorthands.push((short.field, value));
                    continue;
                }
                Some(short) => (short.field[0], as_table(short.field[1], value)),
                None => (key, value),
            };
            if reads {
                own.insert(key.to_string(), value);
                continue;
            }
            let by_owner = Config::read_one(owner, key, value).map_err(A::Error::custom)?;
            let written = toml::Table::try_from(ArchitectureConfig::from(by_owner))
                .map_err(A::Error::custom)?;
            if let Some(v) = written.get(key) {
                foreign.push(key, v.clone());
            }
        }
        // After the tables, so that a shorthand wins over its field.
        for ([table, field], value) in shorthands {
            let table = own
                .entry(table)
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(t) = table {
                t.insert(field.to_string(), value);
            }
        }
        let config = Config::from_table(kind, own).map_err(A::Error::custom)?;
        Ok(ArchitectureConfig {
            name,
            config,
            foreign,
        })
    }
}

/// `{ field = value }`.
fn as_table(field: &str, value: toml::Value) -> toml::Value {
    toml::Value::Table(toml::Table::from_iter([(field.to_string(), value)]))
}

/// A key an entry may have, refused with its position otherwise.
struct KnownKey;

impl<'de> DeserializeSeed<'de> for KnownKey {
    type Value = &'static str;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<&'static str, D::Error> {
        let key = String::deserialize(d)?;
        all_keys()
            .iter()
            .copied()
            .find(|k| *k == key)
            .ok_or_else(|| D::Error::unknown_field(&key, all_keys()))
    }
}

/// The value of `key`, read (and checked) by `owner`: a table or field with
/// its defaults filled in, a shorthand as written.
struct ReadBy {
    owner: ArchKind,
    key: &'static str,
}

impl<'de> DeserializeSeed<'de> for ReadBy {
    type Value = toml::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<toml::Value, D::Error> {
        if let Some(short) = registry::entry(self.owner).shorthand(self.key) {
            // Read as its field, and checked by its table's reader.
            let [table, field] = short.field;
            let raw = toml::Value::deserialize(d)?;
            Config::read_one(self.owner, table, as_table(field, raw.clone()))
                .map_err(|e| D::Error::custom(e.message()))?;
            return Ok(raw);
        }
        let config = Config::read_one(self.owner, self.key, d)?;
        let written =
            toml::Table::try_from(ArchitectureConfig::from(config)).map_err(D::Error::custom)?;
        written
            .get(self.key)
            .cloned()
            .ok_or_else(|| D::Error::custom(format!("`{}` is not written", self.key)))
    }
}

/// A map of one key whose value is read from a given deserializer: how
/// another kind's config reads one key of an entry.
pub(super) struct OneKey<D> {
    key: Option<&'static str>,
    value: Option<D>,
}

impl<D> OneKey<D> {
    pub(super) fn new(key: &'static str, value: D) -> OneKey<D> {
        OneKey {
            key: Some(key),
            value: Some(value),
        }
    }
}

impl<'de, D: Deserializer<'de>> MapAccess<'de> for OneKey<D> {
    type Error = D::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, D::Error> {
        match self.key.take() {
            Some(key) => seed.deserialize(StrDeserializer::new(key)).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, D::Error> {
        let value = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("a value read twice"))?;
        seed.deserialize(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_what_it_writes() {
        for k in KINDS {
            let arch = ArchitectureConfig::new(k.kind);
            let text = toml::to_string(&arch).unwrap();
            let back: ArchitectureConfig = toml::from_str(&text).unwrap();
            assert_eq!(back.config, arch.config, "{text}");
            assert!(written_keys().iter().all(|f| !back.foreign.set(f)));
            assert_eq!(toml::to_string(&back).unwrap(), text);
            let written: Vec<&str> = toml::Table::try_from(&arch)
                .unwrap()
                .keys()
                .map(String::as_str)
                .filter(|key| *key != "kind" && *key != "name")
                .map(|key| *all_keys().iter().find(|k| **k == key).unwrap())
                .collect();
            let mut expected: Vec<&str> = written_keys()
                .iter()
                .copied()
                .filter(|key| !k.optional.contains(key))
                .collect();
            expected.sort_unstable();
            assert_eq!(
                written, expected,
                "every table of every kind is written, but its optional ones"
            );
        }
    }

    #[test]
    fn a_key_before_kind_is_read_by_the_kind() {
        let arch: ArchitectureConfig =
            toml::from_str("name = \"a\"\nrouter = \"range\"\nkind = \"sharded\"\n").unwrap();
        assert_eq!(arch.name, "a");
        let Config::Sharded(c) = &arch.config else {
            panic!("{arch:?}")
        };
        assert_eq!(c.shards.router, crate::model::router::ShardPlacement::Range);
        let error =
            toml::from_str::<ArchitectureConfig>("db.cores = 0\nkind = \"single\"\n").unwrap_err();
        assert_eq!(error.span(), Some(11..12), "{error}");
    }
}
