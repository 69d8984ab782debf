//! YCSB's core workloads: the `[workload] ycsb` presets, properties files
//! with `-p` overrides (`archsim run --ycsb FILE`), inserts that grow the
//! key space and scans that read ranges (workloads D and E), and the
//! refusal of what archsim does not simulate yet.

use archsim::scenario::Scenario;
use archsim::workload::ycsb::{Preset, Properties};
use archsim::workload::{OpKind, Popularity};

use crate::{archsim, scenario_path};

fn load(text: &str) -> Result<Scenario, String> {
    Scenario::from_toml(text, "y.toml", "y", &[]).map_err(|e| e.to_string())
}

fn preset(letter: &str) -> Scenario {
    load(&format!(
        "[workload]\nycsb = \"{letter}\"\nkeys = 5000\n[[architecture]]\nkind = \"single\"\n"
    ))
    .unwrap()
}

#[test]
fn each_preset_sets_ycsbs_mix_and_zipfian() {
    let expected: [(&str, &[(OpKind, f64)]); 6] = [
        ("a", &[(OpKind::Get, 0.5), (OpKind::Put, 0.5)]),
        ("b", &[(OpKind::Get, 0.95), (OpKind::Put, 0.05)]),
        ("c", &[(OpKind::Get, 1.0)]),
        ("d", &[(OpKind::Get, 0.95), (OpKind::Insert, 0.05)]),
        ("e", &[(OpKind::Insert, 0.05), (OpKind::Scan, 0.95)]),
        ("f", &[(OpKind::Get, 0.5), (OpKind::Rmw, 0.5)]),
    ];
    for (letter, shares) in expected {
        let s = preset(letter);
        let w = &s.workload;
        let popularity = if letter == "d" {
            Popularity::Latest(0.99)
        } else {
            Popularity::ScrambledZipf
        };
        assert_eq!(w.popularity, popularity, "{letter}");
        let kinds: Vec<OpKind> = w.mix.kinds().collect();
        assert_eq!(kinds, shares.iter().map(|(k, _)| *k).collect::<Vec<_>>());
        for (kind, share) in shares {
            assert_eq!(w.mix.share(*kind), *share, "{letter} {kind}");
        }
        // F's read-modify-writes spread over as many counters as keys.
        let counters = if letter == "f" { 5000 } else { 1000 };
        assert_eq!(w.entities.counters, counters);
        // The resolved scenario reads back the same.
        let again = load(&s.to_toml()).unwrap();
        assert_eq!(again.workload, s.workload);
    }
    assert_eq!(Preset::ALL.len(), 6);
}

/// The operations each preset generates: its shares, within 0.01 over
/// 20,000 draws, and F's read-modify-writes on every counter range.
#[test]
fn each_preset_generates_its_mix() {
    use archsim::sim::{SimTime, Streams};
    use archsim::workload::{KeySpace, Workload};
    for p in Preset::ALL {
        let s = preset(p.letter());
        let w = &s.workload;
        let end = SimTime::ZERO + archsim::sim::SimDuration::from_secs(2);
        let mut ops = Workload::new(w, &Streams::new(3, 0), end);
        let mut counts = std::collections::BTreeMap::new();
        let mut n = 0.0;
        let space = KeySpace::new(w);
        while let Some(op) = ops.next_op() {
            *counts.entry(op.kind).or_insert(0.0) += 1.0;
            n += 1.0;
            if op.kind == OpKind::Rmw {
                assert!(op.key >= space.counter(0) && op.key < space.counter(5000));
            }
        }
        assert!(n > 15_000.0, "{n}");
        for (kind, share) in p.mix() {
            let seen = counts.get(&kind).copied().unwrap_or(0.0) / n;
            assert!((seen - share).abs() < 0.01, "{p} {kind}: {seen} vs {share}");
        }
    }
}

#[test]
fn presets_refuse_what_they_set_and_what_is_missing() {
    let e = load("[workload]\nycsb = \"a\"\n[workload.mix]\nget = 1.0\n[[architecture]]\nkind = \"single\"\n")
        .unwrap_err();
    assert!(e.contains("y.toml:3:") && e.contains("sets mix"), "{e}");
    let e = load(
        "[workload]\nycsb = \"b\"\npopularity = \"uniform\"\n[[architecture]]\nkind = \"single\"\n",
    )
    .unwrap_err();
    assert!(
        e.contains("y.toml:3:") && e.contains("sets popularity"),
        "{e}"
    );
    let e = load("[workload]\nycsb = \"g\"\n[[architecture]]\nkind = \"single\"\n").unwrap_err();
    assert!(
        e.contains("expected \"a\", \"b\", \"c\", \"d\", \"e\" or \"f\""),
        "{e}"
    );
}

