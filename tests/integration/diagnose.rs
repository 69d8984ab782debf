//! `archsim diagnose`: each signature's threshold, the stage the
//! indicators point at against the one declared, the three shipped
//! examples, and what the command writes.

use archsim::diagnose::{Diagnosis, Observed, diagnose};

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
    let out = archsim(&[
        "diagnose",
        path.to_str().unwrap(),
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
        let out = archsim(&[
            "diagnose",
            path.to_str().unwrap(),
            "--output",
            dir.path().to_str().unwrap(),
        ]);
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
