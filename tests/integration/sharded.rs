//! The sharded architecture against closed forms — the fan-out tail ("The
//! Tail at Scale") and the fork-join of two M/M/1 queues (Nelson–Tantawi) —
//! and its cross-shard transfer rules.

use archsim::report::RunResult;

use crate::{run, run_one, scenario};

/// Only `search`, which scatters to every shard, each drawing its own part
/// of `service` (there is no search index), and gathers; the shards'
/// cores scale linearly, as the closed forms below assume.
fn scatter(shards: u32, service: &str, rate: f64, cores: u32, secs: u32) -> RunResult {
    run_one(&format!(
        r#"
        duration = "{secs}s"
        warmup = "5s"
        [workload]
        rate = {rate}
        [workload.mix]
        search = 1.0
        [network]
        hop = "0s"
        [[architecture]]
        kind = "sharded"
        [architecture.db]
        cores = {cores}
        contention = 0.0
        coherency = 0.0
        [architecture.shards]
        count = {shards}
        search = "{service}"
        "#
    ))
}

#[test]
fn the_slowest_shard_sets_the_latency() {
    // Each shard answers in 1 ms, or in 1 s one time in a hundred: a request
    // that waits for N shards is slow with probability 1 − 0.99^N (63 % at
    // N = 100). Eight cores per shard keep queueing out of the picture.
    for shards in [1u32, 10, 100] {
        let r = scatter(shards, "mix(0.99: 1ms, 0.01: 1s)", 20.0, 8, 400);
        let l = &r.latency.0["search"];
        let want = 1.0 - 0.99f64.powi(shards as i32);
        // Share of requests above 0.5 s, read off the percentiles: find the
        // first percentile at which latency is slow.
        let slow = slow_share(&r);
        assert!(
            (slow - want).abs() < 0.03,
            "N = {shards}: {slow:.3} of requests slow, theory {want:.3} ({} requests, p50 {} ms)",
            l.count,
            l.p50_ms
        );
    }
}

/// The share of searches slower than 0.5 s (they take either about 1 ms
/// or about 1 s), from their mean: mean ≈ 1 ms + share × 999 ms.
fn slow_share(r: &RunResult) -> f64 {
    let mean = r.latency.0["search"].mean_ms;
    (mean - 1.0) / 999.0
}

#[test]
fn fork_join_of_two_mm1_queues() {
    // Every request forks to both shards (one core each, exp(1 ms)) and joins:
    // mean response (12 − ρ)/8 · 1/(μ − λ) (Nelson & Tantawi, exact for two).
    for rho in [0.3, 0.5, 0.7] {
        let r = scatter(2, "exp(1ms)", rho * 1000.0, 1, 1500);
        let want = (12.0 - rho) / 8.0 / (1.0 - rho);
        let got = r.latency.0["search"].mean_ms;
        assert!(
            (got - want).abs() / want < 0.03,
            "ρ = {rho}: mean {got:.3} ms, theory {want:.3} ms"
        );
    }
}

#[test]
fn searches_scatter_to_every_shard_and_read_the_owner() {
    // With no search index each shard searches its slice: the fan-out tail
    // above, with writes beside, and the key found is read fresh at its
    // owner.
    for shards in [10u32, 50] {
        let r = run_one(&format!(
            r#"
            duration = "300s"
            warmup = "5s"
            [workload]
            rate = 20
            keys = 1000
            [workload.mix]
            search = 0.9
            put = 0.1
            [network]
            hop = "0s"
            [[architecture]]
            kind = "sharded"
            [architecture.shards]
            count = {shards}
            search = "mix(0.99: 1ms, 0.01: 1s)"
            "#
        ));
        let mean = r.latency.0["search"].mean_ms;
        let slow = (mean - 1.0) / 999.0;
        let want = 1.0 - 0.99f64.powi(shards as i32);
        assert!(
            (slow - want).abs() < 0.04,
            "N = {shards}: {slow:.3} of searches slow, theory {want:.3}"
        );
        assert_eq!(r.anomalies.stale_read.count, 0);
    }
}

fn transfers(cross_shard: &str, leg_failure: f64) -> RunResult {
    run_one(&format!(
        r#"
        duration = "20s"
        warmup = "2s"
        [workload]
        rate = 5000
        keys = 1000
        groups = 10
        locality = 0.5
        [workload.mix]
        transfer = 0.8
        multi_get = 0.2
        [workload.entities]
        accounts = 100
        balance = 1000
        [[architecture]]
        kind = "sharded"
        [architecture.shards]
        count = 4
        partition_by = "group"
        cross_shard = "{cross_shard}"
        leg_failure = {leg_failure}
        "#
    ))
}

