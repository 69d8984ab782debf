//! Saturation that ends: a run whose backlog grows for a sustained window
//! is stopped with that verdict, its unserved operations counted as failed
//! at the client's whole wait; a busy but stable run is never stopped.

use archsim::scenario::Scenario;

use crate::{run, run_one, scenario, scenario_path};

/// One database core, exponential 1 ms reads, no network: an M/M/1 queue
/// completing 1,000 ops/s, offered `rate` for 30 s after 1 s of warm-up,
/// clients waiting 100 ms.
fn mm1(rate: u32, extra: &str) -> String {
    format!(
        r#"
        name = "mm1-overload"
        seed = 3
        duration = "30s"
        warmup = "1s"
        {extra}
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
        "#
    )
}

#[test]
fn twice_the_capacity_is_declared_saturated_and_stops_early() {
    let run = run_one(&mm1(2000, ""));
    let verdict = run.saturated.as_ref().expect("declared saturated");
    // Checkpoints every 1.5 s (a twentieth of 30 s); the backlog grows by
    // about 1,000 ops/s from the start, so the fourth checkpoint fires.
    assert_eq!(verdict.at_s, 6.0, "{verdict:?}");
    assert_eq!(verdict.since_s, 0.0, "{verdict:?}");
    assert!(
        (800.0..1200.0).contains(&verdict.backlog_growth_per_s),
        "{verdict:?}"
    );
    assert!((0.4..0.6).contains(&verdict.excess_share), "{verdict:?}");
    // Stopped: 6 s of a 31 s run simulated (arrivals, services and
    // timeouts), fewer events than the arrivals alone of a run to the end.
    assert!(run.events < 2000 * 31, "{} events", run.events);
    // Every operation offered in the window is accounted for.
    let all = run.latency.all();
    assert!(
        (run.offered_ops_per_s - 2000.0).abs() < 50.0,
        "offered {}",
        run.offered_ops_per_s
    );
    assert_eq!(all.count, all.ok + all.failed());
    assert!(
        verdict.unserved as f64 > 0.75 * 2000.0 * 30.0,
        "{verdict:?}"
    );
    assert!(all.p99_ms >= 100.0 && all.is_at_least("p99_ms"), "{all:?}");
    assert!(
        run.goodput_ops_per_s < 0.25 * run.offered_ops_per_s,
        "goodput {} of {}",
        run.goodput_ops_per_s,
        run.offered_ops_per_s
    );
    assert!(run.unchecked_share > 0.75, "{}", run.unchecked_share);
}

#[test]
fn without_the_stop_the_same_run_simulates_its_growing_queue_to_the_end() {
    let stopped = run_one(&mm1(2000, ""));
    let full = run_one(&mm1(2000, "stop_saturated = false"));
    assert!(full.saturated.is_none());
    // The whole run's arrivals and the drain of its queue after them.
    assert!(full.events > 2000 * 31, "{} events", full.events);
    assert!(
        full.events > 5 * stopped.events,
        "{} events stopped, {} not",
        stopped.events,
        full.events
    );
    // The stop changes the accounting of the tail, not the offered load.
    assert_eq!(full.offered_ops_per_s, stopped.offered_ops_per_s);
    assert!(full.latency.all().p99_ms >= 100.0);
}

#[test]
fn a_stable_run_near_saturation_is_not_stopped() {
    // M/M/1 at ρ = 0.95: mean backlog 19, and bursts of hundreds.
    let near = run_one(&mm1(950, ""));
    assert!(near.saturated.is_none(), "{:?}", near.saturated);
    // The shipped validation file, cut to a tenth of its length (the
    // theory tests run it whole), with the default 1 s timeout.
    let path = scenario_path("validation/mm1-rho-0.95.toml");
    let sets = ["duration=600s".parse().unwrap()];
    let s = Scenario::load(&path, &sets).unwrap();
    let results = run(&s);
    assert!(results.runs[0].saturated.is_none());
}

#[test]
fn a_saturated_run_is_marked_in_the_tables_and_an_unsaturated_one_is_not() {
    use archsim::report::{Exporter, MarkdownExporter, TableExporter};
    let saturated = run(&scenario(&mm1(2000, "")));
    let table = TableExporter.render(&saturated).unwrap();
    assert!(
        table.contains("saturated") && table.contains("at 6.0 s"),
        "{table}"
    );
    assert!(
        table.contains("note: saturated: the run was stopped"),
        "{table}"
    );
    let md = MarkdownExporter.render(&saturated).unwrap();
    assert!(
        md.contains("| saturated |") && md.contains("| at 6.0 s |"),
        "{md}"
    );
    let stable = run(&scenario(&mm1(500, "")));
    let json = serde_json::to_string(&stable.runs[0]).unwrap();
    assert!(!json.contains("saturated"), "{json}");
    let table = TableExporter.render(&stable).unwrap();
    assert!(
        !table.contains("note: saturated") && !table.contains("at 6.0 s"),
        "{table}"
    );
}
