//! The vertical ceiling and its price: a database node's cores follow the
//! Universal Scalability Law, its log device has a flush rate and a
//! bandwidth, and every node is priced by its cores.

use archsim::arch::price;
use archsim::report::RunResult;

use crate::{run, run_one, scenario};

/// Reads of 1 ms of CPU offered at twice what `cores` linear cores could
/// serve, for 2 s, on one primary whose cores follow `law`; no network.
/// The run is not stopped: a saturated station completes what its cores
/// allow.
fn saturated(cores: u32, law: &str) -> RunResult {
    run_one(&format!(
        r#"
        seed = 2
        duration = "2s"
        warmup = "1s"
        stop_saturated = false
        [workload]
        rate = {}
        keys = 1000
        popularity = "uniform"
        [workload.mix]
        get = 1.0
        [network]
        hop = "0s"
        [[architecture]]
        kind = "single"
        [architecture.db]
        cores = {cores}
        read = "1ms"
        {law}
        "#,
        2000 * cores
    ))
}

/// Cores' worth of work the saturated primary completed per second.
fn completed(r: &RunResult) -> f64 {
    r.components["db"].throughput_per_s.unwrap() / 1000.0
}

#[test]
fn saturated_cores_complete_what_the_scalability_law_allows() {
    // The defaults, σ = 0.01 and κ = 0.0001: C(n) = n / (1 + σ(n − 1) + κn(n − 1)),
    // within 1 %.
    let law = archsim::model::Scalability {
        contention: 0.01,
        coherency: 0.0001,
    };
    let mut done = Vec::new();
    for cores in [8, 16, 32, 64, 128] {
        let got = completed(&saturated(cores, ""));
        let want = law.capacity(cores);
        assert!(
            (got - want).abs() / want < 0.01,
            "{cores} cores: {got:.2} cores' worth, the law says {want:.2}"
        );
        done.push(got);
    }
    // Doubling pays at first, then stops: 8 → 16 adds 83 %, 64 → 128 4 %.
    assert!(done[1] / done[0] > 1.8, "{done:?}");
    assert!(done[4] / done[3] < 1.05, "{done:?}");
    // With σ = κ = 0 the station is M/M/c's: c cores' worth.
    let linear = completed(&saturated(64, "contention = 0.0\ncoherency = 0.0"));
    assert!((linear - 64.0).abs() / 64.0 < 0.01, "{linear}");
}

#[test]
fn past_the_peak_more_cores_do_less() {
    // κ = 0.001: the peak at √(0.99 / 0.001) ≈ 31 busy cores; 64 cores do
    // less than 32 (C(32) = 13.9, C(64) = 11.3).
    let law = "contention = 0.01\ncoherency = 0.001";
    let (c32, c64) = (
        completed(&saturated(32, law)),
        completed(&saturated(64, law)),
    );
    assert!(
        (c32 - 13.9).abs() < 0.2 && (c64 - 11.3).abs() < 0.2,
        "{c32} {c64}"
    );
}

/// Blind writes at `rate` on one primary whose log device takes `iops`
/// flushes per second at `mib_per_s`, 1 KiB per commit, with a 10 µs force
/// and next to no CPU; no network.
fn logged(rate: u32, iops: u32, mib_per_s: f64) -> RunResult {
    run_one(&format!(
        r#"
        seed = 3
        duration = "20s"
        warmup = "2s"
        stop_saturated = false
        [workload]
        rate = {rate}
        keys = 100000
        popularity = "uniform"
        [workload.mix]
        put = 1.0
        [network]
        hop = "0s"
        [[architecture]]
        kind = "single"
        [architecture.db]
        cores = 64
        write = "1us"
        fsync = "10us"
        log_iops = {iops}
        log_mib_per_s = {mib_per_s}
        log_record_bytes = 1024
        "#
    ))
}

/// Flushes per second and commits per flush of a run's log.
fn flushes(r: &RunResult) -> (f64, f64) {
    let db = &r.components["db"];
    (
        db.forced_writes.unwrap() as f64 / 20.0,
        db.commits_per_forced_write.unwrap(),
    )
}

