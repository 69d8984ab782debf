//! `archsim init`: the starter scenario it writes checks and runs as
//! written, documents every field with its default and source, turns bytes
//! into keys and cache entries at the row size, and never replaces a file
//! unless told to.

use std::path::{Path, PathBuf};

use archsim::scenario::{ArchKind, Scenario};

use crate::archsim;

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `archsim init FLAGS -o DIR/NAME.toml`, then `archsim check` of it.
fn init(dir: &Path, name: &str, flags: &[&str]) -> (PathBuf, Scenario) {
    let path = dir.join(format!("{name}.toml"));
    let mut args = vec!["init"];
    args.extend(flags);
    let p = path.display().to_string();
    args.extend(["-o", &p]);
    ok(&archsim(&args));
    let check = archsim(&["check", &p]);
    ok(&check);
    assert!(String::from_utf8_lossy(&check.stdout).contains(": ok"));
    let scenario = Scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
    (path, scenario)
}

#[test]
fn starters_check_and_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    let out = out.display().to_string();
    // As written: the defaults (one single database, 100,000 keys).
    let (path, s) = init(dir.path(), "plain", &[]);
    assert_eq!(s.workload.keys, 100_000);
    assert_eq!(s.architectures.len(), 1);
    assert_eq!(s.architectures[0].kind(), ArchKind::Single);
    ok(&archsim(&[
        "run",
        &path.display().to_string(),
        "-o",
        &out,
        "-q",
    ]));

    // Every stage with every flag: bytes become keys and entries.
    let (path, s) = init(
        dir.path(),
        "all",
        &[
            "--stage",
            "all",
            "--rate",
            "5000",
            "--read-share",
            "0.8",
            "--working-set",
            "20MB",
            "--cache",
            "2MB",
            "--replicas",
            "2",
        ],
    );
    assert_eq!(s.architectures.len(), 5);
    assert_eq!(s.workload.rate, 5000.0);
    assert_eq!(s.workload.keys, 20_000);
    assert!((s.workload.mix.share(archsim::workload::OpKind::Put) - 0.2).abs() < 1e-9);
    for a in &s.architectures {
        match a.kind() {
            ArchKind::Single | ArchKind::Sharded => {
                assert_eq!(setting(a, "replicas", "count"), 2);
                // 2 MB / (1 KB row + 64 B per entry), as `cache.memory`.
                assert_eq!(setting(a, "cache", "capacity"), 1879);
            }
            ArchKind::Polyglot | ArchKind::Coordinator => {
                assert_eq!(setting(a, "cache", "capacity"), 1879)
            }
            ArchKind::Colocated => assert_eq!(setting(a, "partitions", "replication"), 3),
        }
    }
    let p = path.display().to_string();
    ok(&archsim(&[
        "run",
        &p,
        "-o",
        &out,
        "-q",
        "--set",
        "duration=2s",
        "--set",
        "warmup=1s",
    ]));

    // A row size in binary units, and more followers than the default nodes.
    let (path, s) = init(
        dir.path(),
        "colocated",
        &[
            "--stage",
            "colocated",
            "--working-set",
            "4MiB",
            "--row-size",
            "4KiB",
            "--replicas",
            "4",
        ],
    );
    assert_eq!(s.workload.keys, 1024);
    let a = &s.architectures[0];
    let parts = (
        setting(a, "partitions", "replication"),
        setting(a, "partitions", "nodes"),
    );
    assert_eq!(parts, (5, 5));
    let p = path.display().to_string();
    ok(&archsim(&[
        "run",
        &p,
        "-o",
        &out,
        "-q",
        "--set",
        "duration=1s",
        "--set",
        "warmup=0s",
    ]));

    let (path, s) = init(
        dir.path(),
        "sharded",
        &[
            "--stage",
            "sharded",
            "--read-share",
            "1",
            "--cache",
            "100KB",
        ],
    );
    assert_eq!(setting(&s.architectures[0], "cache", "capacity"), 93);
    assert_eq!(s.workload.mix.share(archsim::workload::OpKind::Get), 1.0);
    let p = path.display().to_string();
    ok(&archsim(&[
        "run",
        &p,
        "-o",
        &out,
        "-q",
        "--set",
        "duration=1s",
        "--set",
        "warmup=0s",
    ]));
}

#[test]
fn every_field_is_documented_with_its_default_and_source() {
    let text = ok(&archsim(&["init", "--stage", "all"]));
    // Fields the flags did not set are commented out at their defaults,
    // under the schema's own documentation.
    for line in [
        "# sessions = 1000",
        "# probe_share = 0.1",
        "# cores = 8",
        "# hop = \"lognormal(p50=150us, p99=500us)\"",
        "# lease = \"5s\"",
        "# ycsb = \"a\"",
        "# [[fault]]",
        "# [sweep]",
    ] {
        assert!(text.contains(line), "missing {line:?}");
    }
    // Sources, as `archsim list` gives them.
    for source in ["etcd performance guide", "Ignite 3", "Aurora", "Debezium"] {
        assert!(text.contains(source), "missing the source {source:?}");
    }
    assert!(text.contains("1KB (--row-size)"));
    // Every comment line fits in 80 columns, but for unbreakable words.
    for line in text.lines().filter(|l| l.starts_with('#')) {
        assert!(
            line.chars().count() <= 78 || !line[2..].contains(' '),
            "{line}"
        );
    }
}

#[test]
fn sizes_become_keys_at_the_row_size() {
    let text = ok(&archsim(&[
        "init",
        "--working-set",
        "50GB",
        "--cache",
        "10GB",
        "--row-size",
        "1KB",
    ]));
    assert!(text.contains("\nkeys = 50000000\n"), "{text}");
    assert!(text.contains("\ncapacity = 9398496\n"), "{text}");
    assert!(text.contains("50GB is 50000000 keys"));
    let bad = archsim(&["init", "--working-set", "3 parsecs"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown unit"));
    let too_many = archsim(&["init", "--working-set", "5TB", "--row-size", "1"]);
    assert_eq!(too_many.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&too_many.stderr).contains("larger --row-size"));
}

#[test]
fn an_existing_file_is_kept_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    std::fs::write(&path, "# my work\n").unwrap();
    let p = path.display().to_string();
    let out = archsim(&["init", "-o", &p]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# my work\n");
    ok(&archsim(&["init", "-o", &p, "--force", "--rate", "123"]));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\nrate = 123.0\n"));
    // Nothing but the file is left in the folder.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// The integer `table.field` of an architecture entry, as its TOML has it.
fn setting(a: &archsim::scenario::ArchitectureConfig, table: &str, field: &str) -> i64 {
    let t = toml::Table::try_from(a).unwrap();
    t[table][field].as_integer().unwrap()
}
