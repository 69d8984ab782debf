//! One cost table: every architecture's database nodes cost reads, writes
//! and log forces as `[architecture.db]` says; a memory-first store (no
//! forced log) is a setting any kind may take; copies — read replicas and
//! Raft followers — pay CPU to apply what they are shipped.

use archsim::report::RunResult;

use crate::{run, run_one, scenario};

/// Forced writes per operation of a run.
fn forced_per_op(r: &RunResult) -> f64 {
    r.coordination
        .per_operation
        .as_ref()
        .map_or(0.0, |m| m.forced_writes)
}

/// Busy cores of the components whose name starts with `prefix`.
fn busy_cores(r: &RunResult, prefix: &str, cores: f64) -> f64 {
    r.components
        .iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .map(|(_, c)| c.utilization.unwrap() * cores)
        .sum()
}

#[test]
fn colocated_forces_its_log_by_default() {
    let r = run_one(
        r#"
        duration = "5s"
        warmup = "1s"
        [workload]
        rate = 2000
        [workload.mix]
        get = 0.5
        put = 0.5
        [[architecture]]
        kind = "colocated"
        "#,
    );
    // Each Raft round forces the entry at the leader and both followers.
    let forced = forced_per_op(&r);
    assert!((1.4..1.6).contains(&forced), "{forced} forced writes/op");
}

#[test]
fn memory_first_is_a_setting_any_kind_may_take() {
    let entry = |kind: &str, fsync: &str| {
        let name = if fsync.is_empty() { kind } else { "memory" };
        format!(
            "[[architecture]]\nkind = \"{kind}\"\nname = \"{kind}-{name}\"\n[architecture.db]\n{fsync}\n"
        )
    };
    let mut text = r#"
        duration = "3s"
        warmup = "500ms"
        [workload]
        rate = 1000
        locality = 0.5
        [workload.mix]
        get = 0.5
        put = 0.3
        transfer = 0.2
        "#
    .to_string();
    for kind in ["single", "polyglot", "sharded", "coordinator", "colocated"] {
        text += &entry(kind, "");
        text += &entry(kind, "fsync = \"0s\"");
    }
    let results = run(&scenario(&text));
    for pair in results.runs.chunks(2) {
        let (forcing, memory) = (&pair[0], &pair[1]);
        assert!(
            forced_per_op(forcing) > 0.2,
            "{}: {} forced writes/op",
            forcing.architecture,
            forced_per_op(forcing)
        );
        assert_eq!(forced_per_op(memory), 0.0, "{}", memory.architecture);
        let per_txn = memory.coordination.per_transaction.as_ref();
        assert!(
            per_txn.is_none_or(|t| t.forced_writes == 0.0 && t.critical_forced_writes == 0.0),
            "{}: {per_txn:?}",
            memory.architecture
        );
        // No log to wait for: writes answer sooner.
        let p50 = |r: &RunResult| r.latency.0["put"].p50_ms;
        assert!(p50(memory) < p50(forcing), "{}", memory.architecture);
    }
}

/// Writes only, at `rate` per second, on `kind` with `tables` (copies
/// configured there), the database's write CPU of 80 µs per row.
fn writes_only(kind: &str, rate: u32, tables: &str) -> RunResult {
    run_one(&format!(
        r#"
        seed = 3
        duration = "20s"
        warmup = "1s"
        [workload]
        rate = {rate}
        [workload.mix]
        put = 1.0
        [[architecture]]
        kind = "{kind}"
        {tables}
        "#
    ))
}

