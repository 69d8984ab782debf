//! YCSB's core workloads: the `[workload] ycsb` presets, properties files
//! with `-p` overrides (`archsim run --ycsb FILE`), and the refusals of
//! what archsim does not simulate yet (inserts, scans).

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
    let expected: [(&str, &[(OpKind, f64)]); 4] = [
        ("a", &[(OpKind::Get, 0.5), (OpKind::Put, 0.5)]),
        ("b", &[(OpKind::Get, 0.95), (OpKind::Put, 0.05)]),
        ("c", &[(OpKind::Get, 1.0)]),
        ("f", &[(OpKind::Get, 0.5), (OpKind::Rmw, 0.5)]),
    ];
    for (letter, shares) in expected {
        let s = preset(letter);
        let w = &s.workload;
        assert_eq!(w.popularity, Popularity::ScrambledZipf, "{letter}");
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
    assert_eq!(Preset::ALL.len(), 4);
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
    let e = load("[workload]\nycsb = \"d\"\n[[architecture]]\nkind = \"single\"\n").unwrap_err();
    assert!(
        e.contains("y.toml:2:") && e.contains("inserts") && e.contains("not simulated yet"),
        "{e}"
    );
    let e = load("[workload]\nycsb = \"e\"\n[[architecture]]\nkind = \"single\"\n").unwrap_err();
    assert!(e.contains("scans") && e.contains("inserts"), "{e}");
    let e = load("[workload]\nycsb = \"g\"\n[[architecture]]\nkind = \"single\"\n").unwrap_err();
    assert!(e.contains("expected \"a\", \"b\", \"c\" or \"f\""), "{e}");
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
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("scans"));
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
    let shipped =
        ["a", "b", "c", "f"].map(|l| scenario_path(&format!("ycsb/workload{l}.properties")));
    for path in shipped {
        let w = Properties::read(&path).unwrap().workload().unwrap();
        assert_eq!(
            w.popularity,
            Popularity::ScrambledZipf,
            "{}",
            path.display()
        );
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

    std::fs::write(&bad, "readproportion=0.95\ninsertproportion=0.05\n").unwrap();
    let err = String::from_utf8_lossy(&archsim(&["check", "--ycsb", &b]).stderr).into_owned();
    assert!(
        err.contains(&format!("{b}:2: insertproportion")) && err.contains("inserts"),
        "{err}"
    );
    let out = archsim(&["check", "--ycsb", &b, "-p", "insertproportion=0"]);
    assert!(out.status.success());

    let a = scenario_path("ycsb/workloada.properties")
        .display()
        .to_string();
    let err = String::from_utf8_lossy(
        &archsim(&["check", "--ycsb", &a, "-p", "scanproportion=0.95"]).stderr,
    )
    .into_owned();
    assert!(
        err.contains("-p scanproportion=0.95: ") && err.contains("scans"),
        "{err}"
    );
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
