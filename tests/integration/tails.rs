//! Nothing hidden in the tail: operations that fail or time out count in
//! the percentiles at the client's whole wait, goodput is reported beside
//! the offered load, and the fault rows, summaries and lag figures that
//! are built on them state only possible figures.

use archsim::report::{Exporter, Manifest, MarkdownExporter, Results, Review, TableExporter};

use crate::{run, run_one, scenario};

/// One database core, exponential 1 ms reads, no network: an M/M/1 queue
/// of capacity 1,000 ops/s, offered `rate`, clients waiting 100 ms.
fn mm1(rate: u32, extra: &str) -> String {
    format!(
        r#"
        name = "mm1-timeout"
        seed = 7
        duration = "10s"
        warmup = "1s"
        [network]
        hop = "0s"
        [workload]
        rate = {rate}
        keys = 1000
        popularity = "uniform"
        timeout = "100ms"
        [workload.mix]
        get = 1.0
        [[architecture]]
        kind = "single"
        [architecture.db]
        cores = 1
        read = "exp(1ms)"
        {extra}
        "#
    )
}

#[test]
fn at_twice_saturation_the_p99_is_at_least_the_timeout_and_goodput_collapses() {
    let run = run_one(&mm1(2000, ""));
    let all = run.latency.all();
    assert!(all.p99_ms >= 100.0, "p99 {} ms", all.p99_ms);
    assert!(all.is_at_least("p99_ms"), "{:?}", all.at_least);
    assert_eq!(all.count, all.ok + all.failed());
    assert!(all.timeouts > all.count / 2, "{} timeouts", all.timeouts);
    assert!(
        (run.offered_ops_per_s - 2000.0).abs() < 100.0,
        "offered {}",
        run.offered_ops_per_s
    );
    assert!(
        run.goodput_ops_per_s < 0.5 * run.offered_ops_per_s,
        "goodput {} of {}",
        run.goodput_ops_per_s,
        run.offered_ops_per_s
    );
    assert!(run.unchecked_share > 0.5, "{}", run.unchecked_share);
    // The windows of the time series count the timeouts too.
    let worst = run.series.p99_ms.iter().copied().fold(0.0, f64::max);
    assert!(worst >= 100.0 && run.series.at_least(worst), "{worst}");
    // Tables say so.
    let results = run_results(&mm1(2000, ""));
    let table = TableExporter.render(&results).unwrap();
    assert!(table.contains("≥ 100.000"), "{table}");
    assert!(table.contains("goodput ops/s"), "{table}");
    assert!(
        table.contains("counts at the client's whole wait"),
        "{table}"
    );
    let md = MarkdownExporter.render(&results).unwrap();
    assert!(md.contains("## Offered load and goodput"), "{md}");
}

fn run_results(text: &str) -> Results {
    run(&scenario(text))
}

#[test]
fn below_saturation_nothing_changes_and_goodput_is_the_offered_load() {
    let run = run_one(&mm1(500, ""));
    let all = run.latency.all();
    assert_eq!(all.failed(), 0);
    assert!(all.at_least.is_empty());
    assert_eq!(run.offered_ops_per_s, run.goodput_ops_per_s);
    assert_eq!(run.unchecked_share, 0.0);
    // M/M/1 at ρ = 0.5: p99 = ln(100) / (μ − λ) = 9.2 ms.
    assert!((all.p99_ms - 9.21).abs() < 2.0, "p99 {}", all.p99_ms);
}

