//! `archsim list [KIND] [--format text|json]`: the architectures and every
//! parameter with its default and documentation, taken from the schema
//! itself — all of them, or one kind's.

use documented::{Documented, DocumentedFields};
use serde::Serialize;

use super::{ListArgs, ListFormat};
use crate::arch::COMMON_DOCS;
use crate::arch::registry::{self, KINDS, Kind};
use crate::scenario::{
    ArchKind, ArchitectureConfig, CacheConfig, CoordinatorConfig, DbConfig, DocstoreConfig,
    EntitiesConfig, NetworkConfig, PartitionsConfig, ReplicasConfig, ShardsConfig, StoresConfig,
    WorkloadConfig, field_docs,
};

/// One field: its key, its default (as TOML, when it has a fixed one), its
/// documentation and, for an architecture's, the kinds that read it.
#[derive(Serialize)]
struct Field {
    key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    default: Option<String>,
    doc: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    kinds: Vec<&'static str>,
}

/// A table of fields (`[architecture.db]`, `[workload]`, …).
#[derive(Serialize)]
struct Table {
    key: String,
    doc: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    kinds: Vec<&'static str>,
    fields: Vec<Field>,
}

#[derive(Serialize)]
struct Architecture {
    kind: &'static str,
    summary: &'static str,
    /// What `[[fault]] target` may name, with the kind's defaults.
    roles: String,
}

/// Everything `list` shows.
#[derive(Serialize)]
struct Listing {
    architectures: Vec<Architecture>,
    /// The keys of an `[[architecture]]` entry above its tables.
    entry: Vec<Field>,
    tables: Vec<Table>,
    /// `[workload]`, `[workload.entities]`, `[network]`, `[[fault]]`; not
    /// in a one-kind listing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sections: Vec<Table>,
}

pub fn list(args: &ListArgs) -> anyhow::Result<()> {
    let only = args.kind;
    let listing = listing(only)?;
    let out = match args.format {
        ListFormat::Json => serde_json::to_string_pretty(&listing)? + "\n",
        ListFormat::Text => text(&listing, only.is_none()),
    };
    super::print_out(&out)
}