#[test]
fn best_effort_transfers_tear_when_the_application_fails_between_legs() {
    let r = transfers("best-effort", 0.02);
    let a = &r.anomalies;
    assert!(a.torn_transaction.count > 100, "{:?}", a.torn_transaction);
    // Each torn transfer debited 1 that was never credited. (Transfers
    // invoked in the warm-up are not counted as torn, but their money is
    // gone all the same.)
    let drift = a.invariant.bank_total_expected - a.invariant.bank_total_final;
    assert!(
        drift >= a.torn_transaction.count as i64,
        "drift {drift}, torn {}",
        a.torn_transaction.count
    );
    let router = &r.components["router"];
    let share = router.cross_shard_share.unwrap();
    // Half the transfers leave their group, and a different group is on
    // another of the 4 shards about 60 % of the time.
    assert!(share > 0.2 && share < 0.45, "cross-shard share {share}");
    assert_eq!(r.latency.all().errors, 0);
}

#[test]
fn without_failures_best_effort_keeps_the_total() {
    let r = transfers("best-effort", 0.0);
    assert_eq!(r.anomalies.torn_transaction.count, 0);
    assert_eq!(
        r.anomalies.invariant.bank_total_final,
        r.anomalies.invariant.bank_total_expected
    );
}

#[test]
fn reject_fails_cross_shard_transfers() {
    let r = transfers("reject", 0.02);
    let t = &r.latency.0["transfer"];
    let router_share = r.components["router"].cross_shard_share.unwrap();
    // `count` is every transfer started, the refused ones included.
    let failed = t.errors as f64 / t.count as f64;
    assert!(
        t.errors > 1000 && (failed - router_share).abs() < 0.05,
        "{failed} vs {router_share}"
    );
    assert_eq!(r.anomalies.torn_transaction.count, 0);
    assert_eq!(
        r.anomalies.invariant.bank_total_final,
        r.anomalies.invariant.bank_total_expected
    );
}

#[test]
fn range_routing_makes_a_hot_shard() {
    let s = scenario(
        r#"
        duration = "10s"
        [workload]
        rate = 20000
        keys = 100000
        popularity = "zipf(0.99)"
        [workload.mix]
        get = 0.9
        put = 0.1
        [[architecture]]
        kind = "sharded"
        name = "hash"
        [architecture.shards]
        count = 8
        [[architecture]]
        kind = "sharded"
        name = "range"
        [architecture.shards]
        count = 8
        router = "range"
        "#,
    );
    let r = run(&s);
    let spread = |run: &RunResult| {
        let u: Vec<f64> = run
            .components
            .iter()
            .filter(|(k, _)| k.starts_with("shard_"))
            .map(|(_, c)| c.utilization.unwrap())
            .collect();
        u.iter().cloned().fold(0.0, f64::max) / (u.iter().sum::<f64>() / u.len() as f64)
    };
    let (hash, range) = (spread(&r.runs[0]), spread(&r.runs[1]));
    // Under hash placement only the hottest single keys tilt the load.
    assert!(
        hash < 2.0,
        "hash placement is nearly even: max/mean {hash:.2}"
    );
    assert!(
        range > 2.0 * hash,
        "Zipf's head lands on one range: max/mean {range:.2} vs {hash:.2}"
    );
}

/// Documents only: writes, and probe reads right after each write's ok.
fn quorum(n: u32, r: u32, w: u32, write: &str) -> RunResult {
    run_one(&format!(
        r#"
        duration = "60s"
        warmup = "2s"
        [workload]
        rate = 500
        popularity = "uniform"
        probes = ["0ms"]
        probe_share = 1.0
        [workload.mix]
        doc_put = 1.0
        [workload.entities]
        documents = 100000
        [[architecture]]
        kind = "sharded"
        [architecture.docstore]
        n = {n}
        r = {r}
        w = {w}
        write = "{write}"
        ack = "0s"
        read = "exp(1ms)"
        response = "exp(1ms)"
        "#
    ))
}