#[test]
fn a_sweep_through_saturation_gives_monotone_tails_and_goodput_shares() {
    let results = run_results(&mm1(
        500,
        r#"[sweep]
        "workload.rate" = [500, 800, 950, 1050, 1300, 2000]"#,
    ));
    let runs = &results.runs;
    assert_eq!(runs.len(), 6);
    for w in runs.windows(2) {
        let (a, b) = (w[0].latency.all(), w[1].latency.all());
        assert!(b.p99_ms >= a.p99_ms, "p99 {} then {}", a.p99_ms, b.p99_ms);
        assert!(b.p50_ms >= a.p50_ms, "p50 {} then {}", a.p50_ms, b.p50_ms);
        let share = |r: &archsim::report::RunResult| r.goodput_ops_per_s / r.offered_ops_per_s;
        assert!(
            share(&w[1]) <= share(&w[0]) + 1e-9,
            "goodput share {} then {}",
            share(&w[0]),
            share(&w[1])
        );
        assert!(w[1].goodput_ops_per_s <= w[1].offered_ops_per_s);
    }
    // The last point is saturated: its p99 is the timeout, as a lower bound.
    assert!(runs[5].latency.all().is_at_least("p99_ms"));
    // The knee sentence of the review uses those figures: never a p99 of
    // 0 ms, never a ratio of 0.
    let s = scenario(&mm1(
        500,
        r#"[sweep]
        "workload.rate" = [500, 800, 950, 1050, 1300, 2000]"#,
    ));
    let manifest = Manifest {
        archsim_version: "test".into(),
        scenario_file: "test.toml".into(),
        scenario_name: "mm1-timeout".into(),
        seed: 7,
        scenario_hash: "0".repeat(64),
        command_line: vec!["archsim".into()],
    };
    let mut s = s;
    s.slo.latency = vec!["p99<=20ms".parse().unwrap()];
    let ladder = archsim::report::Ladder::from_sweep(&results, &s.slo).unwrap();
    assert_eq!(ladder.architectures[0].capacity_ops_per_s, 800.0);
    let report = Review::new(&s, &results, &manifest, &[], Some(&ladder)).to_markdown();
    // The knee is where the SLO breaks, with goodput beside, and the
    // ladder reads the same capacity off the sweep.
    assert!(
        report.contains(
            "The knee, from the SLO (p99<=20ms): met at workload.rate = 800 (796 of 796 ops/s \
             offered answered ok), broken at workload.rate = 950: p99 49.283 ms against \
             p99<=20ms"
        ),
        "{report}"
    );
    assert!(report.contains("Capacity at the SLO"), "{report}");
    assert!(!report.contains("0.000 ms ("), "{report}");
    assert!(!report.contains("(0.0×)"), "{report}");
    assert!(report.contains("to ≥ 100.000 ms"), "{report}");
    assert!(report.contains("ops/s offered answered ok"), "{report}");
}

/// A single primary with one replica taking over 2 s after a crash at
/// `at` (for 5 s), 1,000 ops/s, a tenth of them puts; warm-up `warmup`.
fn failover(at: &str, warmup: &str) -> String {
    format!(
        r#"
        seed = 5
        duration = "8s"
        warmup = "{warmup}"
        [network]
        hop = "0s"
        [workload]
        rate = 1000
        keys = 200
        [workload.mix]
        get = 0.9
        put = 0.1
        [[architecture]]
        kind = "single"
        [architecture.db]
        cores = 8
        read = "100us"
        [architecture.replicas]
        count = 1
        lag = "200ms"
        reads = "primary"
        failover_after = "2s"
        [[fault]]
        at = "{at}"
        for = "5s"
        kind = "crash"
        target = "primary"
        "#
    )
}

#[test]
fn a_fault_row_counts_failures_in_its_p99_and_never_shows_a_shorter_tail() {
    let run = run_one(&failover("4s", "1s"));
    let f = &run.faults[0];
    // Operations invoked in the first of the 2 s before the takeover time
    // out (1 s); those of the second are served at the takeover.
    assert!((900..1100).contains(&f.failed), "{} failed", f.failed);
    assert!(f.p99_ms >= 1000.0, "p99 at worst {}", f.p99_ms);
    assert!(f.p99_ms >= f.p99_before_ms);
    assert!(run.series.at_least(f.p99_ms));
}