fn names(kinds: impl Iterator<Item = &'static Kind>) -> Vec<&'static str> {
    kinds.map(|k| k.name).collect()
}

fn listing(only: Option<ArchKind>) -> anyhow::Result<Listing> {
    let shown = |k: &Kind| only.is_none_or(|o| k.kind == o);
    let architectures = KINDS
        .iter()
        .filter(|k| shown(k))
        .map(|k| Architecture {
            kind: k.name,
            summary: k.summary,
            roles: ArchitectureConfig::new(k.kind).roles().list(),
        })
        .collect();
    let all_tables: [(&str, &str, Vec<Field>); 8] = [
        ("db", DbConfig::DOCS, fields(&DbConfig::default(), &[])?),
        (
            "cache",
            CacheConfig::DOCS,
            fields(&CacheConfig::default(), &[])?,
        ),
        (
            "replicas",
            ReplicasConfig::DOCS,
            fields(&ReplicasConfig::default(), &[])?,
        ),
        (
            "shards",
            ShardsConfig::DOCS,
            fields(&ShardsConfig::default(), &[])?,
        ),
        (
            "docstore",
            DocstoreConfig::DOCS,
            fields(&DocstoreConfig::default(), &[])?,
        ),
        (
            "stores",
            StoresConfig::DOCS,
            fields(&StoresConfig::default(), &[])?,
        ),
        (
            "coordinator",
            CoordinatorConfig::DOCS,
            fields(&CoordinatorConfig::default(), &[])?,
        ),
        (
            "partitions",
            PartitionsConfig::DOCS,
            fields(&PartitionsConfig::default(), PartitionsConfig::MOVED)?,
        ),
    ];
    let table_keys: Vec<&str> = all_tables.iter().map(|t| t.0).collect();
    let tables = all_tables
        .into_iter()
        .filter(|(key, _, _)| registry::readers(key).any(&shown))
        .map(|(key, doc, fields)| Table {
            key: format!("architecture.{key}"),
            doc: one_line(doc),
            kinds: every_or_some(names(registry::readers(key))),
            fields,
        })
        .collect();
    let entry = entry_keys(&table_keys, only)?;
    let mut sections = Vec::new();
    if only.is_none() {
        let mut workload = fields(&WorkloadConfig::default(), &["phase", "entities"])?;
        workload.push(Field {
            key: "phase".to_string(),
            default: None,
            doc: "[[workload.phase]] with at, rate and ramp — a load profile".to_string(),
            kinds: Vec::new(),
        });
        sections.push(section("workload", "What the clients do.", workload));
        sections.push(section(
            "workload.entities",
            "Key ranges for transfers, reservations, counters and documents.",
            fields(&EntitiesConfig::default(), &[])?,
        ));
        sections.push(section(
            "network",
            "The network between components.",
            fields(&NetworkConfig::default(), &[])?,
        ));
        let fault = field_docs::<crate::faults::Fault>()
            .map(|(name, doc)| Field {
                key: if name == "lasts" { "for" } else { name }.to_string(),
                default: None,
                doc: one_line(doc),
                kinds: Vec::new(),
            })
            .collect();
        sections.push(section(
            "fault",
            "[[fault]]: what goes wrong, when, and the role it hits.",
            fault,
        ));
    }
    Ok(Listing {
        architectures,
        entry,
        tables,
        sections,
    })
}

fn section(key: &str, doc: &str, fields: Vec<Field>) -> Table {
    Table {
        key: key.to_string(),
        doc: doc.to_string(),
        kinds: Vec::new(),
        fields,
    }
}

/// No kinds listed when every kind reads it.
fn every_or_some(kinds: Vec<&'static str>) -> Vec<&'static str> {
    if kinds.len() == KINDS.len() {
        Vec::new()
    } else {
        kinds
    }
}

/// The keys at the top of an `[[architecture]]` entry (not its `tables`):
/// `kind`, `name`, then each kind's own keys and shorthands with the kinds
/// that read them, from the registry; only `only`'s when given.
fn entry_keys(tables: &[&str], only: Option<ArchKind>) -> anyhow::Result<Vec<Field>> {
    let example = toml::Table::try_from(ArchitectureConfig::new(only.unwrap_or(ArchKind::Single)))?;
    let mut out: Vec<Field> = COMMON_DOCS
        .iter()
        .map(|(key, doc)| Field {
            key: key.to_string(),
            default: example.get(*key).map(ToString::to_string),
            doc: one_line(doc),
            kinds: Vec::new(),
        })
        .collect();
    for &key in &crate::arch::entry_keys()[2..] {
        if tables.contains(&key)
            || only.is_some_and(|o| !registry::key_readers(key).any(|k| k.kind == o))
        {
            continue;
        }
        let Some(doc) = registry::key_readers(key)
            .flat_map(|k| registry::key_docs(k.kind))
            .find(|(k, _)| *k == key)
            .map(|(_, doc)| doc)
        else {
            continue;
        };
        out.push(Field {
            key: key.to_string(),
            default: registry::default_value(key).map(|v| v.to_string()),
            doc: one_line(doc),
            kinds: every_or_some(names(registry::key_readers(key))),
        });
    }
    Ok(out)
}

fn one_line(doc: &str) -> String {
    doc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each field of a section: its default (as TOML, when it has a fixed one)
/// and its documentation.
fn fields<T: DocumentedFields + Serialize>(value: &T, skip: &[&str]) -> anyhow::Result<Vec<Field>> {
    let table = toml::Table::try_from(value)?;
    Ok(field_docs::<T>()
        .map(|(name, doc)| (if name == "phases" { "phase" } else { name }, doc))
        .filter(|(key, _)| !skip.contains(key))
        .map(|(key, doc)| Field {
            key: key.to_string(),
            default: table.get(key).map(ToString::to_string),
            doc: one_line(doc),
            kinds: Vec::new(),
        })
        .collect())
}

/// The listing as text: each field as `key = default (kinds)` over its
/// documentation.
fn text(listing: &Listing, everything: bool) -> String {
    let kinds_note = |kinds: &[&str]| {
        if kinds.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = kinds.iter().map(|k| format!("\"{k}\"")).collect();
            format!(" (kind = {})", quoted.join(" or "))
        }
    };
    let field = |f: &Field| {
        let head = match &f.default {
            Some(v) => format!("{} = {v}", f.key),
            None => f.key.clone(),
        };
        format!("  {head}{}\n      {}\n", kinds_note(&f.kinds), f.doc)
    };
    let mut out = String::from("Architectures (kind = …):\n");
    for a in &listing.architectures {
        out += &format!("  {:<12} {}\n", a.kind, a.summary);
    }
    out += "\n[[architecture]] fields:\n";
    for f in &listing.entry {
        out += &field(f);
    }
    for t in &listing.tables {
        out += &format!("\n[{}]{} — {}\n", t.key, kinds_note(&t.kinds), t.doc);
        for f in &t.fields {
            out += &field(f);
        }
    }
    for s in &listing.sections {
        if s.key == "fault" {
            out += "\n[[fault]] — what goes wrong, when, and the role it hits\n";
        } else {
            out += &format!("\n[{}]\n", s.key);
        }
        for f in &s.fields {
            out += &field(f);
        }
    }
    out += if everything {
        "  Roles each architecture has with its defaults; counts follow its settings, \
         `replica` comes with replicas.count > 0, `cache` with cache.capacity > 0, a \
         polyglot store's `pipeline:` with cdc or event-bus sync:\n"
    } else {
        "\nFault roles, with the defaults:\n"
    };
    for a in &listing.architectures {
        out += &format!("    {:<12} {}\n", a.kind, a.roles);
    }
    if everything {
        out += "\nDistributions: \"2ms\", \"exp(2ms)\", \"uniform(1ms, 3ms)\", \"lognormal(p50=1ms, p99=8ms)\",\n\
                \"lognormal(mean=1ms, sigma=0.5)\", \"pareto(xm=1ms, alpha=2.5)\", \"normal(1ms, 0.2ms)\",\n\
                \"erlang(4, 2ms)\", \"mix(0.99: 1ms, 0.01: exp(1s))\".\n";
    }
    out
}
