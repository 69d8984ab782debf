//! `archsim list`: the architectures and every parameter with its default
//! and documentation, taken from the schema itself.

use documented::{Documented, DocumentedFields};
use serde::Serialize;

use crate::scenario::{
    ArchKind, ArchitectureConfig, DbConfig, NetworkConfig, WorkloadConfig, field_docs,
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
    out += &section::<ArchitectureConfig>(&ArchitectureConfig::new(ArchKind::Single), &["db"])?;
    out += &format!(
        "\n[architecture.db] — {}\n",
        DbConfig::DOCS.replace('\n', " ")
    );
    out += &section::<DbConfig>(&DbConfig::default(), &[])?;
    out += "\n[workload]\n";
    out += &section::<WorkloadConfig>(&WorkloadConfig::default(), &["phase"])?;
    out += "  phase     [[workload.phase]] with at, rate and ramp: a load profile\n";
    out += "\n[network]\n";
    out += &section::<NetworkConfig>(&NetworkConfig::default(), &[])?;
    out += "\nDistributions: \"2ms\", \"exp(2ms)\", \"uniform(1ms, 3ms)\", \"lognormal(p50=1ms, p99=8ms)\",\n\
            \"lognormal(mean=1ms, sigma=0.5)\", \"pareto(xm=1ms, alpha=2.5)\", \"normal(1ms, 0.2ms)\",\n\
            \"erlang(4, 2ms)\", \"mix(0.99: 1ms, 0.01: exp(1s))\".\n";
    print!("{out}");
    Ok(())
}

/// Each field of a section: name, default (as TOML) and its documentation.
fn section<T: DocumentedFields + Serialize>(value: &T, skip: &[&str]) -> anyhow::Result<String> {
    let table = toml::Table::try_from(value)?;
    let mut out = String::new();
    for (name, doc) in field_docs::<T>() {
        let key = if name == "phases" { "phase" } else { name };
        if skip.contains(&key) {
            continue;
        }
        let default = table
            .get(key)
            .map(|v| v.to_string())
            .unwrap_or_else(|| "—".into());
        out += &format!("  {key} = {default}\n      {}\n", doc.replace('\n', " "));
    }
    Ok(out)
}
