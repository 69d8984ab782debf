//! The Single System against closed forms (LRU by Che's approximation, TTL
//! renewal, replica staleness) and hand-built histories that must produce
//! exactly one anomaly class each.
//!
//! Tolerance for the closed forms: ±0.01 absolute, with runs long enough
//! that the statistical error is a few thousandths.

use archsim::arch::simulate_workload;
use archsim::report::RunResult;
use archsim::scenario::Scenario;
use archsim::sim::SimTime;
use archsim::workload::{KeyChooser, OpKind, Operation, Popularity, Workload};

use crate::{run_one, scenario};

/// A read-only run of one `single` with an in-process cache in front of a
/// fast database, so fills land within microseconds of the miss.
fn cache_run(
    keys: u64,
    popularity: &str,
    capacity: u64,
    ttl: &str,
    rate: u32,
    secs: u32,
) -> RunResult {
    run_one(&format!(
        r#"
        duration = "{secs}s"
        warmup = "5s"
        [workload]
        rate = {rate}
        keys = {keys}
        popularity = "{popularity}"
        [workload.mix]
        get = 1.0
        [network]
        hop = "0s"
        [[architecture]]
        kind = "single"
        [architecture.db]
        cores = 64
        read = "1us"
        [architecture.cache]
        capacity = {capacity}
        ttl = "{ttl}"
        placement = "in-process"
        "#
    ))
}

fn hit_ratio(r: &RunResult) -> f64 {
    r.components["cache"].hit_ratio.unwrap()
}

fn probabilities(popularity: Popularity, keys: u64) -> Vec<f64> {
    match popularity {
        Popularity::Zipf(s) => {
            let w: Vec<f64> = (1..=keys).map(|r| (r as f64).powf(-s)).collect();
            let h: f64 = w.iter().sum();
            w.iter().map(|x| x / h).collect()
        }
        other => {
            let c = KeyChooser::new(other, keys);
            (0..keys).map(|k| c.probability(k).unwrap()).collect()
        }
    }
}

/// Che's approximation (`archsim::model::che`) over keys of the
/// probabilities `p`.
fn che(p: &[f64], capacity: f64) -> f64 {
    let classes: Vec<(f64, f64)> = p.iter().map(|&pi| (pi, 1.0)).collect();
    archsim::model::che::hit_ratio(&classes, capacity)
}

fn close(what: &str, got: f64, want: f64, tolerance: f64) {
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: got {got:.4}, closed form {want:.4} (tolerance ±{tolerance})"
    );
}

#[test]
fn lru_hit_ratio_matches_che() {
    for (keys, s, capacity) in [
        (10_000u64, 0.8, 1_000u64),
        (100_000, 0.99, 10_000),
        (100_000, 1.2, 1_000),
        (20_000, 0.6, 5_000),
    ] {
        let r = cache_run(keys, &format!("zipf({s})"), capacity, "0s", 50_000, 20);
        let want = che(&probabilities(Popularity::Zipf(s), keys), capacity as f64);
        close(
            &format!("LRU N={keys} s={s} C={capacity}"),
            hit_ratio(&r),
            want,
            0.01,
        );
    }
    // Uniform popularity: exactly C / N.
    let r = cache_run(10_000, "uniform", 2_000, "0s", 50_000, 20);
    close("LRU uniform", hit_ratio(&r), 0.2, 0.01);
}

/// YCSB's `requestdistribution=zipfian` is a scrambled Zipf(0.99): on 1,000
/// records with an LRU cache of 200 entries it hits about 0.31 of reads,
/// where true Zipf(0.99) hits about 0.69 (±0.02 each). Che's approximation
/// on the scrambled distribution's sampled key probabilities agrees (±0.01).
#[test]
fn ycsb_scrambled_zipfian_hits_far_less_than_true_zipf() {
    let zipf = cache_run(1_000, "zipf(0.99)", 200, "0s", 50_000, 20);
    close("true zipf(0.99)", hit_ratio(&zipf), 0.69, 0.02);
    let scrambled = cache_run(1_000, "scrambled_zipf", 200, "0s", 50_000, 20);
    close("YCSB scrambled zipfian", hit_ratio(&scrambled), 0.31, 0.02);

    let mut chooser = KeyChooser::new(Popularity::ScrambledZipf, 1_000);
    assert_eq!(chooser.probability(0), None, "no closed form: sampled");
    let mut rng = archsim::sim::Streams::new(5, 0).stream("keys");
    let draws = 4_000_000;
    let mut counts = vec![0u64; 1_000];
    for _ in 0..draws {
        counts[chooser.sample(&mut rng) as usize] += 1;
    }
    let p: Vec<f64> = counts.iter().map(|&c| c as f64 / draws as f64).collect();
    close(
        "Che on scrambled zipfian",
        hit_ratio(&scrambled),
        che(&p, 200.0),
        0.01,
    );
}

