//! `archsim diagnose`: each signature's threshold, the stage the
//! indicators point at against the one declared, the three shipped
//! examples, and what the command writes.

use archsim::diagnose::calibrate::{self, calibrate};
use archsim::diagnose::whatif::Verdict;
use archsim::diagnose::{Diagnosis, Observed, diagnose};
use archsim::model::che;
use archsim::scenario::Slo;

use crate::{archsim, scenario_path};

/// The diagnosis of OBSERVED text.
fn of(text: &str) -> Diagnosis {
    diagnose(&Observed::from_toml(text, "o.toml").unwrap_or_else(|e| panic!("{e}")))
}

/// Whether signature `id` fired (`None`: not read) for `indicators` (TOML
/// lines of `[indicators]`) and `load` (of `[load]`).
fn fired(id: &str, load: &str, indicators: &str) -> Option<bool> {
    let d = of(&format!(
        "name = \"t\"\ndeclared_stage = 1\n[load]\n{load}\n[indicators]\n{indicators}\n"
    ));
    d.signatures.iter().find(|s| s.id == id).unwrap().fired
}

#[test]
fn each_signature_fires_past_its_threshold_and_not_at_it() {
    for (id, load, at, past) in [
        (
            "database_cpu",
            "",
            "db_cpu_normal = 0.80",
            "db_cpu_normal = 0.81",
        ),
        (
            "hit_ratio_falling",
            "",
            "cache_hit_ratio = 0.91\ncache_hit_ratio_before = 0.95",
            "cache_hit_ratio = 0.90\ncache_hit_ratio_before = 0.95",
        ),
        (
            "replica_lag",
            "",
            "replica_lag_p99 = \"1s\"",
            "replica_lag_p99 = \"1001ms\"",
        ),
        (
            "sync_backlog",
            "",
            "sync_backlog_growing = false",
            "sync_backlog_growing = true",
        ),
        (
            "sync_lag",
            "",
            "sync_lag_p99 = { cache = \"1s\", search = \"45s\" }",
            "sync_lag_p99 = { cache = \"1001ms\" }",
        ),
        (
            "correct_value",
            "",
            "correct_value_incidents_per_month = 0.9",
            "correct_value_incidents_per_month = 1",
        ),
        ("cross_shard", "cross_group_txn_share = 0.10", "", ""),
        (
            "coordinator",
            "",
            "coordinator_utilization = 0.70",
            "coordinator_utilization = 0.71",
        ),
        (
            "missing_index",
            "",
            "slow_queries_share = 0.2",
            "slow_queries_share = 0.21",
        ),
        (
            "analytics_at_peak",
            "",
            "analytics_db_share_peak = 0.2",
            "analytics_db_share_peak = 0.21",
        ),
        (
            "n_plus_one",
            "",
            "queries_per_request = 10",
            "queries_per_request = 11",
        ),
    ] {
        if id == "cross_shard" {
            assert_eq!(fired(id, load, ""), Some(false), "{id} at its threshold");
            let past = fired(id, "cross_group_txn_share = 0.11", "");
            assert_eq!(past, Some(true), "{id} past it");
            continue;
        }
        assert_eq!(
            fired(id, load, at),
            Some(false),
            "{id} at its threshold: {at}"
        );
        assert_eq!(fired(id, load, past), Some(true), "{id} past it: {past}");
        assert_eq!(fired(id, "", ""), None, "{id} without evidence is not read");
    }
    // A search index lags by design: only copies that follow at once count.
    assert_eq!(
        fired("sync_lag", "", "sync_lag_p99 = { search = \"45s\" }"),
        None
    );
}

