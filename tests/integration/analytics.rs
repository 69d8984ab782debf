//! Analytics: one query is one amount of work over all the data
//! (`db.analytics`), split by data share over the shards or partitions that
//! hold it, the parts' answers merged at the gathering side. With one shard
//! or one partition and no network, every architecture answers the same
//! queries as the Single System does.

use archsim::model::analytics::Split;
use archsim::model::router::{PartitionBy, Router, ShardPlacement};
use archsim::report::{Results, RunResult};
use archsim::workload::KeySpace;

use crate::{run, scenario};

/// Only analytics queries of `work` each, on every architecture with one
/// node of one core holding all the data, and no network.
fn one_part(work: &str, rate: f64, secs: u32) -> Results {
    run(&scenario(&format!(
        r#"
        seed = 3
        duration = "{secs}s"
        warmup = "5s"
        [workload]
        rate = {rate}
        [workload.mix]
        analytics = 1.0
        [network]
        hop = "0s"
        [[architecture]]
        kind = "single"
        [architecture.db]
        cores = 1
        analytics = "{work}"
        [[architecture]]
        kind = "polyglot"
        [architecture.db]
        analytics = "{work}"
        [architecture.stores]
        cores = 1
        [[architecture]]
        kind = "sharded"
        shards = 1
        [architecture.db]
        cores = 1
        analytics = "{work}"
        [[architecture]]
        kind = "coordinator"
        [architecture.shards]
        count = 1
        [architecture.coordinator]
        read_cores = 1
        [architecture.db]
        analytics = "{work}"
        [[architecture]]
        kind = "colocated"
        [architecture.db]
        cores = 1
        analytics = "{work}"
        [architecture.partitions]
        nodes = 1
        replication = 1
        count = 1
        "#
    )))
}

fn analytics(r: &RunResult) -> &archsim::metrics::LatencySummary {
    &r.latency.0["analytics"]
}

#[test]
fn one_part_answers_a_query_exactly_as_the_single_system() {
    // Constant work, Poisson arrivals at 70 % of one core: queueing, and
    // every architecture sees the same arrivals, so the same latencies.
    let r = one_part("10ms", 70.0, 60);
    let single = analytics(&r.runs[0]);
    assert!(single.count > 3000 && single.p99_ms > 20.0, "{single:?}");
    for run in &r.runs[1..] {
        let l = analytics(run);
        assert_eq!(
            (l.count, l.mean_ms, l.p50_ms, l.p99_ms, l.max_ms),
            (
                single.count,
                single.mean_ms,
                single.p50_ms,
                single.p99_ms,
                single.max_ms
            ),
            "{}",
            run.architecture
        );
    }
}

#[test]
fn one_part_draws_its_work_as_the_single_system() {
    // Exponential work at half a core's capacity: an M/M/1 queue, mean
    // response 1/(μ − λ) = 20 ms, whichever architecture runs it.
    let r = one_part("exp(10ms)", 50.0, 1000);
    for run in &r.runs {
        let mean = analytics(run).mean_ms;
        assert!(
            (mean - 20.0).abs() / 20.0 < 0.06,
            "{}: mean {mean:.3} ms, theory 20 ms",
            run.architecture
        );
    }
}

/// Analytics of a constant `work` over `parts` shards (sharded) and
/// partitions (colocated), both placed by hashing the key, with ample
/// cores scaling linearly (no queueing, no stretch when two queries meet),
/// no network and merges of `merge`; and the largest
/// share of the keys a part holds.
fn split(parts: u32, work: &str, merge: &str) -> (Results, f64) {
    let s = scenario(&format!(
        r#"
        seed = 4
        duration = "20s"
        warmup = "1s"
        [workload]
        rate = 5
        keys = 10000
        [workload.mix]
        analytics = 1.0
        [network]
        hop = "0s"
        [[architecture]]
        kind = "sharded"
        [architecture.shards]
        count = {parts}
        [architecture.db]
        cores = 64
        contention = 0.0
        coherency = 0.0
        analytics = "{work}"
        analytics_merge = "{merge}"
        [[architecture]]
        kind = "colocated"
        [architecture.db]
        cores = 64
        contention = 0.0
        coherency = 0.0
        analytics = "{work}"
        analytics_merge = "{merge}"
        [architecture.partitions]
        nodes = {parts}
        replication = 1
        count = {parts}
        "#
    ));
    let space = KeySpace::new(&s.workload);
    let router = Router::new(ShardPlacement::Hash, PartitionBy::Key, parts, space);
    let keys = Split::of(&router, space.total());
    let most = (0..parts).map(|p| keys.keys(p)).max().unwrap();
    (run(&s), most as f64 / space.total() as f64)
}