#[test]
fn ttl_hit_ratio_matches_the_renewal_formula() {
    // Capacity covers every key, so only expiry causes misses: per key,
    // h = λT / (1 + λT).
    let r = cache_run(1_000, "uniform", 1_000, "100ms", 10_000, 30);
    close("TTL uniform λT = 1", hit_ratio(&r), 0.5, 0.01);

    let keys = 5_000;
    let (rate, ttl) = (20_000.0, 0.05);
    let r = cache_run(keys, "zipf(0.9)", keys, "50ms", rate as u32, 30);
    let want: f64 = probabilities(Popularity::Zipf(0.9), keys)
        .iter()
        .map(|p| {
            let lt = p * rate * ttl;
            p * lt / (1.0 + lt)
        })
        .sum();
    close("TTL zipf(0.9)", hit_ratio(&r), want, 0.01);
}

/// Reads from one asynchronous replica; uniform keys, per-key write rate
/// `w` = 1000 puts/s / keys. The replica's one apply worker takes `apply`
/// per commit (one row each).
fn replica_run(keys: u64, shipping: &str, apply: &str, reads: &str) -> RunResult {
    run_one(&format!(
        r#"
        duration = "60s"
        warmup = "2s"
        [workload]
        rate = 2000
        keys = {keys}
        popularity = "uniform"
        [workload.mix]
        get = 0.5
        put = 0.5
        [network]
        hop = "0s"
        [[architecture]]
        kind = "single"
        [architecture.db]
        cores = 64
        read = "1us"
        write = "1us"
        apply = "{apply}"
        fsync = "0s"
        [architecture.replicas]
        count = 1
        shipping = "{shipping}"
        reads = "{reads}"
        "#
    ))
}

fn stale_share(r: &RunResult) -> f64 {
    r.anomalies.stale_read.count as f64 / r.anomalies.reads_checked as f64
}

#[test]
fn replica_staleness_matches_the_closed_form() {
    // A read is stale when its key's last write, at age A ~ Exp(w), is not
    // yet visible: P = P(L > A) = 1 − E[e^{−wL}], L the visibility lag.
    // Constant lag L (shipping 20 ms, apply 1 µs): P = 1 − e^{−wL}.
    // w = 10/s, L = 20 ms → 0.1813.
    let r = replica_run(100, "20ms", "1us", "replicas");
    close("constant lag", stale_share(&r), 1.0 - (-0.2f64).exp(), 0.01);
    assert_eq!(
        r.anomalies
            .stale_read
            .by_served_by
            .keys()
            .collect::<Vec<_>>(),
        vec!["replica"]
    );

    // In-order apply by one worker, exponential apply (mean 0.8 ms) of
    // Poisson commits (λ = 1000/s, μ = 1250/s): an M/M/1 queue, whose
    // sojourn is exponential with rate μ − λ (a commit's lag depends on the
    // commits before it, never on the later writes that make its age), so
    // L = d + Exp(μ − λ) and P = 1 − e^{−wd} (μ − λ)/(μ − λ + w).
    // w = 10/s, d = 10 ms → 0.1300.
    let r = replica_run(100, "10ms", "exp(800us)", "replicas");
    let want = 1.0 - (-0.1f64).exp() * 250.0 / 260.0;
    close("M/M/1 apply", stale_share(&r), want, 0.005);
    let lag = r.components["replica_1"].lag_mean_ms.unwrap();
    assert!(
        (lag - 14.0).abs() < 14.0 * 0.03,
        "visibility lag {lag} ms: shipping 10 ms + M/M/1 sojourn 1/(μ − λ) = 4 ms"
    );
}

#[test]
fn primary_reads_fix_read_your_writes() {
    let lagging = replica_run(100, "50ms", "1us", "replicas");
    assert!(lagging.anomalies.read_your_writes.count > 0);
    let fixed = replica_run(100, "50ms", "1us", "read-your-writes");
    assert_eq!(fixed.anomalies.read_your_writes.count, 0);
    assert!(
        fixed.anomalies.stale_read.count > 0,
        "other sessions still read stale data"
    );
    let primary = replica_run(100, "50ms", "1us", "primary");
    assert_eq!(primary.anomalies.stale_read.count, 0);
}

// ----- hand-built histories -----

fn op(kind: OpKind, key: u64, session: u32, at_us: u64) -> Operation {
    Operation {
        kind,
        key,
        other: 0,
        session,
        start: SimTime(at_us * 1_000),
    }
}

/// Constant delays so every instant of the history is known: hop 100 µs,
/// read 1 ms, write 100 µs, no fsync.
fn scripted(extra: &str, ops: Vec<Operation>) -> RunResult {
    let s: Scenario = scenario(&format!(
        r#"
        duration = "1s"
        warmup = "0s"
        [workload]
        keys = 10
        [network]
        hop = "100us"
        [[architecture]]
        kind = "single"
        [architecture.db]
        read = "1ms"
        write = "100us"
        fsync = "0s"
        {extra}
        "#
    ));
    simulate_workload(
        &s.setting(),
        &s.architectures[0],
        0,
        Workload::scripted(ops),
    )
}