#[test]
fn a_fault_in_the_warm_up_gets_its_whole_row() {
    // Crash at 1 s, takeover at 3 s, all in a 4 s warm-up: the row runs
    // to the takeover at least and counts every failure it caused, though
    // none is in the measured window.
    let run = run_one(&failover("1s", "4s"));
    let f = &run.faults[0];
    let takeover = f.takeover_s.expect("a takeover");
    assert!((takeover - 3.0).abs() < 1e-9, "{takeover}");
    assert!(f.until_s >= takeover, "until {} s", f.until_s);
    assert!((900..1100).contains(&f.failed), "{} failed", f.failed);
    assert_eq!(run.latency.all().failed(), 0);
    // The same fault in the window fails as many operations.
    let measured = run_one(&failover("5s", "4s"));
    let g = &measured.faults[0];
    assert!(
        f.failed.abs_diff(g.failed) * 10 < g.failed,
        "{} in the warm-up, {} in the window",
        f.failed,
        g.failed
    );
}

#[test]
fn a_fault_rows_lost_writes_are_the_runs_lost_writes() {
    let run = run_one(&failover("4s", "1s"));
    let lost: u64 = run.faults.iter().map(|f| f.lost_writes).sum();
    assert!(
        lost > 0,
        "the replica lags 200 ms: the takeover loses writes"
    );
    assert_eq!(lost, run.anomalies.lost_write.count);
}

#[test]
fn the_cost_per_operation_is_over_the_operations_offered() {
    // A coordinator design whose shard 0 is down for 3 s: operations time
    // out, some are answered late, some never.
    let text = r#"
        seed = 9
        duration = "6s"
        warmup = "1s"
        [workload]
        rate = 2000
        [workload.mix]
        get = 0.5
        put = 0.3
        transfer = 0.2
        [[architecture]]
        kind = "coordinator"
        [architecture.shards]
        count = 2
        [[architecture]]
        kind = "single"
        [[fault]]
        at = "2s"
        for = "3s"
        kind = "crash"
        target = "primary"
        "#;
    let results = run(&scenario(text));
    for r in &results.runs {
        let all = r.latency.all();
        assert!(all.failed() > 0, "{}: no failures", r.architecture);
        let per_op = r.coordination.per_operation.as_ref().expect("counted");
        assert_eq!(per_op.count, all.count, "{}", r.architecture);
    }
}

#[test]
fn summaries_keep_timeouts_apart_from_errors() {
    let mut text = mm1(2000, "");
    text = text.replace("seed = 7", "seed = 7\nreplications = 2");
    let results = run_results(&text);
    let s = &results.summaries[0].latency["all"];
    let runs: Vec<_> = results.runs.iter().map(|r| r.latency.all()).collect();
    let mean = |f: fn(&archsim::metrics::LatencySummary) -> u64| {
        runs.iter().map(|l| f(l) as f64).sum::<f64>() / runs.len() as f64
    };
    assert_eq!(s.timeouts.mean, mean(|l| l.timeouts));
    assert_eq!(s.errors.mean, mean(|l| l.errors));
    assert_eq!(s.unfinished.mean, mean(|l| l.unfinished));
    assert!(s.timeouts.mean > 0.0 && s.errors.mean == 0.0);
    assert!(s.at_least.iter().any(|f| f == "p99_ms"));
    let table = TableExporter.render(&results).unwrap();
    assert!(table.contains("≥ 100.000 ± 0.000"), "{table}");
}

#[test]
fn a_copy_that_received_nothing_says_none_delivered() {
    // The search pipeline stalls from the start and never resumes.
    let text = r#"
        seed = 11
        duration = "3s"
        warmup = "500ms"
        [workload]
        rate = 1000
        [workload.mix]
        get = 0.7
        put = 0.25
        search = 0.05
        [[architecture]]
        kind = "polyglot"
        [architecture.stores]
        search_sync = "cdc"
        [[fault]]
        at = "100ms"
        kind = "lag"
        target = "pipeline:search"
        "#;
    let results = run(&scenario(text));
    let lag = &results.runs[0].visibility.lag_ms["search"];
    assert_eq!(lag.writes, 0);
    assert!(lag.none_delivered());
    let md = MarkdownExporter.render(&results).unwrap();
    assert!(md.contains("| search | 0 | none delivered |"), "{md}");
    let c = &results.runs[0].components["search"];
    assert_eq!((c.lag_writes, c.lag_p99_ms), (Some(0), None));
}
