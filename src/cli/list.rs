//! `archsim list`: the architectures and every parameter with its default
//! and documentation, taken from the schema itself.

use documented::{Documented, DocumentedFields};
use serde::Serialize;

use crate::scenario::{
    ArchKind, ArchitectureConfig, CacheConfig, DbConfig, NetworkConfig, ReplicasConfig,
    ShardsConfig, WorkloadConfig, field_docs,
};

pub fn list() -> anyhow::Result<()> {
    let mut out = String::from("Architectures (kind = …):\n");
    for kind in ArchKind::ALL {
        let status = if kind.is_available() {
            ""
        } else {
            "  [not simulated yet]"
        };
        out += &format!("  {:<12} {}{status}\n", kind.name(), kind.summary());
    }
    out += "\n[[architecture]] fields:\n";
    out += &section(
        &ArchitectureConfig::new(ArchKind::Single),
        &["db", "cache", "replicas", "shards"],
    )?;
    out += &format!("\n[architecture.db] — {}\n", one_line(DbConfig::DOCS));
    out += &section(&DbConfig::default(), &[])?;
    out += &format!("\n[architecture.cache] — {}\n", one_line(CacheConfig::DOCS));
    out += &section(&CacheConfig::default(), &[])?;
    out += &format!(
        "\n[architecture.replicas] — {}\n",
        one_line(ReplicasConfig::DOCS)
    );
    out += &section(&ReplicasConfig::default(), &[])?;
    out += &format!(
        "\n[architecture.shards] (kind = \"sharded\") — {}\n",
        one_line(ShardsConfig::DOCS)
    );
    out += &section(&ShardsConfig::default(), &[])?;
    out += "\n[workload]\n";
    out += &section(&WorkloadConfig::default(), &["phase"])?;
    out += "  phase: [[workload.phase]] with at, rate and ramp — a load profile\n";
    out += "\n[network]\n";
    out += &section(&NetworkConfig::default(), &[])?;
    out += "\nDistributions: \"2ms\", \"exp(2ms)\", \"uniform(1ms, 3ms)\", \"lognormal(p50=1ms, p99=8ms)\",\n\
            \"lognormal(mean=1ms, sigma=0.5)\", \"pareto(xm=1ms, alpha=2.5)\", \"normal(1ms, 0.2ms)\",\n\
            \"erlang(4, 2ms)\", \"mix(0.99: 1ms, 0.01: exp(1s))\".\n";
    print!("{out}");
    Ok(())
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
