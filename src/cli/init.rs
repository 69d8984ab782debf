//! `archsim init`: a commented starter scenario. Every field is written
//! with the documentation, default and source the schema carries (the same
//! text `archsim list` prints), the ones the flags decide set, the others
//! commented out; sizes in bytes become keys and cache entries at a stated
//! row size. The text is read back as a scenario before it is written.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use documented::{Documented, DocumentedFields};
use serde::Serialize;

use super::{InitArgs, Stage};
use crate::arch::registry::{self, KINDS};
use crate::scenario::{
    ArchKind, ArchitectureConfig, CacheConfig, CoordinatorConfig, DbConfig, DocstoreConfig,
    EntitiesConfig, Mix, NetworkConfig, PartitionsConfig, ReplicasConfig, Scenario, ShardsConfig,
    StoresConfig, WorkloadConfig, field_docs,
};
use crate::workload::OpKind;

/// How to write the fields that have no fixed default (their
/// documentation says what they default to), as commented-out examples.
const EXAMPLES: [(&str, &str); 8] = [
    ("probes", "[\"1ms\", \"10ms\", \"100ms\"]"),
    ("failed", "\"0.1%\""),
    ("freshness", "[\"cache<=1s\"]"),
    ("anomalies", "[\"lost_update<=0.1/1k\"]"),
    ("trace", "\"traces/checkout.csv\""),
    ("speed", "1.0"),
    ("ycsb", "\"a\""),
    ("tpcc", "true"),
];

/// Width of the comment lines.
const WIDTH: usize = 78;