#[test]
fn the_log_device_caps_flushes_and_commits() {
    // 5,000 commits/s on a device of 500 flushes/s: it flushes at its
    // limit, about ten commits a flush, and every commit gets through:
    // commits/s = flushes/s × commits per flush.
    let r = logged(5000, 500, 1e6);
    let (per_s, batch) = flushes(&r);
    assert!(per_s <= 500.0 && per_s > 495.0, "{per_s} flushes/s");
    assert!(
        (per_s * batch - 5000.0).abs() / 5000.0 < 0.02,
        "{per_s} × {batch}"
    );
    assert!((r.throughput_per_s - 5000.0).abs() / 5000.0 < 0.02);
    // Without the limit the same writes take a flush of 10 µs each,
    // nearly one commit a flush.
    let (free, one) = flushes(&logged(5000, 1_000_000, 1e6));
    assert!(
        free > 4500.0 && one < 1.1,
        "{free} flushes/s, {one} a flush"
    );
    // At 1 MiB/s a 1 KiB commit takes 1/1024 s to transfer: the log
    // carries 1,024 commits/s, whatever the flush rate; 2,000/s offered
    // pile up behind it.
    let r = logged(2000, 1_000_000, 1.0);
    let (per_s, batch) = flushes(&r);
    let commits = per_s * batch;
    assert!(
        (commits - 1024.0).abs() / 1024.0 < 0.02,
        "{commits} commits/s through a 1 MiB/s log"
    );
    assert!(r.latency.0["put"].p50_ms >= 999.0, "the backlog grows");
}

#[test]
fn every_node_is_priced_by_its_cores() {
    let r = run(&scenario(
        r#"
        duration = "2s"
        warmup = "1s"
        [workload]
        rate = 100
        [[architecture]]
        kind = "single"
        [architecture.cache]
        capacity = 1000
        [architecture.replicas]
        count = 2
        [[architecture]]
        kind = "sharded"
        shards = 4
        cache_nodes = 2
        [architecture.cache]
        capacity = 1000
        [[architecture]]
        kind = "coordinator"
        shards = 2
        [[architecture]]
        kind = "colocated"
        [[architecture]]
        kind = "polyglot"
        [[architecture]]
        kind = "single"
        name = "huge"
        [architecture.db]
        cores = 256
        "#,
    ));
    let cost = |i: usize| r.runs[i].footprint.cost_usd_per_hour;
    // r6i: $0.063 per vCPU-hour; 8 cores → r6i.2xlarge $0.504, 4 → $0.252.
    // single: a primary and two replicas of 8 cores, a cache of 4.
    assert_eq!(cost(0), Some(3.0 * 0.504 + 0.252));
    // sharded: 4 shards of 8 cores, 2 cache nodes of 4.
    assert_eq!(cost(1), Some(4.0 * 0.504 + 2.0 * 0.252));
    // coordinator: 2 shards, a coordinator of 4 cores, a read model of 8,
    // and the event log priced as a 4-core node.
    assert_eq!(cost(2), Some(3.0 * 0.504 + 2.0 * 0.252));
    // colocated: 3 nodes of 8 cores.
    assert_eq!(cost(3), Some(3.0 * 0.504));
    // polyglot: the database, 4-core search, warehouse and session store,
    // and the CDC connector feeding them priced as a 4-core node.
    let polyglot = &r.runs[4].footprint;
    assert_eq!(polyglot.cost_usd_per_hour, Some(0.504 + 4.0 * 0.252));
    assert_eq!(
        polyglot
            .instances
            .last()
            .map(|i| (i.platform.as_str(), i.cores)),
        Some(("cdc", price::PIPELINE_CORES))
    );
    // No instance has 256 cores: no price, said so.
    assert_eq!(cost(5), None);
    assert!(r.runs[5].footprint.instances[0].instance.is_none());
    // Per 1,000 ops/s of capacity: the cost over the capacity in thousands.
    let f = &r.runs[0].footprint;
    assert_eq!(f.cost_per_1k_ops_per_s(50_000.0), Some(1.764 / 50.0));
    assert_eq!(f.cost_per_1k_ops_per_s(0.0), None);
}