#[test]
fn partial_quorums_miss_the_newest_write_with_the_binomial_probability() {
    // A write has reached exactly w replicas when it succeeds (the others
    // take a second, on average); a read right after asks all n and keeps
    // the first r replies, which come from r replicas chosen uniformly:
    // P(the read sees the write) = 1 − C(n − w, r) / C(n, r).
    fn choose(n: u32, k: u32) -> f64 {
        if k > n {
            return 0.0;
        }
        (0..k)
            .map(|i| f64::from(n - i) / f64::from(k - i))
            .product()
    }
    for (n, r, w) in [(3, 1, 1), (3, 2, 1), (5, 1, 2), (5, 2, 2)] {
        let res = quorum(n, r, w, "exp(1s)");
        let p = &res.visibility.probes[0];
        let want = 1.0 - choose(n - w, r) / choose(n, r);
        assert!(
            (p.consistent - want).abs() < 0.02,
            "N={n} R={r} W={w}: {:.4} of reads saw the write, theory {want:.4}",
            p.consistent
        );
    }
}

#[test]
fn strict_quorums_always_see_the_newest_write() {
    // r + w > n: every read quorum overlaps every write quorum.
    let res = quorum(3, 2, 2, "exp(1s)");
    assert_eq!(res.visibility.probes[0].consistent, 1.0);
}

#[test]
fn the_cache_grid_holds_nodes_times_capacity() {
    // Uniform reads over 10,000 keys; four nodes of 1,250 entries hold half
    // of them: hit ratio C / N = 0.5. The nodes share the lookups evenly.
    let s = scenario(
        r#"
        duration = "30s"
        warmup = "10s"
        [workload]
        rate = 20000
        keys = 10000
        popularity = "uniform"
        [workload.mix]
        get = 1.0
        [[architecture]]
        kind = "sharded"
        [architecture.cache]
        capacity = 1250
        nodes = 4
        cores = 2
        "#,
    );
    let r = run(&s).runs.remove(0);
    let hit = r.components["cache_0"].hit_ratio.unwrap();
    assert!((hit - 0.5).abs() < 0.01, "hit ratio {hit}");
    let loads: Vec<f64> = (0..4)
        .map(|i| r.components[&format!("cache_{i}")].utilization.unwrap())
        .collect();
    let mean = loads.iter().sum::<f64>() / 4.0;
    assert!(
        loads.iter().all(|u| (u / mean - 1.0).abs() < 0.05),
        "{loads:?}"
    );
}

#[test]
fn shard_replicas_serve_reads_and_lag() {
    let s = scenario(
        r#"
        duration = "20s"
        [workload]
        rate = 10000
        keys = 10000
        probes = ["0ms", "200ms"]
        probe_share = 0.2
        [workload.mix]
        get = 0.7
        put = 0.3
        [[architecture]]
        kind = "sharded"
        [architecture.replicas]
        count = 2
        shipping = "20ms"
        [[architecture]]
        kind = "sharded"
        name = "primaries"
        [architecture.replicas]
        count = 2
        shipping = "20ms"
        reads = "primary"
        "#,
    );
    let r = run(&s);
    let (replicas, primaries) = (&r.runs[0], &r.runs[1]);
    assert!(replicas.anomalies.stale_read.by_served_by["replica"] > 0);
    assert_eq!(primaries.anomalies.stale_read.count, 0);
    let probes = &replicas.visibility.probes;
    assert!(
        probes[0].consistent < 0.2 && probes[1].consistent > 0.99,
        "{probes:?}"
    );
    assert!(replicas.visibility.lag_ms.contains_key("replica_2"));
    // Both replicas of shard 0 carry reads; under primary routing they only
    // apply the shard's writes.
    let busy = |r: &RunResult| r.components["shard_0_replica_1"].utilization.unwrap();
    assert!(
        0.0 < busy(primaries) && busy(primaries) < busy(replicas),
        "{} applying, {} applying and reading",
        busy(primaries),
        busy(replicas)
    );
}