#[test]
fn a_read_replica_pays_cpu_to_apply_each_write() {
    // Every put is applied at the replica: 2,000 rows/s × 80 µs on 8 cores.
    let r = writes_only("single", 2000, "[architecture.replicas]\ncount = 1");
    let busy = r.components["replica_1"].utilization.unwrap();
    let want = 2000.0 * 80e-6 / 8.0;
    assert!(
        (busy - want).abs() / want < 0.05,
        "{busy} busy, {want} want"
    );
    // The apply cost is a field of the cost table.
    let r = writes_only(
        "single",
        2000,
        "[architecture.db]\napply = \"20us\"\n[architecture.replicas]\ncount = 1",
    );
    let busy = r.components["replica_1"].utilization.unwrap();
    let want = 2000.0 * 20e-6 / 8.0;
    assert!(
        (busy - want).abs() / want < 0.05,
        "{busy} busy, {want} want"
    );
    // Each shard's replica applies that shard's writes.
    let r = writes_only("sharded", 2000, "[architecture.replicas]\ncount = 1");
    let replicas: f64 = r
        .components
        .iter()
        .filter(|(n, _)| n.ends_with("_replica_1"))
        .map(|(_, c)| c.utilization.unwrap() * 8.0)
        .sum();
    let want = 2000.0 * 80e-6;
    assert!(
        (replicas - want).abs() / want < 0.05,
        "{replicas} cores, {want} want"
    );
}

#[test]
fn raft_followers_pay_cpu_to_apply_each_write() {
    // Each put runs at its leader and is applied at two followers, all on
    // the three nodes' 8 cores: 2,000 × 3 × 80 µs of CPU per second.
    let r = writes_only("colocated", 2000, "");
    let cores = busy_cores(&r, "node_", 8.0);
    let want = 2000.0 * 3.0 * 80e-6;
    assert!(
        (cores - want).abs() / want < 0.05,
        "{cores} cores, {want} want"
    );
}

#[test]
fn applying_delays_visibility_by_its_work_only() {
    // A constant 10 ms lag and 1 ms of apply on a one-core replica, 10 %
    // busy: most writes find it idle and show 11 ms after their commit;
    // the others wait for the apply before theirs.
    let r = writes_only(
        "single",
        100,
        "[architecture.db]\napply = \"1ms\"\n[architecture.replicas]\ncount = 1\nlag = \"10ms\"\ncores = 1",
    );
    let lag = &r.visibility.lag_ms["replica_1"];
    assert!((lag.p50_ms - 11.0).abs() < 0.02, "{lag:?}");
    assert!(lag.p99_ms > 11.1 && lag.p99_ms < 12.0, "{lag:?}");
}

#[test]
fn a_saturated_run_names_its_busiest_component() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("saturated.toml");
    std::fs::write(
        &file,
        // Run to the end: a run stopped as saturated averages its
        // components over the whole window but simulated only part of it.
        r#"
        duration = "3s"
        warmup = "500ms"
        stop_saturated = false
        [workload]
        rate = 25000
        [[architecture]]
        kind = "single"
        [architecture.db]
        cores = 1
        "#,
    )
    .unwrap();
    let out = dir.path().join("results");
    let run = crate::archsim(&[
        "run",
        file.to_str().unwrap(),
        "--format",
        "table",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let folder = out.join("saturated");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("results.json")).unwrap())
            .unwrap();
    let busiest = &json["runs"][0]["busiest"];
    assert_eq!(busiest["name"], "db", "{busiest}");
    let utilization = busiest["utilization"].as_f64().unwrap();
    assert!(utilization > 0.95, "{busiest}");
    let cell = format!("db {:.1} %", utilization * 100.0);
    let read = |name: &str| std::fs::read_to_string(folder.join(name)).unwrap();
    // The load table, where goodput falls short of the offered load.
    let stdout = String::from_utf8_lossy(&run.stdout);
    for text in [stdout.as_ref(), &read("results.md")] {
        assert!(text.contains("busiest") && text.contains(&cell), "{text}");
    }
    // The review's verdict, and its sentence on the failures.
    for text in [read("report.md"), read("report.html")] {
        assert!(text.contains(&cell), "{text}");
        assert!(text.contains("its busiest component is"), "{text}");
    }
}
