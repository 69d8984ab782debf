//! `archsim list`: the architectures and every parameter with its default
//! and documentation, taken from the schema itself.

use documented::{Documented, DocumentedFields};
use serde::Serialize;

use crate::arch::COMMON_DOCS;
use crate::arch::registry::{self, KINDS};
use crate::scenario::{
    ArchKind, ArchitectureConfig, CacheConfig, CoordinatorConfig, DbConfig, DocstoreConfig,
    EntitiesConfig, NetworkConfig, PartitionsConfig, ReplicasConfig, ShardsConfig, StoresConfig,
    WorkloadConfig, field_docs,
};

pub fn list() -> anyhow::Result<()> {
    let mut out = String::from("Architectures (kind = …):\n");
    for kind in &KINDS {
        out += &format!("  {:<12} {}\n", kind.name, kind.summary);
    }
    // Each table of an architecture: its key, its documentation and its
    // fields; which kinds read it comes from the registry. The list also
    // keeps these keys out of the `[[architecture]]` fields above them.
    let tables: [(&str, &str, String); 8] = [
        ("db", DbConfig::DOCS, section(&DbConfig::default(), &[])?),
        (
            "cache",
            CacheConfig::DOCS,
            section(&CacheConfig::default(), &[])?,
        ),
        (
            "replicas",
            ReplicasConfig::DOCS,
            section(&ReplicasConfig::default(), &[])?,
        ),
        (
            "shards",
            ShardsConfig::DOCS,
            section(&ShardsConfig::default(), &[])?,
        ),
        (
            "docstore",
            DocstoreConfig::DOCS,
            section(&DocstoreConfig::default(), &[])?,
        ),
        (
            "stores",
            StoresConfig::DOCS,
            section(&StoresConfig::default(), &[])?,
        ),
        (
            "coordinator",
            CoordinatorConfig::DOCS,
            section(&CoordinatorConfig::default(), &[])?,
        ),
        (
            "partitions",
            PartitionsConfig::DOCS,
            section(&PartitionsConfig::default(), &[])?,
        ),
    ];
    let keys: Vec<&str> = tables.iter().map(|t| t.0).collect();
    out += "\n[[architecture]] fields:\n";
    out += &entry_keys(&keys)?;
    for (key, docs, fields) in &tables {
        let readers = registry::readers(key).count();
        let kinds = if readers == KINDS.len() {
            String::new()
        } else {
            format!(" ({})", registry::kinds_phrase(registry::readers(key)))
        };
        out += &format!(
            "\n[architecture.{key}]{kinds} — {}\n{fields}",
            one_line(docs)
        );
    }
    out += "\n[workload]\n";
    out += &section(&WorkloadConfig::default(), &["phase", "entities"])?;
    out += "  phase: [[workload.phase]] with at, rate and ramp — a load profile\n";
    out +=
        "\n[workload.entities] — key ranges for transfers, reservations, counters and documents\n";
    out += &section(&EntitiesConfig::default(), &[])?;
    out += "\n[network]\n";
    out += &section(&NetworkConfig::default(), &[])?;
    out += "\n[[fault]] — what goes wrong, when, and the role it hits\n";
    for (name, doc) in field_docs::<crate::faults::Fault>() {
        let name = if name == "lasts" { "for" } else { name };
        out += &format!("  {name}\n      {}\n", one_line(doc));
    }
    out += "  Roles each architecture has with its defaults; counts follow its settings, \
            `replica` comes with replicas.count > 0, `cache` with cache.capacity > 0, a \
            polyglot store's `pipeline:` with cdc or event-bus sync:\n";
    for kind in &KINDS {
        let roles = ArchitectureConfig::new(kind.kind).roles().list();
        out += &format!("    {:<12} {roles}\n", kind.name);
    }
    out += "\nDistributions: \"2ms\", \"exp(2ms)\", \"uniform(1ms, 3ms)\", \"lognormal(p50=1ms, p99=8ms)\",\n\
            \"lognormal(mean=1ms, sigma=0.5)\", \"pareto(xm=1ms, alpha=2.5)\", \"normal(1ms, 0.2ms)\",\n\
            \"erlang(4, 2ms)\", \"mix(0.99: 1ms, 0.01: exp(1s))\".\n";
    super::print_out(&out)
}

/// The keys at the top of an `[[architecture]]` entry (not its `tables`):
/// `kind`, `name`, then each kind's own keys and shorthands with the kinds
/// that read them, from the registry.
fn entry_keys(tables: &[&str]) -> anyhow::Result<String> {
    let example = toml::Table::try_from(ArchitectureConfig::new(ArchKind::Single))?;
    let mut out = String::new();
    let mut head = |key: &str, readers: String, doc: &str, default: Option<&toml::Value>| {
        let head = match default {
            Some(v) => format!("{key} = {v}"),
            None => key.to_string(),
        };
        out += &format!("  {head}{readers}\n      {}\n", one_line(doc));
    };
    for (key, doc) in COMMON_DOCS {
        head(key, String::new(), doc, example.get(key));
    }
    for &key in &crate::arch::entry_keys()[2..] {
        if tables.contains(&key) {
            continue;
        }
        let Some(doc) = registry::key_readers(key)
            .flat_map(|k| registry::key_docs(k.kind))
            .find(|(k, _)| *k == key)
            .map(|(_, doc)| doc)
        else {
            continue;
        };
        let readers = if registry::key_readers(key).count() == KINDS.len() {
            String::new()
        } else {
            format!(" ({})", registry::kinds_phrase(registry::key_readers(key)))
        };
        head(key, readers, doc, registry::default_value(key).as_ref());
    }
    Ok(out)
}

fn one_line(doc: &str) -> String {
    doc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each field of a section: its default (as TOML, when it has a fixed one)
/// and its documentation.
fn section<T: DocumentedFields + Serialize>(value: &T, skip: &[&str]) -> anyhow::Result<String> {
    let table = toml::Table::try_from(value)?;
    let mut out = String::new();
    for (name, doc) in field_docs::<T>() {
        let key = if name == "phases" { "phase" } else { name };
        if skip.contains(&key) {
            continue;
        }
        let head = match table.get(key) {
            Some(v) => format!("{key} = {v}"),
            None => key.to_string(),
        };
        out += &format!("  {head}\n      {}\n", one_line(doc));
    }
    Ok(out)
}