#[test]
fn the_earliest_stage_whose_tension_fires_is_the_stage() {
    let d = of(
        "name = \"t\"\ndeclared_stage = 4\n[load]\ncross_group_txn_share = 0.3\n\
                [indicators]\nsync_backlog_growing = true\ncoordinator_utilization = 0.9\n",
    );
    assert_eq!(d.stage, 2, "{d:?}");
    let warning = d.mismatch.expect("a mismatch");
    assert!(
        warning.starts_with(
            "you declared stage 4; your indicators are a stage-2 \
                                 synchronization problem"
        ),
        "{warning}"
    );
    // With nothing firing, the stage is what the team runs.
    let d = of(
        "name = \"t\"\ndeclared_stage = 3\n[system]\nplatforms = [\"postgres\"]\nshards = 8\n\
                [indicators]\ndb_cpu_normal = 0.3\n",
    );
    assert_eq!((d.stage, d.system_stage, d.mismatch), (3, 3, None));
    assert!(d.verdict.contains("earning its keep"), "{}", d.verdict);
}

#[test]
fn the_shipped_examples_give_their_stage() {
    for (file, stage, declared, mismatch, first_cause) in [
        ("true-stage-1.toml", 1, 1, false, None),
        ("believes-distributed.toml", 2, 3, true, None),
        ("missing-index.toml", 1, 3, true, Some("a missing index")),
    ] {
        let path = scenario_path(&format!("diagnose/{file}"));
        let text = std::fs::read_to_string(&path).unwrap();
        let d = of(&text);
        assert_eq!(
            (d.stage, d.declared_stage),
            (stage, declared),
            "{file}: {d:?}"
        );
        assert_eq!(d.mismatch.is_some(), mismatch, "{file}: {:?}", d.mismatch);
        match first_cause {
            Some(cause) => assert!(d.not_architectural[0].starts_with(cause), "{file}"),
            None => assert!(d.not_architectural.is_empty(), "{file}"),
        }
    }
    let d =
        of(&std::fs::read_to_string(scenario_path("diagnose/believes-distributed.toml")).unwrap());
    let warning = d.mismatch.unwrap();
    for evidence in [
        "sync_backlog_growing = true",
        "4 \"correct value\" incidents",
        "cross-group share 2.0 %",
        "more distribution makes it worse",
    ] {
        assert!(warning.contains(evidence), "{evidence} in: {warning}");
    }
}

#[test]
fn diagnose_writes_the_page_and_its_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario_path("diagnose/believes-distributed.toml");
    // The signatures' page alone; the advice's is checked below.
    let out = archsim(&[
        "diagnose",
        path.to_str().unwrap(),
        "--no-advice",
        "--output",
        dir.path().to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("acme-checkout: stage 2 (declared 3)"),
        "{stdout}"
    );
    let folder = dir.path().join("acme-checkout");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("diagnosis.json")).unwrap())
            .unwrap();
    assert_eq!(
        (json["stage"].as_u64(), json["declared_stage"].as_u64()),
        (Some(2), Some(3))
    );
    let signatures = json["signatures"].as_array().unwrap();
    assert!(
        signatures
            .iter()
            .any(|s| s["id"] == "correct_value" && s["fired"] == true)
    );
    assert!(signatures.iter().all(|s| s["evidence"].is_string()));
    let md = std::fs::read_to_string(folder.join("diagnosis.md")).unwrap();
    assert!(md.contains("**Mismatch:** you declared stage 3"), "{md}");
    let html = std::fs::read_to_string(folder.join("diagnosis.html")).unwrap();
    assert!(html.contains("<meta name=\"viewport\"") && html.contains("correct_value"));
}

/// `archsim diagnose PATH --output DIR`, advice included.
fn diagnose_into(path: &std::path::Path, dir: &std::path::Path) -> std::process::Output {
    archsim(&[
        "diagnose",
        path.to_str().unwrap(),
        "--output",
        dir.to_str().unwrap(),
    ])
}

#[test]
fn a_bad_observation_is_refused_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    for (text, at, phrase) in [
        (
            "name = \"t\"\ndeclared_stage = 3\n[indicators]\ndb_cpu_normal = 45\n",
            "4:17",
            "expected a share from 0 to 1",
        ),
        (
            "name = \"t\"\ndeclared_stage = 7\n",
            "2:18",
            "expected a stage from 1 to 5",
        ),
        (
            "name = \"t\"\ndeclared_stage = 2\n[indicators]\ndb_cpu_nromal = 0.4\n",
            "4:1",
            "did you mean `db_cpu_normal`?",
        ),
        (
            "name = \"../x\"\ndeclared_stage = 2\n",
            "1:1",
            "names the results folder",
        ),
    ] {
        let path = dir.path().join("o.toml");
        std::fs::write(&path, text).unwrap();
        let out = diagnose_into(&path, dir.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(&format!("o.toml:{at}: ")), "{at} in {err}");
        assert!(err.contains(phrase), "{phrase} in {err}");
        assert!(!dir.path().join("t").exists());
    }
    let out = archsim(&[
        "diagnose",
        dir.path().join("missing.toml").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot read observations") && err.contains("scenarios/diagnose/"),
        "{err}"
    );
}