#[test]
fn each_part_scans_its_share_and_the_gather_merges_the_rest() {
    // 8 parts of about an eighth of the keys each: the largest share of
    // 80 ms, then 7 merges of 1 ms.
    let (r, most) = split(8, "80ms", "1ms");
    assert!((most - 0.125).abs() < 0.01, "largest share {most}");
    let (sharded, colocated) = (analytics(&r.runs[0]), analytics(&r.runs[1]));
    assert!(sharded.count > 80, "{sharded:?}");
    // Every query alike (no queueing): the mean is the maximum.
    let want = most * 80.0 + 7.0;
    assert!(
        (sharded.max_ms - want).abs() < 1e-5 && (sharded.mean_ms - sharded.max_ms).abs() < 1e-6,
        "sharded: {sharded:?}, want {want} ms"
    );
    // The same keys in the same places, the same query: the same answer.
    assert_eq!(
        (sharded.mean_ms, sharded.max_ms),
        (colocated.mean_ms, colocated.max_ms)
    );
    // Without merges, the largest share alone.
    let (r, most) = split(8, "80ms", "0s");
    let l = analytics(&r.runs[0]);
    assert!((l.max_ms - most * 80.0).abs() < 1e-5, "{l:?}");
}

/// The mean response in ms of analytics queries of `work` on one core,
/// offered at 500/s, with `scheduling` (a quantum of 20 µs when sliced).
fn one_core_mean(work: &str, scheduling: &str) -> f64 {
    let r = run(&scenario(&format!(
        r#"
        seed = 5
        duration = "400s"
        warmup = "5s"
        [workload]
        rate = 500
        [workload.mix]
        analytics = 1.0
        [network]
        hop = "0s"
        [[architecture]]
        kind = "single"
        [architecture.db]
        cores = 1
        analytics = "{work}"
        analytics_scheduling = "{scheduling}"
        analytics_quantum = "20us"
        "#
    )));
    let run = &r.runs[0];
    let rho = run.components["db"].utilization.unwrap();
    assert!((rho - 0.5).abs() < 0.01, "ρ = {rho}");
    analytics(run).mean_ms
}

#[test]
fn time_slices_share_a_core_as_processor_sharing_does() {
    // M/G/1 processor sharing: E[T] = E[S] / (1 − ρ) = 2 ms at ρ = 0.5
    // whatever the distribution of the work (mean 1 ms each), within 3 %
    // (a 20 µs quantum is a fiftieth of the mean work; 200,000 queries).
    for work in ["1ms", "exp(1ms)", "lognormal(mean=1ms, sigma=1.5)"] {
        let mean = one_core_mean(work, "time-slice");
        assert!(
            (mean - 2.0).abs() / 2.0 < 0.03,
            "{work}: mean {mean:.3} ms, processor sharing says 2 ms"
        );
    }
    // First come, first served is not insensitive: Pollaczek–Khinchine,
    // E[T] = E[S] + λE[S²] / (2(1 − ρ)) = 1.5 ms for constant work.
    let fcfs = one_core_mean("1ms", "fcfs");
    assert!((fcfs - 1.5).abs() / 1.5 < 0.03, "FCFS mean {fcfs:.3} ms");
}

#[test]
fn short_statements_wait_for_a_slice_not_for_whole_queries() {
    // One core: reads of 100 µs at 2,000/s (ρ = 0.2) beside queries of
    // exp(10 ms) at 30/s (ρ = 0.3).
    let get_mean = |scheduling: &str, quantum: &str| {
        let r = run(&scenario(&format!(
            r#"
            seed = 5
            duration = "300s"
            warmup = "5s"
            [workload]
            rate = 2030
            keys = 1000
            popularity = "uniform"
            [workload.mix]
            get = 0.985221675
            analytics = 0.014778325
            [network]
            hop = "0s"
            [[architecture]]
            kind = "single"
            [architecture.db]
            cores = 1
            read = "100us"
            analytics = "exp(10ms)"
            analytics_scheduling = "{scheduling}"
            analytics_quantum = "{quantum}"
            "#
        )));
        r.runs[0].latency.0["get"].mean_ms
    };
    // FCFS: a read queues behind whole queries, Pollaczek–Khinchine over
    // both classes: 0.1 + (2 × 0.01 + 0.03 × 200) / (2 × 0.5) = 6.12 ms.
    let fcfs = get_mean("fcfs", "3ms");
    assert!((fcfs - 6.12).abs() / 6.12 < 0.05, "FCFS: {fcfs:.3} ms");
    // Sliced finely, a read waits only for reads (and a slice or two): as
    // if it had priority over the queries, M/D/1 of the reads alone:
    // 0.1 + 2 × 0.01 / (2 × 0.8) = 0.1125 ms, within 8 %.
    let fine = get_mean("time-slice", "10us");
    assert!(
        (fine - 0.1125).abs() / 0.1125 < 0.08,
        "time-sliced: {fine:.4} ms"
    );
    // The default 3 ms slice lies between: a read waits for the slice in
    // progress and one per query queued ahead of it.
    let default = get_mean("time-slice", "3ms");
    assert!(fine < default && default < fcfs / 2.0, "{default:.3} ms");
}