fn classes(r: &RunResult) -> (u64, u64) {
    (
        r.anomalies.stale_read.count,
        r.anomalies.read_your_writes.count,
    )
}

#[test]
fn reader_fills_old_value_race() {
    // 0 µs: A misses the cache and reads v0 at the primary (answer at 1.2 ms).
    // 200 µs: B writes v1: committed at 400 µs, cache entry deleted and ok at 500 µs.
    // 1.2 ms: A fills the cache with v0, after the delete.
    // 2 ms: C hits the stale entry — one stale read served by the cache.
    let cache = "[architecture.cache]\ncapacity = 100\nplacement = \"in-process\"\n";
    let r = scripted(
        cache,
        vec![
            op(OpKind::Get, 1, 1, 0),
            op(OpKind::Put, 1, 2, 200),
            op(OpKind::Get, 1, 3, 2_000),
        ],
    );
    assert_eq!(classes(&r), (1, 0));
    assert_eq!(r.anomalies.stale_read.by_served_by["cache"], 1);
    let age = r.anomalies.stale_read.age_ms.as_ref().unwrap();
    assert!(
        (age.max_ms - 1.5).abs() < 0.01,
        "stale since the ok at 0.5 ms: {age:?}"
    );

    // Without the race (C reads before A's fill cannot matter; a read after
    // B's write with no earlier miss) nothing is stale.
    let r = scripted(
        cache,
        vec![op(OpKind::Put, 1, 2, 200), op(OpKind::Get, 1, 3, 2_000)],
    );
    assert_eq!(classes(&r), (0, 0));
}

#[test]
fn stale_entry_without_invalidation_lives_until_ttl() {
    let cache = |ttl: &str| {
        format!(
            "[architecture.cache]\ncapacity = 100\nplacement = \"in-process\"\ninvalidate = \"none\"\nttl = \"{ttl}\"\n"
        )
    };
    let history = || {
        vec![
            op(OpKind::Get, 1, 1, 0),       // fills v0 at 1.2 ms
            op(OpKind::Put, 1, 2, 2_000),   // v1, ok at 2.3 ms; the entry stays
            op(OpKind::Get, 1, 3, 3_000),   // hits v0: stale
            op(OpKind::Get, 1, 3, 300_000), // after a 100 ms TTL: misses, reads v1
        ]
    };
    assert_eq!(classes(&scripted(&cache("100ms"), history())), (1, 0));
    assert_eq!(classes(&scripted(&cache("0s"), history())), (2, 0));
}

#[test]
fn read_from_a_lagging_replica() {
    let replica = "[architecture.replicas]\ncount = 1\nlag = \"10ms\"\n";
    // Another session's read 1 ms after the write: stale, not read-your-writes.
    let r = scripted(
        replica,
        vec![op(OpKind::Put, 2, 1, 0), op(OpKind::Get, 2, 2, 1_000)],
    );
    assert_eq!(classes(&r), (1, 0));
    assert_eq!(r.anomalies.stale_read.by_served_by["replica"], 1);
    // After the lag it is fresh.
    let r = scripted(
        replica,
        vec![op(OpKind::Put, 2, 1, 0), op(OpKind::Get, 2, 2, 20_000)],
    );
    assert_eq!(classes(&r), (0, 0));
}

#[test]
fn own_write_not_visible() {
    let replica = "[architecture.replicas]\ncount = 1\nlag = \"10ms\"\n";
    let r = scripted(
        replica,
        vec![op(OpKind::Put, 3, 7, 0), op(OpKind::Get, 3, 7, 1_000)],
    );
    assert_eq!(
        classes(&r),
        (1, 1),
        "a read-your-writes violation is also a stale read"
    );
    assert_eq!(r.anomalies.read_your_writes.by_served_by["replica"], 1);
    // Routed to the primary, the own write is visible.
    let fixed = format!("{replica}reads = \"read-your-writes\"\n");
    let r = scripted(
        &fixed,
        vec![op(OpKind::Put, 3, 7, 0), op(OpKind::Get, 3, 7, 1_000)],
    );
    assert_eq!(classes(&r), (0, 0));
}

#[test]
fn a_read_concurrent_with_a_write_is_not_stale() {
    // The read is invoked before the write's ok (at 300 µs) and misses it: legal.
    let replica = "[architecture.replicas]\ncount = 1\nlag = \"10ms\"\n";
    let r = scripted(
        replica,
        vec![op(OpKind::Put, 4, 1, 0), op(OpKind::Get, 4, 2, 250)],
    );
    assert_eq!(classes(&r), (0, 0));
}
