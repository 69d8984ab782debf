//! The comparison is like for like: the five architectures run one
//! transaction model, so a difference between them comes from the
//! architecture, not from the semantics one of them got.

use crate::{run, scenario, scenario_path};

/// Every architecture on hot counters and items: the same operation stream.
fn contended(rmw: &str) -> String {
    format!(
        r#"
        seed = 11
        duration = "4s"
        warmup = "500ms"
        [workload]
        rate = 4000
        rmw = "{rmw}"
        [workload.mix]
        get = 0.4
        rmw = 0.3
        reserve = 0.3
        [workload.entities]
        counters = 10
        items = 10
        stock = 1_000_000
        [[architecture]]
        kind = "single"
        [architecture.cache]
        capacity = 1000
        [[architecture]]
        kind = "polyglot"
        [[architecture]]
        kind = "sharded"
        shards = 4
        [[architecture]]
        kind = "coordinator"
        shards = 4
        [[architecture]]
        kind = "colocated"
        "#
    )
}

#[test]
fn read_modify_write_in_the_application_loses_updates_on_every_architecture() {
    let results = run(&scenario(&contended("client")));
    assert_eq!(results.runs.len(), 5);
    for r in &results.runs {
        assert!(
            r.anomalies.lost_update.count > 10,
            "{}: {} lost updates",
            r.architecture,
            r.anomalies.lost_update.count
        );
    }
}

#[test]
fn one_statement_under_the_row_lock_loses_nothing_on_any_architecture() {
    let results = run(&scenario(&contended("server")));
    for r in &results.runs {
        let a = &r.anomalies;
        assert_eq!(a.lost_update.count, 0, "{}", r.architecture);
        assert_eq!(a.invariant.oversold_units, 0, "{}", r.architecture);
    }
}

#[test]
fn the_default_comparison_shows_a_single_database_as_transactional() {
    // The shipped comparison, shortened: its single database loses no
    // update and oversells nothing.
    let text = std::fs::read_to_string(scenario_path("five-architectures.toml")).unwrap();
    let text = text.replace("duration = \"60s\"", "duration = \"3s\"");
    let mut s = scenario(&text);
    s.architectures.truncate(1);
    let r = &run(&s).runs[0];
    assert_eq!(r.architecture, "single");
    assert_eq!(r.anomalies.lost_update.count, 0);
    assert_eq!(r.anomalies.invariant.oversold_units, 0);
    assert_eq!(r.anomalies.invariant.negative_balances, 0);
}

/// One database core, no network, no cache: the shared cost table alone.
/// `{mix}` and `{architecture}` are filled in per test.
const DEGENERATE: &str = r#"
seed = 5
duration = "20s"
warmup = "1s"
[workload]
rate = 5000
[workload.mix]
{mix}
[network]
hop = "0s"
[[architecture]]
kind = "single"
[architecture.db]
cores = 1
{architecture}
"#;

/// Every operation kind's mean, p50 and p90 in `r` lie within `tolerance`
/// (a share) of `base`'s, its p99 within twice that; both answered as many
/// operations and found the same anomalies.
fn assert_collapses(
    base: &archsim::report::RunResult,
    r: &archsim::report::RunResult,
    tolerance: f64,
) {
    for (kind, b) in &base.latency.0 {
        let o = &r.latency.0[kind];
        let who = format!("{} {kind}", r.architecture);
        assert_eq!((o.count, o.ok), (b.count, b.ok), "{who}");
        // The service times are drawn from each architecture's own streams:
        // the 99th percentile of a few thousand draws moves by a few per
        // cent between two such samples, so it gets twice the margin.
        for (name, x, y, margin) in [
            ("mean", b.mean_ms, o.mean_ms, tolerance),
            ("p50", b.p50_ms, o.p50_ms, tolerance),
            ("p90", b.p90_ms, o.p90_ms, tolerance),
            ("p99", b.p99_ms, o.p99_ms, 2.0 * tolerance),
        ] {
            assert!(
                (y - x).abs() <= margin * x,
                "{who} {name}: {y} ms against single's {x} ms"
            );
        }
    }
    assert_eq!(
        r.anomalies.counts(),
        base.anomalies.counts(),
        "{}",
        r.architecture
    );
}