#[test]
fn top_level_shorthands_mean_their_tables() {
    let short = scenario(
        r#"
        [[architecture]]
        kind = "sharded"
        shards = 16
        router = "range"
        partition_by = "group"
        cross_shard = "reject"
        cache_nodes = 4
        "#,
    );
    let long = scenario(
        r#"
        [[architecture]]
        kind = "sharded"
        [architecture.shards]
        count = 16
        router = "range"
        partition_by = "group"
        cross_shard = "reject"
        [architecture.cache]
        nodes = 4
        "#,
    );
    assert_eq!(short, long);
    assert_eq!(short.to_toml(), long.to_toml());
    let clash = archsim::scenario::Scenario::from_toml(
        "[[architecture]]\nkind = \"sharded\"\nrouter = \"range\"\n\
         [architecture.shards]\nrouter = \"directory\"\n",
        "clash.toml",
        "clash",
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(
        clash.contains(
            "router is given both at the top of the architecture and in [architecture.shards]"
        ),
        "{clash}"
    );
    // Even when the table spells out the default, and placed on the shorthand.
    let same = archsim::scenario::Scenario::from_toml(
        "[[architecture]]\nkind = \"sharded\"\nrouter = \"range\"\n\
         [architecture.shards]\nrouter = \"hash\"\n",
        "same.toml",
        "same",
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(same.starts_with("same.toml:3:1: "), "{same}");
}

#[test]
fn a_grid_that_is_never_invalidated_holds_stale_entries() {
    // 100 keys, all cached, no TTL and no invalidation: after a key's first
    // write its entry stays stale for the rest of the run. Writes at
    // 100/s over 100 keys reach nearly every key within seconds, so most
    // of the entry-time is stale.
    let r = run_one(
        r#"
        duration = "30s"
        warmup = "5s"
        [workload]
        rate = 1000
        keys = 100
        popularity = "uniform"
        [workload.mix]
        get = 0.9
        put = 0.1
        [[architecture]]
        kind = "sharded"
        [architecture.cache]
        capacity = 100
        ttl = "0s"
        invalidate = "none"
        "#,
    );
    let share = r.anomalies.divergence["cache"].diverged_share;
    assert!(share > 0.9, "diverged share {share}");
}

/// `txn`s over three accounts, half of them spread over three groups, on
/// `kind` (with `extra` lines in its entry).
fn txns(kind: &str, extra: &str) -> RunResult {
    run_one(&format!(
        r#"
        duration = "20s"
        warmup = "2s"
        [workload]
        rate = 3000
        keys = 1000
        groups = 10
        locality = 0.5
        txn_keys = 3
        [workload.mix]
        txn = 0.8
        multi_get = 0.2
        [workload.entities]
        accounts = 100
        balance = 1000
        [[architecture]]
        kind = "{kind}"
        {extra}
        "#
    ))
}

#[test]
fn best_effort_txns_run_a_leg_per_shard_and_tear_between_legs() {
    let torn = txns(
        "sharded",
        "[architecture.shards]\ncount = 4\npartition_by = \"group\"\nleg_failure = 0.02",
    );
    let a = &torn.anomalies;
    assert!(a.torn_transaction.count > 100, "{:?}", a.torn_transaction);
    assert!(a.invariant.bank_total_final != a.invariant.bank_total_expected);
    let share = torn.components["router"].cross_shard_share.unwrap();
    assert!(share > 0.2 && share < 0.6, "cross-shard share {share}");
    // Without failures every leg runs: nothing torn, the total kept, but a
    // multi_get between two legs sees some of a txn's writes and not others.
    let whole = txns(
        "sharded",
        "[architecture.shards]\ncount = 4\npartition_by = \"group\"\nleg_failure = 0.0",
    );
    let a = &whole.anomalies;
    assert_eq!(a.torn_transaction.count, 0);
    assert_eq!(
        a.invariant.bank_total_final,
        a.invariant.bank_total_expected
    );
    assert!(a.fractured_read.count > 0, "{:?}", a.fractured_read);
}

#[test]
fn reject_fails_cross_shard_txns() {
    let r = txns(
        "sharded",
        "[architecture.shards]\ncount = 4\npartition_by = \"group\"\ncross_shard = \"reject\"",
    );
    let t = &r.latency.0["txn"];
    let share = r.components["router"].cross_shard_share.unwrap();
    let failed = t.errors as f64 / t.count as f64;
    assert!(
        t.errors > 1000 && failed > 0.8 * share,
        "{failed} vs {share}"
    );
    assert_eq!(r.anomalies.torn_transaction.count, 0);
}

#[test]
fn a_single_database_runs_a_txn_as_one_local_transaction() {
    let r = txns("single", "");
    let a = &r.anomalies;
    assert!(r.latency.0["txn"].count > 40_000);
    assert_eq!(r.latency.0["txn"].errors, 0);
    assert_eq!(a.torn_transaction.count, 0);
    assert_eq!(a.fractured_read.count, 0);
    assert_eq!(a.invariant.count, 0);
    assert_eq!(
        a.invariant.bank_total_final,
        a.invariant.bank_total_expected
    );
    let c = r.coordination.per_transaction.as_ref();
    assert!(c.is_none_or(|t| t.count == 0), "nothing distributed");
}