/// Che's approximation and its inversions against closed forms: uniform
/// popularity (zipf(0)) hits C / N; the top 1 % of 10,000 keys under
/// zipf(1) takes H(100) / H(10,000) of the references.
#[test]
fn che_inverts_to_closed_forms() {
    let (keys, cache) = (10_000u64, 2_000.0);
    let uniform = che::zipf_classes(0.0, keys);
    assert!((che::hit_ratio(&uniform, cache) - 0.2).abs() < 1e-9);
    assert!(calibrate::invert_zipf(0.2, cache, keys) < 1e-3);
    let harmonic = |n: u64| (1..=n).map(|r| 1.0 / r as f64).sum::<f64>();
    let top = harmonic(100) / harmonic(keys);
    let s = calibrate::zipf_for_top_share(top, keys);
    assert!((s - 1.0).abs() < 1e-6, "{s}");
    // A cache of every key hits every reference.
    assert!((che::hit_ratio(&che::zipf_classes(0.9, 100), 100.0) - 1.0).abs() < 1e-12);
}

/// A system whose parameters are known, its simulated indicators fed back
/// as observations, calibrates to the same parameters.
#[test]
fn calibration_round_trip_recovers_popularity_and_service_time() {
    // The known system: zipf(0.9) over 20,000 keys, a cache of 2,000
    // entries, reads and writes at 20 × archsim's default CPU.
    let truth = crate::run_one(&format!(
        r#"
        duration = "8s"
        warmup = "10s"
        [workload]
        rate = 4000
        keys = 20000
        popularity = "zipf(0.9)"
        [workload.mix]
        get = 0.9
        put = 0.1
        [[workload.phase]]
        at = "0s"
        rate = 400
        [[workload.phase]]
        at = "1s"
        rate = 4000
        ramp = "7s"
        [[architecture]]
        kind = "single"
        [architecture.db]
        cores = 8
        read = "{}"
        write = "{}"
        apply = "80us"
        [architecture.cache]
        capacity = 2000
        ttl = "0s"
        invalidate = "update"
        "#,
        calibrate::read_dist(20.0),
        calibrate::write_dist(20.0)
    ));
    let cpu = truth.components["db"].utilization.unwrap();
    let hit = truth.components["cache"].hit_ratio.unwrap();
    let o = Observed::from_toml(
        &format!(
            "name = \"t\"\ndeclared_stage = 1\n[load]\npeak_ops_per_s = 4000\nread_share = 0.9\n\
             keys = 20000\n[system]\nplatforms = [\"postgres\", \"redis\"]\ndb_cores = 8\n\
             cache_entries = 2000\n[indicators]\ndb_cpu_peak = {cpu}\ncache_hit_ratio = {hit}\n"
        ),
        "o.toml",
    )
    .unwrap();
    let c = calibrate(&o, 1);
    assert_eq!(c.refused, None, "{c:?}");
    let p = c.parameters.unwrap();
    assert!((p.zipf_s - 0.9).abs() < 0.05, "zipf s {} for 0.9", p.zipf_s);
    assert!(
        (p.cpu_scale / 20.0 - 1.0).abs() < 0.1,
        "service time × {} for × 20",
        p.cpu_scale
    );
    assert!(c.rows.iter().all(|r| r.within), "{:?}", c.rows);
}