pub fn init(args: &InitArgs) -> anyhow::Result<()> {
    let name = args
        .output
        .as_ref()
        .and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| {
            !s.is_empty()
                && !s.starts_with('.')
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
        .unwrap_or_else(|| "my-scenario".to_string());
    let text = starter(args, &name)?;
    // The starter must be a scenario archsim runs as written.
    let scenario = Scenario::from_toml(&text, "the starter scenario", &name, &[])
        .map_err(|e| anyhow::anyhow!("archsim init wrote a scenario it cannot read back: {e}"))?;
    let Some(path) = &args.output else {
        return super::print_out(&text);
    };
    write_new(path, text.as_bytes(), args.force)?;
    super::note(&format!(
        "wrote {} ({} key{}, {}); check it with `archsim check {0}`, run it with `archsim run {0}`",
        path.display(),
        scenario.workload.keys,
        if scenario.workload.keys == 1 { "" } else { "s" },
        scenario
            .architectures
            .iter()
            .map(|a| a.kind().name())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if let Some(available) = crate::scenario::memory::available() {
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let need = crate::scenario::memory::bytes_at_once(&scenario, threads);
        if need > available / 10 * 9 {
            super::note(&format!(
                "note: running it needs about {} of memory and this machine has {} available; \
                 a larger --row-size or a smaller --working-set means fewer keys",
                crate::scenario::memory::human(need),
                crate::scenario::memory::human(available)
            ));
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` whole (through a temporary file beside it), and
/// only if no file is there unless `force`.
fn write_new(path: &Path, bytes: &[u8], force: bool) -> anyhow::Result<()> {
    crate::report::check_regular(path)?;
    let exists = || {
        anyhow::anyhow!(
            "{} already exists; choose another file with -o, or add --force to replace it",
            path.display()
        )
    };
    if force {
        return crate::report::write_file(path, bytes)
            .with_context(|| format!("cannot write {}", path.display()));
    }
    if path.exists() {
        return Err(exists());
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "scenario".into(), |n| n.to_string_lossy());
    let temporary = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.flush()));
    let result = written.and_then(|()| match std::fs::hard_link(&temporary, path) {
        // A link fails if a file appeared meanwhile: it is never replaced.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
        // A file system without links: the check above stands.
        Err(_) => std::fs::rename(&temporary, path),
        Ok(()) => Ok(()),
    });
    let _ = std::fs::remove_file(&temporary);
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(exists()),
        Err(e) => Err(anyhow::anyhow!(
            "cannot write {}: {e}; check that the folder exists and is writable",
            path.display()
        )),
        Ok(()) => Ok(()),
    }
}

/// `text` as comment lines of at most [`WIDTH`] characters.
fn comment(out: &mut String, text: &str) {
    let mut line = String::from("#");
    for word in text.split_whitespace() {
        if line.len() > 1 && line.chars().count() + 1 + word.chars().count() > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = String::from("#");
        }
        line.push(' ');
        line.push_str(word);
    }
    if line.len() > 1 {
        out.push_str(&line);
        out.push('\n');
    }
}

/// Each field of a section: its documentation as a comment, then the field
/// as `key = value` when `value` differs from `default` (or is in
/// `always`), else commented out with its default. Fields whose value is a
/// table, or that are in `skip`, are left to the caller.
fn fields<T: DocumentedFields + Serialize>(
    out: &mut String,
    value: &T,
    default: &T,
    skip: &[&str],
    always: &[&str],
) -> anyhow::Result<()> {
    let value = toml::Table::try_from(value)?;
    let default = toml::Table::try_from(default)?;
    for (name, doc) in field_docs::<T>() {
        if skip.contains(&name) || value.get(name).is_some_and(toml::Value::is_table) {
            continue;
        }
        out.push('\n');
        comment(out, doc);
        match (value.get(name), default.get(name)) {
            (Some(v), d) if d != Some(v) || always.contains(&name) => {
                writeln!(out, "{name} = {v}")?;
            }
            (_, Some(d)) => writeln!(out, "# {name} = {d}")?,
            _ => {
                if let Some((_, example)) = EXAMPLES.iter().find(|(n, _)| *n == name) {
                    writeln!(out, "# {name} = {example}")?;
                }
            }
        }
    }
    Ok(())
}

/// One `[architecture.<key>]` table of `arch` (its entry as TOML): its
/// documentation and every field, against `default` (the kind's defaults).
fn table(
    out: &mut String,
    arch: &toml::Table,
    default: &toml::Table,
    key: &str,
) -> anyhow::Result<()> {
    fn typed<T: serde::de::DeserializeOwned>(t: &toml::Table, key: &str) -> anyhow::Result<T> {
        let value = t
            .get(key)
            .cloned()
            .unwrap_or(toml::Value::Table(toml::Table::new()));
        Ok(value.try_into()?)
    }
    macro_rules! write_table {
        ($ty:ty) => {
            write_table!($ty, &[])
        };
        ($ty:ty, $skip:expr) => {{
            out.push('\n');
            if arch.contains_key(key) {
                writeln!(out, "[architecture.{key}]")?;
            } else {
                // An optional table (sharded's stores): absent unless given.
                writeln!(out, "# [architecture.{key}]")?;
                comment(
                    out,
                    "Not carried unless given: uncomment the header above (and any field \
                     below) to add it.",
                );
            }
            comment(out, <$ty>::DOCS);
            fields(
                out,
                &typed::<$ty>(arch, key)?,
                &typed::<$ty>(default, key)?,
                $skip,
                &[],
            )
        }};
    }
    match key {
        "db" => write_table!(DbConfig),
        "cache" => write_table!(CacheConfig),
        "replicas" => write_table!(ReplicasConfig),
        "shards" => write_table!(ShardsConfig),
        "docstore" => write_table!(DocstoreConfig),
        "stores" => write_table!(StoresConfig),
        "coordinator" => write_table!(CoordinatorConfig),
        "partitions" => write_table!(PartitionsConfig, PartitionsConfig::MOVED),
        _ => anyhow::bail!("no documentation for [architecture.{key}]"),
    }
}

/// The keys at the top of an `[[architecture]]` entry of `kind` (not its
/// tables), each with its documentation: set where `arch` differs from
/// `default` or the key is in `always`, else commented out at its default.
fn entry_fields(
    out: &mut String,
    kind: ArchKind,
    arch: &toml::Table,
    default: &toml::Table,
    always: &[&str],
) -> anyhow::Result<()> {
    let entry = registry::entry(kind);
    let docs = crate::arch::COMMON_DOCS
        .iter()
        .copied()
        .chain(registry::key_docs(kind))
        .filter(|(key, _)| !entry.tables.contains(key) && *key != "name");
    for (name, doc) in docs {
        if entry.shorthands.iter().any(|s| s.key == name) {
            continue;
        }
        out.push('\n');
        comment(out, doc);
        match (arch.get(name), default.get(name)) {
            (Some(v), d) if d != Some(v) || always.contains(&name) => {
                writeln!(out, "{name} = {v}")?;
            }
            (_, Some(d)) => writeln!(out, "# {name} = {d}")?,
            _ => {}
        }
    }
    Ok(())
}

/// The scenario text for `args`.
fn starter(args: &InitArgs, name: &str) -> anyhow::Result<String> {
    let row = args.row_size;
    let kinds: Vec<ArchKind> = match args.stage {
        Stage::All => KINDS.iter().map(|k| k.kind).collect(),
        Stage::Single => vec![ArchKind::Single],
        Stage::Polyglot => vec![ArchKind::Polyglot],
        Stage::Sharded => vec![ArchKind::Sharded],
        Stage::Coordinator => vec![ArchKind::Coordinator],
        Stage::Colocated => vec![ArchKind::Colocated],
    };
    let mut workload = WorkloadConfig::default();
    let keys = match args.working_set {
        Some(bytes) => bytes.div_ceil(row).max(1),
        None => workload.keys,
    };
    if keys > crate::scenario::MAX_KEYS as u64 {
        anyhow::bail!(
            "a working set of {} at {} a row is {keys} keys; archsim holds at most {} — give a \
             larger --row-size or a smaller --working-set",
            human(args.working_set.unwrap_or(0)),
            human(row),
            crate::scenario::MAX_KEYS
        );
    }
    workload.keys = keys;
    if let Some(rate) = args.rate {
        workload.rate = rate;
    }
    if let Some(r) = args.read_share {
        // To 12 digits: 1 − 0.9 is 0.09999999999999998 in binary.
        let writes = ((1.0 - r) * 1e12).round() / 1e12;
        let shares = [(OpKind::Get, r), (OpKind::Put, writes)]
            .into_iter()
            .filter(|(_, s)| *s > 0.0)
            .collect();
        workload.mix = Mix::new(shares).map_err(anyhow::Error::msg)?;
    }
    let cache_entries = args.cache.map(|bytes| {
        crate::scenario::CacheConfig::entries_in(bytes, row, crate::scenario::ENTRY_OVERHEAD)
    });

    let mut out = String::new();
    let command: Vec<String> = std::env::args().skip(1).collect();
    writeln!(
        out,
        "# {name}: a starter scenario written by `archsim {}`.",
        command.join(" ")
    )?;
    comment(
        &mut out,
        "Every field is listed with its documentation, its default and the source of the \
         default (the text `archsim list` prints). The fields set below are the ones the \
         flags decided; the others are commented out at their defaults: remove the `#` to \
         change one. `archsim check` reads the file without running it, `archsim run` runs it, \
         and `--set path=value` changes a field for one run (e.g. --set workload.rate=20000).",
    );
    out.push_str("#\n");
    comment(
        &mut out,
        &format!(
            "Sizes: archsim counts keys and cache entries, not bytes. At a row size of {} \
             (--row-size) the working set of {} is {} keys (workload.keys){}. The row size \
             itself is not simulated: service times do not depend on it. A scenario may give \
             both in bytes instead (workload.working_set, cache.memory).",
            human(row),
            args.working_set.map_or_else(
                || format!(
                    "{} (the default key count × the row size)",
                    human(keys * row)
                ),
                human
            ),
            keys,
            match (args.cache, cache_entries) {
                (Some(bytes), Some(n)) => format!(
                    " and a cache of {} holds {n} entries (architecture.cache.capacity: \
                     memory / (row size + {} B of overhead per entry, as cache.memory counts \
                     it))",
                    human(bytes),
                    crate::scenario::ENTRY_OVERHEAD
                ),
                _ => String::new(),
            }
        ),
    );
    if args.replicas.is_some() {
        comment(
            &mut out,
            "--replicas: copies besides the primary — read replicas where an architecture \
             has them (single, sharded), Raft followers for colocated (replication = replicas \
             + 1); polyglot and coordinator have none.",
        );
    }

    // The top of the file.
    let base = Scenario::from_toml("[[architecture]]\nkind = \"single\"\n", "", name, &[])?;
    let mut top = base.clone();
    top.name = name.to_string();
    top.description = format!(
        "Starter: {} at {} ops/s, {} keys",
        kinds
            .iter()
            .map(|k| k.name())
            .collect::<Vec<_>>()
            .join(", "),
        workload.rate,
        keys
    );
    let mut blank = base.clone();
    blank.name = String::new();
    fields(
        &mut out,
        &top,
        &blank,
        &[
            "workload",
            "network",
            "slo",
            "architectures",
            "faults",
            "sweep",
        ],
        &["duration", "warmup"],
    )?;

    // [workload]
    out += "\n[workload]\n";
    comment(
        &mut out,
        "The operation stream every architecture receives.",
    );
    let default = WorkloadConfig::default();
    fields(
        &mut out,
        &workload,
        &default,
        &["replay", "phases"],
        &["rate", "keys", "popularity"],
    )?;
    out.push('\n');
    let phase_doc = field_docs::<WorkloadConfig>()
        .find(|(n, _)| *n == "phases")
        .map_or("", |(_, d)| d);
    comment(&mut out, phase_doc);
    out += "# [[workload.phase]]\n# at = \"30s\"\n# rate = 20000\n# ramp = \"10s\"\n";

    out += "\n[workload.mix]\n";
    let mix_doc = field_docs::<WorkloadConfig>()
        .find(|(n, _)| *n == "mix")
        .map_or("", |(_, d)| d);
    comment(&mut out, mix_doc);
    for kind in workload.mix.kinds() {
        writeln!(out, "{kind} = {}", workload.mix.share(kind))?;
    }

    out += "\n[workload.entities]\n";
    let entities_doc = field_docs::<WorkloadConfig>()
        .find(|(n, _)| *n == "entities")
        .map_or("", |(_, d)| d);
    comment(&mut out, entities_doc);
    fields(
        &mut out,
        &workload.entities,
        &EntitiesConfig::default(),
        &[],
        &[],
    )?;

    // [network]
    out += "\n[network]\n";
    comment(&mut out, "The network between components.");
    let network = NetworkConfig::default();
    fields(&mut out, &network, &network, &[], &[])?;

    // [slo]
    out += "\n[slo]\n";
    let slo_doc = field_docs::<crate::scenario::Scenario>()
        .find(|(n, _)| *n == "slo")
        .map_or("", |(_, d)| d);
    comment(&mut out, slo_doc);
    let slo = crate::scenario::Slo::default();
    fields(&mut out, &slo, &slo, &[], &[])?;

    // The architectures.
    for kind in kinds {
        let entry = registry::entry(kind);
        let default = toml::Table::try_from(ArchitectureConfig::new(kind))?;
        let mut arch = default.clone();
        let mut set = |table: &str, field: &str, value: i64| {
            if let Some(toml::Value::Table(t)) = arch.get_mut(table) {
                t.insert(field.to_string(), toml::Value::Integer(value));
            }
        };
        let mut notes = Vec::new();
        if let Some(n) = args.replicas {
            match kind {
                ArchKind::Single | ArchKind::Sharded => set("replicas", "count", i64::from(n)),
                ArchKind::Colocated => {
                    let nodes = default
                        .get("partitions")
                        .and_then(|p| p.get("nodes"))
                        .and_then(toml::Value::as_integer)
                        .unwrap_or(0);
                    set("partitions", "replication", i64::from(n) + 1);
                    set("partitions", "nodes", nodes.max(i64::from(n) + 1));
                }
                _ => notes.push(format!(
                    "--replicas {n}: {} has no read replicas; its copies are its derived stores",
                    kind.name()
                )),
            }
        }
        if let Some(n) = cache_entries {
            if entry.tables.contains(&"cache") {
                set("cache", "capacity", i64::try_from(n).unwrap_or(i64::MAX));
            } else {
                notes.push(format!(
                    "--cache: {} has no app-tier cache; its data is in memory already",
                    kind.name()
                ));
            }
        }
        out += "\n# ------------------------------------------------------------------------\n";
        comment(&mut out, &format!("{}: {}", kind.name(), entry.summary));
        for note in &notes {
            comment(&mut out, note);
        }
        out += "[[architecture]]\n";
        entry_fields(&mut out, kind, &arch, &default, &["kind"])?;
        for key in entry.tables {
            table(&mut out, &arch, &default, key)?;
        }
    }

    // Faults and sweeps, commented out.
    out += "\n# ------------------------------------------------------------------------\n";
    let fault_doc = field_docs::<Scenario>()
        .find(|(n, _)| *n == "faults")
        .map_or("", |(_, d)| d);
    comment(&mut out, fault_doc);
    out += "# [[fault]]\n";
    for (name, doc) in field_docs::<crate::faults::Fault>() {
        let name = if name == "lasts" { "for" } else { name };
        comment(&mut out, &format!("{name}: {doc}"));
    }
    out.push('\n');
    let sweep_doc = field_docs::<Scenario>()
        .find(|(n, _)| *n == "sweep")
        .map_or("", |(_, d)| d);
    comment(&mut out, sweep_doc);
    out += "# [sweep]\n# \"workload.rate\" = [5000, 10000, 20000]\n";
    Ok(out)
}

pub use crate::scenario::size::{bytes, row_size};

/// A share from 0 to 1.
pub fn share(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("\"{text}\" is not a share from 0 to 1, e.g. 0.9")),
    }
}

/// A positive rate.
pub fn rate(text: &str) -> Result<f64, String> {
    match text.trim().replace('_', "").parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!(
            "\"{text}\" is not a rate in operations per second, e.g. 5000"
        )),
    }
}

/// A read replica count, 0 to 16.
pub fn replicas(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(v) if v <= 16 => Ok(v),
        _ => Err(format!("\"{text}\" is not a replica count from 0 to 16")),
    }
}

use crate::scenario::size::human;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_take_the_scenario_sizes() {
        assert_eq!(bytes("50GB"), Ok(50_000_000_000));
        assert!(row_size("0").is_err());
    }
}