#[test]
fn one_shard_is_one_database() {
    // Reads, writes, read-modify-writes and transfers on one shard are the
    // single database's: the same statements, locks, log and core.
    let text = DEGENERATE
        .replace("{mix}", "get = 0.6\nput = 0.2\nrmw = 0.1\ntransfer = 0.1")
        .replace(
            "{architecture}",
            "[[architecture]]\nkind = \"sharded\"\nshards = 1\n[architecture.db]\ncores = 1",
        );
    let results = run(&scenario(&text));
    assert_collapses(&results.runs[0], &results.runs[1], 0.04);
}

#[test]
fn a_coordinator_over_one_shard_at_no_cost_is_one_database() {
    // Every write a local transaction at the one shard, the coordinator
    // free and next to it. (Reads are left out: the coordinator serves
    // them from its read model, or, when strong, as locking reads.)
    let text = DEGENERATE
        .replace(
            "{mix}",
            "put = 0.4\nrmw = 0.2\nreserve = 0.2\ntransfer = 0.2",
        )
        .replace(
            "{architecture}",
            "[[architecture]]\nkind = \"coordinator\"\nshards = 1\n[architecture.db]\ncores = 1\n\
             [architecture.coordinator]\nservice = \"0s\"",
        );
    let results = run(&scenario(&text));
    assert_collapses(&results.runs[0], &results.runs[1], 0.04);
}

#[test]
fn a_colocated_store_of_one_partition_and_one_replica_is_one_database() {
    // One Raft group of one replica: its log is the database's (forced,
    // one batch at a time); with locks queued as a database's row locks
    // (`conflict = "wait"`, not wait-die), it is the single database.
    let text = DEGENERATE
        .replace("{mix}", "get = 0.6\nput = 0.2\nrmw = 0.1\ntransfer = 0.1")
        .replace(
            "{architecture}",
            "[[architecture]]\nkind = \"colocated\"\n[architecture.db]\ncores = 1\n\
             [architecture.partitions]\nnodes = 1\ncount = 1\nreplication = 1\n\
             conflict = \"wait\"",
        );
    let results = run(&scenario(&text));
    assert_collapses(&results.runs[0], &results.runs[1], 0.04);
}

#[test]
fn wait_die_is_a_setting_with_a_cost_in_the_tail() {
    // The same store with its default, wait-die: a younger writer of a hot
    // row aborts and retries after a backoff instead of queueing, which
    // shows in the tail, not in the median.
    let text = DEGENERATE.replace("{mix}", "put = 0.5\nrmw = 0.5").replace(
        "{architecture}",
        "[[architecture]]\nkind = \"colocated\"\n[architecture.db]\ncores = 1\n\
             [architecture.partitions]\nnodes = 1\ncount = 1\nreplication = 1",
    );
    let results = run(&scenario(&text));
    let (single, wait_die) = (results.runs[0].latency.all(), results.runs[1].latency.all());
    assert!(results.runs[1].coordination.retries.unwrap() > 0);
    assert!(wait_die.p999_ms > 2.0 * single.p999_ms, "{wait_die:?}");
    assert!((wait_die.p50_ms - single.p50_ms).abs() < 0.1 * single.p50_ms);
}

/// A `multi_get` reads through the same cache on single and on polyglot:
/// with reads only (no writes, so no pipeline in play) their databases
/// serve the same misses and their caches the same hits. Sending polyglot's
/// `multi_get`s straight to its database made it serve every key.
#[test]
fn a_multi_get_reads_through_the_cache_on_single_and_polyglot_alike() {
    let results = run(&scenario(
        r#"
        seed = 5
        duration = "4s"
        warmup = "1s"
        [workload]
        rate = 4000
        keys = 10000
        popularity = "zipf(0.99)"
        [workload.mix]
        multi_get = 1.0
        [[architecture]]
        kind = "single"
        [architecture.cache]
        capacity = 300
        [[architecture]]
        kind = "polyglot"
        [architecture.cache]
        capacity = 300
        "#,
    ));
    let db = |i: usize| results.runs[i].components["db"].throughput_per_s.unwrap();
    let hit = |i: usize| results.runs[i].components["cache"].hit_ratio.unwrap();
    let (single, polyglot) = (db(0), db(1));
    assert!(
        (polyglot / single - 1.0).abs() < 0.05,
        "database jobs/s: single {single}, polyglot {polyglot}"
    );
    // 300 entries for 1,000 accounts: some keys hit, some go on.
    assert!(
        hit(0) > 0.3 && hit(0) < 0.95 && (hit(1) - hit(0)).abs() < 0.05,
        "{} {}",
        hit(0),
        hit(1)
    );
}