/// Observations the model cannot reproduce: a backlog growing on a path
/// that is a dual write. The page says why there is no advice, stderr
/// too, the exit is 0 and no step is run.
#[test]
fn advice_is_refused_when_the_model_misses_the_observations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("o.toml");
    std::fs::write(
        &path,
        "name = \"t\"\ndeclared_stage = 2\n[load]\npeak_ops_per_s = 1000\nread_share = 0.9\n\
         keys = 10000\n[system]\nplatforms = [\"postgres\", \"elasticsearch\"]\n\
         sync = { search = \"dual-write\" }\n[indicators]\ndb_cpu_peak = 0.3\n\
         sync_backlog_growing = true\n",
    )
    .unwrap();
    let out = diagnose_into(&path, dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(
            "no advice for t: the calibrated model does not reproduce the system: \
                      sync_backlog_growing"
        ),
        "{err}"
    );
    let folder = dir.path().join("t");
    let md = std::fs::read_to_string(folder.join("diagnosis.md")).unwrap();
    assert!(
        md.contains("**No advice:**") && md.contains("## Calibration"),
        "{md}"
    );
    assert!(!md.contains("## What-ifs"), "{md}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("diagnosis.json")).unwrap())
            .unwrap();
    let rows = json["calibration"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r["indicator"] == "sync_backlog_growing" && r["within"] == false)
    );
    assert!(
        rows.iter()
            .any(|r| r["indicator"] == "db_cpu_peak" && r["within"] == true)
    );
    assert_eq!(json["what_ifs"].as_array().map(Vec::len), Some(0));
}

/// Each shipped example calibrates within its bounds and gives the
/// verdicts its story needs, the same on a second run.
#[test]
fn the_shipped_examples_give_their_verdicts() {
    let slo = Slo {
        latency: vec!["p99<=50ms".parse().unwrap()],
        ..Slo::default()
    };
    let advise = |file: &str| {
        let text = std::fs::read_to_string(scenario_path(&format!("diagnose/{file}"))).unwrap();
        let o = Observed::from_toml(&text, file).unwrap();
        let mut d = diagnose(&o);
        let refused = d.advise(&o, 2.0, &slo);
        assert_eq!(refused, None, "{file}: {:?}", d.calibration);
        assert!(d.calibration.iter().all(|r| r.within), "{file}");
        d
    };
    let verdict = |d: &Diagnosis, step: &str| {
        d.what_ifs
            .iter()
            .find(|w| w.step == step)
            .unwrap_or_else(|| panic!("{step} in {:?}", d.what_ifs))
            .verdict
    };
    let d = advise("true-stage-1.toml");
    assert_eq!(
        verdict(&d, "bigger_box"),
        Verdict::Helps,
        "{:?}",
        d.what_ifs
    );
    assert_eq!(
        verdict(&d, "shard_by_group"),
        Verdict::Helps,
        "{:?}",
        d.what_ifs
    );
    let d = advise("believes-distributed.toml");
    // More distribution — more shards, a coordinator, a colocated store —
    // does not treat a synchronization problem.
    let wrong: Vec<_> = d.what_ifs.iter().filter(|w| w.tempting).collect();
    assert!(wrong.iter().any(|w| w.step == "more_shards"), "{wrong:?}");
    assert!(
        wrong.iter().any(|w| w.step == "add_coordinator"),
        "{wrong:?}"
    );
    for w in wrong {
        assert!(
            matches!(w.verdict, Verdict::MakesItWorse | Verdict::Neutral),
            "{w:?}"
        );
    }
    assert_eq!(
        verdict(&d, "cdc_to_bus"),
        Verdict::Helps,
        "{:?}",
        d.what_ifs
    );
    let d = advise("missing-index.toml");
    assert_eq!(d.what_ifs[0].step, "fix_query", "{:?}", d.what_ifs);
    assert_eq!(d.what_ifs[0].verdict, Verdict::Helps);
    let json = serde_json::to_value(&d).unwrap();
    let first = &json["what_ifs"][0];
    assert!(first["capacity_ops_per_s"].as_f64().unwrap() > 0.0 && first["verdict"] == "helps");
    let again = advise("missing-index.toml");
    assert_eq!(
        serde_json::to_string(&d).unwrap(),
        serde_json::to_string(&again).unwrap(),
        "same observations, same diagnosis"
    );
}