#[test]
fn set_and_sweep_change_the_preset_not_its_fields() {
    let path = scenario_path("ycsb-workload-a.toml");
    let p = path.display().to_string();
    let b = Scenario::load(&path, &["workload.ycsb=b".parse().unwrap()]).unwrap();
    assert_eq!(b.workload.mix.share(OpKind::Put), 0.05);
    let e = Scenario::load(&path, &["workload.mix.get=1".parse().unwrap()]).unwrap_err();
    assert!(e.to_string().contains("sets mix"), "{e}");
    let out = archsim(&["check", &p, "--set", "workload.ycsb=e"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn properties_map_onto_the_workload() {
    let mut p = Properties::parse(
        "# a comment\nrecordcount=1000\noperationcount=5000\ntarget=500\n\
         readproportion=0.5\nupdateproportion=0.5\nrequestdistribution=zipfian\n\
         fieldcount=10\nmongodb.url=mongodb://localhost\n",
        "w.properties",
    )
    .unwrap();
    let w = p.workload().unwrap();
    assert_eq!(w.records, Some(1000));
    assert_eq!(w.target, Some(500.0));
    assert_eq!(w.popularity, Popularity::ScrambledZipf);
    assert_eq!(w.duration(500.0).unwrap().to_string(), "10s");
    // -p overrides win, in order.
    p.set("requestdistribution=hotspot").unwrap();
    p.set("hotspotdatafraction=0.1").unwrap();
    p.set("readmodifywriteproportion=0.5").unwrap();
    p.set("updateproportion=0").unwrap();
    let w = p.workload().unwrap();
    assert_eq!(
        w.popularity,
        Popularity::Hotspot {
            hot_fraction: 0.1,
            hot_share: 0.8
        }
    );
    assert_eq!(w.mix[&OpKind::Get], 0.5);
    assert_eq!(w.mix[&OpKind::Rmw], 0.5);
    p.set("requestdistribution=latest").unwrap();
    assert_eq!(p.workload().unwrap().popularity, Popularity::Latest(0.99));
    p.set("requestdistribution=uniform").unwrap();
    assert_eq!(p.workload().unwrap().popularity, Popularity::Uniform);
}

#[test]
fn run_ycsb_file_with_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    let file = scenario_path("ycsb/workloadb.properties");
    let args = [
        "run",
        "--ycsb",
        &file.display().to_string(),
        "-p",
        "recordcount=2000",
        "-p",
        "operationcount=3000",
        "-p",
        "target=1500",
        "-p",
        "requestdistribution=uniform",
        "--set",
        "warmup=0s",
        "-o",
        &out.display().to_string(),
        "-q",
    ]
    .map(String::from);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = archsim(&args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // No scenario given: all five architectures, named after the file.
    let resolved = Scenario::load(&out.join("workloadb/scenario.toml"), &[]).unwrap();
    assert_eq!(resolved.architectures.len(), 5);
    let w = &resolved.workload;
    assert_eq!(w.keys, 2000);
    assert_eq!(w.rate, 1500.0);
    assert_eq!(w.popularity, Popularity::Uniform);
    assert_eq!(w.mix.share(OpKind::Get), 0.95);
    assert_eq!(resolved.duration.to_string(), "2s");

    // Workload F beside a scenario: its architectures, F's workload.
    let f = scenario_path("ycsb/workloadf.properties");
    let scenario = scenario_path("single-cache-working-set.toml");
    let out = archsim(&[
        "check",
        &scenario.display().to_string(),
        "--ycsb",
        &f.display().to_string(),
        "-p",
        "recordcount=3000",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for p in Preset::ALL {
        let path = scenario_path(&format!("ycsb/workload{p}.properties"));
        let w = Properties::read(&path).unwrap().workload().unwrap();
        assert_eq!(w.popularity, p.popularity(), "{}", path.display());
        assert_eq!(w.mix, p.mix(), "{}", path.display());
    }
}

#[test]
fn refusals_and_bad_lines_are_placed() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.properties");
    std::fs::write(&bad, "recordcount=100\n\nreadproportion=lots\n").unwrap();
    let b = bad.display().to_string();
    let out = archsim(&["check", "--ycsb", &b]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{b}:3: readproportion")), "{err}");

    std::fs::write(&bad, "recordcount=100\nreadproprtion=1\n").unwrap();
    let err = String::from_utf8_lossy(&archsim(&["check", "--ycsb", &b]).stderr).into_owned();
    assert!(err.contains(&format!("{b}:2: unknown property")), "{err}");

    std::fs::write(&bad, "scanproportion=1\nscanlengthdistribution=latest\n").unwrap();
    let err = String::from_utf8_lossy(&archsim(&["check", "--ycsb", &b]).stderr).into_owned();
    assert!(
        err.contains(&format!("{b}:2: scanlengthdistribution")),
        "{err}"
    );

    let a = scenario_path("ycsb/workloada.properties")
        .display()
        .to_string();
    let err = String::from_utf8_lossy(
        &archsim(&[
            "check",
            "--ycsb",
            &a,
            "-p",
            "requestdistribution=exponential",
            "-p",
            "exponential.percentile=100",
        ])
        .stderr,
    )
    .into_owned();
    assert!(
        err.contains("-p exponential.percentile=100: ")
            && err.contains("strictly between 0 and 100"),
        "{err}"
    );
    // -p without --ycsb is a usage error.
    let out = archsim(&["check", "x.toml", "-p", "recordcount=1"]);
    assert_eq!(out.status.code(), Some(2));
}

/// `archsim sweep --ycsb FILE` sweeps a YCSB workload as `run --ycsb`
/// runs it: every rate for the file's operationcount at its target.
#[test]
fn sweep_a_ycsb_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    let file = scenario_path("ycsb/workloada.properties");
    let (file, out) = (file.display().to_string(), out.display().to_string());
    let args = [
        "sweep",
        "--ycsb",
        &file,
        "-p",
        "recordcount=2000",
        "-p",
        "operationcount=2000",
        "-p",
        "target=1000",
        "--param",
        "workload.rate=1000,2000",
        "--only",
        "single",
        "--set",
        "warmup=0s",
        "-o",
        &out,
        "-q",
    ];
    let run = archsim(&args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let results =
        std::fs::read_to_string(dir.path().join("results/workloada/results.json")).unwrap();
    let results: serde_json::Value = serde_json::from_str(&results).unwrap();
    let runs = results["runs"].as_array().unwrap();
    let offered: Vec<f64> = runs
        .iter()
        .map(|r| r["offered_ops_per_s"].as_f64().unwrap())
        .collect();
    assert_eq!(runs.len(), 2);
    assert!(
        (offered[0] - 1000.0).abs() < 100.0 && (offered[1] - 2000.0).abs() < 150.0,
        "{offered:?}"
    );
    // Neither a scenario nor --ycsb: a usage error.
    let none = archsim(&["sweep", "--param", "workload.rate=1,2"]);
    assert_eq!(none.status.code(), Some(2));
}

/// `requestdistribution=exponential`, as YCSB's `ExponentialGenerator`
/// draws it: with the defaults, 95 % of untruncated draws fall within the
/// last 6/7 of the records; drawing again past the first record makes it
/// 0.95 / (1 − 0.05^(7/6)) = 0.9797 of 1,000 keys. 100,000 draws: within
/// 0.003 (4 standard errors). The per-key probabilities sum to 1.
#[test]
fn exponential_is_ycsbs() {
    use archsim::workload::EXPONENTIAL;
    use archsim::workload::KeyChooser;
    let mut props = Properties::read(&scenario_path("ycsb/workloada.properties")).unwrap();
    props.set("requestdistribution=exponential").unwrap();
    assert_eq!(props.workload().unwrap().popularity, EXPONENTIAL);
    assert_eq!("exponential".parse::<Popularity>().unwrap(), EXPONENTIAL);
    let mut keys = KeyChooser::new(EXPONENTIAL, 1000);
    let total: f64 = (0..1000).map(|k| keys.probability(k).unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-9, "{total}");
    let mut rng = archsim::sim::Streams::new(9, 0).stream("keys");
    let n = 100_000;
    let recent = (0..n)
        .filter(|_| keys.sample(&mut rng) >= 1000 - 857)
        .count();
    let expected = 0.95 / (1.0 - 0.05f64.powf(1000.0 / 857.142857));
    let seen = recent as f64 / n as f64;
    assert!((seen - expected).abs() < 0.003, "{seen} vs {expected}");
    // The last key is the most popular.
    assert!(keys.probability(999).unwrap() > keys.probability(0).unwrap() * 10.0);
}

/// Workload `letter`'s operations over `seconds` at the preset's defaults
/// (5,000 records, 10,000 operations per second).
fn operations(letter: &str, seconds: u64) -> (Scenario, Vec<archsim::workload::Operation>) {
    use archsim::sim::{SimDuration, SimTime, Streams};
    let s = preset(letter);
    let end = SimTime::ZERO + SimDuration::from_secs(seconds);
    let mut ops = archsim::workload::Workload::new(&s.workload, &Streams::new(5, 0), end);
    let mut out = Vec::new();
    while let Some(op) = ops.next_op() {
        out.push(op);
    }
    (s, out)
}

/// Inserts write 5,000, 5,001, … in turn; no read, update or scan touches
/// a key not inserted yet; the slots set aside cover the run's inserts.
#[test]
fn inserts_grow_the_key_space() {
    for letter in ["d", "e"] {
        let (s, ops) = operations(letter, 2);
        let w = &s.workload;
        // 10,000/s × (5 s warm-up + 60 s) × 0.05 = 32,500, and four
        // standard deviations (721), rounded up, and one.
        assert_eq!((s.warmup.duration() + s.duration).to_string(), "65s");
        assert_eq!(w.inserts, 33_223, "{letter}");
        let mut loaded = w.keys;
        for op in &ops {
            match op.kind {
                OpKind::Insert => {
                    assert_eq!(op.key, loaded, "{letter}");
                    loaded += 1;
                }
                OpKind::Scan => assert!(op.key + op.other <= loaded, "{letter}: {op:?}"),
                _ => assert!(op.key < loaded, "{letter}: {op:?} with {loaded} keys"),
            }
        }
        let inserts = ops.iter().filter(|o| o.kind == OpKind::Insert).count() as u64;
        assert_eq!(loaded, w.keys + inserts);
        // 2 s at 10,000/s, 5 % inserts: about 1,000.
        assert!((900..1100).contains(&inserts), "{letter}: {inserts}");
    }
}

/// D's reads follow the inserts: most land on the newest few per cent of
/// the keys inserted so far (Zipf(0.99) ranks back from the newest: about
/// 0.67 within the newest 5 % of 6,000 keys), and the newest key is the
/// most read.
#[test]
fn d_reads_the_latest_inserts() {
    let (s, ops) = operations("d", 2);
    let mut loaded = s.workload.keys;
    let (mut reads, mut recent, mut newest) = (0.0, 0.0, 0.0);
    for op in &ops {
        match op.kind {
            OpKind::Insert => loaded += 1,
            OpKind::Get => {
                reads += 1.0;
                let back = loaded - 1 - op.key;
                if back < loaded / 20 {
                    recent += 1.0;
                }
                if back == 0 {
                    newest += 1.0;
                }
            }
            _ => {}
        }
    }
    let (recent, newest) = (recent / reads, newest / reads);
    assert!((0.62..0.72).contains(&recent), "{recent}");
    // Zipf(0.99) over ~6,000 ranks gives rank 0 about 1 / H ≈ 0.11.
    assert!((0.09..0.13).contains(&newest), "{newest}");
}

/// E's scans: lengths uniform over 1..=100 (mean 50.5) where the range
/// is not cut short by the newest key; each scan's keys consecutive.
#[test]
fn e_scans_are_uniform_up_to_maxscanlength() {
    let (_, ops) = operations("e", 2);
    let scans: Vec<_> = ops.iter().filter(|o| o.kind == OpKind::Scan).collect();
    assert!(scans.iter().all(|o| (1..=100).contains(&o.other)));
    let whole: Vec<f64> = scans
        .iter()
        .filter(|o| o.key + 100 < 5_000)
        .map(|o| o.other as f64)
        .collect();
    let mean = whole.iter().sum::<f64>() / whole.len() as f64;
    assert!((mean - 50.5).abs() < 1.0, "{mean} over {}", whole.len());
    let short = whole.iter().filter(|l| **l <= 10.0).count() as f64 / whole.len() as f64;
    assert!((short - 0.1).abs() < 0.01, "{short}");
}

/// A scan's keys on a sharded store: range placement keeps nearly every
/// scan on one shard, hash placement scatters nearly every one.
#[test]
fn scans_stay_on_one_shard_by_range_and_scatter_by_hash() {
    use archsim::model::router::{PartitionBy, Router, ShardPlacement};
    let (s, ops) = operations("e", 1);
    let space = archsim::workload::KeySpace::new(&s.workload);
    let spread = |placement| {
        let router = Router::new(placement, PartitionBy::Key, 8, space);
        let scans: Vec<_> = ops
            .iter()
            .filter(|o| o.kind == OpKind::Scan && o.other >= 8)
            .collect();
        let one = scans
            .iter()
            .filter(|o| {
                let first = router.shard(o.key);
                (o.key..o.key + o.other).all(|k| router.shard(k) == first)
            })
            .count();
        one as f64 / scans.len() as f64
    };
    let range = spread(ShardPlacement::Range);
    let hash = spread(ShardPlacement::Hash);
    assert!(range > 0.9, "{range}");
    assert!(hash < 0.01, "{hash}");
}

/// D and E as YCSB users run them, on all five architectures.
#[test]
fn d_and_e_run_on_all_five_architectures() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    for letter in ["d", "e"] {
        let file = scenario_path(&format!("ycsb/workload{letter}.properties"));
        let run = archsim(&[
            "run",
            "--ycsb",
            &file.display().to_string(),
            "-p",
            "recordcount=3000",
            "-p",
            "operationcount=3000",
            "-p",
            "target=1500",
            "-o",
            &out.display().to_string(),
            "-q",
        ]);
        assert!(
            run.status.success(),
            "{letter}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let name = format!("workload{letter}");
        let resolved = Scenario::load(&out.join(&name).join("scenario.toml"), &[]).unwrap();
        assert_eq!(resolved.architectures.len(), 5);
        let w = &resolved.workload;
        assert_eq!(w.keys, 3000);
        // 1,500/s × (5 s + 2 s) × 0.05 = 525, and four standard deviations.
        assert_eq!(w.inserts, 618);
        let results = std::fs::read_to_string(out.join(&name).join("results.md")).unwrap();
        let kind = if letter == "d" { "get" } else { "scan" };
        for arch in ["single", "polyglot", "sharded", "coordinator", "colocated"] {
            for k in ["insert", kind] {
                assert!(
                    results.contains(&format!("| {arch} | {k} |")),
                    "{letter}: no {arch} {k} row"
                );
            }
        }
    }
}

/// With inserts, `exponential` counts back from the newest key, as YCSB's
/// `last − ExponentialGenerator` does: D with requestdistribution =
/// exponential reads within the newest 6/7 of the records' span 0.98 of
/// the time (the truncated closed form of `exponential_is_ycsbs`), and the
/// newest key inserted is among the most read.
#[test]
fn exponential_with_inserts_counts_back_from_the_newest_key() {
    use archsim::sim::{SimDuration, SimTime, Streams};
    let s = load("[workload]\nycsb = \"d\"\nkeys = 5000\n[[architecture]]\nkind = \"single\"\n")
        .unwrap();
    let mut w = s.workload.clone();
    w.popularity = archsim::workload::EXPONENTIAL;
    let end = SimTime::ZERO + SimDuration::from_secs(2);
    let mut ops = archsim::workload::Workload::new(&w, &Streams::new(5, 0), end);
    let (mut loaded, mut reads, mut recent) = (w.keys, 0.0, 0.0);
    while let Some(op) = ops.next_op() {
        match op.kind {
            OpKind::Insert => loaded += 1,
            OpKind::Get => {
                reads += 1.0;
                assert!(op.key < loaded);
                if loaded - 1 - op.key < 5000 * 6 / 7 {
                    recent += 1.0;
                }
            }
            _ => {}
        }
    }
    let expected = 0.95 / (1.0 - 0.05f64.powf(7.0 / 6.0));
    assert!(
        (recent / reads - expected).abs() < 0.01,
        "{} vs {expected}",
        recent / reads
    );
}
